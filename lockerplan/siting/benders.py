"""Maximal covering where coverage is dense: Benders cuts, their dual bound, fixing.

The model (Cordeau, Furini & Ljubić 2019, "Benders decomposition for very large
scale partial set covering and maximal covering location problems", EJOR 275)
projects the demand variables of the MCLP out. With ``N(g)`` the sites reaching
demand group ``g`` of weight ``w[g]``, a plan ``y`` covers

::

    f(y) = sum_g w[g] min(1, sum_{j in N(g)} y[j])

which is concave on ``[0, 1]^n``. For any multipliers ``0 <= u[g] <= w[g]``,
``min(1, s) <= (1 - t) + t s`` for ``t`` in ``[0, 1]`` gives the Benders cut

::

    f(y) <= sum_g (w[g] - u[g]) + sum_j v[j] y[j],   v[j] = sum_{g in N(j)} u[g]

valid for every ``y``. The analytic cut of Cordeau et al. is the case
``u[g] = w[g]`` for the groups a point ``y^`` covers less than once and
``u[g] = 0`` for the others (tight at ``y^``). The master problem
``max theta, theta <= cut(y) for every cut, y in the site rules`` has as LP
bound the least, over ``u``, of the best plan under one cut:

::

    L(u) = sum_g (w[g] - u[g]) + (the p largest v[j], forced sites first)

which is the Lagrangian dual of the cover rows (Galvão & ReVelle 1996) and
equals the LP bound of the MCLP.

What is solved, and how:

1. **Root (the cuts' dual bound).** ``L(u)`` is minimised by projected
   subgradient steps (Polyak steps towards the best plan), starting from
   ``u = w`` (the bound of the ``p`` largest sites). Every ``L(u)`` is an upper
   bound, so the bound is finite from the first step. Each step costs two
   products with the pairs: no LP is solved. (A Kelley loop on the master's LP
   with analytic block cuts, warm-started in HiGHS, was measured first: on
   San Francisco's 5,137 street corners at 800 m, 107 sites per point, its
   cuts carry thousands of sites each and 25 rounds took the whole 60 s.)
2. **Plans.** The sites of ``L(u)`` at improving steps are improved by the swap
   search of :mod:`lockerplan.siting.cover_search` (a Lagrangian heuristic).
3. **Fixing.** For a site ``j`` outside the chosen ``p``, forcing it open gives
   the bound ``L(u) + v[j] - v[p-th]``; for a chosen one, forcing it closed
   gives ``L(u) - v[j] + v[(p+1)-th]``. When that bound is no more than the best
   plan, no better plan takes that choice: the site is fixed (any ``u`` proves
   it, so fixes accumulate over the steps).
4. **A sub-MIP for a better plan** over the sites the late steps chose and the
   best plan's (an MCLP over a few hundred sites), with a share of the time.
   Where the bound stays at covering every group (the LP cannot prune), half
   the time left goes to the searches instead: first the weighted search of
   :func:`~lockerplan.siting.cover_search.weighted_search`, which stops at a
   plan covering every group (optimal: the bound is reached), then the
   perturbed one.
5. **The integer master** over the sites not fixed, with every group's own
   (disaggregated) cut ``theta[g] <= w[g] sum_{j in N(g)} y[j]``,
   ``theta[g] <= w[g]``: written with ``z[g] = theta[g] / w[g]`` it is the
   MCLP restricted to those sites and groups, solved from the best plan. All
   cuts are present from the start, so no lazy constraint is needed: the
   installed ``highspy`` (1.16) names a lazy-constraint callback but its
   callback input carries only a solution, so no cut can be handed back
   during a solve. Its bound, with the fixing, bounds every plan better than
   the best one.

**Whole weights.** Where every group's weight is a whole number (people,
street corners), so is every plan's coverage: a better plan covers at least one
more. Bounds are then rounded down, a site is fixed when its forced bound is
below the best plan plus one, and the master's ``z`` are integer, so that HiGHS
knows its objective is whole and prunes every node that cannot gain a unit. (On
the 4,682 walk-network nodes of central Porto, 800 m, 50 sites, whose LP covers
every node, the master proved the best plan in 22 s instead of 46 s.) Parcels a
day are not whole: plans in parcels get none of this.

The answer is the best plan (never worse than the start) with the least bound
found: ``"optimal"`` when the gap closes. Per-kind limits keep the subgradient
exact (the chosen sites are the largest ``v`` within each kind's limit) but turn
the fixing off; a budget, a spacing rule or open-with pairs are not handled
(:func:`supports`): the direct MILP solves those.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .cover_search import CoverPairs, iterated_local_search, local_search, weighted_search
from .milp import PROVEN_GAP, Milp, MilpBuilder, solve_milp
from .options import SolverOptions
from .sites import Candidates, SiteRules, add_site_rows, open_with_pairs, spacing_pairs

log = logging.getLogger(__name__)

#: HiGHS options of the integer master, started from the best plan: no primal
#: heuristics, no presolve, interior point LPs (the strong-start options of
#: :data:`lockerplan.siting.milp.STRONG_START_OPTIONS`' kind). On Manhattan's
#: 2,713 street corners (400 m, 50 sites) the master over the sites left after
#: fixing took 10.9 s with these and 26.7 s with HiGHS's defaults.
MASTER_OPTIONS = {"mip_heuristic_effort": 0.0, "presolve": "off", "mip_lp_solver": "ipm"}
#: Subgradient: first step scale, halved after ``STALL_STEPS`` steps without a
#: better bound; the root stops below ``MIN_SCALE`` or after ``MAX_STEPS`` steps.
FIRST_SCALE, STALL_STEPS, MIN_SCALE, MAX_STEPS = 2.0, 20, 1e-4, 5000
#: Share of the time limit the root may take at most.
ROOT_SHARE = 0.3
#: Steps between two runs of the swap search on the root's chosen sites.
SEARCH_EVERY = 100
#: Share of the time left for the sub-MIP over the sites the late steps chose.
SUPPORT_SHARE = 0.25
#: Share of the time left for more swap search when the bound is to cover everything
#: (the LP cannot prune: on Kings' 7,730 street corners at 800 m with 100 sites the
#: MILP found no better plan than the search's in 52 s).
COVER_ALL_SEARCH_SHARE = 0.5
#: ... and at most this many perturbations without a better plan (small models
#: stop early; the master then proves what the search found).
SEARCH_PATIENCE = 300
#: Slack of :func:`round_down` (a bound this close below a whole number is taken as it).
WHOLE_TOLERANCE = 1e-6
#: A site is fixed when its forced bound is below the best plan by this share of
#: it (floating-point sums stay on the safe side).
FIX_MARGIN = 1e-9


@dataclass
class BendersOutcome:
    """What a decomposition (MCLP here, LSCP in :mod:`lockerplan.siting.set_cover`)
    proved and found.

    Attributes
    ----------
    status : str
        ``"optimal"`` (gap closed) or ``"feasible"`` (time limit).
    open_mask : numpy.ndarray of bool
        The best plan.
    objective, bound, gap : float
        Its coverage (parcels/day; LSCP: its cost), a bound (upper; LSCP: lower;
        always finite) and the relative gap between them.
    stats : dict
        Root steps and bound, fixed sites, phase times.
    """

    status: str
    open_mask: np.ndarray
    objective: float
    bound: float
    gap: float
    stats: dict = field(default_factory=dict)


def supports(rules: SiteRules) -> bool:
    """Whether the decomposition handles ``rules`` (no budget, spacing or open-with)."""
    return (
        rules.budget is None
        and not len(spacing_pairs(rules))
        and not len(open_with_pairs(rules))
        and rules.max_sites is not None
    )


class _Dual:
    """The cuts' dual bound ``L(u)`` and the site choice behind it (module docstring, 1-3)."""

    def __init__(self, pairs: CoverPairs, cands: Candidates, rules: SiteRules):
        self.pairs = pairs
        self.whole = whole_weights(pairs.weight)
        self.forced = cands.forced_open.copy()
        self.free = ~cands.excluded & ~self.forced
        self.p_free = max(int(rules.max_sites) - int(self.forced.sum()), 0)
        self.kind = cands.kind
        self.per_kind = dict(rules.max_per_kind)
        n = len(self.forced)
        self.fixed0 = np.zeros(n, dtype=bool)
        self.fixed1 = np.zeros(n, dtype=bool)
        self.chosen_late = np.zeros(n, dtype=bool)

    def choose(self, v: np.ndarray) -> tuple[np.ndarray, float, float]:
        """The free sites of largest ``v`` within the limits, the least chosen ``v``
        (0 when a place is left) and the largest ``v`` left out (0 if none)."""
        idx = np.flatnonzero(self.free & (v > 0))
        idx = idx[np.argsort(-v[idx], kind="stable")]
        if self.per_kind:
            keep = np.ones(len(idx), dtype=bool)
            for k, lim in self.per_kind.items():
                room = lim - int((self.forced & (self.kind == k)).sum())
                keep[np.flatnonzero(self.kind[idx] == k)[max(room, 0) :]] = False
            idx = idx[keep]
        chosen = idx[: self.p_free]
        last = float(v[chosen[-1]]) if len(chosen) == self.p_free and len(chosen) else 0.0
        after = float(v[idx[self.p_free]]) if len(idx) > self.p_free else 0.0
        mask = self.forced.copy()
        mask[chosen] = True
        return mask, last, after

    def bound(self, u: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float, float]:
        """``L(u)``, the plan behind it, ``v`` and the two threshold values."""
        v = self.pairs.B @ u
        mask, last, after = self.choose(v)
        value = float((self.pairs.weight - u).sum() + v[mask].sum())
        return value, mask, v, last, after

    def fix(self, value: float, mask: np.ndarray, v, last, after, best_value: float) -> None:
        """Accumulate the sites that ``L(u)`` proves (module docstring, 3)."""
        if self.per_kind:
            return
        floor = best_value + float(self.whole) - FIX_MARGIN * max(1.0, best_value)
        self.fixed0 |= self.free & ~mask & (value + v - last <= floor)
        self.fixed1 |= self.free & mask & (value - v + after <= floor)


