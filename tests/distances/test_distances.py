"""Network distances: snapping, sparse walking matrix, nearest site, drive matrices, catchments."""

from __future__ import annotations

import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import csgraph

from lockerplan import cache
from lockerplan.distances import (
    GraphArrays,
    catchment_polygons,
    graph_arrays,
    network_matrices,
    path_nodes,
    snap_points,
    walking_distance_matrix,
)
from lockerplan.distances.snapping import same_edge, snap_ends, with_sources
from lockerplan.errors import InputError
from lockerplan.network import graph_from_osm
from lockerplan.osm import default_osm_path


def nearest_site(
    arrays: GraphArrays,
    site_snap: pd.DataFrame,
    point_snap: pd.DataFrame,
    cutoff_m: float = np.inf,
) -> pd.DataFrame:
    """For each point, the nearest site along the streets and the walk to it: the
    independent check of the matrices (one multi-source Dijkstra from all sites at
    once, each site a virtual node linked to its street's ends).

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    site_snap, point_snap : pandas.DataFrame
        Results of :func:`snap_points` for the sites and the points.
    cutoff_m : float, default inf
        Points with no site within this walk get no site.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``point_snap``: ``site`` (the site's index label, missing when
        none), ``site_pos`` (its position in ``site_snap``, -1 when none) and
        ``distance_m`` (inf when none).
    """
    if not (isinstance(cutoff_m, int | float | np.number) and cutoff_m > 0):
        raise InputError(f"cutoff_m must be a number > 0 metres (or inf), got {cutoff_m!r}.")
    n = arrays.length.shape[0]
    m = len(point_snap)
    site_pos = np.full(m, -1, dtype=np.int64)
    best = np.full(m, np.inf)
    s_rows = np.flatnonzero(site_snap["snapped"].to_numpy(dtype=bool))
    p_rows = np.flatnonzero(point_snap["snapped"].to_numpy(dtype=bool))
    if len(s_rows) and len(p_rows):
        graph, virt = with_sources(arrays.length, site_snap, s_rows)
        limit = float(cutoff_m)
        dist, _, src = csgraph.dijkstra(
            graph,
            directed=True,
            indices=virt,
            limit=limit,
            min_only=True,
            return_predecessors=True,
        )
        pu, pum, pv, pvm = (x[p_rows] for x in snap_ends(point_snap))
        du, dv = dist[pu] + pum, dist[pv] + pvm
        use_u = du <= dv
        d = np.where(use_u, du, dv)
        owner = np.where(use_u, src[pu], src[pv]) - n
        si, sj, direct = same_edge(site_snap, s_rows, point_snap, p_rows)
        for i, j, dd in zip(si, sj, direct, strict=True):
            if dd < d[j]:
                d[j], owner[j] = dd, i
        ok = np.isfinite(d) & (d <= cutoff_m) & (owner >= 0)
        site_pos[p_rows[ok]] = s_rows[owner[ok]]
        best[p_rows[ok]] = d[ok]
    labels = np.array(site_snap.index, dtype=object)
    return pd.DataFrame(
        {
            "site": pd.Series(
                [labels[k] if k >= 0 else None for k in site_pos],
                index=point_snap.index,
                dtype=object,
            ),
            "site_pos": site_pos,
            "distance_m": best,
        },
        index=point_snap.index,
    )


@pytest.fixture(scope="module")
def walk():
    return graph_from_osm(default_osm_path(), "walk", use_cache=False)


@pytest.fixture(scope="module")
def arrays(walk):
    return graph_arrays(walk)


def _node_points(arrays, idx) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(arrays.xy[idx]), crs=arrays.crs)


def _nx_matrix(G, arrays, src_idx, tgt_idx, cutoff):
    out = np.full((len(src_idx), len(tgt_idx)), np.inf)
    ids = arrays.node_ids
    for i, s in enumerate(src_idx):
        lengths = nx.single_source_dijkstra_path_length(
            G, int(ids[s]), cutoff=cutoff, weight="length"
        )
        for j, t in enumerate(tgt_idx):
            out[i, j] = lengths.get(int(ids[t]), np.inf)
    return out


def _dense(D):
    out = np.full(D.shape, np.inf)
    coo = D.tocoo()
    out[coo.row, coo.col] = coo.data
    return out


def _check_agrees(G, arrays, n_src, n_tgt, cutoff, seed, chunk_size=7):
    rng = np.random.default_rng(seed)
    src = rng.choice(len(arrays.node_ids), n_src, replace=False)
    tgt = rng.choice(len(arrays.node_ids), n_tgt, replace=False)
    s_snap = snap_points(arrays, _node_points(arrays, src))
    t_snap = snap_points(arrays, _node_points(arrays, tgt))
    assert s_snap["access_m"].max() < 1e-6 and t_snap["snap_m"].max() < 1e-6
    D = walking_distance_matrix(arrays, s_snap, t_snap, cutoff, chunk_size=chunk_size)
    expected = _nx_matrix(G, arrays, src, tgt, cutoff)
    got = _dense(D)
    assert D.nnz == np.isfinite(expected).sum() > 0
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_matrix_agrees_with_networkx_helsinki(walk, arrays):
    _check_agrees(walk, arrays, 25, 300, 800.0, seed=1)
    # small cutoff and groups: each group of sources runs on the streets in its box
    _check_agrees(walk, arrays, 40, 600, 250.0, seed=6, chunk_size=3)


