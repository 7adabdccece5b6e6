"""The whole pipeline: :func:`plan` chains the stages and returns a :class:`Plan`.

Stages (each a module of its own): network -> demand -> candidates -> distances ->
siting -> routing -> maps. :func:`plan` passes each stage what it needs; no stage
reaches back into an earlier one.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from tqdm.auto import tqdm

from . import candidates as cand_mod
from . import demand as demand_mod
from .costs import compare_last_mile, routing_kpis
from .distances import (
    GraphArrays,
    catchment_polygons,
    graph_arrays,
    snap_points,
    walking_distance_matrix,
)
from .equity import coverage_by_cell, equity_summary
from .errors import InputError
from .export import gis_layers, write_plan
from .inputs import read_points
from .maps import plan_map
from .network import graph_from_osm, graph_from_place
from .osm import (
    buildings_from_place,
    check_osm_file,
    default_osm_path,
    pois_from_place,
    read_buildings,
    read_pois,
)
from .routing import RoutingResult, default_hub, route_door_to_door, route_vans
from .scenario import Scenario
from .siting import (
    Candidates,
    Decay,
    SiteRules,
    SitingResult,
    solve_attendance,
    solve_cflp,
    solve_lscp,
    solve_mclp,
    solve_pmedian,
)

log = logging.getLogger(__name__)

#: Keys of :attr:`Plan.kpis`, in the order the summary shows them.
KPI_KEYS = (
    "sites_open",
    "demand_parcels_per_day",
    "covered_parcels_per_day",
    "coverage_share",
    "mean_walk_m",
    "route_km",
    "route_hours",
    "vans_used",
    "solver_status",
    "solver_gap",
    "runtime_s",
)


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
        One line per covered demand cluster to its nearest open site, with
        ``walk_m`` (network walking distance, including both snap legs).
    catchments : geopandas.GeoDataFrame
        Walking catchment polygon of each open site.
    hubs, routes : geopandas.GeoDataFrame
        Van hubs and routes (street geometries).
    route_stops : pandas.DataFrame
        Visit order, arrival time and load of each route stop.
    dropped : pandas.DataFrame
        What was left out and why (``layer``, ``id``, ``parcels_per_day``, ``reason``).
    kpis : dict
        Key figures; see :data:`KPI_KEYS`.
    siting : SitingResult
        The MILP outcome (status, objective, bound, gap, times).
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

    scenario: Scenario
    demand_points: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    route_stops: pd.DataFrame
    dropped: pd.DataFrame
    kpis: dict[str, Any]
    siting: SitingResult
    routing: RoutingResult
    walk_graph: nx.MultiDiGraph = field(repr=False)
    drive_graph: nx.MultiDiGraph = field(repr=False)

    @property
    def name(self) -> str:
        """Name used for output files."""
        return str(self.kpis["name"])

    def summary(self) -> str:
        """A one-screen text summary of the plan."""
        k = self.kpis
        lines = [
            f"lockerplan: {k['name']}  ({k['osm']})",
            f"  demand         {k['demand_parcels_per_day']:10,.1f} parcels/day "
            f"from {k['demand_points']} points ({k['demand_source']}) in {k['demand_clusters']} clusters",
            f"  candidates     {k['candidates']:10d} sites ({k['candidates_source']})",
            f"  sites open     {k['sites_open']:10d} of at most {self.scenario.sites}",
            f"  covered        {k['covered_parcels_per_day']:10,.1f} parcels/day = "
            f"{100 * k['coverage_share']:.1f} % within {k['walk_m']:.0f} m walk",
            f"  mean walk      {k['mean_walk_m']:10.0f} m (covered parcels, network distance)",
            f"  solver         {k['solver_status']:>10} ({k['model']}, gap {100 * k['solver_gap']:.2f} %, "
            f"{k['solver_s']:.2f} s, {self.siting.solver})",
            f"  routes         {k['vans_used']:10d} vans, {k['route_km']:.1f} km, "
            f"{k['route_hours']:.1f} h from {k['hubs']} hub(s)",
        ]
        if "cost_per_day" in k:
            lines.append(
                f"  cost           {k['cost_per_day']:10,.0f} {k['currency']}/day, "
                f"{k['cost_per_parcel'] or 0:.2f} per parcel, {k['co2_kg_per_day']:.1f} kg CO2/day"
            )
        if isinstance(k.get("door_to_door"), dict):
            d = k["door_to_door"]
            lines.append(
                f"  door-to-door   {d['cost']:10,.0f} {k['currency']}/day, "
                f"{d['cost_per_parcel'] or 0:.2f} per parcel, {d['vans']} vans, {d['km']:.1f} km, "
                f"{d['driver_hours']:.1f} h, {d['co2_kg']:.1f} kg CO2/day "
                f"({100 * d['failure_rate']:.0f} % failed first attempts re-delivered)"
            )
        if k["dropped"]:
            lines.append(
                f"  dropped        {k['dropped']:10d} items, {k['dropped_parcels_per_day']:.1f} parcels/day "
                "(see dropped.csv)"
            )
        if k["unserved_sites"]:
            lines.append(f"  unserved sites {k['unserved_sites']:10d} (see dropped.csv)")
        lines.append(f"  runtime        {k['runtime_s']:10.1f} s")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        k = self.kpis
        rows = [
            ("Sites open", f"{k['sites_open']} of at most {self.scenario.sites}"),
            ("Demand", f"{k['demand_parcels_per_day']:,.1f} parcels/day"),
            (
                "Covered",
                f"{k['covered_parcels_per_day']:,.1f} parcels/day ({100 * k['coverage_share']:.1f} %)",
            ),
            ("Walking cutoff", f"{k['walk_m']:.0f} m"),
            ("Mean walk", f"{k['mean_walk_m']:.0f} m"),
            ("Solver", f"{k['solver_status']}, gap {100 * k['solver_gap']:.2f} %"),
            ("Van routes", f"{k['vans_used']} vans, {k['route_km']:.1f} km"),
            ("Runtime", f"{k['runtime_s']:.1f} s"),
        ]
        import html

        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>"
            for a, b in rows
        )
        return f"<b>Plan {html.escape(self.name)}</b><table>{body}</table><small>Use <code>.map()</code> for the map.</small>"

    def map(self, **options: Any) -> folium.Map:
        """The interactive coverage map (a :class:`folium.Map`; displays inline in Jupyter).

        ``options`` go to :func:`lockerplan.maps.coverage_map` (e.g. ``cell_m=500``,
        ``minimap=False``).
        """
        return plan_map(self, **options)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The plan's layers under their GIS names (facilities, demand_points,
        allocation_lines, ...), as written to the GeoPackage."""
        return gis_layers(self)

    def save(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """Write the map, GeoPackage, CSV/GeoJSON tables and ``summary.json``.

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
        return write_plan(self, out_dir if out_dir is not None else self.scenario.out)


#: Scenario fields that only change the siting and routing, not the study area:
#: the [siting], [routing] and [costs] sections and a few top-level settings.
SOLVE_FIELDS = frozenset(
    {
        f.name
        for f in dataclasses.fields(Scenario)
        if f.metadata.get("section") in ("siting", "routing", "costs")
    }
    | {"sites", "walk_m", "seed", "out", "name"}
)


@dataclass
class StudyArea:
    """Everything a plan needs before siting: networks, demand, candidates, distances.

    Made by :func:`prepare_study_area`; :func:`plan_study_area` solves it for one set of
    siting and routing settings, so that scenario sweeps reuse the expensive part.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario it was prepared for.
    max_walk_m : float
        Walking distances are exact up to this cutoff; plans may use any cutoff up to it.
    distances : scipy.sparse.csr_matrix
        Candidate x demand-cluster walking distances within ``max_walk_m``.
    """

    scenario: Scenario
    name: str
    source: str
    walk_graph: nx.MultiDiGraph = field(repr=False)
    drive_graph: nx.MultiDiGraph = field(repr=False)
    walk_arrays: GraphArrays = field(repr=False)
    drive_arrays: GraphArrays = field(repr=False)
    demand_points: gpd.GeoDataFrame = field(repr=False)
    demand_source: str
    demand_parcels_in: float
    clusters: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    candidates_source: str
    candidate_snap: pd.DataFrame = field(repr=False)
    distances: sparse.csr_matrix = field(repr=False)
    max_walk_m: float
    hubs: gpd.GeoDataFrame | None = field(repr=False)
    dropped: list[tuple[str, str, float, str]] = field(repr=False)
    prepare_s: float


def _progress(total: int, progress: bool) -> Any:
    # disable=None lets tqdm hide the bar when stderr is not a terminal
    return tqdm(
        total=total,
        desc="lockerplan",
        unit="stage",
        disable=None if progress else True,
        leave=False,
    )


def _step(bar: Any, label: str) -> None:
    bar.set_postfix_str(label)
    bar.update(1)
    log.info("stage done: %s", label)


def _scenario(scenario: Scenario | None, settings: dict[str, Any]) -> Scenario:
    base = scenario or Scenario()
    unknown = set(settings) - set(base.__dataclass_fields__)
    if unknown:
        raise InputError(f"plan() got unknown setting(s): {', '.join(sorted(unknown))}.")
    return Scenario(**{**base.to_dict(), **settings}).validate()


def prepare_study_area(
    scenario: Scenario | None = None,
    *,
    candidate_sites: gpd.GeoDataFrame | None = None,
    hub_points: gpd.GeoDataFrame | None = None,
    max_walk_m: float | None = None,
    progress: bool = False,
    **settings: Any,
) -> StudyArea:
    """Build the networks, demand, candidates and walking distances of a scenario.

    Parameters
    ----------
    scenario : Scenario, optional
        The default scenario (central Helsinki) if omitted.
    candidate_sites, hub_points : geopandas.GeoDataFrame, optional
        Your own candidates / hubs instead of the scenario's.
    max_walk_m : float, optional
        Compute walking distances up to this cutoff (default: the scenario's
        ``walk_m``); use the largest cutoff of a sweep.
    progress : bool, default False
        Show a progress bar.
    **settings
        Any :class:`Scenario` field.

    Returns
    -------
    StudyArea
    """
    t0 = time.perf_counter()
    sc = _scenario(scenario, settings)
    max_walk_m = float(max_walk_m if max_walk_m is not None else sc.walk_m)
    if not max_walk_m >= sc.walk_m:
        raise InputError(f"max_walk_m ({max_walk_m}) must be >= walk_m ({sc.walk_m}).")
    osm_path = None if sc.place else (check_osm_file(sc.osm) if sc.osm else default_osm_path())
    user_candidates = candidate_sites
    if user_candidates is None and sc.candidates:
        user_candidates = cand_mod.read_candidates(sc.candidates)
    hubs = hub_points
    if hubs is None and sc.hubs:
        hubs = _read_hubs(sc.hubs)

    bar = _progress(4, progress)
    try:
        cache = {"use_cache": sc.use_cache, "cache_dir": sc.cache_dir}
        if osm_path is None:  # online: osmnx by place name
            walk = graph_from_place(sc.place, "walk")
            drive = graph_from_place(sc.place, "drive")
        else:
            walk = graph_from_osm(osm_path, "walk", walk_speed_kmh=sc.walk_speed_kmh, **cache)
            drive = graph_from_osm(osm_path, "drive", **cache)
        walk_arr = graph_arrays(walk)
        drive_arr = graph_arrays(drive, crs=walk_arr.crs)
        _step(bar, "networks")

        model = sc.demand_model()
        nodes = gpd.GeoSeries(
            gpd.points_from_xy(walk_arr.xy[:, 0], walk_arr.xy[:, 1]), crs=walk_arr.crs
        )
        study_area = demand_mod.study_area_around(nodes, buffer_m=sc.max_snap_m)
        if sc.demand:
            demand = demand_mod.read_demand_file(
                sc.demand,
                sc.demand_weight,
                days=sc.demand_days,
                peak_factor=sc.peak_factor,
                area=study_area,
                crs=sc.demand_crs,
            )
        elif sc.population:
            demand = demand_mod.demand_from_population_grid(
                sc.population,
                sc.population_column,
                sc.parcels_per_person_per_day,
                model=model,
                area=study_area,
                crs=sc.demand_crs,
                split_m=sc.population_split_m,
            )
        else:
            buildings = (
                buildings_from_place(sc.place) if osm_path is None else read_buildings(osm_path)
            )
            demand = demand_mod.building_demand(buildings, model, area=study_area)
        points = demand.points
        if len(points) == 0:
            raise InputError(
                f"no demand to serve in the study area ({demand.summary()}); use an extract of a "
                "built-up area or a demand file that overlaps it."
            )
        clusters = demand_mod.cluster_demand(points, sc.cluster_m)
        points = _attach_cluster_ids(points, clusters)
        _step(bar, "demand")

        if user_candidates is not None:
            cands, cand_source = user_candidates.copy(), "user file"
        else:
            pois = pois_from_place(sc.place) if osm_path is None else read_pois(osm_path)
            cands, cand_source = cand_mod.candidates_from_pois(pois), "OSM places"
        if len(cands) == 0:
            raise InputError(
                "no candidate sites: the extract has no shops, post offices, stops or parking; "
                "give your own with --candidates FILE."
            )
        _step(bar, "candidates")

        dropped: list[tuple[str, str, float, str]] = list(
            demand.dropped[["layer", "id", "parcels_per_day", "reason"]].itertuples(
                index=False, name=None
            )
        )
        d_snap = snap_points(walk_arr, clusters.geometry, sc.max_snap_m)
        c_snap = snap_points(walk_arr, cands.geometry, sc.max_snap_m)
        clusters = clusters.assign(**_snap_columns(walk_arr, d_snap))
        cands = cands.assign(**_snap_columns(walk_arr, c_snap))
        reason = f"more than {sc.max_snap_m:.0f} m from the walk network"
        for _, row in clusters[~d_snap["snapped"].to_numpy()].iterrows():
            dropped.append(("demand_clusters", row["cluster_id"], row["parcels_per_day"], reason))
        for _, row in cands[~c_snap["snapped"].to_numpy()].iterrows():
            dropped.append(("candidates", row["candidate_id"], 0.0, reason))
        D = walking_distance_matrix(walk_arr, c_snap, d_snap, max_walk_m)
        _step(bar, "distances")
    finally:
        bar.close()
    return StudyArea(
        scenario=sc,
        name=sc.name
        or (_name_from_text(sc.place) if osm_path is None else _name_from_path(osm_path)),
        source=sc.place if osm_path is None else osm_path.name,
        walk_graph=walk,
        drive_graph=drive,
        walk_arrays=walk_arr,
        drive_arrays=drive_arr,
        demand_points=points,
        demand_source=demand.source,
        demand_parcels_in=float(demand.parcels_in),
        clusters=clusters,
        candidates=cands,
        candidates_source=cand_source,
        candidate_snap=c_snap,
        distances=D,
        max_walk_m=max_walk_m,
        hubs=hubs,
        dropped=dropped,
        prepare_s=time.perf_counter() - t0,
    )


def plan_study_area(
    area: StudyArea, *, progress: bool = False, catchments: bool = True, **settings: Any
) -> Plan:
    """Site and route one scenario on a prepared study area.

    Parameters
    ----------
    area : StudyArea
        From :func:`prepare_study_area`.
    progress : bool, default False
        Show a progress bar.
    catchments : bool, default True
        Build the walking catchment polygons (the slowest part of a re-plan; sweeps
        skip them).
    **settings
        Siting and routing settings that differ from ``area.scenario`` (any of
        :data:`SOLVE_FIELDS`, e.g. ``sites=10`` or ``walk_m=300``).

    Returns
    -------
    Plan
    """
    t0 = time.perf_counter()
    not_here = set(settings) - SOLVE_FIELDS
    if not_here:
        raise InputError(
            f"{', '.join(sorted(not_here))} change(s) the study area; prepare a new one "
            "with prepare_study_area()."
        )
    sc = _scenario(area.scenario, settings)
    if sc.walk_m > area.max_walk_m:
        raise InputError(
            f"--walk-m {sc.walk_m:g} is above the {area.max_walk_m:g} m the distances were "
            "computed for; prepare the study area with a larger max_walk_m."
        )
    D = area.distances
    if sc.walk_m < area.max_walk_m:
        D = D.copy()
        D.data[D.data > sc.walk_m] = np.inf
        D = _drop_inf(D)
    clusters = area.clusters
    dropped = list(area.dropped)
    bar = _progress(2, progress)
    try:
        weights = clusters["parcels_per_day"].to_numpy(dtype=float)
        siting = _solve_siting(sc, area, D, weights)
        if siting.status in ("infeasible", "not solved"):
            why = (siting.message or "check --sites and --walk-m").rstrip(".")
            raise InputError(f"siting model {sc.model} {siting.status}: {why}.")
        cheapest = min(sc.cabinet_per_day, sc.pickup_point_per_day)
        if len(siting.open_sites) == 0 and sc.budget is not None and sc.budget < cheapest:
            raise InputError(
                f"--budget {sc.budget:g} is below the cheapest site ({cheapest:g} {sc.currency}/day), "
                "so no site can open; raise the budget."
            )
        sites, clusters, assignments = _assign(area.candidates, clusters, D, siting)
        shapes = (
            catchment_polygons(
                area.walk_arrays, area.candidate_snap.iloc[sites["candidate_index"]], sc.walk_m
            ).to_numpy()
            if catchments
            else [None] * len(sites)
        )
        catchment_layer = gpd.GeoDataFrame(
            {"site_id": sites["site_id"].to_numpy()}, geometry=shapes, crs="EPSG:4326"
        )
        _step(bar, "siting")

        hubs = area.hubs if area.hubs is not None else default_hub(area.drive_arrays, clusters)
        fleet, costs = sc.fleet(), sc.cost_model()
        routing = route_vans(
            area.drive_arrays,
            hubs,
            sites,
            fleet,
            max_snap_m=sc.max_snap_m,
            seed=sc.seed,
            iterations=sc.routing_iterations,
            costs=costs,
            returns_share=sc.returns_share,
        )
        for _, row in routing.unserved.iterrows():
            dropped.append(
                ("sites", row["site_id"], float(row["parcels"]), f"not routed: {row['reason']}")
            )
        comparison = None
        if sc.door_to_door:
            d2d = route_door_to_door(
                area.drive_arrays,
                hubs,
                clusters[clusters["covered"].to_numpy()],
                fleet,
                failure_rate=sc.failure_rate,
                handover_s=sc.handover_s,
                max_snap_m=sc.max_snap_m,
                seed=sc.seed,
                iterations=sc.routing_iterations,
                costs=costs,
            )
            comparison = compare_last_mile(routing, d2d, sites, costs)
        _step(bar, "routing")
    finally:
        bar.close()

    points = area.demand_points
    dropped_df = pd.DataFrame(dropped, columns=["layer", "id", "parcels_per_day", "reason"])
    # demand in the study area; what the demand stage dropped (outside the area, invalid
    # rows) is reported in `dropped` and in demand_read_parcels_per_day
    total = float(points["parcels_per_day"].sum())
    is_cov = clusters["covered"].to_numpy()
    covered = float(clusters.loc[is_cov, "parcels_per_day"].sum())
    mean_walk = (
        float(
            np.average(
                clusters.loc[is_cov, "walk_m"], weights=clusters.loc[is_cov, "parcels_per_day"]
            )
        )
        if covered
        else 0.0
    )
    kpis: dict[str, Any] = {
        "name": sc.name or area.name,
        "osm": area.source,
        "sites_open": len(sites),
        "demand_parcels_per_day": round(total, 2),
        "covered_parcels_per_day": round(covered, 2),
        "coverage_share": round(covered / total, 4) if total else 0.0,
        "mean_walk_m": round(mean_walk, 1),
        "walk_m": sc.walk_m,
        "route_km": round(routing.km, 2),
        "route_hours": round(float(routing.routes["hours"].sum()), 2)
        if len(routing.routes)
        else 0.0,
        "vans_used": len(routing.routes),
        "routes_feasible": routing.feasible,
        "model": siting.model,
        "solver_status": siting.status,
        "solver_gap": round(float(siting.gap), 6),
        "solver_objective": round(float(siting.objective), 4),
        "solver_bound": round(float(siting.best_bound), 4),
        "solver_s": round(siting.solve_s, 3),
        "demand_read_parcels_per_day": round(area.demand_parcels_in, 2),
        "demand_points": len(points),
        "demand_source": area.demand_source,
        "aggregation_error_m": demand_mod.aggregation_error(clusters),
        "demand_clusters": len(clusters),
        "candidates": len(area.candidates),
        "candidates_source": area.candidates_source,
        "hubs": len(hubs),
        "dropped": len(dropped_df),
        "dropped_parcels_per_day": round(float(dropped_df["parcels_per_day"].sum()), 2),
        "unserved_sites": len(routing.unserved),
        "equity": equity_summary(coverage_by_cell(clusters)),
        "runtime_s": round(area.prepare_s + time.perf_counter() - t0, 2),
    }
    lockers_kpis = (
        comparison["lockers"] if comparison else routing_kpis(routing, costs, sites=sites)
    )
    kpis["currency"] = costs.currency
    kpis["cost_per_day"] = lockers_kpis["cost"]
    kpis["cost_per_parcel"] = lockers_kpis["cost_per_parcel"]
    kpis["co2_kg_per_day"] = lockers_kpis["co2_kg"]
    kpis["lockers"] = lockers_kpis
    if comparison:
        kpis["door_to_door"] = comparison["door_to_door"]
        kpis["door_to_door_savings"] = comparison["savings"]
    return Plan(
        scenario=sc,
        demand_points=points,
        demand=clusters,
        candidates=area.candidates,
        sites=sites,
        assignments=assignments,
        catchments=catchment_layer,
        hubs=hubs,
        routes=routing.routes,
        route_stops=routing.stops,
        dropped=dropped_df,
        kpis=kpis,
        siting=siting,
        routing=routing,
        walk_graph=area.walk_graph,
        drive_graph=area.drive_graph,
    )


def plan(
    scenario: Scenario | None = None,
    *,
    candidate_sites: gpd.GeoDataFrame | None = None,
    hub_points: gpd.GeoDataFrame | None = None,
    progress: bool = False,
    **settings: Any,
) -> Plan:
    """Plan a locker network: site cabinets and pickup points, route the vans.

    Parameters
    ----------
    scenario : Scenario, optional
        All settings; the default scenario (central Helsinki, offline) if omitted.
    candidate_sites : geopandas.GeoDataFrame, optional
        Your own candidate sites (as from :func:`lockerplan.candidates.read_candidates`)
        instead of OSM places.
    hub_points : geopandas.GeoDataFrame, optional
        Your own hubs (points with ``hub_id``) instead of the scenario's.
    progress : bool, default False
        Show a progress bar over the stages.
    **settings
        Any :class:`Scenario` field, overriding ``scenario`` (e.g. ``sites=8``).

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        For any bad input, before anything is computed where possible.

    Examples
    --------
    >>> import lockerplan
    >>> p = lockerplan.plan(sites=5, walk_m=400)  # doctest: +SKIP
    >>> print(p.summary())  # doctest: +SKIP
    """
    area = prepare_study_area(
        scenario,
        candidate_sites=candidate_sites,
        hub_points=hub_points,
        progress=progress,
        **settings,
    )
    return plan_study_area(area, progress=progress)


def _drop_inf(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Remove stored entries that are infinite (pairs beyond a smaller cutoff)."""
    coo = matrix.tocoo()
    keep = np.isfinite(coo.data)
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)


