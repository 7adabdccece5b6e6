"""Every siting model's reported optimum is the optimum of its plain MILP.

The models solve reduced formulations (dominated sites dropped or ordered,
demand grouped by the sites reaching it, roomy sites without shares, sorted
levels, Lagrangian fixing). Here each is held against the textbook MILP of the
same model, written directly with :func:`scipy.optimize.milp` (one variable per
pair, no reduction), on many small random instances where the capacities bind
and near-duplicate candidates make dominance common. Then properties any
planner relies on: coverage never falls when the walk grows or a site is
added, and no plan (another plan's sites forced open) beats a reported bound.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy import optimize, sparse

from lockerplan.siting import (
    Candidates,
    Decay,
    SiteRules,
    SolverOptions,
    solve_attendance,
    solve_cflp,
    solve_cmclp,
    solve_lscp,
    solve_mclp,
    solve_pmedian,
)
from lockerplan.siting.sites import dominators

HIGHS = SolverOptions(solver="highs", via="highspy", time_limit_s=30)
SEEDS = range(24)


def _instance(seed: int, radius: float = 700.0, n_sites: int = 6, n_dem: int = 18):
    """A small city: candidates in near-duplicate pairs, demand points, network-like distances."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, size=(n_sites, 2))
    xy = np.vstack([xy, xy + rng.normal(0, 20, size=xy.shape)])
    dem = rng.uniform(0, 2000, size=(n_dem, 2))
    dist = 1.2 * np.hypot(*(xy[:, None, :] - dem[None, :, :]).transpose(2, 0, 1))
    w = rng.uniform(1, 20, size=n_dem).round(1)
    return dist, w


def _cut(dist: np.ndarray, radius: float) -> sparse.csr_matrix:
    r, c = np.nonzero(dist <= radius)
    return sparse.csr_matrix((dist[r, c], (r, c)), shape=dist.shape)


def _milp(c, integrality, lb, ub, rows):
    """Minimise ``c @ x`` over the rows ``(coeffs, lo, hi)``; return (objective, x)."""
    A = sparse.vstack([r[0] for r in rows], format="csr")
    lo = np.concatenate([r[1] for r in rows])
    hi = np.concatenate([r[2] for r in rows])
    res = optimize.milp(
        c,
        integrality=integrality,
        bounds=optimize.Bounds(lb, ub),
        constraints=optimize.LinearConstraint(A, lo, hi),
        options={"mip_rel_gap": 0.0},
    )
    assert res.status == 0, res.message
    return float(res.fun), res.x


class _Plain:
    """Column blocks of a textbook MILP: ``y`` per site, one ``x`` per stored pair."""

    def __init__(self, D: sparse.csr_matrix):
        coo = D.tocoo()
        self.j, self.i, self.d = coo.row, coo.col, coo.data
        self.n, self.m, self.p = D.shape[0], D.shape[1], len(coo.data)

    def row(self, entries, n_cols, lo, hi):
        """One block of rows from ``(row, col, value)`` triplets."""
        r, c, v = entries
        n_rows = len(lo)
        return (
            sparse.csr_matrix((v, (r, c)), shape=(n_rows, n_cols)),
            np.asarray(lo),
            np.asarray(hi),
        )

    def count(self, n_cols: int, p: int, ys: np.ndarray):
        return self.row((np.zeros(self.n), ys, np.ones(self.n)), n_cols, [-np.inf], [p])


def plain_mclp(D, w, p):
    P = _Plain(D)
    n_cols = P.n + P.m  # y, z
    c = np.r_[np.zeros(P.n), -w]
    cover = P.row(
        (
            np.r_[np.arange(P.m), P.i],
            np.r_[P.n + np.arange(P.m), P.j],
            np.r_[np.ones(P.m), -np.ones(P.p)],
        ),
        n_cols,
        np.full(P.m, -np.inf),
        np.zeros(P.m),
    )
    obj, _ = _milp(
        c, np.r_[np.ones(P.n), np.zeros(P.m)], 0, 1, [cover, P.count(n_cols, p, np.arange(P.n))]
    )
    return -obj


