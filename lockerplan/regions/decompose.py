"""The exact regional decomposition: regions, their curves and the knapsack over them.

With a walking cutoff, coverage falls apart into *regions* that share no demand:
the connected components of the bipartite graph in which candidate ``j`` and
demand column ``i`` are joined when ``j`` reaches ``i`` (a stored entry of the
distance matrix after the per-kind and per-demand cutoffs and the exclusions),
and two candidates closer than ``min_spacing_m`` are joined too, so that no
spacing row crosses two regions. Demand no candidate reaches belongs to no
region; so do candidates that reach nothing (those forced open stay open).

When the total number of sites is the only rule coupling the regions, the one
model ::

    maximise  sum_r f_r(k_r)   subject to   sum_r k_r <= sites

is separable: ``f_r(k)`` is region ``r``'s optimum with at most ``k`` sites (the
model's own objective: parcels covered for ``mclp``, parcels served within the
capacities for ``cmclp``). Each region's curve ``f_r(1), f_r(2), ...`` is solved
by the model's own function (:data:`lockerplan.siting.MODELS`) on the region's
rows and columns, and a knapsack over the curves (:func:`allocate_sites`,
dynamic programming, exact) shares the sites out. The result is the single
model's optimum -- the same parcels covered or served, not always the same sites
where several plans tie -- and it is reported ``"optimal"`` only when every
regional solve it rests on was proven optimal.

Exact for the models whose row of :data:`lockerplan.siting.MODELS` is
``decomposable`` (:func:`why_not_decomposed` says why not otherwise):

* ``mclp`` and ``cmclp`` with ``--sites`` and no ``--budget``, no
  ``--max-cabinets`` / ``--max-pickup-points`` (a budget or a per-kind limit
  couples the regions through a second resource; spacing, forced and excluded
  sites and the per-kind walking cutoffs are fine);
* ``lscp`` (no coupling at all: the sum of the regional minima) under the same
  rules.

``pmedian``, ``cflp`` and ``attendance`` are solved in one process. What a model
contributes is read from its traits: whether it has a number of sites
(``uses_sites``), minimises sites (``objective``), decides modules
(``modules``).

A curve stops at the region's most (every parcel it reaches covered), at
``sites``, or, without a spacing rule, at the first ``k`` that adds nothing: a
plan that cannot gain from one more site is at the region's most (for ``mclp``
any uncovered parcel a site reaches would be gained; for ``cmclp`` an augmenting
path of the allocation's flow network ends at the first closed site it meets,
so one more site suffices). The curves are not concave, so no earlier stop is
safe. The largest region needs only ``k`` from ``sites`` minus the other
regions' needs up to ``sites`` (giving it more never hurts), and of those only
the ``k`` that can still win: the other regions' curves are solved first, then
the largest region at ``sites`` and, round by round (one ``k`` per worker), at
the ``k`` whose upper bound -- the bound of the next ``k`` solved above it, or of
the last below plus the largest single sites' reach (:func:`site_ceiling`) --
plus the other regions' best with the remaining sites could beat the best plan
found (:func:`next_sites`). On Greater Porto (100 sites) that is 38 solves of the
largest region instead of 100.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..errors import InputError
from ..siting import MODELS, Candidates, SiteRules, SitingResult, SolverOptions
from ..siting.milp import PROVEN_GAP
from ..siting.sites import check_distances, fmt, prepare, spacing_pairs


def why_not_decomposed(model: str, rules: SiteRules | None) -> str:
    """Why the regions of ``model`` under ``rules`` are not independent ("" when they are).

    Examples
    --------
    >>> why_not_decomposed("cmclp", SiteRules())
    ''
    >>> why_not_decomposed("mclp", SiteRules(budget=100.0))
    'a budget couples the regions'
    """
    rules = rules or SiteRules()
    if not MODELS[model].decomposable:
        exact = ", ".join(name for name, m in MODELS.items() if m.decomposable)
        return f"{model} is solved in one process (regions are exact for {exact})"
    if rules.budget is not None:
        return "a budget couples the regions"
    if rules.max_per_kind:
        return "limits per site kind couple the regions"
    return ""


@dataclass(frozen=True)
class Regions:
    """Which region each candidate row and demand column belongs to.

    Attributes
    ----------
    candidate : numpy.ndarray
        Region of each candidate (-1: it reaches no demand within the cutoffs).
    demand : numpy.ndarray
        Region of each demand column (-1: no candidate reaches it).
    n : int
        Number of regions, numbered by size (stored pairs), largest first.
    """

    candidate: np.ndarray
    demand: np.ndarray
    n: int

    def sites(self, region: int) -> np.ndarray:
        """Candidate rows of ``region``."""
        return self._site_members[region]

    def columns(self, region: int) -> np.ndarray:
        """Demand columns of ``region``."""
        return self._column_members[region]

    @functools.cached_property
    def _site_members(self) -> list[np.ndarray]:
        return _members(self.candidate, self.n)

    @functools.cached_property
    def _column_members(self) -> list[np.ndarray]:
        return _members(self.demand, self.n)


def _members(labels: np.ndarray, n: int) -> list[np.ndarray]:
    """The indices of each region ``0 .. n - 1`` in ``labels``, ascending: one sort, not
    a scan of every label per region (a country has thousands of regions).

    Examples
    --------
    >>> [m.tolist() for m in _members(np.array([1, -1, 0, 1]), 2)]
    [[2], [0, 3]]
    """
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    return [order[bounds[r] : bounds[r + 1]] for r in range(n)]


def split_regions(
    distances: sparse.spmatrix, candidates: Candidates | None = None, rules: SiteRules | None = None
) -> Regions:
    """The regions of a coverage problem: connected components of who reaches whom.

    Parameters
    ----------
    distances : scipy.sparse matrix
        Candidate x demand walking distances; stored entries are reachable pairs.
    candidates : Candidates, optional
        Kinds (for the per-kind cutoffs) and exclusions.
    rules : SiteRules, optional
        Cutoffs per kind and per demand column; with ``min_spacing_m``, candidates
        closer than it are in one region.

    Returns
    -------
    Regions

    Examples
    --------
    >>> D = sparse.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 2], [0, 0, 1])), shape=(3, 3))
    >>> r = split_regions(D)
    >>> r.n, r.candidate.tolist(), r.demand.tolist()
    (2, [0, 0, 1], [0, 1, -1])
    """
    D, _ = check_distances(distances)
    n_cand, n_dem = D.shape
    cands = candidates if candidates is not None else Candidates.default(n_cand)
    rules = rules or SiteRules()
    D, _ = prepare(D, cands, rules)
    coo = D.tocoo()
    pairs = spacing_pairs(rules)
    rows = np.r_[coo.row, pairs[:, 0]].astype(np.int64)
    cols = np.r_[n_cand + coo.col, pairs[:, 1]].astype(np.int64)
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_cand + n_dem,) * 2)
    _, label = connected_components(graph, directed=False)
    size = np.bincount(label[coo.row], minlength=label.max() + 1 if len(label) else 0)
    order = np.argsort(-size, kind="stable")
    number = np.full(len(size), -1)
    number[order[size[order] > 0]] = np.arange(int((size > 0).sum()))
    region = number[label] if len(label) else label
    return Regions(region[:n_cand], region[n_cand:], int((size > 0).sum()))


@dataclass(frozen=True)
class RegionProblem:
    """One region's model: its rows of the matrix, its demand and candidate arrays.

    Small enough to send to a worker; :meth:`solve` runs the model on it with at
    most ``k`` sites (``k`` is ignored by ``lscp``).
    """

    region: int
    sites: np.ndarray
    columns: np.ndarray
    distances: sparse.csr_matrix
    weights: np.ndarray
    candidates: Candidates
    rules: SiteRules
    options: SolverOptions
    model: str
    arguments: dict
    forced: int
    available: int

    @functools.cached_property
    def most(self) -> float:
        """Parcels/day the region's sites reach within the cutoffs: no plan covers more."""
        prepared, _ = prepare(self.distances, self.candidates, self.rules)
        reached = np.diff(prepared.tocsc().indptr) > 0
        return float(self.weights[reached].sum())

    def solve(self, k: int | None) -> SitingResult:
        """The model on this region with at most ``k`` sites."""
        spec = MODELS[self.model]
        extra = {"max_sites": int(k)} if spec.uses_sites else {}
        return spec.solve(
            self.distances,
            self.weights,
            candidates=self.candidates,
            rules=self.rules,
            options=self.options,
            **self.arguments,
            **extra,
        )


