"""The way between on transit: GTFS feeds, a RAPTOR router, each commute's stops.

Feeds are read and checked with gtfs-kit and cut to one service day; routing is
done by ferrobus (RAPTOR, Delling et al. 2012, on the timetable plus the OSM
street network for the walks to, from and between stops), which builds offline
from the OSM extract and the feeds and answers a city's whole cell-to-cell matrix
in seconds. r5py downloads the R5 jar from GitHub when first run, which fails
offline; gtfs2nx averages headways into a graph without the streets: neither
gives timetable paths offline.

What ferrobus is given is made here, so that its answers are the same in every
process:

* GTFS allows times only at timepoints; RAPTOR needs a time at every stop, so the
  missing ones are interpolated along each trip by the distance between its stops
  (as R5 and OpenTripPlanner do).
* ferrobus 0.2.1 makes one RAPTOR route of all trips of a ``route_id`` with the same
  number of stops, taking the stop order of the one that leaves first (ties in an
  order that changes from process to process), so the two directions of a bus line
  can share one stop order. Here every stop pattern of a route gets a route of its
  own, split further wherever a trip would overtake another (RAPTOR assumes none
  does): :func:`raptor_routes`.
* Stop, trip and route ids are prefixed with their feed's number (``"1:MR"``), so
  that two feeds' ids cannot meet; the day's trips run under one service.
* ferrobus boards at the one stop nearest a point, ties broken in an order that
  changes from process to process. Commutes therefore start *at* a stop that
  lockerplan chose (:meth:`TransitRouter.stop_points`; the walk there is measured on
  lockerplan's own walk network), and end at a point linked to every stop within
  the walk, so that no tie is ever broken by ferrobus.
* ferrobus reads its streets from an OSM file and keeps, of two ways between the same
  two junctions, whichever it read first, in an order that also changes between
  runs. It is given lockerplan's own walk network instead (:func:`street_extract`):
  each street once, as long as lockerplan measures it, so that walks to, from and
  between stops are those of the rest of the plan (at ferrobus' 1.4 m/s).

A commute's *anchors* are where its rider stands on the way: the boarding stop,
the stops of every transfer (alighting and boarding again), the alighting stop.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ferrobus
import gtfs_kit as gk
import numpy as np
import osmium
import pandas as pd
import pyproj
from scipy import sparse

from ..distances import GraphArrays
from ..errors import InputError
from .timetable import fill_stop_times, hms, raptor_routes, seconds

log = logging.getLogger(__name__)

#: Departure time of the commutes, seconds after midnight: 07:30, the middle of
#: the 07:00-08:00 hour taken as the weekday morning peak (a convention, not a
#: measured peak of a given city).
DEPART_S = 7 * 3600 + 30 * 60

#: Longest walk from a point to the street network and the stops near it, and
#: between stops at a transfer, seconds (ferrobus' default: 20 minutes).
MAX_WALK_S = 1200

#: Stops a destination point is linked to at most: more than any point has within
#: :data:`MAX_WALK_S`, so that the set is every stop within the walk, not a tie-broken
#: cut of it.
ALL_STOPS = 100_000

#: GTFS ``route_type`` values of rail (tram, metro, rail, monorail): their stops
#: are stations.
RAIL_TYPES = (0, 1, 2, 12)

#: The one service of the prepared day.
SERVICE = "day"


@dataclass(frozen=True)
class TransitParams:
    """Settings of the transit paths; checked when made.

    Parameters
    ----------
    date : datetime.date or str, optional
        Service day (``"2019-05-15"``); default: the first Wednesday every feed serves.
    depart_s : int, default :data:`DEPART_S`
        Departure time from the boarding stop, seconds after midnight.
    max_transfers : int, default 3
        Most transfers a journey may make.
    max_walk_s : int, default :data:`MAX_WALK_S`
        Longest walk to reach the network and stops from a point.

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
        for name, low in (("max_transfers", 0), ("max_walk_s", 1)):
            value = getattr(self, name)
            if not (_whole(value) and value >= low):
                raise InputError(f"{name} must be a whole number >= {low}, got {value!r}.")


