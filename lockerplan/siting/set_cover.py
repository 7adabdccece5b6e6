"""Set covering where coverage is dense: the cover rows' dual bound, fixing, a restricted MILP.

The set covering model (LSCP) opens the cheapest sites (``cost[j]``: 1 to count
sites) such that every coverable point ``i`` is reached:
``sum_{j in N(i)} y[j] >= 1``. It has no demand variables to project out; the
cuts of :mod:`lockerplan.siting.benders` with every point required covered
become, for multipliers ``u >= 0`` on the cover rows, the bound

::

    L(u) = sum_i u[i] + sum_j min(0, cost[j] - v[j]),   v[j] = sum_{i in N(j)} u[i]

(forced sites add ``cost[j] - v[j]`` whatever its sign): the Lagrangian dual of
the cover rows, whose best value is the LP bound (Beasley 1990, "A Lagrangian
heuristic for set-covering problems", NRL 37). What is solved:

1. **Dual bound**: the LP of the cover rows by HiGHS's interior point method,
   its row duals as ``u`` (``L(u)`` is then the LP bound), followed by small
   projected subgradient steps around them for plans and fixing; if the LP is
   not solved within its share of the time, subgradient steps from Beasley's
   start ``u[i] = min_{j in N(i)} cost[j] / |N(j)|``. Every ``L(u)`` is a lower
   bound, however accurate ``u``. The subgradient steps alone end well below the
   LP on dense instances (Kings' street corners at 800 m: 84.7 against 89.3,
   Central Porto's walk nodes at 800 m: 44.4 against 50.0).
2. **Plans** from the sites of negative reduced cost ``cost[j] - v[j]``,
   completed by the greedy cover (most uncovered points per cost) and pruned
   of sites whose points others cover (a Lagrangian heuristic).
3. **Fixing**: a site outside ``L(u)``'s choice with reduced cost ``r`` cannot be
   in a plan better than the best one when ``L(u) + r`` reaches the best cost
   (less one site when counting sites, whole numbers); a chosen one likewise
   cannot be left out when ``L(u) - r`` does.
4. **Fewer sites** (counting sites): close the open site whose points the
   others cover most, and search for a plan of that many sites covering every
   point by the weighted search of
   :func:`~lockerplan.siting.cover_search.weighted_search`; repeat while it
   succeeds, down to the bound. The better plan fixes more sites (3 again, at
   the best multipliers).
5. **The restricted MILP** over the sites not fixed, from the best plan; its
   bound with the fixing bounds every plan; its root cuts may prove a plan the
   LP cannot (Porto: 51 sites against 50.0). Where the gap stays wide the MILP
   gets half the time left and the search for fewer sites, doubling its
   patience each time it fails, the rest: on Kings (60 s limit) the cover went
   from 103 sites to 100, the bound from 85 to 90.

Only forced and excluded sites are handled (:func:`supports`): a site count,
per-kind limits, a budget or spacing go to the direct MILP.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
from scipy import sparse

from .benders import BendersOutcome
from .cover_search import CoverPairs, weighted_search
from .milp import PROVEN_GAP, MilpBuilder, solve_milp
from .options import SolverOptions
from .sites import Candidates, SiteRules, open_with_pairs, spacing_pairs

log = logging.getLogger(__name__)

#: Subgradient: first step scale, halved after ``STALL_STEPS`` steps without a
#: better bound; stop below ``MIN_SCALE`` or after ``MAX_STEPS`` steps.
FIRST_SCALE, STALL_STEPS, MIN_SCALE, MAX_STEPS = 2.0, 20, 1e-4, 3000
#: Share of the time limit the LP and the dual steps may take at most.
ROOT_SHARE = 0.3
#: First step scale of the subgradient steps from the LP's duals.
LP_SCALE = 0.1
#: Steps between two Lagrangian plans.
PLAN_EVERY = 20
#: Share of the time left for the search for covers with fewer sites.
FEWER_SHARE = 0.3
#: Where the cover is more than ``WIDE_GAP`` above the dual bound, the restricted
#: MILP gets ``WIDE_MILP_SHARE`` of the time left and, unless it proves its plan,
#: the search the rest, ever more patient (module docstring, 5).
WIDE_GAP, WIDE_MILP_SHARE = 0.05, 0.5
#: Rounds of the weighted search for a cover with one site less (its start misses a
#: few points: beating it is covering them all).
FEWER_PATIENCE = 150


def supports(rules: SiteRules) -> bool:
    """Whether the decomposition handles ``rules`` (forced and excluded sites only)."""
    return (
        rules.max_sites is None
        and not rules.max_per_kind
        and rules.budget is None
        and not len(spacing_pairs(rules))
        and not len(open_with_pairs(rules))
    )


class _Cover:
    """Sites x points reach ``R`` (coverable points only), costs, forced and allowed sites."""

    def __init__(self, R: sparse.csr_matrix, cost, forced, allowed, whole: bool):
        self.R = R
        self.Rt = R.T.tocsr()
        self.cost = np.asarray(cost, dtype=float)
        self.forced, self.allowed = forced, allowed
        self.whole = whole  # counting sites: costs are whole numbers

    def covers(self, mask: np.ndarray) -> np.ndarray:
        return self.Rt @ mask.astype(float) > 0.5

    def complete(self, mask: np.ndarray) -> np.ndarray:
        """``mask`` with sites added greedily (most uncovered points per cost) until all
        points are covered, then sites whose points others cover removed (costliest first)."""
        mask = mask.copy()
        covered = self.covers(mask)
        while not covered.all():
            gain = self.R @ (~covered).astype(float)
            ratio = np.where(
                self.allowed & ~mask & (gain > 0), gain / np.maximum(self.cost, 1e-12), -1
            )
            j = int(np.argmax(ratio))
            if ratio[j] <= 0:
                return np.zeros(0, dtype=bool)  # only excluded sites reach a point
            mask[j] = True
            covered[self.R.indices[self.R.indptr[j] : self.R.indptr[j + 1]]] = True
        count = self.Rt @ mask.astype(float)
        for j in np.flatnonzero(mask & ~self.forced)[np.argsort(-self.cost[mask & ~self.forced])]:
            pts = self.R.indices[self.R.indptr[j] : self.R.indptr[j + 1]]
            if (count[pts] >= 2).all():
                mask[j] = False
                count[pts] -= 1
        return mask


def solve_set_cover_dense(
    R: sparse.csr_matrix,
    cost: np.ndarray,
    cands: Candidates,
    start: np.ndarray | None,
    *,
    whole: bool,
    options: SolverOptions,
    deadline: float,
) -> BendersOutcome:
    """Set covering by the dual bound, fixing and a restricted MILP (module docstring).

    Parameters
    ----------
    R : scipy.sparse.csr_matrix
        Sites x points, stored where a site reaches a point (every point reached).
    cost : numpy.ndarray
        Cost per site (ones to count sites).
    cands : Candidates
        Forced and excluded sites.
    start : numpy.ndarray or None
        A cover to start from (the greedy one), or None.
    whole : bool
        Costs are whole numbers (counting sites): a better plan costs one less.
    options : SolverOptions
        Solver of the restricted MILP, seed, threads, gap.
    deadline : float
        ``time.perf_counter()`` value by which to stop.

    Examples
    --------
    >>> R = sparse.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]]))
    >>> out = solve_set_cover_dense(R, np.ones(4), Candidates.default(4), None, whole=True,
    ...                             options=SolverOptions(), deadline=time.perf_counter() + 10)
    >>> out.status, out.objective, out.bound
    ('optimal', 2.0, 2.0)
    """
    t0 = time.perf_counter()
    tol = max(options.gap_rel, PROVEN_GAP)
    allowed = ~cands.excluded
    cover = _Cover(R, cost, cands.forced_open, allowed, whole)
    best = cover.complete(cands.forced_open.copy() if start is None else np.asarray(start) > 0.5)
    if not len(best):
        best = np.asarray(start) > 0.5
    best_cost = float(cost[best].sum())
    stats: dict = {"start_cost": best_cost}
    root_end = min(deadline, t0 + ROOT_SHARE * (deadline - t0))
    u = _lp_duals(cover, root_end, options)
    if u is None:  # the subgradient steps from Beasley's start, in as much time again
        now = time.perf_counter()
        root_end = min(deadline, now + ROOT_SHARE * (deadline - now))
    root = _dual(cover, best, best_cost, root_end, tol, u, FIRST_SCALE if u is None else LP_SCALE)
    best, best_cost, bound = root["best"], root["best_cost"], root["bound"]
    fixed0, fixed1 = root["fixed0"], root["fixed1"]
    unit, least = bool(np.all(cost[allowed] == 1.0)), float(np.ceil(bound - 1e-6))
    if unit and _gap(best_cost, least) > tol and time.perf_counter() < deadline:
        end = time.perf_counter() + FEWER_SHARE * (deadline - time.perf_counter())
        best, fixed0, fixed1 = _fewer(cover, root["u"], best, least, end, (fixed0, fixed1))
        best_cost, stats["fewer_sites"] = float(best.sum()), int(best.sum())
    stats.update(
        root_steps=root["steps"],
        root_bound=round(bound, 6),
        root_cost=best_cost,
        fixed_closed=int(fixed0.sum()),
        fixed_open=int(fixed1.sum()),
        root_s=round(time.perf_counter() - t0, 3),
    )
    wide = unit and _gap(best_cost, least) > WIDE_GAP
    if _gap(best_cost, bound) > tol and time.perf_counter() < deadline:
        share = WIDE_MILP_SHARE if wide else 1.0
        end = time.perf_counter() + share * (deadline - time.perf_counter())
        found = _restricted(cover, fixed0, fixed1, best, options, end)
        if found is not None:
            mask, objective, lower = found
            if objective < best_cost:
                best, best_cost = mask, objective
            bound = max(bound, min(lower, best_cost))
    least = float(np.ceil(bound - 1e-6))
    if wide and _gap(best_cost, least) > tol and time.perf_counter() < deadline:
        best = fewer_sites(cover, best, least, deadline, persist=True)
        best_cost, stats["fewer_sites"] = float(best.sum()), int(best.sum())
    if whole:
        bound = float(np.ceil(bound - 1e-6))
    bound = min(bound, best_cost)
    gap = _gap(best_cost, bound)
    status = "optimal" if gap <= tol else "feasible"
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    log.info(
        "set cover (dense): %s, cost %.6g, bound %.6g (root %.6g by %s), %d + %d fixed",
        status,
        best_cost,
        bound,
        root["bound"],
        f"{root['steps']} subgradient steps" if root["steps"] else "the LP",
        stats["fixed_closed"],
        stats["fixed_open"],
    )
    return BendersOutcome(status, best, best_cost, bound, gap, stats)


def _fewer(cover: _Cover, u: np.ndarray, best, least: float, end: float, fixed: tuple):
    """:func:`fewer_sites` and, if it found a smaller cover, ``fixed`` (closed, open)
    with the sites it fixes at the multipliers ``u``: ``(plan, closed, open)``."""
    fewer = fewer_sites(cover, best, least, end)
    fixed0, fixed1 = fixed
    if fewer.sum() < best.sum():
        more0, more1 = _fixes(cover, *_lagrangian(cover, u), float(fewer.sum()))
        fixed0, fixed1 = fixed0 | more0, fixed1 | more1
    return fewer, fixed0, fixed1


def fewer_sites(
    cover: _Cover, best: np.ndarray, lower: float, deadline: float, *, persist: bool = False
) -> np.ndarray:
    """A cover of every point with fewer sites than ``best``, one site less at a time,
    while the weighted search finds one, down to ``lower`` sites (module docstring, 4).

    With ``persist`` a search that fails goes on from where it stopped with twice
    the patience, until ``deadline``; without, the first failure ends it.
    """
    n_points = cover.R.shape[1]
    pairs = CoverPairs(cover.R, cover.Rt, np.ones(n_points))
    cands = Candidates.default(len(best), forced_open=cover.forced, excluded=~cover.allowed)
    best, trial, patience = best.copy(), None, FEWER_PATIENCE
    while best.sum() - 1 >= lower and time.perf_counter() < deadline:
        if trial is None:
            removable = best & ~cover.forced
            if not removable.any():
                break
            alone = cover.R @ (pairs.count(best) < 1.5).astype(float)  # points only it covers
            trial = best.copy()
            trial[np.flatnonzero(removable)[np.argmin(alone[removable])]] = False
        rules = SiteRules(max_sites=int(trial.sum()))
        left = deadline - time.perf_counter()
        found, stats = weighted_search(
            pairs, trial, cands, rules, time_limit_s=left, patience=(patience,) * 2
        )
        if stats["covered"] >= n_points:
            best, trial, patience = found, None, FEWER_PATIENCE
        elif persist:
            trial, patience = found, 2 * patience
        else:
            break
    return best


def _lagrangian(cover: _Cover, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Reduced costs at ``u``, the sites ``L(u)`` opens and ``L(u)``."""
    r = cover.cost - cover.R @ u
    pick = cover.forced | (cover.allowed & (r < 0))
    return r, pick, float(u.sum() + r[pick].sum())


