"""Scenario sweeps: coverage curves a planner can trust, and the report files."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lockerplan.cli import main
from lockerplan.errors import InputError
from lockerplan.pipeline.sweep import knee, parse_values, sweep, table_figures

#: The module's sweep is made once, on one worker of `make test`.
pytestmark = pytest.mark.xdist_group("sweep")


@pytest.fixture(scope="module")
def result():
    # the curves need no business case: without the door-to-door day, 3x faster
    return sweep(sites=range(1, 9), walk_m=[300, 400], door_to_door=False)


def test_a_sweep_row_is_the_plan_with_the_same_settings(helsinki_plan):
    """Every figure of a sweep row equals what `lockerplan plan` reports for the same
    settings (the business case included: the cost per parcel is the whole day's)."""
    row = sweep(sites=[6]).table.iloc[0]
    kpis = helsinki_plan.kpis
    bc = kpis.business_case
    assert bc is not None and kpis.sites_limit == 6
    for key in table_figures():
        if key == "sites":
            continue
        expected = (
            getattr(bc.door_to_door, key.removesuffix("_door_to_door"))
            if key.endswith("_door_to_door")
            else kpis[key]
        )
        assert (
            row[key] == pytest.approx(expected)
            if isinstance(expected, float)
            else (row[key] == expected)
        ), key
    assert row["cost_per_parcel"] == bc.with_lockers.cost_per_parcel


def test_coverage_never_falls_when_sites_or_cutoff_grow(result):
    table = result.table
    assert len(table) == 16
    for _, rows in table.groupby("walk_m"):
        cov = rows.sort_values("sites")["coverage_share"].to_numpy()
        assert (cov[1:] >= cov[:-1] - 1e-9).all()  # optimal MCLP: more sites never cover less
        assert (rows["sites_open"] <= rows["sites"]).all()
    wide = table[table["walk_m"] == 400].set_index("sites")["coverage_share"]
    narrow = table[table["walk_m"] == 300].set_index("sites")["coverage_share"]
    assert (wide >= narrow - 1e-9).all()
    assert (table["solver_status"] == "optimal").all()


def test_knee_is_marked_once_per_cutoff(result):
    assert sorted(result.knees) == [300.0, 400.0]
    for walk_m, k in result.knees.items():
        assert k is not None and 1 < k < 8
        marked = result.table[(result.table["walk_m"] == walk_m) & result.table["knee"]]
        assert list(marked["sites"]) == [k]


def test_sweep_writes_table_report_and_curves(result, tmp_path):
    paths = result.save(tmp_path)
    assert paths["csv"].read_text().count("\n") == 17
    page = paths["html"].read_text()
    assert page.count("data:image/png;base64,") == 2 and "knee" in page.lower()
    for key in ("coverage_vs_sites", "cost_vs_sites"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    cost_axis = result.figures()["cost_vs_sites"].axes[0].get_ylabel()
    assert cost_axis == "Cost per day, with lockers (EUR/day)"  # says its unit


def test_knee_of_a_saturating_curve():
    assert knee([1, 2, 3, 4, 5, 6], [0.2, 0.5, 0.7, 0.75, 0.78, 0.8]) == 3
    assert knee([1, 2], [0.1, 0.2]) is None


def test_ranges_and_lists_parse_and_bad_ones_are_named():
    assert parse_values("5..20:5", "--sites", integer=True) == [5, 10, 15, 20]
    assert parse_values("400,300", "--walk-m", integer=False) == [300.0, 400.0]
    with pytest.raises(InputError, match="--sites"):
        parse_values("a..b", "--sites", integer=True)


def test_cli_sweep_bad_range_is_a_one_line_error(tmp_path):
    res = CliRunner().invoke(main, ["sweep", "--sites", "30..1", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert (
        res.stderr.strip().startswith("error: --sites")
        and len(res.stderr.strip().splitlines()) == 1
    )
    assert not (tmp_path / "o").exists()
