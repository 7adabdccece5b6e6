"""A small array MILP and the two ways to solve it: through PuLP, or straight into HiGHS.

Every siting model is first written as arrays (:class:`Milp`): objective, bounds,
integrality and a sparse row-wise constraint matrix. :func:`solve_milp` then either

* converts it to a :class:`pulp.LpProblem` (``via="pulp"``; the object users can
  inspect and extend) and solves it with CBC or HiGHS, or
* passes the arrays to ``highspy`` in one call (``via="highspy"``), which skips
  the Python objects that dominate the run time of large models.

Both paths solve the same arrays, so they reach the same optimum.

Status is honest: ``"optimal"`` only when the solver proved it (gap closed to the
requested tolerance); a solve stopped by its time limit with an incumbent is
``"feasible"`` and carries the solver's best bound. PuLP reports status 1
("Optimal") for a time-limited CBC incumbent, so CBC is run here as a subprocess
whose log is read, and the time limit is enforced with a hard deadline (CBC can
overrun its own ``sec`` limit outside branch-and-bound).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from .options import SolverOptions, solver_options

if TYPE_CHECKING:  # pragma: no cover
    import pulp  # imported where used: `lockerplan --help` stays light


log = logging.getLogger(__name__)


#: Relative gap under which a solve counts as proven optimal.
PROVEN_GAP = 1e-6


#: Seconds CBC may run past its own limit before it is killed.
CBC_GRACE_S = 5.0


#: HiGHS options when a near-optimal start is given: no primal heuristics (not even
#: the root RINS/RENS/reduced-cost sub-MIPs and feasibility jump, which ignore
#: ``mip_heuristic_effort``), no presolve (measured 2-3x faster on the compact
#: p-median models; the root sub-MIPs cost pmed16 a third of its CPU time), and
#: the interior point method for the MIP's LPs (the compact p-median LPs are highly
#: degenerate: pmed36's final MILP 145 -> 88 CPU s, pmed16's 10.7 -> 8.6).
STRONG_START_OPTIONS = {
    "mip_heuristic_effort": 0.0,
    "presolve": "off",
    "mip_lp_solver": "ipm",
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}


@dataclass
class Milp:
    """Minimise ``c @ x`` subject to ``row_lo <= A @ x <= row_hi``, ``lb <= x <= ub``.

    Attributes
    ----------
    c, lb, ub : numpy.ndarray
        Objective, lower and upper bounds per column.
    integer : numpy.ndarray
        Boolean per column: integer (binary when bounds are 0 and 1).
    A : scipy.sparse.csr_matrix
        Constraint matrix, one row per constraint.
    row_lo, row_hi : numpy.ndarray
        Row bounds (``-inf`` / ``inf`` for one-sided rows).
    offset : float
        Constant added to the objective.
    names : list of tuple
        ``(prefix, start, stop)`` column blocks, used to name PuLP variables.
    row_names : list of tuple
        ``(prefix, start, stop)`` row blocks, used to name PuLP constraints.
    """

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: sparse.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    offset: float = 0.0
    names: list = field(default_factory=list)
    row_names: list = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return self.A.shape


class MilpBuilder:
    """Collect column blocks and constraint rows, then freeze them into a :class:`Milp`.

    Examples
    --------
    >>> b = MilpBuilder()
    >>> y = b.add_columns("y", cost=[1.0, 1.0], integer=True)
    >>> rows = b.add_rows("cover", [0], [0], [1.0], lo=[1.0])
    >>> b.build().shape
    (1, 2)
    """

    def __init__(self) -> None:
        self._c: list[np.ndarray] = []
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._names: list[tuple[str, int, int]] = []
        self._rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._row_names: list[tuple[str, int, int]] = []
        self.n_cols = 0
        self.n_rows = 0
        self.offset = 0.0

    def add_columns(self, prefix: str, cost, lb=0.0, ub=1.0, integer: bool = False) -> np.ndarray:
        """Add a block of columns; return their indices."""
        cost = np.asarray(cost, dtype=float).ravel()
        n = cost.size
        self._c.append(cost)
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self._int.append(np.full(n, integer))
        self._names.append((prefix, self.n_cols, self.n_cols + n))
        idx = np.arange(self.n_cols, self.n_cols + n)
        self.n_cols += n
        return idx

    def add_rows(self, prefix: str, rows, cols, vals, lo=None, hi=None) -> np.ndarray:
        """Add constraint rows from triplets; ``rows`` are local (0 = first new row)."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        lo_arr = None if lo is None else np.asarray(lo, dtype=float).ravel()
        hi_arr = None if hi is None else np.asarray(hi, dtype=float).ravel()
        n = len(lo_arr) if lo_arr is not None else len(hi_arr)
        self._rows.append(
            (
                rows + self.n_rows,
                np.asarray(cols, dtype=np.int64).ravel(),
                np.asarray(vals, dtype=float).ravel(),
            )
        )
        self._lo.append(lo_arr if lo_arr is not None else np.full(n, -np.inf))
        self._hi.append(hi_arr if hi_arr is not None else np.full(n, np.inf))
        self._row_names.append((prefix, self.n_rows, self.n_rows + n))
        idx = np.arange(self.n_rows, self.n_rows + n)
        self.n_rows += n
        return idx

    def build(self) -> Milp:
        """Freeze into a :class:`Milp`."""
        if self._rows:
            r = np.concatenate([t[0] for t in self._rows])
            c = np.concatenate([t[1] for t in self._rows])
            v = np.concatenate([t[2] for t in self._rows])
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        A = sparse.csr_matrix((v, (r, c)), shape=(self.n_rows, self.n_cols))
        A.sum_duplicates()

        def cat(parts, dtype=float):
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        return Milp(
            cat(self._c),
            cat(self._lb),
            cat(self._ub),
            cat(self._int, bool),
            A,
            cat(self._lo),
            cat(self._hi),
            self.offset,
            list(self._names),
            list(self._row_names),
        )


