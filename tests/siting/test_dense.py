"""Maximal covering where coverage is dense: the decomposition, the swap search, the bounds.

The decomposition (``method="benders"``) must reach the optimum of the textbook
MILP; the swap search must never return less than the greedy plan it starts
from; and a solve stopped by a short time limit must still report a finite
bound and gap.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import optimize, sparse

from lockerplan.siting import Candidates, SiteRules, SolverOptions, solve_lscp, solve_mclp
from lockerplan.siting.cover_search import (
    CoverPairs,
    iterated_local_search,
    local_search,
    weighted_search,
)
from lockerplan.siting.greedy import Greedy

HIGHS = SolverOptions(solver="highs", via="highspy", time_limit_s=60)


def _dense(seed: int, n: int = 120, per_point: float = 25.0):
    """``n`` points that are demand and candidates, each reaching about ``per_point``."""
    rng = np.random.default_rng(seed)
    side = 1000.0
    radius = side * np.sqrt(per_point / (np.pi * n))
    xy = rng.uniform(0, side, size=(n, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    r, c = np.nonzero(d <= radius)
    D = sparse.csr_matrix((d[r, c], (r, c)), shape=(n, n))
    w = rng.integers(1, 50, size=n).astype(float)
    return D, w


def _textbook(D: sparse.csr_matrix, w: np.ndarray, p: int) -> float:
    """max w @ z, z_i <= sum_{j reaches i} y_j, sum y <= p (scipy's HiGHS, no reduction)."""
    n_cand, n_dem = D.shape
    coo = D.tocoo()
    cover = sparse.csr_matrix(
        (
            np.r_[np.ones(n_dem), -np.ones(coo.nnz)],
            (np.r_[np.arange(n_dem), coo.col], np.r_[n_cand + np.arange(n_dem), coo.row]),
        ),
        shape=(n_dem, n_cand + n_dem),
    )
    count = sparse.csr_matrix(np.r_[np.ones(n_cand), np.zeros(n_dem)])
    res = optimize.milp(
        np.r_[np.zeros(n_cand), -w],
        integrality=np.r_[np.ones(n_cand), np.zeros(n_dem)],
        bounds=optimize.Bounds(0, 1),
        constraints=[
            optimize.LinearConstraint(cover, -np.inf, 0),
            optimize.LinearConstraint(count, -np.inf, p),
        ],
        options={"mip_rel_gap": 0.0},
    )
    assert res.status == 0, res.message
    return -float(res.fun)


@pytest.mark.parametrize("seed", range(8))
def test_benders_reaches_the_textbook_optimum(seed):
    D, w = _dense(seed)
    p = 3 + seed % 4
    ours = solve_mclp(D, w, p, options=HIGHS, method="benders")
    plain = _textbook(D, w, p)
    assert ours.stats["method"] == "benders"
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(plain, abs=1e-6)
    assert ours.best_bound >= plain - 1e-6
    assert len(ours.open_sites) <= p
    assert w[ours.covered].sum() == pytest.approx(ours.objective)


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize(("seed", "p"), [(300, 6), (301, 7), (304, 7), (308, 7)])
def test_benders_near_covering_everything(seed, p, whole):
    """The LP covers every point, no plan does: whole weights (rounded bounds, fixing
    below the best plan plus one, integer master) and parcels alike reach the
    textbook optimum."""
    D, w = _dense(seed)
    if not whole:
        w = w * 0.37
    ours = solve_mclp(D, w, p, options=HIGHS, method="benders")
    plain = _textbook(D, w, p)
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(plain, abs=1e-6)
    assert plain - 1e-6 <= ours.best_bound <= plain + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_benders_equals_the_direct_milp_under_site_rules(seed):
    """Forced and excluded sites and a per-kind limit: both methods, the same optimum."""
    D, w = _dense(100 + seed, n=100, per_point=30.0)
    rng = np.random.default_rng(seed)
    n = D.shape[0]
    kind = np.where(rng.random(n) < 0.3, "pickup_point", "cabinet")
    forced = np.zeros(n, dtype=bool)
    forced[rng.choice(n, 1)] = True
    excluded = np.zeros(n, dtype=bool)
    excluded[rng.choice(np.flatnonzero(~forced), 10, replace=False)] = True
    cands = Candidates.default(n, kind=kind, forced_open=forced, excluded=excluded)
    rules = SiteRules(max_per_kind={"pickup_point": 1})
    kw = {"candidates": cands, "rules": rules, "options": HIGHS}
    ours = solve_mclp(D, w, 5, method="benders", **kw)
    direct = solve_mclp(D, w, 5, method="direct", **kw)
    assert ours.status == direct.status == "optimal"
    assert ours.objective == pytest.approx(direct.objective, abs=1e-6)
    assert forced[ours.open_sites].sum() == 1
    assert not excluded[ours.open_sites].any()
    assert (kind[ours.open_sites] == "pickup_point").sum() <= 1


def _greedy_plan(D, w, p):
    """Pairs of the instance and the greedy plan (the start every MCLP is searched from)."""
    n = D.shape[0]
    coo = D.tocoo()
    reach = np.bincount(coo.row, weights=w[coo.col], minlength=n)
    rules, cands = SiteRules(max_sites=p), Candidates.default(n)
    model = SimpleNamespace(
        rows=coo.row,
        cols=coo.col,
        demand=w,
        room=np.maximum(reach, 1e-9),
        most=np.ones(n),
        cands=cands,
        rules=rules,
    )
    greedy = Greedy(model).run() > 0
    return CoverPairs.of(coo.row, coo.col, w, n), greedy, cands, rules


@pytest.mark.parametrize("seed", range(10))
def test_the_swap_search_never_covers_less_than_greedy(seed):
    D, w = _dense(200 + seed, n=150, per_point=15.0)
    pairs, greedy, cands, rules = _greedy_plan(D, w, 6)
    mask, stats = iterated_local_search(pairs, greedy, cands, rules, seed=seed, time_limit_s=5)
    assert mask.sum() <= 6
    assert (
        pairs.covered(mask) == stats["covered"] >= pairs.covered(greedy) == stats["start_covered"]
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_weighted_search_never_covers_less_and_stops_at_a_full_cover(seed):
    """The search weighing uncovered groups keeps the best true coverage; where a plan
    of ``p`` sites covers everything (the textbook optimum says so), it finds one."""
    D, w = _dense(300 + seed)
    p = 7
    pairs, greedy, cands, rules = _greedy_plan(D, w, p)
    mask, stats = weighted_search(pairs, greedy, cands, rules, time_limit_s=5)
    assert mask.sum() <= p
    assert pairs.covered(mask) == stats["covered"] >= stats["start_covered"]
    if _textbook(D, w, p) == w.sum():
        assert stats["covered"] == w.sum()


def test_the_swap_search_stops_where_no_swap_gains():
    """Every single swap of the local optimum, tried one by one, covers no more."""
    D, w = _dense(7, n=60, per_point=10.0)
    pairs, greedy, cands, rules = _greedy_plan(D, w, 4)
    mask = local_search(pairs, greedy, cands, rules, deadline=np.inf)
    value = pairs.covered(mask)
    for r in np.flatnonzero(mask):
        for j in np.flatnonzero(~mask):
            trial = mask.copy()
            trial[r], trial[j] = False, True
            assert pairs.covered(trial) <= value + 1e-9


@pytest.fixture(scope="module")
def hard():
    """3,000 points, about 60 sites reaching each: no solver proves 40 sites in 1 s."""
    return _dense(1, n=3000, per_point=60.0)


@pytest.mark.parametrize(
    "options, method",
    [
        (SolverOptions(solver="highs", via="highspy", time_limit_s=1), "auto"),
        (SolverOptions(solver="highs", via="highspy", time_limit_s=1), "direct"),
        (SolverOptions(solver="cbc", time_limit_s=1), "direct"),
    ],
    ids=["highs-auto", "highs-direct", "cbc-direct"],
)
def test_a_solve_stopped_after_one_second_has_a_finite_bound_and_gap(hard, options, method):
    D, w = hard
    res = solve_mclp(D, w, 40, options=options, method=method)
    assert res.status in ("feasible", "optimal")
    assert np.isfinite(res.best_bound) and np.isfinite(res.gap)
    assert res.objective <= res.best_bound + 1e-6
    assert 0.0 <= res.gap < 1.0
    # never below the start it was given
    assert res.objective >= res.stats["start_search"]["covered"] >= res.stats["greedy_covered"]


def test_a_set_covering_stopped_early_has_a_finite_bound(hard):
    D, w = hard
    res = solve_lscp(D, w, options=SolverOptions(solver="cbc", time_limit_s=1))
    assert res.status in ("feasible", "optimal")
    assert np.isfinite(res.best_bound) and np.isfinite(res.gap)
    assert 0 <= res.best_bound <= res.objective


def _capacitated(seed: int, n: int = 80):
    """Dense points with room for part of what each site reaches (capacity binds)."""
    D, w = _dense(300 + seed, n=n, per_point=20.0)
    cap = np.full(n, float(np.median(D.astype(bool) @ w)) / 6)
    return D, w, Candidates.default(n, capacity=cap)


@pytest.mark.parametrize("seed", range(6))
def test_the_capacity_swap_search_never_serves_less_than_greedy(seed):
    from lockerplan.siting.capacity_search import CapacityFlow, swap_search

    D, w, cands = _capacitated(seed)
    coo = D.tocoo()
    flow = CapacityFlow(coo.row, coo.col, w, cands.capacity)
    model = SimpleNamespace(
        rows=coo.row,
        cols=coo.col,
        demand=w,
        room=cands.capacity,
        most=np.ones(len(w)),
        cands=cands,
        rules=SiteRules(max_sites=5),
    )
    greedy = Greedy(model).run() > 0
    mask, stats = swap_search(flow, greedy, cands, model.rules, deadline=np.inf)
    assert mask.sum() <= 5
    assert stats["served"] == flow.served(mask) >= flow.served(greedy) == stats["start_served"]


@pytest.mark.parametrize("seed", range(4))
def test_cmclp_never_returns_less_than_its_searched_start(seed):
    """Even stopped at once, the capacitated plan serves what its start serves."""
    from lockerplan.siting import solve_cmclp

    D, w, cands = _capacitated(seed, n=300)
    opts = SolverOptions(solver="highs", via="highspy", time_limit_s=0.5)
    res = solve_cmclp(D, w, 8, max_modules=1, candidates=cands, options=opts)
    start = res.stats["start_search"]
    assert res.objective >= max(start["served"], res.stats["greedy_served"]) - 1e-6
    assert np.isfinite(res.best_bound) and res.objective <= res.best_bound + 1e-6


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("minimise", ["sites", "cost"])
def test_the_set_cover_decomposition_equals_the_direct_milp(seed, minimise):
    D, w = _dense(400 + seed, n=90, per_point=12.0)
    rng = np.random.default_rng(seed)
    n = D.shape[0]
    cost = rng.integers(1, 9, size=n).astype(float)
    forced = np.zeros(n, dtype=bool)
    forced[rng.choice(n, 2, replace=False)] = True
    cands = Candidates.default(n, fixed_cost=cost, forced_open=forced)
    kw = {"minimise": minimise, "candidates": cands, "options": HIGHS}
    ours = solve_lscp(D, w, method="benders", **kw)
    direct = solve_lscp(D, w, method="direct", **kw)
    assert ours.stats["method"] == "benders" and direct.stats["method"] == "direct"
    assert ours.status == direct.status == "optimal"
    assert ours.objective == pytest.approx(direct.objective)
    assert ours.best_bound == pytest.approx(ours.objective)
    assert forced[ours.open_sites].sum() == 2
    assert ours.covered.all()


@pytest.mark.parametrize("seed", range(3))
def test_set_covering_with_fewer_sites_keeps_the_optimum_and_the_forced_site(seed):
    """Counting sites, the search for covers with fewer sites runs before the MILP:
    the answer is still the direct MILP's optimum, with the forced site open."""
    D, w = _dense(500 + seed, n=400, per_point=30.0)
    n = D.shape[0]
    forced = np.zeros(n, dtype=bool)
    forced[seed] = True
    cands = Candidates.default(n, forced_open=forced)
    ours = solve_lscp(D, w, method="benders", candidates=cands, options=HIGHS)
    direct = solve_lscp(D, w, method="direct", candidates=cands, options=HIGHS)
    assert ours.status == direct.status == "optimal"
    assert ours.objective == direct.objective == len(ours.open_sites)
    assert ours.stats["benders"]["fewer_sites"] >= ours.objective
    assert forced[ours.open_sites].sum() == 1 and ours.covered.all()


def test_set_covering_searches_on_where_the_milp_does_not_prove(monkeypatch):
    """Where the dual bound is far below the cover and the MILP has no time, the rest
    goes to the ever more patient search: a cover of every point, never more sites
    than the dual's plan, within the time limit."""
    from lockerplan.siting import set_cover

    monkeypatch.setattr(set_cover, "WIDE_MILP_SHARE", 0.0)
    D, w = _dense(77, n=900, per_point=60.0)
    limit = 3.0
    res = solve_lscp(D, w, method="benders", options=replace(HIGHS, time_limit_s=limit))
    stats = res.stats["benders"]
    assert res.covered.all() and res.objective == len(res.open_sites)
    assert res.objective <= stats["root_cost"] and res.objective >= res.best_bound
    assert stats["seconds"] <= limit + 1.0


def test_set_covering_root_bound_is_the_lp_bound():
    """The decomposition's root bound for set covering is the LP relaxation's (its
    multipliers are the LP's duals), not a weaker subgradient value."""
    D, w = _dense(91, n=500, per_point=40.0)
    res = solve_lscp(D, w, method="benders", options=HIGHS)
    R = D.tocsr().copy()
    R.data[:] = 1.0
    lp = optimize.linprog(
        np.ones(R.shape[0]), A_ub=-R.T, b_ub=-np.ones(R.shape[1]), bounds=(0, 1), method="highs"
    )
    # dominated sites are left out, which can only raise the LP
    assert res.stats["benders"]["root_bound"] >= lp.fun - 1e-6
    assert res.best_bound >= np.ceil(lp.fun - 1e-6)


def test_set_covering_without_the_lp_falls_back_on_the_subgradient(monkeypatch):
    """Where the LP is not solved in its share of the time, the subgradient steps from
    Beasley's start give the bound: the answer is still the direct MILP's optimum."""
    from lockerplan.siting import set_cover

    monkeypatch.setattr(set_cover, "_lp_duals", lambda *args: None)
    D, w = _dense(92, n=400, per_point=30.0)
    ours = solve_lscp(D, w, method="benders", options=HIGHS)
    direct = solve_lscp(D, w, method="direct", options=HIGHS)
    assert ours.status == direct.status == "optimal"
    assert ours.objective == direct.objective == len(ours.open_sites) and ours.covered.all()
