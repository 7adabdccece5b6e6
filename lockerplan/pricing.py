"""Cost to serve and locker prices by zone: the discount on locker delivery that pays.

A parcel that moves from the door to a locker saves the carrier its share of a home
stop and its handover, with the failed first attempts re-delivered, and costs it a
compartment and the loading at the locker. Per demand cluster ``i`` (with ``h``
parcels delivered home to ``a`` addresses: :mod:`lockerplan.routing.stops`)::

    door time per parcel     (1 + failure) x (handover + S(h) / h x stop)
    saved per parcel moved   (1 + failure) x (handover + exp(-h / a) x stop)
                             - loading at the locker
    saving                   saved time x the door-to-door day's cost per driver hour
                             - a compartment's cost per parcel

``S(h) = a (1 - exp(-h / a))`` are the expected address stops, so ``exp(-h / a)`` is
the stop one more parcel at home adds (fewer where addresses already get parcels).
The door-to-door day's cost per driver hour is the plan's own routes' (vans, km and
driver over their hours). A compartment costs ``cabinet_per_day`` over the parcels a
module hands out a day.

A discount ``d`` on locker delivery in a zone moves customers by the choice model
(:mod:`lockerplan.choice`, ``discount_utility``): the zone's net saving is

    sum over its clusters of  w x (P(d) - P(0)) x saving  -  d x w x P(d)

(the discount is paid on every locker parcel of the zone, also those that came
anyway). :func:`zone_prices` finds per zone the discount of :data:`DISCOUNTS` with
the largest net saving (0 when none pays), :func:`price_curve` the network-wide
curve of one discount everywhere. Zones are the squares of the coverage grid
(``cell_m``). The vans' km saved and the customers' own costs are left out: the
saving counts the carrier's time and compartments only.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .choice import ChoiceModel

__all__ = ["DISCOUNTS", "ZoneCosts", "locker_shares", "price_curve", "zone_prices"]

#: Discounts tried per zone (currency per parcel).
DISCOUNTS = np.round(np.arange(0.0, 3.01, 0.1), 2)


@dataclass(frozen=True)
class ZoneCosts:
    """The prices that turn time into money, from the plan's own routes and settings.

    Attributes
    ----------
    cost_per_hour : float
        The door-to-door day's cost (vans, energy, driver) per driver hour.
    stop_s, handover_s, loading_s : float
        Seconds per home stop, per parcel at the door, per parcel into a compartment.
    failure_rate : float
        Failed first home attempts, re-delivered.
    compartment_per_parcel : float
        A cabinet module's daily cost over the parcels it hands out a day.

    Examples
    --------
    >>> c = ZoneCosts(36.0, 300, 90, 6, 0.0, 0.2)
    >>> c.saving(np.array([0.0]), np.array([10.0])).round(3).tolist()  # a stop saved
    [3.64]
    """

    cost_per_hour: float
    stop_s: float
    handover_s: float
    loading_s: float
    failure_rate: float
    compartment_per_parcel: float

    def door_cost(self, home: np.ndarray, addresses: np.ndarray) -> np.ndarray:
        """Per cluster, the carrier's cost per parcel delivered at the door."""
        h, a = np.maximum(home, 1e-9), np.maximum(addresses, 1.0)
        stops_per_parcel = a * (1.0 - np.exp(-h / a)) / h
        seconds = (1.0 + self.failure_rate) * (self.handover_s + stops_per_parcel * self.stop_s)
        return seconds * self.cost_per_hour / 3600.0

    def locker_cost(self) -> float:
        """The carrier's cost per parcel via a locker (loading and a compartment)."""
        return self.loading_s * self.cost_per_hour / 3600.0 + self.compartment_per_parcel

    def saving(self, home: np.ndarray, addresses: np.ndarray) -> np.ndarray:
        """Per cluster, what one more parcel moved from the door to a locker saves."""
        a = np.maximum(addresses, 1.0)
        stop = np.exp(-np.maximum(home, 0.0) / a)
        door = (1.0 + self.failure_rate) * (self.handover_s + stop * self.stop_s)
        return door * self.cost_per_hour / 3600.0 - self.locker_cost()


def _locker_share(model: ChoiceModel, own: sparse.spmatrix, rivals, discount) -> np.ndarray:
    """Per cluster, the share our sites take at ``discount`` (per cluster or one)."""
    return model.shares(own, rivals, discount).ours


def locker_shares(
    model: ChoiceModel,
    own_walk: sparse.spmatrix,
    rival_walk: sparse.spmatrix | None = None,
    discounts: np.ndarray = DISCOUNTS,
) -> np.ndarray:
    """The share our sites take of each cluster at each discount: one row per discount.

    :func:`zone_prices` and :func:`price_curve` both read it; compute it once and pass
    it to both.
    """
    return np.vstack([_locker_share(model, own_walk, rival_walk, d) for d in discounts])


