"""The ``candidates`` section: where sites may open, and the rivals' sites."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import PathText, Text
from .fields import Cli, Section, setting


@dataclass(frozen=True, kw_only=True)
class CandidateParams(Section):
    """The candidate sites (OSM places by default) and a rival network.

    In a scenario file these are top-level keys.

    Examples
    --------
    >>> CandidateParams().candidates is None
    True
    """

    section = "candidates"

    candidates: str | None = setting(
        None,
        unit="file",
        check=PathText(exists=True),
        cli=True,
        top=True,
        none="places from OpenStreetMap",
        help="Your candidate sites instead of OSM places: CSV with lon/lat (WGS84) or "
        "GeoJSON/GeoPackage; optional name, kind (cabinet|pickup_point) and capacity "
        "(parcels/day) columns",
    )
    competitors: str | None = setting(
        None,
        unit="file",
        check=PathText(exists=True),
        cli=True,
        top=True,
        none="none but OSM lockers of other operators (with --operator)",
        help="A rival network's sites: CSV with lon/lat (WGS84) or GeoJSON/GeoPackage "
        "points, optional name and operator columns; a customer collects at the nearest "
        "site of either network within the walk (ties to the rival)",
    )
    operator: str | None = setting(
        None,
        check=Text(),
        cli=Cli(metavar="NAME"),
        top=True,
        none="OSM parcel lockers stay existing candidates",
        help="Your own operator or brand: OSM parcel lockers tagged with another operator "
        "or brand become competitor sites (case-insensitive)",
    )
