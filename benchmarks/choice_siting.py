"""Benchmark siting under customers' choice (uncapacitated MNL): cuts vs Haase's MILP.

Usage::

    python -m benchmarks.choice_siting [--cities helsinki,porto_alegre] [--time-limit 60] [--json]

For each city the study area is prepared as ``lockerplan plan`` prepares it (central
Helsinki: the default scenario, 6 sites, walk 400 m; Porto Alegre:
``porto_alegre_2020.osm.pbf`` with ``porto_alegre_hexgrid_population.csv``, 100
sites, walk 500 m). The choice model is calibrated to an out-of-home share of 0.5
against each cluster's nearest candidate, then :func:`lockerplan.siting.mnl.solve_mnl`
sites without capacities by outer approximation and submodular cuts (``cuts``, the
default) and by Haase's linear reformulation (``haase``, the peer) in the same run.
It prints time, status, expected parcels captured, the proven bound and the gap;
``--json`` prints one JSON line per run instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lockerplan.choice import ChoiceModel, calibrate_home  # noqa: E402
from lockerplan.pipeline.choose import nearest_only  # noqa: E402
from lockerplan.pipeline.prepare import prepare_study_area  # noqa: E402
from lockerplan.siting import SolverOptions  # noqa: E402
from lockerplan.siting.mnl import solve_mnl  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench" / "osm"
CITIES = {
    "helsinki": ({}, 6, 400.0),
    "porto_alegre": (
        {
            "osm": str(BENCH / "porto_alegre_2020.osm.pbf"),
            "population": str(BENCH / "porto_alegre_hexgrid_population.csv"),
        },
        100,
        500.0,
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", default="helsinki,porto_alegre")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--methods", default="cuts,haase")
    parser.add_argument("--json", action="store_true", help="one JSON line per run")
    args = parser.parse_args(argv)
    opts = SolverOptions(solver="highs", via="highspy", time_limit_s=args.time_limit)
    rows = []
    for city in args.cities.split(","):
        settings, sites, walk_m = CITIES[city]
        area = prepare_study_area(walk_m=walk_m, **settings)
        D = area.distances_within(walk_m)
        w = area.clusters["parcels_per_day"].to_numpy(dtype=float)
        model = calibrate_home(ChoiceModel(), 0.5, w, nearest_only(D))
        outside = np.full(D.shape[1], np.exp(model.home_utility))
        for method in args.methods.split(","):
            t = time.perf_counter()
            r = solve_mnl(D, w, sites, attraction=model.attraction, outside=outside,
                          capacitated=False, options=opts, method=method)  # fmt: skip
            row = {
                "city": city,
                "clusters": int(D.shape[1]),
                "candidates": int(D.shape[0]),
                "pairs": int(D.nnz),
                "sites": sites,
                "method": method,
                "seconds": round(time.perf_counter() - t, 1),
                "status": r.status,
                "objective": round(float(r.objective), 3),
                "bound": round(float(r.best_bound), 3),
                "gap": round(float(r.gap), 5),
                "greedy": r.stats.get("greedy_captured"),
                "root_bound": r.stats.get("root_bound"),
                "master_solves": r.stats.get("master_solves"),
            }
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
    if not args.json:
        head = f"{'city':<13} {'n x m (pairs)':>22} {'p':>4} {'method':<6} {'s':>6} "
        print(head + f"{'status':<9} {'captured':>10} {'bound':>10} {'gap':>8}")
        for r in rows:
            size = f"{r['clusters']} x {r['candidates']} ({r['pairs']})"
            print(
                f"{r['city']:<13} {size:>22} {r['sites']:>4} {r['method']:<6} "
                f"{r['seconds']:>6.1f} {r['status']:<9} {r['objective']:>10.3f} "
                f"{r['bound']:>10.3f} {r['gap']:>8.2%}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
