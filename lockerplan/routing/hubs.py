"""Hubs at city scale: how many hubs an area needs, and where on the drive network.

:func:`hub_count` gives the default number of hubs from the size of the area
(one per ``km2_per_hub`` of the convex hull of the demand). :func:`place_hubs`
puts that many hubs on drive-network nodes where the parcel-weighted round trip
hub -> site -> hub is least: a p-median (:func:`lockerplan.siting.solve_pmedian`)
over candidate nodes spread over the network by k-means, plus the nodes of the
sites themselves and the node nearest the centre of demand (:func:`default_hub`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..distances import GraphArrays, network_matrices, snap_points
from ..errors import InputError
from ..siting import SolverOptions, from_dense, solve_pmedian
from .vans import default_hub

log = logging.getLogger(__package__)

#: parcels/day counted for a site with fewer (an empty site is still visited)
MIN_WEIGHT = 1.0
_NAME = "hub {k}: placed on the drive network (p-median of round-trip km to the sites' parcels)"


def _whole(value, name: str, low: int = 1) -> int:
    """``value`` as an int, or :class:`InputError` naming ``name`` if not a whole number >= low.

    Examples
    --------
    >>> _whole(3, "n_hubs")
    3
    >>> _whole(1.5, "n_hubs")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: n_hubs must be a whole number >= 1, got 1.5.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InputError(f"{name} must be a whole number >= {low}, got {value!r}.")
    return int(value)


def hub_count(points: gpd.GeoDataFrame, km2_per_hub: float = 100.0, max_hubs: int = 10) -> int:
    """The default number of hubs for an area: one per ``km2_per_hub`` of its extent.

    The rule is a van's useful radius in city traffic: one hub serves about
    100 km² (a disc of radius ~5.6 km, 15-20 minutes' drive in town), beyond which
    the drive out to the first locker and back eats the shift. The area is that of
    the convex hull of ``points`` (projected to their UTM zone), divided by
    ``km2_per_hub`` and rounded, with at least 1 and at most ``max_hubs`` hubs:
    central Helsinki (1.7 km²) gets 1, a 180 km² city 2.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Demand points or sites (EPSG:4326, or any CRS that is set).
    km2_per_hub : float, default 100
        Area one hub serves, km² (> 0).
    max_hubs : int, default 10
        Upper bound on the count (whole number >= 1).

    Returns
    -------
    int
        Number of hubs, ``1 <= n <= max_hubs``.

    Raises
    ------
    InputError
        If ``points`` has no CRS or a parameter is out of range.

    Examples
    --------
    >>> x, y = [385e3, 395e3, 395e3, 385e3], [6670e3, 6670e3, 6680e3, 6680e3]
    >>> square = gpd.GeoDataFrame(  # a 10 x 10 km square in UTM zone 35N (Helsinki)
    ...     geometry=gpd.points_from_xy(x, y), crs="EPSG:32635"
    ... ).to_crs("EPSG:4326")
    >>> hub_count(square), hub_count(square, km2_per_hub=40), hub_count(square, km2_per_hub=1)
    (1, 2, 10)
    """
    if not (isinstance(km2_per_hub, int | float | np.number) and km2_per_hub > 0):
        raise InputError(f"km2_per_hub must be a number > 0 (km² per hub), got {km2_per_hub!r}.")
    max_hubs = _whole(max_hubs, "max_hubs")
    if points.crs is None:
        raise InputError("hub_count: the points have no CRS; set one (e.g. EPSG:4326).")
    if len(points) == 0:
        return 1
    metric = points.to_crs(points.estimate_utm_crs())
    km2 = shapely.convex_hull(shapely.union_all(metric.geometry.to_numpy())).area / 1e6
    return int(min(max_hubs, max(1, math.floor(km2 / km2_per_hub + 0.5))))


