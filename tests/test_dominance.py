"""Dominated candidate sites are left out of the coverage models, exactly.

A site that another site of the same kind outdoes (reaches every demand it
reaches, costs no more, holds no more) is never needed: leaving it out shrinks
the model (on Porto Alegre 555 of 1,030 candidates) and keeps the optimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from lockerplan.siting import (
    Candidates,
    SiteRules,
    SolverOptions,
    _common,
    solve_cmclp,
    solve_lscp,
    solve_mclp,
)
from lockerplan.siting.sites import dominated_sites

HIGHS = SolverOptions(solver="highs", via="highspy")


def _city(seed: int, n_cand: int = 30, n_dem: int = 80):
    """Candidates on a grid with near-duplicates (both sides of a street), as PT stops are."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, size=(n_cand // 2, 2))
    xy = np.vstack([xy, xy + rng.normal(0, 15, size=xy.shape)])
    dem = rng.uniform(0, 2000, size=(n_dem, 2))
    dist = np.hypot(*(xy[:, None, :] - dem[None, :, :]).transpose(2, 0, 1))
    r, c = np.nonzero(dist < 450)
    D = sparse.csr_matrix((dist[r, c], (r, c)), shape=dist.shape)
    w = rng.uniform(1, 20, size=n_dem)
    return D, w


def _without_reduction(monkeypatch):
    monkeypatch.setattr(_common, "dominated_sites", lambda D, c, r: np.zeros(D.shape[0], bool))


def test_a_site_reaching_a_subset_is_dominated_unless_it_is_forced_or_different():
    D = sparse.csr_matrix(np.array([[100.0, 0.0, 0.0], [200.0, 300.0, 0.0], [200.0, 300.0, 0.0]]))
    assert dominated_sites(D, Candidates.default(3), SiteRules()).tolist() == [True, False, True]
    forced = Candidates.default(3, forced_open=[True, False, False])
    assert dominated_sites(D, forced, SiteRules()).tolist() == [False, False, True]
    kinds = Candidates.default(3, kind=np.array(["pickup_point", "cabinet", "cabinet"], object))
    assert dominated_sites(D, kinds, SiteRules()).tolist() == [False, False, True]
    dearer = Candidates.default(3, fixed_cost=[1.0, 5.0, 5.0])
    assert dominated_sites(D, dearer, SiteRules()).tolist() == [False, False, True]
    # a spacing rule may forbid the better site: nothing is left out
    assert not dominated_sites(D, Candidates.default(3), SiteRules(min_spacing_m=50.0)).any()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_optimum_is_the_same_with_and_without_the_reduction(seed, monkeypatch):
    D, w = _city(seed)
    n = D.shape[0]
    assert dominated_sites(D, Candidates.default(n), SiteRules()).sum() > 0
    cands = Candidates.default(n, capacity=np.full(n, 40.0), fixed_cost=np.full(n, 10.0))
    runs = {
        "mclp": lambda: solve_mclp(D, w, 4, options=HIGHS),
        "cmclp": lambda: solve_cmclp(D, w, 4, max_modules=2, candidates=cands, options=HIGHS),
        "lscp": lambda: solve_lscp(D, w, options=HIGHS),
        "budget": lambda: solve_mclp(D, w, None, rules=SiteRules(budget=35.0), candidates=cands),
    }
    reduced = {name: run() for name, run in runs.items()}
    _without_reduction(monkeypatch)
    full = {name: run() for name, run in runs.items()}
    for name in runs:
        assert reduced[name].status == full[name].status == "optimal", name
        assert reduced[name].objective == pytest.approx(full[name].objective, rel=1e-9), name
