"""A full plan of central Helsinki: what a planner relies on in the result."""

from __future__ import annotations

import dataclasses
import json
import math

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest

import lockerplan
from lockerplan.export import GIS_LAYERS
from lockerplan.maps import LAYERS

SUMMARY_KEYS = {
    "sites_open",
    "demand_parcels_per_day",
    "covered_parcels_per_day",
    "coverage_share",
    "mean_walk_m",
    "route_km",
    "solver_status",
    "runtime_s",
}


@pytest.fixture(scope="module")
def walk_digraph(helsinki_plan):
    """The plan's walk graph as a plain networkx DiGraph (shortest parallel edge kept)."""
    G = nx.DiGraph()
    for u, v, length in helsinki_plan.walk_graph.edges(data="length"):
        if not G.has_edge(u, v) or G[u][v]["length"] > length:
            G.add_edge(u, v, length=length)
    return G


def test_opens_at_most_n_sites_and_solves_to_optimality(helsinki_plan):
    p = helsinki_plan
    assert 1 <= p.kpis["sites_open"] <= p.scenario.sites
    assert len(p.sites) == p.kpis["sites_open"]
    assert p.kpis["solver_status"] == "optimal"
    assert p.kpis["solver_gap"] == 0
    # real demand and real candidates from OSM, not a toy
    assert p.kpis["demand_points"] > 300
    assert p.kpis["candidates"] > 100
    assert p.sites["source_id"].str.match(r"^(node|way|relation)/\d+$").all()


def independent_walk(G: nx.DiGraph, site, cluster, lengths: dict) -> float:
    """The walk from a site to a cluster recomputed with networkx.

    Both reach the street network on their nearest street and may walk to either end
    of it (``u``/``v`` with the walk to each); on the same street they walk along it.
    """
    best = np.inf
    for a_node, a_m in ((site.u_node, site.u_m), (site.v_node, site.v_m)):
        dist = lengths.setdefault(
            a_node, nx.single_source_dijkstra_path_length(G, a_node, weight="length")
        )
        for b_node, b_m in ((cluster.u_node, cluster.u_m), (cluster.v_node, cluster.v_m)):
            if b_node in dist:
                best = min(best, a_m + dist[b_node] + b_m)
    if site.edge == cluster.edge and site.edge >= 0:
        best = min(best, site.access_m + abs(site.offset_m - cluster.offset_m) + cluster.access_m)
    return best


def test_every_assignment_is_within_the_cutoff_by_network_distance(helsinki_plan, walk_digraph):
    """Recompute each walk with networkx on the same graph: it matches and is within the cutoff."""
    p = helsinki_plan
    assert len(p.assignments) > 0
    sites = p.sites.set_index("site_id")
    clusters = p.demand.set_index("cluster_id")
    lengths: dict = {}
    for row in p.assignments.itertuples():
        walk = independent_walk(
            walk_digraph, sites.loc[row.site_id], clusters.loc[row.cluster_id], lengths
        )
        assert walk == pytest.approx(row.walk_m, abs=0.2)
        assert walk <= p.scenario.walk_m + 0.2
    # and the walk is longer than the straight line (network, not crow-flies distances)
    straight = p.assignments.to_crs(p.assignments.estimate_utm_crs()).length
    assert (p.assignments["walk_m"].to_numpy() >= straight.to_numpy() - 1).all()


def test_each_covered_cluster_goes_to_its_nearest_open_site_with_room(helsinki_plan, walk_digraph):
    p = helsinki_plan
    sites = p.sites.set_index("site_id")
    # the siting counts a site's capacity in covered parcels (at most the adoption
    # share of them reach the locker)
    room = sites["capacity_parcels_per_day"] / p.scenario.adoption_share
    full = sites["covered_parcels_per_day"] >= room - 0.01
    lengths: dict = {}
    farther = 0
    for cluster in p.demand[p.demand["covered"]].itertuples():
        walks = {
            site.site_id: independent_walk(walk_digraph, site, cluster, lengths)
            for site in p.sites.itertuples()
        }
        nearer = [s for s, w in walks.items() if w < cluster.walk_m - 0.2]
        # a nearer site is full (its modules carry no more), else the cluster goes there
        assert all(full[s] for s in nearer), (cluster.cluster_id, nearer)
        farther += bool(nearer)
    assert farther < len(p.demand) / 4  # most walk to their nearest site


def test_coverage_share_matches_the_assignments(helsinki_plan):
    p = helsinki_plan
    k = p.kpis
    assigned = p.assignments["parcels_per_day"].sum()
    assert k["covered_parcels_per_day"] == pytest.approx(assigned, abs=0.01)
    assert k["coverage_share"] == pytest.approx(assigned / k["demand_parcels_per_day"], abs=1e-4)
    assert 0.5 < k["coverage_share"] <= 1.0
    # no parcel is lost: building demand = clusters + reported drops
    assert p.demand_points["parcels_per_day"].sum() == pytest.approx(
        p.demand["parcels_per_day"].sum(), rel=1e-9
    )
    dropped = p.dropped.loc[p.dropped["layer"] == "demand_clusters", "parcels_per_day"].sum()
    on_network = p.demand.loc[p.demand["snap_m"] <= p.scenario.max_snap_m, "parcels_per_day"].sum()
    assert on_network + dropped == pytest.approx(k["demand_parcels_per_day"], abs=0.01)
    # every open site serves demand that no other open site covers
    assert (p.sites["parcels_per_day"] > 0).all()


