"""The fleet: vans, their working day and the replenishment window.

:class:`Fleet` is the scenario's routing section
(:class:`lockerplan.scenario.RoutingParams`): it checks itself on creation, so every
later stage can trust it, and its defaults are the scenario's. :func:`shift_times`
turns its hours into the integer seconds PyVRP works in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..scenario import RoutingParams

#: The vans and their working day: the scenario's routing section.
Fleet = RoutingParams


def clock_text(seconds: float) -> str:
    """Seconds after midnight as ``HH:MM`` (``+1d`` past midnight).

    Parameters
    ----------
    seconds : float
        Seconds after midnight of the first day.

    Returns
    -------
    str
        The clock time, rounded to the minute.

    Examples
    --------
    >>> clock_text(6 * 3600 + 90)
    '06:02'
    >>> clock_text(25 * 3600)
    '01:00+1d'
    """
    minutes = int(round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text + (f"+{days}d" if days else "")


@dataclass(frozen=True)
class ShiftTimes:
    """The fleet's day in whole seconds after midnight.

    Attributes
    ----------
    start : int
        Earliest departure from the hub.
    shift : int
        Longest route duration (seconds, not a clock time).
    tw_early, tw_late : int
        Earliest and latest start of a visit: the window, or the whole shift.
    """

    start: int
    shift: int
    tw_early: int
    tw_late: int


def shift_times(fleet: Fleet) -> ShiftTimes:
    """The fleet's start, shift length and visit window in whole seconds.

    Parameters
    ----------
    fleet : Fleet
        The vans and their working day.

    Returns
    -------
    ShiftTimes

    Examples
    --------
    >>> shift_times(Fleet(start_h=6, shift_h=8, window="07:00-10:30"))
    ShiftTimes(start=21600, shift=28800, tw_early=25200, tw_late=37800)
    >>> shift_times(Fleet(start_h=6, shift_h=8)).tw_late
    50400
    """
    start = int(round(fleet.start_h * 3600))
    shift = int(round(fleet.shift_h * 3600))
    window = fleet.window_hours
    tw_early = int(round(window[0] * 3600)) if window else start
    tw_late = int(round(window[1] * 3600)) if window else start + shift
    return ShiftTimes(start, shift, tw_early, tw_late)


def vans_bound(service: Sequence[int], parcels: float, n_visits: int, fleet: Fleet) -> int:
    """Vans enough at a hub that no visit is left out for lack of vans (an upper bound).

    The vans the service time fills, plus the vans the parcels fill, plus one; at
    most one van per visit. Each term alone is a lower bound of the fleet, so their
    sum leaves room for the driving between stops; the solver's fixed cost per van
    then uses only as many as make the day cheapest. The door-to-door baseline and
    an uncapped locker fleet (``vans_per_hub=None``) are both sized by this.

    Parameters
    ----------
    service : sequence of int
        Service seconds of each visit (stop time plus time per parcel).
    parcels : float
        Parcels delivered (or collected, whichever is larger) over all visits.
    n_visits : int
        Number of visits.
    fleet : Fleet
        Shift, van capacity and trips per van.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> fleet = Fleet(van_capacity=200, shift_h=8, max_trips=1)
    >>> vans_bound([28_800] * 3, 400, 3, fleet)
    3
    >>> vans_bound([1_000] * 40, 40 * 190, 100, fleet)
    41
    """
    work = math.ceil(sum(service) / (fleet.shift_h * 3600))
    loads = math.ceil(parcels / (fleet.van_capacity * fleet.max_trips))
    return max(1, min(work + loads + 1, n_visits))
