"""Benchmark pickups on the way: Porto Alegre, home-only coverage against on the way.

Usage::

    python benchmarks/on_the_way.py [--mode transit|car] [--sites 100] [--walk-m 500] \
        [--detour-m 500] [--depart 12:30] [--trips 20000] [--seed 0] [--time-limit 120] \
        [--beta-per-min 0.0929]

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

With ``--mode car`` the commutes go by car on the drive network instead (no
GTFS): the gravity model then takes ``--beta-per-min`` (default: the value the
transit run calibrates), since the observed mean commute of all modes is longer
than any mean free-flow car times give; the anchors on the way are the nodes of
each car path, and no stops are added as candidates.

Both plans are scored both ways on the same parcels, on the same candidates. ``--depart`` defaults to
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
    drive_nodes,
    drive_paths,
    drive_times,
    employed_share,
    gravity_commutes,
    node_points,
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
    ap.add_argument("--mode", choices=("transit", "car"), default="transit")
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--walk-m", type=float, default=500.0)
    ap.add_argument("--detour-m", type=float, default=500.0)
    ap.add_argument("--depart", default="12:30")
    ap.add_argument("--trips", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--beta-per-min", type=float, default=0.0929)
    args = ap.parse_args()
    for path in [OSM, GRID, *FEEDS]:
        if not path.is_file():
            sys.exit(f"not found: {path}")
    logging.basicConfig(level=logging.WARNING)
    clock = Clock()
    opts = SolverOptions(solver="highs", via="highspy", time_limit_s=args.time_limit)

    with clock("prepare (networks, demand, candidates, walks)"):
        area = prepare_study_area(
            osm=str(OSM), population=str(GRID), walk_m=args.walk_m, sites=args.sites
        )
    arrays = area.walk_arrays
    clusters, cands, D = area.clusters, area.candidates, area.distances
    homes = area.demand_points
    grid = pd.read_csv(GRID)
    grid["jobs"] = grid["jobs"].fillna(0.0)
    work = grid[grid["jobs"] > 0].reset_index(drop=True)
    cells = gpd.GeoSeries(
        np.r_[homes.geometry.to_numpy(), gpd.points_from_xy(work["lon"], work["lat"])],
        crs="EPSG:4326",
    )
    nh = len(homes)
    residents = homes["population"].to_numpy(dtype=float)
    if args.mode == "transit":
        way = transit_ways(args, clock, cells, nh, residents, grid, work)
    else:
        way = car_ways(args, clock, area.drive_arrays, cells, nh, residents, grid, work)
    trips, keys, lonlat, rows = way["trips"], way["keys"], way["lonlat"], way["rows"]

    with clock("stops as candidates, walks"):
        new = cands.iloc[:0]
        if args.mode == "transit":
            served = way["feeds"].stops.drop_duplicates("stop_id").set_index("stop_id")
            used = served.loc[served.index.intersection(keys)].reset_index()
            new = stop_candidates(used, cands)
        new_snap = snap_points(arrays, new.geometry)
        all_cands = pd.concat([cands, new], ignore_index=True)
        all_snap = pd.concat([snap_points(arrays, cands.geometry), new_snap], ignore_index=True)
        d_snap = snap_points(arrays, clusters.geometry)
        D_all = sparse.vstack(
            [D, walking_distance_matrix(arrays, new_snap, d_snap, args.walk_m)]
        ).tocsr()
        W = walking_distance_matrix(arrays, all_snap, snap_points(arrays, cells[nh:]), args.walk_m)
        P = walking_distance_matrix(arrays, all_snap, snap_points(arrays, lonlat), args.detour_m)
    w_cluster = clusters["parcels_per_day"].to_numpy(dtype=float)
    with clock("home-only MCLP"):
        home_plan = solve_mclp(D_all, w_cluster, args.sites, options=opts)
    with clock("on-the-way matrix"):
        cluster_pos = pd.Series(np.arange(len(clusters)), index=clusters["cluster_id"])
        home_anchor = cluster_pos.loc[homes["cluster_id"]].to_numpy()
        groups = commute_groups(
            homes["parcels_per_day"].to_numpy(dtype=float),
            residents,
            trips,
            home_anchor,
            np.arange(len(work)),  # the work matrix's columns are the job cells
            list(rows),
        )
        otw = on_the_way_matrix(D_all, W, P, groups)
    with clock("on-the-way MCLP"):
        otw_plan = solve_mclp(otw.matrix, otw.weights, args.sites, options=opts)
    report(args, clock, way, homes, residents, work, all_cands, new, otw, home_plan, otw_plan)


def transit_ways(args, clock, cells, nh, residents, grid, work) -> dict:
    """Commutes on the feeds: the gravity model on transit times, each trip's stops."""
    tparams = TransitParams(depart_s=parse_hhmm(args.depart))
    with clock("GTFS feeds (gtfs-kit, stop times filled)"):
        feeds = prepare_feeds(FEEDS, tparams)
    with clock("transit model (ferrobus)"):
        router = TransitRouter(OSM, feeds, tparams)
    lon, lat = cells.x.to_numpy(), cells.y.to_numpy()
    with clock("travel times, all cells"):
        points = router.points(lon, lat)
        times = router.times(points)[:nh, nh:]
    cparams = CommuteParams(trips=args.trips, seed=args.seed)
    with clock("gravity model"):
        share = employed_share(grid["population"], grid["jobs"], cparams)
        commutes = gravity_commutes(residents * share, work["jobs"].to_numpy(), times, cparams)
        trips = sample_trips(commutes, cparams)
    with clock("paths of the trips"):
        journeys = router.journeys(points, trips["home"].to_numpy(), nh + trips["job"].to_numpy())
    anchors, rows = anchor_table(list(journeys["stops"]), list(journeys["stop_lonlat"]))
    where = gpd.GeoSeries(gpd.points_from_xy(anchors["lon"], anchors["lat"]), crs="EPSG:4326")
    legs = journeys["legs"].value_counts().sort_index()
    note = (
        "journeys by transit rides: "
        + ", ".join(f"{k}: {v:,}" for k, v in legs.items())
        + f"; no journey: {int(journeys['time_s'].isna().sum())}; depart {args.depart} "
        f"on {feeds.date}"
    )
    return {
        "commutes": commutes,
        "trips": trips,
        "share": share,
        "keys": anchors["key"],
        "lonlat": where,
        "rows": rows,
        "feeds": feeds,
        "note": note,
    }


