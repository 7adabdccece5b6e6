"""Candidate sites and the rules every siting model shares.

:class:`Candidates` holds per-candidate attributes (kind, capacity, fixed cost,
forced open, excluded); :class:`SiteRules` holds the limits on what may be opened
together (count, per kind, budget, minimum spacing) and the walking cutoffs per
kind and per demand point. :func:`prepare` checks them against the distance
matrix, applies the cutoffs, and :func:`add_site_rows` writes the shared rows on
the open/closed variables ``y`` of any model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..errors import InputError
from .milp import MilpBuilder

KINDS = ("cabinet", "pickup_point")


@dataclass
class Candidates:
    """Per-candidate attributes; every array has one entry per row of the distance matrix.

    Parameters
    ----------
    kind : array of str, optional
        ``"cabinet"`` or ``"pickup_point"``; default all ``"cabinet"``.
    capacity : array of float, optional
        Parcels per day a site can hand out (capacitated models). A cabinet's
        capacity is compartments / mean dwell days, e.g. ``100 / 1.5``.
    fixed_cost : array of float, optional
        Cost per day of an open site (budget, LSCP cost, CFLP objective).
    forced_open : array of bool, optional
        Existing sites that must stay open.
    excluded : array of bool, optional
        Sites that may not be opened.

    Examples
    --------
    >>> c = Candidates.default(3, capacity=[100 / 1.5, 60.0, 60.0], forced_open=[True, False, False])
    >>> c.kind.tolist(), c.forced_open.tolist()
    (['cabinet', 'cabinet', 'cabinet'], [True, False, False])
    """

    kind: np.ndarray
    capacity: np.ndarray
    fixed_cost: np.ndarray
    forced_open: np.ndarray
    excluded: np.ndarray

    @classmethod
    def default(
        cls,
        n: int,
        *,
        kind=None,
        capacity=None,
        fixed_cost=None,
        forced_open=None,
        excluded=None,
    ) -> Candidates:
        """Build from optional sequences, filling defaults and checking lengths."""

        def arr(name, value, fill, dtype):
            if value is None:
                return np.full(n, fill, dtype=dtype)
            a = np.asarray(value, dtype=dtype)
            if a.shape != (n,):
                raise InputError(
                    f"candidates {name} must have one value per candidate ({n}), "
                    f"got shape {a.shape}."
                )
            return a

        out = cls(
            arr("kind", kind, "cabinet", object),
            arr("capacity", capacity, np.inf, float),
            arr("fixed_cost", fixed_cost, 1.0, float),
            arr("forced_open", forced_open, False, bool),
            arr("excluded", excluded, False, bool),
        )
        bad = [k for k in set(out.kind.tolist()) if k not in KINDS]
        if bad:
            raise InputError(f"candidates kind must be one of {KINDS}, got {sorted(bad)!r}.")
        for name in ("capacity", "fixed_cost"):
            a = getattr(out, name)
            if np.any(np.isnan(a)) or np.any(a < 0):
                row = int(np.flatnonzero(np.isnan(a) | (a < 0))[0])
                raise InputError(
                    f"candidates {name} must be >= 0, got {a[row]!r} at row {row}; "
                    "fix that candidate's value."
                )
        both = out.forced_open & out.excluded
        if both.any():
            raise InputError(
                f"candidate rows {_rows(both)} are both forced open and excluded; "
                "drop one of the two flags."
            )
        return out


@dataclass
class SiteRules:
    """Limits on the set of open sites, and walking cutoffs.

    Parameters
    ----------
    max_sites : int, optional
        At most this many open sites (exactly this many for p-median when enough
        candidates exist).
    max_per_kind : dict, optional
        ``{"cabinet": 10, "pickup_point": 3}``.
    budget : float, optional
        Sum of ``fixed_cost`` of open sites may not exceed it.
    min_spacing_m : float, optional
        Two open sites must be at least this far apart (needs ``site_distances``).
    site_distances : scipy.sparse matrix, optional
        Candidate x candidate distances; stored entries are the pairs that are close.
    cutoff_per_kind : dict, optional
        ``{"pickup_point": 300.0}``: drop pairs beyond the kind's walking cutoff.
    demand_cutoff : array of float, optional
        Per-demand walking cutoff, metres.
    open_with : array of int, optional
        Pairs ``(j, k)``, one per row: site ``j`` may open only if ``k`` is open
        (the capacitated models' dominance rule, see :func:`dominators`).
    """

    max_sites: int | None = None
    max_per_kind: dict = field(default_factory=dict)
    budget: float | None = None
    min_spacing_m: float | None = None
    site_distances: sparse.spmatrix | None = None
    cutoff_per_kind: dict = field(default_factory=dict)
    demand_cutoff: np.ndarray | None = None
    open_with: np.ndarray | None = None


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    text = ", ".join(str(i) for i in idx[:limit])
    return text + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def fmt(x: float) -> str:
    """Format a quantity with thousands separators (``5,200``)."""
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 or abs(x) >= 100 else f"{x:,.2f}"


def check_distances(distances, weights=None) -> tuple[sparse.csr_matrix, np.ndarray | None]:
    """Validate the candidate x demand matrix and the weights."""
    if not sparse.issparse(distances):
        raise InputError(
            "distances must be a scipy.sparse matrix (candidates x demand, stored entries "
            f"= reachable pairs), got {type(distances).__name__}; wrap it with "
            "scipy.sparse.csr_matrix."
        )
    D = sparse.csr_matrix(distances, dtype=float)
    D.sort_indices()
    if D.nnz and (np.any(np.isnan(D.data)) or D.data.min() < 0):
        raise InputError("distances must be finite and >= 0; found a negative or NaN entry.")
    if weights is None:
        return D, None
    w = np.asarray(weights, dtype=float)
    if w.shape != (D.shape[1],):
        raise InputError(
            f"weights must have one value per demand column ({D.shape[1]}), got shape {w.shape}."
        )
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        row = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise InputError(f"weights must be finite and >= 0, got {w[row]!r} at demand row {row}.")
    return D, w


def from_dense(matrix, cutoff: float = np.inf) -> sparse.csr_matrix:
    """Sparse candidate x demand matrix from a dense one, keeping real zero distances.

    ``scipy.sparse.csr_matrix(dense)`` drops zeros, which here would mean
    "unreachable"; this keeps every finite entry ``<= cutoff``.

    Examples
    --------
    >>> from_dense(np.array([[0.0, 5.0], [np.inf, 0.0]])).nnz
    3
    """
    M = np.asarray(matrix, dtype=float)
    r, c = np.nonzero(np.isfinite(M) & (cutoff >= M))
    return sparse.csr_matrix((M[r, c], (r, c)), shape=M.shape)


def prepare(
    D: sparse.csr_matrix, cands: Candidates, rules: SiteRules
) -> tuple[sparse.csr_matrix, list[str]]:
    """Apply cutoffs and exclusions to ``D``; return it with pre-solve diagnoses.

    A diagnosis is a sentence saying why no plan can satisfy the rules (empty list
    when none is found).
    """
    n_cand, n_dem = D.shape
    D = D.copy()
    rows = np.repeat(np.arange(n_cand), np.diff(D.indptr))
    keep = np.ones(D.nnz, dtype=bool)
    for kind, cut in rules.cutoff_per_kind.items():
        if kind not in KINDS:
            raise InputError(f"cutoff_per_kind keys must be in {KINDS}, got {kind!r}.")
        keep &= ~((cands.kind[rows] == kind) & (D.data > float(cut)))
    if rules.demand_cutoff is not None:
        cut = np.asarray(rules.demand_cutoff, dtype=float)
        if cut.shape != (n_dem,):
            raise InputError(
                f"demand_cutoff must have one value per demand column ({n_dem}), "
                f"got shape {cut.shape}."
            )
        keep &= D.data <= cut[D.indices]
    keep &= ~cands.excluded[rows]
    D = sparse.csr_matrix((D.data[keep], D.indices[keep], _indptr(rows[keep], n_cand)), D.shape)
    return D, diagnose_rules(cands, rules)


def dominators(D: sparse.csr_matrix, cands: Candidates, rules: SiteRules) -> np.ndarray:
    """Per candidate, a site that does all it does (-1: none).

    Site ``j`` is dominated by ``k`` when ``k`` reaches every demand column ``j``
    reaches (in the prepared ``D``: cutoffs and exclusions applied), is of the same
    kind, costs no more and holds no less (capacity), ``j`` is not forced open and
    ``k`` not excluded; of sites equal in all of these the first is kept. A plan
    that opens ``j`` but not ``k`` can open ``k`` instead and cover (or serve) as
    much under the same count, per-kind limits and budget. The relation has no
    cycle (equal sites are ordered by row), so such swaps end, and some optimal
    plan opens ``j`` only where ``k`` is open too: the rule ``y[j] <= y[k]``
    (:attr:`SiteRules.open_with`) keeps the optimum of every model with or without
    capacities. Without capacities ``j`` is never needed at all (``k`` covers all
    it covers), so the uncovering models may drop it; with capacities both may be
    needed. A spacing rule breaks the swap (``k`` may be too close to another open
    site): then no site is dominated.

    Of several dominators the one reaching the most columns is named (then the
    first row).

    Returns
    -------
    numpy.ndarray of int
        Per candidate, the row of a site dominating it, or -1.

    Examples
    --------
    >>> D = sparse.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0], [2.0, 3.0]]))
    >>> dominators(D, Candidates.default(3), SiteRules()).tolist()
    [1, -1, 1]
    """
    n = D.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if rules.min_spacing_m:
        return out
    B = sparse.csr_matrix((np.ones(D.nnz, dtype=np.int32), D.indices, D.indptr), D.shape)
    size = np.diff(B.indptr)
    pairs = (B @ B.T).tocoo()
    j, k = pairs.row, pairs.col
    same = (j != k) & (pairs.data == size[j]) & (cands.kind[j] == cands.kind[k])
    cost_j, cost_k = cands.fixed_cost[j], cands.fixed_cost[k]
    cap_j, cap_k = cands.capacity[j], cands.capacity[k]
    same &= (cost_k <= cost_j) & ((cap_k >= cap_j) | np.isnan(cap_j) & np.isnan(cap_k))
    same &= ~cands.forced_open[j] & ~cands.excluded[k] & (size[j] > 0)
    equal = (size[k] == size[j]) & (cost_k == cost_j) & ~(cap_k > cap_j)
    same &= ~equal | (k < j)  # of equal sites the first stays
    j, k = j[same], k[same]
    order = np.lexsort((k, -size[k], j))  # per j: the largest dominator, then the first
    first = np.r_[True, j[order][1:] != j[order][:-1]] if len(order) else order.astype(bool)
    out[j[order][first]] = k[order][first]
    return out


def dominated_sites(D: sparse.csr_matrix, cands: Candidates, rules: SiteRules) -> np.ndarray:
    """Per candidate, whether another site dominates it (see :func:`dominators`).

    Examples
    --------
    >>> D = sparse.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0], [2.0, 3.0]]))
    >>> dominated_sites(D, Candidates.default(3), SiteRules()).tolist()
    [True, False, True]
    """
    return dominators(D, cands, rules) >= 0


def demand_groups(D: sparse.csr_matrix, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per demand column its group (same reaching sites; -1: no parcels or no site),
    and the first column of each group."""
    C = D.tocsc()
    C.sort_indices()
    active = np.flatnonzero((np.diff(C.indptr) > 0) & (w > 0))
    ids: dict[bytes, int] = {}
    groups = [
        ids.setdefault(C.indices[C.indptr[i] : C.indptr[i + 1]].tobytes(), len(ids)) for i in active
    ]
    group = np.full(D.shape[1], -1, dtype=np.int64)
    group[active] = groups
    _, first = np.unique(group[active], return_index=True)
    return group, active[first]


