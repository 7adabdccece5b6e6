"""Layers built in the browser from compact rows, so the page stays small at any scale.

folium writes one JavaScript block per feature (a ``folium.GeoJson`` or
``folium.CircleMarker`` with its own style dict and tooltip call, about 1 kB
each); a city of demand points and catchments then weighs megabytes.
:class:`JsLayer` embeds the rows once, as JSON with coordinates rounded to
:data:`DIGITS` decimals, and one JavaScript function for the whole layer turns
each row into a Leaflet layer (its style read from the row's numbers). Rows may
be shared between layers (:attr:`JsLayer.source`): the coverage cells are embedded
once and drawn by the cell, underserved and (at scale) demand overlays.

Text in rows is inserted as HTML by Leaflet's tooltips: escape it beforehand
(:func:`lockerplan.maps.html.escape`). The JSON itself is made safe for a
``<script>`` block (``<`` and ``>`` become ``\\u003c``/``\\u003e``).
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

#: Decimals of longitudes and latitudes in the page (6: about 0.1 m).
DIGITS = 6

#: JavaScript number formats shared by the layers' tooltips (as Python's ``{:,.Nf}``).
JS_FORMATS = (
    "var fmt = function (x, d) { return x.toLocaleString('en-US', "
    "{minimumFractionDigits: d, maximumFractionDigits: d}); };"
)


def page_json(value: Any) -> str:
    """Compact JSON that cannot end a ``<script>`` block.

    Examples
    --------
    >>> page_json({"t": "</script>", "c": [60.1, 24.9]})
    '{"t":"\\\\u003c/script\\\\u003e","c":[60.1,24.9]}'
    """
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def rounded(geom: Any, digits: int = DIGITS) -> Any:
    """A geometry with its coordinates rounded to ``digits`` decimals."""
    return shapely.transform(geom, lambda xy: np.round(xy, digits))


def lat_lon_rings(geom: Any) -> list:
    """A (multi)polygon as Leaflet ``latlngs``: polygons of rings of ``[lat, lon]``.

    Coordinates are rounded to :data:`DIGITS` decimals. Examples
    --------
    >>> from shapely.geometry import box
    >>> lat_lon_rings(box(24.0, 60.0, 24.1, 60.1))
    [[[[60.0, 24.1], [60.1, 24.1], [60.1, 24.0], [60.0, 24.0]]]]
    """
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for poly in polygons:
        if poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        out.append([np.round(np.asarray(r.coords)[:-1, 1::-1], DIGITS).tolist() for r in rings])
    return out


def simplified(frame: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """``frame``'s geometries simplified by ``tolerance_m`` metres (in the local UTM CRS).

    Returned in EPSG:4326; an empty or unprojected frame is returned unchanged.
    """
    geoms = frame.geometry
    if not len(frame) or tolerance_m <= 0 or frame.crs is None:
        return geoms
    utm = frame.estimate_utm_crs()
    return geoms.to_crs(utm).simplify(tolerance_m).to_crs("EPSG:4326")


class JsLayer(MacroElement):
    """Rows drawn by one JavaScript function, added to the parent feature group.

    Parameters
    ----------
    rows : list
        JSON-ready rows (dicts with short keys; escape their text first).
    build : str
        A JavaScript function expression ``function (r, i) {...}`` returning a
        Leaflet layer for row ``r`` (position ``i`` in the rows), or null to skip it.
    source : JsLayer, optional
        Draw ``source``'s rows instead of embedding ``rows`` again (it must be
        rendered first: add its group to the map earlier).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_rows = {{ this.rows_js }};
        (function (rows, group) {
            var build = {{ this.build }};
            for (var i = 0; i < rows.length; i++) {
                var layer = build(rows[i], i);
                if (layer) { layer.addTo(group); }
            }
        })({{ this.get_name() }}_rows, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list, build: str, source: JsLayer | None = None) -> None:
        super().__init__()
        self._name = "JsLayer"
        self.source = source
        self.rows = rows if source is None else source.rows
        self.rows_js = page_json(rows) if source is None else f"{source.get_name()}_rows"
        self.build = build


class GroupHandle(MacroElement):
    """``window[name]``: the parent feature group, for scripts that add to it later."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window[{{ this.handle|tojson }}] = {{ this._parent.get_name() }};
        {% endmacro %}
        """
    )

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = "GroupHandle"
        self.handle = name
