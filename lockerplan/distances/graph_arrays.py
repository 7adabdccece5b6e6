"""A street network as arrays for fast shortest paths: :class:`GraphArrays`.

Nodes, projected coordinates and sparse length and travel-time matrices, plus each
edge's street shape (simplified graphs keep it), so catchments and drawn routes
(:meth:`GraphArrays.path_coords`) follow the streets. Built from an osmnx-style
graph (:func:`graph_arrays`) or straight from an edge table
(:func:`arrays_from_edges`, :class:`lockerplan.streets.Streets`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse

from ..errors import InputError


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
