"""Capacitated maximal covering with modular cabinets (CMCLP).

A cabinet site hosts 1 to ``max_modules`` cabinet modules; each module hands out
``Candidates.capacity`` parcels/day (compartments / dwell days, e.g. 100 / 1.5) and
costs ``Candidates.fixed_cost`` per day. A pickup point is one "module" with its own
capacity and cost. The model serves the most parcels within the walk (the per-kind
and per-demand cutoffs of :class:`SiteRules`) and within the capacities, with at
most N sites and/or a budget on the module costs (Current & Storbeck 1988, with
integer modules). Demand may split between sites.

The modules are then minimised lexicographically: a second MILP keeps at least the
parcels the first one served and buys the least module cost (by default over the
sites the first one opened), and each open site finally gets the fewest modules
that carry the load the plan gives it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import sparse

from ..errors import InputError
from ._common import check_count, infeasible, make_result, nearest_open, setup
from .capacity_search import improve_start
from .coverage import check_max_sites, require_a_limit
from .dense import START_MAX_S, START_SHARE
from .greedy import Greedy
from .milp import PROVEN_GAP, Milp, MilpBuilder, MilpOutcome, solve_milp
from .options import SolverOptions
from .region_cuts import Regions, region_cuts
from .result import Outcome, SitingResult, failed
from .serving import Roomy, capacity_message, hand_out, nearest_allocation
from .sites import Candidates, SiteRules, add_site_rows, demand_groups, y_bounds

#: Seconds the module step needs at least; with less left it is skipped (each
#: site still gets the fewest modules for its load, see :meth:`_Cmclp.fewest`).
MODULE_STEP_MIN_S = 0.1


#: Share of the time limit (at most ``AFTER_MAX_S`` seconds) kept from the first
#: solve for the module step and the final LP.
AFTER_SHARE, AFTER_MAX_S = 0.1, 10.0


#: Share of the time limit (at most ``CUTS_MAX_S`` seconds) the rounding-loss cuts of
#: :mod:`lockerplan.siting.region_cuts` may take before the first solve.
CUTS_SHARE, CUTS_MAX_S = 0.1, 10.0


#: How the module step may change the plan (see :func:`solve_cmclp`).
MODULE_STEPS = ("sites", "plan", "none")


#: Parcels/day the module step may serve below the first step (solver tolerance).
SERVED_SLACK = 1e-6


#: HiGHS solves the root LP by the interior point method: on synthetic cities the
#: dual simplex took 16 s (4,000 demand x 800 candidates, 42k pairs) and did not
#: finish in 300 s (15,000 x 3,000, 160k pairs), the IPM 6 s and 34 s.
HIGHS_OPTIONS = {"mip_lp_solver": "ipm"}


def _check_cmclp_args(max_sites: Any, max_modules: Any, minimise_modules: Any) -> None:
    """The arguments of :func:`solve_cmclp` that its setup does not check."""
    check_max_sites(max_sites)
    check_count("max_modules", max_modules)
    if minimise_modules not in MODULE_STEPS:
        raise InputError(
            f"minimise_modules must be one of {', '.join(MODULE_STEPS)}, got {minimise_modules!r}."
        )


def _cmclp_start(
    model: Any, milp: Any, opts: SolverOptions, deadline: float
) -> tuple[np.ndarray, float, dict]:
    """The MIP start: the greedy plan improved by swaps on the stored pairs, then the
    most its sites serve, exactly; with the greedy plan's parcels and the search's
    figures."""
    start = model.start(Greedy(model), milp.shape[1])
    greedy_served = float(-milp.c @ start)
    search_s = min(START_SHARE * opts.time_limit_s, START_MAX_S)
    start, search = improve_start(model, start, search_s)  # swaps on the stored pairs
    if search["swaps"]:  # the most those sites serve, exactly
        start = model.serve_most(start, opts, deadline)[0]
    return start, greedy_served, search


def _most_parcels(candidates: Candidates | None, distances, max_modules: int) -> np.ndarray:
    """Per candidate, the most parcels/day its most modules hand out (inf: no capacity)."""
    if candidates is None:
        return np.full(distances.shape[0], np.inf)
    cap = np.asarray(candidates.capacity, dtype=float)
    modules = np.where(np.asarray(candidates.kind) == "cabinet", max_modules, 1)
    return np.where(np.isfinite(cap), cap * modules, np.inf)


def solve_cmclp(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    max_sites: int | None,
    *,
    max_modules: int = 4,
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    pair_rows: bool = False,
    minimise_modules: str = "sites",
    options: SolverOptions | None = None,
) -> SitingResult:
    """Capacitated maximal covering: most parcels served within the walk and the capacities.

    ::

        maximise    sum_gj W[g] x[g, j]
        subject to  sum_j x[g, j] <= 1                   every demand group g
                    sum_j x[g, j] <= sum_j y[j]          every g (j reaching g)
                    sum_g W[g] x[g, j] <= cap[j] m[j]    every site j
                    y[j] <= m[j] <= M[j] y[j]            m integer, y binary
                    site rules on y (count, per kind, spacing, forced, excluded)
                    sum_j cost[j] m[j] <= budget
                    x >= 0

    A group ``g`` is the demand columns (with parcels) that the same sites reach,
    ``W[g]`` their parcels/day; its share ``x[g, j]`` is each member's share, which
    loses nothing (the rows see a column only through the sites reaching it).
    Pairs ``(g, j)`` are the stored entries of the distances after the cutoffs.
    ``M[j]`` is ``max_modules`` for a cabinet, 1 for a pickup point, and never more
    than carry all the demand the site reaches. A site without a capacity gets the
    demand it reaches as its capacity. The second row (one per group, the MCLP's
    cover row) keeps the LP as tight as the MCLP's with few rows; ``pair_rows``
    replaces it with ``x[g, j] <= y[j]`` per pair (tighter, many more rows).

    Modules are minimised lexicographically (``minimise_modules``): a second MILP
    adds ``sum_gj W[g] x[g, j] >= served - SERVED_SLACK`` (``served`` of the first
    solve) and minimises ``sum_j cost[j] m[j]``, starting from the first plan. This
    is exact: among the plans serving as much, it returns one cheapest in modules
    (``"plan"``), or among those with the first solve's open sites (``"sites"``,
    the default: a small MILP, 0.1 s where ``"plan"`` took 69 s for the same
    module cost on a 1,500 x 300 city). A small negative weight ``epsilon * cost`` on ``m`` in one solve is not: parcels
    served are sums of real weights and capacities with no least positive
    difference, so a fixed epsilon may trade a sliver of parcels for a module, and
    one small enough to be safe falls under the solver's absolute gap and does
    nothing. Before and after that step an LP over the open sites' pairs, their
    modules fixed, serves the most those modules can (exact, also for a plan
    stopped by the time limit).
    Finally each open site gets ``ceil(load / cap)`` modules (at least one) for the
    load it serves, and an open site serving nothing (not forced) is closed:
    neither changes the parcels served nor breaks a rule. The first solve starts
    from a greedy plan (the site adding the most parcels, in turn).

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    weights : numpy.ndarray
        Parcels per day per demand column.
    max_sites : int or None
        At most this many open sites; ``None`` when only a budget or per-kind
        limits bound the choice.
    max_modules : int, default 4
        Cabinet modules one site can host at most.
    candidates : Candidates, optional
        ``capacity``: parcels/day per module (cabinets) or per site (pickup points);
        ``fixed_cost``: cost per day per module; kinds, forced, excluded.
    rules : SiteRules, optional
        Per-kind limits, budget (on the module costs), spacing, cutoffs.
    pair_rows : bool, default False
        Rows ``x[g, j] <= y[j]`` per pair instead of one cover row per group.
    minimise_modules : {"sites", "plan", "none"}, default "sites"
        The module step over the first solve's open sites, over every plan, or none
        (then only each site's minimum for its load holds). It and the final LP get
        ``AFTER_SHARE`` of the time limit (at most ``AFTER_MAX_S``).
    options : SolverOptions, optional
        Solver, ``via``, time limit (for both steps), gap, seed.

    Returns
    -------
    SitingResult
        ``objective`` = parcels/day served (= ``served.sum()``), ``best_bound`` an
        upper bound on it; ``modules`` and ``load`` (parcels/day served) per open
        site; ``served`` per demand column; ``assignment`` the open site serving the
        largest share of each demand column (-1: none); ``covered`` marks columns
        within the walk of an open site.

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(([100.0, 200.0], ([0, 0], [0, 1])), shape=(1, 2))
    >>> cands = Candidates.default(1, capacity=[60.0], fixed_cost=[10.0])
    >>> r = solve_cmclp(D, np.array([100.0, 100.0]), 1, max_modules=2, candidates=cands)
    >>> r.status, r.objective, r.modules.tolist(), r.load.tolist(), r.served.tolist()
    ('optimal', 120.0, [2], [120.0], [100.0, 20.0])
    """
    _check_cmclp_args(max_sites, max_modules, minimise_modules)
    D, w, cands, rules, diag, opts = setup(
        distances, weights, candidates, rules, options, dominance="order",
        most=_most_parcels(candidates, distances, int(max_modules)), max_sites=max_sites,
    )  # fmt: skip
    require_a_limit(rules)
    if diag:
        return infeasible("cmclp", diag, D, opts)
    t0 = time.perf_counter()
    deadline = t0 + opts.time_limit_s
    model = _Cmclp.of(D, w, cands, rules, int(max_modules))
    milp = model.build(pair_rows)
    start, greedy_served, search = _cmclp_start(model, milp, opts, deadline)
    roomy = Roomy.of(model) if rules.budget is None else None
    first = milp if roomy is None else roomy.milp
    stats = _model_stats(model, first, roomy, greedy_served)
    stats["start_search"] = search
    if roomy is not None and roomy.tight.any():
        regions = Regions.of(model.rows, model.cols, model.demand, model.room * model.most)
        seconds = min(CUTS_SHARE * opts.time_limit_s, CUTS_MAX_S)
        floor = float(-milp.c @ start)  # the start's parcels: a bound at it proves the start
        first, stats["region_cuts"] = region_cuts(
            first, roomy.y, roomy.z, regions, roomy.tight, opts, seconds, floor
        )
    t_build = time.perf_counter() - t0
    after = min(AFTER_SHARE * opts.time_limit_s, AFTER_MAX_S)
    out = solve_milp(
        first,
        replace(opts, time_limit_s=_left(deadline - after)),
        start=start if roomy is None else roomy.start(start),
        highs_options=HIGHS_OPTIONS,
    )
    if roomy is not None and out.x is not None:
        out = replace(out, x=roomy.expand(out.x, milp.shape[1]))
    if out.x is None:
        msg = "the site rules admit no plan" if out.status == "infeasible" else out.detail
        return failed(
            "cmclp", out.status, msg, D.shape[1], opts.solver, opts.via,
            build_s=t_build + out.build_s, solve_s=out.solve_s, stats=stats,
        )  # fmt: skip
    x, shares = model.serve_most(out.x, opts, deadline)
    if float(-milp.c @ x) < float(-milp.c @ start) - SERVED_SLACK:
        x = start  # the solver stopped on a plan below its start
    steps = [out, shares]
    if minimise_modules != "none":
        x, step = model.fewest_modules(milp, x, opts, deadline, minimise_modules == "sites")
        stats["module_step"] = _describe(step, x, model, minimise_modules)
        if step is not None:
            x, last = model.serve_most(x, opts, deadline)
            steps += [step, last]
    times = [t_build + sum(s.build_s for s in steps), sum(s.solve_s for s in steps)]
    plan = model.plan(x, D, replace(opts, time_limit_s=max(_left(deadline), 1.0)))
    objective = float(plan.served.sum())
    bound = _upper(out, objective, model.upper_bound())
    gap = 0.0 if out.status == "optimal" else (bound - objective) / max(bound, 1e-9)
    status = "optimal" if gap <= PROVEN_GAP else out.status  # the ceiling may prove it
    outcome = Outcome(
        "cmclp",
        plan.open_sites,
        status,
        objective,
        bound,
        gap,
        build_s=times[0],
        solve_s=times[1],
        stats=stats,
        assignment=plan.assignment,
        unserved=max(float(w.sum()) - objective, 0.0),
        message=plan.message,
        modules=plan.modules,
        served=plan.served,
        load=plan.load,
    )
    return make_result(outcome, D, opts)


def _model_stats(model: _Cmclp, first: Milp, roomy: Roomy | None, greedy: float) -> dict:
    """The size of the first MILP and the greedy start's parcels served."""
    return {
        "variables": first.shape[1],
        "constraints": first.shape[0],
        "nonzeros": first.A.nnz,
        "pairs": len(model.rows),
        "demand_groups": len(model.demand),
        "capacity_bound_sites": int(len(model.most) if roomy is None else roomy.tight.sum()),
        "greedy_served": round(greedy, 6),
    }


def _left(deadline: float) -> float:
    """Seconds left before ``deadline`` (at least 0.01: a solver needs a positive limit)."""
    return max(deadline - time.perf_counter(), 0.01)


def _upper(out: MilpOutcome, objective: float, ceiling: float) -> float:
    """Upper bound on the parcels served: the solver's, or ``ceiling`` if lower.

    A solve stopped before its root LP reports only the trivial bound (every pair
    served); ``ceiling`` (:meth:`_Cmclp.upper_bound`) is then the tighter one.
    """
    bound = min(-out.bound, ceiling) if np.isfinite(out.bound) else ceiling
    return max(bound, objective)


def _describe(step: MilpOutcome | None, x: np.ndarray, model: _Cmclp, over: str) -> dict:
    """The module step's figures for ``stats``."""
    if step is None:
        return {"status": "skipped (no time left)", "over": over}
    return {
        "status": step.status,
        "over": over,
        "module_cost": round(float(model.module_weights() @ np.round(x[model.m])), 6),
        "seconds": round(step.build_s + step.solve_s, 3),
    }


@dataclass
class _Plan:
    """A solved CMCLP read back: open sites, their modules, and the allocation."""

    open_sites: np.ndarray
    modules: np.ndarray
    load: np.ndarray
    served: np.ndarray
    assignment: np.ndarray
    message: str


@dataclass
class _Cmclp:
    """The data of one CMCLP and the column blocks of the MILP built from it.

    Demand columns with parcels that the same set of sites reaches form one
    *group* (``group[i]``; -1: no parcels or out of reach) of ``demand[g]``
    parcels/day. Pairs ``rows[k] -> cols[k]`` are (site, group); ``room`` is the
    capacity of one module per site, ``most`` the most modules per site.
    """

    weights: np.ndarray
    cands: Candidates
    rules: SiteRules
    group: np.ndarray
    demand: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    room: np.ndarray
    most: np.ndarray
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    m: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @classmethod
    def of(
        cls, D: sparse.csr_matrix, w: np.ndarray, cands: Candidates, rules: SiteRules, most: int
    ) -> _Cmclp:
        """Groups and pairs from the prepared matrix ``D``; module limits per site.

        A cabinet never needs more modules than carry all the demand it reaches,
        so its limit is ``min(most, ceil(reach / cap))`` (at least 1): the same
        optimum, a tighter LP. A site without capacity holds what it reaches.
        """
        group, first = demand_groups(D, w)
        demand = np.bincount(group[group >= 0], weights=w[group >= 0], minlength=len(first))
        coo = D.tocoo()
        lead = np.zeros(D.shape[1], dtype=bool)
        lead[first] = True
        keep = lead[coo.col]
        rows, cols = coo.row[keep].astype(np.int64), group[coo.col[keep]]
        reach = np.bincount(rows, weights=demand[cols], minlength=D.shape[0])
        room = np.where(np.isfinite(cands.capacity), cands.capacity, reach)
        limit = np.where(cands.kind == "cabinet", float(most), 1.0)
        need = np.ones(len(room))
        sized = room > 0
        need[sized] = np.ceil(reach[sized] / room[sized] - 1e-9)
        limit = np.where(cands.excluded, 0.0, np.clip(np.minimum(limit, need), 1.0, None))
        return cls(w, cands, rules, group, demand, rows, cols, room, limit)

    def start(self, greedy: Greedy, n_cols: int) -> np.ndarray:
        """The greedy plan as a start vector over the MILP's ``n_cols`` columns."""
        modules = greedy.run()
        start = np.zeros(n_cols)
        start[self.y] = modules > 0
        start[self.m] = modules
        start[self.x] = greedy.share
        return start

    def upper_bound(self) -> float:
        """Parcels/day no plan can exceed: all reachable demand, or the N largest sites."""
        upper = float(self.demand.sum())
        n = self.rules.max_sites
        if n is not None:
            upper = min(upper, float(np.sort(self.room * self.most)[::-1][:n].sum()))
        return upper

    def module_weights(self) -> np.ndarray:
        """What the module step minimises per module: its cost (a count if all are free)."""
        cost = self.cands.fixed_cost
        return cost if cost.sum() > 0 else np.ones_like(cost)

    def build(self, pair_rows: bool) -> Milp:
        """The MILP of the docstring of :func:`solve_cmclp` (minimising ``-served``)."""
        n_cand, rows, cols = len(self.most), self.rows, self.cols
        n_grp, n_pair = len(self.demand), len(rows)
        b = MilpBuilder()
        lb, ub = y_bounds(self.cands)
        self.y = b.add_columns("y", np.zeros(n_cand), lb, ub, integer=True)
        self.m = b.add_columns("m", np.zeros(n_cand), lb, self.most, integer=True)
        self.x = b.add_columns("x", -self.demand[cols], 0.0, 1.0)
        b.add_rows("serve", cols, self.x, np.ones(n_pair), hi=np.ones(n_grp))
        minus = np.r_[np.ones(n_pair), -np.ones(n_pair)]
        xy = np.r_[self.x, self.y[rows]]
        if pair_rows:
            k = np.arange(n_pair)
            b.add_rows("link", np.r_[k, k], xy, minus, hi=np.zeros(n_pair))
        else:
            b.add_rows("cover", np.r_[cols, cols], xy, minus, hi=np.zeros(n_grp))
        j = np.arange(n_cand)
        b.add_rows(
            "capacity",
            np.r_[rows, j],
            np.r_[self.x, self.m],
            np.r_[self.demand[cols], -self.room],
            hi=np.zeros(n_cand),
        )
        ym, ones = np.r_[self.m, self.y], np.ones(n_cand)
        b.add_rows("modules_open", np.r_[j, j], ym, np.r_[ones, -ones], lo=np.zeros(n_cand))
        b.add_rows("modules_most", np.r_[j, j], ym, np.r_[ones, -self.most], hi=np.zeros(n_cand))
        add_site_rows(b, self.y, self.cands, replace(self.rules, budget=None))
        if self.rules.budget is not None:
            cost = self.cands.fixed_cost
            b.add_rows("budget", np.zeros(n_cand), self.m, cost, hi=[self.rules.budget])
        return b.build()

    def fewest(self, load: np.ndarray, solver_m: np.ndarray, is_open: np.ndarray) -> np.ndarray:
        """Per site, the fewest modules carrying ``load`` (1..``solver_m`` if open, else 0).

        ``solver_m`` (the solver's modules) caps the count, so solver tolerance never
        adds a module the budget did not allow; :meth:`plan` trims such a sliver.
        """
        need = np.zeros(len(self.room))
        sized = self.room > 0
        need[sized] = np.ceil(load[sized] / self.room[sized] - 1e-9)
        upper = np.maximum(np.round(solver_m), 1.0)
        return np.where(is_open, np.clip(need, 1.0, upper), 0.0).astype(int)

    def fewest_modules(
        self, milp: Milp, x1: np.ndarray, opts: SolverOptions, deadline: float, keep: bool
    ) -> tuple[np.ndarray, MilpOutcome | None]:
        """Second step: keep the parcels served by ``x1``, minimise the module cost.

        ``keep``: only over the sites open in ``x1`` (the others stay closed).
        Starts from ``x1`` with each site's fewest modules; returns the new solution
        (``x1`` when the step finds none) and its outcome (``None``: skipped, too
        little time left).
        """
        left = deadline - time.perf_counter()
        if left < MODULE_STEP_MIN_S:
            return x1, None
        lb, ub = milp.lb.copy(), milp.ub.copy()
        if keep:
            lb[self.y] = ub[self.y] = np.round(x1[self.y])
        gain = -milp.c
        served = float(gain @ x1)
        n_rows, n_cols = milp.shape
        cost = np.zeros(n_cols)
        cost[self.m] = self.module_weights()
        step = Milp(
            cost,
            lb,
            ub,
            milp.integer,
            sparse.vstack([milp.A, sparse.csr_matrix(gain)], format="csr"),
            np.r_[milp.row_lo, served - SERVED_SLACK - 1e-9 * served],
            np.r_[milp.row_hi, np.inf],
            0.0,
            milp.names,
            [*milp.row_names, ("served_floor", n_rows, n_rows + 1)],
        )
        start = x1.copy()
        load = np.bincount(self.rows, self.demand[self.cols] * x1[self.x], len(self.most))
        start[self.m] = self.fewest(load, x1[self.m], x1[self.y] > 0.5)
        out = solve_milp(
            step, replace(opts, time_limit_s=left), start=start, highs_options=HIGHS_OPTIONS
        )
        return (x1 if out.x is None else out.x), out

    def serve_most(
        self, x: np.ndarray, opts: SolverOptions, deadline: float
    ) -> tuple[np.ndarray, MilpOutcome]:
        """The most parcels the open sites and their modules in ``x`` serve (an LP).

        Returns ``x`` with the LP's shares (unchanged if the LP finds nothing
        better) and the LP's outcome. The MILP's plan serves as much up to the
        solver's tolerances (and the module step's ``SERVED_SLACK``); a plan
        stopped by the time limit may serve less than its sites and modules can.
        """
        sel = np.flatnonzero(x[self.y][self.rows] > 0.5)
        groups, g = np.unique(self.cols[sel], return_inverse=True)
        sites, j = np.unique(self.rows[sel], return_inverse=True)
        load = self.demand[self.cols[sel]]
        b = MilpBuilder()
        share = b.add_columns("x", -load, 0.0, 1.0)
        b.add_rows("serve", g, share, np.ones(len(sel)), hi=np.ones(len(groups)))
        room = self.room[sites] * np.round(x[self.m][sites])
        b.add_rows("capacity", j, share, load, hi=room)
        out = solve_milp(b.build(), replace(opts, time_limit_s=max(_left(deadline), 1.0)))
        if out.x is None or load @ out.x <= load @ x[self.x][sel]:
            return x, out
        better = x.copy()
        better[self.x] = 0.0
        better[self.x[sel]] = out.x
        return better, out

    def plan(self, x: np.ndarray, D: sparse.csr_matrix, opts: SolverOptions) -> _Plan:
        """Read a solution: open sites, their fewest modules, parcels served per column.

        Shares are clipped to what the rows allow exactly (solver tolerances), so no
        demand column is served beyond its parcels and no site beyond its modules.
        The parcels served then go to the nearest sites that can take them
        (:func:`nearest_allocation`).
        """
        rows, cols, demand = self.rows, self.cols, self.demand
        n_cand, n_grp = len(self.most), len(demand)
        is_open = x[self.y] > 0.5
        share = np.where(is_open[rows], np.clip(x[self.x], 0.0, 1.0), 0.0)
        share[share < 1e-9] = 0.0
        share /= np.maximum(np.bincount(cols, share, n_grp), 1.0)[cols]
        load = np.bincount(rows, demand[cols] * share, n_cand)
        modules = self.fewest(load, x[self.m], is_open)
        room = self.room * modules
        over = load > room
        share *= np.where(over, room / np.where(over, load, 1.0), 1.0)[rows]
        load = np.bincount(rows, demand[cols] * share, n_cand)
        is_open &= (load > 0) | self.cands.forced_open
        open_sites = np.flatnonzero(is_open)
        room = self.room[open_sites] * modules[open_sites]
        near = nearest_allocation(D, open_sites, self.weights, room, opts)
        if near is None:  # the LP found nothing (time): the groups' shares, handed out
            served, assignment = self.per_column(share, D, open_sites)
        else:  # the nearest sites may leave one with nothing to serve: it closes
            served, assignment, load[open_sites] = near
            is_open &= (load > 0) | self.cands.forced_open
            open_sites = np.flatnonzero(is_open)
            modules = self.fewest(load, modules, is_open)
        message = capacity_message(D, open_sites, self.weights, served)
        return _Plan(open_sites, modules[open_sites], load[open_sites], served, assignment, message)

    def per_column(
        self, share: np.ndarray, D: sparse.csr_matrix, open_sites: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Parcels served and assigned site per demand column, from the groups' shares.

        A group's parcels served by each site go to its columns in turn (see
        :func:`hand_out`), so a column is mostly served whole by one site, and few
        are split or served in part. Columns without parcels go to their nearest
        open site (they load no site).
        """
        amount = self.demand[self.cols] * share
        served, assignment = hand_out(self.group, self.weights, self.rows, self.cols, amount)
        idle = self.weights == 0
        assignment[idle] = nearest_open(D, open_sites)[idle]
        return served, assignment
