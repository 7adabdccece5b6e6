"""Shared fixtures: the default Helsinki plan and the benchmark data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench_path() -> Path:
    """The shared benchmark data folder (``../shared/bench`` or ``$LOCKERPLAN_BENCH_DIR``)."""
    return Path(os.environ.get("LOCKERPLAN_BENCH_DIR", ROOT.parent / "shared" / "bench"))


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
