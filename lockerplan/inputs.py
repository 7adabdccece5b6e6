"""Reading the user's own files: candidate sites, hubs, orders, population grids.

Internal: the readers' plumbing (:func:`lockerplan.candidates.read_candidates` and
:func:`lockerplan.competitors.read_competitors` are the public side).

A point file is a CSV with ``lon`` and ``lat`` columns (WGS84 degrees), or any
vector file that geopandas reads (GeoJSON, GeoPackage...) with point geometries.
Errors name the option, the file, the row and the fix.

Two readers share the same parsing:

* :func:`read_points` is strict: any bad row is an error (candidates, hubs).
* :func:`read_features` is tolerant: rows with bad coordinates or geometries are
  kept, flagged in an ``invalid`` column with the reason, so that the caller can
  drop and *report* them (demand files, where one bad address must not stop a plan
  of 100,000 orders but must not vanish silently either).

Whole-file problems are always errors: a missing file, an unreadable file, missing
``lon``/``lat`` columns, no rows, a file without CRS, and projected coordinates
(metres, e.g. ``385000, 6672000``) given where WGS84 degrees are expected.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .errors import InputError

log = logging.getLogger(__name__)

_LON = ("lon", "lng", "longitude", "x")
_LAT = ("lat", "latitude", "y")

#: Reason given for rows whose coordinates are missing or not numbers.
REASON_NO_COORDS = "invalid: missing or non-numeric coordinates"
#: Reason given for rows whose coordinates are outside lon -180..180 / lat -90..90.
REASON_OUT_OF_RANGE = "invalid: coordinates out of range (lon -180..180, lat -90..90)"
#: Reason given for features without geometry.
REASON_NO_GEOMETRY = "invalid: feature without geometry"
#: Reason given for polygons that :func:`shapely.make_valid` cannot make an area of.
REASON_BAD_POLYGON = "invalid: a polygon without area, even once repaired"
#: The option that gives the CRS of a demand file's coordinates.
CRS_OPTION = "--demand-crs"


def _find(columns: pd.Index, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def rows_text(rows: np.ndarray | list[int], *, label: str = "row", limit: int = 5) -> str:
    """Format the first bad rows for an error message, e.g. ``"lines 3, 7 (2 in all)"``.

    Examples
    --------
    >>> rows_text([3, 7, 9], label="line")
    'lines 3, 7, 9'
    >>> rows_text(list(range(1, 10)), limit=2)
    'rows 1, 2 ... (9 in all)'
    """
    rows = [int(r) for r in rows]
    head = ", ".join(str(r) for r in rows[:limit])
    word = label if len(rows) == 1 else label + "s"
    more = f" ... ({len(rows)} in all)" if len(rows) > limit else ""
    return f"{word} {head}{more}"


def _projected_error(option: str, path: Path, x: float, y: float) -> InputError:
    if option in ("--demand", "--population"):  # these files may say their CRS
        fix = (
            "Give the file's CRS (crs='EPSG:3067', on the command line --demand-crs "
            "EPSG:3067) or convert it to lon/lat degrees."
        )
    else:
        fix = "Convert it to lon/lat degrees (WGS84, EPSG:4326)."
    return InputError(
        f"{option}: {str(path)!r} has coordinates like ({x:.0f}, {y:.0f}) where WGS84 "
        "degrees (lon -180..180, lat -90..90) are expected: out of range, they look like "
        f"projected metres (e.g. EPSG:3067 for Finland, or a UTM zone). {fix}"
    )


def _check_crs(crs: str | None, option: str) -> CRS | None:
    if crs is None:
        return None
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        raise InputError(
            f"{option}: unknown CRS {crs!r}; give an EPSG code such as 'EPSG:3067'."
        ) from exc


def read_features(
    path: str | Path,
    option: str,
    *,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV or vector file, flagging (not dropping) rows with bad coordinates.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (``.csv``, ``.tsv``, ``.txt``) with ``lon``/``lat`` columns (also
        ``lng``/``longitude``/``x`` and ``latitude``/``y``), or a vector file
        (GeoJSON, GeoPackage, Shapefile...) with any geometry type.
    option : str
        The option or argument the file came from (e.g. ``"--demand"``), for errors.
    crs : str, optional
        CRS of a CSV's coordinate columns (default WGS84 degrees, EPSG:4326), e.g.
        ``"EPSG:3067"`` for a Finnish file in metres. For vector files the file's own
        CRS is used and this must be ``None`` or the same.

    Returns
    -------
    geopandas.GeoDataFrame
        All rows of the file, in EPSG:4326, with two added columns: ``input_row``
        (1-based data row; CSV line = ``input_row + 1``) and ``invalid`` (``None``
        for good rows, else the reason; those rows have a ``None`` geometry).

    Raises
    ------
    InputError
        The file is missing, unreadable or empty, has no ``lon``/``lat`` columns or
        no CRS, or its coordinates look like projected metres given as degrees.

    Examples
    --------
    >>> gdf = read_features("orders.csv", "--demand")  # doctest: +SKIP
    >>> gdf[gdf["invalid"].notna()]  # rows to report  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{option}: file {str(path)!r} does not exist.")
    user_crs = _check_crs(crs, option)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        gdf = _read_csv(path, option, user_crs)
    else:
        gdf = _read_vector(path, option, user_crs, crs)
    gdf = gdf.reset_index(drop=True)
    gdf["input_row"] = np.arange(1, len(gdf) + 1)
    return gdf


def csv_dialect(path: Path) -> tuple[str, str]:
    """The encoding and field separator of a CSV, from its first 64 KiB.

    UTF-8 (with or without a byte-order mark), else Windows-1252/Latin-1, which
    spreadsheets still write; the separator is whichever of ``,`` ``;`` tab ``|``
    the header line holds most (``;`` where the decimal mark is a comma).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes(b"id;lon;lat;name" + bytes([10]) + b"1;24.9;60.1;Caf" + bytes([233, 10]))
    >>> csv_dialect(p)
    ('cp1252', ';')
    """
    with path.open("rb") as fh:
        head = fh.read(65536)
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        text, encoding = head.decode("cp1252", errors="replace"), "cp1252"
    header = text.splitlines()[0] if text else ""
    sep = max((",", ";", "\t", "|"), key=header.count)
    return encoding, (sep if header.count(sep) else ",")


def _read_csv(path: Path, option: str, user_crs: CRS | None) -> gpd.GeoDataFrame:
    encoding, sep = csv_dialect(path)
    try:
        frame = pd.read_csv(path, sep=sep, encoding=encoding)
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{option}: {str(path)!r} is empty; give a header and rows.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{option}: cannot read {str(path)!r} as CSV: {exc}") from exc
    lon_col, lat_col = _find(frame.columns, _LON), _find(frame.columns, _LAT)
    for col, names in ((lon_col, _LON), (lat_col, _LAT)):
        if col is None:
            missing = names[0]
            raise InputError(
                f"{option}: {str(path)!r} has no {missing!r} column (columns: "
                f"{', '.join(map(str, frame.columns))}); add {missing!r} in WGS84 degrees."
            )
    if len(frame) == 0:
        raise InputError(f"{option}: {str(path)!r} has a header but no rows.")
    x = pd.to_numeric(frame[lon_col], errors="coerce")
    y = pd.to_numeric(frame[lat_col], errors="coerce")
    missing = x.isna() | y.isna()
    invalid = pd.Series(None, index=frame.index, dtype=object)
    invalid[missing] = REASON_NO_COORDS
    if user_crs is None or user_crs.is_geographic:
        out = ~missing & (~x.between(-180, 180) | ~y.between(-90, 90))
        numeric = int((~missing).sum())
        # Most rows out of range: the whole file is in metres, not one typo.
        if numeric and out.sum() > 0.5 * numeric:
            first = np.flatnonzero(out)[0]
            raise _projected_error(option, path, x.iloc[first], y.iloc[first])
        invalid[out] = REASON_OUT_OF_RANGE
    good = invalid.isna()
    pts = gpd.points_from_xy(x.where(good), y.where(good))
    pts[~good.to_numpy()] = None
    gdf = gpd.GeoDataFrame(frame, geometry=pts, crs=user_crs or "EPSG:4326")
    if user_crs is not None and not user_crs.equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs("EPSG:4326")
        bad = good & ~(gdf.geometry.x.between(-180, 180) & gdf.geometry.y.between(-90, 90))
        invalid[bad] = REASON_OUT_OF_RANGE
        gdf.loc[bad.to_numpy(), gdf.geometry.name] = None
    gdf["invalid"] = invalid.to_numpy()
    return gdf


def _read_vector(
    path: Path, option: str, user_crs: CRS | None = None, crs_text: str | None = None
) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise InputError(f"{option}: cannot read {str(path)!r} as a vector file: {exc}") from exc
    if len(gdf) == 0:
        raise InputError(f"{option}: {str(path)!r} has no rows.")
    if gdf.crs is None and user_crs is not None:
        gdf = gdf.set_crs(user_crs)
    if gdf.crs is None:
        raise InputError(
            f"{option}: {str(path)!r} has no CRS; save it with its CRS (e.g. EPSG:4326)."
        )
    if user_crs is not None and not user_crs.equals(gdf.crs):
        own = gdf.crs.to_string()
        raise InputError(
            f"{option}: {str(path)!r} says its coordinates are in {own}, but {CRS_OPTION} "
            f"says {crs_text}; {CRS_OPTION} is for a CSV's columns and a file without a "
            f"CRS: leave it out, or fix the file's CRS."
        )
    empty = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if gdf.crs.is_geographic and not empty.all():
        # A projected file mislabelled as degrees: bounds far outside the globe.
        w, s, e, n = gdf.geometry[~empty].total_bounds
        if min(w, s) < -180 or max(e, n) > 180 or min(s, n) < -90 or max(s, n) > 90:
            first = gdf.geometry[~empty].iloc[0].representative_point()
            raise _projected_error(option, path, first.x, first.y)
    invalid = np.where(empty, REASON_NO_GEOMETRY, None).astype(object)
    gdf.loc[empty, gdf.geometry.name] = None
    gdf = _repair_polygons(gdf, invalid, option, path)
    gdf = gdf.to_crs("EPSG:4326")
    gdf["invalid"] = invalid
    return gdf


def _repair_polygons(
    gdf: gpd.GeoDataFrame, invalid: np.ndarray, option: str, path: Path
) -> gpd.GeoDataFrame:
    """Invalid polygons (self-intersecting, bow-ties) repaired by :func:`shapely.make_valid`,
    keeping their polygonal part; one without area is flagged in ``invalid`` (its row
    reported, its geometry None). ``invalid`` is updated in place."""
    geoms = gdf.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    broken = polygonal & ~shapely.is_valid(geoms)
    if not broken.any():
        return gdf
    fixed = geoms.copy()
    for i in np.flatnonzero(broken):
        parts = shapely.get_parts(shapely.make_valid(geoms[i]))
        areas = [g for g in parts if shapely.get_type_id(g) in (3, 6) and g.area > 0]
        if areas:
            fixed[i] = shapely.union_all(areas)
        else:
            fixed[i] = None
            invalid[i] = REASON_BAD_POLYGON
    rows = np.flatnonzero(broken) + 1
    lost = np.flatnonzero(broken & (invalid == REASON_BAD_POLYGON)) + 1
    log.warning(
        "%s: %r has invalid polygons on %s, repaired (shapely make_valid)%s",
        option,
        str(path),
        rows_text(rows),
        f"; without area even so, left out: {rows_text(lost)}" if len(lost) else "",
    )
    return gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))


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
        point geometries in EPSG:4326. Other geometry types are replaced by a point
        inside them.

    Raises
    ------
    InputError
        Missing file, missing ``lon``/``lat`` columns, non-numeric or out-of-range
        coordinates (naming the first bad rows), projected coordinates given as
        degrees, features without geometry, or no rows.

    Examples
    --------
    >>> hubs = read_points("data/helsinki_hubs.csv", "--hubs")  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    gdf = read_features(path, option)
    bad = gdf["invalid"].notna().to_numpy()
    if bad.any():
        rows = gdf["input_row"].to_numpy()[bad]
        if path.suffix.lower() in (".csv", ".txt", ".tsv"):
            raise InputError(
                f"{option}: {str(path)!r} has missing or invalid lon/lat on "
                f"{rows_text(rows + 1, label='line')}; give WGS84 degrees "
                "(lon -180..180, lat -90..90)."
            )
        reasons = gdf["invalid"].to_numpy()[bad]
        what = (
            "polygons without area, even once repaired"
            if (reasons == REASON_BAD_POLYGON).all()
            else "features without geometry"
        )
        raise InputError(f"{option}: {str(path)!r} has {what}: {rows_text(rows)}.")
    not_point = (gdf.geometry.geom_type != "Point").to_numpy()
    if not_point.any():
        gdf.loc[not_point, gdf.geometry.name] = gdf.geometry[not_point].representative_point()
    return gdf.drop(columns="invalid")


def read_hubs(path: str | Path) -> gpd.GeoDataFrame:
    """Van hubs from a point file: ``hub_id`` (or ``hub<row>``), ``name``, point.

    Examples
    --------
    >>> read_hubs("data/helsinki_hubs.csv")["hub_id"].tolist()  # doctest: +SKIP
    ['north', 'south']
    """
    gdf = read_points(path, "--hubs")
    ids = (
        gdf["hub_id"].astype(str) if "hub_id" in gdf else gdf["input_row"].map(lambda r: f"hub{r}")
    )
    twice = ids[ids.duplicated(keep=False)]
    if len(twice):
        rows = gdf.loc[twice.index, "input_row"].to_numpy()
        raise InputError(
            f"--hubs: {str(path)!r} has the hub_id {twice.iloc[0]!r} more than once "
            f"({rows_text(rows)}); give every hub its own hub_id, so routes can name their hub."
        )
    names = gdf["name"].fillna("").astype(str) if "name" in gdf else ids
    return gpd.GeoDataFrame(
        {"hub_id": ids.to_numpy(), "name": names.to_numpy()},
        geometry=gdf.geometry.to_numpy(),
        crs="EPSG:4326",
    )
