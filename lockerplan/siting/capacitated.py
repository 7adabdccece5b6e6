"""Capacitated facility location (single or split sourcing, unserved demand at a penalty)."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from ..errors import InputError
from ._common import infeasible, make_result, nearest_open, setup
from .lagrangian import LagrangianFixing, cflp_lagrangian
from .milp import Milp, MilpBuilder, MilpOutcome, relative_gap, solve_milp
from .options import SolverOptions
from .result import Outcome, SitingResult, failed
from .sites import Candidates, SiteRules, add_site_rows, fmt, y_bounds
from .warm_lp import WarmLp

log = logging.getLogger(__name__)

#: Split-demand models with this many pairs or more run the Lagrangian phase by
#: default (central Helsinki, 4,000 pairs: 1.8 s spent, no time saved; OR-Library
#: capa/b/c, 100,000 pairs: 25-280 s -> 5-33 s).
LAGRANGIAN_MIN_PAIRS = 20_000


def solve_cflp(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    *,
    candidates: Candidates,
    rules: SiteRules | None = None,
    assignment_cost: sparse.spmatrix | np.ndarray | None = None,
    cost_per_parcel_m: float = 1.0,
    single_source: bool = True,
    unserved_penalty: float | str | None = "auto",
    cut_rounds: int = 20,
    lagrangian: bool | None = None,
    options: SolverOptions | None = None,
) -> SitingResult:
    """Capacitated facility location: fixed cost + assignment cost under site capacities.

    ::

        minimise  sum_j f[j] y[j] + sum_ij c[j, i] x[j, i] + sum_i P[i] u[i]
        s.t.      sum_j x[j, i] + u[i] = 1                   every demand i
                  sum_i w[i] x[j, i] <= cap[j] y[j]          every site j
                  x[j, i] <= y[j]                            every pair
                  x binary (single sourcing) or in [0, 1] (split), y binary

    ``c[j, i]`` is the cost of serving all of demand ``i`` from ``j``: by default
    ``w[i] * d[j, i] * cost_per_parcel_m``; pass ``assignment_cost`` (same shape and
    pattern as ``distances``, or dense) to override, e.g. for OR-Library ``cap``.

    Other parameters are as in :func:`solve_mclp`.

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    weights : numpy.ndarray
        Parcels per day per demand column.
    candidates : Candidates
        Must carry ``capacity`` (parcels/day) and ``fixed_cost``.
    single_source : bool, default True
        Each demand point goes to one site; ``False`` lets demand split.
    unserved_penalty : float, "auto" or None, default "auto"
        Cost per parcel/day left unserved (``u``), so the model is always feasible
        and reports what is left over. ``"auto"``: more than serving it from the
        dearest reachable site and opening the dearest site. ``None``: all demand
        must be served (infeasible with a diagnosis when it cannot be).
    cut_rounds : int, default 20
        Rounds of LP cutting planes that add the pair rows ``x <= y`` the LP
        breaks; 0 adds them all up front (the textbook strong model).
    lagrangian : bool, optional
        With split demand and no site rules beyond forced and excluded sites,
        first raise a Lagrangian bound (demand rows relaxed), price the site sets
        it picks as plans, and fix every site whose opening (closing) would lift
        the bound above the best plan: the MILP then decides only the rest and
        starts from that plan (see :mod:`lockerplan.siting.lagrangian`). Default:
        on models with at least ``LAGRANGIAN_MIN_PAIRS`` pairs (smaller ones solve
        faster without it).
    rules : SiteRules, optional
        Per-kind limits, budget, spacing, cutoffs.
    assignment_cost : scipy.sparse matrix or numpy.ndarray, optional
        Cost of serving all of a demand point from a site (see above).
    cost_per_parcel_m : float, default 1
        Cost per parcel and metre walked, when ``assignment_cost`` is not given.
    options : SolverOptions, optional
        Solver, ``via``, time limit (for the whole solve, cut rounds included), gap,
        seed; default ``SolverOptions()``.

    Returns
    -------
    SitingResult
        ``objective`` = total cost; ``unserved`` = parcels/day left over;
        ``assignment`` = the solver's allocation (split demand: the site with the
        largest share; -1: not served).

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(np.array([[1.0, 2.0], [2.0, 1.0]]))
    >>> c = Candidates.default(2, capacity=[10.0, 10.0], fixed_cost=[5.0, 5.0])
    >>> r = solve_cflp(D, np.array([6.0, 6.0]), candidates=c)
    >>> r.status, r.objective, r.open_sites.tolist(), r.unserved
    ('optimal', 22.0, [0, 1], 0.0)
    """
    D, w, cands, rules, diag, opts = setup(distances, weights, candidates, rules, options)
    if diag:
        return infeasible("cflp", diag, D, opts)
    t0 = time.perf_counter()
    rows, cols, pair_cost = _pairs(D, w, assignment_cost, cost_per_parcel_m)
    penalty, msgs = _unserved_cost(unserved_penalty, w, rows, cols, pair_cost, cands, rules)
    if msgs:
        return infeasible("cflp", msgs, D, opts)
    lb, ub = y_bounds(cands)
    model = _Cflp(w, cands, rules, rows, cols, pair_cost, penalty, single_source, lb, ub)
    lag = None
    if lagrangian is None:
        lagrangian = len(rows) >= LAGRANGIAN_MIN_PAIRS
    active = ~cands.excluded
    if (
        lagrangian
        and not single_source
        and _plain(rules)
        and np.isfinite(cands.capacity[active]).all()
    ):
        lag = model.fix_by_lagrangian(0.25 * opts.time_limit_s)
    deadline = t0 + opts.time_limit_s
    link, lp_rounds, cut_s = _cut_pair_rows(model, cut_rounds, opts, deadline)
    milp, y, x, u = model.build(link)
    t_build = time.perf_counter() - t0 - cut_s
    stats = {
        "variables": milp.shape[1],
        "constraints": milp.shape[0],
        "nonzeros": milp.A.nnz,
        "link_rows": len(link),
        "cut_rounds": lp_rounds,
        "cut_s": round(cut_s, 3),
    }
    out = solve_milp(
        milp,
        replace(opts, time_limit_s=max(deadline - time.perf_counter(), 0.01)),
        start=model.lagrangian_start(lag, milp, y, x, u),
    )
    out.solve_s += cut_s
    if lag is not None:
        t_build -= lag.seconds
        _count_lagrangian(out, lag, stats, cands)
    if out.x is None:
        msg = out.detail
        if out.status == "infeasible":
            msg = (
                "no plan serves all demand within the capacities and site rules; "
                "allow unserved demand (unserved_penalty) or relax the limits."
            )
        return failed(
            "cflp",
            out.status,
            msg,
            D.shape[1],
            opts.solver,
            opts.via,
            build_s=t_build + out.build_s,
            solve_s=out.solve_s,
            stats=stats,
        )
    chosen = np.flatnonzero(out.x[y] > 0.5)
    assignment, unserved = model.allocation(out.x[x], chosen, D)
    stats["single_source"] = single_source
    outcome = Outcome(
        "cflp",
        chosen,
        out.status,
        out.objective,
        out.bound,
        out.gap,
        build_s=t_build + out.build_s,
        solve_s=out.solve_s,
        stats=stats,
        assignment=assignment,
        unserved=unserved,
        message=model.unserved_message(unserved),
    )
    return make_result(outcome, D, opts)


def _pairs(
    D: sparse.csr_matrix, w: np.ndarray, assignment_cost, cost_per_parcel_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Site, demand and cost of every allowed pair (stored in ``D``, demand > 0)."""
    coo = D.tocoo()
    if assignment_cost is None:
        pair_cost = w[coo.col] * coo.data * float(cost_per_parcel_m)
    else:
        if assignment_cost.shape != D.shape:
            raise InputError(
                f"assignment_cost must have the shape of distances {D.shape}, "
                f"got {assignment_cost.shape}."
            )
        A = assignment_cost
        pair_cost = np.asarray(
            A[coo.row, coo.col] if not sparse.issparse(A) else A.tocsr()[coo.row, coo.col]
        ).ravel()
    keep = w[coo.col] > 0
    return coo.row[keep], coo.col[keep], pair_cost[keep]


