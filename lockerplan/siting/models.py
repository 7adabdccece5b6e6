"""The siting models: one function per model, all returning :class:`SitingResult`.

=================  ===========================================================
``solve_lscp``     fewest sites (or least fixed cost) covering all coverable demand
``solve_mclp``     most parcels covered with at most N sites / within a budget
``solve_pmedian``  least parcel-weighted walking distance with N sites
``solve_cflp``     fixed + assignment cost with site capacities (single or split
                   sourcing), unserved demand at a penalty
``solve_attendance``  most expected parcels when the share walking to a site
                   decays with distance (linear, exponential, power)
=================  ===========================================================

Every model takes the sparse candidate x demand walking-distance matrix (stored
entries are reachable pairs within the cutoff; a stored 0.0 is a real zero),
demand weights in parcels/day, optional :class:`Candidates` (kind, capacity, fixed
cost, forced open, excluded) and :class:`SiteRules` (limits per kind, budget,
spacing, cutoffs), and the solver options ``solver`` (``"cbc"``, ``"highs"``),
``via`` (``"pulp"`` or ``"highspy"``: arrays straight into HiGHS),
``time_limit_s``, ``gap_rel`` and ``seed``.
"""

from ._common import nearest_open
from .capacitated import solve_cflp
from .coverage import solve_lscp, solve_mclp
from .median import Decay, solve_attendance, solve_pmedian

__all__ = [
    "Decay",
    "nearest_open",
    "solve_attendance",
    "solve_cflp",
    "solve_lscp",
    "solve_mclp",
    "solve_pmedian",
]
