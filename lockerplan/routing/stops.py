"""Home-delivery stops at the level of addresses.

A demand cluster holds several delivery addresses (buildings, order addresses,
or the dwellings of a population grid cell). On a day the van stops at each
address that receives at least one parcel at home, not once per cluster and not
once per parcel. With parcels arriving at an address at random (Poisson) at a
rate ``lam`` a day, the address gets at least one with probability
``1 - exp(-lam)``, so a cluster of ``a`` addresses sharing ``h`` home parcels a
day expects

    stops = a * (1 - exp(-h / a))

stops: about ``h`` where parcels are sparse (one stop per parcel), about ``a``
where they are dense (every address every day). Failed first attempts are tried
again the next day: a day carries ``h * (1 + f)`` attempts, and the stops follow
the attempts. When lockers take a share of a cluster's parcels, ``h`` falls and
with it the stops: few where each address gets many parcels (an apartment
block), nearly in proportion where addresses get less than one a day (houses).

Examples
--------
>>> expected_stops(np.array([100.0, 1.0]), np.array([10.0, 10.0])).round(2).tolist()
[9.52, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError


def expected_stops(
    addresses: np.ndarray, parcels: np.ndarray, failure_rate: float = 0.0
) -> np.ndarray:
    """Expected stops a day per cluster: addresses that receive at least one attempt.

    Parameters
    ----------
    addresses : numpy.ndarray
        Delivery addresses per cluster (>= 0; fractional sums of grid cells are fine).
    parcels : numpy.ndarray
        Home parcels per day per cluster (>= 0).
    failure_rate : float, default 0
        Share of first attempts that fail and are tried again the next day.

    Returns
    -------
    numpy.ndarray
        ``addresses * (1 - exp(-parcels * (1 + failure_rate) / addresses))``; 0 where
        either is 0. Never more than the attempts or the addresses.

    Examples
    --------
    >>> expected_stops(np.array([4.0]), np.array([2.0]), failure_rate=0.1).round(3).tolist()
    [1.692]
    """
    a = np.asarray(addresses, dtype=float)
    h = np.asarray(parcels, dtype=float) * (1.0 + float(failure_rate))
    if np.any(~np.isfinite(a) | (a < 0)) or np.any(~np.isfinite(h) | (h < 0)):
        raise InputError("addresses and parcels must be finite and >= 0 for every cluster.")
    out = np.zeros(np.broadcast(a, h).shape)
    some = (a > 0) & (h > 0)
    a_, h_ = np.broadcast_to(a, out.shape)[some], np.broadcast_to(h, out.shape)[some]
    out[some] = -a_ * np.expm1(-h_ / a_)
    return out


#: Beardwood-Halton-Hammersley constant of the tour through random points (Euclidean).
BHH = 0.7124
#: Street distance per straight-line distance (urban road networks: about 1.2-1.4).
CIRCUITY = 1.3
#: Speed of the van between stops inside a cluster or zone, km/h (urban, stop-and-go).
LOCAL_SPEED_KMH = 20.0


def inner_tour_km(stops: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """Length of a van's tour through ``stops`` spread over ``area_m2``, km.

    The Beardwood-Halton-Hammersley law of continuum logistics (Daganzo 1984):
    ``BHH * sqrt(n * A)`` times :data:`CIRCUITY` for the streets; 0 for one stop
    or less (the routed stop itself).

    Examples
    --------
    >>> inner_tour_km(np.array([1.0, 16.0]), np.array([1e4, 1e4])).round(3).tolist()
    [0.0, 0.37]
    """
    n = np.asarray(stops, dtype=float)
    a = np.maximum(np.asarray(area_m2, dtype=float), 0.0)
    return np.where(n > 1, BHH * np.sqrt(n * a) * CIRCUITY / 1000, 0.0)


def door_stops(demand: pd.DataFrame, failure_rate: float, stop_service_s: float) -> pd.DataFrame:
    """Demand clusters as home-delivery stops of a day, at the level of addresses.

    Each cluster is one routed stop that carries its attempts (parcels plus the
    re-delivery of failed first attempts) and, besides the routed stop, the work
    of its other expected address stops (:func:`expected_stops`; fewer than one
    parks less): a parking stop each and the tour between them
    (:func:`inner_tour_km` at :data:`LOCAL_SPEED_KMH`), spread per attempt as
    ``extra_s_per_parcel`` and ``km_per_parcel``. Without an ``addresses``
    column every parcel is its own address (one stop per attempt); without
    ``area_m2``, the circle of the cluster's ``spread_m``.

    Parameters
    ----------
    demand : pandas.DataFrame
        ``site_id`` (the cluster id), ``parcels_per_day`` (home parcels), geometry,
        and optionally ``addresses``, ``area_m2`` and ``spread_m``.
    failure_rate : float
        Share of first attempts that fail and are tried again the next day.
    stop_service_s : float
        Seconds per parking stop.

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``parcels_per_day`` (attempts), ``stops``, ``tour_km``,
        ``extra_s_per_parcel``, ``km_per_parcel``, ``area_m2`` and the geometry, for the
        clusters with parcels.

    Examples
    --------
    >>> import geopandas as gpd
    >>> d = gpd.GeoDataFrame({"site_id": ["c0"], "parcels_per_day": [10.0],
    ...     "addresses": [100.0], "area_m2": [1e4]}, geometry=gpd.points_from_xy([0], [0]))
    >>> door_stops(d, 0.0, 60)[["parcels_per_day", "stops", "tour_km"]].round(2).values.tolist()
    [[10.0, 9.52, 0.29]]
    """
    parcels = pd.to_numeric(demand["parcels_per_day"], errors="coerce").to_numpy(dtype=float)
    attempts = parcels * (1 + failure_rate)
    addresses = (
        demand["addresses"].to_numpy(dtype=float) if "addresses" in demand else attempts.copy()
    )
    if "area_m2" in demand:
        area = demand["area_m2"].to_numpy(dtype=float)
    else:
        spread = demand["spread_m"].to_numpy(dtype=float) if "spread_m" in demand else 0.0
        area = np.pi * np.square(spread) * np.ones(len(demand))
    ok = np.nan_to_num(attempts, nan=1.0) > 0
    stops = np.zeros(len(demand))
    stops[ok] = expected_stops(
        np.maximum(np.nan_to_num(addresses[ok]), 1.0), np.nan_to_num(parcels[ok]), failure_rate
    )
    tour_km = inner_tour_km(stops, area)
    # the routed stop's own parking is the fleet's; a cluster expecting less than one
    # stop a day parks that much less (its extra is negative)
    tour_s = tour_km / LOCAL_SPEED_KMH * 3600 + (stops - 1) * stop_service_s
    per = np.where(attempts > 0, attempts, 1.0)
    out = pd.DataFrame(
        {
            "site_id": demand["site_id"].astype(str).to_numpy(),
            "parcels_per_day": attempts,
            "stops": stops,
            "tour_km": tour_km,
            "extra_s_per_parcel": tour_s / per,
            "km_per_parcel": tour_km / per,
            "area_m2": area,
            "geometry": demand.geometry.to_numpy(),
        }
    )
    return out[ok]


def locker_stops(sites: pd.DataFrame, handover_s: float, locker_parcel_s: float) -> pd.DataFrame:
    """Open sites as stops of a home-delivery day (one fleet for lockers and doors).

    A locker is one stop with its parcels; loading a compartment takes
    ``locker_parcel_s`` a parcel instead of a door's ``handover_s`` (the difference
    is its ``extra_s_per_parcel``, below 0).

    Examples
    --------
    >>> import geopandas as gpd
    >>> s = gpd.GeoDataFrame({"site_id": ["osm1"], "parcels_per_day": [40.0]},
    ...     geometry=gpd.points_from_xy([0], [0]))
    >>> locker_stops(s, 90, 6)[["stops", "extra_s_per_parcel", "locker"]].values.tolist()
    [[1.0, -84.0, True]]
    """
    n = len(sites)
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str).to_numpy(),
            "parcels_per_day": sites["parcels_per_day"].to_numpy(dtype=float),
            "stops": np.ones(n),
            "tour_km": np.zeros(n),
            "extra_s_per_parcel": np.full(n, float(locker_parcel_s - handover_s)),
            "km_per_parcel": np.zeros(n),
            "area_m2": np.zeros(n),
            "locker": np.ones(n, dtype=bool),
            "geometry": sites.geometry.to_numpy(),
        }
    )
