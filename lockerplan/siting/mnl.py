"""Siting under customers' choice: the most expected parcels our sites capture under a
multinomial logit (MNL) of home delivery, our sites and rivals' sites.

A demand column ``i`` splits its parcels between an *outside* option of attraction
``A[i]`` (home delivery and every rival's site within reach: :mod:`lockerplan.choice`)
and our open sites ``j`` within reach, of attraction ``a[i, j]``: site ``j`` takes
``a[i, j] / (A[i] + sum of the open sites' a[i, .])``. Haase's linear reformulation
(Haase 2009; Haase & Müller 2014, "A comparison of linear reformulations for
multinomial logit choice probabilities in facility location models", EJOR 232) makes
the expected capture a MILP with a proven bound::

    maximise    sum_ij w[i] x[i, j]
    subject to  s[i] + sum_j x[i, j] = 1                      every column i
                x[i, j] <= (a[i, j] / A[i]) s[i]              every pair
                x[i, j] <= (a[i, j] / (A[i] + a[i, j])) y[j]  every pair
                sum_i w[i] x[i, j] <= cap[j] m[j]             every site (capacitated)
                y[j] <= m[j] <= M[j] y[j]                     m integer, y binary
                site rules on y (count, per kind, spacing, forced, excluded, budget)

``s[i]`` is the outside option's share. Without capacities the optimum's ``x`` are
the MNL shares of its open sites exactly (for a set of open sites the shares are
the least ``s[i]`` the second row allows). With capacities a full site turns
customers away: its ``x`` fall below their MNL shares and the rest go to the
outside option (home delivery or a rival, by their attractions). The second row
per pair is the tighter form of ``x <= y``: a site alone takes at most
``a / (A + a)``.

By default (``method="cuts"``) the capacities are first left out and the problem is
solved by the cuts of :mod:`lockerplan.siting.mnl_cuts`, which prove city-scale
instances where this reformulation's bound stays several per cent away. That answer
is exact with capacities too where none can bind, or where its plan carries its
load within its sites' modules. Otherwise the reformulation above solves the
capacitated model with every cut on each column's capture ``sum_j x[i, j]`` as
rows, the cuts' bound kept, from the better of the greedy plan (the site adding the
most expected parcels, in turn) and the cuts' plan, improved by swaps within the
capacities. A solve never returns less than its start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from ._common import infeasible, make_result, setup
from .coverage import require_a_limit
from .milp import MilpBuilder, solve_milp
from .mnl_cuts import share_added, solve_by_cuts
from .options import SolverOptions
from .result import Outcome, SitingResult, failed
from .sites import Candidates, SiteRules, add_site_rows, feasible_sites, spacing_pairs, y_bounds

#: A plan's captured parcels may fall this far below its start before the start wins.
SLACK = 1e-6

#: Where a capacity may bind, the share of the time limit the uncapacitated cuts may
#: take first (their plan is optimal when its loads fit; else their bound is kept).
CUTS_SHARE = 0.5

#: Where a capacity binds, the share of the time limit the swap search within the
#: capacities may take before the reformulation.
SEARCH_SHARE = 0.1

#: Sites tried in place of each closed one by that swap search (Porto Alegre at 100
#: sites, capacity binding: 5 tries end at 19,581 expected parcels, 15 at 19,626,
#: 40 at 19,686 from greedy's 19,357, in 2-4 s).
SWAP_TRIES = 40


@dataclass
class _Mnl:
    """One MNL siting instance: the pairs within reach and their attractions."""

    D: sparse.csc_matrix  # prepared distances, by column
    w: np.ndarray
    a: np.ndarray  # per stored pair of ``D`` (csc order), the site's attraction
    outside: np.ndarray  # per column
    room: np.ndarray  # per site, capacity of one module (inf: none)
    most: np.ndarray  # per site, most modules

    @property
    def rows(self) -> np.ndarray:
        return self.D.indices

    @property
    def cols(self) -> np.ndarray:
        return np.repeat(np.arange(self.D.shape[1]), np.diff(self.D.indptr))

    def shares(self, is_open: np.ndarray) -> np.ndarray:
        """Per pair, the MNL share of the open sites (0 for a closed one)."""
        a = np.where(is_open[self.rows], self.a, 0.0)
        total = self.outside + np.bincount(self.cols, weights=a, minlength=self.D.shape[1])
        return a / total[self.cols]

    def gains(self, is_open: np.ndarray) -> np.ndarray:
        """Per site, the expected parcels opening it adds to the open sites (no
        capacity): column ``i`` goes from ``S / (A + S)`` to ``(S + a) / (A + S + a)``."""
        cols = self.cols
        open_a = np.where(is_open[self.rows], self.a, 0.0)
        S = np.bincount(cols, weights=open_a, minlength=self.D.shape[1])[cols]
        pair = self.w[cols] * share_added(self.outside[cols], S, self.a)
        return np.bincount(self.rows, weights=pair, minlength=self.D.shape[0])

    def capacity_binds(self) -> bool:
        """Whether some site could capture more than its modules hold: a site takes at
        most ``a / (A + a)`` of a column (its share when it is the only one open)."""
        finite = np.isfinite(self.room)
        if not finite.any():
            return False
        alone = self.w[self.cols] * self.a / (self.outside[self.cols] + self.a)
        most = np.bincount(self.rows, weights=alone, minlength=len(self.room))
        return bool(np.any(most[finite] > self.room[finite] * self.most[finite] * (1 + 1e-9)))

    def capped(self, x: np.ndarray, modules: np.ndarray) -> np.ndarray:
        """``x`` scaled down at each site whose load exceeds its modules' capacity."""
        load = np.bincount(self.rows, weights=self.w[self.cols] * x, minlength=len(self.room))
        cap = self.room * modules
        scale = np.where(load > cap, cap / np.maximum(load, 1e-12), 1.0)
        return x * scale[self.rows]


