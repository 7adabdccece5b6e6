"""Hostile input to the newer commands: each case with the test that checks it.

A user who tampers with plan folders, points ``--out`` at a plan, or gives numbers,
polygons and clock times that break the model gets one ``error:`` line naming
the input and what is wrong (exit 2), and no plan is harmed. The cases of the
siting models' optimum, ``--scheduler`` and the scenario file's types have their
tests beside the code they exercise (named with their module); the rest are
in this module. The documentation's page "Promises under bad input and faults"
(docs/promises.md) is this table in words, and
:func:`test_every_promise_names_a_test_that_exists` holds it to the tests.

==========================================================  =================================================
Case                                                        Test
==========================================================  =================================================
``--walk-m 3000`` covers less than 1500, "optimal"          siting/test_exact::test_cmclp_equals_the_plain_milp_where_capacity_binds
three identical cabinets: one opens, "optimal"              siting/test_exact::test_identical_cabinets_all_open_when_each_fills
every model's reductions against the plain MILP             siting/test_exact::test_*_equal(s)_the_plain_milp (each model)
coverage never falls as the walk grows or a site is added   siting/test_exact::test_coverage_never_falls_when_the_walk_grows_or_a_site_is_added
``--open`` of another plan's sites beats the bound          siting/test_exact::test_no_plan_beats_a_reported_bound
``--scheduler`` at HTTP, silent, SSH-banner, closed ports   regions/test_scheduler::test_the_plan_command_stops_with_one_line_and_writes_nothing
TOML values of the wrong type (``osm = 5``, ``out = 7``)    scenario/test_scenario::test_a_value_of_the_wrong_type_is_one_error_line_before_any_work
``compare A B --out A/summary.json`` (onto a plan's file)   test_compare_never_writes_into_a_plan
``compare --out A.html`` (the plan's map), ``.A.next/``     test_compare_never_writes_into_a_plan
``cd A && compare . B``: the page beside the plans          test_compare_from_inside_a_plan_writes_beside_it
``summary.json`` = ``[]``, ``null``, ``{}``, ``"x"``        test_a_tampered_plan_is_one_error_line
``"scenario": "x"``, ``cell_m: "abc"``                      test_a_tampered_plan_is_one_error_line
``sites_open: "many"``, ``lockers: [1, 2]``                 test_a_tampered_plan_is_one_error_line
``summary.json`` = ``{}`` (0 sites, the layers hold 4)      test_a_tampered_plan_is_one_error_line
a garbage ``.gpkg`` (pyogrio ``DataSourceError``)           test_a_tampered_plan_is_one_error_line
no ``facilities`` layer (pyogrio ``DataLayerError``)        test_a_tampered_plan_is_one_error_line
a FIFO as ``summary.json`` or ``*.gpkg``                    test_special_files_never_block_compare
``--out afile/x.html``, ``/proc/x.html``, ``/dev/null``     test_an_out_that_cannot_be_written_is_one_line
``--peak-factor 1e300`` (a traceback), ``1e20`` ("Empty.")  test_absurd_factors_are_refused_naming_the_option
``--demand-days 1e-300``                                    test_absurd_factors_are_refused_naming_the_option
``--demand-scenarios peak=1e-300`` ("0.0 % of 0.0")         test_absurd_factors_are_refused_naming_the_option
weights of ``1e300`` ("not solved: Empty.")                 test_absurd_weights_are_refused_naming_the_file_and_row
a total beyond any city's                                   test_a_total_beyond_any_city_names_the_settings
a self-intersecting polygon in ``--population``             test_invalid_polygons_are_repaired_or_reported_with_their_row
a polygon without area where every row counts              test_a_polygon_without_area_is_refused_where_every_row_counts
``--cluster-m 1e300`` ("tile_m must be larger...")          test_a_cluster_budget_beyond_the_tiles_names_the_option
``--demand-crs EPSG:3067`` for a GeoJSON in EPSG:4326       test_a_demand_crs_that_contradicts_the_file_is_an_error
rivals on every candidate ("raise --walk-m, --sites...")   test_competitors_that_take_every_customer_are_named
``--order sideways`` (click's three-line usage error)       test_usage_errors_are_one_error_line
``--open`` beyond phase 1 ("raise max_sites")               test_messages_name_options_not_fields
``--phases 2,99999999999999999999`` / ``2,10000000000``     test_large_numbers_are_refused_alike
``window = "25:00-26:00"`` read as hours 25-26; --depart    test_clock_times_are_checked
rivals: dropped.csv "walk to the rival", delivered home   test_competitors::test_what_the_rival_takes_is_listed_once_and_delivered_once
==========================================================  =================================================

A test named without its module is in this one; ``siting/test_exact`` is
``tests/siting/test_exact.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lockerplan.cli import main
from lockerplan.errors import InputError

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs and symbolic links: POSIX")
#: The module's two plans are built once, on one worker of `make test`.
pytestmark = pytest.mark.xdist_group("hostile")


def _one_error(result, *parts: str) -> None:
    """One ``error:`` line naming each of ``parts``, exit 2, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for part in parts:
        assert part in lines[0], (part, lines[0])


