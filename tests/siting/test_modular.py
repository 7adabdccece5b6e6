"""Capacitated maximal covering with modular cabinets (``cmclp``, lockerplan.siting.modular).

Sites are modular: a cabinet site hosts 1..max_modules modules of a fixed
capacity and cost; a pickup point has its own capacity. The model serves the
most parcels within the walk and within capacity, and buys the fewest modules
that carry what it serves.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.errors import InputError
from lockerplan.siting import (
    Candidates,
    SiteRules,
    SitingResult,
    SolverOptions,
    from_dense,
    solve_cmclp,
    solve_mclp,
)
from tests.siting.helpers import PATHS, check_allocation, line_instance

OPTIONS = [
    SolverOptions(),
    SolverOptions(solver="highs"),
    SolverOptions(solver="highs", via="highspy"),
]


def _one_cabinet(cap=60.0, cost=10.0):
    D = sparse.csr_matrix(([100.0, 200.0], ([0, 0], [0, 1])), shape=(1, 2))
    w = np.array([100.0, 100.0])
    return D, w, Candidates.default(1, capacity=np.array([cap]), fixed_cost=np.array([cost]))


@pytest.mark.parametrize("options", OPTIONS, ids=["cbc", "highs-pulp", "highspy"])
def test_modules_grow_with_demand_up_to_the_limit(options):
    D, w, cands = _one_cabinet()
    two = solve_cmclp(D, w, 1, max_modules=2, candidates=cands, options=options)
    assert two.status == "optimal"
    assert two.objective == pytest.approx(120.0) and two.modules.tolist() == [2]
    four = solve_cmclp(D, w, 1, max_modules=4, candidates=cands, options=options)
    assert four.objective == pytest.approx(200.0) and four.modules.tolist() == [4]
    # a budget buys modules: 25 per day is two modules of 10
    poor = solve_cmclp(D, w, 1, max_modules=4, candidates=cands, rules=SiteRules(budget=25.0))
    assert poor.objective == pytest.approx(120.0) and poor.modules.tolist() == [2]


def test_served_is_the_objective_and_no_site_is_over_capacity():
    rng = np.random.default_rng(3)
    n_cand, n_dem = 12, 60
    dist = rng.uniform(0, 800, size=(n_cand, n_dem))
    r, c = np.nonzero(dist < 400)
    D = sparse.csr_matrix((dist[r, c], (r, c)), shape=dist.shape)
    w = rng.uniform(1, 30, size=n_dem)
    kind = np.where(np.arange(n_cand) % 3 == 0, "pickup_point", "cabinet").astype(object)
    cap = np.where(kind == "cabinet", 40.0, 50.0)
    cands = Candidates.default(n_cand, kind=kind, capacity=cap, fixed_cost=np.full(n_cand, 5.0))
    rules = SiteRules(cutoff_per_kind={"pickup_point": 250.0})
    res = solve_cmclp(D, w, 4, max_modules=3, candidates=cands, rules=rules)
    assert res.status == "optimal"
    assert res.served.sum() == pytest.approx(res.objective, abs=1e-6)
    assert (res.served <= w + 1e-9).all()
    # a pickup point never serves beyond its own cutoff
    for i, j in enumerate(res.assignment):
        if j >= 0 and kind[j] == "pickup_point":
            assert D[j, i] <= 250.0
    # the served load fits the modules, and one module less would not carry it
    modules = dict(zip(res.open_sites.tolist(), res.modules.tolist(), strict=True))
    for j, m in modules.items():
        assert 1 <= m <= (3 if kind[j] == "cabinet" else 1)
    assert res.assigned_m[res.assignment >= 0].max() <= 400.0


def test_huge_capacity_is_the_mclp():
    rng = np.random.default_rng(7)
    dist = rng.uniform(0, 900, size=(15, 80))
    r, c = np.nonzero(dist < 300)
    D = sparse.csr_matrix((dist[r, c], (r, c)), shape=dist.shape)
    w = rng.uniform(1, 20, size=80)
    big = Candidates.default(15, capacity=np.full(15, 1e6))
    assert solve_cmclp(D, w, 5, candidates=big).objective == pytest.approx(
        solve_mclp(D, w, 5).objective, rel=1e-9
    )


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_sites_that_cannot_fill_their_modules_need_no_shares(seed, monkeypatch):
    """The reduced first solve (roomy sites without shares) has the full model's optimum."""
    from lockerplan.siting import modular

    rng = np.random.default_rng(seed)
    n_cand, n_dem = 14, 70
    dist = rng.uniform(0, 900, size=(n_cand, n_dem))
    r, c = np.nonzero(dist < 350)
    D = sparse.csr_matrix((dist[r, c], (r, c)), shape=dist.shape)
    w = rng.uniform(1, 12, size=n_dem)
    # some sites hold everything they reach with their modules, some do not
    cap = np.where(np.arange(n_cand) % 2 == 0, 8.0, 80.0)
    cands = Candidates.default(n_cand, capacity=cap, fixed_cost=np.full(n_cand, 5.0))
    options = SolverOptions(solver="highs", via="highspy")
    reduced = solve_cmclp(D, w, 4, max_modules=3, candidates=cands, options=options)
    assert 0 < reduced.stats["capacity_bound_sites"] < n_cand
    monkeypatch.setattr(modular.Roomy, "of", classmethod(lambda cls, model: None))
    full = solve_cmclp(D, w, 4, max_modules=3, candidates=cands, options=options)
    assert reduced.status == full.status == "optimal"
    assert reduced.objective == pytest.approx(full.objective, rel=1e-9)
    assert (reduced.load <= cap[reduced.open_sites] * reduced.modules + 1e-6).all()


