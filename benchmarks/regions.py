"""Benchmark the regional siting on Dask against one process: Greater Porto.

Usage::

    python benchmarks/regions.py [--orders 150000] [--candidates 5000] [--sites 100,300] \
        [--walk-m 400] [--model cmclp] [--workers 1,2,4] [--country-scale 22] [--json out.jsonl]

The instance is the seeded one of ``benchmarks/metro.py`` (its builder: orders
and candidate sites on the Greater Porto walk network), prepared once in this
process. For each number of sites the siting is solved in one process
(:func:`lockerplan.pipeline.solve.solve_siting`, as ``lockerplan plan`` does) and
then region by region (:func:`lockerplan.regions.solve_regions`) on a
:class:`distributed.LocalCluster` of 1, 2 and 4 single-threaded worker
processes (made before the clock starts; the connection is timed). It prints
one row per run: wall seconds of the siting, status, parcels covered (must be
the single run's), regional solves, and the peak resident memory of each worker
process (``resource.getrusage`` inside the tasks).

Before that, the preparation itself (walk network, snapping, distances) is
measured in two fresh processes, one after the other: in one process, and with
``scheduler="local"`` (a 2-worker LocalCluster: the walk network is built by a
worker and the distances are Dask tasks, :mod:`lockerplan.walking`). It prints
the wall seconds, the client's peak resident memory and the workers' peaks
(``--no-prepare`` skips it).

Then an **estimate, not a measurement**, of a national run: a country of
``--country-scale`` times the instance's demand and candidates, assumed to
split into that many times the regions, of the same sizes, with a largest
region no larger than this metro's (a city's walkable core, not the country,
is what stays connected at a few hundred metres' walk).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.metro import OSM, peak_mb, prepare_instance  # noqa: E402
from lockerplan.pipeline.allocate import candidate_attributes  # noqa: E402
from lockerplan.pipeline.prepare import StudyArea  # noqa: E402
from lockerplan.pipeline.solve import solve_siting  # noqa: E402
from lockerplan.scheduler import close_clients  # noqa: E402


def prepare_only(args) -> int:
    """``--prepare-only WHERE``: prepare the instance files of ``--instance-dir`` here or
    on a LocalCluster; print one JSON line (seconds, client and worker peaks)."""
    import resource

    from lockerplan.pipeline.prepare import prepare_study_area
    from lockerplan.scheduler import dask_client

    scheduler = None if args.prepare_only == "here" else args.prepare_only
    t0 = time.perf_counter()
    area = prepare_study_area(
        osm=str(args.osm),
        demand=str(args.instance_dir / "orders.csv"),
        candidates=str(args.instance_dir / "sites.csv"),
        walk_m=args.walk_m,
        hubs="1",
        scheduler=scheduler,
    )
    seconds = time.perf_counter() - t0
    workers = {}
    with dask_client(scheduler) as (client, _):
        if client is not None:
            rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            workers = {k: round(v, 1) for k, v in rss.items()}
    row = {
        "where": area.walk.where,
        "seconds": round(seconds, 1),
        "client_peak_mb": round(peak_mb(), 1),
        "worker_peak_mb": sorted(workers.values()),
        "pairs": int(area.distances.nnz),
    }
    print(json.dumps(row))
    return 0


def prepare_peaks(args, folder: Path) -> list[dict]:
    """The preparation in one process and on a LocalCluster, each in a fresh process."""
    import subprocess

    from benchmarks.metro import build_instance

    build_instance(args.osm, args.orders, args.candidates, args.seed, folder)  # orders, sites.csv
    rows = []
    for where in ("here", "local"):
        cmd = [sys.executable, "-m", "benchmarks.regions", "--osm", str(args.osm)]
        cmd += ["--walk-m", str(args.walk_m), "--instance-dir", str(folder)]
        out = subprocess.run(
            [*cmd, "--prepare-only", where], cwd=ROOT, capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def print_prepare(rows: list[dict]) -> None:
    print(f"{'preparation':>24} {'seconds':>8} {'client peak MB':>15} {'worker peak MB':>16} pairs")
    for r in rows:
        workers = ", ".join(f"{m:.0f}" for m in r["worker_peak_mb"]) or "-"
        print(
            f"{r['where']:>24} {r['seconds']:>8.1f} {r['client_peak_mb']:>15,.0f} "
            f"{workers:>16} {r['pairs']:,}"
        )
    print(f"        same pairs: {len({r['pairs'] for r in rows}) == 1}")


def prepare(args) -> StudyArea:
    """The metro instance (``benchmarks/metro.py``'s), prepared once."""
    return prepare_instance(args, model=args.model, time_limit_s=args.time_limit)


def run(area: StudyArea, sites: int, scheduler: str | None) -> dict:
    """One siting solve of ``sites`` sites, in this process or on ``scheduler``."""
    siting, costs = (
        area.scenario.siting.replace(sites=sites, scheduler=scheduler),
        area.scenario.costs,
    )
    D = area.distances_within(siting.walk_m)
    attrs = candidate_attributes(siting, costs, area.candidates)
    t0 = time.perf_counter()
    res = solve_siting(siting, costs, area, D, attrs)
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "status": res.status,
        "objective": round(float(res.objective), 3),
        "regions": res.stats.get("regions", 1),
        "solves": res.stats.get("region_solves", 1),
        "region_seconds": res.stats.get("region_seconds"),
        "largest": res.stats.get("largest_region"),
        "worker_peak_mb": sorted(res.stats.get("worker_peak_mb", {}).values()),
    }


