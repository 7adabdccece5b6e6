"""Coverage on the way: a station covers commuters of far neighbourhoods, never less than home."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from lockerplan.distances import snap_points, walking_distance_matrix
from lockerplan.network import streets_from_osm
from lockerplan.ontheway import (
    GravityParams,
    anchor_table,
    commute_groups,
    drive_nodes,
    drive_paths,
    drive_times,
    gravity_commutes,
    node_points,
    on_the_way_matrix,
    sample_trips,
    stop_candidates,
)
from lockerplan.osm import default_osm_path
from lockerplan.siting import solve_mclp

SITE_A, SITE_B, STATION = 0, 1, 2


def _three_cells():
    """Neighbourhoods A and B, far apart, and job cell C; both ride through station S.

    Candidates: one within the walk of A, one of B, one at the station (none near C).
    Each neighbourhood has 1,000 residents and 10 parcels a day, 600 of them work in C.
    """
    residents = np.array([1000.0, 1000.0, 0.0])
    parcels = np.array([10.0, 10.0, 0.0])
    workers = residents * 0.6
    t = np.array([[1800.0], [1800.0], [60.0]])  # homes x the one job cell
    commutes = gravity_commutes(workers, np.array([1200.0]), t, GravityParams(beta=1 / 900))
    trips = sample_trips(commutes, GravityParams(trips=10))
    stops = {0: ["a1", "S", "c1"], 1: ["b1", "S", "c1"]}
    anchors, rows = anchor_table([stops[h] for h in trips["home"]])
    home = sparse.csr_matrix(([120.0, 90.0], ([SITE_A, SITE_B], [0, 1])), shape=(3, 3))
    work = sparse.csr_matrix((3, 1))  # no candidate within the walk of C
    s = int(np.flatnonzero(anchors["key"] == "S")[0])
    path = sparse.csr_matrix(([40.0], ([STATION], [s])), shape=(3, len(anchors)))
    groups = commute_groups(parcels, residents, trips, np.arange(3), np.zeros(1, int), list(rows))
    return home, parcels, on_the_way_matrix(home, work, path, groups)


def test_a_station_site_covers_commuters_of_two_far_neighbourhoods():
    home, parcels, otw = _three_cells()
    home_plan = solve_mclp(home, parcels, 1)
    otw_plan = solve_mclp(otw.matrix, otw.weights, 1)
    assert home_plan.objective == pytest.approx(10.0)  # one neighbourhood, at home
    assert otw_plan.open_sites.tolist() == [STATION]
    covered = otw.covered(otw_plan.open_sites)
    assert covered["on_the_way"] == pytest.approx(12.0)  # 6 + 6 commuters' parcels
    assert covered["at_home"] == 0.0
    assert otw_plan.objective == pytest.approx(12.0)
    # the home-only plan, scored on the way, is what it was at home
    assert otw.covered(home_plan.open_sites)["total"] == pytest.approx(10.0)
    assert otw.weights.sum() == pytest.approx(parcels.sum())


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    n_cand, n_home, n_job, n_anchor = 25, 15, 10, 30
    home = sparse.random(n_cand, n_home, density=0.1, random_state=seed, format="csr") * 500
    work = sparse.random(n_cand, n_job, density=0.1, random_state=seed + 1, format="csr") * 500
    path = sparse.random(n_cand, n_anchor, density=0.05, random_state=seed + 2, format="csr") * 500
    residents = rng.integers(100, 1000, n_home).astype(float)
    parcels = residents * 0.01
    t = rng.uniform(300, 3600, (n_home, n_job))
    c = gravity_commutes(residents * 0.45, rng.uniform(1, 100, n_job), t, GravityParams(beta=1e-3))
    trips = sample_trips(c, GravityParams(trips=200, seed=seed))
    ways = [rng.choice(n_anchor, rng.integers(0, 4), replace=False) for _ in range(len(trips))]
    groups = commute_groups(parcels, residents, trips, np.arange(n_home), np.arange(n_job), ways)
    return home, parcels, on_the_way_matrix(home, work, path, groups), rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coverage_on_the_way_is_never_below_home_only_with_the_same_sites(seed):
    home, parcels, otw, rng = _random_case(seed)
    assert otw.weights.sum() == pytest.approx(parcels.sum())
    for _ in range(40):
        sites = rng.choice(home.shape[0], rng.integers(1, 8), replace=False)
        home_only = parcels[home[sites].getnnz(axis=0) > 0].sum()
        covered = otw.covered(sites)
        assert covered["at_home"] == pytest.approx(home_only)
        assert covered["total"] >= home_only - 1e-9
        # the union matrix the siting models take says the same
        assert otw.weights[otw.matrix[sites].getnnz(axis=0) > 0].sum() == pytest.approx(
            covered["total"]
        )


def test_without_gtfs_the_car_path_is_used():
    """Helsinki: a site beside the car path, far from home and work, covers the commute."""
    path = default_osm_path()
    walk = streets_from_osm(path, "walk").arrays()
    drive = streets_from_osm(path, "drive").arrays(crs=walk.crs)
    west, east = int(np.argmin(drive.xy[:, 0])), int(np.argmax(drive.xy[:, 0]))
    cells = node_points(drive, np.array([west, east]))
    nodes = drive_nodes(drive, cells)
    assert nodes.tolist() == [west, east]
    times = drive_times(drive, nodes)
    assert np.isfinite(times[0, 1]) and times[0, 1] > 0
    ways = drive_paths(drive, nodes, np.array([0]), np.array([1]))
    way = ways["path"][0]
    assert way[0] == west and way[-1] == east and len(way) > 2
    assert ways["length_m"][0] > 0
    # a candidate on the middle node of the car path
    site = node_points(drive, way[len(way) // 2 : len(way) // 2 + 1])
    site_snap = snap_points(walk, site)
    cell_snap = snap_points(walk, cells)
    anchors = node_points(drive, way)
    walk_m, detour_m = 150.0, 30.0
    home = walking_distance_matrix(walk, site_snap, cell_snap, walk_m)
    assert home.nnz == 0, "the test needs a site beyond the walk of home and work"
    along = walking_distance_matrix(walk, site_snap, snap_points(walk, anchors), detour_m)
    trips = pd.DataFrame({"home": [0], "job": [1], "workers": [50.0]})
    groups = commute_groups(
        np.array([2.0, 0.0]),
        np.array([100.0, 0.0]),
        trips,
        np.arange(2),
        np.arange(2),
        [np.arange(len(way))],
    )
    otw = on_the_way_matrix(home, home, along, groups)
    covered = otw.covered(np.array([0]))
    assert covered["at_home"] == 0.0 and covered["at_work"] == 0.0
    assert covered["on_the_way"] == pytest.approx(1.0)  # the 50 commuters' share of 2 parcels


def test_stops_become_candidates_where_they_are_not_yet():
    cands = gpd.GeoDataFrame(
        {"candidate_id": ["osm0"], "kind": ["cabinet"]},
        geometry=gpd.points_from_xy([-51.22830], [-30.02630]),
        crs="EPSG:4326",
    )
    stops = pd.DataFrame(
        {
            "stop_id": ["MR", "SP", "1511"],
            "name": ["ESTACAO MERCADO", "ESTACAO SAO PEDRO", "BUS STOP"],
            "lon": [-51.228268, -51.209425, -51.2000],
            "lat": [-30.026285, -30.006476, -30.0300],
            "feed": ["trensurb.zip", "trensurb.zip", "eptc.zip"],
            "station": [True, True, False],
        }
    )
    new = stop_candidates(stops, cands)  # Mercado lies 4 m from the OSM candidate
    assert new["source_id"].tolist() == ["trensurb.zip/SP", "eptc.zip/1511"]
    assert new["category"].tolist() == ["station", "transit_stop"]
    assert (new["kind"] == "cabinet").all() and not new["existing"].any()


def test_the_matrix_does_not_depend_on_how_groups_are_blocked(monkeypatch):
    _, _, whole, _ = _random_case(4)
    monkeypatch.setattr("lockerplan.ontheway.coverage.GATHER_BLOCK", 5)
    _, _, blocked, _ = _random_case(4)
    for a, b in ((whole.matrix, blocked.matrix), (whole.path, blocked.path)):
        assert a.nnz == b.nnz and abs(a - b).max() == 0
