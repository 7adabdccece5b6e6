"""Every siting model through plan(): the rules a planner sets hold in the result."""

from __future__ import annotations

import numpy as np
import pytest

from lockerplan.distances import walking_distance_matrix
from lockerplan.pipeline import plan_study_area, prepare_study_area


@pytest.fixture(scope="module")
def area():
    return prepare_study_area()


def solve(area, **settings):
    """A plan of ``area``: these tests check the siting, so the routing runs short."""
    settings.setdefault("routing_iterations", 100)
    return plan_study_area(area, catchments=False, door_to_door=False, **settings)


def test_pmedian_objective_is_the_parcel_weighted_walk(area):
    p = solve(area, model="pmedian", sites=4)
    assert p.kpis["model"] == "pmedian" and p.kpis["solver_status"] == "optimal"
    assert p.kpis["sites_open"] == 4
    # uncovered demand counts as walking the cutoff (the model's penalty)
    walks = np.where(p.demand["covered"], p.demand["walk_m"], p.scenario.walk_m)
    expected = float((p.demand["parcels_per_day"] * walks).sum())
    assert p.kpis["solver_objective"] == pytest.approx(expected, rel=1e-3)
    # with the same number of sites, no other choice walks less: not even the MCLP optimum's
    mclp = solve(area, model="mclp", sites=4)
    mclp_walks = np.where(mclp.demand["covered"], mclp.demand["walk_m"], p.scenario.walk_m)
    assert expected <= float((mclp.demand["parcels_per_day"] * mclp_walks).sum()) + 1e-6


def test_lscp_covers_everything_coverable_with_the_fewest_sites(area):
    p = solve(area, model="lscp")
    # it chooses the number of sites itself, and names what no candidate reaches
    assert "of at most" not in p.summary() and p.kpis["sites_limit"] is None
    assert "--sites does not apply" in p.summary()
    listed = p.dropped[p.dropped["layer"] == "not_coverable"]
    coverable = np.diff(area.distances.tocsc().indptr) > 0
    coverable_ids = set(area.clusters.loc[coverable, "cluster_id"])
    on_network = set(area.clusters.loc[area.clusters["on_network"], "cluster_id"])
    assert set(listed["id"]) == on_network - coverable_ids
    assert p.kpis["not_coverable_clusters"] == len(listed)
    if len(listed):
        assert "not coverable" in p.summary()
    coverable = np.diff(area.distances.tocsc().indptr) > 0
    assert p.demand["covered"].to_numpy()[coverable].all()
    assert p.kpis["solver_status"] == "optimal"
    fewer = solve(area, model="mclp", sites=p.kpis["sites_open"] - 1)
    assert fewer.kpis["covered_parcels_per_day"] < p.kpis["covered_parcels_per_day"]


def test_existing_locker_kept_and_kind_limits_hold(area):
    existing = area.candidates.loc[area.candidates["existing"], "candidate_id"]
    assert len(existing) == 1  # the Posti parcel locker in the extract
    p = solve(area, sites=5, keep_existing=True, max_pickup_points=0)
    assert existing.iloc[0] in set(p.sites["candidate_id"])
    assert (p.sites["kind"] == "cabinet").all()


def test_excluded_sites_stay_closed_and_spacing_holds(area):
    first = solve(area, sites=5)
    banned = list(first.sites["candidate_id"][:2])
    p = solve(area, sites=5, exclude=banned, min_spacing_m=250)
    assert not set(banned) & set(p.sites["candidate_id"])
    snap = area.candidate_snap.iloc[p.sites["candidate_index"]]
    close = walking_distance_matrix(area.walk_arrays, snap, snap, 250)
    close.setdiag(np.inf)
    assert not (close.data < 250).any()


def test_capacitated_plan_respects_site_capacities(area):
    p = solve(area, model="cflp", solver="highs", via="highspy")
    assert p.kpis["solver_status"] == "optimal"
    capacity = np.where(
        p.sites["kind"] == "cabinet", p.scenario.siting.cabinet_capacity, p.scenario.pickup_capacity
    )
    assert (p.sites["parcels_per_day"].to_numpy() <= capacity + 1e-6).all()
    assert p.kpis["coverage_share"] > 0.9


def test_attendance_counts_fewer_parcels_than_coverage(area):
    p = solve(area, model="attendance", sites=6)
    assert 0 < p.kpis["solver_objective"] < p.kpis["covered_parcels_per_day"] + 1e-6


