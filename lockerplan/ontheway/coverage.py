"""Coverage on the way: a customer is covered from home, from work or from the way between.

Customers are split into groups: for each home cell, the residents who stay
(the share not employed) and one group per commute drawn from the gravity model
(:mod:`lockerplan.ontheway.commute`), each with its parcels per day. A group has
*anchors*, the places where it may pick up: its home, its job cell, and the stops
of its transit journey (boarding, transfers, alighting) or the nodes of its car
path. A site covers a group when it is within the walk cutoff of the home or the
job, or within the detour limit of an anchor on the way.

:func:`on_the_way_matrix` turns this into the sparse candidate x group matrix
the siting models take (:mod:`lockerplan.siting`: a stored entry is a reachable
pair, its value the shortest walk from any anchor), so a group reached by any of
its anchors is covered once. Every group keeps its home anchor, so coverage on
the way is never below home-only coverage with the same sites.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from ..candidates import CANDIDATE_COLUMNS
from ..distances import ragged_rows
from ..errors import InputError

log = logging.getLogger(__name__)

#: A GTFS stop within this distance of a candidate is that candidate already,
#: metres (a judgement, not a measured figure): OSM maps a stop's pole or
#: platform and the feed its boarding point, which lie about a street's width apart (15 m merges duplicates among OSM places,
#: :func:`lockerplan.candidates.candidates_from_pois`).
STOP_MATCH_M = 25.0


@dataclass(frozen=True)
class Groups:
    """Customer groups and their anchors.

    Attributes
    ----------
    home : numpy.ndarray
        Column of each group's home in the home matrix.
    work : numpy.ndarray
        Column of its job cell in the work matrix; -1 for residents who stay.
    path_ptr, path_anchor : numpy.ndarray
        Ragged anchors on the way: group ``g``'s are columns
        ``path_anchor[path_ptr[g]:path_ptr[g + 1]]`` of the path matrix.
    weight : numpy.ndarray
        Parcels per day.
    trip : numpy.ndarray
        Row of the trips table of each group; -1 for residents who stay.
    """

    home: np.ndarray
    work: np.ndarray
    path_ptr: np.ndarray
    path_anchor: np.ndarray
    weight: np.ndarray
    trip: np.ndarray

    def __len__(self) -> int:
        return len(self.home)


def commute_groups(
    parcels: np.ndarray,
    residents: np.ndarray,
    trips: pd.DataFrame,
    home_anchor: np.ndarray,
    work_anchor: np.ndarray,
    path_anchors: list[np.ndarray] | None = None,
) -> Groups:
    """Split each home cell's parcels into residents who stay and commuter groups.

    A commute's parcels are its home cell's parcels times its workers over the
    cell's residents; what is left of the cell's parcels stays at home.

    Parameters
    ----------
    parcels, residents : numpy.ndarray
        Per home cell.
    trips : pandas.DataFrame
        ``home``, ``job`` (cell indices) and ``workers``, as from
        :func:`lockerplan.ontheway.commute.sample_trips`.
    home_anchor, work_anchor : numpy.ndarray
        Per cell, its column in the home and the work matrix.
    path_anchors : list of numpy.ndarray, optional
        Per trip, its columns in the path matrix.

    Returns
    -------
    Groups

    Examples
    --------
    >>> trips = pd.DataFrame({"home": [0], "job": [1], "workers": [40.0]})
    >>> g = commute_groups(np.array([5.0, 0.0]), np.array([100.0, 0.0]), trips,
    ...                    np.array([0, 1]), np.array([0, 1]))
    >>> g.weight.tolist(), g.work.tolist()
    ([3.0, 2.0], [-1, 1])
    """
    parcels = np.asarray(parcels, dtype=float)
    residents = np.asarray(residents, dtype=float)
    h = trips["home"].to_numpy(dtype=np.int64)
    j = trips["job"].to_numpy(dtype=np.int64)
    workers = trips["workers"].to_numpy(dtype=float)
    commuting = np.bincount(h, weights=workers, minlength=len(parcels))
    if (commuting > residents * (1 + 1e-9)).any():
        cell = int(np.flatnonzero(commuting > residents * (1 + 1e-9))[0])
        raise InputError(
            f"home cell {cell} sends {commuting[cell]:g} commuters but has "
            f"{residents[cell]:g} residents; the trips do not match the residents."
        )
    per_resident = np.divide(parcels, residents, out=np.zeros_like(parcels), where=residents > 0)
    stay = parcels - per_resident * commuting
    cells = np.flatnonzero(stay > 1e-12)
    if path_anchors is None:
        path_anchors = [np.zeros(0, np.int64)] * len(trips)
    sizes = np.r_[np.zeros(len(cells), np.int64), [len(a) for a in path_anchors]]
    return Groups(
        home=np.r_[home_anchor[cells], home_anchor[h]].astype(np.int64),
        work=np.r_[np.full(len(cells), -1), work_anchor[j]].astype(np.int64),
        path_ptr=np.r_[0, np.cumsum(sizes)].astype(np.int64),
        path_anchor=np.concatenate([np.zeros(0, np.int64), *map(np.asarray, path_anchors)]).astype(
            np.int64
        ),
        weight=np.r_[stay[cells], per_resident[h] * workers],
        trip=np.r_[np.full(len(cells), -1), np.arange(len(trips))].astype(np.int64),
    )


@dataclass(frozen=True)
class OnTheWay:
    """Candidate x group walks from each kind of anchor, and their union.

    Attributes
    ----------
    home, work, path : scipy.sparse.csr_matrix
        Candidate x group: walk from the group's home / job cell (within the walk
        cutoff) / nearest anchor on the way (within the detour limit).
    matrix : scipy.sparse.csr_matrix
        Their union, the shortest of them: what the siting models take.
    groups : Groups
    """

    home: sparse.csr_matrix
    work: sparse.csr_matrix
    path: sparse.csr_matrix
    matrix: sparse.csr_matrix
    groups: Groups

    @property
    def weights(self) -> np.ndarray:
        """Parcels per day of each group (the siting models' ``weights``)."""
        return self.groups.weight

    def covered(self, open_sites: np.ndarray) -> dict[str, float]:
        """Parcels per day the open sites cover, by where the customer is first reached.

        ``at_home`` (a site within the walk of home: home-only coverage), then of
        the rest ``at_work`` and ``on_the_way`` (a stop or the path); ``total``
        is their sum and ``gain`` what on the way adds to home-only coverage.

        Examples
        --------
        >>> D = sparse.csr_matrix(([100.0], ([0], [0])), shape=(2, 1))
        >>> E = sparse.csr_matrix(([50.0], ([1], [0])), shape=(2, 1))
        >>> g = Groups(np.array([0]), np.array([0]), np.array([0, 0]),
        ...            np.zeros(0, int), np.array([2.0]), np.array([0]))
        >>> on_the_way_matrix(D, E, E[:, :0], g).covered(np.array([1]))["at_work"]
        2.0
        """
        rows = np.zeros(self.matrix.shape[0], dtype=bool)
        rows[np.asarray(open_sites, dtype=np.int64)] = True

        def reached(m: sparse.csr_matrix) -> np.ndarray:
            return m[rows].getnnz(axis=0) > 0

        home, work, path = reached(self.home), reached(self.work), reached(self.path)
        w = self.groups.weight
        out = {
            "at_home": float(w[home].sum()),
            "at_work": float(w[work & ~home].sum()),
            "on_the_way": float(w[path & ~home & ~work].sum()),
        }
        out["total"] = out["at_home"] + out["at_work"] + out["on_the_way"]
        out["gain"] = out["total"] - out["at_home"]
        return out


def on_the_way_matrix(
    home_matrix: sparse.spmatrix,
    work_matrix: sparse.spmatrix,
    path_matrix: sparse.spmatrix,
    groups: Groups,
) -> OnTheWay:
    """The candidate x group matrix of coverage on the way.

    Parameters
    ----------
    home_matrix : scipy.sparse matrix
        Candidate x home walks within the walk cutoff (e.g. the plan's candidate x
        demand-cluster matrix).
    work_matrix : scipy.sparse matrix
        Candidate x job-cell walks within the walk cutoff (the same matrix when
        jobs come from the demand layer).
    path_matrix : scipy.sparse matrix
        Candidate x anchor-on-the-way walks within the detour limit.
    groups : Groups

    Returns
    -------
    OnTheWay

    Raises
    ------
    InputError
        If the matrices have different numbers of candidates or a group names a
        column they do not have.

    Examples
    --------
    >>> D = sparse.csr_matrix(([100.0, 300.0], ([0, 1], [0, 1])), shape=(3, 2))
    >>> S = sparse.csr_matrix(([80.0], ([2], [0])), shape=(3, 1))
    >>> g = Groups(np.array([0, 1]), np.array([-1, 1]), np.array([0, 0, 1]),
    ...            np.array([0]), np.array([1.0, 1.0]), np.array([-1, 0]))
    >>> on_the_way_matrix(D, D, S, g).matrix.toarray().tolist()
    [[100.0, 0.0], [0.0, 300.0], [0.0, 80.0]]
    """
    n = home_matrix.shape[0]
    for name, m in (("work_matrix", work_matrix), ("path_matrix", path_matrix)):
        if m.shape[0] != n:
            raise InputError(
                f"{name} has {m.shape[0]} candidates (rows) but home_matrix has {n}; "
                "compute them for the same candidates."
            )
    g = len(groups)
    single = np.arange(g + 1)
    has_work = groups.work >= 0
    work_ptr = np.r_[0, np.cumsum(has_work)]
    home = _nearest_anchor(home_matrix, single, groups.home, g, "home")
    work = _nearest_anchor(work_matrix, work_ptr, groups.work[has_work], g, "work")
    path = _nearest_anchor(path_matrix, groups.path_ptr, groups.path_anchor, g, "path")
    parts = [m.tocoo() for m in (home, work, path)]
    union = _min_csr(
        *(np.concatenate([getattr(p, a) for p in parts]) for a in ("row", "col", "data")), (n, g)
    )
    log.info(
        "on the way: %d groups, %d candidate-group pairs (%d from home)",
        g,
        union.nnz,
        home.nnz,
    )
    return OnTheWay(home, work, path, union, groups)


#: Most (candidate, anchor) entries expanded at once by :func:`_nearest_anchor`
#: (three arrays of 8 bytes each: 0.5 GB); car paths have many anchors each.
GATHER_BLOCK = 20_000_000


def _nearest_anchor(
    m: sparse.spmatrix, ptr: np.ndarray, anchors: np.ndarray, n_groups: int, what: str
) -> sparse.csr_matrix:
    """Candidate x group: the shortest walk from any of each group's anchor columns.

    Groups are taken in blocks of at most :data:`GATHER_BLOCK` expanded entries.
    """
    c = sparse.csc_matrix(m)
    anchors = np.asarray(anchors, dtype=np.int64)
    if len(anchors) and (anchors.min() < 0 or anchors.max() >= c.shape[1]):
        raise InputError(
            f"a group names {what} column {int(anchors.max())}, but the {what} matrix has "
            f"{c.shape[1]} columns."
        )
    per_anchor = np.diff(c.indptr)[anchors]
    per_group = np.add.reduceat(np.r_[per_anchor, 0], ptr[:-1]) * (np.diff(ptr) > 0)
    ends = np.r_[0, np.cumsum(per_group)]
    blocks, lo = [], 0
    while lo < n_groups or not blocks:
        hi = max(lo + 1, int(np.searchsorted(ends, ends[lo] + GATHER_BLOCK, side="right")) - 1)
        hi = min(hi, n_groups)
        take, offsets = ragged_rows(c.indptr, anchors[ptr[lo] : ptr[hi]])
        owner = np.repeat(np.arange(hi - lo), np.diff(ptr[lo : hi + 1]))
        group = np.repeat(owner, np.diff(offsets))
        rows = c.indices[take].astype(np.int64)
        blocks.append(_min_csr(rows, group, c.data[take].astype(float), (c.shape[0], hi - lo)))
        lo = hi
    return blocks[0] if len(blocks) == 1 else sparse.hstack(blocks, format="csr")


def _min_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape) -> sparse.csr_matrix:
    """A CSR matrix keeping the smallest value of repeated entries (stored zeros kept)."""
    if len(rows) == 0:
        return sparse.csr_matrix(shape)
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    rows, cols, vals = rows[first], cols[first], vals[first]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=shape[0]))]
    return sparse.csr_matrix((vals, cols, indptr), shape=shape)


