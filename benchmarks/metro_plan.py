"""Benchmark the whole metro command: on every core vs in one process.

Usage::

    python -m benchmarks.metro --sites 300 --peer-time-limit 0 --instance-dir DIR
    python -m benchmarks.metro_plan --instance-dir DIR [--runs 2] [--json out.jsonl]
    python -m benchmarks.metro_plan --city [--runs 2]

``--city`` runs the city command of ``docs/performance/city.md`` instead: Porto
Alegre from its extract and population grid, ``--sites 100 --walk-m 500``.

Runs ``lockerplan plan`` on the Greater Porto instance that
``benchmarks/metro.py`` writes (150,000 orders, 5,000 candidates, ``--sites 300
--walk-m 400``; networks cached by a first run), as a user would, outputs and
map written. Each run alternates the default (road matrices on every core; the
door-to-door day routed in a forked process beside the replenishment and the
home deliveries) with its peer in the same run: everything in one process
(``LOCKERPLAN_PROCESSES=1``).

Memory is sampled every 0.2 s over the command's whole process tree: ``tree
MB`` is the peak of the summed proportional set sizes (each shared page counted
once: what the processes take from the machine together); ``largest MB`` the
peak resident size of the largest single process (what ``/usr/bin/time -v``
reports). It prints one row per run and the medians, and checks that both ways
give the same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench" / "osm"
OSM = BENCH / "porto_portugal_roads.osm.pbf"
#: The city command's arguments (``--city``).
CITY = [
    "--osm", str(BENCH / "porto_alegre_2020.osm.pbf"),
    "--population", str(BENCH / "porto_alegre_hexgrid_population.csv"),
    "--sites", "100", "--walk-m", "500",
]  # fmt: skip
MODES = {"side by side": {}, "one process": {"LOCKERPLAN_PROCESSES": "1"}}


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return seen


def _memory(pid: int) -> tuple[float, float]:
    """Proportional and resident set size of one process, MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            kb = {ln.split(":")[0]: int(ln.split()[1]) for ln in f if ln.rstrip().endswith("kB")}
    except OSError:
        return 0.0, 0.0
    return kb.get("Pss", 0) / 1024, kb.get("Rss", 0) / 1024


def metro_args(instance: Path, sites: int) -> list[str]:
    """The metro command's arguments on the instance ``benchmarks/metro.py`` wrote."""
    return [
        "--osm", str(OSM),
        "--demand", str(instance / "orders.csv"),
        "--candidates", str(instance / "sites.csv"),
        "--sites", str(sites), "--walk-m", "400",
    ]  # fmt: skip


def run_plan(plan_args: list[str], out: Path, env: dict) -> dict:
    """One ``lockerplan plan`` with ``plan_args``: wall time, peak memory, its summary."""
    cmd = [sys.executable, "-m", "lockerplan.cli", "plan", *plan_args, "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    tree = largest = 0.0
    while proc.poll() is None:
        sizes = [_memory(p) for p in _tree(proc.pid)]
        tree = max(tree, sum(pss for pss, _ in sizes))
        largest = max(largest, max(rss for _, rss in sizes))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"lockerplan plan failed (exit {proc.returncode})")
    summary = json.loads(next(out.glob("*/summary.json")).read_text())
    bc = summary["business_case"]
    return {
        "wall_s": round(wall, 1),
        "runtime_s": summary["runtime_s"],
        "routing_s": summary["stage_seconds"]["routing"],
        "tree_mb": round(tree),
        "largest_mb": round(largest),
        "lockers_eur_per_parcel": bc["with_lockers"]["cost_per_parcel"],
        "door_eur_per_parcel": bc["door_to_door"]["cost_per_parcel"],
        "covered": summary["covered_parcels_per_day"],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance-dir", type=Path, help="the metro instance (benchmarks/metro.py)")
    ap.add_argument("--city", action="store_true", help="Porto Alegre's city command instead")
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--runs", type=int, default=1, help="runs of each way (alternated)")
    ap.add_argument("--json", type=Path, help="write one JSON line per run")
    args = ap.parse_args(argv)
    if args.city:
        plan_args = CITY
    elif args.instance_dir is None or not (args.instance_dir / "orders.csv").is_file():
        raise SystemExit(
            f"no orders.csv in {args.instance_dir}: write the instance first with "
            f"python -m benchmarks.metro --sites 300 --peer-time-limit 0 "
            f"--instance-dir {args.instance_dir or 'DIR'} (or give --city)"
        )
    else:
        plan_args = metro_args(args.instance_dir, args.sites)
    rows = []
    header = (
        f"{'way':<18} {'wall s':>7} {'routing s':>9} {'tree MB':>8} {'largest MB':>10} "
        f"{'EUR/parcel lockers':>18} {'door':>5}"
    )
    print(header)
    for k in range(args.runs):
        for way, env in MODES.items():
            with tempfile.TemporaryDirectory() as tmp:
                row = {
                    "way": way,
                    "run": k + 1,
                    **run_plan(plan_args, Path(tmp), env),
                }
            rows.append(row)
            print(
                f"{way:<18} {row['wall_s']:>7.1f} {row['routing_s']:>9.1f} {row['tree_mb']:>8} "
                f"{row['largest_mb']:>10} {row['lockers_eur_per_parcel']:>18.3f} "
                f"{row['door_eur_per_parcel']:>5.3f}",
                flush=True,
            )
            if args.json:
                with args.json.open("a") as f:
                    f.write(json.dumps(row) + "\n")
    print("medians:")
    for way in MODES:
        mine = [r for r in rows if r["way"] == way]
        med = {
            key: statistics.median(r[key] for r in mine)
            for key in ("wall_s", "routing_s", "tree_mb")
        }
        print(
            f"  {way:<18} wall {med['wall_s']:.1f} s, routing {med['routing_s']:.1f} s, tree {med['tree_mb']:.0f} MB"
        )
    figures = {(r["lockers_eur_per_parcel"], r["door_eur_per_parcel"], r["covered"]) for r in rows}
    print("same figures both ways:", "yes" if len(figures) == 1 else f"NO {sorted(figures)}")


if __name__ == "__main__":
    main()
