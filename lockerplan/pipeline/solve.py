"""Solving a scenario on a prepared study area: siting, allocation, routing, figures.

:func:`plan_study_area` runs the siting model the scenario names (one row of
:data:`lockerplan.siting.MODELS`, :func:`solve_siting`), takes the solver's
allocation as the plan's (:mod:`~lockerplan.pipeline.allocate`), routes the vans
(:mod:`~lockerplan.pipeline.route`) and reports the figures
(:func:`lockerplan.pipeline.kpis.plan_kpis`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from ..competitors import competition_columns, with_taken
from ..costs import adoption, with_discounts
from ..equity import coverage_by_cell
from ..errors import InputError
from ..ontheway import OnTheWay
from ..parallel import cores
from ..progress import StageClock
from ..regions import solve_regions
from ..scenario import CostParams, Scenario, SitingParams, scenario_fields
from ..siting import MODELS, Candidates, SiteRules, SitingResult, SolverOptions
from .allocate import Allocation, allocate, candidate_attributes, catchment_layer
from .choose import (
    ChoiceFit,
    choice_columns,
    choice_figures,
    group_choice_columns,
    site_under_choice,
    within_kind_cutoffs,
)
from .commutes import allocate_groups, flow_layer, unreachable
from .demand_scenarios import scenario_kpis, with_scenarios
from .kpis import plan_kpis
from .prepare import StudyArea, prepare_study_area, progress_bar, resolve_scenario
from .prices import Priced, discounts_paid, price_zones
from .result import Plan
from .route import Delivered, route_stage

#: Scenario settings that only change the siting and routing, not the study area:
#: those of the siting, routing, costs and outputs sections.
SOLVE_FIELDS = frozenset(
    name
    for name, (section, _) in scenario_fields().items()
    if section in ("siting", "routing", "costs", "choice", "outputs")
)


def site_rules(siting: SitingParams, area: StudyArea) -> SiteRules:
    """Per-kind limits, budget, spacing and per-kind cutoffs of the siting section."""
    spacing = siting.min_spacing_m
    if spacing:
        _check_spacing(spacing, area)
    limits = (("cabinet", siting.max_cabinets), ("pickup_point", siting.max_pickup_points))
    return SiteRules(
        max_per_kind={kind: limit for kind, limit in limits if limit is not None},
        budget=siting.budget,
        min_spacing_m=spacing,
        site_distances=area.site_distances(spacing) if spacing else None,
        cutoff_per_kind={"pickup_point": siting.pickup_walk_m} if siting.pickup_walk_m else {},
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
    params: SitingParams,
    costs: CostParams,
    area: StudyArea,
    D: sparse.csr_matrix,
    attrs: Candidates,
    progress: bool = False,
    weights: np.ndarray | None = None,
    solver: Callable[..., SitingResult] | None = None,
) -> SitingResult:
    """Run the siting section's model (``params.model``, a row of ``MODELS``) on ``D``.

    ``weights`` are the parcels per day of ``D``'s columns: the demand clusters' by
    default, the customer groups' with ``--on-the-way``. ``solver`` replaces the
    model's function (customers' choice: :func:`lockerplan.siting.mnl.solve_mnl`,
    whose capacities count the parcels customers bring, not covered parcels; it is
    solved in one process).

    With ``params.scheduler`` the model is solved region by region on Dask
    (:func:`lockerplan.regions.solve_regions`: the same optimum, or one process
    and the reason in ``stats["regions_note"]``). The costs section gives the
    adoption share (capacity is counted in covered parcels) and the site costs a
    budget is held against.
    """
    spec = MODELS[params.model]
    solve = spec.solve if solver is None else solver
    if params.scheduler is not None and solver is None:
        solve = functools.partial(
            solve_regions, model=params.model, scheduler=params.scheduler, progress=progress
        )
    if weights is None:
        weights = area.clusters["parcels_per_day"].to_numpy(dtype=float)
    siting = solve(
        D,
        weights,
        # a site's parcels are its covered customers' parcels, of which at most the
        # adoption share reach the locker: capacity counted in covered parcels; with
        # demand scenarios, what it holds at the largest factor (see demand_scenarios)
        candidates=dataclasses.replace(
            attrs,
            capacity=attrs.capacity
            / (1.0 if solver is not None else costs.adoption_share)
            / params.peak_factor,
        ),
        rules=site_rules(params, area),
        options=SolverOptions(
            solver=params.solver,
            via=params.milp_via,
            time_limit_s=params.time_limit_s,
            gap_rel=params.gap_rel,
            seed=params.seed,
        ),
        **spec.arguments(params),
    )
    if siting.status in ("infeasible", "not solved"):
        why = (siting.message or "check --sites and --walk-m").rstrip(".")
        raise InputError(f"siting model {params.model} {siting.status}: {why}.")
    if len(siting.open_sites) == 0:
        cheapest = min(costs.cabinet_per_day, costs.pickup_point_per_day)
        if params.budget is not None and params.budget < cheapest:
            raise InputError(
                f"--budget {params.budget:g} is below the cheapest site ({cheapest:g} {costs.currency}/day), "
                "so no site can open; raise the budget."
            )
        _refuse_rivals_take_all(area, D, params.walk_m)
        raise InputError(
            f"the {siting.model} model opened no site ({siting.message or 'no site covers any demand'}); "
            "raise --walk-m, --sites or --budget, or give more candidate sites."
        )
    return siting


def _refuse_rivals_take_all(area: StudyArea, D: sparse.csr_matrix, walk_m: float) -> None:
    """Name the competitors when they are why no site opens: candidates reach customers
    within the walk, but a rival is at least as near for every one of them."""
    if area.competitors is None or D.nnz:
        return
    if area.distances_within(walk_m).nnz == 0:
        return  # no candidate reaches anyone: the walk or the candidates, not the rivals
    raise InputError(
        f"the competitors (--competitors, {len(area.competitors):,} sites) take every "
        f"customer: for each customer a candidate site reaches within {walk_m:g} m, a rival "
        "site is at least as near, so no site would capture any parcel; give candidate "
        "sites nearer the customers than the rivals (--candidates), or plan without "
        "--competitors to see the market as if they were not there."
    )


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
    # a cluster's parcels collected at a rival's locker are listed under the rival
    rival = alloc.clusters.set_index("cluster_id").get("rival_locker_parcels_per_day")
    home_part = uncoverable["parcels_per_day"].to_numpy(dtype=float) - (
        0.0 if rival is None else rival.reindex(uncoverable["cluster_id"]).fillna(0.0).to_numpy()
    )
    walk = f"no candidate site within the walk ({walk_m:g} m); delivered home"
    rows = (
        list(area.dropped)
        + [
            ("not_coverable", cid, float(p), walk)
            for cid, p in zip(uncoverable["cluster_id"], home_part, strict=True)
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


def _siting(
    sc: Scenario,
    area: StudyArea,
    matrices: tuple[sparse.csr_matrix, sparse.csr_matrix],
    attrs: Candidates,
    otw: OnTheWay | None,
    progress: bool,
) -> tuple[SitingResult, ChoiceFit | None]:
    """The siting, under customers' choice (``--choice mnl``) or the model alone, over
    the demand clusters or, with ``--on-the-way``, over customer groups (each choosing
    among the sites in reach of its home, work or way, at the walk from there).

    ``matrices`` are the walks within the cutoff and those less the walks a rival is
    at least as near for.
    """
    D, ours = matrices
    params, costs = sc.siting, sc.costs
    mnl = sc.choice.choice_model == "mnl"
    if otw is not None:
        weights = otw.weights
        if mnl:
            run = functools.partial(_solve, params, costs, area, progress, weights=weights)
            return site_under_choice(sc, area, otw.matrix, attrs, run, weights=weights)
        return solve_siting(params, costs, area, otw.matrix, attrs, progress, weights), None
    if mnl:
        run = functools.partial(_solve, params, costs, area, progress)
        return site_under_choice(sc, area, D, attrs, run, contest=ours)
    return solve_siting(params, costs, area, ours, attrs, progress), None


def _discounts_paid(delivered: Delivered, alloc: Allocation, fit: ChoiceFit | None) -> Delivered:
    """The business case with the discounts on locker delivery paid (``--locker-discount``,
    ``--price-zones``)."""
    if fit is None or delivered.business is None:
        return delivered
    paid = discounts_paid(alloc.clusters, fit)
    return dataclasses.replace(delivered, business=with_discounts(delivered.business, paid))


def _route(sc: Scenario, area: StudyArea, alloc: Allocation) -> Delivered:
    """The routing stage of a plan's allocation."""
    return route_stage(
        sc.routing,
        sc.costs,
        area,
        alloc,
        seed=sc.siting.seed,
        max_snap_m=sc.network.max_snap_m,
        scheduler=sc.siting.scheduler,
    )


