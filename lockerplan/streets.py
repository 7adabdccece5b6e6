"""A street network held as compact arc arrays; graph and matrices built from them.

:func:`lockerplan.network.streets_from_osm` returns a :class:`Streets`: the
network's directed arcs as numpy arrays (about 40 MB for Greater Porto's 63k-node
walk network). The pipeline computes on :meth:`Streets.arrays`
(:class:`~lockerplan.distances.GraphArrays`, built straight from the arcs); the
osmnx-style :class:`networkx.MultiDiGraph` (about 230 MB for the same network) is
built only when something asks for :attr:`Streets.graph` — a user in a notebook,
an osmnx function — never by a plan itself.

Two questions of places are answered here: the area a set of points (a
network's nodes) covers (:func:`study_area_around`), and the nearest named
street of a place (:func:`nearest_streets`, for the map's labels).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from .distances import EdgeTable, GraphArrays, arrays_from_edges, graph_arrays, ragged_rows
from .errors import InputError

#: The arrays every arc table holds (see :func:`lockerplan.network.streets_from_osm`).
ARC_KEYS = ("ids", "lonlat", "src", "dst", "osmid", "length", "travel_time", "highway", "name")


@dataclass(eq=False)
class Streets:
    """A walk or drive street network.

    Attributes
    ----------
    network_type : {"walk", "drive"}
        Which network it is.
    arcs : dict or None
        The directed arcs as arrays (``ids`` and ``lonlat`` of the nodes; ``src``,
        ``dst`` node rows, ``osmid``, ``length``, ``travel_time``, ``highway``,
        ``name`` per arc; ``chain_ptr``/``chain_lonlat`` the shapes when
        simplified). None for a network given as a graph.
    simplified : bool
        Whether degree-2 chains were contracted (arcs then keep their shapes).
    attrs : dict
        Graph attributes (``name``, ``dropped_nodes``, ``dropped_share``,
        ``from_cache``), copied to :attr:`graph`.
    source : OsmFile or Place, optional
        Where a deferred network is read from on first use (:meth:`deferred`).

    Examples
    --------
    >>> from lockerplan.network import streets_from_osm
    >>> from lockerplan.osm import default_osm_path
    >>> walk = streets_from_osm(default_osm_path(), "walk")
    >>> walk.graph.number_of_edges() == walk.n_edges
    True
    """

    network_type: str
    arcs: dict | None = field(default=None, repr=False)
    simplified: bool = True
    attrs: dict[str, Any] = field(default_factory=dict)
    _graph: nx.MultiDiGraph | None = field(default=None, repr=False)
    _arrays: dict[str, GraphArrays] = field(default_factory=dict, repr=False)
    source: Any = field(default=None, repr=False)

    @classmethod
    def deferred(cls, source: Any, network_type: str) -> Streets:
        """The network of ``source`` (an :class:`~lockerplan.source.OsmFile` or
        :class:`~lockerplan.source.Place`), read on first use: a plan whose walking
        ran on Dask workers never reads the walk network in this process."""
        return cls(network_type, None, True, {}, None, {}, source)

    def _load(self) -> None:
        if self.arcs is None and self._graph is None and self.source is not None:
            read = self.source.streets(self.network_type)
            self.arcs, self.simplified, self._graph = read.arcs, read.simplified, read._graph
            self.attrs.update(read.attrs)

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph) -> Streets:
        """A network given as an osmnx-style graph (e.g. downloaded with osmnx)."""
        attrs = {k: v for k, v in G.graph.items() if k not in ("crs", "network_type")}
        return cls(G.graph.get("network_type", ""), None, True, attrs, G)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        self._load()
        return len(self.arcs["ids"]) if self.arcs is not None else len(self._graph)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        self._load()
        return len(self.arcs["src"]) if self.arcs is not None else self._graph.number_of_edges()

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The osmnx-style :class:`networkx.MultiDiGraph` (built on first use, then kept)."""
        self._load()
        if self._graph is None:
            self._graph = graph_from_arcs(self.arcs, self.network_type, self.simplified)
            self._graph.graph.update(self.attrs)
        return self._graph

    def arrays(self, crs: pyproj.CRS | None = None) -> GraphArrays:
        """The network as :class:`~lockerplan.distances.GraphArrays` (kept per ``crs``).

        Parameters
        ----------
        crs : pyproj.CRS, optional
            Projected CRS of the coordinates; the network's UTM zone by default.
        """
        key = crs.to_wkt() if crs is not None else ""
        if key not in self._arrays:
            self._load()
            if self.arcs is None:
                arrays = graph_arrays(self._graph, crs)
            else:
                arrays = arrays_from_edges(edge_table(self.arcs), crs)
            self._arrays[key] = self._arrays[arrays.crs.to_wkt()] = arrays
        return self._arrays[key]


