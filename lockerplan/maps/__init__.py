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

The page's size does not grow with the number of demand points: the vector
overlays are drawn in the browser from compact rows (:mod:`~lockerplan.maps.js`);
above :data:`DETAIL_LIMIT` demand points demand is drawn per coverage cell, above
:data:`CLUSTER_SITES` open sites their markers cluster and the catchments merge per
kind (Porto Alegre, 1,115 demand points and 100 sites: 9.8 MB before, 1.3 MB now).
On screens narrower than 700 px the layer control and the panel start closed.

The modules: :mod:`~lockerplan.maps.layers` draws the overlays (one
``draw_<key>`` each) and holds :data:`LAYER_TABLE`, from which :data:`LAYERS`,
:data:`HIDDEN_LAYERS` and the legend are read; :mod:`~lockerplan.maps.panel` writes
the KPI panel from a :class:`~lockerplan.pipeline.kpis.Kpis` record;
:mod:`~lockerplan.maps.names` names unnamed places by their nearest street;
:mod:`~lockerplan.maps.whatif` embeds the coverage data and the script that open and
close sites in the page (the figures of :meth:`lockerplan.Plan.evaluate`);
:mod:`~lockerplan.maps.compare` draws two plans of one study area on one page
(:func:`comparison_map`, ``lockerplan compare``);
:mod:`~lockerplan.maps.html` holds the text helpers and
:mod:`~lockerplan.maps.style` the colours.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
from folium import plugins

from ..equity import coverage_by_cell, equity_summary
from ..errors import InputError
from ..pipeline.kpis import Kpis
from ..settings import OSM_ATTRIBUTION
from .compare import comparison_map
from .html import OSM_ATTRIBUTION_HTML, PAGE_CSS, _bounds, _PanelControl, _SmallScreen, escape
from .layers import (
    CLUSTER_SITES,
    COMPETITOR_LAYERS,
    DETAIL_LIMIT,
    HIDDEN_LAYERS,
    LAYER_TABLE,
    LAYERS,
    Layer,
    Swatch,
    draw_candidates,
    draw_catchments,
    draw_cells,
    draw_competitors,
    draw_contested,
    draw_demand,
    draw_heat,
    draw_hubs,
    draw_routes,
    draw_sites,
    draw_underserved,
)
from .names import street_network, with_labels
from .panel import COMPARISON_ROWS, kpi_panel_html, legend_html
from .style import (
    CANDIDATE_COLOUR,
    COVERED_COLOUR,
    KIND_COLOURS,
    KIND_CSS,
    KIND_ICONS,
    KIND_LABELS,
    ROUTE_COLOURS,
    SHARE_COLOURS,
    UNCOVERED_COLOUR,
    UNDERSERVED_COLOUR,
)
from .whatif import WhatIf, whatif_data, whatif_html

__all__ = [
    "CANDIDATE_COLOUR",
    "COMPARISON_ROWS",
    "CLUSTER_SITES",
    "COVERED_COLOUR",
    "DETAIL_LIMIT",
    "HIDDEN_LAYERS",
    "KIND_COLOURS",
    "KIND_CSS",
    "KIND_ICONS",
    "KIND_LABELS",
    "LAYERS",
    "LAYER_TABLE",
    "OSM_ATTRIBUTION_HTML",
    "ROUTE_COLOURS",
    "SHARE_COLOURS",
    "UNCOVERED_COLOUR",
    "UNDERSERVED_COLOUR",
    "Layer",
    "Swatch",
    "comparison_map",
    "coverage_map",
    "escape",
    "kpi_panel_html",
    "legend_html",
    "plan_map",
]

log = logging.getLogger(__name__)


def _base_map(bounds: list[list[float]] | None) -> folium.Map:
    """An empty map centred on ``bounds`` (the world without), OSM tiles with credit."""
    centre = (
        [round((bounds[0][0] + bounds[1][0]) / 2, 6), round((bounds[0][1] + bounds[1][1]) / 2, 6)]
        if bounds
        else [0.0, 0.0]
    )
    fmap = folium.Map(
        location=centre, zoom_start=15 if bounds else 2, tiles=None, control_scale=True
    )
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION_HTML, control=True
    ).add_to(fmap)
    return fmap