def test_coverage_beats_a_greedy_choice_of_the_same_number_of_sites(helsinki_plan):
    """The MILP optimum is at least as good as the classic greedy heuristic."""
    from lockerplan.distances import graph_arrays, snap_points, walking_distance_matrix

    p = helsinki_plan
    arrays = graph_arrays(p.walk_graph)
    D = walking_distance_matrix(
        arrays,
        snap_points(arrays, p.candidates.geometry),
        snap_points(arrays, p.demand.geometry),
        p.scenario.walk_m,
    )
    w = p.demand["parcels_per_day"].to_numpy()
    covered = np.zeros(len(w), bool)
    for _ in range(p.scenario.sites):
        gains = [w[D[j].indices[~covered[D[j].indices]]].sum() for j in range(D.shape[0])]
        covered[D[int(np.argmax(gains))].indices] = True
    assert p.kpis["covered_parcels_per_day"] >= w[covered].sum() - 1e-6


def test_routes_start_and_end_at_the_hub_and_visit_every_open_site(helsinki_plan):
    p = helsinki_plan
    assert len(p.hubs) == 1
    hub = p.hubs.to_crs(p.routes.estimate_utm_crs()).geometry.iloc[0]
    routes = p.routes.to_crs(p.routes.estimate_utm_crs())
    for line in routes.geometry:
        start, end = line.coords[0], line.coords[-1]
        assert math.dist(start, (hub.x, hub.y)) < p.scenario.max_snap_m
        assert math.dist(start, end) < 1e-6
    visits = p.route_stops.groupby("site_id")["parcels"].agg(["sum", "count"])
    assert set(visits.index) == set(p.sites["site_id"])
    needed = p.sites.set_index("site_id")["parcels_per_day"].map(math.ceil)
    assert (visits["sum"] == needed.loc[visits.index]).all()
    # a site that fits in one van is visited exactly once
    cap = p.scenario.van_capacity
    assert (visits.loc[needed[needed <= cap].index, "count"] == 1).all()
    per_trip = p.route_stops.groupby(["route_id", "trip"])["parcels"].sum()
    assert (per_trip <= cap).all()
    assert p.kpis["route_km"] == pytest.approx(p.routes["km"].sum(), abs=0.01)
    assert routes.geometry.length.gt(0).all()


def test_same_scenario_gives_the_same_plan(helsinki_plan):
    again = lockerplan.plan()
    assert list(again.sites["source_id"]) == list(helsinki_plan.sites["source_id"])
    assert again.kpis["route_km"] == helsinki_plan.kpis["route_km"]


def test_save_writes_map_geopackage_and_summary(helsinki_plan, tmp_path):
    paths = helsinki_plan.save(tmp_path)
    html = paths["map"].read_text()
    for name in LAYERS.values():
        assert name in html
    assert "OpenStreetMap contributors" in html
    summary = json.loads(paths["summary"].read_text())
    assert set(summary) >= SUMMARY_KEYS
    assert summary["sites_open"] == helsinki_plan.kpis["sites_open"]
    assert "OpenStreetMap contributors" in summary["attribution"]
    # nothing left behind from the temporary write
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["helsinki", "helsinki.html"]
    assert paths["map"].is_file() and not paths["map"].is_symlink()


def test_gis_outputs_use_location_allocation_names_and_carry_their_crs(helsinki_plan, tmp_path):
    default = helsinki_plan.save(tmp_path / "default")
    # by default the GeoPackage, the tables and summary.json: no per-layer CSV/GeoJSON
    assert sorted(p.name for p in default["folder"].iterdir()) == [
        "dropped.csv",
        "helsinki.gpkg",
        "route_stops.csv",
        "summary.json",
    ]
    scenario = helsinki_plan.scenario.replace(formats="csv,geojson")
    paths = dataclasses.replace(helsinki_plan, scenario=scenario).save(tmp_path)
    layers = dict(pyogrio.list_layers(paths["gpkg"]))
    assert set(GIS_LAYERS) <= set(layers)
    assert layers["facilities"] == "Point" and layers["allocation_lines"] == "LineString"
    for layer in GIS_LAYERS:
        info = pyogrio.read_info(paths["gpkg"], layer=layer)
        assert info["crs"] == "EPSG:4326", layer
        geojson = paths["folder"] / f"{layer}.geojson"
        assert pyogrio.read_info(geojson)["features"] == info["features"]
    facilities = pd.read_csv(paths["folder"] / "facilities.csv")
    assert {"site_id", "name", "kind", "source_id", "parcels_per_day", "lon", "lat"} <= set(
        facilities
    )
    assert len(facilities) == helsinki_plan.kpis["sites_open"]
    lines = pd.read_csv(paths["folder"] / "allocation_lines.csv")
    assert lines["wkt"].str.startswith("LINESTRING").all()
    assert lines["parcels_per_day"].sum() == pytest.approx(
        helsinki_plan.kpis["covered_parcels_per_day"], abs=0.01
    )