@dataclass
class _Root:
    bound: float
    best: np.ndarray
    best_value: float
    steps: int
    u: np.ndarray


def _root(dual: _Dual, best, best_value, cands, rules, deadline, tol, search=True) -> _Root:
    """Projected subgradient on ``L(u)``; improves ``best`` by the swap search (``search``)."""
    pairs = dual.pairs
    w = pairs.weight
    u = w.copy()
    total = float(w.sum())  # L(0): no plan covers more than every group
    if best_value >= total:
        return _Root(total, best, best_value, 0, u)
    scale, least, idle, steps, u_best = FIRST_SCALE, total, 0, 0, u
    while steps < MAX_STEPS and scale > MIN_SCALE and time.perf_counter() < deadline:
        value, mask, v, last, after = dual.bound(u)
        steps += 1
        if value < least - 1e-12 * max(1.0, value):
            least, idle, u_best = value, 0, u
        else:
            idle += 1
            if idle >= STALL_STEPS:
                scale, idle = scale / 2, 0
        if search and (steps % SEARCH_EVERY == 0 or steps == 1):
            plan = local_search(pairs, mask, cands, rules, deadline)
            plan_value = pairs.covered(plan)
            if plan_value > best_value:
                best, best_value = plan, plan_value
        if steps > MAX_STEPS // 10 or scale < 0.1:
            dual.chosen_late |= mask
        dual.fix(value, mask, v, last, after, best_value)
        bound = round_down(least, dual.whole)
        if _gap(best_value, bound) <= tol:
            break
        if steps >= 3 * STALL_STEPS and bound >= total:
            break  # the steps do not get below covering all: its LP bound
        step = 1.0 - pairs.Bt @ mask.astype(float)  # the subgradient's negative
        step[((u <= 0) & (step < 0)) | ((u >= w) & (step > 0))] = 0.0
        norm = float(step @ step)
        if norm == 0.0:
            break  # the plan covers each group once: L(u) = f(plan), optimal
        u = np.clip(u + scale * max(value - best_value, 0.0) / norm * step, 0.0, w)
    return _Root(max(round_down(least, dual.whole), best_value), best, best_value, steps, u_best)


