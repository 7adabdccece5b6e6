"""Network distances: snapping, sparse walking matrices, drive matrices, catchments.

All distances follow the street network, never straight lines. A point's distance
to the network (its *snap* distance, measured straight to the nearest node) is added
to both ends of a walk, so a distance is what a customer really walks.

The core is :func:`scipy.sparse.csgraph.dijkstra` with ``limit=`` run from the
candidates in chunks: it visits only the streets within the cutoff and never
builds a dense candidate x demand matrix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    """

    node_ids: np.ndarray
    xy: np.ndarray
    crs: pyproj.CRS
    length: sparse.csr_matrix
    travel_time: sparse.csr_matrix

    def index_of(self, nodes: np.ndarray) -> np.ndarray:
        """Matrix index of each OSM node id in ``nodes``."""
        order = np.argsort(self.node_ids)
        pos = np.searchsorted(self.node_ids, nodes, sorter=order)
        return order[pos]


def local_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The UTM CRS of the study area, from longitudes and latitudes (EPSG:4326)."""
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    return points.estimate_utm_crs()


def graph_arrays(G: nx.MultiDiGraph, crs: pyproj.CRS | None = None) -> GraphArrays:
    """Convert an osmnx-style graph to :class:`GraphArrays`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Nodes with ``x``/``y`` in EPSG:4326, edges with ``length`` and ``travel_time``.
    crs : pyproj.CRS, optional
        Projected CRS for node coordinates; the study area's UTM zone by default.
    """
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    lon = np.array([G.nodes[n]["x"] for n in node_ids], dtype=float)
    lat = np.array([G.nodes[n]["y"] for n in node_ids], dtype=float)
    crs = crs or local_crs(lon, lat)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    index = pd.Series(np.arange(len(node_ids)), index=node_ids)
    edges = pd.DataFrame(
        [
            (u, v, d.get("length", np.nan), d.get("travel_time", np.nan))
            for u, v, d in G.edges(data=True)
        ],
        columns=["u", "v", "length", "travel_time"],
    )
    n = len(node_ids)
    mats = []
    for weight in ("length", "travel_time"):
        best = edges.groupby(["u", "v"], sort=False)[weight].min().reset_index()
        # csgraph treats stored zeros as edges only in a csr built from explicit data;
        # a tiny positive floor keeps zero-length segments connected.
        data = np.maximum(best[weight].to_numpy(dtype=float), 1e-6)
        rows = index.loc[best["u"]].to_numpy()
        cols = index.loc[best["v"]].to_numpy()
        mats.append(sparse.csr_matrix((data, (rows, cols)), shape=(n, n)))
    return GraphArrays(node_ids, np.column_stack([x, y]), crs, mats[0], mats[1])


def snap_points(
    arrays: GraphArrays, points: gpd.GeoSeries, max_snap_m: float = settings.MAX_SNAP_M
) -> pd.DataFrame:
    """Snap points to their nearest network node.

    Parameters
    ----------
    arrays : GraphArrays
        The network.
    points : geopandas.GeoSeries
        Points in any CRS (they are projected to ``arrays.crs``).
    max_snap_m : float, default 250
        Points farther than this from every node are flagged ``snapped=False``; they
        are reported by the caller, never silently moved.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``node`` (OSM node id), ``node_index`` (matrix index),
        ``snap_m`` (straight distance to the node, metres) and ``snapped`` (bool).
    """
    projected = points.to_crs(arrays.crs)
    xy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
    dist, idx = cKDTree(arrays.xy).query(xy) if len(xy) else (np.array([]), np.array([], int))
    return pd.DataFrame(
        {
            "node": arrays.node_ids[idx] if len(xy) else np.array([], dtype=np.int64),
            "node_index": idx,
            "snap_m": dist,
            "snapped": dist <= max_snap_m,
        },
        index=points.index,
    )


def walking_distance_matrix(
    arrays: GraphArrays,
    source_snap: pd.DataFrame,
    target_snap: pd.DataFrame,
    cutoff_m: float,
    chunk_size: int = 128,
) -> sparse.csr_matrix:
    """Walking distances from sources (candidates) to targets (demand) within a cutoff.

    A distance is ``snap_m`` of the source + network distance + ``snap_m`` of the
    target. Only pairs within ``cutoff_m`` are stored.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    source_snap, target_snap : pandas.DataFrame
        Results of :func:`snap_points`; rows with ``snapped=False`` get no distances.
    cutoff_m : float
        Walking cutoff in metres.
    chunk_size : int, default 128
        Sources per Dijkstra call; bounds memory at ``chunk_size x n_nodes`` floats.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(len(source_snap), len(target_snap))``. Every *stored* entry is a
        reachable pair; a stored ``0.0`` is a real zero distance (use ``.nnz`` and
        ``.indices``, not truthiness, to find pairs).

    Examples
    --------
    >>> D = walking_distance_matrix(arrays, cand_snap, demand_snap, cutoff_m=400)  # doctest: +SKIP
    >>> D.shape == (len(cand_snap), len(demand_snap))  # doctest: +SKIP
    True
    """
    s_ok = source_snap["snapped"].to_numpy() & (source_snap["snap_m"].to_numpy() <= cutoff_m)
    t_ok = target_snap["snapped"].to_numpy()
    s_node = source_snap["node_index"].to_numpy()
    t_node = target_snap["node_index"].to_numpy()
    s_snap = source_snap["snap_m"].to_numpy()
    t_snap = target_snap["snap_m"].to_numpy()
    # targets grouped by node: node index -> target positions
    t_pos = np.flatnonzero(t_ok)
    uniq_sources = np.unique(s_node[s_ok])
    rows, cols, vals = [], [], []
    src_dist: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for start in range(0, len(uniq_sources), chunk_size):
        chunk = uniq_sources[start : start + chunk_size]
        dist = csgraph.dijkstra(arrays.length, directed=True, indices=chunk, limit=cutoff_m)
        dist_t = dist[:, t_node[t_pos]] + t_snap[t_pos]
        for k, node in enumerate(chunk):
            reach = np.flatnonzero(dist_t[k] <= cutoff_m)
            src_dist[int(node)] = (t_pos[reach], dist_t[k, reach])
    for i in np.flatnonzero(s_ok):
        targets, d = src_dist[int(s_node[i])]
        d = d + s_snap[i]
        keep = d <= cutoff_m
        rows.append(np.full(int(keep.sum()), i))
        cols.append(targets[keep])
        vals.append(d[keep])
    shape = (len(source_snap), len(target_snap))
    if not rows:
        return sparse.csr_matrix(shape)
    matrix = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    return matrix.tocsr()


def network_matrices(
    arrays: GraphArrays, node_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full distance and duration matrices between network nodes (for routing).

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    node_index : numpy.ndarray
        Matrix indices of the locations (hubs first, then sites).

    Returns
    -------
    distance_m : numpy.ndarray of int64
        Shortest road distance, metres; ``-1`` where unreachable.
    duration_s : numpy.ndarray of int64
        Fastest travel time, seconds; ``-1`` where unreachable.
    predecessors : numpy.ndarray
        Predecessor matrix of the shortest-distance trees (for path geometries).
    """
    dist, pred = csgraph.dijkstra(
        arrays.length, directed=True, indices=node_index, return_predecessors=True
    )
    dur = csgraph.dijkstra(arrays.travel_time, directed=True, indices=node_index)
    d = dist[:, node_index]
    t = dur[:, node_index]
    distance_m = np.where(np.isfinite(d), np.rint(d), -1).astype(np.int64)
    duration_s = np.where(np.isfinite(t), np.rint(t), -1).astype(np.int64)
    return distance_m, duration_s, pred


