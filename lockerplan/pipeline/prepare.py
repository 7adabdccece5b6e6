"""Preparing a study area: networks, demand, candidates and walking distances.

:func:`prepare_study_area` does the expensive, scenario-independent part of a
plan once; :func:`lockerplan.pipeline.solve.plan_study_area` then sites and
routes any number of scenarios on it (a sweep re-uses one study area).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .. import candidates as cand_mod
from .. import competitors as comp_mod
from ..assumptions import source_country, with_country
from ..demand import cluster_demand
from ..demand.load import load_demand
from ..distances import (
    GraphArrays,
    snap_points,
    within_cutoff,
)
from ..errors import InputError
from ..inputs import read_hubs
from ..ontheway.stage import OnTheWayArea, candidate_stops, on_the_way_area, plan_commutes
from ..progress import StageClock, tqdm
from ..scenario import DemandParams, Scenario, hub_number
from ..scheduler import dask_client
from ..source import OsmFile, Place, open_source
from ..streets import StreetGraphs, Streets
from ..walking import WalkNetwork

log = logging.getLogger(__name__)

Drop = tuple[str, str, float, str]
"""What was left out: ``(layer, id, parcels_per_day, reason)``."""


@dataclass
class StudyArea(StreetGraphs):
    """Everything a plan needs before siting: networks, demand, candidates, distances.

    Made by :func:`prepare_study_area`; :func:`~lockerplan.pipeline.solve.plan_study_area`
    solves it for one set of siting and routing settings, so that scenario sweeps
    reuse the expensive part.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario it was prepared for.
    name, source : str
        Default plan name and the source's label (file name or place).
    walk_streets, drive_streets : Streets
        The street networks; ``walk_graph`` / ``drive_graph`` give them as osmnx-style
        graphs (built on first use: a plan itself works on ``walk`` and ``drive``).
    drive : GraphArrays or distributed.Future
        The drive network's arrays; with ``scheduler``, their future on a Dask worker
        (routing then runs there as one task); ``drive_arrays`` fetches them.
    walk : WalkNetwork
        The walk network's work (snapping, distances, catchments, street names), in
        this process or, with ``scheduler``, as Dask tasks on a worker that holds
        the network (:mod:`lockerplan.walking`); ``walk_arrays`` fetches its arrays.
    clusters : geopandas.GeoDataFrame
        Demand clusters, with how each reaches the walk network.
    candidates : geopandas.GeoDataFrame
        Candidate sites, likewise, and the nearest named street (``near_street``, for map labels).
    distances : scipy.sparse.csr_matrix
        Candidate x demand-cluster walking distances within ``max_walk_m``.
    max_walk_m : float
        Walking distances are exact up to this cutoff; plans may use any cutoff up to it.
    dropped : list of tuple
        What preparation left out: ``(layer, id, parcels_per_day, reason)``.
    prepare_s : float
        Wall seconds of the preparation, of which ``stage_seconds`` per stage
        (``networks``, ``demand``, ``candidates``, ``distances``; snapping the rest).
    competitors : geopandas.GeoDataFrame or None
        A rival network's sites (:mod:`lockerplan.competitors`), snapped like the
        candidates; None without competitors.
    competitor_distances : scipy.sparse.csr_matrix or None
        Competitor x demand-cluster walking distances within ``max_walk_m``.
    country : dict
        The study area's country (``code``, ``name``, ``found``) and the settings its
        preset filled (``settings``; :mod:`lockerplan.assumptions`).
    on_the_way : OnTheWayArea or None
        With ``--on-the-way``: the commutes, the customer groups and the candidates'
        walks to their work and their way (:mod:`lockerplan.ontheway.stage`).
    """

    scenario: Scenario
    name: str
    source: str
    walk_streets: Streets = field(repr=False)
    drive_streets: Streets = field(repr=False)
    walk: WalkNetwork = field(repr=False)
    drive: Any = field(repr=False)
    demand_points: gpd.GeoDataFrame = field(repr=False)
    demand_source: str
    demand_parcels_in: float
    clusters: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    candidates_source: str
    candidate_snap: pd.DataFrame = field(repr=False)
    distances: sparse.csr_matrix = field(repr=False)
    max_walk_m: float
    hubs: gpd.GeoDataFrame | None = field(repr=False)  # None: placed after siting
    dropped: list[Drop] = field(repr=False)
    prepare_s: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    competitors: gpd.GeoDataFrame | None = field(default=None, repr=False)
    competitor_distances: sparse.csr_matrix | None = field(default=None, repr=False)
    on_the_way: OnTheWayArea | None = field(default=None, repr=False)
    country: dict[str, Any] = field(default_factory=dict)
    _spacing: dict[float, sparse.csr_matrix] = field(default_factory=dict, repr=False)
    _rival_walk: dict[float, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def walk_arrays(self) -> GraphArrays:
        """The walk network's arrays (fetched from the Dask worker when it is there)."""
        return self.walk.local_arrays()

    @property
    def drive_on_workers(self) -> bool:
        """Whether the drive network is on a Dask worker (routing then runs there)."""
        return not isinstance(self.drive, GraphArrays)

    @property
    def drive_arrays(self) -> GraphArrays:
        """The drive network's arrays (fetched from the Dask worker when it is there)."""
        return self.drive.result() if self.drive_on_workers else self.drive

    def distances_within(self, walk_m: float) -> sparse.csr_matrix:
        """Candidate x demand distances within ``walk_m`` (at most :attr:`max_walk_m`)."""
        if walk_m > self.max_walk_m:
            raise InputError(
                f"--walk-m {walk_m:g} is above the {self.max_walk_m:g} m the distances were "
                "computed for; prepare the study area with a larger max_walk_m."
            )
        return (
            self.distances if walk_m == self.max_walk_m else within_cutoff(self.distances, walk_m)
        )

    def competitor_walk(self, walk_m: float) -> np.ndarray:
        """Per demand cluster, the walk to its nearest competitor within ``walk_m`` (inf:
        none; all inf without competitors). Computed once per cutoff."""
        if walk_m not in self._rival_walk:
            self._rival_walk[walk_m] = comp_mod.nearest_competitor(
                self.competitor_distances, walk_m, len(self.clusters)
            )
        return self._rival_walk[walk_m]

    def siting_distances(self, walk_m: float) -> sparse.csr_matrix:
        """What a siting model is given: :meth:`distances_within` less the walks a
        competitor is at least as near for (:func:`lockerplan.competitors.contestable`)."""
        D = self.distances_within(walk_m)
        if self.competitors is None:
            return D
        return comp_mod.contestable(D, self.competitor_walk(walk_m))

    def site_distances(self, min_spacing_m: float) -> sparse.csr_matrix:
        """Candidate x candidate walking distances below ``min_spacing_m`` (computed once).

        A site is not too close to itself: the diagonal is not stored.
        """
        if min_spacing_m not in self._spacing:
            snap = self.candidate_snap
            spacing = self.walk.distances(snap, snap, min_spacing_m)
            spacing.setdiag(np.inf)
            self._spacing[min_spacing_m] = within_cutoff(spacing, min_spacing_m)
        return self._spacing[min_spacing_m]