def anchor_table(paths: list[list], lonlat: list[list] | None = None) -> tuple[pd.DataFrame, list]:
    """Distinct anchors of many paths and each path's anchors as row numbers.

    Parameters
    ----------
    paths : list of list
        Per path, its anchor keys (stop ids, node indices).
    lonlat : list of list, optional
        Per path, the ``(lon, lat)`` of each anchor.

    Returns
    -------
    table : pandas.DataFrame
        One row per distinct key: ``key`` and, with ``lonlat``, ``lon``, ``lat``.
    rows : list of numpy.ndarray
        Per path, the table rows of its anchors.

    Examples
    --------
    >>> table, rows = anchor_table([["a", "b"], ["b"]])
    >>> table["key"].tolist(), [r.tolist() for r in rows]
    (['a', 'b'], [[0, 1], [1]])
    """
    keys = [k for p in paths for k in p]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=True)
    table = pd.DataFrame({"key": uniques})
    if lonlat is not None:
        xy = np.array([q for p in lonlat for q in p], dtype=float).reshape(-1, 2)
        first = np.unique(codes, return_index=True)[1]
        table["lon"], table["lat"] = xy[first, 0], xy[first, 1]
    sizes = np.array([len(p) for p in paths], dtype=np.int64)
    return table, np.split(codes.astype(np.int64), np.cumsum(sizes)[:-1])


