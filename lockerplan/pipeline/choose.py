"""Siting under customers' choice (``--choice mnl``): calibrate, site, report the shares.

The MNL of :mod:`lockerplan.choice` needs a home utility, and the home utility that
sends the target share out of home depends on the sites customers face. So the
plan is a fixed point, found in a few rounds:

1. calibrate the home utility with each customer's nearest candidate as the only
   site of ours (a network as dense as the candidates allow);
2. site under the MNL with it (:func:`lockerplan.siting.mnl.solve_mnl` for the
   coverage models ``mclp`` and ``cmclp``, capacities for ``cmclp``; the other
   models site by their own objective);
3. calibrate again on the sites opened; while the open sites change, site again
   (at most :data:`ROUNDS` rounds).

The plan reports the shares of the last siting under the home utility it was sited
with; :class:`ChoiceFit` says whether the rounds settled. The home utility is
calibrated at today's prices: a discount on locker delivery (``--locker-discount``)
then moves customers beyond the target share. Rivals' sites enter the
customers' choice by their own walks (not the nearest-wins masking of
``--choice decay``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from scipy import sparse

from ..choice import ChoiceModel, calibrate_home, out_of_home_share, rival_attraction
from ..records import ChoiceFigures
from ..scenario import Scenario
from ..siting import MODELS, Candidates, SitingResult
from ..siting.mnl import solve_mnl

log = logging.getLogger(__name__)

#: Most siting rounds of the calibration's fixed point.
ROUNDS = 3


@dataclass(frozen=True)
class ChoiceFit:
    """The calibrated choice model of a plan and what its customers choose.

    Attributes
    ----------
    model : ChoiceModel
        The coefficients, with the home utility the plan was sited with.
    target : float
        The out-of-home share calibrated to.
    rounds : int
        Siting rounds of the fixed point.
    settled : bool
        Whether the last round opened the sites the one before did (the home
        utility then reproduces the target on the plan's own sites).
    rival_walk : scipy.sparse.csr_matrix or None
        Rivals' sites x clusters, the walks within reach.
    discount : float or numpy.ndarray
        The discount on locker delivery customers chose with (one, or per cluster).
    """

    model: ChoiceModel
    target: float
    rounds: int
    settled: bool
    rival_walk: sparse.csr_matrix | None
    discount: float | np.ndarray = 0.0

    def outside(self, n: int) -> np.ndarray:
        """Per cluster, the attraction of home delivery plus the rivals' sites."""
        return np.exp(self.model.home_utility) + rival_attraction(self.model, self.rival_walk, n)


def rival_walks(area, walk_m: float) -> sparse.csr_matrix | None:
    """Rivals' sites x clusters: the walks within ``walk_m`` (None without rivals)."""
    C = area.competitor_distances
    if area.competitors is None or C is None:
        return None
    coo = sparse.coo_matrix(C)
    keep = coo.data <= walk_m
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=C.shape)


def within_kind_cutoffs(
    D: sparse.csr_matrix, kind: np.ndarray, cutoff_per_kind: dict[str, float]
) -> sparse.csr_matrix:
    """``D`` less the walks beyond their site kind's own cutoff (``--pickup-walk-m``):
    a site beyond it is no option of the customer's choice."""
    if not cutoff_per_kind:
        return D
    C = D.tocoo()
    limit = np.array([cutoff_per_kind.get(k, np.inf) for k in kind], dtype=float)
    keep = C.data <= limit[C.row]
    return sparse.csr_matrix((C.data[keep], (C.row[keep], C.col[keep])), shape=D.shape)


def nearest_only(D: sparse.csr_matrix) -> sparse.csr_matrix:
    """Per column, only its nearest stored entry (the calibration's first network)."""
    C = D.tocoo()
    order = np.lexsort((C.data, C.col))
    col, first = C.col[order], np.r_[True, C.col[order][1:] != C.col[order][:-1]]
    rows, data = C.row[order][first], C.data[order][first]
    return sparse.csr_matrix((data, (rows, col[first])), shape=D.shape)


