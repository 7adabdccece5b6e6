"""Last-mile cost model and KPIs: lockers vs door-to-door, per day and per parcel.

A day of deliveries costs

    vans used x ``vehicle_per_day``
    + km x ``energy_per_km``
    + driver hours x ``driver_per_hour``
    + open cabinets x ``cabinet_per_day`` + open pickup points x ``pickup_point_per_day``

and emits km x ``co2_kg_per_km``. :func:`routing_kpis` turns a
:class:`~lockerplan.routing.RoutingResult` into these figures and
:func:`compare_last_mile` puts the locker network next to the door-to-door
baseline, as the ``lockers`` and ``door_to_door`` objects of ``summary.json``.

Default figures (EUR, 2023-2024, Western/Northern Europe; change them in the
scenario for your market):

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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from .routing import RoutingResult


@dataclass(frozen=True)
class CostModel:
    """Daily last-mile costs and emissions.

    Parameters
    ----------
    vehicle_per_day : float, default 40
        Cost of a van used on a day (lease, insurance), currency per day.
    energy_per_km : float, default 0.15
        Fuel or electricity per km driven.
    driver_per_hour : float, default 30
        Driver cost per hour (employer's cost).
    cabinet_per_day : float, default 10
        Fixed cost of an open cabinet (locker) per day.
    pickup_point_per_day : float, default 6
        Fixed cost of an open pickup point per day.
    co2_kg_per_km : float, default 0.25
        Emissions per van km, kg CO2e.
    currency : str, default "EUR"
        Label of the money unit.

    Examples
    --------
    >>> CostModel(energy_per_km=0.06, co2_kg_per_km=0.05).driver_per_hour
    30.0
    """

    vehicle_per_day: float = 40.0
    energy_per_km: float = 0.15
    driver_per_hour: float = 30.0
    cabinet_per_day: float = 10.0
    pickup_point_per_day: float = 6.0
    co2_kg_per_km: float = 0.25
    currency: str = "EUR"

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name == "currency":
                if not isinstance(value, str) or not value:
                    raise InputError(f"costs.currency must be a text label, got {value!r}.")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"costs.{name} must be a number >= 0, got {value!r}.")
            if not math.isfinite(value) or value < 0:
                raise InputError(f"costs.{name} must be a finite number >= 0, got {value!r}.")
            object.__setattr__(self, name, float(value))


def site_cost_per_day(sites: gpd.GeoDataFrame | None, costs: CostModel) -> float:
    """Fixed daily cost of the open sites (``kind``: cabinet or pickup_point).

    Sites without a ``kind`` column count as cabinets.

    Examples
    --------
    >>> import pandas as pd
    >>> site_cost_per_day(pd.DataFrame({"kind": ["cabinet", "pickup_point"]}), CostModel())
    16.0
    """
    if sites is None or len(sites) == 0:
        return 0.0
    kinds = sites["kind"].astype(str) if "kind" in sites else None
    n_pickup = int((kinds == "pickup_point").sum()) if kinds is not None else 0
    n_cabinet = len(sites) - n_pickup
    return n_cabinet * costs.cabinet_per_day + n_pickup * costs.pickup_point_per_day


def routing_kpis(
    result: RoutingResult,
    costs: CostModel | None = None,
    *,
    parcels: float | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """Daily KPIs of a routing result.

    Parameters
    ----------
    result : RoutingResult
        Routes from :func:`lockerplan.routing.route_vans` or
        :func:`~lockerplan.routing.route_door_to_door`.
    costs : CostModel, optional
        Prices and emission factor.
    parcels : float, optional
        Parcels delivered per day (the denominator of the per-parcel figures); the
        routed parcels by default.
    sites : geopandas.GeoDataFrame, optional
        Open sites (with ``kind``), for the fixed site costs.

    Returns
    -------
    dict
        ``parcels``, ``km``, ``driver_hours``, ``vans``, ``trips``, ``stops``,
        ``vehicle_cost``, ``energy_cost``, ``driver_cost``, ``site_cost``, ``cost``
        (daily total), ``cost_per_parcel``, ``co2_kg`` (per day),
        ``co2_g_per_parcel``, ``unserved_sites``, ``unserved_parcels``, rounded.

    Examples
    --------
    >>> k = routing_kpis(route_vans(arrays, hubs, sites), sites=sites)  # doctest: +SKIP
    >>> k["cost_per_parcel"]  # doctest: +SKIP
    0.41
    """
    costs = costs or CostModel()
    routes = result.routes
    km = result.km
    hours = result.hours
    vans = len(routes)
    trips = int(routes["trips"].sum()) if len(routes) and "trips" in routes else vans
    n_parcels = float(result.parcels if parcels is None else parcels)
    vehicle = vans * costs.vehicle_per_day
    energy = km * costs.energy_per_km
    driver = hours * costs.driver_per_hour
    site = site_cost_per_day(sites, costs)
    total = vehicle + energy + driver + site
    co2 = km * costs.co2_kg_per_km
    unserved = result.unserved
    return {
        "parcels": round(n_parcels, 2),
        "km": round(km, 2),
        "driver_hours": round(hours, 2),
        "vans": vans,
        "trips": trips,
        "stops": len(result.stops),
        "vehicle_cost": round(vehicle, 2),
        "energy_cost": round(energy, 2),
        "driver_cost": round(driver, 2),
        "site_cost": round(site, 2),
        "cost": round(total, 2),
        "cost_per_parcel": round(total / n_parcels, 3) if n_parcels > 0 else None,
        "co2_kg": round(co2, 2),
        "co2_g_per_parcel": round(1000 * co2 / n_parcels, 1) if n_parcels > 0 else None,
        "unserved_sites": int(unserved["site_id"].nunique()) if len(unserved) else 0,
        "unserved_parcels": round(float(unserved["parcels"].sum()), 2)
        if len(unserved) and "parcels" in unserved
        else 0.0,
        "currency": costs.currency,
    }


def compare_last_mile(
    lockers: RoutingResult,
    door_to_door: RoutingResult,
    sites: gpd.GeoDataFrame,
    costs: CostModel | None = None,
) -> dict[str, Any]:
    """Lockers vs door-to-door for the same parcels, side by side.

    Parameters
    ----------
    lockers : RoutingResult
        The locker replenishment routes (:func:`lockerplan.routing.route_vans`).
    door_to_door : RoutingResult
        The baseline (:func:`lockerplan.routing.route_door_to_door`) for the demand
        clusters carrying the same parcels (e.g. the covered clusters).
    sites : geopandas.GeoDataFrame
        Open sites with ``site_id``, ``parcels_per_day`` and ``kind``.
    costs : CostModel, optional
        Prices (the same for both sides).

    Returns
    -------
    dict
        ``{"lockers": {...}, "door_to_door": {...}, "savings": {...}}``, JSON-ready.
        The first two hold :func:`routing_kpis` (lockers with the sites' fixed
        costs; parcels = parcels of the served sites); ``door_to_door`` adds
        ``failure_rate`` and ``attempts`` and counts delivered parcels, not
        attempts. ``savings`` is door-to-door minus lockers for ``cost``, ``km``,
        ``driver_hours``, ``co2_kg`` and ``vans``, and ``cost_per_parcel_pct``, the
        lockers' saving in percent of the door-to-door cost per parcel.

    Examples
    --------
    >>> d2d = route_door_to_door(arrays, hubs, covered_clusters)  # doctest: +SKIP
    >>> cmp = compare_last_mile(plan.routing, d2d, plan.sites)  # doctest: +SKIP
    >>> cmp["lockers"]["cost_per_parcel"] < cmp["door_to_door"]["cost_per_parcel"]  # doctest: +SKIP
    True
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
    a = routing_kpis(lockers, costs, parcels=locker_parcels, sites=sites.loc[served])
    b = routing_kpis(door_to_door, costs, parcels=d2d_parcels)
    b["failure_rate"] = rate
    b["attempts"] = attempts
    savings: dict[str, Any] = {
        key: round(b[key] - a[key], 2) for key in ("cost", "km", "driver_hours", "co2_kg", "vans")
    }
    if a["cost_per_parcel"] and b["cost_per_parcel"]:
        savings["cost_per_parcel_pct"] = round(
            100 * (b["cost_per_parcel"] - a["cost_per_parcel"]) / b["cost_per_parcel"], 1
        )
    return {"lockers": a, "door_to_door": b, "savings": savings}
