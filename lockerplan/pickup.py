"""Customers' pickup trips: how they reach a locker, and what that emits.

A parcel collected at a locker costs the customer a trip. How it is made
depends on the walk: short walks are walked, longer ones more often driven.
:class:`PickupTrips` splits pickups into walked, driven and other (bicycle,
bus, a passenger), with the shares of everyday trips by distance, and lets a
share of the driven pickups ride on a trip made anyway (chained: no extra km).
Only the driven, unchained pickups emit: a round trip by car at
``car_co2_kg_per_km``.

Walking share by distance ``d`` (straight line, km)::

    walk(d) = 1 / (1 + exp((d - walk_half_km) / walk_scale_km))

fitted to the measured shares of all journeys by straight-line distance in
Scotland, 2017 (Transport Scotland, *Transport and Travel in Scotland 2017*,
table TD2a, 18,320 journeys: walked 64.9 % under 1 km, 30.1 % at 1-2 km, 10.0 %
at 2-3 km, 4.4 % at 3-5 km): through the band mid-points 0.5, 1.5 and 2.5 km
the logit falls 1.4 per km, so ``walk_half_km = 0.92`` and ``walk_scale_km =
0.71``. Of the journeys not walked, car drivers are 60-71 % in every band
(25.0 of 35.1 % under 1 km, 45.3 of 69.9 % at 1-2 km, 54.1 of 90 % at 2-3 km):
``car_share_of_rest = 0.65``; the rest are passengers, cyclists and bus riders,
who add no car km. The walk to a site is a network distance; it is turned
into a straight line with ``circuity`` (1.3, as for the delivery zones).

``chained_share``: the share of driven pickups made on a trip made anyway
(shopping, the commute). 59.7 % of Polish locker users surveyed by SW Research
for SelfMaker (2021, a vendor's survey: a claim) name "while handling other
matters" as a reason to use lockers; lockerplan assumes 0.5.

``car_co2_kg_per_km``: 0.17 kg CO2e per km, an average car of unknown fuel
(UK DESNZ greenhouse-gas conversion factors 2023, "cars, average").

``mode = "walk"`` makes every pickup a walk (the published comparisons of
lockers and home delivery that assume walking pickups, e.g. TNO's).

Examples
--------
>>> trips = PickupTrips()
>>> shares = trips.shares(np.array([100.0, 400.0, 1500.0]))
>>> np.round(shares.walk, 2).tolist()
[0.77, 0.7, 0.42]
>>> round(float(trips.car_km(np.array([10.0]), np.array([400.0]))[0]), 3)
0.772
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from .errors import InputError

#: Pickup modes: ``"mixed"`` (shares by distance) or ``"walk"`` (every pickup walked).
MODES = ("mixed", "walk")


class ModeShares(NamedTuple):
    """Per pickup walk, the share walked, driven (as car driver) and made otherwise."""

    walk: np.ndarray
    car: np.ndarray
    other: np.ndarray


@dataclass(frozen=True)
class PickupTrips:
    """How customers reach a locker, and what their car trips emit.

    The sources of the defaults are in the module's docstring.

    Parameters
    ----------
    mode : {"mixed", "walk"}, default "mixed"
        ``"mixed"``: walked, driven or otherwise by the walk's length;
        ``"walk"``: every pickup is walked.
    walk_half_km : float, default 0.92
        Straight-line distance at which half of the trips are walked.
    walk_scale_km : float, default 0.71
        How fast walking falls with distance (the logistic's scale).
    car_share_of_rest : float, default 0.65
        Share of the trips not walked that are driven (car drivers).
    chained_share : float, default 0.5
        Share of driven pickups made on a trip made anyway (no extra km).
    circuity : float, default 1.3
        Network walk per straight-line distance.
    car_co2_kg_per_km : float, default 0.17
        Emissions of a car km, kg CO2e.
    """

    mode: str = "mixed"
    walk_half_km: float = 0.92
    walk_scale_km: float = 0.71
    car_share_of_rest: float = 0.65
    chained_share: float = 0.5
    circuity: float = 1.3
    car_co2_kg_per_km: float = 0.17

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"pickup mode must be one of {', '.join(MODES)}, got {self.mode!r}.")
        for name, value in asdict(self).items():
            if name == "mode":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"pickup {name} must be a number, got {value!r}.")
            if not math.isfinite(value) or value < 0:
                raise InputError(f"pickup {name} must be a finite number >= 0, got {value!r}.")
        for name in ("car_share_of_rest", "chained_share"):
            if getattr(self, name) > 1:
                raise InputError(
                    f"pickup {name} is a share in [0, 1], got {getattr(self, name)!r}."
                )
        if self.walk_scale_km <= 0 or self.circuity < 1:
            raise InputError(
                "pickup walk_scale_km must be > 0 and circuity >= 1, got "
                f"{self.walk_scale_km!r} and {self.circuity!r}."
            )

    def shares(self, walk_m: np.ndarray) -> ModeShares:
        """Per network walk (metres), the shares walked, driven and made otherwise."""
        walk_m = np.asarray(walk_m, dtype=float)
        if self.mode == "walk":
            one = np.ones_like(walk_m)
            return ModeShares(one, 0 * one, 0 * one)
        d = walk_m / 1000.0 / self.circuity
        walked = 1.0 / (1.0 + np.exp((d - self.walk_half_km) / self.walk_scale_km))
        car = self.car_share_of_rest * (1.0 - walked)
        return ModeShares(walked, car, 1.0 - walked - car)

    def car_km(self, parcels: np.ndarray, walk_m: np.ndarray) -> np.ndarray:
        """Extra car km per day: the unchained driven pickups' round trips.

        ``parcels`` collected per day over a network walk ``walk_m`` each (one
        trip per parcel); the car drives the walk's length each way.
        """
        parcels = np.asarray(parcels, dtype=float)
        driven = self.shares(walk_m).car * (1.0 - self.chained_share)
        return parcels * driven * 2.0 * np.asarray(walk_m, dtype=float) / 1000.0

    def co2_kg(self, parcels: np.ndarray, walk_m: np.ndarray) -> float:
        """Customers' extra car CO2 per day, kg, for these pickups."""
        return float(self.car_km(parcels, walk_m).sum() * self.car_co2_kg_per_km)
