"""Door-to-door routing of many stops through delivery zones (metro scale).

Above ``MAX_DOOR_STOPS`` stops the demand clusters are grouped into zones, each
one routed stop; the tour inside a zone is estimated (Beardwood-Halton-Hammersley).
Checked on central Helsinki's 214 clusters by forcing zones: the estimate stays
close to routing every cluster, and every parcel and unserved cluster is kept.
"""

from __future__ import annotations

import numpy as np

from lockerplan.routing import access, route_door_to_door, vans
from lockerplan.routing.fleet import Fleet

FAST = {"iterations": 300, "time_limit_s": 5.0}


def test_zones_estimate_the_day_close_to_routing_every_stop(helsinki_plan, monkeypatch):
    from lockerplan.distances import graph_arrays

    p = helsinki_plan
    arrays = graph_arrays(p.drive_graph)
    demand = p.demand[p.demand["on_network"]]
    full = route_door_to_door(arrays, p.hubs, demand, Fleet(), **FAST)
    monkeypatch.setattr(vans, "MAX_DOOR_STOPS", 40)
    zoned = route_door_to_door(arrays, p.hubs, demand, Fleet(), **FAST)
    # 40 zones, some split so that a van serves each within its shift
    assert zoned.stats["zones"] >= 40 and "zones" not in full.stats
    # the same parcels are delivered (zones carry their clusters' parcels; each
    # stop's load is rounded up to whole parcels)
    attempts = float(demand["parcels_per_day"].sum()) * 1.1
    for day, stops in ((zoned, zoned.stats["zones"]), (full, len(demand))):
        handled = day.parcels + day.unserved["parcels"].sum()
        assert attempts - 1e-6 <= handled <= attempts + stops, day.unserved
    # the inner tours are estimated, not dropped: km and hours stay near the full routing
    assert 0.6 < zoned.km / full.km < 1.6
    assert 0.7 < zoned.hours / full.hours < 1.4
    # unserved zones are reported as their clusters
    assert set(zoned.unserved["site_id"]) <= set(demand["cluster_id"].astype(str))


def test_an_unserved_zone_lists_its_clusters(helsinki_plan, monkeypatch):
    from lockerplan.distances import graph_arrays

    p = helsinki_plan
    arrays = graph_arrays(p.drive_graph)
    demand = p.demand[p.demand["on_network"]].copy()
    monkeypatch.setattr(vans, "MAX_DOOR_STOPS", 20)
    # a 3-minute shift cannot make a single visit: the zones stay unserved
    day = route_door_to_door(arrays, p.hubs, demand, Fleet(shift_h=0.05), **FAST)
    lost = day.unserved
    assert len(lost) and lost["site_id"].isin(demand["cluster_id"].astype(str)).all()
    parcels = demand.set_index("cluster_id")["parcels_per_day"] * 1.1
    assert np.allclose(lost["parcels"], parcels.loc[lost["site_id"]].to_numpy())


def test_two_days_over_the_same_zones_share_their_matrices(helsinki_plan, monkeypatch):
    """Home delivery of the rest and every parcel to the door: zoned and matrices once."""
    from lockerplan import distances
    from lockerplan.distances import graph_arrays
    from lockerplan.routing import delivery_zones

    p = helsinki_plan
    arrays = graph_arrays(p.drive_graph)
    demand = p.demand[p.demand["on_network"]]
    monkeypatch.setattr(vans, "MAX_DOOR_STOPS", 40)
    calls = []
    real = distances.network_matrices
    monkeypatch.setattr(
        "lockerplan.routing.visits.network_matrices",
        lambda *a, **k: calls.append(k) or real(*a, **k),
    )
    zones = delivery_zones(arrays, demand)
    half = demand.assign(parcels_per_day=demand["parcels_per_day"] / 2)
    kw = {"zones": zones, "street_paths": False, **FAST}
    home = route_door_to_door(arrays, p.hubs, half, Fleet(), **kw)
    door = route_door_to_door(arrays, p.hubs, demand, Fleet(), **kw)
    assert len(calls) == 1 and calls[0]["predecessors"] is False
    assert home.stats["zones"] == door.stats["zones"] == len(zones.stops)
    # each day carries its own parcels through the shared zones
    for day, frame in ((home, half), (door, demand)):
        attempts = float(frame["parcels_per_day"].sum()) * 1.1
        handled = day.parcels + day.unserved["parcels"].sum()
        assert attempts - 1e-6 <= handled <= attempts + len(zones.stops)
    # half the parcels need fewer vans and the inner tours are still driven
    assert home.km > 0 and len(home.routes) < len(door.routes)
    # without the path trees the routes are drawn straight from stop to stop
    assert all(g.is_valid and not g.is_empty for g in door.routes.geometry)