def one_cabinet(max_modules: int, budget: float | None = None) -> SitingResult:
    """Two clusters of 100 parcels/day within reach of one cabinet of 60 per module."""
    D = sparse.csr_matrix(([100.0, 200.0], ([0, 0], [0, 1])), shape=(1, 2))
    cands = Candidates.default(1, capacity=[60.0], fixed_cost=[10.0])
    return solve_cmclp(
        D,
        np.array([100.0, 100.0]),
        None if budget else 1,
        max_modules=max_modules,
        candidates=cands,
        rules=SiteRules(budget=budget),
    )


def test_cmclp_capacity_binds():
    r = one_cabinet(2)
    assert (r.status, r.objective, r.modules.tolist(), r.load.tolist()) == (
        "optimal",
        120.0,
        [2],
        [120.0],
    )
    assert r.served.sum() == 120.0 and r.unserved == 80.0 and "beyond the capacity" in r.message
    r = one_cabinet(4)
    assert (r.objective, r.modules.tolist(), r.served.tolist()) == (200.0, [4], [100.0, 100.0])
    assert r.message == "" and r.assignment.tolist() == [0, 0]
    r = one_cabinet(4, budget=30.0)  # three modules of 10 per day
    assert (r.objective, r.modules.tolist()) == (30.0 / 10.0 * 60.0, [3])
    with pytest.raises(InputError, match="max_modules must be a whole number"):
        one_cabinet(0)


@pytest.mark.parametrize(("solver", "via"), PATHS)
def test_cmclp_pickup_capacity_and_cutoff(solver, via):
    # cabinet 0 reaches demand 1, 2; pickup point 1 reaches 0 and 2 (demand 1 is 250 m
    # away, beyond its 200 m cutoff)
    D = sparse.csr_matrix(
        ([300.0, 450.0, 50.0, 250.0, 100.0], ([0, 0, 1, 1, 1], [1, 2, 0, 1, 2])), shape=(2, 3)
    )
    w = np.array([50.0, 40.0, 10.0])
    cands = Candidates.default(
        2, kind=["cabinet", "pickup_point"], capacity=[20.0, 30.0], fixed_cost=[5.0, 3.0]
    )
    rules = SiteRules(cutoff_per_kind={"pickup_point": 200.0})
    opts = SolverOptions(solver=solver, via=via)
    r = solve_cmclp(D, w, 2, max_modules=1, candidates=cands, rules=rules, options=opts)
    assert r.status == "optimal" and r.objective == pytest.approx(50.0)
    assert r.open_sites.tolist() == [0, 1] and r.modules.tolist() == [1, 1]
    np.testing.assert_allclose(r.load, [20.0, 30.0])
    assert r.assignment[1] == 0  # never the pickup point beyond its cutoff
    prepared = D.tolil()
    prepared[1, 1] = 0.0
    prepared = sparse.csr_matrix(prepared)
    prepared.eliminate_zeros()
    check_allocation(r, prepared, w)
    assert np.all(r.assigned_m[r.assignment == 1] <= 200.0)
    # two modules: the cabinet serves demand 1 whole, the pickup point 30 of the rest
    r = solve_cmclp(D, w, 2, max_modules=2, candidates=cands, rules=rules, options=opts)
    assert r.objective == pytest.approx(70.0) and r.modules.tolist() == [2, 1]
    assert r.served[1] == pytest.approx(40.0) and r.assignment[1] == 0