# ----------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> Path:
    """Two central-Helsinki plans saved as ``lockerplan plan`` saves them: OUT/w300, OUT/w400."""
    from lockerplan.pipeline import plan_study_area, prepare_study_area

    area = prepare_study_area(max_walk_m=400)
    out = tmp_path_factory.mktemp("plans")
    for walk_m, sites in ((300, 4), (400, 6)):
        plan = plan_study_area(
            area, sites=sites, walk_m=walk_m, name=f"w{walk_m}", routing_iterations=100
        )
        plan.save(out)
    return out


@pytest.fixture
def out(plans, tmp_path) -> Path:
    """A copy of the two plans (links and versions as written) to tamper with."""
    copy = tmp_path / "out"
    shutil.copytree(plans, copy, symlinks=True)
    return copy


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (following the plans' links) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _compare(out: Path, *args: str):
    return CliRunner().invoke(main, ["compare", str(out / "w300"), str(out / "w400"), *args])


@posix_only
@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("w300/summary.json", "inside plan A"),
        ("w400/page.html", "inside plan B"),
        ("w300.html", "the map of plan A"),
        (".w300.next/page.html", "where lockerplan publishes a plan"),
        (".w300.plans/page.html", "where lockerplan publishes a plan"),
    ],
)
def test_compare_never_writes_into_a_plan(out, target, says):
    dest = out / target
    before = _files(out)
    result = _compare(out, "--out", str(dest))
    _one_error(result, "--out", says)
    assert _files(out) == before
    ok = _compare(out)
    assert ok.exit_code == 0, ok.output


@posix_only
def test_compare_from_inside_a_plan_writes_beside_it(out):
    """``cd OUT/A && lockerplan compare . OUT/B``: the page goes to OUT, beside the plans."""
    done = subprocess.run(
        [sys.executable, "-m", "lockerplan.cli", "compare", ".", str(out / "w400")],
        cwd=out / "w300",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "w300_vs_w400.html").is_file()
    assert not list((out / "w300").glob("*.html"))


def _tamper_summary(value):
    def tamper(folder: Path) -> None:
        summary = folder / "summary.json"
        data = json.loads(summary.read_text())
        new = value(data) if callable(value) else value
        summary.write_text(new if isinstance(new, str) else json.dumps(new))

    return tamper


def _garbage_gpkg(folder: Path) -> None:
    (folder / "w300.gpkg").write_bytes(b"not a GeoPackage\n" * 100)


def _no_facilities(folder: Path) -> None:
    with sqlite3.connect(folder / "w300.gpkg") as db:
        db.execute("DELETE FROM gpkg_contents WHERE table_name = 'facilities'")
        db.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'facilities'")
        db.execute("DROP TABLE facilities")


