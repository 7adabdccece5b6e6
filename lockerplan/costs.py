"""Last-mile prices and the business case: what a day of deliveries costs and emits.

A day of deliveries costs

    vans used x ``vehicle_per_day``
    + km x ``energy_per_km``
    + driver hours x ``driver_per_hour``
    + open cabinets x ``cabinet_per_day`` + open pickup points x ``pickup_point_per_day``

and emits km x ``co2_kg_per_km``. The prices are the scenario's ``[costs]``
(:class:`CostModel`, i.e. :class:`lockerplan.scenario.CostParams`). Routing prices
its objective with them; :func:`delivery_kpis` turns a day of routes into a priced
:class:`~lockerplan.records.Delivery`, :func:`compare_deliveries` puts the
replenishment next to the door-to-door baseline, and :func:`business_case` puts
the same parcels on both sides.

Default figures (EUR, 2023-2024, Western/Northern Europe; change them in the
scenario's ``[costs]`` for your market):

======================  =======  ==========================================================
parameter               default  source / reasoning
======================  =======  ==========================================================
vehicle_per_day         40       full-service lease of a 3.5 t panel van, about EUR 800-900
                                 per month (insurance included) over 21 working days
energy_per_km           0.15     diesel van at 8.5 l/100 km x EUR 1.75/l; an electric van
                                 (25 kWh/100 km x EUR 0.25/kWh) is about 0.06
driver_per_hour         30       Eurostat, hourly labour costs 2023: EU average EUR 31.8
                                 (employer cost, all sectors; transport close to it)
cabinet_per_day         10       cabinet of ~100 compartments, EUR 15-25 k written off over
                                 7 years (~EUR 7/day) + site rent, power, data, service
pickup_point_per_day    6        shop partner fee, usually EUR 0.3-0.5 per parcel; ~15
                                 parcels/day as a fixed daily equivalent
co2_kg_per_km           0.25     UK DESNZ GHG conversion factors 2023, "vans, average (up
                                 to 3.5 t), diesel": about 0.25 kg CO2e per km
======================  =======  ==========================================================

The door-to-door baseline's first-attempt failure rate (10 %) is in the range
reported for European home delivery: 12 % in Edwards, McKinnon & Cullinane (2010),
"Comparative analysis of the carbon footprints of conventional and online retailing",
IJPDLM 40(1/2); 5-15 % in carrier and IMRG surveys.

The business case
-----------------
Both sides deliver the same parcels. *With lockers*: a covered customer collects
at the locker with probability ``adoption_share * exp(-walk / adoption_scale_m)``
(:func:`adoption`); every other parcel (beyond the walk, or a customer who keeps
home delivery) is delivered home, routed like the baseline with its failed first
attempts; the sites' fixed costs (per cabinet module) count, and so do customers'
pickup trips by car. *Door to door*: every parcel to the door. Defaults and their
reasoning (assumptions, change them in the scenario's ``[costs]``):

=====================  =======  ====================================================
setting                default  reasoning
=====================  =======  ====================================================
adoption_share         0.7      share of covered customers who choose the locker when it
                                stands at their door; out-of-home shares of 50-70 % are
                                reported where locker networks are dense (Poland), far
                                less where they are sparse: an optimistic-dense figure
adoption_scale_m       1000     adoption falls with the walk, exp(-walk / 1000 m): 67 %
                                of the share at 400 m, 61 % at 500 m (the form of the
                                attendance model's exponential decay)
pickup                 mixed    pickups walked, driven or otherwise by the walk's length
                                (:mod:`lockerplan.pickup`: everyday trips by distance,
                                Transport Scotland 2017); ``walk``: every pickup on foot
chained_share          0.5      driven pickups made on a trip made anyway (no extra km)
car_co2_kg_per_km      0.17     UK DESNZ 2023, average car: about 170 g CO2e/km
=====================  =======  ====================================================

Home delivery stops at addresses, not at clusters
(:mod:`lockerplan.routing.stops`): a cluster's van stops are its addresses that
receive at least one parcel at home that day, with a parking stop each and the
tour between them, so when lockers take parcels the home stops, their km and
hours fall. The vans' CO2 and the customers' pickup trips' CO2 are reported apart
(``van_co2_kg_per_day``, ``pickup_co2_kg_per_day``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import InputError
from .records import BusinessCase, Delivery, Side
from .scenario import CostParams

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd


class RoutedDay(Protocol):
    """What pricing reads of a day of routes (a :class:`lockerplan.routing.RoutingResult`)."""

    routes: pd.DataFrame
    stops: pd.DataFrame
    unserved: pd.DataFrame
    km: float
    hours: float
    parcels: float
    stats: dict


#: Daily prices and emissions, and the business case's assumptions: the scenario's
#: costs section (its defaults and their sources are in the table above).
CostModel = CostParams


def site_cost_per_day(sites: gpd.GeoDataFrame | None, costs: CostModel) -> float:
    """Fixed daily cost of the open sites (``kind``: cabinet or pickup_point).

    A cabinet site costs ``cabinet_per_day`` per cabinet module (its ``modules``
    column; one module without it); a pickup point costs ``pickup_point_per_day``.
    Sites without a ``kind`` column count as cabinets.

    Examples
    --------
    >>> import pandas as pd
    >>> site_cost_per_day(pd.DataFrame({"kind": ["cabinet", "pickup_point"]}), CostModel())
    16.0
    >>> site_cost_per_day(pd.DataFrame({"kind": ["cabinet"], "modules": [3]}), CostModel())
    30.0
    """
    if sites is None or len(sites) == 0:
        return 0.0
    pickup = (
        (sites["kind"].astype(str) == "pickup_point").to_numpy()
        if "kind" in sites
        else np.zeros(len(sites), dtype=bool)
    )
    modules = sites["modules"].to_numpy(dtype=float) if "modules" in sites else np.ones(len(sites))
    return float(
        modules[~pickup].sum() * costs.cabinet_per_day + pickup.sum() * costs.pickup_point_per_day
    )


def adoption(walk_m: np.ndarray, share: float, scale_m: float) -> np.ndarray:
    """Share of covered customers who collect at the locker: ``share * exp(-walk / scale)``.

    Examples
    --------
    >>> adoption(np.array([0.0, 400.0]), 0.7, 1000.0).round(3).tolist()
    [0.7, 0.469]
    """
    return share * np.exp(-np.asarray(walk_m, dtype=float) / scale_m)


def delivery_kpis(
    result: RoutedDay,
    costs: CostModel | None = None,
    *,
    parcels: float | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> Delivery:
    """A day of deliveries from a routing result, priced.

    Parameters
    ----------
    result : RoutingResult
        Routes from :func:`lockerplan.routing.route_vans` or
        :func:`~lockerplan.routing.route_door_to_door`.
    costs : CostModel, optional
        Prices and emission factor.
    parcels : float, optional
        Parcels delivered per day; the routed parcels by default.
    sites : geopandas.GeoDataFrame, optional
        Open sites (with ``kind``), for the fixed site costs.

    Returns
    -------
    Delivery

    Examples
    --------
    >>> k = delivery_kpis(route_vans(arrays, hubs, sites), sites=sites)  # doctest: +SKIP
    >>> k.cost_per_parcel  # doctest: +SKIP
    0.41
    """
    costs = costs or CostModel()
    routes = result.routes
    vans = len(routes)
    n_parcels = float(result.parcels if parcels is None else parcels)
    vehicle = vans * costs.vehicle_per_day
    energy = result.km * costs.energy_per_km
    driver = result.hours * costs.driver_per_hour
    site = site_cost_per_day(sites, costs)
    total = vehicle + energy + driver + site
    co2 = result.km * costs.co2_kg_per_km
    unserved = result.unserved
    return Delivery(
        parcels=round(n_parcels, 2),
        km=round(result.km, 2),
        driver_hours=round(result.hours, 2),
        vans=vans,
        trips=int(routes["trips"].sum()) if vans and "trips" in routes else vans,
        # door to door: the expected address stops; replenishment: the routed visits
        stops=int(round(result.stats.get("home_stops", len(result.stops)))),
        vehicle_cost=round(vehicle, 2),
        energy_cost=round(energy, 2),
        driver_cost=round(driver, 2),
        site_cost=round(site, 2),
        cost=round(total, 2),
        cost_per_parcel=round(total / n_parcels, 3) if n_parcels > 0 else None,
        co2_kg=round(co2, 2),
        co2_g_per_parcel=round(1000 * co2 / n_parcels, 1) if n_parcels > 0 else None,
        unserved_sites=int(unserved["site_id"].nunique()) if len(unserved) else 0,
        unserved_parcels=round(float(unserved["parcels"].sum()), 2)
        if len(unserved) and "parcels" in unserved
        else 0.0,
        currency=costs.currency,
    )


def routing_kpis(
    result: RoutedDay,
    costs: CostModel | None = None,
    *,
    parcels: float | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """:func:`delivery_kpis` as a plain, JSON-ready dict."""
    return delivery_kpis(result, costs, parcels=parcels, sites=sites).to_dict()


@dataclass(frozen=True)
class Comparison:
    """Lockers vs door-to-door for the same parcels (see :func:`compare_deliveries`)."""

    lockers: Delivery
    door_to_door: Delivery
    savings: dict[str, float]


def compare_deliveries(
    lockers: RoutedDay,
    door_to_door: RoutedDay,
    sites: gpd.GeoDataFrame,
    costs: CostModel | None = None,
) -> Comparison:
    """Lockers vs door-to-door for the same parcels, as records.

    The locker side counts the parcels of the routed sites and their fixed costs;
    the door-to-door side counts delivered parcels (attempts less re-deliveries),
    not attempts. ``savings`` is door-to-door minus lockers for ``cost``, ``km``,
    ``driver_hours``, ``co2_kg`` and ``vans``, and ``cost_per_parcel_pct``, the
    lockers' saving in percent of the door-to-door cost per parcel.
    """
    costs = costs or CostModel()
    if "site_id" not in sites or "parcels_per_day" not in sites:
        raise InputError("sites must have 'site_id' and 'parcels_per_day' columns.")
    unserved = set(lockers.unserved["site_id"]) if len(lockers.unserved) else set()
    served = ~sites["site_id"].isin(unserved)
    locker_parcels = float(sites.loc[served, "parcels_per_day"].sum())
    rate = float(door_to_door.stats.get("failure_rate", 0.0))
    attempts = door_to_door.stats.get("attempts")
    missed = (
        float(door_to_door.unserved["parcels"].sum())
        if len(door_to_door.unserved) and "parcels" in door_to_door.unserved
        else 0.0
    )
    d2d_parcels = (
        max(float(attempts) - missed, 0.0) / (1 + rate)
        if attempts is not None
        else float(door_to_door.parcels)
    )
    a = delivery_kpis(lockers, costs, parcels=locker_parcels, sites=sites.loc[served])
    b = dataclasses.replace(
        delivery_kpis(door_to_door, costs, parcels=d2d_parcels),
        failure_rate=rate,
        attempts=attempts,
    )
    savings: dict[str, float] = {
        key: round(b[key] - a[key], 2) for key in ("cost", "km", "driver_hours", "co2_kg", "vans")
    }
    if a.cost_per_parcel and b.cost_per_parcel:
        savings["cost_per_parcel_pct"] = round(
            100 * (b.cost_per_parcel - a.cost_per_parcel) / b.cost_per_parcel, 1
        )
    return Comparison(a, b, savings)


def business_case(
    days: list[Delivery],
    door: Delivery,
    *,
    locker_parcels: float,
    home_parcels: float,
    home_stops: float,
    locker_stops: int,
    pickup_co2_kg: float,
    fleet: str = "mixed",
    longest_route_h: tuple[float, float] = (0.0, 0.0),
    shift_h: float | None = None,
) -> BusinessCase:
    """The two sides of the business case from priced days of routes.

    Parameters
    ----------
    days : list of Delivery
        The day with lockers: one day of one fleet for lockers and doors
        (``fleet="mixed"``), or the replenishment and the home delivery
        (``"separate"``); the sites' fixed costs in one of them.
    door : Delivery
        Every parcel to the door (its ``stops`` are the expected address stops).
    locker_parcels, home_parcels : float
        Parcels collected at routed lockers, and delivered home, per day.
    home_stops : float
        Expected address stops of the home deliveries with lockers.
    locker_stops : int
        Locker visits with lockers.
    pickup_co2_kg : float
        Customers' car trips to collect them, kg CO2e per day.
    fleet : {"mixed", "separate"}
        How the day with lockers was routed.
    longest_route_h : tuple of float
        The longest route's hours with lockers and door to door.
    shift_h : float, optional
        The driver's shift, hours (for ``longest_route_share``).

    Examples
    --------
    >>> day = dict(vans=2, km=20.0, driver_hours=8.0, cost=300.0, co2_kg=5.0, stops=90)
    >>> bc = business_case([Delivery(parcels=60, **day)], Delivery(parcels=60, **day),
    ...     locker_parcels=10, home_parcels=50, home_stops=80, locker_stops=2,
    ...     pickup_co2_kg=1)
    >>> bc.with_lockers.co2_kg_per_day, bc.with_lockers.stops_per_route, bc.fleet
    (6.0, 41.0, 'mixed')
    """
    parcels = locker_parcels + home_parcels
    cost = sum(d.cost for d in days)
    hours = sum(d.driver_hours for d in days)
    vans = sum(d.vans for d in days)
    van_co2 = sum(d.co2_kg for d in days)

    def share(h: float) -> float | None:
        return round(h / shift_h, 3) if shift_h else None

    with_lockers = Side(
        parcels_per_day=round(parcels, 2),
        locker_parcels_per_day=round(locker_parcels, 2),
        home_parcels_per_day=round(home_parcels, 2),
        cost_per_day=round(cost, 2),
        cost_per_parcel=round(cost / parcels, 3) if parcels > 0 else None,
        co2_kg_per_day=round(van_co2 + pickup_co2_kg, 2),
        van_co2_kg_per_day=round(van_co2, 2),
        pickup_co2_kg_per_day=round(pickup_co2_kg, 2),
        vans=vans,
        van_km=round(sum(d.km for d in days), 2),
        driver_hours=round(hours, 2),
        home_stops_per_day=round(float(home_stops), 1),
        parcels_per_driver_hour=round(parcels / hours, 1) if hours > 0 else None,
        stops_per_route=round((home_stops + locker_stops) / vans, 1) if vans else None,
        longest_route_share=share(longest_route_h[0]),
    )
    door_side = Side(
        parcels_per_day=round(door.parcels, 2),
        cost_per_day=door.cost,
        cost_per_parcel=door.cost_per_parcel,
        co2_kg_per_day=door.co2_kg,
        van_co2_kg_per_day=door.co2_kg,
        pickup_co2_kg_per_day=0.0,
        vans=door.vans,
        van_km=door.km,
        driver_hours=door.driver_hours,
        home_stops_per_day=round(float(door.stops), 1),
        parcels_per_driver_hour=round(door.parcels / door.driver_hours, 1)
        if door.driver_hours > 0
        else None,
        stops_per_route=round(door.stops / door.vans, 1) if door.vans else None,
        longest_route_share=share(longest_route_h[1]),
    )
    saving = door.cost - cost
    return BusinessCase(
        with_lockers=with_lockers,
        door_to_door=door_side,
        savings_per_day=round(saving, 2),
        savings_pct=round(100 * saving / door.cost, 1) if door.cost > 0 else None,
        fleet=fleet,
    )


def with_discounts(bc: BusinessCase, paid_per_day: float) -> BusinessCase:
    """The business case with the discounts paid on locker delivery in the cost with
    lockers (``--locker-discount`` x the parcels collected at our lockers).

    Examples
    --------
    >>> bc = BusinessCase(with_lockers={"parcels_per_day": 100.0, "cost_per_day": 300.0},
    ...     door_to_door={"cost_per_day": 400.0})
    >>> b = with_discounts(bc, 20.0)
    >>> b.with_lockers.cost_per_day, b.with_lockers.cost_per_parcel, b.savings_pct
    (320.0, 3.2, 20.0)
    """
    if not paid_per_day:
        return bc
    w = bc.with_lockers
    cost = round(w.cost_per_day + paid_per_day, 2)
    per = round(cost / w.parcels_per_day, 3) if w.parcels_per_day else None
    door = bc.door_to_door.cost_per_day
    saving = door - cost
    return dataclasses.replace(
        bc,
        with_lockers=dataclasses.replace(w, cost_per_day=cost, cost_per_parcel=per),
        savings_per_day=round(saving, 2),
        savings_pct=round(100 * saving / door, 1) if door > 0 else None,
    )


def compare_last_mile(
    lockers: RoutedDay,
    door_to_door: RoutedDay,
    sites: gpd.GeoDataFrame,
    costs: CostModel | None = None,
) -> dict[str, Any]:
    """Lockers vs door-to-door for the same parcels, side by side, JSON-ready.

    Returns
    -------
    dict
        ``{"lockers": {...}, "door_to_door": {...}, "savings": {...}}`` (see
        :func:`compare_deliveries`; ``door_to_door`` adds ``failure_rate`` and
        ``attempts``).

    Examples
    --------
    >>> d2d = route_door_to_door(arrays, hubs, covered_clusters)  # doctest: +SKIP
    >>> cmp = compare_last_mile(plan.routing, d2d, plan.sites)  # doctest: +SKIP
    >>> cmp["lockers"]["cost_per_parcel"] < cmp["door_to_door"]["cost_per_parcel"]  # doctest: +SKIP
    True
    """
    cmp = compare_deliveries(lockers, door_to_door, sites, costs)
    return {
        "lockers": cmp.lockers.to_dict(),
        "door_to_door": cmp.door_to_door.to_dict(),
        "savings": cmp.savings,
    }
