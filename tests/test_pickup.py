"""Customers' pickup trips: the mode shares follow the published shares by distance."""

from __future__ import annotations

import numpy as np
import pytest

from lockerplan.errors import InputError
from lockerplan.pickup import PickupTrips


def test_walking_shares_match_the_measured_bands():
    """Transport Scotland 2017, table TD2a: walked 64.9 % (0-1 km), 30.1 % (1-2 km),
    10.0 % (2-3 km) by straight-line distance; here at the bands' mid-points."""
    trips = PickupTrips()
    network_m = np.array([0.5, 1.5, 2.5]) * 1000 * trips.circuity
    walked = trips.shares(network_m).walk
    assert walked == pytest.approx([0.649, 0.301, 0.100], abs=0.01)


def test_shares_sum_to_one_and_walking_falls_with_the_walk():
    trips = PickupTrips()
    walk_m = np.linspace(0, 5000, 51)
    s = trips.shares(walk_m)
    assert np.allclose(s.walk + s.car + s.other, 1.0)
    assert np.all(np.diff(s.walk) < 0) and np.all(np.diff(s.car) > 0)


def test_walking_pickups_emit_nothing_and_chained_trips_add_no_km():
    parcels, walk = np.array([100.0, 50.0]), np.array([300.0, 900.0])
    assert PickupTrips(mode="walk").co2_kg(parcels, walk) == 0.0
    assert PickupTrips(chained_share=1.0).co2_kg(parcels, walk) == 0.0
    half = PickupTrips(chained_share=0.5).co2_kg(parcels, walk)
    none = PickupTrips(chained_share=0.0).co2_kg(parcels, walk)
    assert half == pytest.approx(none / 2)


@pytest.mark.parametrize(
    "bad", [{"mode": "bus"}, {"chained_share": 1.5}, {"car_co2_kg_per_km": float("nan")}]
)
def test_bad_settings_name_the_setting(bad):
    with pytest.raises(InputError, match="pickup"):
        PickupTrips(**bad)
