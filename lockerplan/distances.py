"""Network distances: snapping, sparse walking matrices, nearest sites, drive matrices, catchments.

All distances follow the street network, never straight lines. A point is snapped
to the nearest street (edge); its walk to each end of that street is the straight
*access* distance plus the distance along the street, and both ends are used, so a
distance is what a customer really walks.

The core is :func:`scipy.sparse.csgraph.dijkstra` with ``limit=``: each source
is a virtual node linked to its street's ends, sources are grouped by location,
and each group runs on the streets within its bounding box plus the cutoff. It
visits only the streets within reach and never builds a dense candidate x demand
matrix (Porto, 63k nodes: 1,000 x 5,000 within 1,500 m in about 0.2 s, 13x a
networkx Dijkstra loop; see ``benchmarks/distances.py``).

Simplified graphs (see :func:`lockerplan.network.graph_from_osm`) keep each edge's
street shape; :class:`GraphArrays` holds them, so catchments and drawn routes
(:meth:`GraphArrays.path_coords`) follow the streets.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from . import settings
from .errors import InputError
from .parallel import cores, fork_map
from .progress import tqdm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GraphArrays:
    """A graph as arrays for fast shortest paths.

    Attributes
    ----------
    node_ids : numpy.ndarray
        OSM node id of each matrix row/column.
    xy : numpy.ndarray
        Projected node coordinates (metres), shape ``(n, 2)``.
    crs : pyproj.CRS
        The projected CRS of ``xy`` (UTM zone of the study area).
    length : scipy.sparse.csr_matrix
        Edge lengths in metres (the shortest of parallel edges).
    travel_time : scipy.sparse.csr_matrix
        Edge travel times in seconds (the fastest of parallel edges).
    edge_u, edge_v : numpy.ndarray, optional
        Matrix indices of the ends of every graph edge (parallel edges included).
    edge_length : numpy.ndarray, optional
        Length of every edge, metres.
    geom_ptr, geom_xy : numpy.ndarray, optional
        Street shape of every edge: edge ``e`` runs through the projected points
        ``geom_xy[geom_ptr[e]:geom_ptr[e + 1]]``, from ``edge_u[e]`` to ``edge_v[e]``.
    best_edge : scipy.sparse.csr_matrix, optional
        ``best_edge[u, v] - 1`` is the shortest edge from ``u`` to ``v``.
    edge_name : numpy.ndarray, optional
        Street name of every edge (object), for labels on the map.
    """

    node_ids: np.ndarray
    xy: np.ndarray
    crs: pyproj.CRS
    length: sparse.csr_matrix
    travel_time: sparse.csr_matrix
    edge_u: np.ndarray | None = None
    edge_v: np.ndarray | None = None
    edge_length: np.ndarray | None = None
    geom_ptr: np.ndarray | None = None
    geom_xy: np.ndarray | None = None
    best_edge: sparse.csr_matrix | None = field(default=None, repr=False)
    edge_name: np.ndarray | None = field(default=None, repr=False)

    def index_of(self, nodes: np.ndarray) -> np.ndarray:
        """Matrix index of each OSM node id in ``nodes``."""
        order = np.argsort(self.node_ids)
        pos = np.searchsorted(self.node_ids, nodes, sorter=order)
        return order[pos]

    @property
    def has_edges(self) -> bool:
        """Whether the edge list and street shapes are available (snapping to edges)."""
        return self.edge_u is not None and self.geom_xy is not None

    def path_coords(self, path: list[int] | np.ndarray) -> np.ndarray:
        """Projected street coordinates along a node path (e.g. from :func:`path_nodes`).

        Consecutive nodes are joined by the shape of the shortest edge between them,
        so a route drawn from it follows the streets even on a simplified graph.

        Parameters
        ----------
        path : sequence of int
            Matrix indices of consecutive nodes.

        Returns
        -------
        numpy.ndarray
            Shape ``(k, 2)``, metres in :attr:`crs`.

        Examples
        --------
        >>> coords = arrays.path_coords(path_nodes(pred, 0, target))  # doctest: +SKIP
        """
        p = np.asarray(path, dtype=np.int64)
        if len(p) < 2 or self.best_edge is None or self.geom_xy is None:
            return self.xy[p]
        edges = np.asarray(self.best_edge[p[:-1], p[1:]]).ravel().astype(np.int64) - 1
        parts = [self.xy[p[:1]]]
        for k, e in enumerate(edges):
            if e < 0:  # no edge between them: a straight step
                parts.append(self.xy[p[k + 1 : k + 2]])
            else:
                parts.append(self.geom_xy[self.geom_ptr[e] + 1 : self.geom_ptr[e + 1]])
        return np.concatenate(parts)

    def segments(self) -> dict[str, np.ndarray]:
        """Straight pieces of every edge's street shape (computed per call: 0.07 s and
        60 MB on Greater Porto's walk network, not worth keeping).

        Returns
        -------
        dict
            ``edge`` (edge index), ``a`` and ``b`` (end points, metres), ``start`` and
            ``length`` (position along the edge and length, in the graph's edge-length
            metres, so offsets agree with network distances).
        """
        ptr = self.geom_ptr
        n_pts = np.diff(ptr)
        point_edge = np.repeat(np.arange(len(n_pts)), n_pts)
        i = np.arange(len(self.geom_xy) - 1)
        same = point_edge[i] == point_edge[i + 1]
        i = i[same]
        edge = point_edge[i]
        a, b = self.geom_xy[i], self.geom_xy[i + 1]
        seg_len = np.hypot(*(b - a).T)
        geo_len = np.bincount(edge, weights=seg_len, minlength=len(n_pts))
        scale = np.where(geo_len > 0, self.edge_length / np.where(geo_len > 0, geo_len, 1), 1.0)
        seg_len = seg_len * scale[edge]
        cum = np.cumsum(seg_len)
        first = np.searchsorted(edge, edge, side="left")  # edges are contiguous and sorted
        start = cum - seg_len - (cum[first] - seg_len[first])
        return {"edge": edge, "a": a, "b": b, "start": start, "length": seg_len}


def local_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The UTM CRS of the study area, from longitudes and latitudes (EPSG:4326).

    Examples
    --------
    >>> local_crs(np.array([24.93, 24.95]), np.array([60.16, 60.18])).to_epsg()
    32635
    """
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    aoi = AreaOfInterest(
        float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat))
    )
    info = query_utm_crs_info(datum_name="WGS 84", area_of_interest=aoi)
    if not info:
        raise InputError(
            f"no UTM zone covers the network's extent {aoi}; check that node x/y are "
            "longitude/latitude (EPSG:4326)."
        )
    # the same choice as geopandas' estimate_utm_crs: the zone of the area's centre
    centre = float((np.nanmin(lon) + np.nanmax(lon)) / 2)
    zone = int((centre + 180) // 6) % 60 + 1
    north = float((np.nanmin(lat) + np.nanmax(lat)) / 2) >= 0
    return pyproj.CRS.from_epsg((32600 if north else 32700) + zone)


@dataclass(frozen=True)
class EdgeTable:
    """A street graph's nodes and edges as arrays, in EPSG:4326 (before projection).

    Attributes
    ----------
    node_ids, lon, lat : numpy.ndarray
        OSM node id and coordinates of every node.
    edge_u, edge_v : numpy.ndarray
        Row of ``node_ids`` at each end of every edge (parallel edges included).
    length, travel_time : numpy.ndarray
        Metres and seconds of every edge.
    name : numpy.ndarray
        Street name of every edge (object; ``None`` or a list where OSM has no single
        name).
    shaped : numpy.ndarray
        Whether the edge has a street shape (else it runs straight from ``u`` to ``v``).
    shape_lonlat : numpy.ndarray
        The shaped edges' points, one edge after the other, shape ``(k, 2)``.
    shape_counts : numpy.ndarray
        Number of points of each shaped edge.
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    length: np.ndarray
    travel_time: np.ndarray
    name: np.ndarray
    shaped: np.ndarray
    shape_lonlat: np.ndarray
    shape_counts: np.ndarray


def _edge_table(G: nx.MultiDiGraph) -> EdgeTable:
    """The edges of an osmnx-style graph, in networkx's adjacency order."""
    # G.adjacency() yields networkx's own dicts: much faster than G.edges(data=True)
    us, vs, datas = [], [], []
    for a, nbrs in G.adjacency():
        for b, keydict in nbrs.items():
            for d in keydict.values():
                us.append(a)
                vs.append(b)
                datas.append(d)
    if G.number_of_nodes() == 0 or not datas:
        raise InputError(
            f"graph {G.graph.get('name', '')!r} has no streets (no nodes or edges); "
            "give an extract, place or bounding box that covers a street network."
        )
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    lon = np.fromiter((d["x"] for _, d in G.nodes(data=True)), dtype=float, count=len(node_ids))
    lat = np.fromiter((d["y"] for _, d in G.nodes(data=True)), dtype=float, count=len(node_ids))
    m = len(datas)
    index = pd.Index(node_ids)
    geoms = [d.get("geometry") for d in datas]
    shaped = np.fromiter((g is not None for g in geoms), dtype=bool, count=m)
    shape_lonlat, counts = np.empty((0, 2)), np.zeros(0, dtype=np.int64)
    if shaped.any():
        kept = np.array([g for g in geoms if g is not None], dtype=object)
        shape_lonlat, part = shapely.get_coordinates(kept, return_index=True)
        counts = np.bincount(part, minlength=len(kept))
    names = np.empty(m, dtype=object)
    names[:] = [d.get("name") for d in datas]
    return EdgeTable(
        node_ids,
        lon,
        lat,
        index.get_indexer(np.array(us, dtype=np.int64)),
        index.get_indexer(np.array(vs, dtype=np.int64)),
        np.fromiter((d.get("length", np.nan) for d in datas), dtype=float, count=m),
        np.fromiter((d.get("travel_time", np.nan) for d in datas), dtype=float, count=m),
        names,
        shaped,
        shape_lonlat,
        counts,
    )


def graph_arrays(G: nx.MultiDiGraph, crs: pyproj.CRS | None = None) -> GraphArrays:
    """Convert an osmnx-style graph to :class:`GraphArrays`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Nodes with ``x``/``y`` in EPSG:4326, edges with ``length`` and ``travel_time``
        and optionally a ``geometry`` LineString (EPSG:4326, from ``u`` to ``v``).
    crs : pyproj.CRS, optional
        Projected CRS for node coordinates; the study area's UTM zone by default.

    Returns
    -------
    GraphArrays

    Raises
    ------
    InputError
        If the graph has no nodes or no edges.

    Examples
    --------
    >>> from lockerplan.network import graph_from_osm
    >>> from lockerplan.osm import default_osm_path
    >>> arrays = graph_arrays(graph_from_osm(default_osm_path(), "walk", use_cache=False))
    >>> arrays.length.shape[0] == len(arrays.node_ids)
    True
    """
    return arrays_from_edges(_edge_table(G), crs)


def arrays_from_edges(t: EdgeTable, crs: pyproj.CRS | None = None) -> GraphArrays:
    """:class:`GraphArrays` of an :class:`EdgeTable` (see :func:`graph_arrays`)."""
    eu, ev, length, ttime = t.edge_u, t.edge_v, t.length, t.travel_time
    bad = ~np.isfinite(length) | ~np.isfinite(ttime)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"graph edge {t.node_ids[eu[k]]}->{t.node_ids[ev[k]]} has no numeric "
            "length/travel_time; build graphs with lockerplan.network or add them with "
            "osmnx.add_edge_travel_times."
        )
    crs = crs or local_crs(t.lon, t.lat)
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_xy.transform(t.lon, t.lat)
    geom_ptr, coords = _shape_points(t)
    gx, gy = to_xy.transform(coords[:, 0], coords[:, 1])
    n = len(t.node_ids)
    # the fastest / shortest of parallel edges for the matrices
    mats = []
    for weight in (length, ttime):
        order = np.lexsort((weight, ev, eu))
        first = order[np.r_[True, (np.diff(eu[order]) != 0) | (np.diff(ev[order]) != 0)]]
        # csgraph ignores zero weights in some code paths; a tiny floor keeps them edges
        data = np.maximum(weight[first], 1e-6)
        mats.append(sparse.csr_matrix((data, (eu[first], ev[first])), shape=(n, n)))
        if weight is length:
            best = sparse.csr_matrix(
                (first.astype(np.int64) + 1, (eu[first], ev[first])), shape=(n, n)
            )
    return GraphArrays(
        t.node_ids,
        np.column_stack([x, y]),
        crs,
        mats[0],
        mats[1],
        eu,
        ev,
        length,
        geom_ptr,
        np.column_stack([gx, gy]),
        best,
        t.name,
    )