class StreetGraphs:
    """``walk_graph`` and ``drive_graph`` of an object with ``walk_streets`` and
    ``drive_streets`` (:class:`~lockerplan.pipeline.prepare.StudyArea`,
    :class:`~lockerplan.Plan`)."""

    walk_streets: Streets
    drive_streets: Streets

    @property
    def walk_graph(self) -> nx.MultiDiGraph:
        """The walk network as an osmnx-style graph (built on first use)."""
        return self.walk_streets.graph

    @property
    def drive_graph(self) -> nx.MultiDiGraph:
        """The drive network as an osmnx-style graph (built on first use)."""
        return self.drive_streets.graph


def edge_table(arcs: dict) -> EdgeTable:
    """The arcs as an :class:`~lockerplan.distances.EdgeTable`, in the order the graph
    of :func:`graph_from_arcs` lists its edges (so that both give the same arrays)."""
    src, dst = arcs["src"], arcs["dst"]
    n = len(arcs["ids"])
    # networkx lists a node's out-edges by the first arc to each neighbour, then by key
    _, first, inverse = np.unique(src * n + dst, return_index=True, return_inverse=True)
    order = np.lexsort((np.arange(len(src)), first[inverse.ravel()], src))
    if "chain_ptr" in arcs:
        ptr = arcs["chain_ptr"]
        sizes = np.diff(ptr)
        shaped = sizes > 2  # like osmnx, only edges with a bend have a shape
        take = order[shaped[order]]
        counts = sizes[take]
        pts, _ = ragged_rows(ptr, take)
        shape_lonlat = arcs["chain_lonlat"][pts]
        shaped = shaped[order]
    else:
        shaped, counts, shape_lonlat = np.zeros(len(src), bool), np.zeros(0, int), np.empty((0, 2))
    return EdgeTable(
        arcs["ids"],
        arcs["lonlat"][:, 0],
        arcs["lonlat"][:, 1],
        src[order],
        dst[order],
        arcs["length"][order],
        arcs["travel_time"][order],
        arcs["name"][order],
        shaped,
        shape_lonlat,
        counts,
    )


def graph_from_arcs(arcs: dict, network_type: str, simplified: bool) -> nx.MultiDiGraph:
    """Build the osmnx-style MultiDiGraph from arc arrays."""
    G = nx.MultiDiGraph(crs="EPSG:4326", network_type=network_type, simplified=simplified)
    ids = arcs["ids"].tolist()
    lonlat = arcs["lonlat"]
    G.add_nodes_from(
        (i, {"x": x, "y": y})
        for i, x, y in zip(ids, lonlat[:, 0].tolist(), lonlat[:, 1].tolist(), strict=True)
    )
    u = arcs["ids"][arcs["src"]].tolist()
    v = arcs["ids"][arcs["dst"]].tolist()
    cols = {
        "osmid": arcs["osmid"].tolist(),
        "length": arcs["length"].tolist(),
        "travel_time": arcs["travel_time"].tolist(),
        "highway": arcs["highway"].tolist(),
        "name": arcs["name"].tolist(),
    }
    geometry = _shapes(arcs) if "chain_lonlat" in arcs else [None] * len(u)
    # Fill networkx's adjacency dicts directly: add_edges_from costs ~25 us per edge,
    # which is seconds on a city graph. The structure is networkx's own
    # (G._succ[u][v][key] is G._pred[v][u][key], the edge attribute dict).
    succ, pred = G._succ, G._pred
    keys = list(cols)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of new dicts would trigger many useless GC passes
    try:
        for a, b, geom, *vals in zip(u, v, geometry, *cols.values(), strict=True):
            keydict = succ[a].get(b)
            if keydict is None:
                keydict = succ[a][b] = pred[b][a] = {}
            attrs = dict(zip(keys, vals, strict=True))
            if geom is not None:
                attrs["geometry"] = geom
            keydict[len(keydict)] = attrs
    finally:
        if gc_was_enabled:
            gc.enable()
    return G


def _shapes(arcs: dict) -> list:
    """Each arc's LineString (None for a straight arc: it runs from ``u`` to ``v``)."""
    ptr = arcs["chain_ptr"]
    bent = np.diff(ptr) > 2
    geoms = np.full(len(bent), None, dtype=object)
    if bent.any():
        take, offsets = ragged_rows(ptr, np.flatnonzero(bent))
        geoms[bent] = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, arcs["chain_lonlat"][take], (offsets,)
        )
    return geoms.tolist()


