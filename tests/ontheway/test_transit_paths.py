"""Transit paths on Porto Alegre's real feeds (skipped without the benchmark data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lockerplan.errors import InputError
from lockerplan.ontheway import TransitParams, TransitRouter, prepare_feeds


@pytest.fixture(scope="module")
def poa(bench_dir):
    osm = bench_dir / "osm" / "porto_alegre_2020.osm.pbf"
    feeds = [bench_dir / "gtfs" / "poa_eptc.zip", bench_dir / "gtfs" / "poa_trensurb.zip"]
    if not (osm.is_file() and all(f.is_file() for f in feeds)):
        pytest.skip(f"Porto Alegre OSM or GTFS data not found in {bench_dir}")
    return osm, feeds


def test_every_stop_time_is_filled_and_runs_forward(poa):
    _, paths = poa
    feeds = prepare_feeds(paths)
    assert feeds.date.weekday() == 2  # the first Wednesday both feeds serve

    # EPTC times only each trip's ends: the rest are filled in, in order along the trip
    st = pd.read_csv(feeds.folders[0] / "stop_times.txt", dtype={"trip_id": str})
    assert st["arrival_time"].notna().all() and st["departure_time"].notna().all()
    secs = st["departure_time"].str.split(":", expand=True).astype(int) @ [3600, 60, 1]
    st = st.assign(s=secs).sort_values(["trip_id", "stop_sequence"])
    assert (st.groupby("trip_id")["s"].diff().dropna() >= 0).all()
    stations = feeds.stops[feeds.stops["station"]]
    assert {"ESTACAO MERCADO", "ESTACAO SAO PEDRO"} <= set(stations["name"])


def test_a_commute_by_train_boards_and_alights_at_its_stations(poa):
    osm, paths = poa
    params = TransitParams(depart_s=7 * 3600 + 30 * 60)
    router = TransitRouter(osm, prepare_feeds(paths, params), params)
    # 100 m from Mercado station to 100 m from Sao Pedro, 2.8 km apart along the line
    lon, lat = np.array([-51.2275, -51.2100]), np.array([-30.0270, -30.0057])
    points = router.points(lon, lat)
    trip = router.journeys(points, np.array([0]), np.array([1])).iloc[0]
    assert trip["legs"] == 1
    assert trip["stops"] == ["MR", "SP"]
    assert trip["time_s"] > 0 and np.isfinite(router.times(points)[0, 1])


def test_a_day_the_feed_does_not_run_is_refused(poa):
    _, paths = poa
    with pytest.raises(InputError, match="runs no trip on 2018-01-03"):
        prepare_feeds(paths[:1], TransitParams(date="2018-01-03"))
