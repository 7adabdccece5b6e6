"""p-median and attendance (lockerplan.siting.median, compact, levels, substitution)."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from scipy import sparse

from lockerplan.errors import InputError
from lockerplan.siting import (
    Candidates,
    Decay,
    SiteRules,
    SolverOptions,
    from_dense,
    solve_attendance,
    solve_pmedian,
)
from tests.siting.helpers import HIGHSPY, PATHS, brute_pmedian, line_instance


@pytest.mark.parametrize(("solver", "via"), PATHS)
def test_pmedian_matches_brute_force(solver, via):
    d, w = line_instance()
    for p in (1, 3):
        opts = SolverOptions(solver=solver, via=via, time_limit_s=30)
        res = solve_pmedian(from_dense(d), w, p, options=opts)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(brute_pmedian(d, w, p))
        assert res.best_bound == pytest.approx(res.objective)
        assert len(res.open_sites) == p
        assert np.all(res.assignment >= 0)


def test_pmedian_warm_lp_rounds_match_cold_ones():
    """Raising caps in place (highspy) reaches the same LP bound as rebuilding each round."""
    from lockerplan.siting.levels import (
        LevelModel,
        raise_caps,
        refine_caps_lp,
        refine_caps_warm_lp,
    )
    from lockerplan.siting.substitution import heuristic, true_costs

    d, w = line_instance(n=80, seed=9)
    C = from_dense(d)  # keeps the zero diagonal: a site serves its own point
    U = np.full(80, np.inf)
    cands = Candidates.default(80)
    rules = SiteRules(max_sites=4)
    mask = np.zeros(80, bool)
    mask[heuristic(C, w, U, 4, cands.forced_open, ~cands.excluded)] = True
    lm = LevelModel(C, U)
    cost, _ = true_costs(C, U, mask)
    caps0 = raise_caps(lm, cost, cost, slack=0)  # tight caps: several rounds needed
    out = {}
    for name, refine in (("cold", refine_caps_lp), ("warm", refine_caps_warm_lp)):
        caps, rounds, _, lp = refine(
            lm, w, caps0.copy(), cands, rules, HIGHSPY, time.perf_counter() + 60
        )
        out[name] = (caps, rounds, lp.objective)
    assert out["warm"][1] == out["cold"][1] > 1
    assert out["warm"][2] == pytest.approx(out["cold"][2], rel=1e-9)
    np.testing.assert_array_equal(out["warm"][0], out["cold"][0])
    best = solve_pmedian(C, w, 4, options=HIGHSPY)
    assert best.status == "optimal" and out["warm"][2] <= best.objective + 1e-6  # a bound


def test_pmedian_unserved_penalty_and_infeasible():
    D = sparse.csr_matrix(([0.0, 0.0, 10.0], ([0, 1, 1], [0, 1, 2])), shape=(2, 4))
    w = np.array([1.0, 1.0, 2.0, 3.0])
    res = solve_pmedian(D, w, 2)
    assert res.status == "infeasible" and "out of reach" in res.message
    res = solve_pmedian(D, w, 1, unserved_penalty=100.0)
    # site 1 serves 1 (0 m) and 2 (10 m); demand 0 and 3 unserved: 1*100 + 20 + 3*100
    assert res.status == "optimal" and res.objective == pytest.approx(420.0)
    assert res.unserved == pytest.approx(4.0)


def test_attendance_linear_decay():
    D = sparse.csr_matrix(([0.0, 300.0, 0.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    res = solve_attendance(D, np.array([1.0, 1.0]), 1, decay=Decay("linear", 600))
    assert res.status == "optimal" and res.objective == pytest.approx(1.5)
    res = solve_attendance(D, np.array([1.0, 1.0]), 2, decay=Decay("power", 300, beta=1.0))
    assert res.objective == pytest.approx(2.0)
    assert Decay("exponential", 100).share(np.array([100.0]))[0] == pytest.approx(np.exp(-1))
    with pytest.raises(InputError, match="decay kind"):
        Decay("gaussian")


def sparse_instance(n_cand: int, n_dem: int, seed: int, density: float = 0.3):
    """Random sparse candidate x demand costs (stored zeros kept) and weights."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_cand, n_dem)) < density
    rows, cols = np.nonzero(mask)
    costs = rng.integers(0, 50, len(rows)).astype(float)
    D = sparse.csr_matrix((costs, (rows, cols)), shape=(n_cand, n_dem))
    return D, rng.integers(1, 6, n_dem).astype(float)


def plan_cost(D, w, U, sites) -> float:
    from lockerplan.siting.substitution import true_costs

    mask = np.zeros(D.shape[0], bool)
    mask[list(sites)] = True
    return float(w @ true_costs(D, U, mask)[0])


@pytest.mark.parametrize("seed", range(6))
def test_sparse_heuristic_is_swap_optimal_and_the_exact_solve_is_brute_force(seed):
    """No single swap improves the heuristic plan; the exact solve matches brute force."""
    from lockerplan.siting.substitution import heuristic

    D, w = sparse_instance(9, 30, seed)
    U = np.full(30, 60.0)
    p = 3
    forced, allowed = np.zeros(9, bool), np.ones(9, bool)
    plan = heuristic(D, w, U, p, forced, allowed)
    cost = plan_cost(D, w, U, plan)
    best = min(plan_cost(D, w, U, s) for s in itertools.combinations(range(9), p))
    assert len(plan) == p and cost >= best - 1e-9
    for r in plan:
        for j in set(range(9)) - set(plan):
            assert plan_cost(D, w, U, (set(plan) - {r}) | {j}) >= cost - 1e-9
    res = solve_pmedian(D, w, p, unserved_penalty=60.0, options=HIGHSPY)
    assert res.status == "optimal" and res.objective == pytest.approx(best)


def test_pmedian_metro_scale_sparse_instance_is_proven_optimal():
    """2,000 sites x 50,000 demand points, ~1.4 pairs each (a 150 m walk): proven in seconds."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    sites, demand = rng.uniform(0, 1e4, (2000, 2)), rng.uniform(0, 1e4, (50_000, 2))
    near = cKDTree(sites).sparse_distance_matrix(cKDTree(demand), 150.0, output_type="coo_matrix")
    D = sparse.csr_matrix((np.round(near.data), (near.row, near.col)), shape=near.shape)
    w = rng.integers(1, 10, 50_000).astype(float)
    opts = SolverOptions(solver="highs", via="highspy", time_limit_s=60)
    res = solve_pmedian(D, w, 200, unserved_penalty=150.0, options=opts)
    assert res.status == "optimal" and res.gap == 0.0 and len(res.open_sites) == 200
    assert res.best_bound == pytest.approx(res.objective)
    assert res.objective == pytest.approx(plan_cost(D, w, np.full(50_000, 150.0), res.open_sites))
