"""Uncapacitated siting under customers' choice (MNL) by outer approximation and
submodular cuts (Ljubić & Moreno 2018, "Outer approximation and submodular cuts for
maximum capture facility location problems with random utilities", EJOR 266).

Column ``i`` with outside attraction ``A[i]`` and open sites of total attraction
``u[i] = sum_j a[i, j] y[j]`` is captured for ``g_i(u) = u / (A[i] + u)``: concave in
``u`` and, over sets of open sites, monotone and submodular. The master problem::

    maximise    sum_i w[i] theta[i]
    subject to  theta[i] <= g_i(v) + g_i'(v) (sum_j a[i, j] y[j] - v)    outer approximation
                theta[i] <= f_i(S) + sum_{j not in S} rho_ij(S) y[j]      submodular
                site rules on y (count, per kind, spacing, forced, excluded, budget)

where ``f_i(S)`` is the capture of a set ``S`` and ``rho_ij(S) = f_i(S + j) - f_i(S)``,
is a relaxation for any set of cuts, and exact once it holds the cuts at its own
optimum. What is solved, and how:

1. **Incumbent.** The greedy plan, improved by swaps (close one site, open another:
   the best such pair while it gains), so never worse than greedy.
2. **Root.** A Kelley loop on the master's LP: at the LP's point, the
   outer-approximation cut for every column it overestimates, and per column the
   least violated of the submodular cuts at the empty set and at the sites more
   than half (a fifth, all but surely) open. The outer approximation alone bounds
   the capture by its concave relaxation, which rewards spreading fractions of
   sites over many columns; the submodular cuts at fractional points close most of
   that (central Helsinki's root gap 2.5 % -> 0.1 %, Porto Alegre's 2.8 % ->
   0.3 %). Each LP is an upper bound.
3. **Integer master.** The master MILP, re-solved from the incumbent with the cuts
   at its last solution added (both kinds), until its bound meets the incumbent or
   the time runs out. The installed ``highspy`` takes no lazy constraints during a
   solve (see :mod:`lockerplan.siting.benders`), hence the re-solves.

Every bound reported is the least of the masters' proven bounds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from .milp import PROVEN_GAP, Milp, MilpBuilder, solve_milp
from .options import SolverOptions
from .sites import Candidates, SiteRules, add_site_rows, feasible_sites, y_bounds

log = logging.getLogger(__name__)

#: A column's cut is added when the master overestimates its capture by more than this.
VIOLATION = 1e-7
#: Share of the time limit the swap search may take.
SEARCH_SHARE = 0.15
#: Share of the time limit the root's LP loop may take.
ROOT_SHARE = 0.3
#: Rounds of the root's LP loop at most.
ROOT_ROUNDS = 50


@dataclass
class CutOutcome:
    """What the cut algorithm found: the plan, its capture, the proven bound."""

    is_open: np.ndarray
    captured: float
    bound: float
    proven: bool
    stats: dict = field(default_factory=dict)
    #: The cuts, ``theta[column[r]] <= rhs[r] + sum_j coef[r, j] y[j]``: ``(column,
    #: coef, rhs)``, valid for every plan (with capacities too: a full site only
    #: lowers the capture).
    cuts: tuple[np.ndarray, sparse.csr_matrix, np.ndarray] | None = None


class _Capture:
    """The capture ``sum_i w[i] u[i] / (A[i] + u[i])`` of a set of open sites."""

    def __init__(self, rows, cols, a, outside, w, n_cand):
        self.rows, self.cols, self.a, self.A, self.w = rows, cols, a, outside, w
        self.n_cand, self.n_col = n_cand, len(outside)

    def u(self, y: np.ndarray) -> np.ndarray:
        return np.bincount(self.cols, weights=self.a * y[self.rows], minlength=self.n_col)

    def g(self, u: np.ndarray) -> np.ndarray:
        return u / (self.A + u)

    def value(self, is_open: np.ndarray) -> float:
        return float(self.w @ self.g(self.u(is_open.astype(float))))

    def marginals(self, u: np.ndarray) -> np.ndarray:
        """Per pair, the share of its column that opening its site adds at totals ``u``."""
        return share_added(self.A[self.cols], u[self.cols], self.a)

    def gains(self, u: np.ndarray) -> np.ndarray:
        """Per site, the capture opening it adds to a plan of totals ``u``."""
        pair = self.w[self.cols] * self.marginals(u)
        return np.bincount(self.rows, weights=pair, minlength=self.n_cand)


def share_added(outside: np.ndarray, open_total: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The share of a column a site of attraction ``a`` adds to open sites of total
    attraction ``open_total``: ``S / (A + S)`` becomes ``(S + a) / (A + S + a)``.

    Examples
    --------
    >>> float(share_added(np.array([1.0]), np.array([1.0]), np.array([2.0]))[0])
    0.25
    """
    A, S = outside, open_total
    return A * a / ((A + S) * (A + S + a))


