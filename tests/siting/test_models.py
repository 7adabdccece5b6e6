"""The model table and what every model shares: the allocation it reports, its options,
honest status, diagnoses and input errors (lockerplan.siting.models, result, options)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.errors import InputError
from lockerplan.siting import (
    MODELS,
    Candidates,
    SiteRules,
    SolverOptions,
    from_dense,
    solve_cflp,
    solve_mclp,
    solve_pmedian,
)
from tests.siting.helpers import check_allocation, line_instance


def test_mclp_assignment_respects_the_kind_cutoff():
    # demand 2 is 250 m from pickup point 1 (beyond its 100 m cutoff) and 350 m from cabinet 0
    D = sparse.csr_matrix(([50.0, 350.0, 80.0, 250.0], ([0, 0, 1, 1], [0, 2, 1, 2])), shape=(2, 3))
    w = np.array([3.0, 2.0, 5.0])
    cands = Candidates.default(2, kind=["cabinet", "pickup_point"])
    rules = SiteRules(cutoff_per_kind={"pickup_point": 100.0})
    res = solve_mclp(D, w, 2, candidates=cands, rules=rules)
    assert res.status == "optimal" and res.open_sites.tolist() == [0, 1]
    assert res.assignment.tolist() == [0, 1, 0]  # not the nearer pickup point
    assert res.assigned_m.tolist() == [50.0, 80.0, 350.0]
    assert w[res.assignment >= 0].sum() == res.objective == 10.0
    # with the cabinet alone, demand 1 is out of its reach and pickup points cannot open
    one = solve_mclp(D, w, 2, candidates=cands, rules=SiteRules(max_per_kind={"pickup_point": 0}))
    assert one.assignment.tolist() == [0, -1, 0] and np.isnan(one.assigned_m[1])
    assert w[one.assignment >= 0].sum() == one.objective == 8.0


@pytest.mark.parametrize(
    "rules",
    [
        SiteRules(budget=7.0),
        SiteRules(max_per_kind={"cabinet": 2, "pickup_point": 1}),
        SiteRules(max_per_kind={"pickup_point": 2}, cutoff_per_kind={"pickup_point": 250.0}),
    ],
)
def test_mclp_covered_weight_is_the_objective(rules):
    d, w = line_instance(n=14, seed=11)
    D = from_dense(d, cutoff=400.0)
    kinds = ["cabinet", "pickup_point"] * 7
    cands = Candidates.default(14, kind=kinds, fixed_cost=np.tile([3.0, 1.0], 7))
    sites = None if rules.budget is not None else 4
    res = solve_mclp(D, w, sites, candidates=cands, rules=rules)
    assert res.status == "optimal"
    assert w[res.assignment >= 0].sum() == pytest.approx(res.objective)
    np.testing.assert_array_equal(res.assignment >= 0, res.covered)
    prepared = D.tocsr(copy=True)
    if rules.cutoff_per_kind:  # the pickup points' pairs beyond 250 m are not allowed
        coo = prepared.tocoo()
        keep = ~((np.asarray(kinds)[coo.row] == "pickup_point") & (coo.data > 250.0))
        prepared = sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), D.shape)
    check_allocation(res, prepared, w)
    # the nearest open site within the cutoffs
    for i in np.flatnonzero(res.assignment >= 0):
        col = prepared[:, [i]].tocoo()
        reach = {int(r): v for r, v in zip(col.row, col.data, strict=True)}
        assert res.assigned_m[i] == min(reach[j] for j in res.open_sites if j in reach)


@pytest.mark.parametrize("single_source", [True, False])
def test_cflp_assignment_respects_capacity(single_source):
    rng = np.random.default_rng(4)
    m, n = 6, 40
    d = rng.uniform(0, 800, size=(m, n))
    D = from_dense(np.where(d <= 600, d, np.inf))
    w = rng.integers(1, 10, size=n).astype(float)
    w[:2] = 0.0  # no parcels: not in the model, sent to the nearest open site
    cap = np.full(m, w.sum() / 8)  # all six sites hold 3/4 of the demand
    cands = Candidates.default(m, capacity=cap, fixed_cost=np.full(m, 10.0))
    res = solve_cflp(D, w, candidates=cands, single_source=single_source, cost_per_parcel_m=0.01)
    assert res.status == "optimal" and res.unserved > 0
    check_allocation(res, D, w)
    a = res.assignment
    if single_source:
        load = np.bincount(a[a >= 0], weights=w[a >= 0], minlength=m)
        assert np.all(load <= cap + 1e-6)
        assert w[a < 0].sum() == pytest.approx(res.unserved)  # unserved demand is -1
    else:
        assert w[a < 0].sum() <= res.unserved + 1e-6
    reached = np.diff(D[res.open_sites].tocsc().indptr) > 0  # by an open site
    assert np.all(a[:2][reached[:2]] >= 0)  # no parcels, within reach: assigned anyway


def test_every_model_runs_from_the_table():
    """``MODELS[name].solve(..., **arguments(settings))`` runs each model; the allocation
    never crosses a pickup point's cutoff."""
    from types import SimpleNamespace

    settings = SimpleNamespace(
        sites=3,
        walk_m=400.0,
        lscp_minimise="sites",
        walk_cost_per_parcel_km=0.1,
        single_source=True,
        decay="exponential",
        decay_scale_m=300.0,
        decay_beta=2.0,
        max_modules=3,
    )
    d, w = line_instance(n=12, seed=5)
    D = from_dense(d, cutoff=settings.walk_m)
    kinds = np.array(["cabinet", "pickup_point"] * 6)
    cands = Candidates.default(12, kind=kinds, capacity=np.full(12, 30.0), fixed_cost=np.ones(12))
    rules = SiteRules(cutoff_per_kind={"pickup_point": 150.0})
    assert list(MODELS) == ["mclp", "pmedian", "lscp", "cflp", "attendance", "cmclp"]
    assert "mclp" in MODELS and ", ".join(MODELS).startswith("mclp, pmedian")
    for name, spec in MODELS.items():
        assert spec.help.endswith(".") and spec.objective in (
            "coverage",
            "sites",
            "distance",
            "cost",
            "expected",
        )
        res = spec.solve(
            D,
            w,
            candidates=cands,
            rules=rules,
            options=SolverOptions(time_limit_s=30),
            **spec.arguments(settings),
        )
        assert res.model == name and res.status == "optimal", name
        if spec.uses_sites:
            assert len(res.open_sites) <= settings.sites
        a = res.assignment
        far_pickup = (kinds[np.maximum(a, 0)] == "pickup_point") & (res.assigned_m > 150.0)
        assert not np.any((a >= 0) & far_pickup), name
        assert np.all(res.assigned_m[a >= 0] <= settings.walk_m)
        if name != "cmclp":  # only cmclp decides modules and parcels served
            assert res.modules.size == res.served.size == res.load.size == 0, name