def _cells_and_equity(
    demand: gpd.GeoDataFrame, cells: gpd.GeoDataFrame | None, cell_m: float, kpis: Kpis
) -> tuple[gpd.GeoDataFrame | None, dict[str, Any] | None]:
    """The coverage cells to draw and the equity figures for the panel.

    Given cells are drawn as they are, and the record's ``equity`` (computed from the
    same cells by the pipeline) is shown when it has one. Without cells they are
    computed from ``demand`` with ``cell_m``, and so are their figures.
    """
    if cells is not None:
        return cells, kpis.equity or (equity_summary(cells) if len(cells) else None)
    if len(demand) and {"covered", "parcels_per_day"} <= set(demand.columns):
        cells = coverage_by_cell(demand, cell_m=cell_m)
        return cells, equity_summary(cells) if len(cells) else None
    return None, None


def _add_controls(fmap: folium.Map, minimap: bool) -> None:
    """The layer control (collapsed on small screens), the fullscreen button and
    (optionally) the mini map."""
    control = folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    _SmallScreen(control).add_to(fmap)
    plugins.Fullscreen(
        position="topleft", title="Full screen", title_cancel="Exit full screen"
    ).add_to(fmap)
    if minimap:
        plugins.MiniMap(toggle_display=True, position="bottomright", zoom_level_offset=-4).add_to(
            fmap
        )


