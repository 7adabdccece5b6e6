"""Reading PyVRP's best solution back: route lines, clock times, stops, unplanned visits.

Each route becomes one row of ``routes`` (a street-following line in EPSG:4326,
start and end clock times, km and hours) and one row of ``stops`` per visit, with
its trip (a van reloads at its hub between trips), arrival and departure times and
the load on board after the stop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyvrp
import shapely
from pyproj import Transformer

from ..distances import GraphArrays, path_nodes
from .fleet import clock_text
from .result import ROUTE_COLUMNS, STOP_COLUMNS, RoutingResult, unserved_frame

log = logging.getLogger(__package__)

#: a visit as ``(location, site_id, delivery, pickup)`` (see ``visits.Visit``)
VisitTuple = tuple[int, str, int, int]
#: why the solver left visits out, when no number of vans the day needs is known
FLEET_TOO_SMALL = "fleet too small: no van, trip or shift time left (add vans, trips or hubs)"


@dataclass
class StreetPaths:
    """Street-following lines between routing locations.

    Attributes
    ----------
    arrays : GraphArrays
        The drive network.
    pred : numpy.ndarray or None
        Predecessor matrix of the shortest-distance trees; None: straight lines
        between the locations.
    keep : numpy.ndarray
        Row of each location in ``pred``.
    nodes : numpy.ndarray
        Drive-network matrix index of each location.
    """

    arrays: GraphArrays
    pred: np.ndarray | None
    keep: np.ndarray
    nodes: np.ndarray
    to_wgs: Transformer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.to_wgs = Transformer.from_crs(self.arrays.crs, "EPSG:4326", always_xy=True)

    def line(self, sequence: Sequence[int]) -> shapely.LineString:
        """The streets through a sequence of locations, as a line in EPSG:4326.

        Parameters
        ----------
        sequence : sequence of int
            Locations in visiting order (a location repeated in a row adds nothing).

        Returns
        -------
        shapely.LineString
            Empty when the route never leaves its hub.
        """
        coords = []
        for a, b in zip(sequence[:-1], sequence[1:], strict=True):
            if a == b:
                continue
            if self.pred is None:  # straight from stop to stop
                coords.extend(self.arrays.xy[[int(self.nodes[a]), int(self.nodes[b])]].tolist())
                continue
            path = path_nodes(self.pred, int(self.keep[a]), int(self.nodes[b]))
            coords.extend(self.arrays.path_coords(path).tolist())
        if len(coords) > 1:
            x, y = self.to_wgs.transform(*np.array(coords).T)
            return shapely.LineString(np.column_stack([x, y]))
        return shapely.LineString()


def _trips(route: pyvrp.Route) -> list[list]:
    """The route's client visits, split into trips at the (re)load depot visits."""
    trips: list[list] = [[]]
    for act in list(route.schedule())[1:]:
        if act.is_depot():
            trips.append([])
        else:
            trips[-1].append(act)
    return [t for t in trips if t]


def _stop_rows(
    route_id: str, trips: list[list], visits: Sequence[VisitTuple], route_start: int
) -> list[tuple]:
    """One ``STOP_COLUMNS`` row per visit of a route, in order, with the load after it."""
    rows = []
    stop_no = 0
    for t_no, trip in enumerate(trips, start=1):
        trip_load = sum(visits[a.idx][2] for a in trip)
        for act in trip:
            _, site_id, d, p = visits[act.idx]
            stop_no += 1
            trip_load += p - d
            arrival = int(act.start_time) - int(act.wait_duration)
            rows.append(
                (
                    route_id,
                    t_no,
                    stop_no,
                    site_id,
                    d,
                    p,
                    arrival - route_start,
                    clock_text(arrival),
                    clock_text(int(act.end_time)),
                    trip_load,
                )
            )
    return rows


def _sequence(hub_pos: int, trips: list[list], visits: Sequence[VisitTuple]) -> list[int]:
    """Locations of a route in order: the hub, each trip's visits, the hub again."""
    sequence = [hub_pos]
    for trip in trips:
        sequence.extend(visits[act.idx][0] for act in trip)
        sequence.append(hub_pos)
    return sequence