def region_problems(
    D: sparse.csr_matrix,
    weights: np.ndarray,
    regions: Regions,
    candidates: Candidates,
    rules: SiteRules,
    options: SolverOptions,
    model: str,
    arguments: dict,
) -> list[RegionProblem]:
    """Each region's rows, columns and arrays, sliced from the whole problem."""
    out = []
    for r in range(regions.n):
        j, i = regions.sites(r), regions.columns(r)
        sub = dataclasses.replace(
            rules,
            max_sites=None,
            site_distances=None
            if rules.site_distances is None
            else sparse.csr_matrix(rules.site_distances)[j][:, j],
            demand_cutoff=None if rules.demand_cutoff is None else rules.demand_cutoff[i],
        )
        cands = Candidates(
            *(getattr(candidates, f.name)[j] for f in dataclasses.fields(Candidates))
        )
        out.append(
            RegionProblem(
                r,
                j,
                i,
                D[j][:, i],
                weights[i],
                cands,
                sub,
                options,
                model,
                arguments,
                int(cands.forced_open.sum()),
                int((~cands.excluded).sum()),
            )
        )
    return out


@dataclass
class Curve:
    """A region's optima by number of sites, as a worker sends them back.

    Attributes
    ----------
    region : int
        The region.
    points : dict
        ``k -> SitingResult`` (region-local rows and columns) for the ``k`` solved.
    seconds : float
        Wall seconds of the solves.
    peak_mb : dict
        Peak resident memory (MB) of each worker process that solved them, by
        process id.
    lo : int
        The fewest sites the knapsack may give the region (0: none at all, when
        none is forced open there).
    """

    region: int
    points: dict[int, SitingResult] = field(default_factory=dict)
    seconds: float = 0.0
    peak_mb: dict[int, float] = field(default_factory=dict)
    lo: int = 1

    def add(self, other: Curve) -> None:
        """Take in the points, seconds and worker peaks of another curve of the region."""
        self.points.update(other.points)
        self.seconds += other.seconds
        for pid, mb in other.peak_mb.items():
            self.peak_mb[pid] = max(self.peak_mb.get(pid, 0.0), mb)

    def values(self, key: str = "objective") -> dict[int, float]:
        """``k -> objective`` (or ``"best_bound"``, made nondecreasing), with ``0 -> 0``
        when the region may get no site: what the knapsack reads."""
        ks = sorted(self.points)
        vals = [getattr(self.points[k], key) for k in ks]
        if key == "best_bound" and ks:
            vals = np.maximum.accumulate(vals)
        out = dict(zip(ks, map(float, vals), strict=True))
        if self.lo == 0:
            out[0] = 0.0
        return out

    def at_most(self, problem: RegionProblem) -> int | None:
        """The least ``k`` solved at which the region is at its most (None: not reached)."""
        tol = PROVEN_GAP * max(problem.most, 1.0)
        for k in sorted(self.points):
            res, nxt = self.points[k], self.points.get(k + 1)
            if res.objective >= problem.most - tol or k >= problem.available:
                return k
            if (
                problem.rules.min_spacing_m is None
                and nxt is not None
                and res.is_optimal
                and nxt.is_optimal
                and nxt.objective <= res.objective + tol
            ):
                return k
        return None


