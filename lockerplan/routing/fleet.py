"""The fleet: vans, their working day and the replenishment window.

:class:`Fleet` validates itself on creation, so every later stage can trust it;
:func:`shift_times` turns its hours into the integer seconds PyVRP works in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


def _clock(seconds: float) -> str:
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
    >>> _clock(6 * 3600 + 90)
    '06:02'
    >>> _clock(25 * 3600)
    '01:00+1d'
    """
    minutes = int(round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text + (f"+{days}d" if days else "")


def parse_window(value: str | tuple[float, float] | None) -> tuple[float, float] | None:
    """A time window as ``(start_h, end_h)`` hours after midnight.

    Parameters
    ----------
    value : str or tuple of float or None
        ``"06:00-10:00"``, ``(6, 10)`` or ``None`` (no window).

    Returns
    -------
    tuple of float or None
        Start and end, hours after midnight; ``None`` for no window.

    Raises
    ------
    InputError
        If the text is not ``HH:MM-HH:MM`` or the window ends before it starts.

    Examples
    --------
    >>> parse_window("06:00-10:30")
    (6.0, 10.5)
    >>> parse_window((7, 9))
    (7.0, 9.0)
    """
    if value is None:
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
        if not match:
            raise InputError(
                f"routing.window must look like '06:00-10:00', got {value!r}; "
                "give the start and end clock times of the replenishment window."
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        value = (h1 + m1 / 60, h2 + m2 / 60)
    try:
        start, end = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"routing.window must be 'HH:MM-HH:MM' or (start_h, end_h), got {value!r}."
        ) from None
    if not (0 <= start < end <= 48):
        raise InputError(f"routing.window must start before it ends, within 0-48 h, got {value!r}.")
    return (start, end)


@dataclass(frozen=True)
class Fleet:
    """Vans and their working day.

    Parameters
    ----------
    van_capacity : int, default 200
        Parcels a van carries per trip (deliveries and returns share the space).
    vans_per_hub : int, optional
        At most this many vans at each hub (a ``vans`` column on the hubs overrides
        it). ``None`` (default): no cap; each hub gets enough vans that no visit is
        left out for lack of vans (:func:`vans_bound`) and the cost of a van per day
        decides how many are used, so the fleet is an output of the routing.
    shift_h : float, default 8
        Longest route duration, hours (all trips, loading and waiting included).
    stop_service_s : int, default 300
        Time at each stop (parking, walking to the site), seconds.
    parcel_service_s : int, default 6
        Extra time per parcel loaded into a locker, collected or handed over, seconds.
    start_h : float, default 6
        Earliest departure from the hub, hours after midnight; the shift ends by
        ``start_h + shift_h``.
    window : tuple of float or str, optional
        Replenishment window: each visit must *start* inside it, e.g. ``(6, 10)``
        or ``"06:00-10:00"``. ``None`` (default): any time in the shift.
    max_trips : int, default 1
        Trips per van per day; with more than one, a van may return to its hub to
        reload between trips (the solver does so where it pays). ``routes.parcels``
        is then the van's total over its trips; each trip's load is at most
        ``van_capacity`` (see ``stops.trip``).
    reload_s : int, default 600
        Loading time at the hub before each trip, seconds.

    Examples
    --------
    >>> Fleet(van_capacity=150, window="06:00-10:00").window
    (6.0, 10.0)
    """

    van_capacity: int = 200
    vans_per_hub: int | None = None
    shift_h: float = 8.0
    stop_service_s: int = 300
    parcel_service_s: int = 6
    start_h: float = 6.0
    window: tuple[float, float] | None = None
    max_trips: int = 1
    reload_s: int = 600

    def __post_init__(self) -> None:
        for name in ("van_capacity", "vans_per_hub", "max_trips"):
            value = getattr(self, name)
            if name == "vans_per_hub" and value is None:
                continue  # no cap
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise InputError(
                    f"routing.{name} must be a whole number >= 1, got {value!r}"
                    + ("; a plan needs at least one van." if name == "vans_per_hub" else ".")
                )
        if not (isinstance(self.shift_h, int | float) and 0 < self.shift_h <= 24):
            raise InputError(f"routing.shift_h must be > 0 and <= 24 hours, got {self.shift_h!r}.")
        if not (isinstance(self.start_h, int | float) and 0 <= self.start_h < 24):
            raise InputError(f"routing.start_h must be in [0, 24) hours, got {self.start_h!r}.")
        for name in ("stop_service_s", "parcel_service_s", "reload_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float | np.number) or value < 0:
                raise InputError(f"routing.{name} must be >= 0 seconds, got {value!r}.")
        window = parse_window(self.window)
        if window is not None and (
            window[1] <= self.start_h or window[0] >= self.start_h + self.shift_h
        ):
            raise InputError(
                f"routing.window {window} does not overlap the shift "
                f"{self.start_h:g}-{self.start_h + self.shift_h:g} h; move start_h or the window."
            )
        object.__setattr__(self, "window", window)


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
    window = fleet.window
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
