"""The one dispatch over demand sources: orders file, population grid or buildings.

Both :func:`lockerplan.plan` and ``lockerplan demand`` read demand through
:func:`load_demand`; a new demand source is one branch here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd

from .buildings import building_demand
from .core import DemandResult, StudyArea
from .sources import demand_from_population_grid, read_demand_file


def demand_source_kind(settings: Any) -> str:
    """Which source the settings name: ``"orders"``, ``"population"`` or ``"buildings"``.

    Examples
    --------
    >>> from lockerplan import Scenario
    >>> demand_source_kind(Scenario())
    'buildings'
    """
    for kind, setting in FILE_SOURCES.items():
        if getattr(settings, setting):
            return kind
    return "buildings"


#: The setting naming each file source's input, in the order they are tried.
FILE_SOURCES = {"orders": "demand", "population": "population"}


def demand_file_stem(settings: Any) -> str | None:
    """The lower-cased stem of the demand input file, or None for buildings.

    Examples
    --------
    >>> from lockerplan import Scenario
    >>> demand_file_stem(Scenario(demand="x/Orders_2024.csv")), demand_file_stem(Scenario())
    ('orders_2024', None)
    """
    kind = demand_source_kind(settings)
    return (
        Path(getattr(settings, FILE_SOURCES[kind])).stem.lower() if kind in FILE_SOURCES else None
    )


def load_demand(
    settings: Any,
    *,
    area: StudyArea | None = None,
    buildings: Callable[[], gpd.GeoDataFrame] | None = None,
) -> DemandResult:
    """Demand points (parcels per day) from the source the settings name.

    Parameters
    ----------
    settings : Scenario
        Read duck-typed: ``demand``, ``demand_weight``, ``demand_days``,
        ``demand_crs``, ``peak_factor``, ``population``, ``population_column``,
        ``parcels_per_person_per_day``, ``population_split_m`` and
        :meth:`~lockerplan.scenario.Scenario.demand_model`.
    area : study area, optional
        Demand outside it is dropped and reported.
    buildings : callable, optional
        Returns the OSM buildings (called only when the demand comes from them).

    Returns
    -------
    DemandResult

    Examples
    --------
    >>> from lockerplan import Scenario
    >>> from lockerplan.source import open_source
    >>> src = open_source(Scenario())  # doctest: +SKIP
    >>> load_demand(Scenario(), buildings=src.buildings).summary()  # doctest: +SKIP
    """
    kind = demand_source_kind(settings)
    if kind == "orders":
        return read_demand_file(
            settings.demand,
            settings.demand_weight,
            days=settings.demand_days,
            peak_factor=settings.peak_factor,
            area=area,
            crs=settings.demand_crs,
        )
    if kind == "population":
        return demand_from_population_grid(
            settings.population,
            settings.population_column,
            settings.parcels_per_person_per_day,
            model=settings.demand_model(),
            area=area,
            crs=settings.demand_crs,
            split_m=settings.population_split_m,
        )
    if buildings is None:
        raise ValueError("load_demand: buildings are needed for building demand")
    return building_demand(buildings(), settings.demand_model(), area=area)
