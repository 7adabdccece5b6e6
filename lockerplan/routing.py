"""Routing: vans from hubs replenish the open sites (PyVRP).

Each open site is a client whose delivery is its assigned parcels per day (rounded
up) and whose pickup is the returns posted there; a site needing more than one van
load is split into several visits, never dropped. Hubs are depots with
``vans_per_hub`` vans each (or a ``vans`` column on the hubs); a van may return to
its hub to reload (``max_trips``). Visits start inside the replenishment window
(``window``, e.g. 06:00-10:00) and every route fits in the shift. Distances (m) and
durations (s) are integer shortest paths on the drive graph, and the routes come
back as street-following lines with clock times.

The objective is money, from :class:`lockerplan.costs.CostModel`: a fixed cost per
van used, an energy cost per km and a driver cost per hour. Every visit carries a
large prize, so a visit is left out only when no van can make it (too few vans,
too short a shift, a window that cannot be met); such sites are reported in
``unserved`` with the reason, never silently dropped.

The same router delivers door to door (:func:`route_door_to_door`): the demand
clusters become the stops, with a handover time per parcel and re-delivery of
failed first attempts.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyvrp
import shapely
from pyproj import Transformer
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from .costs import CostModel
from .distances import GraphArrays, network_matrices, path_nodes, snap_points
from .errors import InputError

log = logging.getLogger(__name__)

ROUTE_COLUMNS = [
    "route_id",
    "hub_id",
    "stops",
    "site_ids",
    "parcels",
    "returns",
    "trips",
    "start",
    "end",
    "km",
    "hours",
    "geometry",
]
STOP_COLUMNS = [
    "route_id",
    "trip",
    "stop",
    "site_id",
    "parcels",
    "returns",
    "arrival_s",
    "arrival",
    "departure",
    "load_after",
]
#: penalties must be able to outgrow the visit prizes (money units are small), and
#: adapt quickly enough for short runs
_SOLVE_PARAMS = pyvrp.SolveParams(
    penalty=pyvrp.PenaltyParams(solutions_between_updates=50, max_penalty=1e12)
)
#: money unit inside PyVRP: 1e-5 of the currency (PyVRP needs integer costs)
_MONEY = 100_000


def _clock(seconds: float) -> str:
    """Seconds after midnight as ``HH:MM`` (``+1d`` past midnight)."""
    minutes = int(round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text + (f"+{days}d" if days else "")


def parse_window(value: str | tuple[float, float] | None) -> tuple[float, float] | None:
    """A time window as ``(start_h, end_h)`` hours after midnight.

    Parameters
    ----------
    value : str or tuple of float or None
        ``"06:00-10:00"``, ``(6, 10)`` or ``None`` (no window).

    Examples
    --------
    >>> parse_window("06:00-10:30")
    (6.0, 10.5)
    >>> parse_window((7, 9))
    (7.0, 9.0)
    """
    if value is None:
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
        if not match:
            raise InputError(
                f"routing.window must look like '06:00-10:00', got {value!r}; "
                "give the start and end clock times of the replenishment window."
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        value = (h1 + m1 / 60, h2 + m2 / 60)
    try:
        start, end = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"routing.window must be 'HH:MM-HH:MM' or (start_h, end_h), got {value!r}."
        ) from None
    if not (0 <= start < end <= 48):
        raise InputError(f"routing.window must start before it ends, within 0-48 h, got {value!r}.")
    return (start, end)


@dataclass(frozen=True)
class Fleet:
    """Vans and their working day.

    Parameters
    ----------
    van_capacity : int, default 200
        Parcels a van carries per trip (deliveries and returns share the space).
    vans_per_hub : int, default 10
        Vans available at each hub (a ``vans`` column on the hubs overrides it).
    shift_h : float, default 8
        Longest route duration, hours (all trips, loading and waiting included).
    stop_service_s : int, default 300
        Time at each stop (parking, walking to the site), seconds.
    parcel_service_s : int, default 6
        Extra time per parcel loaded into a locker, collected or handed over, seconds.
    start_h : float, default 6
        Earliest departure from the hub, hours after midnight; the shift ends by
        ``start_h + shift_h``.
    window : tuple of float or str, optional
        Replenishment window: each visit must *start* inside it, e.g. ``(6, 10)``
        or ``"06:00-10:00"``. ``None`` (default): any time in the shift.
    max_trips : int, default 1
        Trips per van per day; with more than one, a van may return to its hub to
        reload between trips (the solver does so where it pays). ``routes.parcels``
        is then the van's total over its trips; each trip's load is at most
        ``van_capacity`` (see ``stops.trip``).
    reload_s : int, default 600
        Loading time at the hub before each trip, seconds.

    Examples
    --------
    >>> Fleet(van_capacity=150, window="06:00-10:00").window
    (6.0, 10.0)
    """

    van_capacity: int = 200
    vans_per_hub: int = 10
    shift_h: float = 8.0
    stop_service_s: int = 300
    parcel_service_s: int = 6
    start_h: float = 6.0
    window: tuple[float, float] | None = None
    max_trips: int = 1
    reload_s: int = 600

    def __post_init__(self) -> None:
        for name in ("van_capacity", "vans_per_hub", "max_trips"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise InputError(
                    f"routing.{name} must be a whole number >= 1, got {value!r}"
                    + ("; a plan needs at least one van." if name == "vans_per_hub" else ".")
                )
        if not (isinstance(self.shift_h, int | float) and 0 < self.shift_h <= 24):
            raise InputError(f"routing.shift_h must be > 0 and <= 24 hours, got {self.shift_h!r}.")
        if not (isinstance(self.start_h, int | float) and 0 <= self.start_h < 24):
            raise InputError(f"routing.start_h must be in [0, 24) hours, got {self.start_h!r}.")
        for name in ("stop_service_s", "parcel_service_s", "reload_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float | np.number) or value < 0:
                raise InputError(f"routing.{name} must be >= 0 seconds, got {value!r}.")
        window = parse_window(self.window)
        if window is not None and (
            window[1] <= self.start_h or window[0] >= self.start_h + self.shift_h
        ):
            raise InputError(
                f"routing.window {window} does not overlap the shift "
                f"{self.start_h:g}-{self.start_h + self.shift_h:g} h; move start_h or the window."
            )
        object.__setattr__(self, "window", window)


@dataclass
class RoutingResult:
    """Van routes and their statistics.

    Attributes
    ----------
    routes : geopandas.GeoDataFrame
        One row per van (EPSG:4326): ``route_id``, ``hub_id``, ``stops``,
        ``site_ids``, ``parcels`` (delivered), ``returns`` (collected), ``trips``,
        ``start`` and ``end`` (clock ``HH:MM``), ``km``, ``hours`` and the street
        geometry.
    stops : pandas.DataFrame
        One row per visit: ``route_id``, ``trip``, ``stop`` (1-based order within the
        route), ``site_id``, ``parcels``, ``returns``, ``arrival_s`` (seconds after the
        van leaves), ``arrival`` and ``departure`` (clock ``HH:MM``), ``load_after``.
    unserved : pandas.DataFrame
        Sites (or parts of sites) that could not be routed: ``site_id``, ``reason``
        and ``parcels``.
    feasible : bool
        Whether PyVRP's best solution respects capacity, shift and window.
    cost : float
        Total route distance, metres.
    runtime_s : float
        Solve time, seconds.
    stats : dict
        ``iterations``, ``visits``, ``hubs``, ``vans_available``, ``phases`` (2 when the
        fleet could not serve every visit and the optional-visit model was solved) and
        ``objective`` (van, energy and driver cost per day; site costs excluded).
    """

    routes: gpd.GeoDataFrame
    stops: pd.DataFrame
    unserved: pd.DataFrame
    feasible: bool
    cost: float
    runtime_s: float
    stats: dict = field(default_factory=dict)

    @property
    def km(self) -> float:
        """Total route length, km."""
        return float(self.routes["km"].sum()) if len(self.routes) else 0.0

    @property
    def hours(self) -> float:
        """Total driver hours."""
        return float(self.routes["hours"].sum()) if len(self.routes) else 0.0

    @property
    def parcels(self) -> int:
        """Parcels delivered."""
        return int(self.routes["parcels"].sum()) if len(self.routes) else 0


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


def _empty_result(unserved: pd.DataFrame, t0: float, stats: dict) -> RoutingResult:
    return RoutingResult(
        gpd.GeoDataFrame(columns=ROUTE_COLUMNS, geometry="geometry", crs="EPSG:4326"),
        pd.DataFrame(columns=STOP_COLUMNS),
        unserved,
        True,
        0.0,
        time.perf_counter() - t0,
        stats,
    )


def _check_inputs(hubs: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, returns_share: float) -> None:
    if not isinstance(hubs, gpd.GeoDataFrame) or "hub_id" not in hubs or len(hubs) == 0:
        raise InputError(
            "hubs must be a GeoDataFrame with at least one point and a 'hub_id' column; "
            "pass hubs or use default_hub()."
        )
    if not isinstance(sites, gpd.GeoDataFrame) or not {"site_id", "parcels_per_day"} <= set(
        sites.columns
    ):
        raise InputError(
            "sites must be a GeoDataFrame with 'site_id' and 'parcels_per_day' columns."
        )
    for col in ("parcels_per_day", "returns_per_day"):
        if col not in sites:
            continue
        values = pd.to_numeric(sites[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            row = sites.index[np.flatnonzero(bad)[0]]
            raise InputError(
                f"sites.{col} must be a number >= 0; row {row} "
                f"(site_id {sites.loc[row, 'site_id']!r}) has {sites.loc[row, col]!r}."
            )
    if not 0 <= returns_share <= 1:
        raise InputError(
            f"returns_share must be between 0 and 1 (returns per delivered parcel), "
            f"got {returns_share!r}."
        )
    if "vans" in hubs:
        vans = pd.to_numeric(hubs["vans"], errors="coerce")
        if vans.isna().any() or (vans < 0).any() or (vans % 1 != 0).any():
            raise InputError(
                f"hubs.vans must be whole numbers >= 0, got {hubs['vans'].tolist()!r}."
            )
        if vans.sum() < 1:
            raise InputError("hubs.vans adds up to 0 vans; give at least one hub a van.")


def route_vans(
    arrays: GraphArrays,
    hubs: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    fleet: Fleet | None = None,
    *,
    max_snap_m: float = 250.0,
    seed: int = 0,
    iterations: int = 3000,
    time_limit_s: float = 30.0,
    costs: CostModel | None = None,
    returns_share: float = 0.0,
    min_visits: int = 1,
) -> RoutingResult:
    """Route vans from the hubs to every open site.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id`` and optionally ``vans`` (vans at that hub).
    sites : geopandas.GeoDataFrame
        Open sites with ``site_id`` and ``parcels_per_day``; optional
        ``returns_per_day`` (parcels posted there, collected by the van).
    fleet : Fleet, optional
        Vans, shift, window, trips and service times.
    max_snap_m : float, default 250
        Largest distance from a hub or site to the drive network.
    seed : int, default 0
        PyVRP seed; the same seed gives the same routes.
    iterations : int, default 3000
        PyVRP iterations (deterministic stop).
    time_limit_s : float, default 30
        Runtime cap in seconds (a safety net; ``iterations`` normally stops first).
    costs : CostModel, optional
        Weights of the objective (van per day, energy per km, driver per hour).
    returns_share : float, default 0
        Returns per delivered parcel, used when ``sites`` has no ``returns_per_day``.
    min_visits : int, default 1
        Visits per site with zero parcels (1: still visited; 0: skipped).

    Returns
    -------
    RoutingResult

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
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer):
        raise InputError(f"routing iterations must be a whole number >= 1, got {iterations!r}.")
    if iterations < 1:
        raise InputError(f"routing iterations must be >= 1, got {iterations!r}.")
    if not time_limit_s > 0:
        raise InputError(f"routing time_limit_s must be > 0 seconds, got {time_limit_s!r}.")
    _check_inputs(hubs, sites, returns_share)
    t0 = time.perf_counter()
    hubs = hubs.reset_index(drop=True)
    sites = sites.reset_index(drop=True)
    hub_snap = snap_points(arrays, hubs.geometry, max_snap_m)
    if not hub_snap["snapped"].all():
        bad = hubs.loc[~hub_snap["snapped"].to_numpy(), "hub_id"].tolist()
        raise InputError(
            f"--hubs: hub(s) {', '.join(map(str, bad))} are more than {max_snap_m:.0f} m from the "
            "drive network; move them onto a street inside the study area."
        )
    site_snap = snap_points(arrays, sites.geometry, max_snap_m)
    parcels_all = sites["parcels_per_day"].to_numpy(dtype=float)
    unserved = [
        (sid, f"more than {max_snap_m:.0f} m from the drive network", p)
        for sid, p in zip(
            sites.loc[~site_snap["snapped"].to_numpy(), "site_id"],
            parcels_all[~site_snap["snapped"].to_numpy()],
            strict=True,
        )
    ]
    routable = sites[site_snap["snapped"].to_numpy()]
    nodes = np.concatenate(
        [hub_snap["node_index"].to_numpy(), site_snap.loc[routable.index, "node_index"].to_numpy()]
    ).astype(int)
    dist, dur, pred = network_matrices(arrays, nodes)
    n_hubs = len(hubs)
    vans = (
        pd.to_numeric(hubs["vans"]).astype(int).to_numpy()
        if "vans" in hubs
        else np.full(n_hubs, fleet.vans_per_hub)
    )
    reach_ok = np.array(
        [
            np.any((dist[:n_hubs, n_hubs + k] >= 0) & (dist[n_hubs + k, :n_hubs] >= 0) & (vans > 0))
            for k in range(len(routable))
        ],
        dtype=bool,
    )
    unserved += [
        (sid, "not reachable by road from and back to any hub with vans", p)
        for sid, p in zip(
            routable.loc[~reach_ok, "site_id"],
            routable.loc[~reach_ok, "parcels_per_day"].astype(float),
            strict=True,
        )
    ]
    keep = np.concatenate([np.arange(n_hubs), n_hubs + np.flatnonzero(reach_ok)])
    dist, dur = dist[np.ix_(keep, keep)], dur[np.ix_(keep, keep)]
    loc_nodes = nodes[keep]
    routable = routable[reach_ok]
    stats = {"iterations": 0, "visits": 0, "hubs": n_hubs, "vans_available": int(vans.sum())}
    if len(routable) == 0:
        return _empty_result(
            pd.DataFrame(unserved, columns=["site_id", "reason", "parcels"]), t0, stats
        )

    # ---- visits: split a site into van loads
    cap = fleet.van_capacity
    returns_all = (
        routable["returns_per_day"].to_numpy(dtype=float)
        if "returns_per_day" in routable
        else routable["parcels_per_day"].to_numpy(dtype=float) * returns_share
    )
    visits: list[tuple[int, str, int, int]] = []  # (location, site_id, delivery, pickup)
    for k, (site_id, parcels, returns) in enumerate(
        zip(
            routable["site_id"].astype(str),
            routable["parcels_per_day"].to_numpy(dtype=float),
            returns_all,
            strict=True,
        )
    ):
        deliver = int(math.ceil(parcels - 1e-9))
        pick = int(math.ceil(returns - 1e-9))
        n_visits = max(min_visits, math.ceil(max(deliver, pick) / cap))
        for part in range(n_visits):
            d = min(cap, max(deliver - part * cap, 0))
            p = min(cap, max(pick - part * cap, 0))
            visits.append((n_hubs + k, site_id, d, p))
    if not visits:
        return _empty_result(
            pd.DataFrame(unserved, columns=["site_id", "reason", "parcels"]), t0, stats
        )
    stats["visits"] = len(visits)
    total = sum(v[2] for v in visits)
    if total > int(vans.sum()) * cap * fleet.max_trips:
        log.warning(
            "routing: %d parcels exceed what %d vans carry in %d trips of %d; "
            "some sites will be unserved",
            total,
            int(vans.sum()),
            fleet.max_trips,
            cap,
        )

    # ---- PyVRP data, built directly from the matrices
    start = int(round(fleet.start_h * 3600))
    shift = int(round(fleet.shift_h * 3600))
    window = fleet.window
    tw_early = int(round(window[0] * 3600)) if window else start
    tw_late = int(round(window[1] * 3600)) if window else start + shift
    big = int(max(dist.max(), dur.max(), 1) * 100)
    dist_m = np.where(dist >= 0, dist, big).astype(np.int64)
    dur_s = np.where(dur >= 0, dur, big).astype(np.int64)
    np.fill_diagonal(dist_m, 0)
    np.fill_diagonal(dur_s, 0)
    per_m = max(1, round(costs.energy_per_km / 1000 * _MONEY))
    per_s = max(0, round(costs.driver_per_hour / 3600 * _MONEY))
    van_cost = round(costs.vehicle_per_day * _MONEY)
    xy = arrays.xy[loc_nodes]
    locations = [pyvrp.Location(int(round(x)), int(round(y))) for x, y in xy]
    depots = [
        pyvrp.Depot(h, service_duration=int(fleet.reload_s), name=str(hubs["hub_id"].iloc[h]))
        for h in range(n_hubs)
    ]
    service = [
        int(fleet.stop_service_s + fleet.parcel_service_s * (d + p)) for _, _, d, p in visits
    ]
    # visits no van can make even alone (too far for the shift or the window)
    hubs_ok = np.flatnonzero(vans > 0)
    solo = [
        _solo_ok(dur_s, hubs_ok, loc, service[i], fleet, start, tw_early, tw_late)
        for i, (loc, _, _, _) in enumerate(visits)
    ]
    impossible: dict[str, float] = {}
    for ok, (_, site_id, d, _) in zip(solo, visits, strict=True):
        if not ok:
            impossible[site_id] = impossible.get(site_id, 0.0) + d
    unserved += [
        (sid, "no van can reach it and return within the shift and window", p)
        for sid, p in impossible.items()
    ]
    visits = [v for v, ok in zip(visits, solo, strict=True) if ok]
    service = [t for t, ok in zip(service, solo, strict=True) if ok]
    if not visits:
        return _empty_result(
            pd.DataFrame(unserved, columns=["site_id", "reason", "parcels"]), t0, stats
        )
    # a visit is worth more than any van and route that could serve it
    worst_trip = (
        int(dist_m[:n_hubs].max() + dist_m[:, :n_hubs].max()) * per_m
        + (int(dur_s[:n_hubs].max() + dur_s[:, :n_hubs].max()) + max(service) + fleet.reload_s)
        * per_s
    )
    prize = 2 * (van_cost + worst_trip) + 1
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=int(vans[h]),
            capacity=[cap],
            start_depot=h,
            end_depot=h,
            fixed_cost=van_cost,
            tw_early=start,
            tw_late=start + shift,
            shift_duration=shift,
            unit_distance_cost=per_m,
            unit_duration_cost=per_s,
            reload_depots=[h] if fleet.max_trips > 1 else [],
            max_reloads=fleet.max_trips - 1,
            name=str(hubs["hub_id"].iloc[h]),
        )
        for h in range(n_hubs)
        if vans[h] > 0
    ]
    vt_hub = [h for h in range(n_hubs) if vans[h] > 0]

    def solve(required: bool) -> pyvrp.Result:
        clients = [
            pyvrp.Client(
                loc,
                delivery=[d],
                pickup=[p],
                service_duration=service[i],
                tw_early=tw_early,
                tw_late=tw_late,
                required=required,
                prize=0 if required else prize,
                name=f"{site_id}#{i}",
            )
            for i, (loc, site_id, d, p) in enumerate(visits)
        ]
        data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [dist_m], [dur_s])
        return pyvrp.solve(
            data,
            stop=MultipleCriteria(
                [MaxIterations(int(iterations)), MaxRuntime(float(time_limit_s))]
            ),
            seed=seed,
            display=False,
            collect_stats=False,
            params=_SOLVE_PARAMS,
        )

    # every visit required first (the search reloads vans best this way); when the
    # fleet cannot do it all, solve again with optional visits worth a large prize,
    # so that the fewest parcels are left out and reported
    result = solve(required=True)
    stats["phases"] = 1
    if not result.best.is_feasible():
        log.info("routing: the fleet cannot serve every visit; leaving the fewest out")
        result = solve(required=False)
        stats["phases"] = 2
    best = result.best
    stats["iterations"] = int(result.num_iterations)
    stats["objective"] = round(
        float(best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()) / _MONEY, 2
    )

    # ---- read the routes back
    to_wgs = Transformer.from_crs(arrays.crs, "EPSG:4326", always_xy=True)
    rows, stop_rows = [], []
    for r, route in enumerate(best.routes()):
        hub_pos = vt_hub[route.vehicle_type()]
        route_id = f"van{r + 1}"
        schedule = list(route.schedule())
        route_start = int(route.start_time())
        stop_no = 0
        # split the schedule into trips at the (re)load depot visits
        trips: list[list] = [[]]
        for act in schedule[1:]:
            if act.is_depot():
                trips.append([])
            else:
                trips[-1].append(act)
        trips = [t for t in trips if t]
        sequence = [hub_pos]
        for t_no, trip in enumerate(trips, start=1):
            trip_load = sum(visits[a.idx][2] for a in trip)
            for act in trip:
                loc, site_id, d, p = visits[act.idx]
                sequence.append(loc)
                stop_no += 1
                trip_load += p - d
                arrival = int(act.start_time) - int(act.wait_duration)
                stop_rows.append(
                    (
                        route_id,
                        t_no,
                        stop_no,
                        site_id,
                        d,
                        p,
                        arrival - route_start,
                        _clock(arrival),
                        _clock(int(act.end_time)),
                        trip_load,
                    )
                )
            sequence.append(hub_pos)
        coords = []
        for a, b in zip(sequence[:-1], sequence[1:], strict=True):
            if a == b:
                continue
            path = path_nodes(pred, int(keep[a]), int(loc_nodes[b]))
            coords.extend(arrays.path_coords(path).tolist())
        if len(coords) > 1:
            x, y = to_wgs.transform(*np.array(coords).T)
            line = shapely.LineString(np.column_stack([x, y]))
        else:
            line = shapely.LineString()
        served = [visits[a.idx] for trip in trips for a in trip]
        rows.append(
            {
                "route_id": route_id,
                "hub_id": str(hubs["hub_id"].iloc[hub_pos]),
                "stops": len(served),
                "site_ids": ";".join(v[1] for v in served),
                "parcels": sum(v[2] for v in served),
                "returns": sum(v[3] for v in served),
                "trips": len(trips),
                "start": _clock(route_start),
                "end": _clock(int(route.end_time())),
                "km": route.distance() / 1000,
                "hours": route.duration() / 3600,
                "geometry": line,
            }
        )
    unserved += _unplanned(best, visits)
    routes = gpd.GeoDataFrame(rows, columns=ROUTE_COLUMNS, geometry="geometry", crs="EPSG:4326")
    stops = pd.DataFrame(stop_rows, columns=STOP_COLUMNS)
    runtime = time.perf_counter() - t0
    unserved_df = pd.DataFrame(unserved, columns=["site_id", "reason", "parcels"])
    log.info(
        "routing: %d sites, %d visits, %d vans, %.1f km, %d unserved, feasible=%s, %.2f s",
        len(routable),
        len(visits),
        len(routes),
        routes["km"].sum() if len(routes) else 0.0,
        len(unserved_df),
        best.is_feasible(),
        runtime,
    )
    return RoutingResult(
        routes,
        stops,
        unserved_df,
        bool(best.is_feasible()),
        float(best.distance()),
        runtime,
        stats=stats,
    )


