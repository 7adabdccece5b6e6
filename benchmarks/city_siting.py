"""Benchmark the capacitated default (cmclp) on a whole city: Porto Alegre.

Usage::

    python -m benchmarks.city_siting [--sites 50,100,200] [--walk-m 500] [--json FILE]

The study area is prepared once the way ``lockerplan plan --osm
porto_alegre_2020.osm.pbf --population porto_alegre_hexgrid_population.csv --walk-m
500`` prepares it (Brazil's preset, found from the extract); then for each number of
sites the siting alone (no routing) is solved with the default ``cmclp`` and its
default limits, and with the uncapacitated ``mclp`` as the peer in the same run
(each plan routes its replenishment, not the door-to-door baseline). It prints
status, gap, covered parcels, the proven upper bound on them, parcels beyond the
cabinets and solver seconds.
``--parcels-per-person 0.083 --adoption-share 0.7`` gives the city five times the
parcels and seven times the locker share, where the cabinets' capacity binds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lockerplan.pipeline.prepare import prepare_study_area  # noqa: E402
from lockerplan.pipeline.solve import plan_study_area  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench" / "osm"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", default="50,100,200")
    parser.add_argument("--walk-m", type=float, default=500.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--parcels-per-person",
        type=float,
        help="instead of Brazil's 6 a year: e.g. 0.083 a day (the uncalibrated rate "
        "lockerplan used before its presets), where the cabinets' capacity binds",
    )
    parser.add_argument("--adoption-share", type=float, help="instead of Brazil's 0.1")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    area = prepare_study_area(
        osm=str(BENCH / "porto_alegre_2020.osm.pbf"),
        population=str(BENCH / "porto_alegre_hexgrid_population.csv"),
        walk_m=args.walk_m,
        **(
            {"parcels_per_person_per_day": args.parcels_per_person}
            if args.parcels_per_person
            else {}
        ),
    )
    extra = {"adoption_share": args.adoption_share} if args.adoption_share else {}
    print(
        f"prepared in {time.perf_counter() - t0:.0f} s: {len(area.clusters):,} clusters x "
        f"{len(area.candidates):,} candidates, {area.country.get('code')} preset",
        file=sys.stderr,
    )
    rows = []
    for n in (int(s) for s in args.sites.split(",")):
        for model in ("cmclp", "mclp"):
            t = time.perf_counter()
            k = plan_study_area(
                area, model=model, sites=n, door_to_door=False, catchments=False, **extra
            ).kpis
            rows.append(
                {
                    "sites": n,
                    "model": model,
                    "status": k.solver_status,
                    "gap": k.solver_gap,
                    "objective": k.solver_objective,
                    "bound": k.solver_bound,
                    "over_capacity": k.over_capacity_parcels_per_day,
                    "solve_s": k.solver_s,
                    "plan_s": round(time.perf_counter() - t, 2),
                }
            )
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(
        f"{'sites':>5} {'model':<6} {'status':<9} {'gap':>9} {'covered':>10} {'bound':>10} "
        f"{'over cap.':>10} {'solve s':>8}"
    )
    for r in rows:
        print(
            f"{r['sites']:>5} {r['model']:<6} {r['status']:<9} {r['gap']:>9.2e} "
            f"{r['objective']:>10,.1f} {r['bound']:>10,.1f} {r['over_capacity']:>10,.1f} "
            f"{r['solve_s']:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