def check_cmclp(r: SitingResult, D, w, cands: Candidates, max_modules: int) -> None:
    """Served parcels add up, no site exceeds its modules, and no module is spare."""
    assert r.status == "optimal"
    assert r.objective == pytest.approx(r.served.sum()) == pytest.approx(r.load.sum())
    assert np.all(r.served <= w + 1e-9) and np.all(r.served[r.assignment < 0] == 0)
    assert np.all((r.served > 0) <= (r.assignment >= 0))
    cap = cands.capacity[r.open_sites]
    assert np.all(r.load <= cap * r.modules + 1e-9)  # no site over capacity
    assert np.all(r.load > cap * (r.modules - 1) + 1e-9)  # one module less would not carry it
    pickup = cands.kind[r.open_sites] == "pickup_point"
    assert np.all(r.modules[pickup] == 1) and np.all(r.modules <= max_modules)
    check_allocation(r, D, w)
    assert r.unserved == pytest.approx(w.sum() - r.objective)


@pytest.mark.parametrize(
    ("rules", "sites"),
    [
        (SiteRules(), 3),
        (SiteRules(budget=40.0), None),
        (SiteRules(max_per_kind={"pickup_point": 1}), 4),
        (SiteRules(min_spacing_m=300.0), 3),
    ],
    ids=["sites", "budget", "per-kind", "spacing"],
)
def test_cmclp_served_load_and_fewest_modules(rules, sites):
    d, w = line_instance(n=16, seed=8)
    w = w * 6.0
    D = from_dense(d, cutoff=350.0)
    kinds = np.array(["cabinet", "cabinet", "pickup_point", "cabinet"] * 4)
    cands = Candidates.default(
        16,
        kind=kinds,
        capacity=np.where(kinds == "cabinet", 25.0, 40.0),
        fixed_cost=np.where(kinds == "cabinet", 6.0, 4.0),
        forced_open=np.arange(16) == 5,
    )
    if rules.min_spacing_m:
        rules.site_distances = from_dense(d, cutoff=rules.min_spacing_m)
    r = solve_cmclp(D, w, sites, max_modules=3, candidates=cands, rules=rules)
    check_cmclp(r, D, w, cands, 3)
    assert 5 in r.open_sites
    assert sites is None or len(r.open_sites) <= sites
    if rules.budget is not None:
        assert cands.fixed_cost[r.open_sites] @ r.modules <= rules.budget + 1e-9
    for kind, limit in rules.max_per_kind.items():
        assert (kinds[r.open_sites] == kind).sum() <= limit
    if rules.min_spacing_m:
        sub = d[np.ix_(r.open_sites, r.open_sites)]
        assert np.all(sub[~np.eye(len(sub), dtype=bool)] >= 300.0)
    assert r.unserved > 0  # capacity binds somewhere on this instance


def test_cmclp_module_steps_keep_the_parcels_and_cut_the_cost():
    d, w = line_instance(n=16, seed=8)
    D = from_dense(d, cutoff=350.0)
    cands = Candidates.default(16, capacity=np.full(16, 10.0), fixed_cost=np.arange(16) % 3 + 1.0)
    results = {
        step: solve_cmclp(D, w * 4.0, 4, candidates=cands, minimise_modules=step)
        for step in ("none", "sites", "plan")
    }
    cost = {k: cands.fixed_cost[r.open_sites] @ r.modules for k, r in results.items()}
    for r in results.values():
        check_cmclp(r, D, w * 4.0, cands, 4)
        assert r.objective == pytest.approx(results["none"].objective)
    assert cost["plan"] <= cost["sites"] <= cost["none"]
    assert results["plan"].stats["module_step"]["over"] == "plan"
    assert "module_step" not in results["none"].stats
    with pytest.raises(InputError, match="minimise_modules must be one of sites, plan, none"):
        solve_cmclp(D, w, 4, candidates=cands, minimise_modules="all")