def solve_mnl(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    max_sites: int | None,
    *,
    attraction: Callable[[np.ndarray], np.ndarray],
    outside: np.ndarray,
    capacitated: bool = True,
    max_modules: int = 4,
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    options: SolverOptions | None = None,
    method: str = "cuts",
) -> SitingResult:
    """The most expected parcels captured under an MNL of the customers' choice.

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are the sites within
        reach (the customers' choice set).
    weights : numpy.ndarray
        Parcels per day per demand column.
    max_sites : int or None
        At most this many open sites (None: a budget or per-kind limits bound them).
    attraction : callable
        Walk in metres -> the site's attraction ``exp(utility)``.
    outside : numpy.ndarray
        Per demand column, the attraction of home delivery plus the rivals' sites.
    capacitated : bool, default True
        Whether the sites' capacities (``candidates.capacity`` per module, at most
        ``max_modules`` modules per cabinet) bound what they capture.
    max_modules : int, default 4
        Cabinet modules one site can host at most (capacitated).
    candidates, rules, options
        As for every siting model (:mod:`lockerplan.siting.models`).
    method : {"cuts", "haase"}, default "cuts"
        ``"cuts"`` solves without the capacities by outer approximation and
        submodular cuts (:mod:`lockerplan.siting.mnl_cuts`). That is exact where no
        capacity can bind (no site whose customers, were it the only site open, would
        bring more than its most modules hold: its share is never larger), and
        wherever the plan found carries its load within its sites' modules (no
        capacitated plan captures more than the uncapacitated optimum). Otherwise,
        after at most ``CUTS_SHARE`` of the time limit, the linear reformulation above
        solves the capacitated model from the better start, keeping the cuts' bound.
        ``"haase"`` solves the reformulation only.

    Returns
    -------
    SitingResult
        ``objective``: expected parcels/day captured; ``split``: per open site and
        column, the share of the column's parcels it captures; ``load`` per open
        site; ``modules`` (capacitated: the fewest carrying the load).

    Examples
    --------
    >>> D = sparse.csr_matrix(([100.0, 900.0, 200.0], ([0, 1, 1], [0, 0, 1])), shape=(2, 2))
    >>> r = solve_mnl(D, np.array([10.0, 10.0]), 1, attraction=lambda d: np.exp(-d / 1000),
    ...               outside=np.ones(2), capacitated=False)
    >>> r.status, r.open_sites.tolist(), round(r.objective, 3)
    ('optimal', [1], 7.392)
    """
    if method not in ("cuts", "haase"):
        raise ValueError(f"method must be 'cuts' or 'haase', got {method!r}.")
    if not callable(attraction):
        raise TypeError("attraction must be a callable of the walk in metres.")
    D, w, cands, rules, diag, opts = setup(
        distances, weights, candidates, rules, options, max_sites=max_sites
    )
    outside = np.asarray(outside, dtype=float)
    if outside.shape != (D.shape[1],) or np.any(~np.isfinite(outside)) or np.any(outside <= 0):
        raise ValueError("outside must hold one finite attraction > 0 per demand column.")
    require_a_limit(rules)
    if diag:
        return infeasible("mnl", diag, D, opts)
    t0 = time.perf_counter()
    C = sparse.csc_matrix(D)
    C.sort_indices()
    cap = np.where(np.isfinite(cands.capacity), cands.capacity, np.inf)
    most = np.where(cands.kind == "cabinet", float(max_modules), 1.0)
    if not capacitated:
        cap = np.full(D.shape[0], np.inf)
    inst = _Mnl(C, w, np.asarray(attraction(C.data), dtype=float), outside, cap, most)
    start_open = _greedy(inst, cands, rules)
    upper, cut_stats, cuts = np.inf, {}, None
    if method == "cuts" and start_open is not None:
        binds = inst.capacity_binds()
        share = CUTS_SHARE if binds else 1.0
        t1 = time.perf_counter()
        cut = solve_by_cuts(
            inst.rows, inst.cols, inst.a, inst.outside, inst.w, start_open, cands, rules,
            replace(opts, time_limit_s=share * opts.time_limit_s),
        )  # fmt: skip
        plan = _plan(inst, cut.is_open, None)
        if not binds or plan.captured >= cut.captured - SLACK * max(cut.captured, 1.0):
            return _by_cuts(inst, cut, plan, D, opts, time.perf_counter() - t0, t1)  # fits
        # the uncapacitated optimum bounds the capacitated one; its plan, capped, may start
        upper, cut_stats, cuts = (
            cut.bound,
            {"cuts_bound": round(cut.bound, 4), **cut.stats},
            cut.cuts,
        )
        if plan.captured > _plan(inst, start_open, None).captured:
            start_open = cut.is_open
        search_end = time.perf_counter() + SEARCH_SHARE * opts.time_limit_s
        start_open, swaps = _capacity_swaps(inst, start_open, cands, rules, search_end)
        cut_stats["capacity_swaps"] = swaps
        opts = replace(opts, time_limit_s=max(opts.time_limit_s - (time.perf_counter() - t1), 1.0))
    return _by_haase(inst, start_open, (upper, cuts), cut_stats, cands, rules, D, opts, t0)