def _route_row(
    route: pyvrp.Route,
    route_id: str,
    hub_id: str,
    trips: list[list],
    visits: Sequence[VisitTuple],
    line: shapely.LineString,
) -> dict:
    """One ``ROUTE_COLUMNS`` row: the van's visits, totals, times, km and hours."""
    served = [visits[a.idx] for trip in trips for a in trip]
    return {
        "route_id": route_id,
        "hub_id": hub_id,
        "stops": len(served),
        "site_ids": ";".join(v[1] for v in served),
        "parcels": sum(v[2] for v in served),
        "returns": sum(v[3] for v in served),
        "trips": len(trips),
        "start": clock_text(int(route.start_time())),
        "end": clock_text(int(route.end_time())),
        "km": route.distance() / 1000,
        "hours": route.duration() / 3600,
        "geometry": line,
    }


def read_routes(
    best: pyvrp.Solution,
    visits: Sequence[VisitTuple],
    vt_hub: Sequence[int],
    hub_ids: pd.Series,
    paths: StreetPaths,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The routes and stops of PyVRP's best solution.

    Parameters
    ----------
    best : pyvrp.Solution
        The solution.
    visits : sequence of tuple
        ``(location, site_id, delivery, pickup)`` of each client.
    vt_hub : sequence of int
        Hub of each vehicle type.
    hub_ids : pandas.Series
        ``hub_id`` of each hub, in location order.
    paths : StreetPaths
        Street lines between the locations.

    Returns
    -------
    routes : geopandas.GeoDataFrame
        One row per van, ``ROUTE_COLUMNS``, EPSG:4326.
    stops : pandas.DataFrame
        One row per visit, ``STOP_COLUMNS``.
    """
    rows, stop_rows = [], []
    for r, route in enumerate(best.routes()):
        hub_pos = vt_hub[route.vehicle_type()]
        route_id = f"van{r + 1}"
        trips = _trips(route)
        stop_rows += _stop_rows(route_id, trips, visits, int(route.start_time()))
        line = paths.line(_sequence(hub_pos, trips, visits))
        rows.append(_route_row(route, route_id, str(hub_ids.iloc[hub_pos]), trips, visits, line))
    routes = gpd.GeoDataFrame(rows, columns=ROUTE_COLUMNS, geometry="geometry", crs="EPSG:4326")
    return routes, pd.DataFrame(stop_rows, columns=STOP_COLUMNS)


def unplanned(
    best: pyvrp.Solution, visits: Sequence[VisitTuple], reason: str = FLEET_TOO_SMALL
) -> list:
    """Visits the solver left out (fleet too small), merged per site, with the reason."""
    per_site: dict[str, float] = {}
    for act in best.unplanned():
        _, site_id, d, _ = visits[int(act.idx)]
        per_site[site_id] = per_site.get(site_id, 0.0) + d
    return [(sid, reason, float(p)) for sid, p in per_site.items()]


def routing_result(
    best: pyvrp.Solution,
    routes: gpd.GeoDataFrame,
    stops: pd.DataFrame,
    unserved: list,
    t0: float,
    stats: dict,
    n_sites: int,
    n_visits: int,
) -> RoutingResult:
    """Assemble (and log) the result of a solve.

    Parameters
    ----------
    best : pyvrp.Solution
        The solution (feasibility and distance).
    routes, stops : DataFrame
        From :func:`read_routes`.
    unserved : list of tuple
        ``(site_id, reason, parcels)`` of everything left out.
    t0 : float
        :func:`time.perf_counter` at the start of routing.
    stats : dict
        Statistics of the run.
    n_sites, n_visits : int
        Routable sites and visits handed to the solver (for the log).

    Returns
    -------
    RoutingResult
    """
    runtime = time.perf_counter() - t0
    unserved_df = unserved_frame(unserved)
    log.info(
        "routing: %d sites, %d visits, %d vans, %.1f km, %d unserved, feasible=%s, %.2f s",
        n_sites,
        n_visits,
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
