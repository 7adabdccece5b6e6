"""Home stops at the level of addresses, held against a brute-force count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lockerplan.routing.stops import expected_stops


def test_expected_stops_equal_a_brute_force_count_of_simulated_days():
    """Days drawn parcel by parcel (Poisson per address): the mean count of
    addresses with at least one attempt equals the formula."""
    rng = np.random.default_rng(7)
    addresses = np.array([1, 3, 12, 40])
    parcels = np.array([0.4, 2.5, 6.0, 15.0])
    days = 100_000
    counted = []
    for a, h in zip(addresses, parcels, strict=True):
        per_address = rng.poisson(h * 1.1 / a, size=(days, a))  # 10 % tried again
        counted.append((per_address > 0).sum(axis=1).mean())
    model = expected_stops(addresses, parcels, failure_rate=0.1)
    assert model == pytest.approx(counted, rel=0.015)


def test_stops_never_exceed_attempts_or_addresses_and_fall_with_the_parcels():
    a = np.full(50, 20.0)
    h = np.linspace(0, 60, 50)
    s = expected_stops(a, h)
    assert np.all(s <= a + 1e-12) and np.all(s <= h + 1e-12)
    assert np.all(np.diff(s) > 0)


def test_lockers_cut_stops_in_proportion_where_addresses_get_little():
    """Houses (1 parcel a week each): half the parcels to lockers, about half the stops;
    an apartment block (3 a day each): hardly any fewer stops."""
    houses = expected_stops(np.array([100.0]), np.array([100 / 7]))
    houses_half = expected_stops(np.array([100.0]), np.array([50 / 7]))
    assert houses_half / houses == pytest.approx(0.5, abs=0.05)
    block = expected_stops(np.array([1.0]), np.array([3.0]))
    block_half = expected_stops(np.array([1.0]), np.array([1.5]))
    assert block_half / block > 0.8


def test_a_cluster_of_houses_sheds_stops_km_and_time_when_lockers_take_half():
    """The day's work of a cluster follows its address stops: half the parcels of 200
    houses to lockers, about half the stops, and the tour between them falls as the
    square root of the stops (Beardwood-Halton-Hammersley)."""
    import geopandas as gpd

    from lockerplan.routing.stops import door_stops

    def day(parcels: float) -> pd.Series:
        d = gpd.GeoDataFrame(
            {"site_id": ["c0"], "parcels_per_day": [parcels], "addresses": [200.0],
             "area_m2": [40_000.0]},
            geometry=gpd.points_from_xy([24.9], [60.2]), crs=4326,
        )  # fmt: skip
        return door_stops(d, failure_rate=0.05, stop_service_s=60).iloc[0]

    full, half = day(30.0), day(15.0)
    assert half["stops"] / full["stops"] == pytest.approx(0.5, abs=0.05)
    assert half["tour_km"] / full["tour_km"] == pytest.approx(np.sqrt(0.5), abs=0.05)
    work = [r["extra_s_per_parcel"] * r["parcels_per_day"] for r in (full, half)]
    assert work[1] < 0.6 * work[0]