def allocate_sites(curves: Sequence[dict[int, float]], sites: int) -> list[int]:
    """Share ``sites`` among regions for the most total value (an exact knapsack).

    Parameters
    ----------
    curves : sequence of dict
        Per region, ``k -> value`` of its best plan with at most ``k`` sites for the
        ``k`` it may get (nondecreasing in ``k``; not concave). A region without
        ``0`` in its curve must get one of its ``k``.
    sites : int
        Sites to share out, at most.

    Returns
    -------
    list of int
        Sites per region; of allocations worth the same, the one found with the
        fewest sites per region in turn. When every region can have the least
        ``k`` at its best value within ``sites``, that is the answer without the
        dynamic programme (``O(regions x sites x k)``).

    Examples
    --------
    >>> allocate_sites([{0: 0, 1: 5, 2: 6}, {0: 0, 1: 1, 2: 9}], 2)
    [0, 2]
    >>> allocate_sites([{0: 0, 1: 5, 2: 6}, {0: 0, 1: 1, 2: 9}], 3)
    [1, 2]
    """
    best = [min(k for k, v in c.items() if v >= max(c.values())) for c in curves]
    if sum(best) <= sites:
        return best
    dp, choices = knapsack(curves, sites)
    if not np.isfinite(dp[sites]):
        raise InputError(
            "the regions' forced-open sites need more sites than --sites allows; raise --sites."
        )
    out, left = [], sites
    for choice in reversed(choices):
        out.append(int(choice[left]))
        left -= out[-1]
    return out[::-1]


