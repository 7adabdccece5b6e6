"""Swap search for capacitated maximal covering, on the stored pairs only.

With the open sites fixed, the parcels a capacitated plan serves are a maximum
flow: source -> demand group ``g`` (its parcels ``W[g]``) -> each open site ``j``
reaching it -> sink (``j``'s capacity with its most modules). Without a budget
modules only cap the capacity, so this flow is what the CMCLP serves with those
sites (the "roomy" argument of :mod:`lockerplan.siting.modular`). The search
swaps an open site for a closed one when the flow grows, trying for each open
site the closed sites that could add the most (their capacity, at most the
parcels they reach that no open site serves yet), best swap first, until no
swap of that list gains or the time is up; the flow's shares are the MILP's
start. Capacities and parcels are scaled to whole units of
``1 / FLOW_SCALE`` parcels/day for :func:`scipy.sparse.csgraph.maximum_flow`.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .cover_search import SwapRules
from .sites import Candidates, SiteRules, spacing_pairs

log = logging.getLogger(__name__)

#: Flows are counted in units of 1 / FLOW_SCALE parcels/day (whole numbers).
FLOW_SCALE = 1000.0
#: Closed sites tried against each open site per round (largest possible gain first).
TRIES_PER_SITE = 8


class CapacityFlow:
    """The maximum flow of a capacitated plan over pairs ``rows -> cols`` (site, group).

    Examples
    --------
    >>> flow = CapacityFlow(np.array([0, 1, 1]), np.array([0, 0, 1]),
    ...                     np.array([5.0, 3.0]), np.array([4.0, 4.0]))
    >>> flow.served(np.array([True, False])), flow.served(np.array([True, True]))
    (4.0, 8.0)
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, demand: np.ndarray, cap: np.ndarray):
        self.rows, self.cols = np.asarray(rows), np.asarray(cols)
        self.demand, self.cap = np.asarray(demand, float), np.asarray(cap, float)
        self.n_grp, self.n_site = len(self.demand), len(self.cap)
        self.units = np.floor(self.demand * FLOW_SCALE).astype(np.int64)
        self.room = np.floor(np.minimum(self.cap, 1e12) * FLOW_SCALE).astype(np.int64)

    def solve(self, open_mask: np.ndarray) -> tuple[float, np.ndarray]:
        """Parcels/day served by the open sites and the flow on each pair."""
        sel = np.flatnonzero(open_mask[self.rows])
        n = self.n_grp + self.n_site + 2
        s, t = n - 2, n - 1
        g = np.arange(self.n_grp)
        sites = np.flatnonzero(open_mask)
        tail = np.r_[np.full(self.n_grp, s), self.cols[sel], self.n_grp + sites]
        head = np.r_[g, self.n_grp + self.rows[sel], np.full(len(sites), t)]
        cap = np.r_[self.units, self.units[self.cols[sel]], self.room[sites]]
        keep = cap > 0
        graph = sparse.csr_matrix(
            (cap[keep].astype(np.int32), (tail[keep], head[keep])), shape=(n, n)
        )
        result = csgraph.maximum_flow(graph, s, t)
        flow = np.zeros(len(self.rows))
        F = result.flow.tocsr()
        flow[sel] = np.asarray(F[self.cols[sel], self.n_grp + self.rows[sel]]).ravel()
        return float(result.flow_value / FLOW_SCALE), np.maximum(flow, 0.0) / FLOW_SCALE

    def served(self, open_mask: np.ndarray) -> float:
        """Parcels/day served by the open sites."""
        return self.solve(open_mask)[0]


def swap_search(
    flow: CapacityFlow,
    start: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    deadline: float,
) -> tuple[np.ndarray, dict]:
    """Swaps that make the flow grow, from the plan ``start`` (never serving less).

    Site rules as in :mod:`lockerplan.siting.cover_search` (kinds, open-with);
    with a budget or a spacing rule the start is returned as it is.

    Examples
    --------
    >>> flow = CapacityFlow(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]),
    ...                     np.array([5.0, 3.0, 9.0]), np.array([4.0, 8.0, 9.0]))
    >>> mask, stats = swap_search(flow, np.array([True, True, False]),
    ...                           Candidates.default(3), SiteRules(max_sites=2), 1e18)
    >>> mask.tolist(), stats["start_served"], stats["served"]
    ([False, True, True], 8.0, 17.0)
    """
    t0 = time.perf_counter()
    mask = np.asarray(start, dtype=bool).copy()
    value, pair_flow = flow.solve(mask)
    stats = {"start_served": value, "served": value, "swaps": 0, "seconds": 0.0}
    if rules.budget is not None or len(spacing_pairs(rules)):
        return mask, stats
    moves = SwapRules(cands, rules)
    reach = sparse.csr_matrix(
        (np.ones(len(flow.rows)), (flow.rows, flow.cols)), shape=(flow.n_site, flow.n_grp)
    )
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        left = flow.demand - np.bincount(flow.cols, pair_flow, flow.n_grp)
        gain = np.minimum(flow.cap, reach @ np.maximum(left, 0.0))
        closed = np.flatnonzero(moves.allowed & ~mask)
        closed = closed[np.argsort(-gain[closed], kind="stable")]
        load = np.bincount(flow.rows, pair_flow, flow.n_site)
        for r in np.flatnonzero(mask & ~moves.forced)[np.argsort(load[mask & ~moves.forced])]:
            tries = closed[moves.ok(np.full(len(closed), r), closed, mask)][:TRIES_PER_SITE]
            for j in tries:
                trial = mask.copy()
                trial[r], trial[j] = False, True
                v, f = flow.solve(trial)
                if v > value + 1e-9 * max(1.0, value):
                    mask, value, pair_flow, improved = trial, v, f, True
                    stats["swaps"] += 1
                    break
            if improved or time.perf_counter() >= deadline:
                break
    stats.update(served=value, seconds=round(time.perf_counter() - t0, 3))
    log.info(
        "capacity swap search: %.6g -> %.6g parcels/day, %d swaps, %.2f s",
        stats["start_served"],
        value,
        stats["swaps"],
        stats["seconds"],
    )
    return mask, stats


def improve_start(model, start: np.ndarray, seconds: float) -> tuple[np.ndarray, dict]:
    """The CMCLP start vector ``start`` with its sites improved by :func:`swap_search`.

    ``model`` is the CMCLP's data (:class:`lockerplan.siting.modular` keeps it):
    pairs ``rows -> cols``, ``demand`` per group, ``room`` per module and ``most``
    modules per site, the column blocks ``y``, ``m``, ``x`` and ``fewest`` (the
    fewest modules for a load). The new start opens the searched sites with
    their most modules and the flow's shares (in whole units of ``1 /
    FLOW_SCALE``: the caller serves the most those sites can, exactly, by an
    LP); it is returned only if it serves more.
    """
    flow = CapacityFlow(model.rows, model.cols, model.demand, model.room * model.most)
    first = start[model.y] > 0.5
    mask, stats = swap_search(flow, first, model.cands, model.rules, time.perf_counter() + seconds)
    gain = model.demand[model.cols]
    if not stats["swaps"] or stats["served"] <= float(gain @ start[model.x]) + 1e-9:
        return start, stats
    _, pair_flow = flow.solve(mask)
    out = np.zeros_like(start)
    out[model.y] = mask
    out[model.x] = np.minimum(pair_flow / gain, 1.0)
    out[model.m] = np.where(mask, model.most, 0.0)
    return out, stats