def _by_haase(inst, start_open, known, cut_stats, cands, rules, D, opts, t0) -> SitingResult:
    """The plan and bound of the linear reformulation (from ``start_open``, never
    below it), with what the cuts found (``known``: their bound and their cuts) as
    its bound at most and as rows."""
    upper, cuts = known
    C, w = inst.D, inst.w
    greedy = cut_stats.get("greedy_captured")
    if greedy is None and start_open is not None:
        greedy = _plan(inst, start_open, None).captured
    milp, cols = _build(inst, cands, rules, cuts)
    start = _start(inst, cols, milp.shape[1], start_open) if start_open is not None else None
    t_build = time.perf_counter() - t0
    out = solve_milp(milp, opts, start=start)
    if out.x is None:
        msg = "the site rules admit no plan" if out.status == "infeasible" else out.detail
        return failed(
            "mnl", out.status, msg, D.shape[1], opts.solver, opts.via,
            build_s=t_build + out.build_s, solve_s=out.solve_s,
        )  # fmt: skip
    is_open = out.x[cols["y"]] > 0.5
    solver_m = out.x[cols["m"]] if "m" in cols else None
    plan = _plan(inst, is_open, solver_m)
    if "m" in cols:  # a full site turns customers away: the solver's shares may serve more
        solved = _plan(inst, is_open, solver_m, x=out.x[cols["x"]])
        plan = solved if solved.captured > plan.captured else plan
    if start_open is not None:
        first = _plan(inst, start_open, None)
        if first.captured > plan.captured + SLACK:
            plan, is_open = first, start_open
    solver_bound = -out.bound if np.isfinite(out.bound) else np.inf
    bound = max(min(solver_bound, upper), plan.captured)
    gap = (bound - plan.captured) / max(bound, 1e-9)
    status = "optimal" if out.status == "optimal" or gap <= 1e-6 else out.status
    stats = {
        "pairs": int(C.nnz),
        "method": "haase",
        "columns": int(milp.shape[1]),
        "rows": int(milp.shape[0]),
        "greedy_captured": None if greedy is None else round(greedy, 4),
        **cut_stats,
    }
    outcome = Outcome(
        "mnl",
        np.flatnonzero(is_open),
        status,
        plan.captured,
        bound,
        0.0 if status == "optimal" else gap,
        build_s=t_build + out.build_s,
        solve_s=out.solve_s,
        stats=stats,
        assignment=plan.assignment,
        unserved=max(float(w.sum()) - plan.captured, 0.0),
        modules=plan.modules[is_open],
    )
    result = make_result(outcome, D, opts)
    result.split = plan.split(inst, is_open)
    return result


