"""Pickups on the way in a plan: capacity shared by every anchor, the figures, the layers.

The plans here are central Helsinki's (offline) with a file of workplaces and no
timetables, so their commutes drive.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from scipy import sparse

import lockerplan
from lockerplan.errors import InputError
from lockerplan.ontheway import Groups, on_the_way_matrix
from lockerplan.pipeline.commutes import allocate_groups, reached_from
from lockerplan.siting import Candidates, solve_cmclp

#: Three job cells in central Helsinki (the station, the south-east, the north).
WORKPLACES = (
    "id,lon,lat,jobs\nw1,24.9410,60.1705,3000\nw2,24.9500,60.1680,1500\nw3,24.9380,60.1760,500\n"
)


def test_a_sites_capacity_is_shared_by_those_who_collect_from_home_and_from_work():
    """One site of 5 parcels/day: 4 parcels of residents at home and 4 of commuters who
    work beside it. The site serves 5 in all, whoever they are, never 5 of each."""
    clusters = gpd.GeoDataFrame(
        {
            "cluster_id": ["c0", "c1"],
            "parcels_per_day": [4.0, 8.0],
            "node": [1, 2],
            "snap_m": [0.0, 0.0],
            "on_network": [True, True],
        },
        geometry=gpd.points_from_xy([24.94, 24.96], [60.17, 60.17]),
        crs="EPSG:4326",
    )
    cands = gpd.GeoDataFrame(
        {"candidate_id": ["s0"], "kind": ["cabinet"], "node": [1], "snap_m": [0.0]},
        geometry=gpd.points_from_xy([24.94], [60.17]),
        crs="EPSG:4326",
    )
    # groups: c0 stays home (4), c1 stays home (4), c1's commuters to the job cell (4)
    groups = Groups(
        home=np.array([0, 1, 1]),
        work=np.array([-1, -1, 0]),
        path_ptr=np.zeros(4, dtype=np.int64),
        path_anchor=np.zeros(0, dtype=np.int64),
        weight=np.array([4.0, 4.0, 4.0]),
        trip=np.array([-1, -1, 0]),
    )
    home = sparse.csr_matrix(([100.0], ([0], [0])), shape=(1, 2))
    work = sparse.csr_matrix(([50.0], ([0], [0])), shape=(1, 1))
    otw = on_the_way_matrix(home, work, sparse.csr_matrix((1, 0)), groups)
    capacity = np.array([5.0])
    siting = solve_cmclp(
        otw.matrix,
        otw.weights,
        1,
        max_modules=1,
        candidates=Candidates.default(1, capacity=capacity),
    )
    assert siting.objective == pytest.approx(5.0)
    alloc = allocate_groups(cands, clusters, otw, siting, capacity, (1.0, np.inf))
    site = alloc.sites.iloc[0]
    assert site["capacity_parcels_per_day"] == pytest.approx(5.0)
    assert site["covered_parcels_per_day"] == pytest.approx(5.0)
    assert site["over_capacity_parcels_per_day"] == 0
    served = alloc.clusters.set_index("cluster_id")["served_parcels_per_day"]
    assert served.sum() == pytest.approx(5.0)
    reached = alloc.clusters.set_index("cluster_id")
    assert reached["at_home_parcels_per_day"].sum() + reached["at_work_parcels_per_day"].sum() == (
        pytest.approx(5.0)
    )
    assert reached_from(otw, np.array([0])).tolist() == [0, -1, 1]


@pytest.fixture(scope="module")
def workplaces(tmp_path_factory):
    path = tmp_path_factory.mktemp("work") / "workplaces.csv"
    path.write_text(WORKPLACES)
    return str(path)


@pytest.fixture(scope="module")
def by_car(workplaces):
    """Central Helsinki, 3 sites, uncapacitated coverage, commutes by car."""
    return lockerplan.plan(
        sites=3,
        model="mclp",
        on_the_way=True,
        workplaces=workplaces,
        commute_beta=0.1,
        commute_trips=400,
        detour_m=150.0,
        door_to_door=False,
    )


def test_without_gtfs_the_commutes_drive_and_their_paths_count(by_car):
    otw = by_car.kpis.on_the_way
    assert otw.mode == "car" and otw.by_car > 0 and otw.by_transit == 0
    assert otw.job_cells == 3 and otw.commutes > 0
    parts = otw.at_home_parcels_per_day + otw.at_work_parcels_per_day
    parts += otw.on_the_way_parcels_per_day
    assert parts == pytest.approx(by_car.kpis.covered_parcels_per_day, abs=0.05)
    assert otw.gain_parcels_per_day == pytest.approx(parts - otw.at_home_parcels_per_day, abs=0.02)


def test_what_is_counted_at_home_is_home_only_coverage_of_the_same_sites(by_car):
    """Coverage on the way is never below home-only coverage with the same sites; the
    part at home is exactly that coverage (an uncapacitated model serves all it reaches)."""
    home_only = by_car.evaluate(by_car.sites["candidate_id"]).covered_parcels_per_day
    otw = by_car.kpis.on_the_way
    assert otw.at_home_parcels_per_day == pytest.approx(home_only, abs=0.05)
    assert by_car.kpis.covered_parcels_per_day >= home_only - 0.05


def test_the_summary_the_map_and_the_geopackage_say_it(by_car, tmp_path):
    assert "on the way" in by_car.summary()
    paths = by_car.save(tmp_path)
    summary = json.loads(paths["summary"].read_text())
    assert summary["on_the_way"]["mode"] == "car"
    assert summary["scenario"]["on_the_way"] is True
    layers = {name for name, _ in pyogrio.list_layers(paths["gpkg"])}
    assert "commute_flows" in layers
    flows = gpd.read_file(paths["gpkg"], layer="commute_flows")
    assert set(flows["reached"]) <= {"at_work", "on_the_way"}
    gain = summary["on_the_way"]["gain_parcels_per_day"]
    assert flows["parcels_per_day"].sum() == pytest.approx(gain, abs=0.05)
    page = paths["map"].read_text()
    assert "Commute flows through open sites" in page


def test_driving_needs_a_deterrence(workplaces):
    with pytest.raises(InputError, match="give --commute-beta"):
        lockerplan.plan(sites=2, on_the_way=True, workplaces=workplaces, door_to_door=False)