def _unserved_cost(
    unserved_penalty, demand, rows, cols, pair_cost, cands: Candidates, rules: SiteRules
) -> tuple[np.ndarray | None, list[str]]:
    """Cost per parcel/day left unserved, per demand point.

    Returns the costs (``None``: all demand must be served) and, in that case, the
    reasons in words why it cannot be (an empty list when it can).
    """
    n_dem = len(demand)
    active = ~cands.excluded
    if unserved_penalty == "auto":
        worst = np.zeros(n_dem)
        np.maximum.at(worst, cols, pair_cost / np.maximum(demand[cols], 1e-12))
        dearest_site = cands.fixed_cost[active].max(initial=0.0)
        return 10.0 * (worst + dearest_site / np.maximum(demand, 1e-12)) + 1.0, []
    if unserved_penalty is not None:
        if not (float(unserved_penalty) >= 0):
            raise InputError(
                f"unserved_penalty must be >= 0, 'auto' or None, got {unserved_penalty!r}."
            )
        return np.full(n_dem, float(unserved_penalty)), []
    total_demand = float(demand.sum())
    cap_total = _capacity_within_limits(cands.capacity, active, cands, rules)
    lost = (np.bincount(cols, minlength=n_dem) == 0) & (demand > 0)
    msgs = []
    if cap_total < total_demand - 1e-9:
        msgs.append(
            f"capacity {fmt(cap_total)} parcels/day < demand {fmt(total_demand)} "
            "parcels/day; add sites or capacity, or allow unserved demand "
            "(unserved_penalty)."
        )
    if lost.any():
        msgs.append(
            f"{lost.sum()} demand point(s) with {fmt(demand[lost].sum())} parcels/day are "
            "out of reach of every candidate; raise the cutoff or allow unserved demand."
        )
    return None, msgs


