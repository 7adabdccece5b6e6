"""GTFS stop times made ready for RAPTOR: a time at every stop, a route per pattern.

GTFS allows times only at timepoints; RAPTOR needs a time at every stop, so
:func:`fill_stop_times` interpolates the missing ones along each trip by the
distance between its stops (as R5 and OpenTripPlanner do). ferrobus 0.2.1 makes one
RAPTOR route of all trips of a ``route_id`` with the same number of stops;
:func:`raptor_routes` gives every stop pattern a route of its own, split further
wherever a trip would overtake another (RAPTOR assumes none does). Used by
:mod:`lockerplan.ontheway.transit`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger("lockerplan.ontheway.transit")

__all__ = ["fill_stop_times", "hms", "raptor_routes", "seconds"]


def seconds(times: pd.Series) -> np.ndarray:
    """Seconds after midnight of GTFS ``H:MM:SS`` times (hours may pass 24); NaN when empty."""
    parts = times.astype("string").str.strip().str.split(":", expand=True)
    if parts.shape[1] < 3:
        return np.full(len(times), np.nan)
    h, m, s = (pd.to_numeric(parts[i], errors="coerce") for i in range(3))
    return (h * 3600 + m * 60 + s).to_numpy(dtype=float)


def fill_stop_times(stop_times: pd.DataFrame, stops: pd.DataFrame) -> pd.DataFrame:
    """Stop times with every arrival and departure filled in.

    A missing time is interpolated linearly between the trip's timed stops before
    and after it by the straight distance travelled from stop to stop. Trips with
    fewer than two timed stops are dropped (and logged).

    Returns
    -------
    pandas.DataFrame
        ``stop_times`` ordered by trip and sequence, times as ``HH:MM:SS``, plus
        ``departure_s`` (seconds after midnight).

    Examples
    --------
    >>> st = pd.DataFrame({"trip_id": ["t"] * 3, "stop_sequence": [1, 2, 3],
    ...     "stop_id": ["a", "b", "c"], "arrival_time": ["07:00:00", None, "07:10:00"],
    ...     "departure_time": ["07:00:00", None, "07:10:00"]})
    >>> stops = pd.DataFrame({"stop_id": ["a", "b", "c"], "stop_lat": [0.0, 0.0, 0.0],
    ...     "stop_lon": [0.0, 0.01, 0.04]})
    >>> fill_stop_times(st, stops)["arrival_time"].tolist()
    ['07:00:00', '07:02:30', '07:10:00']
    """
    where = stops.set_index("stop_id")[["stop_lat", "stop_lon"]]
    st = stop_times.sort_values(["trip_id", "stop_sequence"]).reset_index(drop=True)
    lat = np.radians(where["stop_lat"].reindex(st["stop_id"]).to_numpy(dtype=float))
    lon = np.radians(where["stop_lon"].reindex(st["stop_id"]).to_numpy(dtype=float))
    trip = st["trip_id"].to_numpy()
    same = np.r_[False, trip[1:] == trip[:-1]]
    step = np.zeros(len(st))
    h = (
        np.sin(np.diff(lat) / 2) ** 2
        + np.cos(lat[1:]) * np.cos(lat[:-1]) * np.sin(np.diff(lon) / 2) ** 2
    )
    step[1:] = np.where(same[1:], 2 * 6_371_000 * np.arcsin(np.sqrt(np.nan_to_num(h))), 0.0)
    at = pd.Series(step).groupby(trip).cumsum().to_numpy()
    arr, dep = seconds(st["arrival_time"]), seconds(st["departure_time"])
    arr = np.where(np.isnan(arr), dep, arr)
    dep = np.where(np.isnan(dep), arr, dep)
    known = ~np.isnan(arr)
    frame = pd.DataFrame({"trip": trip, "at": at, "t": np.where(known, arr, np.nan)})
    frame["at_known"] = np.where(known, at, np.nan)
    g = frame.groupby("trip", sort=False)
    t0, t1 = g["t"].ffill().to_numpy(), g["t"].bfill().to_numpy()
    a0, a1 = g["at_known"].ffill().to_numpy(), g["at_known"].bfill().to_numpy()
    span = a1 - a0
    frac = np.divide(at - a0, span, out=np.zeros_like(at), where=span > 0)
    filled = t0 + frac * (t1 - t0)
    bad = pd.Series(np.isnan(filled)).groupby(trip).transform("any").to_numpy()
    if bad.any():
        log.info("GTFS: dropped %d trips with fewer than two timed stops", len(set(trip[bad])))
    arr = np.where(known, arr, filled)[~bad]
    dep = np.where(known, dep, filled)[~bad]
    out = st.loc[~bad].copy()
    out["arrival_time"] = hms_array(arr)
    out["departure_time"] = hms_array(dep)
    out["departure_s"] = np.rint(dep).astype(np.int64)
    return out.reset_index(drop=True)


def hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def hms_array(s: np.ndarray) -> list[str]:
    return [hms(x) for x in s]


def raptor_routes(stop_times: pd.DataFrame) -> pd.Series:
    """A RAPTOR route for each trip: one per stop pattern, split where trips overtake.

    RAPTOR scans a route's trips in the order they leave and assumes that a trip
    leaving later never arrives earlier anywhere along the route. Trips with the
    same stops in the same order are taken by first departure (then trip id); each
    goes to the first route of its pattern whose last trip it follows at every stop
    (arriving and leaving no earlier, leaving the first stop strictly later), else
    to a new one.

    Parameters
    ----------
    stop_times : pandas.DataFrame
        ``trip_id``, ``stop_id``, ``stop_sequence`` and ``departure_s``; arrival
        seconds as ``arrival_s`` when there, else the departures.

    Returns
    -------
    pandas.Series
        The route number (0, 1, ...) of each trip, indexed by ``trip_id``; numbered
        by pattern, then by route within it, in the order of their first trips.

    Examples
    --------
    >>> st = pd.DataFrame({"trip_id": ["a", "a", "b", "b", "c", "c"],
    ...     "stop_id": ["x", "y"] * 3, "stop_sequence": [1, 2] * 3,
    ...     "departure_s": [0, 600, 300, 1200, 400, 800]})
    >>> raptor_routes(st).tolist()  # c overtakes b: a route of its own
    [0, 0, 1]
    """
    st = stop_times.sort_values(["trip_id", "stop_sequence"])
    dep = st["departure_s"].to_numpy(dtype=float)
    arr = st["arrival_s"].to_numpy(dtype=float) if "arrival_s" in st else dep
    trips, first = np.unique(st["trip_id"].to_numpy(), return_index=True)
    bounds = np.r_[first, len(st)]
    stop_ids = st["stop_id"].astype(str).to_numpy()
    pattern = pd.Series(
        ["\x1f".join(stop_ids[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    order = np.lexsort((trips, dep[first]))
    route = np.full(len(trips), -1)
    tails: dict[str, list[tuple[int, int]]] = {}  # pattern -> (route number, last trip)
    next_route = 0
    for t in order:
        chains = tails.setdefault(pattern[t], [])
        a, b = bounds[t], bounds[t + 1]
        for c, (number, last) in enumerate(chains):
            la, lb = bounds[last], bounds[last + 1]
            if (
                dep[a] > dep[la]
                and (dep[a:b] >= dep[la:lb]).all()
                and (arr[a:b] >= arr[la:lb]).all()
            ):
                route[t] = number
                chains[c] = (number, t)
                break
        else:
            route[t] = next_route
            chains.append((next_route, t))
            next_route += 1
    return pd.Series(route, index=pd.Index(trips, name="trip_id"))
