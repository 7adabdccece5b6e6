"""An LP relaxation kept alive in HiGHS (:class:`WarmLp`), for cutting-plane loops: rows
and columns are added and the LP solved again from where it stopped.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .milp import Milp, highs_options


class WarmLp:
    """The LP relaxation of a :class:`Milp` kept alive in HiGHS, for cutting-plane loops.

    Rows added with :meth:`add_rows` are warm-started by the dual simplex, so each
    round costs a few pivots instead of a cold solve.

    Examples
    --------
    >>> from lockerplan.siting.milp import MilpBuilder
    >>> b = MilpBuilder()
    >>> y = b.add_columns("y", cost=[1.0, 1.0], integer=True)
    >>> lp = WarmLp(b.build())
    >>> lp.add_rows([0, 0], [0, 1], [1.0, 1.0], lo=[1.5], hi=[np.inf])
    >>> round(lp.run()[1], 6)
    1.5
    """

    def __init__(self, milp: Milp, seed: int = 0, threads: int = 1):
        import highspy

        self._hs = highspy
        self.h = highspy.Highs()
        highs_options(self.h, 1e9, 0.0, seed, threads)
        relaxed = Milp(
            milp.c,
            milp.lb,
            milp.ub,
            np.zeros_like(milp.integer),
            milp.A,
            milp.row_lo,
            milp.row_hi,
            milp.offset,
        )
        self.milp = relaxed
        self.cost = milp.c.astype(float)
        inf = highspy.kHighsInf
        A = milp.A
        self.h.passModel(
            int(A.shape[1]),
            int(A.shape[0]),
            int(A.nnz),
            int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            milp.c.astype(float),
            np.where(np.isinf(milp.lb), -inf, milp.lb).astype(float),
            np.where(np.isinf(milp.ub), inf, milp.ub).astype(float),
            np.where(np.isinf(milp.row_lo), -inf, milp.row_lo).astype(float),
            np.where(np.isinf(milp.row_hi), inf, milp.row_hi).astype(float),
            A.indptr.astype(np.int32),
            A.indices.astype(np.int32),
            A.data.astype(float),
            np.zeros(A.shape[1], dtype=np.int32),
        )

    def add_rows(self, rows, cols, vals, lo, hi) -> None:
        """Add rows from local triplets (row 0 = first new row)."""
        inf = self._hs.kHighsInf
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        R = sparse.csr_matrix((vals, (rows, cols)), shape=(len(lo), len(self.cost)))
        self.h.addRows(
            len(lo),
            np.where(np.isinf(lo), -inf, lo),
            np.where(np.isinf(hi), inf, hi),
            int(R.nnz),
            R.indptr[:-1].astype(np.int32),
            R.indices.astype(np.int32),
            R.data.astype(float),
        )

    def add_columns(self, cost, lb, ub) -> np.ndarray:
        """Add columns without entries (give them entries with new rows); return their indices."""
        inf = self._hs.kHighsInf
        cost = np.asarray(cost, dtype=float)
        n = len(cost)
        lb = np.broadcast_to(np.asarray(lb, dtype=float), (n,))
        ub = np.broadcast_to(np.asarray(ub, dtype=float), (n,))
        self.h.addCols(
            n,
            cost,
            np.where(np.isinf(lb), -inf, lb),
            np.where(np.isinf(ub), inf, ub),
            0,
            np.zeros(n, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=float),
        )
        first = len(self.cost)
        self.cost = np.r_[self.cost, cost]
        return first + np.arange(n)

    def set_option(self, key: str, value) -> None:
        """Set a HiGHS option for the next runs (e.g. ``"solver"``)."""
        self.h.setOptionValue(key, value)

    def reduced_costs(self) -> np.ndarray:
        """Column duals (reduced costs) of the last optimal run."""
        return np.array(self.h.getSolution().col_dual)

    def run(self, time_limit_s: float = 1e9) -> tuple[bool, float, np.ndarray | None]:
        """Solve; return (optimal, objective incl. offset, x)."""
        # HiGHS checks time_limit against the object's total run time, not this run's
        spent = float(self.h.getRunTime())
        self.h.setOptionValue("time_limit", spent + float(max(time_limit_s, 0.01)))
        self.h.run()
        ok = self.h.getModelStatus() == self._hs.HighsModelStatus.kOptimal
        if not ok:
            return False, np.nan, None
        x = np.array(self.h.getSolution().col_value)
        return True, float(self.cost @ x + self.milp.offset), x
