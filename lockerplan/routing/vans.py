"""The public routers: :func:`route_vans`, :func:`route_door_to_door`, :func:`default_hub`.

Each is a short sequence of the stages: what must be visited
(:mod:`~lockerplan.routing.visits`), the PyVRP model and its solve
(:mod:`~lockerplan.routing.problem`) and the routes read back
(:mod:`~lockerplan.routing.decode`); the door-to-door stops and their walk
from the drive network come from :mod:`~lockerplan.routing.access`.
"""

from __future__ import annotations

import dataclasses
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..costs import CostModel
from ..distances import GraphArrays
from ..errors import InputError
from .access import door_fleet, door_stops_on_foot, on_foot_reach
from .decode import StreetPaths, read_routes, routing_result, unplanned
from .fleet import Fleet, shift_times
from .problem import (
    ROUTING_TIME_LIMIT_S,
    build_problem,
    check_solve_args,
    integer_matrices,
    objective,
)
from .result import RoutingResult, empty_result, unserved_frame
from .sizing import Solved, nearest_hubs, sized_vans, solve_fleet
from .stops import locker_stops
from .visits import (
    Located,
    check_inputs,
    drop_impossible,
    far_sites,
    locate,
    service_times,
    split_visits,
    warn_over_capacity,
)
from .zones import DOOR_VISIT_PARCELS, MAX_DOOR_STOPS, Zones, add_inner_km, door_zones


