"""The siting models: one function per model, all returning :class:`SitingResult`.

=================  ===========================================================
``solve_lscp``     fewest sites (or least fixed cost) covering all coverable demand
``solve_mclp``     most parcels covered with at most N sites / within a budget
``solve_cmclp``    most parcels served within the walk and the site capacities,
                   cabinet modules per site decided (at most N sites / a budget)
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
spacing, cutoffs), and one :class:`SolverOptions` (solver ``"cbc"`` or
``"highs"``, ``via`` ``"pulp"`` or ``"highspy"``: arrays straight into HiGHS,
``time_limit_s``, ``gap_rel``, ``seed``).

:data:`MODELS` lists them by the name the CLI's ``--model`` uses, with what a
pipeline needs to run any of them the same way::

    spec = MODELS[name]
    result = spec.solve(D, w, candidates=cands, rules=rules, options=options,
                        **spec.arguments(settings))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._common import assigned_distances, nearest_open
from .capacitated import solve_cflp
from .coverage import solve_lscp, solve_mclp
from .median import Decay, solve_attendance, solve_pmedian
from .modular import solve_cmclp
from .result import SitingResult


@dataclass(frozen=True)
class SitingModel:
    """One siting model: its function and how settings map onto its arguments.

    Attributes
    ----------
    solve : callable
        ``solve(distances, weights, *, candidates, rules, options, **arguments)``
        returning :class:`SitingResult`.
    help : str
        One sentence, shown by ``lockerplan plan --help`` for ``--model``.
    arguments : callable
        ``arguments(settings) -> dict``: the model's own keyword arguments, read
        from the attributes of a settings object (a ``Scenario``: ``sites``,
        ``walk_m``, ``lscp_minimise``, ``walk_cost_per_parcel_km``,
        ``single_source``, ``decay``, ``decay_scale_m``, ``decay_beta``,
        ``max_modules``).
    uses_sites : bool
        Whether the settings' ``sites`` (N) limits the open sites.
    objective : str
        What ``SitingResult.objective`` measures: ``"coverage"`` (parcels/day
        within the walk; for cmclp, served within the capacities too), ``"sites"``
        (sites or their fixed cost), ``"distance"`` (parcel-metres/day), ``"cost"``
        (fixed + walking cost) or ``"expected"`` (expected parcels/day).
    capacitated : bool, default False
        Whether the sites' capacities bind the allocation: the covered parcels are
        within capacity (the summary says "within the walk and capacity").
    decomposable : bool, default False
        Whether the model splits exactly into regions that share no demand when the
        number of sites is the only rule coupling them (:mod:`lockerplan.regions`).
    modules : bool, default False
        Whether the model decides cabinet modules per site (``SitingResult.modules``,
        ``load`` and ``served``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> MODELS["pmedian"].arguments(SimpleNamespace(sites=4, walk_m=500.0))
    {'n_sites': 4, 'unserved_penalty': 500.0}
    >>> [name for name, m in MODELS.items() if m.coverage]
    ['mclp', 'cmclp']
    """

    solve: Callable[..., SitingResult]
    help: str
    arguments: Callable[[Any], dict[str, Any]]
    uses_sites: bool
    objective: str
    capacitated: bool = False
    decomposable: bool = False
    modules: bool = False

    @property
    def coverage(self) -> bool:
        """Whether the objective is parcels covered (the roll-out compares it with its
        optimum)."""
        return self.objective == "coverage"

    @property
    def maximises(self) -> bool:
        """Whether the objective is maximised (coverage, expected parcels)."""
        return self.objective in ("coverage", "expected")


def _cflp_arguments(s: Any) -> dict[str, Any]:
    return {
        "cost_per_parcel_m": s.walk_cost_per_parcel_km / 1000,
        "single_source": s.single_source,
    }


def _attendance_arguments(s: Any) -> dict[str, Any]:
    return {"max_sites": s.sites, "decay": Decay(s.decay, s.decay_scale_m, s.decay_beta)}


#: The models by the name the CLI's ``--model`` uses, with their traits (the
#: scenario's ``model`` field names the default).
MODELS: dict[str, SitingModel] = {
    "mclp": SitingModel(
        solve_mclp,
        "Most parcels within the walk of at most N sites.",
        lambda s: {"max_sites": s.sites},
        True,
        "coverage",
        decomposable=True,
    ),
    "pmedian": SitingModel(
        solve_pmedian,
        "Least parcel-weighted walking with N sites.",
        # demand no open site reaches within the cutoff counts as walking the cutoff
        lambda s: {"n_sites": s.sites, "unserved_penalty": s.walk_m},
        True,
        "distance",
    ),
    "lscp": SitingModel(
        solve_lscp,
        "Fewest sites (or least fixed cost) covering all demand within the walk.",
        lambda s: {"minimise": s.lscp_minimise},
        False,
        "sites",
        decomposable=True,
    ),
    "cflp": SitingModel(
        solve_cflp,
        "Capacitated sites at the least fixed plus walking cost.",
        _cflp_arguments,
        False,
        "cost",
        capacitated=True,
    ),
    "attendance": SitingModel(
        solve_attendance,
        "Most expected parcels when the share walking to a site decays with distance.",
        _attendance_arguments,
        True,
        "expected",
    ),
    "cmclp": SitingModel(
        solve_cmclp,
        "Most parcels served within the walk and within site capacity (cabinet modules "
        "per site decided), with at most N sites.",
        lambda s: {"max_sites": s.sites, "max_modules": s.max_modules},
        True,
        "coverage",
        capacitated=True,
        decomposable=True,
        modules=True,
    ),
}

__all__ = [
    "MODELS",
    "Decay",
    "SitingModel",
    "assigned_distances",
    "nearest_open",
    "solve_attendance",
    "solve_cflp",
    "solve_cmclp",
    "solve_lscp",
    "solve_mclp",
    "solve_pmedian",
]