def site_under_choice(
    sc: Scenario,
    area,
    D: sparse.csr_matrix,
    attrs: Candidates,
    solve,
    weights: np.ndarray | None = None,
    contest: sparse.csr_matrix | None = None,
) -> tuple[SitingResult, ChoiceFit]:
    """Site the scenario's model, calibrate the MNL on its sites, split the parcels.

    With ``site_by="coverage"`` (the default) the model sites by its own objective
    and customers then choose among the sites it opens: the home utility is
    calibrated once, on those sites. With ``site_by="choice"`` the coverage models
    (``mclp``, ``cmclp``) maximise the parcels customers bring (the fixed point of
    the module docstring; each round gets a share of the time limit).

    Parameters
    ----------
    sc : Scenario
        The plan's settings (``choice``, ``siting``).
    area : StudyArea
        The prepared study area (rivals' walks).
    D : scipy.sparse.csr_matrix
        Candidates x columns within the walk, not masked by rivals.
    attrs : Candidates
        The candidates' kinds, capacities and costs.
    solve : callable
        ``solve(D, attrs, solver=None, time_limit_s=None)``: the pipeline's siting
        run (:func:`lockerplan.pipeline.solve.solve_siting`), with ``solver`` a
        siting function to use instead of the scenario model's.
    weights : numpy.ndarray, optional
        Parcels per day of ``D``'s columns (the clusters' by default).
    contest : scipy.sparse.csr_matrix, optional
        ``D`` less the walks a rival is at least as near for: what the coverage
        models site on (``site_by="coverage"``), so that they do not count customers
        a rival serves better; customers then choose over ``D``.

    Returns
    -------
    (SitingResult, ChoiceFit)
        The siting (``split``: each open site's share of each column) and the fit.
    """
    params, ch = sc.siting, sc.choice
    w = area.clusters["parcels_per_day"].to_numpy(dtype=float) if weights is None else weights
    rivals = rival_walks(area, params.walk_m) if weights is None else None
    model = ChoiceModel(ch.walk_utility_per_km, ch.discount_utility)
    discount, target = ch.locker_discount, float(ch.out_of_home_share)
    spec = MODELS[params.model]
    by_coverage = ch.site_by == "coverage" or not spec.coverage
    if by_coverage:
        siting = solve(D if contest is None else contest, attrs)
        model = calibrate_home(model, target, w, D[siting.open_sites], rivals)
        fit = ChoiceFit(model, target, 1, True, rivals, discount)
    else:
        siting, fit = _site_for_choice(
            solve, spec, D, attrs, w, rivals, model, target, discount, params
        )
    shares = fit.model.shares(D[siting.open_sites], rivals, discount)
    if by_coverage:
        split = shares.own
        # a capacitated model's sites turn customers away when full; an uncapacitated
        # model's promise beyond its cabinets stays visible (over_capacity)
        if spec.capacitated:
            split = within_capacity(split, w, siting, attrs.capacity / params.peak_factor)
        siting.split = split
    share = out_of_home_share(shares, w, _in_reach(D[siting.open_sites], rivals))
    log.info(
        "choice (mnl): home utility %.3f, %d round(s)%s, out-of-home share %.3f (target %.3f)",
        fit.model.home_utility, fit.rounds, "" if fit.settled else " (not settled)", share, target,
    )  # fmt: skip
    return siting, fit


def within_capacity(
    split: sparse.csr_matrix, w: np.ndarray, siting: SitingResult, per_module: np.ndarray
) -> sparse.csr_matrix:
    """The shares scaled down at each open site whose customers bring more than its
    modules hold (the rest go to the outside option: home or a rival)."""
    open_idx = np.asarray(siting.open_sites, dtype=int)
    modules = np.asarray(siting.modules, dtype=float)
    if len(modules) != len(open_idx):
        modules = np.ones(len(open_idx))
    cap = modules * per_module[open_idx]
    load = split @ w
    scale = np.where((load > cap) & np.isfinite(cap), cap / np.maximum(load, 1e-12), 1.0)
    return sparse.csr_matrix(sparse.diags(scale) @ split)


def _site_for_choice(solve, spec, D, attrs, w, rivals, model, target, discount, params):
    """The fixed point of the module docstring: calibrate, site under the MNL, repeat."""
    reference = nearest_only(D)
    previous: set[int] | None = None
    settled = False
    for rounds in range(1, ROUNDS + 1):
        model = calibrate_home(model, target, w, reference, rivals)
        fit = ChoiceFit(model, target, rounds, settled, rivals, discount)
        mnl = functools.partial(
            solve_mnl,
            attraction=functools.partial(model.attraction, discount=discount),
            outside=fit.outside(D.shape[1]),
            capacitated=spec.capacitated,
        )
        siting = solve(D, attrs, solver=mnl, time_limit_s=params.time_limit_s / ROUNDS)
        siting.model = params.model
        siting.stats["choice"] = "mnl"
        opened = set(siting.open_sites.tolist())
        settled = opened == previous
        previous, reference = opened, D[siting.open_sites]
        if settled:
            break
    return siting, dataclasses.replace(fit, rounds=rounds, settled=settled)


