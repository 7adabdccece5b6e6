"""The frame every lockerplan map is drawn in: the base layers and the controls.

:func:`base_map` is an empty, self-contained map (:mod:`~lockerplan.maps.assets`)
on the study area with two base layers: the OpenStreetMap tiles with their ODbL
credit, and the plan's own streets drawn from its network (light grey lines),
which replace the tiles by themselves when the tiles cannot load (offline, or a
tile server that refuses). :func:`add_controls` adds the layer control
(collapsed on small screens) and a full-screen button. The plan map
(:mod:`~lockerplan.maps.coverage`) and the comparison page
(:mod:`~lockerplan.maps.compare`) are both drawn in it.
"""

from __future__ import annotations

import logging
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from .assets import offline
from .html import OSM_ATTRIBUTION_HTML, SmallScreen
from .js import page_json

log = logging.getLogger(__name__)

#: The base layer drawn from the plan's streets, as the layer control names it.
STREETS_LAYER = "Streets (no tiles needed)"
#: Most points of street lines in a page (about 1 MB); above it, shorter streets are left out.
STREET_POINTS = 100_000
#: Simplification of the street lines, metres.
STREET_TOLERANCE_M = 3.0
#: Colour of the drawn streets.
STREET_COLOUR = "#b4b4b4"


def street_shapes(network: Any, max_points: int = STREET_POINTS) -> gpd.GeoSeries:
    """The streets of a network as simplified lines in EPSG:4326, each street once.

    What the streets base layer draws and a plan's GeoPackage keeps as its
    ``streets`` layer: both directions of a street once, simplified by
    :data:`STREET_TOLERANCE_M`, longest first, at most ``max_points`` points in all.

    Parameters
    ----------
    network : Streets, GraphArrays, networkx.MultiDiGraph or geopandas.GeoSeries
        The plan's walk network (:func:`lockerplan.maps.names.street_network`), or
        lines made by this function before (a plan's ``streets`` layer), kept as
        they are within ``max_points``.
    max_points : int, default STREET_POINTS
        Most points in all; the shortest streets are left out beyond it.

    Returns
    -------
    geopandas.GeoSeries
        The lines; empty when the network has no street shapes, or is a network
        not read here (a plan whose walking ran on Dask has the lines its worker
        drew instead, :attr:`lockerplan.Plan.streets`).
    """
    from ..distances import graph_arrays

    if network is None:
        return _no_streets()
    if isinstance(network, gpd.GeoDataFrame):
        network = network.geometry
    if isinstance(network, gpd.GeoSeries):
        lines = network[~(network.is_empty | network.isna())]
        if lines.crs is not None:
            lines = lines.to_crs("EPSG:4326")
        keep = np.cumsum(shapely.get_num_coordinates(lines.to_numpy())) <= max_points
        return lines[keep].reset_index(drop=True)
    if getattr(network, "source", None) is not None and getattr(network, "arcs", 0) is None:
        # a network kept on a Dask worker: the worker draws the lines (WalkNetwork)
        log.info("streets base layer: the walk network is on a Dask worker, not read here")
        return _no_streets()
    if hasattr(network, "arrays"):
        arrays = network.arrays()
    elif hasattr(network, "geom_ptr"):
        arrays = network
    else:
        arrays = graph_arrays(network)
    if not arrays.has_edges or not len(arrays.edge_u):
        return _no_streets()
    u, v = arrays.edge_u, arrays.edge_v
    pairs = np.column_stack([np.minimum(u, v), np.maximum(u, v), np.round(arrays.edge_length)])
    _, first = np.unique(pairs, axis=0, return_index=True)  # both directions of a street once
    first = first[u[first] != v[first]]
    order = first[np.argsort(-arrays.edge_length[first], kind="stable")]
    ptr = arrays.geom_ptr
    lines = shapely.linestrings(
        arrays.geom_xy[np.concatenate([np.arange(ptr[e], ptr[e + 1]) for e in order])],
        indices=np.repeat(np.arange(len(order)), np.diff(ptr)[order]),
    )
    lines = shapely.simplify(lines, STREET_TOLERANCE_M)
    keep = np.cumsum(shapely.get_num_coordinates(lines)) <= max_points
    if not keep.all():
        log.info("map: %d of %d streets drawn (the longest)", keep.sum(), len(keep))
    return gpd.GeoSeries(lines[keep], crs=arrays.crs).to_crs("EPSG:4326")


def _no_streets() -> gpd.GeoSeries:
    return gpd.GeoSeries([], crs="EPSG:4326")


def street_lines(network: Any, max_points: int = STREET_POINTS) -> list[list[int]]:
    """The streets of :func:`street_shapes` as compact lines for the page.

    Each line is ``[lat, lon, dlat, dlon, ...]`` in units of 1e-5 degree (about
    1 m): its first point, then the steps to the next (small whole numbers, a
    third of the size of the coordinates written out).

    Parameters
    ----------
    network : Streets, GraphArrays, networkx.MultiDiGraph or geopandas.GeoSeries
        As :func:`street_shapes` takes it.
    max_points : int, default STREET_POINTS
        Most points in all; the shortest streets are left out beyond it.

    Returns
    -------
    list
        The encoded lines; empty when there are no streets to draw.
    """
    out = []
    for geom in street_shapes(network, max_points):
        units = np.round(np.asarray(geom.coords)[:, ::-1] * 1e5).astype(np.int64)
        out.append(np.diff(units, axis=0, prepend=0).ravel().tolist())
    return out


