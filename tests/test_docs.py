"""The documentation: the site builds offline with --strict, its command-line reference
says what --help says, --help says what a plan writes, and the pages speak of the
project alone."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import subprocess
import sys

import pyogrio
import pytest
from click.testing import CliRunner

import lockerplan
from lockerplan.cli import main
from lockerplan.reference import cell, cli_markdown, option_rows, settings_markdown
from lockerplan.scenario import scenario_fields
from tests.support import ROOT

DOCS = ROOT / "docs"


def _help(command: str) -> str:
    """``lockerplan COMMAND --help`` with its wrapping undone."""
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    return _flat(result.output)


def _flat(text: str) -> str:
    """Whitespace collapsed and words broken at a hyphen joined again."""
    return re.sub(r"- (?=\w)", "-", " ".join(text.split()))


def _mkdocs() -> None:
    if importlib.util.find_spec("mkdocs") is None:
        reason = "MkDocs is not installed: pip install -e '.[docs]' (make test installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_the_site_builds_strict_and_offline(tmp_path):
    """A broken link, a page left out of the nav, or a docstring the API reference
    cannot render is a warning, and --strict turns warnings into a failed build."""
    _mkdocs()
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "--walk-m METRES" in cli and "<!-- reference: cli -->" not in cli
    settings = (site / "reference" / "settings" / "index.html").read_text(encoding="utf-8")
    assert "routing.van_capacity" in settings and "WALK_SPEED_KMH" in settings
    api = (site / "api" / "siting" / "index.html").read_text(encoding="utf-8")
    assert "solve_mclp" in api and ":func:" not in api  # roles shown as code
    # nothing fetched from the web at view time: fonts off, no CDN
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis" not in index


@pytest.mark.parametrize("command", sorted(main.commands))
def test_the_cli_reference_says_what_help_says(command):
    help_text = _help(command)
    page = cli_markdown()
    rows = list(option_rows(main.commands[command]))
    listed = {spelling for _, spelling, _, _ in rows}
    for _, spelling, text, default in rows:
        assert _flat(spelling) in help_text, spelling
        assert _flat(text) in help_text, spelling
        if default:
            assert f"[default: {_flat(default)}]" in help_text, spelling
        assert f"`{cell(spelling)}`" in page, spelling
    # and every option of --help is in the reference
    shown = re.findall(r"^  (-[^\s,]+(?:, --?[^\s]+)?(?: [^\s]+)?)", _raw_help(command), re.M)
    options = {s.split(" ")[0].rstrip(",") for s in shown} - {"--help", "-h,"}
    spelled = {s.split(" ")[0].rstrip(",") for s in listed}
    assert options - {"-h"} <= spelled


def _raw_help(command: str) -> str:
    return CliRunner().invoke(main, [command, "--help"], terminal_width=200).output


def test_every_setting_is_on_the_settings_page_with_its_default():
    page = settings_markdown()
    for name, (section, f) in scenario_fields().items():
        key = name if f.metadata["top"] else f"{section}.{name}"
        assert f"| `{key}` |" in page, key


def test_every_public_module_has_an_api_page_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for module in lockerplan.PUBLIC_MODULES:
        page = DOCS / "api" / f"{module}.md"
        assert page.is_file(), page
        assert f"::: lockerplan.{module}" in page.read_text(encoding="utf-8")
        assert f"api/{module}.md" in nav, module


def test_plan_help_names_what_a_plan_writes_and_what_formats_adds(helsinki_plan, tmp_path):
    help_text = _help("plan")
    name = helsinki_plan.name
    paths = helsinki_plan.save(tmp_path / "default")
    written = sorted(p.name.replace(name, "NAME") for p in paths["folder"].iterdir())
    assert written == ["NAME.gpkg", "dropped.csv", "route_stops.csv", "summary.json"]
    assert all(f in help_text for f in written) and "OUT/NAME.html" in help_text
    layers = [layer for layer, _ in pyogrio.list_layers(paths["gpkg"])]
    assert all(layer in help_text for layer in layers)
    assert "--formats gpkg,csv,geojson adds LAYER.csv and LAYER.geojson" in help_text
    scenario = helsinki_plan.scenario.replace(formats="csv,geojson")
    more = dataclasses.replace(helsinki_plan, scenario=scenario).save(tmp_path / "more")
    added = {p.name for p in more["folder"].iterdir()} - {p.name for p in paths["folder"].iterdir()}
    assert added == {f"{layer}.{ext}" for layer in layers for ext in ("csv", "geojson")}


#: What the pages never speak of: how the work on the project was organised.
_OFF_TOPIC = re.compile(
    r"this session|other sessions|helpers?'|\bhelpers\b|issue \d+|shared/bench|\.\./shared|"
    r"shared lock",
    re.I,
)


def test_the_pages_speak_of_the_project_alone():
    pages = [ROOT / "README.md", ROOT / "data" / "README.md", *DOCS.rglob("*.md")]
    found = {
        str(p.relative_to(ROOT)): _OFF_TOPIC.findall(p.read_text(encoding="utf-8")) for p in pages
    }
    assert {k: v for k, v in found.items() if v} == {}


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).is_file(), link