def swap_search(
    cap: _Capture, is_open: np.ndarray, cands: Candidates, rules: SiteRules, deadline: float
) -> tuple[np.ndarray, int]:
    """Improve a plan by the best swap (one site closed, one opened) while one gains."""
    is_open = is_open.copy()
    swaps = 0
    by_site = np.argsort(cap.rows, kind="stable")  # pairs grouped by site
    ptr = np.r_[0, np.cumsum(np.bincount(cap.rows, minlength=cap.n_cand))]
    while time.perf_counter() < deadline:
        u = cap.u(is_open.astype(float))
        value = float(cap.w @ cap.g(u))
        best = (1e-9 * max(value, 1.0), -1, -1)
        for j in np.flatnonzero(is_open & ~cands.forced_open):
            k_pairs = by_site[ptr[j] : ptr[j + 1]]
            u_wo = u.copy()
            u_wo[cap.cols[k_pairs]] -= cap.a[k_pairs]
            u_wo = np.maximum(u_wo, 0.0)
            loss = value - float(cap.w @ cap.g(u_wo))
            gain = cap.gains(u_wo) - loss
            gain[is_open | cands.excluded] = -np.inf
            for k in np.argsort(-gain)[:5]:
                if gain[k] <= best[0]:
                    break
                trial = is_open.copy()
                trial[j], trial[k] = False, True
                if feasible_sites(np.flatnonzero(trial), cands, rules):
                    best = (float(gain[k]), int(j), int(k))
                    break
            if time.perf_counter() >= deadline:
                break
        if best[1] < 0:
            break
        is_open[best[1]], is_open[best[2]] = False, True
        swaps += 1
    return is_open, swaps


