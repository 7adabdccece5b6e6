"""Coverage models: maximal covering (MCLP) and set covering (LSCP)."""

from __future__ import annotations

import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy import sparse

from ..errors import InputError
from ._common import check_count, infeasible, make_result, setup
from .benders import dual_bound, solve_cover_benders, supports
from .cover_search import CoverPairs
from .dense import check_method, choose, strong_start
from .greedy import Greedy
from .milp import PROVEN_GAP, Milp, MilpBuilder, relative_gap, solve_milp
from .options import SolverOptions
from .result import Outcome, SitingResult, failed
from .set_cover import solve_set_cover_dense
from .sites import Candidates, SiteRules, add_site_rows, demand_groups, fmt, y_bounds

#: HiGHS solves the MCLP's LPs by the interior point method: on Greater Porto
#: (9,674 demand groups x 5,000 candidates, 300 sites) the dual simplex spent 8 s
#: re-solving a root whose bound was already the optimum, the IPM 0.9 s.
HIGHS_OPTIONS = {"mip_lp_solver": "ipm"}
#: Seconds of subgradient steps for a bound when the solver stopped without one.
FALLBACK_BOUND_S = 1.0
#: Seconds for the LP bound of a set covering stopped without a bound.
FALLBACK_LP_S = 10.0


def solve_mclp(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    max_sites: int | None,
    *,
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    options: SolverOptions | None = None,
    method: str = "auto",
) -> SitingResult:
    """Maximal covering: the most parcels within the cutoff of at most ``max_sites`` sites.

    ::

        maximise    sum_i w[i] z[i]
        subject to  z[i] <= sum_{j reaches i} y[j]      z in [0, 1], y binary
                    site rules (count, per kind, budget, spacing)

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    weights : numpy.ndarray
        Parcels per day per demand column.
    max_sites : int or None
        At most this many open sites; ``None`` when only a budget or per-kind
        limits bound the choice (``rules.budget`` / ``rules.max_per_kind``).
    candidates : Candidates, optional
        Kinds, costs, forced-open and excluded sites.
    rules : SiteRules, optional
        Per-kind limits, budget, spacing, cutoffs (``max_sites`` here wins).
    options : SolverOptions, optional
        Solver, ``via``, time limit, gap, seed; default ``SolverOptions()``.
    method : {"auto", "direct", "benders"}, default "auto"
        The MILP above, or the decomposition of :mod:`lockerplan.siting.benders`
        where coverage is dense; ``"auto"`` chooses from the density
        (:mod:`lockerplan.siting.dense`; ``stats["method"]`` says which ran).
        Both start from the greedy plan improved by a swap search and never
        return a plan covering less.

    Returns
    -------
    SitingResult
        ``objective`` = parcels/day covered; ``best_bound`` an upper bound, finite
        for every solve that ran (at worst the bound of the cuts' dual, near the
        LP bound, or all coverable parcels).

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(([100.0, 50.0, 80.0], ([0, 1, 1], [0, 1, 2])), shape=(2, 3))
    >>> result = solve_mclp(D, np.array([5.0, 1.0, 2.0]), max_sites=1)
    >>> result.status, result.objective, result.open_sites.tolist()
    ('optimal', 5.0, [0])
    """
    check_max_sites(max_sites)
    check_method(method)
    D, w, cands, rules, diag, opts = setup(
        distances, weights, candidates, rules, options, dominance="drop", max_sites=max_sites
    )
    require_a_limit(rules)
    if diag:
        return infeasible("mclp", diag, D, opts)
    t0 = time.perf_counter()
    n_cand, n_dem = D.shape
    cover = D.tocsc()
    group, first = demand_groups(D, w)
    weight = np.bincount(group[group >= 0], weights=w[group >= 0], minlength=len(first))
    b = MilpBuilder()
    lb, ub = y_bounds(cands)
    y = b.add_columns("y", np.zeros(n_cand), lb, ub, integer=True)
    z = b.add_columns("z", -weight, 0.0, 1.0)
    pair_rows, site_rows = _pairs_of(cover, first)
    b.add_rows(
        "cover",
        np.r_[np.arange(len(first)), pair_rows],
        np.r_[z, y[site_rows]],
        np.r_[np.ones(len(first)), -np.ones(len(site_rows))],
        hi=np.zeros(len(first)),
    )
    add_site_rows(b, y, cands, rules)
    milp = b.build()
    start = _greedy_start(site_rows, pair_rows, weight, cands, rules, y, z)
    stats = {
        "variables": milp.shape[1],
        "constraints": milp.shape[0],
        "coverable_demand": int((group >= 0).sum()),
        "demand_groups": len(first),
        "greedy_covered": round(float(-milp.c @ start), 6),
    }
    # the greedy plan improved by swaps: the MIP start, and the least answer
    pairs = CoverPairs.of(site_rows, pair_rows, weight, n_cand)
    best, stats["start_search"] = strong_start(pairs, start[y] > 0.5, cands, rules, opts)
    start[y], start[z] = best, np.minimum(pairs.count(best), 1.0)
    how, figures = choose(method, len(first), len(site_rows), rules)
    stats.update(figures)
    t_build = time.perf_counter() - t0
    if how == "benders":
        return _benders_result(pairs, best, cands, rules, opts, D, w, stats, t0, t_build)
    out = solve_milp(milp, opts, start=start, highs_options=HIGHS_OPTIONS)
    if out.x is None and out.status != "infeasible":  # time limit before any plan
        out.x = start
    return _mclp_result(out, y, pairs, best, cands, rules, opts, D, w, stats, t_build)


