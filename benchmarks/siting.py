"""Benchmark the siting engine on OR-Library p-median and capacitated instances.

Usage::

    python benchmarks/siting.py --set pmed --data ../shared/bench/orlib/pmed \
        [--instances pmed1,pmed2] [--solver highs] [--via highspy|pulp|both] \
        [--peer-time-limit 300 | --no-peer] [--json out.jsonl]
    python benchmarks/siting.py --set cap --data ../shared/bench/orlib/cap [--instances capa] \
        [--no-lagrangian]

Per instance it prints the known optimum, lockerplan's objective, status and
seconds (build + solve, reading excluded); for ``pmed`` it also runs spopt's
``PMedian`` (the n^2 assignment model) with the same solver on the same instance,
in a subprocess with a time cap, and prints its time and the ratio. JSON lines
have the keys ``instance, optimum, objective, status, seconds`` and
``peer_seconds`` where a peer ran (plus ``via``, ``peer_status``, ``bound``).

``capa``/``capb``/``capc`` expand to their four capacities (``capa-8000`` ...);
name one setting as ``capa-8000``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.instances.orlib import CAP_SETTINGS, read_cap, read_optima, read_pmed  # noqa: E402
from lockerplan.siting import (  # noqa: E402
    Candidates,
    SolverOptions,
    from_dense,
    solve_cflp,
    solve_pmedian,
)

PEER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[4])
import numpy as np, pulp
from benchmarks.instances.orlib import read_pmed
from spopt.locate import PMedian
inst = read_pmed(sys.argv[1])
solver_name, limit = sys.argv[2], float(sys.argv[3])
t0 = time.perf_counter()
model = PMedian.from_cost_matrix(inst.distances, np.ones(len(inst.distances)), inst.p)
if solver_name == "highs":
    solver = pulp.HiGHS(msg=False, timeLimit=limit, threads=1)
else:
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
model.solve(solver, results=False)
sec = time.perf_counter() - t0
prob = model.problem
proven = prob.status == 1 and prob.sol_status == 1
print(json.dumps({"seconds": sec, "objective": pulp.value(prob.objective),
                  "status": "optimal" if proven else "feasible"}))
"""


def run_peer(path: Path, solver: str, limit: float) -> dict:
    """spopt PMedian in a subprocess, killed after ``limit`` + 30 s."""
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", PEER, str(path), solver, str(limit), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=limit + 30,
        )
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        data = json.loads(line) if line.startswith("{") else {"status": "error"}
    except subprocess.TimeoutExpired:
        data = {"status": "timeout"}
    if data.get("seconds", 0) >= limit or data.get("status") == "timeout":
        data.update(status="timeout", seconds=time.perf_counter() - t0)
    return data


def pmed_rows(args, names):
    optima = read_optima(args.data / "pmedopt.txt")
    vias = ["highspy", "pulp"] if args.via == "both" else [args.via]
    for name in names:
        inst = read_pmed(args.data / f"{name}.txt")
        D = from_dense(inst.distances)
        w = np.ones(D.shape[1])
        peer = None
        for via in vias:
            t0 = time.perf_counter()
            opts = SolverOptions(solver=args.solver, via=via, time_limit_s=args.time_limit)
            res = solve_pmedian(D, w, inst.p, options=opts)
            sec = time.perf_counter() - t0
            row = {
                "instance": name,
                "optimum": optima.get(name),
                "objective": res.objective,
                "bound": res.best_bound,
                "status": res.status,
                "seconds": round(sec, 3),
                "build_s": round(res.build_s, 3),
                "solve_s": round(res.solve_s, 3),
                "via": via,
                "solver": args.solver,
            }
            if not args.no_peer:
                if peer is None:
                    peer = run_peer(args.data / f"{name}.txt", args.solver, args.peer_time_limit)
                row["peer_seconds"] = round(peer.get("seconds", np.nan), 3)
                row["peer_status"] = peer.get("status")
                row["peer_objective"] = peer.get("objective")
            yield row


def cap_names(args) -> list[str]:
    names = sorted(
        (p.stem for p in args.data.glob("cap*.txt") if p.stem != "capopt"),
        key=lambda s: (len(s), s),
    )
    return names


