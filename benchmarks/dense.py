"""Benchmark maximal covering where coverage is dense: lockerplan against the direct MILP.

Usage::

    python benchmarks/dense.py --instances DIR [--names Manhattan2713,Kings7730] \
        [--radii 400,800] [--sites 50,100] [--porto] [--porto-radii 600,800] \
        [--porto-sites 50,100,300] [--time-limit 60] [--json out.jsonl]
    python benchmarks/dense.py --fetch DIR    # download the public instances into DIR

Instances:

* **public MCLP sets** in ``--instances DIR``: the files of the IJOC 2024 MCLP
  paper's repository (Wang & Zhou, ``INFORMSJoC/2024.0611``, folder ``data/``),
  read by :mod:`benchmarks.instances.mclp` (every point is a demand point and a
  candidate; Maximo's street corners with great-circle metres, SJC/PCB/ZDS with
  plane distances). ``--fetch DIR`` downloads the Maximo and SJC files from that
  repository for a user with internet; nothing is copied into lockerplan.
* **Greater Porto's walk network** (``--porto``): every node of the walk network
  within ``--porto-district-km`` of Porto's centre is a demand point (one unit
  each: the instance counts street nodes, not parcels) and a candidate site;
  distances are network walking metres (Dijkstra on the street lengths, paths
  may leave the district), up to each radius.

Each instance is solved in the same run by lockerplan and its peers, each in
its own process (its peak resident memory is that process's): by ``solve_mclp``
as a user calls it (``method="auto"``), by lockerplan's direct MILP
(``method="direct"``: the same start and reductions, one cover row per demand
group) and by the textbook MILP (``textbook``: one cover row per point, one
column per site, no start, HiGHS as it is), all on HiGHS through highspy with
the same time limit and one thread (``--peers`` chooses the peers). ``--lscp``
solves set covering instead (the fewest sites reaching every point;
``solve_lscp``). The table gives time, status, objective, bound, gap and peak
memory, and each peer's time over lockerplan's where both proved optimality.
``--json`` writes one line per solve.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.instances.mclp import read_instance  # noqa: E402

OSM = ROOT.parent / "shared" / "bench" / "osm" / "porto_portugal_roads.osm.pbf"
#: Porto's centre (Avenida dos Aliados), longitude and latitude.
PORTO_CENTRE = (-8.6110, 41.1480)
#: Where ``--fetch`` downloads from (the IJOC 2024 MCLP paper's repository).
SOURCE = "https://raw.githubusercontent.com/INFORMSJoC/2024.0611/{branch}/data/{path}"
PUBLIC = {
    "Manhattan2713": "Maximo/Manhattan2713.txt",
    "Bronx3839": "Maximo/Bronx3839.txt",
    "SanFrancisco5137": "Maximo/SanFrancisco5137.txt",
    "Kings7730": "Maximo/Kings7730.txt",
    "SJC818": "SJC/SJC818.txt",
}
PROVEN = 1e-4
#: Sources per Dijkstra call (bounds the dense rows kept at once).
DIJKSTRA_CHUNK = 200

SOLVE = r"""
import json, pickle, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])
from lockerplan.siting import SolverOptions, solve_lscp, solve_mclp
from lockerplan.siting.milp import MilpBuilder, solve_milp
with open(sys.argv[1], "rb") as f:
    D, w, p, limit = pickle.load(f)
