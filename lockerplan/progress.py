"""Progress bars: tqdm's text bar in a terminal, its widget in Jupyter when it can.

``tqdm.auto`` warns (``TqdmWarning: IProgress not found``) when imported in a
Jupyter kernel without ipywidgets, then falls back to the text bar; the fallback
is what a user wants, the warning is noise, so it is imported quietly here and
every stage takes its bar from this module.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

__all__ = ["tqdm"]
