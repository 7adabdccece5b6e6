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
    vertex substitution, a fast interchange on the stored pairs only: no dense
    candidate x demand array); after each solve the caps of the
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

Exact reductions
    Demand columns without weight, or that no pair reaches below a finite ``U``
    (their cost is ``w U`` whatever opens), are left out of the model and added
    back to the objective and bound. The level model is built from flat, sorted
    pair arrays (no per-demand Python loops).
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
    sub = Cr[rows].tocoo()
    if sub.nnz:
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

    Works on the stored pairs only (never a dense candidate x demand array): see
    :class:`_Pairs` and :func:`_best_swap`.

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
    max_iter : int
        At most this many swaps.
    time_limit_s : float
        Stop swapping after this many seconds.

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
    w = np.asarray(w, dtype=float)
    forced = np.asarray(forced, dtype=bool)
    allowed = np.asarray(allowed, dtype=bool)
    pairs = _Pairs.of(C, w, U)
    open_mask = forced.copy()
    _greedy(pairs, p, open_mask, allowed)
    for _ in range(max_iter):
        removable = open_mask & ~forced
        closed = allowed & ~open_mask
        if time.perf_counter() > t_end or not removable.any() or not closed.any():
            break
        state = pairs.nearest_two(open_mask)
        delta, r, j = _best_swap(pairs, w, state, closed, removable)
        if not delta < -1e-9 * max(1.0, float(w @ state[0])):
            break
        open_mask[r], open_mask[j] = False, True
    return np.flatnonzero(open_mask)


