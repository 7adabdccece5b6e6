"""Two plans of one study area on one map: their sites, coverage and catchments.

A planner who compares two scenarios (400 m against 500 m walks, 4 against 8
sites) wants to see what changes on the ground: which sites both plans open,
which only one does, and whose demand each covers. :func:`comparison_map` draws

* the sites by what they are to the comparison, each marker a shape, a colour and
  the kind's icon (colour-blind safe: the shape alone tells them apart): a dark
  circle for a site in both plans, a blue square for a site only in the first, an
  orange diamond for one only in the second (:data:`CHANGE_STYLES`);
* per plan, its coverage of demand (demand clusters covered / not covered; above
  :data:`~lockerplan.maps.layers.DETAIL_LIMIT` clusters the coverage share per
  grid cell, as on the plan's own map) and its walking catchments (the second
  plan's dashed);
* a layer control to toggle each of these, and a panel with both plans' key
  figures side by side and their difference, with the legend.

Every overlay is drawn by the plan map's own ``draw_<layer>`` functions
(:mod:`~lockerplan.maps.layers`), so the page stays as small as the plan maps, and
every figure of the panel is a figure of :data:`lockerplan.figures.FIGURES` with
the ``"compare"`` view. :func:`lockerplan.export.read_plan` reads a plan back
from the folder ``lockerplan plan`` writes; the command ``lockerplan compare A B``
is the two together (:func:`lockerplan.comparison.write_comparison`).

Examples
--------
>>> from lockerplan.maps.compare import CHANGE_STYLES
>>> [s.shape for s in CHANGE_STYLES.values()]
['dot', 'box', 'diamond']
"""

from __future__ import annotations

import logging
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium import plugins
from folium.template import Template

from ..equity import coverage_by_cell
from ..errors import InputError
from ..figures import FIGURES, Figure, missing
from ..records import Kpis
from .base import add_controls, base_map
from .demand_layers import draw_cells, draw_demand
from .html import (
    OSM_ATTRIBUTION_HTML,
    PAGE_CSS,
    PanelControl,
    escape,
    lat_lon,
    map_bounds,
    num,
    plain_id,
)
from .js import DIGITS, page_json
from .layers import CLUSTER_SITES, DETAIL_LIMIT, LAYER_TABLE, Layer, Swatch, place_label
from .names import plan_streets, street_network, with_labels
from .panel import legend_html
from .site_layers import draw_catchments, site_popup
from .style import HUB_COLOUR, KIND_ICONS, KIND_LABELS, ROUTE_COLOURS

__all__ = [
    "CHANGE_STYLES",
    "check_labels",
    "comparison_map",
    "site_changes",
]

log = logging.getLogger(__name__)

#: How a site is drawn by what it is to the comparison: in both plans, only in the
#: first, only in the second (label with ``{a}``/``{b}`` for the plans' labels,
#: colour from the map palette, shape as in the legend).
CHANGE_STYLES = {
    "both": Swatch("site in both plans", HUB_COLOUR, "dot"),
    "only_a": Swatch("site only in {a}", ROUTE_COLOURS[0], "box"),
    "only_b": Swatch("site only in {b}", ROUTE_COLOURS[1], "diamond"),
}
#: Style of the second plan's catchments (Leaflet path options), told apart from the first's.
SECOND_CATCHMENTS = {"dashArray": "6 4", "weight": 2, "fillOpacity": 0.05}

#: The legend's note when neither plan brings its streets.
NO_STREETS_SAVED = (
    "No streets base layer: neither plan has its streets (a plan folder saved by an older "
    "lockerplan has no <code>streets</code> layer), so without tiles the map shows no "
    "streets; plan again to add them."
)

_CSS = """
<style>
.lp-cmp-icon {background:none;border:none}
.lp-cmp {width:22px;height:22px;box-sizing:border-box;border:2px solid #fff;color:#fff;
  box-shadow:0 1px 3px rgba(0,0,0,.5);display:flex;align-items:center;justify-content:center;
  font-size:10px}
.lp-cmp-both {border-radius:50%} .lp-cmp-only_a {border-radius:2px}
.lp-cmp-only_b {transform:rotate(45deg);border-radius:2px} .lp-cmp-only_b i {transform:rotate(-45deg)}
.lp-diamond {transform:rotate(45deg);width:8px;height:8px;margin:0 5px 0 1px}
.lp-dashed {border:2px dashed #555;background:none !important;width:8px;height:8px}
.lockerplan-panel .lp-cmp-table td {font-variant-numeric:tabular-nums;white-space:nowrap}
.lockerplan-panel .lp-cmp-table tr:first-child th {white-space:nowrap;text-align:right}
</style>
"""