class StreetsBase(MacroElement):
    """The streets base layer, and the switch to it when the tiles cannot load.

    Parameters
    ----------
    tiles : folium.TileLayer
        The tile layer it stands in for.
    lines : list
        From :func:`street_lines`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_group = (function (map, tiles) {
            map.createPane("lp-streets").style.zIndex = 250;
            var lines = {{ this.lines_js }}.map(function (d) {
                var out = [], lat = 0, lon = 0;
                for (var i = 0; i < d.length; i += 2) {
                    lat += d[i]; lon += d[i + 1]; out.push([lat / 1e5, lon / 1e5]);
                }
                return out;
            });
            var streets = L.polyline(lines, {
                pane: "lp-streets", renderer: L.canvas({pane: "lp-streets"}),
                color: {{ this.colour|tojson }}, weight: 1.2, opacity: 0.9,
                interactive: false, smoothFactor: 1.5, attribution: {{ this.attribution|tojson }}});
            var group = L.layerGroup([streets]);
            var loaded = false;
            tiles.on("tileload", function () { loaded = true; });
            var useStreets = function () {
                if (loaded || !map.hasLayer(tiles)) { return; }
                map.removeLayer(tiles);
                map.addLayer(group);
            };
            tiles.on("tileerror", useStreets);
            if (navigator.onLine === false) { useStreets(); }
            map.on("baselayerchange", function (e) {
                map.getContainer().classList.toggle("lp-no-tiles", e.layer === group);
            });
            map.on("layeradd", function (e) {
                if (e.layer === group) { map.getContainer().classList.add("lp-no-tiles"); }
            });
            map.on("layerremove", function (e) {
                if (e.layer === group) { map.getContainer().classList.remove("lp-no-tiles"); }
            });
            window.lockerplanBaseLayers = {tiles: tiles, streets: group};
            return group;
        })({{ this._parent.get_name() }}, {{ this.tiles.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, tiles: folium.TileLayer, lines: list) -> None:
        super().__init__()
        self._name = "StreetsBase"
        self.tiles = tiles
        self.lines_js = page_json(lines)
        self.colour = STREET_COLOUR
        self.attribution = OSM_ATTRIBUTION_HTML  # the streets are OpenStreetMap data too


def base_map(
    bounds: list[list[float]] | None, streets: Any = None, attribution: str | None = None
) -> folium.Map:
    """An empty, self-contained map centred on ``bounds`` (the world without).

    Parameters
    ----------
    bounds : list or None
        ``[[south, west], [north, east]]``.
    streets : Streets, GraphArrays, networkx.MultiDiGraph or geopandas.GeoSeries, optional
        The plan's walk network or its lines (:func:`street_shapes`), drawn as the
        base layer :data:`STREETS_LAYER` when the OpenStreetMap tiles cannot load.
    attribution : str, optional
        The tiles' credit (HTML); the OpenStreetMap credit by default.

    Returns
    -------
    folium.Map
    """
    centre = (
        [round((bounds[0][0] + bounds[1][0]) / 2, 6), round((bounds[0][1] + bounds[1][1]) / 2, 6)]
        if bounds
        else [0.0, 0.0]
    )
    fmap = offline(
        folium.Map(location=centre, zoom_start=15 if bounds else 2, tiles=None, control_scale=True)
    )
    tiles = folium.TileLayer(
        "OpenStreetMap",
        name="OpenStreetMap",
        attr=attribution or OSM_ATTRIBUTION_HTML,
        control=True,
    ).add_to(fmap)
    lines = street_lines(streets)
    if lines:
        fmap.lockerplan_streets = StreetsBase(tiles, lines).add_to(fmap)
    return fmap


class _StreetsInControl(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.control.get_name() }}.addBaseLayer(
            {{ this.streets.get_name() }}_group, {{ this.label|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, control: folium.LayerControl, streets: StreetsBase) -> None:
        super().__init__()
        self._name = "StreetsInControl"
        self.control, self.streets, self.label = control, streets, STREETS_LAYER


class FullScreen(MacroElement):
    """A full-screen button (the page's own lines; browsers' Fullscreen API)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control");
                var a = L.DomUtil.create("a", "lp-fullscreen", bar);
                a.href = "#"; a.title = "Full screen"; a.setAttribute("role", "button");
                a.setAttribute("aria-label", "Full screen");
                a.innerHTML = '<svg viewBox="0 0 16 16" aria-hidden="true"><path fill="none" ' +
                    'stroke="#333" stroke-width="2" d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5"/></svg>';
                L.DomEvent.on(a, "click", function (e) {
                    L.DomEvent.stop(e);
                    var box = map.getContainer();
                    if (document.fullscreenElement) { document.exitFullscreen(); }
                    else if (box.requestFullscreen) { box.requestFullscreen(); }
                });
                return bar;
            };
            control.addTo(map);
            document.addEventListener("fullscreenchange", function () {
                map.invalidateSize();
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FullScreen"


def add_controls(fmap: folium.Map) -> folium.LayerControl:
    """The layer control (collapsed on small screens) and the full-screen button."""
    control = folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    streets = getattr(fmap, "lockerplan_streets", None)
    if streets is not None:
        _StreetsInControl(control, streets).add_to(fmap)
    SmallScreen(control).add_to(fmap)
    FullScreen().add_to(fmap)
    return control
