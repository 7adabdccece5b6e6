"""Benchmark: demand clustering of 100,000 points (issue 4: < 30 s on 2 cores).

Compares :func:`lockerplan.demand.cluster_demand` (tiled complete linkage) with
plain scikit-learn estimators on the same points, in one run:

* ``AgglomerativeClustering(linkage="complete")`` on all points at once: the exact
  method without tiles. Its distance matrix needs n²/2 doubles (40 GB for 100k), so
  it runs on a random subset (``--peer-n``, default 10,000) and the table shows it;
* ``Birch(threshold=cluster_m / 2)``: the scalable scikit-learn clusterer; its
  threshold bounds the subcluster radius, not every member's distance;
* ``MiniBatchKMeans`` on the subset with as many clusters as lockerplan found there:
  same cluster count, no bound on the spread (k-means with ~30,000 centres on all
  100,000 points would take many minutes).

Points: a synthetic city of ``--n`` points (default 100,000) around Helsinki: 60 %
in Gaussian neighbourhoods (sigma 150-600 m) over a 12 x 12 km area, 40 % uniform;
parcels per point lognormal. Seeded, so runs are comparable.

Run::

    .venv/bin/python benchmarks/clustering.py            # 100k points
    .venv/bin/python benchmarks/clustering.py --n 20000 --dense   # 3 x 3 km city

Columns: method, points, seconds, clusters, max spread (largest member distance to
its cluster point, m), parcel-weighted mean error (m), parcels kept (should be 100 %).
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import geopandas as gpd
import numpy as np
from sklearn.cluster import AgglomerativeClustering, Birch, MiniBatchKMeans

from lockerplan.demand import aggregation_error, cluster_demand


def synthetic_points(n: int, *, seed: int = 0, side_m: float = 12_000.0) -> gpd.GeoDataFrame:
    """``n`` demand points around central Helsinki (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    n_clustered = int(0.6 * n)
    centres = rng.uniform(0, side_m, size=(200, 2))
    sigma = rng.uniform(150, 600, size=200)
    pick = rng.integers(0, 200, size=n_clustered)
    xy = np.vstack(
        [
            centres[pick] + rng.normal(size=(n_clustered, 2)) * sigma[pick, None],
            rng.uniform(0, side_m, size=(n - n_clustered, 2)),
        ]
    )
    xy += np.array([385_000.0 - side_m / 2, 6_672_000.0 - side_m / 2])  # EPSG:3067
    pts = gpd.GeoDataFrame(
        {
            "demand_id": [f"p{i}" for i in range(n)],
            "parcels_per_day": rng.lognormal(-2.0, 0.8, size=n),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:3067",
    )
    return pts.to_crs("EPSG:4326")


def _errors(xy: np.ndarray, w: np.ndarray, labels: np.ndarray) -> tuple[int, float, float]:
    k = int(labels.max()) + 1
    sw = np.bincount(labels, weights=w, minlength=k)
    cx = np.bincount(labels, weights=w * xy[:, 0], minlength=k) / sw
    cy = np.bincount(labels, weights=w * xy[:, 1], minlength=k) / sw
    d = np.hypot(xy[:, 0] - cx[labels], xy[:, 1] - cy[labels])
    return k, float(d.max()), float((w * d).sum() / w.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--cluster-m", type=float, default=50.0)
    parser.add_argument("--peer-n", type=int, default=10_000)
    parser.add_argument("--dense", action="store_true", help="put all points in 3 x 3 km")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    pts = synthetic_points(args.n, seed=args.seed, side_m=3_000.0 if args.dense else 12_000.0)
    metric = pts.to_crs("EPSG:3067")
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    w = pts["parcels_per_day"].to_numpy()
    rows = []

    t = time.perf_counter()
    clusters = cluster_demand(pts, args.cluster_m)
    dt = time.perf_counter() - t
    err = aggregation_error(clusters)
    kept = clusters["parcels_per_day"].sum() / w.sum()
    rows.append(
        (
            "lockerplan cluster_demand",
            len(pts),
            dt,
            len(clusters),
            err["max_m"],
            err["mean_m"],
            kept,
        )
    )

    rng = np.random.default_rng(args.seed)
    sub = rng.choice(len(pts), size=min(args.peer_n, len(pts)), replace=False)
    t = time.perf_counter()
    sub_clusters = cluster_demand(pts.iloc[sub], args.cluster_m)
    dt = time.perf_counter() - t
    e = aggregation_error(sub_clusters)
    rows.append(
        (
            "lockerplan cluster_demand (subset)",
            len(sub),
            dt,
            len(sub_clusters),
            e["max_m"],
            e["mean_m"],
            1.0,
        )
    )
    t = time.perf_counter()
    labels = AgglomerativeClustering(
        n_clusters=None, distance_threshold=args.cluster_m, linkage="complete"
    ).fit_predict(xy[sub])
    dt = time.perf_counter() - t
    rows.append(
        (
            "sklearn Agglomerative complete (subset)",
            len(sub),
            dt,
            *_errors(xy[sub], w[sub], labels),
            1.0,
        )
    )

    t = time.perf_counter()
    labels = Birch(threshold=args.cluster_m / 2, n_clusters=None).fit_predict(xy)
    dt = time.perf_counter() - t
    labels = np.unique(labels, return_inverse=True)[1].ravel()
    rows.append(
        ("sklearn Birch(threshold=cluster_m/2)", len(pts), dt, *_errors(xy, w, labels), 1.0)
    )

    k_sub = len(sub_clusters)
    t = time.perf_counter()
    labels = MiniBatchKMeans(
        n_clusters=k_sub, random_state=args.seed, n_init=1, batch_size=4096, max_iter=20
    ).fit_predict(xy[sub], sample_weight=w[sub])
    dt = time.perf_counter() - t
    labels = np.unique(labels, return_inverse=True)[1].ravel()
    rows.append(
        (
            f"sklearn MiniBatchKMeans(k={k_sub}) (subset)",
            len(sub),
            dt,
            *_errors(xy[sub], w[sub], labels),
            1.0,
        )
    )

    print(
        f"clustering benchmark: budget {args.cluster_m:.0f} m, "
        f"{'dense 3 x 3 km' if args.dense else '12 x 12 km'}, {os.cpu_count()} CPUs"
    )
    head = f"| {'method':40s} | {'points':>7s} | {'seconds':>7s} | {'clusters':>8s} | {'max m':>6s} | {'mean m':>6s} | {'parcels kept':>12s} |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for name, n, dt, k, mx, mean, kept in rows:
        print(
            f"| {name:40s} | {n:7d} | {dt:7.2f} | {k:8d} | {mx:6.1f} | {mean:6.1f} | {100 * kept:11.2f}% |"
        )


if __name__ == "__main__":
    main()
