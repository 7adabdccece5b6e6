"""The regional solves, here or on Dask: the curves the knapsack needs, and the one entry.

What runs where (``scheduler``, see :mod:`lockerplan.scheduler`): ``None``,
every regional solve in this process one after another; ``"local"``, a
:class:`distributed.LocalCluster` with one single-threaded worker process per
core; ``"tcp://HOST:PORT"``, the Dask scheduler at that address (``dask
scheduler`` and ``dask worker tcp://HOST:PORT`` on the machines; lockerplan
installed on each worker). Each region's rows of the distance matrix, its demand
and its candidate arrays are sent to a worker as one task (small regions in
batches of about :data:`BATCH_PAIRS` pairs); workers send back curves. With a
scheduler the street networks, the distances and the routing are Dask tasks too
(:mod:`lockerplan.walking`, :func:`lockerplan.pipeline.route.route_stage`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from ..errors import InputError
from ..progress import tqdm
from ..scheduler import check_scheduler, dask_client
from ..siting import MODELS, Candidates, SiteRules, SitingResult, SolverOptions
from ..siting.options import silence_highs_banner
from ..siting.sites import check_distances, diagnose_rules
from .decompose import (
    Curve,
    RegionProblem,
    combine,
    knapsack,
    next_sites,
    region_problems,
    split_regions,
    why_not_decomposed,
)

log = logging.getLogger(__name__)


#: Models whose regional decomposition is exact (see the module docstring).
DECOMPOSABLE = ("mclp", "cmclp", "lscp")
#: Stored pairs of small regions sent to a worker as one task (fewer, larger tasks:
#: a Dask task costs about a millisecond of scheduling, a tiny region's solve a few).
BATCH_PAIRS = 20_000


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB.

    Linux's ``VmHWM`` (``/proc/self/status``): unlike ``getrusage``'s
    ``ru_maxrss``, which a worker process keeps from the large client process it
    was forked from across ``exec``, it is this process's own. Elsewhere
    ``ru_maxrss`` (kB on Linux, bytes on macOS: read it as an upper bound).
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def solve_point(problem: RegionProblem, k: int | None) -> Curve:
    """One regional solve with at most ``k`` sites, as a one-point :class:`Curve`."""
    if problem.options.solver == "highs":  # a worker process: no banner on its stdout
        silence_highs_banner()
    t0 = time.perf_counter()
    res = problem.solve(k)
    return Curve(problem.region, {k or 0: res}, time.perf_counter() - t0, {os.getpid(): peak_mb()})


def region_curve(problem: RegionProblem, lo: int, hi: int) -> Curve:
    """Region optima for ``k = lo, lo + 1, ...`` up to ``hi`` or until at the region's most.

    A task of its own on a worker; stops early at a failed solve.
    """
    curve = Curve(problem.region, lo=max(lo, problem.forced))
    for k in range(max(lo, problem.forced, 1), hi + 1):
        point = solve_point(problem, k)
        curve.add(point)
        if not np.isfinite(point.points[k].objective) or curve.at_most(problem) is not None:
            break
    return curve


def run_batch(
    task: Callable[..., Curve], problems: Sequence[RegionProblem], args: Sequence[tuple]
) -> list[Curve]:
    """``task(problem, *args)`` for each problem of a batch (one Dask task)."""
    return [task(p, *a) for p, a in zip(problems, args, strict=True)]


def _batches(problems: Sequence[RegionProblem], args: Sequence[tuple]) -> list[tuple]:
    """Consecutive problems in batches of about ``BATCH_PAIRS`` stored pairs."""
    out, start, pairs = [], 0, 0
    for n, p in enumerate(problems):
        pairs += p.distances.nnz
        if pairs >= BATCH_PAIRS or n == len(problems) - 1:
            out.append((problems[start : n + 1], args[start : n + 1]))
            start, pairs = n + 1, 0
    return out


class _Runner:
    """Runs regional solves here (``client=None``) or as tasks on a Dask client."""

    def __init__(self, client: Any, progress: bool, total: int) -> None:
        self.client = client
        self._sent: tuple | None = None  # the problem scattered to the workers, and its future
        self.bar = tqdm(total=total, desc="regions", unit="region", disable=not progress)

    def map(
        self, task: Callable[..., Curve], problems: Sequence[RegionProblem], args: list[tuple]
    ) -> list[Curve]:
        """``task(problem, *args)`` per problem, in ``problems`` order; on Dask, small
        regions go together, ``BATCH_PAIRS`` stored pairs or so to a task."""
        batches = _batches(problems, args)
        if self.client is None:
            results: Iterator[list[Curve]] = (run_batch(task, *b) for b in batches)
        else:
            from distributed import as_completed

            futures = [self.client.submit(run_batch, task, *b, pure=False) for b in batches]
            results = (f.result() for f in as_completed(futures))
        done = {}
        for curves in results:
            done.update((c.region, c) for c in curves)
            self.bar.update(len(curves))
        return [done[p.region] for p in problems]

    @property
    def width(self) -> int:
        """How many solves of one region may run at once (the workers)."""
        if self.client is None:
            return 1
        return max(len(self.client.scheduler_info().get("workers", {})), 1)

    def points(self, problem: RegionProblem, ks: Sequence[int]) -> list[Curve]:
        """One solve of ``problem`` per ``k`` (a Dask task each, the problem sent once)."""
        if self.client is None:
            return [solve_point(problem, k) for k in ks]
        if self._sent is None or self._sent[0] is not problem:
            self._sent = (problem, self.client.scatter(problem, broadcast=False))
        futures = [self.client.submit(solve_point, self._sent[1], k, pure=False) for k in ks]
        return self.client.gather(futures)

    def window(self, problem: RegionProblem, lo: int, hi: int, rest: np.ndarray) -> Curve:
        """The largest region's optima for the ``k`` in ``lo..hi`` that can matter:
        first ``hi``, then, round by round, the most promising ``k`` of
        :func:`next_sites` (one per worker), until no ``k`` left can beat the best plan."""
        curve = Curve(problem.region, lo=lo)
        first = max(lo, 1)
        todo = sorted({int(k) for k in np.linspace(hi, first, min(self.width, hi - first + 1))})
        while todo:
            for point in self.points(problem, todo):
                curve.add(point)
            if any(not np.isfinite(curve.points[k].objective) for k in todo):
                break
            todo = next_sites(curve, problem, lo, hi, rest, self.width)
        self.bar.update(1)
        return curve

    def close(self) -> None:
        self.bar.close()


def regional_curves(
    problems: Sequence[RegionProblem], sites: int | None, client: Any = None, progress: bool = False
) -> list[Curve]:
    """The curves the knapsack needs: every region but the largest from ``k = 1`` to its
    most, then the largest (``problems[0]``) only from ``sites`` minus what the others
    need, so that the knapsack over them is exact.

    ``lscp`` regions are solved once each (no curve). ``client``: a Dask client, or
    None to solve here one after another.
    """
    runner = _Runner(client, progress, len(problems))
    try:
        if sites is None:  # a model without a number of sites (lscp): one solve per region
            return runner.map(solve_point, problems, [(None,)] * len(problems))
        small = runner.map(
            region_curve, problems[1:], [(0, min(sites, p.available)) for p in problems[1:]]
        )
        need = sum(
            (c.at_most(p) or sites) if c.points else 0
            for p, c in zip(problems[1:], small, strict=True)
        )
        big = problems[0]
        lo = max(sites - need, big.forced, 0)
        forced = sum(p.forced for p in problems[1:])
        hi = max(min(sites - forced, big.available), lo)
        rest, _ = knapsack([c.values() for c in small], sites)
        return [runner.window(big, lo, hi, rest), *small]
    finally:
        runner.close()


def solve_regions(
    distances: sparse.spmatrix,
    weights: np.ndarray,
    max_sites: int | None = None,
    *,
    model: str = "cmclp",
    candidates: Candidates | None = None,
    rules: SiteRules | None = None,
    options: SolverOptions | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    **arguments: Any,
) -> SitingResult:
    """Solve a siting model region by region (exact), on Dask or in this process.

    Parameters
    ----------
    distances, weights, candidates, rules, options
        As for the model's own function (:data:`lockerplan.siting.MODELS`).
    max_sites : int, optional
        At most this many open sites (``mclp``, ``cmclp``; ``lscp`` has none).
    model : str, default "cmclp"
        A name of :data:`~lockerplan.siting.MODELS`; decomposed when
        :func:`why_not_decomposed` finds no reason not to, else solved whole here.
    scheduler : {None, "local", "tcp://HOST:PORT"}
        Where the regional solves run (:func:`dask_client`).
    progress : bool, default False
        A progress bar over the regions.
    **arguments
        The model's other keyword arguments (``max_modules``, ``minimise``): called
        as the model's own function is, ``MODELS[model].solve`` can be swapped for it.

    Returns
    -------
    SitingResult
        Shaped as the single model's (rows and columns of ``distances``), with
        ``stats["regions"]`` (1 when not decomposed), ``stats["regions_note"]`` (where
        it ran, or why it was not decomposed), the regional solves, their seconds and
        the workers' peak memory (``worker_peak_mb``).

    Examples
    --------
    >>> D = sparse.csr_matrix(([1.0, 1.0, 1.0, 1.0], ([0, 1, 2, 3], [0, 1, 2, 3])), shape=(4, 4))
    >>> r = solve_regions(D, np.array([5.0, 4.0, 3.0, 2.0]), 2, model="mclp")
    >>> r.objective, r.open_sites.tolist(), r.status, r.stats["regions"]
    (9.0, [0, 1], 'optimal', 4)
    """
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}, got {model!r}.")
    check_scheduler(scheduler)
    D, w = check_distances(distances, weights)
    cands = candidates if candidates is not None else Candidates.default(D.shape[0])
    rules = rules or SiteRules()
    args, sites = arguments, max_sites
    whole = functools.partial(_solve_whole, D, w, model, sites, cands, rules, options, args)
    reason = why_not_decomposed(model, rules)
    spec = MODELS[model]
    if not reason and spec.uses_sites and sites is None:
        reason = "no number of sites to share out"
    if not reason and diagnose_rules(cands, dataclasses.replace(rules, max_sites=sites)):
        reason = "the site rules admit no plan"
    if reason:
        return whole(reason)
    t0 = time.perf_counter()
    regions = split_regions(D, cands, rules)
    if regions.n <= 1:
        return whole("one region: the candidate sites share demand all through")
    opts = options or SolverOptions()
    problems = region_problems(D, w, regions, cands, rules, opts, model, args)
    idle = np.flatnonzero(cands.forced_open & (regions.candidate < 0))
    share = sites - len(idle) if spec.uses_sites else None
    t_split = time.perf_counter() - t0
    log.info(
        "regions: %d, largest %d candidates x %d demand", regions.n, *problems[0].distances.shape
    )
    with dask_client(scheduler) as (client, where):
        t1 = time.perf_counter()
        curves = regional_curves(problems, share, client, progress)
        wall = time.perf_counter() - t1
    out = combine(problems, curves, share, D, w, cands, idle, model, opts, args)
    out.build_s, out.solve_s = t_split, wall
    out.stats.update(
        regions=regions.n,
        regions_note=where,
        region_solves=sum(len(c.points) for c in curves),
        region_seconds=round(sum(c.seconds for c in curves), 3),
        largest_region={
            "candidates": len(problems[0].sites),
            "demand": len(problems[0].columns),
            "sites_solved": [min(curves[0].points, default=0), max(curves[0].points, default=0)],
            "solves": len(curves[0].points),
            "seconds": round(curves[0].seconds, 3),
        },
        worker_peak_mb=_peaks(curves),
    )
    return out


def _solve_whole(D, w, model, sites, cands, rules, options, args, reason: str) -> SitingResult:
    """The model in one process, with ``regions`` 1 and why in its stats."""
    log.info("regions: not decomposed (%s); solving in one process", reason)
    extra = {"max_sites": sites} if MODELS[model].uses_sites else {}
    res = MODELS[model].solve(D, w, candidates=cands, rules=rules, options=options, **args, **extra)
    res.stats.update(regions=1, regions_note=f"not decomposed: {reason}")
    return res


def _peaks(curves: Sequence[Curve]) -> dict[str, float]:
    """Peak resident MB per worker process (by process id)."""
    out = Curve(-1)
    for c in curves:
        out.add(Curve(-1, peak_mb=c.peak_mb))
    return {str(pid): round(mb, 1) for pid, mb in sorted(out.peak_mb.items())}
