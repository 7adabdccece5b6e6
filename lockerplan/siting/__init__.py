"""Siting: choose which candidate sites to open (mixed-integer programs).

Models (one function each, all returning :class:`SitingResult`):

* :func:`solve_lscp` — set covering (fewest sites / least cost covering all);
* :func:`solve_mclp` — maximal covering with N sites or a budget;
* :func:`solve_pmedian` — least parcel-weighted walking distance with N sites;
* :func:`solve_cflp` — capacitated facility location (single or split sourcing,
  unserved demand at a penalty);
* :func:`solve_attendance` — expected parcels with distance decay (:class:`Decay`).

Shared inputs: :class:`Candidates` (kind, capacity, fixed cost, forced open,
excluded) and :class:`SiteRules` (per-kind limits, budget, minimum spacing,
cutoffs per kind and per demand point). Solvers: CBC (default, bundled with PuLP)
and HiGHS, through PuLP (``via="pulp"``) or with the arrays passed straight to
HiGHS (``via="highspy"``). A solve stopped early is reported ``"feasible"`` with
its gap, never ``"optimal"``.
"""

from .milp import SOLVERS, VIAS, Milp, MilpOutcome, solve_milp, to_pulp
from .models import (
    Decay,
    nearest_open,
    solve_attendance,
    solve_cflp,
    solve_lscp,
    solve_mclp,
    solve_pmedian,
)
from .result import SitingResult
from .sites import KINDS, Candidates, SiteRules, from_dense

#: Model names, as the CLI ``--model`` option spells them.
MODELS = ("mclp", "pmedian", "lscp", "cflp", "attendance")

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
    "SitingResult",
    "from_dense",
    "nearest_open",
    "solve_attendance",
    "solve_cflp",
    "solve_lscp",
    "solve_mclp",
    "solve_milp",
    "solve_pmedian",
    "to_pulp",
]
