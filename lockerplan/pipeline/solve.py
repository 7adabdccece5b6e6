"""Solving a scenario on a prepared study area: siting, allocation, routing.

:func:`plan_study_area` runs the siting model the scenario names (one row of
:data:`lockerplan.siting.MODELS`), takes the solver's allocation as the plan's
allocation (no second derivation of who is covered), routes the vans and
reports the figures (:func:`lockerplan.pipeline.kpis.plan_kpis`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from ..competitors import competition_columns, with_taken
from ..costs import CostModel
from ..distances import GraphArrays
from ..equity import coverage_by_cell
from ..errors import InputError
from ..parallel import cores, fork_map
from ..progress import StageClock
from ..regions import solve_regions
from ..routing import (
    RoutingResult,
    delivery_zones,
    hub_count,
    place_hubs,
    route_door_to_door,
    route_vans,
    zone_matrices,
)
from ..scenario import Scenario, hub_number
from ..scheduler import dask_client
from ..siting import MODELS, Candidates, SiteRules, SitingResult, SolverOptions
from .demand_scenarios import peak_factor, scenario_kpis, with_scenarios
from .kpis import Delivered, Delivery, business_case, compare_deliveries, delivery_kpis, plan_kpis
from .prepare import StudyArea, prepare_study_area, progress_bar, resolve_scenario
from .result import Plan

#: Scenario fields that only change the siting and routing, not the study area:
#: the [siting], [routing] and [costs] sections and a few top-level settings.
SOLVE_FIELDS = frozenset(
    {
        f.name
        for f in dataclasses.fields(Scenario)
        if f.metadata.get("section") in ("siting", "routing", "costs")
    }
    | {"sites", "walk_m", "seed", "out", "name", "cell_m", "demand_scenarios"}
)


@dataclass(frozen=True)
class Allocation:
    """Who is served by which open site: the siting result as layers.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        Open sites: the candidate columns plus ``site_id``, ``candidate_index``,
        ``parcels_per_day`` (assigned), ``clusters`` and ``mean_walk_m``.
    clusters : geopandas.GeoDataFrame
        Demand clusters with ``covered``, ``site_id`` and ``walk_m``.
    lines : geopandas.GeoDataFrame
        One line per covered cluster to its site (the ``allocation_lines`` layer).
    """

    sites: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    lines: gpd.GeoDataFrame


def candidate_attributes(sc: Scenario, cands: gpd.GeoDataFrame) -> Candidates:
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
    for option, ids in (("--exclude", sc.exclude), ("--open", sc.open_sites)):
        unknown = sorted(set(ids) - set(cands["candidate_id"]))
        if unknown:
            raise InputError(
                f"{option}: unknown candidate id(s) {', '.join(unknown[:5])}; "
                "the ids are in the candidates layer (candidate_id)."
            )
    return Candidates.default(
        len(cands),
        kind=kind,
        capacity=capacity,
        fixed_cost=np.where(is_cabinet, sc.cabinet_per_day, sc.pickup_point_per_day),
        forced_open=(cands["existing"].fillna(False).to_numpy(dtype=bool) & sc.keep_existing)
        | cands["candidate_id"].isin(sc.open_sites).to_numpy(),
        excluded=cands["candidate_id"].isin(sc.exclude).to_numpy(),
    )


def site_rules(sc: Scenario, area: StudyArea) -> SiteRules:
    """Per-kind limits, budget, spacing and per-kind cutoffs of the scenario."""
    if sc.min_spacing_m:
        _check_spacing(sc.min_spacing_m, area)
    per_kind = {
        kind: limit
        for kind, limit in (("cabinet", sc.max_cabinets), ("pickup_point", sc.max_pickup_points))
        if limit is not None
    }
    return SiteRules(
        max_per_kind=per_kind,
        budget=sc.budget,
        min_spacing_m=sc.min_spacing_m,
        site_distances=area.site_distances(sc.min_spacing_m) if sc.min_spacing_m else None,
        cutoff_per_kind={"pickup_point": sc.pickup_walk_m} if sc.pickup_walk_m else {},
    )


def _check_spacing(min_spacing_m: float, area: StudyArea) -> None:
    """A spacing wider than the candidates spread (straight line) leaves one site: say so now."""
    snapped = area.candidates[area.candidate_snap["snapped"].to_numpy()]
    xy = shapely.get_coordinates(snapped.geometry.to_crs(area.walk.crs).to_numpy())
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) if len(xy) else 0.0
    if min_spacing_m > span:
        raise InputError(
            f"--min-spacing-m {min_spacing_m:g} is more than the candidate sites spread "
            f"({span:,.0f} m corner to corner), so at most one site could open; give a "
            "spacing below that (e.g. 2 x --walk-m)."
        )


def solve_siting(
    sc: Scenario,
    area: StudyArea,
    D: sparse.csr_matrix,
    attrs: Candidates,
    progress: bool = False,
) -> SitingResult:
    """Run the scenario's siting model (``sc.model``, a row of ``MODELS``) on ``D``.

    With ``sc.scheduler`` the model is solved region by region on Dask
    (:func:`lockerplan.regions.solve_regions`: the same optimum, or one process
    and the reason in ``stats["regions_note"]``).
    """
    spec = MODELS[sc.model]
    solve = spec.solve
    if sc.scheduler is not None:
        solve = functools.partial(
            solve_regions, model=sc.model, scheduler=sc.scheduler, progress=progress
        )
    siting = solve(
        D,
        area.clusters["parcels_per_day"].to_numpy(dtype=float),
        # a site's parcels are its covered customers' parcels, of which at most the
        # adoption share reach the locker: capacity counted in covered parcels; with
        # demand scenarios, what it holds at the largest factor (see demand_scenarios)
        candidates=dataclasses.replace(
            attrs, capacity=attrs.capacity / sc.adoption_share / peak_factor(sc)
        ),
        rules=site_rules(sc, area),
        options=SolverOptions(
            solver=sc.solver,
            via=sc.milp_via,
            time_limit_s=sc.time_limit_s,
            gap_rel=sc.gap_rel,
            seed=sc.seed,
        ),
        **spec.arguments(sc),
    )
    if siting.status in ("infeasible", "not solved"):
        why = (siting.message or "check --sites and --walk-m").rstrip(".")
        raise InputError(f"siting model {sc.model} {siting.status}: {why}.")
    if len(siting.open_sites) == 0:
        cheapest = min(sc.cabinet_per_day, sc.pickup_point_per_day)
        if sc.budget is not None and sc.budget < cheapest:
            raise InputError(
                f"--budget {sc.budget:g} is below the cheapest site ({cheapest:g} {sc.currency}/day), "
                "so no site can open; raise the budget."
            )
        raise InputError(
            f"the {siting.model} model opened no site ({siting.message or 'no site covers any demand'}); "
            "raise --walk-m, --sites or --budget, or give more candidate sites."
        )
    return siting


def adoption(walk_m: np.ndarray, share: float, scale_m: float) -> np.ndarray:
    """Share of covered customers who collect at the locker: ``share * exp(-walk / scale)``.

    Examples
    --------
    >>> adoption(np.array([0.0, 400.0]), 0.7, 1000.0).round(3).tolist()
    [0.7, 0.469]
    """
    return share * np.exp(-np.asarray(walk_m, dtype=float) / scale_m)


def allocate(
    cands: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    siting: SitingResult,
    capacity: np.ndarray,
    adopt: tuple[float, float] = (1.0, np.inf),
) -> Allocation:
    """The siting result's allocation as site, cluster and allocation-line layers.

    Each cluster goes to the site the solver assigned it (``siting.assignment``,
    walking ``siting.assigned_m``): the model's own cutoffs per kind and its
    capacities hold, and the plan reports exactly the coverage the solver gave.
    ``capacity`` is each candidate's parcels per day per module; a site's
    capacity is its modules (``siting.modules``; one where the model does not
    choose them) times that. ``adopt`` is ``(share, scale_m)`` of
    :func:`adoption`: a covered cluster's ``locker_parcels_per_day`` are its
    parcels times the adoption at its walk, and a site's ``parcels_per_day`` (what
    the vans bring and the cabinets hold) the sum over its clusters.
    """
    open_idx = np.asarray(siting.open_sites, dtype=int)
    site_ids = np.array([f"site{k + 1}" for k in range(len(open_idx))])
    position = np.full(max(len(cands), 1), -1)
    position[open_idx] = np.arange(len(open_idx))
    assigned = np.asarray(siting.assignment, dtype=int)
    best_site = np.where(assigned >= 0, position[np.maximum(assigned, 0)], -1)
    covered = best_site >= 0
    walk = np.where(covered, np.asarray(siting.assigned_m, dtype=float), np.nan)
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    served = np.asarray(getattr(siting, "served", ()), dtype=float)
    if len(served) != len(w):  # the model serves all of an assigned cluster
        served = np.where(covered, w, 0.0)
    locker = np.where(covered, served * adoption(np.nan_to_num(walk), *adopt), 0.0)
    clusters = clusters.assign(
        covered=covered,
        site_id=np.where(covered, site_ids[np.maximum(best_site, 0)], None),
        walk_m=np.round(walk, 1),
        served_parcels_per_day=np.round(served, 4),
        locker_parcels_per_day=np.round(locker, 4),
    )
    sites = _site_layer(cands, open_idx, site_ids, clusters, best_site, walk)
    sites = _with_capacity(sites, siting, capacity[open_idx])
    return Allocation(sites, clusters, _allocation_lines(clusters, sites, best_site))


def _with_capacity(
    sites: gpd.GeoDataFrame, siting: SitingResult, per_module: np.ndarray
) -> gpd.GeoDataFrame:
    """Modules, capacity, assigned load and any load beyond capacity, per open site.

    Models without capacities (mclp, pmedian, lscp, attendance) may assign a site
    more than one module hands out; ``over_capacity_parcels_per_day`` says so.
    """
    modules = np.asarray(getattr(siting, "modules", ()), dtype=int)
    if len(modules) != len(sites):
        modules = np.ones(len(sites), dtype=int)
    load = np.asarray(getattr(siting, "load", ()), dtype=float)
    if len(load) == len(sites):  # split demand: the solver's load per site, not the largest share
        covered = sites["covered_parcels_per_day"].to_numpy(dtype=float)
        ratio = np.divide(
            sites["parcels_per_day"].to_numpy(dtype=float),
            covered,
            out=np.zeros(len(sites)),
            where=covered > 0,
        )
        sites = sites.assign(
            covered_parcels_per_day=load, parcels_per_day=np.round(load * ratio, 4)
        )
    capacity = modules * per_module
    assigned = sites["parcels_per_day"].to_numpy(dtype=float)
    return sites.assign(
        modules=modules,
        capacity_parcels_per_day=np.round(capacity, 2),
        assigned_parcels_per_day=np.round(assigned, 2),
        over_capacity_parcels_per_day=np.round(np.maximum(assigned - capacity, 0.0), 2),
    )


def _site_layer(cands, open_idx, site_ids, clusters, best_site, walk) -> gpd.GeoDataFrame:
    """Open sites with their locker parcels, covered parcels, clusters and mean walk."""
    sites = cands.iloc[open_idx].copy()
    sites.insert(0, "site_id", site_ids)
    sites["candidate_index"] = open_idx
    covered = best_site >= 0
    w = clusters["served_parcels_per_day"].to_numpy()
    locker = clusters["locker_parcels_per_day"].to_numpy()
    agg = pd.DataFrame(
        {
            "site": best_site[covered],
            "w": w[covered],
            "locker": locker[covered],
            "wd": (w * walk)[covered],
        }
    )
    g = agg.groupby("site")
    every = range(len(open_idx))
    sites["parcels_per_day"] = g["locker"].sum().reindex(every, fill_value=0.0).round(4).to_numpy()
    sites["covered_parcels_per_day"] = g["w"].sum().reindex(every, fill_value=0.0).to_numpy()
    sites["clusters"] = g.size().reindex(every, fill_value=0).to_numpy()
    sites["mean_walk_m"] = (g["wd"].sum() / g["w"].sum()).reindex(every).round(1).to_numpy()
    return sites.reset_index(drop=True)


def _allocation_lines(clusters, sites, best_site) -> gpd.GeoDataFrame:
    """One straight line per covered cluster to its site, with the walk and both nodes."""
    covered = best_site >= 0
    cov = clusters[covered]
    to = best_site[covered]
    ends = sites.geometry.to_numpy()[to]
    lines = (
        shapely.linestrings(
            [[(p.x, p.y), (s.x, s.y)] for p, s in zip(cov.geometry, ends, strict=True)]
        )
        if len(cov)
        else []
    )
    return gpd.GeoDataFrame(
        {
            "cluster_id": cov["cluster_id"].to_numpy(),
            "site_id": cov["site_id"].to_numpy(),
            "parcels_per_day": cov["served_parcels_per_day"].to_numpy(),
            "walk_m": cov["walk_m"].to_numpy(),
            "demand_node": cov["node"].to_numpy(),
            "demand_snap_m": cov["snap_m"].to_numpy(),
            "site_node": sites["node"].to_numpy()[to],
            "site_snap_m": sites["snap_m"].to_numpy()[to],
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def catchment_layer(
    area: StudyArea, sites: gpd.GeoDataFrame, walk_m: float, build: bool = True
) -> gpd.GeoDataFrame:
    """Walking catchment polygon of each open site (empty geometries when not built)."""
    shapes = (
        area.walk.catchments(area.candidate_snap.iloc[sites["candidate_index"]], walk_m).to_numpy()
        if build
        else [None] * len(sites)
    )
    return gpd.GeoDataFrame(
        {"site_id": sites["site_id"].to_numpy()}, geometry=shapes, crs="EPSG:4326"
    )


def plan_hubs(sc: Scenario, drive: GraphArrays, alloc: Allocation) -> gpd.GeoDataFrame:
    """Hubs placed on the drive network: ``sc.hubs`` of them, or one per ``km2_per_hub``.

    The hubs go where the vans' round trips to the open sites, weighted by their
    parcels, are shortest (:func:`lockerplan.routing.place_hubs`).
    """
    n_hubs = hub_number(sc.hubs) or hub_count(alloc.clusters, km2_per_hub=sc.km2_per_hub)
    return place_hubs(drive, alloc.sites, n_hubs, seed=sc.seed)


def route_stage(sc: Scenario, area: StudyArea, alloc: Allocation) -> Delivered:
    """:func:`route_plan` here, or — when the drive network is on a Dask worker
    (``scheduler``) — as one task on that worker: the network stays there, the open
    sites and clusters go out and the routes come back."""
    if not area.drive_on_workers:
        return route_plan(sc, area.drive, area.hubs, alloc)
    with dask_client(sc.scheduler) as (client, _):
        return client.submit(route_plan, sc, area.drive, area.hubs, alloc, pure=False).result()


def route_plan(
    sc: Scenario, drive: GraphArrays, hubs: gpd.GeoDataFrame | None, alloc: Allocation
) -> Delivered:
    """Route the vans to the open sites; with the door-to-door baseline, the business case.

    Three days of routes from the same hubs with the same fleet rules: the
    replenishment of the open sites; home delivery of every parcel that does not
    go to a routed locker; and every parcel to the door. The door-to-door day
    does not depend on the others: it is routed on another core while the first
    two are (:func:`lockerplan.parallel.fork_map`), with the same results as one
    after the other.
    """
    hubs = hubs if hubs is not None else plan_hubs(sc, drive, alloc)
    fleet, costs = sc.fleet(), sc.cost_model()
    common = {
        "max_snap_m": sc.max_snap_m,
        "seed": sc.seed,
        "iterations": sc.routing_iterations,
        "costs": costs,
    }

    def replenish() -> RoutingResult:
        return route_vans(drive, hubs, alloc.sites, fleet, returns_share=sc.returns_share, **common)

    if not sc.door_to_door:
        routing = replenish()
        return Delivered(hubs, routing, _locker_kpis(routing, alloc, costs))
    on = alloc.clusters[alloc.clusters["on_network"].to_numpy()]
    # the door-to-door days are costed, not drawn: no street lines, no path trees
    door_kw = {
        "failure_rate": sc.failure_rate,
        "handover_s": sc.handover_s,
        "street_paths": False,
        **common,
    }
    # both days over the same delivery zones (metro scale): zoned and matrices once
    zone_kw = {k: door_kw[k] for k in ("failure_rate", "handover_s", "max_snap_m", "seed")}
    zones = delivery_zones(drive, on, fleet, **zone_kw)
    if zones is not None:
        zone_matrices(drive, hubs, zones, max_snap_m=sc.max_snap_m)

    def lockers_then_home() -> tuple:
        routing = replenish()
        at_lockers = _at_lockers(on, alloc.sites, routing)
        home_stops = _home_stops(on, at_lockers)
        home = route_door_to_door(drive, hubs, home_stops, fleet, zones=zones, **door_kw)
        return routing, home, at_lockers, home_stops

    def every_door() -> RoutingResult:
        return route_door_to_door(drive, hubs, on, fleet, zones=zones, **door_kw)

    (routing, home, at_lockers, home_stops), door = fork_map(_call, [lockers_then_home, every_door])
    lockers = _locker_kpis(routing, alloc, costs)
    comparison = compare_deliveries(routing, door, alloc.sites, costs)
    home_kpis = delivery_kpis(home, costs, parcels=_delivered(home_stops, home))
    pickup_km = 2 * at_lockers * on["walk_m"].fillna(0.0).to_numpy() / 1000
    business = business_case(
        lockers,
        home_kpis,
        comparison.door_to_door,
        # per cluster, so that locker + home is every parcel on the network exactly
        locker_parcels=float(at_lockers.sum()),
        pickup_co2_kg=float(pickup_km.sum() * sc.pickup_by_car_share * sc.car_co2_kg_per_km),
    )
    unserved = home.unserved.assign(
        parcels=lambda u: u["site_id"].map(home_stops.set_index("cluster_id")["parcels_per_day"])
    )
    return Delivered(hubs, routing, lockers, comparison, business, unserved)


def _call(day: Callable[[], Any]) -> Any:
    """Run one day's routing (an item of :func:`lockerplan.parallel.fork_map`)."""
    return day()