method, opts = sys.argv[2], SolverOptions(solver="highs", via="highspy", time_limit_s=limit)
t0 = time.perf_counter()
if method == "textbook":  # the model as written down, handed to HiGHS as it is
    coo, (n_c, n_d) = D.tocoo(), D.shape
    b = MilpBuilder()
    y = b.add_columns("y", np.zeros(n_c) if p else np.ones(n_c), 0.0, 1.0, integer=True)
    if p:  # MCLP: max w z, z[i] <= sum of the sites reaching i, at most p sites
        z = b.add_columns("z", -np.asarray(w, float), 0.0, 1.0)
        b.add_rows("cover", np.r_[np.arange(n_d), coo.col], np.r_[z, y[coo.row]],
                   np.r_[np.ones(n_d), -np.ones(coo.nnz)], hi=np.zeros(n_d))
        b.add_rows("count", np.zeros(n_c), y, np.ones(n_c), hi=[float(p)])
    else:  # LSCP: fewest sites reaching every point some site reaches
        pts = np.unique(coo.col)
        b.add_rows("cover", np.searchsorted(pts, coo.col), y[coo.row], np.ones(coo.nnz),
                   lo=np.ones(len(pts)))
    out = solve_milp(b.build(), opts)
    sign = -1.0 if p else 1.0
    res = {"status": out.status, "objective": sign * out.objective,
           "bound": sign * out.bound, "gap": out.gap, "method": "textbook"}
else:
    if p:
        r = solve_mclp(D, w, p, options=opts, method=method)
    else:
        r = solve_lscp(D, options=opts, method=method)
    res = {"status": r.status, "objective": r.objective, "bound": r.best_bound,
           "gap": r.gap, "method": r.stats.get("method", "direct")}
res.update(seconds=time.perf_counter() - t0,
           peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(res))
"""


def fetch(folder: Path) -> None:
    """Download the public instances of :data:`PUBLIC` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in PUBLIC.items():
        for branch in ("master", "main"):
            try:
                with urllib.request.urlopen(
                    SOURCE.format(branch=branch, path=path), timeout=60
                ) as r:
                    (folder / f"{name}.txt").write_bytes(r.read())
                print(f"fetched {name}")
                break
            except OSError as exc:
                error = exc
        else:
            print(f"could not fetch {name}: {error}")


def public_instances(folder: Path, names, radii):
    """``(label, D, weights)`` for each named file in ``folder`` and radius."""
    for name in names:
        path = folder / f"{name}.txt"
        if not path.exists():
            print(f"skipped {name}: no {path} (see --fetch)")
            continue
        inst = read_instance(path)
        for r in radii:
            yield f"{name}-r{r:g}", inst.within(r), inst.weights


def porto_instances(osm: Path, district_km: float, radii):
    """``(label, D, weights)``: Greater Porto's walk nodes near the centre, per radius."""
    from lockerplan.distances import graph_arrays
    from lockerplan.network import graph_from_osm

    arrays = graph_arrays(graph_from_osm(osm, network_type="walk"))
    import pyproj

    to_xy = pyproj.Transformer.from_crs("EPSG:4326", arrays.crs, always_xy=True)
    cx, cy = to_xy.transform(*PORTO_CENTRE)
    near = np.flatnonzero(np.hypot(arrays.xy[:, 0] - cx, arrays.xy[:, 1] - cy) <= district_km * 1e3)
    for r in radii:
        parts = []
        for start in range(0, len(near), DIJKSTRA_CHUNK):
            src = near[start : start + DIJKSTRA_CHUNK]
            dist = csgraph.dijkstra(arrays.length, indices=src, limit=r)[:, near]
            rows, cols = np.nonzero(np.isfinite(dist))
            parts.append((rows + start, cols, dist[rows, cols]))
        rows, cols, data = (np.concatenate(v) for v in zip(*parts, strict=True))
        D = sparse.csr_matrix((data, (rows, cols)), shape=(len(near), len(near)))
        yield f"porto-{len(near)}n-r{r:g}", D, np.ones(len(near))


