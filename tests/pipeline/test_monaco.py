"""The Monaco region: 23k OSM buildings, Monaco and four French communes, 30 sites.

The command a planner runs, with walking pickups: lockers cheaper and lower in CO2
than door to door, every parcel read accounted for, and no open site unserved (a
candidate no van can reach is left out before siting). Skips without the benchmark
data (``../shared/bench/osm`` or ``$LOCKERPLAN_BENCH_DIR``).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from lockerplan.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def monaco(bench_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("monaco")
    osm = bench_dir / "osm" / "monaco_region_2016.osm.pbf"
    args = ["plan", "--osm", str(osm), "--sites", "30", "--pickup", "walk", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--formats", "gpkg,csv"])
    assert result.exit_code == 0, result.stderr
    folder = out / "monaco_region_2016"
    return {
        "stdout": result.stdout,
        "summary": json.loads((folder / "summary.json").read_text()),
        "dropped": pd.read_csv(folder / "dropped.csv"),
    }


def test_lockers_are_cheaper_and_lower_in_co2_with_walking_pickups(monaco):
    s = monaco["summary"]
    # most of the region's points are in France (Monaco, which has no preset, is the rest)
    assert s["country"] == "FR" and "OSM extract" in s["country_found"]
    w, d = s["business_case"]["with_lockers"], s["business_case"]["door_to_door"]
    assert w["cost_per_parcel"] < d["cost_per_parcel"]
    assert w["co2_kg_per_day"] < d["co2_kg_per_day"]
    assert w["home_stops_per_day"] < d["home_stops_per_day"]
    assert w["parcels_per_day"] == pytest.approx(d["parcels_per_day"], rel=1e-3)


def test_every_parcel_is_accounted_for_and_no_site_unserved(monaco):
    s = monaco["summary"]
    p = s["parcels"]
    assert p["read"] == pytest.approx(p["at_lockers"] + p["home"] + p["not_delivered"], rel=1e-3)
    # homes far from a drivable street are walked to, not dropped
    assert p["not_delivered"] < 0.01 * p["read"]
    assert s["unserved_sites"] == 0
    assert f"{p['at_lockers']:,.1f} at lockers" in monaco["stdout"]
