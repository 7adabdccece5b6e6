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

from .levels import LevelModel, raise_caps, refine_caps_lp, refine_caps_warm_lp
from .milp import PROVEN_GAP, relative_gap, solve_milp
from .options import SolverOptions, solver_options
from .sites import Candidates, SiteRules, feasible_sites
from .substitution import heuristic, true_costs

log = logging.getLogger(__name__)


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
            caps=raise_caps(lm, cost, cost, slack=cap_slack, grow=cap_grow),
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
        refine = refine_caps_warm_lp if self.opts.via == "highspy" else refine_caps_lp
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
        self.caps = raise_caps(self.lm, cost, self.caps, slack=cap_slack, only=over)
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
