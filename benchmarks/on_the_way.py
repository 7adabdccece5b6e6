"""Benchmark pickups on the way: Porto Alegre planned home-only and on the way.

Usage::

    python benchmarks/on_the_way.py [--mode transit|car] [--sites 100] [--walk-m 500] \
        [--detour-m 500] [--depart 12:30] [--trips 20000] [--time-limit 120] \
        [--commute-beta 0.104]

One study area is prepared the way ``lockerplan plan --osm porto_alegre_2020.osm.pbf
--population porto_alegre_hexgrid_population.csv --on-the-way --jobs-column jobs
--gtfs poa_eptc.zip --gtfs poa_trensurb.zip`` prepares it (813k residents, 337,921
jobs per H3 cell, the EPTC bus and Trensurb rail feeds), and three plans are made on
it with the pipeline's default model (cmclp), routing and business case:

* **home-only, OSM places**: what ``lockerplan plan`` gives without ``--on-the-way``
  (the transit stops added as candidates are excluded);
* **home-only**: the same candidates as the plan on the way (OSM places and the
  stops the commutes use), customers covered from home only;
* **on the way**: customers covered from home, work or a stop of their commute.

Each plan is scored both ways on the same parcels: home-only coverage (a site within
the walk of home) and coverage on the way (the split at home / at work / on the way
for the plan's open sites, capacity not applied), besides its own served parcels and
business case. ``--depart`` defaults to 12:30 because the EPTC feed (r5r's sample)
holds only trips that leave between 11:20 and 17:50; Trensurb runs all day.

With ``--mode car`` the commutes drive (no GTFS) and the gravity model takes
``--commute-beta`` (per minute; default the value the transit run calibrates on this
city, since no published car value was found): there are no stops to add.

It prints the tables: coverage and business case per plan, the sites that move, the
preparation's stages and each plan's wall time, and the peak memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lockerplan.ontheway import stop_candidates  # noqa: E402
from lockerplan.pipeline.prepare import prepare_study_area  # noqa: E402
from lockerplan.pipeline.solve import plan_study_area  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
OSM = BENCH / "osm" / "porto_alegre_2020.osm.pbf"
GRID = BENCH / "osm" / "porto_alegre_hexgrid_population.csv"
FEEDS = [BENCH / "gtfs" / "poa_eptc.zip", BENCH / "gtfs" / "poa_trensurb.zip"]


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory, MB (Linux: ru_maxrss in kB); children: the largest child."""
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("transit", "car"), default="transit")
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--walk-m", type=float, default=500.0)
    ap.add_argument("--detour-m", type=float, default=500.0)
    ap.add_argument("--depart", default="12:30")
    ap.add_argument("--trips", type=int, default=20_000)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--commute-beta", type=float, default=0.104)
    args = ap.parse_args()
    for path in [OSM, GRID, *FEEDS]:
        if not path.is_file():
            sys.exit(f"not found: {path}")
    logging.basicConfig(level=logging.WARNING)
    commutes = {
        "on_the_way": True,
        "jobs_column": "jobs",
        "detour_m": args.detour_m,
        "commute_trips": args.trips,
    }
    if args.mode == "transit":
        commutes |= {"gtfs": tuple(map(str, FEEDS)), "depart": args.depart}
    else:
        commutes |= {"commute_beta": args.commute_beta}
    t0 = time.perf_counter()
    area = prepare_study_area(
        osm=str(OSM),
        population=str(GRID),
        sites=args.sites,
        walk_m=args.walk_m,
        time_limit_s=args.time_limit,
        **commutes,
    )
    prepare_s = time.perf_counter() - t0
    home_area = dataclasses.replace(area, on_the_way=None, stage_seconds={})
    stops = area.candidates["source"].astype(str).eq("gtfs").to_numpy()
    plans, seconds = {}, {}
    runs = (
        (
            "home-only, OSM places",
            home_area,
            {"exclude": tuple(area.candidates["candidate_id"][stops])},
        ),
        ("home-only", home_area, {}),
        ("on the way", area, {}),
    )
    for name, where, settings in runs:
        if name == "home-only, OSM places" and not stops.any():
            continue
        t = time.perf_counter()
        plans[name] = plan_study_area(where, catchments=False, **settings)
        seconds[name] = time.perf_counter() - t
    report(args, area, plans, prepare_s, seconds)