def test_catchments_follow_the_streets(helsinki_plan):
    """A catchment is built from reachable streets: it covers its site's assigned clusters."""
    p = helsinki_plan
    assert len(p.catchments) == p.kpis.sites_open > 0  # one per open site: the loop checks each
    for site in p.catchments.itertuples():
        members = p.demand[p.demand["site_id"] == site.site_id]
        assert site.geometry.area > 0
        inside = members.geometry.within(site.geometry.buffer(0.0005))
        assert inside.mean() > 0.9


def test_notebook_view_and_map(helsinki_plan):
    html = helsinki_plan._repr_html_()
    assert "Sites open" in html and "Covered" in html
    fmap = helsinki_plan.map()
    rendered = fmap.get_root().render()
    assert all(name in rendered for name in LAYERS.values())


def test_lockers_are_compared_with_door_to_door_delivery(helsinki_plan):
    """The business case: the same parcels delivered to the doors, routed the same way."""
    k = helsinki_plan.kpis
    lockers, d2d = k["lockers"], k["door_to_door"]
    for side in (lockers, d2d):
        assert {"km", "driver_hours", "vans", "cost_per_parcel", "co2_kg"} <= set(side)
        assert side["km"] > 0 and side["vans"] >= 1
    # consolidating home stops into a few lockers saves driver time and money per parcel
    assert lockers["driver_hours"] < d2d["driver_hours"]
    assert lockers["cost_per_parcel"] < d2d["cost_per_parcel"]
    assert d2d["failure_rate"] == pytest.approx(0.06)  # FI: no tracking figure; mean of GB, DE
    # the plan's cost is the whole day with lockers: replenishment, sites and home
    # delivery of the rest, on the same parcels as door to door
    bc = k["business_case"]
    w, d = bc["with_lockers"], bc["door_to_door"]
    assert k["cost_per_day"] == pytest.approx(w["cost_per_day"])
    assert w["parcels_per_day"] == pytest.approx(d["parcels_per_day"], abs=0.05)
    assert w["parcels_per_day"] == pytest.approx(
        w["locker_parcels_per_day"] + w["home_parcels_per_day"], abs=0.02
    )
    assert w["cost_per_day"] > lockers["cost"]  # home delivery of the rest is paid for
    assert w["cost_per_parcel"] < d["cost_per_parcel"]
    assert "door-to-door" in helsinki_plan.summary()


def test_one_fleet_is_never_costlier_than_two_and_lockers_cut_van_co2(helsinki_plan):
    """The default day with lockers is one fleet (lockers and doors on the same vans);
    the separate fleets cost at least as much. Both sides deliver the same parcels, the
    vans emit less with lockers, and with walking pickups the whole day does too."""
    mixed = helsinki_plan.kpis.business_case
    separate = lockerplan.plan(fleet="separate").kpis.business_case
    walking = lockerplan.plan(pickup="walk").kpis.business_case
    assert mixed.fleet == "mixed" and separate.fleet == "separate"
    assert mixed.with_lockers.cost_per_day <= separate.with_lockers.cost_per_day
    assert mixed.with_lockers.parcels_per_day == pytest.approx(
        separate.with_lockers.parcels_per_day, abs=0.05
    )
    w, d = mixed.with_lockers, mixed.door_to_door
    assert w.van_co2_kg_per_day < d.van_co2_kg_per_day
    assert w.home_stops_per_day < d.home_stops_per_day
    assert w.parcels_per_driver_hour > d.parcels_per_driver_hour
    assert w.co2_kg_per_day == pytest.approx(w.van_co2_kg_per_day + w.pickup_co2_kg_per_day)
    assert walking.with_lockers.pickup_co2_kg_per_day == 0.0
    assert walking.with_lockers.co2_kg_per_day < walking.door_to_door.co2_kg_per_day
    assert walking.with_lockers.cost_per_day < walking.door_to_door.cost_per_day


def test_sites_over_capacity_are_said(helsinki_plan, tmp_path):
    """An uncapacitated model's sites carry their capacity and any load beyond it."""
    p = helsinki_plan
    facilities = p.layers()["facilities"]
    for col in ("modules", "capacity_parcels_per_day", "assigned_parcels_per_day"):
        assert col in facilities
    over = np.maximum(
        facilities["assigned_parcels_per_day"] - facilities["capacity_parcels_per_day"], 0
    )
    assert facilities["over_capacity_parcels_per_day"].to_numpy() == pytest.approx(over, abs=0.02)
    assert p.kpis["sites_over_capacity"] == int((over > 0.005).sum())
    assert p.kpis["over_capacity_parcels_per_day"] == pytest.approx(over.sum(), abs=0.05)
    if p.kpis["sites_over_capacity"]:
        assert "over capacity" in p.summary()