@dataclass
class _Cflp:
    """The data of one CFLP, and the MILP built from it.

    Pairs ``rows[k] -> cols[k]`` cost ``pair_cost[k]``; ``lb``/``ub`` bound the
    open variables ``y``; ``penalty`` is the unserved cost per parcel (``None``:
    all demand must be served).
    """

    demand: np.ndarray
    cands: Candidates
    rules: SiteRules
    rows: np.ndarray
    cols: np.ndarray
    pair_cost: np.ndarray
    penalty: np.ndarray | None
    single_source: bool
    lb: np.ndarray
    ub: np.ndarray

    @property
    def dem(self) -> np.ndarray:
        """Demand points with parcels (the ones the model serves)."""
        return np.flatnonzero(self.demand > 0)

    def build(self, link: np.ndarray) -> tuple[Milp, np.ndarray, np.ndarray, np.ndarray]:
        """The MILP with the pair rows ``x[k] <= y[j]`` for the pairs ``link``.

        Returns it with the columns of ``y``, ``x`` and ``u``.
        """
        n_cand, n_dem = len(self.cands.kind), len(self.demand)
        cap, demand, dem = self.cands.capacity, self.demand, self.dem
        rows, cols = self.rows, self.cols
        b = MilpBuilder()
        y = b.add_columns("y", self.cands.fixed_cost, self.lb, self.ub, integer=True)
        x = b.add_columns("x", self.pair_cost, 0.0, 1.0, integer=self.single_source)
        pos = -np.ones(n_dem, dtype=int)
        pos[dem] = np.arange(len(dem))
        u = np.zeros(0, dtype=int)
        ones = np.ones(len(dem))
        if self.penalty is not None:
            u = b.add_columns("u", self.penalty[dem] * demand[dem], 0.0, 1.0)
            local = np.r_[pos[cols], np.arange(len(dem))]
            b.add_rows("assign", local, np.r_[x, u], np.ones(len(x) + len(dem)), lo=ones, hi=ones)
        else:
            b.add_rows("assign", pos[cols], x, np.ones(len(x)), lo=ones, hi=ones)
        fin = np.flatnonzero(np.isfinite(cap))
        fpos = -np.ones(n_cand, dtype=int)
        fpos[fin] = np.arange(len(fin))
        sel = np.isfinite(cap[rows])
        b.add_rows(
            "capacity",
            np.r_[fpos[rows[sel]], np.arange(len(fin))],
            np.r_[x[sel], y[fin]],
            np.r_[demand[cols[sel]], -cap[fin]],
            hi=np.zeros(len(fin)),
        )
        k = np.arange(len(link))
        b.add_rows(
            "link",
            np.r_[k, k],
            np.r_[x[link], y[rows[link]]],
            np.r_[np.ones(len(link)), -np.ones(len(link))],
            hi=np.zeros(len(link)),
        )
        if self.penalty is None and len(fin) == n_cand:
            # aggregate capacity cut: strengthens the LP bound
            b.add_rows("total_capacity", np.zeros(n_cand), y, cap, lo=[float(demand.sum())])
        add_site_rows(b, y, self.cands, self.rules)
        return b.build(), y, x, u

    def fix_by_lagrangian(self, time_limit_s: float) -> LagrangianFixing:
        """Run the Lagrangian phase; fix the sites it settles and drop closed sites' pairs."""
        cands = self.cands
        lag = cflp_lagrangian(
            self.rows,
            self.cols,
            self.pair_cost,
            self.demand,
            np.where(~cands.excluded, cands.capacity, 0.0),
            cands.fixed_cost,
            forced_open=cands.forced_open,
            excluded=cands.excluded,
            unserved_cost=self.penalty,
            time_limit_s=time_limit_s,
        )
        keep = ~lag.closed[self.rows]
        self.rows, self.cols, self.pair_cost = (
            self.rows[keep],
            self.cols[keep],
            self.pair_cost[keep],
        )
        if lag.pair_share is not None:
            lag.pair_share = lag.pair_share[keep]
        self.lb, self.ub = np.maximum(self.lb, lag.opened), np.minimum(self.ub, ~lag.closed)
        return lag

    def lagrangian_start(self, lag, milp: Milp, y, x, u) -> np.ndarray | None:
        """The best plan priced by the Lagrangian phase, as a MILP start (or ``None``)."""
        if lag is None or lag.pair_share is None:
            return None
        start = np.zeros(milp.shape[1])
        start[y[lag.open_sites]] = 1.0
        start[x] = lag.pair_share
        start[u] = lag.unserved_share[self.dem][: len(u)]
        return start

    def allocation(
        self, xv: np.ndarray, chosen: np.ndarray, D: sparse.csr_matrix
    ) -> tuple[np.ndarray, float]:
        """Per demand point, the open site with its largest share (-1: none).

        Returns the assignment and the parcels/day left unserved. Demand without parcels is not in the model: it goes to its nearest open site.
        """
        n_dem = len(self.demand)
        share = np.zeros(n_dem)
        np.add.at(share, self.cols, xv)
        is_open = np.zeros(len(self.cands.kind), dtype=bool)
        is_open[chosen] = True
        used = np.flatnonzero((xv > 1e-6) & is_open[self.rows])
        order = used[np.lexsort((xv[used], self.cols[used]))]  # by demand, then share
        last = np.r_[self.cols[order][1:] != self.cols[order][:-1], True]
        assignment = np.full(n_dem, -1)
        assignment[self.cols[order[last]]] = self.rows[order[last]]
        idle = self.demand == 0
        assignment[idle] = nearest_open(D, chosen)[idle]
        unserved = float((self.demand * np.clip(1.0 - share, 0.0, 1.0)).sum())
        return assignment, unserved

    def unserved_message(self, unserved: float) -> str:
        """Why parcels are left unserved, in words ("" when none are)."""
        if unserved <= 1e-6:
            return ""
        cands = self.cands
        cap_total = _capacity_within_limits(cands.capacity, ~cands.excluded, cands, self.rules)
        total_demand = float(self.demand.sum())
        return (
            f"{fmt(unserved)} parcels/day left unserved"
            + (
                f": capacity {fmt(cap_total)} parcels/day < demand {fmt(total_demand)} parcels/day"
                if cap_total < total_demand
                else " (out of reach, or cheaper to leave than to serve at this penalty)"
            )
            + "."
        )


