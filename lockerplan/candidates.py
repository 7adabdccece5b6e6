"""Candidate sites: OSM places that can host a cabinet or a pickup point, plus user sites.

Site kinds
----------
``pickup_point``
    A staffed counter: shops (supermarkets, convenience stores, kiosks...) and post
    offices.
``cabinet``
    An automated locker: transit stops and stations, parking, fuel stations, and
    existing parcel lockers (flagged ``existing=True``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .errors import InputError
from .inputs import read_points

log = logging.getLogger(__name__)

SITE_KINDS = ("cabinet", "pickup_point")
CANDIDATE_COLUMNS = ["candidate_id", "name", "kind", "category", "source", "source_id", "existing"]


def is_parcel_locker(pois: pd.DataFrame) -> np.ndarray:
    """Which OSM places are parcel lockers (``amenity=parcel_locker`` or a parcel
    vending machine): the places :func:`candidates_from_pois` flags ``existing``.

    Examples
    --------
    >>> is_parcel_locker(pd.DataFrame({"amenity": ["parcel_locker", "vending_machine",
    ...     "vending_machine", "fuel"], "vending": [None, "parcel_pickup", "drinks", None]})).tolist()
    [True, True, False, False]
    """
    if len(pois) == 0 or "amenity" not in pois:
        return np.zeros(len(pois), dtype=bool)
    amenity = pois["amenity"]
    vending = pois["vending"] if "vending" in pois else pd.Series("", index=pois.index)
    parcel = amenity.eq("vending_machine") & vending.fillna("").astype(str).str.contains("parcel")
    return (amenity.eq("parcel_locker") | parcel).to_numpy()


def _category(row: pd.Series) -> tuple[str, str]:
    """(kind, category) of an OSM place from its tags."""
    amenity, vending = row.get("amenity"), str(row.get("vending") or "")
    if amenity == "parcel_locker" or (amenity == "vending_machine" and "parcel" in vending):
        return "cabinet", "parcel_locker"
    if amenity == "post_office":
        return "pickup_point", "post_office"
    if isinstance(row.get("shop"), str) and row.get("shop"):
        return "pickup_point", f"shop={row['shop']}"
    if amenity in ("fuel", "parking"):
        return "cabinet", amenity
    for key in ("railway", "public_transport", "highway"):
        value = row.get(key)
        if isinstance(value, str) and value:
            return "cabinet", "transit_stop"
    return "cabinet", "other"


def candidates_from_pois(pois: gpd.GeoDataFrame, dedupe_m: float = 15.0) -> gpd.GeoDataFrame:
    """Candidate sites from OSM points of interest.

    Places of the same kind within ``dedupe_m`` of each other (a bus stop tagged both
    as ``highway=bus_stop`` and ``public_transport=platform``, say) are merged into
    the first one.

    Parameters
    ----------
    pois : geopandas.GeoDataFrame
        As returned by :func:`lockerplan.osm.read_pois`.
    dedupe_m : float, default 15
        Merge distance for duplicates, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with :data:`CANDIDATE_COLUMNS`; ``source_id`` is
        ``"node/123"`` / ``"way/456"``.
    """
    if len(pois) == 0:
        return gpd.GeoDataFrame(
            columns=[*CANDIDATE_COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326"
        )
    kinds = pois.apply(_category, axis=1, result_type="expand")
    metric = pois.to_crs(pois.estimate_utm_crs())
    points = metric.geometry.representative_point()
    frame = gpd.GeoDataFrame(
        {
            "name": pois["name"].fillna("").astype(str).to_numpy(),
            "kind": kinds[0].to_numpy(),
            "category": kinds[1].to_numpy(),
            "source": "osm",
            "source_id": (
                pois["osm_type"].fillna("node").astype(str) + "/" + pois["osm_id"].astype(str)
            ).to_numpy(),
            "existing": (kinds[1] == "parcel_locker").to_numpy(),
        },
        geometry=points.to_numpy(),
        crs=metric.crs,
    )
    # existing lockers first so that they survive de-duplication
    frame = frame.sort_values("existing", ascending=False, kind="stable").reset_index(drop=True)
    keep = np.ones(len(frame), dtype=bool)
    for kind in SITE_KINDS:
        idx = np.flatnonzero(frame["kind"].to_numpy() == kind)
        if len(idx) < 2:
            continue
        xy = np.column_stack([frame.geometry.x.to_numpy()[idx], frame.geometry.y.to_numpy()[idx]])
        for a, b in sorted(cKDTree(xy).query_pairs(dedupe_m)):
            if keep[idx[a]]:
                keep[idx[b]] = False
    frame = frame[keep].reset_index(drop=True).to_crs("EPSG:4326")
    frame.insert(0, "candidate_id", [f"osm{i}" for i in range(len(frame))])
    log.info("candidates: %d OSM places -> %d candidate sites", len(pois), len(frame))
    return frame


def read_candidates(path: str | Path) -> gpd.GeoDataFrame:
    """Read the user's own candidate sites.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``lon``/``lat`` (WGS84) or a GeoJSON/GeoPackage of points, with
        optional ``name``, ``kind`` (``cabinet`` or ``pickup_point``, default
        ``cabinet``) and ``capacity`` (parcels/day) columns.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`CANDIDATE_COLUMNS` (``source="user"``, ``source_id`` = input row) plus
        ``capacity`` when given.
    """
    gdf = read_points(path, "--candidates")
    kind = (
        gdf["kind"].fillna("cabinet").astype(str).str.strip()
        if "kind" in gdf
        else pd.Series("cabinet", index=gdf.index)
    )
    bad = ~kind.isin(SITE_KINDS)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"--candidates: {str(path)!r} row {first + 1} has kind {kind.iloc[first]!r}; "
            f"use one of {', '.join(SITE_KINDS)}."
        )
    out = gpd.GeoDataFrame(
        {
            "candidate_id": [f"user{i}" for i in gdf["input_row"]],
            "name": gdf["name"].fillna("").astype(str) if "name" in gdf else "",
            "kind": kind,
            "category": "user",
            "source": "user",
            "source_id": gdf["input_row"].astype(str),
            "existing": False,
        },
        geometry=gdf.geometry,
        crs="EPSG:4326",
    )
    if "capacity" in gdf:
        cap = pd.to_numeric(gdf["capacity"], errors="coerce")
        bad = cap.notna() & (cap <= 0)
        if bad.any() or (gdf["capacity"].notna() & cap.isna()).any():
            raise InputError(
                f"--candidates: {str(path)!r} has a non-numeric or non-positive capacity in row "
                f"{int(np.flatnonzero(bad | (gdf['capacity'].notna() & cap.isna()))[0]) + 1}; "
                "give parcels/day > 0 or leave it empty."
            )
        out["capacity"] = cap
    return out
