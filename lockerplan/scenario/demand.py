"""The ``demand`` section: where parcels per day come from and the building model.

The building model's figures (parcels per dwelling, persons per dwelling, floor
area per dwelling, the residential share of untyped buildings) are the country's by
default: :mod:`lockerplan.presets` holds them with their sources and
:func:`lockerplan.assumptions.with_country` fills them for the study area's country
(``--country``, or found from the OSM extract). A value set in the scenario is kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import InputError
from .checks import DAYS_RANGE, FACTOR, Number, PathText, Text
from .fields import Cli, Section, setting

_POSITIVE = Number()
#: The country of a demand model that names none, in library calls (the default
#: study area's: central Helsinki); a plan names its study area's.
LIBRARY_COUNTRY = "FI"
#: The demand settings a country preset fills (:mod:`lockerplan.assumptions`).
COUNTRY_DEMAND = (
    "parcels_per_dwelling_per_day",
    "persons_per_dwelling",
    "floor_area_per_dwelling_m2",
    "mixed_residential_share",
)


@dataclass(frozen=True, kw_only=True)
class DemandParams(Section):
    """The demand source (buildings, a population grid or your orders) and the model.

    Examples
    --------
    >>> round(DemandParams(country="FI", peak_factor=2.5).for_country().person_rate, 4)
    0.1144
    >>> DemandParams(mixed_residential_share=1.5)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: demand.mixed_residential_share must be between 0 and 1, got 1.5.
    """

    section = "demand"

    country: str | None = setting(
        None,
        check=Text(),
        cli=Cli(metavar="CC"),
        none="found from the OSM extract",
        help="Country of the study area (ISO code, e.g. FI, PT, BR) whose published "
        "figures fill the settings marked 'the country's': parcels per person, household "
        "size, failed first attempts, out-of-home share, compartments, dwell days",
    )
    parcels_per_dwelling_per_day: float | None = setting(
        None,
        unit="parcels/day",
        check=_POSITIVE,
        none="the country's: parcels per person per year / 365 x household size",
        help="Parcels per dwelling per day",
    )
    floor_area_per_dwelling_m2: float | None = setting(
        None,
        unit="m²",
        check=_POSITIVE,
        none="the country's living space per dwelling x 1.25",
        help="Gross floor area per dwelling in the building model",
    )
    peak_factor: float = setting(
        1.0,
        check=FACTOR,
        cli=True,
        help="Peak-season multiplier of all demand, e.g. 2.5 for December",
    )
    cluster_m: float = setting(
        50.0,
        unit="metres",
        check=Number(allow_zero=True, below=1000),  # below cluster_demand's 1 km tiles
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
        check=Number(least=DAYS_RANGE[0], upto=DAYS_RANGE[1]),
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
        "with lon/lat, and a population column; parcels/day = population x the "
        "country's parcels per person",
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
        none="parcels per dwelling / persons per dwelling (the country's)",
        help="Parcels per resident per day, for --population",
    )
    population_split_m: float | None = setting(
        None,
        unit="metres",
        check=_POSITIVE,
        none="one point per cell",
        help="Spread each population cell's parcels over points this far apart",
    )
    mixed_residential_share: float | None = setting(
        None,
        unit="share",
        check=Number(allow_zero=True, upto=1),
        none="the country's (fitted to a population grid where one was)",
        help="Share of an untyped building (building=yes) that is dwellings",
    )
    non_residential_parcels_per_100m2_per_day: float = setting(
        0.0,
        unit="parcels/day per 100 m²",
        check=Number(allow_zero=True),
        help="Parcels to non-residential floor area (off by default)",
    )
    persons_per_dwelling: float | None = setting(
        None,
        unit="persons",
        check=_POSITIVE,
        none="the country's household size",
        help="Residents per dwelling; population grids: parcels/person = parcels per "
        "dwelling / persons per dwelling",
    )
    calibration: float = setting(
        1.0,
        check=FACTOR,
        help="Multiplier of building demand after calibration against local counts",
    )

    def check_rules(self) -> None:
        """One demand source at a time."""
        if self.demand and self.population:
            raise InputError("give either --demand or --population, not both.")

    def for_country(self, code: str | None = None) -> DemandParams:
        """This section with the settings it leaves to the country filled from the
        preset of ``code`` (default: its own ``country``, else :data:`LIBRARY_COUNTRY`
        for a library call that names none); a value it sets is kept. A plan always
        names its study area's country (:mod:`lockerplan.assumptions`).

        Examples
        --------
        >>> DemandParams(country="BR").for_country().persons_per_dwelling
        2.79
        >>> DemandParams(country="BR", persons_per_dwelling=3.0).for_country().persons_per_dwelling
        3.0
        """
        open_ = {n: None for n in COUNTRY_DEMAND if getattr(self, n) is None}
        if not open_:
            return self
        code = code or self.country or LIBRARY_COUNTRY
        from ..presets import preset

        figures = preset(code).demand_settings()
        return dataclasses.replace(self, **{n: figures[n] for n in open_})

    def check_resolved(self) -> None:
        """Raise unless the country's settings are filled
        (:func:`lockerplan.assumptions.with_country`)."""
        open_ = [n for n in COUNTRY_DEMAND if getattr(self, n) is None]
        if open_:
            raise InputError(
                f"demand: {', '.join(open_)} are the country's; give --country or fill them "
                "with lockerplan.assumptions.with_country(scenario, code)."
            )

    @property
    def person_rate(self) -> float:
        """Parcels per resident per day, peak factor included: ``parcels_per_person_per_day``
        when given, else parcels per dwelling / persons per dwelling."""
        rate = self.parcels_per_person_per_day
        if rate is None:
            self.check_resolved()
            rate = self.parcels_per_dwelling_per_day / self.persons_per_dwelling
        return rate * self.peak_factor
