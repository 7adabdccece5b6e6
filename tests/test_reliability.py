"""Issue 15 replayed: bad input and faults, each promise with the test that checks it.

Most lines of the issue have their test beside the stage they exercise; this
module holds the rest (marked *here*). The documentation's page "Promises under
bad input and faults" (docs/promises.md) is this table in words.

==================================================  ===========================================
Issue 15 line                                       Test
==================================================  ===========================================
1  ``--name ../../tmp/evil``, ``..``, ``a/b``, abs  test_cli::test_name_is_a_name_not_a_path
2  a user's file in ``out/NAME/`` survives          test_cli::test_a_new_plan_keeps_the_users_files_and_cleans_killed_runs
3  kill between the final renames: one plan         *here* test_a_kill_at_any_step_leaves_one_complete_plan
3  leftovers of killed runs removed                 *here* (same test) and test_cli::test_a_new_plan_keeps_...
3  two runs into one ``--out``                      *here* test_concurrent_plans_end_with_one_complete_pair, test_files
3  folder and map are real files, no links          *here* test_the_plan_is_real_files_others_can_read
3  (no symbolic links: folder and map by renames)   *here* test_without_symlinks_the_pair_is_moved_by_renames
4  read-only ``--out``                              *here* test_an_out_that_cannot_be_written_is_an_input_error
5  wrong-shaped / corrupt cache entry heals         test_network::test_wrong_shaped_cache_entry_heals_itself, ::test_corrupt_cache_entry_is_a_miss
5  damaged converted PBF not blamed on the extract  *here* test_a_damaged_conversion_in_the_cache_is_redone
5  same size and mtime, rewritten, read again       *here* test_a_rewritten_extract_is_read_again_in_one_process
5  ``--cache-dir`` holds the XML conversion         *here* test_the_cache_dir_holds_the_xml_conversion
6  ``--min-spacing-m 1e9`` named at once            test_cli::test_bad_input_gives_one_line_error_exit_2_and_writes_nothing
7  two hubs with one ``hub_id``                     test_cli::test_hubs_with_the_same_id_are_refused
8  lscp names the clusters no candidate reaches     siting/test_coverage::test_lscp_reports_uncoverable_and_cost, pipeline/test_plan_models::test_lscp_covers_...
9  ``;`` CSV and Latin-1                            test_cli::test_semicolon_and_latin1_csv_files_are_read, *here* test_csv_dialects_and_encodings_are_read
9  hubs in metres, candidates outside, spacing      test_cli::test_bad_input_gives_one_line_error_exit_2_and_writes_nothing
9  valid PBF named ``.osm``                         test_network::test_pbf_data_under_an_osm_name_is_read
9  ``--out`` is a file                              test_cli::test_out_that_cannot_be_written_is_a_one_line_error
9  a file where the plan's folder goes              *here* test_a_file_in_the_way_of_the_plan_is_never_replaced
10 ``--help`` / ``--version`` light (lazy imports)  *here* test_help_and_version_load_no_heavy_library
--  bad numbers name the option                     scenario/test_scenario::test_a_bad_number_is_one_error_line_naming_the_option
--  bad OSM files                                   test_network::test_bad_files, ::test_truncated_files
==================================================  ===========================================
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lockerplan import files
from lockerplan.errors import InputError
from lockerplan.files import staged

NAME = "plan"
#: The steps of a publish that a kill may fall between.
STEPS = ("replace", "rename", "symlink", "link", "unlink", "rmdir", "mkdir")
KILLED = 77
HEAVY = ("geopandas", "osmnx", "pulp", "pyvrp", "folium", "sklearn", "shapely")
posix_only = pytest.mark.skipif(os.name != "posix", reason="fork and symbolic links: POSIX")


# ------------------------------------------------------------------ --help is light


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["plan", "--help"], ["sweep", "--help"], ["demand", "--help"]],
)
def test_help_and_version_load_no_heavy_library(args):
    """``lockerplan --help`` parses without geopandas, PuLP, PyVRP, ... (lazy imports)."""
    script = (
        "import sys\n"
        "from lockerplan.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as exc:\n    assert exc.code in (0, None)\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stderr, done.stderr
    assert "Usage" in done.stdout or "version" in done.stdout


def test_the_package_names_load_on_first_use():
    script = (
        "import sys, lockerplan\n"
        f"assert not [m for m in {HEAVY!r} if m in sys.modules]\n"
        "from lockerplan import InputError, Plan, Scenario, SweepResult, plan, sweep\n"
        "assert callable(plan) and plan is lockerplan.plan and 'Scenario' in dir(lockerplan)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


# ------------------------------------------------- outputs replaced as one pair


def _write_pair(stage: Path, tag: str) -> None:
    folder = stage / NAME
    folder.mkdir()
    for part in ("facilities.csv", "dropped.csv"):
        (folder / part).write_text(tag)
    (folder / "summary.json").write_text(json.dumps({"plan": tag}))
    (stage / f"{NAME}.html").write_text(f"<html><p id='plan'>{tag}</p></html>")


def _publish(out: Path, tag: str) -> dict[str, Path]:
    with staged(out, NAME) as stage:
        _write_pair(stage.path, tag)
        return stage.publish_pair(NAME, f"{NAME}.html")


def _visible(out: Path) -> str:
    """The plan ``OUT/NAME`` + ``OUT/NAME.html`` show; fails if they are not one complete plan."""
    folder = out / NAME
    tag = json.loads((folder / "summary.json").read_text())["plan"]
    assert {(folder / p).read_text() for p in ("facilities.csv", "dropped.csv")} == {tag}
    page = re.search(r"<p id='plan'>(\w+)</p>", (out / f"{NAME}.html").read_text())
    assert page and page.group(1) == tag, "the map shows another plan than the folder"
    return tag


def _killed_publish(out: Path, tag: str, kill_at: int) -> int:
    """Publish in a child process killed (``os._exit``) before its ``kill_at``-th file step."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            count = [0]

            def hook(fn):
                def step(*args, **kwargs):
                    count[0] += 1
                    if count[0] == kill_at:
                        os._exit(KILLED)
                    return fn(*args, **kwargs)

                return step

            with staged(out, NAME) as stage:
                _write_pair(stage.path, tag)
                for name in STEPS:
                    setattr(os, name, hook(getattr(os, name)))
                stage.publish_pair(NAME, f"{NAME}.html")
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _write_old_files(folder: Path, page: Path) -> None:
    folder.mkdir(parents=True)
    for part in ("facilities.csv", "dropped.csv"):
        (folder / part).write_text("old")
    (folder / "summary.json").write_text(json.dumps({"plan": "old"}))
    page.write_text("<html><p id='plan'>old</p></html>")