def _routed(sites: gpd.GeoDataFrame, routing: RoutingResult) -> np.ndarray:
    """Whether each open site is on a route (not unserved)."""
    return ~sites["site_id"].isin(set(routing.unserved["site_id"])).to_numpy()


def _locker_kpis(routing: RoutingResult, alloc: Allocation, costs: CostModel) -> Delivery:
    """The replenishment routes priced, with the routed sites' parcels and fixed costs."""
    routed = _routed(alloc.sites, routing)
    parcels = float(alloc.sites.loc[routed, "parcels_per_day"].sum())
    return delivery_kpis(routing, costs, parcels=parcels, sites=alloc.sites[routed])


def _at_lockers(
    on: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, routing: RoutingResult
) -> np.ndarray:
    """Each cluster's parcels collected at a routed locker (0 where its site is unrouted)."""
    routed = set(sites.loc[_routed(sites, routing), "site_id"])
    return np.where(
        on["site_id"].isin(routed).to_numpy(), on["locker_parcels_per_day"].to_numpy(), 0.0
    )


def _home_stops(on: gpd.GeoDataFrame, at_lockers: np.ndarray) -> gpd.GeoDataFrame:
    """The clusters with parcels left for home delivery, carrying those parcels."""
    home = on["parcels_per_day"].to_numpy() - at_lockers
    return on.assign(parcels_per_day=home)[home > 1e-9]


