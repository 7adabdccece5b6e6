"""Benchmark siting at metro scale: Greater Porto, 150k orders, 5k candidate sites.

Usage::

    python benchmarks/metro.py [--osm ../shared/bench/osm/porto_portugal_roads.osm.pbf] \
        [--orders 150000] [--candidates 5000] [--sites 100,300,1000] [--walk-m 400] \
        [--model cmclp] [--time-limit 120] [--peer-time-limit 120] [--json out.jsonl]

The instance is built here, seeded (``--seed``), on the real walk network of the
extract: orders (one parcel each, ``--days`` days of them) and candidate sites on
street nodes drawn uniformly, with a few metres of jitter. It is prepared once
(networks from the cache, clustering, network walking distances) like
``lockerplan plan --demand orders.csv --candidates sites.csv``; then for each
number of sites it solves the siting model the way the pipeline does (exact
reductions, warm start) and, in the same run, the *direct* MILP of the same model
on HiGHS (every cluster x candidate pair, no reduction, no start) under
``--peer-time-limit`` seconds.

``--instance-dir DIR`` keeps the instance, so the whole command can be timed on
it::

    lockerplan plan --osm ../shared/bench/osm/porto_portugal_roads.osm.pbf \
        --demand DIR/orders.csv --candidates DIR/sites.csv --sites 300 --walk-m 400

It prints one table row per number of sites and writes JSON lines with
``instance, sites, seconds, status, gap, objective, peer_seconds, peer_status,
peer_gap, peer_objective, peak_mb`` (``peak_mb``: the process's peak resident
memory so far).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lockerplan.network import graph_from_osm  # noqa: E402
from lockerplan.pipeline.allocate import candidate_attributes  # noqa: E402
from lockerplan.pipeline.prepare import StudyArea, prepare_study_area  # noqa: E402
from lockerplan.pipeline.solve import solve_siting  # noqa: E402
from lockerplan.siting import SolverOptions  # noqa: E402
from lockerplan.siting.milp import MilpBuilder, solve_milp  # noqa: E402

OSM = ROOT.parent / "shared" / "bench" / "osm" / "porto_portugal_roads.osm.pbf"
#: Jitter of orders and sites around their street node, metres.
JITTER_M = 8.0


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux: ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_instance(osm: Path, n_orders: int, n_sites: int, seed: int, folder: Path) -> dict:
    """Orders and candidate sites on the walk network's nodes, written as CSV files."""
    G = graph_from_osm(osm, network_type="walk")
    nodes = pd.DataFrame.from_dict(dict(G.nodes(data=True)), orient="index")[["x", "y"]]
    rng = np.random.default_rng(seed)
    deg = JITTER_M / 111_000

    def points(n: int) -> pd.DataFrame:
        pick = nodes.iloc[rng.integers(0, len(nodes), n)]
        jitter = rng.uniform(-deg, deg, size=(n, 2))
        return pd.DataFrame(
            {"lon": pick["x"].to_numpy() + jitter[:, 0], "lat": pick["y"].to_numpy() + jitter[:, 1]}
        )

    orders = points(n_orders)
    orders.insert(0, "order_id", np.arange(n_orders))
    sites = points(n_sites)
    sites.insert(0, "name", [f"site {i}" for i in range(n_sites)])
    paths = {"demand": folder / "orders.csv", "candidates": folder / "sites.csv"}
    orders.round(7).to_csv(paths["demand"], index=False)
    sites.round(7).to_csv(paths["candidates"], index=False)
    return paths


def prepare_instance(args, folder: Path | None = None, **settings) -> StudyArea:
    """The seeded instance of ``args`` (orders, candidates, seed, walk), prepared.

    The orders and candidate files go to ``folder`` (kept), else to a temporary one.
    """
    if folder is None:  # kept until the process ends: the study area reads its files later
        _TEMPORARY.append(tempfile.TemporaryDirectory(prefix="lockerplan-metro-"))
        folder = Path(_TEMPORARY[-1].name)
    folder.mkdir(parents=True, exist_ok=True)
    files = build_instance(args.osm, args.orders, args.candidates, args.seed, folder)
    return prepare_study_area(
        osm=str(args.osm),
        demand=str(files["demand"]),
        candidates=str(files["candidates"]),
        walk_m=args.walk_m,
        hubs="1",
        **settings,
    )


#: Temporary instance folders, removed when the process ends.
_TEMPORARY: list[tempfile.TemporaryDirectory] = []