def _indptr(rows: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)


def diagnose_rules(cands: Candidates, rules: SiteRules) -> list[str]:
    """Reasons in words why the site rules cannot all hold (forced sites vs limits)."""
    msgs = []
    forced = cands.forced_open
    if rules.max_sites is not None:
        if isinstance(rules.max_sites, bool) or not isinstance(rules.max_sites, int | np.integer):
            raise InputError(f"max_sites must be a whole number >= 1, got {rules.max_sites!r}.")
        if rules.max_sites < 1:
            raise InputError(f"max_sites must be a whole number >= 1, got {rules.max_sites!r}.")
        if forced.sum() > rules.max_sites:
            msgs.append(
                f"{forced.sum()} sites are forced open but at most {rules.max_sites} may open; "
                "raise --sites (max_sites) or open fewer sites with --open (forced open)."
            )
    for kind, limit in rules.max_per_kind.items():
        if kind not in KINDS:
            raise InputError(f"max_per_kind keys must be in {KINDS}, got {kind!r}.")
        n = int((forced & (cands.kind == kind)).sum())
        if n > limit:
            msgs.append(f"{n} {kind} sites are forced open but max_per_kind allows {limit}.")
    if rules.budget is not None:
        cost = float(cands.fixed_cost[forced].sum())
        if cost > rules.budget + 1e-9:
            msgs.append(
                f"forced-open sites cost {fmt(cost)} per day > budget {fmt(rules.budget)}; "
                "raise the budget or force fewer sites."
            )
    if rules.min_spacing_m is not None:
        if rules.site_distances is None:
            raise InputError(
                "min_spacing_m needs site_distances (a candidate x candidate sparse matrix); "
                "pass it or drop min_spacing_m."
            )
        for a, b in spacing_pairs(rules):
            if forced[a] and forced[b]:
                msgs.append(
                    f"forced-open sites {a} and {b} are closer than min_spacing_m "
                    f"{fmt(rules.min_spacing_m)} m."
                )
                break
    return msgs


