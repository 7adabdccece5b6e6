"""How a maximal covering model is solved: the start, and the method for its density.

Every MCLP starts from the greedy plan improved by the swap search of
:mod:`lockerplan.siting.cover_search` (:func:`strong_start`); the answer is
never worse than that start. Then one of two exact methods runs:

* ``"direct"``: the textbook MILP (one cover row per demand group) in the
  chosen solver, started from the plan;
* ``"benders"``: the decomposition of :mod:`lockerplan.siting.benders`
  (demand variables projected out, the cuts' dual bound, fixing, the
  restricted master).

Set covering (:func:`lockerplan.siting.solve_lscp`) chooses the same way
between its direct MILP and :mod:`lockerplan.siting.set_cover`.

``method="auto"`` (the default) picks ``"benders"`` where coverage is dense: at
least :data:`DENSE_PAIRS_PER_GROUP` candidate sites per demand group on
average and at least :data:`DENSE_MIN_PAIRS` pairs, under rules the
decomposition handles (:func:`lockerplan.siting.benders.supports`). The choice
and the density figures are logged at INFO and kept in the result's ``stats``
(``method``, ``pairs_per_group``, ``pairs``, ``demand_groups``).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from ..errors import InputError
from .benders import supports
from .cover_search import CoverPairs, iterated_local_search
from .options import SolverOptions
from .set_cover import supports as cover_supports
from .sites import Candidates, SiteRules

log = logging.getLogger(__name__)

#: The ways :func:`lockerplan.siting.solve_mclp` may be solved.
METHODS = ("auto", "direct", "benders")
#: Candidate sites per demand group from which ``"auto"`` takes the decomposition.
#: Measured: Greater Porto's metro MCLP (9,674 groups x 5,000 candidates, under 10
#: sites per group) is proven by the direct MILP in seconds; the street-corner
#: instances of Máximo et al. (2017) at 400 m (25-30 sites per point) and 800 m
#: (88-107) leave the direct MILP at its root LP within 60 s at 800 m.
DENSE_PAIRS_PER_GROUP = 20.0
#: Pairs (site, demand group) below which the direct MILP is always used: small
#: models are proven by it at once.
DENSE_MIN_PAIRS = 50_000
#: Share of the time limit the swap search may take (at most ``START_MAX_S`` seconds).
START_SHARE, START_MAX_S = 0.1, 10.0


def check_method(method: str) -> None:
    """Raise :class:`InputError` unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")


def choose(
    method: str, n_groups: int, n_pairs: int, rules: SiteRules, model: str = "mclp"
) -> tuple[str, dict]:
    """The method to run for ``model`` (``"mclp"`` or ``"lscp"``) and the figures it
    was chosen on (for ``stats``).

    Examples
    --------
    >>> choose("auto", 1000, 60_000, SiteRules(max_sites=10))
    ('benders', {'method': 'benders', 'pairs': 60000, 'demand_groups': 1000, 'pairs_per_group': 60.0})
    >>> choose("auto", 1000, 60_000, SiteRules(budget=5.0))[0]
    'direct'
    >>> choose("auto", 1000, 60_000, SiteRules(), model="lscp")[0]
    'benders'
    """
    per_group = n_pairs / max(n_groups, 1)
    handled = supports(rules) if model == "mclp" else cover_supports(rules)
    chosen = method
    if method == "auto":
        dense = per_group >= DENSE_PAIRS_PER_GROUP and n_pairs >= DENSE_MIN_PAIRS
        chosen = "benders" if dense and handled else "direct"
    elif method == "benders" and not handled:
        kept = "a site count with per-kind limits, " if model == "mclp" else ""
        raise InputError(
            f"method='benders' for {model} handles {kept}forced and excluded sites; drop "
            "the other site rules or use method='direct'."
        )
    figures = {
        "method": chosen,
        "pairs": int(n_pairs),
        "demand_groups": int(n_groups),
        "pairs_per_group": round(per_group, 2),
    }
    log.info(
        "%s: %s (%d pairs over %d demand groups, %.1f sites per group)",
        model,
        chosen,
        n_pairs,
        n_groups,
        per_group,
    )
    return chosen, figures


def strong_start(
    pairs: CoverPairs,
    greedy: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    options: SolverOptions,
) -> tuple[np.ndarray, dict]:
    """The greedy plan improved by the iterated swap search (never covering less).

    The search gets ``START_SHARE`` of the time limit, at most ``START_MAX_S``
    seconds, and the options' seed.
    """
    seconds = min(START_SHARE * options.time_limit_s, START_MAX_S)
    t0 = time.perf_counter()
    mask, stats = iterated_local_search(
        pairs, greedy, cands, rules, seed=options.seed, time_limit_s=seconds
    )
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return mask, stats