def ragged_rows(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the items of ``rows`` sit in a ragged array, one row after the other.

    Row ``r`` holds the items ``ptr[r]:ptr[r + 1]``. Returns the item positions and
    the offsets of each picked row in them (``offsets[k]:offsets[k + 1]``).

    Examples
    --------
    >>> take, offsets = ragged_rows(np.array([0, 2, 5, 6]), np.array([2, 0]))
    >>> take.tolist(), offsets.tolist()
    ([5, 0, 1], [0, 1, 3])
    """
    sizes = ptr[rows + 1] - ptr[rows]
    offsets = np.r_[0, np.cumsum(sizes)]
    return np.repeat(ptr[rows] - offsets[:-1], sizes) + np.arange(offsets[-1]), offsets


def _shape_points(t: EdgeTable) -> tuple[np.ndarray, np.ndarray]:
    """Every edge's street shape as points (lon/lat): the pointer array and the points."""
    m, eu, ev = len(t.edge_u), t.edge_u, t.edge_v
    counts = np.full(m, 2, dtype=np.int64)
    counts[t.shaped] = t.shape_counts
    geom_ptr = np.r_[0, np.cumsum(counts)]
    coords = np.empty((geom_ptr[-1], 2))
    straight = np.flatnonzero(~t.shaped)
    coords[geom_ptr[straight]] = np.column_stack([t.lon[eu[straight]], t.lat[eu[straight]]])
    coords[geom_ptr[straight] + 1] = np.column_stack([t.lon[ev[straight]], t.lat[ev[straight]]])
    if len(t.shape_lonlat):
        idx = np.flatnonzero(t.shaped)
        sizes = counts[idx]
        pos = np.repeat(geom_ptr[idx], sizes) + (
            np.arange(len(t.shape_lonlat)) - np.repeat(np.r_[0, np.cumsum(sizes)[:-1]], sizes)
        )
        coords[pos] = t.shape_lonlat
    return geom_ptr, coords


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


def _ends(snap: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


def _augment(length: sparse.csr_matrix, u, um, v, vm) -> tuple[sparse.csr_matrix, np.ndarray]:
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


def _with_sources(length: sparse.csr_matrix, snap: pd.DataFrame, rows: np.ndarray):
    """The graph plus one virtual node per snapped point (``rows`` of ``snap``)."""
    u, um, v, vm = _ends(snap)
    return _augment(length, u[rows], um[rows], v[rows], vm[rows])


def _spatial_groups(xy: np.ndarray, max_size: int) -> list[np.ndarray]:
    """Split points into groups of at most ``max_size`` by recursive median cuts (k-d tree)."""
    groups, stack = [], [np.arange(len(xy))]
    while stack:
        idx = stack.pop()
        if len(idx) <= max_size:
            groups.append(idx)
            continue
        span = np.ptp(xy[idx], axis=0)
        axis = int(np.argmax(span))
        order = idx[np.argsort(xy[idx, axis], kind="stable")]
        half = len(order) // 2
        stack += [order[half:], order[:half]]
    return groups


def _same_edge(src: pd.DataFrame, src_rows: np.ndarray, tgt: pd.DataFrame, tgt_rows: np.ndarray):
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


def _check_cutoff(cutoff_m: float, name: str = "cutoff_m") -> float:
    if not (isinstance(cutoff_m, int | float | np.number) and cutoff_m > 0):
        raise InputError(f"{name} must be a number > 0 metres, got {cutoff_m!r}.")
    return float(cutoff_m)


def walking_distance_matrix(
    arrays: GraphArrays,
    source_snap: pd.DataFrame,
    target_snap: pd.DataFrame,
    cutoff_m: float,
    chunk_size: int = 64,
    *,
    progress: bool | None = None,
) -> sparse.csr_matrix:
    """Walking distances from sources (candidates) to targets (demand) within a cutoff.

    A distance is the walk from the source point to its street, along the streets, and
    from the street to the target point (see :func:`snap_points`; both ends of each
    point's street are tried, and two points on the same street may walk straight
    along it). Only pairs within ``cutoff_m`` are stored. Each source gets a virtual
    node linked to its street's ends, and :func:`scipy.sparse.csgraph.dijkstra` with
    ``limit=cutoff_m`` runs from chunks of them, so only streets within the cutoff are
    visited and no dense candidate x demand matrix is ever built.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network (streets walkable in both directions).
    source_snap, target_snap : pandas.DataFrame
        Results of :func:`snap_points`; rows with ``snapped=False`` get no distances.
    cutoff_m : float
        Walking cutoff in metres.
    chunk_size : int, default 64
        Most sources per Dijkstra call. Sources are grouped by location (k-d tree
        cuts) and each group runs on the streets within its bounding box plus the
        cutoff, so memory is bounded by ``chunk_size x nodes in the box`` floats.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(len(source_snap), len(target_snap))``. Every *stored* entry is a
        reachable pair; a stored ``0.0`` is a real zero distance (use ``.nnz`` and
        ``.indices``, not truthiness, to find pairs).

    Raises
    ------
    InputError
        If ``cutoff_m`` or ``chunk_size`` is not positive.

    Examples
    --------
    >>> D = walking_distance_matrix(arrays, cand_snap, demand_snap, cutoff_m=400)  # doctest: +SKIP
    >>> D.shape == (len(cand_snap), len(demand_snap))  # doctest: +SKIP
    True
    """
    cutoff_m = _check_cutoff(cutoff_m)
    if not (isinstance(chunk_size, int | np.integer) and chunk_size > 0):
        raise InputError(f"chunk_size must be an integer > 0, got {chunk_size!r}.")
    shape = (len(source_snap), len(target_snap))
    s_rows = np.flatnonzero(source_snap["snapped"].to_numpy(dtype=bool))
    t_rows = np.flatnonzero(target_snap["snapped"].to_numpy(dtype=bool))
    if len(s_rows) == 0 or len(t_rows) == 0:
        return sparse.csr_matrix(shape)
    su, sum_, sv, svm = (x[s_rows] for x in _ends(source_snap))
    tu, tum, tv, tvm = (x[t_rows] for x in _ends(target_snap))
    si, sj, direct = _same_edge(source_snap, s_rows, target_snap, t_rows)
    length, xy, n = arrays.length, arrays.xy, arrays.length.shape[0]
    # A walk within the cutoff never leaves the disc of that radius around its start, so
    # each group of nearby sources runs on the streets in its box (+ cutoff) only: the
    # per-source cost of Dijkstra then scales with the box, not with the whole city.
    # The margin covers the map projection's scale error (< 0.1 % in a UTM zone).
    margin = cutoff_m * 1.01 + 50.0
    groups = _spatial_groups((xy[su] + xy[sv]) / 2, chunk_size)
    local = np.full(n, -1, dtype=np.int64)
    rows, cols, vals = [], [], []
    bar = tqdm(total=len(s_rows), desc="walking distances", unit="site", disable=_no_bar(progress))
    with bar:
        for g in groups:
            ends = np.r_[su[g], sv[g]]
            lo, hi = xy[ends].min(axis=0) - margin, xy[ends].max(axis=0) + margin
            inside = np.flatnonzero(((xy >= lo) & (xy <= hi)).all(axis=1))
            if len(inside) > 0.5 * n:
                inside, sub = np.arange(n), length
            else:
                sub = length[inside][:, inside]
            local[inside] = np.arange(len(inside))
            graph, virt = _augment(sub, local[su[g]], sum_[g], local[sv[g]], svm[g])
            dist = csgraph.dijkstra(graph, directed=True, indices=virt, limit=cutoff_m)
            dist = np.concatenate([dist, np.full((len(g), 1), np.inf)], axis=1)
            lu, lv = local[tu], local[tv]  # -1 (outside the box) reads the inf column
            d = np.minimum(dist[:, lu] + tum, dist[:, lv] + tvm)
            local[inside] = -1
            pick = np.flatnonzero(np.isin(si, g))
            if len(pick):
                where = np.searchsorted(g, si[pick], sorter=np.argsort(g))
                row_of = np.argsort(g)[where]
                np.minimum.at(d, (row_of, sj[pick]), direct[pick])
            r, c = np.nonzero(d <= cutoff_m)
            rows.append(s_rows[g[r]])
            cols.append(t_rows[c])
            vals.append(d[r, c])
            bar.update(len(g))
    matrix = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    return matrix.tocsr()


def _no_bar(progress: bool | None) -> bool | None:
    """tqdm's ``disable``: None hides the bar when stderr is not a terminal."""
    return None if progress is None else not progress


def nearest_site(
    arrays: GraphArrays,
    site_snap: pd.DataFrame,
    point_snap: pd.DataFrame,
    cutoff_m: float = np.inf,
) -> pd.DataFrame:
    """For each point, the nearest site along the streets and the walk to it.

    One multi-source Dijkstra from all sites at once (each site a virtual node
    linked to its street's ends), so it costs about one shortest-path tree however
    many sites there are.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    site_snap, point_snap : pandas.DataFrame
        Results of :func:`snap_points` for the sites and the points.
    cutoff_m : float, default inf
        Points with no site within this walk get no site.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``point_snap``: ``site`` (the site's index label, missing when
        none), ``site_pos`` (its position in ``site_snap``, -1 when none) and
        ``distance_m`` (inf when none).

    Examples
    --------
    >>> near = nearest_site(arrays, site_snap, demand_snap, cutoff_m=500)  # doctest: +SKIP
    >>> near["distance_m"].max() <= 500  # doctest: +SKIP
    True
    """
    if not (isinstance(cutoff_m, int | float | np.number) and cutoff_m > 0):
        raise InputError(f"cutoff_m must be a number > 0 metres (or inf), got {cutoff_m!r}.")
    n = arrays.length.shape[0]
    m = len(point_snap)
    site_pos = np.full(m, -1, dtype=np.int64)
    best = np.full(m, np.inf)
    s_rows = np.flatnonzero(site_snap["snapped"].to_numpy(dtype=bool))
    p_rows = np.flatnonzero(point_snap["snapped"].to_numpy(dtype=bool))
    if len(s_rows) and len(p_rows):
        graph, virt = _with_sources(arrays.length, site_snap, s_rows)
        limit = float(cutoff_m)
        dist, _, src = csgraph.dijkstra(
            graph,
            directed=True,
            indices=virt,
            limit=limit,
            min_only=True,
            return_predecessors=True,
        )
        pu, pum, pv, pvm = (x[p_rows] for x in _ends(point_snap))
        du, dv = dist[pu] + pum, dist[pv] + pvm
        use_u = du <= dv
        d = np.where(use_u, du, dv)
        owner = np.where(use_u, src[pu], src[pv]) - n
        si, sj, direct = _same_edge(site_snap, s_rows, point_snap, p_rows)
        for i, j, dd in zip(si, sj, direct, strict=True):
            if dd < d[j]:
                d[j], owner[j] = dd, i
        ok = np.isfinite(d) & (d <= cutoff_m) & (owner >= 0)
        site_pos[p_rows[ok]] = s_rows[owner[ok]]
        best[p_rows[ok]] = d[ok]
    labels = np.array(site_snap.index, dtype=object)
    return pd.DataFrame(
        {
            "site": pd.Series(
                [labels[k] if k >= 0 else None for k in site_pos],
                index=point_snap.index,
                dtype=object,
            ),
            "site_pos": site_pos,
            "distance_m": best,
        },
        index=point_snap.index,
    )


#: Sources per Dijkstra block in :func:`network_matrices`.
MATRIX_BLOCK = 128


def network_matrices(
    arrays: GraphArrays, node_index: np.ndarray, *, predecessors: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Full distance and duration matrices between network nodes (for routing).

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    node_index : numpy.ndarray
        Matrix indices of the locations (hubs first, then sites).
    predecessors : bool, default True
        Keep the shortest-path trees (one int32 row over the whole network per
        location: 1,600 locations on a 50,000-node network are 320 MB) for path
        geometries; ``False`` when only the matrices are needed.

    Returns
    -------
    distance_m : numpy.ndarray of int64
        Shortest road distance, metres; ``-1`` where unreachable.
    duration_s : numpy.ndarray of int64
        Fastest travel time, seconds; ``-1`` where unreachable.
    predecessors : numpy.ndarray or None
        Predecessor matrix of the shortest-distance trees (for path geometries);
        None unless ``predecessors``.
    """
    node_index = np.asarray(node_index)
    n = len(node_index)
    distance_m = np.empty((n, n), dtype=np.int64)
    duration_s = np.empty((n, n), dtype=np.int64)
    pred = np.empty((n, arrays.length.shape[0]), dtype=np.int32) if predecessors else None
    # a block of sources at a time: the full rows (all network nodes) of one block
    # only, so a metro area's 1,500 stops x 50,000 nodes never sit in memory whole
    starts = range(0, n, MATRIX_BLOCK)
    task = (arrays.length, arrays.travel_time, node_index, predecessors)
    blocks = fork_map(partial(_block, task), starts, parallel=n >= PARALLEL_MIN_SOURCES)
    for lo, (d, t, p) in zip(starts, blocks, strict=True):
        distance_m[lo : lo + len(d)], duration_s[lo : lo + len(d)] = d, t
        if pred is not None:
            pred[lo : lo + len(d)] = p
    return distance_m, duration_s, pred


#: Sources from which :func:`network_matrices` runs its Dijkstras on every core
#: (:func:`lockerplan.parallel.fork_map`; scipy's Dijkstra holds the GIL).
PARALLEL_MIN_SOURCES = 256


def _block(task: tuple, lo: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Integer distance and duration rows (and predecessor rows) of one block of sources."""
    length, travel_time, node_index, predecessors = task
    rows = node_index[lo : lo + MATRIX_BLOCK]
    found = csgraph.dijkstra(length, directed=True, indices=rows, return_predecessors=predecessors)
    dist, pred = found if predecessors else (found, None)
    d = dist[:, node_index]
    del dist
    t = csgraph.dijkstra(travel_time, directed=True, indices=rows)[:, node_index]
    d = np.where(np.isfinite(d), np.rint(d), -1).astype(np.int64)
    t = np.where(np.isfinite(t), np.rint(t), -1).astype(np.int64)
    return d, t, None if pred is None else pred.astype(np.int32)


def _merged_buffers(geoms: np.ndarray, buffer_m: float) -> shapely.Geometry:
    """The union of the geometries each grown by ``buffer_m``."""
    return shapely.union_all(shapely.buffer(geoms, buffer_m))


def path_nodes(predecessors: np.ndarray, source_row: int, target: int) -> list[int]:
    """Matrix indices along the shortest path to ``target`` in one predecessor row."""
    path = [target]
    while path[-1] >= 0 and predecessors[source_row, path[-1]] >= 0:
        path.append(int(predecessors[source_row, path[-1]]))
    return path[::-1]


def _edge_pieces(seg: dict, edges: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """LineStrings of the parts of ``edges`` between offsets ``lo`` and ``hi`` (metres).

    ``seg`` is :meth:`GraphArrays.segments` (ordered by edge).
    """
    first = np.searchsorted(seg["edge"], edges, side="left")
    counts = np.searchsorted(seg["edge"], edges, side="right") - first
    which = np.repeat(np.arange(len(edges)), counts)
    offsets = np.r_[0, np.cumsum(counts)]
    s = np.repeat(first - offsets[:-1], counts) + np.arange(offsets[-1])
    if len(s) == 0:
        return np.array([], dtype=object)
    s0, slen = seg["start"][s], seg["length"][s]
    a_off = np.clip(lo[which] - s0, 0, slen)
    b_off = np.clip(hi[which] - s0, 0, slen)
    keep = b_off > a_off
    if not keep.any():
        return np.array([], dtype=object)
    s, a_off, b_off, slen = s[keep], a_off[keep], b_off[keep], slen[keep]
    safe = np.where(slen > 0, slen, 1.0)
    a, b = seg["a"][s], seg["b"][s]
    start = a + (b - a) * (a_off / safe)[:, None]
    end = a + (b - a) * (b_off / safe)[:, None]
    return shapely.linestrings(np.stack([start, end], axis=1))


def catchment_polygons(
    arrays: GraphArrays,
    site_snap: pd.DataFrame,
    cutoff_m: float,
    street_buffer_m: float = 25.0,
) -> gpd.GeoSeries:
    """Walking catchment of each site: the streets reachable within the cutoff.

    Each reachable street (partly reachable streets cut where the walk runs out, along
    the street's real shape) is buffered by ``street_buffer_m`` (the depth of the
    buildings fronting it) and the pieces are merged, so the polygon follows the
    streets, not a circle. The site's own street and its access path are included.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    site_snap : pandas.DataFrame
        Result of :func:`snap_points` for the sites.
    cutoff_m : float
        Walking cutoff, metres (the walk to the street counts against it).
    street_buffer_m : float, default 25
        Half-width of the catchment around each street, metres.

    Returns
    -------
    geopandas.GeoSeries
        Polygons in EPSG:4326, indexed like ``site_snap``; empty geometry for a site
        that is not on the network.

    Examples
    --------
    >>> areas = catchment_polygons(arrays, site_snap, cutoff_m=400)  # doctest: +SKIP
    """
    cutoff_m = _check_cutoff(cutoff_m)
    if not arrays.has_edges:  # GraphArrays built by hand: straight edges
        coo = arrays.length.tocoo()
        arrays = GraphArrays(
            arrays.node_ids,
            arrays.xy,
            arrays.crs,
            arrays.length,
            arrays.travel_time,
            coo.row,
            coo.col,
            coo.data,
            np.arange(0, 2 * len(coo.data) + 1, 2),
            np.stack([arrays.xy[coo.row], arrays.xy[coo.col]], axis=1).reshape(-1, 2),
        )
    shapes: list = []  # polygons, or futures of polygons being merged in threads
    s_rows = np.flatnonzero(site_snap["snapped"].to_numpy(dtype=bool))
    graph, virt = _with_sources(arrays.length, site_snap, s_rows)
    virt_of = dict(zip(s_rows.tolist(), virt.tolist(), strict=True))
    eu = arrays.edge_u
    seg = arrays.segments()
    edge_col = site_snap["edge"].to_numpy() if "edge" in site_snap else None
    with ThreadPoolExecutor(max_workers=cores()) as merge:  # GEOS releases the GIL
        for pos in range(len(site_snap)):
            row = site_snap.iloc[pos]
            if pos not in virt_of or float(row.get("access_m", row["snap_m"])) > cutoff_m:
                shapes.append(shapely.Polygon())
                continue
            dist = csgraph.dijkstra(graph, directed=True, indices=virt_of[pos], limit=cutoff_m)
            du = dist[eu]
            reach = np.flatnonzero(np.isfinite(du) & (du < cutoff_m))
            pieces = [_edge_pieces(seg, reach, np.zeros(len(reach)), cutoff_m - du[reach])]
            access = float(row.get("access_m", row["snap_m"]))
            if edge_col is not None and edge_col[pos] >= 0:
                e = int(edge_col[pos])
                off, budget = float(row["offset_m"]), cutoff_m - access
                if budget > 0:
                    pieces.append(
                        _edge_pieces(
                            seg, np.array([e]), np.array([off - budget]), np.array([off + budget])
                        )
                    )
            reached_nodes = np.flatnonzero(dist[: len(arrays.node_ids)] <= cutoff_m)
            pieces.append(shapely.points(arrays.xy[reached_nodes]))
            geoms = (
                np.concatenate([p for p in pieces if len(p)]) if any(len(p) for p in pieces) else []
            )
            if len(geoms) == 0:
                shapes.append(shapely.Polygon())
                continue
            shapes.append(merge.submit(_merged_buffers, geoms, street_buffer_m))
    shapes = [s.result() if hasattr(s, "result") else s for s in shapes]
    return gpd.GeoSeries(shapes, index=site_snap.index, crs=arrays.crs).to_crs("EPSG:4326")


def within_cutoff(matrix: sparse.csr_matrix, cutoff_m: float) -> sparse.csr_matrix:
    """The pairs of a sparse distance matrix within ``cutoff_m`` (others no longer stored).

    Stored zeros (real zero distances) are kept.

    Examples
    --------
    >>> from scipy import sparse
    >>> M = sparse.csr_matrix(([0.0, 300.0, 500.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    >>> within_cutoff(M, 400).nnz
    2
    """
    coo = matrix.tocoo()
    keep = np.isfinite(coo.data) & (coo.data <= cutoff_m)
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)
