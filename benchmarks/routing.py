"""Routing benchmark: PyVRP (lockerplan's solver) vs OR-Tools on CVRPLIB instances.

Runs PyVRP and, when installed, OR-Tools (guided local search) with the same
wall-clock limit on each instance, one after the other, and prints the gap of
each to the best-known solution (BKS). Distance conventions per set follow
``../shared/bench/cvrplib/BKS.md`` (see `benchmarks/instances/cvrplib.py`).

Usage::

    python benchmarks/routing.py --data ../shared/bench/cvrplib \
        [--instances 'X-*' p01 C101] [--time-limit 60] [--json results.jsonl] [--no-peer]

JSON lines keys: ``instance``, ``bks``, ``cost``, ``gap_pct``, ``seconds``,
``peer_gap_pct`` (OR-Tools' gap, ``null`` without OR-Tools), plus ``set``,
``n``, ``feasible``, ``routes``, ``peer_cost``, ``peer_seconds``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.instances.cvrplib import INF, Instance, read_bks, read_instance, to_pyvrp  # noqa: E402

# Best-known solutions from ../shared/bench/cvrplib/BKS.md (CVRPLIB / DIMACS units).
BKS = {
    "A-n32-k5": 784,
    "A-n80-k10": 1763,
    "B-n78-k10": 1221,
    "P-n101-k4": 681,
    "X-n101-k25": 27591,
    "X-n200-k36": 58578,
    "X-n303-k21": 21736,
    "X-n502-k39": 69226,
    "X-n1001-k43": 72355,
    "p01": 576.87,
    "p04": 1001.04,
    "p12": 1318.95,
    "C101": 827.3,
    "R101": 1637.7,
    "RC101": 1619.8,
}


def find_instances(data: Path, patterns: list[str] | None) -> list[Path]:
    """Instance files under ``data`` (cvrp/, mdvrp/, vrptw/) matching the patterns."""
    files = sorted((data / "cvrp").glob("*.vrp"))
    files += sorted((data / "mdvrp").glob("*.txt"))
    files += sorted((data / "vrptw").glob("*.txt"))
    if patterns:
        files = [f for f in files if any(fnmatch.fnmatch(f.stem, p) for p in patterns)]
    return files


def solve_pyvrp(inst: Instance, time_limit: float, seed: int) -> tuple[float, bool, int, float]:
    """Cost (set units), feasibility, routes and seconds of PyVRP's best solution."""
    t0 = time.perf_counter()
    data = to_pyvrp(inst)
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    best = result.best
    seconds = time.perf_counter() - t0
    return best.distance() / inst.scale, bool(best.is_feasible()), best.num_routes(), seconds


