"""The ``demand`` section: where parcels per day come from and the building model.

The defaults and their sources (:mod:`lockerplan.demand` explains the model): 0.15
parcels per dwelling per day is about 55 online-shopping parcels per household and
year, the order of magnitude European postal operators report; 80 m² of gross floor
area per dwelling is Statistics Finland's 64 m² of living space per Helsinki
dwelling plus a quarter for walls, stairs and shared space; 1.8 persons per
dwelling is Helsinki's average household (Statistics Finland), so a population
grid gives 0.15 / 1.8 = 0.083 parcels per person per day.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from .checks import Number, PathText, Text
from .fields import Cli, Section, setting

_POSITIVE = Number()


@dataclass(frozen=True, kw_only=True)
class DemandParams(Section):
    """The demand source (buildings, a population grid or your orders) and the model.

    Examples
    --------
    >>> DemandParams(peak_factor=2.5).person_rate
    0.2083...
    >>> DemandParams(mixed_residential_share=1.5)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: demand.mixed_residential_share must be between 0 and 1, got 1.5.
    """

    section = "demand"

    parcels_per_dwelling_per_day: float = setting(
        0.15,
        unit="parcels/day",
        check=_POSITIVE,
        help="Parcels per dwelling per day (about 55 per household and year, the order "
        "of magnitude European postal operators report)",
    )
    floor_area_per_dwelling_m2: float = setting(
        80.0,
        unit="m²",
        check=_POSITIVE,
        help="Gross floor area per dwelling (Statistics Finland: 64 m² of living space "
        "per Helsinki dwelling, plus a quarter for walls, stairs and shared space)",
    )
    peak_factor: float = setting(
        1.0,
        check=_POSITIVE,
        cli=True,
        help="Peak-season multiplier of all demand, e.g. 2.5 for December",
    )
    cluster_m: float = setting(
        50.0,
        unit="metres",
        check=Number(allow_zero=True),
        cli=True,
        help="Walking-error budget of demand clusters; 0 turns clustering off",
    )
    demand: str | None = setting(
        None,
        unit="file",
        check=PathText(exists=True),
        cli=True,
        none="OSM buildings",
        help="Your orders or addresses instead of OSM buildings: CSV with lon/lat, "
        "or GeoJSON/GeoPackage points",
    )
    demand_weight: str | None = setting(
        None,
        check=Text(),
        cli=Cli(metavar="COLUMN"),
        none="1 parcel per row",
        help="Column of --demand with parcels per row",
    )
    demand_days: float = setting(
        1.0,
        unit="days",
        check=_POSITIVE,
        cli=True,
        help="Days that --demand covers: parcels/day = weight / days",
    )
    demand_crs: str | None = setting(
        None,
        check=Text(),
        cli=Cli(metavar="EPSG"),
        none="lon/lat degrees",
        help="CRS of the coordinates in a --demand/--population CSV if not lon/lat "
        "degrees, e.g. EPSG:3067",
    )
    population: str | None = setting(
        None,
        unit="file",
        check=PathText(exists=True),
        cli=True,
        none="OSM buildings",
        help="Population grid instead of OSM buildings: GeoPackage/GeoJSON cells or CSV "
        "with lon/lat, and a population column; parcels/day = population x 0.083 "
        "(0.15 per dwelling / 1.8 persons)",
    )
    population_column: str = setting(
        "population",
        check=Text(),
        cli=Cli(metavar="COLUMN"),
        help="Column of --population with the residents of each cell",
    )
    parcels_per_person_per_day: float | None = setting(
        None,
        unit="parcels/day",
        check=_POSITIVE,
        cli=Cli(name="--parcels-per-person", metavar="RATE"),
        none="parcels per dwelling / persons per dwelling = 0.083",
        help="Parcels per resident per day, for --population",
    )
    population_split_m: float | None = setting(
        None,
        unit="metres",
        check=_POSITIVE,
        none="one point per cell",
        help="Spread each population cell's parcels over points this far apart",
    )
    mixed_residential_share: float = setting(
        0.5,
        unit="share",
        check=Number(allow_zero=True, upto=1),
        help="Share of an untyped building (building=yes) that is dwellings (assumed: "
        "city-centre blocks with shops below flats)",
    )
    non_residential_parcels_per_100m2_per_day: float = setting(
        0.0,
        unit="parcels/day per 100 m²",
        check=Number(allow_zero=True),
        help="Parcels to non-residential floor area (off by default)",
    )
    persons_per_dwelling: float = setting(
        1.8,
        unit="persons",
        check=_POSITIVE,
        help="Residents per dwelling (Helsinki's average household, Statistics Finland); "
        "population grids: parcels/person = parcels per dwelling / persons per dwelling",
    )
    calibration: float = setting(
        1.0,
        check=_POSITIVE,
        help="Multiplier of building demand after calibration against local counts",
    )

    def check_rules(self) -> None:
        """One demand source at a time."""
        if self.demand and self.population:
            raise InputError("give either --demand or --population, not both.")

    @property
    def person_rate(self) -> float:
        """Parcels per resident per day, peak factor included: ``parcels_per_person_per_day``
        when given, else parcels per dwelling / persons per dwelling."""
        rate = self.parcels_per_person_per_day
        if rate is None:
            rate = self.parcels_per_dwelling_per_day / self.persons_per_dwelling
        return rate * self.peak_factor