def spacing_pairs(rules: SiteRules) -> np.ndarray:
    """Pairs ``(a, b)``, ``a < b``, of candidates closer than ``min_spacing_m``."""
    if rules.min_spacing_m is None or rules.site_distances is None:
        return np.zeros((0, 2), dtype=int)
    S = sparse.coo_matrix(rules.site_distances)
    close = (S.row != S.col) & (S.data < rules.min_spacing_m)
    a, b = np.minimum(S.row[close], S.col[close]), np.maximum(S.row[close], S.col[close])
    return np.unique(np.column_stack([a, b]), axis=0) if len(a) else np.zeros((0, 2), dtype=int)


def add_site_rows(
    b: MilpBuilder,
    y: np.ndarray,
    cands: Candidates,
    rules: SiteRules,
    *,
    exact_sites: bool = False,
    skip_count: bool = False,
) -> None:
    """Add the shared rows on the open variables ``y`` (one per candidate).

    Forced sites get lower bound 1 and excluded sites upper bound 0 (set by the
    caller through column bounds); here: count, per kind, budget and spacing.
    """
    n = len(y)
    if rules.max_sites is not None and not skip_count:
        p = float(min(rules.max_sites, int((~cands.excluded).sum())))
        b.add_rows("max_sites", np.zeros(n), y, np.ones(n), lo=[p] if exact_sites else None, hi=[p])
    for kind, limit in rules.max_per_kind.items():
        sel = np.flatnonzero(cands.kind == kind)
        b.add_rows(f"max_{kind}", np.zeros(len(sel)), y[sel], np.ones(len(sel)), hi=[limit])
    if rules.budget is not None:
        b.add_rows("budget", np.zeros(n), y, cands.fixed_cost, hi=[rules.budget])
    pairs = spacing_pairs(rules)
    if len(pairs):
        k = np.arange(len(pairs))
        b.add_rows(
            "spacing",
            np.repeat(k, 2),
            y[pairs.ravel()],
            np.ones(2 * len(pairs)),
            hi=np.ones(len(pairs)),
        )
    pairs = open_with_pairs(rules)
    if len(pairs):
        k = np.arange(len(pairs))
        b.add_rows(
            "open_with",
            np.repeat(k, 2),
            y[pairs.ravel()],
            np.tile([1.0, -1.0], len(pairs)),
            hi=np.zeros(len(pairs)),
        )