def study_area_around(
    geometries: gpd.GeoSeries | gpd.GeoDataFrame, buffer_m: float = 0.0
) -> BaseGeometry:
    """The convex hull of ``geometries`` grown by ``buffer_m`` metres, in EPSG:4326.

    The area a walk network covers is that of its nodes, buffered by the largest
    snapping distance (:meth:`lockerplan.walking.WalkNetwork.area`): demand the
    network cannot reach is reported as ``"outside study area"``.

    Parameters
    ----------
    geometries : geopandas.GeoSeries or GeoDataFrame
        E.g. ``osmnx.graph_to_gdfs(walk_graph, edges=False)``.
    buffer_m : float, default 0
        Margin, metres.

    Examples
    --------
    >>> pts = gpd.GeoSeries(gpd.points_from_xy([24.93, 24.96], [60.16, 60.18]), crs=4326)
    >>> study_area_around(pts, 100).contains(shapely.Point(24.945, 60.17))
    True
    """
    geoms = geometries.geometry if isinstance(geometries, gpd.GeoDataFrame) else geometries
    if geoms.crs is None:
        raise InputError("study area geometries have no CRS; set it (e.g. EPSG:4326).")
    metric_crs = geoms.estimate_utm_crs()
    coords = shapely.get_coordinates(geoms.to_crs(metric_crs).to_numpy())
    hull = shapely.MultiPoint(coords).convex_hull.buffer(buffer_m)
    return gpd.GeoSeries([hull], crs=metric_crs).to_crs("EPSG:4326").iloc[0]


#: How far a place may be from a named street for "near <street>", metres.
STREET_M = 150.0


def _street(name: Any) -> str:
    """An edge's street name ("" when unnamed; the first of a merged edge's names)."""
    if isinstance(name, list | tuple):
        name = next((n for n in name if isinstance(n, str) and n.strip()), "")
    return name.strip() if isinstance(name, str) else ""


def _named_lines(network: Any) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Every named street piece of a network and its name.

    ``network`` is a :class:`~lockerplan.streets.Streets`, a
    :class:`~lockerplan.distances.GraphArrays` (with ``edge_name``) or an osmnx-style
    graph.
    """
    arrays = network.arrays() if hasattr(network, "arrays") else network
    if hasattr(arrays, "geom_ptr"):
        if arrays.edge_name is None or arrays.geom_xy is None:
            return gpd.GeoSeries([], crs=arrays.crs), np.zeros(0, dtype=object)
        names = np.array([_street(n) for n in arrays.edge_name], dtype=object)
        named = np.flatnonzero(names != "")
        take, offsets = ragged_rows(arrays.geom_ptr, named)
        lines = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, arrays.geom_xy[take], (offsets,)
        )
        return gpd.GeoSeries(lines, crs=arrays.crs), names[named]
    graph = network
    named_edges = [(u, v, d) for u, v, d in graph.edges(data=True) if _street(d.get("name"))]
    nodes = graph.nodes
    lines = [
        d.get("geometry")
        or LineString([(nodes[u]["x"], nodes[u]["y"]), (nodes[v]["x"], nodes[v]["y"])])
        for u, v, d in named_edges
    ]
    names = np.array([_street(d["name"]) for _, _, d in named_edges], dtype=object)
    return gpd.GeoSeries(lines, crs=graph.graph.get("crs", "EPSG:4326")), names


def nearest_streets(points: gpd.GeoDataFrame, network: Any, max_m: float = STREET_M) -> list[str]:
    """The nearest named street of ``network`` to each point ("" beyond ``max_m`` metres).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points in any CRS.
    network : Streets, GraphArrays or networkx.MultiDiGraph
        The walk network (a graph in the osmnx convention: nodes with ``x``/``y``,
        edges with ``name``).
    max_m : float
        Search radius, metres.
    """
    lines, names = _named_lines(network)
    if not len(names) or not len(points):
        return [""] * len(points)
    utm = points.estimate_utm_crs()
    tree = shapely.STRtree(lines.to_crs(utm).to_numpy())
    found, _ = tree.query_nearest(
        points.to_crs(utm).geometry.to_numpy(), max_distance=max_m, return_distance=True
    )
    out = [""] * len(points)
    for i, j in zip(*found, strict=True):
        out[int(i)] = out[int(i)] or str(names[j])
    return out
