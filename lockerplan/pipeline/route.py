"""Routing a plan: the replenishment of its open sites and, with the door-to-door
baseline, its business case.

:func:`route_plan` routes three days from the same hubs with the same fleet rules
and prices them (:mod:`lockerplan.costs`); :func:`route_stage` runs it here or, when
the drive network is on a Dask worker, there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..costs import Comparison, CostModel, business_case, compare_deliveries, delivery_kpis
from ..distances import GraphArrays
from ..parallel import fork_map
from ..pickup import PickupTrips
from ..records import BusinessCase, Delivery
from ..routing import (
    RoutingResult,
    delivery_zones,
    door_access,
    hub_count,
    place_hubs,
    route_door_to_door,
    route_vans,
    zone_matrices,
)
from ..scenario import CostParams, RoutingParams, hub_number
from ..scheduler import dask_client
from .allocate import Allocation
from .prepare import StudyArea


@dataclass(frozen=True)
class Delivered:
    """The routing of a plan and its priced days (made by
    :func:`route_plan`).

    Attributes
    ----------
    hubs : geopandas.GeoDataFrame
        The hubs the vans start from.
    routing : RoutingResult
        The replenishment routes to the open sites.
    lockers : Delivery
        Those routes priced, with the sites' fixed costs.
    comparison : Comparison or None
        Replenishment vs every parcel to the door (the ``lockers`` /
        ``door_to_door`` figures); None without the door-to-door baseline.
    business : BusinessCase or None
        Lockers plus home delivery vs door to door.
    home_unserved : pandas.DataFrame or None
        Clusters whose home delivery no van can make (``site_id`` = cluster id,
        ``reason``, ``parcels``).
    rival_parcels : float
        Parcels collected at competitors' lockers (on neither side).
    """

    hubs: gpd.GeoDataFrame
    routing: RoutingResult
    lockers: Delivery
    comparison: Comparison | None = None
    business: BusinessCase | None = None
    home_unserved: pd.DataFrame | None = None
    rival_parcels: float = 0.0


def plan_hubs(
    routing: RoutingParams, drive: GraphArrays, alloc: Allocation, seed: int = 0
) -> gpd.GeoDataFrame:
    """Hubs placed on the drive network: ``routing.hubs`` of them, or one per
    ``km2_per_hub``.

    The hubs go where the vans' round trips to the open sites, weighted by their
    parcels, are shortest (:func:`lockerplan.routing.place_hubs`).
    """
    n_hubs = hub_number(routing.hubs) or hub_count(alloc.clusters, km2_per_hub=routing.km2_per_hub)
    return place_hubs(drive, alloc.sites, n_hubs, seed=seed)


def route_stage(
    routing: RoutingParams,
    costs: CostParams,
    area: StudyArea,
    alloc: Allocation,
    *,
    seed: int = 0,
    max_snap_m: float = 250.0,
    scheduler: str | None = None,
) -> Delivered:
    """:func:`route_plan` here, or — when the drive network is on a Dask worker
    (``scheduler``) — as one task on that worker: the network stays there, the open
    sites and clusters go out and the routes come back."""
    args = (routing, costs, area.drive, area.hubs, alloc)
    kw = {"seed": seed, "max_snap_m": max_snap_m}
    if not area.drive_on_workers:
        return route_plan(*args, **kw)
    with dask_client(scheduler) as (client, _):
        return client.submit(route_plan, *args, **kw, pure=False).result()


def route_plan(
    routing: RoutingParams,
    costs: CostParams,
    drive: GraphArrays,
    hubs: gpd.GeoDataFrame | None,
    alloc: Allocation,
    *,
    seed: int = 0,
    max_snap_m: float = 250.0,
) -> Delivered:
    """Route the vans to the open sites; with the door-to-door baseline, the business case.

    Three days of routes from the same hubs with the same fleet (the routing
    section): the replenishment of the open sites; home delivery of every parcel
    that does not go to a routed locker; and every parcel to the door, priced with
    the costs section. The door-to-door day does not depend on the others: it is
    routed on another core while the first two are
    (:func:`lockerplan.parallel.fork_map`), with the same results as one after the
    other.
    """
    hubs = hubs if hubs is not None else plan_hubs(routing, drive, alloc, seed)
    fleet = routing_params = routing
    common = {
        "max_snap_m": max_snap_m,
        "seed": seed,
        "iterations": routing.routing_iterations,
        "costs": costs,
    }

    def replenish() -> RoutingResult:
        return route_vans(
            drive, hubs, alloc.sites, fleet, returns_share=routing.returns_share, **common
        )

    if not costs.door_to_door:
        routing = replenish()
        return Delivered(hubs, routing, _locker_kpis(routing, alloc, costs))
    on = alloc.clusters[alloc.clusters["on_network"].to_numpy()]
    # parcels collected at a competitor's locker: on neither side of the business case
    at_rival = (
        on["rival_locker_parcels_per_day"].to_numpy(dtype=float)
        if "rival_locker_parcels_per_day" in on
        else np.zeros(len(on))
    )
    # the door-to-door days are costed, not drawn: no street lines, no path trees;
    # their stops' distances to the drive network are snapped once, for all of them
    door_kw = {
        "failure_rate": costs.failure_rate,
        "handover_s": costs.handover_s,
        "street_paths": False,
        "access": door_access(drive, on, max_snap_m),
        **common,
    }
    # both days over the same delivery zones (metro scale): zoned and matrices once
    zone_kw = {
        k: door_kw[k] for k in ("failure_rate", "handover_s", "max_snap_m", "seed", "access")
    }
    zones = delivery_zones(drive, on, fleet, **zone_kw)
    if zones is not None:
        zone_matrices(drive, hubs, zones, max_snap_m=max_snap_m)

    mixed = routing_params.fleet == "mixed"

    def lockers_then_home() -> tuple:
        routing = replenish()
        at_lockers = _at_lockers(on, alloc, routing)
        home_stops = _home_stops(on, at_lockers + at_rival)
        routed = alloc.sites[_routed(alloc.sites, routing)]
        home = route_door_to_door(
            drive, hubs, home_stops, fleet, zones=zones, lockers=routed if mixed else None,
            **door_kw,
        )  # fmt: skip
        return routing, home, at_lockers, home_stops

    def every_door() -> RoutingResult:
        doors = _home_stops(on, at_rival)
        return route_door_to_door(drive, hubs, doors, fleet, zones=zones, **door_kw)

    (routing, home, at_lockers, home_stops), door = fork_map(_call, [lockers_then_home, every_door])
    lockers = _locker_kpis(routing, alloc, costs)
    comparison = compare_deliveries(routing, door, alloc.sites, costs)
    days = _Days(routing, home, door, at_lockers, home_stops, on)
    business = _business(days, alloc, lockers, comparison, costs, routing_params)
    # the home day's unserved clusters (a locker no van reaches is the routing's)
    cluster_ids = set(home_stops["cluster_id"].astype(str))
    unserved = home.unserved[home.unserved["site_id"].astype(str).isin(cluster_ids)].assign(
        parcels=lambda u: u["site_id"].map(home_stops.set_index("cluster_id")["parcels_per_day"])
    )
    return Delivered(hubs, routing, lockers, comparison, business, unserved, float(at_rival.sum()))


@dataclass(frozen=True)
class _Days:
    """The routed days of a business case and the parcels they carry."""

    routing: RoutingResult  # the replenishment
    home: RoutingResult  # home delivery (with the lockers, one fleet)
    door: RoutingResult  # every parcel to the door
    at_lockers: np.ndarray  # per cluster on the network
    home_stops: gpd.GeoDataFrame
    on: gpd.GeoDataFrame  # the clusters on the network


def _business(
    days: _Days,
    alloc: Allocation,
    lockers: Delivery,
    comparison: Comparison,
    costs: CostModel,
    fleet: RoutingParams,
) -> BusinessCase:
    """The business case of the routed days: one fleet (its day with the sites' fixed
    costs) or two (replenishment and home delivery), against door to door."""
    mixed = fleet.fleet == "mixed"
    at_lockers, home = days.at_lockers, days.home
    home_parcels = _delivered(days.home_stops, home)
    routed = alloc.sites[_routed(alloc.sites, days.routing)]
    if mixed:  # one day: the sites' fixed costs on it, the lockers' parcels and the doors'
        priced = [
            delivery_kpis(home, costs, parcels=home_parcels + float(at_lockers.sum()), sites=routed)
        ]
    else:
        priced = [lockers, delivery_kpis(home, costs, parcels=home_parcels)]
    trips = PickupTrips(
        mode=costs.pickup,
        chained_share=costs.chained_share,
        car_co2_kg_per_km=costs.car_co2_kg_per_km,
    )
    longest = _longest(home) if mixed else _longest(days.routing, home)
    return business_case(
        priced,
        comparison.door_to_door,
        # per cluster, so that locker + home is every parcel on the network exactly
        locker_parcels=float(at_lockers.sum()),
        home_parcels=home_parcels,
        home_stops=float(home.stats.get("home_stops", 0.0)),
        locker_stops=int(home.stats["locker_stops"]) if mixed else len(days.routing.stops),
        pickup_co2_kg=trips.co2_kg(at_lockers, days.on["walk_m"].fillna(0.0).to_numpy()),
        fleet=fleet.fleet,
        longest_route_h=(longest, _longest(days.door)),
        shift_h=fleet.shift_h,
    )


def _longest(*days: RoutingResult) -> float:
    """The longest route's hours over these days' routes (0 without routes)."""
    hours = [float(d.routes["hours"].max()) for d in days if len(d.routes)]
    return max(hours, default=0.0)


def _call(day: Callable[[], Any]) -> Any:
    """Run one day's routing (an item of :func:`lockerplan.parallel.fork_map`)."""
    return day()


