"""Competing networks: a rival's sites take the customers nearer to them."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from scipy import sparse

from lockerplan import competitors as comp
from lockerplan.cli import main
from lockerplan.errors import InputError
from lockerplan.maps import kpi_panel_html
from lockerplan.osm import default_osm_path, read_pois
from lockerplan.pipeline import Kpis

#: The module's fixtures (plans) are built once, on one worker of `make test`.
pytestmark = pytest.mark.xdist_group("contested")

RIVAL = "RivalBox"


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def contested(helsinki_plan, tmp_path_factory):
    """The default plan again, with a rival at its three busiest sites and
    ``--operator SmartPost`` (so OSM's Posti locker is a rival too)."""
    top = helsinki_plan.sites.nlargest(3, "covered_parcels_per_day")
    csv = tmp_path_factory.mktemp("rivals") / "rivals.csv"
    pd.DataFrame(
        {
            "name": [f"{RIVAL} {i}" for i in range(3)],
            "operator": RIVAL,
            "lon": top.geometry.x.to_numpy(),
            "lat": top.geometry.y.to_numpy(),
        }
    ).to_csv(csv, index=False)
    out = tmp_path_factory.mktemp("out")
    result = _run("plan", "--competitors", str(csv), "--operator", "SmartPost", "--out", str(out))
    assert result.exit_code == 0, result.output
    folder = out / "helsinki"
    return {
        "top": top,
        "stdout": result.output,
        "summary": json.loads((folder / "summary.json").read_text()),
        "demand": gpd.read_file(folder / "helsinki.gpkg", layer="demand_points"),
        "facilities": gpd.read_file(folder / "helsinki.gpkg", layer="facilities"),
        "candidates": gpd.read_file(folder / "helsinki.gpkg", layer="candidates"),
        "rivals": gpd.read_file(folder / "helsinki.gpkg", layer="competitors"),
        "dropped": pd.read_csv(folder / "dropped.csv"),
        "page": (out / "helsinki.html").read_text(),
    }


def test_rivals_at_todays_sites_take_their_customers_and_the_plan_moves(helsinki_plan, contested):
    s, demand = contested["summary"], contested["demand"]
    # the sites where the rivals now stand are not opened again: they would capture nothing
    # (by OSM id: with --operator the rival's OSM locker leaves the candidates, so the
    # candidate ids shift)
    assert not set(contested["top"]["source_id"]) & set(contested["facilities"]["source_id"])
    assert s["sites_open"] == helsinki_plan.kpis.sites_open
    # customers with both a rival and one of our sites in reach split between them
    cov = demand["covered"].to_numpy(dtype=bool)
    rival_m = demand["nearest_competitor_m"].to_numpy(dtype=float)
    near = ~np.isnan(rival_m)
    both = cov & near
    assert both.any()
    assert (demand["locker_parcels_per_day"].to_numpy()[both] > 0).all()
    assert (demand["rival_locker_parcels_per_day"].to_numpy()[both] > 0).all()
    assert s["captured_parcels_per_day"] < helsinki_plan.kpis.covered_parcels_per_day
    assert helsinki_plan.kpis.captured_parcels_per_day == helsinki_plan.kpis.covered_parcels_per_day
    # customers choose (mnl): what the rivals' sites take, cluster by cluster, is the
    # rivals' figure; uncovered clusters within a rival's walk send it the most
    taken = demand["rival_locker_parcels_per_day"].to_numpy(dtype=float)
    assert s["rival_parcels_per_day"] == pytest.approx(taken.sum(), abs=0.05) and taken.sum() > 0
    assert s["choice"]["rival_parcels_per_day"] == s["rival_parcels_per_day"]
    assert (taken[~near] == 0).all() and (taken[near & ~cov] > 0).all()
    assert demand["contested"].to_numpy(dtype=bool)[near].any()


def test_summary_json_stdout_geopackage_and_map_say_the_same(contested):
    s, demand = contested["summary"], contested["demand"]
    captured = demand.loc[demand["covered"].astype(bool), "served_parcels_per_day"].sum()
    assert s["captured_parcels_per_day"] == pytest.approx(captured, abs=0.01)
    assert s["competitor_sites"] == len(contested["rivals"]) == 4
    assert s["competitor_operators"] == ["Posti", RIVAL]
    line = next(line for line in contested["stdout"].splitlines() if "competitors" in line)
    numbers = [float(x.replace(",", "")) for x in re.findall(r"[\d,]+\.\d", line)]
    # customers choose (mnl): the line names what the rivals take; the choice line the rest
    assert numbers == [round(s["rival_parcels_per_day"], 1)]
    assert line.strip().startswith("competitors    4 sites (Posti, RivalBox)")
    page = contested["page"]
    assert "Competitor sites" in page and "Contested areas" in page
    assert f"{s['rival_parcels_per_day']:,.1f} parcels/day" in page
    assert f"{100 * s['choice']['out_of_home_share']:.1f} % out of home" in page
    assert "competitor site" in page and "contested demand" in page  # legend entries


def test_operator_makes_other_operators_osm_lockers_competitors(contested):
    rivals, cands = contested["rivals"], contested["candidates"]
    osm = rivals[rivals["source"] == "osm"]
    assert osm["operator"].tolist() == ["Posti"] and osm["source_id"].str.startswith("node/").all()
    # ... and then no candidate of ours
    assert not set(osm["source_id"]) & set(cands["source_id"])
    assert not cands["existing"].astype(bool).any()


def test_without_operator_osm_lockers_stay_existing_candidates():
    pois = read_pois(default_osm_path())
    for operator in (None, "Posti", " posti "):
        kept, rivals = comp.split_osm_lockers(pois, operator)
        assert len(rivals) == 0 and len(kept) == len(pois)
    kept, rivals = comp.split_osm_lockers(pois, "SmartPost")
    assert len(kept) == len(pois) - 1 and rivals["name"].tolist() == ["Pakettiautomaatti"]


def test_brand_counts_when_no_operator_is_tagged_and_untagged_lockers_stay_ours():
    pt = shapely.Point(24.94, 60.17)
    pois = gpd.GeoDataFrame(
        {
            "osm_id": [1, 2, 3, 4],
            "osm_type": "node",
            "name": ["a", "b", "c", "d"],
            "operator": [None, None, "DHL", "DHL"],
            "brand": ["InPost", None, None, None],
            "amenity": ["parcel_locker", "parcel_locker", "fuel", "parcel_locker"],
            "vending": None,
        },
        geometry=[pt] * 4,
        crs="EPSG:4326",
    )
    kept, rivals = comp.split_osm_lockers(pois, "posti")
    assert rivals["operator"].tolist() == ["InPost", "DHL"]  # a fuel station is no locker
    assert kept["name"].tolist() == ["b", "c"]
    assert comp.split_osm_lockers(pois, "dhl")[1]["operator"].tolist() == ["InPost"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,operator,lat\nA,X,60.17\n", "no 'lon' column"),
        ("name,operator,lon,lat\nA,X,24.94,60.17\nB,X,24.95,sixty\n", "line 3"),
    ],
)
def test_a_bad_competitors_file_exits_2_naming_the_row_and_writes_nothing(tmp_path, text, expected):
    bad = tmp_path / "rivals.csv"
    bad.write_text(text)
    result = _run("plan", "--competitors", str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "--competitors" in result.output and expected in result.output
    assert not (tmp_path / "out").exists()


def test_your_own_operator_is_no_competitor(tmp_path):
    own = tmp_path / "rivals.csv"
    own.write_text("name,operator,lon,lat\nA,RivalBox,24.94,60.17\nB,SmartPost,24.95,60.17\n")
    with pytest.raises(InputError, match=r"row 2 name your own operator 'smartpost'"):
        comp.read_competitors(own, "smartpost")
    assert comp.read_competitors(own)["operator"].tolist() == [RIVAL, "SmartPost"]


def test_a_cluster_a_rival_is_nearer_to_than_every_candidate_is_reported():
    # candidates 0, 1 x clusters a, b, c: the rival is 100 m from b and 50 m from c
    D = sparse.csr_matrix(([80.0, 200.0, 0.0, 50.0], ([0, 0, 1, 1], [0, 1, 0, 2])), shape=(2, 3))
    rival_m = comp.nearest_competitor(sparse.csr_matrix([[500.0, 100.0, 50.0]]), 400, 3)
    ours = comp.contestable(D, rival_m)
    assert ours.nnz == 2  # b (200 >= 100) and c (a tie, 50 m) go to the rival
    clusters = gpd.GeoDataFrame(
        {"cluster_id": ["a", "b", "c"], "parcels_per_day": [1.0, 2.0, 3.0]},
        geometry=[shapely.Point(0, 0)] * 3,
    )
    clusters = comp.competition_columns(clusters, D, np.array([0]), rival_m)
    assert clusters["contested"].tolist() == [False, True, False]
    dropped = comp.with_taken(pd.DataFrame(columns=["layer"]), clusters, D, ours)
    assert dropped["id"].tolist() == ["b", "c"] and (dropped["layer"] == comp.TAKEN_LAYER).all()
    assert dropped["parcels_per_day"].sum() == 5.0 and "100 m walk" in dropped["reason"].iloc[0]


def test_the_legend_shows_competitors_only_when_there_are_some():
    assert "competitor site" not in kpi_panel_html(Kpis(name="x"))
    panel = kpi_panel_html(Kpis(name="x", competitor_sites=2, competitor_operators=["A<b>"]))
    assert "competitor site" in panel and "A&lt;b&gt;" in panel


def test_what_the_rival_takes_is_listed_once_and_delivered_once(tmp_path):
    """Customers with a rival within the walk and no open site of ours: their locker
    users collect at the rival (listed in dropped.csv with those parcels), the rest are
    delivered home; read = at our lockers + at rivals' + home + not delivered, on
    both sides of the business case the same parcels, and the summary says so."""
    import json

    from click.testing import CliRunner

    from lockerplan.cli import main
    from tests.support import ROOT

    out = tmp_path / "out"
    rivals = ROOT / "data" / "helsinki_competitors.csv"
    result = CliRunner().invoke(main, ["plan", "--competitors", str(rivals), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    s = json.loads((out / "helsinki" / "summary.json").read_text())
    p, bc = s["parcels"], s["business_case"]
    assert p["at_rivals"] > 0
    assert p["read"] == pytest.approx(
        p["at_lockers"] + p["at_rivals"] + p["home"] + p["not_delivered"], rel=1e-3
    )
    dropped = pd.read_csv(out / "helsinki" / "dropped.csv")
    taken = dropped[dropped["layer"] == comp.TAKEN_LAYER]
    assert taken["parcels_per_day"].sum() == pytest.approx(p["at_rivals"], abs=0.01)
    assert dropped["id"].is_unique  # a cluster is listed once
    w, d = bc["with_lockers"], bc["door_to_door"]
    assert w["home_parcels_per_day"] == p["home"]
    assert w["parcels_per_day"] == pytest.approx(d["parcels_per_day"], abs=0.05)
    assert w["parcels_per_day"] == pytest.approx(p["read"] - p["at_rivals"], abs=0.05)
    assert f"{p['at_rivals']:,.1f} at rivals' lockers" in result.stdout