def solve_ortools(inst: Instance, time_limit: float) -> tuple[float, bool, int, float] | None:
    """The same for OR-Tools (guided local search); ``None`` when OR-Tools is missing."""
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    t0 = time.perf_counter()
    n, t = len(inst.xy), inst.n_depots
    if inst.kind == "cvrp":
        # a fleet slightly above the bin-packing bound; OR-Tools slows with idle vehicles
        lb = math.ceil(inst.demand.sum() / inst.capacity)
        per_depot = min(inst.vehicles_per_depot, int(math.ceil(lb * 1.15)) + 2)
    else:
        per_depot = inst.vehicles_per_depot
    starts = [d for d in range(t) for _ in range(per_depot)]
    manager = pywrapcp.RoutingIndexManager(n, len(starts), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    dist = inst.distance.copy()
    np.fill_diagonal(dist, 0)
    arc = routing.RegisterTransitMatrix(dist.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    demand = routing.RegisterUnaryTransitVector(inst.demand.tolist())
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [inst.capacity] * len(starts), True, "Capacity"
    )
    timed = inst.kind == "vrptw" or inst.max_duration < INF
    if timed:
        travel = dist + inst.service[:, None]
        np.fill_diagonal(travel, 0)
        horizon = int(inst.tw_late[:t].max()) if inst.kind == "vrptw" else int(inst.max_duration)
        time_cb = routing.RegisterTransitMatrix(travel.tolist())
        routing.AddDimension(time_cb, horizon, horizon, inst.kind != "vrptw", "Time")
        dim = routing.GetDimensionOrDie("Time")
        if inst.kind == "vrptw":
            for node in range(t, n):
                idx = manager.NodeToIndex(node)
                dim.CumulVar(idx).SetRange(int(inst.tw_early[node]), int(inst.tw_late[node]))
            for v in range(len(starts)):
                d = starts[v]
                for idx in (routing.Start(v), routing.End(v)):
                    dim.CumulVar(idx).SetRange(int(inst.tw_early[d]), int(inst.tw_late[d]))
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    # cheapest insertion finds first solutions under tight time windows where
    # path-cheapest-arc can fail
    params.first_solution_strategy = (
        strategy.PARALLEL_CHEAPEST_INSERTION if timed else strategy.PATH_CHEAPEST_ARC
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    solution = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    if solution is None:
        return math.nan, False, 0, seconds
    cost, used = 0, 0
    for v in range(len(starts)):
        idx = routing.Start(v)
        nodes = [manager.IndexToNode(idx)]
        while not routing.IsEnd(idx):
            idx = solution.Value(routing.NextVar(idx))
            nodes.append(manager.IndexToNode(idx))
        if len(nodes) > 2:
            used += 1
            cost += int(dist[nodes[:-1], nodes[1:]].sum())
    return cost / inst.scale, True, used, seconds


def gap(cost: float, bks: float | None) -> float | None:
    """Gap to the BKS in percent, ``None`` when unknown."""
    if bks is None or not math.isfinite(cost):
        return None
    return round(100.0 * (cost - bks) / bks, 3) + 0.0  # no -0.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the cvrplib folder")
    ap.add_argument("--instances", nargs="*", help="names or patterns, e.g. 'X-*' p01 C101")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per solver run")
    ap.add_argument("--json", type=Path, help="write one JSON line per instance here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-peer", action="store_true", help="skip OR-Tools")
    args = ap.parse_args(argv)
    files = find_instances(args.data, args.instances)
    if not files:
        print(f"no instances found in {args.data}", file=sys.stderr)
        return 2
    out = args.json.open("w") if args.json else None
    header = f"{'instance':<14}{'n':>6}{'BKS':>11}{'PyVRP':>11}{'gap%':>8}{'s':>7}"
    header += f"{'OR-Tools':>11}{'gap%':>8}{'s':>7}"
    print(header)
    print("-" * len(header))
    rows = []
    try:
        for path in files:
            inst = read_instance(path)
            bks = BKS.get(inst.name, read_bks(path))
            cost, feasible, n_routes, seconds = solve_pyvrp(inst, args.time_limit, args.seed)
            cost = cost if feasible else math.nan
            peer = None if args.no_peer else solve_ortools(inst, args.time_limit)
            row = {
                "instance": inst.name,
                "set": inst.kind if inst.kind != "cvrp" else inst.name[0],
                "n": inst.n_clients,
                "bks": bks,
                "cost": round(cost, 3) if math.isfinite(cost) else None,
                "gap_pct": gap(cost, bks),
                "seconds": round(seconds, 2),
                "feasible": feasible,
                "routes": n_routes,
                "peer_cost": round(peer[0], 3) if peer and math.isfinite(peer[0]) else None,
                "peer_gap_pct": gap(peer[0], bks) if peer else None,
                "peer_seconds": round(peer[3], 2) if peer else None,
            }
            rows.append(row)
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()

            def fmt(v, spec):
                return format(v, spec) if v is not None else format("-", spec.split(".")[0])

            print(
                f"{inst.name:<14}{inst.n_clients:>6}{bks:>11.2f}{fmt(row['cost'], '>11.2f')}"
                f"{fmt(row['gap_pct'], '>8.2f')}{seconds:>7.1f}{fmt(row['peer_cost'], '>11.2f')}"
                f"{fmt(row['peer_gap_pct'], '>8.2f')}{fmt(row['peer_seconds'], '>7.1f')}",
                flush=True,
            )
    finally:
        if out:
            out.close()
    print("-" * len(header))
    for name in sorted({r["set"] for r in rows}):
        sel = [r for r in rows if r["set"] == name]
        mine = [r["gap_pct"] for r in sel if r["gap_pct"] is not None]
        peer = [r["peer_gap_pct"] for r in sel if r["peer_gap_pct"] is not None]
        line = f"mean gap {name:<6} ({len(sel)} instances): PyVRP "
        line += f"{np.mean(mine):.2f} %" if mine else "-"
        line += f", OR-Tools {np.mean(peer):.2f} %" if peer else ""
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
