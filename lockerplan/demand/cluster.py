"""Clustering demand points within a walking-error budget (scikit-learn)."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
from sklearn.cluster import AgglomerativeClustering

from ..errors import InputError
from .core import (
    CLUSTER_COLUMNS,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- clustering


def _tiles(xy: np.ndarray, tile_m: float, max_points: int, cluster_m: float) -> list[np.ndarray]:
    """Split points into square tiles, quartering any tile with too many points.

    A tile whose diagonal is at most ``cluster_m`` is returned whole even when
    large: all its points may form one cluster.
    """
    origin = xy.min(axis=0)
    keys = np.floor((xy - origin) / tile_m).astype(np.int64)
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    k = keys[order]
    breaks = np.flatnonzero(np.any(np.diff(k, axis=0) != 0, axis=1)) + 1
    stack = [(idx, origin + keys[idx[0]] * tile_m, tile_m) for idx in np.split(order, breaks)]
    out: list[np.ndarray] = []
    while stack:
        idx, corner, size = stack.pop()
        if len(idx) <= max_points or size * np.sqrt(2) <= cluster_m:
            out.append(idx)
            continue
        half = size / 2
        q = (xy[idx] >= corner + half).astype(np.int64)
        code = q[:, 0] * 2 + q[:, 1]
        for c in range(4):
            sub = idx[code == c]
            if len(sub):
                stack.append((sub, corner + half * np.array([c // 2, c % 2]), half))
    return out


def cluster_labels(
    xy: np.ndarray,
    cluster_m: float = 50.0,
    *,
    tile_m: float = 1000.0,
    max_tile_points: int = 1500,
) -> np.ndarray:
    """Cluster labels for metric coordinates; no cluster wider than ``cluster_m``.

    Complete-linkage agglomerative clustering (scikit-learn) per tile (see
    :func:`cluster_demand`). Points at the same spot (within 1 cm) are merged
    first, so repeated addresses cost nothing.

    Parameters
    ----------
    xy : numpy.ndarray, shape (n, 2)
        Projected coordinates in metres.
    cluster_m : float, default 50
        Largest distance between two members of a cluster; 0 gives one label per
        point.
    tile_m, max_tile_points
        Initial tile side (m) and the most points a tile may hold before it is
        quartered.

    Returns
    -------
    numpy.ndarray of int
        Labels ``0..k-1``.

    Examples
    --------
    >>> cluster_labels(np.array([[0.0, 0.0], [10.0, 0.0], [500.0, 0.0]])).tolist()
    [0, 0, 1]
    """
    n = len(xy)
    if cluster_m <= 0 or n <= 1:
        return np.arange(n)
    uniq, inverse = np.unique(np.round(xy, 2), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    labels = np.empty(len(uniq), dtype=np.int64)
    next_label = 0
    for idx in _tiles(uniq, tile_m, max_tile_points, cluster_m):
        if len(idx) == 1:
            labels[idx] = next_label
            next_label += 1
            continue
        ext = np.ptp(uniq[idx], axis=0)
        if np.hypot(*ext) <= cluster_m:
            sub = np.zeros(len(idx), dtype=np.int64)
        else:
            model = AgglomerativeClustering(
                n_clusters=None, distance_threshold=cluster_m, linkage="complete"
            )
            sub = model.fit_predict(uniq[idx])
        labels[idx] = sub + next_label
        next_label += int(sub.max()) + 1
    # Renumber in order of first appearance for stable ids.
    full = labels[inverse]
    _, first, renum = np.unique(full, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[renum.ravel()]


def cluster_demand(
    points: gpd.GeoDataFrame,
    cluster_m: float = 50.0,
    tile_m: float = 1000.0,
    *,
    max_tile_points: int = 1500,
) -> gpd.GeoDataFrame:
    """Aggregate demand points into clusters no wider than ``cluster_m``.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Demand points with ``demand_id`` and ``parcels_per_day`` (any source).
    cluster_m : float, default 50
        Walking-error budget: the largest distance between two members of a cluster,
        metres; so no member is farther than this from its cluster point. ``0`` turns
        clustering off (one cluster per point).
    tile_m : float, default 1000
        Side of the initial square tiles clustered independently (bounds memory).
    max_tile_points : int, default 1500
        Tiles holding more points are quartered until they hold at most this many
        (or are narrower than ``cluster_m``), keeping 100,000 points fast.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per cluster (EPSG:4326) at the parcel-weighted centroid of its
        members: ``cluster_id``, ``parcels_per_day`` (sum), ``members`` (count),
        ``member_ids`` (``;``-joined ``demand_id``), ``spread_m`` (largest member
        distance to the cluster point) and ``mean_m`` (parcel-weighted mean member
        distance); with points that carry ``addresses``, the clusters' summed
        ``addresses`` and their ``area_m2``. Total parcels and members equal the
        input's; :func:`aggregation_error` summarises the error.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(
    ...     {"demand_id": ["a", "b", "c"], "parcels_per_day": [1.0, 3.0, 2.0]},
    ...     geometry=gpd.points_from_xy([24.9400, 24.9401, 24.9500], [60.17, 60.17, 60.17]),
    ...     crs="EPSG:4326",
    ... )
    >>> clusters = cluster_demand(pts)
    >>> clusters[["parcels_per_day", "members", "member_ids"]].values.tolist()
    [[4.0, 2, 'a;b'], [2.0, 1, 'c']]
    """
    if isinstance(cluster_m, bool) or not isinstance(cluster_m, int | float) or not cluster_m >= 0:
        raise InputError(f"cluster_m must be a number >= 0 metres, got {cluster_m!r}.")
    if not tile_m > cluster_m:
        raise InputError(f"tile_m must be larger than cluster_m ({cluster_m}), got {tile_m!r}.")
    for col in ("demand_id", "parcels_per_day"):
        if col not in points.columns:
            raise InputError(f"demand points lack the {col!r} column.")
    if len(points) == 0:
        return gpd.GeoDataFrame(columns=CLUSTER_COLUMNS, geometry="geometry", crs="EPSG:4326")
    bad = (points.geometry.isna() | points.geometry.is_empty).to_numpy()
    if bad.any():
        raise InputError(
            "demand points without geometry: demand_id "
            f"{', '.join(points['demand_id'].astype(str)[bad][:5])}; drop them first."
        )
    crs = points.estimate_utm_crs()
    metric = points.to_crs(crs)
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    labels = cluster_labels(xy, cluster_m, tile_m=tile_m, max_tile_points=max_tile_points)
    k = int(labels.max()) + 1
    w = points["parcels_per_day"].to_numpy(dtype=float)
    sw = np.bincount(labels, weights=w, minlength=k)
    cnt = np.bincount(labels, minlength=k)
    wx = np.bincount(labels, weights=w * xy[:, 0], minlength=k)
    wy = np.bincount(labels, weights=w * xy[:, 1], minlength=k)
    mx = np.bincount(labels, weights=xy[:, 0], minlength=k) / cnt
    my = np.bincount(labels, weights=xy[:, 1], minlength=k) / cnt
    pos = sw > 0
    cx = np.where(pos, wx / np.where(pos, sw, 1), mx)
    cy = np.where(pos, wy / np.where(pos, sw, 1), my)
    dist = np.hypot(xy[:, 0] - cx[labels], xy[:, 1] - cy[labels])
    spread = np.zeros(k)
    np.maximum.at(spread, labels, dist)
    wd = np.bincount(labels, weights=w * dist, minlength=k)
    mean = np.where(pos, wd / np.where(pos, sw, 1), 0.0)
    order = np.argsort(labels, kind="stable")
    ids = points["demand_id"].astype(str).to_numpy()[order]
    member_ids = [";".join(chunk) for chunk in np.split(ids, np.cumsum(cnt)[:-1])]
    out = gpd.GeoDataFrame(
        {
            "cluster_id": [f"c{i}" for i in range(k)],
            "parcels_per_day": sw,
            "members": cnt,
            "member_ids": member_ids,
            "spread_m": spread.round(1),
            "mean_m": mean.round(1),
            **_addresses(points, labels, k, spread),
        },
        geometry=gpd.points_from_xy(cx, cy),
        crs=crs,
    ).to_crs("EPSG:4326")
    err = aggregation_error(out)
    log.info(
        "demand: %d points -> %d clusters (parcel-weighted mean error %.1f m, max %.1f m)",
        len(points),
        k,
        err["mean_m"],
        err["max_m"],
    )
    return out


def _addresses(
    points: gpd.GeoDataFrame, labels: np.ndarray, k: int, spread: np.ndarray
) -> dict[str, np.ndarray]:
    """Each cluster's delivery ``addresses`` (summed) and ``area_m2``: its members'
    own areas plus the circle of its spread (:mod:`lockerplan.demand.addresses`)."""
    if "addresses" not in points:
        return {}
    own = points["area_m2"].to_numpy(dtype=float) if "area_m2" in points else 0.0
    area = np.bincount(labels, weights=np.ones(len(points)) * own, minlength=k)
    return {
        "addresses": np.bincount(
            labels, weights=points["addresses"].to_numpy(dtype=float), minlength=k
        ).round(3),
        "area_m2": (area + np.pi * np.square(spread)).round(1),
    }


def aggregation_error(clusters: gpd.GeoDataFrame) -> dict[str, float]:
    """The error made by replacing demand points with their cluster points.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        Output of :func:`cluster_demand`.

    Returns
    -------
    dict
        ``mean_m``: parcel-weighted mean distance from a member to its cluster point;
        ``max_m``: the largest such distance; ``points``, ``clusters``, ``parcels``.

    Examples
    --------
    >>> aggregation_error(cluster_demand(read_demand_file("orders.csv").points))  # doctest: +SKIP
    {'mean_m': 7.9, 'max_m': 38.2, 'points': 1000, 'clusters': 412, 'parcels': 1000.0}
    """
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    total = float(w.sum())
    mean = float((w * clusters["mean_m"].to_numpy(dtype=float)).sum() / total) if total else 0.0
    return {
        "mean_m": round(mean, 2),
        "max_m": float(clusters["spread_m"].max()) if len(clusters) else 0.0,
        "points": int(clusters["members"].sum()),
        "clusters": len(clusters),
        "parcels": total,
    }