def default_hub(arrays: GraphArrays, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A hub at the drive-network node nearest the parcel-weighted centre of demand.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    demand : geopandas.GeoDataFrame
        Demand points with ``parcels_per_day``.

    Returns
    -------
    geopandas.GeoDataFrame
        One hub, ``hub_id="hub0"``, ``name="default hub"``.

    Examples
    --------
    >>> hubs = default_hub(drive_arrays, clusters)  # doctest: +SKIP
    >>> hubs["hub_id"].tolist()  # doctest: +SKIP
    ['hub0']
    """
    metric = demand.to_crs(arrays.crs)
    w = demand["parcels_per_day"].to_numpy(dtype=float)
    if not np.isfinite(w).all() or w.sum() <= 0:
        w = np.ones(len(demand))
    centre = np.array(
        [np.average(metric.geometry.x, weights=w), np.average(metric.geometry.y, weights=w)]
    )
    k = int(np.argmin(np.hypot(*(arrays.xy - centre).T)))
    point = gpd.GeoSeries([shapely.Point(arrays.xy[k])], crs=arrays.crs).to_crs("EPSG:4326")
    return gpd.GeoDataFrame(
        {"hub_id": ["hub0"], "name": ["default hub (drive node nearest the centre of demand)"]},
        geometry=point.to_numpy(),
        crs="EPSG:4326",
    )


def route_vans(
    arrays: GraphArrays,
    hubs: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    fleet: Fleet | None = None,
    *,
    max_snap_m: float = 250.0,
    seed: int = 0,
    iterations: int = 3000,
    time_limit_s: float = ROUTING_TIME_LIMIT_S,
    costs: CostModel | None = None,
    returns_share: float = 0.0,
    min_visits: int = 1,
    visit_parcels: int | None = None,
    street_paths: bool = True,
    matrices: dict | None = None,
) -> RoutingResult:
    """Route vans from the hubs to every open site.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id`` and optionally ``vans`` (the cap on vans at that hub).
    sites : geopandas.GeoDataFrame
        Open sites with ``site_id`` and ``parcels_per_day``; optional
        ``returns_per_day`` (parcels posted there, collected by the van).
    fleet : Fleet, optional
        Vans, shift, window, trips and service times. With no cap on the vans
        (``vans_per_hub=None``, no ``vans`` column) the fleet is an output: each hub
        gets enough vans that none is missing, and the cost of a van per day, km and
        driver hours decide how many are used (``len(result.routes)``).
    max_snap_m : float, default 250
        Largest distance from a hub or site to the drive network.
    seed : int, default 0
        PyVRP seed; the same seed gives the same routes.
    iterations : int, default 3000
        PyVRP iterations (deterministic stop).
    time_limit_s : float, default 120
        Runtime cap of each solve, seconds: a safety net, ``iterations`` stops
        first (a metro area's door-to-door day of 2,000 zone visits takes about
        30 s); a solve it stops is logged as a warning, its routes depend on the
        machine's speed.
    costs : CostModel, optional
        Weights of the objective (van per day, energy per km, driver per hour).
    returns_share : float, default 0
        Returns per delivered parcel, used when ``sites`` has no ``returns_per_day``.
    min_visits : int, default 1
        Visits per site with zero parcels (1: still visited; 0: skipped).
    visit_parcels : int, optional
        Most parcels one visit takes (default a van load): a site with more is
        visited several times, by one van or several (door-to-door delivery zones,
        whose parcels take hours to hand over).
    street_paths : bool, default True
        Draw the routes along the streets; ``False`` draws them as straight lines
        from stop to stop and skips the shortest-path trees (the door-to-door
        baseline of a metro area, whose routes are costed but not drawn: 320 MB
        less for 1,600 stops on a 50,000-node network).
    matrices : dict, optional
        A dict shared by calls over the same hubs and sites: their road matrices
        are computed once (the door-to-door days over the same delivery zones).

    Returns
    -------
    RoutingResult
        When a cap leaves sites out for lack of vans, ``stats["vans_needed"]`` holds
        the vans a solve without the cap uses, and the sites' reason names it.

    Raises
    ------
    InputError
        If a hub is off the drive network, the hubs have no vans, or a column is bad.

    Examples
    --------
    >>> res = route_vans(drive_arrays, hubs, sites, Fleet(window="06:00-10:00"))  # doctest: +SKIP
    >>> res.routes[["route_id", "stops", "km", "hours"]]  # doctest: +SKIP
    """
    fleet = fleet or Fleet()
    costs = costs or CostModel()
    check_solve_args(iterations, time_limit_s)
    check_inputs(hubs, sites, returns_share)
    t0 = time.perf_counter()
    located = locate(arrays, hubs, sites, fleet, max_snap_m, street_paths, matrices)
    unserved = list(located.unserved)
    stats = {
        "iterations": 0,
        "visits": 0,
        "hubs": located.n_hubs,
        "vans_available": int(located.vans[np.isfinite(located.vans)].sum()),
    }
    if len(located.sites) == 0:
        return empty_result(unserved_frame(unserved), t0, stats)
    per_visit = min(fleet.van_capacity, visit_parcels or fleet.van_capacity)
    visits = split_visits(located.sites, located.n_hubs, per_visit, returns_share, min_visits)
    if not visits:
        return empty_result(unserved_frame(unserved), t0, stats)
    stats["visits"] = len(visits)
    warn_over_capacity(visits, located.vans, fleet)
    matrices = integer_matrices(located.dist, located.dur)
    extra = (
        located.sites["extra_s_per_parcel"].to_numpy(dtype=float)
        if "extra_s_per_parcel" in located.sites
        else None
    )
    service = service_times(visits, fleet, extra, located.n_hubs)
    visits, service, impossible = drop_impossible(
        visits, service, matrices[1], located.vans, fleet, shift_times(fleet)
    )
    unserved += impossible
    if not visits:
        return empty_result(unserved_frame(unserved), t0, stats)

    nearest = nearest_hubs(located.dur, visits, located.vans)
    vans, free = sized_vans(located.vans, visits, service, fleet, nearest)
    model = build_problem(
        arrays, located.hubs, vans, located.nodes, fleet, costs, visits, service, matrices
    )
    del matrices  # PyVRP holds its own copy
    fix = "raise the hubs' vans" if "vans" in hubs else "raise --vans-per-hub or remove the cap"
    solve_kw = {"seed": seed, "iterations": iterations, "time_limit_s": time_limit_s}
    solved = solve_fleet(model, located.vans, free, fix=fix, solve_kw=solve_kw)
    return _read_back(arrays, located, solved, visits, unserved, stats, t0)


def _read_back(
    arrays: GraphArrays,
    located: Located,
    solved: Solved,
    visits: list,
    unserved: list,
    stats: dict,
    t0: float,
) -> RoutingResult:
    """The routes, stops, unserved sites and statistics of a solve."""
    best = solved.result.best
    stats["phases"] = solved.phases
    stats["vans_available"] = int(solved.vans.sum())
    if solved.vans_needed is not None:
        stats["vans_needed"] = solved.vans_needed
    stats["iterations"] = int(solved.result.num_iterations)
    stats["objective"] = objective(best)
    paths = StreetPaths(arrays, located.pred, located.keep, located.nodes)
    routes, stops = read_routes(best, visits, solved.problem.vt_hub, located.hubs["hub_id"], paths)
    unserved = unserved + unplanned(best, visits, solved.reason)
    return routing_result(best, routes, stops, unserved, t0, stats, len(located.sites), len(visits))


def route_door_to_door(
    arrays: GraphArrays,
    hubs: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    fleet: Fleet | None = None,
    *,
    failure_rate: float = 0.10,
    handover_s: int = 90,
    stop_service_s: int | None = None,
    start_h: float = 8.0,
    max_snap_m: float = 250.0,
    seed: int = 0,
    iterations: int = 3000,
    time_limit_s: float = ROUTING_TIME_LIMIT_S,
    costs: CostModel | None = None,
    street_paths: bool = True,
    zones: Zones | None = None,
    lockers: gpd.GeoDataFrame | None = None,
    access: pd.Series | None = None,
) -> RoutingResult:
    """Route the same parcels to the customers' doors (the door-to-door baseline).

    Every demand cluster is a stop. Its load is the daily parcels plus the
    re-delivery of failed first attempts: a share ``failure_rate`` of the parcels is
    not handed over at the first attempt and is tried once more the next day, so in
    steady state a day carries ``parcels * (1 + failure_rate)`` delivery attempts;
    parcels failing twice go to a pickup point (the usual carrier rule, not routed).
    Service at a stop is the stop time (parking) plus ``handover_s`` per attempt
    (walk to the door, ring, hand over or leave a card). The fleet is the same
    vans, but with no replenishment window (deliveries run through the shift) and
    no cap on the vans: every hub gets enough that no cluster is left out for lack
    of vans, sized as an uncapped locker fleet is.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id``.
    demand : geopandas.GeoDataFrame
        Demand clusters with ``cluster_id`` (or ``site_id``) and ``parcels_per_day``.
    fleet : Fleet, optional
        Van capacity, shift, trips and stop time (its window is ignored).
    failure_rate : float, default 0.10
        Share of first attempts that fail (10 %, a commonly quoted European
        average for home delivery; see :mod:`lockerplan.costs`).
    handover_s : int, default 90
        Seconds per parcel at the door: walk from the van to the door and back, ring,
        wait, hand over or leave a card (an assumption; 1-2 minutes is typical).
    stop_service_s : int, optional
        Seconds per stop (parking); the fleet's ``stop_service_s`` by default.
    start_h : float, default 8
        Start of the delivery day (vans leave the hub), hours after midnight.
    max_snap_m, seed, iterations, time_limit_s, costs, street_paths
        As in :func:`route_vans`; a home farther than ``max_snap_m`` from a drivable
        street (up to :data:`~lockerplan.routing.access.ON_FOOT_MAX_M`) is
        delivered on foot from the nearest, the walk in the stop's time.
    zones : Zones, optional
        Delivery zones from :func:`delivery_zones` (shared by several days); made
        here above :data:`MAX_DOOR_STOPS` stops when omitted.
    lockers : geopandas.GeoDataFrame, optional
        Open sites (``site_id``, ``parcels_per_day``) the same vans fill on the same
        day (one fleet for lockers and doors, as carriers run it): each a stop that
        loads its parcels at the fleet's ``parcel_service_s`` each
        (:func:`~lockerplan.routing.stops.locker_stops`); without the replenishment
        window.
    access : pandas.Series, optional
        The clusters' distances to the drive network from
        :func:`~lockerplan.routing.access.door_access` (shared by the days over the
        same clusters); snapped here when omitted.

    Returns
    -------
    RoutingResult
        ``site_id`` in ``stops`` and ``unserved`` holds the ``cluster_id`` (or a
        locker's ``site_id``); ``stats`` adds ``failure_rate``, ``attempts`` (home
        attempts), ``home_stops`` (the expected address stops made) and
        ``locker_stops``.

    Examples
    --------
    >>> d2d = route_door_to_door(drive_arrays, hubs, clusters)  # doctest: +SKIP
    >>> d2d.km, d2d.hours  # doctest: +SKIP
    """
    fleet = fleet or Fleet()
    if not (isinstance(failure_rate, int | float) and 0 <= failure_rate < 1):
        raise InputError(
            f"failure_rate must be a share in [0, 1), e.g. 0.10 for 10 %, got {failure_rate!r}."
        )
    if not (isinstance(handover_s, int | float) and handover_s >= 0):
        raise InputError(f"handover_s must be >= 0 seconds, got {handover_s!r}.")
    d2d_fleet = door_fleet(fleet, handover_s, stop_service_s, start_h)
    stops, to_street = door_stops_on_foot(
        arrays, demand, failure_rate, d2d_fleet.stop_service_s, max_snap_m, access
    )
    max_snap_m = on_foot_reach(max_snap_m)
    hubs_plain = _uncapped(hubs)
    at_lockers = (
        None
        if lockers is None or not len(lockers)
        else gpd.GeoDataFrame(
            locker_stops(lockers, d2d_fleet.parcel_service_s, fleet.parcel_service_s),
            geometry="geometry",
            crs=lockers.crs,
        )
    )
    if zones is None and len(stops) > MAX_DOOR_STOPS:
        zones = _zones_of(stops, to_street <= max_snap_m, d2d_fleet, seed)
    far = []
    if zones is not None:  # the stops off the drive network are no zone's members
        zones = zones.carrying(stops)
        member = stops["site_id"].astype(str).isin(zones.members.index).to_numpy()
        far = far_sites(stops.reset_index(drop=True), member, max_snap_m)
    routed = stops if zones is None else zones.stops
    if at_lockers is not None:
        routed = pd.concat([routed, at_lockers.to_crs(routed.crs)], ignore_index=True)
    result = route_vans(
        arrays,
        hubs_plain,
        routed,
        d2d_fleet,
        max_snap_m=max_snap_m,
        seed=seed,
        iterations=iterations,
        time_limit_s=time_limit_s,
        costs=costs,
        min_visits=0,
        visit_parcels=_visit_parcels(d2d_fleet, zones is not None),
        street_paths=street_paths,
        matrices=None if zones is None else zones.matrices,
    )
    if zones is not None:
        lost_lockers = (
            result.unserved[result.unserved["site_id"].isin(set(at_lockers["site_id"]))]
            if at_lockers is not None
            else result.unserved.iloc[:0]
        )
        result = _from_zones(result, zones, stops, far)
        result = dataclasses.replace(
            result, unserved=pd.concat([result.unserved, lost_lockers], ignore_index=True)
        )
    else:  # the tours between a cluster's address stops
        per_parcel = stops.set_index("site_id")["km_per_parcel"]
        result = dataclasses.replace(
            result, routes=add_inner_km(result.routes, result.stops, per_parcel)
        )
    missed = set(result.unserved["site_id"].astype(str))
    made = ~stops["site_id"].isin(missed).to_numpy()
    result.stats["home_stops"] = round(float(stops.loc[made, "stops"].sum()), 2)
    result.stats["locker_stops"] = (
        0 if at_lockers is None else int((~at_lockers["site_id"].isin(missed)).sum())
    )
    result.stats["failure_rate"] = failure_rate
    result.stats["attempts"] = round(float(stops["parcels_per_day"].sum()), 2)
    return result


def _zones_of(stops: gpd.GeoDataFrame, on: np.ndarray, d2d_fleet: Fleet, seed: int) -> Zones:
    """:data:`MAX_DOOR_STOPS` zones of the door-to-door stops on the drive network (``on``)."""
    return door_zones(
        stops[on], MAX_DOOR_STOPS, d2d_fleet.stop_service_s, d2d_fleet.parcel_service_s, seed
    )


def delivery_zones(
    arrays: GraphArrays,
    demand: gpd.GeoDataFrame,
    fleet: Fleet | None = None,
    *,
    failure_rate: float = 0.10,
    handover_s: int = 90,
    stop_service_s: int | None = None,
    max_snap_m: float = 250.0,
    seed: int = 0,
    access: pd.Series | None = None,
) -> Zones | None:
    """The delivery zones :func:`route_door_to_door` would make of ``demand``.

    Give them to several door-to-door days over the same clusters (every parcel;
    the parcels not collected at lockers) so that the days share their zones, and
    with them the road matrices (computed once). None at or below
    :data:`MAX_DOOR_STOPS` stops (every cluster is routed). ``access``: the
    clusters' distances to the drive network from
    :func:`~lockerplan.routing.access.door_access`, shared with the days (snapped
    here when omitted).

    Examples
    --------
    >>> zones = delivery_zones(drive_arrays, clusters)  # doctest: +SKIP
    >>> door = route_door_to_door(drive_arrays, hubs, clusters, zones=zones)  # doctest: +SKIP
    """
    d2d_fleet = door_fleet(fleet or Fleet(), handover_s, stop_service_s, 8.0)
    if len(demand) <= MAX_DOOR_STOPS:
        return None
    stops, to_street = door_stops_on_foot(
        arrays, demand, failure_rate, d2d_fleet.stop_service_s, max_snap_m, access
    )
    if len(stops) <= MAX_DOOR_STOPS:
        return None
    return _zones_of(stops, to_street <= on_foot_reach(max_snap_m), d2d_fleet, seed)


def zone_matrices(
    arrays: GraphArrays,
    hubs: gpd.GeoDataFrame,
    zones: Zones,
    *,
    max_snap_m: float = 250.0,
    street_paths: bool = False,
) -> None:
    """Compute the road matrices between ``hubs`` and ``zones`` now, into ``zones.matrices``.

    The door-to-door days over these zones (same hubs, same ``max_snap_m`` and
    ``street_paths``) start from them. Call it before routing the days in
    separate processes (:func:`lockerplan.parallel.fork_map`): each process
    would otherwise compute them again.

    Examples
    --------
    >>> zones = delivery_zones(drive_arrays, clusters)  # doctest: +SKIP
    >>> zone_matrices(drive_arrays, hubs, zones)  # doctest: +SKIP
    >>> len(zones.matrices)  # doctest: +SKIP
    1
    """
    reach = on_foot_reach(max_snap_m)
    locate(arrays, _uncapped(hubs), zones.stops, Fleet(), reach, street_paths, zones.matrices)


#: Most of a shift one door-to-door visit may take, so that a van can still drive
#: there and back: a cluster with more work is split into several visits.
VISIT_SHARE_OF_SHIFT = 0.5


def _visit_parcels(d2d_fleet: Fleet, zoned: bool) -> int:
    """Most parcels of one door-to-door visit: a van load (a zone's
    :data:`DOOR_VISIT_PARCELS`), and no more than half a shift at a stop and a
    handover each."""
    load = DOOR_VISIT_PARCELS if zoned else d2d_fleet.van_capacity
    per_parcel_s = d2d_fleet.parcel_service_s + d2d_fleet.stop_service_s
    by_time = int(VISIT_SHARE_OF_SHIFT * d2d_fleet.shift_h * 3600 / max(per_parcel_s, 1))
    return max(1, min(load, by_time))


def _uncapped(hubs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The hubs without their ``vans`` caps (door-to-door fleets are sized, not capped)."""
    return hubs.drop(columns=["vans"]) if "vans" in hubs else hubs


def _from_zones(
    result: RoutingResult, zones: Zones, stops: gpd.GeoDataFrame, far: list
) -> RoutingResult:
    """A zone routing as the stops': inner-zone km on the routes, unserved zones as
    their stops, plus the stops ``far`` from the drive network (left out of the zones)."""
    members = zones.members
    lost = result.unserved.set_index("site_id")["reason"]
    parcels = stops.set_index(stops["site_id"].astype(str))["parcels_per_day"]
    # the zones may be shared with another day: only this day's stops are listed
    left = members[members.isin(lost.index) & members.index.isin(parcels.index)]
    unserved = unserved_frame(
        far + [(sid, lost[zone], float(parcels[sid])) for sid, zone in left.items()]
    )
    stats = {**result.stats, "zones": len(zones.stops)}
    routes = add_inner_km(result.routes, result.stops, zones.km_per_parcel)
    return dataclasses.replace(result, routes=routes, unserved=unserved, stats=stats)