@dataclass
class MilpOutcome:
    """What a solver returned for a :class:`Milp`.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"feasible"``, ``"infeasible"`` or ``"not solved"``.
    x : numpy.ndarray or None
        Column values of the best solution found.
    objective, bound, gap : float
        Objective of ``x`` (minimised, offset included), best lower bound, relative gap.
    build_s, solve_s : float
        Seconds to convert for the solver (PuLP objects, MPS file) and to solve.
    detail : str
        Solver's own status words.
    col_dual, row_dual : numpy.ndarray or None
        Reduced costs and row duals of an LP solved to optimality through highspy.
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    build_s: float
    solve_s: float
    detail: str = ""
    col_dual: np.ndarray | None = None
    row_dual: np.ndarray | None = None


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap ``|objective - bound| / max(|objective|, 1e-9)`` (0 if both are 0)."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return np.inf
    diff = abs(objective - bound)
    if diff <= 1e-9:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def solve_milp(
    milp: Milp,
    options: SolverOptions | None = None,
    *,
    start: np.ndarray | None = None,
    strong_start: bool = False,
    highs_options: dict | None = None,
) -> MilpOutcome:
    """Solve a :class:`Milp` (minimisation) with CBC or HiGHS.

    Parameters
    ----------
    milp : Milp
        The model.
    options : SolverOptions, optional
        Solver, path (``via``), time limit (CBC is killed ``CBC_GRACE_S`` after
        it), gap, seed and threads; default ``SolverOptions()``.
    start : numpy.ndarray, optional
        A feasible solution to start from (MIP start).
    strong_start : bool
        The start is believed near-optimal: spend the time on the bound (HiGHS
        primal heuristics off), not on finding better solutions.
    highs_options : dict, optional
        Extra HiGHS options (ignored by CBC), e.g. ``{"solver": "ipm"}`` for LPs.

    Returns
    -------
    MilpOutcome

    Examples
    --------
    >>> b = MilpBuilder()
    >>> y = b.add_columns("y", cost=[3.0, 2.0], integer=True)
    >>> _ = b.add_rows("need", [0, 0], y, [1.0, 1.0], lo=[1.0])
    >>> out = solve_milp(b.build(), SolverOptions(solver="highs", via="highspy"))
    >>> out.status, out.objective
    ('optimal', 2.0)
    """
    opts = solver_options(options)
    solver, via, time_limit_s = opts.solver, opts.via, opts.time_limit_s
    gap_rel, seed, threads = opts.gap_rel, opts.seed, opts.threads
    if start is not None:
        # a start computed elsewhere (an LP, a heuristic) may overshoot a bound by
        # rounding: PuLP refuses such a value, HiGHS would reject the start
        start = np.clip(np.asarray(start, dtype=float), milp.lb, milp.ub)
    if milp.A.shape[1] == 0:
        return MilpOutcome("optimal", np.zeros(0), milp.offset, milp.offset, 0.0, 0.0, 0.0)
    if via == "highspy":
        return _solve_highspy(
            milp, time_limit_s, gap_rel, seed, start, threads, strong_start, highs_options
        )
    t0 = time.perf_counter()
    prob, xs = to_pulp(milp)
    build_s = time.perf_counter() - t0
    if solver == "cbc":
        out = _solve_cbc(prob, xs, milp, time_limit_s, gap_rel, seed, start, threads)
    else:
        out = _solve_pulp_highs(
            prob,
            xs,
            milp,
            time_limit_s,
            gap_rel,
            seed,
            start,
            threads,
            strong_start,
            highs_options,
        )
    out.build_s += build_s
    return out


def to_pulp(milp: Milp) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Convert a :class:`Milp` into a :class:`pulp.LpProblem` and its variables.

    The problem is a plain PuLP model: users can add constraints to it and solve it
    with any PuLP solver.
    """
    import pulp

    prob = pulp.LpProblem("siting", pulp.LpMinimize)
    xs: list[pulp.LpVariable] = [None] * milp.A.shape[1]  # type: ignore[list-item]
    for prefix, a, b in milp.names:
        for k in range(a, b):
            lo = None if milp.lb[k] == -np.inf else float(milp.lb[k])
            hi = None if milp.ub[k] == np.inf else float(milp.ub[k])
            cat = pulp.LpInteger if milp.integer[k] else pulp.LpContinuous
            xs[k] = pulp.LpVariable(f"{prefix}_{k - a}", lo, hi, cat)
    nz = np.flatnonzero(milp.c)
    # The constant ``milp.offset`` is left out of the PuLP objective (MPS files drop it).
    prob += pulp.LpAffineExpression([(xs[k], float(milp.c[k])) for k in nz])
    A = milp.A
    row_name = np.empty(A.shape[0], dtype=object)
    for prefix, a, b in milp.row_names:
        for r in range(a, b):
            row_name[r] = f"{prefix}_{r - a}"
    for r in range(A.shape[0]):
        s, e = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [(xs[k], float(v)) for k, v in zip(A.indices[s:e], A.data[s:e], strict=True)]
        )
        lo, hi = milp.row_lo[r], milp.row_hi[r]
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, row_name[r], float(lo))
            continue
        if lo > -np.inf:
            name = row_name[r] if hi == np.inf else f"{row_name[r]}_lo"
            prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, name, float(lo))
        if hi < np.inf:
            name = row_name[r] if lo == -np.inf else f"{row_name[r]}_hi"
            prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, name, float(hi))
    return prob, xs