def _ids(frame: gpd.GeoDataFrame | None, column: str) -> np.ndarray:
    """The sorted ids of a layer's column (empty without the layer or the column)."""
    if frame is None or column not in frame.columns:
        return np.array([], dtype=str)
    return np.sort(frame[column].astype(str).to_numpy())


def _study_area_difference(a: Any, b: Any) -> str:
    """What differs between two plans' study areas ("" when demand and candidates agree)."""
    ids_a, ids_b = _ids(a.demand, "cluster_id"), _ids(b.demand, "cluster_id")
    if not np.array_equal(ids_a, ids_b):
        extra = sorted(set(ids_b) ^ set(ids_a))[:3]
        return (
            f"their demand clusters differ ({len(ids_a):,} vs {len(ids_b):,} clusters; "
            f"e.g. {', '.join(extra)} in only one)"
        )
    w_a = a.demand.set_index(a.demand["cluster_id"].astype(str))["parcels_per_day"]
    w_b = b.demand.set_index(b.demand["cluster_id"].astype(str))["parcels_per_day"]
    if not np.allclose(w_a.sort_index().to_numpy(float), w_b.sort_index().to_numpy(float)):
        return (
            f"their demand differs ({w_a.sum():,.1f} vs {w_b.sum():,.1f} parcels/day "
            "over the same clusters)"
        )
    cand_a = _ids(getattr(a, "candidates", None), "candidate_id")
    cand_b = _ids(getattr(b, "candidates", None), "candidate_id")
    if len(cand_a) and len(cand_b) and not np.array_equal(cand_a, cand_b):
        extra = sorted(set(cand_b) ^ set(cand_a))[:3]
        return (
            f"their candidate sites differ ({len(cand_a):,} vs {len(cand_b):,}; "
            f"e.g. {', '.join(extra)} in only one)"
        )
    return ""


def site_changes(sites_a: gpd.GeoDataFrame, sites_b: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """The candidate ids of the sites in both plans, only in the first, only in the second.

    Examples
    --------
    >>> import pandas as pd
    >>> site_changes(pd.DataFrame({"candidate_id": ["c1", "c2"]}),
    ...              pd.DataFrame({"candidate_id": ["c2", "c3"]}))
    {'both': ['c2'], 'only_a': ['c1'], 'only_b': ['c3']}
    """
    a = list(dict.fromkeys(sites_a["candidate_id"].astype(str)))
    b = list(dict.fromkeys(sites_b["candidate_id"].astype(str)))
    return {
        "both": [c for c in a if c in set(b)],
        "only_a": [c for c in a if c not in set(b)],
        "only_b": [c for c in b if c not in set(a)],
    }


def _check_plan(plan: Any, name: str) -> None:
    """A plan or :class:`~lockerplan.export.PlanLayers` with open sites that carry their
    candidate ids."""
    missing = [a for a in ("sites", "demand", "catchments", "kpis") if not hasattr(plan, a)]
    if missing:
        raise InputError(
            f"{name} must be a lockerplan.Plan or PlanLayers (read_plan(folder)); "
            f"got {type(plan).__name__} without {', '.join(missing)}."
        )
    if "candidate_id" not in plan.sites.columns or "cluster_id" not in plan.demand.columns:
        raise InputError(
            f"{name}: its sites need candidate_id and its demand cluster_id "
            "(the layers of a plan: Plan.sites / facilities, Plan.demand / demand_points)."
        )


def check_labels(labels: Any) -> tuple[str, str]:
    """Two distinct, non-empty labels (stripped)."""
    if isinstance(labels, str) or len(labels) != 2:
        raise InputError(
            f"labels must be two names, one per plan (e.g. ('A', 'B')), got {labels!r}."
        )
    a, b = (str(x).strip() for x in labels)
    if not a or not b or a == b:
        raise InputError(f"labels must be two different, non-empty names, got {labels!r}.")
    return a, b


def comparison_layers(labels: tuple[str, str], cells: bool = False) -> tuple[Layer, ...]:
    """The overlays of the comparison map, bottom to top, named with the plans' labels.

    Keys: ``catchments_a``/``_b``, ``coverage_a``/``_b`` and the sites ``both``,
    ``only_a``, ``only_b``; the second plan's catchments and coverage start hidden.
    With ``cells`` (above :data:`~lockerplan.maps.layers.DETAIL_LIMIT` demand clusters)
    the coverage legend is the cells' ramp, else covered / not covered clusters.
    The names are HTML (Leaflet's layer control inserts them so): the labels escaped.

    Examples
    --------
    >>> [(l.key, l.name, l.shown) for l in comparison_layers(("A", "B"))][-3:]
    [('both', 'Sites in both A and B', True), ('only_a', 'Sites only in A', True), ('only_b', 'Sites only in B', True)]
    """
    a, b = labels
    ea, eb = escape(a), escape(b)
    table = {layer.key: layer for layer in LAYER_TABLE}
    dashed = Swatch("catchment of {b} (dashed)", "none", "dashed")
    layers = []
    for key, label, shown in (("a", ea, True), ("b", eb, False)):
        legend = table["catchments"].legend if key == "a" else (dashed,)
        layers.append(Layer(f"catchments_{key}", f"{label}: walking catchments", shown, legend))
    for key, label, shown in (("a", ea, True), ("b", eb, False)):
        legend = table["cells" if cells else "demand"].legend if key == "a" else ()
        layers.append(Layer(f"coverage_{key}", f"{label}: coverage of demand", shown, legend))
    names = {"both": f"Sites in both {ea} and {eb}", "only_a": f"Sites only in {ea}"}
    names["only_b"] = f"Sites only in {eb}"
    for key, swatch in CHANGE_STYLES.items():
        layers.append(Layer(key, names[key], True, (swatch,)))
    return tuple(
        Layer(
            layer.key,
            layer.name,
            layer.shown,
            tuple(Swatch(s.label.format(a=a, b=b), s.css, s.shape, s.ends) for s in layer.legend),
        )
        for layer in layers
    )


class _GroupStyle(MacroElement):
    """Restyle every path of the parent feature group (Leaflet ``setStyle``) once drawn."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.setStyle({{ this.style_js }});
        {% endmacro %}
        """
    )

    def __init__(self, style: dict[str, Any]) -> None:
        super().__init__()
        self._name = "GroupStyle"
        self.style_js = page_json(style)


