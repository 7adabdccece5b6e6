"""The way between on transit: GTFS feeds, a RAPTOR router, each commute's stops.

Feeds are read and checked with gtfs-kit and cut to one service day; routing is
done by ferrobus (RAPTOR, Delling et al. 2012, on the timetable plus the OSM
street network for the walks to, from and between stops), which builds offline
from the OSM extract and the feeds and answers a city's whole cell-to-cell matrix
in seconds (Porto Alegre: 1,224 cells, 1.4 s). r5py downloads the R5 jar from
GitHub when first run, which fails offline; gtfs2nx averages headways into a
graph without the streets: neither gives timetable paths offline.

GTFS allows times only at timepoints; RAPTOR needs a time at every stop, so the
missing ones are interpolated along each trip by the distance between its stops
(as R5 and OpenTripPlanner do). The prepared feeds are written once to the
lockerplan cache, keyed by the feeds' content hash and the day.

A commute's *anchors* are where its rider stands on the way: the boarding stop,
the stops of every transfer (alighting and boarding again), the alighting stop.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import ferrobus
import gtfs_kit as gk
import numpy as np
import pandas as pd

from .. import cache
from ..errors import InputError

log = logging.getLogger(__name__)

#: Departure time of the commutes, seconds after midnight: 07:30, the middle of
#: the 07:00-08:00 hour taken as the weekday morning peak (a convention, not a
#: measured peak of a given city).
DEPART_S = 7 * 3600 + 30 * 60

#: Longest walk from a point to the street network and the stops near it, seconds
#: (ferrobus' default: 20 minutes).
MAX_WALK_S = 1200

#: Version of the prepared feeds in the cache; bump when :func:`fill_stop_times` or
#: the written tables change.
FEED_FORMAT = 1

#: GTFS ``route_type`` values of rail (tram, metro, rail, monorail): their stops
#: are stations.
RAIL_TYPES = (0, 1, 2, 12)


@dataclass(frozen=True)
class TransitParams:
    """Settings of the transit paths; checked when made.

    Parameters
    ----------
    date : datetime.date or str, optional
        Service day (``"2019-05-15"``); default: the first Wednesday every feed serves.
    depart_s : int, default :data:`DEPART_S`
        Departure time, seconds after midnight.
    max_transfers : int, default 3
        Most transfers a journey may make.
    max_walk_s : int, default :data:`MAX_WALK_S`
        Longest walk to reach the network and stops from a point.
    max_stops : int, default 10
        Nearest stops a point is linked to.

    Examples
    --------
    >>> TransitParams(date="2019-05-15").date
    datetime.date(2019, 5, 15)
    >>> TransitParams(depart_s=-1)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: depart_s must be seconds after midnight in [0, 172800), got -1.
    """

    date: dt.date | str | None = None
    depart_s: int = DEPART_S
    max_transfers: int = 3
    max_walk_s: int = MAX_WALK_S
    max_stops: int = 10

    def __post_init__(self) -> None:
        if isinstance(self.date, str):
            try:
                object.__setattr__(self, "date", dt.date.fromisoformat(self.date))
            except ValueError:
                raise InputError(f"date must be a day as YYYY-MM-DD, got {self.date!r}.") from None
        elif self.date is not None and not isinstance(self.date, dt.date):
            raise InputError(f"date must be a day as YYYY-MM-DD, got {self.date!r}.")
        if not (_whole(self.depart_s) and 0 <= self.depart_s < 48 * 3600):
            raise InputError(
                f"depart_s must be seconds after midnight in [0, 172800), got {self.depart_s!r}."
            )
        for name, low in (("max_transfers", 0), ("max_walk_s", 1), ("max_stops", 1)):
            value = getattr(self, name)
            if not (_whole(value) and value >= low):
                raise InputError(f"{name} must be a whole number >= {low}, got {value!r}.")


def _whole(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


@dataclass(frozen=True)
class Feeds:
    """GTFS feeds prepared for routing on one day.

    Attributes
    ----------
    folders : list of pathlib.Path
        One folder per feed, every stop time filled in, only the day's trips.
    date : datetime.date
    stops : pandas.DataFrame
        ``stop_id``, ``name``, ``lon``, ``lat``, ``feed`` (file name), ``station``
        (served by rail); stops the day's trips serve.
    spans : dict
        Per feed, the first and last departure of the day, seconds after midnight.
    """

    folders: list[Path]
    date: dt.date
    stops: pd.DataFrame = field(repr=False)
    spans: dict[str, tuple[int, int]]


def prepare_feeds(
    paths: list[str | Path],
    params: TransitParams | None = None,
    cache_dir: str | Path | None = None,
) -> Feeds:
    """Read GTFS feeds, cut them to one day and fill in every stop time.

    Parameters
    ----------
    paths : list of str or pathlib.Path
        GTFS zip files or folders.
    params : TransitParams, optional
        ``date`` (default: the first Wednesday every feed serves) and ``depart_s``
        (a warning is logged when a feed runs no trip then).
    cache_dir : str or pathlib.Path, optional
        Where the prepared feeds are kept (see :mod:`lockerplan.cache`).

    Returns
    -------
    Feeds

    Raises
    ------
    InputError
        If a feed cannot be read, or serves no trip on the day.

    Examples
    --------
    >>> feeds = prepare_feeds(["../shared/bench/gtfs/poa_trensurb.zip"])  # doctest: +SKIP
    >>> feeds.stops["station"].all()  # doctest: +SKIP
    True
    """
    params = params or TransitParams()
    if not paths:
        raise InputError("--gtfs: give at least one GTFS feed (a zip file or folder).")
    raw = [_read_feed(Path(p)) for p in paths]
    date = params.date or _first_wednesday(raw, paths)
    key = cache.cache_key(
        "gtfs",
        FEED_FORMAT,
        *[cache.file_hash(p) if Path(p).is_file() else str(p) for p in paths],
        str(date),
    )
    root = cache.cache_dir(cache_dir) / key
    folders, stops, spans = [], [], {}
    for k, (path, feed) in enumerate(zip(paths, raw, strict=True)):
        name = Path(path).name
        day = feed.restrict_to_dates([date.strftime("%Y%m%d")])
        if len(day.trips) == 0:
            raise InputError(
                f"--gtfs: {str(path)!r} runs no trip on {date} (its days: "
                f"{_days(feed)}); give a date the feed serves."
            )
        st = fill_stop_times(day.stop_times, day.stops)
        day.stop_times = st
        folder = root / f"feed{k}"
        if not folder.is_dir():
            _write(day, folder)
        folders.append(folder)
        spans[name] = (int(st["departure_s"].min()), int(st["departure_s"].max()))
        if not spans[name][0] <= params.depart_s <= spans[name][1]:
            log.warning(
                "%s runs trips only from %s to %s on %s, not at %s: its lines take no commuter",
                name,
                _hms(spans[name][0]),
                _hms(spans[name][1]),
                date,
                _hms(params.depart_s),
            )
        stops.append(_served_stops(day, name))
    return Feeds(folders, date, pd.concat(stops, ignore_index=True), spans)


def _read_feed(path: Path) -> gk.Feed:
    if not path.exists():
        raise InputError(f"--gtfs: {str(path)!r} does not exist; give a GTFS zip file or folder.")
    try:
        feed = gk.read_feed(path, dist_units="km")
    except Exception as exc:  # gtfs-kit raises whatever the zip or CSV reader raised
        raise InputError(f"--gtfs: cannot read {str(path)!r} as GTFS ({exc}).") from exc
    for table in ("stops", "trips", "stop_times", "routes"):
        if getattr(feed, table, None) is None or len(getattr(feed, table)) == 0:
            raise InputError(
                f"--gtfs: {str(path)!r} has no {table}.txt rows; it is not a usable feed."
            )
    return feed


def _first_wednesday(feeds: list[gk.Feed], paths: list) -> dt.date:
    common = set.intersection(*(set(f.get_dates()) for f in feeds))
    days = sorted(dt.datetime.strptime(d, "%Y%m%d").date() for d in common)
    for day in days:
        if day.weekday() == 2 and all(len(f.get_trips(day.strftime("%Y%m%d"))) for f in feeds):
            return day
    raise InputError(
        f"--gtfs: the feeds {', '.join(map(str, paths))} share no Wednesday with service; "
        "give the day with date=YYYY-MM-DD."
    )


def _days(feed: gk.Feed) -> str:
    dates = feed.get_dates()
    return f"{dates[0]} to {dates[-1]}" if dates else "none"


def _seconds(times: pd.Series) -> np.ndarray:
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
    arr, dep = _seconds(st["arrival_time"]), _seconds(st["departure_time"])
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
    out["arrival_time"] = _hms_array(arr)
    out["departure_time"] = _hms_array(dep)
    out["departure_s"] = np.rint(dep).astype(np.int64)
    return out.reset_index(drop=True)


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _hms_array(s: np.ndarray) -> list[str]:
    return [_hms(x) for x in s]


def _write(feed: gk.Feed, folder: Path) -> None:
    """The feed as GTFS text files in ``folder``, written whole or not at all."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        feed = feed.copy()
        feed.stop_times = feed.stop_times.drop(columns=["departure_s"])
        zipped = tmp / "feed.zip"
        feed.to_file(zipped)
        with zipfile.ZipFile(zipped) as z:
            z.extractall(tmp / "feed")
        (tmp / "feed").rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _served_stops(feed: gk.Feed, name: str) -> pd.DataFrame:
    """The stops the day's trips serve, with whether rail serves them."""
    st = feed.stop_times[["trip_id", "stop_id"]].drop_duplicates()
    kinds = st.merge(feed.trips[["trip_id", "route_id"]], on="trip_id").merge(
        feed.routes[["route_id", "route_type"]], on="route_id"
    )
    rail = kinds.groupby("stop_id")["route_type"].agg(lambda t: bool(np.isin(t, RAIL_TYPES).any()))
    stops = feed.stops.set_index("stop_id").loc[rail.index]
    return pd.DataFrame(
        {
            "stop_id": rail.index.astype(str),
            "name": stops["stop_name"].fillna("").astype(str).to_numpy(),
            "lon": stops["stop_lon"].to_numpy(dtype=float),
            "lat": stops["stop_lat"].to_numpy(dtype=float),
            "feed": name,
            "station": rail.to_numpy(dtype=bool),
        }
    )