def car_ways(args, clock, drive, cells, nh, residents, grid, work) -> dict:
    """Commutes by car: the gravity model on drive times, each trip's path nodes."""
    with clock("travel times, all cells"):
        nodes = drive_nodes(drive, cells)
        times = drive_times(drive, nodes)[:nh, nh:]
    cparams = CommuteParams(trips=args.trips, seed=args.seed, beta=args.beta_per_min / 60)
    with clock("gravity model"):
        share = employed_share(grid["population"], grid["jobs"], cparams)
        commutes = gravity_commutes(residents * share, work["jobs"].to_numpy(), times, cparams)
        trips = sample_trips(commutes, cparams)
    with clock("paths of the trips"):
        ways = drive_paths(drive, nodes, trips["home"].to_numpy(), nh + trips["job"].to_numpy())
    anchors, rows = anchor_table([list(p) for p in ways["path"]])
    sizes = ways["path"].map(len)
    note = (
        f"car paths: {int((sizes > 0).sum()):,} of {len(ways):,}, median {sizes.median():.0f} "
        f"nodes; {len(anchors):,} distinct path nodes; beta given {args.beta_per_min}/min"
    )
    return {
        "commutes": commutes,
        "trips": trips,
        "share": share,
        "keys": anchors["key"],
        "lonlat": node_points(drive, anchors["key"].to_numpy(dtype=np.int64)).to_crs("EPSG:4326"),
        "rows": rows,
        "note": note,
    }


def report(args, clock, way, homes, residents, work, all_cands, new, otw, home_plan, otw_plan):
    """Print the tables."""
    commutes, trips = way["commutes"], way["trips"]
    total = float(otw.weights.sum())
    home_sites = np.asarray(home_plan.open_sites)
    otw_sites = np.asarray(otw_plan.open_sites)
    print(
        f"\nPorto Alegre, {args.mode}: {len(homes):,} home cells ({residents.sum():,.0f} "
        f"residents, {total:,.1f} parcels/day), {len(work):,} job cells, employed share "
        f"{way['share']:.3f}, {len(trips):,} distinct commutes ({args.trips:,} draws, seed "
        f"{args.seed}), beta {commutes.beta * 60:.4f}/min (mean {commutes.mean_time_s / 60:.1f} min)"
    )
    print(way["note"])
    print(
        f"candidates: {len(all_cands) - len(new):,} OSM + {len(new):,} GTFS stops "
        f"({int((new['category'] == 'station').sum())} stations); groups {len(otw.groups):,}; "
        f"pairs {otw.matrix.nnz:,} (home {otw.home.nnz:,}, work {otw.work.nnz:,}, "
        f"way {otw.path.nnz:,})\n"
    )
    head = (
        "| plan | status | gap | home-only covered | at work | on the way | "
        "on-the-way covered | gain |"
    )
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for name, plan, sites in (
        ("home-only plan", home_plan, home_sites),
        ("on-the-way plan", otw_plan, otw_sites),
    ):
        c = otw.covered(sites)
        print(
            f"| {name} | {plan.status} | {plan.gap:.2%} | {c['at_home']:,.1f} "
            f"({c['at_home'] / total:.1%}) | {c['at_work']:,.1f} | {c['on_the_way']:,.1f} | "
            f"{c['total']:,.1f} ({c['total'] / total:.1%}) | {c['gain']:,.1f} |"
        )
    moved_in = np.setdiff1d(otw_sites, home_sites)
    moved_out = np.setdiff1d(home_sites, otw_sites)
    label = (all_cands["source"] + ":" + all_cands["category"]).to_numpy()
    print(
        f"\nsites that move: {len(moved_in)} of {args.sites} "
        f"(in: {pd.Series(label[moved_in]).value_counts().to_dict()}; "
        f"out: {pd.Series(label[moved_out]).value_counts().to_dict()})"
    )
    if "feeds" in way:
        rail = way["feeds"].stops[way["feeds"].stops["station"]]
        for name, sites in (("home-only", home_sites), ("on-the-way", otw_sites)):
            at = stop_candidates(rail, all_cands.iloc[sites])  # stations no open site stands at
            names = sorted(set(rail["name"]) - set(at["name"]))
            print(f"rail stations with an open site ({name} plan, within 25 m): {names or 'none'}")
    print("\n| stage | seconds |\n|---|---|")
    for k, v in clock.seconds.items():
        print(f"| {k} | {v:.1f} |")
    print(
        f"\npeak memory: {peak_mb():,.0f} MB this process, "
        f"{peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB largest forked child"
    )


if __name__ == "__main__":
    main()