def _snap_columns(arrays: GraphArrays, snap: pd.DataFrame) -> dict[str, np.ndarray]:
    """How each point reaches the walk network, as columns (traceable, checkable).

    ``node``/``snap_m``: the nearer end of the nearest street and the walk to it;
    ``access_m``: straight distance to the street; ``edge``/``offset_m``: the street
    (edge index) and the position along it; ``u_node``/``u_m`` and ``v_node``/``v_m``:
    both ends of the street and the walk to each.
    """
    return {
        "node": snap["node"].to_numpy(),
        "snap_m": snap["snap_m"].round(2).to_numpy(),
        "access_m": snap["access_m"].round(2).to_numpy(),
        "edge": snap["edge"].to_numpy(),
        "offset_m": snap["offset_m"].round(2).to_numpy(),
        "u_node": arrays.node_ids[snap["u_index"].to_numpy()],
        "u_m": snap["u_m"].round(2).to_numpy(),
        "v_node": arrays.node_ids[snap["v_index"].to_numpy()],
        "v_m": snap["v_m"].round(2).to_numpy(),
    }


def _name_from_path(path: Path) -> str:
    return _name_from_text(path.name.split(".")[0])


def _name_from_text(text: str) -> str:
    """A file-system-safe plan name: ``"Kamppi, Helsinki"`` -> ``"kamppi_helsinki"``."""
    chars = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text.lower())
    return "_".join(part for part in chars.split("_") if part) or "plan"


