"""Shared fixtures: the default Helsinki plan and the benchmark data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import bench_path


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    """Keep the network cache of the test session out of the user's ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LOCKERPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    """Benchmark data; tests that need it skip when it is absent (outside users)."""
    path = bench_path()
    if not path.is_dir():
        pytest.skip(f"benchmark data not found at {path} (set LOCKERPLAN_BENCH_DIR)")
    return path


@pytest.fixture(scope="session")
def helsinki_plan():
    """The default scenario (central Helsinki, offline), planned once per test session."""
    import lockerplan

    return lockerplan.plan()


#: Fixtures of the slow runs: a browser, or a city-scale study area (Porto Alegre).
SLOW_FIXTURES = frozenset(
    {"chromium", "browser", "loaded", "porto_alegre", "porto_alegre_on_dask", "porto_alegre_html"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test of a browser or of a city-scale run (a fixture of
    :data:`SLOW_FIXTURES`, or the Porto Alegre run's worker group): ``make test-fast``
    skips them, ``make test`` runs them."""
    for item in items:
        group = item.get_closest_marker("xdist_group")
        city = group is not None and group.args[:1] == ("porto_alegre",)
        if city or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def priced_plan_dir(tmp_path_factory) -> Path:
    """The default scenario with a rival network, priced by zone (``--price-zones``) and
    written once per test session: its folder (map, GeoPackage, ``pricing.csv``, and
    the printed summary in ``stdout.txt``)."""
    from click.testing import CliRunner

    from lockerplan.cli import main

    out = tmp_path_factory.mktemp("priced")
    competitors = Path(__file__).resolve().parents[1] / "data" / "helsinki_competitors.csv"
    args = ["plan", "--out", str(out), "--price-zones", "--competitors", str(competitors)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (out / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    return out
