"""Small instances shared by the siting tests."""

from __future__ import annotations

import itertools

import numpy as np

from lockerplan.siting import (
    SolverOptions,
)

PATHS = [("cbc", "pulp"), ("highs", "pulp"), ("highs", "highspy")]


HIGHSPY = SolverOptions(solver="highs", via="highspy")


def line_instance(n: int = 12, seed: int = 3):
    """Random points in the plane, full distance matrix (zeros kept)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(n, 2))
    d = np.round(np.linalg.norm(xy[:, None] - xy[None], axis=2))
    return d, rng.integers(1, 10, size=n).astype(float)


def brute_pmedian(d: np.ndarray, w: np.ndarray, p: int) -> float:
    return min(
        float(w @ d[list(sites)].min(0)) for sites in itertools.combinations(range(len(d)), p)
    )


def check_allocation(res, D, w):
    """``assignment`` points only at open sites along stored (within-cutoff) pairs, and
    ``assigned_m`` holds those distances (NaN where unassigned)."""
    a = res.assignment
    assert a.shape == res.assigned_m.shape == (D.shape[1],)
    served = np.flatnonzero(a >= 0)
    assert set(a[served].tolist()) <= set(res.open_sites.tolist())
    assert np.isnan(res.assigned_m[a < 0]).all()
    dense = np.full(D.shape, np.nan)
    coo = D.tocoo()
    dense[coo.row, coo.col] = coo.data
    np.testing.assert_array_equal(res.assigned_m[served], dense[a[served], served])
