"""Reading the user's own point files: candidate sites, hubs, orders.

A point file is a CSV with ``lon`` and ``lat`` columns (WGS84 degrees), or any
vector file that geopandas reads (GeoJSON, GeoPackage...) with point geometries.
Errors name the option, the file, the row and the fix.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError

_LON = ("lon", "lng", "longitude", "x")
_LAT = ("lat", "latitude", "y")


def _find(columns: pd.Index, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def read_points(path: str | Path, option: str) -> gpd.GeoDataFrame:
    """Read a point file into a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``lon``/``lat`` columns, or a GeoJSON / GeoPackage of points.
    option : str
        The option the file came from (e.g. ``"--candidates"``), used in errors.

    Returns
    -------
    geopandas.GeoDataFrame
        The file's columns plus ``input_row`` (1-based data row, for tracing) and
        point geometries in EPSG:4326.

    Raises
    ------
    InputError
        Missing file, missing ``lon``/``lat`` columns, non-numeric or out-of-range
        coordinates (naming the first bad rows), non-point geometries, or no rows.

    Examples
    --------
    >>> hubs = read_points("data/helsinki_hubs.csv", "--hubs")  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{option}: file {str(path)!r} does not exist.")
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        try:
            frame = pd.read_csv(path, sep=sep)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"{option}: cannot read {str(path)!r} as CSV: {exc}") from exc
        lon_col, lat_col = _find(frame.columns, _LON), _find(frame.columns, _LAT)
        for col, names in ((lon_col, _LON), (lat_col, _LAT)):
            if col is None:
                missing = names[0]
                raise InputError(
                    f"{option}: {str(path)!r} has no {missing!r} column (columns: "
                    f"{', '.join(map(str, frame.columns))}); add {missing!r} in WGS84 degrees."
                )
        lon = pd.to_numeric(frame[lon_col], errors="coerce")
        lat = pd.to_numeric(frame[lat_col], errors="coerce")
        bad = lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90)
        if bad.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
            raise InputError(
                f"{option}: {str(path)!r} has missing or invalid lon/lat on line(s) {rows}; "
                "give WGS84 degrees (lon -180..180, lat -90..90)."
            )
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    else:
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises DataSourceError and others
            raise InputError(
                f"{option}: cannot read {str(path)!r} as a vector file: {exc}"
            ) from exc
        if gdf.crs is None:
            raise InputError(
                f"{option}: {str(path)!r} has no CRS; save it with its CRS (e.g. EPSG:4326)."
            )
        gdf = gdf.to_crs("EPSG:4326")
        empty = gdf.geometry.isna() | gdf.geometry.is_empty
        if empty.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(empty)[:5])
            raise InputError(
                f"{option}: {str(path)!r} has features without geometry: row(s) {rows}."
            )
        not_point = gdf.geometry.geom_type != "Point"
        if not_point.any():
            gdf.loc[not_point, gdf.geometry.name] = gdf.geometry[not_point].representative_point()
    if len(gdf) == 0:
        raise InputError(f"{option}: {str(path)!r} has no rows.")
    gdf = gdf.reset_index(drop=True)
    gdf["input_row"] = np.arange(1, len(gdf) + 1)
    return gdf
