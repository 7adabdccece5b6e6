"""Rounding-loss cuts (lockerplan.siting.region_cuts): valid for every plan, and exact."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lockerplan.siting import solve_cmclp
from lockerplan.siting.region_cuts import Regions
from tests.siting.test_exact import HIGHS, _cabinets, _cut, _instance, plain_cmclp


@pytest.mark.parametrize("seed", range(12))
def test_a_region_cut_holds_for_every_plan(seed):
    """Brute force over every choice of the region's sites: the parcels they can hand
    to the region (``min(W(S), sum a[j] y[j])``) never exceed the cut's right-hand side."""
    rng = np.random.default_rng(seed)
    n_site, n_grp = 6, 9
    rows, cols = np.nonzero(rng.random((n_site, n_grp)) < 0.45)
    demand = rng.uniform(5, 60, size=n_grp).round(1)
    cap = rng.choice([40.0, 55.0, 120.0], size=n_site)
    regions = Regions.of(rows, cols, demand, cap)
    S = np.unique(rng.choice(np.unique(cols), size=4))
    y, z = rng.random(n_site), rng.random(n_grp)
    cut = regions.cut(S, y, z)
    assert cut is not None
    _, K, coef, rhs = cut
    total = demand[S].sum()
    reach = np.array([demand[np.intersect1d(S, cols[rows == j])].sum() for j in K])
    a = np.minimum(cap[K], reach)
    for plan in itertools.product([0.0, 1.0], repeat=len(K)):
        plan = np.array(plan)
        assert min(total, a @ plan) <= rhs + coef @ plan + 1e-9


def test_cuts_lower_the_lp_bound_and_keep_the_optimum():
    """A small city where capacity binds: the cuts lower the first solve's LP bound,
    and the plan serves what the textbook MILP (one share per pair) proves best."""
    dist, w = _instance(17)
    D = _cut(dist, 700.0)
    n = D.shape[0]
    cands, cap = _cabinets(n, 17)
    ours = solve_cmclp(D, w, 3, max_modules=2, candidates=cands, options=HIGHS)
    cuts = ours.stats["region_cuts"]
    assert cuts["cuts"] > 0 and cuts["cut_bound"] < cuts["lp_bound"] - 1.0
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(plain_cmclp(D, w, 3, cap, np.full(n, 2.0)), abs=1e-6)


def test_a_site_without_room_gives_no_divisor():
    """Capacities of zero are no divisor: the other sites' capacities still cut."""
    regions = Regions.of(
        np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([30.0, 30.0]), np.array([0.0, 40.0])
    )
    cut = regions.cut(np.array([0, 1]), np.array([0.0, 0.75]), np.array([1.0, 0.5]))
    assert cut is not None and np.isfinite(cut[0])
    assert (
        Regions.of(np.array([0]), np.array([0]), np.array([5.0]), np.array([0.0])).cut(
            np.array([0]), np.zeros(1), np.ones(1)
        )
        is None
    )