def _shown_sites(plan: Any) -> gpd.GeoDataFrame:
    """A plan's open sites, named by their nearest street when the plan has its walk graph."""
    network = street_network(plan)
    return with_labels(plan.sites, network) if network is not None else plan.sites


def _draw_coverage(group: folium.FeatureGroup, plan: Any, sites: gpd.GeoDataFrame) -> None:
    """A plan's demand, covered or not; above DETAIL_LIMIT clusters its coverage cells
    (the plan's own, else computed from its demand)."""
    demand = plan.demand
    if len(demand) <= DETAIL_LIMIT:  # as comparison_layers(cells=False) says
        draw_demand(group, demand, sites)
        return
    cells = getattr(plan, "cells", None)
    cells = coverage_by_cell(demand) if cells is None else cells
    if len(cells):
        draw_cells(group, cells)


def _site_marker(
    key: str, rows: dict[int, tuple[int, gpd.GeoDataFrame, Any]], labels: tuple[str, str]
) -> folium.Marker | None:
    """The marker of one site of the comparison (None without a location): shape and
    colour by ``key`` (see :data:`CHANGE_STYLES`), the kind's icon, and the popup of the
    site in each plan that opens it. ``rows``: plan (0, 1) -> (plan, sites, site row)."""
    _, sites, row = next(iter(rows.values()))
    ll = lat_lon(row.geometry)
    if ll is None:
        return None
    kind = row.get("kind")
    style = CHANGE_STYLES[key]
    ids = ", ".join(f"{escape(labels[s])}: {escape(r['site_id'])}" for s, (_, _, r) in rows.items())
    tip = (
        f"{escape(style.label.format(a=labels[0], b=labels[1]).capitalize())}: "
        f"{place_label(sites, row)} ({escape(KIND_LABELS.get(kind, kind))}; {ids})"
    )
    popup = "".join(
        f"<div class='lp-popup'><b>{escape(labels[s])}</b></div>{site_popup(frame, r)}"
        for s, (_, frame, r) in rows.items()
    )
    return folium.Marker(
        [round(v, DIGITS) for v in ll],
        popup=folium.Popup(popup, max_width=360),
        tooltip=tip,
        icon=folium.DivIcon(
            html=(
                f"<div class='lp-cmp lp-cmp-{key}' style='background:{style.css}'>"
                f"<i class='fa fa-{KIND_ICONS.get(kind, 'inbox')}'></i></div>"
            ),
            icon_size=(22, 22),
            icon_anchor=(11, 11),
            class_name="lp-cmp-icon",
        ),
        title=plain_id(f"{style.label.format(a='A', b='B')} {row['candidate_id']}"),
        z_index_offset=1000,
    )


