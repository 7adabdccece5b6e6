"""CFLP (lockerplan.siting.capacitated, lagrangian) and starts the MILP accepts (milp)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.siting import (
    Candidates,
    SolverOptions,
    from_dense,
    solve_cflp,
)
from tests.siting.helpers import HIGHSPY, PATHS


@pytest.mark.parametrize(("solver", "via"), PATHS)
def test_cflp_single_vs_split(solver, via):
    D = from_dense(np.array([[1.0, 1.0], [3.0, 3.0]]))
    cands = Candidates.default(2, capacity=[10.0, 100.0], fixed_cost=[0.0, 0.0])
    w = np.array([6.0, 6.0])
    # cost = w * d: split puts 10 parcels on site 0 -> 6 + 4 + 2*3 = 16 (per parcel-metre)
    opts = SolverOptions(solver=solver, via=via)
    split = solve_cflp(D, w, candidates=cands, single_source=False, options=opts)
    single = solve_cflp(D, w, candidates=cands, single_source=True, options=opts)
    assert split.status == single.status == "optimal"
    assert split.objective == pytest.approx(6 + 4 * 1 + 2 * 3)
    assert single.objective == pytest.approx(6 + 18)


def test_cflp_capacity_shortfall_in_words():
    D = from_dense(np.zeros((2, 2)))
    cands = Candidates.default(2, capacity=[2000.0, 2000.0], fixed_cost=[1.0, 1.0])
    w = np.array([2600.0, 2600.0])
    res = solve_cflp(D, w, candidates=cands, unserved_penalty=None)
    assert res.status == "infeasible"
    assert "capacity 4,000 parcels/day < demand 5,200 parcels/day" in res.message
    res = solve_cflp(D, w, candidates=cands, single_source=False)  # penalty: always feasible
    assert res.status == "optimal" and res.unserved == pytest.approx(1200.0)
    assert "1,200 parcels/day left unserved" in res.message


def test_cflp_lagrangian_fixing_keeps_the_optimum():
    """Sites fixed by the Lagrangian bound never cut off the optimum (split demand)."""
    rng = np.random.default_rng(5)
    m, n = 30, 200
    d = rng.uniform(0, 1500, size=(m, n))
    D = sparse.csr_matrix(np.where(d <= 900, d + 1.0, 0.0))  # walking cutoff 900 m
    w = rng.integers(1, 20, size=n).astype(float)
    w[:5] = 0.0  # demand points without parcels
    forced = np.zeros(m, bool)
    forced[3] = True
    excluded = np.zeros(m, bool)
    excluded[7] = True
    cands = Candidates.default(
        m,
        capacity=np.full(m, w.sum() / 5),
        fixed_cost=rng.uniform(1e5, 3e5, size=m),
        forced_open=forced,
        excluded=excluded,
    )
    kw = dict(candidates=cands, single_source=False, options=HIGHSPY)
    for penalty in ("auto", None):
        with_fixing = solve_cflp(D, w, unserved_penalty=penalty, lagrangian=True, **kw)
        plain = solve_cflp(D, w, unserved_penalty=penalty, lagrangian=False, **kw)
        assert with_fixing.status == plain.status == "optimal"
        assert with_fixing.objective == pytest.approx(plain.objective, rel=1e-7)
        lag = with_fixing.stats["lagrangian"]
        assert lag["bound"] <= plain.objective * (1 + 1e-9)  # a valid lower bound
        assert lag["best_plan"] >= plain.objective * (1 - 1e-9)  # a real plan
        assert lag["sites_fixed_closed"] > 0
        assert 3 in with_fixing.open_sites and 7 not in with_fixing.open_sites
        assert "lagrangian" not in plain.stats
    # through PuLP the plan found by the Lagrangian phase starts CBC and HiGHS too
    for solver in ("cbc", "highs"):
        res = solve_cflp(
            D,
            w,
            candidates=cands,
            single_source=False,
            unserved_penalty=None,  # as the last `plain`
            lagrangian=True,
            options=SolverOptions(solver=solver, via="pulp"),
        )
        assert res.status == "optimal"
        assert res.objective == pytest.approx(plain.objective, rel=1e-7)


@pytest.mark.parametrize(("solver", "via"), PATHS)
def test_start_a_rounding_error_above_a_bound_is_accepted(solver, via):
    """A start from an LP may overshoot a bound by 2e-16: every path still takes it."""
    from lockerplan.siting.milp import MilpBuilder, solve_milp

    b = MilpBuilder()
    x = b.add_columns("x", cost=[1.0, 2.0], lb=0.0, ub=1.0)
    _ = b.add_rows("need", [0, 0], x, [1.0, 1.0], lo=[1.0])
    start = np.array([1.0000000000000002, 0.0])
    out = solve_milp(b.build(), SolverOptions(solver=solver, via=via), start=start)
    assert out.status == "optimal" and out.objective == pytest.approx(1.0)