def _finish(
    milp: Milp, x, proven: bool, bound: float, detail: str, build_s: float, solve_s: float
) -> MilpOutcome:
    if x is None:
        return MilpOutcome("not solved", None, np.nan, bound, np.inf, build_s, solve_s, detail)
    x = np.asarray(x, dtype=float)
    x[milp.integer] = np.round(x[milp.integer])
    objective = float(milp.c @ x + milp.offset)
    if proven and not np.isfinite(bound):
        bound = objective
    bound = min(bound, objective) if np.isfinite(bound) else -np.inf
    gap = relative_gap(objective, bound)
    status = "optimal" if proven and gap <= PROVEN_GAP else "feasible"
    if gap <= PROVEN_GAP and not proven:
        status = "optimal"  # bound meets incumbent: proven even if the solver stopped
    return MilpOutcome(status, x, objective, bound, gap, build_s, solve_s, detail)


def highs_options(h, time_limit_s: float, gap_rel: float, seed: int, threads: int) -> None:
    h.setOptionValue("output_flag", bool(os.environ.get("LOCKERPLAN_SOLVER_LOG")))
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(gap_rel))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("threads", int(threads))


def _highs_outcome(
    h, milp: Milp, build_s: float, solve_s: float, n_cols: int, xs=None
) -> MilpOutcome:
    import highspy

    ms = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    detail = h.modelStatusToString(ms)
    if ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return MilpOutcome("infeasible", None, np.nan, np.nan, np.nan, build_s, solve_s, detail)
    has_x = info.primal_solution_status >= 2  # kSolutionStatusFeasible
    x = None
    if has_x and xs is None:
        x = np.array(h.getSolution().col_value[:n_cols])
    elif has_x:
        # PuLP orders HiGHS columns its own way: read values from the PuLP variables
        x = np.array([v.value() if v.value() is not None else 0.0 for v in xs])
    bound = float(info.mip_dual_bound) if milp.integer.any() else np.inf
    bound = bound + milp.offset if np.isfinite(bound) else -np.inf
    if not milp.integer.any() and ms == S.kOptimal:
        bound = np.inf  # an LP solved to optimality: its objective is the bound
    return _finish(milp, x, ms == S.kOptimal, bound, detail, build_s, solve_s)


