"""Door-to-door stops and their access to the drive network.

The door-to-door days stop at the demand clusters' addresses
(:func:`~lockerplan.routing.stops.door_stops`). Each cluster is snapped to the
nearest drivable street once (:func:`door_access`); a cluster farther than the
snapping distance, up to :data:`ON_FOOT_MAX_M`, is delivered on foot from that
street, and each of its stops adds the walk there and back
(:func:`door_stops_on_foot`). The door-to-door fleet is the routing fleet without
a window or a cap (:func:`door_fleet`).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from ..distances import GraphArrays, snap_points
from ..errors import InputError
from .fleet import Fleet
from .stops import door_stops

#: Farthest a home is delivered on foot from the nearest drivable street, metres
#: (beyond the snapping distance: pedestrian streets, courtyards, car-free islands).
ON_FOOT_MAX_M = 2000.0
#: A courier's walking speed carrying parcels, m/s (about 4.3 km/h; assumed).
ON_FOOT_SPEED_MS = 1.2


def on_foot_reach(max_snap_m: float) -> float:
    """How far from a drivable street the door-to-door days deliver (on foot)."""
    return max(float(max_snap_m), ON_FOOT_MAX_M)


def door_access(
    arrays: GraphArrays, demand: gpd.GeoDataFrame, max_snap_m: float = 250.0
) -> pd.Series:
    """Each demand cluster's straight distance to the nearest drivable street, metres.

    The snap the door-to-door days make of their stops (within
    :func:`on_foot_reach`): it depends on the clusters' places only, not on their
    parcels, so it is made once and handed to
    :func:`~lockerplan.routing.vans.delivery_zones` and to every
    :func:`~lockerplan.routing.vans.route_door_to_door` over the same clusters
    (``access``), as the zones' road matrices are
    (:func:`~lockerplan.routing.vans.zone_matrices`).

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    demand : geopandas.GeoDataFrame
        Demand clusters with ``cluster_id`` (or ``site_id``).
    max_snap_m : float, default 250
        As in :func:`~lockerplan.routing.vans.route_door_to_door`.

    Returns
    -------
    pandas.Series
        ``access_m`` by cluster id (as a string); beyond the reach, the distance
        to the nearest node.

    Examples
    --------
    >>> access = door_access(drive_arrays, clusters)  # doctest: +SKIP
    >>> door = route_door_to_door(drive_arrays, hubs, clusters, access=access)  # doctest: +SKIP
    """
    ids = _stop_ids(demand)
    snap = snap_points(arrays, demand.geometry, on_foot_reach(max_snap_m))
    return pd.Series(snap["access_m"].to_numpy(dtype=float), index=ids.to_numpy(), name="access_m")


def _stop_ids(demand: gpd.GeoDataFrame) -> pd.Series:
    """The door stops' ids: the clusters' ``cluster_id`` (else ``site_id``), as strings."""
    if "cluster_id" in demand:
        return demand["cluster_id"].astype(str)
    if "site_id" not in demand:
        raise InputError("demand must have a 'cluster_id' (or 'site_id') column.")
    return demand["site_id"].astype(str)


def _access_of(
    arrays: GraphArrays, stops: gpd.GeoDataFrame, reach: float, access: pd.Series | None
) -> np.ndarray:
    """The stops' ``access_m``: from ``access`` (:func:`door_access`), or snapped now
    within ``reach`` for the stops it does not hold."""
    ids = stops["site_id"].astype(str)
    known = (
        np.full(len(stops), np.nan)
        if access is None
        else access.reindex(ids.to_numpy()).to_numpy(dtype=float)
    )
    missing = np.isnan(known)
    if missing.any():
        snap = snap_points(arrays, stops.geometry[missing], reach)
        known[missing] = snap["access_m"].to_numpy(dtype=float)
    return known


def door_stops_on_foot(
    arrays: GraphArrays,
    demand: gpd.GeoDataFrame,
    failure_rate: float,
    stop_s: float,
    max_snap_m: float,
    access: pd.Series | None = None,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The demand clusters as stops at the level of addresses
    (:func:`~lockerplan.routing.stops.door_stops`), and each stop's ``access_m``
    (from ``access`` when given, :func:`door_access`).

    A cluster farther than ``max_snap_m`` from a drivable street (up to
    :data:`ON_FOOT_MAX_M`) is delivered on foot from the nearest one: each of its
    stops adds the walk there and back at :data:`ON_FOOT_SPEED_MS` (``on_foot_m``).
    """
    # a covered cluster's site_id names its locker; the stop is the cluster itself
    demand = demand.assign(site_id=_stop_ids(demand))
    if "parcels_per_day" not in demand:
        raise InputError("demand must have a 'parcels_per_day' column.")
    stops = gpd.GeoDataFrame(
        door_stops(demand, failure_rate, stop_s), geometry="geometry", crs=demand.crs
    )
    if not len(stops):
        return stops.assign(on_foot_m=np.zeros(0)), np.zeros(0)
    reach = on_foot_reach(max_snap_m)
    to_street = _access_of(arrays, stops, reach, access)
    # beyond the reach a stop is not snapped, and the routing lists it unserved
    walk = np.where((to_street > max_snap_m) & (to_street <= reach), to_street, 0.0)
    per = np.where(stops["parcels_per_day"] > 0, stops["parcels_per_day"], 1.0)
    extra = stops["stops"].to_numpy() * 2 * walk / ON_FOOT_SPEED_MS / per
    stops = stops.assign(
        on_foot_m=walk.round(1), extra_s_per_parcel=stops["extra_s_per_parcel"] + extra
    )
    return stops, to_street


def door_fleet(
    fleet: Fleet, handover_s: float, stop_service_s: int | None, start_h: float
) -> Fleet:
    """The door-to-door fleet: no window, and no cap (it is sized like an uncapped fleet).

    With ``vans_per_hub=None`` :func:`~lockerplan.routing.vans.route_vans` gives
    each hub enough vans that only unreachable clusters are left out
    (:func:`~lockerplan.routing.fleet.vans_bound`) and the fixed cost per van
    decides how many are used.
    """
    base = fleet.stop_service_s if stop_service_s is None else stop_service_s
    return dataclasses.replace(
        fleet,
        window=None,
        start_h=start_h,
        parcel_service_s=handover_s,
        stop_service_s=base,
        vans_per_hub=None,
    )
