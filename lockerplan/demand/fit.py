"""Fit the building model's untyped-building share to a population grid, cell by cell.

The building model (:mod:`lockerplan.demand`) turns floor area into dwellings:
typed residential buildings (``apartments``, ``house``...) are all dwellings, and
an untyped ``building=yes`` (or ``mixed_use``) building is dwellings for a share
of its floor area, ``DemandModel.mixed_residential_share``. That share is the one
parameter no national statistic gives: in a city centre the untyped blocks are
mostly offices and shops, in a suburb mostly homes. Here it is fitted where a
population grid and OSM buildings cover the same cells, and checked on other cells:

1. :func:`grid_comparison` puts every building (by its point) into the grid cell
   that holds it, with the cell's residents clipped to the common area
   (area-weighted), and gives per cell: typed residential floor area, untyped
   floor area, the grid's residents and the residents the model gives
   (dwellings x persons per dwelling).
2. :func:`fit_untyped_share` solves, on the fitting cells, for the share that makes
   the model's residents equal the grid's, with the model's floor area per
   dwelling and persons per dwelling held at their (national) values::

       share = (grid residents x floor area per dwelling / persons per dwelling
                - typed residential floor area) / untyped floor area

   clipped to 0..1.
3. :func:`fit_untyped_residential_share` fits on one half of the cells and checks
   the other: the halves are the two colours of a checkerboard over the grid's
   rows and columns, so that both halves sample the same mix of districts. A split
   into a western and an eastern half does not work on central Helsinki: the
   typed apartment blocks are all in the west, the untyped office blocks in the
   east, and no single share fits both.

No factor multiplies the result: the model's parcels stay dwellings x parcels per
dwelling, with the fitted share among the model's documented parameters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from .buildings import MIXED_TYPES, RESIDENTIAL_TYPES, building_demand
from .core import DemandModel, StudyArea, study_area_geometry

log = logging.getLogger(__name__)

#: Columns of :func:`grid_comparison`.
COMPARISON_COLUMNS = [
    "cell",
    "row",
    "col",
    "grid_residents",
    "typed_floor_m2",
    "untyped_floor_m2",
    "building_residents",
    "ratio",
]


@dataclass(frozen=True)
class UntypedShareFit:
    """Outcome of :func:`fit_untyped_residential_share`.

    Attributes
    ----------
    share : float
        Fitted residential share of untyped floor area (0-1).
    cells : pandas.DataFrame
        :func:`grid_comparison` with the fitted share, plus ``half``
        (``"fit"`` or ``"check"``).
    fit_ratio, check_ratio, whole_ratio : float
        Building-model residents / grid residents on the fitting half, the checking
        half and all cells.
    """

    share: float
    cells: pd.DataFrame
    fit_ratio: float
    check_ratio: float
    whole_ratio: float


def _cells_in(grid: gpd.GeoDataFrame, area, population_column: str) -> gpd.GeoDataFrame:
    if population_column not in grid.columns:
        raise InputError(
            f"population grid has no column {population_column!r}; columns: "
            f"{', '.join(map(str, grid.columns))}."
        )
    if grid.crs is None:
        raise InputError("population grid has no CRS; set it (e.g. EPSG:4326).")
    utm = grid.estimate_utm_crs()
    cells = grid.to_crs(utm)
    whole = cells.geometry.area.to_numpy()
    if area is not None:
        clip = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(utm).iloc[0]
        cells = cells.assign(geometry=cells.geometry.intersection(clip))
    part = cells.geometry.area.to_numpy()
    population = pd.to_numeric(cells[population_column], errors="coerce").fillna(0.0)
    out = gpd.GeoDataFrame(
        {
            "cell": np.arange(len(cells)) if "id" not in cells else cells["id"].to_numpy(),
            "grid_residents": population.to_numpy()
            * np.divide(part, whole, out=np.zeros_like(part), where=whole > 0),
            "size": np.sqrt(whole),
        },
        geometry=cells.geometry.to_numpy(),
        crs=utm,
    )
    out = out[part > 0].reset_index(drop=True)
    if out.empty:
        raise InputError("the population grid and the study area do not overlap.")
    full = grid.to_crs(utm).geometry[part > 0].centroid
    size = float(np.median(out["size"]))
    out["col"] = np.round((full.x.to_numpy() - full.x.min()) / size).astype(int)
    out["row"] = np.round((full.y.to_numpy() - full.y.min()) / size).astype(int)
    return out


def grid_comparison(
    buildings: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    *,
    area: StudyArea | None = None,
    model: DemandModel | None = None,
    population_column: str = "population",
) -> pd.DataFrame:
    """Residents per grid cell: the building model against a population grid.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints as from :func:`lockerplan.osm.read_buildings`.
    grid : geopandas.GeoDataFrame
        Population cells (polygons) with ``population_column`` (and ``id``, kept as
        ``cell``).
    area : study area, optional
        Cells are clipped to it (their residents area-weighted); buildings count by
        their point.
    model : DemandModel, optional
        Its floor area per dwelling, persons per dwelling and untyped share give
        ``building_residents``.
    population_column : str, default "population"

    Returns
    -------
    pandas.DataFrame
        One row per cell that overlaps ``area``, columns :data:`COMPARISON_COLUMNS`:
        ``row``/``col`` number the grid's lattice, ``ratio`` = building residents /
        grid residents (NaN where the grid has none).

    Examples
    --------
    >>> cells = grid_comparison(buildings, grid, area=common)  # doctest: +SKIP
    >>> cells["building_residents"].sum() / cells["grid_residents"].sum()  # doctest: +SKIP
    3.59...
    """
    model = (model or DemandModel()).for_country()
    area_geom = study_area_geometry(area)
    cells = _cells_in(grid, area_geom, population_column)
    points = building_demand(buildings, model, area=area_geom).points.to_crs(cells.crs)
    kind = points["building"]
    floor = points["floor_area_m2"].to_numpy(dtype=float)
    per_building = pd.DataFrame(
        {
            "typed_floor_m2": np.where(kind.isin(RESIDENTIAL_TYPES), floor, 0.0),
            "untyped_floor_m2": np.where(kind.isin(MIXED_TYPES), floor, 0.0),
            "building_residents": points["dwellings"].to_numpy(dtype=float)
            * model.persons_per_dwelling,
        }
    )
    hit = gpd.sjoin(
        gpd.GeoDataFrame(per_building, geometry=points.geometry.to_numpy(), crs=cells.crs),
        cells[["geometry"]],
        predicate="within",
    )
    sums = hit.groupby("index_right")[
        ["typed_floor_m2", "untyped_floor_m2", "building_residents"]
    ].sum()
    out = pd.DataFrame(cells[["cell", "row", "col", "grid_residents"]]).join(sums).fillna(0.0)
    grid_res = out["grid_residents"].to_numpy()
    out["ratio"] = np.divide(
        out["building_residents"].to_numpy(),
        grid_res,
        out=np.full(len(out), np.nan),
        where=grid_res > 0,
    )
    return out[COMPARISON_COLUMNS].reset_index(drop=True)


def fit_untyped_share(cells: pd.DataFrame, model: DemandModel) -> float:
    """Residential share of untyped floor area that makes residents match on ``cells``.

    Parameters
    ----------
    cells : pandas.DataFrame
        Rows of :func:`grid_comparison` (``grid_residents``, ``typed_floor_m2``,
        ``untyped_floor_m2``).
    model : DemandModel
        Floor area per dwelling and persons per dwelling held fixed.

    Returns
    -------
    float
        The share, clipped to 0..1 (0 when typed buildings alone house more people
        than the grid counts).

    Examples
    --------
    >>> cells = pd.DataFrame({"grid_residents": [190.0], "typed_floor_m2": [4000.0],
    ...                       "untyped_floor_m2": [8000.0]})
    >>> fit_untyped_share(cells, DemandModel(persons_per_dwelling=1.9, floor_area_per_dwelling_m2=80))
    0.5
    """
    untyped = float(cells["untyped_floor_m2"].sum())
    if untyped <= 0:
        raise InputError("cannot fit the untyped share: no untyped building in the cells.")
    need = float(
        cells["grid_residents"].sum()
    ) * model.floor_area_per_dwelling_m2 / model.persons_per_dwelling - float(
        cells["typed_floor_m2"].sum()
    )
    return float(np.clip(need / untyped, 0.0, 1.0))


def _residents(cells: pd.DataFrame, share: float, model: DemandModel) -> np.ndarray:
    floor = cells["typed_floor_m2"].to_numpy() + share * cells["untyped_floor_m2"].to_numpy()
    return floor / model.floor_area_per_dwelling_m2 * model.persons_per_dwelling


def fit_untyped_residential_share(
    buildings: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    *,
    area: StudyArea | None = None,
    model: DemandModel | None = None,
    population_column: str = "population",
    fit_on: str = "even",
) -> UntypedShareFit:
    """Fit the untyped share on half of the grid's cells, check it on the other half.

    Parameters
    ----------
    buildings, grid, area, population_column
        As for :func:`grid_comparison`.
    model : DemandModel, optional
        Floor area per dwelling and persons per dwelling (e.g.
        ``DemandModel(**preset("FI").demand_settings())``, :mod:`lockerplan.presets`); its own
        ``mixed_residential_share`` is replaced by the fit.
    fit_on : {"even", "odd"}, default "even"
        Checkerboard colour to fit on: cells whose row + column is even (or odd).

    Returns
    -------
    UntypedShareFit

    Examples
    --------
    >>> fit = fit_untyped_residential_share(buildings, grid, area=common)  # doctest: +SKIP
    >>> round(fit.share, 3), round(fit.check_ratio, 2)  # doctest: +SKIP
    (0.114, 1.04)
    """
    if fit_on not in ("even", "odd"):
        raise InputError(f"fit_on must be 'even' or 'odd', got {fit_on!r}.")
    model = (model or DemandModel()).for_country()
    cells = grid_comparison(
        buildings, grid, area=area, model=model, population_column=population_column
    )
    parity = ((cells["row"] + cells["col"]) % 2).to_numpy()
    on_fit = parity == (0 if fit_on == "even" else 1)
    if on_fit.all() or not on_fit.any():
        raise InputError("the grid overlaps the area in too few cells to fit on half of them.")
    share = fit_untyped_share(cells[on_fit], model)
    cells = cells.assign(
        building_residents=_residents(cells, share, model),
        half=np.where(on_fit, "fit", "check"),
    )
    grid_res = cells["grid_residents"].to_numpy()
    cells["ratio"] = np.divide(
        cells["building_residents"].to_numpy(),
        grid_res,
        out=np.full(len(cells), np.nan),
        where=grid_res > 0,
    )

    def ratio(rows: np.ndarray) -> float:
        part = cells[rows]
        return float(part["building_residents"].sum() / part["grid_residents"].sum())

    result = UntypedShareFit(
        share=share,
        cells=cells,
        fit_ratio=ratio(on_fit),
        check_ratio=ratio(~on_fit),
        whole_ratio=ratio(np.ones(len(cells), dtype=bool)),
    )
    log.info(
        "untyped share %.3f fitted on %d cells; building/grid residents %.2f on the "
        "other %d cells, %.2f on all",
        share,
        int(on_fit.sum()),
        result.check_ratio,
        int((~on_fit).sum()),
        result.whole_ratio,
    )
    return result
