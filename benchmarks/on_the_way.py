"""Benchmark pickups on the way: Porto Alegre, home-only coverage against on the way.

Usage::

    python benchmarks/on_the_way.py [--sites 100] [--walk-m 500] [--detour-m 500] \
        [--depart 12:30] [--trips 20000] [--seed 0] [--time-limit 120]

Porto Alegre's walk network and population grid (813k residents, 337,921 jobs
per H3 cell) are prepared as ``lockerplan plan --osm porto_alegre_2020.osm.pbf
--population porto_alegre_hexgrid_population.csv`` does. Then:

* **home-only**: the maximal covering model (MCLP) opens ``--sites`` sites on the
  candidate x demand-cluster walks within ``--walk-m``;
* **on the way**: commutes from every home cell to the job cells by the gravity
  model on door-to-door transit times (the EPTC bus and Trensurb rail feeds,
  ferrobus), ``--trips`` of them drawn with ``--seed``; each one's stops; the
  stops that are no candidate yet added as candidates; the same model on the
  candidate x customer-group matrix (home or job cell within ``--walk-m``, a stop
  within ``--detour-m``).

Both plans are scored both ways on the same parcels. ``--depart`` defaults to
12:30 because the EPTC feed (r5r's sample) holds only trips that leave between
11:20 and 17:50; Trensurb runs all day.

It prints the table of coverage, the sites that move, each stage's wall time and
the peak memory (this process and, separately, its forked children).
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lockerplan.distances import snap_points, walking_distance_matrix  # noqa: E402
from lockerplan.ontheway import (  # noqa: E402
    CommuteParams,
    TransitParams,
    TransitRouter,
    anchor_table,
    commute_groups,
    employed_share,
    gravity_commutes,
    on_the_way_matrix,
    prepare_feeds,
    sample_trips,
    stop_candidates,
)
from lockerplan.pipeline.prepare import prepare_study_area  # noqa: E402
from lockerplan.siting import SolverOptions, solve_mclp  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
OSM = BENCH / "osm" / "porto_alegre_2020.osm.pbf"
GRID = BENCH / "osm" / "porto_alegre_hexgrid_population.csv"
FEEDS = [BENCH / "gtfs" / "poa_eptc.zip", BENCH / "gtfs" / "poa_trensurb.zip"]


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory, MB (Linux: ru_maxrss in kB); children: the largest child."""
    return resource.getrusage(who).ru_maxrss / 1024


