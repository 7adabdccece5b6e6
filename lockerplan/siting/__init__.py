"""Siting: choose which candidate sites to open (mixed-integer programs).

Models (one function each, all returning :class:`SitingResult`):

* :func:`solve_lscp` — set covering (fewest sites / least cost covering all);
* :func:`solve_mclp` — maximal covering with N sites or a budget;
* :func:`solve_cmclp` — capacitated maximal covering, cabinet modules per site
  decided (most parcels served within the walk and the capacities);
* :func:`solve_pmedian` — least parcel-weighted walking distance with N sites;
* :func:`solve_cflp` — capacitated facility location (single or split sourcing,
  unserved demand at a penalty);
* :func:`solve_attendance` — expected parcels with distance decay (:class:`Decay`).

Shared inputs: :class:`Candidates` (kind, capacity, fixed cost, forced open,
excluded) and :class:`SiteRules` (per-kind limits, budget, minimum spacing,
cutoffs per kind and per demand point). Solver settings: one
:class:`SolverOptions` — CBC (default, bundled with PuLP) or HiGHS, through PuLP
(``via="pulp"``) or with the arrays passed straight to HiGHS (``via="highspy"``),
time limit, gap, seed. A solve stopped early is reported ``"feasible"`` with its
gap, never ``"optimal"``. :data:`MODELS` maps each ``--model`` name to its
:class:`SitingModel` (function, help, arguments from settings).
"""

from .milp import Milp, MilpOutcome, solve_milp, to_pulp
from .models import (
    MODELS,
    Decay,
    SitingModel,
    assigned_distances,
    nearest_open,
    solve_attendance,
    solve_cflp,
    solve_cmclp,
    solve_lscp,
    solve_mclp,
    solve_pmedian,
)
from .options import SOLVERS, VIAS, SolverOptions
from .result import SitingResult
from .sites import KINDS, Candidates, SiteRules, from_dense

__all__ = [
    "KINDS",
    "MODELS",
    "SOLVERS",
    "VIAS",
    "Candidates",
    "Decay",
    "Milp",
    "MilpOutcome",
    "SiteRules",
    "SitingModel",
    "SitingResult",
    "SolverOptions",
    "from_dense",
    "assigned_distances",
    "nearest_open",
    "solve_attendance",
    "solve_cflp",
    "solve_cmclp",
    "solve_lscp",
    "solve_mclp",
    "solve_milp",
    "solve_pmedian",
    "to_pulp",
]
