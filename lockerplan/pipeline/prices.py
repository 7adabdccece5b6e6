"""Locker prices by zone in a plan (``--price-zones``): price, then route at the prices.

After the plan is routed, :func:`price_zones` reads the door-to-door day's cost per
driver hour and the plan's clusters, finds per zone of the coverage grid the
discount on locker delivery that saves the carrier most (:mod:`lockerplan.pricing`),
lets customers choose again at those prices (the calibrated MNL, capacities held)
and routes the day with lockers again: the business case is the one at the
recommended prices, discounts paid included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ..pricing import ZoneCosts, locker_shares, price_curve, zone_prices
from ..records import PricingFigures
from ..scenario import Scenario
from ..siting import MODELS, SitingResult
from .choose import ChoiceFit, within_capacity


@dataclass(frozen=True)
class Priced:
    """A plan priced by zone: the zones' table, the network's curve and the figures."""

    zones: pd.DataFrame
    curve: pd.DataFrame
    figures: PricingFigures
    fit: ChoiceFit
    siting: SitingResult


def zone_ids(clusters: gpd.GeoDataFrame, cell_m: float) -> np.ndarray:
    """Per cluster, the id of its coverage-grid cell (``E<easting>_N<northing>``, as
    :func:`lockerplan.equity.coverage_by_cell` names them)."""
    pts = clusters.geometry.to_crs(clusters.estimate_utm_crs())
    col = np.floor(pts.x.to_numpy() / cell_m).astype(np.int64)
    row = np.floor(pts.y.to_numpy() / cell_m).astype(np.int64)
    return np.array([f"E{c * cell_m:.0f}_N{r * cell_m:.0f}" for c, r in zip(col, row, strict=True)])


def price_zones(
    sc: Scenario,
    clusters: gpd.GeoDataFrame,
    siting: SitingResult,
    D: sparse.csr_matrix,
    fit: ChoiceFit,
    door,
    capacity: np.ndarray,
) -> Priced:
    """Price locker delivery per zone and the customers' choice at those prices.

    Parameters
    ----------
    sc : Scenario
        The plan's settings (costs, routing, siting's capacities, ``cell_m``).
    clusters : geopandas.GeoDataFrame
        The plan's clusters with what their customers choose (no discount).
    siting : SitingResult
        The plan's siting (its open sites and modules).
    D : scipy.sparse.csr_matrix
        Candidates x clusters within the walk.
    fit : ChoiceFit
        The calibrated choice model.
    door : Delivery
        The door-to-door day (its cost per driver hour prices the time saved).
    capacity : numpy.ndarray
        Per candidate, parcels a module hands out a day.

    Returns
    -------
    Priced
        With the siting's ``split`` at the recommended prices (capacities held).
    """
    costs, routing = sc.costs, sc.routing
    per_hour = door.cost / door.driver_hours if door.driver_hours > 0 else costs.driver_per_hour
    zc = ZoneCosts(
        cost_per_hour=per_hour,
        stop_s=routing.stop_service_s,
        handover_s=costs.handover_s,
        loading_s=routing.parcel_service_s,
        failure_rate=costs.failure_rate,
        compartment_per_parcel=costs.cabinet_per_day / sc.siting.cabinet_capacity,
    )
    own = D[siting.open_sites]
    zones = zone_ids(clusters, sc.outputs.cell_m)
    shares = locker_shares(fit.model, own, fit.rival_walk)
    table, discount = zone_prices(
        clusters, zones, fit.model, own, zc, fit.rival_walk, shares=shares
    )
    curve = price_curve(clusters, fit.model, own, zc, fit.rival_walk, shares=shares)
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    split = fit.model.shares(own, fit.rival_walk, discount).own
    if MODELS[sc.siting.model].capacitated:
        split = within_capacity(split, w, siting, capacity)
    priced = dataclasses.replace(siting, split=split)
    discounted = table["discount"].to_numpy() > 0
    figures = PricingFigures(
        zones=len(table),
        zones_discounted=int(discounted.sum()),
        cost_per_driver_hour=round(per_hour, 2),
        locker_cost_per_parcel=round(zc.locker_cost(), 3),
        switched_parcels_per_day=round(float(table["switched_parcels_per_day"].sum()), 2),
        discount_paid_per_day=round(float(table["discount_paid_per_day"].sum()), 2),
        net_saving_per_day=round(float(table["net_saving_per_day"].sum()), 2),
        curve=curve.to_dict("records"),
    )
    return Priced(table, curve, figures, dataclasses.replace(fit, discount=discount), priced)


def discounts_paid(clusters: gpd.GeoDataFrame, fit: ChoiceFit) -> float:
    """The discounts paid a day: per cluster its discount x its parcels at our lockers."""
    locker = clusters["locker_parcels_per_day"].to_numpy(dtype=float)
    return float(
        np.sum(np.broadcast_to(np.asarray(fit.discount, dtype=float), locker.shape) * locker)
    )