class _ColdCuts:
    """LP rounds through :func:`solve_milp`, the LP rebuilt with the rows found so far."""

    def __init__(self, model: _Cflp, opts: SolverOptions):
        self.model, self.opts = model, opts

    def solve(self, link: np.ndarray, remaining: float):
        """Solve the LP; return ``((x, y, objective) or None, seconds)``."""
        milp, y, x, _ = self.model.build(link)
        milp.integer[:] = False
        lp = solve_milp(milp, replace(self.opts, time_limit_s=remaining, gap_rel=0.0))
        if lp.x is None:
            return None, lp.solve_s
        return (lp.x[x], lp.x[y], lp.objective), lp.solve_s

    def add(self, new: np.ndarray) -> None:
        """Nothing to do: the next round's model is rebuilt with the new rows."""


class _WarmCuts:
    """LP rounds in one HiGHS instance, new rows added in place (dual simplex restarts)."""

    def __init__(self, model: _Cflp, link: np.ndarray, opts: SolverOptions):
        milp, self.y, self.x, _ = model.build(link)
        self.rows = model.rows
        self.warm = WarmLp(milp, seed=opts.seed, threads=opts.threads)

    def solve(self, link: np.ndarray, remaining: float):
        """Solve the LP; return ``((x, y, objective) or None, seconds)``."""
        t = time.perf_counter()
        ok, objective, lx = self.warm.run(remaining)
        seconds = time.perf_counter() - t
        if not ok:
            return None, seconds
        return (lx[self.x], lx[self.y], objective), seconds

    def add(self, new: np.ndarray) -> None:
        """Add the rows ``x[k] <= y[rows[k]]`` for the pairs ``new``."""
        k = np.arange(len(new))
        self.warm.add_rows(
            np.r_[k, k],
            np.r_[self.x[new], self.y[self.rows[new]]],
            np.r_[np.ones(len(new)), -np.ones(len(new))],
            np.full(len(new), -np.inf),
            np.zeros(len(new)),
        )


