"""Demand scenarios: one network that holds across demand levels (``--demand-scenarios``).

Demand is not the same in March and in December. ``demand_scenarios`` names demand
levels as factors of the plan's demand (the demand the plan reads, ``peak_factor``
included), e.g. ``{"normal": 1.0, "peak": 2.5}``; the plan is one network for all
of them.

The objective (robust: worst-case feasible)
-------------------------------------------
The siting model maximises the parcels covered at the plan's demand with every
site's capacity holding at the *largest* factor: the capacity rows of ``cmclp``
become ``f_max * sum_g W[g] x[g, j] <= cap[j] m[j]``, which is the existing model
with each module's capacity divided by ``f_max`` (exact, no new model;
:attr:`lockerplan.scenario.SitingParams.peak_factor`). So the
modules are sized for the peak and no site is over capacity in any scenario: the
network the planner builds in March still works in December. Why not the expected
coverage, or overflow at a price? Both need probabilities of the scenarios and a
price of a parcel turned away at a full locker, which planners rarely have; and a
full locker in the peak weeks is the failure customers remember. The price of the
robustness is visible: the plan's coverage at the base demand is at most that of
a plan sized for the base only (compare a plan without ``--demand-scenarios``).
Models without capacities (``mclp``, ``pmedian``, ...) do not size modules; for
them the scenarios report the overflow instead.

Evaluating the network under each scenario
------------------------------------------
The allocation stays as planned: each covered customer keeps the site the plan
gives them. At factor ``f`` site ``j`` receives ``f * covered[j]`` parcels
(covered customers' parcels, the unit of the plan's coverage) and hands out at
most its capacity in the same unit, ``modules[j] * capacity / adoption_share``
(the siting model's unit). Per site and scenario the facilities layer holds
``served_<name>_parcels_per_day = min(f * covered, capacity)`` and
``overflow_<name>_parcels_per_day = max(f * covered - capacity, 0)``; the scenario's
``served_parcels_per_day`` and ``overflow_parcels_per_day`` are their sums, and
``coverage_share = served / (f * demand)``. Demand the plan leaves uncovered stays
with home delivery in every scenario (a quieter month could serve some of it at
sites with room; the plan does not count on that).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from ..records import Kpis


#: Relative load beyond a site's capacity that is the solver's tolerance, not overflow.
FEASIBILITY_TOL = 1e-6


def scenario_columns(name: str) -> tuple[str, str]:
    """The facilities columns of one scenario: served and overflow parcels per day.

    Examples
    --------
    >>> scenario_columns("peak")
    ('served_peak_parcels_per_day', 'overflow_peak_parcels_per_day')
    """
    return f"served_{name}_parcels_per_day", f"overflow_{name}_parcels_per_day"


def served_and_overflow(
    covered: np.ndarray, capacity: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per site, the parcels served within capacity and the overflow at a demand factor.

    Examples
    --------
    >>> served_and_overflow(np.array([40.0, 100.0]), np.array([100.0, 150.0]), 2.0)
    (array([ 80., 150.]), array([ 0., 50.]))
    """
    load = factor * np.asarray(covered, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    overflow = np.maximum(load - capacity, 0.0)
    # the solver's feasibility tolerance is not overflow
    overflow[overflow <= FEASIBILITY_TOL * np.maximum(capacity, 1.0)] = 0.0
    return load - overflow, overflow


def site_capacity(
    sites: gpd.GeoDataFrame, adoption_share: float, capacity: np.ndarray
) -> np.ndarray:
    """Each open site's capacity in covered customers' parcels per day (the siting unit):
    its modules times the per-module ``capacity`` of its candidate, over the adoption share."""
    per_module = np.asarray(capacity, dtype=float)[sites["candidate_index"].to_numpy(dtype=int)]
    return sites["modules"].to_numpy(dtype=float) * per_module / adoption_share


def with_scenarios(
    sites: gpd.GeoDataFrame,
    factors: dict[str, float] | None,
    adoption_share: float,
    capacity: np.ndarray,
) -> gpd.GeoDataFrame:
    """The open sites with a served and an overflow column per demand scenario.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Open sites from :func:`lockerplan.pipeline.allocate.allocate` (``modules``,
        ``candidate_index``, ``covered_parcels_per_day``).
    factors : dict or None
        The siting section's ``demand_scenarios`` (the sites are returned as they are
        without).
    adoption_share : float
        The costs section's share of covered customers who collect at a locker.
    capacity : numpy.ndarray
        Parcels per day per module of every candidate (locker parcels).

    Returns
    -------
    geopandas.GeoDataFrame
        ``sites`` plus ``capacity_covered_parcels_per_day`` and the columns of
        :func:`scenario_columns` for each scenario, rounded to 4 decimals.
    """
    if not factors:
        return sites
    cap = site_capacity(sites, adoption_share, capacity)
    covered = sites["covered_parcels_per_day"].to_numpy(dtype=float)
    columns: dict[str, Any] = {"capacity_covered_parcels_per_day": np.round(cap, 4)}
    for name, factor in factors.items():
        served, overflow = served_and_overflow(covered, cap, factor)
        served_col, overflow_col = scenario_columns(name)
        columns[served_col] = np.round(served, 4)
        columns[overflow_col] = np.round(overflow, 4)
    return sites.assign(**columns)


def scenario_kpis(kpis: Kpis, factors: dict[str, float], sites: gpd.GeoDataFrame) -> Kpis:
    """``kpis`` with ``scenarios``: one entry per demand scenario, summed over ``sites``.

    Each entry: ``name``, ``factor``, ``demand_parcels_per_day`` (the plan's demand
    times the factor), ``coverage_share``, ``served_parcels_per_day``,
    ``overflow_parcels_per_day`` and ``sites_over_capacity``. The sums are over the
    facilities layer's columns (:func:`with_scenarios`), so ``summary.json``, the
    printed summary, the map and the GeoPackage agree.
    """
    rows = []
    for name, factor in factors.items():
        served_col, overflow_col = scenario_columns(name)
        demand = factor * kpis.demand_parcels_per_day
        served = float(sites[served_col].sum())
        overflow = sites[overflow_col].to_numpy(dtype=float)
        rows.append(
            {
                "name": name,
                "factor": factor,
                "demand_parcels_per_day": round(demand, 2),
                "coverage_share": round(served / demand, 4) if demand else 0.0,
                "served_parcels_per_day": round(served, 2),
                "overflow_parcels_per_day": round(float(overflow.sum()), 2),
                "sites_over_capacity": int((overflow > 0).sum()),
            }
        )
    return dataclasses.replace(kpis, scenarios=rows)
