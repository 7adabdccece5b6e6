"""What the router returns: :class:`RoutingResult` and the columns of its tables."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

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
#: columns of :attr:`RoutingResult.unserved`
UNSERVED_COLUMNS = ["site_id", "reason", "parcels"]


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
        ``iterations``, ``visits``, ``hubs``, ``vans_available`` (vans PyVRP could
        use: the caps, or the sized fleet when uncapped), ``phases`` (2 when the
        fleet could not serve every visit and the optional-visit model was solved),
        ``objective`` (van, energy and driver cost per day; site costs excluded) and,
        only when a cap left visits out, ``vans_needed`` (vans a solve of the same
        visits without the cap uses).
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


def unserved_frame(unserved: list[tuple[str, str, float]]) -> pd.DataFrame:
    """The unserved table from ``(site_id, reason, parcels)`` rows.

    Parameters
    ----------
    unserved : list of tuple
        One ``(site_id, reason, parcels)`` row per site (or part of a site) left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id``, ``reason`` and ``parcels``.

    Examples
    --------
    >>> unserved_frame([("s1", "too far", 12.0)])
      site_id   reason  parcels
    0      s1  too far     12.0
    """
    return pd.DataFrame(unserved, columns=UNSERVED_COLUMNS)


def empty_result(unserved: pd.DataFrame, t0: float, stats: dict) -> RoutingResult:
    """A result with no routes: nothing was left to route.

    Parameters
    ----------
    unserved : pandas.DataFrame
        The sites left out and why (see :func:`unserved_frame`).
    t0 : float
        :func:`time.perf_counter` at the start of routing.
    stats : dict
        The statistics gathered so far.

    Returns
    -------
    RoutingResult
        Empty ``routes`` and ``stops``, feasible, zero cost.
    """
    return RoutingResult(
        gpd.GeoDataFrame(columns=ROUTE_COLUMNS, geometry="geometry", crs="EPSG:4326"),
        pd.DataFrame(columns=STOP_COLUMNS),
        unserved,
        True,
        0.0,
        time.perf_counter() - t0,
        stats,
    )