def on_cluster(area: StudyArea, sites: int, workers: int) -> dict:
    """The regional solve on a fresh LocalCluster of ``workers`` processes."""
    import distributed

    with distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: 8787 may be taken (None still binds it)
        silence_logs=logging.ERROR,
    ) as cluster:
        try:
            return run(area, sites, cluster.scheduler_address)
        finally:  # the process keeps one client per scheduler: close it with its cluster
            close_clients(cluster.scheduler_address)


def estimate(row: dict, scale: float, workers: int) -> str:
    """A national run from one measured regional run (labelled an estimate)."""
    largest = row["largest"]["seconds"]
    rest = max(row["region_seconds"] - largest, 0.0)
    wall = max(scale * rest / workers, largest)
    return (
        f"ESTIMATE (not measured), {scale:g} x this instance on {workers} workers: "
        f"~{scale * row['regions']:,.0f} regions, {scale * rest + largest:,.0f} CPU s of "
        f"regional solves, >= {wall:,.0f} s wall (the largest region's window, "
        f"{largest:.0f} s, is one region's work); memory per worker as measured here "
        f"({max(row['worker_peak_mb'], default=0):,.0f} MB); the walk network and the "
        "distances are worker tasks (see the preparation table), but one worker holds the "
        f"whole walk network (~{scale:g} x this one) and the client the drive network and "
        "the demand: a country needs the network split by region too."
    )


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--osm", type=Path, default=OSM)
    p.add_argument("--orders", type=int, default=150_000)
    p.add_argument("--candidates", type=int, default=5_000)
    p.add_argument("--sites", default="100,300")
    p.add_argument("--walk-m", type=float, default=400.0)
    p.add_argument("--model", default="cmclp", choices=["cmclp", "mclp"])
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--country-scale",
        type=float,
        default=22.0,
        help="the estimate's country, in multiples of this instance (Poland's 37.6 M "
        "residents are ~22 x Greater Porto's 1.7 M)",
    )
    p.add_argument("--json", type=Path)
    p.add_argument("--no-prepare", action="store_true", help="skip the preparation table")
    p.add_argument("--prepare-only", choices=["here", "local"], help=argparse.SUPPRESS)
    p.add_argument("--instance-dir", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if not args.osm.exists():
        print(f"no extract at {args.osm}; give --osm", file=sys.stderr)
        return 2
    if args.prepare_only:
        return prepare_only(args)
    if not args.no_prepare:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="lockerplan-regions-") as tmp:
            print_prepare(prepare_peaks(args, Path(tmp)))
    t0 = time.perf_counter()
    area = prepare(args)
    print(
        f"instance: {args.orders:,} orders -> {len(area.clusters):,} clusters, "
        f"{len(area.candidates):,} candidates, walk {args.walk_m:g} m, model {args.model}; "
        f"prepared in {time.perf_counter() - t0:.0f} s, client peak {peak_mb():,.0f} MB"
    )
    print(
        f"{'sites':>6} {'run':>10} {'seconds':>8} {'status':>8} {'covered':>12} "
        f"{'regions':>7} {'solves':>6} {'largest (cands x demand, k solved, s)':>40}  worker peak MB"
    )
    for sites in [int(s) for s in args.sites.split(",")]:
        rows = [("1 process", run(area, sites, None))]
        rows += [
            (f"{n} worker{'s' * (n > 1)}", on_cluster(area, sites, n))
            for n in map(int, args.workers.split(","))
        ]
        for label, row in rows:
            big = row["largest"] or {}
            largest = (
                f"{big['candidates']} x {big['demand']}, {big['sites_solved']}, {big['seconds']:.1f}"
                if big
                else "-"
            )
            print(
                f"{sites:>6} {label:>10} {row['seconds']:>8.1f} {row['status']:>8} "
                f"{row['objective']:>12,.1f} {row['regions']:>7} {row['solves']:>6} {largest:>40}  "
                f"{', '.join(f'{m:.0f}' for m in row['worker_peak_mb']) or '-'}"
            )
            if args.json:
                with args.json.open("a") as f:
                    f.write(json.dumps({"sites": sites, "run": label, **row}) + "\n")
        same = {r["objective"] for _, r in rows}
        print(f"        same parcels covered in every run: {len(same) == 1}")
        last, workers = rows[-1][1], int(args.workers.split(",")[-1])
        if last["largest"]:
            print("       ", estimate(last, args.country_scale, workers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
