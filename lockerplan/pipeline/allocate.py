"""The siting result as layers: who is served by which open site.

:func:`allocate` takes the solver's allocation as the plan's (no second derivation
of who is covered) and writes the open sites, the demand clusters and the
allocation lines; :func:`candidate_attributes` gives the siting model each
candidate's kind, capacity and fixed cost, and :func:`catchment_layer` draws
each open site's walking catchment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from ..costs import adoption
from ..errors import InputError
from ..siting import Candidates, SitingResult, assigned_distances, nearest_open

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario import CostParams, SitingParams
    from .prepare import StudyArea


@dataclass(frozen=True)
class Allocation:
    """Who is served by which open site: the siting result as layers.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        Open sites: the candidate columns plus ``site_id``, ``candidate_index``,
        ``parcels_per_day`` (assigned), ``clusters`` and ``mean_walk_m``.
    clusters : geopandas.GeoDataFrame
        Demand clusters with ``covered``, ``site_id`` and ``walk_m``.
    lines : geopandas.GeoDataFrame
        One line per covered cluster to its site (the ``allocation_lines`` layer).
    groups : geopandas.GeoDataFrame or None
        With ``--on-the-way``: the customer groups the siting served, each with its
        home ``cluster_id``, ``site_id``, served and locker parcels and where it was
        reached (:func:`lockerplan.pipeline.commutes.allocate_groups`); None otherwise.
    """

    sites: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    lines: gpd.GeoDataFrame
    groups: gpd.GeoDataFrame | None = None


def candidate_attributes(
    siting: SitingParams, costs: CostParams, cands: gpd.GeoDataFrame
) -> Candidates:
    """Kind, capacity, fixed cost, forced-open and excluded flags of the candidates.

    Capacity: the candidate's own ``capacity`` (user files) or, by kind, compartments /
    dwell days for a cabinet and ``pickup_capacity`` for a pickup point (the siting
    section). Fixed cost: the cost per open cabinet / pickup point and day (the
    costs section).
    """
    kind = cands["kind"].to_numpy(dtype=object)
    is_cabinet = kind == "cabinet"
    capacity = np.where(is_cabinet, siting.cabinet_capacity, siting.pickup_capacity).astype(float)
    if "capacity" in cands:
        own = pd.to_numeric(cands["capacity"], errors="coerce").to_numpy(dtype=float)
        capacity = np.where(np.isfinite(own), own, capacity)
    for option, ids in (("--exclude", siting.exclude), ("--open", siting.open_sites)):
        unknown = sorted(set(ids) - set(cands["candidate_id"]))
        if unknown:
            raise InputError(
                f"{option}: unknown candidate id(s) {', '.join(unknown[:5])}; "
                "the ids are in the candidates layer (candidate_id)."
            )
    return Candidates.default(
        len(cands),
        kind=kind,
        capacity=capacity,
        fixed_cost=np.where(is_cabinet, costs.cabinet_per_day, costs.pickup_point_per_day),
        forced_open=(cands["existing"].fillna(False).to_numpy(dtype=bool) & siting.keep_existing)
        | cands["candidate_id"].isin(siting.open_sites).to_numpy(),
        excluded=cands["candidate_id"].isin(siting.exclude).to_numpy(),
    )


def allocate(
    cands: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    siting: SitingResult,
    capacity: np.ndarray,
    adopt: tuple[float, float] = (1.0, np.inf),
    walks: sparse.csr_matrix | None = None,
) -> Allocation:
    """The siting result's allocation as site, cluster and allocation-line layers.

    Each cluster goes to the site the solver assigned it (``siting.assignment``,
    walking ``siting.assigned_m``): the model's own cutoffs per kind and its
    capacities hold, and the plan reports exactly the coverage the solver gave.
    ``capacity`` is each candidate's parcels per day per module; a site's
    capacity is its modules (``siting.modules``; one where the model does not
    choose them) times that. ``adopt`` is ``(share, scale_m)`` of
    :func:`adoption`: a covered cluster's ``locker_parcels_per_day`` are its
    parcels times the adoption at its walk, and a site's ``parcels_per_day`` (what
    the vans bring and the cabinets hold) the sum over its clusters. Under customers'
    choice (``siting.split``) they are the shares the customers bring each site, and
    with ``walks`` (the open sites x clusters within the walk, not masked by rivals)
    a cluster is covered where an open site is in reach, by the nearest one.
    """
    open_idx = np.asarray(siting.open_sites, dtype=int)
    site_ids = np.array([f"site{k + 1}" for k in range(len(open_idx))])
    position = np.full(max(len(cands), 1), -1)
    position[open_idx] = np.arange(len(open_idx))
    assigned = np.asarray(siting.assignment, dtype=int)
    best_site = np.where(assigned >= 0, position[np.maximum(assigned, 0)], -1)
    walk = np.asarray(siting.assigned_m, dtype=float)
    if walks is not None:  # customers choose among every open site in reach
        best_site = nearest_open(walks, np.arange(walks.shape[0]))
        walk = assigned_distances(walks, best_site)
    covered = best_site >= 0
    walk = np.where(covered, walk, np.nan)
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    served = np.asarray(getattr(siting, "served", ()), dtype=float)
    if len(served) != len(w):  # the model serves all of an assigned cluster
        served = np.where(covered, w, 0.0)
    split = getattr(siting, "split", None)
    if split is not None:  # customers' choice: the shares each open site captures
        locker = w * np.asarray(split.sum(axis=0)).ravel()
    else:
        locker = np.where(covered, served * adoption(np.nan_to_num(walk), *adopt), 0.0)
    clusters = clusters.assign(
        covered=covered,
        site_id=np.where(covered, site_ids[np.maximum(best_site, 0)], None),
        walk_m=np.round(walk, 1),
        served_parcels_per_day=np.round(served, 4),
        locker_parcels_per_day=np.round(locker, 4),
    )
    sites = _site_layer(cands, open_idx, site_ids, clusters, best_site, walk)
    if split is not None:  # a cluster's parcels split between the sites its customers choose
        sites["parcels_per_day"] = np.round(split @ w, 4)
    sites = _with_capacity(sites, siting, capacity[open_idx], chosen=split is not None)
    return Allocation(sites, clusters, _allocation_lines(clusters, sites, best_site))


def _with_capacity(
    sites: gpd.GeoDataFrame, siting: SitingResult, per_module: np.ndarray, chosen: bool = False
) -> gpd.GeoDataFrame:
    """Modules, capacity, assigned load and any load beyond capacity, per open site.

    Models without capacities (mclp, pmedian, lscp, attendance) may assign a site
    more than one module hands out; ``over_capacity_parcels_per_day`` says so. With
    split demand the solver's load per site is its covered parcels; the parcels it
    hands out are then scaled from them, unless customers chose them (``chosen``:
    the shares they bring, already within capacity where the model caps it).
    """
    modules = np.asarray(getattr(siting, "modules", ()), dtype=int)
    if len(modules) != len(sites):
        modules = np.ones(len(sites), dtype=int)
    load = np.asarray(getattr(siting, "load", ()), dtype=float)
    if len(load) == len(sites):  # split demand: the solver's load per site, not the largest share
        covered = sites["covered_parcels_per_day"].to_numpy(dtype=float)
        ratio = np.divide(
            sites["parcels_per_day"].to_numpy(dtype=float),
            covered,
            out=np.zeros(len(sites)),
            where=covered > 0,
        )
        sites = sites.assign(covered_parcels_per_day=load)
        if not chosen:
            sites = sites.assign(parcels_per_day=np.round(load * ratio, 4))
    capacity = modules * per_module
    assigned = sites["parcels_per_day"].to_numpy(dtype=float)
    return sites.assign(
        modules=modules,
        capacity_parcels_per_day=np.round(capacity, 2),
        assigned_parcels_per_day=np.round(assigned, 2),
        over_capacity_parcels_per_day=np.round(np.maximum(assigned - capacity, 0.0), 2),
    )


def _site_layer(cands, open_idx, site_ids, clusters, best_site, walk) -> gpd.GeoDataFrame:
    """Open sites with their locker parcels, covered parcels, clusters and mean walk."""
    sites = cands.iloc[open_idx].copy()
    sites.insert(0, "site_id", site_ids)
    sites["candidate_index"] = open_idx
    covered = best_site >= 0
    w = clusters["served_parcels_per_day"].to_numpy()
    locker = clusters["locker_parcels_per_day"].to_numpy()
    agg = pd.DataFrame(
        {
            "site": best_site[covered],
            "w": w[covered],
            "locker": locker[covered],
            "wd": (w * walk)[covered],
        }
    )
    g = agg.groupby("site")
    every = range(len(open_idx))
    sites["parcels_per_day"] = g["locker"].sum().reindex(every, fill_value=0.0).round(4).to_numpy()
    sites["covered_parcels_per_day"] = g["w"].sum().reindex(every, fill_value=0.0).to_numpy()
    sites["clusters"] = g.size().reindex(every, fill_value=0).to_numpy()
    sites["mean_walk_m"] = (g["wd"].sum() / g["w"].sum()).reindex(every).round(1).to_numpy()
    return sites.reset_index(drop=True)


def _allocation_lines(clusters, sites, best_site) -> gpd.GeoDataFrame:
    """One straight line per covered cluster to its site, with the walk and both nodes."""
    covered = best_site >= 0
    cov = clusters[covered]
    to = best_site[covered]
    ends = sites.geometry.to_numpy()[to]
    lines = (
        shapely.linestrings(
            [[(p.x, p.y), (s.x, s.y)] for p, s in zip(cov.geometry, ends, strict=True)]
        )
        if len(cov)
        else []
    )
    return gpd.GeoDataFrame(
        {
            "cluster_id": cov["cluster_id"].to_numpy(),
            "site_id": cov["site_id"].to_numpy(),
            "parcels_per_day": cov["served_parcels_per_day"].to_numpy(),
            "walk_m": cov["walk_m"].to_numpy(),
            "demand_node": cov["node"].to_numpy(),
            "demand_snap_m": cov["snap_m"].to_numpy(),
            "site_node": sites["node"].to_numpy()[to],
            "site_snap_m": sites["snap_m"].to_numpy()[to],
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def catchment_layer(
    area: StudyArea, sites: gpd.GeoDataFrame, walk_m: float, build: bool = True
) -> gpd.GeoDataFrame:
    """Walking catchment polygon of each open site (empty geometries when not built)."""
    shapes = (
        area.walk.catchments(area.candidate_snap.iloc[sites["candidate_index"]], walk_m).to_numpy()
        if build
        else [None] * len(sites)
    )
    return gpd.GeoDataFrame(
        {"site_id": sites["site_id"].to_numpy()}, geometry=shapes, crs="EPSG:4326"
    )
