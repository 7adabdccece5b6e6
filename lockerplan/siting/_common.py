"""Shared plumbing of the siting models: validation, results, diagnoses."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from scipy import sparse

from ..errors import InputError
from .options import SolverOptions, solver_options
from .result import Outcome, SitingResult, failed
from .sites import Candidates, SiteRules, check_distances, dominators, prepare

log = logging.getLogger("lockerplan.siting")


def setup(
    distances,
    weights,
    candidates,
    rules,
    options: SolverOptions | None,
    *,
    dominance: str | None = None,
    most: np.ndarray | None = None,
    **rule_kw,
) -> tuple[sparse.csr_matrix, np.ndarray, Candidates, SiteRules, list[str], SolverOptions]:
    """Check the inputs of a model and apply the site rules' cutoffs.

    Returns the prepared matrix, the weights, candidates, rules, pre-solve
    diagnoses and the solver options (defaults filled in). The prepared matrix
    has the per-kind and per-demand cutoffs and the exclusions applied: every
    model solves, and reports its allocation, on it. ``dominance`` applies the
    sites :func:`~lockerplan.siting.sites.dominators` finds, exactly:
    ``"drop"`` (the uncapacitated coverage models) excludes the dominated sites;
    ``"order"`` (capacitated models, where a site and its dominator may both be
    needed) keeps them and adds the rule "open a dominated site only with its
    dominator" (:attr:`~lockerplan.siting.sites.SiteRules.open_with`). With ``most``
    (per candidate, the most parcels/day its most modules hand out) a dominated site
    whose dominator can hand out all the demand it reaches is excluded under
    ``"order"`` too: opened beside it, it can close and the dominator take its load
    (within its modules, at no more module cost, one site fewer); opened without
    it, it can swap for it.
    """
    if dominance not in (None, "drop", "order"):
        raise ValueError(f"dominance must be None, 'drop' or 'order', got {dominance!r}")
    opts = solver_options(options)
    D, w = check_distances(distances, weights)
    cands = candidates if candidates is not None else Candidates.default(D.shape[0])
    if len(cands.kind) != D.shape[0]:
        raise InputError(
            f"candidates has {len(cands.kind)} rows but distances has {D.shape[0]} "
            "candidate rows; build both from the same candidate table."
        )
    rules = dataclasses.replace(rules or SiteRules(), **rule_kw)
    D, diag = prepare(D, cands, rules)
    if dominance and not diag:
        over = dominators(D, cands, rules)
        drop = over >= 0
        if dominance == "drop" and drop.any():
            log.info("siting: %d of %d candidate sites dominated, left out", drop.sum(), len(drop))
            cands = dataclasses.replace(cands, excluded=cands.excluded | drop)
            D, diag = prepare(D, cands, rules)
        elif drop.any() and most is not None:
            D, cands, drop = _drop_under_roomy(D, w, cands, rules, over, drop, most)
        if dominance == "order" and drop.any():
            log.info(
                "siting: %d of %d candidate sites dominated, opened only with their dominator",
                drop.sum(),
                len(drop),
            )
            pairs = np.column_stack([np.flatnonzero(drop), over[drop]])
            rules = dataclasses.replace(rules, open_with=pairs)
    return D, w, cands, rules, diag, opts


def _drop_under_roomy(D, w, cands, rules, over, drop, most):
    """Exclude the dominated sites whose dominator can hand out all it reaches (see
    :func:`setup`); the prepared matrix, candidates and the dominated sites left."""
    reach = sparse.csr_matrix((np.ones(D.nnz), D.indices, D.indptr), D.shape) @ w
    roomy = np.asarray(most, dtype=float) >= reach * (1 + 1e-9)
    free = drop & roomy[np.maximum(over, 0)]
    if free.any():
        log.info(
            "siting: %d dominated sites left out (their dominators hold all they reach)", free.sum()
        )
        cands = dataclasses.replace(cands, excluded=cands.excluded | free)
        D, _ = prepare(D, cands, rules)
    return D, cands, drop & ~free


def make_result(outcome: Outcome, D: sparse.csr_matrix, opts: SolverOptions) -> SitingResult:
    """The result of a solved model; ``D`` is the prepared matrix (see :func:`setup`).

    Without ``outcome.assignment`` every demand column goes to its nearest open site
    within ``D`` (the uncapacitated models); ``assigned_m`` is read from ``D``.
    ``modules`` and ``load`` (per open site) and ``served`` (per demand column) are
    left empty for models that do not decide them.
    """
    o = outcome
    bound, gap = finite_bound(o.model, o.objective, o.bound, o.gap)
    n_dem = D.shape[1]
    open_sites = np.asarray(o.open_sites, dtype=int)
    covered = np.zeros(n_dem, dtype=bool)
    if len(open_sites):
        covered[D[open_sites].indices] = True
    assignment = nearest_open(D, open_sites) if o.assignment is None else o.assignment
    res = SitingResult(
        open_sites,
        covered,
        o.status,
        float(o.objective),
        float(bound),
        float(gap),
        opts.solver,
        o.build_s,
        o.solve_s,
        model=o.model,
        stats=o.stats,
        assignment=assignment,
        unserved=float(o.unserved),
        message=o.message,
        via=opts.via,
        assigned_m=assigned_distances(D, assignment),
    )
    if o.modules is not None:
        res.modules = np.asarray(o.modules, dtype=int)
    if o.served is not None:
        res.served = np.asarray(o.served, dtype=float)
    if o.load is not None:
        res.load = np.asarray(o.load, dtype=float)
    log.info(
        "siting (%s, %s/%s): %s, %d sites open, objective %.6g, bound %.6g, gap %.3g %%, "
        "%.2f s + %.2f s",
        o.model,
        opts.solver,
        opts.via,
        res.status,
        len(res.open_sites),
        res.objective,
        res.best_bound,
        100 * res.gap if np.isfinite(res.gap) else np.inf,
        o.build_s,
        o.solve_s,
    )
    return res


#: Models that minimise a cost that is never negative (sites, fixed cost, walking).
MINIMISING = ("lscp", "pmedian", "cflp")


def finite_bound(model: str, objective: float, bound: float, gap: float) -> tuple[float, float]:
    """``bound`` and ``gap``, or for a minimising model stopped without a bound, 0 and
    the gap to it (its costs are never negative): a solve that ran reports a finite
    bound and gap.

    Examples
    --------
    >>> finite_bound("pmedian", 50.0, -np.inf, np.inf)
    (0.0, 1.0)
    >>> finite_bound("mclp", 50.0, 60.0, 1 / 6)
    (60.0, 0.16666666666666666)
    """
    if model in MINIMISING and np.isfinite(objective) and not np.isfinite(bound):
        log.warning("siting (%s): the solver reported no bound; 0 is used", model)
        return 0.0, 1.0 if objective > 0 else 0.0
    return bound, gap


def assigned_distances(D: sparse.csr_matrix, assignment: np.ndarray) -> np.ndarray:
    """Per demand column, the stored distance to its assigned site (NaN: none).

    Raises ``RuntimeError`` when a column is assigned to a site that ``D`` does not
    reach (a bug: every model assigns along stored pairs only).
    """
    assignment = np.asarray(assignment, dtype=int)
    out = np.full(D.shape[1], np.nan)
    coo = D.tocoo()
    match = coo.row == assignment[coo.col]
    out[coo.col[match]] = coo.data[match]
    stray = (assignment >= 0) & np.isnan(out)
    if stray.any():
        i = int(np.flatnonzero(stray)[0])
        raise RuntimeError(
            f"demand column {i} is assigned to site {assignment[i]}, which does not reach "
            "it within the cutoffs."
        )
    return out


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


def infeasible(model, msgs, D, opts: SolverOptions, **kw) -> SitingResult:
    msg = " ".join(msgs)
    log.info("siting (%s) infeasible: %s", model, msg)  # the caller raises or reports it
    return failed(model, "infeasible", msg, D.shape[1], opts.solver, opts.via, **kw)


def check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a whole number >= 1, got {value!r}.")