def _solve_highspy(
    milp, time_limit_s, gap_rel, seed, start, threads, strong, extra=None
) -> MilpOutcome:
    import highspy

    t0 = time.perf_counter()
    h = highspy.Highs()
    highs_options(h, time_limit_s, gap_rel, seed, threads)
    if strong and start is not None:
        for key, value in STRONG_START_OPTIONS.items():
            h.setOptionValue(key, value)
    for key, value in (extra or {}).items():
        h.setOptionValue(key, value)
    A = milp.A
    inf = highspy.kHighsInf
    integrality = milp.integer.astype(np.int32)
    h.passModel(
        int(A.shape[1]),
        int(A.shape[0]),
        int(A.nnz),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,  # the offset is added back in _finish, as on the PuLP path
        milp.c.astype(float),
        np.where(np.isinf(milp.lb), -inf, milp.lb).astype(float),
        np.where(np.isinf(milp.ub), inf, milp.ub).astype(float),
        np.where(np.isinf(milp.row_lo), -inf, milp.row_lo).astype(float),
        np.where(np.isinf(milp.row_hi), inf, milp.row_hi).astype(float),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(float),
        integrality,
    )
    if start is not None:
        n = A.shape[1]
        h.setSolution(n, np.arange(n, dtype=np.int32), np.asarray(start, dtype=float))
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - t1
    out = _highs_outcome(h, milp, build_s, solve_s, A.shape[1])
    if not milp.integer.any() and out.status == "optimal":
        solution = h.getSolution()
        out.col_dual = np.array(solution.col_dual)  # reduced costs of the LP
        out.row_dual = np.array(solution.row_dual)
    if start is not None and _kept_the_start(h, milp):
        log.info("HiGHS returned the MIP start, not its better solution; solving without it")
        left = max(time_limit_s - solve_s, 1.0)
        again = _solve_highspy(milp, left, gap_rel, seed, None, threads, False, extra)
        if again.x is not None and again.objective <= out.objective:
            again.solve_s += solve_s
            return again
    return out


def _kept_the_start(h, milp: Milp) -> bool:
    """Whether HiGHS hands back the start although it reports a better objective.

    Seen with highspy 1.16 when presolve and a restart solve the MIP (a metro
    LSCP: objective 3,134 reported, the 3,234-site start returned).
    """
    info = h.getInfo()
    if info.primal_solution_status < 2:  # no solution at all
        return False
    x = np.asarray(h.getSolution().col_value[: milp.A.shape[1]])
    reported = float(info.objective_function_value)
    return abs(float(milp.c @ x) - reported) > 1e-6 * max(1.0, abs(reported))


