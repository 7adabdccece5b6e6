"""Routing: vans from hubs replenish the open sites (PyVRP).

Each open site is a client whose delivery is its assigned parcels per day (rounded
up); a site needing more than one van load is split into several visits, never
dropped. Hubs are depots with ``vans_per_hub`` vans each. Distances (m) and
durations (s) are integer shortest paths on the drive graph, and the routes come
back as street-following lines.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyvrp
import shapely
from pyproj import Transformer
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from .distances import GraphArrays, network_matrices, path_nodes, snap_points
from .errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fleet:
    """Vans and their working day.

    Parameters
    ----------
    van_capacity : int, default 200
        Parcels a van carries.
    vans_per_hub : int, default 10
        Vans available at each hub.
    shift_h : float, default 8
        Longest route duration, hours.
    stop_service_s : int, default 300
        Time at each stop (parking, walking to the site), seconds.
    parcel_service_s : int, default 6
        Extra time per parcel loaded into a locker or handed over, seconds.
    """

    van_capacity: int = 200
    vans_per_hub: int = 10
    shift_h: float = 8.0
    stop_service_s: int = 300
    parcel_service_s: int = 6

    def __post_init__(self) -> None:
        for name in ("van_capacity", "vans_per_hub"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"routing.{name} must be a whole number >= 1, got {value!r}.")
        if not self.shift_h > 0:
            raise InputError(f"routing.shift_h must be > 0 hours, got {self.shift_h!r}.")
        for name in ("stop_service_s", "parcel_service_s"):
            if getattr(self, name) < 0:
                raise InputError(
                    f"routing.{name} must be >= 0 seconds, got {getattr(self, name)!r}."
                )


@dataclass
class RoutingResult:
    """Van routes and their statistics.

    Attributes
    ----------
    routes : geopandas.GeoDataFrame
        One row per van route (EPSG:4326): ``route_id``, ``hub_id``, ``stops``,
        ``site_ids``, ``parcels``, ``km``, ``hours`` and the street geometry.
    stops : pandas.DataFrame
        One row per visit: ``route_id``, ``stop`` (1-based order), ``site_id``,
        ``parcels``, ``arrival_s`` (seconds after the van leaves), ``load_after``.
    unserved : pandas.DataFrame
        Sites that could not be routed, with a ``reason``.
    feasible : bool
        Whether PyVRP's best solution respects capacity and shift length.
    cost : float
        Total route distance, metres (the objective).
    runtime_s : float
        Solve time, seconds.
    stats : dict
        Iterations and instance size.
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
    """
    metric = demand.to_crs(arrays.crs)
    w = demand["parcels_per_day"].to_numpy(dtype=float)
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
    time_limit_s: float = 30.0,
) -> RoutingResult:
    """Route vans from the hubs to every open site.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id``.
    sites : geopandas.GeoDataFrame
        Open sites with ``site_id`` and ``parcels_per_day``.
    fleet : Fleet, optional
        Vans and service times.
    max_snap_m : float, default 250
        Largest distance from a hub or site to the drive network.
    seed : int, default 0
        PyVRP seed; the same seed gives the same routes.
    iterations : int, default 3000
        PyVRP iterations (deterministic stop).
    time_limit_s : float, default 30
        Runtime cap in seconds (a safety net; ``iterations`` normally stops first).

    Returns
    -------
    RoutingResult

    Raises
    ------
    InputError
        If a hub is off the drive network.
    """
    fleet = fleet or Fleet()
    t0 = time.perf_counter()
    hub_snap = snap_points(arrays, hubs.geometry, max_snap_m)
    if not hub_snap["snapped"].all():
        bad = hubs.loc[~hub_snap["snapped"], "hub_id"].tolist()
        raise InputError(
            f"--hubs: hub(s) {', '.join(map(str, bad))} are more than {max_snap_m:.0f} m from the "
            "drive network; move them onto a street inside the study area."
        )
    site_snap = snap_points(arrays, sites.geometry, max_snap_m)
    unserved = [
        (sid, f"more than {max_snap_m:.0f} m from the drive network")
        for sid in sites.loc[~site_snap["snapped"], "site_id"]
    ]
    routable = sites[site_snap["snapped"].to_numpy()]
    nodes = np.concatenate([hub_snap["node_index"], site_snap.loc[routable.index, "node_index"]])
    dist, dur, pred = network_matrices(arrays, nodes.astype(int))
    n_hubs = len(hubs)
    reach_ok = np.array(
        [
            np.any((dist[:n_hubs, n_hubs + k] >= 0) & (dist[n_hubs + k, :n_hubs] >= 0))
            for k in range(len(routable))
        ],
        dtype=bool,
    )
    unserved += [
        (sid, "not reachable by road from and back to any hub")
        for sid in routable.loc[~reach_ok, "site_id"]
    ]
    keep = np.concatenate([np.arange(n_hubs), n_hubs + np.flatnonzero(reach_ok)])
    dist, dur = dist[np.ix_(keep, keep)], dur[np.ix_(keep, keep)]
    pred_rows = keep
    routable = routable[reach_ok]
    unserved_df = pd.DataFrame(unserved, columns=["site_id", "reason"])
    to_wgs = Transformer.from_crs(arrays.crs, "EPSG:4326", always_xy=True)
    empty = RoutingResult(
        gpd.GeoDataFrame(
            columns=[
                "route_id",
                "hub_id",
                "stops",
                "site_ids",
                "parcels",
                "km",
                "hours",
                "geometry",
            ],
            geometry="geometry",
            crs="EPSG:4326",
        ),
        pd.DataFrame(columns=["route_id", "stop", "site_id", "parcels", "arrival_s", "load_after"]),
        unserved_df,
        True,
        0.0,
        time.perf_counter() - t0,
    )
    if len(routable) == 0:
        return empty

    model = pyvrp.Model()
    xy = arrays.xy[nodes[keep].astype(int)]
    locations = [model.add_location(x=int(x), y=int(y)) for x, y in xy]
    depots = [
        model.add_depot(locations[h], name=str(hubs["hub_id"].iloc[h])) for h in range(n_hubs)
    ]
    for h, depot in enumerate(depots):
        model.add_vehicle_type(
            num_available=fleet.vans_per_hub,
            capacity=[fleet.van_capacity],
            start_depot=depot,
            end_depot=depot,
            shift_duration=int(fleet.shift_h * 3600),
            name=str(hubs["hub_id"].iloc[h]),
        )
    visits = []  # (location position, site_id, parcels)
    for k, (_, site) in enumerate(routable.iterrows()):
        parcels = int(math.ceil(site["parcels_per_day"]))
        n_visits = max(1, math.ceil(parcels / fleet.van_capacity))
        for part in range(n_visits):
            load = min(fleet.van_capacity, parcels - part * fleet.van_capacity)
            visits.append((n_hubs + k, str(site["site_id"]), load))
            model.add_client(
                locations[n_hubs + k],
                delivery=[load],
                service_duration=fleet.stop_service_s + fleet.parcel_service_s * load,
                name=f"{site['site_id']}#{part + 1}",
            )
    big = int(max(dist.max(), dur.max(), 1) * 100)
    for a, la in enumerate(locations):
        for b, lb in enumerate(locations):
            d = int(dist[a, b]) if dist[a, b] >= 0 else big
            t = int(dur[a, b]) if dur[a, b] >= 0 else big
            model.add_edge(la, lb, distance=d, duration=t)
    result = model.solve(
        stop=MultipleCriteria([MaxIterations(iterations), MaxRuntime(time_limit_s)]),
        seed=seed,
        display=False,
    )
    best = result.best
    rows, stop_rows = [], []
    for r, route in enumerate(best.routes()):
        hub_pos = route.start_depot()
        route_id = f"van{r + 1}"
        sequence = [hub_pos]
        load = sum(v[2] for v in (visits[a.idx] for a in route.schedule() if a.is_client()))
        stop_no = 0
        for act in route.schedule():
            if not act.is_client():
                continue
            loc, site_id, parcels = visits[act.idx]
            sequence.append(loc)
            stop_no += 1
            load -= parcels
            stop_rows.append((route_id, stop_no, site_id, parcels, int(act.start_time), load))
        sequence.append(route.end_depot())
        coords = []
        for a, b in zip(sequence[:-1], sequence[1:], strict=True):
            path = path_nodes(pred, int(pred_rows[a]), int(nodes[keep][b]))
            coords.extend(arrays.xy[path].tolist())
        x, y = to_wgs.transform(*np.array(coords).T) if len(coords) > 1 else ([], [])
        line = (
            shapely.LineString(np.column_stack([x, y])) if len(coords) > 1 else shapely.LineString()
        )
        site_ids = [visits[a.idx][1] for a in route.schedule() if a.is_client()]
        rows.append(
            {
                "route_id": route_id,
                "hub_id": str(hubs["hub_id"].iloc[hub_pos]),
                "stops": len(site_ids),
                "site_ids": ";".join(site_ids),
                "parcels": sum(visits[a.idx][2] for a in route.schedule() if a.is_client()),
                "km": route.distance() / 1000,
                "hours": route.duration() / 3600,
                "geometry": line,
            }
        )
    routes = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    stops = pd.DataFrame(
        stop_rows, columns=["route_id", "stop", "site_id", "parcels", "arrival_s", "load_after"]
    )
    runtime = time.perf_counter() - t0
    log.info(
        "routing: %d sites, %d visits, %d vans, %.1f km, feasible=%s, %.2f s",
        len(routable),
        len(visits),
        len(routes),
        routes["km"].sum(),
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
        stats={"iterations": result.num_iterations, "visits": len(visits), "hubs": n_hubs},
    )
