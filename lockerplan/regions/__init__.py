"""Country scale: the coverage models solved region by region, exactly, on Dask.

With a walking cutoff, coverage falls apart into *regions* that share no demand;
when the total number of sites is the only rule coupling them, each region's
optimum for 1, 2, ... sites is solved by the model's own function and an exact
knapsack shares the sites out: the single model's optimum.

==============  ===============================================================
``decompose``   regions, their curves, the knapsack, the result put together
``run``         the regional solves here or on Dask, and :func:`solve_regions`
==============  ===============================================================
"""

from .decompose import (
    Curve,
    RegionProblem,
    Regions,
    allocate_sites,
    knapsack,
    split_regions,
    why_not_decomposed,
)
from .run import BATCH_PAIRS, peak_mb, regional_curves, solve_regions

__all__ = [
    "BATCH_PAIRS",
    "Curve",
    "RegionProblem",
    "Regions",
    "allocate_sites",
    "knapsack",
    "peak_mb",
    "regional_curves",
    "solve_regions",
    "split_regions",
    "why_not_decomposed",
]