def scored(area, plan) -> dict:
    """A plan's open sites scored on the way (reach, capacity not applied) and its own
    served parcels and business case."""
    otw = area.on_the_way.coverage(
        area.distances_within(area.scenario.walk_m), area.scenario.walk_m
    )
    reach = otw.covered(np.asarray(plan.siting.open_sites))
    k = plan.kpis
    bc = k.business_case
    return {
        "status": f"{k.solver_status} ({k.solver_gap:.2%})",
        "home": reach["at_home"],
        "total": reach["total"],
        "work": reach["at_work"],
        "way": reach["on_the_way"],
        "served": k.covered_parcels_per_day,
        "lockers": bc.with_lockers.locker_parcels_per_day if bc else None,
        "cost": bc.with_lockers.cost_per_parcel if bc else None,
        "door": bc.door_to_door.cost_per_parcel if bc else None,
        "savings": bc.savings_pct if bc else None,
    }


def report(args, area, plans, prepare_s, seconds) -> None:
    """Print the tables."""
    c = area.on_the_way.commuting
    demand = float(area.clusters["parcels_per_day"].sum())
    trips = c.trips
    ways = trips["way"].value_counts().to_dict()
    stops = area.candidates["source"].astype(str).eq("gtfs")
    print(
        f"\nPorto Alegre, {args.mode}: {len(area.clusters):,} home clusters "
        f"({c.residents.sum():,.0f} residents, {demand:,.1f} parcels/day), {len(c.jobs):,} job "
        f"cells, employed share {c.employed_share:.3f} ({c.employed_source}), "
        f"{len(trips):,} distinct commutes of {args.trips:,} draws, beta "
        f"{c.gravity.beta * 60:.4f}/min, mean commute {c.gravity.mean_time_s / 60:.1f} min; "
        f"ways: {ways}; depart {c.depart or '-'} on {c.service_date or '-'}; "
        f"{args.sites} sites, walk {args.walk_m:g} m, detour {args.detour_m:g} m"
    )
    print(
        f"candidates: {int((~stops).sum()):,} OSM places + {int(stops.sum()):,} transit stops "
        f"({int((area.candidates['category'] == 'station').sum())} stations)\n"
    )
    head = (
        "| plan | solver (gap) | home-only coverage | on the way: at work | on the way | "
        "covered on the way | served (plan) | at lockers | cost/parcel with lockers | "
        "door-to-door | savings |"
    )
    print(head)
    print("|---" * (head.count("|") - 1) + "|")

    def share(x: float) -> str:
        return f"{x:,.1f} ({x / demand:.1%})"

    for name, plan in plans.items():
        s = scored(area, plan)
        money = (
            f"{s['cost']:.3f} | {s['door']:.3f} | {s['savings']:.1f} %"
            if s["cost"] is not None
            else "- | - | -"
        )
        print(
            f"| {name} | {s['status']} | {share(s['home'])} | {s['work']:,.1f} | {s['way']:,.1f} | "
            f"{share(s['total'])} | {share(s['served'])} | {s['lockers'] or 0:,.1f} | {money} |"
        )
    moved(area, plans)
    print("\n| stage | seconds |\n|---|---|")
    for key, value in area.stage_seconds.items():
        print(f"| prepare: {key} | {value:.1f} |")
    for key, value in c.seconds.items():
        print(f"| of commutes: {key} | {value:.1f} |")
    print(f"| prepare, whole | {prepare_s:.1f} |")
    for name, value in seconds.items():
        siting = plans[name].kpis.stage_seconds.get("siting", float("nan"))
        print(f"| plan {name} (siting {siting:.1f}) | {value:.1f} |")
    print(
        f"\npeak memory: {peak_mb():,.0f} MB this process, "
        f"{peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB largest forked child"
    )


def moved(area, plans) -> None:
    """The sites that move from the home-only plan (same candidates) to the plan on the way."""
    if "home-only" not in plans or "on the way" not in plans:
        return
    home = set(np.asarray(plans["home-only"].siting.open_sites).tolist())
    otw = set(np.asarray(plans["on the way"].siting.open_sites).tolist())
    cands = area.candidates
    label = (cands["source"].astype(str) + ":" + cands["category"].astype(str)).to_numpy()
    into, out = sorted(otw - home), sorted(home - otw)
    print(
        f"\nsites that move: {len(into)} of {len(otw)} (to: "
        f"{pd.Series(label[into]).value_counts().to_dict()}; from: "
        f"{pd.Series(label[out]).value_counts().to_dict()})"
    )
    stops = area.on_the_way.commuting.stops
    if stops is None:
        return
    rail = stops[stops["station"]]
    for name in ("home-only", "on the way"):
        sites = cands.iloc[np.asarray(plans[name].siting.open_sites)]
        far = set(stop_candidates(rail, sites)["name"])  # no open site within 25 m
        stations = sorted(set(rail["name"]) - far)
        print(f"rail stations with an open site within 25 m ({name}): {stations or 'none'}")


if __name__ == "__main__":
    main()