def _solve_pulp_highs(
    prob, xs, milp, time_limit_s, gap_rel, seed, start, threads, strong, extra=None
):
    if start is not None:
        for var, v in zip(xs, start, strict=True):
            var.setInitialValue(float(v))
    import pulp

    opts = pulp.HiGHS(
        msg=False,
        timeLimit=float(max(time_limit_s, 0.01)),
        gapRel=float(gap_rel),
        threads=threads,
        random_seed=int(seed),
        warmStart=start is not None,
        **(STRONG_START_OPTIONS if strong and start is not None else {}),
        **(extra or {}),
    )
    t1 = time.perf_counter()
    prob.solve(opts)
    solve_s = time.perf_counter() - t1
    return _highs_outcome(prob.solverModel, milp, 0.0, solve_s, len(xs), xs=xs)


_CBC_RESULT = re.compile(r"Result - (.*)")


_CBC_OBJ = re.compile(r"Objective value:\s*(\S+)")


_CBC_LB = re.compile(r"Lower bound:\s*(\S+)")


def _solve_cbc(prob, xs, milp, time_limit_s, gap_rel, seed, start, threads) -> MilpOutcome:
    import pulp

    cbc = pulp.PULP_CBC_CMD(msg=False)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lockerplan-cbc-") as tmp:
        mps, sol, mst = (os.path.join(tmp, f"m.{e}") for e in ("mps", "sol", "mst"))
        vs, var_names, con_names, _ = prob.writeMPS(mps, rename=1)
        args = [cbc.path, mps, "-sec", f"{max(time_limit_s, 0.01):.3f}"]
        args += ["-ratio", repr(float(gap_rel)), "-randomCbcSeed", str(seed + 1)]
        args += ["-threads", str(threads)]
        if start is not None:
            for var, v in zip(xs, start, strict=True):
                var.setInitialValue(float(v))
            cbc.writesol(mst, prob, vs, var_names, con_names)
            args += ["-mips", mst]
        args += ["-solve", "-solution", sol]
        build_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            run = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=time_limit_s + CBC_GRACE_S,
                stdin=subprocess.DEVNULL,
            )
            stdout, killed = run.stdout, False
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            killed = True
        solve_s = time.perf_counter() - t1
        m = _CBC_RESULT.search(stdout)
        detail = m.group(1).strip() if m else ("killed at time limit" if killed else "")
        if not m and "Problem is infeasible" in stdout:
            detail = "Problem is infeasible (presolve)"
        if not killed and os.path.exists(sol):
            with open(sol) as f:
                if f.readline().startswith("Infeasible"):
                    detail = detail or "Infeasible"
                    detail = detail if "nfeasible" in detail else "Infeasible"
        if "infeasible" in detail.lower():
            return MilpOutcome("infeasible", None, np.nan, np.nan, np.nan, build_s, solve_s, detail)
        lb = _CBC_LB.search(stdout)
        bound = float(lb.group(1)) if lb else -np.inf
        x = None
        lp_optimal = False
        if not killed and os.path.exists(sol):
            status, values, _, _, _, sol_status = cbc.readsol_MPS(
                sol, prob, vs, var_names, con_names
            )
            lp_optimal = not milp.integer.any() and status == pulp.LpStatusOptimal
            if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
                x = np.array([values.get(v.name, 0.0) for v in xs], dtype=float)
        if x is None and start is not None:
            x = np.asarray(start, dtype=float)  # killed or no incumbent: keep the start
        proven = detail.startswith("Optimal solution found") and "gap" not in detail.lower()
        proven = proven or lp_optimal
        if proven:
            bound = np.inf  # CBC's "Lower bound" line is absent when proven
        if bound is not None and np.isfinite(bound):
            bound += milp.offset
        return _finish(milp, x, proven, bound, detail, build_s, solve_s)