def test_matrix_agrees_with_networkx_monaco(bench_dir, tmp_path, monkeypatch):
    path = bench_dir / "osm" / "monaco_2023.osm.pbf"
    if not path.exists():
        pytest.skip(f"{path} not found")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    G = graph_from_osm(path, "walk")
    _check_agrees(G, graph_arrays(G), 20, 300, 600.0, seed=2)


def test_edge_snapping_adds_access_and_along(walk, arrays):
    rng = np.random.default_rng(3)
    long_edges = np.flatnonzero(arrays.edge_length > 60)
    edges = rng.choice(long_edges, 40, replace=False)
    pts = []
    for e in edges:
        line = shapely.LineString(arrays.geom_xy[arrays.geom_ptr[e] : arrays.geom_ptr[e + 1]])
        pts.append(line.interpolate(0.5, normalized=True))
    snap = snap_points(arrays, gpd.GeoSeries(pts, crs=arrays.crs))
    assert snap["snapped"].all() and snap["access_m"].max() < 1e-6
    # the two walks to the street's ends add up to the street's length
    total = snap["u_m"] + snap["v_m"]
    np.testing.assert_allclose(total, arrays.edge_length[snap["edge"]], rtol=1e-6)
    assert (snap["snap_m"] <= snap[["u_m", "v_m"]].min(axis=1) + 1e-9).all()
    # the matrix is the best of the four end combinations (or a walk along a shared street)
    src, tgt = snap.iloc[:10], snap.iloc[10:]
    D = _dense(walking_distance_matrix(arrays, src, tgt, 1000.0))
    ends = np.unique(np.r_[snap["u_index"], snap["v_index"]])
    dist = {
        int(a): nx.single_source_dijkstra_path_length(
            walk, int(arrays.node_ids[a]), weight="length"
        )
        for a in ends
    }
    for i, s in enumerate(src.itertuples()):
        for j, t in enumerate(tgt.itertuples()):
            best = np.inf
            for a, am in ((s.u_index, s.u_m), (s.v_index, s.v_m)):
                for b, bm in ((t.u_index, t.u_m), (t.v_index, t.v_m)):
                    best = min(best, am + dist[a].get(int(arrays.node_ids[b]), np.inf) + bm)
            if s.edge == t.edge:
                best = min(best, s.access_m + t.access_m + abs(s.offset_m - t.offset_m))
            expected = best if best <= 1000.0 else np.inf
            assert D[i, j] == pytest.approx(expected, abs=1e-3)


def test_points_off_the_network_are_reported(arrays, caplog):
    far = shapely.Point(arrays.xy[:, 0].max() + 5000, arrays.xy[:, 1].max() + 5000)
    near = shapely.Point(*arrays.xy[0])
    pts = gpd.GeoSeries([near, far, None], index=["a", "far-away", "missing"], crs=arrays.crs)
    with caplog.at_level(logging.INFO, logger="lockerplan.distances"):
        snap = snap_points(arrays, pts, max_snap_m=250)
    assert snap["snapped"].tolist() == [True, False, False]
    assert snap.loc["far-away", "snap_m"] > 5000  # reported, not moved
    assert "2 of 3 points" in caplog.text and "far-away" in caplog.text
    D = walking_distance_matrix(arrays, snap, snap, 400.0)
    assert D[1].nnz == 0 and D[:, 1].nnz == 0 and D[0, 0] == pytest.approx(0, abs=1e-3)
    near_site = nearest_site(arrays, snap, snap, 400.0)
    assert pd.isna(near_site.loc["far-away", "site"])
    assert near_site.loc["far-away", "site_pos"] == -1
    # DataFrame contract used by plan.py and routing.py
    assert list(snap.columns[:4]) == ["node", "node_index", "snap_m", "snapped"]


def test_nearest_site_matches_matrix(arrays):
    rng = np.random.default_rng(4)
    n = len(arrays.node_ids)
    xy = arrays.xy[rng.choice(n, 300)] + rng.normal(0, 20, (300, 2))
    pts = gpd.GeoSeries(shapely.points(xy), crs=arrays.crs)
    snap = snap_points(arrays, pts)
    sites, demand = snap.iloc[:12], snap.iloc[12:]
    D = _dense(walking_distance_matrix(arrays, sites, demand, 600.0))
    near = nearest_site(arrays, sites, demand, 600.0)
    best = D.min(axis=0)
    np.testing.assert_allclose(near["distance_m"].to_numpy(), best, atol=1e-6)
    has = np.isfinite(best)
    pos = near["site_pos"].to_numpy()
    assert (pos[~has] == -1).all()
    np.testing.assert_allclose(D[pos[has], np.flatnonzero(has)], best[has], atol=1e-6)
    assert set(near.loc[has, "site"]) <= set(sites.index)