def zone_prices(
    clusters: gpd.GeoDataFrame,
    zone: np.ndarray,
    model: ChoiceModel,
    own_walk: sparse.spmatrix,
    costs: ZoneCosts,
    rival_walk: sparse.spmatrix | None = None,
    discounts: np.ndarray = DISCOUNTS,
    shares: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per zone, the cost to serve and the discount with the largest net saving.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        The plan's clusters: ``parcels_per_day``, ``addresses`` and
        ``home_parcels_per_day`` (without discount).
    zone : numpy.ndarray
        Per cluster, its zone's id.
    model : ChoiceModel
        The calibrated choice model.
    own_walk : scipy.sparse matrix
        Our open sites x clusters, the walks within reach.
    costs : ZoneCosts
        Time and compartment prices.
    rival_walk : scipy.sparse matrix, optional
        Rivals' sites x clusters.
    discounts : numpy.ndarray
        The discounts tried.
    shares : numpy.ndarray, optional
        :func:`locker_shares` at ``discounts`` (computed when not given).

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray)
        One row per zone (``zone``, ``parcels_per_day``, ``door_cost_per_parcel``,
        ``locker_cost_per_parcel``, ``saving_per_parcel_moved``, ``locker_share``,
        ``discount``, ``locker_share_at_discount``, ``switched_parcels_per_day``,
        ``discount_paid_per_day``, ``net_saving_per_day``), and per cluster the
        recommended discount.
    """
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    addresses = clusters["addresses"].to_numpy(dtype=float)
    home = clusters["home_parcels_per_day"].to_numpy(dtype=float)
    if shares is None:
        shares = locker_shares(model, own_walk, rival_walk, discounts)
    base = _locker_share(model, own_walk, rival_walk, 0.0)
    saving = costs.saving(home, addresses)
    codes, zones = pd.factorize(pd.Series(zone))
    n_zone = len(zones)
    net = np.zeros((len(discounts), n_zone))
    for k, (d, p) in enumerate(zip(discounts, shares, strict=True)):
        gain = w * ((p - base) * saving - d * p)
        net[k] = np.bincount(codes, weights=gain, minlength=n_zone)
    best = np.argmax(net, axis=0)  # discount 0 has net 0: a zone is never worse off
    per_zone = discounts[best]
    per_cluster = per_zone[codes]
    p_best = shares[best[codes], np.arange(len(w))]

    def by_zone(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=n_zone)

    parcels = by_zone(w)
    door = costs.door_cost(home, addresses)
    safe = np.where(parcels > 0, parcels, 1.0)
    table = pd.DataFrame(
        {
            "zone": np.asarray(zones, dtype=object),
            "clusters": np.bincount(codes, minlength=n_zone),
            "parcels_per_day": np.round(parcels, 3),
            "door_cost_per_parcel": np.round(by_zone(w * door) / safe, 3),
            "locker_cost_per_parcel": round(costs.locker_cost(), 3),
            "saving_per_parcel_moved": np.round(by_zone(w * saving) / safe, 3),
            "locker_share": np.round(by_zone(w * base) / safe, 4),
            "discount": per_zone,
            "locker_share_at_discount": np.round(by_zone(w * p_best) / safe, 4),
            "switched_parcels_per_day": np.round(by_zone(w * (p_best - base)), 3),
            "discount_paid_per_day": np.round(by_zone(w * per_cluster * p_best), 2),
            "net_saving_per_day": np.round(net[best, np.arange(n_zone)], 2),
        }
    )
    return table, per_cluster


def price_curve(
    clusters: gpd.GeoDataFrame,
    model: ChoiceModel,
    own_walk: sparse.spmatrix,
    costs: ZoneCosts,
    rival_walk: sparse.spmatrix | None = None,
    discounts: np.ndarray = DISCOUNTS,
    shares: np.ndarray | None = None,
) -> pd.DataFrame:
    """One discount everywhere: the locker share, the parcels that switch, the
    discounts paid and the net saving, per discount of ``discounts`` (``shares``:
    :func:`locker_shares` at them, computed when not given)."""
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    saving = costs.saving(
        clusters["home_parcels_per_day"].to_numpy(dtype=float),
        clusters["addresses"].to_numpy(dtype=float),
    )
    if shares is None:
        shares = locker_shares(model, own_walk, rival_walk, discounts)
    base = _locker_share(model, own_walk, rival_walk, 0.0)
    rows = []
    for d, p in zip(discounts, shares, strict=True):
        rows.append(
            {
                "discount": float(d),
                "locker_share": round(float(w @ p / w.sum()), 4) if w.sum() else 0.0,
                "switched_parcels_per_day": round(float(w @ (p - base)), 2),
                "discount_paid_per_day": round(float(d * (w @ p)), 2),
                "net_saving_per_day": round(float(w @ ((p - base) * saving - d * p)), 2),
            }
        )
    return pd.DataFrame(rows)
