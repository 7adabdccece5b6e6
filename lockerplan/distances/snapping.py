"""Snapping points to the street network, and joining snapped points to it.

A point is snapped to the nearest street (edge); its walk to each end of that
street is the straight *access* distance plus the distance along the street
(:func:`snap_points`). :func:`with_sources` adds one virtual node per snapped point,
linked to its street's ends, so a shortest-path run from those nodes measures
what a customer really walks; :func:`same_edge` finds pairs of points on one
street, who walk straight along it.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from .. import settings
from ..errors import InputError
from .graph_arrays import GraphArrays

log = logging.getLogger(__name__)


def _snap_segments(arrays: GraphArrays) -> tuple[shapely.STRtree, np.ndarray, dict]:
    """STRtree over the street pieces, one direction per two-way street; with the pieces.

    Built per call (0.4 s on Greater Porto's walk network), not kept: kept, the trees
    of the walk and drive networks held about 250 MB through a metro plan.
    """
    seg = arrays.segments()
    eu, ev, el = arrays.edge_u, arrays.edge_v, arrays.edge_length
    key = pd.DataFrame({"a": np.minimum(eu, ev), "b": np.maximum(eu, ev), "l": np.round(el, 1)})
    keep_edge = ~key.duplicated().to_numpy()
    segs = np.flatnonzero(keep_edge[seg["edge"]])
    lines = shapely.linestrings(np.stack([seg["a"][segs], seg["b"][segs]], axis=1))
    return shapely.STRtree(lines), segs, seg


def snap_points(
    arrays: GraphArrays,
    points: gpd.GeoSeries,
    max_snap_m: float = settings.MAX_SNAP_M,
    *,
    to: str = "edge",
) -> pd.DataFrame:
    """Snap points to the nearest street (edge) or network node.

    With ``to="edge"`` (the default) a point is projected onto the nearest street
    segment; its walk to each end node of that street is the straight *access*
    distance plus the distance along the street, and both ends are used by the
    distance functions. ``node``/``node_index``/``snap_m`` give the nearer end, so
    callers that use one node (routing) stay correct, if slightly conservative.
    With ``to="node"`` the nearest node is used, at the straight-line distance.

    Parameters
    ----------
    arrays : GraphArrays
        The network.
    points : geopandas.GeoSeries
        Points in any CRS (they are projected to ``arrays.crs``).
    max_snap_m : float, default 250
        Points farther than this from every street are flagged ``snapped=False``; they
        are reported by the caller, never silently moved.
    to : {"edge", "node"}
        Snap target.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``node`` (OSM node id), ``node_index`` (matrix index),
        ``snap_m`` (walk from the point to that node, metres), ``snapped`` (bool),
        ``access_m`` (straight distance to the street), ``edge`` (edge index, -1 when
        snapped to a node), ``offset_m`` (position along the edge), ``u_index``,
        ``u_m``, ``v_index``, ``v_m`` (the edge's end nodes and the walk to each).

    Raises
    ------
    InputError
        If ``max_snap_m`` is not a number >= 0 or ``to`` is unknown.

    Examples
    --------
    >>> snap = snap_points(arrays, demand.geometry, max_snap_m=250)  # doctest: +SKIP
    >>> snap.loc[~snap["snapped"]].index.tolist()  # the ids to report  # doctest: +SKIP
    []
    """
    if not (isinstance(max_snap_m, int | float | np.number) and max_snap_m >= 0):
        raise InputError(f"max_snap_m must be a number >= 0 metres, got {max_snap_m!r}.")
    if to not in ("edge", "node"):
        raise InputError(f"snap_points: to must be 'edge' or 'node', got {to!r}.")
    if points.crs is None:
        raise InputError(
            "snap_points: the points have no CRS; set one (e.g. points.set_crs('EPSG:4326'))."
        )
    projected = points.to_crs(arrays.crs)
    geoms = projected.to_numpy()
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    xy = np.full((len(geoms), 2), np.nan)
    if valid.any():
        xy[valid] = shapely.get_coordinates(shapely.centroid(geoms[valid]))
    n = len(xy)
    dist = np.full(n, np.inf)
    idx = np.zeros(n, dtype=np.int64)
    if valid.any():
        d, i = cKDTree(arrays.xy).query(xy[valid])
        dist[valid], idx[valid] = d, i
    out = {
        "node_index": idx,
        "snap_m": dist,
        "access_m": dist.copy(),
        "edge": np.full(n, -1, dtype=np.int64),
        "offset_m": np.zeros(n),
        "u_index": idx.copy(),
        "u_m": dist.copy(),
        "v_index": idx.copy(),
        "v_m": dist.copy(),
    }
    if to == "edge" and arrays.has_edges and valid.any():
        tree, segs, seg = _snap_segments(arrays)
        pts = shapely.points(xy[valid])
        p_i, t_i = tree.query_nearest(pts, max_distance=max_snap_m, all_matches=False)
        rows = np.flatnonzero(valid)[p_i]
        s = segs[t_i]
        lines = tree.geometries[t_i]
        along = shapely.line_locate_point(lines, pts[p_i])
        access = shapely.distance(lines, pts[p_i])
        geo = np.hypot(*(seg["b"][s] - seg["a"][s]).T)
        frac = np.where(geo > 0, along / np.where(geo > 0, geo, 1), 0.0)
        e = seg["edge"][s]
        offset = seg["start"][s] + frac * seg["length"][s]
        total = arrays.edge_length[e]
        offset = np.clip(offset, 0.0, total)
        u_m, v_m = access + offset, access + (total - offset)
        near_u = u_m <= v_m
        out["edge"][rows] = e
        out["offset_m"][rows] = offset
        out["access_m"][rows] = access
        out["u_index"][rows] = arrays.edge_u[e]
        out["v_index"][rows] = arrays.edge_v[e]
        out["u_m"][rows] = u_m
        out["v_m"][rows] = v_m
        out["node_index"][rows] = np.where(near_u, arrays.edge_u[e], arrays.edge_v[e])
        out["snap_m"][rows] = np.where(near_u, u_m, v_m)
    frame = pd.DataFrame(out, index=points.index)
    frame.insert(0, "node", arrays.node_ids[frame["node_index"].to_numpy()])
    frame.insert(3, "snapped", valid & (frame["access_m"].to_numpy() <= max_snap_m))
    n_off = int((~frame["snapped"]).sum())
    if n_off:
        log.info(
            "%d of %d points are more than %.0f m from the network (ids: %s)",
            n_off,
            n,
            max_snap_m,
            ", ".join(map(str, frame.index[~frame["snapped"]][:10])),
        )
    return frame


def snap_ends(snap: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """End nodes and walks of snapped points (old single-node frames work too)."""
    if "u_index" in snap:
        return (
            snap["u_index"].to_numpy(dtype=np.int64),
            snap["u_m"].to_numpy(dtype=float),
            snap["v_index"].to_numpy(dtype=np.int64),
            snap["v_m"].to_numpy(dtype=float),
        )
    node = snap["node_index"].to_numpy(dtype=np.int64)
    d = snap["snap_m"].to_numpy(dtype=float)
    return node, d, node, d


def augment(length: sparse.csr_matrix, u, um, v, vm) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The graph plus one virtual node per point, linked to its street's end nodes."""
    n = length.shape[0]
    k = len(u)
    virt = n + np.arange(k)
    coo = length.tocoo()
    loop = u == v  # a point on a loop street, or snapped to a node: one link, the shorter
    um = np.where(loop, np.minimum(um, vm), um)
    r = np.concatenate([coo.row, virt, virt[~loop]])
    c = np.concatenate([coo.col, u, v[~loop]])
    # csr sums duplicate entries, so each (virtual node, end) pair appears once
    w = np.concatenate([coo.data, np.maximum(um, 1e-9), np.maximum(vm[~loop], 1e-9)])
    return sparse.csr_matrix((w, (r, c)), shape=(n + k, n + k)), virt


def with_sources(length: sparse.csr_matrix, snap: pd.DataFrame, rows: np.ndarray):
    """The graph plus one virtual node per snapped point (``rows`` of ``snap``)."""
    u, um, v, vm = snap_ends(snap)
    return augment(length, u[rows], um[rows], v[rows], vm[rows])


def same_edge(src: pd.DataFrame, src_rows: np.ndarray, tgt: pd.DataFrame, tgt_rows: np.ndarray):
    """Pairs of points on the same street and their direct walk along it."""
    if "edge" not in src or "edge" not in tgt:
        return np.array([], int), np.array([], int), np.array([])
    a = pd.DataFrame(
        {
            "edge": src["edge"].to_numpy()[src_rows],
            "i": np.arange(len(src_rows)),
            "acc_s": src["access_m"].to_numpy()[src_rows],
            "off_s": src["offset_m"].to_numpy()[src_rows],
        }
    )
    b = pd.DataFrame(
        {
            "edge": tgt["edge"].to_numpy()[tgt_rows],
            "j": np.arange(len(tgt_rows)),
            "acc_t": tgt["access_m"].to_numpy()[tgt_rows],
            "off_t": tgt["offset_m"].to_numpy()[tgt_rows],
        }
    )
    pairs = a[a["edge"] >= 0].merge(b[b["edge"] >= 0], on="edge")
    direct = pairs["acc_s"] + pairs["acc_t"] + (pairs["off_s"] - pairs["off_t"]).abs()
    return pairs["i"].to_numpy(), pairs["j"].to_numpy(), direct.to_numpy()
