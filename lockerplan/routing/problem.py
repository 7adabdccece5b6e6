"""The PyVRP model: locations, depots, vans, clients, integer matrices; and its solve.

PyVRP works in integers, so distances (m) and durations (s) are rounded and the
money of :class:`lockerplan.costs.CostModel` is counted in units of ``1/_MONEY``
of the currency. Every visit is first *required*; when the fleet cannot serve
them all, the model is solved again with optional visits worth a large prize, so
that the fewest parcels are left out.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from ..costs import CostModel
from ..distances import GraphArrays
from ..errors import InputError
from ..parallel import release_memory
from .fleet import Fleet, ShiftTimes, shift_times

log = logging.getLogger(__package__)

#: penalties must be able to outgrow the visit prizes (money units are small), and
#: adapt quickly enough for short runs
_SOLVE_PARAMS = pyvrp.SolveParams(
    penalty=pyvrp.PenaltyParams(solutions_between_updates=50, max_penalty=1e12)
)
#: Default runtime cap of a routing solve, seconds (a safety net: the iterations stop first).
ROUTING_TIME_LIMIT_S = 120.0
#: money unit inside PyVRP: 1e-5 of the currency (PyVRP needs integer costs)
_MONEY = 100_000

#: a visit as ``(location, site_id, delivery, pickup)`` (see ``visits.Visit``)
VisitTuple = tuple[int, str, int, int]


def check_solve_args(iterations: int, time_limit_s: float) -> None:
    """Raise :class:`InputError` unless the stop criteria are usable.

    Examples
    --------
    >>> check_solve_args(0, 1.0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: routing iterations must be >= 1, got 0.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer):
        raise InputError(f"routing iterations must be a whole number >= 1, got {iterations!r}.")
    if iterations < 1:
        raise InputError(f"routing iterations must be >= 1, got {iterations!r}.")
    if not time_limit_s > 0:
        raise InputError(f"routing time_limit_s must be > 0 seconds, got {time_limit_s!r}.")