def plain_cmclp(D, w, p, cap, most, budget=None, cost=None):
    """y, m per site; x per pair: the docstring model of solve_cmclp, pair by pair."""
    P = _Plain(D)
    n_cols = 2 * P.n + P.p
    y, m, x = np.arange(P.n), P.n + np.arange(P.n), 2 * P.n + np.arange(P.p)
    c = np.r_[np.zeros(2 * P.n), -w[P.i]]
    k = np.arange(P.p)
    rows = [
        P.row((P.i, x, np.ones(P.p)), n_cols, np.full(P.m, -np.inf), np.ones(P.m)),
        P.row(
            (np.r_[k, k], np.r_[x, y[P.j]], np.r_[np.ones(P.p), -np.ones(P.p)]),
            n_cols,
            np.full(P.p, -np.inf),
            np.zeros(P.p),
        ),
        P.row(
            (
                np.r_[P.j, np.arange(P.n)],
                np.r_[x, m],
                np.r_[w[P.i], -np.where(np.isfinite(cap), cap, 1e6)],
            ),
            n_cols,
            np.full(P.n, -np.inf),
            np.zeros(P.n),
        ),
        P.row(
            (np.r_[y, y], np.r_[m, y], np.r_[np.ones(P.n), -np.ones(P.n)]),
            n_cols,
            np.zeros(P.n),
            np.full(P.n, np.inf),
        ),
        P.row(
            (np.r_[y, y], np.r_[m, y], np.r_[np.ones(P.n), -most]),
            n_cols,
            np.full(P.n, -np.inf),
            np.zeros(P.n),
        ),
    ]
    if p is not None:
        rows.append(P.count(n_cols, p, y))
    if budget is not None:
        rows.append(P.row((np.zeros(P.n), m, cost), n_cols, [-np.inf], [budget]))
    integrality = np.r_[np.ones(2 * P.n), np.zeros(P.p)]
    obj, _ = _milp(c, integrality, 0, np.r_[np.ones(P.n), most, np.ones(P.p)], rows)
    return -obj


def plain_lscp(D):
    P = _Plain(D)
    coverable = np.unique(P.i)
    local = np.searchsorted(coverable, P.i)
    cover = P.row(
        (local, P.j, np.ones(P.p)), P.n, np.ones(len(coverable)), np.full(len(coverable), np.inf)
    )
    obj, _ = _milp(np.ones(P.n), np.ones(P.n), 0, 1, [cover])
    return obj


def plain_assignment(D, value, p, penalty, maximise=False):
    """min sum value[pair] x + penalty[i] u[i]; each demand assigned once or left (u)."""
    P = _Plain(D)
    n_cols = P.n + P.p + P.m
    y, x, u = np.arange(P.n), P.n + np.arange(P.p), P.n + P.p + np.arange(P.m)
    sign = -1.0 if maximise else 1.0
    c = np.r_[np.zeros(P.n), sign * value, sign * penalty]
    k = np.arange(P.p)
    rows = [
        P.row(
            (np.r_[P.i, np.arange(P.m)], np.r_[x, u], np.ones(P.p + P.m)),
            n_cols,
            np.ones(P.m),
            np.ones(P.m),
        ),
        P.row(
            (np.r_[k, k], np.r_[x, y[P.j]], np.r_[np.ones(P.p), -np.ones(P.p)]),
            n_cols,
            np.full(P.p, -np.inf),
            np.zeros(P.p),
        ),
        P.count(n_cols, p, y),
    ]
    obj, _ = _milp(c, np.r_[np.ones(P.n), np.zeros(P.p + P.m)], 0, 1, rows)
    return sign * obj


def plain_cflp(D, w, cap, fixed, penalty, single):
    P = _Plain(D)
    n_cols = P.n + P.p + P.m
    y, x, u = np.arange(P.n), P.n + np.arange(P.p), P.n + P.p + np.arange(P.m)
    c = np.r_[fixed, w[P.i] * P.d, penalty * w]
    k = np.arange(P.p)
    rows = [
        P.row(
            (np.r_[P.i, np.arange(P.m)], np.r_[x, u], np.ones(P.p + P.m)),
            n_cols,
            np.ones(P.m),
            np.ones(P.m),
        ),
        P.row(
            (np.r_[k, k], np.r_[x, y[P.j]], np.r_[np.ones(P.p), -np.ones(P.p)]),
            n_cols,
            np.full(P.p, -np.inf),
            np.zeros(P.p),
        ),
        P.row(
            (np.r_[P.j, np.arange(P.n)], np.r_[x, y], np.r_[w[P.i], -cap]),
            n_cols,
            np.full(P.n, -np.inf),
            np.zeros(P.n),
        ),
    ]
    integrality = np.r_[np.ones(P.n), np.full(P.p, 1.0 if single else 0.0), np.zeros(P.m)]
    obj, _ = _milp(c, integrality, 0, 1, rows)
    return obj


