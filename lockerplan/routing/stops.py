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
