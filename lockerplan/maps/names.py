"""Names of sites and candidates as stakeholders read them on the map.

Many OSM places have no ``name`` (a parking lot, a kiosk, a bus stop). The map
then shows what the place is and the nearest named street of the walk network:
"parking near Mannerheimintie". The GeoPackage keeps the OSM name as it is.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from ..distances import ragged_rows

#: How far a place may be from a named street for "near <street>", metres.
STREET_M = 150.0


def _street(name: Any) -> str:
    """An edge's street name ("" when unnamed; the first of a merged edge's names)."""
    if isinstance(name, list | tuple):
        name = next((n for n in name if isinstance(n, str) and n.strip()), "")
    return name.strip() if isinstance(name, str) else ""


def _what(category: Any) -> str:
    """A category as words: ``shop=kiosk`` -> ``kiosk``, ``transit_stop`` -> ``transit stop``.

    Examples
    --------
    >>> _what("shop=kiosk"), _what("transit_stop"), _what(None)
    ('kiosk', 'transit stop', 'site')
    """
    if not isinstance(category, str) or not category.strip():
        return "site"
    return category.split("=")[-1].replace("_", " ").strip()


def street_network(plan: Any) -> Any:
    """A plan's walk network for labels: its :class:`~lockerplan.streets.Streets` (no
    graph is built), else its ``walk_graph`` attribute, else None."""
    streets = getattr(plan, "walk_streets", None)
    return streets if streets is not None else getattr(plan, "walk_graph", None)


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


def with_labels(places: gpd.GeoDataFrame, graph: Any) -> gpd.GeoDataFrame:
    """``places`` with a ``label``: the name, else "<category> near <street>".

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        Sites or candidates with ``name`` and ``category``, and their nearest named
        street (``near_street``) when the plan found it (then ``graph`` is not needed).
    graph : Streets, GraphArrays, networkx.MultiDiGraph or None
        The walk network; without one, unnamed places are labelled by category.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the ``label`` column (plain text, escaped when drawn).
    """
    if not len(places) or "label" in places.columns:
        return places
    names = (
        places["name"].fillna("").astype(str).str.strip()
        if "name" in places.columns
        else np.full(len(places), "")
    )
    unnamed = np.asarray(names == "")
    labels = np.array(names, dtype=object)
    if unnamed.any():
        categories = places["category"] if "category" in places.columns else [None] * len(places)
        what = np.array([_what(c) for c in categories], dtype=object)[unnamed]
        if "near_street" in places.columns:  # found when the plan was prepared
            streets = places["near_street"].fillna("").astype(str).to_numpy()[unnamed].tolist()
        else:
            streets = nearest_streets(places[unnamed], graph) if graph is not None else []
        labels[unnamed] = [
            f"{w} near {s}" if s else w
            for w, s in zip(what, streets or [""] * len(what), strict=True)
        ]
    return places.assign(label=labels)
