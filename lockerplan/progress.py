"""Progress bars: tqdm's text bar in a terminal, its widget in Jupyter when it can.

Internal: the pipeline's plumbing, not public API.

``tqdm.auto`` warns (``TqdmWarning: IProgress not found``) when imported in a
Jupyter kernel without ipywidgets, then falls back to the text bar; the fallback
is what a user wants, the warning is noise, so it is imported quietly here and
every stage takes its bar from this module. :class:`StageClock` times the stages.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

__all__ = ["StageClock", "tqdm"]


class StageClock(dict):
    """Wall seconds per named stage, as a plain dict (``summary.json``'s ``stage_seconds``).

    With a ``bar`` (a tqdm bar over the stages) each stage shows its name on the
    bar while it runs and advances the bar when it ends.

    Examples
    --------
    >>> clock = StageClock()
    >>> with clock("siting"):
    ...     pass
    >>> list(clock), clock["siting"] >= 0
    (['siting'], True)
    """

    def __init__(self, *args: Any, bar: Any = None) -> None:
        super().__init__(*args)
        self.bar = bar

    @contextlib.contextmanager
    def __call__(self, stage: str, step: bool = True) -> Iterator[None]:
        """Time the block and add its seconds to ``stage``; ``step``: advance the bar."""
        if self.bar is not None:
            self.bar.set_postfix_str(stage)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self[stage] = round(self.get(stage, 0.0) + time.perf_counter() - t0, 3)
        if self.bar is not None and step:
            self.bar.update(1)
