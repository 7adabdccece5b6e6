"""The on-the-way stage of a plan: a study area's commutes, and who a site covers on them.

:func:`lockerplan.pipeline.prepare.prepare_study_area` runs it in two steps when
``--on-the-way`` is set:

1. :func:`plan_commutes`, once the demand clusters are on the walk network: the
   job cells (:func:`read_jobs`), the travel time of every home cluster to every job
   cell (by transit with ``--gtfs``, else by car), the gravity model and its draw of
   commutes (:mod:`~lockerplan.ontheway.commute`), and each commute's anchors on the
   way: the stops of its transit journey, or the nodes of its car path. The stops
   the journeys use become candidate sites where they are not yet
   (:func:`candidate_stops`).
2. :func:`on_the_way_area`, once the candidates' walks to the clusters are known:
   the candidates' walks to the job cells (within the largest walk) and to the
   anchors on the way (within the detour), and the customer groups
   (:func:`~lockerplan.ontheway.coverage.commute_groups`).

A plan then takes :meth:`OnTheWayArea.coverage` at its own walk: the candidate x
group matrix the siting models are given.

Transit times: each home cluster boards at its nearest stop on lockerplan's walk
network (ties to the stop that sorts first), walks there at the scenario's walking
speed and rides from there (:class:`~lockerplan.ontheway.transit.TransitRouter`);
where walking all the way is quicker, the commute walks. Times are rounded to the
minute, the grain of commuting surveys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ..country import study_area_country
from ..distances import GraphArrays, within_cutoff
from ..errors import InputError
from ..inputs import read_features
from ..scenario import CommuteParams, DemandParams, NetworkParams
from .commute import EMPLOYED_SHARE, Commutes, GravityParams, gravity_commutes, sample_trips
from .coverage import OnTheWay, commute_groups, on_the_way_matrix, stop_candidates
from .drive import drive_nodes, drive_paths, drive_times, node_points
from .transit import TransitParams, TransitRouter, prepare_feeds

log = logging.getLogger(__name__)

#: Most home-cluster x job-cell pairs the gravity model holds (dense matrices of
#: 8 bytes a pair, several at once: 25 million pairs are about 1 GB).
MAX_PAIRS = 25_000_000

#: Where the employed share of residents comes from, by country (see
#: :data:`~lockerplan.ontheway.commute.EMPLOYED_SHARE`).
EMPLOYED_SOURCES = {
    "BR": "Brazil: 94.6 million employed (IBGE, PNAD Continua 2019) over 210.1 million "
    "residents (IBGE estimate, 1 July 2019)",
}


@dataclass(frozen=True)
class Commuting:
    """A study area's commutes, made by :func:`plan_commutes`.

    Attributes
    ----------
    mode : str
        ``"transit"`` (the commutes ride the GTFS feeds) or ``"car"``.
    jobs : geopandas.GeoDataFrame
        The job cells: ``job_id``, ``jobs``; EPSG:4326.
    trips : pandas.DataFrame
        The commutes drawn: ``home`` (row of the demand clusters), ``job`` (row of
        ``jobs``), ``workers``, ``time_s`` (door to door), ``way`` (``"transit"``,
        ``"walk"``, ``"car"`` or ``"none"``) and ``legs`` (transit rides).
    anchors : geopandas.GeoDataFrame
        The places on the way where commuters stand: ``key`` (stop key or drive
        node), ``name``, ``kind`` (``"station"``, ``"stop"`` or ``"car path"``); EPSG:4326.
    paths : list of numpy.ndarray
        Per trip, the rows of ``anchors`` on its way.
    gravity : Commutes
        The trip matrix and its calibration.
    residents : numpy.ndarray
        Residents per demand cluster (parcels over the demand model's rate per resident).
    employed_share : float
    employed_source : str
        Where ``employed_share`` comes from.
    stops : pandas.DataFrame or None
        The stops the feeds serve on the day (:attr:`~lockerplan.ontheway.transit.Feeds.stops`).
    service_date : str
        The timetables' day ("" by car).
    depart : str
        When the commutes leave their boarding stop (``HH:MM``).
    seconds : dict
        Wall seconds per step.
    """

    mode: str
    jobs: gpd.GeoDataFrame = field(repr=False)
    trips: pd.DataFrame = field(repr=False)
    anchors: gpd.GeoDataFrame = field(repr=False)
    paths: list[np.ndarray] = field(repr=False)
    gravity: Commutes = field(repr=False)
    residents: np.ndarray = field(repr=False)
    employed_share: float
    employed_source: str
    stops: pd.DataFrame | None = field(default=None, repr=False)
    service_date: str = ""
    depart: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def read_jobs(
    params: CommuteParams, demand: DemandParams, area: Any = None
) -> tuple[gpd.GeoDataFrame, float]:
    """The job cells: the jobs column of ``--workplaces`` or of ``--population``.

    Rows without a number of jobs (or with a negative one) are left out and logged;
    so are cells outside ``area`` (the study area's walk network, EPSG:4326).

    Returns
    -------
    jobs : geopandas.GeoDataFrame
        ``job_id`` (the file's ``id`` column, else ``row N``) and ``jobs`` of the cells
        with jobs inside ``area``, at a point inside each cell; EPSG:4326.
    layer_jobs : float
        Every job the file holds (the employed share's default is read with it).

    Raises
    ------
    InputError
        Without a file to read, without the column, or without jobs in the area.
    """
    path = params.workplaces or demand.population
    option = "--workplaces" if params.workplaces else "--population"
    column = params.jobs_column or "jobs"
    if path is None:
        raise InputError(
            "--jobs-column reads the jobs of a population grid: give --population FILE with "
            "that column, or the jobs as --workplaces FILE."
        )
    gdf = read_features(path, option, crs=demand.demand_crs)
    if column not in gdf.columns:
        cols = [c for c in map(str, gdf.columns) if c not in ("geometry", "input_row", "invalid")]
        raise InputError(
            f"{option} {str(path)!r} has no column {column!r} (columns: {', '.join(cols)}); "
            "name the jobs column with --jobs-column."
        )
    jobs = pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float)
    bad = gdf["invalid"].notna().to_numpy() | ~np.isfinite(jobs) | (jobs < 0)
    if bad.any():
        log.warning("%s: %d rows without a number of jobs >= 0 left out", option, int(bad.sum()))
    layer_jobs = float(jobs[~bad].sum())
    keep = ~bad & (jobs > 0)
    ids = gdf["id"].astype(str) if "id" in gdf.columns else "row " + gdf["input_row"].astype(str)
    cells = gpd.GeoDataFrame(
        {"job_id": ids.to_numpy()[keep], "jobs": jobs[keep]},
        geometry=gdf.geometry[keep].representative_point().to_numpy(),
        crs="EPSG:4326",
    )
    if area is not None and len(cells):
        inside = cells.within(area).to_numpy()
        if not inside.all():
            log.info(
                "%s: %d cells (%.0f jobs) outside the study area left out",
                option,
                int((~inside).sum()),
                float(cells["jobs"].to_numpy()[~inside].sum()),
            )
        cells = cells[inside]
    if len(cells) == 0:
        raise InputError(
            f"{option} {str(path)!r}: no cell with jobs ({column!r} > 0) in the study area; "
            "give the jobs of this area."
        )
    return cells.reset_index(drop=True), layer_jobs


def employed_share(
    params: CommuteParams,
    residents: float,
    layer_jobs: float,
    lon: np.ndarray,
    lat: np.ndarray,
    weights: np.ndarray,
) -> tuple[float, str]:
    """The employed share of residents and where it comes from: the setting, the study
    area's country (:data:`~lockerplan.ontheway.commute.EMPLOYED_SHARE`), else the
    layer's jobs per resident (at most 1).

    Examples
    --------
    >>> employed_share(CommuteParams(employed_share=0.5), 10.0, 4.0, [], [], [])
    (0.5, 'the setting')
    """
    if params.employed_share is not None:
        return float(params.employed_share), "the setting"
    code = study_area_country(lon, lat, weights).code if len(lon) else ""
    if code in EMPLOYED_SHARE:
        return EMPLOYED_SHARE[code], EMPLOYED_SOURCES[code]
    share = min(1.0, layer_jobs / max(residents, 1e-300))
    return share, f"jobs per resident of the layer ({layer_jobs:,.0f} / {residents:,.0f})"


def plan_commutes(
    params: CommuteParams,
    *,
    walk: Any,
    drive: Callable[[], GraphArrays],
    clusters: gpd.GeoDataFrame,
    cluster_snap: pd.DataFrame,
    demand: DemandParams,
    network: NetworkParams,
) -> Commuting:
    """The commutes of a study area: job cells, travel times, gravity model, the way.

    Parameters
    ----------
    params : CommuteParams
        The ``commutes`` section.
    walk : WalkNetwork
        The walk network (:mod:`lockerplan.walking`).
    drive : callable
        Returns the drive network's arrays (read only by car).
    clusters : geopandas.GeoDataFrame
        Demand clusters (``parcels_per_day``, ``on_network``): the homes.
    cluster_snap : pandas.DataFrame
        How each cluster meets the walk network.
    demand, network : DemandParams, NetworkParams
        The demand model's parcels per resident, the population file and its CRS;
        walking speed and snapping distance.

    Returns
    -------
    Commuting
    """
    t0 = time.perf_counter()
    jobs, layer_jobs = read_jobs(params, demand, walk.area(network.max_snap_m))
    if len(clusters) * len(jobs) > MAX_PAIRS:
        raise InputError(
            f"--on-the-way: {len(clusters):,} demand clusters x {len(jobs):,} job cells is more "
            f"than the {MAX_PAIRS:,} home-work pairs the gravity model holds; cluster the "
            "demand coarser (--cluster-m) or give coarser job cells."
        )
    parcels = clusters["parcels_per_day"].to_numpy(dtype=float)
    residents = parcels / demand.person_rate
    pts = clusters.geometry.to_crs("EPSG:4326")
    share, source = employed_share(
        params, float(residents.sum()), layer_jobs, pts.x.to_numpy(), pts.y.to_numpy(), parcels
    )
    log.info("employed share of residents: %.3f (%s)", share, source)
    workers = residents * share * clusters["on_network"].to_numpy(dtype=bool)
    speed = network.walk_speed_kmh / 3.6
    if params.gtfs:
        way = _transit_way(params, walk, clusters, cluster_snap, jobs, speed, network)
    else:
        way = _car_way(drive(), clusters, jobs)
    gparams = GravityParams(
        employed_share=share,
        mean_commute_s=params.mean_commute_min * 60,
        beta=None if params.commute_beta is None else params.commute_beta / 60,
        trips=params.commute_trips,
        seed=params.commute_seed,
    )
    if gparams.beta is None and not params.gtfs:
        raise InputError(
            "--on-the-way without --gtfs: the commutes drive, and free-flow car times are "
            "shorter than any observed door-to-door mean; give --commute-beta (per minute) "
            "or --gtfs FILE."
        )
    t1 = time.perf_counter()
    gravity = gravity_commutes(workers, jobs["jobs"].to_numpy(), way.times, gparams)
    trips = sample_trips(gravity, gparams)
    t2 = time.perf_counter()
    anchors, paths, details = way.paths(trips["home"].to_numpy(), trips["job"].to_numpy())
    trips = pd.concat([trips, details], axis=1)
    clock = {
        "travel times": t1 - t0,
        "gravity model": t2 - t1,
        "paths": time.perf_counter() - t2,
    }
    return Commuting(
        mode=way.mode,
        jobs=jobs,
        trips=trips,
        anchors=anchors,
        paths=paths,
        gravity=gravity,
        residents=residents,
        employed_share=share,
        employed_source=source,
        stops=way.stops,
        service_date=way.service_date,
        depart=params.depart if params.gtfs else "",
        seconds=clock,
    )


@dataclass
class _Way:
    """How the commutes travel: their times and, for the trips drawn, their anchors."""

    mode: str
    times: np.ndarray
    paths: Callable[[np.ndarray, np.ndarray], tuple[gpd.GeoDataFrame, list, pd.DataFrame]]
    stops: pd.DataFrame | None = None
    service_date: str = ""


def _nearest_stop(access: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the column of its shortest walk (ties to the first column) and that walk
    (-1 and inf where a row reaches none)."""
    a = sparse.csr_matrix(access)
    best = np.full(a.shape[0], -1)
    walk = np.full(a.shape[0], np.inf)
    for i in range(a.shape[0]):
        lo, hi = a.indptr[i], a.indptr[i + 1]
        if hi > lo:
            cols, vals = a.indices[lo:hi], a.data[lo:hi]
            k = np.lexsort((cols, vals))[0]
            best[i], walk[i] = cols[k], vals[k]
    return best, walk


def _transit_way(params, walk, clusters, cluster_snap, jobs, speed, network) -> _Way:
    """Commutes on the timetables: board at the nearest stop, ride, walk to work."""
    tparams = TransitParams(
        date=params.service_date,
        depart_s=params.depart_s,
        max_transfers=params.max_transfers,
    )
    feeds = prepare_feeds(list(params.gtfs), tparams)
    router = TransitRouter(walk.local_arrays(), feeds, tparams)
    stops = feeds.stops
    walk_m = tparams.max_walk_s * speed
    stop_snap, _ = walk.snap(
        gpd.GeoSeries(gpd.points_from_xy(stops["lon"], stops["lat"]), crs="EPSG:4326"),
        network.max_snap_m,
    )
    job_snap, _ = walk.snap(jobs.geometry, network.max_snap_m)
    board, access_m = _nearest_stop(walk.distances(cluster_snap, stop_snap, walk_m))
    used = np.unique(board[board >= 0])
    row = np.full(len(stops), -1)
    row[used] = np.arange(len(used))
    starts = router.stop_points(list(stops["key"].to_numpy()[used]))
    ends = router.place_points(jobs.geometry.x.to_numpy(), jobs.geometry.y.to_numpy())
    ride = router.times(starts, ends)
    times = np.full((len(clusters), len(jobs)), np.inf)
    has = board >= 0
    times[has] = access_m[has, None] / speed + ride[row[board[has]]]
    foot = _dense(walk.distances(cluster_snap, job_snap, walk_m)) / speed
    walks = foot <= times
    times = np.round(np.minimum(times, foot) / 60) * 60
    log.info(
        "transit: %d of %d home clusters board within %.0f m; %.1f %% of home-job pairs walk",
        int(has.sum()),
        len(clusters),
        walk_m,
        100 * walks.mean(),
    )

    def paths(home: np.ndarray, job: np.ndarray) -> tuple[gpd.GeoDataFrame, list, pd.DataFrame]:
        ride_home = has[home] & ~walks[home, job]
        idx = np.flatnonzero(ride_home)
        found = router.journeys(starts, ends, row[board[home[idx]]], job[idx])
        stop_lists: list[list[str]] = [[] for _ in home]
        legs = np.zeros(len(home), dtype=int)
        for k, (stops_k, legs_k) in zip(
            idx, zip(found["stops"], found["legs"], strict=True), strict=True
        ):
            stop_lists[k], legs[k] = list(stops_k), int(legs_k)
        way = np.where(
            walks[home, job],
            "walk",
            np.where(legs > 0, "transit", np.where(has[home], "walk", "none")),
        )
        anchors, rows = _stop_anchors(stop_lists, stops)
        details = pd.DataFrame({"time_s": times[home, job], "way": way, "legs": legs})
        return anchors, rows, details

    return _Way("transit", times, paths, stops, feeds.date.isoformat())


def _dense(m: sparse.spmatrix) -> np.ndarray:
    """A sparse matrix of walks as a dense one: ``inf`` where nothing is stored (a stored
    0.0 is a walk of 0 m)."""
    out = np.full(m.shape, np.inf)
    c = m.tocoo()
    out[c.row, c.col] = c.data
    return out


def _stop_anchors(
    stop_lists: list[list[str]], stops: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, list]:
    """The distinct stops of the journeys as anchors, and each journey's rows of them."""
    keys = sorted({k for s in stop_lists for k in s})
    pos = {k: i for i, k in enumerate(keys)}
    info = stops.set_index("key").loc[keys] if keys else stops.iloc[:0].set_index("key")
    anchors = gpd.GeoDataFrame(
        {
            "key": keys,
            "name": info["name"].to_numpy(),
            "kind": np.where(info["station"].to_numpy(dtype=bool), "station", "stop"),
        },
        geometry=gpd.points_from_xy(info["lon"], info["lat"]),
        crs="EPSG:4326",
    )
    rows = [np.array([pos[k] for k in s], dtype=np.int64) for s in stop_lists]
    return anchors, rows


def _car_way(drive: GraphArrays, clusters: gpd.GeoDataFrame, jobs: gpd.GeoDataFrame) -> _Way:
    """Commutes by car: fastest times on the drive network, each path's nodes on the way."""
    cells = gpd.GeoSeries(
        np.r_[clusters.geometry.to_crs("EPSG:4326").to_numpy(), jobs.geometry.to_numpy()],
        crs="EPSG:4326",
    )
    nodes = drive_nodes(drive, cells)
    nh = len(clusters)
    times = np.round(drive_times(drive, nodes)[:nh, nh:] / 60) * 60

    def paths(home: np.ndarray, job: np.ndarray) -> tuple[gpd.GeoDataFrame, list, pd.DataFrame]:
        ways = drive_paths(drive, nodes, home, nh + job)
        keys = np.unique(np.concatenate([np.zeros(0, np.int64), *ways["path"]]))
        pos = np.full(len(drive.xy), -1)
        pos[keys] = np.arange(len(keys))
        anchors = gpd.GeoDataFrame(
            {"key": keys.astype(str), "name": "", "kind": "car path"},
            geometry=node_points(drive, keys).to_crs("EPSG:4326").to_numpy(),
            crs="EPSG:4326",
        )
        rows = [pos[p] for p in ways["path"]]
        found = ways["path"].map(len).to_numpy() > 0
        details = pd.DataFrame(
            {"time_s": times[home, job], "way": np.where(found, "car", "none"), "legs": 0}
        )
        return anchors, rows, details

    return _Way("car", times, paths)


def candidate_stops(commuting: Commuting, candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The stops the commutes use that are no candidate site yet, as candidates
    (:func:`~lockerplan.ontheway.coverage.stop_candidates`); none by car."""
    if commuting.stops is None:
        return candidates.iloc[:0]
    used = commuting.stops[commuting.stops["key"].isin(set(commuting.anchors["key"]))]
    return stop_candidates(used, candidates)


@dataclass
class OnTheWayArea:
    """What a plan needs to cover customers on the way (made by :func:`on_the_way_area`).

    Attributes
    ----------
    commuting : Commuting
    groups : Groups
        The customer groups (:func:`~lockerplan.ontheway.coverage.commute_groups`).
    work : scipy.sparse.csr_matrix
        Candidate x job-cell walks within the study area's largest walk.
    path : scipy.sparse.csr_matrix
        Candidate x anchor walks within ``detour_m`` (or the largest walk).
    detour_m : float or None
        The detour limit; None: each plan's walk.
    """

    commuting: Commuting
    groups: Any
    work: sparse.csr_matrix = field(repr=False)
    path: sparse.csr_matrix = field(repr=False)
    detour_m: float | None
    _cache: dict[float, OnTheWay] = field(default_factory=dict, repr=False)

    def coverage(self, home: sparse.csr_matrix, walk_m: float) -> OnTheWay:
        """The candidate x group matrix at a plan's walk, from its candidate x cluster
        walks ``home`` (computed once per walk)."""
        if walk_m not in self._cache:
            detour = self.detour_m if self.detour_m is not None else walk_m
            self._cache[walk_m] = on_the_way_matrix(
                home,
                within_cutoff(self.work, walk_m),
                within_cutoff(self.path, detour),
                self.groups,
            )
        return self._cache[walk_m]


def on_the_way_area(
    commuting: Commuting,
    *,
    walk: Any,
    candidate_snap: pd.DataFrame,
    clusters: gpd.GeoDataFrame,
    max_walk_m: float,
    detour_m: float | None,
    max_snap_m: float,
) -> OnTheWayArea:
    """The candidates' walks to the job cells and to the anchors on the way, and the
    customer groups: what :meth:`OnTheWayArea.coverage` makes a plan's matrix of."""
    job_snap, _ = walk.snap(commuting.jobs.geometry, max_snap_m)
    anchor_snap, _ = walk.snap(commuting.anchors.geometry, max_snap_m)
    work = walk.distances(candidate_snap, job_snap, max_walk_m)
    path = walk.distances(candidate_snap, anchor_snap, detour_m or max_walk_m)
    trips = commuting.trips
    groups = commute_groups(
        clusters["parcels_per_day"].to_numpy(dtype=float),
        commuting.residents,
        trips,
        np.arange(len(clusters)),
        np.arange(len(commuting.jobs)),
        commuting.paths,
    )
    return OnTheWayArea(commuting, groups, work, path, detour_m)
