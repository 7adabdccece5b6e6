"""Demand from the user's files: orders/addresses and population grids."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..inputs import read_features, rows_text
from .core import (
    MAX_ROW_PARCELS_PER_DAY,
    REASON_OUTSIDE,
    DemandModel,
    DemandResult,
    StudyArea,
    check_errors,
    check_positive,
    drop_rows,
    finish,
    inside_area,
    raise_or_drop,
    study_area_geometry,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- files


def _weights(
    frame: pd.DataFrame,
    column: str,
    label: str,
    errors: str,
    rows: np.ndarray,
    row_label: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric weights, masks of unreadable and negative ones."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    unreadable = values.isna().to_numpy()  # an infinite weight is refused as too large
    if unreadable.all():
        sample = ", ".join(repr(v) for v in raw.head(3).tolist())
        raise InputError(
            f"{label}: column {column!r} has no numeric values (first: {sample}); "
            "name a column of numbers."
        )
    raise_or_drop(
        errors,
        unreadable,
        f"{label}: column {column!r} is missing or not a number",
        rows,
        row_label,
    )
    negative = ~unreadable & (values.fillna(0).to_numpy() < 0)
    raise_or_drop(errors, negative, f"{label}: column {column!r} is negative", rows, row_label)
    return values.to_numpy(dtype=float), unreadable, negative


#: What scales a source's weights into parcels per day, as an error names it.
_SCALE_TEXT = {
    "demand_file": "--peak-factor / --demand-days",
    "population_grid": "--parcels-per-person x --peak-factor",
}


def _refuse_huge(
    parcels: np.ndarray,
    read: np.ndarray,
    weights: np.ndarray,
    scale: float,
    label: str,
    column: str | None,
    rows: np.ndarray,
    row_label: str,
    source: str,
) -> None:
    """Refuse rows whose parcels per day are beyond :data:`MAX_ROW_PARCELS_PER_DAY` (or
    infinite)."""
    huge = read & ~(parcels <= MAX_ROW_PARCELS_PER_DAY)
    if not huge.any():
        return
    first = np.flatnonzero(huge)[0]
    what = f"{column!r} = {weights[first]:g}" if column else "1 parcel"
    raise InputError(
        f"{label}: {rows_text(rows[huge], label=row_label)} "
        f"{'has' if huge.sum() == 1 else 'have, the first,'} {what}, "
        f"{parcels[first]:.3g} parcels/day once scaled (x {scale:.3g} by "
        f"{_SCALE_TEXT.get(source, 'the settings')}), more than the "
        f"{MAX_ROW_PARCELS_PER_DAY:,.0f} parcels/day lockerplan plans for one address or "
        "cell; check the column and those settings."
    )


def _ids(gdf: pd.DataFrame, id_column: str | None, label: str) -> pd.Series:
    if id_column is None:
        return "row " + gdf["input_row"].astype(str)
    if id_column not in gdf.columns:
        raise InputError(
            f"{label}: no id column {id_column!r} (columns: "
            f"{', '.join(c for c in map(str, gdf.columns) if c not in ('geometry', 'input_row', 'invalid'))})."
        )
    return gdf[id_column].astype(str)


def _from_table(
    gdf: gpd.GeoDataFrame,
    *,
    label: str,
    source: str,
    weight_column: str | None,
    scale: float,
    area: StudyArea | None,
    id_column: str | None,
    errors: str,
    row_label: str,
    split_polygons: bool,
    split_m: float | None = None,
) -> DemandResult:
    """Shared body of the file sources: weights, invalid rows, polygons, area."""
    check_errors(errors)
    rows = gdf["input_row"].to_numpy() + (1 if row_label == "line" else 0)
    if weight_column is not None and weight_column not in gdf.columns:
        cols = [c for c in map(str, gdf.columns) if c not in ("geometry", "input_row", "invalid")]
        raise InputError(
            f"{label}: no column {weight_column!r} (columns: {', '.join(cols)}); "
            "name the column that holds the weight."
        )
    ids = _ids(gdf, id_column, label)
    if weight_column is None:
        w = np.ones(len(gdf))
        unreadable = negative = np.zeros(len(gdf), dtype=bool)
    else:
        w, unreadable, negative = _weights(gdf, weight_column, label, errors, rows, row_label)
    with np.errstate(over="ignore", invalid="ignore"):
        parcels = np.where(unreadable, np.nan, w * scale)
    _refuse_huge(
        parcels, ~(unreadable | negative), w, scale, label, weight_column, rows, row_label, source
    )
    bad_geom = gdf["invalid"].notna().to_numpy()
    raise_or_drop(errors, bad_geom, f"{label}: missing or invalid coordinates", rows, row_label)
    drops = [
        drop_rows(
            ids[unreadable],
            source,
            parcels[unreadable],
            f"invalid: missing or non-numeric {weight_column!r}",
        ),
        drop_rows(
            ids[negative],
            source,
            np.full(negative.sum(), np.nan),
            f"invalid: negative {weight_column!r}",
        ),
    ]
    geo_only = bad_geom & ~unreadable & ~negative
    reasons = gdf["invalid"].to_numpy()[geo_only]
    drops.append(drop_rows(ids[geo_only], source, parcels[geo_only], reasons))
    ok = ~(unreadable | negative | bad_geom)
    gdf = gdf[ok].copy()
    parcels = parcels[ok]
    ids = ids[ok]
    area_geom = study_area_geometry(area)
    geom = gdf.geometry
    is_poly = geom.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy() & split_polygons
    geometry = geom.representative_point()
    inside = inside_area(geometry, area_geom)
    cells = np.full(len(gdf), None, dtype=object)  # metric (clipped) cell polygons
    metric_crs = gdf.estimate_utm_crs() if is_poly.any() else None
    if is_poly.any():
        cells[is_poly] = geom[is_poly].to_crs(metric_crs).to_numpy()
    if is_poly.any() and area_geom is not None:
        clip = _clip_cells(cells, is_poly, metric_crs, area_geom, parcels, geometry, inside)
        cells, parcels, geometry, inside, share, outside_part = clip
        drops.append(drop_rows(ids.iloc[outside_part[0]], source, outside_part[1], REASON_OUTSIDE))
        gdf = gdf.assign(area_share=share.round(4))
    area_check = inside
    extra = {
        c: gdf[c].to_numpy()
        for c in gdf.columns
        if c != gdf.geometry.name
        and c not in ("invalid", "demand_id", "source", "source_id", "parcels_per_day")
    }
    points = gpd.GeoDataFrame(
        {
            "demand_id": "",
            "source": source,
            "source_id": ids.to_numpy(),
            "parcels_per_day": parcels,
            **extra,
        },
        geometry=geometry.to_numpy(),
        crs="EPSG:4326",
    )
    outside = ~np.asarray(area_check, dtype=bool)
    drops.append(drop_rows(ids[outside], source, parcels[outside], REASON_OUTSIDE))
    points = points[~outside]
    if split_m and metric_crs is not None:
        points = _split_cells(points, cells[~outside], metric_crs, split_m)
    return finish(points, drops, source, None)


def _clip_cells(cells, is_poly, metric_crs, area_geom, parcels, geometry, inside):
    """Area-weighted clipping: the part of a cell outside the study area is dropped.

    Returns the clipped cells, the parcels left inside, each cell's point (inside
    its clipped part), the inside flags, each row's area share, and the rows cut
    with the parcels cut off them ``(rows, parcels)``.
    """
    metric = gpd.GeoSeries(cells[is_poly], crs=metric_crs)
    area_m = gpd.GeoSeries([area_geom], crs="EPSG:4326").to_crs(metric_crs).iloc[0]
    clipped = metric.intersection(area_m)
    cells = cells.copy()
    cells[is_poly] = clipped.to_numpy()
    cell_area = metric.area.to_numpy()
    frac = np.where(
        cell_area > 0, clipped.area.to_numpy() / np.where(cell_area > 0, cell_area, 1), 1.0
    )
    frac = np.clip(frac, 0.0, 1.0)
    poly_idx = np.flatnonzero(is_poly)
    cut = (frac > 0) & (frac < 1.0 - 1e-9)
    partial, f_partial = poly_idx[cut], frac[cut]
    lost = parcels[partial] * (1 - f_partial)
    parcels = parcels.copy()
    parcels[partial] = parcels[partial] * f_partial
    some = frac > 0
    reps = (
        gpd.GeoSeries(clipped[some].to_numpy(), crs=metric_crs)
        .representative_point()
        .to_crs("EPSG:4326")
        .to_numpy()
    )
    geometry = geometry.copy()
    geometry.iloc[poly_idx[some]] = reps
    inside = inside.copy()
    inside[poly_idx] = some
    share = np.ones(len(parcels))
    share[poly_idx] = frac
    return cells, parcels, geometry, inside, share, (partial, lost)


def _split_cells(
    points: gpd.GeoDataFrame, cells: np.ndarray, metric_crs: Any, split_m: float
) -> gpd.GeoDataFrame:
    """Spread each cell's parcels evenly over a ``split_m`` lattice inside the cell."""
    counts = np.ones(len(points), dtype=np.int64)
    new_xy: list[np.ndarray] = []
    for i, cell in enumerate(cells):
        if cell is None or cell.is_empty:
            new_xy.append(np.empty((0, 2)))
            continue
        x0, y0, x1, y1 = cell.bounds
        # Lattice aligned to multiples of split_m so neighbouring cells line up.
        xs = np.arange(np.floor(x0 / split_m) * split_m + split_m / 2, x1, split_m)
        ys = np.arange(np.floor(y0 / split_m) * split_m + split_m / 2, y1, split_m)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        keep = shapely.contains_xy(cell, gx, gy)
        xy = np.column_stack([gx[keep], gy[keep]])
        if len(xy) == 0:
            rp = cell.representative_point()
            xy = np.array([[rp.x, rp.y]])
        new_xy.append(xy)
        counts[i] = len(xy)
    is_cell = np.array([len(a) > 0 for a in new_xy], dtype=bool)
    if not is_cell.any():
        return points
    rep = np.repeat(np.arange(len(points)), counts)
    out = points.iloc[rep].copy()
    part = np.concatenate([np.arange(c) for c in counts])
    split = is_cell[rep]
    out["parcels_per_day"] = out["parcels_per_day"].to_numpy() / counts[rep]
    out["source_id"] = np.where(
        split & (counts[rep] > 1),
        out["source_id"].astype(str) + "#" + part.astype(str),
        out["source_id"].astype(str),
    )
    xy = np.concatenate([a for a in new_xy if len(a)])
    lattice = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=metric_crs)
    geoms = out.geometry.to_numpy().copy()
    geoms[split] = lattice.to_crs("EPSG:4326").to_numpy()
    out = out.set_geometry(geoms, crs="EPSG:4326")
    return out.reset_index(drop=True)