@dataclass(frozen=True)
class _Pairs:
    """Candidate-demand pairs cheaper than the unserved cost, by demand, then cost, then site.

    ``big`` is each demand's cost when no open site reaches it (``U``, or a large
    number when ``U`` is infinite); ``wc`` is each pair's demand weight.
    """

    row: np.ndarray
    col: np.ndarray
    cost: np.ndarray
    wc: np.ndarray
    big: np.ndarray
    n_cand: int

    @classmethod
    def of(cls, C: sparse.spmatrix, w: np.ndarray, U: np.ndarray) -> _Pairs:
        """The pairs of ``C`` below each demand's unserved cost."""
        coo = sparse.coo_matrix(C)
        finite = coo.data.max() if coo.nnz else 1.0
        big = np.where(np.isfinite(U), U, 1e3 * (finite + 1.0)).astype(float)
        keep = coo.data < big[coo.col]
        row, col, cost = coo.row[keep], coo.col[keep], coo.data[keep].astype(float)
        order = np.lexsort((row, cost, col))
        row, col, cost = row[order].astype(np.int64), col[order], cost[order]
        return cls(row, col, cost, w[col], big, C.shape[0])

    def nearest_two(self, open_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per demand: the cheapest open cost ``d1``, its site ``c1`` (-1: none), the second ``d2``."""
        d1, d2 = self.big.copy(), self.big.copy()
        c1 = np.full(len(self.big), -1)
        idx = np.flatnonzero(open_mask[self.row])
        if len(idx) == 0:
            return d1, c1, d2
        cs = self.col[idx]
        first = np.r_[True, cs[1:] != cs[:-1]]
        second = np.r_[False, first[:-1] & ~first[1:]]
        d1[cs[first]] = self.cost[idx[first]]
        c1[cs[first]] = self.row[idx[first]]
        d2[cs[second]] = self.cost[idx[second]]
        return d1, c1, d2

    def add_gain(self, d1: np.ndarray) -> np.ndarray:
        """Per candidate: the weighted cost it saves when opened next to the open sites."""
        save = self.wc * np.maximum(d1[self.col] - self.cost, 0.0)
        return np.bincount(self.row, save, minlength=self.n_cand)


def _greedy(pairs: _Pairs, p: int, open_mask: np.ndarray, allowed: np.ndarray) -> None:
    """Open the site saving the most, one at a time, up to ``p`` open (``open_mask`` in place)."""
    while open_mask.sum() < p:
        cand = allowed & ~open_mask
        if not cand.any():
            break
        gain = np.where(cand, pairs.add_gain(pairs.nearest_two(open_mask)[0]), -np.inf)
        k = int(np.argmax(gain))
        if gain[k] <= 1e-12 and open_mask.any():
            break
        open_mask[k] = True


def _best_swap(
    pairs: _Pairs,
    w: np.ndarray,
    state: tuple[np.ndarray, np.ndarray, np.ndarray],
    closed: np.ndarray,
    removable: np.ndarray,
) -> tuple[float, int, int]:
    """The best swap (close ``r``, open ``j``) as its cost change, ``r`` and ``j``.

    Fast interchange (Whitaker 1983; Resende & Werneck 2007) on the stored pairs:
    opening ``j`` saves ``gain[j]``; closing ``r`` costs ``loss[r]`` (its demand
    moves to its second nearest); doing both gives back
    ``extra[j, r] = sum w_i (d2_i - max(c_ji, d1_i))`` over ``r``'s demand with
    ``c_ji < d2_i``. ``extra`` is sparse: a swap without an entry changes the cost
    by ``loss[r] - gain[j]``, and ``min loss - max gain`` bounds all of those.
    """
    d1, c1, d2 = state
    gain = np.where(closed, pairs.add_gain(d1), -np.inf)
    served = c1 >= 0
    loss = np.bincount(c1[served], w[served] * (d2 - d1)[served], minlength=pairs.n_cand)
    loss = np.where(removable, loss, np.inf)
    best = (float(loss.min() - gain.max()), int(np.argmin(loss)), int(np.argmax(gain)))
    r = c1[pairs.col]
    sel = (r >= 0) & closed[pairs.row] & (pairs.cost < d2[pairs.col])
    sel[sel] = removable[r[sel]]
    if not sel.any():
        return best
    col = pairs.col[sel]
    back = pairs.wc[sel] * (d2[col] - np.maximum(pairs.cost[sel], d1[col]))
    key, inv = np.unique(pairs.row[sel] * pairs.n_cand + r[sel], return_inverse=True)
    jj, rr = np.divmod(key, pairs.n_cand)
    delta = loss[rr] - gain[jj] - np.bincount(inv, back, minlength=len(key))
    k = int(np.argmin(delta))
    return (float(delta[k]), int(rr[k]), int(jj[k])) if delta[k] < best[0] else best


class LevelModel:
    """Per-demand sorted cost levels of a candidate x demand cost matrix, in flat arrays.

    Pairs (``pair_*``) are sorted by demand, then cost, then site; ``pair_level``
    is the index of a pair's cost among its demand's distinct costs below ``U``.
    Levels (``lev_*``) are each demand's distinct costs in increasing order,
    ``lev_rank`` their index, ``lev_ptr`` where each demand's levels start.
    """

    def __init__(self, C: sparse.csr_matrix, U: np.ndarray, chain: bool = True):
        self.chain = chain
        self.n_cand, self.n_dem = C.shape
        self.U = np.asarray(U, dtype=float)
        coo = sparse.coo_matrix(C)
        keep = coo.data < self.U[coo.col]
        site, dem, cost = coo.row[keep], coo.col[keep], coo.data[keep].astype(float)
        order = np.lexsort((site, cost, dem))
        self.pair_site, self.pair_dem, self.pair_cost = site[order], dem[order], cost[order]
        new = np.ones(len(self.pair_cost), dtype=bool)  # a pair opening a new level
        new[1:] = (np.diff(self.pair_dem) != 0) | (np.diff(self.pair_cost) != 0)
        self.lev_val = self.pair_cost[new]
        self.lev_dem = self.pair_dem[new]
        self.n_lev = np.bincount(self.lev_dem, minlength=self.n_dem)
        self.lev_ptr = np.r_[0, np.cumsum(self.n_lev)]
        self.lev_rank = np.arange(len(self.lev_val)) - self.lev_ptr[self.lev_dem]
        self.pair_level = (np.cumsum(new) - 1) - self.lev_ptr[self.pair_dem]

    def n_levels_below(self, caps: np.ndarray) -> np.ndarray:
        """Number of distinct levels strictly below each cap."""
        below = self.lev_val < np.asarray(caps, dtype=float)[self.lev_dem]
        return np.bincount(self.lev_dem[below], minlength=self.n_dem)

    def level_at(self, k: np.ndarray) -> np.ndarray:
        """Each demand's level number ``k`` (from 0), or ``U`` when it has no such level."""
        k = np.asarray(k)
        has = k < self.n_lev
        pos = np.where(has, self.lev_ptr[:-1] + k, 0)
        return np.where(has, self.lev_val[pos] if len(self.lev_val) else 0.0, self.U)

    def kept(self, T: np.ndarray) -> np.ndarray:
        """Positions (in ``lev_*``) of the levels below each demand's cap: the ``z`` columns."""
        return np.flatnonzero(self.lev_rank < T[self.lev_dem])

    def build(
        self,
        w: np.ndarray,
        caps: np.ndarray,
        cands: Candidates,
        rules: SiteRules,
        closed: np.ndarray | None = None,
    ) -> tuple:
        """Build the truncated level MILP; return it, ``y``, each demand's first ``z``, ``T``.

        ``closed`` marks sites fixed closed (reduced-cost fixing).
        """
        b = MilpBuilder()
        lb, ub = y_bounds(cands)
        if closed is not None:
            ub = np.where(closed, 0.0, ub)
        y = b.add_columns("y", np.zeros(self.n_cand), lb, ub, integer=True)
        T = self.n_levels_below(caps)
        z_start = np.r_[0, np.cumsum(T)[:-1]] if self.n_dem else np.zeros(0, dtype=int)
        first = np.minimum(self.level_at(np.zeros(self.n_dem, dtype=int)), caps)
        b.offset = float(np.sum(np.where(w > 0, w * first, 0.0)))
        kept = self.kept(T)
        cost, zub = self._z_columns(w, caps, T, kept)
        b.add_columns("z", cost, 0.0, zub)
        if len(kept):
            rows, cols, vals, lo = self._level_rows(T, z_start, kept)
            b.add_rows("level", rows, cols, vals, lo=lo)  # y is columns 0 ..
        add_site_rows(b, y, cands, rules)
        return b.build(), y, z_start, T

    def _z_columns(self, w, caps, T, kept) -> tuple[np.ndarray, np.ndarray]:
        """Cost ``w_i (v_{k+1} - v_k)`` (the cap after the last kept level) and bound of each ``z``."""
        dem = self.lev_dem[kept]
        val = self.lev_val[kept]
        last = self.lev_rank[kept] == T[dem] - 1
        cap = caps[dem]
        nxt = np.where(last, np.where(np.isfinite(cap), cap, val), 0.0)
        inner = ~last
        nxt[inner] = self.lev_val[kept[inner] + 1]
        zub = np.where(last & ~np.isfinite(cap), 0.0, 1.0)  # must be served: a site opens
        return w[dem] * (nxt - val), zub

    def _level_rows(self, T, z_start, kept) -> tuple:
        """Triplets (rows, local columns, values) and lower sides of the level rows.

        Columns are numbered ``y`` first (``0 .. n_cand - 1``), then ``z``.
        """
        n_z = len(kept)
        z = np.arange(n_z)
        rank = self.lev_rank[kept]
        sel = self.pair_level < T[self.pair_dem]
        p_row = z_start[self.pair_dem[sel]] + self.pair_level[sel]
        p_col = self.pair_site[sel]
        if self.chain:
            # z_k - z_{k-1} + (sites at level k) >= 0; the first level's row >= 1
            later = z[rank > 0]
            rows = np.concatenate([z, later, p_row])
            cols = np.concatenate([self.n_cand + z, self.n_cand + later - 1, p_col])
            vals = np.concatenate([np.ones(n_z), -np.ones(len(later)), np.ones(len(p_row))])
            return rows, cols, vals, (rank == 0).astype(float)
        # z_k + (sites at levels <= k) >= 1
        reps = T[self.pair_dem[sel]] - self.pair_level[sel]
        step = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        rows = np.concatenate([z, np.repeat(p_row, reps) + step])
        cols = np.concatenate([self.n_cand + z, np.repeat(p_col, reps)])
        return rows, cols, np.ones(len(rows)), np.ones(n_z)

    def start_vector(self, open_mask: np.ndarray, T: np.ndarray, n_cols: int) -> np.ndarray:
        """Column values of the level MILP for a given set of open sites."""
        x = np.zeros(n_cols)
        x[: self.n_cand] = open_mask
        best = np.full(self.n_dem, np.iinfo(np.int64).max)
        op = np.flatnonzero(open_mask[self.pair_site])  # by demand, then level
        d = self.pair_dem[op]
        first = np.r_[True, d[1:] != d[:-1]] if len(d) else np.zeros(0, dtype=bool)
        best[d[first]] = self.pair_level[op[first]]
        kept = self.kept(T)
        x[self.n_cand : self.n_cand + len(kept)] = self.lev_rank[kept] < best[self.lev_dem[kept]]
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
    w = np.asarray(w, dtype=float)
    U = np.asarray(U, dtype=float)
    keep = _needed_columns(C, w, U)
    sub = _columns(C, keep)
    search = _Search.from_heuristic(
        sub,
        w[keep],
        U[keep],
        cands,
        rules,
        solver_options(options),
        cap_slack=cap_slack,
        cap_grow=cap_grow,
    )
    search.stats["demand_columns"] = int(keep.sum())
    search.lp_phase()
    search.milp_rounds(max_rounds, cap_slack)
    return _lift(search.outcome(), C, w, U, keep)


def _needed_columns(C: sparse.spmatrix, w: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Demand columns the optimisation needs (an exact reduction).

    A column without weight costs nothing, and one that no pair reaches below its
    finite ``U`` costs ``w U`` whatever opens: both are left out of the model.
    """
    coo = sparse.coo_matrix(C)
    below = coo.data < U[coo.col]
    reached = np.bincount(coo.col[below], minlength=C.shape[1]) > 0
    return (w > 0) & (reached | ~np.isfinite(U))


def _columns(C: sparse.spmatrix, keep: np.ndarray) -> sparse.csr_matrix:
    """``C[:, keep]`` as CSR, keeping stored zeros (a site at its own demand point)."""
    if keep.all():
        return sparse.csr_matrix(C)
    coo = sparse.coo_matrix(C)
    sel = keep[coo.col]
    new_col = np.cumsum(keep) - 1
    shape = (C.shape[0], int(keep.sum()))
    return sparse.csr_matrix((coo.data[sel], (coo.row[sel], new_col[coo.col[sel]])), shape=shape)


def _lift(out: CompactOutcome, C: sparse.spmatrix, w, U, keep) -> CompactOutcome:
    """The outcome on the reduced columns as one on all of ``C`` (costs of the rest added)."""
    if keep.all():
        return out
    if out.status in ("infeasible", "not solved"):
        return replace(out, assignment=np.full(C.shape[1], -1))
    mask = np.zeros(C.shape[0], dtype=bool)
    mask[out.open_sites] = True
    cost, site = true_costs(sparse.csr_matrix(C), U, mask)
    pos = w > 0
    objective = float(w[pos] @ cost[pos])
    constant = float(w[~keep & pos] @ U[~keep & pos])
    bound = objective if out.gap == 0 else min(out.bound + constant, objective)
    gap = relative_gap(objective, bound)
    status = out.status if gap <= PROVEN_GAP else "feasible"
    for key in ("heuristic_objective", "lp_bound", "lp_rounding_objective"):
        if key in out.stats:  # on the whole instance, like the objective
            out.stats[key] += constant
    return replace(out, assignment=site, objective=objective, bound=bound, gap=gap, status=status)


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
        n_lev = lm.n_lev
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
        caps[hit] = lm.level_at(new_T)[hit]
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
        has = (T > 0) & (lm.n_lev > T)
        hit = has & (x[np.maximum(top, 0)] > 1e-7)
        log.debug("LP round %d: bound %.6g, %d demand points at their cap", k, obj, hit.sum())
        if not hit.any():
            break
        grow = 3 if len(x) < LP_FAST_GROW_MAX_COLS else 1
        new_T = np.where(hit, np.minimum(T + grow * np.maximum(T, 1), lm.n_lev), T)
        caps[hit] = lm.level_at(new_T)[hit]
        _add_levels(warm, lm, w, caps, T, new_T, top)
        T = new_T
    return caps, k, time.perf_counter() - t0, lp


def _add_levels(warm: WarmLp, lm: LevelModel, w, caps, T, new_T, top) -> None:
    """Add the ``z`` columns and level rows of levels ``T .. new_T - 1`` (``caps`` raised).

    ``top`` (each demand's last ``z`` column) is updated in place.
    """
    new = np.flatnonzero((lm.lev_rank >= T[lm.lev_dem]) & (lm.lev_rank < new_T[lm.lev_dem]))
    dem, rank = lm.lev_dem[new], lm.lev_rank[new]
    val, cap = lm.lev_val[new], caps[dem]
    last = rank == new_T[dem] - 1
    nxt = np.where(last, np.where(np.isfinite(cap), cap, val), 0.0)
    nxt[~last] = lm.lev_val[new[~last] + 1]
    ub = np.where(last & ~np.isfinite(cap), 0.0, 1.0)  # must be served: some site opens
    cols = warm.add_columns(w[dem] * (nxt - val), 0.0, ub)
    z = np.arange(len(new))  # the new levels' z; rows numbered alike
    first = rank == T[dem]
    # z_k - z_(k-1) + (sites at level k) >= 0; a demand's first level's row >= 1
    link = first & (T[dem] > 0)
    z_first = np.zeros(lm.n_dem, dtype=np.int64)
    z_first[dem[first]] = z[first]
    sel = (lm.pair_level >= T[lm.pair_dem]) & (lm.pair_level < new_T[lm.pair_dem])
    pd = lm.pair_dem[sel]
    rows = np.concatenate([z, z[~first], z[link], z_first[pd] + lm.pair_level[sel] - T[pd]])
    vals = np.r_[np.ones(len(z)), -np.ones((~first).sum() + link.sum()), np.ones(len(pd))]
    all_cols = np.concatenate([cols, cols[z[~first] - 1], top[dem[link]], lm.pair_site[sel]])
    lo = (first & (T[dem] == 0)).astype(float)
    warm.add_rows(rows, all_cols, vals, lo, np.full(len(z), np.inf))
    top[dem[last]] = cols[last]


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
    k = lm.n_levels_below(cost)
    k = k + slack + (grow * k).astype(int)
    idx = slice(None) if only is None else np.flatnonzero(only)
    new[idx] = lm.level_at(k)[idx]
    return new
