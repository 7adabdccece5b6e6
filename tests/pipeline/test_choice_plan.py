"""A plan under customers' choice (the default): the share calibrated, the parcels
reconciled, the same figures on every surface; prices by zone."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from lockerplan.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"


def _plan(tmp_path, *args):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    folder = out / "helsinki"
    return result.stdout, json.loads((folder / "summary.json").read_text()), folder, out


def test_the_default_plan_sends_the_target_share_out_of_home(tmp_path):
    stdout, s, _, out = _plan(tmp_path, "--model", "lscp", "--out-of-home-share", "0.4")
    c = s["choice"]
    assert c["model"] == "mnl" and c["target_share"] == 0.4
    assert c["out_of_home_share"] == pytest.approx(0.4, abs=0.01)
    # every parcel in one place: ours + rivals' + home = read (nothing dropped here)
    p = s["parcels"]
    assert c["captured_parcels_per_day"] == pytest.approx(p["at_lockers"], abs=0.05)
    assert p["read"] == pytest.approx(
        p["at_lockers"] + p["at_rivals"] + p["home"] + p["not_delivered"], abs=0.05
    )
    assert s["assumptions"]["out_of_home_share"]["value"] == 0.4
    line = f"{100 * c['out_of_home_share']:.1f} % out of home"
    assert line in stdout
    assert line in (out / "helsinki.html").read_text()


def test_with_rivals_customers_split_and_every_parcel_is_counted_once(tmp_path):
    """Sited for the customers' choice (the default coverage siting with rivals:
    tests/test_competitors.py)."""
    stdout, s, folder, _ = _plan(
        tmp_path, "--site-by", "choice", "--competitors", str(DATA / "helsinki_competitors.csv")
    )
    # the capacitated siting under the MNL with rivals is proven, not just feasible
    assert s["model"] == "cmclp" and s["capacitated"]
    assert s["solver_status"] == "optimal" and s["solver_gap"] == 0.0
    assert s["solver_objective"] == pytest.approx(s["choice"]["captured_parcels_per_day"], abs=0.01)
    assert "solver         optimal (cmclp" in stdout
    c, p = s["choice"], s["parcels"]
    assert c["rival_parcels_per_day"] > 0
    assert p["at_rivals"] == pytest.approx(c["rival_parcels_per_day"], abs=0.05)
    assert p["read"] == pytest.approx(
        p["at_lockers"] + p["at_rivals"] + p["home"] + p["not_delivered"], abs=0.05
    )
    bc = s["business_case"]
    # what the rivals take is on neither side of the business case
    assert bc["with_lockers"]["parcels_per_day"] == pytest.approx(
        p["read"] - p["at_rivals"] - p["not_delivered"], abs=0.05
    )
    dropped = pd.read_csv(folder / "dropped.csv")
    taken = dropped[dropped["layer"] == "competitor_nearer"]
    assert taken["parcels_per_day"].sum() == pytest.approx(c["rival_parcels_per_day"], abs=0.05)


@pytest.mark.xdist_group("priced")  # the priced plan is built once, on one worker
def test_prices_by_zone_are_written_and_paid_in_the_business_case(priced_plan_dir):
    # with a rival in reach our locker share is low enough for discounts to pay
    folder = priced_plan_dir / "helsinki"
    stdout = (priced_plan_dir / "stdout.txt").read_text(encoding="utf-8")
    s = json.loads((folder / "summary.json").read_text())
    pr = s["pricing"]
    zones = pd.read_csv(folder / "pricing.csv")
    assert len(zones) == pr["zones"] and (zones["net_saving_per_day"] >= 0).all()
    assert pr["zones_discounted"] == int((zones["discount"] > 0).sum())
    assert pr["curve"][0]["discount"] == 0.0
    # discounts move customers beyond the target, and the business case pays them
    assert s["choice"]["out_of_home_share"] >= s["choice"]["target_share"] - 1e-9
    assert s["choice"]["locker_discount"] > 0 and pr["discount_paid_per_day"] > 0
    assert pr["switched_parcels_per_day"] > 0
    assert "zones discounted" in stdout


def test_decay_keeps_the_fixed_curve_and_reports_no_choice(tmp_path):
    _, s, _, _ = _plan(tmp_path, "--choice", "decay", "--no-door-to-door")
    assert "choice" not in s


def test_the_pricing_command_prices_zones_and_prints_the_curve(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["pricing", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "one discount everywhere" in result.stdout
    s = json.loads((out / "helsinki" / "summary.json").read_text())
    assert s["pricing"]["zones"] == len(pd.read_csv(out / "helsinki" / "pricing.csv"))
    assert "zones discounted" in result.stdout


def test_on_the_way_each_customer_group_chooses_and_hits_the_target(tmp_path):
    """With --on-the-way the choice model applies per customer group: its walk is from
    wherever a site reaches it (home, work or the way)."""
    import lockerplan
    from tests.pipeline.test_commutes import WORKPLACES

    path = tmp_path / "workplaces.csv"
    path.write_text(WORKPLACES)
    p = lockerplan.plan(
        on_the_way=True, workplaces=str(path), commute_beta=0.1, commute_trips=400,
        detour_m=150.0, out_of_home_share=0.4,
    )  # fmt: skip
    c = p.kpis.choice
    assert c is not None and c.out_of_home_share == pytest.approx(0.4, abs=0.01)
    assert c.captured_parcels_per_day == pytest.approx(p.kpis.parcels.at_lockers, abs=0.05)
    assert p.kpis.on_the_way.covered_parcels_per_day > 0
    # the sites carry what the groups bring them, from home, work or the way
    assert p.sites["parcels_per_day"].sum() == pytest.approx(c.captured_parcels_per_day, abs=0.05)


def test_where_cabinets_fill_up_each_site_hands_out_what_its_customers_bring_within_it():
    """cmclp splits demand between sites; under customers' choice the sites' parcels are
    the shares customers bring (full sites turn the rest away), not the solver's load
    rescaled: they sum to the parcels at lockers and no site is over its modules."""
    import lockerplan

    p = lockerplan.plan(cabinet_compartments=15, pickup_capacity=10.0, out_of_home_share=0.6)
    sites, c = p.sites, p.kpis.choice
    full = sites["parcels_per_day"] >= sites["capacity_parcels_per_day"] - 1e-6
    assert full.any()  # the capacities bind
    assert sites["parcels_per_day"].sum() == pytest.approx(c.captured_parcels_per_day, abs=0.05)
    assert c.captured_parcels_per_day == pytest.approx(p.kpis.parcels.at_lockers, abs=0.05)
    assert (sites["over_capacity_parcels_per_day"] == 0).all()
    assert p.kpis.over_capacity_parcels_per_day == 0