def integer_matrices(dist: np.ndarray, dur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance and duration matrices for PyVRP: unreachable pairs cost a large number.

    Parameters
    ----------
    dist, dur : numpy.ndarray
        Road distance (m) and travel time (s); ``-1`` where unreachable.

    Returns
    -------
    dist_m, dur_s : numpy.ndarray of int64
        The same, with ``-1`` replaced by 100 times the largest value and a zero
        diagonal.

    Examples
    --------
    >>> dist_m, dur_s = integer_matrices(np.array([[0, 5], [-1, 0]]), np.array([[0, 2], [-1, 0]]))
    >>> dist_m.tolist(), dur_s.tolist()
    ([[0, 5], [500, 0]], [[0, 2], [500, 0]])
    """
    big = int(max(dist.max(), dur.max(), 1) * 100)
    dist_m = np.where(dist >= 0, dist, big).astype(np.int64, copy=False)
    dur_s = np.where(dur >= 0, dur, big).astype(np.int64, copy=False)
    np.fill_diagonal(dist_m, 0)
    np.fill_diagonal(dur_s, 0)
    return dist_m, dur_s


@dataclass(frozen=True)
class Rates:
    """The objective's weights in PyVRP money units (see ``_MONEY``).

    Attributes
    ----------
    per_m : int
        Energy cost per metre (at least 1, so that distance always counts).
    per_s : int
        Driver cost per second.
    van_cost : int
        Fixed cost of a van used.
    """

    per_m: int
    per_s: int
    van_cost: int


def money_rates(costs: CostModel) -> Rates:
    """The cost model in integer PyVRP money units.

    Examples
    --------
    >>> money_rates(CostModel(energy_per_km=0.2, driver_per_hour=36.0, vehicle_per_day=40.0))
    Rates(per_m=20, per_s=1000, van_cost=4000000)
    """
    return Rates(
        per_m=max(1, round(costs.energy_per_km / 1000 * _MONEY)),
        per_s=max(0, round(costs.driver_per_hour / 3600 * _MONEY)),
        van_cost=round(costs.vehicle_per_day * _MONEY),
    )


def visit_prize(
    dist_m: np.ndarray,
    dur_s: np.ndarray,
    n_hubs: int,
    service: Sequence[int],
    fleet: Fleet,
    rates: Rates,
) -> int:
    """A prize per visit larger than any van and route that could serve it.

    Parameters
    ----------
    dist_m, dur_s : numpy.ndarray
        Integer distance and duration matrices, hubs first.
    n_hubs : int
        Number of hubs.
    service : sequence of int
        Service seconds of each visit.
    fleet : Fleet
        The fleet (reload time).
    rates : Rates
        The objective's weights.

    Returns
    -------
    int
    """
    worst_trip = (
        int(dist_m[:n_hubs].max() + dist_m[:, :n_hubs].max()) * rates.per_m
        + (int(dur_s[:n_hubs].max() + dur_s[:, :n_hubs].max()) + max(service) + fleet.reload_s)
        * rates.per_s
    )
    return 2 * (rates.van_cost + worst_trip) + 1


def _vehicle_types(
    hubs: gpd.GeoDataFrame, vans: np.ndarray, fleet: Fleet, times: ShiftTimes, rates: Rates
) -> tuple[list[pyvrp.VehicleType], list[int]]:
    """One vehicle type per hub with vans, and the hub of each type."""
    vt_hub = [h for h in range(len(hubs)) if vans[h] > 0]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=int(vans[h]),
            capacity=[fleet.van_capacity],
            start_depot=h,
            end_depot=h,
            fixed_cost=rates.van_cost,
            tw_early=times.start,
            tw_late=times.start + times.shift,
            shift_duration=times.shift,
            unit_distance_cost=rates.per_m,
            unit_duration_cost=rates.per_s,
            reload_depots=[h] if fleet.max_trips > 1 else [],
            max_reloads=fleet.max_trips - 1,
            name=str(hubs["hub_id"].iloc[h]),
        )
        for h in vt_hub
    ]
    return vehicle_types, vt_hub


@dataclass
class Problem:
    """The PyVRP model of the visits, every visit required; the other variants derived.

    The road matrices are held once, by PyVRP (``base``): the variants (optional
    visits, other numbers of vans) share the rest of the model.

    Attributes
    ----------
    base : pyvrp.ProblemData
        The model with every visit required.
    vt_hub : list of int
        Hub of each vehicle type (one per hub with vans).
    visits : sequence of tuple
        ``(location, site_id, delivery, pickup)`` of each client.
    service : list of int
        Service seconds of each visit.
    times : ShiftTimes
        Start, shift and visit window, seconds.
    prize : int
        Prize of an optional visit.
    """

    base: pyvrp.ProblemData
    vt_hub: list[int]
    visits: Sequence[VisitTuple]
    service: list[int]
    times: ShiftTimes
    prize: int

    def data(self, required: bool) -> pyvrp.ProblemData:
        """The PyVRP problem, every visit required or optional with a prize."""
        if required:
            return self.base
        optional = _clients(self.visits, self.service, self.times, self.prize, required=False)
        return self.base.replace(clients=optional)

    @property
    def vans(self) -> np.ndarray:
        """The vans at each hub (0 at hubs without vans)."""
        vans = np.zeros(self.base.num_depots, dtype=int)
        vans[self.vt_hub] = [vt.num_available for vt in self.base.vehicle_types()]
        return vans

    def with_vans(self, vans: np.ndarray) -> Problem:
        """The same model with ``vans[h]`` vans at each hub that has vans (itself if so).

        Raises
        ------
        ValueError
            If the hubs with vans are not the model's.
        """
        if np.array_equal(vans, self.vans):
            return self
        if sorted(self.vt_hub) != np.flatnonzero(np.asarray(vans) > 0).tolist():
            raise ValueError(f"vans {list(vans)} are not at the model's hubs {self.vt_hub}")
        types = [
            vt.replace(num_available=int(vans[h]))
            for vt, h in zip(self.base.vehicle_types(), self.vt_hub, strict=True)
        ]
        return replace(self, base=self.base.replace(vehicle_types=types))


def _clients(
    visits: Sequence[VisitTuple],
    service: Sequence[int],
    times: ShiftTimes,
    prize: int,
    *,
    required: bool,
) -> list[pyvrp.Client]:
    """The visits as PyVRP clients, required or optional with ``prize``."""
    return [
        pyvrp.Client(
            loc,
            delivery=[d],
            pickup=[p],
            service_duration=service[i],
            tw_early=times.tw_early,
            tw_late=times.tw_late,
            required=required,
            prize=0 if required else prize,
            name=f"{site_id}#{i}",
        )
        for i, (loc, site_id, d, p) in enumerate(visits)
    ]


def build_problem(
    arrays: GraphArrays,
    hubs: gpd.GeoDataFrame,
    vans: np.ndarray,
    nodes: np.ndarray,
    fleet: Fleet,
    costs: CostModel,
    visits: Sequence[VisitTuple],
    service: list[int],
    matrices: tuple[np.ndarray, np.ndarray],
) -> Problem:
    """The PyVRP model of the visits, built directly from the matrices.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network (coordinates of the locations).
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id``; the first locations.
    vans : numpy.ndarray
        Vans at each hub (0: none; see :func:`~lockerplan.routing.sizing.sized_vans`).
    nodes : numpy.ndarray
        Drive-network matrix index of each location.
    fleet : Fleet
        Capacity, shift, window, trips and reload time.
    costs : CostModel
        The objective's weights (van per day, energy per km, driver per hour).
    visits : sequence of tuple
        ``(location, site_id, delivery, pickup)`` of each visit.
    service : list of int
        Service seconds of each visit.
    matrices : tuple of numpy.ndarray
        Integer distance and duration matrices (see :func:`integer_matrices`);
        PyVRP copies them, the caller may drop them.

    Returns
    -------
    Problem
    """
    dist_m, dur_s = matrices
    times = shift_times(fleet)
    rates = money_rates(costs)
    n_hubs = len(hubs)
    locations = [pyvrp.Location(int(round(x)), int(round(y))) for x, y in arrays.xy[nodes]]
    depots = [
        pyvrp.Depot(h, service_duration=int(fleet.reload_s), name=str(hubs["hub_id"].iloc[h]))
        for h in range(n_hubs)
    ]
    prize = visit_prize(dist_m, dur_s, n_hubs, service, fleet, rates)
    vehicle_types, vt_hub = _vehicle_types(hubs, vans, fleet, times, rates)
    clients = _clients(visits, service, times, prize, required=True)
    base = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [dist_m], [dur_s])
    return Problem(base, vt_hub, visits, service, times, prize)


def _log_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    """Log PyVRP's warnings (e.g. ``PenaltyBoundWarning``) instead of printing them.

    They are expected while the fleet cannot serve every visit (the required-visit
    solve has no feasible solution), and the result reports that case itself, so
    they show only under ``-v``; each distinct message is logged once.
    """
    for message in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
        log.info("routing: PyVRP says %s", " ".join(message.split()))


def solve(
    problem: Problem, *, seed: int, iterations: int, time_limit_s: float
) -> tuple[pyvrp.Result, int]:
    """Solve with every visit required; if the fleet cannot, with optional visits.

    The search reloads vans best with required visits; when that has no feasible
    solution, the visits become optional with a large prize, so that the fewest
    parcels are left out (and reported). PyVRP's warnings are logged, not printed.

    Parameters
    ----------
    problem : Problem
        The model.
    seed : int
        PyVRP seed.
    iterations : int
        PyVRP iterations.
    time_limit_s : float
        Runtime cap of each solve, seconds.

    Returns
    -------
    result : pyvrp.Result
        The last solve's result.
    phases : int
        1, or 2 when the optional-visit model was solved.
    """

    def run(required: bool) -> pyvrp.Result:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = pyvrp.solve(
                problem.data(required),
                stop=MultipleCriteria(
                    [MaxIterations(int(iterations)), MaxRuntime(float(time_limit_s))]
                ),
                seed=seed,
                display=False,
                collect_stats=False,
                params=_SOLVE_PARAMS,
            )
        _log_warnings(caught)
        release_memory()
        if result.num_iterations < iterations:
            log.warning(
                "routing: the search stopped at its %g s time limit after %d of %d "
                "iterations; the routes depend on the machine's speed",
                time_limit_s,
                result.num_iterations,
                iterations,
            )
        return result

    result = run(required=True)
    if result.best.is_feasible():
        return result, 1
    log.info("routing: the fleet cannot serve every visit; leaving the fewest out")
    return run(required=False), 2


def objective(best: pyvrp.Solution) -> float:
    """Van, energy and driver cost of a solution, in currency per day (2 decimals)."""
    return round(
        float(best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()) / _MONEY, 2
    )