def _draw_sites(
    groups: dict[str, folium.FeatureGroup],
    sites: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
    changes: dict[str, list[str]],
    labels: tuple[str, str],
) -> None:
    """The sites of both plans, one marker per candidate, in the group of its change;
    above CLUSTER_SITES markers a group's markers cluster at low zoom (as on the plan map)."""
    by_id = [
        {str(r["candidate_id"]): (side, frame, r) for _, r in frame.iterrows()}
        for side, frame in enumerate(sites)
    ]
    for key, ids in changes.items():
        target: Any = groups[key]
        if len(ids) > CLUSTER_SITES:
            target = plugins.MarkerCluster(
                control=False, options={"disableClusteringAtZoom": 16, "maxClusterRadius": 50}
            ).add_to(groups[key])
        for cid in ids:
            rows = {side: by_id[side][cid] for side in (0, 1) if cid in by_id[side]}
            marker = _site_marker(key, rows, labels)
            if marker is not None:
                marker.add_to(target)


def _figure_rows(a: Kpis, b: Kpis) -> list[tuple[Figure, Any, Any]]:
    """Panel rows: each figure of the ``"compare"`` view with its value in A and in B.

    The cost per parcel is the with-lockers one (the replenishment's when a plan
    has no business case); a figure neither plan has is left out.
    """
    rows = []
    for key, fig in FIGURES.items():
        if "compare" not in fig.views:
            continue
        va, vb = (k.locker_cost_per_parcel if key == "cost_per_parcel" else k[key] for k in (a, b))
        if not (missing(va) and missing(vb)):
            rows.append((fig, va, vb))
    return rows


def _value_cell(cell_id: str, value: Any, fig: Figure, currency: str, sign: bool) -> str:
    """A ``<td>`` with the shown number and the raw one in ``data-value``."""
    if missing(value):
        return f"<td id='{cell_id}'>\u2013</td>"
    unit = fig.unit_text(currency)
    shown = num(fig.scale * float(value), ("{:+" + fig.fmt[2:]) if sign else fig.fmt, unit)
    if sign and unit == "%":
        shown = shown.replace("%", "pp")  # a difference of shares: percentage points
    return f"<td id='{cell_id}' data-value='{float(value):.10g}'>{shown}</td>"


def comparison_panel_html(
    kpis: tuple[Kpis, Kpis],
    labels: tuple[str, str],
    changes: dict[str, list[str]],
    layers: tuple[Layer, ...],
    streets: bool = True,
) -> str:
    """The panel: both plans' key figures, their difference, the sites that change, the legend.

    Without ``streets`` (neither plan has its streets: saved before plans kept
    them) the legend says that the page has no streets base layer.

    Each figure's cell has the id ``lp-cmp-<key>-a`` / ``-b`` / ``-diff`` (the figure's
    key of :data:`~lockerplan.figures.FIGURES`: ``sites_open``, ``coverage_share``,
    ``cost_per_parcel``, ...) and the number as in ``summary.json`` in ``data-value``
    (the coverage as a share); the site counts are ``lp-cmp-count-both`` /
    ``-only_a`` / ``-only_b``.
    """
    a, b = (escape(x) for x in labels)
    ka, kb = kpis
    currency = ka.currency if ka.currency == kb.currency else "money"
    rows = []
    for fig, va, vb in _figure_rows(ka, kb):
        diff = None if missing(va) or missing(vb) else float(vb) - float(va)
        key = fig.key
        rows.append(
            f"<tr><th>{escape(fig.heading(currency) if fig.side else fig.label)}</th>"
            + _value_cell(f"lp-cmp-{key}-a", va, fig, currency, False)
            + _value_cell(f"lp-cmp-{key}-b", vb, fig, currency, False)
            + _value_cell(f"lp-cmp-{key}-diff", diff, fig, currency, True)
            + "</tr>"
        )
    counts = ", ".join(
        f"<span id='lp-cmp-count-{key}' data-value='{len(ids)}'>{len(ids):,}</span> "
        + {"both": "in both", "only_a": f"only in {a}", "only_b": f"only in {b}"}[key]
        for key, ids in changes.items()
    )
    return (
        f"<details open><summary><b>{a} vs {b}</b> \u2013 plan comparison</summary>"
        f"<table class='lp-table lp-compare lp-cmp-table'><tr><th></th><th>{a}</th>"
        f"<th>{b}</th><th>{b} \u2212 {a}</th></tr>{''.join(rows)}</table>"
        f"<div>Sites: {counts}</div>{legend_html(layers)}"
        + ("" if streets else f"<div class='lp-note' id='lp-no-streets'>{NO_STREETS_SAVED}</div>")
        + "<div class='lp-note'>Walking distances along the street network. "
        f"Map data {OSM_ATTRIBUTION_HTML}.</div></details>"
    )


