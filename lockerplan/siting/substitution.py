"""The start of the compact engine: a heuristic plan by greedy opening and vertex substitution.

:func:`heuristic` opens sites greedily, then makes best-improvement swaps (Whitaker's
fast interchange, as Resende and Werneck describe it) reading only the stored pairs:
no dense candidate x demand array. :func:`true_costs` is each demand's cost under a
plan, which the compact engine compares with its caps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse


def true_costs(
    C: sparse.csc_matrix, U: np.ndarray, open_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per demand: cheapest open site's cost (``U`` if none) and that site (-1 if none)."""
    n_dem = C.shape[1]
    cost = U.copy()
    site = np.full(n_dem, -1)
    Cr = sparse.csr_matrix(C)
    rows = np.flatnonzero(open_mask)
    sub = Cr[rows].tocoo()
    if sub.nnz:
        order = np.lexsort((sub.data, sub.col))
        col, data, row = sub.col[order], sub.data[order], sub.row[order]
        first = np.r_[True, col[1:] != col[:-1]]
        col, data, row = col[first], data[first], row[first]
        better = data <= cost[col]
        cost[col[better]] = data[better]
        site[col[better]] = rows[row[better]]
    return cost, site


def heuristic(
    C: sparse.csr_matrix,
    w: np.ndarray,
    U: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    max_iter: int = 10_000,
    time_limit_s: float = 30.0,
) -> np.ndarray:
    """Greedy add, then best-improvement swaps (vertex substitution).

    Works on the stored pairs only (never a dense candidate x demand array): see
    :class:`_Pairs` and :func:`_best_swap`.

    Parameters
    ----------
    C : scipy.sparse.csr_matrix
        Candidate x demand per-parcel cost; missing pairs cost ``U`` (or a large
        number when ``U`` is infinite).
    w, U : numpy.ndarray
        Demand weights and per-parcel unserved cost.
    p : int
        Open at most ``p`` sites.
    forced, allowed : numpy.ndarray
        Boolean per candidate: must stay open; may be opened.
    max_iter : int
        At most this many swaps.
    time_limit_s : float
        Stop swapping after this many seconds.

    Returns
    -------
    numpy.ndarray
        Sorted positions of the open sites.

    Examples
    --------
    >>> C = sparse.csr_matrix(np.array([[0.0, 5.0, 9.0], [5.0, 0.0, 4.0], [9.0, 4.0, 0.0]]))
    >>> heuristic(C, np.ones(3), np.full(3, np.inf), 1, np.zeros(3, bool), np.ones(3, bool))
    array([1])
    """
    t_end = time.perf_counter() + time_limit_s
    w = np.asarray(w, dtype=float)
    forced = np.asarray(forced, dtype=bool)
    allowed = np.asarray(allowed, dtype=bool)
    pairs = _Pairs.of(C, w, U)
    open_mask = forced.copy()
    _greedy(pairs, p, open_mask, allowed)
    for _ in range(max_iter):
        removable = open_mask & ~forced
        closed = allowed & ~open_mask
        if time.perf_counter() > t_end or not removable.any() or not closed.any():
            break
        state = pairs.nearest_two(open_mask)
        delta, r, j = _best_swap(pairs, w, state, closed, removable)
        if not delta < -1e-9 * max(1.0, float(w @ state[0])):
            break
        open_mask[r], open_mask[j] = False, True
    return np.flatnonzero(open_mask)


