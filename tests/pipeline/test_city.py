"""City scale: Porto Alegre (812,935 residents on a real population grid, 100 sites).

The command a planner runs, through the command line, and the figures it writes:
every parcel read is at a locker, delivered home or listed as dropped; no site
holds more than its cabinets hand out; every open site is routed or listed; the
printed summary and ``summary.json`` say the same thing. Skips without the
benchmark data (``../shared/bench/osm`` or ``$LOCKERPLAN_BENCH_DIR``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys

import pandas as pd
import pytest

from tests.support import TESTS

#: layers of dropped.csv that hold parcels no one delivers (sites not routed are
#: delivered home instead, and listed under "sites")
UNDELIVERED = ("demand_points", "demand_clusters", "home_delivery")

#: one Porto Alegre run serves this file, test_maps and test_map_browser: one xdist worker
pytestmark = [pytest.mark.xdist_group("porto_alegre"), pytest.mark.slow]


def _shared():
    """``tests/browser/porto_alegre.py``: the session's one run of the command."""
    name = "lockerplan_browser_test_porto_alegre"
    if name not in sys.modules:
        path = TESTS / "browser" / "porto_alegre.py"
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.fixture(scope="module")
def porto_alegre(bench_dir, tmp_path_factory):
    run = _shared().porto_alegre_run(bench_dir, tmp_path_factory)
    folder = run["folder"]
    return {
        "stdout": run["stdout"],
        "summary": json.loads((folder / "summary.json").read_text()),
        "dropped": pd.read_csv(folder / "dropped.csv"),
        "facilities": pd.read_csv(folder / "facilities.csv"),
        "stops": pd.read_csv(folder / "route_stops.csv"),
        "depots": pd.read_csv(folder / "depots.csv"),
    }


def test_every_parcel_read_is_delivered_or_listed(porto_alegre):
    s = porto_alegre["summary"]
    # 812,935 residents x Brazil's 6 parcels per person and year (found from the extract)
    assert s["demand_read_parcels_per_day"] == pytest.approx(812_935 * 6 / 365, rel=0.01)
    assert s["country"] == "BR"
    w = s["business_case"]["with_lockers"]
    dropped = porto_alegre["dropped"]
    undelivered = dropped.loc[dropped["layer"].isin(UNDELIVERED), "parcels_per_day"].sum()
    assert w["locker_parcels_per_day"] + w["home_parcels_per_day"] + undelivered == pytest.approx(
        s["demand_read_parcels_per_day"], abs=0.5
    )
    # both sides of the business case deliver the same parcels, lockers for less money
    # and less CO2 (vans and pickup trips together)
    d = s["business_case"]["door_to_door"]
    assert w["parcels_per_day"] == pytest.approx(d["parcels_per_day"], rel=1e-3)
    assert w["cost_per_parcel"] < d["cost_per_parcel"]
    assert w["co2_kg_per_day"] < d["co2_kg_per_day"]
    assert s["unserved_sites"] == 0


def test_every_open_site_is_routed_or_listed(porto_alegre):
    sites = set(porto_alegre["facilities"]["site_id"])
    routed = set(porto_alegre["stops"]["site_id"])
    dropped = porto_alegre["dropped"]
    listed = set(dropped.loc[dropped["layer"] == "sites", "id"])
    assert sites == routed | listed
    assert not routed & listed
    assert porto_alegre["summary"]["sites_open"] == len(sites) <= 100
    # a city gets more than one hub, placed on the drive network
    assert porto_alegre["summary"]["hubs"] == len(porto_alegre["depots"]) >= 2


def test_capacity_is_said_per_site(porto_alegre):
    f = porto_alegre["facilities"]
    for col in ("modules", "capacity_parcels_per_day", "assigned_parcels_per_day"):
        assert col in f
    over = (f["assigned_parcels_per_day"] - f["capacity_parcels_per_day"]).clip(lower=0)
    assert f["over_capacity_parcels_per_day"].to_numpy() == pytest.approx(over, abs=0.02)
    s = porto_alegre["summary"]
    assert s["sites_over_capacity"] == int((over > 0.005).sum())
    if s["model"] == "cmclp":  # the capacitated default: no site over capacity
        assert s["sites_over_capacity"] == 0


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_printed_summary_and_summary_json_agree(porto_alegre):
    out, s = porto_alegre["stdout"], porto_alegre["summary"]
    sites = re.search(r"sites open\s+(\d+)(?: of at most (\d+))?", out)
    assert int(sites.group(1)) == s["sites_open"]
    assert (int(sites.group(2)) if sites.group(2) else None) == s["sites_limit"]
    covered = re.search(r"covered\s+([\d,.]+) of ([\d,.]+) parcels/day = ([\d.]+) %", out)
    assert _number(covered.group(1)) == pytest.approx(s["covered_parcels_per_day"], abs=0.06)
    assert _number(covered.group(2)) == pytest.approx(s["demand_parcels_per_day"], abs=0.06)
    assert float(covered.group(3)) == pytest.approx(100 * s["coverage_share"], abs=0.06)
    w, d = s["business_case"]["with_lockers"], s["business_case"]["door_to_door"]
    lockers = re.search(r"with lockers\s+([\d,]+) \w+/day, ([\d.]+) per parcel", out)
    assert _number(lockers.group(1)) == pytest.approx(w["cost_per_day"], abs=0.5)
    # a cost per parcel of 0.985 prints as 0.98 (binary 0.98499...): half a cent and a hair
    assert float(lockers.group(2)) == pytest.approx(w["cost_per_parcel"], abs=0.0051)
    door = re.search(r"door-to-door\s+([\d,]+) \w+/day, ([\d.]+) per parcel", out)
    assert _number(door.group(1)) == pytest.approx(d["cost_per_day"], abs=0.5)
    assert float(door.group(2)) == pytest.approx(d["cost_per_parcel"], abs=0.0051)
    assert f"{s['vans_used']} van(s)" in out


def test_only_lockerplan_speaks_on_the_terminal(porto_alegre):
    out = porto_alegre["stdout"]
    for chatter in ("HiGHS", "Warning", "warn", "PenaltyBound", "Tqdm"):
        assert chatter not in out
    assert out.splitlines()[0].startswith("lockerplan: porto_alegre_2020")
