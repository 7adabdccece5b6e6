"""The country of a study area, found offline.

A country preset (:mod:`lockerplan.presets`) is chosen by the ISO 3166-1 alpha-2
code of the country where the study area lies. The code is found without any
network access from the coordinates themselves: every point is given the country
of the nearest populated place in GeoNames' table of places with at least 1,000
residents (about 150,000 places, shipped inside the ``reverse_geocode`` package,
data CC BY 4.0, geonames.org), and the study area takes the country that holds
most of its points (or most of its parcels, with weights).

Nearest-place lookup is not a border polygon: a point within a few hundred metres
of a border may take the neighbour's code when the neighbour's nearest place is
closer. The majority over a whole study area absorbs that; :class:`CountryGuess`
reports the share of the points behind the answer, so a study area that straddles
a border (the Monaco region: Monaco and four French communes) can be seen as such.

OSM extracts could also name their country (``addr:country`` tags), but extracts
filtered to streets carry none (Porto Alegre's has no such tag, Greater Porto's
four), so coordinates are used for every source.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium

from .errors import InputError

log = logging.getLogger(__name__)

#: Points looked up per study area at most (evenly spread over the input order).
MAX_POINTS = 2_000


@dataclass(frozen=True)
class CountryGuess:
    """The country most of a study area's points lie in.

    Attributes
    ----------
    code : str
        ISO 3166-1 alpha-2 code, e.g. ``"FI"``.
    share : float
        Share of the points (or of their weights) in that country, 0-1.
    points : int
        Points looked up.
    shares : dict
        Every country found, code -> share, largest first.
    """

    code: str
    share: float
    points: int
    shares: dict[str, float]


def _lookup() -> object:
    try:
        import reverse_geocode
    except ImportError as exc:  # pragma: no cover - a dependency of lockerplan
        raise InputError(
            "finding the country needs the 'reverse_geocode' package: "
            "pip install reverse_geocode, or give the country code yourself."
        ) from exc
    return reverse_geocode


def countries_at(lon: Sequence[float], lat: Sequence[float]) -> np.ndarray:
    """ISO 3166-1 alpha-2 code of the nearest populated place of each point.

    Parameters
    ----------
    lon, lat : sequences of float
        WGS84 degrees, same length.

    Returns
    -------
    numpy.ndarray
        One code per point (``str``).

    Examples
    --------
    >>> countries_at([24.94, -51.22], [60.17, -30.03]).tolist()
    ['FI', 'BR']
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(
            f"lon and lat must be two lists of equal length, got {x.shape} and {y.shape}."
        )
    bad = ~(np.isfinite(x) & np.isfinite(y)) | (np.abs(x) > 180) | (np.abs(y) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"coordinates must be WGS84 degrees (lon -180..180, lat -90..90); point {i} "
            f"is ({x[i]}, {y[i]})."
        )
    if len(x) == 0:
        return np.array([], dtype=str)
    places = _lookup().search(list(zip(y.tolist(), x.tolist(), strict=True)))
    return np.array([p["country_code"] for p in places], dtype=str)


def study_area_country(
    lon: Sequence[float],
    lat: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    max_points: int = MAX_POINTS,
) -> CountryGuess:
    """The country that holds most of a study area's points (or parcels).

    Parameters
    ----------
    lon, lat : sequences of float
        Points of the study area in WGS84 degrees: demand points, network nodes.
    weights : sequence of float, optional
        E.g. parcels per day of each point; the country with the largest total wins.
    max_points : int, default 2000
        At most this many points are looked up, evenly spread over the input.

    Returns
    -------
    CountryGuess

    Examples
    --------
    >>> guess = study_area_country([24.93, 24.95], [60.165, 60.175])
    >>> guess.code, guess.share
    ('FI', 1.0)
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    if len(x) == 0:
        raise InputError("cannot tell the country of an empty study area (no points).")
    if w.shape != x.shape or not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise InputError("weights must be one number >= 0 per point, not all 0.")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise InputError(f"max_points must be a whole number >= 1, got {max_points!r}.")
    take = np.unique(np.linspace(0, len(x) - 1, min(len(x), max_points)).round().astype(int))
    codes = countries_at(x[take], y[take])
    totals: dict[str, float] = {}
    for code, weight in zip(codes.tolist(), w[take].tolist(), strict=True):
        totals[code] = totals.get(code, 0.0) + weight
    whole = sum(totals.values()) or 1.0
    shares = {c: v / whole for c, v in sorted(totals.items(), key=lambda kv: -kv[1])}
    code, share = next(iter(shares.items()))
    log.info("country: %s (%.0f %% of %d points)", code, 100 * share, len(take))
    return CountryGuess(code=code, share=share, points=len(take), shares=shares)


def osm_node_coordinates(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of every node with a location in an OSM file.

    Parameters
    ----------
    path : str or Path
        ``.osm.pbf`` (or any format pyosmium reads).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Longitudes and latitudes, WGS84 degrees.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path
    >>> lon, lat = osm_node_coordinates(default_osm_path())
    >>> bool(24.9 < lon.mean() < 25.0)
    True
    """
    source = Path(path)
    if not source.is_file():
        raise InputError(f"OSM file not found: {source}.")
    lon: list[float] = []
    lat: list[float] = []
    for node in osmium.FileProcessor(str(source), osmium.osm.NODE):
        if node.location.valid():
            lon.append(node.location.lon)
            lat.append(node.location.lat)
    if not lon:
        raise InputError(f"{source} holds no node with coordinates.")
    return np.asarray(lon), np.asarray(lat)


def osm_country(path: str | Path, *, max_points: int = MAX_POINTS) -> CountryGuess:
    """The country of an OSM extract, from its nodes (see :func:`study_area_country`).

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path
    >>> osm_country(default_osm_path()).code
    'FI'
    """
    lon, lat = osm_node_coordinates(path)
    return study_area_country(lon, lat, max_points=max_points)