def _solo_ok(dur_s, hubs_ok, loc, service, fleet, start, tw_early, tw_late) -> bool:
    """Whether one van could serve this visit alone (a trip from some hub and back)."""
    shift = int(round(fleet.shift_h * 3600))
    out = dur_s[hubs_ok, loc] + int(fleet.reload_s)
    back = dur_s[loc, hubs_ok]
    arrive = np.maximum(start + out, tw_early)
    ok = (
        (out + service + back <= shift)
        & (start + out <= tw_late)
        & (arrive + service + back <= start + shift)
    )
    return bool(ok.any())


def _unplanned(best, visits) -> list:
    """Visits the solver left out (fleet too small), merged per site."""
    per_site: dict[str, float] = {}
    for act in best.unplanned():
        _, site_id, d, _ = visits[int(act.idx)]
        per_site[site_id] = per_site.get(site_id, 0.0) + d
    reason = "fleet too small: no van, trip or shift time left (add vans, trips or hubs)"
    return [(sid, reason, float(p)) for sid, p in per_site.items()]


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
    time_limit_s: float = 30.0,
    costs: CostModel | None = None,
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
    enough vans at every hub that no cluster is left out for lack of vans.

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
    max_snap_m, seed, iterations, time_limit_s, costs
        As in :func:`route_vans`.

    Returns
    -------
    RoutingResult
        ``site_id`` in ``stops`` and ``unserved`` holds the ``cluster_id``; ``stats``
        adds ``failure_rate`` and ``attempts``.

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
    # a covered cluster's site_id names its locker; the stop is the cluster itself
    if "cluster_id" in demand:
        demand = demand.assign(site_id=demand["cluster_id"].astype(str))
    elif "site_id" not in demand:
        raise InputError("demand must have a 'cluster_id' (or 'site_id') column.")
    if "parcels_per_day" not in demand:
        raise InputError("demand must have a 'parcels_per_day' column.")
    stops = demand[["site_id", "parcels_per_day", "geometry"]].copy()
    stops["parcels_per_day"] = pd.to_numeric(stops["parcels_per_day"], errors="coerce") * (
        1 + failure_rate
    )
    stops = stops[stops["parcels_per_day"].fillna(1) > 0]
    total_attempts = float(stops["parcels_per_day"].sum())
    base = fleet.stop_service_s if stop_service_s is None else stop_service_s
    # enough vans that only unreachable clusters are left out
    work_s = len(stops) * base + total_attempts * handover_s
    need = int(math.ceil(work_s / (fleet.shift_h * 3600) + total_attempts / fleet.van_capacity))
    d2d_fleet = dataclasses.replace(
        fleet,
        window=None,
        start_h=start_h,
        parcel_service_s=handover_s,
        stop_service_s=base,
        vans_per_hub=max(fleet.vans_per_hub, need + 2),
    )
    hubs_plain = hubs.drop(columns=["vans"]) if "vans" in hubs else hubs
    result = route_vans(
        arrays,
        hubs_plain,
        gpd.GeoDataFrame(stops, geometry="geometry", crs=demand.crs),
        d2d_fleet,
        max_snap_m=max_snap_m,
        seed=seed,
        iterations=iterations,
        time_limit_s=time_limit_s,
        costs=costs,
        min_visits=0,
    )
    result.stats["failure_rate"] = failure_rate
    result.stats["attempts"] = round(total_attempts, 2)
    return result
