"""Iterated local search for maximal covering, on the stored pairs only.

The maximal covering problem (MCLP) over demand *groups* (the columns that the
same sites reach, :func:`~lockerplan.siting.sites.demand_groups`) with weights
``w[g]`` asks for at most ``p`` open sites covering the most weight. This module
improves a plan (the greedy one) by swaps: close an open site ``r``, open a
closed site ``j``. With ``cnt[g]`` the open sites reaching group ``g``:

* opening ``j`` gains ``gain[j] = sum w[g]`` over the groups ``j`` reaches with
  ``cnt[g] = 0``;
* closing ``r`` loses ``loss[r] = sum w[g]`` over the groups ``r`` reaches with
  ``cnt[g] = 1``;
* doing both gives back ``extra[j, r] = sum w[g]`` over the groups that both
  reach and that only ``r`` covers.

So a swap changes the coverage by ``gain[j] - loss[r] + extra[j, r]``. ``extra``
is a sparse product (the pairs times the sole coverer of each singly covered
group), never a dense candidate x demand array: the fast interchange of
Whitaker (1983) and Resende & Werneck (2007) that the p-median start uses
(:func:`~lockerplan.siting.compact.heuristic`), written for coverage. Every
round applies the best swap (best improvement) until none gains.

The local optimum is then perturbed (a few random swaps) and searched again;
the better plan is kept (iterated local search, in the spirit of the ILS and
GRASP heuristics for the MCLP of Resende 1998 and Máximo, Nascimento &
Carvalho 2017). The result is never worse than the start.

Where some plan might cover every group (the LP bound is all the weight), the
search can instead *weigh the groups it leaves uncovered*
(:func:`weighted_search`): at each local optimum every uncovered group's weight
in the search grows by ``WEIGHT_BUMP`` times the mean weight, and the swaps go on
under those weights from the same plan, so groups left out again and again are
taken in at last (the row weighting of local search for set covering, e.g. Gao
et al. 2015). It stops at a plan covering every group: then no plan is better.
On Kings' 7,730 street corners at 800 m with 100 sites it covered every corner
in 10 s, where the perturbed search still left 1,676 people out after 30 s; where
no plan covers everyone (the Bronx at 800 m, 50 sites), the perturbed search
covers more.

Site rules: forced sites never close, excluded sites never open; with per-kind
limits a swap keeps the kind; with a budget a swap keeps the cost within it;
with :attr:`~lockerplan.siting.sites.SiteRules.open_with` a site opens only
next to its partner and a partner of an open site stays open. A spacing rule
is not searched: the start is returned as it is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .sites import Candidates, SiteRules, open_with_pairs, spacing_pairs

log = logging.getLogger(__name__)

#: Perturbation rounds without a better plan after which the search stops.
#: Measured on the Maximo street-corner instances (2,713-7,730 points, radius
#: 400-800 m, 50-100 sites): the best plan is found within the first 30 rounds.
ILS_PATIENCE = 30
#: Sites swapped at random by one perturbation: ``max(2, PERTURB_SHARE * open sites)``.
PERTURB_SHARE = 0.05
#: A perturbed local optimum replaces the current one if it covers at least
#: ``1 - ACCEPT_WORSE`` of it (the best plan is kept apart).
ACCEPT_WORSE = 0.002
#: Without a better plan for this many rounds, the walk returns to the best plan.
RESTART_AFTER = 10
#: Growth of an uncovered group's weight at each local optimum of the weighted
#: search, as a share of the mean weight (0.1 and 0.25 covered fewer of Kings'
#: corners in 30 s; relative to each group's own weight, fewer still).
WEIGHT_BUMP = 0.5
#: Rounds without a better plan after which the weighted search gives up: the
#: first number until it beats its start, the second after (on Kings it beat its
#: start within 50 rounds, then improved at least every 70 until it covered every
#: corner; on the Bronx at 800 m, where no plan covers everyone, it never did).
WEIGHT_PATIENCE = (50, 150)
#: Sites of least loss tried as the one to close when rules restrict the swaps.
RULED_CLOSE_TRIES = 10


@dataclass
class CoverPairs:
    """Site-group pairs of a coverage model, indexed both ways.

    ``B`` is sites x groups (1 where the site reaches the group), ``Bt`` its
    transpose; ``weight`` is each group's parcels/day.
    """

    B: sparse.csr_matrix
    Bt: sparse.csr_matrix
    weight: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray, n_cand: int) -> CoverPairs:
        """From pairs ``rows -> cols`` (site, group)."""
        B = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(n_cand, len(weight)), dtype=float
        )
        B.data[:] = 1.0  # repeated pairs count once
        return cls(B, B.T.tocsr(), np.asarray(weight, dtype=float))

    def count(self, open_mask: np.ndarray) -> np.ndarray:
        """Open sites reaching each group."""
        return self.Bt @ open_mask.astype(float)

    def covered(self, open_mask: np.ndarray) -> float:
        """Parcels/day covered by the open sites."""
        return float(self.weight[self.count(open_mask) > 0.5].sum())

    def sole(self, open_mask: np.ndarray) -> np.ndarray:
        """Per group, the one open site reaching it (meaningful where exactly one does)."""
        return np.rint(self.Bt @ (open_mask * np.arange(len(open_mask), dtype=float))).astype(
            np.int64
        )


class SwapRules:
    """Which swaps the site rules allow (see the module docstring)."""

    def __init__(self, cands: Candidates, rules: SiteRules):
        self.cands = cands
        self.forced = cands.forced_open
        self.allowed = ~cands.excluded
        self.by_kind = bool(rules.max_per_kind)
        self.budget = None if rules.budget is None else float(rules.budget)
        pairs = open_with_pairs(rules)
        self.partner = np.full(len(cands.kind), -1)
        self.partner[pairs[:, 0]] = pairs[:, 1]
        self.ruled = self.by_kind or self.budget is not None or len(pairs) > 0

    def ok(self, r: np.ndarray, j: np.ndarray, open_mask: np.ndarray) -> np.ndarray:
        """Whether closing ``r`` and opening ``j`` (arrays of equal length) keeps the rules."""
        good = np.ones(len(r), dtype=bool)
        if self.by_kind:
            good &= self.cands.kind[r] == self.cands.kind[j]
        if self.budget is not None:
            cost = self.cands.fixed_cost
            good &= cost[open_mask].sum() - cost[r] + cost[j] <= self.budget + 1e-9
        if (self.partner >= 0).any():
            pj = self.partner[j]
            good &= (pj < 0) | (open_mask[np.maximum(pj, 0)] & (pj != r))
            held = np.zeros(len(open_mask), dtype=bool)
            held[self.partner[open_mask & (self.partner >= 0)]] = True
            good &= ~held[r]
        return good


def local_search(
    pairs: CoverPairs,
    open_mask: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    deadline: float,
) -> np.ndarray:
    """Best-improvement swaps from ``open_mask`` until none gains (or ``deadline``).

    Returns the improved open mask (a copy).

    Examples
    --------
    >>> from lockerplan.siting import Candidates, SiteRules
    >>> pairs = CoverPairs.of(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]),
    ...                       np.array([1.0, 5.0, 4.0]), 3)
    >>> start = np.array([True, False, False])
    >>> local_search(pairs, start, Candidates.default(3), SiteRules(max_sites=1), 1e18).tolist()
    [False, True, False]
    """
    mask = open_mask.copy()
    moves = SwapRules(cands, rules)
    while time.perf_counter() < deadline:
        best = _best_swap(pairs, mask, moves)
        if best is None:
            break
        r, j = best
        mask[r], mask[j] = False, True
    return mask


def _best_swap(pairs: CoverPairs, mask: np.ndarray, moves: SwapRules) -> tuple[int, int] | None:
    """The swap ``(r, j)`` gaining the most coverage, or ``None`` if none gains."""
    w = pairs.weight
    cnt = pairs.count(mask)
    closed = moves.allowed & ~mask
    removable = mask & ~moves.forced
    if not closed.any() or not removable.any():
        return None
    gain = np.where(closed, pairs.B @ (w * (cnt < 0.5)), -np.inf)
    single = np.abs(cnt - 1.0) < 0.5
    loss = np.where(removable, pairs.B @ (w * single), np.inf)
    g = np.flatnonzero(single)
    E = sparse.csr_matrix((w[g], (g, pairs.sole(mask)[g])), shape=(len(w), len(mask)))
    extra = (pairs.B @ E).tocoo()  # extra[j, r]
    keep = closed[extra.row] & removable[extra.col]
    jj, rr, back = extra.row[keep], extra.col[keep], extra.data[keep]
    delta = gain[jj] - loss[rr] + back
    if moves.ruled and len(delta):
        ok = moves.ok(rr, jj, mask)
        jj, rr, delta = jj[ok], rr[ok], delta[ok]
    best_delta, best = -np.inf, None
    if len(delta):
        k = int(np.argmax(delta))
        best_delta, best = float(delta[k]), (int(rr[k]), int(jj[k]))
    # swaps without an ``extra`` entry change coverage by gain - loss exactly
    tries = np.argsort(loss)[: (RULED_CLOSE_TRIES if moves.ruled else 1)]
    for r in tries[np.isfinite(loss[tries])]:
        cand = np.flatnonzero(closed)
        if moves.ruled:
            cand = cand[moves.ok(np.full(len(cand), r), cand, mask)]
        if not len(cand):
            continue
        j = int(cand[np.argmax(gain[cand])])
        d = float(gain[j] - loss[r])
        if d > best_delta:
            # its true change includes extra[j, r] >= 0: at least d
            best_delta, best = d, (int(r), j)
    scale = max(1.0, float(w.sum()))
    if best is None or best_delta <= 1e-9 * scale:
        return None
    return best


def iterated_local_search(
    pairs: CoverPairs,
    start: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    *,
    seed: int = 0,
    time_limit_s: float = 10.0,
    patience: int = ILS_PATIENCE,
) -> tuple[np.ndarray, dict]:
    """Local search from ``start``, then perturb and search again; keep the best plan.

    Parameters
    ----------
    pairs : CoverPairs
        The model's site-group pairs and group weights.
    start : numpy.ndarray of bool
        A plan obeying the site rules (the greedy one).
    cands, rules : Candidates, SiteRules
        Forced, excluded, kinds, costs; per-kind limits, budget, open-with.
    seed : int
        Seed of the perturbations (the same seed gives the same plan).
    time_limit_s : float
        Wall-clock limit of the whole search.
    patience : int
        Stop after this many perturbations without a better plan.

    Returns
    -------
    open_mask : numpy.ndarray of bool
        The best plan found (never covering less than ``start``).
    stats : dict
        ``start_covered``, ``covered``, ``rounds``, ``seconds``.

    Examples
    --------
    >>> from lockerplan.siting import Candidates, SiteRules
    >>> pairs = CoverPairs.of(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]),
    ...                       np.array([1.0, 5.0, 4.0]), 3)
    >>> mask, stats = iterated_local_search(pairs, np.array([True, False, False]),
    ...                                     Candidates.default(3), SiteRules(max_sites=1))
    >>> mask.tolist(), stats["start_covered"], stats["covered"]
    ([False, True, False], 1.0, 6.0)
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    start = np.asarray(start, dtype=bool)
    first = pairs.covered(start)
    stats = {"start_covered": first, "covered": first, "rounds": 0, "seconds": 0.0}
    if len(spacing_pairs(rules)) or first >= float(pairs.weight.sum()):
        return start.copy(), stats  # (a start covering every group cannot be beaten)
    moves = SwapRules(cands, rules)
    rng = np.random.default_rng(seed)
    best = local_search(pairs, start, cands, rules, deadline)
    best_value = pairs.covered(best)
    if best_value < first:  # cannot happen (every swap gains); kept as a guard
        best, best_value = start.copy(), first
    current, current_value = best, best_value
    idle = rounds = 0
    while idle < patience and time.perf_counter() < deadline:
        trial = _perturb(current, moves, rng)
        if trial is None:
            break
        trial = local_search(pairs, trial, cands, rules, deadline)
        value = pairs.covered(trial)
        rounds += 1
        idle += 1
        if value > best_value + 1e-9 * max(1.0, best_value):
            best, best_value, idle = trial, value, 0
        if value >= current_value * (1 - ACCEPT_WORSE):
            current, current_value = trial, value
        elif idle % RESTART_AFTER == 0:
            current, current_value = best, best_value
    stats.update(covered=best_value, rounds=rounds, seconds=round(time.perf_counter() - t0, 3))
    log.info(
        "coverage search: %.6g -> %.6g parcels/day in %d perturbations, %.2f s",
        first,
        best_value,
        rounds,
        stats["seconds"],
    )
    return best, stats


