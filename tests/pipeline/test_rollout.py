"""Roll-out phases: nested phases, the phase column, the price of nesting, and the CLI."""

from __future__ import annotations

import dataclasses
import json

import pyogrio
import pytest
from click.testing import CliRunner

import lockerplan
from lockerplan.cli import main
from lockerplan.errors import InputError
from lockerplan.pipeline.rollout import check_phases, phase_table

#: The module's fixtures (plans) are built once, on one worker of `make test`.
pytestmark = pytest.mark.xdist_group("rollout")

PHASES = (2, 4, 6)


@pytest.fixture(scope="module")
def forward():
    """Central Helsinki in three phases (routed, with the door-to-door baseline)."""
    return lockerplan.rollout(phases=PHASES)


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_site_of_a_phase_stays_open_in_the_next(forward):
    opened = [set(p.sites["candidate_id"]) for p in forward.plans]
    assert [p.kpis.sites_open for p in forward.plans] == list(PHASES)
    for earlier, later in zip(opened, opened[1:], strict=False):
        assert earlier <= later
    # the phase column is the first phase each site is open in
    phase = dict(zip(forward.plan.sites["candidate_id"], forward.plan.sites["phase"], strict=True))
    for cid, k in phase.items():
        assert cid in opened[k - 1] and (k == 1 or cid not in opened[k - 2])
    assert sorted(forward.plan.sites["phase"].value_counts().sort_index()) == [2, 2, 2]
    assert forward.phases["new_sites"].tolist() == [2, 2, 2]


def test_no_phase_covers_more_than_its_optimum(forward):
    t = forward.phases
    gap = t["solver_gap"].max() * 100
    assert (t["price_of_nesting_pct"] >= -gap - 1e-9).all()
    assert (t["coverage_share"] <= t["optimal_coverage_share"] + 1e-4).all()
    # forward: the first phase is the optimum itself; coverage grows with the phases
    assert t["price_of_nesting_pct"].iloc[0] == 0
    assert t["coverage_share"].is_monotonic_increasing
    # each phase's business case: with lockers cheaper per parcel than door to door
    assert (t["cost_per_parcel_with_lockers"] < t["cost_per_parcel_door_to_door"]).all()


def test_the_optimum_is_between_the_coverage_and_the_bound(forward):
    t = forward.phases
    assert (t["coverage_share"] <= t["optimal_coverage_share"] + 1e-4).all()
    assert (t["optimal_coverage_share"] <= t["coverage_bound_share"]).all()
    assert (t["price_of_nesting_pct"] <= t["price_bound_pct"]).all()


def test_backward_keeps_the_last_phase_optimal():
    back = lockerplan.rollout(phases=(2, 4), order="backward", door_to_door=False)
    first, last = (set(p.sites["candidate_id"]) for p in back.plans)
    assert first <= last
    assert back.phases["price_of_nesting_pct"].iloc[-1] == 0


@pytest.mark.parametrize("phases", ["4,2", "2,2", "0,3", "2,x", "", [1.5, 3]])
def test_phases_must_increase(phases):
    with pytest.raises(InputError, match="--phases"):
        check_phases(phases)


def test_cli_writes_phases_and_refuses_bad_input(tmp_path):
    out = tmp_path / "out"
    for args, expected in (
        (["--phases", "6,4"], "--phases"),
        (["--phases", "2,4", "--open", "osm99999"], "--open: unknown candidate id(s) osm99999"),
        (["--phases", "2,4", "--model", "pmedian"], "--model pmedian"),
    ):
        code, stdout, err = run("rollout", *args, "--out", str(out))
        assert code == 2 and err.startswith("error: ") and expected in err, (args, err)
        assert not out.exists(), args
    code, stdout, err = run("rollout", "--phases", "2,4", "--no-door-to-door", "--out", str(out))
    assert code == 0, err
    # its own name by default: a roll-out never overwrites the plan of `lockerplan plan`
    shown = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert shown == ["helsinki_rollout", "helsinki_rollout.html"]
    folder = out / "helsinki_rollout"
    summary = json.loads((folder / "summary.json").read_text())
    phases = summary["phases"]
    assert [p["sites"] for p in phases] == [2, 4]
    rows = stdout.splitlines()[2:4]
    for p, row in zip(phases, rows, strict=True):  # the printed table says what summary.json says
        cells = row.split()
        assert cells[:2] == [str(p["phase"]), str(p["sites"])], row
        assert f"{100 * p['coverage_share']:.1f}" in cells
        assert f"{100 * p['optimal_coverage_share']:.1f}" in cells
        assert f"{100 * p['coverage_bound_share']:.1f}" in cells
        assert f"{p['price_of_nesting_pct']:.2f}" in cells
        assert f"{p['price_bound_pct']:.2f}" in cells
    facilities = pyogrio.read_dataframe(folder / "helsinki_rollout.gpkg", layer="facilities")
    assert sorted(facilities["phase"]) == [1, 1, 2, 2]
    assert summary["sites_open"] == 4
    page = (out / "helsinki_rollout.html").read_text()
    assert "phase 1 (opens first)" in page and "Opens in phase" in page