def resolve_scenario(scenario: Scenario | None, settings: dict[str, Any]) -> Scenario:
    """``scenario`` (default: central Helsinki) with ``settings`` (flat settings or
    sections) applied, checked."""
    base = scenario or Scenario()
    return base.replace(**settings) if settings else base


def progress_bar(total: int, progress: bool, desc: str = "lockerplan") -> Any:
    """A tqdm bar over stages (hidden when ``progress`` is False or stderr is no terminal)."""
    return tqdm(
        total=total, desc=desc, unit="stage", disable=None if progress else True, leave=False
    )


def attach_cluster_ids(points: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Demand points with the ``cluster_id`` of the cluster they belong to."""
    member = {
        demand_id: cid
        for cid, ids in zip(clusters["cluster_id"], clusters["member_ids"], strict=True)
        for demand_id in ids.split(";")
    }
    return points.assign(cluster_id=points["demand_id"].map(member))


def _networks(src: OsmFile | Place, scheduler: str | None) -> tuple[Streets, Streets, Any, Any]:
    """The street networks and what the plan computes on: the walk network's
    :class:`WalkNetwork` and the drive network's arrays, here; or, with a scheduler,
    built by Dask workers and kept there (the drive arrays as a future), the networks
    then read here only if a user asks for their graphs."""
    with dask_client(scheduler) as (client, where):
        if client is None:
            walk_streets, drive_streets = src.streets("walk"), src.streets("drive")
            walk = WalkNetwork.here(walk_streets.arrays())
            return walk_streets, drive_streets, walk, drive_streets.arrays(crs=walk.crs)
        walk = WalkNetwork.on_dask(client, src, where)
        drive = client.submit(build_drive_arrays, src, walk.crs, pure=False)
        return Streets.deferred(src, "walk"), Streets.deferred(src, "drive"), walk, drive


def build_drive_arrays(source: OsmFile | Place, crs: Any) -> GraphArrays:
    """The drive network's arrays in the walk network's CRS (run by a Dask worker)."""
    return source.streets("drive").arrays(crs=crs)


def _demand(
    params: DemandParams, src: OsmFile | Place, walk: WalkNetwork, max_snap_m: float
) -> tuple[Any, Any, Any]:
    """Demand points and clusters inside the area the walk network covers."""
    area = walk.area(max_snap_m)
    demand = load_demand(params, area=area, buildings=src.buildings)
    if len(demand.points) == 0:
        raise InputError(
            f"no demand to serve in the study area ({demand.summary()}); use an extract of a "
            "built-up area or a demand file that overlaps it."
        )
    clusters = cluster_demand(demand.points, params.cluster_m)
    return demand, attach_cluster_ids(demand.points, clusters), clusters


def _candidates(
    src: OsmFile | Place, user: gpd.GeoDataFrame | None, operator: str | None = None
) -> tuple[gpd.GeoDataFrame, str, gpd.GeoDataFrame | None]:
    """Candidates, their source, and (with ``operator``) OSM lockers of other operators."""
    pois, rivals = src.pois() if user is None or operator else None, None
    if operator:
        pois, rivals = comp_mod.split_osm_lockers(pois, operator)
    if user is not None:
        cands, label = user.copy(), "user file"
    else:
        cands, label = cand_mod.candidates_from_pois(pois), "OSM places"
    if len(cands) == 0:
        raise InputError(
            "no candidate sites: the extract has no shops, post offices, stops or parking; "
            "give your own with --candidates FILE."
        )
    return cands, label, rivals


def _competitor_walks(
    walk: WalkNetwork,
    rivals: gpd.GeoDataFrame,
    d_snap: pd.DataFrame,
    max_snap_m: float,
    max_walk_m: float,
) -> tuple[gpd.GeoDataFrame | None, sparse.csr_matrix | None, list[Drop]]:
    """Competitor sites snapped to the walk network and their walks to the clusters."""
    if len(rivals) == 0:
        return None, None, []
    rivals, snap, drops = _snap(walk, rivals, max_snap_m, "competitors", "competitor_id")
    return rivals, walk.distances(snap, d_snap, max_walk_m), drops


def _snap(
    walk: WalkNetwork, frame: gpd.GeoDataFrame, max_snap_m: float, layer: str, id_col: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[Drop]]:
    """Snap a layer to the walk network; what is too far away is listed as dropped."""
    snap, columns = walk.snap(frame.geometry, max_snap_m)
    frame = frame.assign(**columns, on_network=snap["snapped"].to_numpy())
    reason = f"more than {max_snap_m:.0f} m from the walk network"
    far = frame[~snap["snapped"].to_numpy()]
    parcels = far["parcels_per_day"] if "parcels_per_day" in far else pd.Series(0.0, far.index)
    drops = [(layer, i, float(p), reason) for i, p in zip(far[id_col], parcels, strict=True)]
    return frame, snap, drops


def _snap_candidates(
    sc: Scenario,
    src: OsmFile | Place,
    walk: WalkNetwork,
    drive: Any,
    cands: gpd.GeoDataFrame,
    cand_source: str,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[Drop]]:
    """Candidates snapped to the walk network, those no van can reach left out, each
    with its nearest street's name; an error when none is left."""
    snap_m = sc.network.max_snap_m
    cands, c_snap, c_drops = _snap(walk, cands, snap_m, "candidates", "candidate_id")
    if isinstance(drive, GraphArrays):  # not when the drive network is on a Dask worker
        cands, c_snap, v_drops = _van_reachable(drive, cands, c_snap, snap_m)
        c_drops += v_drops
    cands = cands.assign(near_street=walk.streets(cands.geometry))
    if not c_snap["snapped"].any():
        file = sc.candidates.candidates
        where = f"--candidates {file!r}" if file else f"the {cand_source}"
        raise InputError(
            f"{where}: none of its {len(cands)} sites is within {snap_m:g} m of the "
            f"study area's walk network ({src.label}); give sites inside the area, or the "
            "extract that covers them."
        )
    return cands, c_snap, c_drops


def _van_reachable(
    drive: GraphArrays, cands: gpd.GeoDataFrame, c_snap: pd.DataFrame, max_snap_m: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[Drop]]:
    """Candidates a van can reach: within ``max_snap_m`` of a street of the drive
    network's largest strongly connected part (where the hubs are). The others are
    left out before siting, listed with their reason, so no open site is unserved."""
    if not drive.has_edges or not len(cands):
        return cands, c_snap, []
    _, label = connected_components(drive.length, directed=True, connection="strong")
    main = np.bincount(label).argmax()
    snap = snap_points(drive, cands.geometry, max_snap_m)
    ends = [snap[c].to_numpy() for c in ("u_index", "v_index", "node_index")]
    inside = np.zeros(len(cands), dtype=bool)
    for idx in ends:
        ok = idx >= 0
        inside[ok] |= label[idx[ok]] == main
    off = ~snap["snapped"].to_numpy()
    cut = ~off & ~inside
    bad = (off | cut) & cands["on_network"].to_numpy()
    if not bad.any():
        return cands, c_snap, []
    reasons = np.where(
        off[bad],
        f"no van can reach it: more than {max_snap_m:.0f} m from the drive network",
        "no van can reach it: its street is cut off from the rest of the drive network",
    )
    drops = [
        ("candidates", i, 0.0, r)
        for i, r in zip(cands.loc[bad, "candidate_id"], reasons, strict=True)
    ]
    log.info("%d candidate sites no van can reach left out before siting", int(bad.sum()))
    c_snap = c_snap.copy()
    c_snap.loc[c_snap.index[bad], "snapped"] = False
    return cands.assign(on_network=cands["on_network"].to_numpy() & ~bad), c_snap, drops


def _given_sites(
    sc: Scenario,
    candidate_sites: gpd.GeoDataFrame | None,
    hub_points: gpd.GeoDataFrame | None,
    competitor_sites: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """The candidates, hubs and competitors given as frames, else read from the files the
    scenario names (None where it names none)."""
    cands, hubs = sc.candidates, sc.routing.hubs
    if candidate_sites is None and cands.candidates:
        candidate_sites = cand_mod.read_candidates(cands.candidates)
    if hub_points is None and hubs and hub_number(hubs) is None:
        hub_points = read_hubs(hubs)
    if competitor_sites is None and cands.competitors:
        competitor_sites = comp_mod.read_competitors(cands.competitors, cands.operator)
    return candidate_sites, hub_points, competitor_sites


def _commutes(sc, walk, drive, clusters, d_snap, competitor_sites):
    """The study area's commutes (:func:`lockerplan.ontheway.stage.plan_commutes`)."""
    if sc.candidates.competitors or sc.candidates.operator or competitor_sites is not None:
        raise InputError(
            "--on-the-way does not take competitors yet (--competitors, --operator): who "
            "collects at a rival on the way is not modelled; plan without one of them."
        )
    return plan_commutes(
        sc.commutes,
        walk=walk,
        drive=lambda: drive.result() if not isinstance(drive, GraphArrays) else drive,
        clusters=clusters,
        cluster_snap=d_snap,
        demand=sc.demand,
        network=sc.network,
    )


def prepare_study_area(
    scenario: Scenario | None = None,
    *,
    candidate_sites: gpd.GeoDataFrame | None = None,
    hub_points: gpd.GeoDataFrame | None = None,
    competitor_sites: gpd.GeoDataFrame | None = None,
    max_walk_m: float | None = None,
    progress: bool = False,
    **settings: Any,
) -> StudyArea:
    """Build the networks, demand, candidates and walking distances of a scenario.

    Parameters
    ----------
    scenario : Scenario, optional
        The default scenario (central Helsinki) if omitted.
    candidate_sites, hub_points : geopandas.GeoDataFrame, optional
        Your own candidates / hubs instead of the scenario's.
    competitor_sites : geopandas.GeoDataFrame, optional
        A rival network's sites (as from
        :func:`lockerplan.competitors.read_competitors`) instead of the scenario's
        ``competitors`` file; OSM lockers of other operators are added with
        ``operator``.
    max_walk_m : float, optional
        Compute walking distances up to this cutoff (default: the scenario's
        ``walk_m``); use the largest cutoff of a sweep.
    progress : bool, default False
        Show a progress bar.
    **settings
        Any :class:`Scenario` field.

    Returns
    -------
    StudyArea

    Examples
    --------
    >>> area = prepare_study_area(max_walk_m=600)  # doctest: +SKIP
    >>> area.distances.shape  # candidates x demand clusters  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    sc = resolve_scenario(scenario, settings)
    walk_m, snap_m = sc.siting.walk_m, sc.network.max_snap_m
    max_walk_m = float(max_walk_m if max_walk_m is not None else walk_m)
    if not max_walk_m >= walk_m:
        raise InputError(f"max_walk_m ({max_walk_m}) must be >= walk_m ({walk_m}).")
    src = open_source(sc.network)
    given = _given_sites(sc, candidate_sites, hub_points, competitor_sites)
    candidate_sites, hub_points, competitor_sites = given
    with progress_bar(6 if sc.commutes.on_the_way else 4, progress) as bar:
        clock = StageClock(bar=bar)
        with clock("networks"):
            walk_streets, drive_streets, walk, drive = _networks(src, sc.siting.scheduler)
        country = source_country(src, sc.demand.country, lambda: walk.area(0.0))
        sc, filled = with_country(sc, country["code"])
        country["settings"] = filled["settings"]
        with clock("demand"):
            demand, points, clusters = _demand(sc.demand, src, walk, snap_m)
        with clock("candidates"):
            operator = sc.candidates.operator
            cands, cand_source, osm_rivals = _candidates(src, candidate_sites, operator)
        dropped: list[Drop] = list(
            demand.dropped[["layer", "id", "parcels_per_day", "reason"]].itertuples(
                index=False, name=None
            )
        )
        clusters, d_snap, d_drops = _snap(walk, clusters, snap_m, "demand_clusters", "cluster_id")
        commuting = None
        if sc.commutes.on_the_way:
            with clock("commutes"):
                commuting = _commutes(sc, walk, drive, clusters, d_snap, competitor_sites)
                stops = candidate_stops(commuting, cands)
                cands = pd.concat([cands, stops], ignore_index=True)
                if len(stops):
                    cand_source += f" and {len(stops):,} transit stops"
        cands, c_snap, c_drops = _snap_candidates(sc, src, walk, drive, cands, cand_source)
        with clock("distances"):
            D = walk.distances(c_snap, d_snap, max_walk_m)
            rivals = comp_mod.combine(competitor_sites, osm_rivals)
            rivals, C, r_drops = _competitor_walks(walk, rivals, d_snap, snap_m, max_walk_m)
        otw = None
        if commuting is not None:
            with clock("on the way"):
                otw = on_the_way_area(
                    commuting,
                    walk=walk,
                    candidate_snap=c_snap,
                    clusters=clusters,
                    max_walk_m=max_walk_m,
                    detour_m=sc.commutes.detour_m,
                    max_snap_m=snap_m,
                )
    return StudyArea(
        scenario=sc,
        name=sc.outputs.name or src.name,
        source=src.label,
        walk_streets=walk_streets,
        drive_streets=drive_streets,
        walk=walk,
        drive=drive,
        demand_points=points,
        demand_source=demand.source,
        demand_parcels_in=float(demand.parcels_in),
        clusters=clusters,
        candidates=cands,
        candidates_source=cand_source,
        candidate_snap=c_snap,
        distances=D,
        max_walk_m=max_walk_m,
        hubs=hub_points,
        dropped=dropped + d_drops + c_drops + r_drops,
        prepare_s=time.perf_counter() - t0,
        stage_seconds=clock,
        competitors=rivals,
        competitor_distances=C,
        on_the_way=otw,
        country=country,
    )
