"""Street networks: a walk graph for customers and a drive graph for vans.

Graphs are :class:`networkx.MultiDiGraph` objects in the osmnx convention (node
attributes ``x`` = longitude and ``y`` = latitude, ``graph["crs"] = "EPSG:4326"``,
edge attributes ``length`` in metres and ``travel_time`` in seconds), so every
osmnx function works on them. Extracts are parsed with pyrosm; online queries by
place name go through osmnx and need internet.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from . import settings
from .errors import InputError
from .osm import open_osm

log = logging.getLogger(__name__)

_ONEWAY_FORWARD = {"yes", "true", "1"}
_ONEWAY_BACKWARD = {"-1", "reverse"}


def _parse_maxspeed(value: object) -> float:
    """Speed in km/h from an OSM ``maxspeed`` value, NaN if not numeric."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(mph)?", str(value))
    if not match:
        return np.nan
    speed = float(match.group(1))
    return speed * 1.609344 if match.group(2) else speed


def _first(value: object) -> str:
    """First value of a possibly list-valued OSM tag, as a string."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _largest_component(G: nx.MultiDiGraph, strongly: bool) -> nx.MultiDiGraph:
    comps = nx.strongly_connected_components(G) if strongly else nx.weakly_connected_components(G)
    largest = max(comps, key=len, default=set())
    dropped = G.number_of_nodes() - len(largest)
    H = G.subgraph(largest).copy()
    H.graph["dropped_nodes"] = dropped
    H.graph["dropped_share"] = dropped / G.number_of_nodes() if G.number_of_nodes() else 0.0
    if dropped:
        log.info(
            "%s graph: kept the largest connected component, dropped %d of %d nodes (%.1f %%)",
            G.graph.get("network_type", ""),
            dropped,
            G.number_of_nodes(),
            100 * H.graph["dropped_share"],
        )
    return H


def graph_from_osm(
    path: str | Path,
    network_type: str = "walk",
    *,
    walk_speed_kmh: float = settings.WALK_SPEED_KMH,
) -> nx.MultiDiGraph:
    """Build a walk or drive graph from an OSM PBF extract.

    The walk graph has an edge in both directions for every walkable street
    segment; the drive graph respects one-way streets. Only the largest connected
    component is kept (strongly connected for driving), and how much was dropped is
    stored in ``G.graph["dropped_nodes"]`` and ``G.graph["dropped_share"]``.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf`` extract.
    network_type : {"walk", "drive"}
        Which network to build.
    walk_speed_kmh : float, default 4.8
        Walking speed used for ``travel_time`` on the walk graph.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes keyed by OSM node id with ``x``/``y`` (lon/lat); edges with ``osmid``
        (way id), ``length`` (m), ``travel_time`` (s), ``highway`` and ``name``.

    Raises
    ------
    InputError
        If the file cannot be read or holds no streets of this type.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path
    >>> G = graph_from_osm(default_osm_path(), "walk")
    >>> G.graph["crs"]
    'EPSG:4326'
    """
    if network_type not in ("walk", "drive"):
        raise InputError(f"network_type must be 'walk' or 'drive', got {network_type!r}.")
    if not walk_speed_kmh > 0:
        raise InputError(f"walk_speed_kmh must be > 0 km/h, got {walk_speed_kmh!r}.")
    osm = open_osm(path)
    pyrosm_type = "walking" if network_type == "walk" else "driving"
    try:
        result = osm.get_network(network_type=pyrosm_type, nodes=True)
    except Exception as exc:
        raise InputError(f"--osm: cannot read streets from {str(path)!r}: {exc}") from exc
    if result is None or result[1] is None or len(result[1]) == 0:
        raise InputError(
            f"--osm: {str(path)!r} holds no {network_type} streets; give an extract that covers "
            "a street network (not only buildings or a single feature)."
        )
    nodes, edges = result
    G = _graph_from_segments(nodes, edges, network_type, walk_speed_kmh)
    G.graph["name"] = Path(path).name
    return _largest_component(G, strongly=network_type == "drive")


def _graph_from_segments(
    nodes: pd.DataFrame, edges: pd.DataFrame, network_type: str, walk_speed_kmh: float
) -> nx.MultiDiGraph:
    """Assemble a MultiDiGraph from pyrosm's node table and per-segment edge table."""
    G = nx.MultiDiGraph(crs="EPSG:4326", network_type=network_type)
    G.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(nodes["id"], nodes["lon"], nodes["lat"], strict=True)
    )
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    length = edges["length"].to_numpy(dtype=float)
    highway = edges["highway"].map(_first).to_numpy() if "highway" in edges else [""] * len(u)
    name = edges["name"].map(_first).to_numpy() if "name" in edges else [""] * len(u)
    way = edges["id"].to_numpy(dtype=np.int64)
    if network_type == "walk":
        speed = np.full(len(u), walk_speed_kmh)
        forward = np.ones(len(u), dtype=bool)
        backward = forward
    else:
        maxspeed = edges["maxspeed"].map(_parse_maxspeed) if "maxspeed" in edges else np.nan
        fallback = pd.Series(highway).map(settings.DRIVE_SPEEDS_KMH)
        speed = (
            pd.Series(maxspeed, dtype=float)
            .fillna(fallback)
            .fillna(settings.DEFAULT_DRIVE_SPEED_KMH)
            .to_numpy()
        )
        oneway = (
            edges["oneway"].map(_first).str.lower().to_numpy()
            if "oneway" in edges
            else np.array([""] * len(u))
        )
        forward = ~np.isin(oneway, list(_ONEWAY_BACKWARD))
        backward = ~np.isin(oneway, list(_ONEWAY_FORWARD))
    travel_time = length / (speed / 3.6)
    for k in range(len(u)):
        attrs = {
            "osmid": int(way[k]),
            "length": float(length[k]),
            "travel_time": float(travel_time[k]),
            "highway": highway[k],
            "name": name[k],
        }
        if forward[k]:
            G.add_edge(int(u[k]), int(v[k]), **attrs)
        if backward[k]:
            G.add_edge(int(v[k]), int(u[k]), **attrs)
    G.remove_nodes_from([n for n, deg in G.degree() if deg == 0])
    return G


def graph_from_place(place: str, network_type: str = "walk") -> nx.MultiDiGraph:
    """Download a walk or drive graph for a place name with osmnx (needs internet).

    Parameters
    ----------
    place : str
        A geocodable place, e.g. ``"Kamppi, Helsinki"``.
    network_type : {"walk", "drive"}

    Returns
    -------
    networkx.MultiDiGraph
        Same conventions as :func:`graph_from_osm`.
    """
    import osmnx as ox

    try:
        G = ox.graph_from_place(place, network_type=network_type, simplify=False)
    except Exception as exc:  # osmnx raises network and geocoding errors of many types
        raise InputError(f"--place: cannot load streets for {place!r}: {exc}") from exc
    G = ox.add_edge_speeds(G) if network_type == "drive" else G
    for _, _, data in G.edges(data=True):
        speed = data.get("speed_kph", settings.WALK_SPEED_KMH)
        data["travel_time"] = data["length"] / (speed / 3.6)
    G.graph["crs"] = "EPSG:4326"
    G.graph["network_type"] = network_type
    return _largest_component(G, strongly=network_type == "drive")
