"""Transit paths: the timetables ferrobus is given, and journeys on Porto Alegre's real
feeds (those skipped without the benchmark data)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from lockerplan.errors import InputError
from lockerplan.network import streets_from_osm
from lockerplan.ontheway import TransitParams, TransitRouter, prepare_feeds, raptor_routes


def _stop_times(trips: dict[str, list[tuple[str, int]]]) -> pd.DataFrame:
    rows = [
        {"trip_id": t, "stop_id": s, "stop_sequence": k + 1, "departure_s": d}
        for t, stops in trips.items()
        for k, (s, d) in enumerate(stops)
    ]
    return pd.DataFrame(rows)


def test_the_two_directions_of_a_line_are_two_raptor_routes():
    """Same route_id, same number of stops, opposite order: one route would give half the
    trips the other direction's stop order."""
    st = _stop_times(
        {
            "out": [("a", 0), ("b", 300), ("c", 600)],
            "back": [("c", 0), ("b", 300), ("a", 600)],
            "out2": [("a", 900), ("b", 1200), ("c", 1500)],
        }
    )
    routes = raptor_routes(st)
    assert routes["out"] == routes["out2"] != routes["back"]


def test_a_trip_that_overtakes_another_gets_a_route_of_its_own():
    st = _stop_times(
        {
            "slow": [("a", 0), ("b", 900), ("c", 1800)],
            "fast": [("a", 300), ("b", 600), ("c", 900)],  # leaves later, arrives first
            "next": [("a", 1200), ("b", 2100), ("c", 3000)],
        }
    )
    routes = raptor_routes(st)
    assert routes["slow"] != routes["fast"]
    assert routes["next"] == routes["slow"]  # follows the slow trip everywhere
    # and trips that leave the first stop together never share a route
    tied = _stop_times({"x": [("a", 0), ("b", 60)], "y": [("a", 0), ("b", 60)]})
    assert raptor_routes(tied).nunique() == 2


@pytest.fixture(scope="module")
def poa(bench_dir):
    osm = bench_dir / "osm" / "porto_alegre_2020.osm.pbf"
    feeds = [bench_dir / "gtfs" / "poa_eptc.zip", bench_dir / "gtfs" / "poa_trensurb.zip"]
    if not (osm.is_file() and all(f.is_file() for f in feeds)):
        pytest.skip(f"Porto Alegre OSM or GTFS data not found in {bench_dir}")
    return osm, feeds


def test_every_stop_time_is_filled_runs_forward_and_ids_cannot_meet(poa):
    _, paths = poa
    feeds = prepare_feeds(paths)
    assert feeds.date.weekday() == 2  # the first Wednesday both feeds serve
    st = feeds.tables["stop_times"]
    # EPTC times only each trip's ends: the rest are filled in, in order along the trip
    assert st["arrival_time"].notna().all() and st["departure_time"].notna().all()
    secs = st["departure_time"].str.split(":", expand=True).astype(int) @ [3600, 60, 1]
    st = st.assign(s=secs).sort_values(["trip_id", "stop_sequence"])
    assert (st.groupby("trip_id")["s"].diff().dropna() >= 0).all()
    # every id carries its feed's number; each RAPTOR route has one stop order
    assert st["stop_id"].str.match(r"^[01]:").all()
    pattern = st.groupby("trip_id")["stop_id"].agg(tuple)
    per_route = feeds.tables["trips"].set_index("trip_id")["route_id"]
    assert pattern.groupby(per_route.loc[pattern.index].to_numpy()).nunique().max() == 1
    stations = feeds.stops[feeds.stops["station"]]
    assert {"ESTACAO MERCADO", "ESTACAO SAO PEDRO"} <= set(stations["name"])


def test_a_commute_by_train_boards_and_alights_at_its_stations(poa):
    osm, paths = poa
    params = TransitParams(depart_s=7 * 3600 + 30 * 60)
    walk = streets_from_osm(osm, "walk").arrays()
    router = TransitRouter(walk, prepare_feeds(paths, params), params)
    starts = router.stop_points(["1:MR"])  # Mercado station
    ends = router.place_points(np.array([-51.2100]), np.array([-30.0057]))  # by Sao Pedro
    trip = router.journeys(starts, ends, np.array([0]), np.array([0])).iloc[0]
    assert trip["legs"] == 1
    assert trip["stops"] == ["1:MR", "1:SP"]
    assert trip["time_s"] > 0 and np.isfinite(router.times(starts, ends)[0, 0])


def test_a_day_the_feed_does_not_run_is_refused(poa):
    _, paths = poa
    with pytest.raises(InputError, match="runs no trip on 2018-01-03"):
        prepare_feeds(paths[:1], TransitParams(date="2018-01-03"))


_JOURNEYS = """
import sys, hashlib
import numpy as np
from lockerplan.network import streets_from_osm
from lockerplan.ontheway import TransitParams, TransitRouter, prepare_feeds
osm, *gtfs = sys.argv[1:]
params = TransitParams(depart_s=12 * 3600 + 30 * 60)
feeds = prepare_feeds(gtfs, params)
router = TransitRouter(streets_from_osm(osm, "walk").arrays(), feeds, params)
stops = feeds.stops[feeds.stops["key"].str.startswith("0:")].iloc[::25]
starts = router.stop_points(list(stops["key"]))
ends = router.place_points(stops["lon"].to_numpy()[::-1] + 0.001, stops["lat"].to_numpy()[::-1])
n = len(starts)
found = router.journeys(starts, ends, np.arange(n), np.arange(n))
times = router.times(starts, ends)
print(hashlib.sha256(repr(found["stops"].tolist()).encode() + times.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_the_same_journeys_in_another_process(poa):
    """ferrobus 0.2.1 builds its routes, keeps parallel streets and breaks ties in orders
    that change from process to process; with the routes split, lockerplan's streets and
    the boarding stop given, two processes find the same times and stops on the way."""
    osm, paths = poa
    args = [sys.executable, "-c", textwrap.dedent(_JOURNEYS), str(osm), *map(str, paths)]
    runs = [subprocess.run(args, capture_output=True, text=True, check=True) for _ in range(2)]
    assert runs[0].stdout.strip() == runs[1].stdout.strip() != ""
