"""Distance benchmark: lockerplan's sparse walking matrix vs a networkx Dijkstra loop.

For each extract it

1. times loading the walk network cold (empty cache, fresh process) and cached
   (second fresh process, same cache folder), with the child's peak RSS;
2. samples 1,000 candidate and 5,000 demand nodes of the walk graph (seed 0) and
   builds the candidate x demand walking matrix within the cutoff (1,500 m) with
   :func:`lockerplan.distances.walking_distance_matrix` (snapping included) and with
   a ``networkx.single_source_dijkstra_path_length(cutoff=...)`` loop on the same
   graph, in the same run;
3. checks that both give the same pairs and distances, and prints a table with
   wall time, peak Python memory (tracemalloc, measured in a second, traced run so
   tracing does not slow the timed run) and the speed ratio.

Usage::

    .venv/bin/python benchmarks/distances.py [--data ../shared/bench/osm] \
        [--files porto_portugal_roads.osm.pbf porto_alegre_2020.osm.pbf] \
        [--candidates 1000] [--demand 5000] [--cutoff 1500] [--seed 0]

Targets (issue 3): matrix >= 5x faster than networkx; Porto walk network cold load
<= 15 s and cached <= 2 s; peak memory of the matrix step < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lockerplan.distances import graph_arrays, snap_points, walking_distance_matrix  # noqa: E402
from lockerplan.network import graph_from_osm  # noqa: E402

DEFAULT_FILES = ["porto_portugal_roads.osm.pbf", "porto_alegre_2020.osm.pbf"]

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from lockerplan.network import graph_from_osm
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t, c = time.perf_counter(), cpu()
G = graph_from_osm({path!r}, "walk", cache_dir={cache!r})
dt, dc = time.perf_counter() - t, cpu() - c
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": dt, "cpu_s": dc, "rss_mb": rss, "nodes": len(G),
                  "edges": G.number_of_edges(), "from_cache": G.graph["from_cache"]}}))
"""


def load_in_child(path: Path, cache: str) -> dict:
    """Load the walk graph in a fresh process; return its time and peak RSS."""
    code = _CHILD.format(root=str(ROOT), path=str(path), cache=cache)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def snap(arrays, cand_pts, dem_pts):
    return snap_points(arrays, cand_pts), snap_points(arrays, dem_pts)


def lockerplan_matrix(arrays, snaps, cutoff):
    return walking_distance_matrix(arrays, snaps[0], snaps[1], cutoff, progress=False)


def networkx_matrix(G, cand_ids, dem_ids, cutoff):
    col = {int(n): j for j, n in enumerate(dem_ids)}
    rows, cols, vals = [], [], []
    for i, node in enumerate(cand_ids):
        lengths = nx.single_source_dijkstra_path_length(
            G, int(node), cutoff=cutoff, weight="length"
        )
        for n, d in lengths.items():
            j = col.get(n)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(d)
    return np.array(rows), np.array(cols), np.array(vals)


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def traced_peak_mb(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def compare(D, nx_result, cutoff) -> tuple[int, int, float]:
    """Pairs only one side found (away from the cutoff boundary) and the largest difference."""
    rows, cols, vals = nx_result
    ours = D.tocoo()
    a = {(int(r), int(c)): float(v) for r, c, v in zip(ours.row, ours.col, ours.data, strict=True)}
    b = {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, vals, strict=True)}
    only_ours = [k for k in a.keys() - b.keys() if abs(a[k] - cutoff) > 1e-3]
    only_nx = [k for k in b.keys() - a.keys() if abs(b[k] - cutoff) > 1e-3]
    common = a.keys() & b.keys()
    diff = max((abs(a[k] - b[k]) for k in common), default=0.0)
    return len(only_ours), len(only_nx), diff


