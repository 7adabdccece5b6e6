"""Text helpers of the coverage map: escaping, number formats, tables, the panel control.

Everything here returns HTML text or plain values; nothing draws a layer.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from ..figures import missing

#: The OpenStreetMap credit (ODbL) of the base layer and the panel.
OSM_ATTRIBUTION_HTML = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a>'
)


def escape(value: Any) -> str:
    """Text made safe for folium tooltips and popups (HTML and JS template literals).

    ``None`` and NaN become the empty string. Besides ``& < > " '``, backticks,
    ``$`` and backslashes become character references, since folium puts tooltip
    and popup HTML inside JavaScript template literals.

    Parameters
    ----------
    value : Any
        Anything; it is shown as ``str(value)``.

    Returns
    -------
    str
        The escaped text.

    Examples
    --------
    >>> escape("<b>`${x}`</b>")
    '&lt;b&gt;&#96;&#36;{x}&#96;&lt;/b&gt;'
    >>> escape(None), escape(float("nan"))
    ('', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return (
        html.escape(str(value), quote=True)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("\\", "&#92;")
    )


def num(value: Any, fmt: str = "{:,.1f}", unit: str = "") -> str:
    """A formatted number, or an en dash when missing.

    Text that is not a number is escaped and returned as it is.

    Examples
    --------
    >>> num(1234.56, "{:,.0f}", "m")
    '1,235 m'
    >>> num(None)
    '–'
    """
    if missing(value):
        return "\u2013"
    try:
        text = fmt.format(float(value))
    except (TypeError, ValueError):
        return escape(value)
    return f"{text} {unit}".rstrip()


def table_html(rows: list[tuple[str, str]], cls: str = "") -> str:
    """An HTML table of (label, value) rows; both are inserted as given (pre-escaped).

    Examples
    --------
    >>> table_html([("Site", "s1")], "lp-x")
    "<table class='lp-table lp-x'><tr><th>Site</th><td>s1</td></tr></table>"
    """
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='{f'lp-table {cls}'.strip()}'>{cells}</table>"


def plain_id(value: Any) -> str:
    """A generated id reduced to harmless characters (for DOM attributes).

    Examples
    --------
    >>> plain_id("site<1>")
    'site1'
    """
    return re.sub(r"[^\w .:-]", "", str(value))[:60]


def lat_lon(geom: Any) -> list[float] | None:
    """``[lat, lon]`` of a point (a representative point of other shapes); None if empty."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type != "Point":
        geom = geom.representative_point()
    return [float(geom.y), float(geom.x)]


def map_bounds(*frames: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the first non-empty frame, or None."""
    for frame in frames:
        if frame is None or len(frame) == 0:
            continue
        b = frame.total_bounds
        if np.all(np.isfinite(b)):
            s, w, n, e = (round(float(v), 6) for v in (b[1], b[0], b[3], b[2]))
            return [[s, w], [n, e]]
    return None


#: Below this window width (CSS px) the layer control and the KPI panel start closed.
SMALL_SCREEN_PX = 700

#: Styles of the KPI panel, its legend swatches and the site popups.
PAGE_CSS = """
<style>
.lockerplan-panel {background:#fff;padding:6px 9px;border-radius:6px;
  box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.35 sans-serif;max-width:330px;
  max-height:70vh;overflow:auto;color:#222}
.lockerplan-panel summary {cursor:pointer;font-size:13px;margin-bottom:3px}
.lockerplan-panel .lp-table {border-collapse:collapse;margin:2px 0}
.lockerplan-panel .lp-table th {text-align:left;padding:0 8px 0 0;font-weight:600;
  vertical-align:top}
.lockerplan-panel .lp-compare td, .lockerplan-panel .lp-compare th {padding:0 6px 0 0}
.lockerplan-panel .lp-compare td {text-align:right}
.lockerplan-panel .lp-section {font-weight:700;margin-top:5px}
.lockerplan-panel .lp-legend {margin-top:5px;columns:2;column-gap:10px}
.lockerplan-panel .lp-legend div {break-inside:avoid}
.lockerplan-panel .lp-note {margin-top:4px;color:#555;font-size:11px}
.lp-sw {display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.lp-dot {border-radius:50%} .lp-pin {border-radius:50% 50% 50% 0;transform:rotate(-45deg)}
.lp-box {border:1px solid #888} .lp-line {height:3px;vertical-align:2px;width:14px}
.lp-ramp {width:40px;margin:0 3px} .lp-end {font-size:10px;color:#555}
.lp-hub {width:22px;height:22px;border-radius:4px;background:#303030;color:#fff;
  border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5);box-sizing:border-box;
  display:flex;align-items:center;justify-content:center;font-size:11px}
.lp-hub-icon, .lp-pin-icon {background:none;border:none}
.lp-marker {width:28px;height:28px;border-radius:50% 50% 50% 0;transform:rotate(-45deg);
  border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.55);box-sizing:border-box;
  display:flex;align-items:center;justify-content:center}
.lp-marker i {transform:rotate(45deg);font-size:12px}
.lp-fullscreen {font-size:18px;line-height:30px;text-align:center;text-decoration:none}
.leaflet-container.lp-no-tiles {background:#fafafa}
.lp-fullscreen svg {width:16px;height:16px;vertical-align:-2px}
.lp-popup {font:13px/1.35 sans-serif}
.lp-toggle-site, .lp-reset {margin-top:5px;padding:2px 8px;font:12px sans-serif;cursor:pointer;
  border:1px solid #888;border-radius:4px;background:#f4f4f4}
.lockerplan-panel .lp-whatif td {font-variant-numeric:tabular-nums}
.lp-popup .lp-table th {text-align:left;padding-right:8px;vertical-align:top;white-space:nowrap}
.lp-status:not(:empty) {margin-bottom:4px;padding:2px 5px;border-radius:3px;background:#fff3d6;
  border-left:3px solid #e69f00}
.lockerplan-panel .lp-head {font-size:13px;margin-bottom:3px}
.lp-strip {display:flex;gap:5px;margin:2px 0 5px}
.lp-tile {flex:1 1 0;text-align:center;background:#eef3f8;border-radius:4px;padding:2px 3px;
  min-width:0}
.lp-tile span {display:block;font-size:10px;color:#333;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis}
.lp-tile .lp-big {font-size:16px;font-weight:700;color:#111}
.lp-sw.lp-ring {border:2px dashed;background:none;border-radius:50%;box-sizing:border-box}
.lockerplan-panel .lp-more {margin-top:3px}
.leaflet-control-layers {font:13px/1.3 sans-serif}
.leaflet-control-layers label {margin:0;font-size:13px}
.leaflet-control-layers-expanded {max-height:calc(100vh - 60px);overflow:auto}
.lp-title {position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:800;
  background:rgba(255,255,255,.93);padding:4px 10px;border-radius:6px;text-align:center;
  box-shadow:0 1px 5px rgba(0,0,0,.35);font:15px/1.3 sans-serif;color:#111;
  max-width:calc(100% - 700px);min-width:220px}
.lp-title .lp-sub {font-size:12px;color:#444}
@media (max-width: 700px) {
  .lockerplan-panel {max-width:calc(100vw - 24px);max-height:42vh;font-size:11px}
  .lockerplan-panel .lp-legend {font-size:10px}
  .lp-title {max-width:calc(100% - 124px);min-width:0;font-size:12px;padding:3px 6px;top:8px}
  .lp-title .lp-sub {font-size:10px}
  .leaflet-control-attribution {font-size:9px;max-width:calc(100vw - 110px)}
}
</style>
"""


class PanelControl(MacroElement):
    """A Leaflet control holding fixed HTML (stays visible in fullscreen mode).

    Parameters
    ----------
    html_text : str
        The control's content, inserted as HTML (escape user text beforehand).
    position : str, default "bottomleft"
        Leaflet control corner.
    element_id : str, default ""
        DOM id of the control's ``div``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "leaflet-control lockerplan-panel");
            div.id = {{ this.element_id|tojson }};
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            if (window.innerWidth < {{ this.small_px }}) {  // the headline figures stay
                var details = div.querySelector("details");
                if (details) { details.open = false; }
            }
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomleft", element_id: str = "") -> None:
        super().__init__()
        self._name = "LockerplanPanel"
        self.html = html_text
        self.position = position
        self.element_id = element_id
        self.small_px = SMALL_SCREEN_PX


class MapTitle(MacroElement):
    """A title over the top middle of the map (HTML, escaped beforehand)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var div = L.DomUtil.create("div", "lp-title", map.getContainer());
            div.id = "lockerplan-title";
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "MapTitle"
        self.html = html_text


class SmallScreen(MacroElement):
    """Collapse a layer control on screens narrower than :data:`SMALL_SCREEN_PX`.

    The control opens when its icon is tapped (focused) and closes on a map click.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (window.innerWidth < {{ this.small_px }}) {
            {{ this.control.get_name() }}.collapse();
            {{ this._parent.get_name() }}.on("click", function () {
                {{ this.control.get_name() }}.collapse();
            });
        }
        {% endmacro %}
        """
    )

    def __init__(self, control: MacroElement) -> None:
        super().__init__()
        self._name = "SmallScreen"
        self.control = control
        self.small_px = SMALL_SCREEN_PX
