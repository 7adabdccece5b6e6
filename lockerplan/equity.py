"""Equity of a plan: how coverage is spread over the study area.

A city-wide coverage share can hide whole neighbourhoods left beyond the walking
cutoff. :func:`coverage_by_cell` lays a square grid over the study area (in the
local UTM CRS, so cells are true squares in metres) and reports, per cell, the
parcels per day, how many of them are covered and the coverage share.
:func:`underserved_cells` keeps the cells with demand beyond the cutoff, and
:func:`equity_summary` condenses the grid into a few key figures. :func:`cell_squares`
turns cell ids back into the grid's squares (for tables keyed by cell, such as the
locker prices by zone).
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import InputError

log = logging.getLogger(__name__)

#: Columns of the table returned by :func:`coverage_by_cell`.
CELL_COLUMNS = [
    "cell_id",
    "col",
    "row",
    "clusters",
    "uncovered_clusters",
    "parcels_per_day",
    "covered_parcels_per_day",
    "uncovered_parcels_per_day",
    "coverage_share",
]


def coverage_by_cell(
    demand_clusters: gpd.GeoDataFrame,
    cell_m: float = 250.0,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Coverage share per square grid cell.

    The grid is anchored at multiples of ``cell_m`` in the projected CRS, so the
    same cell has the same id in every scenario of a study area and plans can be
    compared cell by cell. Only cells that hold demand are returned.

    Parameters
    ----------
    demand_clusters : geopandas.GeoDataFrame
        Demand points or clusters with ``parcels_per_day`` and ``covered``
        (bool), as :attr:`lockerplan.Plan.demand`. Polygons are reduced to
        their representative point.
    cell_m : float, default 250
        Side of a grid cell, metres.
    crs : optional
        Projected metric CRS for the grid; by default the UTM zone of the data
        (``estimate_utm_crs``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell with demand, with :data:`CELL_COLUMNS`: ``cell_id``
        (``"E<easting>_N<northing>"`` of the lower-left corner, metres), ``col`` /
        ``row`` (grid indices), ``clusters`` and ``uncovered_clusters`` (counts of
        demand rows), ``parcels_per_day``, ``covered_parcels_per_day``,
        ``uncovered_parcels_per_day`` and ``coverage_share`` (0-1); square polygon
        geometries in the input's CRS (EPSG:4326 for a plan). Sorted by
        ``cell_id``; ``attrs["cell_m"]`` and ``attrs["grid_crs"]`` record the grid.

    Raises
    ------
    InputError
        If ``cell_m`` is not positive or a required column is missing.

    Examples
    --------
    >>> import lockerplan
    >>> from lockerplan.equity import coverage_by_cell
    >>> p = lockerplan.plan()  # doctest: +SKIP
    >>> cells = coverage_by_cell(p.demand, cell_m=250)  # doctest: +SKIP
    >>> cells.sort_values("uncovered_parcels_per_day").tail(3)  # doctest: +SKIP
    """
    if not (isinstance(cell_m, int | float) and np.isfinite(cell_m) and cell_m > 0):
        raise InputError(f"cell_m: expected a positive number of metres, got {cell_m!r}.")
    missing = [c for c in ("parcels_per_day", "covered") if c not in demand_clusters.columns]
    if missing:
        raise InputError(
            f"demand_clusters: missing column(s) {', '.join(missing)}; pass the plan's demand "
            "clusters (Plan.demand), which carry parcels_per_day and covered."
        )
    out_crs = demand_clusters.crs or "EPSG:4326"
    if len(demand_clusters) == 0:
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object if c == "cell_id" else float) for c in CELL_COLUMNS},
            geometry=gpd.GeoSeries([], crs=out_crs),
        )
        empty.attrs.update(cell_m=float(cell_m), grid_crs=None)
        return empty
    frame = demand_clusters if demand_clusters.crs else demand_clusters.set_crs(out_crs)
    grid_crs = crs if crs is not None else frame.estimate_utm_crs()
    pts = frame.geometry.to_crs(grid_crs)
    if not (pts.geom_type == "Point").all():
        pts = pts.representative_point()
    col = np.floor(pts.x.to_numpy() / cell_m).astype(np.int64)
    row = np.floor(pts.y.to_numpy() / cell_m).astype(np.int64)
    w = pd.to_numeric(frame["parcels_per_day"], errors="coerce").fillna(0.0).to_numpy(float)
    cov = frame["covered"].fillna(False).astype(bool).to_numpy()
    table = pd.DataFrame(
        {
            "col": col,
            "row": row,
            "w": w,
            "wc": np.where(cov, w, 0.0),
            "unc": (~cov).astype(int),
        }
    )
    g = table.groupby(["col", "row"], sort=True)
    agg = pd.DataFrame(
        {
            "clusters": g.size(),
            "uncovered_clusters": g["unc"].sum(),
            "parcels_per_day": g["w"].sum(),
            "covered_parcels_per_day": g["wc"].sum(),
        }
    ).reset_index()
    agg["uncovered_parcels_per_day"] = agg["parcels_per_day"] - agg["covered_parcels_per_day"]
    total = agg["parcels_per_day"].to_numpy()
    agg["coverage_share"] = np.divide(
        agg["covered_parcels_per_day"].to_numpy(),
        total,
        out=np.where(agg["uncovered_clusters"].to_numpy() > 0, 0.0, 1.0),
        where=total > 0,
    )
    x0 = agg["col"].to_numpy() * cell_m
    y0 = agg["row"].to_numpy() * cell_m
    agg.insert(
        0,
        "cell_id",
        [f"E{int(round(x))}_N{int(round(y))}" for x, y in zip(x0, y0, strict=True)],
    )
    for c in ("parcels_per_day", "covered_parcels_per_day", "uncovered_parcels_per_day"):
        agg[c] = agg[c].round(3)
    agg["coverage_share"] = agg["coverage_share"].round(4)
    squares = _squares(x0, y0, cell_m, grid_crs)
    cells = gpd.GeoDataFrame(agg[CELL_COLUMNS], geometry=squares.to_crs(out_crs))
    cells = cells.sort_values("cell_id", kind="stable").reset_index(drop=True)
    cells.attrs.update(cell_m=float(cell_m), grid_crs=str(grid_crs))
    log.info(
        "equity: %d cells of %.0f m with demand, %d with demand beyond the cutoff",
        len(cells),
        cell_m,
        int((cells["uncovered_parcels_per_day"] > 0).sum()),
    )
    return cells