def direct_milp(area: StudyArea, model: str, sites: int, time_limit: float) -> dict:
    """The textbook MILP of ``model`` on every cluster x candidate pair, straight into HiGHS."""
    sc = area.scenario
    D = area.distances_within(sc.walk_m).tocoo()
    w = area.clusters["parcels_per_day"].to_numpy(dtype=float)
    keep = w[D.col] > 0
    j, i = D.row[keep], D.col[keep]
    n_cand, cols = D.shape[0], np.unique(i)
    c = np.searchsorted(cols, i)
    b = MilpBuilder()
    y = b.add_columns("y", np.zeros(n_cand), 0.0, 1.0, integer=True)
    if model == "mclp":
        z = b.add_columns("z", -w[cols], 0.0, 1.0)
        b.add_rows(
            "cover",
            np.r_[np.arange(len(cols)), c],
            np.r_[z, y[j]],
            np.r_[np.ones(len(cols)), -np.ones(len(j))],
            hi=np.zeros(len(cols)),
        )
    else:  # cmclp: shares x[i, j], modules m[j]
        attrs = candidate_attributes(sc.siting, sc.costs, area.candidates)
        cap = attrs.capacity / sc.costs.adoption_share
        most = np.where(attrs.kind == "cabinet", float(sc.siting.max_modules), 1.0)
        m = b.add_columns("m", np.zeros(n_cand), 0.0, most, integer=True)
        x = b.add_columns("x", -w[i], 0.0, 1.0)
        k = np.arange(len(j))
        b.add_rows("serve", c, x, np.ones(len(j)), hi=np.ones(len(cols)))
        b.add_rows(
            "link",
            np.r_[k, k],
            np.r_[x, y[j]],
            np.r_[np.ones(len(j)), -np.ones(len(j))],
            hi=np.zeros(len(j)),
        )
        n = np.arange(n_cand)
        b.add_rows("capacity", np.r_[j, n], np.r_[x, m], np.r_[w[i], -cap], hi=np.zeros(n_cand))
        b.add_rows(
            "modules", np.r_[n, n], np.r_[m, y], np.r_[np.ones(n_cand), -most], hi=np.zeros(n_cand)
        )
    b.add_rows("count", np.zeros(n_cand), y, np.ones(n_cand), hi=[sites])
    t0 = time.perf_counter()
    out = solve_milp(
        b.build(), SolverOptions(solver="highs", via="highspy", time_limit_s=time_limit)
    )
    return {
        "peer_seconds": round(time.perf_counter() - t0, 2),
        "peer_status": out.status,
        "peer_gap": None if out.x is None else round(float(out.gap), 6),
        "peer_objective": None if out.x is None else round(-float(out.objective), 3),
    }


def solve_row(area: StudyArea, args, sites: int) -> dict:
    """lockerplan's solve of ``args.model`` with ``sites`` sites, and the direct MILP's."""
    sc = area.scenario
    settings = {"sites": sites, "model": args.model, "time_limit_s": args.time_limit}
    area.scenario = sc.replace(**settings)
    siting, costs = area.scenario.siting, area.scenario.costs
    D = area.distances_within(siting.walk_m)
    attrs = candidate_attributes(siting, costs, area.candidates)
    t0 = time.perf_counter()
    res = solve_siting(siting, costs, area, D, attrs)
    row = {
        "instance": f"porto-{args.orders // 1000}k-{args.candidates}",
        "model": args.model,
        "sites": sites,
        "seconds": round(time.perf_counter() - t0, 2),
        "status": res.status,
        "gap": round(float(res.gap), 6),
        "objective": round(float(res.objective), 3),
    }
    if args.peer_time_limit > 0:
        row.update(direct_milp(area, args.model, sites, args.peer_time_limit))
    row["peak_mb"] = round(peak_mb(), 1)
    return row


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--osm", type=Path, default=OSM)
    p.add_argument("--orders", type=int, default=150_000)
    p.add_argument("--days", type=float, default=1.0, help="the orders are this many days' parcels")
    p.add_argument("--candidates", type=int, default=5_000)
    p.add_argument("--sites", default="100,300,1000")
    p.add_argument("--walk-m", type=float, default=400.0)
    p.add_argument("--model", default="cmclp", choices=["cmclp", "mclp"])
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--peer-time-limit", type=float, default=120.0, help="0: no peer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path)
    p.add_argument(
        "--instance-dir",
        type=Path,
        help="keep orders.csv and sites.csv here (to run `lockerplan plan` on them)",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if not args.osm.exists():
        print(f"no extract at {args.osm}; give --osm", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    area = prepare_instance(args, args.instance_dir, demand_days=args.days)
    prep = time.perf_counter() - t0
    print(
        f"instance: {args.orders:,} orders -> {len(area.clusters):,} clusters, "
        f"{len(area.candidates):,} candidates, {area.distances.nnz:,} pairs within "
        f"{args.walk_m:g} m; prepared in {prep:.0f} s ({area.stage_seconds})"
    )
    head = f"{'sites':>6} {'seconds':>8} {'status':>9} {'gap %':>7} {'peer s':>8} {'peer':>9} {'peer gap %':>10} {'ratio':>6} {'peak MB':>8}"
    print(
        f"model {args.model}, time limit {args.time_limit:g} s, peer limit {args.peer_time_limit:g} s"
    )
    print(head)
    for sites in [int(s) for s in args.sites.split(",")]:
        row = solve_row(area, args, sites)
        peer_s = row.get("peer_seconds")
        ratio = f"{peer_s / max(row['seconds'], 1e-3):.1f}" if peer_s else "-"
        peer_gap = row.get("peer_gap")
        print(
            f"{sites:>6} {row['seconds']:>8.1f} {row['status']:>9} {100 * row['gap']:>7.2f} "
            f"{peer_s if peer_s is not None else '-':>8} {row.get('peer_status', '-'):>9} "
            f"{'-' if peer_gap is None else f'{100 * peer_gap:.2f}':>10} {ratio:>6} {row['peak_mb']:>8.0f}"
        )
        if args.json:
            with args.json.open("a") as f:
                f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
