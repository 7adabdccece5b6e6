"""The command line: a full plan from `lockerplan plan`, and clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from lockerplan.cli import main
from tests.support import ROOT


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_plan_help_explains_each_option_with_units_and_defaults():
    code, out, _ = run("plan", "--help")
    assert code == 0
    for option in (
        "--osm",
        "--sites",
        "--walk-m",
        "--out",
        "--seed",
        "--config",
        "--candidates",
        "--hubs",
    ):
        assert option in out
    assert "metres" in out and "[default: 400]" in out and "[default: 6]" in out


def test_plan_with_a_scenario_file_writes_map_and_outputs(tmp_path):
    code, out, err = run(
        "plan",
        "--config",
        str(ROOT / "data" / "helsinki.toml"),
        "--out",
        str(tmp_path),
        "--sites",
        "3",
    )
    assert code == 0, err
    assert "sites open" in out and "coverage" not in err
    summary = json.loads((tmp_path / "helsinki" / "summary.json").read_text())
    assert summary["sites_open"] <= 3
    assert summary["scenario"]["sites"] == 3  # the command line overrides the file
    # the file is the default scenario: cmclp on HiGHS, one hub placed per 50 km²
    assert summary["model"] == "cmclp" and summary["solver"] == "highs"
    assert summary["hubs"] == 1 and summary["scenario"]["hubs"] is None
    assert (tmp_path / "helsinki.html").stat().st_size > 10_000


def test_user_candidates_replace_osm_places(tmp_path):
    code, out, err = run(
        "plan",
        "--candidates",
        str(ROOT / "data" / "helsinki_candidates.csv"),
        "--out",
        str(tmp_path),
        "--formats",
        "gpkg,csv",
        "--no-door-to-door",  # the sites are what is asserted
        "-q",
    )
    assert code == 0, err
    assert not (tmp_path / "helsinki" / "facilities.geojson").exists()
    sites = (tmp_path / "helsinki" / "facilities.csv").read_text()
    assert "Sample" in sites and "node/" not in sites


def _bad_inputs(tmp_path: Path) -> list[tuple[list[str], str]]:
    not_osm = tmp_path / "notes.osm.pbf"
    not_osm.write_text("these are my notes, not a map\n" * 20)
    no_lon = tmp_path / "sites.csv"
    no_lon.write_text("name,lat\nA,60.17\n")
    far_sites = tmp_path / "far_sites.csv"
    far_sites.write_text("name,lon,lat\nTampere,23.76,61.50\nTurku,22.27,60.45\n")
    far_hubs = tmp_path / "far_hubs.csv"
    far_hubs.write_text("hub_id,lon,lat\nh1,385000,6672000\nh2,385100,6672100\n")
    return [
        (["--osm", str(tmp_path / "missing.osm.pbf")], "does not exist"),
        (["--osm", str(not_osm)], "not OpenStreetMap"),
        (["--sites", "0"], "--sites"),
        (["--sites", "-2"], "--sites"),
        (["--sites", "many"], "--sites"),
        (["--walk-m", "0"], "--walk-m"),
        (["--walk-m", "-50"], "--walk-m"),
        (["--candidates", str(no_lon)], "'lon'"),
        (["--hubs", str(tmp_path / "nohubs.csv")], "--hubs"),
        (["--budget", "1"], "--budget 1 is below the cheapest site"),
        (["--keep-existing", "--budget", "1"], "forced-open sites cost 10 per day > budget 1"),
        (["--exclude", "osm99999"], "--exclude"),
        (["--candidates", str(far_sites)], "none of its 2 sites is within 250 m"),
        (["--hubs", str(far_hubs)], "Convert it to lon/lat degrees (WGS84"),
        (["--min-spacing-m", "1e9"], "--min-spacing-m 1e+09 is more than the candidate sites"),
        (["--solver", "cbc", "--via", "highspy"], "--via highspy"),
        (["--name", "../evil"], "--name must be a name"),
        (["--formats", "gpkg,shp"], "--formats must be gpkg, csv or geojson"),
        (["--on-the-way"], "--on-the-way needs to know where people work"),
        (["--on-the-way", "--jobs-column", "jobs"], "--jobs-column reads the jobs of a population"),
        (["--gtfs", str(tmp_path / "missing.zip")], "--gtfs: file"),
        (["--depart", "7h30"], "--depart must be a time of day as HH:MM"),
    ]


def test_bad_input_gives_one_line_error_exit_2_and_writes_nothing(tmp_path):
    out_dir = tmp_path / "out"
    for args, expected in _bad_inputs(tmp_path):
        code, out, err = run("plan", *args, "--out", str(out_dir))
        lines = err.strip().splitlines()
        assert code == 2, (args, err)
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)
        assert expected in lines[0], (args, err)
        assert "Traceback" not in err
        assert not out_dir.exists(), args


@pytest.mark.parametrize("args", [["--sites", "0"], ["--walk-m", "abc"]])
def test_installed_command_reports_errors_without_traceback(tmp_path, args):
    proc = subprocess.run(
        [sys.executable, "-m", "lockerplan.cli", "plan", *args, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_plan_from_an_order_file_reports_what_it_dropped(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "lon,lat,parcels\n24.940,60.168,30\n24.945,60.170,12\n24.950,60.172,8\nabc,60.1,3\n"
    )
    code, out, err = run(
        "plan",
        "--demand",
        str(orders),
        "--demand-weight",
        "parcels",
        "--out",
        str(tmp_path / "o"),
        "--sites",
        "2",
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "o" / "helsinki" / "summary.json").read_text())
    assert summary["demand_source"] == "demand_file"
    assert summary["demand_parcels_per_day"] == pytest.approx(50.0)
    assert summary["demand_read_parcels_per_day"] == pytest.approx(53.0)
    dropped = (tmp_path / "o" / "helsinki" / "dropped.csv").read_text()
    assert "row 4" in dropped and "coordinates" in dropped


def test_plan_from_a_population_grid(tmp_path, bench_dir):
    grid = bench_dir / "osm" / "helsinki_population_grid_2020.gpkg"
    code, out, err = run(
        "plan",
        "--population",
        str(grid),
        "--out",
        str(tmp_path),
        "--sites",
        "3",
        "-q",
        "--no-door-to-door",  # the demand is what is asserted
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "helsinki" / "summary.json").read_text())
    assert summary["demand_source"] == "population_grid"
    # the grid reaches beyond the extract: what lies outside is reported, not planned
    assert summary["demand_read_parcels_per_day"] > summary["demand_parcels_per_day"] > 0
    assert "outside" in (tmp_path / "helsinki" / "dropped.csv").read_text()


def test_place_without_internet_is_a_one_line_error(tmp_path, monkeypatch):
    import osmnx

    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'nominatim.openstreetmap.org'")

    monkeypatch.setattr(osmnx, "graph_from_place", offline)
    code, out, err = run("plan", "--place", "Kamppi, Helsinki", "--out", str(tmp_path / "o"))
    assert code == 2 and err.startswith("error: --place 'Kamppi, Helsinki'")
    assert "internet" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_demand_command_writes_layers_and_heat_map(tmp_path):
    code, out, err = run("demand", "--out", str(tmp_path))
    assert code == 0, err
    assert {p.name for p in tmp_path.iterdir()} >= {"helsinki_demand.gpkg", "helsinki_demand.html"}
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "helsinki_demand.gpkg")}
    assert {"demand_points", "demand_clusters"} <= layers
    assert "parcels/day in this 100 m square" in (tmp_path / "helsinki_demand.html").read_text()


def test_model_option_selects_the_siting_model(tmp_path):
    code, out, err = run(
        "plan", "--model", "pmedian", "--sites", "3", "--no-door-to-door", "--out", str(tmp_path)
    )
    assert code == 0, err
    assert "pmedian" in out
    summary = json.loads((tmp_path / "helsinki" / "summary.json").read_text())
    assert summary["model"] == "pmedian" and summary["sites_open"] == 3
    assert "door_to_door" not in summary


@pytest.mark.parametrize("name", ["../../tmp/evil", "..", "a/b", "/tmp/x/evil", ".hidden"])
def test_name_is_a_name_not_a_path(tmp_path, name):
    """Nothing is written outside --out, whatever --name says."""
    out_dir = tmp_path / "out"
    code, _, err = run("plan", "--name", name, "--out", str(out_dir), "--no-door-to-door")
    assert code == 2 and err.startswith("error: --name must be a name"), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out_dir.exists()
    assert not any(p.name == "evil" for p in tmp_path.rglob("*"))


def test_hubs_with_the_same_id_are_refused(tmp_path):
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("hub_id,name,lon,lat\nh1,north,24.94,60.17\nh1,south,24.94,60.165\n")
    code, _, err = run("plan", "--hubs", str(hubs), "--out", str(tmp_path / "out"))
    assert code == 2 and "hub_id 'h1' more than once" in err, err
    assert len(err.strip().splitlines()) == 1


def test_out_that_cannot_be_written_is_a_one_line_error(tmp_path):
    a_file = tmp_path / "results.txt"
    a_file.write_text("not a folder")
    code, _, err = run("plan", "--out", str(a_file), "--no-door-to-door")
    assert code == 2 and "--out" in err and "is a file" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert a_file.read_text() == "not a folder"


def test_semicolon_and_latin1_csv_files_are_read(tmp_path):
    """Spreadsheet exports: ';' separators and Latin-1 names, as a candidates file."""
    sites = tmp_path / "sites.csv"
    rows = ["id;name;lon;lat", "1;Café Sähkö;24.9385;60.1699", "2;Kiosk Ääni;24.9450;60.1650"]
    sites.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    code, out, err = run(
        "plan",
        "--candidates",
        str(sites),
        "--sites",
        "2",
        "--out",
        str(tmp_path / "out"),
        "--no-door-to-door",
        "--formats",
        "csv",
    )
    assert code == 0, err
    facilities = (tmp_path / "out" / "helsinki" / "facilities.csv").read_text(encoding="utf-8")
    assert "Café Sähkö" in facilities or "Kiosk Ääni" in facilities


def test_a_new_plan_keeps_the_users_files_and_cleans_killed_runs(tmp_path):
    """Files the plan did not write survive a re-plan; a killed run's stage is removed."""
    out = tmp_path / "out"
    args = ("plan", "--out", str(out), "--no-door-to-door", "--sites", "2")
    assert run(*args)[0] == 0
    notes = out / "helsinki" / "my_analysis.txt"
    notes.write_text("my notes")
    dead = out / ".helsinki-999999999-abcd"  # no such process
    dead.mkdir()
    (dead / "helsinki.html").write_text("")
    assert run(*args)[0] == 0
    assert notes.read_text() == "my notes"
    assert not dead.exists()
    # nothing hidden is left (lockerplan.files); map and folder are real files
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert not (out / "helsinki.html").is_symlink() and not (out / "helsinki").is_symlink()
