"""The overlays of the coverage map: one ``draw_<key>`` function and one table row each.

:data:`LAYER_TABLE` lists the overlays in drawing order (bottom to top) with the
name shown in the layer control, whether the overlay starts ticked, and its legend
entries; :data:`LAYERS`, :data:`HIDDEN_LAYERS` and the panel's legend
(:func:`lockerplan.maps.panel.legend_html`) are read from it. A new overlay is one
``draw_<key>(group, ...)`` function here, one row in the table and one call in
:func:`lockerplan.maps.coverage_map`.

Examples
--------
>>> from lockerplan.maps.layers import HIDDEN_LAYERS, LAYERS
>>> list(LAYERS)[:3], LAYERS["sites"]
(['cells', 'underserved', 'heat'], 'Open sites')
>>> sorted(HIDDEN_LAYERS)
['candidates', 'cells', 'heat', 'underserved']

Size: the page does not grow with the number of demand points. Above
:data:`DETAIL_LIMIT` demand points (clusters) the heat map and the demand overlay
are drawn per coverage cell (the plan's own ``coverage_cells``, embedded once and
shared by three overlays, see :class:`~lockerplan.maps.js.JsLayer`); above
:data:`CLUSTER_SITES` open sites their markers cluster at low zoom and the
catchments are dissolved per kind. Polygons and lines are simplified by
:data:`SIMPLIFY_M` metres (catchments and routes follow streets: 1 m keeps what a
street-level zoom shows) and every coordinate is rounded to 6 decimals.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium import plugins

from .html import _lat_lon, _missing, _num, _plain_id, _table, escape
from .js import DIGITS, JsLayer, lat_lon_rings, page_json, simplified
from .style import (
    CANDIDATE_COLOUR,
    COMPETITOR_COLOUR,
    CONTESTED_COLOUR,
    COVERED_COLOUR,
    HEAT_GRADIENT,
    HUB_COLOUR,
    KIND_COLOURS,
    KIND_CSS,
    KIND_ICONS,
    KIND_LABELS,
    ROUTE_COLOURS,
    SHARE_COLOURS,
    UNCOVERED_COLOUR,
    UNDERSERVED_COLOUR,
)


@dataclass(frozen=True)
class Swatch:
    """One legend entry: a swatch and its label.

    Attributes
    ----------
    label : str
        Plain text (escaped when the legend is written).
    css : str
        CSS ``background`` of the swatch: a colour, or a gradient for a ramp.
    shape : str, default "dot"
        ``dot``, ``pin``, ``box``, ``line`` or ``ramp`` (the ``lp-<shape>`` CSS class).
    ends : tuple of str, default ()
        Labels of a ramp's two ends (e.g. ``("0 %", "100 %")``), shown either side.
    """

    label: str
    css: str
    shape: str = "dot"
    ends: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layer:
    """One overlay of the coverage map (a :class:`folium.FeatureGroup`).

    Attributes
    ----------
    key : str
        Short name; the overlay is drawn by ``draw_<key>``.
    name : str
        Name in the layer control.
    shown : bool
        Whether the overlay is ticked when the page opens.
    legend : tuple of Swatch
        Its entries in the panel's legend.
    """

    key: str
    name: str
    shown: bool = True
    legend: tuple[Swatch, ...] = ()


#: The overlays in drawing order (bottom to top).
LAYER_TABLE: tuple[Layer, ...] = (
    Layer(
        "cells",
        "Coverage share per grid cell",
        shown=False,
        legend=(
            Swatch(
                "parcels covered per cell",
                f"linear-gradient(90deg,{', '.join(SHARE_COLOURS)})",
                "ramp",
                ends=("0 %", "100 %"),
            ),
        ),
    ),
    Layer(
        "underserved",
        "Underserved areas (demand beyond the cutoff)",
        shown=False,
        legend=(Swatch("underserved area", "rgba(230,85,13,.5)", "box"),),
    ),
    Layer(
        "heat",
        "Demand heat map",
        shown=False,
        legend=(
            Swatch(
                "demand heat (parcels/day nearby)",
                f"linear-gradient(90deg,{', '.join(HEAT_GRADIENT.values())})",
                "ramp",
                ends=("fewer", "more"),
            ),
        ),
    ),
    Layer(
        "catchments",
        "Walking catchments",
        legend=(
            Swatch(f"{KIND_LABELS['cabinet']} catchment", "rgba(56,169,220,.3)", "box"),
            Swatch(f"{KIND_LABELS['pickup_point']} catchment", "rgba(210,82,185,.3)", "box"),
        ),
    ),
    Layer(
        "demand",
        "Demand clusters (parcels/day)",
        legend=(Swatch("covered demand", COVERED_COLOUR), Swatch("not covered", UNCOVERED_COLOUR)),
    ),
    Layer(
        "candidates",
        "Candidate sites",
        shown=False,
        legend=(Swatch("candidate", CANDIDATE_COLOUR),),
    ),
    Layer(
        "routes",
        "Van routes",
        legend=(Swatch("van route (colour per van)", ROUTE_COLOURS[0], "line"),),
    ),
    Layer(
        "sites",
        "Open sites",
        legend=(
            Swatch(KIND_LABELS["cabinet"], KIND_CSS["cabinet"], "pin"),
            Swatch(KIND_LABELS["pickup_point"], KIND_CSS["pickup_point"], "pin"),
        ),
    ),
    Layer("hubs", "Hubs", legend=(Swatch("hub (van depot)", HUB_COLOUR, "box"),)),
)
#: Sequential, colour-blind-safe ramp (viridis) of the roll-out phases, first to last.
PHASE_COLOURS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def phase_colour(phase: int, phases: int) -> tuple[str, str]:
    """The marker colour of a roll-out phase (1-based, of ``phases``) and its glyph colour.

    Examples
    --------
    >>> phase_colour(1, 3), phase_colour(3, 3)
    (('#440154', '#ffffff'), ('#fde725', '#222222'))
    """
    t = (phase - 1) / (phases - 1) if phases > 1 else 0.0
    colour = cm.LinearColormap(list(PHASE_COLOURS))(min(max(t, 0.0), 1.0))[:7]
    return colour, "#ffffff" if t < 0.6 else "#222222"


def layer_table(sites: gpd.GeoDataFrame | None = None) -> tuple[Layer, ...]:
    """:data:`LAYER_TABLE`, with the open sites' legend by roll-out phase when the
    sites have a ``phase`` column (see :func:`draw_sites`)."""
    if sites is None or "phase" not in sites.columns or not len(sites):
        return LAYER_TABLE
    n = int(sites["phase"].max())
    legend = tuple(
        Swatch(f"phase {k}" + (" (opens first)" if k == 1 else ""), phase_colour(k, n)[0], "pin")
        for k in range(1, n + 1)
    )
    return tuple(
        Layer(layer.key, layer.name, layer.shown, legend) if layer.key == "sites" else layer
        for layer in LAYER_TABLE
    )


#: Overlays of a plan with competitors (:mod:`lockerplan.competitors`), drawn above
#: :data:`LAYER_TABLE`'s and listed in the legend only when a plan has competitors.
COMPETITOR_LAYERS: tuple[Layer, ...] = (
    Layer(
        "contested",
        "Contested areas (a competitor and one of our sites within the walk)",
        legend=(Swatch("contested demand", "transparent;border:2px dashed #000", "dot"),),
    ),
    Layer(
        "competitors",
        "Competitor sites",
        legend=(Swatch("competitor site", COMPETITOR_COLOUR, "box"),),
    ),
)


#: Above this many demand points (or clusters) demand is drawn per coverage cell.
DETAIL_LIMIT = 3000
#: Above this many open sites their markers cluster and catchments merge per kind.
CLUSTER_SITES = 30
#: Simplification of catchments and routes, metres: per site / merged per kind.
SIMPLIFY_M = (1.0, 5.0)
#: Steps of the coverage colour ramp drawn in the page (0 %, 10 %, ... 100 %).
SHARE_STEPS = 11
#: Overlay layers by key, in drawing order; the values are the layer-control names.
LAYERS = {layer.key: layer.name for layer in LAYER_TABLE}
#: Overlays that start hidden (ticked off in the layer control).
HIDDEN_LAYERS = frozenset(layer.key for layer in LAYER_TABLE if not layer.shown)

_OSM_ID = re.compile(r"^(node|way|relation)/\d+$")


def _col(frame: pd.DataFrame, row: Any, name: str, default: Any = None) -> Any:
    """``row[name]`` when ``frame`` has that column, else ``default``."""
    return row[name] if name in frame.columns else default


def _cell_size(cells: gpd.GeoDataFrame) -> str:
    """``"250 m cell "`` from the grid's ``attrs["cell_m"]``, else ``"cell "``."""
    cell_m = cells.attrs.get("cell_m")
    return f"{cell_m:.0f} m cell " if cell_m else "cell "