def _delivered(stops: gpd.GeoDataFrame, result: RoutingResult) -> float:
    """Parcels of the door-to-door stops the vans made (stops left out are not)."""
    missed = stops["cluster_id"].astype(str).isin(set(result.unserved["site_id"].astype(str)))
    return float(stops.loc[~missed.to_numpy(), "parcels_per_day"].sum())


def not_coverable(area: StudyArea, D: sparse.csr_matrix) -> gpd.GeoDataFrame:
    """Demand clusters on the network that no candidate site reaches within the walk.

    No choice of sites covers them (``lscp`` covers everything else); they are
    delivered home.
    """
    reached = np.diff(D.tocsc().indptr) > 0
    on = area.clusters["on_network"].to_numpy()
    return area.clusters[on & ~reached]


def dropped_table(
    area: StudyArea,
    alloc: Allocation,
    delivered: Delivered,
    uncoverable: gpd.GeoDataFrame,
    walk_m: float,
) -> pd.DataFrame:
    """Everything left out and why: preparation's drops, demand no candidate reaches,
    sites no van could serve (their locker parcels) and home deliveries no van can make.

    Layers ``demand_points``, ``demand_clusters`` and ``home_delivery`` hold parcels
    nobody delivers; ``not_coverable`` (delivered home) and ``sites`` (their
    customers are delivered home) say why parcels did not go to a locker.
    """
    load = alloc.sites.set_index("site_id")["parcels_per_day"]
    walk = f"no candidate site within the walk ({walk_m:g} m); delivered home"
    rows = (
        list(area.dropped)
        + [
            ("not_coverable", cid, float(p), walk)
            for cid, p in zip(
                uncoverable["cluster_id"], uncoverable["parcels_per_day"], strict=True
            )
        ]
        + [
            ("sites", sid, float(load.get(sid, 0.0)), f"not routed: {reason}")
            for sid, reason in delivered.routing.unserved[["site_id", "reason"]]
            .drop_duplicates("site_id")
            .itertuples(index=False)
        ]
    )
    if delivered.home_unserved is not None:
        rows += [
            ("home_delivery", cid, float(parcels), f"not delivered home: {reason}")
            for cid, reason, parcels in delivered.home_unserved[
                ["site_id", "reason", "parcels"]
            ].itertuples(index=False)
        ]
    return pd.DataFrame(rows, columns=["layer", "id", "parcels_per_day", "reason"])