def _cut_pair_rows(
    model: _Cflp, cut_rounds: int, opts: SolverOptions, deadline: float
) -> tuple[np.ndarray, int, float]:
    """The pairs whose row ``x <= y`` goes into the MILP; LP rounds and their seconds.

    Pairs whose capacity row already implies ``x <= y`` need no row of their own;
    the others are strong but numerous: they are added as cuts, only where the LP
    relaxation breaks them, for at most ``cut_rounds`` rounds (the model is correct
    without them: the capacity row closes a closed site). ``cut_rounds=0`` adds
    them all. With ``via="highspy"`` the LP stays in one warm-started HiGHS
    instance, otherwise each round solves it anew.
    """
    cap, rows, cols = model.cands.capacity, model.rows, model.cols
    implied = np.isfinite(cap[rows]) & (model.demand[cols] >= cap[rows])
    if cut_rounds <= 0:
        return np.flatnonzero(~implied), 0, 0.0
    link = np.flatnonzero(~np.isfinite(cap[rows]))  # uncapacitated sites need them
    lp = _WarmCuts(model, link, opts) if opts.via == "highspy" else _ColdCuts(model, opts)
    lp_rounds, cut_s = 0, 0.0
    for lp_rounds in range(1, cut_rounds + 1):  # noqa: B007
        remaining = deadline - time.perf_counter()
        if remaining <= 1:
            break
        solution, seconds = lp.solve(link, remaining)
        cut_s += seconds
        if solution is None:
            break
        x_lp, y_lp, objective = solution
        viol = (x_lp > y_lp[rows] + 1e-6) & ~implied
        viol[link] = False
        log.debug(
            "cflp cut round %d: LP %.6g, %d pair rows broken, %d kept, %.2f s",
            lp_rounds,
            objective,
            viol.sum(),
            len(link),
            seconds,
        )
        if not viol.any():
            break
        new = np.flatnonzero(viol)
        lp.add(new)
        link = np.union1d(link, new)
    return link, lp_rounds, cut_s


def _count_lagrangian(
    out: MilpOutcome, lag: LagrangianFixing, stats: dict, cands: Candidates
) -> None:
    """Add the Lagrangian phase's time, bound and figures to the MILP's outcome."""
    out.solve_s += lag.seconds
    # the Lagrangian bound holds for the whole model, the MILP's for what is left
    if out.x is not None and out.status != "optimal" and lag.bound > out.bound:
        out.bound = min(lag.bound, out.objective)
        out.gap = relative_gap(out.objective, out.bound)
    stats["lagrangian"] = {
        "bound": round(lag.bound, 6),
        "best_plan": round(lag.upper, 6),
        "steps": lag.iterations,
        "plans_priced": lag.plans_priced,
        "sites_fixed_closed": int((lag.closed & ~cands.excluded).sum()),
        "sites_fixed_open": int((lag.opened & ~cands.forced_open).sum()),
        "seconds": round(lag.seconds, 3),
    }


def _plain(rules: SiteRules) -> bool:
    """No site rules beyond forced and excluded sites (what the Lagrangian phase handles)."""
    return (
        rules.max_sites is None
        and not rules.max_per_kind
        and rules.budget is None
        and not rules.min_spacing_m
    )


def _capacity_within_limits(cap, active, cands: Candidates, rules: SiteRules) -> float:
    """Largest capacity that the count limit allows (the biggest sites)."""
    c = np.sort(np.where(active, cap, 0.0))[::-1]
    if rules.max_sites is not None:
        c = c[: rules.max_sites]
    total = float(c.sum())
    return total if math.isfinite(total) else math.inf