def read_demand_file(
    path: str | Path,
    weight_column: str | None = None,
    *,
    days: float = 1.0,
    peak_factor: float = 1.0,
    area: StudyArea | None = None,
    id_column: str | None = None,
    crs: str | None = None,
    errors: Literal["drop", "raise"] = "drop",
    option: str = "--demand",
) -> DemandResult:
    """Demand points from the user's own orders or addresses.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``lon``/``lat`` columns, or GeoJSON / GeoPackage (points; other
        geometries are replaced by a point inside them).
    weight_column : str, optional
        Parcels of each row over ``days``. Without it every row is one parcel.
    days : float, default 1
        Days the file covers: ``parcels_per_day = weight / days`` (e.g. 30 for a
        month of orders).
    peak_factor : float, default 1
        Peak-season multiplier.
    area : study area, optional
        Points outside are dropped as ``"outside study area"``.
    id_column : str, optional
        Column with the row id to report (default ``"row N"``, the data row).
    crs : str, optional
        CRS of a CSV's coordinates when they are not WGS84 degrees (``"EPSG:3067"``).
    errors : {"drop", "raise"}, default "drop"
        Rows with missing/non-numeric coordinates or weights, or negative weights:
        ``"drop"`` reports them in :attr:`DemandResult.dropped`; ``"raise"`` stops
        with an :class:`~lockerplan.errors.InputError` naming the first bad rows.
    option : str, default "--demand"
        Name of the input in error messages.

    Returns
    -------
    DemandResult
        Points with ``source="demand_file"``, ``source_id`` (``"row N"`` or the id
        column), ``parcels_per_day`` and the file's own columns.

    Raises
    ------
    InputError
        Missing/unreadable/empty file, missing ``lon``/``lat`` or weight column, a
        weight column without numbers, projected coordinates given as degrees; with
        ``errors="raise"`` also any bad row.

    Examples
    --------
    >>> result = read_demand_file("orders.csv", "parcels", days=7)  # doctest: +SKIP
    >>> clusters = cluster_demand(result.points)  # doctest: +SKIP
    """
    check_positive(days=days, peak_factor=peak_factor)
    path = Path(path).expanduser()
    gdf = read_features(path, option, crs=crs)
    label = f"{option}: {str(path)!r}"
    return _from_table(
        gdf,
        label=label,
        source="demand_file",
        weight_column=weight_column,
        scale=peak_factor / days,
        area=area,
        id_column=id_column,
        errors=errors,
        row_label="line" if path.suffix.lower() in (".csv", ".tsv", ".txt") else "row",
        split_polygons=False,
    )


