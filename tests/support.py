"""Where the tests find the repository and the shared benchmark data."""

from __future__ import annotations

import os
from pathlib import Path

#: The tests' folder and the repository.
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def bench_path() -> Path:
    """The shared benchmark data folder (``../shared/bench`` or ``$LOCKERPLAN_BENCH_DIR``)."""
    return Path(os.environ.get("LOCKERPLAN_BENCH_DIR", ROOT.parent / "shared" / "bench"))