def _cabinets(n, seed, capacity=(15.0, 40.0)):
    rng = np.random.default_rng(1000 + seed)
    cap = rng.choice(capacity, size=n)
    return Candidates.default(n, capacity=cap, fixed_cost=np.full(n, 10.0)), cap


@pytest.mark.parametrize("seed", SEEDS)
def test_cmclp_equals_the_plain_milp_where_capacity_binds(seed):
    dist, w = _instance(seed)
    D = _cut(dist, 700.0)
    n = D.shape[0]
    cands, cap = _cabinets(n, seed)
    ours = solve_cmclp(D, w, 3, max_modules=2, candidates=cands, options=HIGHS)
    plain = plain_cmclp(D, w, 3, cap, np.full(n, 2.0))
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(plain, abs=1e-6)
    assert ours.best_bound >= plain - 1e-6


@pytest.mark.parametrize("seed", SEEDS[:8])
def test_cmclp_with_a_budget_equals_the_plain_milp(seed):
    dist, w = _instance(seed)
    D = _cut(dist, 700.0)
    n = D.shape[0]
    cands, cap = _cabinets(n, seed)
    ours = solve_cmclp(
        D, w, None, max_modules=3, candidates=cands, rules=SiteRules(budget=45.0), options=HIGHS
    )
    plain = plain_cmclp(D, w, None, cap, np.full(n, 3.0), budget=45.0, cost=np.full(n, 10.0))
    assert ours.objective == pytest.approx(plain, abs=1e-6)


@pytest.mark.parametrize("budget", [None, 45.0])
@pytest.mark.parametrize("seed", SEEDS[:8])
def test_cmclp_leaving_out_sites_under_a_dominator_that_holds_all_it_reaches_stays_exact(
    seed, budget, caplog
):
    dist, w = _instance(seed)
    D = _cut(dist, 700.0)
    n = D.shape[0]
    cands, cap = _cabinets(n, seed, capacity=(15.0, 40.0, 1000.0))  # some hold all they reach
    p = 3 if budget is None else None
    with caplog.at_level(logging.INFO, logger="lockerplan.siting"):
        ours = solve_cmclp(
            D, w, p, max_modules=2, candidates=cands, rules=SiteRules(budget=budget), options=HIGHS
        )
    plain = plain_cmclp(D, w, p, cap, np.full(n, 2.0), budget=budget, cost=np.full(n, 10.0))
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(plain, abs=1e-6)
    if seed == 0:  # the instance has such sites: the reduction ran
        assert "dominators hold all they reach" in caplog.text


def test_a_site_reaching_a_subset_is_dominated_unless_it_is_forced_or_different():
    D = sparse.csr_matrix(np.array([[100.0, 0.0, 0.0], [200.0, 300.0, 0.0], [200.0, 300.0, 0.0]]))
    assert dominators(D, Candidates.default(3), SiteRules()).tolist() == [1, -1, 1]
    forced = Candidates.default(3, forced_open=[True, False, False])
    assert dominators(D, forced, SiteRules()).tolist() == [-1, -1, 1]
    kinds = Candidates.default(3, kind=np.array(["pickup_point", "cabinet", "cabinet"], object))
    assert dominators(D, kinds, SiteRules()).tolist() == [-1, -1, 1]
    dearer = Candidates.default(3, fixed_cost=[1.0, 5.0, 5.0])
    assert dominators(D, dearer, SiteRules()).tolist() == [-1, -1, 1]
    # a spacing rule may forbid the better site: no site is dominated
    assert (dominators(D, Candidates.default(3), SiteRules(min_spacing_m=50.0)) < 0).all()


