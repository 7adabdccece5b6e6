"""What must be visited: input checks, snapping and reachability, van-load visits.

The hubs and sites are snapped to the drive network; a site too far from it, or
that no hub with vans can reach and return from, is reported as unserved with the
reason. Each remaining site becomes one or more *visits* of at most a van load,
and a visit that no van could make even alone (too far for the shift or the
window) is reported too. Everything here decides *what* is routed; how it is
routed is :mod:`lockerplan.routing.problem`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from ..distances import GraphArrays, network_matrices, snap_points
from ..errors import InputError
from .fleet import Fleet, ShiftTimes

log = logging.getLogger(__package__)

#: why a visit is left out before solving
_FAR = "more than {:.0f} m from the drive network"
_UNREACHABLE = "not reachable by road from and back to any hub with vans"
_IMPOSSIBLE = "no van can reach it and return within the shift and window"


def check_inputs(hubs: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, returns_share: float) -> None:
    """Raise :class:`InputError` naming the first bad hub, site or share.

    Parameters
    ----------
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id`` and optionally ``vans``.
    sites : geopandas.GeoDataFrame
        Sites with ``site_id``, ``parcels_per_day`` and optionally ``returns_per_day``.
    returns_share : float
        Returns per delivered parcel, in [0, 1].
    """
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


class Visit(NamedTuple):
    """One stop of at most a van load at a site."""

    #: position in the location list (hubs first, then the routable sites)
    loc: int
    site_id: str
    #: parcels delivered
    delivery: int
    #: returns collected
    pickup: int


@dataclass
class Located:
    """Hubs and sites on the drive network, with the matrices between them.

    Attributes
    ----------
    hubs : geopandas.GeoDataFrame
        All hubs (index reset); locations ``0 .. n_hubs - 1``.
    sites : geopandas.GeoDataFrame
        The routable sites, in location order after the hubs.
    vans : numpy.ndarray
        The cap on vans at each hub (``inf``: no cap; see :func:`hub_vans`).
    nodes : numpy.ndarray
        Drive-network matrix index of each location.
    keep : numpy.ndarray
        Row of each location in ``pred``.
    dist, dur : numpy.ndarray
        Road distance (m) and travel time (s) between the locations; ``-1`` where
        unreachable.
    pred : numpy.ndarray or None
        Predecessor matrix of the shortest-distance trees (street paths); None
        when the routes are drawn as straight lines between their stops.
    unserved : list of tuple
        ``(site_id, reason, parcels)`` of the sites left out.
    """

    hubs: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    vans: np.ndarray
    nodes: np.ndarray
    keep: np.ndarray
    dist: np.ndarray
    dur: np.ndarray
    pred: np.ndarray | None
    unserved: list

    @property
    def n_hubs(self) -> int:
        """Number of hubs (the first locations)."""
        return len(self.hubs)


def _snap_hubs(arrays: GraphArrays, hubs: gpd.GeoDataFrame, max_snap_m: float) -> pd.DataFrame:
    """Snap the hubs to the drive network; raise if one is off it.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id``.
    max_snap_m : float
        Largest distance from a hub to the drive network.

    Returns
    -------
    pandas.DataFrame
        The snap of each hub (see :func:`lockerplan.distances.snap_points`).
    """
    hub_snap = snap_points(arrays, hubs.geometry, max_snap_m)
    if not hub_snap["snapped"].all():
        bad = hubs.loc[~hub_snap["snapped"].to_numpy(), "hub_id"].tolist()
        raise InputError(
            f"--hubs: hub(s) {', '.join(map(str, bad))} are more than {max_snap_m:.0f} m from the "
            "drive network; move them onto a street inside the study area."
        )
    return hub_snap


def far_sites(sites: gpd.GeoDataFrame, snapped: np.ndarray, max_snap_m: float) -> list:
    """``(site_id, reason, parcels)`` of the sites too far from the drive network."""
    parcels_all = sites["parcels_per_day"].to_numpy(dtype=float)
    return [
        (sid, _FAR.format(max_snap_m), p)
        for sid, p in zip(sites.loc[~snapped, "site_id"], parcels_all[~snapped], strict=True)
    ]


def hub_vans(hubs: gpd.GeoDataFrame, fleet: Fleet) -> np.ndarray:
    """The cap on vans at each hub: the hubs' ``vans`` column, else ``fleet.vans_per_hub``.

    Parameters
    ----------
    hubs : geopandas.GeoDataFrame
        Hubs, optionally with ``vans``.
    fleet : Fleet
        The fleet (its ``vans_per_hub``).

    Returns
    -------
    numpy.ndarray of float
        Vans at each hub; ``inf`` where there is no cap (the routing sizes the fleet).

    Examples
    --------
    >>> hubs = gpd.GeoDataFrame({"hub_id": ["a", "b"], "vans": [2, 0]}, geometry=[None, None])
    >>> hub_vans(hubs, Fleet()).tolist()
    [2.0, 0.0]
    >>> hub_vans(hubs.drop(columns="vans"), Fleet(vans_per_hub=3)).tolist()
    [3.0, 3.0]
    >>> hub_vans(hubs.drop(columns="vans"), Fleet()).tolist()
    [inf, inf]
    """
    if "vans" in hubs:
        return pd.to_numeric(hubs["vans"]).astype(int).to_numpy(dtype=float)
    cap = np.inf if fleet.vans_per_hub is None else float(fleet.vans_per_hub)
    return np.full(len(hubs), cap)


def _reachable(dist: np.ndarray, n_hubs: int, vans: np.ndarray) -> np.ndarray:
    """Whether each site (after the hubs) is reachable from and back to a hub with vans.

    Examples
    --------
    >>> dist = np.array([[0, 5, 7], [5, 0, 2], [-1, 2, 0]])
    >>> _reachable(dist, 1, np.array([1])).tolist()
    [True, False]
    """
    return np.array(
        [
            np.any((dist[:n_hubs, n_hubs + k] >= 0) & (dist[n_hubs + k, :n_hubs] >= 0) & (vans > 0))
            for k in range(len(dist) - n_hubs)
        ],
        dtype=bool,
    )


def locate(
    arrays: GraphArrays,
    hubs: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    fleet: Fleet,
    max_snap_m: float,
    street_paths: bool = True,
    matrices: dict | None = None,
) -> Located:
    """Snap hubs and sites to the drive network and keep the reachable sites.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    hubs : geopandas.GeoDataFrame
        Hubs with ``hub_id`` and optionally ``vans``.
    sites : geopandas.GeoDataFrame
        Sites with ``site_id`` and ``parcels_per_day``.
    fleet : Fleet
        The fleet (vans per hub).
    max_snap_m : float
        Largest distance from a hub or site to the drive network.
    street_paths : bool, default True
        Keep the shortest-path trees for the routes' street lines.
    matrices : dict, optional
        Road matrices already computed, by locations (filled here): calls over
        the same hubs and sites (several days to the same delivery zones) compute
        them once.

    Returns
    -------
    Located
        The routable sites, matrices and the sites left out (too far from the
        network, or not reachable from and back to a hub with vans).

    Raises
    ------
    InputError
        If a hub is off the drive network.
    """
    hubs = hubs.reset_index(drop=True)
    sites = sites.reset_index(drop=True)
    hub_snap = _snap_hubs(arrays, hubs, max_snap_m)
    site_snap = snap_points(arrays, sites.geometry, max_snap_m)
    snapped = site_snap["snapped"].to_numpy()
    unserved = far_sites(sites, snapped, max_snap_m)
    routable = sites[snapped]
    nodes = np.concatenate(
        [hub_snap["node_index"].to_numpy(), site_snap.loc[routable.index, "node_index"].to_numpy()]
    ).astype(int)
    matrices = {} if matrices is None else matrices
    key = (nodes.tobytes(), street_paths)
    if key not in matrices:  # only the last locations' matrices are kept
        matrices.clear()
        matrices[key] = network_matrices(arrays, nodes, predecessors=street_paths)
    dist, dur, pred = matrices[key]
    n_hubs = len(hubs)
    vans = hub_vans(hubs, fleet)
    reach_ok = _reachable(dist, n_hubs, vans)
    unserved += [
        (sid, _UNREACHABLE, p)
        for sid, p in zip(
            routable.loc[~reach_ok, "site_id"],
            routable.loc[~reach_ok, "parcels_per_day"].astype(float),
            strict=True,
        )
    ]
    keep = np.concatenate([np.arange(n_hubs), n_hubs + np.flatnonzero(reach_ok)])
    if reach_ok.all():  # the shared matrices themselves, not copies (read only below)
        sub_dist, sub_dur = dist, dur
    else:
        sub_dist, sub_dur = dist[np.ix_(keep, keep)], dur[np.ix_(keep, keep)]
    return Located(
        hubs=hubs,
        sites=routable[reach_ok],
        vans=vans,
        nodes=nodes[keep],
        keep=keep,
        dist=sub_dist,
        dur=sub_dur,
        pred=pred,
        unserved=unserved,
    )


def _site_loads(deliver: int, pick: int, capacity: int, min_visits: int) -> list[tuple[int, int]]:
    """A site's deliveries and pickups split into ``(delivery, pickup)`` van loads.

    Examples
    --------
    >>> _site_loads(450, 30, 200, 1)
    [(200, 30), (200, 0), (50, 0)]
    >>> _site_loads(0, 0, 200, 1), _site_loads(0, 0, 200, 0)
    ([(0, 0)], [])
    """
    n_visits = max(min_visits, math.ceil(max(deliver, pick) / capacity))
    return [
        (
            min(capacity, max(deliver - part * capacity, 0)),
            min(capacity, max(pick - part * capacity, 0)),
        )
        for part in range(n_visits)
    ]


def split_visits(
    sites: gpd.GeoDataFrame,
    first_loc: int,
    capacity: int,
    returns_share: float,
    min_visits: int,
) -> list[Visit]:
    """Split each site's parcels and returns into visits of at most a van load.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Routable sites with ``site_id``, ``parcels_per_day`` and optionally
        ``returns_per_day``.
    first_loc : int
        Location of the first site (the number of hubs).
    capacity : int
        Parcels per van load.
    returns_share : float
        Returns per delivered parcel, used when there is no ``returns_per_day``.
    min_visits : int
        Visits per site with zero parcels (1: still visited; 0: skipped).

    Returns
    -------
    list of Visit
        Loads rounded up to whole parcels; a site is never dropped for its size.
    """
    returns_all = (
        sites["returns_per_day"].to_numpy(dtype=float)
        if "returns_per_day" in sites
        else sites["parcels_per_day"].to_numpy(dtype=float) * returns_share
    )
    visits: list[Visit] = []
    for k, (site_id, parcels, returns) in enumerate(
        zip(
            sites["site_id"].astype(str),
            sites["parcels_per_day"].to_numpy(dtype=float),
            returns_all,
            strict=True,
        )
    ):
        deliver = int(math.ceil(parcels - 1e-9))
        pick = int(math.ceil(returns - 1e-9))
        for d, p in _site_loads(deliver, pick, capacity, min_visits):
            visits.append(Visit(first_loc + k, site_id, d, p))
    return visits


def warn_over_capacity(visits: list[Visit], vans: np.ndarray, fleet: Fleet) -> None:
    """Log a warning when the parcels exceed what the whole (capped) fleet carries in a day."""
    if not np.isfinite(vans).all():
        return  # no cap: the routing sizes the fleet
    cap = fleet.van_capacity
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


def service_times(
    visits: list[Visit],
    fleet: Fleet,
    extra_per_parcel: np.ndarray | None = None,
    first_loc: int = 0,
) -> list[int]:
    """Seconds at each visit: the stop time plus the time per parcel and return.

    ``extra_per_parcel`` (per site, in location order from ``first_loc``) adds
    seconds per parcel delivered, e.g. a delivery zone's inner tour
    (:mod:`~lockerplan.routing.zones`), or takes some off where a cluster expects
    less than one parking stop a day (:func:`~lockerplan.routing.stops.door_stops`)
    or a locker is loaded faster than a door is served (one fleet for both).

    Examples
    --------
    >>> service_times([Visit(1, "s1", 100, 10)], Fleet(stop_service_s=300, parcel_service_s=6))
    [960]
    """
    base = [fleet.stop_service_s + fleet.parcel_service_s * (d + p) for _, _, d, p in visits]
    if extra_per_parcel is not None:  # the extra may be < 0; a visit never less than 0
        base = [
            max(t + extra_per_parcel[v.loc - first_loc] * v.delivery, 0.0)
            for t, v in zip(base, visits, strict=True)
        ]
    return [int(t) for t in base]


def _solo_ok(
    dur_s: np.ndarray,
    hubs_ok: np.ndarray,
    loc: int,
    service: int,
    fleet: Fleet,
    start: int,
    tw_early: int,
    tw_late: int,
) -> bool:
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


def drop_impossible(
    visits: list[Visit],
    service: list[int],
    dur_s: np.ndarray,
    vans: np.ndarray,
    fleet: Fleet,
    times: ShiftTimes,
) -> tuple[list[Visit], list[int], list]:
    """Leave out the visits no van can make even alone (too far for the shift or window).

    Parameters
    ----------
    visits : list of Visit
        The visits.
    service : list of int
        Service seconds of each visit.
    dur_s : numpy.ndarray
        Integer travel times between the locations (unreachable: a large number).
    vans : numpy.ndarray
        Vans at each hub.
    fleet : Fleet
        The fleet (shift, reload time).
    times : ShiftTimes
        The fleet's start and visit window, seconds.

    Returns
    -------
    visits, service : list
        The visits some van can make, and their service seconds.
    unserved : list of tuple
        ``(site_id, reason, parcels)`` per site of the visits left out.
    """
    hubs_ok = np.flatnonzero(vans > 0)
    solo = [
        _solo_ok(dur_s, hubs_ok, loc, service[i], fleet, times.start, times.tw_early, times.tw_late)
        for i, (loc, _, _, _) in enumerate(visits)
    ]
    impossible: dict[str, float] = {}
    for ok, (_, site_id, d, _) in zip(solo, visits, strict=True):
        if not ok:
            impossible[site_id] = impossible.get(site_id, 0.0) + d
    unserved = [(sid, _IMPOSSIBLE, p) for sid, p in impossible.items()]
    visits = [v for v, ok in zip(visits, solo, strict=True) if ok]
    service = [t for t, ok in zip(service, solo, strict=True) if ok]
    return visits, service, unserved
