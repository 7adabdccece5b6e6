"""Siting: choose which candidate sites to open with a mixed-integer program (PuLP).

Maximal covering location problem (MCLP)
----------------------------------------
Given walking distances ``d[j, i]`` from candidate ``j`` to demand cluster ``i``
(only pairs within the cutoff exist), parcels ``w[i]`` and at most ``N`` sites::

    maximise    sum_i w[i] z[i]
    subject to  z[i] <= sum_{j : d[j, i] <= cutoff} y[j]     for every demand i
                sum_j y[j] <= N
                y, z binary

A variable ``z[i]`` exists only for demand that some candidate can cover, so the
model stays sparse. After the solve, open sites that cover nothing on their own
are closed again (the coverage stays optimal; the plan gets no useless sites).

The result always states the solver status and the optimality gap: a solve stopped
by its time limit is reported as ``"feasible"`` with the gap to the LP bound, never
as optimal.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pulp
from scipy import sparse

from .errors import InputError

log = logging.getLogger(__name__)

SOLVERS = ("cbc", "highs")


@dataclass
class SitingResult:
    """Outcome of a siting model.

    Attributes
    ----------
    open_sites : numpy.ndarray
        Positions (rows of the distance matrix) of the candidates to open.
    covered : numpy.ndarray
        Boolean per demand cluster: within the cutoff of an open site.
    status : str
        ``"optimal"``, ``"feasible"`` (stopped early; see ``gap``), ``"infeasible"``
        or ``"not solved"``.
    objective : float
        Parcels per day covered.
    best_bound : float
        Best upper bound on the objective known to the solver.
    gap : float
        Relative gap ``(best_bound - objective) / best_bound`` (0 when optimal).
    solver : str
        Solver used.
    build_s, solve_s : float
        Model building and solving time, seconds.
    model : str
        Name of the model (``"mclp"``).
    stats : dict
        Model size: variables, constraints.
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


def _solver(name: str, time_limit_s: float, gap_rel: float, seed: int) -> pulp.LpSolver:
    if name == "cbc":
        return pulp.PULP_CBC_CMD(
            msg=False, timeLimit=time_limit_s, gapRel=gap_rel, options=[f"randomSeed {seed + 1}"]
        )
    return pulp.HiGHS(
        msg=False, timeLimit=time_limit_s, gapRel=gap_rel, threads=1, random_seed=seed
    )