def _by_cuts(inst, out, plan, D, opts, seconds: float, t_solve: float) -> SitingResult:
    """The plan and bound of :func:`lockerplan.siting.mnl_cuts.solve_by_cuts` (whose
    plan's loads fit its sites), solved from ``t_solve``, ``seconds`` after the start."""
    solve_s = time.perf_counter() - t_solve
    t_build = seconds - solve_s
    bound = max(out.bound, plan.captured)
    gap = (bound - plan.captured) / max(bound, 1e-9)
    status = "optimal" if out.proven or gap <= 1e-6 else "feasible"
    stats = {"pairs": int(inst.D.nnz), "method": "cuts", **out.stats}
    outcome = Outcome(
        "mnl",
        np.flatnonzero(out.is_open),
        status,
        plan.captured,
        bound,
        0.0 if status == "optimal" else gap,
        build_s=t_build,
        solve_s=solve_s,
        stats=stats,
        assignment=plan.assignment,
        unserved=max(float(inst.w.sum()) - plan.captured, 0.0),
        modules=plan.modules[out.is_open],
    )
    result = make_result(outcome, D, opts)
    result.split = plan.split(inst, out.is_open)
    return result


@dataclass
class _PlanShares:
    x: np.ndarray  # per pair
    load: np.ndarray  # per site
    modules: np.ndarray  # per site
    captured: float
    captured_per_column: np.ndarray
    assignment: np.ndarray

    def split(self, inst: _Mnl, is_open: np.ndarray) -> sparse.csr_matrix:
        """Open sites x columns: the share of each column each open site captures."""
        position = np.cumsum(is_open) - 1
        keep = is_open[inst.rows] & (self.x > 0)
        return sparse.csr_matrix(
            (self.x[keep], (position[inst.rows[keep]], inst.cols[keep])),
            shape=(int(is_open.sum()), inst.D.shape[1]),
        )


def _plan(
    inst: _Mnl, is_open: np.ndarray, solver_m: np.ndarray | None, x: np.ndarray | None = None
) -> _PlanShares:
    """The shares of a set of open sites, capped by the modules' capacity: the MNL's,
    or the solver's ``x`` (at most what each site alone would take)."""
    if x is None:
        x = inst.shares(is_open)
    else:
        alone = inst.a / (inst.outside[inst.cols] + inst.a)
        x = np.clip(x, 0.0, alone) * is_open[inst.rows]
    w_pair = inst.w[inst.cols]
    load = np.bincount(inst.rows, weights=w_pair * x, minlength=len(inst.room))
    finite = np.isfinite(inst.room) & (inst.room > 0)
    need = np.ones(len(load))
    need[finite] = np.ceil(load[finite] / inst.room[finite] - 1e-9)
    modules = np.where(is_open, np.clip(need, 1, inst.most), 0)
    if solver_m is not None:
        modules = np.where(is_open, np.clip(np.minimum(modules, np.round(solver_m)), 1, None), 0)
    x = inst.capped(x, np.where(finite, modules, np.inf))
    load = np.bincount(inst.rows, weights=w_pair * x, minlength=len(inst.room))
    per_col = np.bincount(inst.cols, weights=w_pair * x, minlength=inst.D.shape[1])
    best = np.full(inst.D.shape[1], -1)
    if is_open.any():
        order = np.lexsort((-x, inst.cols))  # per column, the largest share first
        cols, rows, xs = inst.cols[order], inst.rows[order], x[order]
        first = np.r_[True, cols[1:] != cols[:-1]] & (xs > 0)
        best[cols[first]] = rows[first]
    return _PlanShares(x, load, modules.astype(int), float(per_col.sum()), per_col, best)