def _whole(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


@dataclass(frozen=True)
class Feeds:
    """GTFS feeds prepared for routing on one day (the tables ferrobus reads).

    Attributes
    ----------
    date : datetime.date
    stops : pandas.DataFrame
        The stops the day's trips serve: ``key`` (``"<feed number>:<stop_id>"``, the
        id ferrobus knows), ``stop_id``, ``name``, ``lon``, ``lat``, ``feed`` (file
        name), ``station`` (served by rail); sorted by ``key``.
    spans : dict
        Per feed, the first and last departure of the day, seconds after midnight.
    tables : dict
        The GTFS tables to write for ferrobus (``stops``, ``routes``, ``trips``,
        ``stop_times``, ``calendar``), every id prefixed, every stop time filled in.
    """

    date: dt.date
    stops: pd.DataFrame = field(repr=False)
    spans: dict[str, tuple[int, int]]
    tables: dict[str, pd.DataFrame] = field(repr=False)

    def write(self, folder: str | Path) -> Path:
        """The tables as a GTFS folder (with the optional files ferrobus looks for,
        empty), for :func:`ferrobus.create_transit_model`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        empty = {
            "calendar_dates": "service_id,date,exception_type",
            "transfers": "from_stop_id,to_stop_id,transfer_type,min_transfer_time",
            "feed_info": "feed_publisher_name,feed_publisher_url,feed_lang",
        }
        for name, table in self.tables.items():
            table.to_csv(folder / f"{name}.txt", index=False)
        for name, header in empty.items():
            (folder / f"{name}.txt").write_text(header + "\n", encoding="utf-8")
        return folder


def prepare_feeds(paths: list[str | Path], params: TransitParams | None = None) -> Feeds:
    """Read GTFS feeds, cut them to one day, fill in every stop time, split the routes.

    Parameters
    ----------
    paths : list of str or pathlib.Path
        GTFS zip files or folders.
    params : TransitParams, optional
        ``date`` (default: the first Wednesday every feed serves) and ``depart_s``
        (a warning is logged when a feed runs no trip then).

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
    parts: dict[str, list[pd.DataFrame]] = {
        "stops": [],
        "routes": [],
        "trips": [],
        "stop_times": [],
    }
    stops, spans = [], {}
    for k, (path, feed) in enumerate(zip(paths, raw, strict=True)):
        name = Path(path).name
        day = feed.restrict_to_dates([date.strftime("%Y%m%d")])
        if len(day.trips) == 0:
            raise InputError(
                f"--gtfs: {str(path)!r} runs no trip on {date} (its days: "
                f"{_days(feed)}); give a date the feed serves."
            )
        st = fill_stop_times(day.stop_times, day.stops)
        spans[name] = (int(st["departure_s"].min()), int(st["departure_s"].max()))
        if not spans[name][0] <= params.depart_s <= spans[name][1]:
            log.warning(
                "%s runs trips only from %s to %s on %s, not at %s: its lines take no commuter",
                name,
                hms(spans[name][0]),
                hms(spans[name][1]),
                date,
                hms(params.depart_s),
            )
        served = _served_stops(day, name, k)
        stops.append(served)
        for table, frame in _ferrobus_tables(day, st, served, k).items():
            parts[table].append(frame)
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    tables["calendar"] = _calendar(date)
    all_stops = pd.concat(stops, ignore_index=True).sort_values("key", ignore_index=True)
    log.info(
        "GTFS: %d stops, %d trips in %d RAPTOR routes on %s",
        len(all_stops),
        len(tables["trips"]),
        len(tables["routes"]),
        date,
    )
    return Feeds(date, all_stops, spans, tables)


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


def _served_stops(feed: gk.Feed, name: str, k: int) -> pd.DataFrame:
    """The stops the day's trips serve, with whether rail serves them."""
    st = feed.stop_times[["trip_id", "stop_id"]].drop_duplicates()
    kinds = st.merge(feed.trips[["trip_id", "route_id"]], on="trip_id").merge(
        feed.routes[["route_id", "route_type"]], on="route_id"
    )
    rail = kinds.groupby("stop_id")["route_type"].agg(lambda t: bool(np.isin(t, RAIL_TYPES).any()))
    stops = feed.stops.set_index("stop_id").loc[rail.index]
    ids = rail.index.astype(str)
    return pd.DataFrame(
        {
            "key": [f"{k}:{i}" for i in ids],
            "stop_id": ids,
            "name": stops["stop_name"].fillna("").astype(str).to_numpy(),
            "lon": stops["stop_lon"].to_numpy(dtype=float),
            "lat": stops["stop_lat"].to_numpy(dtype=float),
            "feed": name,
            "station": rail.to_numpy(dtype=bool),
        }
    )


def _ferrobus_tables(
    day: gk.Feed, st: pd.DataFrame, served: pd.DataFrame, k: int
) -> dict[str, pd.DataFrame]:
    """One feed's day as the tables ferrobus reads: ids prefixed with ``k``, one service,
    a route per pattern and overtaking (:func:`raptor_routes`)."""
    prefix = f"{k}:"
    st = st.assign(arrival_s=np.rint(seconds(st["arrival_time"])))
    number = raptor_routes(st)
    trips = day.trips[day.trips["trip_id"].isin(number.index)]
    base = trips["route_id"].astype(str).to_numpy()
    raptor_id = [
        f"{prefix}{r}~{n}" for r, n in zip(base, number.loc[trips["trip_id"]], strict=True)
    ]
    routes = (
        pd.DataFrame({"route_id": raptor_id, "base": base})
        .drop_duplicates("route_id")
        .merge(
            day.routes.assign(base=day.routes["route_id"].astype(str))[
                ["base", "route_type", "route_short_name"]
            ],
            on="base",
            how="left",
        )
    )
    return {
        "stops": pd.DataFrame(
            {
                "stop_id": served["key"],
                "stop_name": served["name"],
                "stop_lat": served["lat"],
                "stop_lon": served["lon"],
            }
        ),
        "routes": routes[["route_id", "route_type", "route_short_name"]],
        "trips": pd.DataFrame(
            {
                "route_id": raptor_id,
                "service_id": SERVICE,
                "trip_id": prefix + trips["trip_id"].astype(str).to_numpy(),
            }
        ),
        "stop_times": pd.DataFrame(
            {
                "trip_id": prefix + st["trip_id"].astype(str),
                "arrival_time": st["arrival_time"],
                "departure_time": st["departure_time"],
                "stop_id": prefix + st["stop_id"].astype(str),
                "stop_sequence": st["stop_sequence"].astype(int),
            }
        ),
    }


def _calendar(date: dt.date) -> pd.DataFrame:
    """One service, running on ``date`` only."""
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    row = {"service_id": SERVICE, **{d: int(i == date.weekday()) for i, d in enumerate(days)}}
    text = date.strftime("%Y%m%d")
    return pd.DataFrame([{**row, "start_date": text, "end_date": text}])


@contextlib.contextmanager
def _stderr_to_log(what: str) -> Iterator[None]:
    """What ferrobus prints to the process's stderr while building, logged instead."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            fd = os.dup(2)
        except OSError:  # no stderr to redirect
            yield
            return
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(fd, 2)
            os.close(fd)
            sink.seek(0)
            for line in sink.read().decode("utf-8", "replace").splitlines():
                if line.strip():
                    log.info("%s: %s", what, line.strip())


def street_extract(arrays: GraphArrays, path: str | Path) -> Path:
    """A walk network as an OSM file of footways, for ferrobus' streets.

    Every pair of linked nodes becomes one way (the shortest of parallel edges), through
    one made-up node set off the straight line so that the way is as long as the
    network's edge: ferrobus measures ways along their nodes.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    path : str or pathlib.Path
        The ``.osm.pbf`` file to write.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    lengths = sparse.coo_matrix(arrays.length.maximum(arrays.length.T))
    keep = lengths.row < lengths.col
    u, v, length = lengths.row[keep], lengths.col[keep], lengths.data[keep]
    a, b = arrays.xy[u], arrays.xy[v]
    d = np.hypot(*(b - a).T)
    # the shortest of the two directions where both exist (maximum took the longer)
    short = sparse.csr_matrix(arrays.length)
    both = np.asarray(short[u, v]).ravel(), np.asarray(short[v, u]).ravel()
    length = np.where((both[0] > 0) & (both[1] > 0), np.minimum(*both), length)
    rise = np.sqrt(np.maximum((length / 2) ** 2 - (d / 2) ** 2, 0.0))
    normal = np.divide(
        np.column_stack([-(b - a)[:, 1], (b - a)[:, 0]]),
        d[:, None],
        out=np.zeros_like(a),
        where=d[:, None] > 0,
    )
    mid = (a + b) / 2 + normal * rise[:, None]
    to_deg = pyproj.Transformer.from_crs(arrays.crs, "EPSG:4326", always_xy=True)
    nodes = np.column_stack(to_deg.transform(*np.r_[arrays.xy, mid].T))
    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    try:
        for i, (x, y) in enumerate(nodes, start=1):
            writer.add_node(osmium.osm.mutable.Node(id=i, location=(x, y)))
        n = len(arrays.xy)
        for k, (i, j) in enumerate(zip(u, v, strict=True)):
            ends = [int(i) + 1, n + k + 1, int(j) + 1]
            writer.add_way(
                osmium.osm.mutable.Way(id=k + 1, nodes=ends, tags={"highway": "footway"})
            )
    finally:
        writer.close()
    return path


class TransitRouter:
    """Journeys on the feeds and the streets of an OSM extract (ferrobus' RAPTOR).

    Parameters
    ----------
    streets : str, pathlib.Path or GraphArrays
        The walk network (:func:`street_extract` makes ferrobus' streets of it), or an
        OSM extract (PBF) whose footways ferrobus reads itself.
    feeds : Feeds
        From :func:`prepare_feeds`.
    params : TransitParams, optional

    Examples
    --------
    >>> router = TransitRouter(walk_arrays, prepare_feeds(gtfs))  # doctest: +SKIP
    >>> starts = router.stop_points(["1:MR"])  # doctest: +SKIP
    >>> router.times(starts, router.place_points(lon, lat)).shape  # doctest: +SKIP
    (1, 1004)
    """

    def __init__(
        self,
        streets: str | Path | GraphArrays,
        feeds: Feeds,
        params: TransitParams | None = None,
    ):
        self.params = params or TransitParams()
        self.feeds = feeds
        self._where = feeds.stops.set_index("key")[["lon", "lat"]]
        with tempfile.TemporaryDirectory(prefix="lockerplan-gtfs-") as tmp:
            folder = feeds.write(Path(tmp) / "feed")
            if isinstance(streets, GraphArrays):
                streets = street_extract(streets, Path(tmp) / "streets.osm.pbf")
            try:
                with _stderr_to_log("ferrobus"):
                    self.model = ferrobus.create_transit_model(
                        str(streets), [str(folder)], feeds.date, self.params.max_walk_s
                    )
            except (RuntimeError, ValueError, OSError) as exc:
                raise InputError(f"--gtfs: the transit model cannot be built ({exc}).") from exc
        log.info("transit model: %s", self.model)

    def stop_points(self, keys: list[str]) -> list:
        """ferrobus points at stops (their ``key``): a journey from one boards there.

        None where the stop is off the extract's streets.
        """
        xy = self._where.loc[list(keys)]
        return self._points(xy["lon"].to_numpy(), xy["lat"].to_numpy(), 1)

    def place_points(self, lon: np.ndarray, lat: np.ndarray) -> list:
        """ferrobus points at places, linked to every stop within the walk (journeys
        end at them); None where no street is within reach."""
        return self._points(np.asarray(lon, float), np.asarray(lat, float), ALL_STOPS)

    def _points(self, lon: np.ndarray, lat: np.ndarray, stops: int) -> list:
        out = []
        for x, y in zip(lon, lat, strict=True):
            try:
                out.append(
                    ferrobus.create_transit_point(y, x, self.model, self.params.max_walk_s, stops)
                )
            except (ValueError, RuntimeError):
                out.append(None)
        missing = sum(q is None for q in out)
        if missing:
            log.info("transit: %d of %d points have no street within reach", missing, len(out))
        return out

    def times(self, starts: list, ends: list) -> np.ndarray:
        """Travel times from each start to each end, seconds (``inf``: no way).

        Waiting and riding (and the walks between stops and to the end), leaving at
        ``params.depart_s``; a start at a stop (:meth:`stop_points`) boards there.
        """
        both = list(starts) + list(ends)
        ok = np.flatnonzero([q is not None for q in both])
        full = np.full((len(both), len(both)), np.inf)
        if len(ok):
            m = ferrobus.travel_time_matrix(
                self.model, [both[i] for i in ok], self.params.depart_s, self.params.max_transfers
            )
            full[np.ix_(ok, ok)] = np.array(
                [[np.inf if v is None else v for v in row] for row in m], dtype=float
            )
        return full[: len(starts), len(starts) :]

    def journeys(
        self, starts: list, ends: list, start: np.ndarray, end: np.ndarray
    ) -> pd.DataFrame:
        """Each commute's stops: boarding, transfers, alighting.

        Parameters
        ----------
        starts, ends : list
            Points (:meth:`stop_points`, :meth:`place_points`).
        start, end : numpy.ndarray
            Each commute's indices into ``starts`` and ``ends``.

        Returns
        -------
        pandas.DataFrame
            One row per commute: ``time_s`` (NaN: no journey), ``legs`` (transit
            rides), ``stops`` (the stop keys where the rider stands, boarding first,
            alighting last) and ``stop_lonlat`` (their coordinates).
        """
        start, end = np.asarray(start), np.asarray(end)
        rows: list[dict | None] = [None] * len(start)
        p = self.params
        for s in np.unique(start):
            idx = np.flatnonzero(start == s)
            good = [k for k in idx if starts[s] is not None and ends[end[k]] is not None]
            if not good:
                continue
            found = ferrobus.parallel_detailed_journeys(
                self.model, starts[s], [ends[end[k]] for k in good], p.depart_s, p.max_transfers
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
    ...     "from_name": "1:a", "to_name": "1:b", "arrival_time": 28000}}
    >>> parse_journey(json.dumps({"features": [leg]}), 27000)["stops"]
    ['1:a', '1:b']
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
