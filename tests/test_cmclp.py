"""Capacitated maximal covering with modular cabinets (``cmclp``).

Sites are modular: a cabinet site hosts 1..max_modules modules of a fixed
capacity and cost; a pickup point has its own capacity. The model serves the
most parcels within the walk and within capacity, and buys the fewest modules
that carry what it serves.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.siting import Candidates, SiteRules, SolverOptions, solve_cmclp, solve_mclp

PATHS = [
    SolverOptions(),
    SolverOptions(solver="highs"),
    SolverOptions(solver="highs", via="highspy"),
]


def _one_cabinet(cap=60.0, cost=10.0):
    D = sparse.csr_matrix(([100.0, 200.0], ([0, 0], [0, 1])), shape=(1, 2))
    w = np.array([100.0, 100.0])
    return D, w, Candidates.default(1, capacity=np.array([cap]), fixed_cost=np.array([cost]))


@pytest.mark.parametrize("options", PATHS, ids=["cbc", "highs-pulp", "highspy"])
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