def test_identical_cabinets_all_open_when_each_fills():
    """Three cabinets at one point, one module each: all three are needed."""
    D = sparse.csr_matrix(np.full((3, 3), 100.0))
    w = np.array([14.3, 14.3, 14.3])
    cands = Candidates.default(3, capacity=[14.3] * 3)
    assert dominators(D, cands, SiteRules()).tolist() == [-1, 0, 0]
    r = solve_cmclp(D, w, 3, max_modules=1, candidates=cands, options=HIGHS)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(42.9)
    assert sorted(r.open_sites.tolist()) == [0, 1, 2]


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_and_lscp_equal_the_plain_milp(seed):
    dist, w = _instance(seed)
    D = _cut(dist, 600.0)
    assert solve_mclp(D, w, 3, options=HIGHS).objective == pytest.approx(plain_mclp(D, w, 3))
    assert solve_lscp(D, w, options=HIGHS).objective == pytest.approx(plain_lscp(D))


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_pmedian_and_attendance_equal_the_plain_milp(seed):
    dist, w = _instance(seed)
    D = _cut(dist, 900.0)
    ours = solve_pmedian(D, w, 3, unserved_penalty=900.0, options=HIGHS)
    plain = plain_assignment(D, w[D.tocoo().col] * D.tocoo().data, 3, 900.0 * w)
    assert ours.objective == pytest.approx(plain, rel=1e-9)
    decay = Decay("exponential", 400.0)
    ours = solve_attendance(D, w, 3, decay=decay, options=HIGHS)
    coo = D.tocoo()
    plain = plain_assignment(D, w[coo.col] * decay.share(coo.data), 3, np.zeros(len(w)), True)
    assert ours.objective == pytest.approx(plain, rel=1e-9)


@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("seed", SEEDS[:8])
def test_cflp_equals_the_plain_milp(seed, single):
    dist, w = _instance(seed)
    D = _cut(dist, 900.0)
    n = D.shape[0]
    cap = np.random.default_rng(seed).choice([30.0, 60.0], size=n)
    fixed = np.full(n, 500.0)
    cands = Candidates.default(n, capacity=cap, fixed_cost=fixed)
    ours = solve_cflp(
        D, w, candidates=cands, single_source=single, unserved_penalty=2000.0, options=HIGHS
    )
    plain = plain_cflp(D, w, cap, fixed, 2000.0, single)
    assert ours.objective == pytest.approx(plain, rel=1e-7)


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_coverage_never_falls_when_the_walk_grows_or_a_site_is_added(seed):
    dist, w = _instance(seed)
    n = dist.shape[0]
    cands, _ = _cabinets(n, seed)
    served = []
    for radius in (400.0, 600.0, 800.0, 1200.0, 3000.0):
        r = solve_cmclp(_cut(dist, radius), w, 3, max_modules=2, candidates=cands, options=HIGHS)
        assert r.status == "optimal"
        served.append(r.objective)
        covered = solve_mclp(_cut(dist, radius), w, 3, options=HIGHS)
        served_mclp = covered.objective
        assert served_mclp >= r.objective - 1e-6  # capacity only takes away
    assert np.all(np.diff(served) >= -1e-6), served
    D = _cut(dist, 700.0)
    fewer = Candidates.default(
        n, capacity=cands.capacity, fixed_cost=cands.fixed_cost, excluded=np.arange(n) == seed % n
    )
    less = solve_cmclp(D, w, 3, max_modules=2, candidates=fewer, options=HIGHS)
    more = solve_cmclp(D, w, 3, max_modules=2, candidates=cands, options=HIGHS)
    assert more.objective >= less.objective - 1e-6


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_no_plan_beats_a_reported_bound(seed):
    """Another plan's sites, forced open, never serve more than a proven bound."""
    dist, w = _instance(seed)
    n = dist.shape[0]
    cands, cap = _cabinets(n, seed)
    far = _cut(dist, 3000.0)
    best = solve_cmclp(far, w, 3, max_modules=2, candidates=cands, options=HIGHS)
    for radius in (500.0, 800.0):
        other = solve_cmclp(
            _cut(dist, radius), w, 3, max_modules=2, candidates=cands, options=HIGHS
        )
        forced = np.zeros(n, dtype=bool)
        forced[other.open_sites] = True
        opened = Candidates.default(
            n, capacity=cap, fixed_cost=cands.fixed_cost, forced_open=forced
        )
        same = solve_cmclp(far, w, 3, max_modules=2, candidates=opened, options=HIGHS)
        assert same.objective <= best.best_bound + 1e-6
        assert same.objective <= best.objective + 1e-6
