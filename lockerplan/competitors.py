"""Competing networks: a rival's lockers that customers can already walk to.

Where they come from
--------------------
* ``--competitors FILE``: a CSV with ``lon``/``lat`` (WGS84) or a GeoJSON /
  GeoPackage of points, with optional ``name`` and ``operator`` columns
  (:func:`read_competitors`; bad rows are refused naming the row and the fix).
* OpenStreetMap parcel lockers (``amenity=parcel_locker``, or parcel vending
  machines) whose ``operator`` or ``brand`` tag is set and is not the planner's own
  operator (``--operator NAME``, compared case-insensitively) are competitor sites
  too, and are then no candidates of ours (:func:`split_osm_lockers`). Without
  ``--operator`` OSM lockers stay what they always were: existing candidate sites
  (``existing=True``), whoever runs them. Lockers without an operator or brand
  tag stay candidates as well.

Competitor sites are snapped to the walk network like candidates, and their walks
to the demand clusters within the cutoff are computed once, when the study area is
prepared (:attr:`lockerplan.pipeline.StudyArea.competitor_distances`).

The choice rule
---------------
A customer collects at the *nearest* open site of either network within the
walking cutoff; a tie goes to the competitor (a conservative reading: the rival
was there first). So a cluster ``i`` whose nearest competitor is ``d_c(i)`` metres
away can be captured by our candidate ``j`` only if ``D[j, i] < d_c(i)``. This is
exact under the rule, and it keeps every siting model unchanged: the walk matrix
is *masked* before siting (:func:`contestable` drops every entry with
``D[j, i] >= d_c(i)``), so the models cover, and the plan reports, only the
parcels our network captures. Competitors are always open; they do not react to
our plan. Demand-share models (customers split by distance decay) are not
implemented.

What is reported
----------------
``captured_parcels_per_day`` (the parcels our covered clusters send; without
competitors equal to ``covered_parcels_per_day``), ``competitor_sites``,
``competitor_operators`` and ``rival_parcels_per_day`` (parcels whose customers
have a competitor within the walk and are not captured by us: they walk to a
rival first). The demand layer gains ``nearest_competitor_m`` (empty beyond the
walk) and ``contested`` (within the walk of both a competitor and one of our open
sites); clusters that some candidate reaches but a competitor reaches at least as
near are listed in ``dropped.csv`` with the layer ``competitor_nearer``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .candidates import is_parcel_locker
from .distances import within_cutoff
from .errors import InputError
from .inputs import read_points, rows_text

log = logging.getLogger(__name__)

COMPETITOR_COLUMNS = ["competitor_id", "name", "operator", "source", "source_id"]
#: ``dropped.csv`` layer of the clusters a competitor is nearer to than every candidate.
TAKEN_LAYER = "competitor_nearer"


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        columns=[*COMPETITOR_COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326"
    )


def _text(values: pd.Series) -> pd.Series:
    """Tag or column values as stripped text ('' when missing)."""
    return values.fillna("").astype(str).str.strip()


def is_own(operators: pd.Series, operator: str | None) -> np.ndarray:
    """Whether each operator name is the planner's own (case-insensitive, trimmed).

    Examples
    --------
    >>> is_own(pd.Series(["Posti", " posti ", "DHL", None]), "POSTI").tolist()
    [True, True, False, False]
    """
    if not operator or not str(operator).strip():
        return np.zeros(len(operators), dtype=bool)
    own = str(operator).strip().casefold()
    return (_text(operators).str.casefold() == own).to_numpy()


def read_competitors(path: str | Path, operator: str | None = None) -> gpd.GeoDataFrame:
    """Read a rival network's sites from a point file.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``lon``/``lat`` (WGS84) or a GeoJSON/GeoPackage of points, with
        optional ``name`` and ``operator`` columns.
    operator : str, optional
        The planner's own operator: a row that names it is refused (your own
        lockers are candidates, not competitors).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`COMPETITOR_COLUMNS` in EPSG:4326: ``competitor_id`` ``rival<row>``,
        ``source="user"``, ``source_id`` the input row.

    Raises
    ------
    InputError
        Missing file or ``lon``/``lat`` column, text or out-of-range coordinates
        (naming the line), or rows of the planner's own operator.

    Examples
    --------
    >>> read_competitors("data/helsinki_competitors.csv")["operator"].iloc[0]  # doctest: +SKIP
    'RivalBox'
    """
    gdf = read_points(path, "--competitors")
    operators = _text(gdf["operator"]) if "operator" in gdf else pd.Series("", index=gdf.index)
    own = is_own(operators, operator)
    if own.any():
        raise InputError(
            f"--competitors: {str(path)!r} {rows_text(gdf['input_row'].to_numpy()[own])} "
            f"name your own operator {operator!r} (--operator); your own lockers are not "
            "competitors: remove those rows, or give them as --candidates."
        )
    return gpd.GeoDataFrame(
        {
            "competitor_id": [f"rival{r}" for r in gdf["input_row"]],
            "name": _text(gdf["name"]) if "name" in gdf else "",
            "operator": operators.to_numpy(),
            "source": "user",
            "source_id": gdf["input_row"].astype(str).to_numpy(),
        },
        geometry=gdf.geometry.to_numpy(),
        crs="EPSG:4326",
    )


def _rival_lockers(pois: gpd.GeoDataFrame, operator: str | None) -> np.ndarray:
    """OSM parcel lockers with an operator or brand that is not ``operator``."""
    if not operator or len(pois) == 0:
        return np.zeros(len(pois), dtype=bool)
    blank = pd.Series("", index=pois.index)
    op = _text(pois["operator"]) if "operator" in pois else blank
    brand = _text(pois["brand"]) if "brand" in pois else blank
    tagged = (op != "") | (brand != "")
    own = is_own(op, operator) | is_own(brand, operator)
    return is_parcel_locker(pois) & tagged.to_numpy() & ~own


def split_osm_lockers(
    pois: gpd.GeoDataFrame, operator: str | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """OSM places without the rivals' parcel lockers, and those lockers as competitors.

    Parameters
    ----------
    pois : geopandas.GeoDataFrame
        As from :func:`lockerplan.osm.read_pois` (``amenity``, ``vending``,
        ``operator`` and ``brand`` columns).
    operator : str or None
        The planner's own operator; None keeps every locker a candidate.

    Returns
    -------
    (geopandas.GeoDataFrame, geopandas.GeoDataFrame)
        The places that stay candidates, and :func:`competitor_sites` of the rest.

    Examples
    --------
    >>> import shapely
    >>> pois = gpd.GeoDataFrame({"osm_id": [1, 2], "osm_type": "node", "name": ["A", "B"],
    ...     "operator": ["Posti", "DHL"], "amenity": "parcel_locker", "vending": None},
    ...     geometry=[shapely.Point(24.94, 60.17)] * 2, crs="EPSG:4326")
    >>> kept, rivals = split_osm_lockers(pois, "posti")
    >>> kept["name"].tolist(), rivals["operator"].tolist()
    (['A'], ['DHL'])
    """
    rival = _rival_lockers(pois, operator)
    return pois[~rival].reset_index(drop=True), competitor_sites(pois, operator)


def competitor_sites(pois: gpd.GeoDataFrame, operator: str | None) -> gpd.GeoDataFrame:
    """The OSM parcel lockers of other operators, as competitor sites.

    Parameters
    ----------
    pois : geopandas.GeoDataFrame
        OSM places (see :func:`split_osm_lockers`).
    operator : str or None
        The planner's own operator; None gives no competitors (OSM lockers then
        stay existing candidates).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`COMPETITOR_COLUMNS` in EPSG:4326: ``competitor_id`` ``rival_osm<k>``,
        ``operator`` (the ``brand`` where no operator is tagged), ``source="osm"``,
        ``source_id`` ``node/123``.
    """
    rival = _rival_lockers(pois, operator)
    if not rival.any():
        return _empty()
    sel = pois[rival]
    op = _text(sel["operator"]) if "operator" in sel else pd.Series("", index=sel.index)
    brand = _text(sel["brand"]) if "brand" in sel else pd.Series("", index=sel.index)
    points = sel.to_crs(sel.estimate_utm_crs()).geometry.representative_point().to_crs(4326)
    log.info("competitors: %d OSM parcel lockers of other operators than %r", len(sel), operator)
    return gpd.GeoDataFrame(
        {
            "competitor_id": [f"rival_osm{k}" for k in range(len(sel))],
            "name": _text(sel["name"]).to_numpy() if "name" in sel else "",
            "operator": op.where(op != "", brand).to_numpy(),
            "source": "osm",
            "source_id": (
                _text(sel["osm_type"]).replace("", "node") + "/" + sel["osm_id"].astype(str)
            ).to_numpy(),
        },
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )


def combine(*frames: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Competitor frames stacked (the file's first, then OSM's); empty when none."""
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return _empty()
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")


