"""How the open sites of a cmclp plan serve demand.

:class:`Roomy` solves the first MILP without shares when every site's modules hold
all it reaches (an MCLP with capacity rows for the few sites that can fill up);
:func:`hand_out` gives each demand group's served parcels to its sites, largest
share first, so a column is mostly served whole by one site; :func:`nearest_allocation`
allocates each demand to the nearest open site with room; :func:`capacity_message`
says what the capacities turned away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from .milp import Milp, MilpBuilder, solve_milp
from .options import SolverOptions
from .sites import add_site_rows, fmt, y_bounds


@dataclass
class Roomy:
    """The first solve without the shares of sites whose capacity cannot bind (no budget).

    A site is *roomy* when its most modules hold all the demand it reaches: open,
    it serves every group it reaches in full, whatever other sites do. Only the
    other (*tight*) sites need shares and capacity rows; a group is served when
    a roomy site reaching it is open, else by the tight sites' shares::

        maximise    sum_g W[g] z[g]
        subject to  z[g] <= sum_{j roomy} y[j] + sum_{j tight} x[g, j]
                    sum_{j tight} x[g, j] <= 1,   x[g, j] <= y[j]
                    sum_g W[g] x[g, j] <= cap[j] M[j] y[j]       j tight
                    site rules on y;   z in [0, 1]

    Exact: for every choice of open sites it serves as much as the full model
    with the most modules (without a budget, modules only cap capacity). On a
    city where few sites can fill their modules it is an MCLP with a few capacity
    rows (Greater Porto, 150k orders: 11 of 4,991 sites are tight).
    :meth:`expand` turns its solution into the full model's columns (shares from
    :func:`~lockerplan.siting.modular.solve_cmclp`'s serving step).
    """

    model: Any  # the cmclp model of lockerplan.siting.modular
    tight: np.ndarray
    milp: Milp
    y: np.ndarray
    z: np.ndarray
    x: np.ndarray
    pairs: np.ndarray

    @classmethod
    def of(cls, model: Any) -> Roomy | None:
        """The reduced first model, or ``None`` when every site can fill its modules."""
        rows, cols, demand = model.rows, model.cols, model.demand
        n_cand, n_grp = len(model.most), len(demand)
        reach = np.bincount(rows, weights=demand[cols], minlength=n_cand)
        tight = reach > model.room * model.most * (1 + 1e-9)
        if tight.all():
            return None
        pairs = np.flatnonzero(tight[rows])
        roomy = np.flatnonzero(~tight[rows])
        b = MilpBuilder()
        lb, ub = y_bounds(model.cands)
        y = b.add_columns("y", np.zeros(n_cand), lb, ub, integer=True)
        z = b.add_columns("z", -demand, 0.0, 1.0)
        x = b.add_columns("x", np.zeros(len(pairs)), 0.0, 1.0)
        g = np.arange(n_grp)
        b.add_rows(
            "cover",
            np.r_[g, cols[roomy], cols[pairs]],
            np.r_[z, y[rows[roomy]], x],
            np.r_[np.ones(n_grp), -np.ones(len(roomy) + len(pairs))],
            hi=np.zeros(n_grp),
        )
        b.add_rows("serve", cols[pairs], x, np.ones(len(pairs)), hi=np.ones(n_grp))
        k = np.arange(len(pairs))
        b.add_rows(
            "link",
            np.r_[k, k],
            np.r_[x, y[rows[pairs]]],
            np.r_[k * 0 + 1.0, -np.ones(len(k))],
            hi=np.zeros(len(k)),
        )
        sites = np.flatnonzero(tight)
        local = np.searchsorted(sites, rows[pairs])
        b.add_rows(
            "capacity",
            np.r_[local, np.arange(len(sites))],
            np.r_[x, y[sites]],
            np.r_[demand[cols[pairs]], -(model.room * model.most)[sites]],
            hi=np.zeros(len(sites)),
        )
        add_site_rows(b, y, model.cands, model.rules)
        return cls(model, tight, b.build(), y, z, x, pairs)

    def start(self, full: np.ndarray) -> np.ndarray:
        """The full model's start vector in this model's columns."""
        m = self.model
        out = np.zeros(self.milp.shape[1])
        out[self.y] = full[m.y]
        out[self.x] = full[m.x[self.pairs]]
        served = np.where(self.tight[m.rows], full[m.x], full[m.y][m.rows])
        out[self.z] = np.minimum(np.bincount(m.cols, served, len(m.demand)), 1.0)
        return out

    def expand(self, xr: np.ndarray, n_cols: int) -> np.ndarray:
        """This model's solution as the full model's columns: sites, most modules, no shares."""
        m = self.model
        full = np.zeros(n_cols)
        full[m.y] = np.round(xr[self.y])
        full[m.m] = m.most * full[m.y]
        return full


def hand_out(
    group: np.ndarray, w: np.ndarray, rows: np.ndarray, cols: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hand each group's parcels served by each site to the group's columns in turn.

    On one line the groups lie end to end, each as its columns' parcels in column
    order; from a group's start its served parcels follow as one chunk per site
    (largest first). A column is served what of the served part it overlaps, by the
    site whose chunk overlaps most of it: at most one column per chunk boundary is
    split, and the site loads (``amount`` per pair ``rows -> cols``) are unchanged.

    Returns parcels served and the site (-1: none) per column.
    """
    served, assignment = np.zeros(len(w)), np.full(len(w), -1)
    members = np.flatnonzero(group >= 0)
    members = members[np.argsort(group[members], kind="stable")]
    used = np.flatnonzero(amount > 0)
    if not len(members) or not len(used):
        return served, assignment
    gm, wm = group[members], w[members]
    start = np.cumsum(wm) - wm
    offset = np.zeros(int(gm.max()) + 1)
    head = np.r_[True, gm[1:] != gm[:-1]]
    offset[gm[head]] = start[head]
    order = used[np.lexsort((-amount[used], cols[used]))]  # by group, largest first
    size, cg = amount[order], cols[order]
    before = np.cumsum(size) - size
    first = np.r_[True, cg[1:] != cg[:-1]]
    base = np.zeros(len(offset))
    base[cg[first]] = before[first]
    lo_edge = offset[cg] + before - base[cg]
    hi_edge = lo_edge + size
    stop = offset[gm] + np.bincount(cols, amount, len(offset))[gm]
    got = np.clip(stop - start, 0.0, wm)
    got[got < 1e-6] = 0.0  # float noise on the line, not parcels
    eps = 1e-7
    lo = np.searchsorted(hi_edge, start + eps, side="right")
    hi = np.searchsorted(lo_edge, start + got - eps, side="left") - 1
    site = np.full(len(members), -1)
    has = got > 0
    site[has] = rows[order][lo[has]]
    for k in np.flatnonzero(has & (hi > lo)):  # split between sites: the larger part
        span = np.arange(lo[k], hi[k] + 1)
        part = np.minimum(hi_edge[span], start[k] + got[k]) - np.maximum(lo_edge[span], start[k])
        site[k] = rows[order][span[np.argmax(part)]]
    served[members] = got
    assignment[members] = site
    return served, assignment


