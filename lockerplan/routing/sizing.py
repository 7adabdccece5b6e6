"""The fleet as an output: the vans each hub gets, and the vans the day needs.

With no cap (``vans_per_hub=None``) every hub with vans gets
:func:`~lockerplan.routing.fleet.vans_bound` vans for the visits nearest it
(:data:`HUB_SLACK` times over, at most the whole day's), and PyVRP's fixed cost
per van (with the km and driver hours) uses only as many as make the day
cheapest; should a hub use all of them, its vans are doubled and the visits
solved again, so the sizing never decides the routes. With a cap that leaves
visits out for lack of vans, the same visits are solved once more without the
cap: the vans that solve uses are the vans the day needs, and the reason given
for the sites left out names the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyvrp

from .decode import FLEET_TOO_SMALL
from .fleet import Fleet, vans_bound
from .problem import Problem, VisitTuple, solve

log = logging.getLogger(__package__)


@dataclass
class Solved:
    """The solve of the visits with the fleet that served them.

    Attributes
    ----------
    result : pyvrp.Result
        The solve with the vans actually available (capped or sized).
    problem : Problem
        Its model (vehicle types and their hubs).
    phases : int
        1, or 2 when the optional-visit model was solved.
    vans : numpy.ndarray of int
        Vans PyVRP could use at each hub.
    vans_needed : int or None
        Vans used by a solve without the cap; only when the cap left visits out.
    reason : str
        Why the visits left out were left out.
    """

    result: pyvrp.Result
    problem: Problem
    phases: int
    vans: np.ndarray
    vans_needed: int | None = None
    reason: str = FLEET_TOO_SMALL


#: A sized hub gets this many times the vans its nearest visits need (it may
#: serve other hubs' visits too); one that uses them all gets twice as many.
HUB_SLACK = 2


def sized_vans(
    caps: np.ndarray,
    visits: Sequence[VisitTuple],
    service: Sequence[int],
    fleet: Fleet,
    nearest: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The vans at each hub with the caps, and without them.

    Each hub with vans is sized by :func:`vans_bound` for the whole day; with
    several hubs and ``nearest`` given, by at most :data:`HUB_SLACK` times the
    bound of the visits nearest it (a metro area's ten hubs would otherwise each
    get the whole day's vans: 12,000 vehicles for 1,200 routes, a fifth of the
    search's time). A sized hub that uses all its vans gets more
    (:func:`solve_fleet`), so the sizing never decides the routes.

    Parameters
    ----------
    caps : numpy.ndarray
        The cap at each hub (``inf``: no cap; ``0``: a hub without vans).
    visits : sequence of tuple
        ``(location, site_id, delivery, pickup)`` of each visit.
    service : sequence of int
        Service seconds of each visit.
    fleet : Fleet
        Shift, capacity and trips.
    nearest : numpy.ndarray of int, optional
        The hub nearest each visit (:func:`nearest_hubs`; ``-1``: none).

    Returns
    -------
    vans : numpy.ndarray of int
        The cap where there is one, else the sized number.
    free : numpy.ndarray of int
        The sized number at every hub with vans (no cap at all).

    Examples
    --------
    >>> visits = [(1, "s1", 190, 0)] * 40
    >>> fleet = Fleet(van_capacity=200, shift_h=8, max_trips=1)
    >>> vans, free = sized_vans(np.array([np.inf, 0.0, 2.0]), visits, [1_000] * 40, fleet)
    >>> vans.tolist(), free.tolist()
    ([40, 0, 2], [40, 0, 40])
    >>> near = np.array([0] * 36 + [2] * 4)  # 36 visits nearest hub 0, 4 nearest hub 2
    >>> sized_vans(np.array([np.inf, 0.0, np.inf]), visits, [1_000] * 40, fleet, near)[0].tolist()
    [40, 0, 8]
    """
    free = np.where(caps > 0, _bound(visits, service, fleet), 0).astype(int)
    if nearest is not None and (caps > 0).sum() > 1:
        for h in np.flatnonzero(caps > 0):
            mine = np.flatnonzero(nearest == h)
            share = _bound([visits[k] for k in mine], [service[k] for k in mine], fleet)
            free[h] = min(free[h], max(1, HUB_SLACK * share))
    vans = np.where(np.isfinite(caps), caps, free).astype(int)
    return vans, free


def _bound(visits: Sequence[VisitTuple], service: Sequence[int], fleet: Fleet) -> int:
    """:func:`vans_bound` of some visits."""
    parcels = max(sum(v[2] for v in visits), sum(v[3] for v in visits))
    return vans_bound(service, parcels, len(visits), fleet)