def _in_reach(own: sparse.spmatrix, rivals: sparse.spmatrix | None) -> np.ndarray:
    """Per cluster, whether a site of ours or a rival's is within reach."""
    reach = np.diff(sparse.csc_matrix(own).indptr) > 0
    if rivals is not None:
        reach |= np.diff(sparse.csc_matrix(rivals).indptr) > 0
    return reach


def choice_columns(
    clusters: gpd.GeoDataFrame, siting: SitingResult, fit: ChoiceFit, D: sparse.csr_matrix
) -> gpd.GeoDataFrame:
    """The clusters with what their customers choose: ``locker_parcels_per_day`` (ours,
    from the siting's shares), ``rival_locker_parcels_per_day`` and
    ``home_parcels_per_day``, and ``in_reach`` (a site of ours or a rival's within
    the walk).

    What our sites do not capture goes to the outside option, split between home and
    the rivals by their attractions.
    """
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    n = len(w)
    ours = np.asarray(siting.split.sum(axis=0)).ravel() if siting.split is not None else np.zeros(n)
    rest = np.clip(1.0 - ours, 0.0, 1.0)
    rival_a = rival_attraction(fit.model, fit.rival_walk, n)
    outside = np.exp(fit.model.home_utility) + rival_a
    rival = rest * rival_a / outside
    return clusters.assign(
        locker_parcels_per_day=np.round(w * ours, 4),
        rival_locker_parcels_per_day=np.round(w * rival, 4),
        home_parcels_per_day=np.round(w * (rest - rival), 4),
        in_reach=_in_reach(D[siting.open_sites], fit.rival_walk),
    )


def group_choice_columns(clusters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """With ``--on-the-way``: the clusters with what their customer groups chose (the
    siting's shares over the groups, summed per home cluster): no rivals, the rest at
    home; ``reach_parcels_per_day`` are the parcels of the groups a site reaches."""
    w = clusters["parcels_per_day"].to_numpy(dtype=float)
    locker = clusters["locker_parcels_per_day"].to_numpy(dtype=float)
    return clusters.assign(
        rival_locker_parcels_per_day=0.0,
        home_parcels_per_day=np.round(w - locker, 4),
        in_reach=clusters["covered"].to_numpy(dtype=bool),
        reach_parcels_per_day=clusters["served_parcels_per_day"].to_numpy(dtype=float),
    )


def choice_figures(clusters: gpd.GeoDataFrame, fit: ChoiceFit) -> ChoiceFigures:
    """The plan's ``choice`` figures from the clusters of :func:`choice_columns`.

    ``out_of_home_share`` is over the customers with a site in reach (ours or a
    rival's) and the parcels on the walk network.
    """
    on = clusters[clusters["on_network"].to_numpy()] if "on_network" in clusters else clusters
    w = on["parcels_per_day"].to_numpy(dtype=float)
    reach = on["in_reach"].to_numpy(dtype=bool)
    home = on["home_parcels_per_day"].to_numpy(dtype=float)
    if "reach_parcels_per_day" in on:  # customer groups: the parcels of those in reach
        reached = on["reach_parcels_per_day"].to_numpy(dtype=float).sum()
        out = on["locker_parcels_per_day"].to_numpy(dtype=float).sum()
        share = out / reached if reached > 0 else 0.0
    else:
        share = 1.0 - home[reach].sum() / w[reach].sum() if w[reach].sum() > 0 else 0.0
    return ChoiceFigures(
        model="mnl",
        out_of_home_share=round(float(share), 4),
        target_share=round(fit.target, 4),
        captured_parcels_per_day=round(float(on["locker_parcels_per_day"].sum()), 2),
        rival_parcels_per_day=round(float(on["rival_locker_parcels_per_day"].sum()), 2),
        home_parcels_per_day=round(float(home.sum()), 2),
        home_utility=round(fit.model.home_utility, 4),
        walk_utility_per_km=fit.model.walk_utility_per_km,
        locker_discount=_mean_discount(fit.discount, clusters["locker_parcels_per_day"]),
        rounds=fit.rounds,
        settled=fit.settled,
    )


def _mean_discount(discount: float | np.ndarray, locker) -> float:
    """The discount per parcel at our lockers: the one offered, or the mean over the
    parcels of the zones' discounts."""
    if np.ndim(discount) == 0:
        return float(discount)
    weights = np.asarray(locker, dtype=float)
    total = weights.sum()
    return round(float(np.asarray(discount) @ weights / total), 3) if total > 0 else 0.0