@pytest.mark.parametrize("capacity", [np.inf, 1e6])
def test_cmclp_equals_mclp_without_binding_capacity(capacity):
    d, w = line_instance(n=14, seed=11)
    D = from_dense(d, cutoff=400.0)
    kinds = ["cabinet", "pickup_point"] * 7
    cands = Candidates.default(
        14, kind=kinds, capacity=np.full(14, capacity), fixed_cost=np.tile([3.0, 1.0], 7)
    )
    rules = SiteRules(cutoff_per_kind={"pickup_point": 250.0})
    for sites in (2, 4):
        mclp = solve_mclp(D, w, sites, candidates=cands, rules=rules)
        cmclp = solve_cmclp(D, w, sites, candidates=cands, rules=rules)
        assert cmclp.objective == pytest.approx(mclp.objective)
        assert cmclp.modules.tolist() == [1] * len(cmclp.open_sites)
    budget = SiteRules(budget=5.0, cutoff_per_kind={"pickup_point": 250.0})
    mclp = solve_mclp(D, w, None, candidates=cands, rules=budget)
    assert solve_cmclp(D, w, None, candidates=cands, rules=budget).objective == pytest.approx(
        mclp.objective
    )


def test_cmclp_paths_agree():
    """highspy, CBC and HiGHS through PuLP: the same parcels served and module cost."""
    rng = np.random.default_rng(2)
    m, n = 10, 50
    d = rng.uniform(0, 900, size=(m, n))
    D = from_dense(np.where(d <= 400, d, np.inf))
    w = rng.integers(0, 12, size=n).astype(float)
    kinds = np.where(np.arange(m) % 3 == 0, "pickup_point", "cabinet")
    cands = Candidates.default(
        m, kind=kinds, capacity=np.where(kinds == "cabinet", 20.0, 30.0), fixed_cost=np.ones(m)
    )
    results = [
        solve_cmclp(D, w, 3, candidates=cands, options=SolverOptions(solver=s, via=v))
        for s, v in PATHS
    ]
    for r, path in zip(results, PATHS, strict=True):
        assert (r.solver, r.via) == path
        check_cmclp(r, D, w, cands, 4)
        assert r.objective == pytest.approx(results[0].objective)
        assert r.modules.sum() == results[0].modules.sum()  # the same module cost (1 each)


def test_cmclp_time_limit_reports_its_incumbent():
    rng = np.random.default_rng(3)
    m, n = 300, 1500  # HiGHS needs minutes to prove this one
    xy_c, xy_d = rng.uniform(0, 4000, (m, 2)), rng.uniform(0, 4000, (n, 2))
    d = np.linalg.norm(xy_c[:, None] - xy_d[None], axis=2)
    D = from_dense(np.where(d <= 400, d, np.inf))
    w = rng.lognormal(0.5, 0.8, n)
    cands = Candidates.default(m, capacity=np.full(m, 60.0), fixed_cost=np.ones(m))
    opts = SolverOptions(solver="highs", via="highspy", time_limit_s=1.0)
    r = solve_cmclp(D, w, 20, candidates=cands, options=opts)
    assert r.status in ("feasible", "optimal")
    assert r.objective >= r.stats["greedy_served"] - 1e-6  # never worse than its start
    assert r.best_bound >= r.objective and np.isfinite(r.best_bound)
    if r.status == "feasible":
        assert r.gap == pytest.approx((r.best_bound - r.objective) / r.best_bound)
    else:
        assert r.gap == 0.0
    check_cmclp(replace_status(r), D, w, cands, 4)


def replace_status(r: SitingResult) -> SitingResult:
    """The result marked optimal, for the checks that hold for any returned plan."""
    from dataclasses import replace

    return replace(r, status="optimal")