def _build(inst: _Mnl, cands: Candidates, rules: SiteRules, cuts=None):
    """The MILP of the module docstring (minimising ``-captured``) and its column blocks;
    with the cuts of :class:`~lockerplan.siting.mnl_cuts.CutOutcome` on each column's
    capture ``sum_j x[i, j]`` (the outside option's share is at least the MNL's, so
    they hold)."""
    n_cand, n_col = inst.D.shape
    rows, cols, a, A = inst.rows, inst.cols, inst.a, inst.outside
    n_pair = len(rows)
    b = MilpBuilder()
    lb, ub = y_bounds(cands)
    blocks = {"y": b.add_columns("y", np.zeros(n_cand), lb, ub, integer=True)}
    blocks["x"] = b.add_columns("x", -inst.w[cols], 0.0, 1.0)
    blocks["s"] = b.add_columns("s", np.zeros(n_col), 0.0, 1.0)
    x, y, s = blocks["x"], blocks["y"], blocks["s"]
    k = np.arange(n_pair)
    b.add_rows("choose", np.r_[cols, np.arange(n_col)], np.r_[x, s], np.ones(n_pair + n_col),
               lo=np.ones(n_col), hi=np.ones(n_col))  # fmt: skip
    b.add_rows("mnl", np.r_[k, k], np.r_[x, s[cols]], np.r_[np.ones(n_pair), -a / A[cols]],
               hi=np.zeros(n_pair))  # fmt: skip
    b.add_rows("open", np.r_[k, k], np.r_[x, y[rows]],
               np.r_[np.ones(n_pair), -a / (A[cols] + a)], hi=np.zeros(n_pair))  # fmt: skip
    finite = np.isfinite(inst.room)
    if finite.any():
        most = np.where(cands.excluded, 0.0, inst.most)
        blocks["m"] = m = b.add_columns("m", np.zeros(n_cand), lb, most, integer=True)
        j = np.flatnonzero(finite)
        on_j = finite[rows]
        local = np.searchsorted(j, rows[on_j])
        b.add_rows("capacity", np.r_[local, np.arange(len(j))], np.r_[x[on_j], m[j]],
                   np.r_[inst.w[cols[on_j]], -inst.room[j]], hi=np.zeros(len(j)))  # fmt: skip
        jj, ones = np.arange(n_cand), np.ones(n_cand)
        b.add_rows(
            "modules_open", np.r_[jj, jj], np.r_[m, y], np.r_[ones, -ones], lo=np.zeros(n_cand)
        )
        b.add_rows(
            "modules_most", np.r_[jj, jj], np.r_[m, y], np.r_[ones, -most], hi=np.zeros(n_cand)
        )
    if cuts is not None:
        _add_cuts(b, inst, x, y, cuts)
    add_site_rows(b, y, cands, rules)
    return b.build(), blocks


def _add_cuts(b: MilpBuilder, inst: _Mnl, x: np.ndarray, y: np.ndarray, cuts) -> None:
    """Rows ``sum_j x[i, j] - sum_j coef[r, j] y[j] <= rhs[r]`` per cut ``r`` on column ``i``."""
    column, coef, rhs = cuts
    n_col = inst.D.shape[1]
    T = sparse.csr_matrix((np.ones(len(column)), (np.arange(len(column)), column)),
                          shape=(len(column), n_col))  # fmt: skip
    P = sparse.csr_matrix((np.ones(len(inst.rows)), (inst.cols, np.arange(len(inst.rows)))),
                          shape=(n_col, len(inst.rows)))  # fmt: skip
    on_x, on_y = sparse.coo_matrix(T @ P), sparse.coo_matrix(coef)
    b.add_rows("cuts", np.r_[on_x.row, on_y.row], np.r_[x[on_x.col], y[on_y.col]],
               np.r_[on_x.data, -on_y.data], hi=rhs)  # fmt: skip