TAMPERED = {
    "list": (_tamper_summary([]), "holds a list, not an object of figures"),
    "null": (_tamper_summary(None), "holds null"),
    "text": (_tamper_summary('"x"'), "holds a text"),
    "not json": (_tamper_summary("{"), "is not JSON"),
    "empty": (_tamper_summary({}), "lacks sites_open"),
    "scenario": (_tamper_summary(lambda d: {**d, "scenario": "x"}), "scenario is 'x'"),
    "cell_m": (
        _tamper_summary(lambda d: {**d, "scenario": {**d["scenario"], "cell_m": "abc"}}),
        "scenario.cell_m is 'abc'",
    ),
    "sites_open": (
        _tamper_summary(lambda d: {**d, "sites_open": "many"}),
        "sites_open is 'many', not a whole number",
    ),
    "sites_open other": (
        _tamper_summary(lambda d: {**d, "sites_open": 6}),
        "says 6 sites open, but the facilities layer of w300.gpkg holds 4",
    ),
    "lockers": (_tamper_summary(lambda d: {**d, "lockers": [1, 2]}), "lockers is [1, 2]"),
    "nested": (
        _tamper_summary(lambda d: {**d, "lockers": {"vans": "x"}}),
        "lockers.vans is 'x'",
    ),
    "garbage gpkg": (_garbage_gpkg, "cannot read the GeoPackage"),
    "no facilities": (_no_facilities, "has no layer facilities"),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_plan_is_one_error_line(out, case):
    tamper, says = TAMPERED[case]
    folder = out / "w300"
    tamper(folder)
    before = _files(out)
    result = _compare(out)
    _one_error(result, "A: ", "w300", says)
    assert _files(out) == before


@posix_only
@pytest.mark.parametrize("name", ["summary.json", "w300.gpkg", "other.gpkg"])
def test_special_files_never_block_compare(out, name):
    folder = out / "w300"
    if name != "other.gpkg":
        (folder / name).unlink()
    else:
        (folder / "w300.gpkg").rename(folder / "renamed.bak")
    os.mkfifo(folder / name)
    done = subprocess.run(
        [sys.executable, "-m", "lockerplan.cli", "compare", str(folder), str(out / "w400")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "not a regular file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@posix_only
def test_an_out_that_cannot_be_written_is_one_line(out, tmp_path):
    (tmp_path / "afile").write_text("a file in the way")
    for dest, says in (
        (tmp_path / "afile" / "x.html", "is a file, not a folder"),
        (Path("/proc/x.html"), "cannot write"),
        (Path("/dev/null"), "not a regular file"),
        (out, "is a folder"),
    ):
        _one_error(_compare(out, "--out", str(dest)), "--out", says)
    assert (tmp_path / "afile").read_text() == "a file in the way"


# ------------------------------------------------------- numbers that break the models

DATA = Path(__file__).resolve().parents[1] / "data"
ORDERS = ["--demand", str(DATA / "helsinki_orders.csv"), "--demand-weight", "parcels_30d"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--peak-factor", "1e300"], "--peak-factor must be between 0.01 and 100, got 1e+300"),
        (["--peak-factor", "1e20"], "--peak-factor must be between 0.01 and 100"),
        (["--peak-factor", "inf"], "--peak-factor must be between 0.01 and 100"),
        ([*ORDERS, "--demand-days", "1e-300"], "--demand-days must be between 0.01 and 36500"),
        (["--demand-scenarios", "peak=1e-300"], "the factor of 'peak' must be between 0.01"),
        (["--demand-scenarios", "peak=nan"], "the factor of 'peak' must be between 0.01"),
    ],
)
def test_absurd_factors_are_refused_naming_the_option(tmp_path, args, says):
    result = CliRunner().invoke(main, ["plan", *args, "--out", str(tmp_path / "o")])
    _one_error(result, says)
    assert not (tmp_path / "o").exists()


def _orders(tmp_path: Path, value: str) -> Path:
    """The sample orders with line 7 (its 6th row) holding ``value`` parcels."""
    lines = (DATA / "helsinki_orders.csv").read_text().splitlines()
    head = lines[6].rsplit(",", 1)[0]
    lines[6] = f"{head},{value}"
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("value", ["1e300", "inf", "2.7e7"])
def test_absurd_weights_are_refused_naming_the_file_and_row(tmp_path, value):
    orders = _orders(tmp_path, value)
    args = ["--demand", str(orders), "--demand-weight", "parcels_30d", "--demand-days", "30"]
    result = CliRunner().invoke(main, ["demand", *args, "--out", str(tmp_path / "o")])
    _one_error(result, "--demand", "orders.csv", "line 7 has 'parcels_30d'", "100,000")
    assert not (tmp_path / "o").exists()


def test_a_total_beyond_any_city_names_the_settings(tmp_path):
    """150 addresses of 90,000 parcels a day each: each below the limit of a row, their
    13.5 million beyond that of a study area."""
    rows = "".join(f"{24.93 + 0.0002 * i:.4f},60.17,90000\n" for i in range(150))
    orders = tmp_path / "orders.csv"
    orders.write_text("lon,lat,parcels\n" + rows)
    args = ["--demand", str(orders), "--demand-weight", "parcels", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, ["demand", *args])
    _one_error(result, "the orders of --demand give 1.35e+07 parcels/day", "--demand-days")


def _cells(tmp_path: Path, crs: str | None = "EPSG:4326") -> Path:
    """Six population cells in central Helsinki: row 3 a bow-tie, row 5 a ring without area."""
    features = []
    for i in range(6):
        x, y, d = 24.93 + 0.004 * i, 60.165, 0.002
        ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
        if i == 2:
            ring = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
        if i == 4:
            ring = [[x, y], [x + d, y], [x + d / 2, y], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"id": f"c{i}", "population": 500},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path = tmp_path / "cells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_invalid_polygons_are_repaired_or_reported_with_their_row(tmp_path, caplog):
    from lockerplan.demand import demand_from_population_grid

    area = (24.925, 60.16, 24.945, 60.17)  # cuts cells 0-3: the bow-tie is clipped
    result = demand_from_population_grid(_cells(tmp_path), area=area)
    assert "c2" in set(result.points["source_id"])  # repaired: two triangles, half a cell
    dropped = result.dropped.set_index("id")
    assert "without area" in dropped.loc["c4", "reason"]
    assert "rows 3, 5" in caplog.text and "make_valid" in caplog.text


def test_a_polygon_without_area_is_refused_where_every_row_counts(tmp_path):
    from lockerplan.inputs import read_points

    with pytest.raises(InputError, match=r"polygons without area, even once repaired: row 5"):
        read_points(_cells(tmp_path), "--candidates")


def test_a_cluster_budget_beyond_the_tiles_names_the_option(tmp_path):
    result = CliRunner().invoke(main, ["plan", "--cluster-m", "1e300", "--out", str(tmp_path)])
    _one_error(result, "--cluster-m must be below 1000")


def test_a_demand_crs_that_contradicts_the_file_is_an_error(tmp_path):
    cells = str(_cells(tmp_path))
    args = ["--population", cells, "--demand-crs", "EPSG:3067", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, ["demand", *args])
    _one_error(result, "--population", "EPSG:4326", "--demand-crs says EPSG:3067")
    same = CliRunner().invoke(main, ["demand", *args[:3], "EPSG:4326", *args[4:]])
    assert same.exit_code == 0, same.output


# ------------------------------------------------------------ messages that name the cause


def test_competitors_that_take_every_customer_are_named(tmp_path):
    points = "24.9400,60.1680\n24.9450,60.1700\n24.9500,60.1720\n"
    rivals, cands = tmp_path / "rivals.csv", tmp_path / "cands.csv"
    rivals.write_text("lon,lat\n" + points)
    cands.write_text("lon,lat\n" + points)
    args = ["--candidates", str(cands), "--competitors", str(rivals), "--sites", "2"]
    result = CliRunner().invoke(main, ["plan", *args, "--out", str(tmp_path / "o")])
    _one_error(result, "the competitors (--competitors, 3 sites) take every customer")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["rollout", "--order", "sideways"], "'sideways' is not one of 'forward', 'backward'"),
        (["plan", "--bogus"], "No such option '--bogus'"),
        (["compare"], "Missing argument 'A'"),
        (["nothing"], "No such command 'nothing'"),
        (["plan", "--config", "."], "Invalid value for '--config'"),
    ],
)
def test_usage_errors_are_one_error_line(args, says):
    result = CliRunner().invoke(main, args)
    _one_error(result, says, "--help`")