def nearest_allocation(
    D: sparse.csr_matrix,
    open_sites: np.ndarray,
    w: np.ndarray,
    room: np.ndarray,
    opts: SolverOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The most parcels the open sites serve, at the least walking (an LP).

    Among the allocations of the open sites (capacities ``room``) that serve the
    most parcels, the one with the least parcel-weighted walk: where capacity
    does not bind every column goes whole to its nearest open site; where it
    does, few columns split (a vertex of the LP). One LP does both: a parcel
    served earns ``big`` minus its walk, with ``big`` above the walk any served
    parcel could save on the longest chain of reassignments (one walk per open
    site and back), so serving more always wins (lexicographic, exact).

    Returns parcels served and assigned site (-1: none; the site serving the
    largest share) per column, and the load per open site; ``None`` if the LP
    finds no solution.
    """
    rows = D[open_sites].tocoo()
    keep = w[rows.col] > 0
    j, i, d = rows.row[keep], rows.col[keep], rows.data[keep]
    if not len(i):
        return np.zeros(len(w)), np.full(len(w), -1), np.zeros(len(open_sites))
    cols, c = np.unique(i, return_inverse=True)
    b = MilpBuilder()
    big = (float(d.max()) + 1.0) * (2 * len(open_sites) + 2)
    share = b.add_columns("x", w[i] * (d - big), 0.0, 1.0)
    b.add_rows("serve", c, share, np.ones(len(i)), hi=np.ones(len(cols)))
    b.add_rows("capacity", j, share, w[i], hi=room)
    out = solve_milp(b.build(), opts)
    if out.x is None:
        return None
    x = np.clip(out.x, 0.0, 1.0)
    x[x < 1e-9] = 0.0
    x /= np.maximum(np.bincount(c, x, len(cols)), 1.0)[c]
    amount = w[i] * x
    load = np.bincount(j, amount, len(open_sites))
    over = load > room
    x *= np.where(over, room / np.where(over, load, 1.0), 1.0)[j]
    amount = w[i] * x
    served_col = np.zeros(len(w))
    served_col[cols] = np.bincount(c, amount, len(cols))
    best = np.full(len(cols), -1.0)
    assignment = np.full(len(w), -1)
    for k in np.argsort(-amount, kind="stable"):  # the largest share per column
        if amount[k] > 0 and best[c[k]] < 0:
            best[c[k]] = amount[k]
            assignment[i[k]] = open_sites[j[k]]
    return served_col, assignment, np.bincount(j, amount, len(open_sites))


def capacity_message(D: sparse.csr_matrix, open_sites: np.ndarray, w: np.ndarray, served) -> str:
    """Parcels within the walk of an open site that its capacity leaves unserved."""
    reached = np.zeros(D.shape[1], dtype=bool)
    if len(open_sites):
        reached[D[open_sites].indices] = True
    lost = float((w - served)[reached].sum())
    if lost <= 1e-6:
        return ""
    return (
        f"{fmt(lost)} parcels/day within the walk of an open site are beyond the "
        "capacity of its modules."
    )