def run(path: Path, n_cand: int, n_dem: int, cutoff: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="lockerplan-bench-cache-") as cache:
        cold = load_in_child(path, cache)
        cached = load_in_child(path, cache)
        G = graph_from_osm(path, "walk", cache_dir=cache)
    arrays, t_arrays = timed(graph_arrays, G)
    rng = np.random.default_rng(seed)
    n = len(arrays.node_ids)
    cand = rng.choice(n, size=min(n_cand, n), replace=False)
    dem = rng.choice(n, size=min(n_dem, n), replace=False)
    pts = gpd.GeoSeries(shapely.points(arrays.xy), crs=arrays.crs)
    cand_pts, dem_pts = pts.iloc[cand].reset_index(drop=True), pts.iloc[dem].reset_index(drop=True)
    cand_ids, dem_ids = arrays.node_ids[cand], arrays.node_ids[dem]
    arrays.segments(), snap_points(arrays, cand_pts.iloc[:1])  # build the snapping index once
    snaps, t_snap = timed(snap, arrays, cand_pts, dem_pts)
    D, t_lp = timed(lockerplan_matrix, arrays, snaps, cutoff)
    nx_res, t_nx = timed(networkx_matrix, G, cand_ids, dem_ids, cutoff)
    only_ours, only_nx, diff = compare(D, nx_res, cutoff)
    mem_lp = traced_peak_mb(lockerplan_matrix, arrays, snaps, cutoff)
    mem_nx = traced_peak_mb(networkx_matrix, G, cand_ids, dem_ids, cutoff)
    return {
        "file": path.name,
        "nodes": len(G),
        "edges": G.number_of_edges(),
        "cold_s": cold["seconds"],
        "cold_cpu_s": cold["cpu_s"],
        "cached_cpu_s": cached["cpu_s"],
        "snap_s": t_snap,
        "cold_rss_mb": cold["rss_mb"],
        "cached_s": cached["seconds"],
        "cached_hit": cached["from_cache"],
        "arrays_s": t_arrays,
        "pairs": D.nnz,
        "lp_s": t_lp,
        "nx_s": t_nx,
        "ratio": t_nx / t_lp,
        "lp_mb": mem_lp,
        "nx_mb": mem_nx,
        "agree": only_ours == 0 and only_nx == 0 and diff < 1e-3,
        "only_ours": only_ours,
        "only_nx": only_nx,
        "max_diff_m": diff,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "bench" / "osm")
    ap.add_argument("--files", nargs="+", default=DEFAULT_FILES)
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--demand", type=int, default=5000)
    ap.add_argument("--cutoff", type=float, default=1500.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write one JSON line per file here")
    args = ap.parse_args(argv)
    results = []
    load_before = os.getloadavg()[0]
    for name in args.files:
        path = args.data / name
        if not path.exists():
            print(f"skip {name}: not found in {args.data}", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(run(path, args.candidates, args.demand, args.cutoff, args.seed))
    if not results:
        print("no benchmark files found", file=sys.stderr)
        return 1
    print(
        f"\nwalking matrix {args.candidates} candidates x {args.demand} demand nodes, "
        f"cutoff {args.cutoff:.0f} m, seed {args.seed}\n"
    )
    head = (
        "| file | walk nodes / edges | load cold s (cpu s, RSS MB) | load cached s (cpu s) "
        "| graph_arrays s | snap 6k points to edges s | pairs | lockerplan matrix s "
        "| networkx loop s | ratio | lockerplan peak MB | networkx peak MB | agree (max diff m) |"
    )
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for r in results:
        print(
            f"| {r['file']} | {r['nodes']:,} / {r['edges']:,} "
            f"| {r['cold_s']:.1f} ({r['cold_cpu_s']:.1f}, {r['cold_rss_mb']:.0f}) "
            f"| {r['cached_s']:.2f} ({r['cached_cpu_s']:.2f}) "
            f"| {r['arrays_s']:.2f} | {r['snap_s']:.2f} | {r['pairs']:,} | {r['lp_s']:.2f} | {r['nx_s']:.2f} "
            f"| {r['ratio']:.1f}x | {r['lp_mb']:.0f} | {r['nx_mb']:.0f} "
            f"| {'yes' if r['agree'] else 'NO'} ({r['max_diff_m']:.1e}) |"
        )
    print(
        f"\nload average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on "
        f"{os.cpu_count()} CPUs; ratio = networkx loop / lockerplan matrix (same graph, same run)"
    )
    if args.json:
        with args.json.open("a") as fh:
            for r in results:
                fh.write(json.dumps(r) + "\n")
    return 0 if all(r["agree"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