def solve(D, w, p: int, limit: float, method: str) -> dict:
    """One solve in a fresh process; its figures (and its own peak memory)."""
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        pickle.dump((D, w, p, limit), f)
    try:
        run = subprocess.run(
            [sys.executable, "-c", SOLVE, f.name, method, str(ROOT)],
            capture_output=True,
            text=True,
            timeout=limit * 3 + 120,
        )
    finally:
        os.unlink(f.name)
    if run.returncode != 0:
        return {"status": "error", "detail": run.stderr.strip().splitlines()[-1:]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def fmt(out: dict) -> str:
    if out.get("status") == "error":
        return f"{'error':>9}"
    return (
        f"{out['seconds']:7.1f} {out['status']:>9} {out['objective']:>12,.0f} "
        f"{out['bound']:>12,.0f} {100 * out['gap']:7.3f} {out['peak_mb']:6.0f}"
    )


def run_case(label, D, w, p: int, limit: float, peers: list[str], sink) -> None:
    """Solve one instance by lockerplan and each peer; print its row, write JSON lines."""
    per_point = D.nnz / D.shape[1]
    outs = {"lockerplan": solve(D, w, p, limit, "auto")}
    outs.update({who: solve(D, w, p, limit, who) for who in peers})
    mine = outs["lockerplan"]
    row = f"{label:<26} {D.shape[1]:>5} {per_point:>5.0f} {p or 'cover':>4} | "
    row += f"{mine.get('method', ''):>10} {fmt(mine)}"
    for who in peers:
        peer, ratio = outs[who], ""
        if mine.get("gap", 1) <= PROVEN and peer.get("gap", 1) <= PROVEN:
            ratio = f"{peer['seconds'] / mine['seconds']:.1f}"
        row += f" | {who:>8} {fmt(peer)} | {ratio}"
    print(row, flush=True)
    if sink:
        base = {"instance": label, "points": D.shape[1], "pairs_per_point": per_point}
        for who, out in outs.items():
            sink.write(json.dumps({**base, "sites": p or None, "solver": who, **out}) + "\n")
        sink.flush()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=Path, help="folder with the public MCLP files")
    ap.add_argument("--fetch", type=Path, help="download the public files into this folder")
    ap.add_argument("--names", default="Manhattan2713,Bronx3839,SanFrancisco5137,Kings7730")
    ap.add_argument("--radii", default="400,800")
    ap.add_argument("--sites", default="50,100")
    ap.add_argument("--porto", action="store_true", help="Greater Porto's walk network nodes")
    ap.add_argument("--osm", type=Path, default=OSM)
    ap.add_argument("--porto-district-km", type=float, default=1.5)
    ap.add_argument("--porto-radii", default="600,800")
    ap.add_argument("--porto-sites", default="50,100,300")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--peers", default="direct,textbook", help="peers to run ('' for none)")
    ap.add_argument("--lscp", action="store_true", help="set covering instead of --sites")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.fetch:
        fetch(args.fetch)
        return

    def nums(text):
        return [float(v) for v in text.split(",") if v]

    cases = []
    if args.instances:
        for label, D, w in public_instances(
            args.instances, args.names.split(","), nums(args.radii)
        ):
            cases += [(label, D, w, int(p)) for p in ([0] if args.lscp else nums(args.sites))]
    if args.porto:
        for label, D, w in porto_instances(
            args.osm, args.porto_district_km, nums(args.porto_radii)
        ):
            cases += [(label, D, w, int(p)) for p in ([0] if args.lscp else nums(args.porto_sites))]
    if not cases:
        ap.error("nothing to run: pass --instances DIR and/or --porto")
    peers = [v for v in args.peers.split(",") if v]
    head = f"{'s':>7} {'status':>9} {'objective':>12} {'bound':>12} {'gap %':>7} {'MB':>6}"
    print(
        f"{'instance':<26} {'pts':>5} {'/pt':>5} {'p':>4} | lockerplan {head}"
        + "".join(f" | {who} {head} | x" for who in peers)
    )
    sink = args.json.open("a") if args.json else None
    for label, D, w, p in cases:
        run_case(label, D, w, p, args.time_limit, peers, sink)
    print(
        f"time limit {args.time_limit:g} s, HiGHS {'1 thread'}; ran {time.strftime('%Y-%m-%d %H:%M')}"
    )


if __name__ == "__main__":
    main()