def dual_bound(
    pairs: CoverPairs, cands: Candidates, rules: SiteRules, plan: np.ndarray, seconds: float
) -> float:
    """An upper bound on the coverage of every plan: ``L(u)`` after ``seconds`` of steps.

    The bound of the root (module docstring, 1) without the swap search: finite
    from the first step (the ``p`` largest sites), near the LP bound after a few
    hundred. ``plan`` (any plan obeying the rules) sets the step lengths.

    Examples
    --------
    >>> from lockerplan.siting import Candidates, SiteRules
    >>> pairs = CoverPairs.of(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]),
    ...                       np.array([1.0, 5.0, 4.0]), 3)
    >>> dual_bound(pairs, Candidates.default(3), SiteRules(max_sites=1),
    ...            np.array([False, True, False]), 1.0)
    6.0
    """
    plan = np.asarray(plan, dtype=bool)
    dual = _Dual(pairs, cands, rules)
    end = time.perf_counter() + seconds
    return _root(dual, plan, pairs.covered(plan), cands, rules, end, 0.0, search=False).bound


def solve_cover_benders(
    pairs: CoverPairs,
    cands: Candidates,
    rules: SiteRules,
    start: np.ndarray,
    *,
    options: SolverOptions,
    deadline: float,
) -> BendersOutcome:
    """Maximal covering by the decomposition of the module docstring.

    Parameters
    ----------
    pairs : CoverPairs
        Site-group pairs and group weights.
    cands, rules : Candidates, SiteRules
        Forced, excluded, kinds; the count and per-kind limits (:func:`supports`).
    start : numpy.ndarray of bool
        A plan obeying the rules (the swap search's); the answer is never worse.
    options : SolverOptions
        Solver of the MILPs, seed, threads, gap.
    deadline : float
        ``time.perf_counter()`` value by which to stop.

    Returns
    -------
    BendersOutcome

    Examples
    --------
    >>> from lockerplan.siting import Candidates, SiteRules, SolverOptions
    >>> pairs = CoverPairs.of(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]),
    ...                       np.array([1.0, 5.0, 4.0]), 3)
    >>> out = solve_cover_benders(pairs, Candidates.default(3), SiteRules(max_sites=2),
    ...                           np.array([True, False, True]), options=SolverOptions(),
    ...                           deadline=time.perf_counter() + 10)
    >>> out.status, out.objective, out.bound, out.open_mask.tolist()
    ('optimal', 10.0, 10.0, [False, True, True])
    """
    t0 = time.perf_counter()
    tol = max(options.gap_rel, PROVEN_GAP)
    best = np.asarray(start, dtype=bool).copy()
    best_value = pairs.covered(best)
    stats: dict = {"start_covered": best_value}
    dual = _Dual(pairs, cands, rules)
    root_end = min(deadline, t0 + ROOT_SHARE * max(deadline - t0, 0.0))
    root = _root(dual, best, best_value, cands, rules, root_end, tol)
    best, best_value, bound = root.best, root.best_value, root.bound
    stats.update(
        root_steps=root.steps,
        root_bound=round(bound, 6),
        root_covered=best_value,
        root_s=round(time.perf_counter() - t0, 3),
    )
    lb, ub = cands.forced_open.astype(float), (~cands.excluded).astype(float)
    everything = bound >= float(pairs.weight.sum())  # no sub-MIP: the master is the MCLP
    if _gap(best_value, bound) > tol and time.perf_counter() < deadline and not everything:
        support = dual.chosen_late | best
        share = SUPPORT_SHARE * (deadline - time.perf_counter())
        sub = _restricted(pairs, cands, rules, lb, np.where(support, ub, 0.0), dual.whole)
        plan = sub.solve(best, options, min(time.perf_counter() + share, deadline), {})
        if plan is not None and plan.objective > best_value:
            best, best_value = plan.open_mask, plan.objective
        stats.update(support_sites=int(support.sum()), support_covered=best_value)
        dual.fix(*dual.bound(root.u), best_value)  # the better plan fixes more
    if _gap(best_value, bound) > tol and everything:
        # no bound below covering all to prune with: the time goes to the searches first,
        # for a plan covering every group (then optimal), then for the most
        share = COVER_ALL_SEARCH_SHARE * (deadline - time.perf_counter())
        best, weighed = weighted_search(pairs, best, cands, rules, time_limit_s=share / 2)
        stats["weighted_covered"] = best_value = weighed["covered"]
        share -= weighed["seconds"]
    if _gap(best_value, bound) > tol and everything:
        best, more = iterated_local_search(
            pairs,
            best,
            cands,
            rules,
            seed=options.seed + 1,
            time_limit_s=share,
            patience=SEARCH_PATIENCE,
        )
        best_value = more["covered"]
        stats["search_covered"] = best_value
    ub[dual.fixed0] = 0.0
    lb[dual.fixed1] = 1.0
    stats.update(fixed_closed=int(dual.fixed0.sum()), fixed_open=int(dual.fixed1.sum()))
    if _gap(best_value, bound) > tol and time.perf_counter() < deadline:
        master = _restricted(pairs, cands, rules, lb, ub, dual.whole)
        plan = master.solve(best, options, deadline, MASTER_OPTIONS)
        if plan is not None:
            bound = min(bound, max(round_down(plan.bound, dual.whole), best_value))
            if plan.objective > best_value:
                best, best_value = plan.open_mask, plan.objective
    bound = max(bound, best_value)
    gap = _gap(best_value, bound)
    status = "optimal" if gap <= tol else "feasible"
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    log.info(
        "benders: %s, covered %.6g, bound %.6g (root %.6g in %d steps), %d + %d sites fixed, "
        "%.2f s",
        status,
        best_value,
        bound,
        root.bound,
        root.steps,
        stats["fixed_closed"],
        stats["fixed_open"],
        stats["seconds"],
    )
    return BendersOutcome(status, best, best_value, bound, gap, stats)


