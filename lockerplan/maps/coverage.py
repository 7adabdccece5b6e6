"""The coverage map of a plan: its layers, controls and KPI panel on one page.

:func:`coverage_map` draws a plan's layers (one ``draw_<layer>`` of
:mod:`~lockerplan.maps.layers` each) in the frame of :mod:`~lockerplan.maps.base`,
with the KPI panel of :mod:`~lockerplan.maps.panel` and, when given, the what-if
of :mod:`~lockerplan.maps.whatif`; :func:`plan_map` hands it a plan's layers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd

from ..equity import coverage_by_cell, equity_summary
from ..errors import InputError
from ..records import Kpis
from ..settings import OSM_ATTRIBUTION
from .base import add_controls, base_map
from .commute_layers import COMMUTE_LAYERS, draw_flows
from .demand_layers import (
    draw_cells,
    draw_competitors,
    draw_contested,
    draw_demand,
    draw_heat,
    draw_underserved,
)
from .html import PAGE_CSS, MapTitle, PanelControl, escape, map_bounds
from .layers import COMPETITOR_LAYERS, DETAIL_LIMIT, LAYER_TABLE
from .names import plan_streets, street_network, with_labels
from .panel import kpi_panel_html, map_title
from .price_layers import PRICE_LAYERS, draw_cost_to_serve, draw_prices
from .site_layers import draw_candidates, draw_catchments, draw_hubs, draw_routes, draw_sites
from .style import CANDIDATE_COLOUR
from .whatif import WhatIf, whatif_data, whatif_html

log = logging.getLogger(__name__)


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
    walk_graph: Any = None,
    whatif: dict[str, Any] | None = None,
    competitors: gpd.GeoDataFrame | None = None,
    commute_flows: gpd.GeoDataFrame | None = None,
    streets: Any = None,
    pricing_zones: gpd.GeoDataFrame | None = None,
    detail_limit: int = DETAIL_LIMIT,
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
    walk_graph : Streets, GraphArrays or networkx.MultiDiGraph, optional
        The walk network: sites and candidates without a name are shown by their
        category and nearest named street (:func:`~lockerplan.maps.names.with_labels`),
        and its streets are the base layer used when the tiles cannot load
        (:func:`~lockerplan.maps.base.base_map`).
    whatif : dict, optional
        The coverage data of :func:`~lockerplan.maps.whatif.whatif_data`: site and
        candidate popups then open and close sites and the panel's "What if"
        section shows the figures (:mod:`lockerplan.maps.whatif`).
    competitors : geopandas.GeoDataFrame, optional
        A rival network's sites (:mod:`lockerplan.competitors`): drawn with the
        demand's contested clusters (``contested`` column) as the overlays of
        :data:`~lockerplan.maps.layers.COMPETITOR_LAYERS`.
    commute_flows : geopandas.GeoDataFrame, optional
        With ``--on-the-way``: the plan's commute flows through its open sites, drawn
        as the overlay of :data:`~lockerplan.maps.commute_layers.COMMUTE_LAYERS`.
    streets : geopandas.GeoSeries, optional
        The lines of the streets base layer (:func:`~lockerplan.maps.base.street_shapes`);
        drawn from ``walk_graph`` when omitted.
    pricing_zones : geopandas.GeoDataFrame, optional
        With ``--price-zones``: the plan's :attr:`~lockerplan.Plan.pricing_zones`, drawn
        as the overlays of :data:`~lockerplan.maps.price_layers.PRICE_LAYERS` (the
        recommended discount and the cost to serve, off when the page opens), money in
        ``kpis.currency``.
    detail_limit : int, default DETAIL_LIMIT
        Above this many demand clusters (or points) demand is drawn per coverage cell
        (:data:`~lockerplan.maps.layers.DETAIL_LIMIT`); give ``whatif`` data made with
        the same limit (:func:`~lockerplan.maps.whatif.whatif_data`).

    Returns
    -------
    folium.Map
        With one :class:`folium.FeatureGroup` per entry of :data:`LAYER_TABLE`
        (named by :attr:`Layer.name`), a layer control, full-screen button and KPI
        panel; self-contained (:mod:`~lockerplan.maps.assets`).
    """
    kpis = Kpis.from_dict(kpis)
    bounds = map_bounds(demand, candidates, sites, hubs)
    fmap = base_map(bounds, streets=walk_graph if streets is None else streets)
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
    at_scale = cell_layer is not None and len(demand) > detail_limit
    draw_heat(groups["heat"], cell_layer if at_scale or len(points) > detail_limit else points)
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
    if commute_flows is not None:
        groups |= {layer.key: folium.FeatureGroup(name=layer.name) for layer in COMMUTE_LAYERS}
        draw_flows(groups["flows"], commute_flows)
    if pricing_zones is not None:
        groups |= {
            layer.key: folium.FeatureGroup(name=layer.name, show=layer.shown)
            for layer in PRICE_LAYERS
        }
        prices = draw_prices(groups["prices"], pricing_zones, kpis.currency or "EUR")
        draw_cost_to_serve(groups["cost_to_serve"], prices, kpis.currency or "EUR")
    for group in groups.values():
        group.add_to(fmap)
    add_controls(fmap)
    root = fmap.get_root()
    root.title = f"{escape(kpis.name or 'lockerplan')} \u2013 locker coverage plan"
    root.header.add_child(folium.Element(PAGE_CSS))
    PanelControl(
        kpi_panel_html(
            kpis, sites=sites, equity=equity, extra=whatif_html(whatif) if whatif else ""
        ),
        position="bottomleft",
        element_id="lockerplan-kpis",
    ).add_to(fmap)
    MapTitle(map_title(kpis)).add_to(fmap)
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
        ``scenario.routing.van_capacity`` when present. The plan's ``cells`` are drawn
        (another ``cell_m`` than the plan's is refused: the map shows the
        figures of ``summary.json``).
    **options
        Passed on to :func:`coverage_map` (e.g. ``whatif=None``).

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
    options.setdefault("streets", plan_streets(plan))
    options.setdefault(
        "van_capacity", getattr(getattr(scenario, "routing", None), "van_capacity", None)
    )
    options.setdefault("competitors", getattr(plan, "competitors", None))
    options.setdefault("commute_flows", getattr(plan, "commute_flows", None))
    options.setdefault("pricing_zones", getattr(plan, "pricing_zones", None))
    # the what-if counts coverage from home; a plan on the way counts work and the way too
    on_the_way = options["commute_flows"] is not None
    if "whatif" not in options and hasattr(plan, "reach") and not on_the_way:
        options["whatif"] = whatif_data(plan, options.get("detail_limit", DETAIL_LIMIT))
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