def solve_mclp(
    distances: sparse.csr_matrix,
    weights: np.ndarray,
    max_sites: int,
    *,
    solver: str = "cbc",
    time_limit_s: float = 60.0,
    gap_rel: float = 0.0,
    seed: int = 0,
) -> SitingResult:
    """Solve the maximal covering location problem.

    Parameters
    ----------
    distances : scipy.sparse.csr_matrix
        Candidate x demand walking distances; every stored entry is a pair within the
        cutoff (as from :func:`lockerplan.distances.walking_distance_matrix`).
    weights : numpy.ndarray
        Parcels per day of each demand cluster.
    max_sites : int
        Open at most this many sites (``>= 1``).
    solver : {"cbc", "highs"}, default "cbc"
        CBC ships with PuLP; HiGHS comes from ``highspy``.
    time_limit_s : float, default 60
        Solver time limit, seconds.
    gap_rel : float, default 0
        Relative optimality gap at which the solver may stop.
    seed : int, default 0
        Solver random seed.

    Returns
    -------
    SitingResult

    Examples
    --------
    >>> from scipy import sparse
    >>> D = sparse.csr_matrix(([100.0, 50.0, 80.0], ([0, 1, 1], [0, 1, 2])), shape=(2, 3))
    >>> result = solve_mclp(D, np.array([5.0, 1.0, 2.0]), max_sites=1)
    >>> result.status, result.objective, list(result.open_sites)
    ('optimal', 5.0, [0])
    """
    if isinstance(max_sites, bool) or not isinstance(max_sites, int | np.integer) or max_sites < 1:
        raise InputError(f"sites must be a whole number >= 1, got {max_sites!r}.")
    if solver not in SOLVERS:
        raise InputError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}.")
    weights = np.asarray(weights, dtype=float)
    n_cand, n_dem = distances.shape
    if weights.shape != (n_dem,):
        raise InputError(
            f"weights must have one value per demand column ({n_dem}), got {weights.shape}."
        )
    t0 = time.perf_counter()
    cover = distances.tocsc()  # column i lists the candidates within reach of demand i
    coverable = np.flatnonzero(np.diff(cover.indptr) > 0)
    useful_rows = np.flatnonzero(np.diff(distances.indptr) > 0)
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    y = {j: pulp.LpVariable(f"y_{j}", cat=pulp.LpBinary) for j in useful_rows}
    z = {i: pulp.LpVariable(f"z_{i}", lowBound=0, upBound=1) for i in coverable}
    # z may be continuous: with binary y the optimum sets z[i] = 1 exactly when covered.
    prob += pulp.lpSum(weights[i] * z[i] for i in coverable)
    for i in coverable:
        rows = cover.indices[cover.indptr[i] : cover.indptr[i + 1]]
        prob += z[i] <= pulp.lpSum(y[j] for j in rows), f"cover_{i}"
    prob += pulp.lpSum(y.values()) <= max_sites, "max_sites"
    build_s = time.perf_counter() - t0
    stats = {
        "variables": len(y) + len(z),
        "constraints": len(coverable) + 1,
        "coverable_demand": len(coverable),
    }
    if not y:
        return SitingResult(
            np.array([], dtype=int),
            np.zeros(n_dem, bool),
            "optimal",
            0.0,
            0.0,
            0.0,
            solver,
            build_s,
            0.0,
            stats=stats,
        )
    t1 = time.perf_counter()
    prob.solve(_solver(solver, time_limit_s, gap_rel, seed))
    solve_s = time.perf_counter() - t1
    status_code, sol_code = prob.status, prob.sol_status
    if status_code == pulp.LpStatusInfeasible:
        return SitingResult(
            np.array([], dtype=int),
            np.zeros(n_dem, bool),
            "infeasible",
            np.nan,
            np.nan,
            np.nan,
            solver,
            build_s,
            solve_s,
            stats=stats,
        )
    if sol_code not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return SitingResult(
            np.array([], dtype=int),
            np.zeros(n_dem, bool),
            "not solved",
            np.nan,
            np.nan,
            np.nan,
            solver,
            build_s,
            solve_s,
            stats=stats,
        )
    chosen = np.array(sorted(j for j, var in y.items() if (var.value() or 0) > 0.5), dtype=int)
    chosen = _drop_redundant(cover, chosen, weights)
    covered = _covered(distances, chosen, n_dem)
    objective = float(weights[covered].sum())
    if sol_code == pulp.LpSolutionOptimal and gap_rel == 0:
        status, bound = "optimal", objective
    else:
        # Stopped early (time limit or gap): the LP relaxation is a valid upper bound.
        status = "optimal" if sol_code == pulp.LpSolutionOptimal else "feasible"
        relaxed = prob.deepcopy()
        for var in relaxed.variables():
            var.cat = pulp.LpContinuous
        relaxed.solve(_solver(solver, time_limit_s, 0.0, seed))
        bound = max(objective, float(pulp.value(relaxed.objective) or objective))
    gap = (bound - objective) / bound if bound > 0 else 0.0
    log.info(
        "siting (mclp, %s): %s, %d sites open, %.1f parcels/day covered, gap %.2f %%, %.2f s",
        solver,
        status,
        len(chosen),
        objective,
        100 * gap,
        solve_s,
    )
    return SitingResult(
        chosen, covered, status, objective, bound, gap, solver, build_s, solve_s, stats=stats
    )


def _covered(distances: sparse.csr_matrix, sites: np.ndarray, n_dem: int) -> np.ndarray:
    covered = np.zeros(n_dem, dtype=bool)
    if len(sites):
        covered[distances[sites].indices] = True
    return covered


def _drop_redundant(
    cover: sparse.csc_matrix, chosen: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Close open sites whose every covered demand is also covered by another open site."""
    keep = list(chosen)
    counts = np.zeros(cover.shape[1], dtype=int)
    csr = cover.tocsr()
    for j in keep:
        counts[csr.indices[csr.indptr[j] : csr.indptr[j + 1]]] += 1
    # try the sites that cover the fewest parcels first
    order = sorted(
        keep, key=lambda j: weights[csr.indices[csr.indptr[j] : csr.indptr[j + 1]]].sum()
    )
    for j in order:
        members = csr.indices[csr.indptr[j] : csr.indptr[j + 1]]
        if np.all(counts[members] >= 2):
            counts[members] -= 1
            keep.remove(j)
    return np.array(sorted(keep), dtype=int)