def test_solver_options_validate_each_field():
    assert SolverOptions() == SolverOptions("cbc", "pulp", 60.0, 0.0, 0)
    for kw, match in [
        ({"solver": "gurobi"}, "solver must be one of cbc, highs"),
        ({"via": "gurobipy"}, "via must be one of pulp, highspy"),
        ({"via": "highspy"}, "use solver='highs'"),
        ({"time_limit_s": 0}, "time_limit_s must be a number > 0"),
        ({"time_limit_s": "60"}, "time_limit_s must be a number > 0"),
        ({"gap_rel": 1.0}, r"gap_rel must be in \[0, 1\)"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"seed": 1.5}, "seed must be a whole number >= 0"),
        ({"threads": 0}, "threads must be a whole number >= 1"),
    ]:
        with pytest.raises(InputError, match=match):
            SolverOptions(**kw)
    with pytest.raises(InputError, match="options must be a SolverOptions"):
        solve_mclp(sparse.csr_matrix(np.ones((1, 1))), np.ones(1), 1, options={"solver": "cbc"})


def test_forced_open_beyond_limit_is_diagnosed():
    d, w = line_instance(6)
    cands = Candidates.default(6, forced_open=[True, True, True, False, False, False])
    res = solve_pmedian(from_dense(d), w, 2, candidates=cands)
    assert res.status == "infeasible"
    assert "3 sites are forced open but at most 2 may open" in res.message


def test_time_limit_is_never_optimal():
    rng = np.random.default_rng(7)
    m, n = 40, 250
    D = from_dense(rng.uniform(0, 1000, size=(m, n)))
    w = rng.integers(1, 20, size=n).astype(float)
    cands = Candidates.default(m, capacity=np.full(m, w.sum() / 12), fixed_cost=np.full(m, 5e4))
    res = solve_cflp(D, w, candidates=cands, options=SolverOptions("cbc", time_limit_s=1.0))
    assert res.status in ("feasible", "not solved", "optimal")
    if res.status == "optimal":  # only when the bound really meets the incumbent
        assert res.gap == 0.0 and res.best_bound == pytest.approx(res.objective)
    else:
        assert res.status != "optimal"
        if res.status == "feasible":
            assert res.gap > 0 or res.best_bound < res.objective


def test_input_errors_name_the_parameter():
    D = sparse.csr_matrix(np.ones((2, 3)))
    with pytest.raises(InputError, match="solver must be one of"):
        solve_mclp(D, np.ones(3), 1, options=SolverOptions(solver="gurobi"))
    with pytest.raises(InputError, match="weights must have one value per demand column"):
        solve_pmedian(D, np.ones(2), 1)
    with pytest.raises(InputError, match="via='highspy'"):
        solve_mclp(D, np.ones(3), 1, options=SolverOptions(solver="cbc", via="highspy"))
    with pytest.raises(InputError, match="sites must be a whole number"):
        solve_mclp(D, np.ones(3), 0)
    with pytest.raises(InputError, match="scipy.sparse"):
        solve_mclp(np.ones((2, 3)), np.ones(3), 1)
    with pytest.raises(InputError, match="both forced open and excluded"):
        Candidates.default(2, forced_open=[True, False], excluded=[True, False])