def _old_plan(out: Path, layout: str) -> None:
    if layout == "published":
        _publish(out, "old")
    elif layout == "linked":  # an older lockerplan: links into hidden versions
        version = out / f".{NAME}.plans" / "00000000000000000001-abcd"
        _write_old_files(version / NAME, version / f"{NAME}.html")
        os.symlink(os.path.relpath(version / NAME, out), out / NAME)
        os.symlink(f"{NAME}/../{NAME}.html", out / f"{NAME}.html")
    else:  # a folder and map written by hand or by an older lockerplan
        _write_old_files(out / NAME, out / f"{NAME}.html")
    (out / NAME / "my_notes.txt").write_text("mine")
    (out / NAME / "figures").mkdir()
    (out / NAME / "figures" / "fig1.txt").write_text("fig")


def _assert_real_files(out: Path) -> None:
    for path in (out / NAME, out / f"{NAME}.html", out / NAME / "summary.json"):
        assert not path.is_symlink(), path
    assert (out / NAME).is_dir() and (out / f"{NAME}.html").is_file()


def _assert_clean_after_a_run(out: Path) -> None:
    assert _visible(out) == "third"
    assert (out / NAME / "my_notes.txt").read_text() == "mine"
    assert (out / NAME / "figures" / "fig1.txt").read_text() == "fig"
    hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert hidden == [], hidden  # no stage or journal of a killed run, no old versions
    _assert_real_files(out)