def _greedy(inst: _Mnl, cands: Candidates, rules: SiteRules) -> np.ndarray | None:
    """Open sites one at a time, each the one adding the most expected parcels (capped
    by one full site's capacity), within the rules; None if the rules reject the plan."""
    n = inst.D.shape[0]
    is_open = cands.forced_open.copy()
    allowed = ~cands.excluded
    close = spacing_pairs(rules)
    limit = rules.max_sites if rules.max_sites is not None else n
    spent = float(cands.fixed_cost[is_open].sum())
    reach_cap = inst.room * inst.most
    while is_open.sum() < limit:
        gain = np.minimum(inst.gains(is_open), reach_cap)
        ok = allowed & ~is_open
        for kind, most in rules.max_per_kind.items():
            if (is_open & (cands.kind == kind)).sum() >= most:
                ok &= cands.kind != kind
        if rules.budget is not None:
            ok &= spent + cands.fixed_cost <= rules.budget + 1e-9
        if len(close):
            for p, q in close[is_open[close[:, 0]] | is_open[close[:, 1]]]:
                ok[p] = ok[q] = False
        gain = np.where(ok, gain, -1.0)
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        is_open[best] = True
        spent += float(cands.fixed_cost[best])
    return is_open if feasible_sites(np.flatnonzero(is_open), cands, rules) else None


def _capacity_swaps(
    inst: _Mnl, is_open: np.ndarray, cands: Candidates, rules: SiteRules, deadline: float
) -> tuple[np.ndarray, int]:
    """Improve a plan's expected parcels within capacity (each site carries at most its
    most modules; customers beyond go to the outside option) by swaps: for the open
    sites, least loaded first, close one and open the first of the ``SWAP_TRIES``
    sites adding most (without capacity, at most a full site) that gains; while one
    does. Returns the plan and the swaps made."""
    hold = np.where(np.isfinite(inst.room), inst.room * inst.most, np.inf)
    rows, w_pair, n = inst.rows, inst.w[inst.cols], len(inst.room)

    def loads(plan: np.ndarray) -> np.ndarray:
        return np.bincount(rows, weights=w_pair * inst.shares(plan), minlength=n)

    is_open, swaps = is_open.copy(), 0
    value = float(np.minimum(loads(is_open), hold).sum())
    moved = True
    while moved and time.perf_counter() < deadline:
        moved = False
        carried = np.minimum(loads(is_open), hold)
        for j in sorted(np.flatnonzero(is_open & ~cands.forced_open), key=carried.__getitem__):
            without = is_open.copy()
            without[j] = False
            gain = np.minimum(inst.gains(without), hold)
            gain[without | cands.excluded] = -np.inf
            for k in np.argsort(-gain)[:SWAP_TRIES]:
                trial = without.copy()
                trial[k] = True
                if k == j or not feasible_sites(np.flatnonzero(trial), cands, rules):
                    continue
                v = float(np.minimum(loads(trial), hold).sum())
                if v > value + SLACK * max(value, 1.0):
                    is_open, value, moved, swaps = trial, v, True, swaps + 1
                    break
            if moved or time.perf_counter() >= deadline:
                break
    return is_open, swaps


def _start(inst: _Mnl, cols: dict, n_cols: int, is_open: np.ndarray) -> np.ndarray:
    """The greedy plan as a MIP start over the MILP's columns."""
    plan = _plan(inst, is_open, None)
    start = np.zeros(n_cols)
    start[cols["y"]] = is_open
    start[cols["x"]] = plan.x
    start[cols["s"]] = 1.0 - np.bincount(inst.cols, weights=plan.x, minlength=inst.D.shape[1])
    if "m" in cols:
        start[cols["m"]] = plan.modules
    return start
