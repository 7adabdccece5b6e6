"""The Porto Alegre plan, made once per test session by the command a planner runs.

City scale (1,115 demand points on a real population grid, 1,030 candidates,
100 sites): ``tests/test_city.py`` checks the command's figures, ``tests/test_maps.py``
bounds the map's size, ``tests/test_map_browser.py`` its load time. One run of
``lockerplan plan`` serves them all. Skipped when the benchmark data
(``../shared/bench/osm``) is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: The plan of the test suite and of the README's figures.
OPTIONS = {"sites": 100, "walk_m": 500}

_MADE: dict[str, Any] = {}


def osm_path(bench_dir: Path) -> Path:
    """The Porto Alegre extract (skips the test when the benchmark data is absent)."""
    osm = bench_dir / "osm" / "porto_alegre_2020.osm.pbf"
    grid = bench_dir / "osm" / "porto_alegre_hexgrid_population.csv"
    if not (osm.is_file() and grid.is_file()):
        pytest.skip(f"Porto Alegre data not found in {bench_dir / 'osm'}")
    return osm


def porto_alegre_run(bench_dir: Path, tmp_path_factory: Any) -> dict[str, Any]:
    """``{"stdout", "folder", "html"}`` of ``lockerplan plan``, run on the first call.

    The command writes the GeoPackage and the CSV layers (``--formats gpkg,csv``).
    """
    if "run" not in _MADE:
        from click.testing import CliRunner

        from lockerplan.cli import main

        osm = osm_path(bench_dir)
        grid = osm.parent / "porto_alegre_hexgrid_population.csv"
        out = tmp_path_factory.mktemp("poa")
        args = ["plan", "--osm", str(osm), "--population", str(grid), "--out", str(out)]
        args += ["--sites", str(OPTIONS["sites"]), "--walk-m", str(OPTIONS["walk_m"])]
        result = CliRunner().invoke(main, [*args, "--formats", "gpkg,csv"])
        assert result.exit_code == 0, result.output
        _MADE["run"] = {
            "stdout": result.stdout,
            "folder": out / "porto_alegre_2020",
            "html": (out / "porto_alegre_2020.html").resolve(),
        }
    return _MADE["run"]


def porto_alegre_map(bench_dir: Path, tmp_path_factory: Any) -> Path:
    """The HTML map the command wrote."""
    return porto_alegre_run(bench_dir, tmp_path_factory)["html"]