@dataclass(frozen=True)
class _Pairs:
    """Candidate-demand pairs cheaper than the unserved cost, by demand, then cost, then site.

    ``big`` is each demand's cost when no open site reaches it (``U``, or a large
    number when ``U`` is infinite); ``wc`` is each pair's demand weight.
    """

    row: np.ndarray
    col: np.ndarray
    cost: np.ndarray
    wc: np.ndarray
    big: np.ndarray
    n_cand: int

    @classmethod
    def of(cls, C: sparse.spmatrix, w: np.ndarray, U: np.ndarray) -> _Pairs:
        """The pairs of ``C`` below each demand's unserved cost."""
        coo = sparse.coo_matrix(C)
        finite = coo.data.max() if coo.nnz else 1.0
        big = np.where(np.isfinite(U), U, 1e3 * (finite + 1.0)).astype(float)
        keep = coo.data < big[coo.col]
        row, col, cost = coo.row[keep], coo.col[keep], coo.data[keep].astype(float)
        order = np.lexsort((row, cost, col))
        row, col, cost = row[order].astype(np.int64), col[order], cost[order]
        return cls(row, col, cost, w[col], big, C.shape[0])

    def nearest_two(self, open_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per demand: the cheapest open cost ``d1``, its site ``c1`` (-1: none), the second ``d2``."""
        d1, d2 = self.big.copy(), self.big.copy()
        c1 = np.full(len(self.big), -1)
        idx = np.flatnonzero(open_mask[self.row])
        if len(idx) == 0:
            return d1, c1, d2
        cs = self.col[idx]
        first = np.r_[True, cs[1:] != cs[:-1]]
        second = np.r_[False, first[:-1] & ~first[1:]]
        d1[cs[first]] = self.cost[idx[first]]
        c1[cs[first]] = self.row[idx[first]]
        d2[cs[second]] = self.cost[idx[second]]
        return d1, c1, d2

    def add_gain(self, d1: np.ndarray) -> np.ndarray:
        """Per candidate: the weighted cost it saves when opened next to the open sites."""
        save = self.wc * np.maximum(d1[self.col] - self.cost, 0.0)
        return np.bincount(self.row, save, minlength=self.n_cand)


def _greedy(pairs: _Pairs, p: int, open_mask: np.ndarray, allowed: np.ndarray) -> None:
    """Open the site saving the most, one at a time, up to ``p`` open (``open_mask`` in place)."""
    while open_mask.sum() < p:
        cand = allowed & ~open_mask
        if not cand.any():
            break
        gain = np.where(cand, pairs.add_gain(pairs.nearest_two(open_mask)[0]), -np.inf)
        k = int(np.argmax(gain))
        if gain[k] <= 1e-12 and open_mask.any():
            break
        open_mask[k] = True


def _best_swap(
    pairs: _Pairs,
    w: np.ndarray,
    state: tuple[np.ndarray, np.ndarray, np.ndarray],
    closed: np.ndarray,
    removable: np.ndarray,
) -> tuple[float, int, int]:
    """The best swap (close ``r``, open ``j``) as its cost change, ``r`` and ``j``.

    Fast interchange (Whitaker 1983; Resende & Werneck 2007) on the stored pairs:
    opening ``j`` saves ``gain[j]``; closing ``r`` costs ``loss[r]`` (its demand
    moves to its second nearest); doing both gives back
    ``extra[j, r] = sum w_i (d2_i - max(c_ji, d1_i))`` over ``r``'s demand with
    ``c_ji < d2_i``. ``extra`` is sparse: a swap without an entry changes the cost
    by ``loss[r] - gain[j]``, and ``min loss - max gain`` bounds all of those.
    """
    d1, c1, d2 = state
    gain = np.where(closed, pairs.add_gain(d1), -np.inf)
    served = c1 >= 0
    loss = np.bincount(c1[served], w[served] * (d2 - d1)[served], minlength=pairs.n_cand)
    loss = np.where(removable, loss, np.inf)
    best = (float(loss.min() - gain.max()), int(np.argmin(loss)), int(np.argmax(gain)))
    r = c1[pairs.col]
    sel = (r >= 0) & closed[pairs.row] & (pairs.cost < d2[pairs.col])
    sel[sel] = removable[r[sel]]
    if not sel.any():
        return best
    col = pairs.col[sel]
    back = pairs.wc[sel] * (d2[col] - np.maximum(pairs.cost[sel], d1[col]))
    key, inv = np.unique(pairs.row[sel] * pairs.n_cand + r[sel], return_inverse=True)
    jj, rr = np.divmod(key, pairs.n_cand)
    delta = loss[rr] - gain[jj] - np.bincount(inv, back, minlength=len(key))
    k = int(np.argmin(delta))
    return (float(delta[k]), int(rr[k]), int(jj[k])) if delta[k] < best[0] else best