@posix_only
@pytest.mark.parametrize("layout", ["published", "linked", "folder"])
def test_a_kill_at_any_step_leaves_one_complete_plan(tmp_path, layout):
    """A kill before any rename, link or removal: one complete plan, old or new.

    Each step of a publish (every rename, link, removal, folder creation) is a
    kill point. After each kill every visible file is complete; the visible
    folder and map are one plan, or the journal ``.NAME.next`` is there and
    finishing it (the next run, :func:`lockerplan.files.finish_pair`) shows
    the new plan; the user's files are never lost. The next run shows its plan
    and leaves no leftovers.
    """
    kill_at = 1
    while True:
        out = tmp_path / f"k{kill_at}"
        out.mkdir()
        _old_plan(out, layout)
        code = _killed_publish(out, "new", kill_at)
        journal = out / f".{NAME}.next"
        page = out / f"{NAME}.html"
        assert re.search(r"<p id='plan'>(old|new)</p>", page.read_text()), kill_at
        if journal.exists():
            assert files.finish_pair(out, NAME), kill_at
            assert _visible(out) == "new", kill_at
        else:
            assert _visible(out) in ("old", "new"), kill_at
        assert (out / NAME / "my_notes.txt").read_text() == "mine", kill_at
        assert (out / NAME / "figures" / "fig1.txt").read_text() == "fig", kill_at
        paths = _publish(out, "third")
        _assert_clean_after_a_run(out)
        assert paths[NAME] == out / NAME and paths[f"{NAME}.html"] == out / f"{NAME}.html"
        shutil.rmtree(out)
        if code == 0:
            break
        assert code == KILLED
        kill_at += 1
    assert kill_at > 5  # the publish had steps to kill between


def test_a_killed_switch_is_finished_by_the_reader(tmp_path):
    """``read_plan`` finishes a switch a killed run left: folder and map agree again."""
    from lockerplan.export import read_plan

    _publish(tmp_path, "old")
    journal = tmp_path / f".{NAME}.next"
    journal.mkdir()
    _write_pair(journal, "new")
    os.replace(journal / f"{NAME}.html", tmp_path / f"{NAME}.html")  # killed after the map
    with pytest.raises(InputError, match="not a plan folder"):  # no GeoPackage here
        read_plan(tmp_path / NAME)
    assert _visible(tmp_path) == "new" and not journal.exists()