def _choice_sets(sc: Scenario, area: StudyArea, D: sparse.csr_matrix) -> sparse.csr_matrix:
    """Under customers' choice, ``D`` less the walks beyond each site kind's cutoff."""
    if sc.choice.choice_model != "mnl" or area.on_the_way is not None:
        return D
    cutoffs = site_rules(sc.siting, area).cutoff_per_kind
    return within_kind_cutoffs(D, area.candidates["kind"].to_numpy(), cutoffs)


def _pricing(sc, area, plan: tuple, attrs, D, otw, clock) -> tuple:
    """With ``--price-zones`` (customers' choice, the door-to-door day routed, no
    customer groups): the prices and the plan at them; else the plan as it is.

    ``plan`` is ``(siting, fit, alloc, delivered)``; returns ``(priced or None, *plan)``.
    """
    siting, fit, alloc, delivered = plan
    off = fit is None or not sc.choice.price_zones or otw is not None
    if off or delivered.comparison is None:
        return (None, *plan)
    with clock("pricing"):
        priced, alloc, delivered = _priced(sc, area, siting, attrs, D, fit, alloc, delivered)
    return priced, priced.siting, priced.fit, alloc, delivered


def _priced(
    sc, area, siting, attrs, D, fit, alloc, delivered
) -> tuple[Priced, Allocation, Delivered]:
    """Prices by zone (:func:`~lockerplan.pipeline.prices.price_zones`), then the
    allocation and the routes at those prices."""
    clusters = alloc.clusters
    capacity = attrs.capacity / sc.siting.peak_factor
    door = delivered.comparison.door_to_door
    priced = price_zones(sc, clusters, siting, D, fit, door, capacity)
    alloc = _allocation(sc, area, priced.siting, attrs, D, None, priced.fit)
    return priced, alloc, _route(sc, area, alloc)


