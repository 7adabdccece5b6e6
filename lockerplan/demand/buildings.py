"""Demand from OSM building footprints (see :mod:`lockerplan.demand`)."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from .core import (
    DemandModel,
    DemandResult,
    StudyArea,
    drop_rows,
    empty_points,
    finish,
    study_area_geometry,
)

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
#: Untyped or mixed building types; their residential share is
#: :attr:`DemandModel.mixed_residential_share`.
MIXED_TYPES = frozenset({"yes", "mixed_use"})
#: Building types that never receive parcels (no floor area of use).
IGNORED_TYPES = frozenset(
    {"roof", "shed", "garage", "garages", "carport", "hut", "kiosk", "ruins", "construction"}
)
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


# --------------------------------------------------------------------------- buildings


def _levels(buildings: pd.DataFrame) -> np.ndarray:
    tagged = pd.to_numeric(buildings["building:levels"], errors="coerce")
    height = pd.to_numeric(
        buildings["height"].astype(str).str.extract(r"(\d+\.?\d*)")[0], errors="coerce"
    )
    from_height = (height / STOREY_HEIGHT_M).round().clip(lower=1)
    default = buildings["building"].map(DEFAULT_LEVELS).fillna(1.0)
    levels = tagged.where(tagged > 0).fillna(from_height).fillna(default)
    return levels.to_numpy(dtype=float)


def building_demand(
    buildings: gpd.GeoDataFrame,
    model: DemandModel | None = None,
    *,
    area: StudyArea | None = None,
) -> DemandResult:
    """Parcels per day for each building, with a report of what was dropped.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints with ``osm_id``, ``building``, ``building:levels`` and ``height``
        (as returned by :func:`lockerplan.osm.read_buildings`).
    model : DemandModel, optional
        Demand parameters; defaults documented in :mod:`lockerplan.demand`.
    area : study area, optional
        Buildings whose point falls outside are dropped with the reason
        ``"outside study area"`` (see :func:`study_area_geometry`).

    Returns
    -------
    DemandResult
        Points with ``building``, ``levels``, ``floor_area_m2``, ``dwellings`` and
        ``parcels_per_day``. Buildings without residential use (and without a
        non-residential rate) carry no demand and are not listed as drops; footprints
        without usable geometry are dropped as ``"invalid: ..."``.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path, read_buildings
    >>> result = building_demand(read_buildings(default_osm_path()))
    >>> len(result.dropped)
    0
    """
    model = (model or DemandModel()).for_country()
    source = "osm_building"
    missing = [c for c in ("osm_id", "building", "geometry") if c not in buildings.columns]
    if missing:
        raise InputError(
            f"buildings lack column(s) {', '.join(missing)}; read them with "
            "lockerplan.osm.read_buildings()."
        )
    b = buildings.copy()
    for col in ("building:levels", "height"):
        if col not in b:
            b[col] = None
    if b.crs is None:
        b = b.set_crs("EPSG:4326")
    b = b.to_crs("EPSG:4326")
    drops: list[pd.DataFrame] = []
    geom_ok = (
        b.geometry.notna()
        & ~b.geometry.is_empty
        & b.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    ).to_numpy()
    drops.append(
        drop_rows(
            b.loc[~geom_ok, "osm_id"],
            source,
            [np.nan] * (~geom_ok).sum(),
            "invalid: building without polygon footprint",
        )
    )
    b = b[geom_ok]
    kind = b["building"].fillna("yes").astype(str).str.lower()
    res_share = np.where(
        kind.isin(RESIDENTIAL_TYPES),
        1.0,
        np.where(kind.isin(MIXED_TYPES), model.mixed_residential_share, 0.0),
    )
    use = ~kind.isin(IGNORED_TYPES).to_numpy()
    b = b.assign(building=kind.to_numpy())
    if len(b) == 0:
        return finish(empty_points(), drops, source, None)
    metric = b.to_crs(b.estimate_utm_crs())
    levels = _levels(b)
    floor_area = metric.geometry.area.to_numpy() * levels
    dwellings = floor_area * res_share / model.floor_area_per_dwelling_m2
    business = (
        floor_area
        * (1.0 - res_share)
        * use
        * model.non_residential_parcels_per_100m2_per_day
        / 100.0
    )
    parcels = (
        (dwellings * model.parcels_per_dwelling_per_day + business)
        * model.peak_factor
        * model.calibration
    )
    keep = parcels > 0
    points = metric.geometry.representative_point().to_crs("EPSG:4326")
    out = gpd.GeoDataFrame(
        {
            "demand_id": "",
            "source": source,
            "source_id": b["osm_id"].astype(str).to_numpy(),
            "parcels_per_day": parcels,
            "building": b["building"].to_numpy(),
            "levels": levels,
            "floor_area_m2": floor_area.round(1),
            "dwellings": dwellings.round(2),
        },
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )[keep]
    return finish(out, drops, source, study_area_geometry(area))


def demand_from_buildings(
    buildings: gpd.GeoDataFrame, model: DemandModel | None = None
) -> gpd.GeoDataFrame:
    """Parcels per day for each residential or mixed-use building (points only).

    The points of :func:`building_demand`; use that function to also get the
    dropped rows and to clip to a study area.

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
        (``"osm_building"``), ``source_id`` (OSM id), ``parcels_per_day``,
        ``building``, ``levels``, ``floor_area_m2``, ``dwellings``.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path, read_buildings
    >>> points = demand_from_buildings(read_buildings(default_osm_path()))
    >>> bool((points["parcels_per_day"] > 0).all())
    True
    """
    return building_demand(buildings, model).points