def plan_study_area(
    area: StudyArea, *, progress: bool = False, catchments: bool = True, **settings: Any
) -> Plan:
    """Site and route one scenario on a prepared study area.

    Parameters
    ----------
    area : StudyArea
        From :func:`~lockerplan.pipeline.prepare.prepare_study_area`.
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

    Examples
    --------
    >>> area = prepare_study_area(max_walk_m=500)  # doctest: +SKIP
    >>> plan_study_area(area, sites=8, walk_m=300).kpis["coverage_share"]  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    not_here = set(settings) - SOLVE_FIELDS
    if not_here:
        raise InputError(
            f"{', '.join(sorted(not_here))} change(s) the study area; prepare a new one "
            "with prepare_study_area()."
        )
    sc = resolve_scenario(area.scenario, settings)
    D, ours = area.distances_within(sc.walk_m), area.siting_distances(sc.walk_m)
    with progress_bar(4, progress) as bar:
        clock = StageClock(area.stage_seconds, bar=bar)
        attrs = candidate_attributes(sc, area.candidates)
        with clock("siting"):
            siting = solve_siting(sc, area, ours, attrs, progress)
        with clock("allocation"):
            adopt = (sc.adoption_share, sc.adoption_scale_m)
            alloc = allocate(area.candidates, area.clusters, siting, attrs.capacity, adopt)
            alloc = dataclasses.replace(
                alloc, sites=with_scenarios(alloc.sites, sc, attrs.capacity)
            )
            catchment = catchment_layer(area, alloc.sites, sc.walk_m, catchments)
            if area.competitors is not None:
                rival_m = area.competitor_walk(sc.walk_m)
                clusters = competition_columns(alloc.clusters, D, siting.open_sites, rival_m)
                alloc = dataclasses.replace(alloc, clusters=clusters)
        with clock("routing"):
            delivered = route_stage(sc, area, alloc)
        with clock("results"):
            cells = coverage_by_cell(alloc.clusters, cell_m=sc.cell_m)
            uncoverable = not_coverable(area, D)
            dropped = dropped_table(area, alloc, delivered, uncoverable, sc.walk_m)
            if area.competitors is not None:
                dropped = with_taken(dropped, alloc.clusters, D, ours)
    kpis = plan_kpis(
        sc,
        area,
        siting,
        alloc.clusters,
        alloc.sites,
        delivered,
        cells=cells,
        dropped=dropped,
        sites_limit=sc.sites if MODELS[sc.model].uses_sites else None,
        runtime_s=area.prepare_s + time.perf_counter() - t0,
        stage_seconds=clock,
    )
    if sc.demand_scenarios:
        kpis = scenario_kpis(kpis, sc, alloc.sites)
    return Plan(
        scenario=sc,
        demand_points=area.demand_points,
        demand=alloc.clusters,
        candidates=area.candidates,
        sites=alloc.sites,
        assignments=alloc.lines,
        catchments=catchment,
        hubs=delivered.hubs,
        routes=delivered.routing.routes,
        route_stops=delivered.routing.stops,
        dropped=dropped,
        cells=cells,
        kpis=kpis,
        siting=siting,
        routing=delivered.routing,
        walk_streets=area.walk_streets,
        drive_streets=area.drive_streets,
        distances=ours,
        competitors=area.competitors,
    )


def plan(
    scenario: Scenario | None = None,
    *,
    candidate_sites: gpd.GeoDataFrame | None = None,
    hub_points: gpd.GeoDataFrame | None = None,
    competitor_sites: gpd.GeoDataFrame | None = None,
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
    competitor_sites : geopandas.GeoDataFrame, optional
        A rival network's sites (as from
        :func:`lockerplan.competitors.read_competitors`) instead of the scenario's
        ``competitors`` file: customers nearer to a rival are not captured (see
        :mod:`lockerplan.competitors`).
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
    cores()  # $LOCKERPLAN_PROCESSES checked before anything is computed
    area = prepare_study_area(
        scenario,
        candidate_sites=candidate_sites,
        hub_points=hub_points,
        competitor_sites=competitor_sites,
        progress=progress,
        **settings,
    )
    return plan_study_area(area, progress=progress)