def path_nodes(predecessors: np.ndarray, source_row: int, target: int) -> list[int]:
    """Matrix indices along the shortest path to ``target`` in one predecessor row."""
    path = [target]
    while path[-1] >= 0 and predecessors[source_row, path[-1]] >= 0:
        path.append(int(predecessors[source_row, path[-1]]))
    return path[::-1]


def catchment_polygons(
    arrays: GraphArrays,
    site_snap: pd.DataFrame,
    cutoff_m: float,
    street_buffer_m: float = 25.0,
) -> gpd.GeoSeries:
    """Walking catchment of each site: the streets reachable within the cutoff.

    Each reachable street segment (partly reachable segments cut at the cutoff) is
    buffered by ``street_buffer_m`` (the depth of the buildings fronting it) and the
    pieces are merged, so the polygon follows the streets, not a circle.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    site_snap : pandas.DataFrame
        Result of :func:`snap_points` for the sites.
    cutoff_m : float
        Walking cutoff, metres (the site's snap distance is subtracted).
    street_buffer_m : float, default 25
        Half-width of the catchment around each street, metres.

    Returns
    -------
    geopandas.GeoSeries
        Polygons in EPSG:4326, indexed like ``site_snap``; empty geometry for a site
        that is not on the network.
    """
    coo = arrays.length.tocoo()
    u, v, w = coo.row, coo.col, coo.data
    shapes = []
    for _, row in site_snap.iterrows():
        budget = cutoff_m - row["snap_m"]
        if not row["snapped"] or budget <= 0:
            shapes.append(shapely.Polygon())
            continue
        dist = csgraph.dijkstra(
            arrays.length, directed=True, indices=int(row["node_index"]), limit=budget
        )
        du = dist[u]
        reach = np.isfinite(du)
        frac = np.clip((budget - du[reach]) / w[reach], 0.0, 1.0)
        a = arrays.xy[u[reach]]
        b = arrays.xy[v[reach]]
        end = a + (b - a) * frac[:, None]
        lines = shapely.linestrings(np.stack([a, end], axis=1))
        points = shapely.points(arrays.xy[int(row["node_index"])])
        shapes.append(shapely.union_all(shapely.buffer(np.append(lines, points), street_buffer_m)))
    return gpd.GeoSeries(shapes, index=site_snap.index, crs=arrays.crs).to_crs("EPSG:4326")
