"""Siting under customers' choice (MNL): the MILP against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse

from lockerplan.choice import ChoiceModel
from lockerplan.siting import Candidates, SiteRules, SolverOptions
from lockerplan.siting.mnl import solve_mnl

OPTS = SolverOptions(solver="highs", via="highspy", time_limit_s=60)


def _instance(seed: int, n_cand: int = 7, n_dem: int = 25):
    rng = np.random.default_rng(seed)
    D = sparse.random(n_cand, n_dem, density=0.35, random_state=seed, format="csr")
    D.data = D.data * 600.0
    w = rng.uniform(1.0, 10.0, n_dem)
    rivals = rng.uniform(0.0, 1.5, n_dem) * (rng.random(n_dem) < 0.4)
    return D, w, rivals


def _capture(D, w, open_sites, model, outside):
    if not open_sites:
        return 0.0
    A = sparse.csr_matrix(D[list(open_sites)], copy=True)
    A.data = model.attraction(A.data)
    total = outside + np.asarray(A.sum(axis=0)).ravel()
    return float(w @ (np.asarray(A.sum(axis=0)).ravel() / total))


@pytest.mark.parametrize("method", ["cuts", "haase"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_milp_equals_brute_force_with_rivals(seed, method):
    D, w, rival_attraction = _instance(seed)
    model = ChoiceModel(home_utility=0.3)
    outside = np.exp(model.home_utility) + rival_attraction
    for p in (1, 2, 3):
        r = solve_mnl(D, w, p, attraction=model.attraction, outside=outside,
                      capacitated=False, options=OPTS, method=method)  # fmt: skip
        assert r.stats["method"] == method
        best = max(
            _capture(D, w, sites, model, outside)
            for sites in itertools.combinations(range(D.shape[0]), p)
        )
        assert r.status == "optimal"
        assert r.objective == pytest.approx(best, rel=1e-6)
        assert _capture(D, w, r.open_sites.tolist(), model, outside) == pytest.approx(
            best, rel=1e-6
        )
        # the split is the MNL's shares of the open sites
        assert float(w @ np.asarray(r.split.sum(axis=0)).ravel()) == pytest.approx(best, rel=1e-6)


def test_capacity_bounds_what_a_site_captures():
    D = sparse.csr_matrix(([100.0, 150.0, 200.0], ([0, 0, 0], [0, 1, 2])), shape=(1, 3))
    w = np.array([50.0, 50.0, 50.0])
    cands = Candidates.default(1, capacity=[20.0], fixed_cost=[10.0])
    r = solve_mnl(D, w, 1, attraction=ChoiceModel().attraction, outside=np.ones(3),
                  max_modules=2, candidates=cands, options=OPTS)  # fmt: skip
    assert r.objective == pytest.approx(40.0, abs=1e-6)  # two modules of 20
    assert r.modules.tolist() == [2]
    assert float(w @ np.asarray(r.split.sum(axis=0)).ravel()) == pytest.approx(40.0, abs=1e-6)


def test_more_rivals_never_raise_the_optimum():
    D, w, _ = _instance(5)
    model = ChoiceModel()
    values = []
    for strength in (0.0, 0.5, 2.0):
        outside = np.exp(model.home_utility) + strength
        r = solve_mnl(D, w, 2, attraction=model.attraction, outside=np.full(D.shape[1], outside),
                      capacitated=False, options=OPTS)  # fmt: skip
        values.append(r.objective)
    assert values[0] >= values[1] >= values[2]


def test_cuts_take_the_site_rules_and_match_the_reformulation():
    D, w, rival_attraction = _instance(4, n_cand=12, n_dem=60)
    model = ChoiceModel()
    forced, excluded = np.arange(12) == 3, np.arange(12) == 5
    cands = Candidates.default(
        12, fixed_cost=np.arange(1.0, 13.0), forced_open=forced, excluded=excluded
    )
    rules = SiteRules(budget=20.0)
    kw = dict(attraction=model.attraction, outside=1.0 + rival_attraction, capacitated=False,
              candidates=cands, rules=rules, options=OPTS)  # fmt: skip
    cuts = solve_mnl(D, w, 4, method="cuts", **kw)
    haase = solve_mnl(D, w, 4, method="haase", **kw)
    assert cuts.status == haase.status == "optimal"
    assert cuts.objective == pytest.approx(haase.objective, rel=1e-6)
    assert 3 in cuts.open_sites and 5 not in cuts.open_sites
    assert cands.fixed_cost[cuts.open_sites].sum() <= 20.0


def test_an_unknown_method_is_refused():
    D, w, _ = _instance(0)
    with pytest.raises(ValueError, match="method"):
        solve_mnl(D, w, 1, attraction=np.exp, outside=np.ones(D.shape[1]), method="x")


def test_a_time_limited_solve_reports_a_finite_bound_and_is_never_below_greedy():
    D, w, rival_attraction = _instance(9, n_cand=40, n_dem=300)
    model = ChoiceModel()
    r = solve_mnl(D, w, 6, attraction=model.attraction, outside=1.0 + rival_attraction,
                  capacitated=False,
                  options=SolverOptions(solver="highs", via="highspy", time_limit_s=1))  # fmt: skip
    assert np.isfinite(r.best_bound) and np.isfinite(r.gap)
    assert r.best_bound >= r.objective - 1e-9
    assert r.objective >= r.stats["greedy_captured"] - 1e-6


@pytest.mark.parametrize("seed", [0, 3])
def test_capacities_that_cannot_bind_are_solved_by_cuts_with_the_same_plan(seed):
    D, w, rival_attraction = _instance(seed, n_cand=10, n_dem=40)
    model = ChoiceModel()
    outside = 1.0 + rival_attraction
    roomy = Candidates.default(10, capacity=np.full(10, w.sum()), fixed_cost=np.ones(10))
    kw = dict(attraction=model.attraction, outside=outside, candidates=roomy, options=OPTS)
    cuts = solve_mnl(D, w, 3, **kw)
    haase = solve_mnl(D, w, 3, method="haase", **kw)
    assert cuts.stats["method"] == "cuts" and haase.stats["method"] == "haase"
    assert cuts.status == haase.status == "optimal"
    assert cuts.objective == pytest.approx(haase.objective, rel=1e-6)
    # each site gets the fewest modules carrying its load
    load = cuts.split @ w
    assert (cuts.modules == np.maximum(np.ceil(load / w.sum() - 1e-9), 1)).all()


def test_a_capacity_that_may_bind_is_solved_by_the_reformulation():
    D, w, rival_attraction = _instance(1, n_cand=10, n_dem=40)
    tight = Candidates.default(10, capacity=np.full(10, 2.0), fixed_cost=np.ones(10))
    r = solve_mnl(D, w, 3, attraction=ChoiceModel().attraction, outside=1.0 + rival_attraction,
                  max_modules=2, candidates=tight, options=OPTS)  # fmt: skip
    assert r.stats["method"] == "haase"
    assert r.objective <= 3 * 2 * 2.0 + 1e-6


def _alone(D, model, outside, w):
    """Per site, what it would capture were it the only site open."""
    A = sparse.csr_matrix(D, copy=True)
    A.data = model.attraction(A.data)
    A.data = A.data / (outside[A.indices] + A.data)
    return A @ w


@pytest.mark.parametrize("room_share, method", [(1.001, "cuts"), (0.8, "haase")])
def test_capacities_below_some_sites_reach_give_the_reformulations_optimum(room_share, method):
    D, w, rival_attraction = _instance(2, n_cand=10, n_dem=40)
    model, outside = ChoiceModel(), 1.0 + rival_attraction
    kw = dict(attraction=model.attraction, outside=outside, options=OPTS)
    free = solve_mnl(D, w, 2, capacitated=False, **kw)
    room = float((free.split @ w).max()) * room_share
    assert _alone(D, model, outside, w).max() > room  # a capacity may bind
    cands = Candidates.default(10, capacity=np.full(10, room), fixed_cost=np.ones(10))
    first = solve_mnl(D, w, 2, max_modules=1, candidates=cands, **kw)
    haase = solve_mnl(D, w, 2, max_modules=1, candidates=cands, method="haase", **kw)
    # the uncapacitated optimum is the capacitated one when its loads fit its sites
    assert first.stats["method"] == method
    assert first.status == haase.status == "optimal"
    assert first.objective == pytest.approx(haase.objective, rel=1e-6)
    assert float((first.split @ w).max()) <= room + 1e-6
    if method == "haase":  # the cuts' bound is kept and bounds the capacitated optimum
        assert first.stats["cuts_bound"] >= first.objective - 1e-6