def test_open_sites_stay_open():
    area_ids = ["osm48", "osm96"]
    p = lockerplan.plan(sites=3, open_sites=",".join(area_ids), door_to_door=False)
    assert set(area_ids) <= set(p.sites["candidate_id"])
    with pytest.raises(InputError, match="--open: unknown candidate id"):
        lockerplan.plan(open_sites=("nope",), door_to_door=False)


@pytest.fixture(scope="module")
def on_the_way(tmp_path_factory):
    """Central Helsinki in two phases on the way: customers reached from home, a job
    cell of a file of workplaces or their car path (no door-to-door baseline)."""
    from tests.pipeline.test_commutes import WORKPLACES

    path = tmp_path_factory.mktemp("work") / "workplaces.csv"
    path.write_text(WORKPLACES)
    return lockerplan.rollout(
        phases=(2, 4),
        on_the_way=True,
        workplaces=str(path),
        commute_beta=0.1,
        commute_trips=400,
        detour_m=150.0,
        door_to_door=False,
    )


def test_a_phase_on_the_way_reports_what_its_siting_covered(on_the_way):
    """Each phase's coverage is its siting's objective: the customer groups' parcels
    reached from home, work or the way, not home-only coverage of the same sites."""
    t = on_the_way.phases
    for plan, row in zip(on_the_way.plans, t.itertuples(), strict=True):
        k = plan.kpis
        assert row.covered_parcels_per_day == k.covered_parcels_per_day
        assert k.covered_parcels_per_day == pytest.approx(plan.siting.objective, abs=0.01)
        assert k.on_the_way.covered_parcels_per_day == pytest.approx(
            k.covered_parcels_per_day, abs=0.05
        )
        assert row.coverage_share == pytest.approx(
            plan.siting.objective / k.demand_parcels_per_day, abs=1e-4
        )
        home_only = plan.evaluate(plan.sites["candidate_id"]).covered_parcels_per_day
        assert k.covered_parcels_per_day > home_only  # commuters collect at work or on the way
    # the free first phase is its own optimum: no price, optimum = coverage
    assert t["price_of_nesting_pct"].iloc[0] == 0
    assert t["optimal_coverage_share"].iloc[0] == t["coverage_share"].iloc[0]
    assert (t["optimal_coverage_share"] <= t["coverage_bound_share"]).all()


def test_a_free_phase_stopped_at_its_time_limit_costs_no_nesting(on_the_way):
    """A first phase whose solve stops with a gap: its coverage is its plan's, the
    optimum is that plan, and the gap shows in the bound, not in the price."""
    first = on_the_way.plans[0]
    objective = first.siting.objective
    stopped = dataclasses.replace(
        first.siting, status="feasible", best_bound=objective * 1.02, gap=0.02
    )
    plans = [dataclasses.replace(first, siting=stopped), *on_the_way.plans[1:]]
    optima = [stopped, *(p.siting for p in on_the_way.plans[1:])]
    row = phase_table(plans, optima, (2, 4)).iloc[0]
    demand = first.kpis.demand_parcels_per_day
    assert row["price_of_nesting_pct"] == 0
    assert row["optimal_coverage_share"] == pytest.approx(objective / demand, abs=1e-4)
    assert row["coverage_bound_share"] == pytest.approx(1.02 * objective / demand, abs=1e-4)
    assert row["price_bound_pct"] == pytest.approx(100 * 0.02 / 1.02, abs=0.01)