def comparison_map(plan_a: Any, plan_b: Any, labels: tuple[str, str] = ("A", "B")) -> folium.Map:
    """Two plans of one study area on one map, to toggle between them.

    Parameters
    ----------
    plan_a, plan_b : lockerplan.Plan or lockerplan.export.PlanLayers
        Read duck-typed: ``sites``, ``demand``, ``catchments``, ``candidates`` and
        ``kpis``; ``cells``, ``streets`` and ``walk_graph`` when present (a saved plan:
        :func:`lockerplan.export.read_plan`). The first plan's streets (else the
        second's) are the base layer drawn when the tiles cannot load
        (:func:`~lockerplan.maps.names.plan_streets`). Both must be plans of one study area: the same demand
        clusters and candidate sites.
    labels : tuple of str, default ("A", "B")
        The plans' names on the page (e.g. ``("400 m", "500 m")``).

    Returns
    -------
    folium.Map
        With the overlays of :func:`comparison_layers`, a layer control, the
        title "A vs B" and the panel of :func:`comparison_panel_html` (id
        ``lockerplan-compare``).

    Raises
    ------
    InputError
        When the labels are not two different names, or the plans are not on one
        study area.

    Examples
    --------
    >>> area = lockerplan.pipeline.prepare_study_area(max_walk_m=500)  # doctest: +SKIP
    >>> a, b = (lockerplan.pipeline.plan_study_area(area, walk_m=w) for w in (400, 500))  # doctest: +SKIP
    >>> comparison_map(a, b, labels=("400 m", "500 m")).save("400_vs_500.html")  # doctest: +SKIP
    """
    labels = check_labels(labels)
    _check_plan(plan_a, "plan_a")
    _check_plan(plan_b, "plan_b")
    difference = _study_area_difference(plan_a, plan_b)
    if difference:
        raise InputError(
            f"plan_b ({getattr(plan_b, 'name', '?')}) is not on the study area of plan_a "
            f"({getattr(plan_a, 'name', '?')}): {difference}; compare two plans of one study "
            "area (the same OSM extract, demand and candidate settings)."
        )
    kpis = Kpis.from_dict(plan_a.kpis), Kpis.from_dict(plan_b.kpis)
    sites = _shown_sites(plan_a), _shown_sites(plan_b)
    changes = site_changes(*sites)
    layers = comparison_layers(labels, cells=len(plan_a.demand) > DETAIL_LIMIT)
    bounds = map_bounds(plan_a.demand, plan_b.demand, *sites)
    streets = plan_streets(plan_a)
    streets = streets if len(streets) else plan_streets(plan_b)
    fmap = base_map(bounds, streets=streets)
    groups = {layer.key: folium.FeatureGroup(name=layer.name, show=layer.shown) for layer in layers}
    for side, plan in zip("ab", (plan_a, plan_b), strict=True):
        k = kpis["ab".index(side)]
        frame = sites["ab".index(side)]
        draw_catchments(groups[f"catchments_{side}"], plan.catchments, frame, k.walk_m or None)
        _draw_coverage(groups[f"coverage_{side}"], plan, frame)
    _GroupStyle(SECOND_CATCHMENTS).add_to(groups["catchments_b"])
    _draw_sites(groups, sites, changes, labels)
    for group in groups.values():
        group.add_to(fmap)
    add_controls(fmap)
    root = fmap.get_root()
    root.title = f"{escape(labels[0])} vs {escape(labels[1])} \u2013 locker plan comparison"
    root.header.add_child(folium.Element(PAGE_CSS + _CSS))
    PanelControl(
        comparison_panel_html(kpis, labels, changes, layers, streets=len(streets) > 0),
        position="bottomleft",
        element_id="lockerplan-compare",
    ).add_to(fmap)
    if bounds:
        fmap.fit_bounds(bounds)
    log.debug("comparison map: %s", {k: len(v) for k, v in changes.items()})
    return fmap
