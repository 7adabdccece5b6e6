"""Interactive coverage maps (folium).

One self-contained HTML page per plan, for stakeholders who only open the map:

* an OpenStreetMap base layer with the ODbL credit;
* overlays, one :class:`folium.FeatureGroup` each (see :data:`LAYERS`): coverage
  share per grid cell, underserved areas (demand beyond the walking cutoff), a
  demand heat map, walking catchments, demand clusters sized by parcels and
  coloured covered / not covered, candidate sites, van routes coloured per van,
  open sites by kind with popups, and hubs;
* a layer control, a fullscreen button, a mini map, a scale bar, and a KPI panel
  with the legend (coverage, sites, cost per parcel, lockers vs door-to-door when
  the plan has those figures).

Every text that comes from OSM or from the user is HTML-escaped exactly once
before it reaches the page (:func:`escape`); folium inserts tooltip and popup
HTML into JavaScript template literals unescaped, so the escape also
neutralises backticks, ``$`` and backslashes.
"""

from __future__ import annotations

import html
import logging
import math
import re
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium import plugins
from folium.template import Template

from .equity import coverage_by_cell, equity_summary, underserved_cells
from .settings import OSM_ATTRIBUTION

log = logging.getLogger(__name__)

#: Overlay layers by key, in drawing order (bottom to top); the values are the
#: names shown in the layer control.
LAYERS = {
    "cells": "Coverage share per grid cell",
    "underserved": "Underserved areas (demand beyond the cutoff)",
    "heat": "Demand heat map",
    "catchments": "Walking catchments",
    "demand": "Demand clusters (parcels/day)",
    "candidates": "Candidate sites",
    "routes": "Van routes",
    "sites": "Open sites",
    "hubs": "Hubs",
}
#: Overlays that start hidden (ticked off in the layer control).
HIDDEN_LAYERS = frozenset({"cells", "heat", "candidates"})

ROUTE_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
]
#: Leaflet.awesome-markers colour of an open site, by kind.
KIND_COLOURS = {"cabinet": "blue", "pickup_point": "purple"}
#: The same colours as CSS (for the legend and the catchments).
KIND_CSS = {"cabinet": "#38a9dc", "pickup_point": "#d252b9"}
KIND_LABELS = {"cabinet": "cabinet", "pickup_point": "pickup point"}
KIND_ICONS = {"cabinet": "inbox", "pickup_point": "store"}
COVERED_COLOUR = "#2ca02c"
UNCOVERED_COLOUR = "#d62728"
CANDIDATE_COLOUR = "#666666"
UNDERSERVED_COLOUR = "#e6550d"
#: Coverage-share ramp of the grid cells, from 0 to 1.
SHARE_COLOURS = ["#d73027", "#fee08b", "#1a9850"]

OSM_ATTRIBUTION_HTML = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a>'
)
_OSM_ID = re.compile(r"^(node|way|relation)/\d+$")

#: Door-to-door comparison rows of the KPI panel: key, label, number format.
COMPARISON_ROWS = [
    ("km", "Van km", "{:,.1f}"),
    ("driver_hours", "Driver hours", "{:,.1f}"),
    ("vans", "Vans", "{:,.0f}"),
    ("stops", "Stops", "{:,.0f}"),
    ("cost_per_parcel", "Cost per parcel", "{:,.2f}"),
    ("cost", "Cost per day", "{:,.0f}"),
    ("co2_kg", "CO\u2082 kg/day", "{:,.1f}"),
    ("co2_g_per_parcel", "CO\u2082 g/parcel", "{:,.0f}"),
]