def _routed(sites: gpd.GeoDataFrame, routing: RoutingResult) -> np.ndarray:
    """Whether each open site is on a route (not unserved)."""
    return ~sites["site_id"].isin(set(routing.unserved["site_id"])).to_numpy()


def _locker_kpis(routing: RoutingResult, alloc: Allocation, costs: CostModel) -> Delivery:
    """The replenishment routes priced, with the routed sites' parcels and fixed costs."""
    routed = _routed(alloc.sites, routing)
    parcels = float(alloc.sites.loc[routed, "parcels_per_day"].sum())
    return delivery_kpis(routing, costs, parcels=parcels, sites=alloc.sites[routed])


def _at_lockers(on: gpd.GeoDataFrame, alloc: Allocation, routing: RoutingResult) -> np.ndarray:
    """Each cluster's parcels collected at a routed locker (0 where its site is unrouted;
    with customer groups, summed over the groups whose site is routed)."""
    routed = set(alloc.sites.loc[_routed(alloc.sites, routing), "site_id"])
    if alloc.groups is None:
        return np.where(
            on["site_id"].isin(routed).to_numpy(), on["locker_parcels_per_day"].to_numpy(), 0.0
        )
    g = alloc.groups
    at = g["locker_parcels_per_day"].where(g["site_id"].isin(routed), 0.0)
    per_cluster = at.groupby(g["cluster_id"].to_numpy()).sum()
    return per_cluster.reindex(on["cluster_id"].to_numpy(), fill_value=0.0).to_numpy(dtype=float)


def _home_stops(on: gpd.GeoDataFrame, at_lockers: np.ndarray) -> gpd.GeoDataFrame:
    """The clusters with parcels left for home delivery, carrying those parcels."""
    home = on["parcels_per_day"].to_numpy() - at_lockers
    return on.assign(parcels_per_day=home)[home > 1e-9]


def _delivered(stops: gpd.GeoDataFrame, result: RoutingResult) -> float:
    """Parcels of the door-to-door stops the vans made (stops left out are not)."""
    missed = stops["cluster_id"].astype(str).isin(set(result.unserved["site_id"].astype(str)))
    return float(stops.loc[~missed.to_numpy(), "parcels_per_day"].sum())
