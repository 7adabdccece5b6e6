"""Distance models on the compact engine: p-median and attendance with distance decay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..errors import InputError
from ._common import check_count, infeasible, make_result, setup
from .compact import solve_compact
from .options import SolverOptions
from .result import Outcome, SitingResult, failed
from .sites import (
    Candidates,
    SiteRules,
    fmt,
    from_dense,  # noqa: F401  (used in the doctests)
)


def solve_pmedian(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    n_sites: int,
    *,
    unserved_penalty: float | None = None,
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    options: SolverOptions | None = None,
) -> SitingResult:
    """p-median: the least parcel-weighted walking distance to the nearest of ``n_sites`` sites.

    Solved with the compact sorted-distance formulation and radius truncation of
    :mod:`lockerplan.siting.compact` (no ``n^2`` assignment variables), started
    from a vertex-substitution heuristic.

    Other parameters are as in :func:`solve_mclp`.

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    weights : numpy.ndarray
        Parcels per day per demand column.
    n_sites : int
        Open (at most) this many sites; with enough candidates the optimum opens
        exactly ``n_sites``.
    unserved_penalty : float, optional
        Metres charged per parcel of demand that no open site reaches. ``None``:
        every demand point with ``weight > 0`` must be reached (else infeasible).

    Returns
    -------
    SitingResult
        ``objective`` = parcel-metres per day; ``best_bound`` a lower bound.

    Examples
    --------
    >>> from scipy import sparse
    >>> D = from_dense(np.array([[0, 5, 9], [5, 0, 4], [9, 4, 0]], float))  # keeps the zeros
    >>> r = solve_pmedian(D, np.ones(3), 1)
    >>> r.status, r.objective, r.open_sites.tolist()
    ('optimal', 9.0, [1])
    """
    check_count("n_sites", n_sites)
    D, w, cands, rules, diag, opts = setup(
        distances, weights, candidates, rules, options, max_sites=n_sites
    )
    if diag:
        return infeasible("pmedian", diag, D, opts)
    if unserved_penalty is not None and not (unserved_penalty >= 0):
        raise InputError(f"unserved_penalty must be >= 0 or None, got {unserved_penalty!r}.")
    U = np.full(D.shape[1], np.inf if unserved_penalty is None else float(unserved_penalty))
    reach = np.diff(D.tocsc().indptr) > 0
    lost = ~reach & (w > 0)
    if unserved_penalty is None and lost.any():
        return infeasible(
            "pmedian",
            [
                f"{lost.sum()} demand point(s) with {fmt(w[lost].sum())} parcels/day are out of "
                f"reach of every candidate (e.g. column {np.flatnonzero(lost)[0]}); raise the "
                "cutoff, drop them, or pass unserved_penalty."
            ],
            D,
            opts,
        )
    # demand with weight 0 does not matter: drop its pairs
    keep_cols = w > 0
    C = _keep_zero_entries(D, keep_cols) if not keep_cols.all() else D
    out = solve_compact(C, w, U, cands, rules, opts)
    if out.status in ("infeasible", "not solved"):
        msg = out.detail
        if out.status == "infeasible":
            msg = (
                f"no {n_sites} sites reach every demand point within the site rules; "
                "raise n_sites or the cutoff, or pass unserved_penalty."
            )
        return failed(
            "pmedian",
            out.status,
            msg,
            D.shape[1],
            opts.solver,
            opts.via,
            build_s=out.build_s,
            solve_s=out.solve_s,
            stats=out.stats,
        )
    unserved = float(w[out.assignment < 0].sum())
    outcome = Outcome(
        "pmedian",
        out.open_sites,
        out.status,
        out.objective,
        out.bound,
        out.gap,
        build_s=out.build_s,
        solve_s=out.solve_s,
        stats=out.stats,
        unserved=unserved,
    )
    return make_result(outcome, D, opts)


def _keep_zero_entries(D: sparse.csr_matrix, keep_cols: np.ndarray) -> sparse.csr_matrix:
    """Drop stored entries of unwanted columns without losing stored zeros elsewhere."""
    coo = D.tocoo()
    sel = keep_cols[coo.col]
    return sparse.csr_matrix((coo.data[sel], (coo.row[sel], coo.col[sel])), shape=D.shape)


@dataclass(frozen=True)
class Decay:
    """Share of a demand point's parcels that walks to a site ``d`` metres away.

    Parameters
    ----------
    kind : {"linear", "exponential", "power"}
        ``linear``: ``max(0, 1 - d / scale_m)``; ``exponential``:
        ``exp(-d / scale_m)``; ``power``: ``(1 + d / scale_m) ** -beta``.
    scale_m : float
        Distance scale, metres (> 0).
    beta : float
        Exponent of the power law (> 0).

    Examples
    --------
    >>> Decay("linear", 400).share(np.array([0.0, 200.0, 500.0])).tolist()
    [1.0, 0.5, 0.0]
    """

    kind: str = "exponential"
    scale_m: float = 300.0
    beta: float = 2.0

    def __post_init__(self):
        if self.kind not in ("linear", "exponential", "power"):
            raise InputError(
                f"decay kind must be 'linear', 'exponential' or 'power', got {self.kind!r}."
            )
        if not (self.scale_m > 0) or not (self.beta > 0):
            raise InputError(
                f"decay scale_m and beta must be > 0, got {self.scale_m!r}, {self.beta!r}."
            )

    def share(self, d: np.ndarray) -> np.ndarray:
        """Share in [0, 1] for distances ``d``."""
        d = np.asarray(d, dtype=float)
        if self.kind == "linear":
            return np.clip(1.0 - d / self.scale_m, 0.0, 1.0)
        if self.kind == "exponential":
            return np.exp(-d / self.scale_m)
        return (1.0 + d / self.scale_m) ** (-self.beta)


def solve_attendance(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    max_sites: int,
    *,
    decay: Decay | None = None,
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    options: SolverOptions | None = None,
) -> SitingResult:
    """Attendance with distance decay: the most expected parcels/day at the open sites.

    A demand point's customers use the most attractive (nearest) open site; the
    share that does falls with walking distance (:class:`Decay`). Maximises
    ``sum_i w[i] * max_{j open} share(d[j, i])`` with the compact engine
    (it is a p-median on cost ``1 - share`` with unserved cost 1).

    Other parameters are as in :func:`solve_mclp`.

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    weights : numpy.ndarray
        Parcels per day per demand column.
    max_sites : int
        Open at most this many sites.
    decay : Decay, optional
        How the share walking to a site falls with distance; default ``Decay()``.

    Returns
    -------
    SitingResult
        ``objective`` = expected parcels/day; ``best_bound`` an upper bound.

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(([0.0, 300.0, 0.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    >>> r = solve_attendance(D, np.array([1.0, 1.0]), 1, decay=Decay("linear", 600))
    >>> r.status, round(r.objective, 3), r.open_sites.tolist()
    ('optimal', 1.5, [0])
    """
    check_count("max_sites", max_sites)
    decay = decay or Decay()
    D, w, cands, rules, diag, opts = setup(
        distances, weights, candidates, rules, options, max_sites=max_sites
    )
    if diag:
        return infeasible("attendance", diag, D, opts)
    coo = D.tocoo()
    cost = 1.0 - decay.share(coo.data)
    sel = (cost < 1.0) & (w[coo.col] > 0)
    C = sparse.csr_matrix((cost[sel], (coo.row[sel], coo.col[sel])), shape=D.shape)
    U = np.ones(D.shape[1])
    out = solve_compact(C, w, U, cands, rules, opts)
    if out.status in ("infeasible", "not solved"):
        return failed(
            "attendance",
            out.status,
            out.detail or "the site rules admit no plan",
            D.shape[1],
            opts.solver,
            opts.via,
            build_s=out.build_s,
            solve_s=out.solve_s,
            stats=out.stats,
        )
    total = float(w.sum())
    objective = total - out.objective
    # no bound from the solver: every parcel attending is one (finite, if loose)
    bound = total - out.bound if np.isfinite(out.bound) else total
    gap = 0.0 if out.status == "optimal" else (bound - objective) / max(bound, 1e-9)
    outcome = Outcome(
        "attendance",
        out.open_sites,
        out.status,
        objective,
        bound,
        gap,
        build_s=out.build_s,
        solve_s=out.solve_s,
        stats=out.stats,
        unserved=float(w[out.assignment < 0].sum()),
    )
    return make_result(outcome, D, opts)