def nearest_hubs(dur: np.ndarray, visits: Sequence[VisitTuple], caps: np.ndarray) -> np.ndarray:
    """The hub with vans nearest each visit: the shortest round trip (``-1``: none).

    ``dur`` is the duration matrix of the locations, hubs first, ``-1`` where
    unreachable.

    Examples
    --------
    >>> dur = np.array([[0, 9, 5, 2], [9, 0, 3, 8], [5, 3, 0, 4], [2, 8, 4, 0]])
    >>> nearest_hubs(dur, [(2, "a", 1, 0), (3, "b", 1, 0)], np.array([np.inf, 3.0])).tolist()
    [1, 0]
    """
    n_hubs = len(caps)
    loc = np.array([v[0] for v in visits], dtype=int)
    trip = (dur[:n_hubs, loc] + dur[loc, :n_hubs].T).astype(float)
    trip[(dur[:n_hubs, loc] < 0) | (dur[loc, :n_hubs].T < 0) | ~(caps > 0)[:, None]] = np.inf
    near = np.argmin(trip, axis=0)
    return np.where(np.isfinite(trip.min(axis=0)), near, -1)


def _exhausted(best: pyvrp.Solution, problem: Problem, vans: np.ndarray) -> np.ndarray:
    """Whether each hub used all its vans."""
    used = np.zeros(len(vans), dtype=int)
    for route in best.routes():
        used[problem.vt_hub[route.vehicle_type()]] += 1
    return (vans > 0) & (used >= vans)


def _solve_growing(
    model: Problem, vans: np.ndarray, grow: np.ndarray, n_visits: int, solve_kw: dict
) -> tuple[pyvrp.Result, Problem, int, np.ndarray]:
    """Solve; while a growable hub used all its vans, double them.

    A sized fleet should never bind: a hub that used all its vans may have left
    visits out, or served them at a higher cost from another hub.

    Parameters
    ----------
    model : Problem
        The model (its vans are replaced by ``vans``).
    vans : numpy.ndarray of int
        Vans at each hub.
    grow : numpy.ndarray of bool
        Hubs whose vans may grow (the uncapped ones).
    n_visits : int
        Number of visits (no hub needs more vans).
    solve_kw : dict
        ``seed``, ``iterations`` and ``time_limit_s`` of :func:`solve`.

    Returns
    -------
    result, problem, phases, vans
        The last solve, its model, its phases and the vans it had.
    """
    while True:
        problem = model.with_vans(vans)
        result, phases = solve(problem, **solve_kw)
        more = grow & _exhausted(result.best, problem, vans) & (vans < n_visits)
        if not more.any():
            return result, problem, phases, vans
        vans = np.where(more, np.minimum(2 * vans, n_visits), vans)
        log.info("routing: the sized fleet ran out; solving again with %d vans", vans.sum())


def fleet_too_small(available: int, needed: int, fix: str) -> str:
    """The reason for sites left out by a capped fleet, naming the fix.

    Examples
    --------
    >>> fleet_too_small(10, 23, "raise --vans-per-hub or remove the cap")
    'fleet too small: 10 vans at the hubs, the day needs 23 (raise --vans-per-hub or remove the cap, add trips or hubs)'
    """  # noqa: E501
    vans = "van" if available == 1 else "vans"
    return (
        f"fleet too small: {available} {vans} at the hubs, the day needs {needed} "
        f"({fix}, add trips or hubs)"
    )


def solve_fleet(
    model: Problem, caps: np.ndarray, free: np.ndarray, *, fix: str, solve_kw: dict
) -> Solved:
    """Solve the visits with the capped or sized fleet; if a cap is too small, say by how much.

    Parameters
    ----------
    model : Problem
        The model of the visits, built with the vans of :func:`sized_vans`.
    caps : numpy.ndarray
        The cap at each hub (``inf``: no cap; see :func:`~.visits.hub_vans`).
    free : numpy.ndarray of int
        The sized vans at every hub with vans, ignoring the caps (:func:`sized_vans`).
    fix : str
        How to raise the cap (named in the reason of the sites left out).
    solve_kw : dict
        ``seed``, ``iterations`` and ``time_limit_s`` of :func:`solve`.

    Returns
    -------
    Solved
        With ``vans_needed`` only when the cap left visits out for lack of vans (one
        more solve, without the cap).
    """
    vans = model.vans
    capped = np.isfinite(caps)
    n = len(model.visits)
    result, problem, phases, vans = _solve_growing(model, vans, ~capped & (vans > 0), n, solve_kw)
    solved = Solved(result, problem, phases, vans)
    missing = len(result.best.unplanned())
    if not missing or not (capped & _exhausted(result.best, problem, vans)).any():
        return solved
    log.info("routing: the capped fleet leaves visits out; solving once more without the cap")
    free = np.maximum(free, vans)
    uncapped, *_ = _solve_growing(model, free, free > 0, n, solve_kw)
    solved.vans_needed = len(uncapped.best.routes())
    if len(uncapped.best.unplanned()) < missing:
        solved.reason = fleet_too_small(int(vans.sum()), solved.vans_needed, fix)
    return solved