class TransitRouter:
    """Journeys on the feeds and the streets of an OSM extract (ferrobus' RAPTOR).

    Parameters
    ----------
    osm_path : str or pathlib.Path
        The OSM extract of the study area (PBF).
    feeds : Feeds
        From :func:`prepare_feeds`.
    params : TransitParams, optional

    Examples
    --------
    >>> router = TransitRouter(osm, prepare_feeds(gtfs))  # doctest: +SKIP
    >>> points = router.points(lon, lat)  # doctest: +SKIP
    >>> router.times(points).shape  # doctest: +SKIP
    (1227, 1227)
    """

    def __init__(self, osm_path: str | Path, feeds: Feeds, params: TransitParams | None = None):
        self.params = params or TransitParams()
        self.feeds = feeds
        try:
            self.model = ferrobus.create_transit_model(
                str(osm_path), [str(f) for f in feeds.folders], feeds.date
            )
        except RuntimeError as exc:
            raise InputError(f"--gtfs: the transit model cannot be built ({exc}).") from exc
        log.info("transit model: %s", self.model)

    def points(self, lon: np.ndarray, lat: np.ndarray) -> list:
        """ferrobus points at the coordinates; None where no street is within reach."""
        p = self.params
        out = []
        for x, y in zip(np.asarray(lon, float), np.asarray(lat, float), strict=True):
            try:
                out.append(
                    ferrobus.create_transit_point(y, x, self.model, p.max_walk_s, p.max_stops)
                )
            except (ValueError, RuntimeError):
                out.append(None)
        missing = sum(q is None for q in out)
        if missing:
            log.info("transit: %d of %d points have no street within reach", missing, len(out))
        return out

    def times(self, points: list) -> np.ndarray:
        """Door-to-door travel times between the points, seconds (``inf``: no way).

        Walking, waiting and riding, leaving at ``params.depart_s``. Give the same
        ``points`` (from :meth:`points`) to :meth:`journeys`: ferrobus 0.2.1 orders a
        point's equally near stops differently each time it makes the point, and its
        times then differ (on Porto Alegre, 348 of 1,224 rows between two sets of
        points at the same places, by up to 27 minutes for a pair).
        """
        ok = np.flatnonzero([q is not None for q in points])
        out = np.full((len(points), len(points)), np.inf)
        if len(ok):
            m = ferrobus.travel_time_matrix(
                self.model, [points[i] for i in ok], self.params.depart_s, self.params.max_transfers
            )
            m = np.array([[np.inf if v is None else v for v in row] for row in m], dtype=float)
            out[np.ix_(ok, ok)] = m
        return out

    def journeys(self, points: list, home: np.ndarray, job: np.ndarray) -> pd.DataFrame:
        """Each commute's stops: boarding, transfers, alighting.

        Parameters
        ----------
        points : list
            From :meth:`points`.
        home, job : numpy.ndarray
            Indices into ``points`` of each commute's ends.

        Returns
        -------
        pandas.DataFrame
            One row per commute: ``time_s`` (NaN: no journey), ``legs`` (transit
            rides), ``stops`` (list of stop ids where the rider stands, boarding
            first, alighting last) and ``stop_lonlat`` (their coordinates).
            ``time_s`` is the detailed journey's, whose point-to-point search may
            take a longer walk from the last stop than :meth:`times` (ferrobus
            0.2.1: 1,436 s against 911 s from Mercado to Sao Pedro).
        """
        home, job = np.asarray(home), np.asarray(job)
        rows: list[dict | None] = [None] * len(home)
        p = self.params
        for h in np.unique(home):
            idx = np.flatnonzero(home == h)
            if points[h] is None:
                continue
            good = [k for k in idx if points[job[k]] is not None]
            if not good:
                continue
            found = ferrobus.parallel_detailed_journeys(
                self.model, points[h], [points[job[k]] for k in good], p.depart_s, p.max_transfers
            )
            for k, js in zip(good, found, strict=True):
                rows[k] = parse_journey(js, p.depart_s)
        empty = {"time_s": np.nan, "legs": 0, "stops": [], "stop_lonlat": []}
        return pd.DataFrame([r if r is not None else empty for r in rows])


