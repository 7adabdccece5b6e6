"""The level model of the compact engine and its LP rounds.

:class:`LevelModel` holds each demand's sorted distinct costs as levels; the model
keeps the levels below a per-demand cap. :func:`refine_caps_lp` raises the caps on
the LP relaxation until it equals the full LP (:func:`refine_caps_warm_lp` in one
warm-started HiGHS instance, new levels added in place); :func:`raise_caps` is how a
cap grows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
from scipy import sparse

from .milp import MilpBuilder, MilpOutcome, solve_milp
from .sites import Candidates, SiteRules, add_site_rows, y_bounds
from .warm_lp import WarmLp

#: LP relaxations up to this many columns use the dual simplex, larger ones the
#: interior point method (measured on pmed1-12: simplex wins below, IPM ~2x above).
LP_SIMPLEX_MAX_COLS = 5000

log = logging.getLogger("lockerplan.siting.compact")


#: LPs this small quadruple (rather than double) the levels of capped demand
#: points each round: fewer rounds where a round's fixed cost dominates.
LP_FAST_GROW_MAX_COLS = 3000


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


def refine_caps_lp(lm, w, caps, cands, rules, opts, deadline, max_rounds=30):
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


def refine_caps_warm_lp(lm, w, caps, cands, rules, opts, deadline, max_rounds=30):
    """:func:`refine_caps_lp` in one HiGHS instance, new levels added in place.

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
        add_levels(warm, lm, w, caps, T, new_T, top)
        T = new_T
    return caps, k, time.perf_counter() - t0, lp


def add_levels(warm: WarmLp, lm: LevelModel, w, caps, T, new_T, top) -> None:
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


def raise_caps(lm: LevelModel, cost, caps, slack: int, only=None, grow: float = 0.0) -> np.ndarray:
    """New caps: at least ``cost``, plus ``slack`` + ``grow`` x (its level) more levels."""
    new = np.array(caps, dtype=float, copy=True)
    k = lm.n_levels_below(cost)
    k = k + slack + (grow * k).astype(int)
    idx = slice(None) if only is None else np.flatnonzero(only)
    new[idx] = lm.level_at(k)[idx]
    return new
