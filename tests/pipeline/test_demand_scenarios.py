"""Demand scenarios: one network sized for the peak, reported under each demand level."""

from __future__ import annotations

import json

import pyogrio
import pytest
from click.testing import CliRunner

import lockerplan
from lockerplan.cli import main
from lockerplan.errors import InputError
from lockerplan.scenario import Scenario

FACTORS = {"normal": 1.0, "peak": 2.5}


@pytest.fixture(scope="module")
def robust():
    return lockerplan.plan(demand_scenarios=FACTORS, door_to_door=False)


def test_no_site_is_over_capacity_at_the_peak(robust):
    s = robust.sites
    peak = max(FACTORS.values())
    # the modules hold the peak's locker parcels, and the covered parcels in the
    # siting model's unit
    assert (peak * s["assigned_parcels_per_day"] <= s["capacity_parcels_per_day"] + 0.01).all()
    assert (
        peak * s["covered_parcels_per_day"] <= s["capacity_covered_parcels_per_day"] + 1e-3
    ).all()
    for row in robust.kpis.scenarios:  # capacity holds: nothing overflows
        assert row["overflow_parcels_per_day"] == 0 and row["sites_over_capacity"] == 0
        assert row["served_parcels_per_day"] == pytest.approx(
            row["factor"] * robust.kpis.covered_parcels_per_day, abs=0.05
        )


def test_a_network_sized_for_the_base_overflows_at_the_peak():
    p = lockerplan.plan(door_to_door=False)
    sized = lockerplan.plan(demand_scenarios=FACTORS, door_to_door=False)
    # the robust network covers less at the base: the price of holding the peak
    assert sized.kpis.coverage_share <= p.kpis.coverage_share
    base = lockerplan.plan(demand_scenarios={"normal": 1.0, "peak": 1.0}, door_to_door=False)
    assert base.kpis.coverage_share == p.kpis.coverage_share
    # the base-sized network judged at a tenfold peak: overflow = covered demand beyond
    # capacity (central Helsinki's calibrated demand fits its cabinets up to about 4x)
    from lockerplan.pipeline.allocate import candidate_attributes
    from lockerplan.pipeline.demand_scenarios import served_and_overflow, site_capacity

    sc = base.scenario
    attrs = candidate_attributes(sc.siting, sc.costs, base.candidates)
    cap = site_capacity(base.sites, sc.costs.adoption_share, attrs.capacity)
    served, over = served_and_overflow(base.sites["covered_parcels_per_day"], cap, 10.0)
    assert over.sum() > 0 and (served <= cap + 1e-9).all()


def test_summary_json_printed_and_facilities_agree(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["plan", "--demand-scenarios", "normal=1,peak=2.5", "--no-door-to-door", "--out", str(out)],
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "helsinki" / "summary.json").read_text())
    facilities = pyogrio.read_dataframe(out / "helsinki" / "helsinki.gpkg", layer="facilities")
    assert [s["name"] for s in summary["scenarios"]] == ["normal", "peak"]
    for s in summary["scenarios"]:
        served = facilities[f"served_{s['name']}_parcels_per_day"].sum()
        overflow = facilities[f"overflow_{s['name']}_parcels_per_day"].sum()
        assert s["served_parcels_per_day"] == pytest.approx(served, abs=0.01)
        assert s["overflow_parcels_per_day"] == pytest.approx(overflow, abs=0.01)
        assert s["coverage_share"] == pytest.approx(
            served / (s["factor"] * summary["demand_parcels_per_day"]), abs=1e-4
        )
        line = next(
            x for x in result.stdout.splitlines() if x.strip().startswith(f"demand {s['name']}")
        )
        assert f"{100 * s['coverage_share']:.1f} %" in line
        assert f"({s['served_parcels_per_day']:,.1f})" in line
        assert f"overflow {s['overflow_parcels_per_day']:,.1f}" in line
    page = (out / "helsinki.html").read_text()
    assert "Demand peak" in page


@pytest.mark.parametrize(
    "value, message",
    [
        ("peak=0", "the factor of 'peak' must be between 0.01 and 100"),
        ("peak=-1", "must be between 0.01 and 100"),
        ("a=1,a=2", "scenario 'a' is given twice"),
        ("peak=2,Peak=3", "scenario 'Peak' is given twice"),  # one GeoPackage column
        ("peak", "name=factor pairs"),
        ("1x=2", "is not a scenario name"),
    ],
)
def test_bad_demand_scenarios_name_the_option(value, message):
    with pytest.raises(InputError, match="--demand-scenarios") as info:
        Scenario(demand_scenarios=value).validate()
    assert message in str(info.value)


def test_toml_table(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'sites = 4\n[demand_scenarios]\nnormal = 1\npeak = 2.5\n[siting]\nmodel = "cmclp"\n'
    )
    sc = Scenario.from_toml(path).validate()
    assert sc.demand_scenarios == FACTORS and sc.sites == 4