def parse_journey(geojson: str | None, depart_s: int) -> dict | None:
    """Travel time and anchor stops of a ferrobus journey (GeoJSON text).

    Examples
    --------
    >>> leg = {"type": "Feature", "geometry": {"type": "LineString",
    ...     "coordinates": [[0.0, 0.0], [0.1, 0.0]]}, "properties": {"leg_type": "transit",
    ...     "from_name": "a", "to_name": "b", "arrival_time": 28000}}
    >>> parse_journey(json.dumps({"features": [leg]}), 27000)["stops"]
    ['a', 'b']
    """
    if geojson is None or geojson == "null":
        return None
    features = json.loads(geojson).get("features", [])
    stops, where, end, legs = [], [], depart_s, 0
    for f in features:
        prop = f.get("properties", {})
        end = max(end, prop.get("arrival_time", end))
        if prop.get("leg_type") != "transit":
            continue
        legs += 1
        coords = f["geometry"]["coordinates"]
        for stop, xy in ((prop["from_name"], coords[0]), (prop["to_name"], coords[-1])):
            if not stops or stops[-1] != stop:
                stops.append(str(stop))
                where.append((float(xy[0]), float(xy[1])))
    return {"time_s": float(end - depart_s), "legs": legs, "stops": stops, "stop_lonlat": where}
