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


def nearest_streets(points: gpd.GeoDataFrame, graph: Any, max_m: float = STREET_M) -> list[str]:
    """The nearest named street of ``graph`` to each point ("" beyond ``max_m`` metres).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points in any CRS.
    graph : networkx.MultiDiGraph
        An osmnx walk graph (nodes with ``x``/``y``, edges with ``name``).
    max_m : float
        Search radius, metres.
    """
    named = [(u, v, d) for u, v, d in graph.edges(data=True) if _street(d.get("name"))]
    if not named or not len(points):
        return [""] * len(points)
    nodes = graph.nodes
    streets = gpd.GeoDataFrame(
        {"street": [_street(d["name"]) for _, _, d in named]},
        geometry=[
            d.get("geometry")
            or LineString([(nodes[u]["x"], nodes[u]["y"]), (nodes[v]["x"], nodes[v]["y"])])
            for u, v, d in named
        ],
        crs=graph.graph.get("crs", "EPSG:4326"),
    )
    utm = points.estimate_utm_crs()
    tree = shapely.STRtree(streets.to_crs(utm).geometry.to_numpy())
    found, _ = tree.query_nearest(
        points.to_crs(utm).geometry.to_numpy(), max_distance=max_m, return_distance=True
    )
    out = [""] * len(points)
    names = streets["street"].to_numpy()
    for i, j in zip(*found, strict=True):
        out[int(i)] = out[int(i)] or str(names[j])
    return out


def with_labels(places: gpd.GeoDataFrame, graph: Any) -> gpd.GeoDataFrame:
    """``places`` with a ``label``: the name, else "<category> near <street>".

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        Sites or candidates with ``name`` and ``category``.
    graph : networkx.MultiDiGraph or None
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
        streets = nearest_streets(places[unnamed], graph) if graph is not None else []
        labels[unnamed] = [
            f"{w} near {s}" if s else w
            for w, s in zip(what, streets or [""] * len(what), strict=True)
        ]
    return places.assign(label=labels)