def escape(value: Any) -> str:
    """Text made safe for folium tooltips and popups (HTML and JS template literals).

    ``None`` and NaN become the empty string. Besides ``& < > " '``, backticks,
    ``$`` and backslashes become character references, since folium puts tooltip
    and popup HTML inside JavaScript template literals.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return (
        html.escape(str(value), quote=True)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("\\", "&#92;")
    )


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _num(value: Any, fmt: str = "{:,.1f}", unit: str = "") -> str:
    """A formatted number, or an en dash when missing."""
    if _missing(value):
        return "\u2013"
    try:
        text = fmt.format(float(value))
    except (TypeError, ValueError):
        return escape(value)
    return f"{text} {unit}".rstrip()


def _table(rows: list[tuple[str, str]], cls: str = "") -> str:
    """An HTML table of (label, value) rows; both are inserted as given (pre-escaped)."""
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='{f'lp-table {cls}'.strip()}'>{cells}</table>"


def _col(frame: pd.DataFrame, row: Any, name: str, default: Any = None) -> Any:
    return row[name] if name in frame.columns else default


# --------------------------------------------------------------------------- panel


def _currency(kpis: dict[str, Any]) -> str:
    """The currency label: ``kpis["currency"]``, else the one in ``kpis["lockers"]``."""
    for source in (kpis, kpis.get("lockers"), kpis.get("door_to_door")):
        if isinstance(source, dict) and source.get("currency"):
            return escape(source["currency"])
    return ""


def _comparison_html(kpis: dict[str, Any]) -> str:
    lockers, d2d = kpis.get("lockers"), kpis.get("door_to_door")
    if not isinstance(lockers, dict) or not isinstance(d2d, dict):
        return ""
    currency = _currency(kpis)
    rows = []
    for key, label, fmt in COMPARISON_ROWS:
        a, b = lockers.get(key), d2d.get(key)
        if _missing(a) and _missing(b):
            continue
        unit = currency if key.startswith("cost") else ""
        change = "\u2013"
        if not _missing(a) and not _missing(b) and float(b) != 0:
            change = f"{100 * (float(a) - float(b)) / abs(float(b)):+.0f} %"
        rows.append(
            f"<tr><th>{escape(label)}</th><td>{_num(a, fmt, unit)}</td>"
            f"<td>{_num(b, fmt, unit)}</td><td>{change}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<div class='lp-section'>Lockers vs door-to-door</div>"
        "<table class='lp-table lp-compare'><tr><th></th><th>Lockers</th>"
        f"<th>Door-to-door</th><th>Change</th></tr>{''.join(rows)}</table>"
    )


def _legend_html() -> str:
    def swatch(css: str, shape: str = "dot") -> str:
        return f"<span class='lp-sw lp-{shape}' style='background:{css}'></span>"

    ramp = ", ".join(SHARE_COLOURS)
    items = [
        f"{swatch(COVERED_COLOUR)}covered demand",
        f"{swatch(UNCOVERED_COLOUR)}not covered",
        f"{swatch(KIND_CSS['cabinet'], 'pin')}cabinet",
        f"{swatch(KIND_CSS['pickup_point'], 'pin')}pickup point",
        f"{swatch('#303030', 'pin')}hub",
        f"{swatch(CANDIDATE_COLOUR)}candidate",
        f"{swatch('rgba(56,169,220,.3)', 'box')}walking catchment",
        f"{swatch('rgba(230,85,13,.5)', 'box')}underserved area",
        f"<span class='lp-sw lp-ramp' style='background:linear-gradient(90deg,{ramp})'></span>"
        "cell coverage %",
        f"{swatch(ROUTE_COLOURS[0], 'line')}van route (colour per van)",
    ]
    return "<div class='lp-legend'>" + "".join(f"<div>{i}</div>" for i in items) + "</div>"


def kpi_panel_html(
    kpis: dict[str, Any],
    sites: gpd.GeoDataFrame | None = None,
    equity: dict[str, Any] | None = None,
) -> str:
    """The KPI panel and legend shown in the map's lower-left corner.

    Parameters
    ----------
    kpis : dict
        A plan's key figures (:attr:`lockerplan.plan.Plan.kpis`). Optional keys are
        shown when present: ``cost_per_parcel`` and ``currency``, and ``lockers`` /
        ``door_to_door`` dicts with ``km``, ``driver_hours``, ``vans``, ``stops``,
        ``cost_per_parcel``, ``cost`` and ``co2_kg``.
    sites : geopandas.GeoDataFrame, optional
        Open sites, to count them by kind.
    equity : dict, optional
        From :func:`lockerplan.equity.equity_summary`.

    Returns
    -------
    str
        HTML; every value is escaped.
    """
    share = kpis.get("coverage_share")
    n_sites = kpis.get("sites_open", len(sites) if sites is not None else None)
    sites_text = _num(n_sites, "{:,.0f}")
    if sites is not None and len(sites) and "kind" in sites.columns:
        counts = sites["kind"].value_counts()
        parts = [
            f"{int(counts[k])} {KIND_LABELS.get(k, str(k))}{'s' if counts[k] != 1 else ''}"
            for k in counts.index
        ]
        sites_text += f" ({escape(', '.join(parts))})"
    rows = [
        (
            "Coverage",
            f"<b>{_num(None if share is None else 100 * share, '{:.1f}', '%')}</b> of "
            f"{_num(kpis.get('demand_parcels_per_day'), '{:,.0f}')} parcels/day",
        ),
        ("Walking cutoff", _num(kpis.get("walk_m"), "{:,.0f}", "m")),
        ("Sites open", sites_text),
        ("Mean walk", _num(kpis.get("mean_walk_m"), "{:,.0f}", "m")),
    ]
    currency = _currency(kpis)
    cpp = kpis.get("cost_per_parcel")
    if _missing(cpp) and isinstance(kpis.get("lockers"), dict):
        cpp = kpis["lockers"].get("cost_per_parcel")
    if not _missing(cpp):
        rows.append(("Cost per parcel", _num(cpp, "{:,.2f}", currency)))
    if kpis.get("vans_used") is not None:
        rows.append(
            (
                "Van routes",
                f"{_num(kpis.get('vans_used'), '{:,.0f}')} vans, "
                f"{_num(kpis.get('route_km'), '{:,.1f}', 'km')}, "
                f"{_num(kpis.get('route_hours'), '{:,.1f}', 'h')}",
            )
        )
    if equity and equity.get("cells"):
        rows.append(
            (
                "Underserved",
                f"{equity['underserved_cells']} of {equity['cells']} cells "
                f"({_num(equity.get('cell_m'), '{:,.0f}', 'm')}), "
                f"{_num(equity.get('underserved_parcels_per_day'), '{:,.0f}')} parcels/day",
            )
        )
    if kpis.get("solver_status") is not None:
        rows.append(
            (
                "Solver",
                f"{escape(kpis.get('solver_status'))} "
                f"(gap {_num(100 * (kpis.get('solver_gap') or 0), '{:.2f}', '%')})",
            )
        )
    title = escape(kpis.get("name") or "lockerplan")
    return (
        "<details open><summary><b>"
        f"{title}</b> \u2013 coverage plan</summary>"
        f"{_table([(escape(k), v) for k, v in rows])}{_comparison_html(kpis)}"
        f"{_legend_html()}<div class='lp-note'>Walking distances along the street network. "
        f"Map data {OSM_ATTRIBUTION_HTML}.</div></details>"
    )


_PANEL_CSS = """
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
.lp-ramp {width:30px}
.lp-popup {font:13px/1.35 sans-serif}
.lp-popup .lp-table th {text-align:left;padding-right:8px;vertical-align:top;white-space:nowrap}
</style>
"""


class _PanelControl(MacroElement):
    """A Leaflet control holding fixed HTML (stays visible in fullscreen mode)."""

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


# --------------------------------------------------------------------------- layers


def _site_popup(sites: gpd.GeoDataFrame, row: Any) -> str:
    """The popup of an open site: ids, kind, capacity and utilisation when known, walk."""
    name = escape(row["name"]) if not _missing(row.get("name")) and row["name"] else "unnamed"
    source = str(_col(sites, row, "source", "") or "")
    source_id = _col(sites, row, "source_id")
    if not _missing(source_id) and _OSM_ID.match(str(source_id)):
        ident = (
            f"<a href='https://www.openstreetmap.org/{escape(source_id)}' target='_blank' "
            f"rel='noopener noreferrer'>{escape(source_id)}</a>"
        )
        id_label = "OSM id"
    else:
        ident, id_label = escape(source_id), ("Input row" if source == "user" else "Source id")
    kind = row.get("kind")
    rows = [
        ("Site", escape(row["site_id"])),
        ("Name", name),
        (id_label, ident),
        ("Kind", escape(KIND_LABELS.get(kind, kind))),
    ]
    if not _missing(_col(sites, row, "category")):
        rows.append(("Category", escape(row["category"])))
    if bool(_col(sites, row, "existing", False)):
        rows.append(("Existing locker", "yes"))
    assigned = _col(sites, row, "parcels_per_day")
    capacity = _col(sites, row, "capacity")
    if not _missing(capacity):
        rows.append(("Capacity", _num(capacity, "{:,.0f}", "parcels/day")))
    rows.append(("Assigned", _num(assigned, "{:,.1f}", "parcels/day")))
    util = _col(sites, row, "utilisation")
    if _missing(util) and not _missing(capacity) and float(capacity) > 0:
        util = (0.0 if _missing(assigned) else float(assigned)) / float(capacity)
    if not _missing(util):
        rows.append(("Utilisation", _num(100 * float(util), "{:.0f}", "%")))
    if not _missing(_col(sites, row, "clusters")):
        rows.append(("Demand clusters", _num(row["clusters"], "{:,.0f}")))
    rows.append(("Mean walk", _num(_col(sites, row, "mean_walk_m"), "{:,.0f}", "m")))
    return f"<div class='lp-popup'>{_table([(escape(k), v) for k, v in rows])}</div>"


def _plain_id(value: Any) -> str:
    """A generated id reduced to harmless characters (for DOM attributes)."""
    return re.sub(r"[^\w .:-]", "", str(value))[:60]


def _lat_lon(geom: Any) -> list[float] | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type != "Point":
        geom = geom.representative_point()
    return [float(geom.y), float(geom.x)]


def _bounds(*frames: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    for frame in frames:
        if frame is None or len(frame) == 0:
            continue
        b = frame.total_bounds
        if np.all(np.isfinite(b)):
            return [[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]]
    return None


def _add_cells(groups: dict[str, folium.FeatureGroup], cells: gpd.GeoDataFrame) -> None:
    import branca.colormap as cm

    ramp = cm.LinearColormap(SHARE_COLOURS, vmin=0.0, vmax=1.0)
    cell_m = cells.attrs.get("cell_m")
    size = f"{cell_m:.0f} m cell " if cell_m else "cell "
    for row in cells.itertuples():
        share = float(row.coverage_share)
        colour = ramp(share)
        tip = (
            f"{escape(size)}{escape(row.cell_id)}: {100 * share:.0f} % covered, "
            f"{row.parcels_per_day:,.1f} parcels/day, {row.uncovered_parcels_per_day:,.1f} "
            "beyond the cutoff"
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 0.5,
                "fillColor": c,
                "fillOpacity": 0.45,
            },
            tooltip=tip,
        ).add_to(groups["cells"])
    under = underserved_cells(cells)
    top = float(under["uncovered_parcels_per_day"].max()) if len(under) else 1.0
    for row in under.itertuples():
        # shade by the parcels left beyond the cutoff: the darker, the more customers
        strength = row.uncovered_parcels_per_day / top if top > 0 else 1.0
        tip = (
            f"Underserved {escape(size)}{escape(row.cell_id)}: "
            f"{row.uncovered_parcels_per_day:,.1f} of {row.parcels_per_day:,.1f} parcels/day "
            f"beyond the walking cutoff ({100 * row.coverage_share:.0f} % covered, "
            f"{row.uncovered_clusters} of {row.clusters} clusters not covered)"
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, s=strength: {
                "color": UNDERSERVED_COLOUR,
                "weight": 1,
                "opacity": 0.3 + 0.6 * s,
                "dashArray": "4 3",
                "fillColor": UNDERSERVED_COLOUR,
                "fillOpacity": 0.06 + 0.5 * s,
            },
            tooltip=tip,
        ).add_to(groups["underserved"])


def coverage_map(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    kpis: dict[str, Any],
    *,
    demand_points: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    cell_m: float = 250.0,
    van_capacity: float | None = None,
    minimap: bool = True,
) -> folium.Map:
    """Draw a plan as an interactive folium map.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand clusters with ``cluster_id``, ``parcels_per_day``, ``covered``,
        ``site_id`` and ``walk_m``.
    candidates, sites, catchments, hubs, routes : geopandas.GeoDataFrame
        The plan's layers (see :class:`lockerplan.plan.Plan`). Site popups show
        ``capacity`` (parcels/day) and utilisation (``utilisation`` 0-1, or
        assigned parcels / capacity) when the sites have those columns.
    kpis : dict
        Key figures for the KPI panel (see :func:`kpi_panel_html`).
    demand_points : geopandas.GeoDataFrame, optional
        Unclustered demand (one point per building, with ``parcels_per_day``) for
        the heat map; the clusters are used when omitted.
    cells : geopandas.GeoDataFrame, optional
        Coverage per grid cell from :func:`lockerplan.equity.coverage_by_cell`;
        computed from ``demand`` with ``cell_m`` when omitted.
    cell_m : float, default 250
        Grid cell side, metres, when ``cells`` is computed here.
    van_capacity : float, optional
        Parcels per van, to show each route's load as a share of the van.
    minimap : bool, default True
        Add the overview mini map.

    Returns
    -------
    folium.Map
        With one :class:`folium.FeatureGroup` per entry of :data:`LAYERS` (named by
        its value), a layer control, fullscreen button, mini map and KPI panel.
    """
    bounds = _bounds(demand, candidates, sites, hubs)
    centre = (
        [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        if bounds
        else [0.0, 0.0]
    )
    fmap = folium.Map(
        location=centre, zoom_start=15 if bounds else 2, tiles=None, control_scale=True
    )
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION_HTML, control=True
    ).add_to(fmap)
    groups = {
        key: folium.FeatureGroup(name=name, show=key not in HIDDEN_LAYERS)
        for key, name in LAYERS.items()
    }

    # equity: coverage per grid cell and underserved areas
    if cells is None and len(demand) and {"covered", "parcels_per_day"} <= set(demand.columns):
        cells = coverage_by_cell(demand, cell_m=cell_m)
    equity = equity_summary(cells) if cells is not None and len(cells) else None
    if cells is not None and len(cells):
        _add_cells(groups, cells)

    # demand heat map
    heat_src = demand_points if demand_points is not None and len(demand_points) else demand
    if len(heat_src):
        w = pd.to_numeric(heat_src["parcels_per_day"], errors="coerce").fillna(0.0).to_numpy()
        top = float(w.max()) if len(w) and w.max() > 0 else 1.0
        data = [
            [*ll, round(float(v) / top, 4)]
            for ll, v in zip(map(_lat_lon, heat_src.geometry), w, strict=True)
            if ll is not None and v > 0
        ]
        if data:
            plugins.HeatMap(
                data,
                name=LAYERS["heat"],
                control=False,
                radius=22,
                blur=18,
                min_opacity=0.25,
                max_zoom=17,
            ).add_to(groups["heat"])

    walk_m = kpis.get("walk_m")
    site_names = (
        {
            str(sid): (name if isinstance(name, str) else "")
            for sid, name in zip(sites["site_id"], sites["name"], strict=True)
        }
        if len(sites) and {"site_id", "name"} <= set(sites.columns)
        else {}
    )
    site_kinds = (
        dict(zip(sites["site_id"].astype(str), sites["kind"], strict=True))
        if len(sites) and "kind" in sites.columns
        else {}
    )
    for _, row in catchments.iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        sid = str(row["site_id"])
        colour = KIND_CSS.get(site_kinds.get(sid), KIND_CSS["cabinet"])
        label = f"Walking catchment of {escape(sid)}"
        if site_names.get(sid):
            label += f" ({escape(site_names[sid])})"
        if not _missing(walk_m):
            label += f": streets within {float(walk_m):,.0f} m"
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 1,
                "fillColor": c,
                "fillOpacity": 0.15,
            },
            tooltip=label,
        ).add_to(groups["catchments"])

    top = max(float(demand["parcels_per_day"].max()), 1.0) if len(demand) else 1.0
    for _, row in demand.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        covered = bool(row.get("covered", False))
        tip = (
            f"Demand {escape(row.get('cluster_id'))}: {_num(row['parcels_per_day'])} parcels/day, "
        )
        if covered:
            tip += f"{_num(row.get('walk_m'), '{:,.0f}', 'm')} walk to {escape(row.get('site_id'))}"
            if site_names.get(str(row.get("site_id"))):
                tip += f" ({escape(site_names[str(row['site_id'])])})"
        else:
            tip += "not covered (beyond the walking cutoff)"
        folium.CircleMarker(
            ll,
            radius=3 + 9 * math.sqrt(max(float(row["parcels_per_day"]), 0.0) / top),
            color=COVERED_COLOUR if covered else UNCOVERED_COLOUR,
            fill=True,
            fill_opacity=0.6,
            weight=1,
            tooltip=tip,
        ).add_to(groups["demand"])

    for _, row in candidates.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        name = escape(row.get("name")) or "unnamed"
        kind = row.get("kind")
        folium.CircleMarker(
            ll,
            radius=3,
            color=CANDIDATE_COLOUR,
            fill=True,
            fill_opacity=0.8,
            weight=1,
            tooltip=(
                f"Candidate {name} ({escape(KIND_LABELS.get(kind, kind))}, "
                f"{escape(row.get('category'))}, {escape(row.get('source_id'))})"
            ),
        ).add_to(groups["candidates"])

    for k, (_, row) in enumerate(routes.iterrows()):
        if row.geometry is None or row.geometry.is_empty:
            continue
        lines = (
            list(row.geometry.geoms)
            if row.geometry.geom_type.startswith("Multi")
            else [row.geometry]
        )
        load = row.get("parcels")
        load_text = f"load {_num(load, '{:,.0f}')} parcels"
        if van_capacity and not _missing(load):
            load_text += f" ({100 * float(load) / float(van_capacity):.0f} % of the van)"
        stops = row.get("stops")
        stop_ids = row.get("site_ids")
        tip = (
            f"Van {escape(row.get('route_id'))} from hub {escape(row.get('hub_id'))}: "
            f"{_num(stops, '{:,.0f}')} stop{'s' if stops != 1 else ''}"
            + (f" ({escape(str(stop_ids).replace(';', ', '))})" if not _missing(stop_ids) else "")
            + f", {load_text}, {_num(row.get('km'), '{:,.1f}', 'km')}"
            + (f", {_num(row.get('hours'), '{:,.1f}', 'h')}" if "hours" in routes.columns else "")
        )
        for line in lines:
            coords = np.asarray(line.coords)[:, :2]
            folium.PolyLine(
                coords[:, ::-1].tolist(),
                color=ROUTE_COLOURS[k % len(ROUTE_COLOURS)],
                weight=4,
                opacity=0.8,
                tooltip=tip,
            ).add_to(groups["routes"])

    for _, row in sites.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        kind = row.get("kind")
        name = escape(row.get("name")) or "unnamed"
        folium.Marker(
            ll,
            popup=folium.Popup(_site_popup(sites, row), max_width=340),
            tooltip=f"{escape(row['site_id'])}: {name} ({escape(KIND_LABELS.get(kind, kind))})",
            icon=folium.Icon(
                color=KIND_COLOURS.get(kind, "blue"),
                icon=KIND_ICONS.get(kind, "inbox"),
                prefix="fa",
            ),
            title=f"Open site {_plain_id(row['site_id'])}",
        ).add_to(groups["sites"])

    for _, row in hubs.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        name = escape(row.get("name")) if "name" in hubs.columns else ""
        folium.Marker(
            ll,
            tooltip=f"Hub {escape(row.get('hub_id'))}" + (f": {name}" if name else ""),
            icon=folium.Icon(color="black", icon="truck", prefix="fa"),
            title=f"Hub {_plain_id(row.get('hub_id'))}",
        ).add_to(groups["hubs"])

    for group in groups.values():
        group.add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    plugins.Fullscreen(
        position="topleft", title="Full screen", title_cancel="Exit full screen"
    ).add_to(fmap)
    if minimap:
        plugins.MiniMap(toggle_display=True, position="bottomright", zoom_level_offset=-4).add_to(
            fmap
        )
    fmap.get_root().header.add_child(folium.Element(_PANEL_CSS))
    _PanelControl(
        kpi_panel_html(kpis, sites=sites, equity=equity),
        position="bottomleft",
        element_id="lockerplan-kpis",
    ).add_to(fmap)
    if bounds:
        fmap.fit_bounds(bounds)
    log.debug("coverage map: %d sites, %d routes, %s", len(sites), len(routes), OSM_ATTRIBUTION)
    return fmap


def plan_map(plan: Any, **options: Any) -> folium.Map:
    """The coverage map of a plan (anything with the :class:`~lockerplan.plan.Plan` fields).

    Parameters
    ----------
    plan : lockerplan.plan.Plan
        Read duck-typed: ``demand``, ``candidates``, ``sites``, ``catchments``,
        ``hubs``, ``routes`` and ``kpis``; ``demand_points`` and
        ``scenario.van_capacity`` when present.
    **options
        Passed on to :func:`coverage_map` (e.g. ``cell_m=500``).

    Returns
    -------
    folium.Map
    """
    scenario = getattr(plan, "scenario", None)
    options.setdefault("demand_points", getattr(plan, "demand_points", None))
    options.setdefault("van_capacity", getattr(scenario, "van_capacity", None))
    return coverage_map(
        plan.demand,
        plan.candidates,
        plan.sites,
        plan.catchments,
        plan.hubs,
        plan.routes,
        plan.kpis,
        **options,
    )