def _solve(params, costs, area, progress, D, attrs, solver=None, time_limit_s=None, weights=None):
    """:func:`solve_siting` as :func:`~lockerplan.pipeline.choose.site_under_choice` runs it."""
    if time_limit_s is not None:
        params = dataclasses.replace(params, time_limit_s=time_limit_s)
    return solve_siting(params, costs, area, D, attrs, progress, weights, solver=solver)


def _allocation(
    sc: Scenario,
    area: StudyArea,
    siting: SitingResult,
    attrs: Candidates,
    D: sparse.csr_matrix,
    otw: OnTheWay | None = None,
    fit: ChoiceFit | None = None,
) -> Allocation:
    """The siting result as layers (over customer groups with ``otw``), with the demand
    scenarios' columns and, with competitors, who walks to a rival first (with ``fit``,
    what customers choose: :func:`~lockerplan.pipeline.choose.choice_columns`)."""
    costs = sc.costs
    adopt = (costs.adoption_share, costs.adoption_scale_m)
    if otw is not None:
        alloc = allocate_groups(area.candidates, area.clusters, otw, siting, attrs.capacity, adopt)
        if fit is not None:  # customers chose per group: no rivals, the rest at home
            return dataclasses.replace(alloc, clusters=group_choice_columns(alloc.clusters))
    else:
        walks = D[siting.open_sites] if fit is not None else None
        alloc = allocate(area.candidates, area.clusters, siting, attrs.capacity, adopt, walks)
    factors = sc.siting.demand_scenarios
    sites = with_scenarios(alloc.sites, factors, costs.adoption_share, attrs.capacity)
    alloc = dataclasses.replace(alloc, sites=sites)
    if fit is not None:
        clusters = alloc.clusters
        if area.competitors is not None:
            walk = area.competitor_walk(sc.siting.walk_m)
            clusters = competition_columns(clusters, D, siting.open_sites, walk)
        return dataclasses.replace(alloc, clusters=choice_columns(clusters, siting, fit, D))
    if area.competitors is None:
        return alloc
    rival_m = area.competitor_walk(sc.siting.walk_m)
    clusters = competition_columns(
        alloc.clusters,
        D,
        siting.open_sites,
        rival_m,
        adoption=lambda walk: adoption(walk, *adopt),
    )
    return dataclasses.replace(alloc, clusters=clusters)


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
    params, costs = sc.siting, sc.costs
    D, ours = area.distances_within(params.walk_m), area.siting_distances(params.walk_m)
    D = _choice_sets(sc, area, D)
    otw = area.on_the_way.coverage(ours, params.walk_m) if area.on_the_way else None
    with progress_bar(4, progress) as bar:
        clock = StageClock(area.stage_seconds, bar=bar)
        attrs = candidate_attributes(params, costs, area.candidates)
        with clock("siting"):
            siting, fit = _siting(sc, area, (D, ours), attrs, otw, progress)
        with clock("allocation"):
            alloc = _allocation(sc, area, siting, attrs, D, otw, fit)
            catchment = catchment_layer(area, alloc.sites, params.walk_m, catchments)
        with clock("routing"):
            delivered = _route(sc, area, alloc)
        priced, siting, fit, alloc, delivered = _pricing(
            sc, area, (siting, fit, alloc, delivered), attrs, D, otw, clock
        )
        with clock("results"):
            cells = coverage_by_cell(alloc.clusters, cell_m=sc.outputs.cell_m)
            uncoverable = not_coverable(area, D) if otw is None else unreachable(area.clusters, otw)
            dropped = dropped_table(area, alloc, delivered, uncoverable, params.walk_m)
            if area.competitors is not None:
                dropped = with_taken(dropped, alloc.clusters, D, ours, chosen=fit is not None)
        delivered = _discounts_paid(delivered, alloc, fit)
    kpis = plan_kpis(
        sc.outputs.name or area.name,
        area,
        siting,
        alloc,
        delivered,
        walk_m=params.walk_m,
        sites=params.sites,
        cells=cells,
        dropped=dropped,
        runtime_s=area.prepare_s + time.perf_counter() - t0,
        stage_seconds=clock,
        choice=None if fit is None else choice_figures(alloc.clusters, fit),
        pricing=None if priced is None else priced.figures,
    )
    if params.demand_scenarios:
        kpis = scenario_kpis(kpis, params.demand_scenarios, alloc.sites)
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
        # on Dask the walk network stays on a worker, which draws the map's streets
        streets=area.walk.street_shapes() if area.walk.on_workers else None,
        competitors=area.competitors,
        commute_flows=None
        if otw is None
        else flow_layer(alloc.groups, alloc.sites, area.on_the_way),
        pricing=None if priced is None else priced.zones,
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