def stop_candidates(
    stops: pd.DataFrame, candidates: gpd.GeoDataFrame, match_m: float = STOP_MATCH_M
) -> gpd.GeoDataFrame:
    """Transit stops and stations that are not candidate sites yet, as candidates.

    Parameters
    ----------
    stops : pandas.DataFrame
        ``stop_id``, ``name``, ``lon``, ``lat``, ``feed`` and ``station`` (as
        :attr:`lockerplan.ontheway.transit.Feeds.stops`).
    candidates : geopandas.GeoDataFrame
        The candidate sites so far.
    match_m : float, default :data:`STOP_MATCH_M`
        A stop this close to a candidate is that candidate.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`lockerplan.candidates.CANDIDATE_COLUMNS` (``kind="cabinet"``,
        ``category`` ``"station"`` or ``"transit_stop"``, ``source="gtfs"``,
        ``source_id`` ``"<feed>/<stop_id>"``, ids ``gtfs0...``), EPSG:4326.

    Examples
    --------
    >>> stops = pd.DataFrame({"stop_id": ["MR"], "name": ["ESTACAO MERCADO"],
    ...     "lon": [-51.2283], "lat": [-30.0263], "feed": ["rail.zip"], "station": [True]})
    >>> empty = gpd.GeoDataFrame(geometry=gpd.points_from_xy([], []), crs="EPSG:4326")
    >>> stop_candidates(stops, empty)[["candidate_id", "category"]].values.tolist()
    [['gtfs0', 'station']]
    """
    if not (isinstance(match_m, int | float) and match_m >= 0):
        raise InputError(f"match_m must be a number >= 0 metres, got {match_m!r}.")
    pts = gpd.GeoSeries(gpd.points_from_xy(stops["lon"], stops["lat"]), crs="EPSG:4326")
    crs = pts.estimate_utm_crs() if len(pts) else "EPSG:3857"
    xy = np.column_stack([pts.to_crs(crs).x, pts.to_crs(crs).y]) if len(pts) else np.zeros((0, 2))
    new = np.ones(len(stops), dtype=bool)
    if len(candidates) and len(stops):
        c = candidates.geometry.to_crs(crs)
        d, _ = cKDTree(np.column_stack([c.x, c.y])).query(xy)
        new = d > match_m
    s = stops.loc[new].reset_index(drop=True)
    out = gpd.GeoDataFrame(
        {
            "candidate_id": [f"gtfs{i}" for i in range(len(s))],
            "name": s["name"].astype(str).to_numpy(),
            "kind": "cabinet",
            "category": np.where(s["station"].to_numpy(dtype=bool), "station", "transit_stop"),
            "source": "gtfs",
            "source_id": (s["feed"].astype(str) + "/" + s["stop_id"].astype(str)).to_numpy(),
            "existing": False,
        },
        geometry=gpd.points_from_xy(s["lon"], s["lat"]),
        crs="EPSG:4326",
    )
    log.info("candidates: %d of %d transit stops added as sites", len(out), len(stops))
    return out[[*CANDIDATE_COLUMNS, "geometry"]]