def cap_rows(args, names):
    optima = read_optima(args.data / "capopt.txt")
    for name in names:
        base, _, setting = name.partition("-")
        settings = [float(setting)] if setting else list(CAP_SETTINGS.get(base, [None]))
        for cap in settings:
            inst = read_cap(args.data / f"{base}.txt", capacity=cap)
            m = len(inst.capacity)
            cands = Candidates.default(m, capacity=inst.capacity, fixed_cost=inst.fixed_cost)
            D = from_dense(np.zeros_like(inst.cost))  # every pair allowed
            for via in ["highspy", "pulp"] if args.via == "both" else [args.via]:
                t0 = time.perf_counter()
                res = solve_cflp(
                    D,
                    inst.demand,
                    candidates=cands,
                    assignment_cost=inst.cost,
                    single_source=False,
                    unserved_penalty=None,
                    lagrangian=False if args.no_lagrangian else None,
                    options=SolverOptions(
                        solver=args.solver, via=via, time_limit_s=args.time_limit
                    ),
                )
                sec = time.perf_counter() - t0
                yield {
                    "instance": inst.name,
                    "optimum": optima.get(inst.name),
                    "objective": res.objective,
                    "bound": res.best_bound,
                    "status": res.status,
                    "seconds": round(sec, 3),
                    "build_s": round(res.build_s, 3),
                    "solve_s": round(res.solve_s, 3),
                    "via": res.via,
                    "solver": args.solver,
                }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=("pmed", "cap"), required=True)
    ap.add_argument("--data", type=Path, required=True, help="folder with the instance files")
    ap.add_argument("--instances", default="", help="comma-separated names (default: all)")
    ap.add_argument("--solver", choices=("cbc", "highs"), default="highs")
    ap.add_argument("--via", choices=("pulp", "highspy", "both"), default="highspy")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--peer-time-limit", type=float, default=300.0)
    ap.add_argument("--no-peer", action="store_true", help="skip spopt")
    ap.add_argument(
        "--no-lagrangian",
        action="store_true",
        help="cap: skip the Lagrangian bound and site fixing (the plain MILP, for comparison)",
    )
    ap.add_argument("--json", type=Path, help="append JSON lines here")
    args = ap.parse_args(argv)
    if args.via in ("highspy", "both") and args.solver == "cbc":
        ap.error("--via highspy (or both) needs --solver highs")
    if not args.data.is_dir():
        ap.error(f"--data {args.data} is not a folder")
    if args.set == "pmed":
        names = args.instances.split(",") if args.instances else [f"pmed{k}" for k in range(1, 41)]
        rows = pmed_rows(args, names)
    else:
        names = args.instances.split(",") if args.instances else cap_names(args)
        rows = cap_rows(args, names)
    head = f"{'instance':<12}{'optimum':>16}{'objective':>16}{'status':>10}{'via':>9}{'seconds':>9}"
    if args.set == "pmed" and not args.no_peer:
        head += f"{'spopt s':>10}{'ratio':>8}"
    print(head, flush=True)
    total, total_peer, ok = 0.0, 0.0, 0
    out = open(args.json, "a") if args.json else None  # noqa: SIM115
    n = 0
    for row in rows:
        n += 1
        opt = row["optimum"]
        match = opt is not None and abs(row["objective"] - opt) <= 1e-6 * max(1.0, abs(opt)) + 0.01
        ok += bool(match and row["status"] == "optimal")
        total += row["seconds"]
        line = (
            f"{row['instance']:<12}{opt if opt is not None else float('nan'):>16.3f}"
            f"{row['objective']:>16.3f}{row['status']:>10}{row['via']:>9}{row['seconds']:>9.2f}"
        )
        if "peer_seconds" in row:
            ps = row["peer_seconds"]
            label = "timeout" if row["peer_status"] == "timeout" else f"{ps:.2f}"
            ratio = ps / row["seconds"] if row["peer_status"] != "timeout" else float("nan")
            line += f"{label:>10}{ratio:>8.1f}"
            total_peer += ps
        if not match:
            line += "  MISMATCH"
        print(line, flush=True)
        if out:
            out.write(json.dumps(row) + "\n")
            out.flush()
    print(
        f"# {ok}/{n} optimal and equal to the known optimum; lockerplan {total:.1f} s total"
        + (f", spopt {total_peer:.1f} s" if total_peer else "")
        + f"; cpu count {os.cpu_count()}"
    )
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(main())
