"""A greedy plan that honours every site rule: the start of the coverage MILPs."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from .sites import open_with_pairs, spacing_pairs

__all__ = ["Greedy"]


class Greedy:
    """A feasible plan built site by site, as a MILP's start.

    Forced sites open first (one module each); then, while the rules allow, the
    site that adds the most parcels opens with the modules the budget allows and
    takes the same share of every demand group it reaches, as much as fits.
    Finally a site opened without the site it may only open with
    (:attr:`~lockerplan.siting.sites.SiteRules.open_with`) hands its shares to
    that site, which reaches all it reaches, holds no less and costs no more.

    ``model`` holds the pairs ``rows -> cols`` (site, group), ``demand`` per
    group, ``room`` (one module's capacity) and ``most`` (modules) per site,
    ``cands`` and ``rules``; without capacities (MCLP) ``room`` is what a site
    reaches and ``most`` 1. :meth:`run` fills ``modules`` (per site) and ``share``
    (per pair).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from lockerplan.siting import Candidates, SiteRules
    >>> m = SimpleNamespace(rows=np.array([0, 1, 1]), cols=np.array([0, 0, 1]),
    ...     demand=np.array([5.0, 3.0]), room=np.array([5.0, 8.0]), most=np.ones(2),
    ...     cands=Candidates.default(2), rules=SiteRules(max_sites=1))
    >>> Greedy(m).run().tolist()
    [0.0, 1.0]
    """

    def __init__(self, model: Any):
        self.model = model
        n_cand = len(model.most)
        pair = np.arange(len(model.rows)) + 1  # stored as data: 0 would be dropped
        self.B = sparse.csr_matrix((pair, (model.rows, model.cols)), (n_cand, len(model.demand)))
        self.reach = self.B.astype(bool).astype(float)
        self.left = model.demand.copy()
        self.share = np.zeros(len(model.rows))
        self.modules = np.zeros(n_cand)
        self.shut = model.cands.excluded.copy()
        rules = model.rules
        self.budget = np.inf if rules.budget is None else float(rules.budget)
        self.count = np.inf if rules.max_sites is None else int(rules.max_sites)
        self.per_kind = dict(rules.max_per_kind)
        for kind, limit in self.per_kind.items():
            if limit <= 0:
                self.shut |= model.cands.kind == kind
        pairs = spacing_pairs(rules)
        a, c = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
        self.close = sparse.csr_matrix((np.ones(len(a)), (a, c)), (n_cand, n_cand))

    def affordable(self) -> np.ndarray:
        """Modules each site could still take (0: it may not open)."""
        cost, most = self.model.cands.fixed_cost, self.model.most
        with np.errstate(divide="ignore", invalid="ignore"):
            fits = np.where(cost > 0, np.floor(self.budget / cost + 1e-9), most)
        return np.where(self.shut, 0.0, np.minimum(most, fits))

    def open(self, j: int, modules: float) -> None:
        """Open site ``j`` with up to ``modules`` modules; serve what fits."""
        cands, room = self.model.cands, self.model.room[j]
        s, e = self.B.indptr[j], self.B.indptr[j + 1]
        g, k = self.B.indices[s:e], self.B.data[s:e] - 1
        total = float(self.left[g].sum())
        fraction = min(1.0, room * modules / total) if total > 0 else 0.0
        taken = fraction * self.left[g]
        self.share[k] = taken / self.model.demand[g]
        self.left[g] -= taken
        need = np.ceil(taken.sum() / room - 1e-12) if room > 0 else 1.0
        self.modules[j] = min(max(need, 1.0), modules)
        self.budget -= cands.fixed_cost[j] * self.modules[j]
        self.count -= 1
        self.shut[j] = True
        self.shut[self.close.indices[self.close.indptr[j] : self.close.indptr[j + 1]]] = True
        kind = cands.kind[j]
        if kind in self.per_kind:
            self.per_kind[kind] -= 1
            if self.per_kind[kind] <= 0:
                self.shut |= cands.kind == kind

    def run(self) -> np.ndarray:
        """Open sites in turn; return the modules per site (0: closed)."""
        model = self.model
        for j in np.flatnonzero(model.cands.forced_open):
            self.open(int(j), 1.0)
        while self.count > 0:
            modules = self.affordable()
            gain = np.minimum(model.room * modules, self.reach @ self.left)
            gain[modules < 1] = -1.0
            j = int(np.argmax(gain)) if len(gain) else 0
            if not len(gain) or gain[j] <= 1e-9:
                break
            self.open(j, modules[j])
        self.lift()
        return self.modules

    def lift(self) -> None:
        """Move each open site whose :attr:`SiteRules.open_with` partner is closed onto it.

        The partner reaches every group the site reaches, holds no less per module
        and costs no more, so the plan serves as much within the same count, kind
        limits and budget; the rule has no cycle, so the moves end.
        """
        model = self.model
        pairs = open_with_pairs(model.rules)
        partner = np.full(len(model.most), -1)
        partner[pairs[:, 0]] = pairs[:, 1]
        while True:
            moving = np.flatnonzero((self.modules > 0) & (partner >= 0))
            moving = moving[self.modules[partner[moving]] == 0]
            if not len(moving):
                return
            j, k = int(moving[0]), int(partner[moving[0]])
            s, e = self.B.indptr[j], self.B.indptr[j + 1]
            g, pj = self.B.indices[s:e], self.B.data[s:e] - 1
            pk = np.asarray(self.B[k, g].todense()).ravel().astype(int) - 1
            self.share[pk] += self.share[pj]
            self.share[pj] = 0.0
            load = float(self.share[pk] @ model.demand[g])
            room = model.room[k]
            need = np.ceil(load / room - 1e-12) if room > 0 else 1.0
            self.modules[k] = min(max(need, 1.0), model.most[k])
            self.modules[j] = 0.0
