"""Conservation of parcels and calibration of the building model."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from .buildings import building_demand
from .core import (
    DemandModel,
    DemandResult,
    StudyArea,
    study_area_geometry,
)
from .sources import demand_from_population_grid

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- checks


def conservation(
    result: DemandResult,
    clusters: gpd.GeoDataFrame,
    *,
    dropped_clusters: pd.DataFrame | None = None,
    rtol: float = 1e-9,
) -> dict[str, float]:
    """Check that parcels in = parcels in clusters + parcels dropped.

    Parameters
    ----------
    result : DemandResult
        A source's points and demand-stage drops.
    clusters : geopandas.GeoDataFrame
        Clusters of ``result.points`` (all of them, before snapping).
    dropped_clusters : pandas.DataFrame, optional
        Clusters dropped later (e.g. off-network in :func:`lockerplan.plan`),
        with ``parcels_per_day``; they are subtracted from the clusters kept.
    rtol : float
        Relative tolerance of the balance.

    Returns
    -------
    dict
        ``parcels_in``, ``clustered``, ``dropped`` (demand stage), ``dropped_later``
        and ``balance`` (in - clustered - dropped; about 0).

    Raises
    ------
    AssertionError
        When the balance is off by more than ``rtol`` of the total.

    Examples
    --------
    >>> r = read_demand_file("orders.csv")  # doctest: +SKIP
    >>> conservation(r, cluster_demand(r.points))["balance"]  # doctest: +SKIP
    0.0
    """
    clustered = float(clusters["parcels_per_day"].sum())
    later = 0.0 if dropped_clusters is None else float(dropped_clusters["parcels_per_day"].sum())
    parcels_in = result.parcels_in
    balance = parcels_in - clustered - result.parcels_dropped
    if abs(balance) > rtol * max(parcels_in, 1.0):
        raise AssertionError(
            f"parcels not conserved: in {parcels_in}, clustered {clustered}, "
            f"dropped {result.parcels_dropped}"
        )
    return {
        "parcels_in": parcels_in,
        "clustered": clustered - later,
        "dropped": result.parcels_dropped,
        "dropped_later": later,
        "balance": balance,
    }


@dataclass(frozen=True)
class Calibration:
    """Outcome of :func:`calibrate_to_population`.

    Attributes
    ----------
    factor : float
        Multiply building demand by this (``DemandModel(calibration=factor)``).
    building_parcels, grid_parcels : float
        Parcels per day of each source on the common area, before calibration.
    area_km2 : float
        Size of the common area.
    """

    factor: float
    building_parcels: float
    grid_parcels: float
    area_km2: float

    @property
    def ratio(self) -> float:
        """Building / grid parcels before calibration."""
        return self.building_parcels / self.grid_parcels if self.grid_parcels else np.inf


def calibrate_to_population(
    buildings: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    area: StudyArea,
    *,
    model: DemandModel | None = None,
    population_column: str = "population",
) -> Calibration:
    """Scale the building model so that it matches a population grid on ``area``.

    Both sources are evaluated with ``model`` on ``area`` (grid cells clipped,
    area-weighted; buildings by their point); the factor is grid parcels / building
    parcels. Calibrate on one part of a city and check on another.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints as from :func:`lockerplan.osm.read_buildings`.
    grid : geopandas.GeoDataFrame
        Population cells (polygons) with ``population_column``.
    area : study area
        The area both sources cover.
    model : DemandModel, optional
        The model to calibrate (its ``calibration`` is ignored).
    population_column : str, default "population"

    Returns
    -------
    Calibration

    Examples
    --------
    >>> cal = calibrate_to_population(buildings, grid, area)  # doctest: +SKIP
    >>> model = DemandModel(calibration=cal.factor)  # doctest: +SKIP
    """
    model = (model or DemandModel()).for_country()
    base = model.replace(calibration=1.0)
    area_geom = study_area_geometry(area)
    b = building_demand(buildings, base, area=area_geom).parcels
    g = demand_from_population_grid(grid, population_column, model=base, area=area_geom).parcels
    if b <= 0 or g <= 0:
        raise InputError(
            "cannot calibrate: no building demand or no population in the common area."
        )
    utm = gpd.GeoSeries([area_geom], crs="EPSG:4326")
    km2 = float(utm.to_crs(utm.estimate_utm_crs()).area.iloc[0] / 1e6)
    return Calibration(factor=g / b, building_parcels=b, grid_parcels=g, area_km2=km2)