def whole_weights(weight: np.ndarray) -> bool:
    """Whether every weight is a whole number (then so is every plan's coverage).

    Examples
    --------
    >>> whole_weights(np.array([3.0, 1.0])), whole_weights(np.array([2.5, 1.0]))
    (True, False)
    """
    return bool(np.all(np.floor(weight) == weight))


def round_down(bound: float, whole: bool) -> float:
    """``bound`` rounded down to a whole number when coverage is whole (a tolerance
    of ``WHOLE_TOLERANCE`` keeps a bound computed a hair below a whole number).

    Examples
    --------
    >>> round_down(4681.7, True), round_down(4681.9999999, True), round_down(4681.7, False)
    (4681.0, 4682.0, 4681.7)
    """
    if not whole or not np.isfinite(bound):
        return bound
    return float(np.floor(bound + WHOLE_TOLERANCE))


def _gap(value: float, bound: float) -> float:
    return max(bound - value, 0.0) / max(abs(bound), 1e-9)


@dataclass
class _Plan:
    open_mask: np.ndarray
    objective: float
    bound: float


@dataclass
class _Restricted:
    """The MCLP over the sites with ``ub = 1``, the groups no forced site covers.

    ``z[g] = theta[g] / w[g]`` with the disaggregated cuts ``z[g] <= sum_{j in N(g)}
    y[j]``; the groups the forced sites cover add a constant (``milp.offset``).
    """

    pairs: CoverPairs
    milp: Milp
    y: np.ndarray
    z: np.ndarray
    groups: np.ndarray

    def solve(self, best, options: SolverOptions, deadline: float, highs: dict) -> _Plan | None:
        """Solve from the plan ``best`` until ``deadline``; ``None`` when no plan is found."""
        start = np.zeros(self.milp.shape[1])
        start[self.y] = best
        start[self.z] = np.minimum(self.pairs.count(best)[self.groups], 1.0)
        left = max(deadline - time.perf_counter(), 0.01)
        out = solve_milp(
            self.milp,
            replace(options, time_limit_s=left),
            start=start,
            highs_options={"mip_lp_solver": "ipm", **highs},
        )
        if out.x is None:
            return None
        mask = out.x[self.y] > 0.5
        bound = -out.bound if np.isfinite(out.bound) else np.inf
        return _Plan(mask, self.pairs.covered(mask), bound)


def _restricted(
    pairs: CoverPairs,
    cands: Candidates,
    rules: SiteRules,
    lb: np.ndarray,
    ub: np.ndarray,
    whole: bool,
) -> _Restricted:
    """The model of :class:`_Restricted` with site bounds ``lb``/``ub`` (integer ``z``
    where the weights are ``whole``)."""
    w = pairs.weight
    done = pairs.count(lb > 0.5) > 0.5
    coo = pairs.B.tocoo()
    keep = (ub[coo.row] > 0.5) & ~done[coo.col]
    rows, cols = coo.row[keep], coo.col[keep]
    groups, local = np.unique(cols, return_inverse=True)
    b = MilpBuilder()
    y = b.add_columns("y", np.zeros(len(lb)), lb, ub, integer=True)
    z = b.add_columns("z", -w[groups], 0.0, 1.0, integer=whole)
    k = np.arange(len(groups))
    b.add_rows(
        "cover",
        np.r_[k, local],
        np.r_[z, y[rows]],
        np.r_[np.ones(len(k)), -np.ones(len(rows))],
        hi=np.zeros(len(k)),
    )
    add_site_rows(b, y, cands, rules)
    b.offset = -float(w[done].sum())
    return _Restricted(pairs, b.build(), y, z, groups)