def _label(frame: pd.DataFrame, row: Any) -> str:
    """A site's or candidate's name as shown: ``label`` (see :mod:`.names`), ``name``, or
    "unnamed"; escaped."""
    for col in ("label", "name"):
        value = _col(frame, row, col)
        if not _missing(value) and str(value).strip():
            return escape(value)
    return "unnamed"


def _site_names(sites: gpd.GeoDataFrame) -> dict[str, str]:
    """Site id -> shown name, escaped ("" when unnamed)."""
    if not len(sites) or "site_id" not in sites.columns:
        return {}
    return {
        str(row["site_id"]): ("" if (text := _label(sites, row)) == "unnamed" else text)
        for _, row in sites.iterrows()
    }


def _share_palette() -> list[str]:
    """:data:`SHARE_STEPS` colours of the coverage ramp, from 0 to 100 %."""
    ramp = cm.LinearColormap(SHARE_COLOURS, vmin=0.0, vmax=1.0)
    return [ramp(k / (SHARE_STEPS - 1)) for k in range(SHARE_STEPS)]


def cell_rows(cells: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The coverage cells as compact rows for :class:`~lockerplan.maps.js.JsLayer`.

    Keys: ``i`` cell id, ``s`` coverage share, ``p`` parcels/day, ``u`` parcels/day
    beyond the cutoff, ``n`` clusters, ``m`` clusters not covered, ``c`` centre
    ``[lat, lon]``, ``q`` the square's corners.
    """
    centres = shapely.centroid(cells.geometry.to_numpy())
    return [
        {
            "i": str(row.cell_id),
            "s": round(float(row.coverage_share), 3),
            "p": round(float(row.parcels_per_day), 1),
            "u": round(float(row.uncovered_parcels_per_day), 1),
            "n": int(row.clusters),
            "m": int(row.uncovered_clusters),
            "c": [round(float(c.y), DIGITS), round(float(c.x), DIGITS)],
            "q": lat_lon_rings(row.geometry)[0][0],
        }
        for row, c in zip(cells.itertuples(), centres, strict=True)
        if row.geometry is not None and not row.geometry.is_empty
    ]


#: JavaScript number formats shared by the layers' tooltips (as Python's ``{:,.Nf}``).
_JS_FORMATS = (
    "var fmt = function (x, d) { return x.toLocaleString('en-US', "
    "{minimumFractionDigits: d, maximumFractionDigits: d}); };"
)


# --------------------------------------------------------------------------- draw


def draw_cells(group: folium.FeatureGroup, cells: gpd.GeoDataFrame) -> JsLayer:
    """Grid cells coloured by coverage share (the ramp of :data:`SHARE_COLOURS`).

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    cells : geopandas.GeoDataFrame
        From :func:`lockerplan.equity.coverage_by_cell`.

    Returns
    -------
    JsLayer
        The cells' rows, which the underserved and (at scale) demand overlays share.
    """
    build = f"""(function () {{ {_JS_FORMATS}
        var P = {page_json(_share_palette())}, size = {page_json(escape(_cell_size(cells)))};
        return function (r) {{
            var c = P[Math.round(r.s * {SHARE_STEPS - 1})];
            return L.polygon(r.q, {{color: c, weight: 0.5, fillColor: c, fillOpacity: 0.45}})
                .bindTooltip(size + r.i + ": " + fmt(100 * r.s, 0) + " % covered, " +
                    fmt(r.p, 1) + " parcels/day, " + fmt(r.u, 1) + " beyond the cutoff");
        }}; }})()"""
    layer = JsLayer(cell_rows(cells), build)
    layer.cell_size = _cell_size(cells)
    layer.add_to(group)
    return layer


def draw_underserved(group: folium.FeatureGroup, cells: gpd.GeoDataFrame | JsLayer) -> None:
    """Cells with demand beyond the walking cutoff, the darker the more parcels left.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    cells : geopandas.GeoDataFrame or JsLayer
        From :func:`lockerplan.equity.coverage_by_cell`, or the cell overlay's rows
        (from :func:`draw_cells`), drawn again without embedding them twice.
    """
    source = cells if isinstance(cells, JsLayer) else draw_cells(folium.FeatureGroup(), cells)
    top = max((r["u"] for r in source.rows), default=0.0) or 1.0
    build = f"""(function () {{ {_JS_FORMATS}
        var size = {page_json(escape(source.cell_size))}, C = {page_json(UNDERSERVED_COLOUR)};
        return function (r) {{
            if (!(r.u > 0)) {{ return null; }}
            var k = r.u / {top};
            return L.polygon(r.q, {{color: C, weight: 1, opacity: 0.3 + 0.6 * k,
                    dashArray: "4 3", fillColor: C, fillOpacity: 0.06 + 0.5 * k}})
                .bindTooltip("Underserved " + size + r.i + ": " + fmt(r.u, 1) + " of " +
                    fmt(r.p, 1) + " parcels/day beyond the walking cutoff (" +
                    fmt(100 * r.s, 0) + " % covered, " + r.m + " of " + r.n +
                    " clusters not covered)");
        }}; }})()"""
    JsLayer([], build, source=source).add_to(group)


def draw_heat(group: folium.FeatureGroup, points: gpd.GeoDataFrame | JsLayer) -> None:
    """A heat map of parcels per day (weights scaled to the largest point).

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    points : geopandas.GeoDataFrame or JsLayer
        Demand points or clusters with ``parcels_per_day``, or the cell overlay's
        rows (at scale: one weight per cell centre).
    """
    if isinstance(points, JsLayer):
        w = np.array([r["p"] for r in points.rows], dtype=float)
        lat_lons = [r["c"] for r in points.rows]
    else:
        if not len(points):
            return
        w = pd.to_numeric(points["parcels_per_day"], errors="coerce").fillna(0.0).to_numpy()
        lat_lons = [
            None if ll is None else [round(v, DIGITS) for v in ll]
            for ll in map(_lat_lon, points.geometry)
        ]
    top = float(w.max()) if len(w) and w.max() > 0 else 1.0
    data = [
        [*ll, round(float(v) / top, 4)]
        for ll, v in zip(lat_lons, w, strict=True)
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
            gradient=HEAT_GRADIENT,
        ).add_to(group)


def _site_kinds(sites: gpd.GeoDataFrame) -> dict[str, Any]:
    """Site id -> kind."""
    if not len(sites) or "kind" not in sites.columns:
        return {}
    return dict(zip(sites["site_id"].astype(str), sites["kind"], strict=True))


def _catchment_rows(
    catchments: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, walk_m: float | None
) -> list[dict[str, Any]]:
    """One row per site (``g`` polygons, ``k`` kind, ``t`` tooltip), or per kind at scale."""
    kinds = _site_kinds(sites)
    frame = catchments[~(catchments.geometry.isna() | catchments.geometry.is_empty)].copy()
    frame["kind"] = [kinds.get(str(sid), "cabinet") for sid in frame["site_id"]]
    within = f": streets within {float(walk_m):,.0f} m" if not _missing(walk_m) else ""
    merged = len(frame) > CLUSTER_SITES
    if merged:
        counts = frame["kind"].value_counts()
        frame = frame.dissolve("kind", as_index=False)
        frame["tip"] = [
            f"Walking catchments of {counts[k]:,} {escape(KIND_LABELS.get(k, k))}s{within}"
            for k in frame["kind"]
        ]
    else:
        names = _site_names(sites)
        frame["tip"] = [
            f"Walking catchment of {escape(sid)}"
            + (f" ({names[str(sid)]})" if names.get(str(sid)) else "")
            + within
            for sid in frame["site_id"]
        ]
    geoms = simplified(frame, SIMPLIFY_M[merged])
    order = list(KIND_CSS)
    return [
        {"g": lat_lon_rings(geom), "k": order.index(kind) if kind in order else 0, "t": tip}
        for geom, kind, tip in zip(geoms, frame["kind"], frame["tip"], strict=True)
        if geom is not None and not geom.is_empty
    ]


def draw_catchments(
    group: folium.FeatureGroup,
    catchments: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    walk_m: float | None = None,
) -> None:
    """Each open site's walking catchment, in the colour of its kind.

    Above :data:`CLUSTER_SITES` sites the catchments are dissolved into one shape
    per kind; they are simplified by :data:`SIMPLIFY_M` metres.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    catchments : geopandas.GeoDataFrame
        One (multi)polygon per ``site_id``.
    sites : geopandas.GeoDataFrame
        Open sites, for their names and kinds.
    walk_m : float, optional
        The walking cutoff, metres, named in the tooltip.
    """
    if not len(catchments):
        return
    build = f"""(function () {{ var K = {page_json(list(KIND_CSS.values()))};
        return function (r) {{
            var c = K[r.k];
            return L.polygon(r.g, {{color: c, weight: 1, fillColor: c, fillOpacity: 0.15}})
                .bindTooltip(r.t, {{sticky: true}});
        }}; }})()"""
    JsLayer(_catchment_rows(catchments, sites, walk_m), build).add_to(group)


def _demand_rows(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One row per demand cluster: ``c`` [lat, lon], ``r`` radius, ``v`` covered, ``t`` tip."""
    names = _site_names(sites)
    top = max(float(demand["parcels_per_day"].max()), 1.0) if len(demand) else 1.0
    rows = []
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
            if names.get(str(row.get("site_id"))):
                tip += f" ({names[str(row['site_id'])]})"
        elif not _missing(row.get("nearest_competitor_m")):
            tip += f"walks to a rival first ({_num(row['nearest_competitor_m'], '{:,.0f}', 'm')})"
        else:
            tip += "not covered (beyond the walking cutoff)"
        radius = 3 + 9 * math.sqrt(max(float(row["parcels_per_day"]), 0.0) / top)
        rows.append(
            {
                "c": [round(v, DIGITS) for v in ll],
                "r": round(radius, 1),
                "v": int(covered),
                "t": tip,
                **({"x": 1} if bool(row.get("contested", False)) else {}),
            }
        )
    return rows


def draw_demand(
    group: folium.FeatureGroup,
    demand: gpd.GeoDataFrame | JsLayer,
    sites: gpd.GeoDataFrame,
) -> None:
    """Demand clusters as circles sized by parcels, green when covered, red when not.

    At scale (``demand`` is the cell overlay's rows) one circle per coverage cell,
    sized by its parcels and coloured by its coverage share.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    demand : geopandas.GeoDataFrame or JsLayer
        Clusters with ``cluster_id``, ``parcels_per_day``, ``covered``, ``site_id``
        and ``walk_m``; or the cells' rows (from :func:`draw_cells`).
    sites : geopandas.GeoDataFrame
        Open sites, to name the site a cluster walks to.
    """
    if isinstance(demand, JsLayer):
        top = max((r["p"] for r in demand.rows), default=0.0) or 1.0
        build = f"""(function () {{ {_JS_FORMATS} var P = {page_json(_share_palette())};
            return function (r) {{
                var c = P[Math.round(r.s * {SHARE_STEPS - 1})];
                return L.circleMarker(r.c, {{radius: 3 + 9 * Math.sqrt(r.p / {top}), color: c,
                        fill: true, fillOpacity: 0.6, weight: 1}})
                    .bindTooltip(r.n + " demand clusters in cell " + r.i + ": " + fmt(r.p, 1) +
                        " parcels/day, " + fmt(100 * r.s, 0) + " % covered");
            }}; }})()"""
        JsLayer([], build, source=demand).add_to(group)
        return
    build = f"""(function () {{ var C = {page_json([UNCOVERED_COLOUR, COVERED_COLOUR])};
        return function (r) {{
            return L.circleMarker(r.c, {{radius: r.r, color: C[r.v], fill: true,
                    fillOpacity: 0.6, weight: 1}}).bindTooltip(r.t);
        }}; }})()"""
    JsLayer(_demand_rows(demand, sites), build).add_to(group)


def draw_contested(
    group: folium.FeatureGroup, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> None:
    """Contested demand clusters (``contested``: within the walk of a competitor and of
    one of our open sites) ringed in black, over the demand overlay's circles.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    demand : geopandas.GeoDataFrame
        Clusters as for :func:`draw_demand`, with ``contested`` and
        ``nearest_competitor_m`` (:func:`lockerplan.competitors.competition_columns`).
    sites : geopandas.GeoDataFrame
        Open sites, to name the site a cluster walks to.
    """
    if "contested" not in demand.columns:
        return
    demand = demand[demand["contested"].to_numpy(dtype=bool)]
    rows = [r for r in _demand_rows(demand, sites) if r.pop("x", 0)]
    build = f"""function (r) {{
        return L.circleMarker(r.c, {{radius: r.r + 3, color: {page_json(CONTESTED_COLOUR)},
                weight: 2, dashArray: "4 3", fill: false}}).bindTooltip("Contested: " + r.t);
    }}"""
    JsLayer(rows, build).add_to(group)


def draw_competitors(group: folium.FeatureGroup, competitors: gpd.GeoDataFrame) -> None:
    """A rival network's sites as yellow squares with a black edge.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    competitors : geopandas.GeoDataFrame
        With ``competitor_id``, ``name``, ``operator`` and ``source_id``
        (:mod:`lockerplan.competitors`).
    """
    rows = []
    for _, row in competitors.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        operator = _col(competitors, row, "operator")
        tip = (
            f"Competitor {_label(competitors, row)} "
            f"({escape(operator) if not _missing(operator) and str(operator) else 'operator unknown'}, "
            f"{escape(_col(competitors, row, 'source_id'))})"
        )
        rows.append({"c": [round(v, DIGITS) for v in ll], "t": tip})
    icon = (
        f"<div style='width:10px;height:10px;background:{COMPETITOR_COLOUR};"
        "border:2px solid #000'></div>"
    )
    build = f"""function (r) {{
        return L.marker(r.c, {{icon: L.divIcon({{html: {page_json(icon)}, className: "",
                iconSize: [14, 14], iconAnchor: [7, 7]}})}}).bindTooltip(r.t);
    }}"""
    JsLayer(rows, build).add_to(group)


def _toggle_button(candidate_id: Any, label: str) -> str:
    """The what-if button of a popup (see :mod:`lockerplan.maps.whatif`)."""
    return (
        f"<button type='button' class='lp-toggle-site' data-site-id='{escape(candidate_id)}'>"
        f"{escape(label)}</button>"
    )


def draw_candidates(
    group: folium.FeatureGroup, candidates: gpd.GeoDataFrame, toggles: bool = False
) -> None:
    """Every candidate site as a small grey dot.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    candidates : geopandas.GeoDataFrame
        With ``name`` (or a shown ``label``), ``kind``, ``category`` and ``source_id``.
    toggles : bool, default False
        Give each dot a popup with the what-if's "Open this site" button.
    """
    rows = []
    for _, row in candidates.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        kind = row.get("kind")
        tip = (
            f"Candidate {_label(candidates, row)} ({escape(KIND_LABELS.get(kind, kind))}, "
            f"{escape(row.get('category'))}, {escape(row.get('source_id'))})"
        )
        row_js = {"c": [round(v, DIGITS) for v in ll], "t": tip}
        if toggles:
            row_js["b"] = _toggle_button(row.get("candidate_id"), "Open this site")
        rows.append(row_js)
    build = f"""function (r) {{
        var m = L.circleMarker(r.c, {{radius: 3, color: {page_json(CANDIDATE_COLOUR)},
                fill: true, fillOpacity: 0.8, weight: 1}}).bindTooltip(r.t);
        if (r.b) {{ m.bindPopup("<div class='lp-popup'>" + r.t + "<br>" + r.b + "</div>"); }}
        return m;
    }}"""
    JsLayer(rows, build).add_to(group)


def _route_tooltip(routes: gpd.GeoDataFrame, row: Any, van_capacity: float | None) -> str:
    """A route's van, hub, stops, load (and share of the van), km and hours."""
    load = row.get("parcels")
    load_text = f"load {_num(load, '{:,.0f}')} parcels"
    if van_capacity and not _missing(load):
        load_text += f" ({100 * float(load) / float(van_capacity):.0f} % of the van)"
    stops = row.get("stops")
    stop_ids = row.get("site_ids")
    return (
        f"Van {escape(row.get('route_id'))} from hub {escape(row.get('hub_id'))}: "
        f"{_num(stops, '{:,.0f}')} stop{'s' if stops != 1 else ''}"
        + (f" ({escape(str(stop_ids).replace(';', ', '))})" if not _missing(stop_ids) else "")
        + f", {load_text}, {_num(row.get('km'), '{:,.1f}', 'km')}"
        + (f", {_num(row.get('hours'), '{:,.1f}', 'h')}" if "hours" in routes.columns else "")
    )


def draw_routes(
    group: folium.FeatureGroup, routes: gpd.GeoDataFrame, van_capacity: float | None = None
) -> None:
    """Van routes as lines, one colour per van.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    routes : geopandas.GeoDataFrame
        (Multi)lines with ``route_id``, ``hub_id``, ``stops``, ``site_ids``
        (``;``-separated), ``parcels``, ``km`` and optionally ``hours``.
    van_capacity : float, optional
        Parcels per van, to show the load as a share of the van.
    """
    geoms = simplified(routes, SIMPLIFY_M[0])
    for k, ((_, row), geom) in enumerate(zip(routes.iterrows(), geoms, strict=True)):
        if geom is None or geom.is_empty:
            continue
        lines = list(geom.geoms) if geom.geom_type.startswith("Multi") else [geom]
        tip = _route_tooltip(routes, row, van_capacity)
        for line in lines:
            coords = np.round(np.asarray(line.coords)[:, :2], DIGITS)
            folium.PolyLine(
                coords[:, ::-1].tolist(),
                color=ROUTE_COLOURS[k % len(ROUTE_COLOURS)],
                weight=4,
                opacity=0.8,
                tooltip=tip,
            ).add_to(group)


def _site_popup(sites: gpd.GeoDataFrame, row: Any, toggles: bool = False) -> str:
    """The popup of an open site: ids, kind, capacity and utilisation when known, walk;
    with ``toggles`` the what-if's "Close this site" button."""
    name = _label(sites, row)
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
    if not _missing(_col(sites, row, "phase")):
        rows.append(("Opens in phase", _num(row["phase"], "{:,.0f}")))
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
    button = _toggle_button(row["candidate_id"], "Close this site") if toggles else ""
    return f"<div class='lp-popup'>{_table([(escape(k), v) for k, v in rows])}{button}</div>"


def _site_icon(row: Any, colour_by: str | None, top: int) -> Any:
    """A site's marker icon: coloured by kind, or by ``colour_by`` (a phase, 1..top)."""
    kind = row.get("kind")
    glyph = KIND_ICONS.get(kind, "inbox")
    if colour_by is None:
        return folium.Icon(color=KIND_COLOURS.get(kind, "blue"), icon=glyph, prefix="fa")
    colour, text = phase_colour(int(row[colour_by]), top)
    return plugins.BeautifyIcon(
        icon=glyph,
        prefix="fa",
        icon_shape="marker",
        background_color=colour,
        border_color=colour,
        text_color=text,
    )


def draw_sites(
    group: folium.FeatureGroup,
    sites: gpd.GeoDataFrame,
    toggles: bool = False,
    colour_by: str | None = "phase",
) -> None:
    """Open sites as markers by kind, each with a popup (see ``_site_popup``).

    Site markers are drawn above the hubs' (a hub often stands where demand is
    densest, beside a site). Above :data:`CLUSTER_SITES` sites the markers are
    grouped at low zoom (Leaflet.markercluster); from zoom 16 each shows alone.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    sites : geopandas.GeoDataFrame
        With ``site_id``, ``name`` (or a shown ``label``), ``kind`` and the popup's
        optional columns (``source``, ``source_id``, ``category``, ``existing``,
        ``parcels_per_day``, ``capacity``, ``utilisation``, ``clusters``,
        ``mean_walk_m``).
    toggles : bool, default False
        Put the what-if's "Close this site" button in each popup (needs
        ``candidate_id``).
    colour_by : str or None, default "phase"
        A column of 1-based whole numbers (a roll-out's ``phase``) that colours the
        markers on a sequential ramp (:func:`phase_colour`; the legend reads
        :func:`layer_table`); by kind when the sites have no such column.
    """
    target: Any = group
    toggles = toggles and "candidate_id" in sites.columns
    colour_by = colour_by if colour_by in sites.columns and len(sites) else None
    top = int(sites[colour_by].max()) if colour_by else 0
    if len(sites) > CLUSTER_SITES:
        target = plugins.MarkerCluster(
            control=False,
            options={"disableClusteringAtZoom": 16, "maxClusterRadius": 50},
        ).add_to(group)
    for _, row in sites.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        kind = row.get("kind")
        folium.Marker(
            [round(v, DIGITS) for v in ll],
            popup=folium.Popup(_site_popup(sites, row, toggles), max_width=340),
            tooltip=(
                f"{escape(row['site_id'])}: {_label(sites, row)} "
                f"({escape(KIND_LABELS.get(kind, kind))})"
            ),
            icon=_site_icon(row, colour_by, top),
            title=f"Open site {_plain_id(row['site_id'])}",
            z_index_offset=1000,
        ).add_to(target)


def draw_hubs(group: folium.FeatureGroup, hubs: gpd.GeoDataFrame) -> None:
    """Hubs (van depots) as dark square badges with a truck, centred on the hub.

    A badge rather than a pin, and below the site markers: a site's pin stands
    above its point, so a site at (or beside) a hub stays visible and clickable.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    hubs : geopandas.GeoDataFrame
        With ``hub_id`` and optionally ``name``.
    """
    for _, row in hubs.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        name = escape(row.get("name")) if "name" in hubs.columns else ""
        folium.Marker(
            [round(v, DIGITS) for v in ll],
            tooltip=f"Hub {escape(row.get('hub_id'))}" + (f": {name}" if name else ""),
            icon=folium.DivIcon(
                html="<div class='lp-hub'><i class='fa fa-truck'></i></div>",
                icon_size=(22, 22),
                icon_anchor=(11, 11),
                class_name="lp-hub-icon",
            ),
            title=f"Hub {_plain_id(row.get('hub_id'))}",
        ).add_to(group)