def _check_sites(sites: gpd.GeoDataFrame) -> np.ndarray:
    """The sites' ``parcels_per_day`` as floats; :class:`InputError` if missing or bad."""
    if not isinstance(sites, gpd.GeoDataFrame) or "parcels_per_day" not in sites:
        raise InputError("sites must be a GeoDataFrame with a 'parcels_per_day' column.")
    if len(sites) == 0:
        raise InputError("sites is empty; place_hubs needs at least one site.")
    if sites.crs is None:
        raise InputError("sites have no CRS; set one (e.g. sites.set_crs('EPSG:4326')).")
    parcels = pd.to_numeric(sites["parcels_per_day"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(parcels) | (parcels < 0)
    if bad.any():
        row = sites.index[np.flatnonzero(bad)[0]]
        raise InputError(
            f"sites.parcels_per_day must be a number >= 0; row {row} has "
            f"{sites.loc[row, 'parcels_per_day']!r}."
        )
    return parcels


def _kmeans_nodes(arrays: GraphArrays, n_candidates: int, seed: int) -> np.ndarray:
    """Drive-node indices nearest the k-means centres of the drive nodes' coordinates."""
    from sklearn.cluster import KMeans  # here: importing routing need not load scikit-learn

    k = min(n_candidates, len(arrays.xy))
    centres = KMeans(n_clusters=k, random_state=seed, n_init=1).fit(arrays.xy).cluster_centers_
    return cKDTree(arrays.xy).query(centres)[1].astype(np.int64)


@dataclass
class _Matrix:
    """Candidate hub nodes x sites: round-trip km (``inf`` where a trip is impossible)."""

    #: drive-node index of each candidate (row)
    nodes: np.ndarray
    #: round-trip km, candidates x sites
    km: np.ndarray


def _round_trips(arrays: GraphArrays, site_nodes: np.ndarray, extra: np.ndarray) -> _Matrix:
    """Round-trip km from every candidate (the site nodes and ``extra``) to every site."""
    cand = np.unique(np.concatenate([site_nodes, extra]))
    dist, _, _ = network_matrices(arrays, cand, predecessors=False)
    col = np.searchsorted(cand, site_nodes)
    out, back = dist[:, col], dist[col, :].T
    ok = (out >= 0) & (back >= 0)
    km = np.where(ok, (out + back) / 1000.0, np.inf)
    return _Matrix(cand, km)


def _centre_node(arrays: GraphArrays, sites: gpd.GeoDataFrame) -> int:
    """Drive-node index of :func:`default_hub` (nearest the parcel-weighted centre)."""
    xy = shapely.get_coordinates(default_hub(arrays, sites).to_crs(arrays.crs).geometry)
    return int(cKDTree(arrays.xy).query(xy[0])[1])


def _reachable(m: _Matrix, w: np.ndarray) -> tuple[_Matrix, np.ndarray]:
    """Drop (and log) the sites that no candidate can reach and come back from."""
    ok = np.isfinite(m.km).any(axis=0)
    if ok.all():
        return m, w
    if not ok.any():
        raise InputError("sites: no drive node can reach any site and come back.")
    log.warning(
        "place_hubs: %d site(s) cannot be reached and left by road; they do not count",
        (~ok).sum(),
    )
    return _Matrix(m.nodes, m.km[:, ok]), w[ok]


def _cost(km: np.ndarray, w: np.ndarray, chosen: list[int]) -> float:
    """Weighted round-trip km with the hubs ``chosen`` (rows); ``inf`` if a site is unserved."""
    return float(w @ km[chosen].min(axis=0)) if chosen else np.inf


def _greedy(km: np.ndarray, w: np.ndarray, n_hubs: int, start: list[int]) -> list[int]:
    """Add hubs to ``start`` one at a time, each the one cutting the weighted km most.

    Sites no hub reaches count as twice the longest possible round trip, so that the
    first hubs go where they reach the most parcels.

    Examples
    --------
    >>> km = np.array([[0.0, 4.0, 8.0], [4.0, 0.0, 4.0], [8.0, 4.0, 0.0]])
    >>> _greedy(km, np.ones(3), 1, []), _greedy(km, np.ones(3), 2, [1])
    ([1], [1, 0])
    """
    finite = km[np.isfinite(km)]
    penalty = 2.0 * (finite.max() if finite.size else 1.0) + 1.0
    capped = np.where(np.isfinite(km), km, penalty)
    chosen = list(start)
    best = capped[chosen].min(axis=0) if chosen else np.full(km.shape[1], penalty)
    while len(chosen) < min(n_hubs, len(km)):
        gain = (w * np.maximum(best - capped, 0.0)).sum(axis=1)
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        best = np.minimum(best, capped[j])
    return chosen


def _solve(m: _Matrix, w: np.ndarray, n_hubs: int, options: SolverOptions) -> tuple[list, str]:
    """Rows of the hubs to open (p-median, greedy if it fails) and the solve status."""
    res = solve_pmedian(from_dense(m.km), w, n_hubs, options=options)
    if res.status not in ("optimal", "feasible"):
        log.warning(
            "place_hubs: the p-median is %s (%s); hubs placed greedily instead",
            res.status,
            res.message,
        )
        return _greedy(m.km, w, n_hubs, []), "greedy"
    chosen = [int(j) for j in res.open_sites]
    if len(chosen) < n_hubs:
        log.info("place_hubs: the p-median opened %d hubs; adding the best others", len(chosen))
        chosen = _greedy(m.km, w, n_hubs, chosen)
    return chosen, res.status


def _hub_frame(
    arrays: GraphArrays, nodes: np.ndarray, served: np.ndarray, objective_km: float
) -> gpd.GeoDataFrame:
    """The hubs as points (EPSG:4326), the busiest first (ties: by OSM node id)."""
    ids = arrays.node_ids[nodes]
    order = np.lexsort((ids, -served))
    nodes, ids = nodes[order], ids[order]
    points = gpd.GeoSeries(gpd.points_from_xy(*arrays.xy[nodes].T), crs=arrays.crs)
    n = len(nodes)
    hubs = gpd.GeoDataFrame(
        {
            "hub_id": [f"hub{k}" for k in range(1, n + 1)],
            "name": [_NAME.format(k=k) for k in range(1, n + 1)],
            "node": ids,
        },
        geometry=points.to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )
    hubs.attrs["objective_km"] = float(objective_km)
    return hubs


def _site_nodes(arrays: GraphArrays, sites: gpd.GeoDataFrame, w: np.ndarray) -> tuple:
    """Drive-node index and weight of the sites on the network (others logged, left out)."""
    snap = snap_points(arrays, sites.geometry)
    on = snap["snapped"].to_numpy()
    if not on.any():
        raise InputError("sites: none is within reach of the drive network; check their CRS.")
    if not on.all():
        log.warning(
            "place_hubs: %d site(s) are off the drive network and do not count", (~on).sum()
        )
    return snap["node_index"].to_numpy()[on].astype(np.int64), w[on]


def place_hubs(
    arrays: GraphArrays,
    sites: gpd.GeoDataFrame,
    n_hubs: int,
    *,
    n_candidates: int = 150,
    seed: int = 0,
    options: SolverOptions | None = None,
) -> gpd.GeoDataFrame:
    """Place ``n_hubs`` hubs on the drive network where replenishing the sites costs least.

    A p-median over candidate hub nodes: each site is served by its nearest hub, at
    the cost of the round trip hub -> site -> hub (road km) times its parcels per day
    (at least :data:`MIN_WEIGHT`, so empty sites, still visited, count too). The
    candidates are the drive nodes nearest ``n_candidates`` k-means centres of the
    network's nodes, the sites' own nodes and the node nearest the centre of demand
    (:func:`default_hub`), so one placed hub is never worse than that default. A
    candidate that cannot reach a site and come back gets no pair to it.

    With ``n_hubs`` at least the number of distinct site nodes, a hub is placed at
    each of them (fewer than asked); if the p-median fails, the hubs are placed
    greedily. Both are logged.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    sites : geopandas.GeoDataFrame
        Open sites with ``parcels_per_day`` (any CRS that is set). Sites more than
        250 m from the network are left out (routing cannot serve them either).
    n_hubs : int
        Hubs to place (whole number >= 1).
    n_candidates : int, default 150
        k-means candidate nodes spread over the network (whole number >= 1).
    seed : int, default 0
        k-means seed; the same seed gives the same hubs.
    options : SolverOptions, optional
        p-median solver; default HiGHS through ``highspy``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with ``hub_id`` (``hub1``, ... the busiest first), ``name``
        and ``node`` (OSM node id); ``attrs["objective_km"]`` is the parcel-weighted
        round-trip km per day, ``attrs["status"]`` the solve status.

    Raises
    ------
    InputError
        If ``n_hubs`` or ``n_candidates`` is not a whole number >= 1, or the sites
        have no valid ``parcels_per_day``.

    Examples
    --------
    >>> hubs = place_hubs(drive_arrays, sites, hub_count(sites))  # doctest: +SKIP
    >>> hubs[["hub_id", "node"]], hubs.attrs["objective_km"]  # doctest: +SKIP
    """
    n_hubs = _whole(n_hubs, "n_hubs")
    n_candidates = _whole(n_candidates, "n_candidates")
    parcels = _check_sites(sites)
    options = options or SolverOptions(solver="highs", via="highspy")
    site_nodes, w = _site_nodes(arrays, sites, np.maximum(parcels, MIN_WEIGHT))
    if n_hubs >= len(np.unique(site_nodes)):
        log.warning(
            "place_hubs: %d hubs for %d site node(s); one hub at each site instead",
            n_hubs,
            len(np.unique(site_nodes)),
        )
        return _at_sites(arrays, site_nodes, w)
    extra = np.r_[_kmeans_nodes(arrays, n_candidates, seed), _centre_node(arrays, sites)]
    m, w = _reachable(_round_trips(arrays, site_nodes, extra), w)
    chosen, status = _solve(m, w, n_hubs, options)
    near = np.asarray(chosen)[np.argmin(m.km[chosen], axis=0)]
    served = np.array([w[near == j].sum() for j in chosen])
    hubs = _hub_frame(arrays, m.nodes[chosen], served, _cost(m.km, w, chosen))
    hubs.attrs["status"] = status
    log.info(
        "place_hubs: %d hubs from %d candidates, %.1f parcel-km/day (%s)",
        n_hubs,
        len(m.nodes),
        hubs.attrs["objective_km"],
        status,
    )
    return hubs


def _at_sites(arrays: GraphArrays, site_nodes: np.ndarray, w: np.ndarray) -> gpd.GeoDataFrame:
    """One hub at each distinct site node (every round trip is 0 km)."""
    nodes, inverse = np.unique(site_nodes, return_inverse=True)
    served = np.bincount(inverse, weights=w, minlength=len(nodes))
    hubs = _hub_frame(arrays, nodes, served, 0.0)
    hubs.attrs["status"] = "one hub per site"
    return hubs
