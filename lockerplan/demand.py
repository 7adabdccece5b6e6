"""Demand: parcels per day from OSM buildings, aggregated into clusters.

The building model
------------------
For every residential or mixed-use building::

    floor area  = footprint area x levels
    dwellings   = floor area x residential share / gross floor area per dwelling
    parcels/day = dwellings x parcels per dwelling per day

Defaults (each a :class:`DemandModel` field; override in the scenario):

* ``levels``: ``building:levels`` when tagged, else ``height / 3 m``, else a default
  per building type (:data:`DEFAULT_LEVELS`).
* ``residential share``: 1.0 for residential types; 0.5 for ``building=yes`` (untyped
  buildings, in city centres mostly perimeter blocks with shops below flats); other
  types (offices, churches, schools...) are not residential and produce no demand.
* ``80 m²`` gross floor area per dwelling: Statistics Finland reports an average of
  about 64 m² of living space per dwelling in Helsinki; walls, stairs and shared
  space add about a quarter.
* ``0.15`` parcels per dwelling per day, about 55 B2C parcels per household per year,
  the order of magnitude that European postal operators report for online shopping
  households. This is the figure to calibrate first against local parcel counts.

Clustering
----------
Demand points are merged with complete-linkage agglomerative clustering
(scikit-learn) inside square tiles, so that no member is farther than
``cluster_m`` (default 50 m) from any other member of its cluster; the cluster point
is the parcel-weighted centroid. Tiles keep memory linear in the number of points.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering

from .errors import InputError

log = logging.getLogger(__name__)

#: Building types whose floor area is all dwellings.
RESIDENTIAL_TYPES = frozenset(
    {
        "apartments",
        "residential",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "farm",
        "cabin",
    }
)
#: Untyped or mixed buildings and the share of their floor area taken as dwellings.
MIXED_TYPES = {"yes": 0.5, "mixed_use": 0.5}
#: Levels assumed when a building has neither ``building:levels`` nor ``height``.
DEFAULT_LEVELS = {
    "apartments": 5.0,
    "residential": 4.0,
    "dormitory": 4.0,
    "yes": 4.0,
    "mixed_use": 4.0,
    "terrace": 2.0,
    "house": 2.0,
    "detached": 2.0,
    "semidetached_house": 2.0,
}
STOREY_HEIGHT_M = 3.0


@dataclass(frozen=True)
class DemandModel:
    """Parameters of the building demand model (see the module docstring).

    Parameters
    ----------
    parcels_per_dwelling_per_day : float, default 0.15
        Parcels a household receives per day.
    floor_area_per_dwelling_m2 : float, default 80
        Gross floor area per dwelling, m².
    peak_factor : float, default 1.0
        Multiplier for a peak season (e.g. 2.5 in December).
    """

    parcels_per_dwelling_per_day: float = 0.15
    floor_area_per_dwelling_m2: float = 80.0
    peak_factor: float = 1.0

    def __post_init__(self) -> None:
        for name in ("parcels_per_dwelling_per_day", "floor_area_per_dwelling_m2", "peak_factor"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise InputError(f"demand.{name} must be a number > 0, got {value!r}.")


def _levels(buildings: pd.DataFrame) -> np.ndarray:
    tagged = pd.to_numeric(buildings["building:levels"], errors="coerce")
    height = pd.to_numeric(
        buildings["height"].astype(str).str.extract(r"(\d+\.?\d*)")[0], errors="coerce"
    )
    from_height = (height / STOREY_HEIGHT_M).round().clip(lower=1)
    default = buildings["building"].map(DEFAULT_LEVELS).fillna(1.0)
    levels = tagged.where(tagged > 0).fillna(from_height).fillna(default)
    return levels.to_numpy(dtype=float)


def demand_from_buildings(
    buildings: gpd.GeoDataFrame, model: DemandModel | None = None
) -> gpd.GeoDataFrame:
    """Parcels per day for each residential or mixed-use building.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints with ``osm_id``, ``building``, ``building:levels`` and ``height``
        (as returned by :func:`lockerplan.osm.read_buildings`).
    model : DemandModel, optional
        Demand parameters; defaults documented in :mod:`lockerplan.demand`.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per building with demand (EPSG:4326): ``demand_id``, ``source``
        (``"osm_building"``), ``source_id`` (OSM id), ``building``, ``levels``,
        ``floor_area_m2``, ``dwellings``, ``parcels_per_day``.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path, read_buildings
    >>> points = demand_from_buildings(read_buildings(default_osm_path()))
    >>> bool((points["parcels_per_day"] > 0).all())
    True
    """
    model = model or DemandModel()
    b = buildings.copy()
    kind = b["building"].fillna("yes").astype(str).str.lower()
    share = kind.map(MIXED_TYPES).where(~kind.isin(RESIDENTIAL_TYPES), 1.0).fillna(0.0)
    b["building"] = kind
    b = b[share.to_numpy() > 0]
    share = share[share > 0]
    if len(b) == 0:
        return gpd.GeoDataFrame(
            columns=["demand_id", "source", "source_id", "parcels_per_day", "geometry"],
            geometry="geometry",
            crs="EPSG:4326",
        )
    metric = b.to_crs(b.estimate_utm_crs())
    levels = _levels(b)
    floor_area = metric.geometry.area.to_numpy() * levels
    dwellings = floor_area * share.to_numpy() / model.floor_area_per_dwelling_m2
    parcels = dwellings * model.parcels_per_dwelling_per_day * model.peak_factor
    points = metric.geometry.representative_point().to_crs("EPSG:4326")
    out = gpd.GeoDataFrame(
        {
            "demand_id": [f"b{i}" for i in range(len(b))],
            "source": "osm_building",
            "source_id": b["osm_id"].astype(str).to_numpy(),
            "building": b["building"].to_numpy(),
            "levels": levels,
            "floor_area_m2": floor_area.round(1),
            "dwellings": dwellings.round(2),
            "parcels_per_day": parcels,
        },
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )
    return out[out["parcels_per_day"] > 0].reset_index(drop=True)


def cluster_demand(
    points: gpd.GeoDataFrame,
    cluster_m: float = 50.0,
    tile_m: float = 1000.0,
) -> gpd.GeoDataFrame:
    """Aggregate demand points into clusters no wider than ``cluster_m``.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Demand points with ``demand_id`` and ``parcels_per_day``.
    cluster_m : float, default 50
        Largest distance between two members of a cluster, metres; so no member is
        farther than this from its cluster point. ``0`` turns clustering off (one
        cluster per point).
    tile_m : float, default 1000
        Side of the square tiles clustered independently (bounds memory).

    Returns
    -------
    geopandas.GeoDataFrame
        One point per cluster (EPSG:4326) at the parcel-weighted centroid of its
        members: ``cluster_id``, ``parcels_per_day`` (sum), ``members`` (count),
        ``member_ids`` (``;``-joined ``demand_id``), ``spread_m`` (largest member
        distance to the cluster point). Total parcels equal the input's.
    """
    if cluster_m < 0:
        raise InputError(f"cluster_m must be >= 0 metres, got {cluster_m!r}.")
    if len(points) == 0:
        return gpd.GeoDataFrame(
            columns=[
                "cluster_id",
                "parcels_per_day",
                "members",
                "member_ids",
                "spread_m",
                "geometry",
            ],
            geometry="geometry",
            crs="EPSG:4326",
        )
    crs = points.estimate_utm_crs()
    metric = points.to_crs(crs)
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    labels = np.arange(len(points))
    if cluster_m > 0 and len(points) > 1:
        tiles = pd.Series(
            list(zip(*np.floor(xy / tile_m).astype(np.int64).T, strict=True)), index=labels
        )
        next_label = 0
        for _, idx in tiles.groupby(tiles).groups.items():
            idx = np.asarray(idx)
            if len(idx) == 1:
                labels[idx] = next_label
                next_label += 1
                continue
            model = AgglomerativeClustering(
                n_clusters=None, distance_threshold=cluster_m, linkage="complete"
            )
            sub = model.fit_predict(xy[idx])
            labels[idx] = sub + next_label
            next_label += sub.max() + 1
    w = points["parcels_per_day"].to_numpy(dtype=float)
    frame = pd.DataFrame({"label": labels, "w": w, "x": xy[:, 0] * w, "y": xy[:, 1] * w})
    grouped = frame.groupby("label", sort=True)
    sums = grouped[["w", "x", "y"]].sum()
    cx = (sums["x"] / sums["w"]).to_numpy()
    cy = (sums["y"] / sums["w"]).to_numpy()
    centre = pd.DataFrame({"cx": cx, "cy": cy}, index=sums.index).loc[labels]
    member_dist = np.hypot(xy[:, 0] - centre["cx"].to_numpy(), xy[:, 1] - centre["cy"].to_numpy())
    spread = pd.Series(member_dist).groupby(labels).max()
    ids = points["demand_id"].astype(str).groupby(labels).agg(";".join)
    out = gpd.GeoDataFrame(
        {
            "cluster_id": [f"c{i}" for i in range(len(sums))],
            "parcels_per_day": sums["w"].to_numpy(),
            "members": grouped.size().to_numpy(),
            "member_ids": ids.loc[sums.index].to_numpy(),
            "spread_m": spread.loc[sums.index].to_numpy().round(1),
        },
        geometry=gpd.points_from_xy(cx, cy),
        crs=crs,
    ).to_crs("EPSG:4326")
    log.info(
        "demand: %d points -> %d clusters (max spread %.0f m)",
        len(points),
        len(out),
        out["spread_m"].max(),
    )
    return out