def _read_hubs(path: str) -> gpd.GeoDataFrame:
    gdf = read_points(path, "--hubs")
    ids = (
        gdf["hub_id"].astype(str) if "hub_id" in gdf else gdf["input_row"].map(lambda r: f"hub{r}")
    )
    names = gdf["name"].fillna("").astype(str) if "name" in gdf else ids
    return gpd.GeoDataFrame(
        {"hub_id": ids.to_numpy(), "name": names.to_numpy()},
        geometry=gdf.geometry.to_numpy(),
        crs="EPSG:4326",
    )


def _attach_cluster_ids(points: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    member = {
        demand_id: cid
        for cid, ids in zip(clusters["cluster_id"], clusters["member_ids"], strict=True)
        for demand_id in ids.split(";")
    }
    return points.assign(cluster_id=points["demand_id"].map(member))


def _candidate_attributes(sc: Scenario, cands: gpd.GeoDataFrame) -> Candidates:
    """Kind, capacity, fixed cost, forced-open and excluded flags of the candidates.

    Capacity: the candidate's own ``capacity`` (user files) or, by kind, compartments /
    dwell days for a cabinet and ``pickup_capacity`` for a pickup point. Fixed cost:
    the scenario's cost per open cabinet / pickup point and day.
    """
    kind = cands["kind"].to_numpy(dtype=object)
    is_cabinet = kind == "cabinet"
    capacity = np.where(is_cabinet, sc.cabinet_capacity, sc.pickup_capacity).astype(float)
    if "capacity" in cands:
        own = pd.to_numeric(cands["capacity"], errors="coerce").to_numpy(dtype=float)
        capacity = np.where(np.isfinite(own), own, capacity)
    unknown = sorted(set(sc.exclude) - set(cands["candidate_id"]))
    if unknown:
        raise InputError(
            f"--exclude: unknown candidate id(s) {', '.join(unknown[:5])}; "
            "the ids are in the candidates layer (candidate_id)."
        )
    return Candidates.default(
        len(cands),
        kind=kind,
        capacity=capacity,
        fixed_cost=np.where(is_cabinet, sc.cabinet_per_day, sc.pickup_point_per_day),
        forced_open=cands["existing"].fillna(False).to_numpy(dtype=bool) & sc.keep_existing,
        excluded=cands["candidate_id"].isin(sc.exclude).to_numpy(),
    )


def _solve_siting(
    sc: Scenario, area: StudyArea, D: sparse.csr_matrix, weights: np.ndarray
) -> SitingResult:
    """Run the scenario's siting model (``sc.model``) on the walking distances."""
    per_kind = {
        kind: limit
        for kind, limit in (("cabinet", sc.max_cabinets), ("pickup_point", sc.max_pickup_points))
        if limit is not None
    }
    spacing = None
    if sc.min_spacing_m:
        snap = area.candidate_snap
        spacing = walking_distance_matrix(area.walk_arrays, snap, snap, sc.min_spacing_m)
        spacing.setdiag(np.inf)  # a site is not too close to itself
        spacing = _drop_inf(spacing)
    rules = SiteRules(
        max_per_kind=per_kind,
        budget=sc.budget,
        min_spacing_m=sc.min_spacing_m,
        site_distances=spacing,
        cutoff_per_kind={"pickup_point": sc.pickup_walk_m} if sc.pickup_walk_m else {},
    )
    common = {
        "candidates": _candidate_attributes(sc, area.candidates),
        "rules": rules,
        "solver": sc.solver,
        "via": sc.via,
        "time_limit_s": sc.time_limit_s,
        "gap_rel": sc.gap_rel,
        "seed": sc.seed,
    }
    if sc.model == "pmedian":
        # demand no open site reaches within the cutoff counts as walking the cutoff
        return solve_pmedian(D, weights, sc.sites, unserved_penalty=sc.walk_m, **common)
    if sc.model == "lscp":
        return solve_lscp(D, weights, minimise=sc.lscp_minimise, **common)
    if sc.model == "cflp":
        return solve_cflp(
            D,
            weights,
            cost_per_parcel_m=sc.walk_cost_per_parcel_km / 1000,
            single_source=sc.single_source,
            **common,
        )
    if sc.model == "attendance":
        decay = Decay(sc.decay, sc.decay_scale_m, sc.decay_beta)
        return solve_attendance(D, weights, sc.sites, decay=decay, **common)
    return solve_mclp(D, weights, sc.sites, **common)


def _assign(
    cands: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame, D: Any, siting: SitingResult
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Assign each covered cluster to an open site; build the site layer.

    Capacitated models keep the solver's assignment (it respects capacities); the
    others send each cluster to its nearest open site within the cutoff.
    """
    open_idx = siting.open_sites
    if len(open_idx) == 0:
        raise InputError(
            f"the {siting.model} model opened no site ({siting.message or 'no site covers any demand'}); "
            "raise --walk-m, --sites or --budget, or give more candidate sites."
        )
    site_ids = np.array([f"site{k + 1}" for k in range(len(open_idx))])
    best_site = np.full(len(clusters), -1)
    best_dist = np.full(len(clusters), np.nan)
    if siting.model == "cflp" and len(siting.assignment) == len(clusters):
        position = {int(j): k for k, j in enumerate(open_idx)}
        for i, j in enumerate(siting.assignment):
            if j >= 0 and int(j) in position:
                best_site[i] = position[int(j)]
                best_dist[i] = D[int(j), i]
    else:
        sub = D[open_idx].tocsc()
        for i in range(sub.shape[1]):
            start, end = sub.indptr[i], sub.indptr[i + 1]
            if end > start:
                k = int(np.argmin(sub.data[start:end]))
                best_site[i] = sub.indices[start + k]
                best_dist[i] = sub.data[start + k]
    covered = best_site >= 0
    clusters = clusters.assign(
        covered=covered,
        site_id=np.where(covered, site_ids[np.maximum(best_site, 0)], None),
        walk_m=np.round(best_dist, 1),
    )
    sites = cands.iloc[open_idx].copy()
    sites.insert(0, "site_id", site_ids)
    sites["candidate_index"] = open_idx
    w = clusters["parcels_per_day"].to_numpy()
    agg = pd.DataFrame(
        {"site": best_site[covered], "w": w[covered], "wd": w[covered] * best_dist[covered]}
    )
    g = agg.groupby("site")
    sites["parcels_per_day"] = g["w"].sum().reindex(range(len(open_idx)), fill_value=0.0).to_numpy()
    sites["clusters"] = g.size().reindex(range(len(open_idx)), fill_value=0).to_numpy()
    sites["mean_walk_m"] = (
        (g["wd"].sum() / g["w"].sum()).reindex(range(len(open_idx))).round(1).to_numpy()
    )
    sites = sites.reset_index(drop=True)
    cov = clusters[covered]
    lines = (
        shapely.linestrings(
            [
                [(p.x, p.y), (s.x, s.y)]
                for p, s in zip(
                    cov.geometry, sites.geometry.to_numpy()[best_site[covered]], strict=True
                )
            ]
        )
        if len(cov)
        else []
    )
    assignments = gpd.GeoDataFrame(
        {
            "cluster_id": cov["cluster_id"].to_numpy(),
            "site_id": cov["site_id"].to_numpy(),
            "parcels_per_day": cov["parcels_per_day"].to_numpy(),
            "walk_m": cov["walk_m"].to_numpy(),
            "demand_node": cov["node"].to_numpy(),
            "demand_snap_m": cov["snap_m"].to_numpy(),
            "site_node": sites["node"].to_numpy()[best_site[covered]],
            "site_snap_m": sites["snap_m"].to_numpy()[best_site[covered]],
        },
        geometry=lines,
        crs="EPSG:4326",
    )
    return sites, clusters, assignments
