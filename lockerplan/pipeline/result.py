"""The result of a plan: :class:`Plan`, its layers, key figures and outputs."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from ..export import GIS_LAYERS, write_plan
from ..settings import OSM_ATTRIBUTION
from .kpis import Kpis

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from ..routing import RoutingResult
    from ..scenario import Scenario
    from ..siting import SitingResult


@dataclass
class Plan:
    """A locker network plan: layers, key figures and the scenario that made it.

    Attributes
    ----------
    scenario : Scenario
        The settings used.
    demand_points : geopandas.GeoDataFrame
        Demand before clustering (one point per building), with ``cluster_id``.
    demand : geopandas.GeoDataFrame
        Demand clusters: ``cluster_id``, ``parcels_per_day``, ``members``, ``node``,
        ``snap_m``, ``covered``, ``site_id`` (assigned open site) and ``walk_m``.
    candidates : geopandas.GeoDataFrame
        Candidate sites with ``candidate_id``, ``name``, ``kind``, ``category``,
        ``source_id`` (OSM id or input row), ``node`` and ``snap_m``.
    sites : geopandas.GeoDataFrame
        Open sites: the candidate columns plus ``site_id``, ``parcels_per_day``
        (assigned), ``clusters`` and ``mean_walk_m``.
    assignments : geopandas.GeoDataFrame
        One line per covered demand cluster to the open site the siting model
        assigned it, with ``walk_m`` (network walking distance, both snap legs).
    catchments : geopandas.GeoDataFrame
        Walking catchment polygon of each open site.
    hubs, routes : geopandas.GeoDataFrame
        Van hubs and routes (street geometries).
    route_stops : pandas.DataFrame
        Visit order, arrival time and load of each route stop.
    dropped : pandas.DataFrame
        What was left out and why (``layer``, ``id``, ``parcels_per_day``, ``reason``).
    cells : geopandas.GeoDataFrame
        Coverage per grid cell (:func:`lockerplan.equity.coverage_by_cell`, side
        ``scenario.cell_m``): the map, the GeoPackage and ``kpis.equity`` use it.
    kpis : Kpis
        Key figures (a typed record that also reads like the ``summary.json`` dict).
    siting : SitingResult
        The MILP outcome (status, objective, bound, gap, times, assignment).
    routing : RoutingResult
        The routing outcome.
    walk_graph, drive_graph : networkx.MultiDiGraph
        The street networks used.

    Examples
    --------
    >>> import lockerplan
    >>> p = lockerplan.plan(sites=4)  # doctest: +SKIP
    >>> p.kpis["sites_open"] <= 4  # doctest: +SKIP
    True
    >>> p.map()  # doctest: +SKIP
    """

    scenario: Scenario = field(repr=False)
    demand_points: gpd.GeoDataFrame = field(repr=False)
    demand: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    sites: gpd.GeoDataFrame = field(repr=False)
    assignments: gpd.GeoDataFrame = field(repr=False)
    catchments: gpd.GeoDataFrame = field(repr=False)
    hubs: gpd.GeoDataFrame = field(repr=False)
    routes: gpd.GeoDataFrame = field(repr=False)
    route_stops: pd.DataFrame = field(repr=False)
    dropped: pd.DataFrame = field(repr=False)
    cells: gpd.GeoDataFrame = field(repr=False)
    kpis: Kpis = field(repr=False)
    siting: SitingResult = field(repr=False)
    routing: RoutingResult = field(repr=False)
    walk_graph: nx.MultiDiGraph = field(repr=False)
    drive_graph: nx.MultiDiGraph = field(repr=False)

    def __repr__(self) -> str:
        k = self.kpis
        return (
            f"Plan({k.name!r}: {k.sites_text} sites, {100 * k.coverage_share:.1f} % of "
            f"{k.demand_parcels_per_day:,.1f} parcels/day within {k.walk_m:.0f} m, "
            f"{k.solver_status})"
        )

    @property
    def name(self) -> str:
        """Name used for output files."""
        return str(self.kpis.name)

    def summary(self) -> str:
        """A one-screen text summary of the plan (what the command line prints)."""
        return self.kpis.summary()

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label.capitalize())}</th>"
            f"<td style='text-align:left'>{html.escape(text)}</td></tr>"
            for label, text in self.kpis.summary_lines()
        )
        return (
            f"<b>Plan {html.escape(self.name)}</b><table>{body}</table>"
            "<small>Use <code>.map()</code> for the map.</small>"
        )

    def map(self, **options: Any) -> folium.Map:
        """The interactive coverage map (a :class:`folium.Map`; displays inline in Jupyter).

        ``options`` go to :func:`lockerplan.maps.coverage_map` (e.g. ``minimap=False``).
        """
        from ..maps import plan_map

        return plan_map(self, **options)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The plan's layers under their GIS names (facilities, demand_points,
        allocation_lines, ...), as written to the GeoPackage."""
        layers = {
            "facilities": self.sites.drop(columns=["candidate_index"], errors="ignore"),
            "candidates": self.candidates,
            "demand_points": self.demand,
            "allocation_lines": self.assignments,
            "catchments": self.catchments,
            "depots": self.hubs,
            "routes": self.routes,
            "coverage_cells": self.cells,
            "buildings": self.demand_points,
        }
        return {name: layers[name] for name in GIS_LAYERS}

    def summary_dict(self) -> dict[str, Any]:
        """What ``summary.json`` holds: the KPIs, the scenario and the attribution."""
        return {
            **self.kpis.to_dict(),
            "scenario": self.scenario.to_dict(),
            "attribution": OSM_ATTRIBUTION,
        }

    def save(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """Write the map, GeoPackage, tables, ``summary.json`` (and per-layer CSV/GeoJSON
        when the scenario's ``formats`` asks for them).

        See :func:`lockerplan.export.write_plan` for the files; nothing half-written
        is left behind if it fails.

        Parameters
        ----------
        out_dir : str or pathlib.Path, optional
            Output folder; the scenario's ``out`` by default.

        Returns
        -------
        dict
            Paths written, by kind (``map``, ``gpkg``, ``summary``, ``folder``).
        """
        return write_plan(
            self.name,
            out_dir if out_dir is not None else self.scenario.out,
            layers=self.layers(),
            tables={"route_stops": self.route_stops, "dropped": self.dropped},
            summary=self.summary_dict(),
            page=self.map(),
            formats=getattr(self.scenario, "formats", "gpkg"),
        )
