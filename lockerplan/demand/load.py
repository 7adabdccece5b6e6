"""The one dispatch over demand sources: orders file, population grid or buildings.

Both :func:`lockerplan.plan` and ``lockerplan demand`` read demand through
:func:`load_demand`; a new demand source is one branch here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..errors import InputError
from ..scenario import DemandParams
from .addresses import building_addresses, grid_addresses, grid_cell_area_m2, order_addresses
from .buildings import building_demand
from .core import MAX_PARCELS_PER_DAY, DemandResult, StudyArea
from .sources import demand_from_population_grid, read_demand_file


def demand_source_kind(params: DemandParams) -> str:
    """Which source the demand section names: ``"orders"``, ``"population"`` or
    ``"buildings"``.

    Examples
    --------
    >>> demand_source_kind(DemandParams())
    'buildings'
    """
    for kind, setting in FILE_SOURCES.items():
        if getattr(params, setting):
            return kind
    return "buildings"


#: The setting naming each file source's input, in the order they are tried.
FILE_SOURCES = {"orders": "demand", "population": "population"}


def demand_file_stem(params: DemandParams) -> str | None:
    """The lower-cased stem of the demand input file, or None for buildings.

    Examples
    --------
    >>> orders = DemandParams(demand="data/helsinki_hubs.csv")
    >>> demand_file_stem(orders), demand_file_stem(DemandParams())
    ('helsinki_hubs', None)
    """
    kind = demand_source_kind(params)
    return Path(getattr(params, FILE_SOURCES[kind])).stem.lower() if kind in FILE_SOURCES else None


def load_demand(
    params: DemandParams,
    *,
    area: StudyArea | None = None,
    buildings: Callable[[], gpd.GeoDataFrame] | None = None,
) -> DemandResult:
    """Demand points (parcels per day) from the source the settings name.

    Parameters
    ----------
    params : DemandParams
        The scenario's demand section: the source (``demand`` with its weight, days
        and CRS; ``population`` with its column, rate and split; or buildings) and
        the building model.
    area : study area, optional
        Demand outside it is dropped and reported.
    buildings : callable, optional
        Returns the OSM buildings (called only when the demand comes from them).

    Returns
    -------
    DemandResult
        Its points carry ``addresses`` and ``area_m2`` (:mod:`.addresses`).

    Examples
    --------
    >>> from lockerplan.scenario import NetworkParams
    >>> from lockerplan.source import open_source
    >>> src = open_source(NetworkParams())  # doctest: +SKIP
    >>> load_demand(DemandParams(), buildings=src.buildings).summary()  # doctest: +SKIP
    """
    params = params.for_country()
    result = _read(params, area, buildings)
    check_total(result, demand_source_kind(params))
    points = result.points
    kind = demand_source_kind(params)
    if kind == "orders":
        addresses, area_m2 = order_addresses(points), np.zeros(len(points))
    elif kind == "population":
        rate = (
            params.person_rate
            if params.parcels_per_person_per_day is None
            else (params.parcels_per_person_per_day * params.peak_factor)
        )
        addresses = grid_addresses(points, rate * params.persons_per_dwelling)
        area_m2 = grid_cell_area_m2(points, params.population_split_m)
    else:
        addresses, area_m2 = building_addresses(points), np.zeros(len(points))
    points = points.assign(addresses=np.round(addresses, 3), area_m2=np.round(area_m2, 1))
    return dataclasses.replace(result, points=points)


#: Each source as an error names it.
_SOURCE_TEXT = {
    "orders": "the orders of --demand give",
    "population": "the population grid of --population gives",
    "buildings": "the OSM buildings give",
}
#: The settings that scale each source's parcels, named in an error about them.
_SCALED_BY = {
    "orders": "--demand-weight's column, --demand-days and --peak-factor",
    "population": "--population's column, --parcels-per-person and --peak-factor",
    "buildings": "--peak-factor, demand.calibration and demand.parcels_per_dwelling_per_day",
}


def check_total(result: DemandResult, kind: str = "buildings") -> None:
    """Refuse demand whose total is not finite or beyond :data:`MAX_PARCELS_PER_DAY`,
    naming the settings that scale the source ``kind`` (see :func:`demand_source_kind`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> points = gpd.GeoDataFrame({"parcels_per_day": [4e6, 8e6]}, geometry=[None, None])
    >>> check_total(DemandResult(points=points, dropped=None, source="osm_building"))
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: demand: the OSM buildings give 1.2e+07 parcels/day, more than the 10,000,000 lockerplan plans for one study area; check --peak-factor, demand.calibration and demand.parcels_per_dwelling_per_day.
    """
    total = float(np.sum(result.points["parcels_per_day"].to_numpy(dtype=float)))
    if not total <= MAX_PARCELS_PER_DAY:
        raise InputError(
            f"demand: {_SOURCE_TEXT.get(kind, _SOURCE_TEXT['buildings'])} {total:.3g} "
            f"parcels/day, more than the "
            f"{MAX_PARCELS_PER_DAY:,.0f} lockerplan plans for one study area; check "
            f"{_SCALED_BY.get(kind, _SCALED_BY['buildings'])}."
        )


def _read(
    params: DemandParams,
    area: StudyArea | None,
    buildings: Callable[[], gpd.GeoDataFrame] | None,
) -> DemandResult:
    """The demand points of the source the settings name."""
    kind = demand_source_kind(params)
    if kind == "orders":
        return read_demand_file(
            params.demand,
            params.demand_weight,
            days=params.demand_days,
            peak_factor=params.peak_factor,
            area=area,
            crs=params.demand_crs,
        )
    if kind == "population":
        return demand_from_population_grid(
            params.population,
            params.population_column,
            params.parcels_per_person_per_day,
            model=params,
            area=area,
            crs=params.demand_crs,
            split_m=params.population_split_m,
        )
    if buildings is None:
        raise ValueError("load_demand: buildings are needed for building demand")
    return building_demand(buildings(), params, area=area)