def _fixes(cover: _Cover, r, pick, value: float, best_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Sites that ``L(u)`` (reduced costs ``r``, its sites ``pick``, its ``value``)
    proves closed and open in every plan better than ``best_cost`` (module docstring, 3)."""
    target = best_cost - (1.0 - 1e-6 if cover.whole else 1e-9 * max(1.0, best_cost))
    free = cover.allowed & ~cover.forced
    return free & ~pick & (value + r > target), free & pick & (value - r > target)


def _gap(cost: float, bound: float) -> float:
    return max(cost - bound, 0.0) / max(abs(cost), 1e-9)


def _dual(cover: _Cover, best, best_cost, deadline, tol, u=None, scale=FIRST_SCALE) -> dict:
    """Projected subgradient on ``L(u)`` with Lagrangian plans and fixing, from ``u``
    (default: Beasley's start) with first step scale ``scale``."""
    R, Rt, cost = cover.R, cover.Rt, cover.cost
    if u is None:
        size = np.maximum(np.diff(R.indptr), 1)
        u = _min_over_sites(Rt, np.where(cover.allowed, cost / size, np.inf))
    n = len(cost)
    fixed0, fixed1 = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    bound, idle, steps, u_best = -np.inf, 0, 0, u
    while steps < MAX_STEPS and scale > MIN_SCALE and time.perf_counter() < deadline:
        r, pick, value = _lagrangian(cover, u)
        steps += 1
        if value > bound + 1e-12 * max(1.0, abs(value)):
            bound, idle, u_best = value, 0, u
        else:
            idle += 1
            if idle >= STALL_STEPS:
                scale, idle = scale / 2, 0
        if steps % PLAN_EVERY == 1:
            plan = cover.complete(pick)
            if len(plan) and cost[plan].sum() < best_cost:
                best, best_cost = plan, float(cost[plan].sum())
        more0, more1 = _fixes(cover, r, pick, value, best_cost)
        fixed0, fixed1 = fixed0 | more0, fixed1 | more1
        lower = np.ceil(bound - 1e-6) if cover.whole else bound
        if _gap(best_cost, lower) <= tol:
            break
        step = 1.0 - Rt @ pick.astype(float)
        step[(u <= 0) & (step < 0)] = 0.0
        norm = float(step @ step)
        if norm == 0.0:
            break
        u = np.maximum(u + scale * max(best_cost - value, 0.0) / norm * step, 0.0)
    return {
        "bound": bound,
        "best": best,
        "best_cost": best_cost,
        "fixed0": fixed0,
        "fixed1": fixed1,
        "steps": steps,
        "u": u_best,
    }


def _min_over_sites(Rt: sparse.csr_matrix, per: np.ndarray) -> np.ndarray:
    """Per point, the least ``per`` over the sites reaching it (0 if none is finite)."""
    vals = per[Rt.indices]
    out = np.full(Rt.shape[0], np.inf)
    rows = np.repeat(np.arange(Rt.shape[0]), np.diff(Rt.indptr))
    np.minimum.at(out, rows, vals)
    return np.where(np.isfinite(out), out, 0.0)


def _cover_model(cover: _Cover, lb: np.ndarray, ub: np.ndarray, *, integer: bool):
    """The set covering with site bounds ``lb``, ``ub`` (points the sites at ``lb``
    cover left out): ``(model, site columns, its points)``, or None when a point is
    reached by no site ``ub`` allows."""
    done = cover.covers(lb > 0.5)
    coo = cover.R.tocoo()
    keep = (ub[coo.row] > 0.5) & ~done[coo.col]
    points, local = np.unique(coo.col[keep], return_inverse=True)
    if len(points) < int((~done).sum()):
        return None
    b = MilpBuilder()
    y = b.add_columns("y", cover.cost, lb, ub, integer=integer)
    b.add_rows("cover", local, y[coo.row[keep]], np.ones(int(keep.sum())), lo=np.ones(len(points)))
    return b.build(), y, points


def _lp_duals(cover: _Cover, deadline: float, options: SolverOptions) -> np.ndarray | None:
    """The LP's row duals as multipliers ``u`` (module docstring, 1), or None if
    HiGHS's interior point method does not solve it by ``deadline``."""
    if time.perf_counter() >= deadline:
        return None
    lb, ub = cover.forced.astype(float), cover.allowed.astype(float)
    model = _cover_model(cover, lb, ub, integer=False)
    left = deadline - time.perf_counter()
    if model is None or left <= 0:
        return None
    lp_options = replace(options, solver="highs", via="highspy", time_limit_s=left)
    out = solve_milp(model[0], lp_options, highs_options={"solver": "ipm"})
    if out.row_dual is None:
        return None
    u = np.zeros(cover.R.shape[1])  # HiGHS: a minimum's ">=" rows have duals >= 0
    u[model[2]] = np.maximum(out.row_dual, 0.0)
    return u


def _restricted(cover: _Cover, fixed0, fixed1, best, options, deadline):
    """The set covering over the sites not fixed; ``(plan, cost, lower bound)`` or None."""
    lb = (cover.forced | fixed1).astype(float)
    ub = (cover.allowed & ~fixed0).astype(float)
    model = _cover_model(cover, lb, ub, integer=True)
    if model is None:  # a point only fixed-closed sites reach:
        return best, float(cover.cost[best].sum()), np.inf  # no plan is better
    milp, y, _ = model
    start = np.clip(best.astype(float), lb, ub)
    start = start if cover.covers(start > 0.5).all() else None
    left = max(deadline - time.perf_counter(), 0.01)
    out = solve_milp(milp, replace(options, time_limit_s=left), start=start)
    if out.x is None:
        return None
    mask = out.x[y] > 0.5
    lower = out.bound if np.isfinite(out.bound) else -np.inf
    return mask, float(cover.cost[mask].sum()), lower
