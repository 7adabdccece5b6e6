"""Compact "nearest open site" engine behind p-median and attendance.

Both models minimise ``sum_i w[i] * cost_i(open sites)`` where ``cost_i`` is the
cheapest open site within reach of demand ``i`` (or an unserved penalty ``U[i]``).
The textbook formulation has one assignment variable per pair (``n^2``); here:

Sorted-cost levels (Elloumi 2010, chained)
    For demand ``i`` let ``v_1 < v_2 < ...`` be its distinct costs. ``z_ik`` is 1
    when no open site costs ``<= v_k``; cost is
    ``v_1 + sum_k (v_{k+1} - v_k) z_ik``, with rows
    ``z_i1 + sum_{c_ij = v_1} y_j >= 1`` and
    ``z_ik - z_i(k-1) + sum_{c_ij = v_k} y_j >= 0``. Every pair appears once, in
    the row of its own level, and ``z`` may be continuous.

Radius truncation (in the spirit of Garcia, Labbe & Marin 2011)
    Only levels below a per-demand cap ``r_i`` are kept, so demand ``i`` costs
    ``min(cost_i, r_i)``: a relaxation whose optimum is a lower bound. The caps
    start at each demand's cost in a heuristic solution (greedy + best-improvement
    vertex substitution, vectorised with numpy); after each solve the caps of the
    demand points whose true cost exceeds them are raised, until the solution's
    true cost meets the bound (proven optimal). Pairs beyond the cap never enter
    the model, which is what keeps it small.

LP first, then the MILP
    The caps are first raised on the LP relaxation until it equals the full LP
    (with highspy in one warm-started HiGHS instance: raising a cap only adds
    levels). The LP's own sites, rounded, are priced as a plan; the LP's reduced
    costs close the sites that cannot beat the best plan. When the LP bound
    already proves the best plan (with whole-number costs: within 1), no MILP is
    solved at all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import sparse

from .milp import PROVEN_GAP, MilpBuilder, MilpOutcome, WarmLp, relative_gap, solve_milp
from .options import SolverOptions, solver_options
from .sites import Candidates, SiteRules, add_site_rows, feasible_sites, y_bounds

log = logging.getLogger(__name__)

#: LP relaxations up to this many columns use the dual simplex, larger ones the
#: interior point method (measured on pmed1-12: simplex wins below, IPM ~2x above).
LP_SIMPLEX_MAX_COLS = 5000
#: LPs this small quadruple (rather than double) the levels of capped demand
#: points each round: fewer rounds where a round's fixed cost dominates.
LP_FAST_GROW_MAX_COLS = 3000


@dataclass
class CompactOutcome:
    """Result of :func:`solve_compact` (costs are in the model's per-parcel units)."""

    status: str
    open_sites: np.ndarray
    assignment: np.ndarray
    objective: float
    bound: float
    gap: float
    build_s: float
    solve_s: float
    stats: dict
    detail: str = ""


def true_costs(
    C: sparse.csc_matrix, U: np.ndarray, open_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per demand: cheapest open site's cost (``U`` if none) and that site (-1 if none)."""
    n_dem = C.shape[1]
    cost = U.copy()
    site = np.full(n_dem, -1)
    Cr = sparse.csr_matrix(C)
    rows = np.flatnonzero(open_mask)
    if len(rows):
        sub = Cr[rows].tocoo()
        order = np.lexsort((sub.data, sub.col))
        col, data, row = sub.col[order], sub.data[order], sub.row[order]
        first = np.r_[True, col[1:] != col[:-1]]
        col, data, row = col[first], data[first], row[first]
        better = data <= cost[col]
        cost[col[better]] = data[better]
        site[col[better]] = rows[row[better]]
    return cost, site


def heuristic(
    C: sparse.csr_matrix,
    w: np.ndarray,
    U: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    max_iter: int = 10_000,
    time_limit_s: float = 30.0,
) -> np.ndarray:
    """Greedy add, then best-improvement swaps (vertex substitution).

    Parameters
    ----------
    C : scipy.sparse.csr_matrix
        Candidate x demand per-parcel cost; missing pairs cost ``U`` (or a large
        number when ``U`` is infinite).
    w, U : numpy.ndarray
        Demand weights and per-parcel unserved cost.
    p : int
        Open at most ``p`` sites.
    forced, allowed : numpy.ndarray
        Boolean per candidate: must stay open; may be opened.

    Returns
    -------
    numpy.ndarray
        Sorted positions of the open sites.

    Examples
    --------
    >>> C = sparse.csr_matrix(np.array([[0.0, 5.0, 9.0], [5.0, 0.0, 4.0], [9.0, 4.0, 0.0]]))
    >>> heuristic(C, np.ones(3), np.full(3, np.inf), 1, np.zeros(3, bool), np.ones(3, bool))
    array([1])
    """
    t_end = time.perf_counter() + time_limit_s
    n_cand, n_dem = C.shape
    finite = C.data.max() if C.nnz else 1.0
    big = np.where(np.isfinite(U), U, 1e3 * (finite + 1.0))
    dense = np.tile(big, (n_cand, 1))
    rows = np.repeat(np.arange(n_cand), np.diff(C.indptr))
    dense[rows, C.indices] = np.minimum(C.data, big[C.indices])
    wrow = w[None, :]

    def nearest(open_idx):
        if len(open_idx) == 0:
            return big.copy(), big.copy(), np.full(n_dem, -1)
        sub = dense[open_idx]
        if len(open_idx) == 1:
            return sub[0].copy(), big.copy(), np.zeros(n_dem, dtype=int)
        part = np.argpartition(sub, 1, axis=0)[:2]
        a, b = sub[part[0], np.arange(n_dem)], sub[part[1], np.arange(n_dem)]
        swap = b < a
        c1 = np.where(swap, part[1], part[0])
        d1 = np.minimum(a, b)
        d2 = np.minimum(np.maximum(a, b), big)
        return d1, d2, c1

    open_idx = np.flatnonzero(forced)
    d1, d2, c1 = nearest(open_idx)
    # greedy
    while len(open_idx) < p:
        cand = np.flatnonzero(allowed & ~np.isin(np.arange(n_cand), open_idx))
        if len(cand) == 0:
            break
        gain = ((np.minimum(dense[cand], d1) - d1) * wrow).sum(1)
        k = int(np.argmin(gain))
        if gain[k] >= -1e-12 and len(open_idx):
            break
        open_idx = np.sort(np.r_[open_idx, cand[k]])
        d1, d2, c1 = nearest(open_idx)
    # swaps
    chunk = max(1, int(4e6 // max(n_dem, 1)))
    for _ in range(max_iter):
        if time.perf_counter() > t_end:
            break
        removable = ~forced[open_idx]
        if not removable.any():
            break
        closed = np.flatnonzero(allowed & ~np.isin(np.arange(n_cand), open_idx))
        if len(closed) == 0:
            break
        S = sparse.csr_matrix(
            (np.ones(n_dem), (np.arange(n_dem), c1)), shape=(n_dem, len(open_idx))
        )
        best = (-1e-9 * max(1.0, float((w * d1).sum())), -1, -1)
        for s in range(0, len(closed), chunk):
            J = closed[s : s + chunk]
            A = np.minimum(dense[J], d1)
            add = ((A - d1) * wrow).sum(1)
            extra = np.asarray(S.T @ ((np.minimum(dense[J], d2) - A) * wrow).T)
            delta = add[None, :] + extra
            delta[~removable] = np.inf
            r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
            if delta[r, j] < best[0]:
                best = (float(delta[r, j]), int(r), int(J[j]))
        if best[1] < 0:
            break
        open_idx = np.sort(np.r_[np.delete(open_idx, best[1]), best[2]])
        d1, d2, c1 = nearest(open_idx)
    return open_idx


class LevelModel:
    """Per-demand sorted cost levels of a candidate x demand cost matrix."""

    def __init__(self, C: sparse.csr_matrix, U: np.ndarray, chain: bool = True):
        self.chain = chain
        Cc = sparse.csc_matrix(C)
        Cc.sort_indices()
        self.n_cand, self.n_dem = C.shape
        self.U = U
        self.sites: list[np.ndarray] = []
        self.costs: list[np.ndarray] = []
        self.levels: list[np.ndarray] = []  # distinct sorted costs below U
        self.level_of: list[np.ndarray] = []  # level index of each sorted entry
        for i in range(self.n_dem):
            s, e = Cc.indptr[i], Cc.indptr[i + 1]
            c, j = Cc.data[s:e], Cc.indices[s:e]
            keep = c < U[i]
            c, j = c[keep], j[keep]
            order = np.argsort(c, kind="stable")
            c, j = c[order], j[order]
            v, lev = np.unique(c, return_inverse=True)
            self.sites.append(j)
            self.costs.append(c)
            self.levels.append(v)
            self.level_of.append(lev)

    def n_levels_below(self, caps: np.ndarray) -> np.ndarray:
        """Number of distinct levels strictly below each cap."""
        return np.array(
            [np.searchsorted(v, cap, side="left") for v, cap in zip(self.levels, caps, strict=True)]
        )

    def build(
        self,
        w: np.ndarray,
        caps: np.ndarray,
        cands: Candidates,
        rules: SiteRules,
        closed: np.ndarray | None = None,
    ) -> tuple:
        """Build the truncated level MILP; return it with column maps.

        ``closed`` marks sites fixed closed (reduced-cost fixing).
        """
        b = MilpBuilder()
        lb, ub = y_bounds(cands)
        if closed is not None:
            ub = np.where(closed, 0.0, ub)
        y = b.add_columns("y", np.zeros(self.n_cand), lb, ub, integer=True)
        T = self.n_levels_below(caps)
        z_cost, z_ub, rows, cols, vals, row_lo = [], [], [], [], [], []
        offset = 0.0
        z_start = []
        n_z = 0
        n_r = 0
        z_base = self.n_cand
        for i in range(self.n_dem):
            v, t = self.levels[i], int(T[i])
            cap = caps[i]
            first = v[0] if len(v) else self.U[i]
            offset += w[i] * min(first, cap)
            z_start.append(n_z)
            if t == 0:
                continue
            nxt = np.r_[v[1:t], cap] if np.isfinite(cap) else np.r_[v[1:t], v[t - 1]]
            z_cost.append(w[i] * (nxt - v[:t]))
            zub = np.ones(t)
            if not np.isfinite(cap):
                zub[-1] = 0.0  # must be served: some site within reach opens
            z_ub.append(zub)
            zi = z_base + n_z + np.arange(t)
            r = n_r + np.arange(t)
            sel = self.level_of[i] < t
            lev = self.level_of[i][sel]
            if self.chain:
                # z_k - z_{k-1} + (sites at level k) >= 0
                rows += [r, r[1:], n_r + lev]
                cols += [zi, zi[:-1], y[self.sites[i][sel]]]
                vals += [np.ones(t), -np.ones(t - 1), np.ones(len(lev))]
                lo = np.zeros(t)
                lo[0] = 1.0
            else:
                # z_k + (sites at levels <= k) >= 1
                reps = t - lev
                rr = np.concatenate([np.arange(a, t) for a in lev]) if len(lev) else lev
                rows += [r, n_r + rr]
                cols += [zi, np.repeat(y[self.sites[i][sel]], reps)]
                vals += [np.ones(t), np.ones(int(reps.sum()))]
                lo = np.ones(t)
            row_lo.append(lo)
            n_z += t
            n_r += t
        zc = np.concatenate(z_cost) if z_cost else np.zeros(0)
        b.add_columns("z", zc, 0.0, np.concatenate(z_ub) if z_ub else np.zeros(0))
        if n_r:
            b.add_rows(
                "level",
                np.concatenate(rows),
                np.concatenate(cols),
                np.concatenate(vals),
                lo=np.concatenate(row_lo),
            )
        add_site_rows(b, y, cands, rules)
        b.offset = offset
        return b.build(), y, np.array(z_start), T

    def start_vector(self, open_mask: np.ndarray, T: np.ndarray, n_cols: int) -> np.ndarray:
        """Column values of the level MILP for a given set of open sites."""
        x = np.zeros(n_cols)
        x[: self.n_cand] = open_mask
        pos = self.n_cand
        for i in range(self.n_dem):
            t = int(T[i])
            if t == 0:
                continue
            lev = self.level_of[i]
            opened = open_mask[self.sites[i]]
            best = lev[opened].min() if opened.any() else np.iinfo(np.int64).max
            x[pos : pos + t] = (np.arange(t) < best).astype(float)
            pos += t
        return x


def solve_compact(
    C: sparse.csr_matrix,
    w: np.ndarray,
    U: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    options: SolverOptions | None = None,
    *,
    cap_slack: int = 1,
    cap_grow: float = 1.0,
    max_rounds: int = 50,
) -> CompactOutcome:
    """Minimise ``sum_i w_i min(U_i, min_{j open} C_ji)`` with at most ``max_sites`` open.

    See the module docstring for the method. ``cap_slack`` extra levels are kept
    above each heuristic cost, plus ``cap_grow`` times its number of levels below
    (fewer rounds, slightly bigger models). ``options`` (default
    ``SolverOptions()``) holds the solver, ``via``, the time limit for the whole
    search, the gap and the seed.
    """
    search = _Search.from_heuristic(
        C, w, U, cands, rules, solver_options(options), cap_slack=cap_slack, cap_grow=cap_grow
    )
    search.lp_phase()
    search.milp_rounds(max_rounds, cap_slack)
    return search.outcome()


@dataclass
class _Search:
    """State of :func:`solve_compact`: the instance, the best plan, the bound, the caps."""

    C: sparse.csr_matrix
    w: np.ndarray
    U: np.ndarray
    cands: Candidates
    rules: SiteRules
    opts: SolverOptions
    deadline: float
    lm: LevelModel
    caps: np.ndarray
    best_obj: float
    best_mask: np.ndarray | None
    best_site: np.ndarray
    stats: dict
    build_s: float = 0.0
    solve_s: float = 0.0
    lower: float = -np.inf
    closed: np.ndarray | None = None
    status: str = "not solved"
    detail: str = ""

    @property
    def max_open(self) -> int:
        """At most this many open sites."""
        return self.rules.max_sites if self.rules.max_sites is not None else self.C.shape[0]

    @classmethod
    def from_heuristic(cls, C, w, U, cands, rules, opts, *, cap_slack, cap_grow) -> _Search:
        """Start from the heuristic plan; its costs set the first caps."""
        t0 = time.perf_counter()
        p = rules.max_sites if rules.max_sites is not None else C.shape[0]
        h_open = heuristic(
            C,
            w,
            U,
            p,
            cands.forced_open,
            ~cands.excluded,
            time_limit_s=max(1.0, 0.2 * opts.time_limit_s),
        )
        h_s = time.perf_counter() - t0
        lm = LevelModel(C, U)
        mask = np.zeros(C.shape[0], dtype=bool)
        mask[h_open] = True
        cost, site = true_costs(C, U, mask)
        feasible = feasible_sites(h_open, cands, rules)
        return cls(
            C,
            w,
            U,
            cands,
            rules,
            opts,
            deadline=t0 + opts.time_limit_s,
            lm=lm,
            caps=_raise_caps(lm, cost, cost, slack=cap_slack, grow=cap_grow),
            best_obj=_plan_cost(w, cost) if feasible else np.inf,
            best_mask=mask.copy() if feasible else None,
            best_site=site,
            stats={"heuristic_s": round(h_s, 3), "heuristic_objective": float(w @ cost)},
            build_s=h_s,
        )

    @cached_property
    def integral(self) -> bool:
        """Whether costs step by whole numbers (see :func:`_integral`)."""
        return _integral(self.C, self.w, self.U)

    def price(self, mask: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """True objective of the open sites ``mask``, with each demand's cost and site."""
        cost, site = true_costs(self.C, self.U, mask)
        return _plan_cost(self.w, cost), cost, site

    def keep(self, objective: float, mask: np.ndarray, site: np.ndarray) -> bool:
        """Make the plan the incumbent if it is cheaper; return whether it was."""
        if objective < self.best_obj - 1e-9:
            self.best_obj, self.best_mask, self.best_site = objective, mask, site
            return True
        return False

    def lp_phase(self) -> None:
        """Raise the caps on the LP, price the LP's rounded sites, fix sites closed."""
        refine = _refine_caps_warm_lp if self.opts.via == "highspy" else _refine_caps_lp
        self.caps, lp_rounds, lp_s, lp = refine(
            self.lm, self.w, self.caps, self.cands, self.rules, self.opts, self.deadline
        )
        self.solve_s += lp_s
        self.stats["lp_rounds"] = lp_rounds
        if lp is None:
            return
        self.lower = max(self.lower, lp.objective)  # the LP optimum bounds the optimum
        self.stats["lp_bound"] = lp.objective
        if lp.x is not None:
            # the LP's own choice of sites, rounded: often the optimum the bound proves
            n_cand = self.lm.n_cand
            top = np.argsort(-lp.x[:n_cand], kind="stable")[: self.max_open]
            m = np.zeros(n_cand, dtype=bool)
            m[top[lp.x[top] > 1e-6]] = True
            obj, _, site = self.price(m)
            if obj < self.best_obj - 1e-9 and feasible_sites(
                np.flatnonzero(m), self.cands, self.rules
            ):
                self.keep(obj, m, site)
                self.stats["lp_rounding_objective"] = obj
        if lp.col_dual is not None and self.best_mask is not None:
            self.closed = _reduced_cost_fixing(
                lp, self.lm.n_cand, self.best_obj, self.best_mask, self.integral
            )
            self.stats["fixed_closed"] = int(self.closed.sum())

    def milp_rounds(self, max_rounds: int, cap_slack: int) -> None:
        """Solve the truncated MILP, raising caps, until the bound proves the incumbent."""
        rounds = 0
        while rounds < max_rounds and not _proven(
            self.best_obj, self.lower, self.integral, self.opts.gap_rel
        ):
            remaining = self.deadline - time.perf_counter()
            if remaining <= 0:
                break
            rounds += 1
            if not self.milp_round(rounds, remaining, cap_slack):
                break
        self.stats["rounds"] = rounds

    def milp_round(self, k: int, remaining: float, cap_slack: int) -> bool:
        """One truncated MILP; return whether another round (raised caps) is needed."""
        tb = time.perf_counter()
        milp, y, _, T = self.lm.build(self.w, self.caps, self.cands, self.rules, self.closed)
        start = None
        if self.best_mask is not None and np.isfinite(self.best_obj):
            start = self.lm.start_vector(self.best_mask, T, milp.A.shape[1])
        self.build_s += time.perf_counter() - tb
        self.stats.update(
            variables=milp.A.shape[1], constraints=milp.A.shape[0], nonzeros=milp.A.nnz
        )
        opts = replace(self.opts, time_limit_s=remaining)
        out = solve_milp(milp, opts, start=start, strong_start=True)
        self.build_s += out.build_s
        self.solve_s += out.solve_s
        self.detail = out.detail
        log.debug(
            "compact round %d: %s, relaxed %.6g, bound %.6g, %d cols, %.2f s",
            k,
            out.status,
            out.objective,
            out.bound,
            milp.A.shape[1],
            out.solve_s,
        )
        if out.status == "infeasible":
            if self.closed is not None and self.closed.any() and np.isfinite(self.best_obj):
                # only the fixed-closed sites could serve someone: none beats the incumbent
                self.lower = self.best_obj
            else:
                self.status = "infeasible"  # the caps never cut a feasible plan
            return False
        if np.isfinite(out.bound):
            self.lower = max(self.lower, out.bound)
        if out.x is None:
            return False
        m = out.x[y] > 0.5
        obj, cost, site = self.price(m)
        self.keep(obj, m, site)
        if out.status != "optimal":
            return False  # time limit inside the solve: report the incumbent
        over = cost > self.caps + 1e-9 * np.maximum(1.0, np.abs(self.caps))
        if not over.any():
            return False  # relaxed optimum costs the same as its truth: proven
        self.caps = _raise_caps(self.lm, cost, self.caps, slack=cap_slack, only=over)
        return True

    def outcome(self) -> CompactOutcome:
        """The best plan with its proven bound and gap."""
        lower = self.lower
        if self.integral and np.isfinite(lower) and self.best_obj - lower < 1.0 - 1e-6:
            lower = self.best_obj  # whole-number costs: nothing lies strictly between
        if out_infeasible_or_empty(self.best_mask, self.best_obj):
            return CompactOutcome(
                self.status if self.status == "infeasible" else "not solved",
                np.zeros(0, dtype=int),
                np.full(self.C.shape[1], -1),
                np.nan,
                lower,
                np.inf,
                self.build_s,
                self.solve_s,
                self.stats,
                self.detail,
            )
        # plans opening a fixed-closed site cost at least the incumbent: clamp the bound
        lower = min(lower, self.best_obj)
        gap = relative_gap(self.best_obj, lower)
        return CompactOutcome(
            "optimal" if gap <= PROVEN_GAP else "feasible",
            np.flatnonzero(self.best_mask),
            self.best_site,
            self.best_obj,
            min(lower, self.best_obj) if np.isfinite(lower) else lower,
            gap,
            self.build_s,
            self.solve_s,
            self.stats,
            self.detail,
        )


def _plan_cost(w: np.ndarray, cost: np.ndarray) -> float:
    """``w @ cost``, or infinity when demand with parcels is left out (cost ``inf``)."""
    return float(w @ cost) if np.all(np.isfinite(cost[w > 0])) else np.inf


def _refine_caps_lp(lm, w, caps, cands, rules, opts, deadline, max_rounds=30):
    """Raise caps until the truncated LP relaxation equals the full one.

    When no demand point of the LP optimum sits at its cap (top ``z`` is 0), the
    LP solution is feasible for the untruncated LP at the same cost, so the
    truncated LP bound is the full LP bound. Each round doubles (small LPs:
    quadruples) the levels of the demand points at their cap.
    """
    spent = 0.0
    lp = None
    for k in range(1, max_rounds + 1):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return caps, k - 1, spent, lp
        milp, _, z_start, T = lm.build(w, caps, cands, rules)
        milp.integer[:] = False
        small = milp.A.shape[1] <= LP_SIMPLEX_MAX_COLS
        out = solve_milp(
            milp,
            replace(opts, time_limit_s=remaining, gap_rel=0.0),
            highs_options={"solver": "simplex" if small else "ipm"},
        )
        spent += out.solve_s + out.build_s
        if out.x is None or out.status != "optimal":
            return caps, k, spent, lp
        lp = out
        n_lev = np.array([len(v) for v in lm.levels])
        has = (T > 0) & (n_lev > T)
        top = np.zeros(lm.n_dem)
        top[has] = out.x[lm.n_cand + z_start[has] + T[has] - 1]
        hit = has & (top > 1e-7)
        log.debug(
            "LP round %d: bound %.6g, %d demand points at their cap", k, out.objective, hit.sum()
        )
        if not hit.any():
            return caps, k, spent, lp
        grow = 3 if milp.A.shape[1] < LP_FAST_GROW_MAX_COLS else 1
        new_T = np.minimum(T + grow * np.maximum(T, 1), n_lev)
        for i in np.flatnonzero(hit):
            v = lm.levels[i]
            caps[i] = v[new_T[i]] if new_T[i] < len(v) else lm.U[i]
    return caps, max_rounds, spent, lp


def _refine_caps_warm_lp(lm, w, caps, cands, rules, opts, deadline, max_rounds=30):
    """:func:`_refine_caps_lp` in one HiGHS instance, new levels added in place.

    Truncating demand ``i`` at the level after its last kept one leaves every kept
    ``z`` with its untruncated cost, so raising a cap only adds columns (the new
    levels' ``z``) and rows (their level rows): the dual simplex restarts from the
    last basis instead of solving from scratch.
    """
    t0 = time.perf_counter()
    milp, _, z_start, T = lm.build(w, caps, cands, rules)
    small = milp.A.shape[1] <= LP_SIMPLEX_MAX_COLS
    warm = WarmLp(milp, seed=opts.seed, threads=opts.threads)
    warm.set_option("solver", "simplex" if small else "ipm")
    top = np.where(T > 0, lm.n_cand + z_start + T - 1, -1)  # each demand's last z
    n_lev = np.array([len(v) for v in lm.levels])
    lp = None
    k = 0
    for k in range(1, max_rounds + 1):  # noqa: B007
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return caps, k - 1, time.perf_counter() - t0, lp
        ok, obj, x = warm.run(remaining)
        if not ok:
            return caps, k, time.perf_counter() - t0, lp
        warm.set_option("solver", "simplex")  # warm starts from here on
        lp = MilpOutcome("optimal", x, obj, obj, 0.0, 0.0, 0.0, col_dual=warm.reduced_costs())
        has = (T > 0) & (n_lev > T)
        hit = has & (x[np.maximum(top, 0)] > 1e-7)
        log.debug("LP round %d: bound %.6g, %d demand points at their cap", k, obj, hit.sum())
        if not hit.any():
            break
        grow = 3 if len(x) < LP_FAST_GROW_MAX_COLS else 1
        new_T = np.minimum(T + grow * np.maximum(T, 1), n_lev)
        costs, ubs, owner, row_lo = [], [], [], []
        local_rc, abs_rc = [], []  # (rows, cols, vals) on new columns / existing ones
        n_new = 0
        for i in np.flatnonzero(hit):
            v, t, t2 = lm.levels[i], int(T[i]), int(new_T[i])
            cap = v[t2] if t2 < len(v) else lm.U[i]
            nxt = np.r_[v[t + 1 : t2], cap if np.isfinite(cap) else v[t2 - 1]]
            costs.append(w[i] * (nxt - v[t:t2]))
            ub = np.ones(t2 - t)
            if not np.isfinite(cap):
                ub[-1] = 0.0  # must be served: some site within reach opens
            ubs.append(ub)
            owner.append(np.full(t2 - t, i))
            z = n_new + np.arange(t2 - t)  # the new levels' z; rows numbered alike
            # z_k - z_(k-1) + (sites at level k) >= 0; the first level's row >= 1
            local_rc.append((z, z, np.ones(t2 - t)))
            local_rc.append((z[1:], z[:-1], -np.ones(t2 - t - 1)))
            if t > 0:
                abs_rc.append((z[:1], np.array([top[i]]), np.array([-1.0])))
            sel = (lm.level_of[i] >= t) & (lm.level_of[i] < t2)
            abs_rc.append((z[0] + lm.level_of[i][sel] - t, lm.sites[i][sel], np.ones(sel.sum())))
            lo = np.zeros(t2 - t)
            lo[0] = 1.0 if t == 0 else 0.0
            row_lo.append(lo)
            n_new += t2 - t
            caps[i] = cap
        new_cols = warm.add_columns(np.concatenate(costs), 0.0, np.concatenate(ubs))
        rows = np.concatenate([r for r, _, _ in local_rc + abs_rc])
        cols = np.concatenate([new_cols[c] for _, c, _ in local_rc] + [c for _, c, _ in abs_rc])
        vals = np.concatenate([v for _, _, v in local_rc + abs_rc])
        warm.add_rows(rows, cols, vals, np.concatenate(row_lo), np.full(n_new, np.inf))
        owner = np.concatenate(owner)
        last = np.r_[np.flatnonzero(np.diff(owner)), len(owner) - 1]
        top[owner[last]] = new_cols[last]
        T = np.where(hit, new_T, T)
    return caps, k, time.perf_counter() - t0, lp


def _proven(best_obj: float, lower: float, integral: bool, gap_rel: float) -> bool:
    """Whether the bound proves the incumbent (whole-number costs: within 1 of it)."""
    if not (np.isfinite(best_obj) and np.isfinite(lower)):
        return False
    if integral and best_obj - lower < 1.0 - 1e-6:
        return True
    return relative_gap(best_obj, lower) <= max(gap_rel, PROVEN_GAP)


def _integral(C: sparse.csr_matrix, w: np.ndarray, U: np.ndarray) -> bool:
    """Whether every objective coefficient is a whole number (so costs step by 1)."""
    Uf = U[np.isfinite(U)]
    return bool(
        np.all(C.data == np.round(C.data))
        and np.all(w == np.round(w))
        and np.all(Uf == np.round(Uf))
    )


def _reduced_cost_fixing(lp, n_cand, best_obj, best_mask, integral) -> np.ndarray:
    """Sites that cannot be open in any plan cheaper than ``best_obj``.

    With LP optimum ``L`` and reduced cost ``d_j >= 0`` of a closed ``y_j``, any
    plan opening ``j`` costs at least ``L + d_j`` (truncation only lowers costs, so
    this holds for the true costs too). Sites open in the incumbent stay free.
    """
    d = lp.col_dual[:n_cand]
    y = lp.x[:n_cand]
    need = best_obj - (1.0 - 1e-6 if integral else 1e-9 * max(1.0, abs(best_obj)))
    closed = (y < 1e-9) & (lp.objective + d > need) & ~best_mask
    return closed


def out_infeasible_or_empty(best_mask, best_obj) -> bool:
    """No usable plan: none found, or every plan found leaves must-serve demand out."""
    return best_mask is None or not np.isfinite(best_obj)


def _raise_caps(lm: LevelModel, cost, caps, slack: int, only=None, grow: float = 0.0) -> np.ndarray:
    """New caps: at least ``cost``, plus ``slack`` + ``grow`` x (its level) more levels."""
    new = np.array(caps, dtype=float, copy=True)
    idx = range(lm.n_dem) if only is None else np.flatnonzero(only)
    for i in idx:
        v = lm.levels[i]
        k = int(np.searchsorted(v, cost[i], side="left"))
        k += slack + int(grow * k)
        new[i] = v[k] if k < len(v) else lm.U[i]
    return new