def nearest_competitor(distances: sparse.spmatrix | None, walk_m: float, n: int) -> np.ndarray:
    """Walk from each demand cluster to its nearest competitor within ``walk_m`` (inf: none).

    Examples
    --------
    >>> C = sparse.csr_matrix(([300.0, 120.0, 0.0], ([0, 1, 1], [0, 0, 2])), shape=(2, 3))
    >>> nearest_competitor(C, 400, 3).tolist()
    [120.0, inf, 0.0]
    """
    out = np.full(n, np.inf)
    if distances is None or distances.nnz == 0:
        return out
    coo = within_cutoff(distances, walk_m).tocoo()
    np.minimum.at(out, coo.col, coo.data)
    return out


def contestable(D: sparse.spmatrix, competitor_walk: np.ndarray) -> sparse.csr_matrix:
    """The candidate x cluster walks our sites can win: ``D[j, i] < competitor_walk[i]``.

    Ties go to the competitor. Applied to the siting model's input, every model
    then covers only what our network captures (see the module's choice rule).

    Parameters
    ----------
    D : scipy.sparse matrix
        Candidate x demand-cluster walks within the cutoff (stored zeros are real).
    competitor_walk : numpy.ndarray
        Per cluster, the walk to its nearest competitor (inf where none is within
        the cutoff), from :func:`nearest_competitor`.

    Returns
    -------
    scipy.sparse.csr_matrix

    Examples
    --------
    >>> D = sparse.csr_matrix(([0.0, 200.0, 100.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    >>> contestable(D, np.array([np.inf, 150.0])).toarray().tolist()
    [[0.0, 0.0], [0.0, 100.0]]
    >>> contestable(D, np.array([np.inf, 150.0])).nnz  # (0, 0) is a real zero walk
    2
    """
    competitor_walk = np.asarray(competitor_walk, dtype=float)
    if D.shape[1] != len(competitor_walk):
        raise InputError(
            f"competitor_walk has {len(competitor_walk)} values for {D.shape[1]} demand "
            "clusters; give one walk (inf: no competitor) per cluster."
        )
    coo = D.tocoo()
    keep = coo.data < competitor_walk[coo.col]
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=D.shape)


