"""The Porto Alegre plan and its map, made once per test session for the map tests.

City scale (1,115 demand points on a real population grid, 1,030 candidates,
100 sites): ``tests/test_maps.py`` bounds the map's size, ``tests/test_map_browser.py``
its load time. Skipped when the benchmark data (``../shared/bench/osm``) is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: The plan of the test suite and of the README's figures.
OPTIONS = {"sites": 100, "walk_m": 500}

_MADE: dict[str, Any] = {}


def porto_alegre_map(bench_dir: Path, tmp_path_factory: Any) -> tuple[Any, Path]:
    """``(plan, html_path)``: planned and drawn on the first call of the session."""
    if "map" not in _MADE:
        osm = bench_dir / "osm" / "porto_alegre_2020.osm.pbf"
        grid = bench_dir / "osm" / "porto_alegre_hexgrid_population.csv"
        if not (osm.is_file() and grid.is_file()):
            pytest.skip(f"Porto Alegre data not found in {bench_dir / 'osm'}")
        import lockerplan
        from lockerplan.maps import plan_map

        plan = lockerplan.plan(osm=str(osm), population=str(grid), **OPTIONS)
        path = tmp_path_factory.mktemp("poa_map") / "porto_alegre.html"
        plan_map(plan).save(str(path))
        _MADE["map"] = (plan, path)
    return _MADE["map"]
