"""Solver settings shared by every siting model: one validated, immutable object."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

SOLVERS = ("cbc", "highs")
VIAS = ("pulp", "highspy")


def check_solver(solver: str, via: str) -> None:
    """Validate the solver and path names (raise :class:`InputError`)."""
    if solver not in SOLVERS:
        raise InputError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}.")
    if via not in VIAS:
        raise InputError(f"via must be one of {', '.join(VIAS)}, got {via!r}.")
    if via == "highspy" and solver != "highs":
        raise InputError(
            f"via='highspy' passes the model straight to HiGHS; use solver='highs' "
            f"(got solver={solver!r}) or via='pulp'."
        )


def _whole(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


@dataclass(frozen=True)
class SolverOptions:
    """How to solve a siting model: solver, path into it, limits and seed.

    Every field is checked when the object is made, so a bad value fails where it
    is written, with the parameter named.

    Parameters
    ----------
    solver : {"cbc", "highs"}, default "cbc"
        MILP solver (CBC is bundled with PuLP).
    via : {"pulp", "highspy"}, default "pulp"
        Build PuLP objects, or pass the arrays straight to HiGHS (``solver="highs"``
        only; faster on large models).
    time_limit_s : float, default 60
        Wall-clock limit for the whole solve, seconds (> 0). A solve stopped by it
        is reported ``"feasible"`` with its gap.
    gap_rel : float, default 0
        Relative gap in ``[0, 1)`` at which the solver may stop (0: prove optimality).
    seed : int, default 0
        Solver random seed (whole number >= 0).
    threads : int, default 1
        Solver threads (whole number >= 1).

    Examples
    --------
    >>> SolverOptions(solver="highs", via="highspy", time_limit_s=30).time_limit_s
    30
    >>> SolverOptions(via="highspy")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: via='highspy' passes the model straight to HiGHS; use ...
    """

    solver: str = "cbc"
    via: str = "pulp"
    time_limit_s: float = 60.0
    gap_rel: float = 0.0
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        check_solver(self.solver, self.via)
        if self.solver == "highs":
            silence_highs_banner()
        t = self.time_limit_s
        if isinstance(t, bool) or not (isinstance(t, int | float | np.number) and t > 0):
            raise InputError(f"time_limit_s must be a number > 0, got {t!r}.")
        g = self.gap_rel
        if isinstance(g, bool) or not (isinstance(g, int | float | np.number) and 0 <= g < 1):
            raise InputError(f"gap_rel must be in [0, 1), got {g!r}.")
        if not (_whole(self.seed) and self.seed >= 0):
            raise InputError(f"seed must be a whole number >= 0, got {self.seed!r}.")
        if not (_whole(self.threads) and self.threads >= 1):
            raise InputError(f"threads must be a whole number >= 1, got {self.threads!r}.")


def solver_options(options: SolverOptions | None) -> SolverOptions:
    """``options``, or the defaults when it is ``None`` (raise on anything else)."""
    if options is None:
        return SolverOptions()
    if not isinstance(options, SolverOptions):
        raise InputError(
            f"options must be a SolverOptions (or None for the defaults), got "
            f"{type(options).__name__}; build one with SolverOptions(solver=..., via=...)."
        )
    return options


@functools.cache
def silence_highs_banner() -> None:
    """Make the process's first ``highspy.Highs()`` with standard output closed.

    HiGHS prints its copyright banner to the C-level standard output when the
    first solver object of a process is made, before any option can turn output
    off; made here once, quietly, it never reaches a user's terminal.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
