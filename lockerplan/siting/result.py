"""The result object every siting model returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SitingResult:
    """Outcome of a siting model.

    ``assignment`` and ``assigned_m`` are *the* allocation of the plan: which open
    site serves each demand point and how far its customers walk. Reports use them
    as they are rather than re-deriving them from a distance matrix, so that they
    always agree with the model's cutoffs (per kind and per demand point), exclusions
    and, for CFLP, capacities.

    Attributes
    ----------
    open_sites : numpy.ndarray
        Positions (rows of the distance matrix) of the candidates to open.
    covered : numpy.ndarray
        Boolean per demand point: within the cutoff of an open site.
    status : str
        ``"optimal"`` (proven), ``"feasible"`` (stopped early, by time limit or gap;
        see ``gap``), ``"infeasible"`` (see ``message``) or ``"not solved"``.
    objective : float
        The model's objective in its own units: parcels/day covered (MCLP),
        parcels/day served within the walk and the capacities (CMCLP: the sum of
        ``served``), sites or fixed cost (LSCP), parcel-metres (p-median), cost
        (CFLP), expected parcels/day (attendance).
    best_bound : float
        Best bound on the objective proven by the solver (upper for maximisation,
        lower for minimisation).
    gap : float
        Relative gap ``|objective - best_bound| / |objective|`` (0 when optimal).
    solver : str
        ``"cbc"`` or ``"highs"``.
    build_s, solve_s : float
        Model building and solving time, seconds.
    model : str
        ``"lscp"``, ``"mclp"``, ``"cmclp"``, ``"pmedian"``, ``"cflp"`` or
        ``"attendance"``.
    stats : dict
        Model size and solve statistics (variables, constraints, iterations...).
    assignment : numpy.ndarray
        Per demand point (column of the distance matrix), the open site (row) serving
        it, -1 for none. Only sites within the walking cutoffs that apply to the pair
        (``SiteRules.cutoff_per_kind``, ``SiteRules.demand_cutoff``) are ever
        assigned. Uncapacitated models (MCLP, LSCP, p-median, attendance): the
        nearest open site within those cutoffs, so ``assignment >= 0`` exactly where
        ``covered``. CFLP and CMCLP: the solver's allocation (for split demand, the
        site serving the largest share); demand the open sites leave unserved
        (capacity, reach, penalty) is -1, and demand with zero weight goes to its
        nearest open site.
    assigned_m : numpy.ndarray
        Per demand point, the walking distance to its site in ``assignment``
        (metres; NaN where ``assignment`` is -1), read from the distances after the
        cutoffs are applied.
    unserved : float
        Parcels per day that no open site serves.
    message : str
        Why the model is infeasible (in words), or notes on the solution.
    via : str
        ``"pulp"`` or ``"highspy"``.
    modules : numpy.ndarray
        Modules per open site, in ``open_sites`` order (CMCLP: the fewest that carry
        the site's served load; a pickup point is one module). Empty for models
        that do not choose modules: every open site is then one module.
    served : numpy.ndarray
        Per demand point, parcels/day the open sites actually serve (CMCLP: capacity
        may leave part of a covered point unserved). Empty for the other models:
        then all of an assigned point's parcels are served.
    load : numpy.ndarray
        Parcels/day each open site serves, in ``open_sites`` order (CMCLP; at most
        its modules' capacity). Demand may split between sites, so this is the
        site's load even where a point split between two sites counts, in
        ``assignment``, only at the one serving more of it. Empty for the other
        models.
    split : scipy.sparse.csr_matrix or None
        Under customers' choice (:func:`lockerplan.siting.mnl.solve_mnl`): open
        sites (in ``open_sites`` order) x demand columns, the share of each column's
        parcels each open site captures. None for the other models.
    """

    open_sites: np.ndarray
    covered: np.ndarray
    status: str
    objective: float
    best_bound: float
    gap: float
    solver: str
    build_s: float
    solve_s: float
    model: str = "mclp"
    stats: dict = field(default_factory=dict)
    assignment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    unserved: float = 0.0
    message: str = ""
    via: str = "pulp"
    assigned_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    modules: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    served: np.ndarray = field(default_factory=lambda: np.zeros(0))
    load: np.ndarray = field(default_factory=lambda: np.zeros(0))
    split: Any = None

    @property
    def seconds(self) -> float:
        """Build plus solve time."""
        return self.build_s + self.solve_s

    @property
    def is_optimal(self) -> bool:
        """Whether optimality was proven."""
        return self.status == "optimal"


@dataclass
class Outcome:
    """What a model's solve found, before :func:`lockerplan.siting._common.make_result`
    reads it back over the prepared distances into a :class:`SitingResult`.

    Attributes
    ----------
    model : str
        The model's name (a key of :data:`lockerplan.siting.MODELS`).
    open_sites : numpy.ndarray
        Rows of the candidates to open.
    status, objective, bound, gap
        As in :class:`SitingResult` (``bound`` is its ``best_bound``).
    build_s, solve_s : float
        Seconds to build and to solve the model.
    stats : dict
        Model size and solve statistics.
    assignment : numpy.ndarray, optional
        The solver's allocation per demand column (-1: none); without it every
        column goes to its nearest open site within the cutoffs.
    unserved : float
        Parcels per day no open site serves.
    message : str
        Why infeasible, or notes.
    modules, load : numpy.ndarray, optional
        Per open site: its modules and its load (models that decide them).
    served : numpy.ndarray, optional
        Per demand column: parcels served (models whose capacities may turn some away).
    """

    model: str
    open_sites: np.ndarray
    status: str
    objective: float
    bound: float
    gap: float
    build_s: float = 0.0
    solve_s: float = 0.0
    stats: dict = field(default_factory=dict)
    assignment: np.ndarray | None = None
    unserved: float = 0.0
    message: str = ""
    modules: np.ndarray | None = None
    served: np.ndarray | None = None
    load: np.ndarray | None = None


def failed(
    model: str, status: str, message: str, n_dem: int, solver: str, via: str, **times
) -> SitingResult:
    """A result with no solution (infeasible or not solved)."""
    return SitingResult(
        np.zeros(0, dtype=int),
        np.zeros(n_dem, dtype=bool),
        status,
        np.nan,
        np.nan,
        np.nan,
        solver,
        times.get("build_s", 0.0),
        times.get("solve_s", 0.0),
        model=model,
        assignment=np.full(n_dem, -1),
        assigned_m=np.full(n_dem, np.nan),
        message=message,
        via=via,
        stats=times.get("stats", {}),
    )
