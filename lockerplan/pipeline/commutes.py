"""Pickups on the way in a plan: the siting's customer groups back to clusters and sites.

With ``--on-the-way`` the siting models serve customer *groups* (residents who stay,
and one group per commute, :mod:`lockerplan.ontheway.coverage`), each reached from
its home, its job cell or its way. :func:`allocate_groups` reads the siting's
allocation of the groups as the plan's layers: every open site carries the parcels
of all who collect there (from home, work or the way: a site's capacity is shared
by them all), and every demand cluster the parcels of its residents served
anywhere, split into those reached at home, at work and on the way.

A group counts where an open site first reaches it: at home if one is within the
walk of its home, else at work, else on the way. So the parcels counted at home are
those home-only coverage of the same sites reaches, and the rest is what covering on
the way adds (:func:`on_the_way_figures`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..records import CommuteCoverage
from .allocate import Allocation, allocate

if TYPE_CHECKING:  # pragma: no cover
    from ..ontheway import OnTheWay
    from ..ontheway.stage import OnTheWayArea
    from ..siting import SitingResult

#: Where a group is first reached, in order.
REACHED = ("at_home", "at_work", "on_the_way")


def reached_from(otw: OnTheWay, open_sites: np.ndarray) -> np.ndarray:
    """Per group, where an open site first reaches it: 0 at home, 1 at work, 2 on the
    way, -1 nowhere."""
    rows = np.zeros(otw.matrix.shape[0], dtype=bool)
    rows[np.asarray(open_sites, dtype=np.int64)] = True
    out = np.full(otw.matrix.shape[1], -1)
    for k, m in reversed(list(enumerate((otw.home, otw.work, otw.path)))):
        out[m[rows].getnnz(axis=0) > 0] = k
    return out


def allocate_groups(
    cands: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    otw: OnTheWay,
    siting: SitingResult,
    capacity: np.ndarray,
    adopt: tuple[float, float],
) -> Allocation:
    """The siting result over customer groups as the plan's layers.

    Parameters
    ----------
    cands, clusters : geopandas.GeoDataFrame
        The candidates and the demand clusters (the groups' homes).
    otw : OnTheWay
        The candidate x group matrices the siting was given.
    siting : SitingResult
        Its allocation of the groups.
    capacity, adopt
        As :func:`lockerplan.pipeline.allocate.allocate` takes them.

    Returns
    -------
    Allocation
        ``sites`` as :func:`~lockerplan.pipeline.allocate.allocate` makes them over the
        groups; ``clusters`` with each cluster's served and locker parcels summed over
        its groups, ``site_id`` the site serving most of them, ``walk_m`` the
        parcel-weighted walk (from wherever the customers are), and
        ``at_home_parcels_per_day``, ``at_work_parcels_per_day``,
        ``on_the_way_parcels_per_day``; ``lines`` from the clusters to the sites that
        serve their residents at home; ``groups`` one row per group.
    """
    g = otw.groups
    home = clusters.iloc[g.home]
    frame = gpd.GeoDataFrame(
        {
            "cluster_id": home["cluster_id"].to_numpy(),
            "parcels_per_day": otw.weights,
            "node": home["node"].to_numpy(),
            "snap_m": home["snap_m"].to_numpy(),
            "commute": g.trip,
        },
        geometry=home.geometry.to_numpy(),
        crs=clusters.crs,
    )
    alloc = allocate(cands, frame, siting, capacity, adopt)
    groups = alloc.clusters.assign(
        reached=np.array([*REACHED, "none"], dtype=object)[reached_from(otw, siting.open_sites)]
    )
    served = groups["served_parcels_per_day"].to_numpy(dtype=float)
    by_cluster = pd.DataFrame(
        {
            "cluster": g.home,
            "served": served,
            "locker": groups["locker_parcels_per_day"].to_numpy(dtype=float),
            "walked": served * groups["walk_m"].fillna(0.0).to_numpy(dtype=float),
            **{k: np.where(groups["reached"] == k, served, 0.0) for k in REACHED},
        }
    ).groupby("cluster")
    n = len(clusters)
    sums = by_cluster.sum().reindex(range(n), fill_value=0.0)
    main = groups.assign(cluster=g.home, served=served)
    main = main[main["served"] > 0].sort_values(["cluster", "served"], ascending=[True, False])
    site = main.drop_duplicates("cluster").set_index("cluster")["site_id"].reindex(range(n))
    covered = sums["served"].to_numpy() > 0
    walk = np.divide(
        sums["walked"].to_numpy(), sums["served"].to_numpy(), out=np.full(n, np.nan), where=covered
    )
    out = clusters.assign(
        covered=covered,
        site_id=site.where(pd.notna(site), None).to_numpy(dtype=object),
        walk_m=np.round(walk, 1),
        served_parcels_per_day=np.round(sums["served"].to_numpy(), 4),
        locker_parcels_per_day=np.round(sums["locker"].to_numpy(), 4),
        **{f"{k}_parcels_per_day": np.round(sums[k].to_numpy(), 4) for k in REACHED},
    )
    at_home = (groups["reached"] == "at_home").to_numpy()[groups["covered"].to_numpy()]
    lines = _home_lines(alloc.lines[at_home])
    return dataclasses.replace(alloc, clusters=out, lines=lines, groups=groups)


def unreachable(clusters: gpd.GeoDataFrame, otw: OnTheWay) -> gpd.GeoDataFrame:
    """Demand clusters on the network with customers no candidate reaches from home,
    work or the way, carrying those customers' parcels (delivered home)."""
    reached = np.diff(otw.matrix.tocsc().indptr) > 0
    lost = np.bincount(
        otw.groups.home, weights=np.where(reached, 0.0, otw.weights), minlength=len(clusters)
    )
    on = clusters["on_network"].to_numpy(dtype=bool)
    return clusters.assign(parcels_per_day=lost)[on & (lost > 1e-9)]


def _home_lines(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The allocation lines of groups served from home, one per cluster and site."""
    if len(lines) == 0:
        return lines
    keys = ["cluster_id", "site_id"]
    parcels = lines.groupby(keys, sort=False)["parcels_per_day"].sum()
    first = lines.drop_duplicates(keys).set_index(keys)
    first["parcels_per_day"] = parcels.reindex(first.index).to_numpy()
    return gpd.GeoDataFrame(first.reset_index(), geometry="geometry", crs=lines.crs)


def flow_layer(
    groups: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, area: OnTheWayArea
) -> gpd.GeoDataFrame:
    """The commute flows through the open sites: one line per commute served at work or
    on the way, from home through its site to work (EPSG:4326).

    Columns: ``cluster_id`` (home), ``site_id``, ``job_id``, ``reached`` (``at_work`` or
    ``on_the_way``), ``way`` (``transit``, ``walk`` or ``car``), ``parcels_per_day``,
    ``workers``.
    """
    trips = area.commuting.trips
    jobs = area.commuting.jobs
    served = groups[
        groups["covered"].to_numpy()
        & groups["reached"].isin(["at_work", "on_the_way"]).to_numpy()
        & (groups["commute"].to_numpy() >= 0)
    ]
    trip = trips.iloc[served["commute"].to_numpy()]
    at = sites.set_index("site_id").geometry.loc[served["site_id"]].to_numpy()
    work = jobs.geometry.to_numpy()[trip["job"].to_numpy()]
    home = served.geometry.to_numpy()
    lines = [
        shapely.LineString([(h.x, h.y), (s.x, s.y), (w.x, w.y)])
        for h, s, w in zip(home, at, work, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "cluster_id": served["cluster_id"].to_numpy(),
            "site_id": served["site_id"].to_numpy(),
            "job_id": jobs["job_id"].to_numpy()[trip["job"].to_numpy()],
            "reached": served["reached"].to_numpy(),
            "way": trip["way"].to_numpy(),
            "parcels_per_day": served["served_parcels_per_day"].to_numpy(),
            "workers": trip["workers"].round(2).to_numpy(),
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def on_the_way_figures(
    area: OnTheWayArea,
    clusters: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand: float,
) -> CommuteCoverage:
    """The ``on_the_way`` figures of a plan (:data:`lockerplan.figures.ON_THE_WAY_FIGURES`)."""
    c = area.commuting
    sums = {k: float(clusters[f"{k}_parcels_per_day"].sum()) for k in REACHED}
    covered = sum(sums.values())
    trips = c.trips
    commuting = float(np.sum(area.groups.weight[area.groups.trip >= 0]))
    at_stop = sites["source"].astype(str).eq("gtfs").to_numpy() if "source" in sites else []
    return CommuteCoverage(
        mode=c.mode,
        at_home_parcels_per_day=round(sums["at_home"], 2),
        at_work_parcels_per_day=round(sums["at_work"], 2),
        on_the_way_parcels_per_day=round(sums["on_the_way"], 2),
        covered_parcels_per_day=round(covered, 2),
        gain_parcels_per_day=round(sums["at_work"] + sums["on_the_way"], 2),
        gain_share=round((sums["at_work"] + sums["on_the_way"]) / demand, 4) if demand else 0.0,
        commuter_parcels_per_day=round(commuting, 2),
        commuters=round(float(trips["workers"].sum()), 1),
        commutes=len(trips),
        employed_share=round(c.employed_share, 4),
        employed_source=c.employed_source,
        mean_commute_min=round(c.gravity.mean_time_s / 60, 2),
        beta_per_min=round(c.gravity.beta * 60, 5),
        by_transit=int((trips["way"] == "transit").sum()),
        on_foot=int((trips["way"] == "walk").sum()),
        by_car=int((trips["way"] == "car").sum()),
        job_cells=len(c.jobs),
        stops_added=int(candidates["source"].astype(str).eq("gtfs").sum()),
        sites_at_stops=int(np.sum(at_stop)),
        detour_m=area.detour_m,
        service_date=c.service_date,
        depart=c.depart,
    )