def _mclp_result(
    out: Any,
    y: np.ndarray,
    pairs: CoverPairs,
    best: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    opts: SolverOptions,
    D: sparse.csr_matrix,
    w: np.ndarray,
    stats: dict,
    t_build: float,
) -> SitingResult:
    """The MILP's plan (never below its start ``best``), its coverage and proven bound."""
    n_dem = D.shape[1]
    if out.x is None:
        msg = "the site rules admit no plan" if out.status == "infeasible" else out.detail
        return failed(
            "mclp",
            out.status,
            msg,
            n_dem,
            opts.solver,
            opts.via,
            build_s=t_build + out.build_s,
            solve_s=out.solve_s,
            stats=stats,
        )
    plan = out.x[y] > 0.5
    if pairs.covered(best) > pairs.covered(plan):
        plan = best  # the solver stopped on a plan below its start
    chosen = _drop_redundant(D.tocsc(), np.flatnonzero(plan), w, cands.forced_open)
    covered = np.zeros(n_dem, dtype=bool)
    if len(chosen):
        covered[D[chosen].indices] = True
    objective = float(w[covered].sum())
    bound = -out.bound if np.isfinite(out.bound) else _fallback_bound(pairs, best, cands, rules)
    bound = max(bound, objective)
    gap = 0.0 if out.status == "optimal" else (bound - objective) / max(bound, 1e-9)
    outcome = Outcome(
        "mclp",
        chosen,
        "optimal" if out.status == "optimal" or gap <= PROVEN_GAP else "feasible",
        objective,
        bound,
        gap,
        build_s=t_build + out.build_s,
        solve_s=out.solve_s,
        stats=stats,
        unserved=float(w[~covered].sum()),
    )
    return make_result(outcome, D, opts)


def _lscp_dense(
    R: sparse.csr_matrix,
    cost: np.ndarray,
    cands: Candidates,
    start: np.ndarray,
    whole: bool,
    opts: SolverOptions,
    t0: float,
    t_build: float,
) -> Outcome:
    """The set cover solved by :func:`~lockerplan.siting.set_cover.solve_set_cover_dense`."""
    dense = solve_set_cover_dense(
        R, cost, cands, start, whole=whole, options=opts, deadline=t0 + opts.time_limit_s
    )
    return Outcome(
        "lscp",
        np.flatnonzero(dense.open_mask),
        dense.status,
        dense.objective,
        dense.bound,
        dense.gap,
        build_s=t_build,
        solve_s=time.perf_counter() - t0 - t_build,
        stats={"benders": dense.stats},
    )


