"""MCLP and LSCP (lockerplan.siting.coverage): hand-checkable cases, rules, starts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.siting import (
    SOLVERS,
    Candidates,
    SiteRules,
    SitingResult,
    SolverOptions,
    from_dense,
    solve_lscp,
    solve_mclp,
)
from tests.siting.helpers import HIGHSPY, PATHS


def test_mclp_keeps_plan_signature():
    D = sparse.csr_matrix(([100.0, 50.0, 80.0], ([0, 1, 1], [0, 1, 2])), shape=(2, 3))
    res = solve_mclp(
        D,
        np.array([5.0, 1.0, 2.0]),
        1,
        options=SolverOptions(solver="cbc", time_limit_s=10, gap_rel=0.0, seed=0),
    )
    assert isinstance(res, SitingResult)
    assert (res.status, res.objective, res.best_bound, res.gap) == ("optimal", 5.0, 5.0, 0.0)
    assert res.open_sites.tolist() == [0]
    assert res.covered.tolist() == [True, False, False]
    assert res.solver == "cbc" and res.model == "mclp" and res.build_s >= 0 and res.solve_s >= 0
    assert set(SOLVERS) == {"cbc", "highs"}


@pytest.mark.parametrize(("solver", "via"), PATHS)
def test_mclp_options_all_paths(solver, via):
    # 3 candidates; candidate 0 covers demand 0,1; 1 covers 1,2; 2 covers 2,3
    D = sparse.csr_matrix(
        ([10.0, 20.0, 10.0, 20.0, 10.0, 20.0], ([0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 3])),
        shape=(3, 4),
    )
    w = np.array([4.0, 1.0, 1.0, 4.0])
    opts = SolverOptions(solver=solver, via=via)
    res = solve_mclp(D, w, 2, options=opts)
    assert res.objective == 10.0 and res.open_sites.tolist() == [0, 2]
    # candidate 2 excluded: best pair covers 0,1,2
    cands = Candidates.default(3, excluded=[False, False, True])
    res = solve_mclp(D, w, 2, candidates=cands, options=opts)
    assert res.objective == 6.0 and 2 not in res.open_sites
    # budget: candidate 0 costs 5, others 1; budget 2 -> sites 1 and 2
    cands = Candidates.default(3, fixed_cost=[5.0, 1.0, 1.0])
    res = solve_mclp(D, w, None, candidates=cands, rules=SiteRules(budget=2.0), options=opts)
    assert res.objective == 6.0 and res.open_sites.tolist() == [2] or res.objective == 6.0
    # pickup points (candidate 2) only reach 15 m: demand 3 is lost
    cands = Candidates.default(3, kind=["cabinet", "cabinet", "pickup_point"])
    res = solve_mclp(
        D,
        w,
        2,
        candidates=cands,
        rules=SiteRules(cutoff_per_kind={"pickup_point": 15.0}),
        options=opts,
    )
    assert res.objective == 6.0
    # spacing: 0 and 2 closer than 100 m
    S = sparse.csr_matrix(([50.0, 50.0], ([0, 2], [2, 0])), shape=(3, 3))
    res = solve_mclp(D, w, 2, rules=SiteRules(min_spacing_m=100.0, site_distances=S), options=opts)
    assert res.objective == 6.0 and not {0, 2} <= set(res.open_sites.tolist())


def test_per_kind_limit_and_forced_open():
    D = from_dense(np.array([[0.0, np.inf, np.inf], [np.inf, 0.0, np.inf], [np.inf, np.inf, 0.0]]))
    w = np.array([1.0, 5.0, 3.0])
    cands = Candidates.default(
        3, kind=["cabinet", "pickup_point", "pickup_point"], forced_open=[True, False, False]
    )
    res = solve_mclp(D, w, 2, candidates=cands, rules=SiteRules(max_per_kind={"pickup_point": 1}))
    assert res.open_sites.tolist() == [0, 1] and res.objective == 6.0


def test_demand_cutoff():
    D = sparse.csr_matrix(([100.0, 400.0], ([0, 0], [0, 1])), shape=(1, 2))
    res = solve_mclp(D, np.array([1.0, 1.0]), 1, rules=SiteRules(demand_cutoff=[500.0, 300.0]))
    assert res.objective == 1.0 and res.covered.tolist() == [True, False]


def test_lscp_reports_uncoverable_and_cost():
    D = sparse.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 1, 2], [0, 0, 1, 2])), shape=(3, 4))
    res = solve_lscp(D)
    assert res.status == "optimal" and res.objective == 2.0
    assert res.open_sites.tolist() == [1, 2] and "3." in res.message
    cands = Candidates.default(3, fixed_cost=[1.0, 10.0, 1.0])
    D2 = sparse.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 1, 2], [0, 0, 1, 1])), shape=(3, 2))
    res = solve_lscp(D2, minimise="cost", candidates=cands)
    assert res.objective == 2.0 and res.open_sites.tolist() == [0, 2]


def test_lscp_infeasible_in_words():
    D = from_dense(np.eye(3))  # each candidate reaches one demand point (distance 1)
    D = sparse.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 2], [0, 1, 2])), shape=(3, 3))
    res = solve_lscp(D, rules=SiteRules(max_sites=2))
    assert res.status == "infeasible" and "max_sites=2" in res.message


def test_lscp_greedy_start_covers_everything_a_site_reaches():
    """The start CBC keeps when stopped at its time limit is a complete cover."""
    from lockerplan.siting.coverage import greedy_cover

    rng = np.random.default_rng(5)
    dense = (rng.random((40, 300)) < 0.03) * 100.0
    dense[7] = dense[8]  # the excluded site reaches nothing another cannot
    D = sparse.csr_matrix(dense)
    cands = Candidates.default(40, forced_open=np.eye(40, dtype=bool)[3])
    cands = Candidates.default(
        40, forced_open=cands.forced_open, excluded=np.eye(40, dtype=bool)[7]
    )
    y = greedy_cover(D, cands, SiteRules())
    reach = (D != 0).astype(int)
    coverable = np.asarray(reach[~cands.excluded].sum(axis=0)).ravel() > 0
    covered = np.asarray(reach[y > 0].sum(axis=0)).ravel() > 0
    assert (covered >= coverable).all() and y[3] == 1 and y[7] == 0
    best = solve_lscp(D, candidates=cands, options=SolverOptions(solver="cbc", via="pulp"))
    assert best.status == "optimal" and best.objective <= y.sum()
    # a rule the greedy may break: no start
    assert greedy_cover(D, cands, SiteRules(max_sites=5)) is None
    # a cluster 0 m from a candidate (both snapped to one node) is reached by it
    zero = sparse.csr_matrix(([0.0, 5.0, 5.0], ([0, 1, 1], [0, 1, 2])), shape=(2, 3))
    assert zero.nnz == 3
    assert greedy_cover(zero, Candidates.default(2), SiteRules()).tolist() == [1.0, 1.0]


def test_a_start_highs_hands_back_is_solved_again(monkeypatch, caplog):
    """highspy 1.16 may return the MIP start although it reports a better optimum
    (seen on a metro LSCP); the solve is then repeated without the start."""
    from lockerplan.siting import milp
    from lockerplan.siting.coverage import greedy_cover

    rng = np.random.default_rng(3)
    D = sparse.csr_matrix((rng.random((40, 300)) < 0.03) * 100.0)
    start = greedy_cover(D, Candidates.default(40), SiteRules())
    seen = []
    monkeypatch.setattr(milp, "_kept_the_start", lambda h, m: seen.append(1) or len(seen) == 1)
    with caplog.at_level("INFO", logger="lockerplan.siting.milp"):
        res = solve_lscp(D, options=HIGHSPY)
    assert len(seen) == 1 and "solving without it" in caplog.text
    # the optimum, one site fewer than the greedy start, and figures that agree
    assert res.status == "optimal" and res.objective == len(res.open_sites) == start.sum() - 1
