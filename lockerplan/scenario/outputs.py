"""The ``outputs`` section: what a plan is called and where and how it is written."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import Formats, Number, PathText, PlanName
from .fields import Cli, Section, setting


@dataclass(frozen=True, kw_only=True)
class OutputParams(Section):
    """The plan's name, its output folder, the coverage grid and the layers' formats.

    In a scenario file these are top-level keys.

    Examples
    --------
    >>> OutputParams(formats="csv").formats
    'gpkg,csv'
    """

    section = "outputs"

    name: str | None = setting(
        None,
        check=PlanName(),
        help="Name of the plan and its output files",
        cli=Cli(metavar="NAME"),
        top=True,
        none="from the input file or place",
    )
    out: str = setting(
        "maps", unit="folder", check=PathText(), cli=True, top=True, help="Output folder"
    )
    cell_m: float = setting(
        250.0,
        unit="metres",
        check=Number(),
        cli=True,
        top=True,
        help="Side of the coverage-equity grid cells",
    )
    formats: str = setting(
        "gpkg",
        check=Formats(),
        cli=True,
        top=True,
        help="Formats of the GIS layers, comma-separated: gpkg, csv, geojson (the "
        "GeoPackage is always written; route_stops.csv, dropped.csv and summary.json too)",
    )