def weighted_search(
    pairs: CoverPairs,
    start: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    *,
    time_limit_s: float,
    patience: tuple[int, int] = WEIGHT_PATIENCE,
) -> tuple[np.ndarray, dict]:
    """Swaps under growing weights of the groups left uncovered, until a plan covers
    every group, ``patience`` rounds find no better plan (the first number until
    one beats ``start``, the second after) or the time is up
    (module docstring); the best plan found.

    Returns
    -------
    open_mask : numpy.ndarray of bool
        The plan covering the most weight (never less than ``start``).
    stats : dict
        ``start_covered``, ``covered``, ``rounds``, ``seconds``.

    Examples
    --------
    >>> from lockerplan.siting import Candidates, SiteRules
    >>> pairs = CoverPairs.of(np.array([0, 0, 1, 1, 2, 2, 3]),
    ...                       np.array([0, 1, 1, 2, 2, 3, 3]), np.ones(4), 4)
    >>> start = np.array([False, True, False, True])  # 3 groups: no single swap gains
    >>> mask, stats = weighted_search(pairs, start, Candidates.default(4),
    ...                               SiteRules(max_sites=2), time_limit_s=5.0)
    >>> stats["start_covered"], stats["covered"], mask.tolist()
    (3.0, 4.0, [True, False, True, False])
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    w = pairs.weight
    total = float(w.sum())
    bump = WEIGHT_BUMP * float(w.mean()) if len(w) else 0.0
    best = np.asarray(start, dtype=bool).copy()
    best_value = first = pairs.covered(best)
    weighed = CoverPairs(pairs.B, pairs.Bt, w.copy())
    current, rounds = best, 0
    idle, searched = 0, not len(spacing_pairs(rules))  # (a spacing rule is not searched)
    while (
        searched
        and best_value < total
        and idle < patience[best_value > first]
        and time.perf_counter() < deadline
    ):
        current = local_search(weighed, current, cands, rules, deadline)
        uncovered = pairs.count(current) < 0.5
        value, rounds, idle = float(w[~uncovered].sum()), rounds + 1, idle + 1
        if value > best_value:
            best, best_value, idle = current.copy(), value, 0
        weighed.weight[uncovered] += bump
    stats = {"start_covered": first, "covered": best_value, "rounds": rounds}
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    log.info(
        "weighted coverage search: %.6g -> %.6g of %.6g in %d rounds, %.2f s",
        first,
        best_value,
        total,
        rounds,
        stats["seconds"],
    )
    return best, stats


def _perturb(mask: np.ndarray, moves: SwapRules, rng: np.random.Generator) -> np.ndarray | None:
    """``mask`` with a few random allowed swaps (``None`` when no swap is allowed)."""
    out = mask.copy()
    n_swaps = max(2, int(PERTURB_SHARE * mask.sum()))
    done = 0
    for _ in range(4 * n_swaps):
        removable = np.flatnonzero(out & ~moves.forced)
        closed = np.flatnonzero(moves.allowed & ~out)
        if not len(removable) or not len(closed):
            break
        r = int(rng.choice(removable))
        if moves.ruled:
            closed = closed[moves.ok(np.full(len(closed), r), closed, out)]
            if not len(closed):
                continue
        j = int(rng.choice(closed))
        out[r], out[j] = False, True
        done += 1
        if done >= n_swaps:
            break
    return out if done else None
