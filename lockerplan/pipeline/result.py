"""The result of a plan: :class:`Plan`, its layers, key figures and outputs."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ..equity import cell_squares
from ..errors import InputError
from ..export import GIS_LAYERS, OPTIONAL_LAYERS, write_plan
from ..maps import comparison_map, plan_map
from ..maps.names import plan_streets
from ..records import Kpis
from ..settings import OSM_ATTRIBUTION
from ..streets import StreetGraphs, Streets

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from ..routing import RoutingResult
    from ..scenario import Scenario
    from ..siting import SitingResult


@dataclass(frozen=True)
class Evaluation:
    """The key figures of one set of open sites (:meth:`Plan.evaluate`).

    Attributes
    ----------
    site_ids : tuple of str
        The open sites' candidate ids, in candidate order.
    sites_by_kind : dict
        Open sites per kind (``cabinet``, ``pickup_point``).
    covered_parcels_per_day : float
        Parcels of the demand clusters within the walk of at least one open site
        (the kind's cutoff), whole clusters, capacity not counted; 2 decimals.
    demand_parcels_per_day : float
        The plan's demand (``kpis.demand_parcels_per_day``).
    coverage_share : float
        Covered / demand, 4 decimals.
    fixed_cost_per_day : float
        The sites' fixed cost: a cabinet ``cabinet_per_day`` per module (the plan's
        modules for a site it opened, one module for any other), a pickup point
        ``pickup_point_per_day``; 2 decimals.
    currency : str
    """

    site_ids: tuple[str, ...]
    sites_by_kind: dict[str, int]
    covered_parcels_per_day: float
    demand_parcels_per_day: float
    coverage_share: float
    fixed_cost_per_day: float
    currency: str = "EUR"

    @property
    def sites_open(self) -> int:
        """Number of open sites."""
        return len(self.site_ids)


@dataclass
class Plan(StreetGraphs):
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
    walk_streets, drive_streets : Streets
        The street networks used; ``walk_graph`` and ``drive_graph`` give them as
        osmnx-style :class:`networkx.MultiDiGraph` objects (built on first use).
    distances : scipy.sparse.csr_matrix or None
        Candidate x demand-cluster walking distances within the plan's walk (rows
        as ``candidates``, columns as ``demand``): what the siting model was given,
        and what :meth:`evaluate` and the map's what-if read. With competitors, the
        walks a competitor is at least as near for are not stored.
    competitors : geopandas.GeoDataFrame or None
        A rival network's sites (:mod:`lockerplan.competitors`); None without.
    commute_flows : geopandas.GeoDataFrame or None
        With ``--on-the-way``: one line per commute served at work or on the way, from
        home through its site to work (:func:`lockerplan.pipeline.commutes.flow_layer`);
        None without.
    streets : geopandas.GeoSeries or None
        The simplified walk network the map draws where tiles cannot load, and the
        GeoPackage's ``streets`` layer (:func:`lockerplan.maps.base.street_shapes`):
        drawn from ``walk_streets`` on first use, or drawn by the Dask worker that
        holds the walk network of a plan on Dask.
    pricing : pandas.DataFrame or None
        With ``--price-zones``: per zone of the coverage grid, the cost to serve and
        the recommended discount on locker delivery (``pricing.csv``;
        :func:`lockerplan.pricing.zone_prices`).

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
    walk_streets: Streets = field(repr=False)
    drive_streets: Streets = field(repr=False)
    distances: sparse.csr_matrix | None = field(default=None, repr=False)
    competitors: gpd.GeoDataFrame | None = field(default=None, repr=False)
    commute_flows: gpd.GeoDataFrame | None = field(default=None, repr=False)
    streets: gpd.GeoSeries | None = field(default=None, repr=False)
    pricing: pd.DataFrame | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        k = self.kpis
        return (
            f"Plan({k.name!r}: {k.sites_text} sites, {100 * k.coverage_share:.1f} % of "
            f"{k.demand_parcels_per_day:,.1f} parcels/day within {k.walk_m:.0f} m, "
            f"{k.solver_status})"
        )

    @property
    def pricing_zones(self) -> gpd.GeoDataFrame | None:
        """With ``--price-zones``: :attr:`pricing` with each zone's square of the coverage
        grid (EPSG:4326; :func:`lockerplan.equity.cell_squares`), the GeoPackage's
        ``pricing_zones`` layer and the map's "Locker prices"; None without."""
        if self.pricing is None:
            return None
        attrs = self.cells.attrs
        cell_m = attrs.get("cell_m") or self.scenario.outputs.cell_m
        grid_crs = attrs.get("grid_crs") or self.demand.estimate_utm_crs()
        squares = cell_squares(self.pricing["zone"], cell_m, grid_crs)
        zones = gpd.GeoDataFrame(self.pricing.reset_index(drop=True), geometry=squares)
        zones.attrs.update(cell_m=float(cell_m), currency=self.scenario.costs.currency)
        return zones

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

        ``options`` go to :func:`lockerplan.maps.coverage_map` (e.g. ``whatif=None``).
        """
        return plan_map(self, **options)

    def compare(
        self, other: Plan, labels: tuple[str, str] = ("A", "B"), **options: Any
    ) -> folium.Map:
        """This plan and ``other`` (of the same study area) on one map, to toggle between.

        See :func:`lockerplan.maps.compare.comparison_map`; ``options`` go to it.

        Examples
        --------
        >>> p400.compare(p500, labels=("400 m", "500 m")).save("compare.html")  # doctest: +SKIP
        """
        return comparison_map(self, other, labels=labels, **options)

    def reach(self) -> sparse.csr_matrix:
        """Which demand clusters each candidate reaches: candidate x cluster, boolean.

        A candidate reaches a cluster within the scenario's ``walk_m``; a pickup
        point within ``pickup_walk_m`` when that is set (the siting model's
        per-kind cutoffs). Exclusions do not apply: any candidate may be tried.
        """
        if self.distances is None:
            raise InputError(
                "this plan has no walking distances (Plan.distances); make it with "
                "lockerplan.plan() or plan_study_area()."
            )
        D = self.distances.tocoo()
        keep = np.isfinite(D.data)
        pickup_m = self.scenario.siting.pickup_walk_m
        if pickup_m:
            kind = self.candidates["kind"].to_numpy(dtype=object)
            keep &= ~((kind[D.row] == "pickup_point") & (D.data > float(pickup_m)))
        return sparse.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), (D.row[keep], D.col[keep])), shape=D.shape
        )

    def fixed_costs(self) -> np.ndarray:
        """Each candidate's fixed cost per day if open (see :class:`Evaluation`)."""
        kind = self.candidates["kind"].astype(str).to_numpy()
        modules = np.ones(len(kind))
        if "modules" in self.sites and "candidate_index" in self.sites:
            idx = self.sites["candidate_index"].to_numpy(dtype=int)
            modules[idx] = self.sites["modules"].to_numpy(dtype=float)
        costs = self.scenario.costs
        return np.where(
            kind == "pickup_point", costs.pickup_point_per_day, modules * costs.cabinet_per_day
        )

    def candidate_positions(self, site_ids: Iterable[str]) -> np.ndarray:
        """Row positions in ``candidates`` of candidate ids or the plan's site ids
        (``site3``), sorted and unique; an unknown id raises :class:`InputError`."""
        by_cand = {str(c): i for i, c in enumerate(self.candidates["candidate_id"])}
        by_site = dict(
            zip(
                self.sites["site_id"].astype(str),
                self.sites["candidate_id"].astype(str).map(by_cand),
                strict=True,
            )
        )
        ids = [site_ids] if isinstance(site_ids, str) else list(site_ids)
        unknown = [str(s) for s in ids if str(s) not in by_cand and str(s) not in by_site]
        if unknown:
            raise InputError(
                f"evaluate: unknown site id(s) {', '.join(unknown[:5])}; give candidate ids "
                "(candidates['candidate_id']) or the plan's site ids (sites['site_id'])."
            )
        return np.unique([by_cand.get(str(s), by_site.get(str(s))) for s in ids]).astype(int)

    def evaluate(self, site_ids: Iterable[str]) -> Evaluation:
        """The key figures of any set of open sites: what the map's what-if shows.

        Coverage here is *coverage within the walk*: a demand cluster counts, with all
        its parcels, when at least one open site reaches it within the walk (the
        kind's cutoff, see :meth:`reach`). Capacity is not counted: an open site
        covers every cluster in its catchment however many parcels that is.

        For the plan's own sites this equals the plan's coverage under ``mclp`` (and
        every uncapacitated coverage model). Under ``cmclp`` it is at least the
        plan's covered parcels: the plan counts what the modules can hand out, so
        the two are equal when no open site turns covered demand away (as in the
        default central Helsinki plan) and differ by the parcels capacity turns away.

        Parameters
        ----------
        site_ids : iterable of str
            Candidate ids (``candidates['candidate_id']``) or the plan's site ids
            (``sites['site_id']``); order and repeats do not matter.

        Returns
        -------
        Evaluation

        Examples
        --------
        >>> p = lockerplan.plan()  # doctest: +SKIP
        >>> p.evaluate(p.sites["candidate_id"]).coverage_share  # doctest: +SKIP
        0.8381
        """
        rows = self.candidate_positions(site_ids)
        reach = self.reach()
        reached = np.zeros(reach.shape[1], dtype=bool)
        if len(rows):
            reached = np.asarray(reach[rows].sum(axis=0)).ravel() > 0
        w = self.demand["parcels_per_day"].to_numpy(dtype=float)
        covered = float(w[reached].sum())
        total = float(self.kpis.demand_parcels_per_day or w.sum())
        kinds = self.candidates["kind"].astype(str).to_numpy()[rows]
        return Evaluation(
            site_ids=tuple(self.candidates["candidate_id"].astype(str).to_numpy()[rows]),
            sites_by_kind={k: int((kinds == k).sum()) for k in sorted(set(kinds))},
            covered_parcels_per_day=round(covered, 2),
            demand_parcels_per_day=round(total, 2),
            coverage_share=round(covered / total, 4) if total else 0.0,
            fixed_cost_per_day=round(float(self.fixed_costs()[rows].sum()), 2),
            currency=self.scenario.costs.currency,
        )

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
        if self.competitors is not None:
            layers["competitors"] = self.competitors
        if self.commute_flows is not None:
            layers["commute_flows"] = self.commute_flows
        if self.pricing is not None:
            layers["pricing_zones"] = self.pricing_zones
        streets = plan_streets(self)
        if len(streets):
            layers["streets"] = gpd.GeoDataFrame(geometry=streets.reset_index(drop=True))
        return {name: layers[name] for name in GIS_LAYERS + OPTIONAL_LAYERS if name in layers}

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
            out_dir if out_dir is not None else self.scenario.outputs.out,
            layers=self.layers(),
            tables={"route_stops": self.route_stops, "dropped": self.dropped}
            | ({} if self.pricing is None else {"pricing": self.pricing}),
            summary=self.summary_dict(),
            page=self.map(),
            formats=self.scenario.outputs.formats,
        )
