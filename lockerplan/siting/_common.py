"""Shared plumbing of the siting models: validation, results, diagnoses."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from scipy import sparse

from ..errors import InputError
from .milp import check_solver
from .result import SitingResult, failed
from .sites import Candidates, SiteRules, check_distances, prepare

log = logging.getLogger("lockerplan.siting")


def setup(distances, weights, candidates, rules, solver, via, time_limit_s, gap_rel, **rule_kw):
    check_solver(solver, via)
    if not (isinstance(time_limit_s, int | float) and time_limit_s > 0):
        raise InputError(f"time_limit_s must be a number > 0, got {time_limit_s!r}.")
    if not (isinstance(gap_rel, int | float) and 0 <= gap_rel < 1):
        raise InputError(f"gap_rel must be in [0, 1), got {gap_rel!r}.")
    D, w = check_distances(distances, weights)
    cands = candidates if candidates is not None else Candidates.default(D.shape[0])
    if len(cands.kind) != D.shape[0]:
        raise InputError(
            f"candidates has {len(cands.kind)} rows but distances has {D.shape[0]} "
            "candidate rows; build both from the same candidate table."
        )
    rules = dataclasses.replace(rules or SiteRules(), **rule_kw)
    D, diag = prepare(D, cands, rules)
    return D, w, cands, rules, diag


def make_result(
    model,
    open_sites,
    D,
    out_status,
    objective,
    bound,
    gap,
    solver,
    via,
    t_build,
    t_solve,
    stats,
    assignment=None,
    unserved=0.0,
    message="",
) -> SitingResult:
    n_dem = D.shape[1]
    covered = np.zeros(n_dem, dtype=bool)
    if len(open_sites):
        covered[D[open_sites].indices] = True
    if assignment is None:
        assignment = nearest_open(D, open_sites)
    res = SitingResult(
        np.asarray(open_sites, dtype=int),
        covered,
        out_status,
        float(objective),
        float(bound),
        float(gap),
        solver,
        t_build,
        t_solve,
        model=model,
        stats=stats,
        assignment=assignment,
        unserved=float(unserved),
        message=message,
        via=via,
    )
    log.info(
        "siting (%s, %s/%s): %s, %d sites open, objective %.6g, bound %.6g, gap %.3g %%, "
        "%.2f s + %.2f s",
        model,
        solver,
        via,
        res.status,
        len(res.open_sites),
        res.objective,
        res.best_bound,
        100 * res.gap if np.isfinite(res.gap) else np.inf,
        t_build,
        t_solve,
    )
    return res


def nearest_open(D: sparse.csr_matrix, open_sites: np.ndarray) -> np.ndarray:
    """Per demand column, the open site (row) with the smallest stored distance, or -1."""
    out = np.full(D.shape[1], -1)
    best = np.full(D.shape[1], np.inf)
    for j in np.asarray(open_sites, dtype=int):
        s, e = D.indptr[j], D.indptr[j + 1]
        idx, d = D.indices[s:e], D.data[s:e]
        better = d < best[idx]
        best[idx[better]] = d[better]
        out[idx[better]] = j
    return out


def infeasible(model, msgs, D, solver, via, **kw) -> SitingResult:
    msg = " ".join(msgs)
    log.info("siting (%s) infeasible: %s", model, msg)  # the caller raises or reports it
    return failed(model, "infeasible", msg, D.shape[1], solver, via, **kw)


def check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a whole number >= 1, got {value!r}.")