def test_messages_name_options_not_fields(tmp_path):
    out = ["--out", str(tmp_path / "o")]
    rollout = ["rollout", "--phases", "2,4", "--open", "osm34,osm48,osm54", *out]
    _one_error(CliRunner().invoke(main, rollout), "--open names 3 sites", "--phases opens 2")
    plan = ["plan", "--open", "osm34,osm48", "--sites", "1", *out]
    result = CliRunner().invoke(main, plan)
    _one_error(result, "raise --sites", "--open")
    assert "raise max_sites" not in result.output
    from lockerplan.scenario import RoutingParams

    with pytest.raises(Exception, match=r"^--window 12:00-14:00 does not overlap"):
        RoutingParams(start_h=6, shift_h=2, window="12:00-14:00")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["rollout", "--phases", "2,99999999999999999999"], "--phases must be a whole number <="),
        (["rollout", "--phases", "2,10000000000"], "--phases must be a whole number <="),
        (["plan", "--sites", "99999999999999999999"], "--sites must be a whole number <="),
        (["plan", "--sites", "10000000000"], "--sites must be a whole number <="),
        (["plan", "--seed", "99999999999999999999"], "--seed must be a whole number <="),
        (["plan", "--max-trips", "99999999999999999999"], "--max-trips must be a whole number"),
    ],
)
def test_large_numbers_are_refused_alike(tmp_path, args, says):
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    _one_error(result, says, "1,000,000,000")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--window", "25:00-26:00"], "25:00 is no time of day"),
        (["--window", "10:60-11:00"], "10:60 is no time of day"),
        (["--window", "06:00-24:30"], "24:30 is no time of day"),
        (["--depart", "7:75"], "--depart must be a time of day as HH:MM"),
        (["--depart", "48:00"], "--depart must be a time of day as HH:MM"),
    ],
)
def test_clock_times_are_checked(tmp_path, args, says):
    result = CliRunner().invoke(main, ["plan", *args, "--out", str(tmp_path / "o")])
    _one_error(result, says)


# ------------------------------------------------------------------ the promises page


def test_every_promise_names_a_test_that_exists():
    """Each test docs/promises.md names (``tests/FILE.py::test_x``, or ``::test_y`` of the
    file named before it) is defined in that file."""
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "promises.md").read_text(encoding="utf-8")
    named, current = [], None
    for path, test in re.findall(r"`(tests/[\w/]+\.py)?::(test_\w+)`", page):
        current = path or current
        named.append((current, test))
    assert len(named) > 30
    for path, test in named:
        assert path is not None and f"def {test}(" in (root / path).read_text(), (path, test)