def test_an_impossible_budget_is_explained_in_words(area):
    from lockerplan.errors import InputError

    with pytest.raises(InputError, match="forced-open sites cost 10 per day > budget 1"):
        solve(area, sites=3, keep_existing=True, budget=1.0)
    with pytest.raises(InputError, match="--budget 1 is below the cheapest site"):
        solve(area, sites=3, budget=1.0)


# ------------------------------------------------- the siting result's allocation is the plan's


def test_kind_cutoff_coverage_is_what_the_solver_covered(area):
    """Pickup points with a shorter cutoff: the plan reports the solver's coverage.

    Before the pipeline took the solver's assignment, this plan reported 888.1
    parcels/day covered while the MCLP's objective was 136.5: the coverage was
    re-derived from the raw distances with the cabinet cutoff for every kind.
    """
    p = solve(area, sites=6, walk_m=400, pickup_walk_m=100, max_cabinets=0)
    assert (p.sites["kind"] == "pickup_point").all()
    assert p.kpis["covered_parcels_per_day"] == pytest.approx(p.kpis["solver_objective"], abs=0.01)
    # no cluster is allocated to a pickup point farther than the pickup cutoff
    assert (p.demand.loc[p.demand["covered"], "walk_m"] <= 100 + 0.05).all()
    assert (p.assignments["walk_m"] <= 100 + 0.05).all()
    # the same sites with the cabinet cutoff for every kind would cover more
    wide = solve(area, sites=6, walk_m=400, max_cabinets=0)
    assert wide.kpis["covered_parcels_per_day"] > p.kpis["covered_parcels_per_day"]


@pytest.mark.parametrize("single_source", [True, False])
def test_capacitated_allocation_is_the_solvers(area, single_source):
    """cflp: every cluster goes where the solver sent it and no site is over capacity."""
    p = solve(area, model="cflp", solver="highs", via="highspy", single_source=single_source)
    position = {
        j: sid for j, sid in zip(p.sites["candidate_index"], p.sites["site_id"], strict=True)
    }
    served = p.siting.assignment >= 0
    assert p.demand["covered"].to_numpy().tolist() == served.tolist()
    expected = [position[j] for j in p.siting.assignment[served]]
    assert p.demand.loc[served, "site_id"].tolist() == expected
    capacity = np.where(
        p.sites["kind"] == "cabinet", p.scenario.siting.cabinet_capacity, p.scenario.pickup_capacity
    )
    if single_source:  # split demand: a cluster's largest share decides its site
        assert (p.sites["parcels_per_day"].to_numpy() <= capacity + 1e-6).all()
        assert p.kpis["sites_over_capacity"] == 0
        assert (p.sites["over_capacity_parcels_per_day"] == 0).all()
    assert p.kpis["covered_parcels_per_day"] == pytest.approx(
        p.sites["covered_parcels_per_day"].sum(), abs=0.01
    )


@pytest.mark.parametrize(
    "settings",
    [{"sites": 4}, {"sites": 6, "budget": 35.0}, {"sites": 5, "max_pickup_points": 1}],
    ids=["sites", "budget", "per-kind"],
)
def test_coverage_models_report_their_objective(area, settings):
    """Where the model's objective is coverage, the plan's coverage is that objective."""
    from lockerplan.siting import MODELS

    coverage_models = [name for name, spec in MODELS.items() if spec.objective == "coverage"]
    assert "mclp" in coverage_models
    for model in coverage_models:
        p = solve(area, model=model, **settings)
        assert p.kpis["covered_parcels_per_day"] == pytest.approx(
            p.kpis["solver_objective"], abs=0.01
        )


def test_capacitated_maximal_covering_decides_modules_and_holds_capacity(area):
    """cmclp: modules per site, no site over capacity, coverage = parcels served (small
    cabinets of 10 compartments, so that capacity binds on central Helsinki)."""
    small = {"cabinet_compartments": 10}
    p = solve(area, model="cmclp", sites=4, max_modules=2, solver="highs", via="highspy", **small)
    assert p.kpis["solver_status"] == "optimal"
    assert p.kpis["sites_over_capacity"] == 0
    assert (p.sites["over_capacity_parcels_per_day"] == 0).all()
    assert p.sites["modules"].between(1, 2).all()
    assert (p.sites["assigned_parcels_per_day"] <= p.sites["capacity_parcels_per_day"] + 0.01).all()
    assert p.kpis["covered_parcels_per_day"] == pytest.approx(p.kpis["solver_objective"], abs=0.01)
    # capacity binds: four sites of at most two modules serve less than they cover
    uncapacitated = solve(area, model="mclp", sites=4, **small)
    assert p.kpis["covered_parcels_per_day"] < uncapacitated.kpis["covered_parcels_per_day"]