class _Master:
    """The master problem: the site rules on ``y``, ``theta`` per column, the cuts."""

    def __init__(self, cap: _Capture, cands: Candidates, rules: SiteRules):
        self.cap = cap
        n_cand, n_col = cap.n_cand, cap.n_col
        b = MilpBuilder()
        lb, ub = y_bounds(cands)
        self.y = b.add_columns("y", np.zeros(n_cand), lb, ub, integer=True)
        # theta at most the capture of every site in reach open
        top = cap.g(np.bincount(cap.cols, weights=cap.a, minlength=n_col))
        self.theta = b.add_columns("theta", -cap.w, 0.0, top)
        add_site_rows(b, self.y, cands, rules)
        self.base = b.build()
        self.cut_rows: list[sparse.csr_matrix] = []
        self.cut_hi: list[np.ndarray] = []
        self.n_cuts = 0

    def _add(self, cols_i, pair_coef, pair_mask, rhs):
        """Rows ``theta[i] - sum_j coef y[j] <= rhs`` for the columns ``cols_i``."""
        cap = self.cap
        local = np.full(cap.n_col, -1)
        local[cols_i] = np.arange(len(cols_i))
        keep = (local[cap.cols] >= 0) & pair_mask & (pair_coef > 1e-12)
        r = np.r_[local[cap.cols[keep]], np.arange(len(cols_i))]
        c = np.r_[self.y[cap.rows[keep]], self.theta[cols_i]]
        v = np.r_[-pair_coef[keep], np.ones(len(cols_i))]
        n = self.base.A.shape[1]
        self.cut_rows.append(sparse.csr_matrix((v, (r, c)), shape=(len(cols_i), n)))
        self.cut_hi.append(rhs[cols_i])
        self.n_cuts += len(cols_i)

    def outer(self, u: np.ndarray, cols_i: np.ndarray) -> None:
        """Outer-approximation cuts at the totals ``u`` for the columns ``cols_i``."""
        cap = self.cap
        slope = cap.A / (cap.A + u) ** 2
        all_pairs = np.ones(len(cap.rows), dtype=bool)
        self._add(cols_i, slope[cap.cols] * cap.a, all_pairs, cap.g(u) - slope * u)

    def submodular(self, is_open: np.ndarray, cols_i: np.ndarray) -> None:
        """Submodular cuts at the set ``is_open`` for the columns ``cols_i``."""
        cap = self.cap
        u = cap.u(is_open.astype(float))
        self._add(cols_i, cap.marginals(u), ~is_open[cap.rows], cap.g(u))

    def separate(self, y: np.ndarray, theta: np.ndarray, reach: np.ndarray) -> int:
        """Submodular cuts violated at a fractional point ``(y, theta)``: per column the
        least of the cuts at the empty set and at the sites open more than a half, a
        fifth and all but surely; the number added."""
        cap = self.cap
        trials = (np.zeros(cap.n_cand, dtype=bool), y > 0.5, y > 0.999, y > 0.2)
        values = np.vstack([self._cut_value(s, y) for s in trials])
        pick = np.argmin(values, axis=0)
        least = values[pick, np.arange(cap.n_col)]
        over = theta > least + VIOLATION
        added = 0
        for k, s in enumerate(trials):
            cols_i = reach[(over & (pick == k))[reach]]
            if len(cols_i):
                self.submodular(s, cols_i)
                added += len(cols_i)
        return added

    def _cut_value(self, is_open: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per column, the submodular cut at the set ``is_open`` evaluated at ``y``."""
        cap = self.cap
        u = cap.u(is_open.astype(float))
        rho = np.where(is_open[cap.rows], 0.0, cap.marginals(u) * y[cap.rows])
        return cap.g(u) + np.bincount(cap.cols, weights=rho, minlength=cap.n_col)

    def cuts(self) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
        """Every cut added, as ``(column, coef, rhs)`` (see :class:`CutOutcome`)."""
        R = sparse.vstack(self.cut_rows, format="csc")
        column = np.asarray(R[:, self.theta].argmax(axis=1)).ravel()
        return column, sparse.csr_matrix(-R[:, self.y]), np.concatenate(self.cut_hi)

    def milp(self, integer: bool) -> Milp:
        base = self.base
        A = sparse.vstack([base.A, *self.cut_rows], format="csr")
        hi = np.concatenate([base.row_hi, *self.cut_hi])
        lo = np.concatenate([base.row_lo, np.full(len(hi) - len(base.row_hi), -np.inf)])
        ints = base.integer if integer else np.zeros_like(base.integer)
        return Milp(base.c, base.lb, base.ub, ints, A, lo, hi, 0.0, base.names, [])

    def start(self, is_open: np.ndarray) -> np.ndarray:
        x = np.zeros(self.base.A.shape[1])
        x[self.y] = is_open
        x[self.theta] = self.cap.g(self.cap.u(is_open.astype(float)))
        return x


def solve_by_cuts(
    rows: np.ndarray,
    cols: np.ndarray,
    a: np.ndarray,
    outside: np.ndarray,
    w: np.ndarray,
    start_open: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    opts: SolverOptions,
) -> CutOutcome:
    """The most expected parcels captured (uncapacitated MNL) from a feasible start.

    Parameters
    ----------
    rows, cols, a : numpy.ndarray
        Per pair within reach: the site, the demand column and the site's attraction.
    outside, w : numpy.ndarray
        Per demand column: the outside option's attraction and the parcels per day.
    start_open : numpy.ndarray
        A plan obeying the rules (boolean per site), e.g. the greedy one.
    cands, rules, opts
        As for every siting model.

    Returns
    -------
    CutOutcome
        The plan (never worse than the start), its capture and the proven bound.
    """
    t0 = time.perf_counter()
    limit = opts.time_limit_s
    cap = _Capture(rows, cols, a, outside, w, len(cands.kind))
    greedy_value = cap.value(start_open)
    best_open, swaps = swap_search(cap, start_open, cands, rules, t0 + SEARCH_SHARE * limit)
    best = cap.value(best_open)
    master = _Master(cap, cands, rules)
    reach = np.flatnonzero(np.bincount(cols, minlength=cap.n_col) > 0)
    bound = float(-master.base.c @ master.base.ub)  # every column's best
    # first cuts: at the incumbent, and at every site in reach open
    master.submodular(best_open, reach)
    master.outer(cap.u(best_open.astype(float)), reach)
    master.outer(cap.u(np.ones(cap.n_cand)), reach)
    rounds = milps = 0
    root_bound = bound

    def left() -> float:
        return limit - (time.perf_counter() - t0)

    def proven() -> bool:
        return bound - best <= PROVEN_GAP * max(abs(best), 1.0)

    # root: Kelley's loop on the LP, warm-started in HiGHS where the path allows it
    root_end = (1.0 - SEARCH_SHARE - ROOT_SHARE) * limit
    lp_solve = _WarmLp(master, opts) if opts.via == "highspy" else None
    while rounds < ROOT_ROUNDS and left() > root_end and not proven():
        if lp_solve is not None:
            x, value = lp_solve.run(left())
        else:
            lp = solve_milp(
                master.milp(False), _with_time(opts, left()), highs_options={"presolve": "off"}
            )
            x, value = (lp.x, -lp.objective) if lp.status == "optimal" else (None, np.inf)
        if x is None:
            break
        rounds += 1
        bound = min(bound, value)
        root_bound = bound
        u = cap.u(x[master.y])
        over = reach[x[master.theta][reach] > cap.g(u)[reach] + VIOLATION]
        if len(over):
            master.outer(u, over)
        if not master.separate(x[master.y], x[master.theta], reach) and not len(over):
            break
    root_s = time.perf_counter() - t0
    # integer master, re-solved with the cuts at its solution
    while not proven() and left() > 0.05:
        out = solve_milp(master.milp(True), _with_time(opts, left()), start=master.start(best_open))
        milps += 1
        if np.isfinite(out.bound):
            bound = min(bound, -out.bound)
        if out.x is None:
            break
        y = np.round(out.x[master.y]) > 0.5
        value = cap.value(y)
        if value > best and feasible_sites(np.flatnonzero(y), cands, rules):
            best, best_open = value, y
        if out.status == "optimal":
            bound = min(bound, -out.objective)
        u = cap.u(y.astype(float))
        over = reach[out.x[master.theta][reach] > cap.g(u)[reach] + VIOLATION]
        if not len(over):
            if out.status == "optimal":  # the master is exact at its optimum
                bound = min(bound, max(value, best))
            break
        master.submodular(y, over)
        master.outer(u, over)
    bound = max(bound, best)
    stats = {
        "greedy_captured": round(greedy_value, 4),
        "swaps": swaps,
        "root_rounds": rounds,
        "root_bound": round(root_bound, 4),
        "root_s": round(root_s, 2),
        "master_solves": milps,
        "cuts": master.n_cuts,
    }
    log.info("mnl cuts: %s, captured %.4f, bound %.4f", stats, best, bound)
    return CutOutcome(best_open, best, bound, proven(), stats, master.cuts())


class _WarmLp:
    """The master's LP in one HiGHS instance: each round adds the new cuts' rows and
    re-solves from the last basis."""

    def __init__(self, master: _Master, opts: SolverOptions):
        import highspy

        from .milp import highs_options

        self.master, self.opts, self.h = master, opts, highspy.Highs()
        highs_options(self.h, opts.time_limit_s, opts.gap_rel, opts.seed, opts.threads)
        self.h.setOptionValue("presolve", "off")
        lp = master.milp(False)
        inf = highspy.kHighsInf
        A = lp.A
        self.h.passModel(
            int(A.shape[1]), int(A.shape[0]), int(A.nnz), int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize), 0.0, lp.c.astype(float),
            np.where(np.isinf(lp.lb), -inf, lp.lb), np.where(np.isinf(lp.ub), inf, lp.ub),
            np.where(np.isinf(lp.row_lo), -inf, lp.row_lo),
            np.where(np.isinf(lp.row_hi), inf, lp.row_hi),
            A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
            np.zeros(A.shape[1], dtype=np.int32),
        )  # fmt: skip
        self.passed = len(master.cut_rows)

    def run(self, seconds: float) -> tuple[np.ndarray | None, float]:
        """The LP's solution and its (maximised) objective; None when not solved."""
        import highspy

        for R, hi in zip(
            self.master.cut_rows[self.passed :], self.master.cut_hi[self.passed :], strict=True
        ):
            R = sparse.csr_matrix(R)
            self.h.addRows(
                R.shape[0], np.full(R.shape[0], -highspy.kHighsInf), hi.astype(float),
                int(R.nnz), R.indptr[:-1].astype(np.int32), R.indices.astype(np.int32),
                R.data.astype(float),
            )  # fmt: skip
        self.passed = len(self.master.cut_rows)
        self.h.setOptionValue("time_limit", float(max(seconds, 0.05)))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, np.inf
        x = np.asarray(self.h.getSolution().col_value)
        return x, -float(self.h.getInfo().objective_function_value)


def _with_time(opts: SolverOptions, seconds: float) -> SolverOptions:
    return replace(opts, time_limit_s=max(seconds, 0.05))