def test_catchments_contain_reachable_nodes_and_follow_streets(walk, arrays):
    rng = np.random.default_rng(5)
    idx = rng.choice(len(arrays.node_ids), 4, replace=False)
    pts = _node_points(arrays, idx)
    pts = gpd.GeoSeries(shapely.points(arrays.xy[idx] + [8.0, 6.0]), crs=arrays.crs)
    snap = snap_points(arrays, pts)
    cutoff = 400.0
    polys = catchment_polygons(arrays, snap, cutoff)
    assert polys.crs.to_epsg() == 4326
    D = walking_distance_matrix(
        arrays, snap, snap_points(arrays, _node_points(arrays, np.arange(len(arrays.xy)))), cutoff
    )
    node_pts = gpd.GeoSeries(shapely.points(arrays.xy), crs=arrays.crs).to_crs("EPSG:4326")
    for k in range(len(snap)):
        reach = D[k].indices
        assert len(reach) > 5
        assert polys.iloc[k].contains(node_pts.iloc[reach]).all()
        # not a circle: well below the disc of radius cutoff + buffer
        area = gpd.GeoSeries([polys.iloc[k]], crs=4326).to_crs(arrays.crs).area.iloc[0]
        assert area < 0.8 * np.pi * (cutoff + 25) ** 2
    off = snap.copy()
    off["snapped"] = False
    assert catchment_polygons(arrays, off.iloc[:1], cutoff).iloc[0].is_empty


def test_drive_matrices_are_integers_and_paths_follow_streets():
    G = graph_from_osm(default_osm_path(), "drive", use_cache=False)
    arrays = graph_arrays(G)
    idx = np.array([0, 10, 20, int(np.argmax(np.hypot(*(arrays.xy - arrays.xy[0]).T)))])
    dist, dur, pred = network_matrices(arrays, idx)
    assert dist.dtype == np.int64 and dur.dtype == np.int64
    assert (np.diag(dist) == 0).all() and (dist[~np.eye(4, dtype=bool)] > 0).all()
    ids = arrays.node_ids
    for i in range(4):
        for j in range(4):
            d = nx.shortest_path_length(G, int(ids[idx[i]]), int(ids[idx[j]]), weight="length")
            assert dist[i, j] == round(d)
    path = path_nodes(pred, 0, int(idx[3]))
    coords = arrays.path_coords(path)
    assert len(coords) >= len(path)
    assert np.allclose(coords[0], arrays.xy[path[0]]) and np.allclose(
        coords[-1], arrays.xy[path[-1]]
    )
    walked = np.hypot(*np.diff(coords, axis=0).T).sum()
    # street shapes, not straight jumps between intersections
    assert walked == pytest.approx(dist[0, 3], rel=0.01, abs=1.0)


def test_bad_parameters(arrays):
    snap = snap_points(arrays, _node_points(arrays, [0, 1]))
    with pytest.raises(InputError, match="cutoff_m"):
        walking_distance_matrix(arrays, snap, snap, 0)
    with pytest.raises(InputError, match="chunk_size"):
        walking_distance_matrix(arrays, snap, snap, 100, chunk_size=0)
    with pytest.raises(InputError, match="max_snap_m"):
        snap_points(arrays, _node_points(arrays, [0]), max_snap_m=-1)
    with pytest.raises(InputError, match="CRS"):
        snap_points(arrays, gpd.GeoSeries([shapely.Point(0, 0)]))
    node_snap = snap_points(arrays, _node_points(arrays, [0, 1]), to="node")
    assert (node_snap["edge"] == -1).all()


def test_road_matrices_from_a_process_pool_equal_the_serial_ones(monkeypatch):
    """Many sources run their Dijkstras in forked processes (one per core): the very
    same distance, duration and predecessor rows as one process computes."""
    import lockerplan.distances as dist
    from lockerplan.network import streets_from_osm

    arrays = streets_from_osm(default_osm_path(), "drive").arrays()
    nodes = np.arange(arrays.length.shape[0])
    monkeypatch.setattr(dist, "PARALLEL_MIN_SOURCES", 10**9)
    serial = dist.network_matrices(arrays, nodes)
    monkeypatch.setattr(dist, "PARALLEL_MIN_SOURCES", 1)
    monkeypatch.setattr(dist, "MATRIX_BLOCK", 16)  # several blocks over the pool
    pooled = dist.network_matrices(arrays, nodes)
    for a, b in zip(serial, pooled, strict=True):
        assert np.array_equal(a, b)
    assert (serial[0] > 0).sum() > len(nodes) ** 2 / 2  # a real, mostly connected matrix