def open_with_pairs(rules: SiteRules) -> np.ndarray:
    """The ``(j, k)`` pairs of :attr:`SiteRules.open_with` as an ``(n, 2)`` int array."""
    if rules.open_with is None:
        return np.zeros((0, 2), dtype=np.int64)
    return np.asarray(rules.open_with, dtype=np.int64).reshape(-1, 2)


def y_bounds(cands: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds of ``y``: forced sites 1..1, excluded 0..0, others 0..1."""
    lb = cands.forced_open.astype(float)
    ub = (~cands.excluded).astype(float)
    return lb, ub


def feasible_sites(open_sites: np.ndarray, cands: Candidates, rules: SiteRules) -> bool:
    """Whether a set of open sites obeys every rule (used to vet heuristic starts)."""
    mask = np.zeros(len(cands.kind), dtype=bool)
    mask[open_sites] = True
    if np.any(cands.forced_open & ~mask) or np.any(cands.excluded & mask):
        return False
    if rules.max_sites is not None and mask.sum() > rules.max_sites:
        return False
    for kind, limit in rules.max_per_kind.items():
        if (mask & (cands.kind == kind)).sum() > limit:
            return False
    if rules.budget is not None and cands.fixed_cost[mask].sum() > rules.budget + 1e-9:
        return False
    pairs = spacing_pairs(rules)
    if len(pairs) and np.any(mask[pairs[:, 0]] & mask[pairs[:, 1]]):
        return False
    pairs = open_with_pairs(rules)
    return not (len(pairs) and np.any(mask[pairs[:, 0]] & ~mask[pairs[:, 1]]))