def competition_columns(
    clusters: gpd.GeoDataFrame,
    D: sparse.spmatrix,
    open_sites: np.ndarray,
    competitor_walk: np.ndarray,
    adoption: Callable[[np.ndarray], np.ndarray] | None = None,
) -> gpd.GeoDataFrame:
    """Demand clusters with ``nearest_competitor_m``, ``contested`` and
    ``rival_locker_parcels_per_day``.

    ``contested``: a competitor and one of our open sites (``open_sites``, rows of
    the unmasked ``D``) are both within the walk, whoever wins the cluster.
    ``rival_locker_parcels_per_day``: of a cluster with a competitor within the
    walk and no open site of ours serving it (``covered`` False; without that
    column: a candidate reaches it but a competitor is at least as near), the
    parcels its customers collect at the rival's locker, ``adoption(walk to the
    rival)`` of them (the rest are delivered home), 0 elsewhere; only with
    ``adoption``.
    """
    ours = np.diff(D.tocsr()[np.asarray(open_sites, dtype=int)].tocsc().indptr) > 0
    near = np.isfinite(competitor_walk)
    walk = np.where(near, competitor_walk, np.nan)
    if "covered" in clusters:
        taken = near & ~clusters["covered"].to_numpy(dtype=bool)
    else:
        taken = _taken(D, contestable(D, competitor_walk))
    out = clusters.assign(nearest_competitor_m=np.round(walk, 1), contested=near & ours)
    if adoption is None:
        return out
    share = adoption(np.nan_to_num(walk))
    parcels = clusters["parcels_per_day"].to_numpy(dtype=float)
    return out.assign(
        rival_locker_parcels_per_day=np.round(np.where(taken, parcels * share, 0.0), 4)
    )