class Clock:
    """Wall seconds per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        clock = self

        class _Stage:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                clock.seconds[name] = time.perf_counter() - self.t

        return _Stage()


def parse_hhmm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--walk-m", type=float, default=500.0)
    ap.add_argument("--detour-m", type=float, default=500.0)
    ap.add_argument("--depart", default="12:30")
    ap.add_argument("--trips", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args()
    for path in [OSM, GRID, *FEEDS]:
        if not path.is_file():
            sys.exit(f"not found: {path}")
    logging.basicConfig(level=logging.WARNING)
    clock = Clock()
    opts = SolverOptions(time_limit_s=args.time_limit)

    with clock("prepare (networks, demand, candidates, walks)"):
        area = prepare_study_area(
            osm=str(OSM), population=str(GRID), walk_m=args.walk_m, sites=args.sites
        )
    arrays = area.walk_arrays
    clusters, cands, D = area.clusters, area.candidates, area.distances
    w_cluster = clusters["parcels_per_day"].to_numpy(dtype=float)

    with clock("home-only MCLP"):
        home_plan = solve_mclp(D, w_cluster, args.sites, options=opts)

    tparams = TransitParams(depart_s=parse_hhmm(args.depart))
    with clock("GTFS feeds (gtfs-kit, stop times filled)"):
        feeds = prepare_feeds(FEEDS, tparams)
    with clock("transit model (ferrobus)"):
        router = TransitRouter(OSM, feeds, tparams)

    homes = area.demand_points
    grid = pd.read_csv(GRID)
    grid["jobs"] = grid["jobs"].fillna(0.0)
    work = grid[grid["jobs"] > 0].reset_index(drop=True)
    lon = np.r_[homes.geometry.x.to_numpy(), work["lon"].to_numpy()]
    lat = np.r_[homes.geometry.y.to_numpy(), work["lat"].to_numpy()]
    nh = len(homes)
    with clock("transit times, all cells"):
        times = router.times(lon, lat)[:nh, nh:]
    cparams = CommuteParams(trips=args.trips, seed=args.seed)
    residents = homes["population"].to_numpy(dtype=float)
    with clock("gravity model (beta calibrated)"):
        share = employed_share(grid["population"], grid["jobs"], cparams)
        commutes = gravity_commutes(residents * share, work["jobs"].to_numpy(), times, cparams)
        trips = sample_trips(commutes, cparams)
    with clock("transit journeys of the trips"):
        points = router.points(lon, lat)
        journeys = router.journeys(points, trips["home"].to_numpy(), nh + trips["job"].to_numpy())

    with clock("stops as candidates, walks"):
        anchors, rows = anchor_table(list(journeys["stops"]), list(journeys["stop_lonlat"]))
        served = feeds.stops.drop_duplicates("stop_id").set_index("stop_id")
        used = served.loc[served.index.intersection(anchors["key"])].reset_index()
        new = stop_candidates(used, cands)
        new_snap = snap_points(arrays, new.geometry)
        c_snap = snap_points(arrays, cands.geometry)
        d_snap = snap_points(arrays, clusters.geometry)
        all_cands = pd.concat([cands, new], ignore_index=True)
        all_snap = pd.concat([c_snap, new_snap], ignore_index=True)
        D_all = sparse.vstack(
            [D, walking_distance_matrix(arrays, new_snap, d_snap, args.walk_m)]
        ).tocsr()
        w_snap = snap_points(
            arrays, gpd.GeoSeries(gpd.points_from_xy(work["lon"], work["lat"]), crs="EPSG:4326")
        )
        W = walking_distance_matrix(arrays, all_snap, w_snap, args.walk_m)
        a_snap = snap_points(
            arrays,
            gpd.GeoSeries(gpd.points_from_xy(anchors["lon"], anchors["lat"]), crs="EPSG:4326"),
        )
        P = walking_distance_matrix(arrays, all_snap, a_snap, args.detour_m)
    with clock("on-the-way matrix"):
        cluster_pos = pd.Series(np.arange(len(clusters)), index=clusters["cluster_id"])
        home_anchor = cluster_pos.loc[homes["cluster_id"]].to_numpy()
        groups = commute_groups(
            homes["parcels_per_day"].to_numpy(dtype=float),
            residents,
            trips,
            home_anchor,
            np.arange(len(work)),
            list(rows),
        )
        # job cells are the work matrix's columns: map trips' job index straight through
        otw = on_the_way_matrix(D_all, W, P, groups)
    with clock("on-the-way MCLP"):
        otw_plan = solve_mclp(otw.matrix, otw.weights, args.sites, options=opts)

    total = float(otw.weights.sum())
    home_sites = np.asarray(home_plan.open_sites)
    otw_sites = np.asarray(otw_plan.open_sites)
    rows_out = []
    for name, plan, sites in (
        ("home-only plan", home_plan, home_sites),
        ("on-the-way plan", otw_plan, otw_sites),
    ):
        c = otw.covered(sites)
        rows_out.append((name, plan.status, plan.gap, c))

    print(
        f"\nPorto Alegre: {len(homes):,} home cells ({residents.sum():,.0f} residents, "
        f"{total:,.1f} parcels/day), {len(work):,} job cells, employed share {share:.3f}, "
        f"{len(trips):,} distinct commutes drawn ({args.trips:,} draws, seed {args.seed}), "
        f"beta {commutes.beta * 60:.4f}/min (mean {commutes.mean_time_s / 60:.1f} min), "
        f"depart {args.depart} on {feeds.date}"
    )
    legs = journeys["legs"].value_counts().sort_index()
    print(
        "journeys by transit rides: "
        + ", ".join(f"{k}: {v:,}" for k, v in legs.items())
        + f"; no journey: {int(journeys['time_s'].isna().sum())}"
    )
    print(
        f"candidates: {len(cands):,} OSM + {len(new):,} GTFS stops "
        f"({int((new['category'] == 'station').sum())} stations) of {len(used):,} used; "
        f"groups {len(groups):,}; pairs {otw.matrix.nnz:,} (home {otw.home.nnz:,}, "
        f"work {otw.work.nnz:,}, way {otw.path.nnz:,})\n"
    )
    head = (
        "| plan | status | gap | home-only covered | at work | on the way | "
        "on-the-way covered | gain |"
    )
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for name, status, gap, c in rows_out:
        print(
            f"| {name} | {status} | {gap:.2%} | {c['at_home']:,.1f} ({c['at_home'] / total:.1%}) "
            f"| {c['at_work']:,.1f} | {c['on_the_way']:,.1f} | {c['total']:,.1f} "
            f"({c['total'] / total:.1%}) | {c['gain']:,.1f} |"
        )
    moved_in = np.setdiff1d(otw_sites, home_sites)
    moved_out = np.setdiff1d(home_sites, otw_sites)
    cat = all_cands["category"].to_numpy()
    kinds = pd.Series(cat[moved_in]).value_counts().to_dict()
    print(
        f"\nsites that move: {len(moved_in)} of {args.sites} "
        f"(in: {kinds}; out: {pd.Series(cat[moved_out]).value_counts().to_dict()})"
    )
    stations = all_cands.iloc[otw_sites]
    stations = stations[stations["category"] == "station"]["name"].tolist()
    print(f"stations in the on-the-way plan: {stations or 'none'}")
    print("\n| stage | seconds |\n|---|---|")
    for k, v in clock.seconds.items():
        print(f"| {k} | {v:.1f} |")
    print(
        f"\npeak memory: {peak_mb():,.0f} MB this process, "
        f"{peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB largest forked child"
    )


if __name__ == "__main__":
    main()