def demand_from_population_grid(
    source: str | Path | gpd.GeoDataFrame,
    population_column: str = "population",
    parcels_per_person_per_day: float | None = None,
    *,
    model: DemandModel | None = None,
    area: StudyArea | None = None,
    id_column: str | None = None,
    crs: str | None = None,
    errors: Literal["drop", "raise"] = "drop",
    split_m: float | None = None,
    option: str = "--population",
) -> DemandResult:
    """Demand points from a population grid: one point per cell.

    Parameters
    ----------
    source : str, pathlib.Path or geopandas.GeoDataFrame
        GeoPackage/GeoJSON of cell polygons, or CSV of cell centres (``lon``/``lat``)
        with a population column; or such a GeoDataFrame.
    population_column : str, default "population"
        Residents per cell.
    parcels_per_person_per_day : float, optional
        Parcels per resident per day; default ``model.person_rate``
        (0.15 / 1.8 = 0.083, times the peak factor).
    model : DemandModel, optional
        Gives the default rate and the peak factor.
    area : study area, optional
        Polygon cells are clipped to it, their population taken in proportion to the
        area inside; the part outside is dropped as ``"outside study area"``. Point
        cells outside are dropped whole.
    id_column : str, optional
        Cell id to report; default ``id`` when present, else ``"row N"``.
    crs : str, optional
        CRS of a CSV's coordinates when not WGS84 degrees.
    errors : {"drop", "raise"}, default "drop"
        As in :func:`read_demand_file`.
    split_m : float, optional
        Spread each polygon cell's parcels evenly over a lattice of points
        ``split_m`` metres apart inside the (clipped) cell, ids ``"<cell>#<k>"``.
        A 250 m cell as one point puts residents up to 177 m from their demand
        point, more than the 50 m clustering budget; ``split_m=50`` keeps the
        spatial error of the grid itself near the budget. Default: one point per cell.
    option : str, default "--population"
        Name of the input in error messages.

    Returns
    -------
    DemandResult
        One point per (clipped) cell, at a point inside it, with ``source=
        "population_grid"``, ``source_id`` (cell id), ``parcels_per_day`` and the
        file's columns (e.g. ``population``).

    Examples
    --------
    >>> grid = "../shared/bench/osm/helsinki_population_grid_2020.gpkg"
    >>> result = demand_from_population_grid(grid)  # doctest: +SKIP
    >>> round(result.points["population"].sum())  # doctest: +SKIP
    71724
    """
    model = (model or DemandModel()).for_country()
    if split_m is not None:
        check_positive(split_m=split_m)
    if parcels_per_person_per_day is None:
        rate = model.person_rate
    else:
        check_positive(parcels_per_person_per_day=parcels_per_person_per_day)
        rate = parcels_per_person_per_day * model.peak_factor
    if isinstance(source, gpd.GeoDataFrame):
        if source.crs is None:
            raise InputError(f"{option}: the population grid has no CRS; set it.")
        if len(source) == 0:
            raise InputError(f"{option}: the population grid has no rows.")
        gdf = source.to_crs("EPSG:4326").reset_index(drop=True)
        gdf["input_row"] = np.arange(1, len(gdf) + 1)
        empty = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
        gdf["invalid"] = np.where(empty, "invalid: feature without geometry", None)
        label, row_label = option, "row"
    else:
        path = Path(source).expanduser()
        gdf = read_features(path, option, crs=crs)
        label = f"{option}: {str(path)!r}"
        row_label = "line" if path.suffix.lower() in (".csv", ".tsv", ".txt") else "row"
    if population_column not in gdf.columns:
        cols = [c for c in map(str, gdf.columns) if c not in ("geometry", "input_row", "invalid")]
        raise InputError(
            f"{label}: no population column {population_column!r} (columns: "
            f"{', '.join(cols)}); pass population_column=..."
        )
    if id_column is None and "id" in gdf.columns:
        id_column = "id"
    return _from_table(
        gdf,
        label=label,
        source="population_grid",
        weight_column=population_column,
        scale=rate,
        area=area,
        id_column=id_column,
        errors=errors,
        row_label=row_label,
        split_polygons=True,
        split_m=split_m,
    )