def coverage_map(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    kpis: Kpis | Mapping[str, Any],
    *,
    demand_points: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    cell_m: float = 250.0,
    van_capacity: float | None = None,
    minimap: bool = True,
    walk_graph: Any = None,
    whatif: dict[str, Any] | None = None,
    competitors: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw a plan as an interactive folium map.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand clusters with ``cluster_id``, ``parcels_per_day``, ``covered``,
        ``site_id`` and ``walk_m``.
    candidates, sites, catchments, hubs, routes : geopandas.GeoDataFrame
        The plan's layers (see :class:`lockerplan.Plan`). Site popups show
        ``capacity`` (parcels/day) and utilisation (``utilisation`` 0-1, or
        assigned parcels / capacity) when the sites have those columns.
    kpis : Kpis or dict
        Key figures for the KPI panel (see :func:`kpi_panel_html`); a dict is read
        with :meth:`Kpis.from_dict`.
    demand_points : geopandas.GeoDataFrame, optional
        Unclustered demand (one point per building, with ``parcels_per_day``) for
        the heat map; the clusters are used when omitted.
    cells : geopandas.GeoDataFrame, optional
        Coverage per grid cell from :func:`lockerplan.equity.coverage_by_cell` (the
        plan's own); the panel then shows ``kpis.equity`` when the record has it.
        Computed from ``demand`` with ``cell_m`` when omitted.
    cell_m : float, default 250
        Grid cell side, metres, when ``cells`` is computed here.
    van_capacity : float, optional
        Parcels per van, to show each route's load as a share of the van.
    minimap : bool, default True
        Add the overview mini map.
    walk_graph : Streets, GraphArrays or networkx.MultiDiGraph, optional
        The walk network: sites and candidates without a name are shown by their
        category and nearest named street (:func:`~lockerplan.maps.names.with_labels`).
    whatif : dict, optional
        The coverage data of :func:`~lockerplan.maps.whatif.whatif_data`: site and
        candidate popups then open and close sites and the panel's "What if"
        section shows the figures (:mod:`lockerplan.maps.whatif`).
    competitors : geopandas.GeoDataFrame, optional
        A rival network's sites (:mod:`lockerplan.competitors`): drawn with the
        demand's contested clusters (``contested`` column) as the overlays of
        :data:`~lockerplan.maps.layers.COMPETITOR_LAYERS`.

    Returns
    -------
    folium.Map
        With one :class:`folium.FeatureGroup` per entry of :data:`LAYER_TABLE`
        (named by :attr:`Layer.name`), a layer control, fullscreen button, mini map
        and KPI panel.
    """
    kpis = Kpis.from_dict(kpis)
    bounds = _bounds(demand, candidates, sites, hubs)
    fmap = _base_map(bounds)
    groups = {
        layer.key: folium.FeatureGroup(name=layer.name, show=layer.shown) for layer in LAYER_TABLE
    }
    cells, equity = _cells_and_equity(demand, cells, cell_m, kpis)
    if walk_graph is not None:
        sites, candidates = with_labels(sites, walk_graph), with_labels(candidates, walk_graph)
    cell_layer = draw_cells(groups["cells"], cells) if cells is not None and len(cells) else None
    if cell_layer is not None:
        draw_underserved(groups["underserved"], cell_layer)
    points = demand_points if demand_points is not None and len(demand_points) else demand
    at_scale = cell_layer is not None and len(demand) > DETAIL_LIMIT
    draw_heat(groups["heat"], cell_layer if at_scale or len(points) > DETAIL_LIMIT else points)
    draw_catchments(groups["catchments"], catchments, sites, walk_m=kpis.walk_m or None)
    draw_demand(groups["demand"], cell_layer if at_scale else demand, sites)
    draw_candidates(groups["candidates"], candidates, toggles=whatif is not None)
    draw_routes(groups["routes"], routes, van_capacity)
    draw_sites(groups["sites"], sites, toggles=whatif is not None)
    draw_hubs(groups["hubs"], hubs)
    if competitors is not None and "on_network" in competitors:
        competitors = competitors[competitors["on_network"].to_numpy(dtype=bool)]  # as the KPIs
    if competitors is not None and len(competitors):
        groups |= {layer.key: folium.FeatureGroup(name=layer.name) for layer in COMPETITOR_LAYERS}
        # per cluster only while demand is drawn per cluster (the GeoPackage has them all)
        draw_contested(groups["contested"], demand if not at_scale else demand.iloc[:0], sites)
        draw_competitors(groups["competitors"], competitors)
    for group in groups.values():
        group.add_to(fmap)
    _add_controls(fmap, minimap)
    root = fmap.get_root()
    root.title = f"{escape(kpis.name or 'lockerplan')} \u2013 locker coverage plan"
    root.header.add_child(folium.Element(PAGE_CSS))
    _PanelControl(
        kpi_panel_html(
            kpis, sites=sites, equity=equity, extra=whatif_html(whatif) if whatif else ""
        ),
        position="bottomleft",
        element_id="lockerplan-kpis",
    ).add_to(fmap)
    if whatif:
        WhatIf(whatif, CANDIDATE_COLOUR).add_to(fmap)
    if bounds:
        fmap.fit_bounds(bounds)
    log.debug("coverage map: %d sites, %d routes, %s", len(sites), len(routes), OSM_ATTRIBUTION)
    return fmap


def plan_map(plan: Any, **options: Any) -> folium.Map:
    """The coverage map of a plan (anything with the :class:`~lockerplan.Plan` fields).

    Parameters
    ----------
    plan : lockerplan.Plan
        Read duck-typed: ``demand``, ``candidates``, ``sites``, ``catchments``,
        ``hubs``, ``routes`` and ``kpis``; ``cells``, ``demand_points`` and
        ``scenario.van_capacity`` when present. The plan's ``cells`` are drawn
        (another ``cell_m`` than the plan's is refused: the map shows the
        figures of ``summary.json``).
    **options
        Passed on to :func:`coverage_map` (e.g. ``minimap=False``).

    Returns
    -------
    folium.Map
    """
    scenario = getattr(plan, "scenario", None)
    cells = getattr(plan, "cells", None)
    if cells is not None:
        grid_m = cells.attrs.get("cell_m")
        if options.get("cell_m", grid_m) != grid_m:
            raise InputError(
                f"cell_m: this plan's coverage cells are {grid_m:g} m (its summary.json and "
                "GeoPackage use them); plan again with cell_m=... for another grid."
            )
        options.pop("cell_m", None)
        options["cells"] = cells
    options.setdefault("demand_points", getattr(plan, "demand_points", None))
    options.setdefault("walk_graph", street_network(plan))
    options.setdefault("van_capacity", getattr(scenario, "van_capacity", None))
    options.setdefault("competitors", getattr(plan, "competitors", None))
    if "whatif" not in options and hasattr(plan, "reach"):
        options["whatif"] = whatif_data(plan)
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