def _pairs_of(cover: sparse.csc_matrix, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reaching pairs of the demand ``columns`` of ``cover`` (candidates x demand):
    each pair's demand row (0 .. len(columns) - 1) and candidate."""
    counts = np.diff(cover.indptr)[columns]
    rows = np.repeat(np.arange(len(columns)), counts)
    sites = (
        np.concatenate([cover.indices[cover.indptr[i] : cover.indptr[i + 1]] for i in columns])
        if len(columns)
        else np.zeros(0, int)
    )
    return rows, sites


def _fallback_bound(pairs: CoverPairs, plan: np.ndarray, cands, rules: SiteRules) -> float:
    """An upper bound when the solver reports none: the cuts' dual bound (near the LP
    bound, :func:`~lockerplan.siting.benders.dual_bound`), or all coverable parcels."""
    if supports(rules):
        return dual_bound(pairs, cands, rules, plan, FALLBACK_BOUND_S)
    return float(pairs.weight.sum())


def _benders_result(pairs, best, cands, rules, opts, D, w, stats, t0, t_build) -> SitingResult:
    """Solve by the decomposition (:func:`~lockerplan.siting.benders.solve_cover_benders`)."""
    deadline = t0 + opts.time_limit_s
    out = solve_cover_benders(pairs, cands, rules, best, options=opts, deadline=deadline)
    stats["benders"] = out.stats
    chosen = _drop_redundant(D.tocsc(), np.flatnonzero(out.open_mask), w, cands.forced_open)
    covered = np.zeros(D.shape[1], dtype=bool)
    if len(chosen):
        covered[D[chosen].indices] = True
    objective = float(w[covered].sum())
    solve_s = time.perf_counter() - t0 - t_build
    outcome = Outcome(
        "mclp",
        chosen,
        out.status,
        objective,
        max(out.bound, objective),
        out.gap,
        build_s=t_build,
        solve_s=solve_s,
        stats=stats,
        unserved=float(w[~covered].sum()),
    )
    return make_result(outcome, D, opts)


def _greedy_start(
    rows: np.ndarray,
    cols: np.ndarray,
    weight: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    y: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """The greedy plan (:class:`~lockerplan.siting.greedy.Greedy`, site ``rows`` reaching
    demand groups ``cols`` of ``weight``) as a start vector over the columns ``y``, ``z``."""
    n_cand = len(cands.kind)
    reach = np.bincount(rows, weights=weight[cols], minlength=n_cand)
    model = SimpleNamespace(
        rows=rows,
        cols=cols,
        demand=weight,
        room=np.maximum(reach, 1e-9),
        most=np.ones(n_cand),
        cands=cands,
        rules=rules,
    )
    opened = Greedy(model).run() > 0
    start = np.zeros(len(y) + len(z))
    start[y] = opened
    start[z] = np.minimum(np.bincount(cols, opened[rows], len(weight)), 1.0)
    return start


def check_max_sites(max_sites) -> None:
    """Raise :class:`InputError` unless ``max_sites`` is ``None`` or a whole number >= 1."""
    if max_sites is not None:
        check_count("sites", max_sites)


def require_a_limit(rules: SiteRules) -> None:
    """Raise :class:`InputError` when nothing (count, budget, per kind) limits the sites."""
    if rules.max_sites is None and rules.budget is None and not rules.max_per_kind:
        raise InputError(
            "max_sites is None but no budget or max_per_kind limits the sites; "
            "pass max_sites or rules.budget."
        )


def _drop_redundant(cover, chosen, weights, forced) -> np.ndarray:
    """Close open sites whose every covered demand is also covered by another open site."""
    keep = list(chosen)
    counts = np.zeros(cover.shape[1], dtype=int)
    csr = cover.tocsr()
    for j in keep:
        counts[csr.indices[csr.indptr[j] : csr.indptr[j + 1]]] += 1
    order = sorted(
        keep, key=lambda j: weights[csr.indices[csr.indptr[j] : csr.indptr[j + 1]]].sum()
    )
    for j in order:
        if forced[j]:
            continue
        members = csr.indices[csr.indptr[j] : csr.indptr[j + 1]]
        if np.all(counts[members] >= 2):
            counts[members] -= 1
            keep.remove(j)
    return np.array(sorted(keep), dtype=int)


def solve_lscp(
    distances: sparse.spmatrix,
    weights: np.ndarray | None = None,
    *,
    minimise: str = "sites",
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    options: SolverOptions | None = None,
    method: str = "auto",
) -> SitingResult:
    """Set covering: fewest sites (or least fixed cost) reaching every coverable demand point.

    Demand points that no candidate reaches cannot be covered; they are left out
    and named in ``message`` (their parcels in ``unserved``).

    Other parameters are as in :func:`solve_mclp`.

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    weights : numpy.ndarray, optional
        Parcels per day (only to report ``unserved``; demand with weight 0 still
        counts as a point to cover).
    minimise : {"sites", "cost"}, default "sites"
        Count open sites, or sum ``candidates.fixed_cost``.
    method : {"auto", "direct", "benders"}, default "auto"
        The MILP, or where coverage is dense the cover rows' dual bound, fixing
        and a restricted MILP (:mod:`lockerplan.siting.set_cover`; forced and
        excluded sites only); ``stats["method"]`` says which ran.

    Returns
    -------
    SitingResult
        ``objective`` = sites (or cost); ``best_bound`` a lower bound.

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 1, 2], [0, 0, 1, 2])), shape=(3, 4))
    >>> r = solve_lscp(D)
    >>> r.status, r.objective, r.open_sites.tolist(), r.message
    ('optimal', 2.0, [1, 2], '1 demand point(s) are out of reach of every candidate: 3.')
    """
    if minimise not in ("sites", "cost"):
        raise InputError(f"minimise must be 'sites' or 'cost', got {minimise!r}.")
    check_method(method)
    if weights is None:
        weights = np.ones(distances.shape[1])
    D, w, cands, rules, diag, opts = setup(
        distances, weights, candidates, rules, options, dominance="drop"
    )
    if diag:
        return infeasible("lscp", diag, D, opts)
    t0 = time.perf_counter()
    n_cand, n_dem = D.shape
    cover = D.tocsc()
    counts = np.diff(cover.indptr)
    coverable = np.flatnonzero(counts > 0)
    lost = np.flatnonzero(counts == 0)
    b = MilpBuilder()
    lb, ub = y_bounds(cands)
    cost = np.ones(n_cand) if minimise == "sites" else cands.fixed_cost
    y = b.add_columns("y", cost, lb, ub, integer=True)
    local, cols = _pairs_of(cover, coverable)
    b.add_rows("cover", local, y[cols], np.ones(len(cols)), lo=np.ones(len(coverable)))
    add_site_rows(b, y, cands, rules)
    milp = b.build()
    t_build = time.perf_counter() - t0
    stats = {"variables": milp.shape[1], "constraints": milp.shape[0], "uncoverable": len(lost)}
    note = ""
    if len(lost):
        shown = ", ".join(str(i) for i in lost[:10]) + (" ..." if len(lost) > 10 else "")
        note = f"{len(lost)} demand point(s) are out of reach of every candidate: {shown}."
    # a greedy cover to start from: CBC stopped at its time limit still has a plan
    start = greedy_cover(D, cands, rules)
    how, figures = choose(method, len(coverable), len(cols), rules, model="lscp")
    stats.update(figures)
    if how == "benders":
        R = sparse.csr_matrix((np.ones(len(cols)), (cols, local)), shape=(n_cand, len(coverable)))
        outcome = _lscp_dense(R, cost, cands, start, minimise == "sites", opts, t0, t_build)
        outcome.stats.update(stats)
        return make_result(replace(outcome, unserved=float(w[lost].sum()), message=note), D, opts)
    out = solve_milp(milp, opts, start=start)
    if out.x is None:
        msg = note
        if out.status == "infeasible":
            msg = (_lscp_diagnosis(rules) + " " + note).strip()
        return failed(
            "lscp",
            out.status,
            msg,
            n_dem,
            opts.solver,
            opts.via,
            build_s=t_build + out.build_s,
            solve_s=out.solve_s,
            stats=stats,
        )
    chosen = np.flatnonzero(out.x[y] > 0.5)
    if not np.isfinite(out.bound):  # the solver stopped without a bound: the LP's
        out.bound = min(_lp_bound(milp, opts), out.objective)
        out.gap = relative_gap(out.objective, out.bound)
    outcome = Outcome(
        "lscp",
        chosen,
        out.status,
        out.objective,
        out.bound,
        out.gap,
        build_s=t_build + out.build_s,
        solve_s=out.solve_s,
        stats=stats,
        unserved=float(w[lost].sum()),
        message=note,
    )
    return make_result(outcome, D, opts)


def _lp_bound(milp: Milp, opts: SolverOptions) -> float:
    """The LP relaxation's optimum of a minimisation (HiGHS, at most ``FALLBACK_LP_S``
    seconds), or the least objective the bounds allow when the LP is not solved."""
    relaxed = replace(milp, integer=np.zeros_like(milp.integer))
    lp_opts = replace(opts, solver="highs", via="highspy", time_limit_s=FALLBACK_LP_S)
    out = solve_milp(relaxed, lp_opts, highs_options={"solver": "ipm"})
    if out.status == "optimal":
        return float(out.objective)
    low = np.where(milp.c > 0, milp.lb, milp.ub)
    return float(milp.c @ np.where(np.isfinite(low), low, 0.0) + milp.offset)


def _lscp_diagnosis(rules: SiteRules) -> str:
    limits = []
    if rules.max_sites is not None:
        limits.append(f"max_sites={rules.max_sites}")
    if rules.max_per_kind:
        limits.append(f"max_per_kind={rules.max_per_kind}")
    if rules.budget is not None:
        limits.append(f"budget={fmt(rules.budget)}")
    if rules.min_spacing_m is not None:
        limits.append(f"min_spacing_m={fmt(rules.min_spacing_m)}")
    return (
        "no set of sites covers every coverable demand point within "
        + (", ".join(limits) or "the site rules")
        + "; relax these limits or use solve_mclp."
    )


def greedy_cover(D: sparse.csr_matrix, cands: Candidates, rules: SiteRules) -> np.ndarray | None:
    """Sites covering every reachable demand point, picked greedily (an LSCP start).

    From the forced sites, the candidate reaching the most points not yet covered
    is opened until none is left (Chvatal's greedy, within ``1 + ln n`` of the
    fewest sites). None under a site limit, budget or spacing rule (the greedy
    may break them).

    Examples
    --------
    >>> D = sparse.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 1, 2], [0, 0, 1, 2])), shape=(3, 4))
    >>> greedy_cover(D, Candidates.default(3), SiteRules()).tolist()
    [0.0, 1.0, 1.0]
    """
    if rules.max_sites or rules.max_per_kind or rules.budget is not None or rules.min_spacing_m:
        return None
    reach = sparse.csr_matrix(D, dtype=np.int32, copy=True)  # stored 0 m walks reach too
    reach.data[:] = 1
    by_point = reach.T.tocsr()  # demand point -> candidates reaching it
    covered = np.asarray(reach[cands.forced_open].sum(axis=0)).ravel() > 0
    covered |= np.diff(by_point.indptr) == 0  # no candidate reaches it: not counted
    gain = np.asarray(reach[:, ~covered].sum(axis=1)).ravel().astype(float)
    gain[cands.excluded | cands.forced_open] = -1
    y = cands.forced_open.astype(float)
    while not covered.all() and gain.max() > 0:
        j = int(np.argmax(gain))
        y[j], gain[j] = 1.0, -1
        new = reach.indices[reach.indptr[j] : reach.indptr[j + 1]]
        new = new[~covered[new]]
        covered[new] = True
        for i in new:  # those points no longer count for the other candidates
            gain[by_point.indices[by_point.indptr[i] : by_point.indptr[i + 1]]] -= 1
    return y if covered.all() else None  # only excluded sites reach some point