def test_the_plan_is_real_files_others_can_read(tmp_path):
    """The map can be e-mailed, the folder zipped: no links, no private hidden folder."""
    _publish(tmp_path, "old")
    _publish(tmp_path, "new")
    _assert_real_files(tmp_path)
    assert _visible(tmp_path) == "new"
    made = tmp_path / "made_by_mkdir"
    made.mkdir()
    mode = os.stat(made).st_mode & 0o777
    assert os.stat(tmp_path / NAME).st_mode & 0o777 == mode  # not mkdtemp's 0700
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_without_symlinks_the_pair_is_moved_by_renames(tmp_path, monkeypatch):
    """Where links cannot be made (Windows, FAT), folder and map are replaced the same way."""

    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", no_links)
    _old_plan(tmp_path, "folder")
    _publish(tmp_path, "new")
    assert not (tmp_path / NAME).is_symlink() and _visible(tmp_path) == "new"
    assert (tmp_path / NAME / "my_notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _publish_rounds(out: Path, writer: int, rounds: int, errors: list) -> None:
    try:
        for i in range(rounds):
            _publish(out, f"w{writer}r{i}")
    except Exception as exc:  # noqa: BLE001 - any failure fails the test
        errors.append(exc)


def test_concurrent_plans_end_with_one_complete_pair(tmp_path):
    errors: list = []
    threads = [
        threading.Thread(target=_publish_rounds, args=(tmp_path, k, 15, errors)) for k in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _visible(tmp_path).startswith("w")
    hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert hidden == []
    _assert_real_files(tmp_path)


@pytest.mark.parametrize("in_the_way", [NAME, f"{NAME}.html"])
def test_a_file_in_the_way_of_the_plan_is_never_replaced(tmp_path, in_the_way):
    path = tmp_path / in_the_way
    if in_the_way == NAME:
        path.write_text("my thesis")
    else:
        path.mkdir()
        (path / "thesis.tex").write_text("my thesis")
    with pytest.raises(InputError, match="lockerplan did not write"):
        _publish(tmp_path, "new")
    assert "my thesis" in (
        path.read_text() if path.is_file() else (path / "thesis.tex").read_text()
    )


def test_an_out_that_cannot_be_written_is_an_input_error(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkdtemp", denied)
    with pytest.raises(InputError, match=r"--out .* cannot be written \(Permission denied\)"):
        _publish(tmp_path / "out", "new")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_out_is_an_input_error(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(InputError, match="cannot be written"):
            _publish(out, "new")
    finally:
        out.chmod(0o755)


# ------------------------------------------------------------- CSV dialects


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8-sig", ","), ("utf-8", "\t"), ("utf-8", "|"), ("cp1252", ";"), ("latin-1", ",")],
)
def test_csv_dialects_and_encodings_are_read(tmp_path, encoding, sep):
    from lockerplan.inputs import read_points

    rows = [["id", "name", "lon", "lat"], ["1", "Café Sähkö", "24.9385", "60.1699"]]
    path = tmp_path / "sites.csv"
    path.write_bytes("\n".join(sep.join(r) for r in rows).encode(encoding) + b"\n")
    gdf = read_points(path, "--candidates")
    assert gdf["name"].iloc[0] == "Café Sähkö"
    assert gdf.geometry.x.iloc[0] == pytest.approx(24.9385)


# ------------------------------------------------------------------- caches


@pytest.fixture(scope="module")
def helsinki_xml(tmp_path_factory) -> Path:
    import osmium

    from lockerplan.osm import default_osm_path

    xml = tmp_path_factory.mktemp("xml") / "helsinki.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(default_osm_path())):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
    return xml


def test_the_cache_dir_holds_the_xml_conversion(tmp_path, helsinki_xml):
    from lockerplan.source import OsmFile

    cache_dir = tmp_path / "c"
    buildings = OsmFile(helsinki_xml, cache_dir=str(cache_dir)).buildings()
    assert len(buildings) > 0
    assert len(list(cache_dir.glob("*.osm.pbf"))) == 1


def test_a_damaged_conversion_in_the_cache_is_redone(tmp_path, helsinki_xml, caplog):
    """The cache's own damage is discarded with a warning, never blamed on the extract."""
    from lockerplan.osm import as_pbf, read_buildings

    cache_dir = tmp_path / "c"
    as_pbf(helsinki_xml, cache_dir).write_bytes(b"damaged" * 100)
    assert len(read_buildings(helsinki_xml, cache_dir)) > 0
    assert "damaged cache entry" in caplog.text
    assert len(read_buildings(helsinki_xml, cache_dir)) > 0  # healed for later runs


def test_a_rewritten_extract_is_read_again_in_one_process(tmp_path):
    """Same size, same mtime, new content: the in-process reader is not reused."""
    from lockerplan.osm import default_osm_path, open_osm

    path = tmp_path / "area.osm.pbf"
    shutil.copy(default_osm_path(), path)
    first = open_osm(path)
    assert open_osm(path) is first  # unchanged: reused
    st = path.stat()
    path.write_bytes(default_osm_path().read_bytes())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert open_osm(path) is not first