def _taken(D: sparse.spmatrix, contest: sparse.spmatrix) -> np.ndarray:
    """Clusters a candidate reaches but a competitor is at least as near to."""
    return (np.diff(D.tocsc().indptr) > 0) & ~(np.diff(contest.tocsc().indptr) > 0)


def taken_by_competitors(
    clusters: gpd.GeoDataFrame,
    D: sparse.spmatrix,
    contest: sparse.spmatrix,
    chosen: bool = False,
) -> pd.DataFrame:
    """``dropped.csv`` rows of the clusters a candidate reaches but a competitor is
    at least as near to (no plan of ours can capture them); when ``clusters``
    carries ``rival_locker_parcels_per_day`` (:func:`competition_columns`), every
    cluster whose locker users collect at a rival, with those parcels (the rest are
    delivered home).

    ``clusters`` carries ``nearest_competitor_m`` (:func:`competition_columns`).
    ``chosen``: customers choose by the MNL (``--choice mnl``): a cluster's parcels
    split between rivals, our sites and home, and every rival's share is listed.
    """
    if chosen:
        share = clusters["rival_locker_parcels_per_day"].to_numpy(dtype=float)
        lost, column = clusters[share > 0], "rival_locker_parcels_per_day"
        why = "customers choose a competitor's site within the walk (nearest {:,.0f} m) "
        why += "by the choice model; the rest go to our sites or home"
    elif "rival_locker_parcels_per_day" in clusters:  # what the rival's lockers take
        share = clusters["rival_locker_parcels_per_day"].to_numpy(dtype=float)
        lost, column = clusters[share > 0], "rival_locker_parcels_per_day"
        why = "a competitor is within the walk ({:,.0f} m) and no open site of ours is; its "
        why += "locker users collect at the rival, the rest are delivered home"
    else:
        lost, column = clusters[_taken(D, contest)], "parcels_per_day"
        why = "a competitor is nearer ({:,.0f} m walk) than every candidate site; its "
        why += "customers walk to the rival"
    rows = [
        (TAKEN_LAYER, cid, float(p), why.format(d))
        for cid, p, d in zip(
            lost["cluster_id"], lost[column], lost["nearest_competitor_m"], strict=True
        )
    ]
    return pd.DataFrame(rows, columns=["layer", "id", "parcels_per_day", "reason"])


def with_taken(
    dropped: pd.DataFrame,
    clusters: gpd.GeoDataFrame,
    D: sparse.spmatrix,
    contest: sparse.spmatrix,
    chosen: bool = False,
) -> pd.DataFrame:
    """``dropped`` with the :func:`taken_by_competitors` rows added."""
    taken = taken_by_competitors(clusters, D, contest, chosen)
    return pd.concat([dropped, taken], ignore_index=True) if len(taken) else dropped