def test_days_routed_side_by_side_equal_the_days_one_after_the_other(
    helsinki_plan, monkeypatch, tmp_path
):
    """The door-to-door day runs in another process while the replenishment and the
    home deliveries are routed: the same routes and figures as in one process."""
    import os

    from lockerplan import parallel
    from lockerplan.pipeline import route
    from lockerplan.pipeline.allocate import Allocation
    from lockerplan.pipeline.route import route_plan

    p = helsinki_plan
    monkeypatch.setattr(vans, "MAX_DOOR_STOPS", 40)
    real, log = route.route_door_to_door, tmp_path / "pids"

    def logged(*a, **k):  # which process routed each door-to-door day
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*a, **k)

    monkeypatch.setattr(route, "route_door_to_door", logged)
    fleet = p.scenario.routing.replace(routing_iterations=300)
    alloc = Allocation(p.sites, p.demand, None)
    drive = p.drive_streets.arrays()
    side_by_side = route_plan(fleet, p.scenario.costs, drive, p.hubs, alloc)
    pids = set(log.read_text().split())
    monkeypatch.setattr(parallel, "_IN_WORKER", True)  # as inside a pool: one process
    serial = route_plan(fleet, p.scenario.costs, drive, p.hubs, alloc)

    assert len(pids) == (2 if parallel.cores() > 1 else 1)
    assert str(os.getpid()) not in pids or parallel.cores() == 1
    assert side_by_side.business == serial.business
    assert side_by_side.comparison == serial.comparison
    assert side_by_side.business.door_to_door.parcels_per_day > 0
    a, b = side_by_side.routing, serial.routing
    assert a.routes.drop(columns="geometry").equals(b.routes.drop(columns="geometry"))
    assert a.routes.geometry.geom_equals_exact(b.routes.geometry, 1e-9).all()
    assert a.stops.equals(b.stops)
    assert side_by_side.home_unserved.equals(serial.home_unserved)


def test_the_door_stops_are_snapped_once_for_the_zones_and_both_days(helsinki_plan, monkeypatch):
    """delivery_zones, the home day and the door-to-door day take the clusters' snap
    to the drive network made once (door_access), with the same figures as each
    snapping its own stops."""
    from lockerplan import parallel
    from lockerplan.pipeline import route
    from lockerplan.pipeline.allocate import Allocation
    from lockerplan.pipeline.route import route_plan

    p = helsinki_plan
    monkeypatch.setattr(vans, "MAX_DOOR_STOPS", 40)
    monkeypatch.setattr(parallel, "_IN_WORKER", True)  # one process: the calls are counted
    fleet = p.scenario.routing.replace(routing_iterations=300)
    alloc = Allocation(p.sites, p.demand, None)
    drive = p.drive_streets.arrays()
    snapped = []
    real_snap = access.snap_points
    monkeypatch.setattr(
        access, "snap_points", lambda *a, **k: snapped.append(len(a[1])) or real_snap(*a, **k)
    )
    once = route_plan(fleet, p.scenario.costs, drive, p.hubs, alloc)
    on = int(p.demand["on_network"].sum())
    assert snapped == [on]
    # as before: every door-to-door call snapping its own stops
    monkeypatch.setattr(route, "door_access", lambda *a, **k: None)
    each = route_plan(fleet, p.scenario.costs, drive, p.hubs, alloc)
    assert len(snapped) == 4
    assert once.business == each.business and once.comparison == each.comparison
    assert once.home_unserved.equals(each.home_unserved)
