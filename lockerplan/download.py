"""Street networks downloaded with osmnx: by place name, bounding box or polygon (needs internet).

The graphs come back as :mod:`lockerplan.network` makes them from an extract: osmnx's
convention, lengths in metres, travel times in seconds, the largest connected
component kept and the drop reported. A failed query is an
:class:`~lockerplan.errors.InputError` naming the place and the fix.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely

from . import settings
from .errors import InputError
from .network import check_network_type, largest_component


def check_bbox(bbox: object) -> tuple[float, float, float, float]:
    """Validate a ``(west, south, east, north)`` bounding box in degrees (EPSG:4326).

    Parameters
    ----------
    bbox : sequence of 4 numbers
        West and east longitudes, south and north latitudes.

    Returns
    -------
    tuple of float

    Raises
    ------
    InputError
        If it is not four numbers, is out of range or has no area.

    Examples
    --------
    >>> check_bbox((24.93, 60.16, 24.95, 60.18))
    (24.93, 60.16, 24.95, 60.18)
    """
    fix = "give --bbox as WEST,SOUTH,EAST,NORTH in degrees, e.g. 24.93,60.16,24.95,60.18"
    try:
        values = tuple(float(v) for v in bbox)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InputError(f"--bbox: {bbox!r} is not four numbers; {fix}.") from None
    if len(values) != 4 or not all(np.isfinite(values)):
        raise InputError(f"--bbox: {bbox!r} is not four finite numbers; {fix}.")
    west, south, east, north = values
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise InputError(f"--bbox: longitudes {west}, {east} are outside -180..180; {fix}.")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise InputError(f"--bbox: latitudes {south}, {north} are outside -90..90; {fix}.")
    if not (west < east and south < north):
        raise InputError(
            f"--bbox: {bbox!r} has no area (needs WEST < EAST and SOUTH < NORTH); {fix}."
        )
    return values


def _from_osmnx(G: nx.MultiDiGraph, network_type: str, what: str) -> nx.MultiDiGraph:
    """Add travel times to an osmnx graph and keep its largest component."""
    import osmnx as ox

    if G.number_of_edges() == 0:
        raise InputError(f"{what} has no {network_type} streets; choose a larger or other area.")
    if network_type == "drive":
        G = ox.add_edge_speeds(G, hwy_speeds=settings.DRIVE_SPEEDS_KMH)
        G = ox.add_edge_travel_times(G)
    else:
        for _, _, data in G.edges(data=True):
            data["travel_time"] = data["length"] / (settings.WALK_SPEED_KMH / 3.6)
    G.graph["crs"] = "EPSG:4326"
    G.graph["network_type"] = network_type
    G.graph["from_cache"] = False
    return largest_component(G, strongly=network_type == "drive")


def _osmnx_call(fn, what: str, network_type: str, *args) -> nx.MultiDiGraph:
    try:
        G = fn(*args, network_type=network_type, simplify=True, retain_all=True)
    except InputError:
        raise
    except Exception as exc:  # osmnx raises network, geocoding and empty-response errors
        kind = type(exc).__name__
        if "InsufficientResponse" in kind or "no data" in str(exc).lower():
            raise InputError(
                f"{what} has no {network_type} streets in OpenStreetMap; choose a larger "
                "or other area."
            ) from exc
        raise InputError(
            f"{what}: cannot load streets with osmnx ({kind}: {exc}); this needs internet "
            "access to Nominatim and Overpass, or give a local extract with --osm."
        ) from exc
    return _from_osmnx(G, network_type, what)


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
        Same conventions as :func:`graph_from_osm` (simplified, with edge geometries).

    Raises
    ------
    InputError
        If the name is empty, cannot be geocoded, the area has no streets or the
        download fails.

    Examples
    --------
    >>> G = graph_from_place("Kamppi, Helsinki", "walk")  # doctest: +SKIP
    """
    import osmnx as ox

    check_network_type(network_type)
    if not isinstance(place, str) or not place.strip():
        raise InputError(f"--place: {place!r} is not a place name; give e.g. 'Kamppi, Helsinki'.")
    return _osmnx_call(ox.graph_from_place, f"--place {place!r}", network_type, place)


def graph_from_bbox(
    bbox: tuple[float, float, float, float], network_type: str = "walk"
) -> nx.MultiDiGraph:
    """Download a walk or drive graph for a bounding box with osmnx (needs internet).

    Parameters
    ----------
    bbox : (west, south, east, north)
        Degrees, EPSG:4326.
    network_type : {"walk", "drive"}

    Returns
    -------
    networkx.MultiDiGraph

    Raises
    ------
    InputError
        If the box is invalid (checked before any download), has no streets or the
        download fails.

    Examples
    --------
    >>> G = graph_from_bbox((24.93, 60.16, 24.95, 60.18), "walk")  # doctest: +SKIP
    """
    import osmnx as ox

    check_network_type(network_type)
    box = check_bbox(bbox)
    return _osmnx_call(ox.graph_from_bbox, f"--bbox {box}", network_type, box)


def graph_from_polygon(polygon: object, network_type: str = "walk") -> nx.MultiDiGraph:
    """Download a walk or drive graph inside a polygon (EPSG:4326) with osmnx (needs internet).

    Parameters
    ----------
    polygon : shapely.Polygon or shapely.MultiPolygon
        The study area in longitude/latitude.
    network_type : {"walk", "drive"}

    Returns
    -------
    networkx.MultiDiGraph

    Raises
    ------
    InputError
        If the polygon is not a valid, non-empty (Multi)Polygon in degrees, has no
        streets or the download fails.

    Examples
    --------
    >>> G = graph_from_polygon(shapely.box(24.93, 60.16, 24.95, 60.18))  # doctest: +SKIP
    """
    import osmnx as ox

    check_network_type(network_type)
    if not isinstance(polygon, shapely.Polygon | shapely.MultiPolygon) or polygon.is_empty:
        raise InputError(
            f"--polygon: expected a non-empty shapely Polygon or MultiPolygon, got "
            f"{type(polygon).__name__}; read the study area with geopandas and pass its geometry."
        )
    if not polygon.is_valid:
        raise InputError("--polygon: the polygon is not valid (self-intersecting); fix it first.")
    check_bbox(polygon.bounds)
    return _osmnx_call(ox.graph_from_polygon, "--polygon", network_type, polygon)