def knapsack(curves: Sequence[dict[int, float]], sites: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The knapsack's table: the most value with at most ``s`` sites, ``s = 0..sites``
    (``-inf``: forced sites do not fit), and each region's ``k`` at every ``s``."""
    dp = np.zeros(sites + 1)
    choices = []
    for c in curves:
        scale = max(1.0, max(abs(v) for v in c.values()))
        new, choice = np.full(sites + 1, -np.inf), np.full(sites + 1, -1, dtype=np.int32)
        for k in sorted(c):
            if k > sites:
                break
            gain = dp[: sites + 1 - k] + c[k]
            better = gain > new[k:] + 1e-12 * scale
            new[k:][better] = gain[better]
            choice[k:][better] = k
        dp = new
        choices.append(choice)
    return dp, choices


def site_ceiling(problem: RegionProblem) -> np.ndarray:
    """``T[m]``: no ``m`` sites of the region add more than this to any plan.

    The sum of the ``m`` largest single-site contributions: the parcels a site
    reaches, for ``cmclp`` at most its modules' capacity. Removing sites from a
    plan loses at most what they serve, so ``f(k) <= f(a) + T[k - a]``.
    """
    prepared, _ = prepare(problem.distances, problem.candidates, problem.rules)
    reach = prepared.copy()
    reach.data = problem.weights[reach.indices]
    alone = np.asarray(reach.sum(axis=1)).ravel()
    if MODELS[problem.model].modules:  # a site holds at most its modules' capacity
        cands = problem.candidates
        most = np.where(cands.kind == "cabinet", problem.arguments.get("max_modules", 4), 1)
        alone = np.minimum(
            alone, np.where(np.isfinite(cands.capacity), cands.capacity * most, alone)
        )
    return np.r_[0.0, np.cumsum(np.sort(alone)[::-1])]


def next_sites(
    curve: Curve, problem: RegionProblem, lo: int, hi: int, rest: np.ndarray, width: int
) -> list[int]:
    """The ``k`` of the largest region still worth solving, best first (at most ``width``).

    ``rest[s]`` is the most the other regions give with ``s`` sites. A ``k`` not
    solved is worth solving while its upper bound ``U(k) + rest[sites - k]`` beats
    the best plan found; ``U(k)`` is the bound of the next ``k`` solved above it,
    of the last below it plus :func:`site_ceiling`, and the region's most.
    """
    sites = len(rest) - 1
    solved = np.array(sorted(curve.points))
    f = np.array([curve.points[k].objective for k in solved])
    bound = np.array([curve.points[k].best_bound for k in solved])
    best = float(np.max(f + rest[sites - solved], initial=rest[sites] if lo == 0 else -np.inf))
    ks = np.setdiff1d(np.arange(max(lo, 1), hi + 1), solved)
    top = curve.at_most(problem)
    if top is not None:
        ks = ks[ks < top]
    if not len(ks):
        return []
    ceiling = site_ceiling(problem)
    at = np.searchsorted(solved, ks)
    upper = np.full(len(ks), problem.most)
    above = at < len(solved)
    upper[above] = np.minimum(upper[above], bound[at[above]])
    below = at > 0
    gain = ceiling[np.minimum(ks[below] - solved[at[below] - 1], len(ceiling) - 1)]
    upper[below] = np.minimum(upper[below], bound[at[below] - 1] + gain)
    value = upper + rest[sites - ks]
    keep = value > best + PROVEN_GAP * max(abs(best), 1.0)
    order = np.argsort(-value[keep], kind="stable")
    return [int(k) for k in ks[keep][order][:width]]


def combine(problems, curves, share, D, w, cands, idle, model, opts, args) -> SitingResult:
    """The regional results chosen by the knapsack, as one result over the whole matrix."""
    failed = [
        r for c in curves for r in c.points.values() if r.status in ("infeasible", "not solved")
    ]
    if failed:
        res = failed[0]
        return dataclasses.replace(
            res,
            covered=np.zeros(D.shape[1], dtype=bool),
            assignment=np.full(D.shape[1], -1),
            assigned_m=np.full(D.shape[1], np.nan),
            message=f"in one of the regions: {res.message}",
        )
    if share is None:  # lscp: one plan per region
        chosen = [c.points[0] for c in curves]
        bound = sum(r.best_bound for r in chosen)
    else:
        picks = allocate_sites([c.values() for c in curves], share)
        chosen = [c.points.get(k) for c, k in zip(curves, picks, strict=True)]
        bounds = [c.values("best_bound") for c in curves]
        bound = sum(bounds[r][k] for r, k in enumerate(allocate_sites(bounds, share)))
    spec = MODELS[model]
    out = _assemble(problems, chosen, D, w, cands, idle, model, opts)
    if spec.objective == "sites":  # forced-open sites out of every region count too
        by_cost = args.get("minimise") == "cost"
        out.objective += float(cands.fixed_cost[idle].sum() if by_cost else len(idle))
        bound += float(cands.fixed_cost[idle].sum() if by_cost else len(idle))
    out.best_bound = max(bound, out.objective) if spec.maximises else min(bound, out.objective)
    every = all(r.is_optimal for c in curves for r in c.points.values())
    out.gap = 0.0 if every else abs(out.best_bound - out.objective) / max(abs(out.best_bound), 1e-9)
    out.status = "optimal" if every or out.gap <= PROVEN_GAP else "feasible"
    return out


def _assemble(problems, chosen, D, w, cands, idle, model, opts) -> SitingResult:
    """Regional results (region rows and columns) put back into the whole matrix's."""
    n_dem = D.shape[1]
    covered, served = np.zeros(n_dem, dtype=bool), np.zeros(n_dem)
    assignment, assigned_m = np.full(n_dem, -1), np.full(n_dem, np.nan)
    sites, modules, load = [idle], [np.ones(len(idle), dtype=int)], [np.zeros(len(idle))]
    in_region = np.zeros(n_dem, dtype=bool)
    unserved, objective = 0.0, 0.0
    for p, res in zip(problems, chosen, strict=True):
        in_region[p.columns] = True
        if res is None:  # no site in this region
            unserved += float(p.weights.sum())
            continue
        open_sites = p.sites[res.open_sites]
        sites.append(open_sites)
        n = len(open_sites)
        modules.append(res.modules if len(res.modules) == n else np.ones(n, dtype=int))
        load.append(res.load if len(res.load) == n else np.zeros(n))
        covered[p.columns] = res.covered
        a = res.assignment
        assignment[p.columns] = np.where(a >= 0, p.sites[np.maximum(a, 0)], -1)
        assigned_m[p.columns] = res.assigned_m
        if len(res.served):
            served[p.columns] = res.served
        unserved += res.unserved
        objective += res.objective
    unserved += float(w[~in_region].sum())
    open_sites = np.concatenate(sites).astype(int)
    order = np.argsort(open_sites, kind="stable")
    out = SitingResult(
        open_sites[order],
        covered,
        "optimal",
        objective,
        objective,
        0.0,
        opts.solver,
        0.0,
        0.0,
        model=model,
        assignment=assignment,
        unserved=unserved,
        message=_message(model, w, covered, served, in_region),
        via=opts.via,
        assigned_m=assigned_m,
    )
    if MODELS[model].modules:
        out.modules = np.concatenate(modules).astype(int)[order]
        out.load = np.concatenate(load)[order]
        out.served = served
    return out


def _message(model: str, w, covered, served, in_region) -> str:
    """The single model's note: demand out of every site's reach (a model that covers
    all, lscp), parcels within the walk beyond the capacities (cmclp)."""
    spec = MODELS[model]
    if spec.objective == "sites" and (~in_region).any():
        lost = np.flatnonzero(~in_region)
        shown = ", ".join(str(i) for i in lost[:10]) + (" ..." if len(lost) > 10 else "")
        return f"{len(lost)} demand point(s) are out of reach of every candidate: {shown}."
    lost = float((w - served)[covered].sum()) if spec.modules else 0.0
    if lost <= 1e-6:
        return ""
    return (
        f"{fmt(lost)} parcels/day within the walk of an open site are beyond the "
        "capacity of its modules."
    )