def _squares(x0: np.ndarray, y0: np.ndarray, cell_m: float, grid_crs: Any) -> gpd.GeoSeries:
    """The grid squares with lower-left corners ``(x0, y0)``, in ``grid_crs``."""
    return gpd.GeoSeries(shapely.box(x0, y0, x0 + cell_m, y0 + cell_m), crs=grid_crs)


def cell_squares(
    cell_ids: Any, cell_m: float, grid_crs: Any, crs: Any = "EPSG:4326"
) -> gpd.GeoSeries:
    """The squares of coverage-grid cells from their ids (``E<easting>_N<northing>``).

    Parameters
    ----------
    cell_ids : iterable of str
        Cell ids as :func:`coverage_by_cell` names them: the lower-left corner in
        ``grid_crs``, metres.
    cell_m : float
        The grid's cell side, metres (``cells.attrs["cell_m"]``).
    grid_crs : pyproj.CRS or str
        The grid's projected CRS (``cells.attrs["grid_crs"]``).
    crs : pyproj.CRS or str, default "EPSG:4326"
        The CRS of the squares returned.

    Returns
    -------
    geopandas.GeoSeries
        One square per id, in order.

    Raises
    ------
    InputError
        If an id is not of the form ``E<number>_N<number>``.

    Examples
    --------
    >>> cell_squares(["E500_N250"], 250, "EPSG:32635", crs="EPSG:32635").total_bounds.tolist()
    [500.0, 250.0, 750.0, 500.0]
    """
    ids = [str(i) for i in cell_ids]
    corners = np.zeros((len(ids), 2))
    for k, cell_id in enumerate(ids):
        east, _, north = cell_id.partition("_")
        try:
            if not (east[:1] == "E" and north[:1] == "N"):
                raise ValueError(cell_id)
            corners[k] = float(east[1:]), float(north[1:])
        except ValueError:
            raise InputError(
                f"cell id {cell_id!r} (row {k}): expected E<easting>_N<northing> of the "
                "coverage grid, as lockerplan.equity.coverage_by_cell names its cells."
            ) from None
    return _squares(corners[:, 0], corners[:, 1], float(cell_m), grid_crs).to_crs(crs)


def underserved_cells(
    cells: gpd.GeoDataFrame, max_share: float = 1.0, min_parcels: float = 0.0
) -> gpd.GeoDataFrame:
    """Cells with demand beyond the walking cutoff.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        As returned by :func:`coverage_by_cell`.
    max_share : float, default 1.0
        Keep cells whose coverage share is below this (the default keeps every cell
        with any uncovered demand).
    min_parcels : float, default 0
        ... and whose uncovered demand exceeds this many parcels per day.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows of ``cells``, most uncovered parcels first.
    """
    if not 0.0 <= max_share <= 1.0:
        raise InputError(f"max_share: expected a share between 0 and 1, got {max_share!r}.")
    keep = (cells["uncovered_parcels_per_day"] > min_parcels) & (
        cells["coverage_share"] < max_share
    )
    return cells[keep].sort_values("uncovered_parcels_per_day", ascending=False, kind="stable")


def equity_summary(cells: gpd.GeoDataFrame) -> dict[str, Any]:
    """Key equity figures of a cell grid (ready to merge into a plan's KPIs).

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        As returned by :func:`coverage_by_cell`.

    Returns
    -------
    dict
        ``cell_m``; ``cells`` (with demand); ``underserved_cells`` (with any demand
        beyond the cutoff); ``unserved_cells`` (no demand covered at all);
        ``underserved_parcels_per_day``; ``min_cell_coverage_share``; and
        ``cells_fully_covered_share`` (share of cells whose whole demand is covered).
    """
    n = len(cells)
    under = cells["uncovered_parcels_per_day"] > 0
    return {
        "cell_m": cells.attrs.get("cell_m"),
        "cells": n,
        "underserved_cells": int(under.sum()),
        "unserved_cells": int((cells["covered_parcels_per_day"] <= 0).sum()),
        "underserved_parcels_per_day": round(float(cells["uncovered_parcels_per_day"].sum()), 2),
        "min_cell_coverage_share": round(float(cells["coverage_share"].min()), 4) if n else None,
        "cells_fully_covered_share": round(float((~under).mean()), 4) if n else None,
    }
