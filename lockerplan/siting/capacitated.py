"""Capacitated facility location (single or split sourcing, unserved demand at a penalty)."""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from scipy import sparse

from ..errors import InputError
from ._common import infeasible, make_result, setup
from .lagrangian import cflp_lagrangian
from .milp import MilpBuilder, WarmLp, relative_gap, solve_milp
from .result import SitingResult, failed
from .sites import Candidates, SiteRules, add_site_rows, fmt, y_bounds

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
    solver: str = "cbc",
    via: str = "pulp",
    time_limit_s: float = 60.0,
    gap_rel: float = 0.0,
    seed: int = 0,
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

    Parameters
    ----------
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

    Other parameters are as in :func:`solve_mclp`.

    Returns
    -------
    SitingResult
        ``objective`` = total cost; ``unserved`` = parcels/day left over.

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(np.array([[1.0, 2.0], [2.0, 1.0]]))
    >>> c = Candidates.default(2, capacity=[10.0, 10.0], fixed_cost=[5.0, 5.0])
    >>> r = solve_cflp(D, np.array([6.0, 6.0]), candidates=c)
    >>> r.status, r.objective, r.open_sites.tolist(), r.unserved
    ('optimal', 22.0, [0, 1], 0.0)
    """
    D, w, cands, rules, diag = setup(
        distances, weights, candidates, rules, solver, via, time_limit_s, gap_rel
    )
    if diag:
        return infeasible("cflp", diag, D, solver, via)
    t0 = time.perf_counter()
    n_cand, n_dem = D.shape
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
    rows, cols, pair_cost = coo.row[keep], coo.col[keep], pair_cost[keep]
    demand = w
    cap = cands.capacity
    active = ~cands.excluded
    total_demand = float(demand.sum())
    reach = np.bincount(cols, minlength=n_dem) > 0
    lost = (~reach) & (demand > 0)
    if unserved_penalty == "auto":
        worst = np.zeros(n_dem)
        np.maximum.at(worst, cols, pair_cost / np.maximum(demand[cols], 1e-12))
        penalty = (
            10.0 * (worst + cands.fixed_cost[active].max(initial=0.0) / np.maximum(demand, 1e-12))
            + 1.0
        )
    elif unserved_penalty is None:
        penalty = None
        cap_total = _capacity_within_limits(cap, active, cands, rules)
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
        if msgs:
            return infeasible("cflp", msgs, D, solver, via)
    else:
        if not (float(unserved_penalty) >= 0):
            raise InputError(
                f"unserved_penalty must be >= 0, 'auto' or None, got {unserved_penalty!r}."
            )
        penalty = np.full(n_dem, float(unserved_penalty))
    fin = np.flatnonzero(np.isfinite(cap))
    lb, ub = y_bounds(cands)
    lag = None
    if lagrangian is None:
        lagrangian = len(rows) >= LAGRANGIAN_MIN_PAIRS
    if lagrangian and not single_source and _plain(rules) and np.isfinite(cap[active]).all():
        lag = cflp_lagrangian(
            rows,
            cols,
            pair_cost,
            demand,
            np.where(active, cap, 0.0),
            cands.fixed_cost,
            forced_open=cands.forced_open,
            excluded=cands.excluded,
            unserved_cost=penalty,
            time_limit_s=0.25 * time_limit_s,
        )
        # sites fixed by the bound: drop the closed ones' pairs, open the others
        keep = ~lag.closed[rows]
        rows, cols, pair_cost = rows[keep], cols[keep], pair_cost[keep]
        if lag.pair_share is not None:
            lag.pair_share = lag.pair_share[keep]
        lb, ub = np.maximum(lb, lag.opened), np.minimum(ub, ~lag.closed)
    dem = np.flatnonzero(demand > 0)

    def build(link: np.ndarray):
        """The CFLP MILP with the pair rows ``x[k] <= y[j]`` for the pairs ``link``."""
        b = MilpBuilder()
        y = b.add_columns("y", cands.fixed_cost, lb, ub, integer=True)
        x = b.add_columns("x", pair_cost, 0.0, 1.0, integer=single_source)
        pos = -np.ones(n_dem, dtype=int)
        pos[dem] = np.arange(len(dem))
        u = np.zeros(0, dtype=int)
        if penalty is not None:
            u = b.add_columns("u", penalty[dem] * demand[dem], 0.0, 1.0)
            b.add_rows(
                "assign",
                np.r_[pos[cols], np.arange(len(dem))],
                np.r_[x, u],
                np.ones(len(x) + len(dem)),
                lo=np.ones(len(dem)),
                hi=np.ones(len(dem)),
            )
        else:
            b.add_rows(
                "assign", pos[cols], x, np.ones(len(x)), lo=np.ones(len(dem)), hi=np.ones(len(dem))
            )
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
        if penalty is None and len(fin) == n_cand:
            # aggregate capacity cut: strengthens the LP bound
            b.add_rows("total_capacity", np.zeros(n_cand), y, cap, lo=[total_demand])
        add_site_rows(b, y, cands, rules)
        return b.build(), y, x, u

    # Pairs whose capacity row already implies x <= y need no row of their own; the
    # others are strong but numerous: add them as cuts, only where the LP breaks them
    # (the model is correct without them: the capacity row closes a closed site).
    implied = np.isfinite(cap[rows]) & (demand[cols] >= cap[rows])
    link = np.flatnonzero(~np.isfinite(cap[rows]))  # uncapacitated sites need them
    deadline = t0 + time_limit_s
    lp_rounds, cut_s = 0, 0.0
    if cut_rounds > 0 and via == "highspy":
        milp, y, x, u = build(link)
        warm = WarmLp(milp, seed=seed)
        for lp_rounds in range(1, cut_rounds + 1):  # noqa: B007
            remaining = deadline - time.perf_counter()
            if remaining <= 1:
                break
            tl = time.perf_counter()
            ok, lp_obj, lx = warm.run(remaining)
            cut_s += time.perf_counter() - tl
            if not ok:
                break
            viol = (lx[x] > lx[y][rows] + 1e-6) & ~implied
            viol[link] = False
            log.debug(
                "cflp cut round %d: LP %.6g, %d pair rows broken, %d kept",
                lp_rounds,
                lp_obj,
                viol.sum(),
                len(link),
            )
            if not viol.any():
                break
            new = np.flatnonzero(viol)
            k = np.arange(len(new))
            warm.add_rows(
                np.r_[k, k],
                np.r_[x[new], y[rows[new]]],
                np.r_[np.ones(len(new)), -np.ones(len(new))],
                np.full(len(new), -np.inf),
                np.zeros(len(new)),
            )
            link = np.union1d(link, new)
    elif cut_rounds > 0:
        for lp_rounds in range(1, cut_rounds + 1):  # noqa: B007
            milp, y, x, u = build(link)
            milp.integer[:] = False
            remaining = deadline - time.perf_counter()
            if remaining <= 1:
                break
            lp = solve_milp(milp, solver=solver, via=via, time_limit_s=remaining, seed=seed)
            cut_s += lp.solve_s
            if lp.x is None:
                break
            viol = (lp.x[x] > lp.x[y][rows] + 1e-6) & ~implied
            viol[link] = False
            log.debug(
                "cflp cut round %d: LP %.6g, %d pair rows broken, %d kept, %.2f s",
                lp_rounds,
                lp.objective,
                viol.sum(),
                len(link),
                lp.solve_s,
            )
            if not viol.any():
                break
            link = np.union1d(link, np.flatnonzero(viol))
    else:
        link = np.flatnonzero(~implied)
    milp, y, x, u = build(link)
    t_build = time.perf_counter() - t0 - cut_s
    start = None
    if lag is not None and lag.pair_share is not None:
        # the best plan priced by the Lagrangian phase starts the MILP
        start = np.zeros(milp.shape[1])
        start[y[lag.open_sites]] = 1.0
        start[x] = lag.pair_share
        start[u] = lag.unserved_share[dem][: len(u)]
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
        solver=solver,
        via=via,
        time_limit_s=max(deadline - time.perf_counter(), 0.01),
        gap_rel=gap_rel,
        seed=seed,
        start=start,
    )
    out.solve_s += cut_s
    if lag is not None:
        t_build -= lag.seconds
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
            n_dem,
            solver,
            via,
            build_s=t_build + out.build_s,
            solve_s=out.solve_s,
            stats=stats,
        )
    chosen = np.flatnonzero(out.x[y] > 0.5)
    xv = out.x[x]
    share = np.zeros(n_dem)
    np.add.at(share, cols, xv)
    assignment = np.full(n_dem, -1)
    best = np.zeros(n_dem)
    order = np.argsort(xv)
    for r, c_, v in zip(rows[order], cols[order], xv[order], strict=True):
        if v > 1e-6 and v >= best[c_]:
            best[c_], assignment[c_] = v, r
    unserved = float((demand * np.clip(1.0 - share, 0.0, 1.0)).sum())
    message = ""
    if unserved > 1e-6:
        cap_total = _capacity_within_limits(cap, active, cands, rules)
        message = (
            f"{fmt(unserved)} parcels/day left unserved"
            + (
                f": capacity {fmt(cap_total)} parcels/day < demand {fmt(total_demand)} parcels/day"
                if cap_total < total_demand
                else " (out of reach, or cheaper to leave than to serve at this penalty)"
            )
            + "."
        )
    stats["single_source"] = single_source
    return make_result(
        "cflp",
        chosen,
        D,
        out.status,
        out.objective,
        out.bound,
        out.gap,
        solver,
        via,
        t_build + out.build_s,
        out.solve_s,
        stats,
        assignment=assignment,
        unserved=unserved,
        message=message,
    )


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
