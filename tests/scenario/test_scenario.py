"""Scenario fields are the one source of truth: metadata, checks, CLI options, TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lockerplan.cli import default_text, main, plan_command
from lockerplan.errors import InputError
from lockerplan.scenario import (
    PATH_UNITS,
    SECTIONS,
    DemandParams,
    Number,
    RoutingParams,
    Scenario,
    Whole,
    scenario_fields,
)
from lockerplan.scenario.toml import toml_table, write_toml
from tests.support import ROOT

FILE = ROOT / "data" / "helsinki_hubs.csv"  # any file that exists
FIELDS = [f for _, f in scenario_fields().values()]
EXPOSED = [f for f in FIELDS if f.metadata["cli"] is not None]


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # undo click's line wrapping


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.name)
def test_every_field_has_a_section_help_and_a_check_of_its_type(f):
    meta = f.metadata
    assert scenario_fields()[f.name][0] in SECTIONS
    assert toml_table(f.name) in {None, *SECTIONS}
    assert meta["check"] is not None  # every value is checked, its type first
    assert meta["help"] and not meta["help"].endswith(".")  # a clause the CLI completes


def test_every_exposed_field_is_a_plan_option_with_its_default():
    text = _help("plan")
    for f in EXPOSED:
        spelling = f.metadata["cli"].name or "--" + f.name.replace("_", "-")
        assert f"{spelling} " in text, f.name
        if not isinstance(f.default, bool):  # flags: giving the flag is the change
            assert f"[default: {default_text(f.name)}]" in text, f.name
    assert "--cell-m METRES" in text and "[default: 250]" in text


def test_option_names_of_today_are_kept():
    plan, sweep, demand = _help("plan"), _help("sweep"), _help("demand")
    for option in (
        "--config",
        "--no-cache",
        "--split",
        "--keep-existing",
        "--no-door-to-door",
        "-v, --verbose",
        "-q, --quiet",
    ):
        assert option in plan and option in sweep, option
    assert "-n, --sites N" in plan and "--walk-m METRES" in plan
    assert "-n, --sites RANGE" in sweep and "--walk-m LIST" in sweep
    for option in (
        "--osm",
        "--demand ",
        "--demand-weight",
        "--demand-days",
        "--demand-crs",
        "--population ",
        "--population-column",
        "--parcels-per-person",
        "--peak-factor",
        "--cluster-m",
        "--clip / --no-clip",
        "--out",
        "--name",
        "-v, --verbose",
        "-q, --quiet",
    ):
        assert option in demand, option


NUMERIC = [  # the generated options whose value is a number
    p
    for p in plan_command.params
    if isinstance(p, click.Option)
    and p.name in scenario_fields()
    and isinstance(scenario_fields()[p.name][1].metadata["check"], Whole | Number)
]


@pytest.mark.parametrize("option", NUMERIC, ids=lambda p: p.opts[0])
def test_a_bad_number_is_one_error_line_naming_the_option(tmp_path, option):
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["plan", option.opts[0], "abc", "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert f"{option.opts[0]} must be " in lines[0] and "'abc'" in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sites": 0}, "--sites must be a whole number >= 1, got 0."),
        ({"sites": True}, "--sites must be a whole number >= 1, got True."),
        ({"walk_m": -5.0}, "--walk-m must be a number > 0, got -5.0."),
        ({"walk_m": float("nan")}, "--walk-m must be a number > 0, got nan."),
        ({"cluster_m": -1}, "--cluster-m must be a number >= 0, got -1."),
        ({"model": "best"}, "--model must be one of mclp, pmedian, lscp, cflp, attendance"),
        ({"solver": "gurobi"}, "--solver must be one of cbc, highs, got 'gurobi'."),
        ({"via": "x"}, "--via must be one of pulp, highspy, got 'x'."),
        ({"decay": "x"}, "--decay must be one of linear, exponential, power, got 'x'."),
        ({"failure_rate": 1.0}, "--failure-rate must be below 1, got 1.0."),
        ({"failure_rate": -0.1}, "--failure-rate must be a number >= 0, got -0.1."),
        (
            {"mixed_residential_share": 1.5},
            "demand.mixed_residential_share must be between 0 and 1",
        ),
        ({"max_cabinets": -1}, "--max-cabinets must be a whole number >= 0, got -1."),
        ({"budget": 0}, "--budget must be a number > 0, got 0."),
        ({"parcels_per_person_per_day": 0}, "--parcels-per-person must be a number > 0"),
        ({"keep_existing": "yes"}, "keep_existing must be true or false, got 'yes'."),
        ({"use_cache": 1}, "use_cache must be true or false, got 1."),
        ({"window": "6-10"}, "--window must look like '06:00-10:00'"),
        ({"hubs": "nohubs.csv"}, "--hubs: file 'nohubs.csv' does not exist."),
        ({"cell_m": 0}, "--cell-m must be a number > 0, got 0."),
        ({"osm": "a.osm.pbf", "place": "Kamppi"}, "give either --osm or --place, not both."),
        ({"demand": str(FILE), "population": str(FILE)}, "give either --demand or --population"),
    ],
)
def test_validate_names_the_setting(settings, message):
    with pytest.raises(InputError) as info:
        Scenario(**settings).validate()
    assert str(info.value).startswith(message)


def test_unset_optional_fields_and_defaults_validate():
    sc = Scenario(exclude="osm1, osm2").validate()
    assert sc.exclude == ("osm1", "osm2") and sc.max_cabinets is None
    assert sc.cell_m == 250.0 and sc.to_dict()["cell_m"] == 250.0


def test_toml_round_trip_keeps_the_values():
    path = ROOT / "data" / "helsinki.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    flat = {
        k: v for section in raw.values() if isinstance(section, dict) for k, v in section.items()
    }
    flat.update({k: v for k, v in raw.items() if not isinstance(v, dict)})
    sc = Scenario.from_toml(path).validate()
    units = {f.name: f.metadata["unit"] for f in FIELDS}
    for key, value in flat.items():
        got = getattr(sc, key)
        if units[key] in PATH_UNITS:
            assert Path(got) == (path.parent / value).resolve(), key
        else:
            assert got == (tuple(value) if isinstance(got, tuple) else value), key
    again = Scenario(**sc.to_dict()).validate()
    assert again == sc
    assert Scenario.from_toml(path, sites=3, walk_m=None).sites == 3


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("osm = 5", "osm must be a path (text), got 5."),
        ('osm = ["a.pbf"]', "osm must be a path (text), got ['a.pbf']."),
        ("out = 7", "out must be a path (text), got 7."),
        ("out = {a = 1}", "out must be a path (text), got {'a': 1}."),
        ("[network]\ncache_dir = 5", "[network] cache_dir must be a path (text), got 5."),
        ("formats = 5", "formats must be text such as gpkg,csv"),
        ("demand_scenarios = [1, 2]", "demand_scenarios must be name=factor pairs"),
        ("demand_scenarios = [[1, 2, 3]]", "demand_scenarios must be name=factor pairs"),
        ('name = ["x"]', "name must be a name (text), got ['x']."),
    ],
)
def test_a_value_of_the_wrong_type_is_one_error_line_before_any_work(tmp_path, toml, message):
    """Each of these stopped with a traceback (``out = 7`` only after the whole plan
    ran; ``name = ["x"]`` made a plan named "['x']")."""
    path = tmp_path / "bad.toml"
    path.write_text(toml + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", "--config", str(path), "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert lines == [f"error: --config {str(path)!r}: {message}"] or (
        len(lines) == 1 and message in lines[0] and lines[0].startswith("error: ")
    ), lines
    assert not out.exists()
    with pytest.raises(InputError, match="bad.toml"):
        Scenario.from_toml(path)


def test_helsinki_toml_is_the_default_scenario_written_from_the_declarations():
    """data/helsinki.toml is every setting with its default, help and unit; it drifts
    when a default or a help changes without it being written again
    (``python -m lockerplan.scenario > data/helsinki.toml``)."""
    path = ROOT / "data" / "helsinki.toml"
    assert path.read_text(encoding="utf-8") == write_toml(Scenario().to_dict())
    read = Scenario.from_toml(path)
    assert read.replace(name=None) == Scenario()
    text = path.read_text(encoding="utf-8")
    for name in scenario_fields():  # every setting is in the file, set or commented out
        assert f"\n{name} = " in text or f"\n# {name} = " in text, name


def test_sections_hold_the_defaults_once_and_stages_get_them():
    sc = Scenario(sites=8, walk_m=500, van_capacity=150)
    assert (sc.siting.sites, sc.siting.walk_m, sc.routing.van_capacity) == (8, 500, 150)
    assert sc.sites == 8 and sc.to_dict()["van_capacity"] == 150  # flat, as before
    # the routing's Fleet and the demand's model are the sections: one default each
    from lockerplan.costs import CostModel
    from lockerplan.demand import DemandModel
    from lockerplan.routing import Fleet

    assert Fleet is RoutingParams and DemandModel is DemandParams and CostModel() == sc.costs
    assert Fleet().max_trips == Scenario().max_trips == 3
    assert Scenario(routing={"max_trips": 2}).max_trips == 2
    with pytest.raises(InputError, match="unknown setting"):
        Scenario(sitez=3)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--choice", "decay"], "use --choice mnl, not decay"),
        (["--on-the-way", "--jobs-column", "jobs"], "--on-the-way is not priced yet"),
        (["--no-door-to-door"], "drop --no-door-to-door"),
    ],
)
def test_price_zones_with_nothing_to_price_is_one_error_before_any_work(tmp_path, args, words):
    """Such a plan would be written without its prices: the command stops at once,
    exit 2, naming both options, and writes nothing."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", "--price-zones", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "--price-zones" in result.output and words in result.output
    assert "Traceback" not in result.output and not out.exists()
    with pytest.raises(InputError, match="--price-zones"):
        Scenario(price_zones=True, choice_model="decay")
