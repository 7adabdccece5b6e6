"""Declarative checks of a setting's value, and the parsers of the texts settings hold.

A :class:`Check` is called with the setting's name as people spell it (the
command-line option, e.g. ``--walk-m``, or ``section.key`` for a setting of the
scenario file only) and a value; it returns the value, normalised where it says
so, or raises :class:`~lockerplan.errors.InputError` naming the setting, what was
given and what is expected. Every check first checks the value's type, so a
scenario file with ``osm = 5`` or ``name = ["x"]`` stops with one such error
before any work. :meth:`Check.parse` turns command-line text into a value.

Examples
--------
>>> Whole(low=1)("--sites", 3)
3
>>> Text()("--place", 5)
Traceback (most recent call last):
...
lockerplan.errors.InputError: --place must be text, got 5.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InputError

#: Output formats of the GIS layers; the GeoPackage is always written.
FORMATS = ("gpkg", "csv", "geojson")


class Check:
    """A declarative check of one setting's value; subclasses say what is allowed."""

    metavar: ClassVar[str] = "TEXT"

    def __call__(self, label: str, value: Any) -> Any:
        return value

    def parse(self, label: str, text: str) -> Any:
        """Command-line text as a value for this check (unchanged here)."""
        return text


@dataclass(frozen=True)
class Text(Check):
    """Any text (a name, a column, a CRS, a currency).

    Examples
    --------
    >>> Text()("--operator", "SmartPost")
    'SmartPost'
    """

    def __call__(self, label: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise InputError(f"{label} must be text, got {value!r}.")
        return value


@dataclass(frozen=True)
class PathText(Check):
    """The path of a file or folder, as text; ``exists`` also asks for an existing file.

    Examples
    --------
    >>> PathText()("--out", 7)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --out must be a path (text), got 7.
    """

    exists: bool = False
    metavar: ClassVar[str] = "FILE"

    def __call__(self, label: str, value: Any) -> Any:
        if not isinstance(value, str | os.PathLike) or not str(value).strip():
            raise InputError(f"{label} must be a path (text), got {value!r}.")
        if self.exists and not Path(value).expanduser().is_file():
            raise InputError(f"{label}: file {str(value)!r} does not exist.")
        return str(value)


class _Numeric(Check):
    """A check whose command-line text is a number made by :attr:`convert`."""

    convert: ClassVar[type] = float

    def _fail(self, label: str, value: Any) -> InputError:  # pragma: no cover - overridden
        raise NotImplementedError

    def parse(self, label: str, text: str) -> Any:
        """``convert(text)``; a text that is no number fails like a bad value."""
        try:
            return self.convert(text)
        except ValueError:
            raise self._fail(label, text) from None


#: The largest whole number a setting takes (sites, trips, seconds, seeds...): far
#: beyond any plan, and within what the libraries lockerplan drives accept, so that a
#: setting is refused by its name instead of failing deep inside one of them.
WHOLE_MAX = 10**9


@dataclass(frozen=True)
class Whole(_Numeric):
    """A whole number ``>= low`` and ``<= high`` (``True``/``False`` are not numbers).

    Examples
    --------
    >>> Whole(low=1)("--sites", 0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --sites must be a whole number >= 1, got 0.
    >>> Whole(low=1).parse("--sites", "99999999999999999999")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --sites must be a whole number <= 1,000,000,000, got 99999999999999999999.
    """

    low: int = 0
    high: int = WHOLE_MAX
    metavar: ClassVar[str] = "N"
    convert: ClassVar[type] = int

    def _fail(self, label: str, value: Any) -> InputError:
        return InputError(f"{label} must be a whole number >= {self.low}, got {value!r}.")

    def parse(self, label: str, text: str) -> Any:
        """The text as a whole number, checked (a number too large is named as such)."""
        return self(label, super().parse(label, text))

    def __call__(self, label: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < self.low:
            raise self._fail(label, value)
        if value > self.high:
            raise InputError(f"{label} must be a whole number <= {self.high:,}, got {value!r}.")
        return value


@dataclass(frozen=True)
class Number(_Numeric):
    """A finite number ``> 0`` (``>= 0`` with ``allow_zero``).

    ``below`` is an exclusive upper bound; ``upto`` an inclusive one (then the
    message reads "between 0 and upto"); ``least`` an inclusive lower bound (for
    factors and spans whose tiny values are as absurd as their huge ones).

    Examples
    --------
    >>> Number()("--walk-m", 400)
    400
    >>> Number(allow_zero=True, below=1)("--failure-rate", 1.0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --failure-rate must be below 1, got 1.0.
    >>> Number(least=0.01, upto=100)("--peak-factor", 1e300)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --peak-factor must be between 0.01 and 100, got 1e+300.
    """

    allow_zero: bool = False
    below: float | None = None
    upto: float | None = None
    least: float | None = None
    metavar: ClassVar[str] = "X"

    def _fail(self, label: str, value: Any) -> InputError:
        if self.upto is not None:
            expected = f"between {self.least or 0:g} and {self.upto:g}"
        elif self.least is not None:
            expected = f"a number >= {self.least:g}"
        else:
            expected = "a number " + (">= 0" if self.allow_zero else "> 0")
        return InputError(f"{label} must be {expected}, got {value!r}.")

    def __call__(self, label: str, value: Any) -> Any:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (number and math.isfinite(value)) or value < 0:
            raise self._fail(label, value)
        if (value == 0 and not self.allow_zero) or (self.upto is not None and value > self.upto):
            raise self._fail(label, value)
        if self.least is not None and value < self.least:
            raise self._fail(label, value)
        if self.below is not None and not value < self.below:
            raise InputError(f"{label} must be below {self.below:g}, got {value!r}.")
        return value


#: The range of a demand factor (a peak factor, a demand scenario's factor): beyond
#: it, the parcels a plan counts are no city's and the models' numbers break down.
FACTOR_RANGE = (0.01, 100.0)
#: The range of the days an orders file covers (a quarter of an hour to a century).
DAYS_RANGE = (0.01, 36_500.0)
#: A demand factor (:data:`FACTOR_RANGE`).
FACTOR = Number(least=FACTOR_RANGE[0], upto=FACTOR_RANGE[1])


@dataclass(frozen=True)
class Choice(Check):
    """One of the names of ``table``: a tuple of names, or a dict ``name -> row``.

    Rows with a ``help`` attribute are described on the command line.

    Examples
    --------
    >>> Choice(("sites", "cost"))("lscp.minimise", "cost")
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

    def __call__(self, label: str, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.values:
            raise InputError(f"{label} must be one of {', '.join(self.values)}, got {value!r}.")
        return value


@dataclass(frozen=True)
class Flag(Check):
    """``True`` or ``False`` (messages use the scenario file's key: the flag on the
    command line may be inverted, e.g. ``--no-cache`` for ``use_cache``)."""

    def __call__(self, label: str, value: Any) -> Any:
        if not isinstance(value, bool):
            raise InputError(f"{label} must be true or false, got {value!r}.")
        return value


@dataclass(frozen=True)
class PlanName(Check):
    """A name for output files: text without folder parts, so nothing is written
    outside ``--out``.

    Examples
    --------
    >>> PlanName()("--name", "helsinki_2025")
    'helsinki_2025'
    >>> PlanName()("--name", "../evil")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --name must be a name, not a path: got '../evil'; the outputs go into --out, so give a name such as 'helsinki_2025'.
    """

    metavar: ClassVar[str] = "NAME"

    def __call__(self, label: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise InputError(f"{label} must be a name (text), got {value!r}.")
        if not value.strip() or any(sep in value for sep in ("/", "\\", "\0")) or value[0] == ".":
            raise InputError(
                f"{label} must be a name, not a path: got {value!r}; the outputs go into "
                "--out, so give a name such as 'helsinki_2025'."
            )
        return value


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
class HubsInput(Check):
    """Hubs: a whole number of hubs to place (``3``) or the path of a hubs file."""

    metavar: ClassVar[str] = "FILE|N"

    def __call__(self, label: str, value: Any) -> Any:
        count = hub_number(value)
        if count is None:
            return PathText(exists=True)(label, value)
        if count < 1:
            raise InputError(
                f"{label} must be a hubs file or a number of hubs >= 1, got {value!r}."
            )
        return count


def parse_window(
    value: str | tuple[float, float] | None, label: str = "--window"
) -> tuple[float, float] | None:
    """A time window as ``(start_h, end_h)`` hours after midnight.

    Parameters
    ----------
    value : str or tuple of float or None
        ``"06:00-10:00"``, ``(6, 10)`` or ``None`` (no window).
    label : str, default "--window"
        How messages name the setting.

    Returns
    -------
    tuple of float or None
        Start and end, hours after midnight; ``None`` for no window.

    Raises
    ------
    InputError
        If the text is not ``HH:MM-HH:MM`` or the window ends before it starts.

    Examples
    --------
    >>> parse_window("06:00-10:30")
    (6.0, 10.5)
    >>> parse_window((7, 9))
    (7.0, 9.0)
    >>> parse_window("25:00-26:00", "--window")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --window must be two clock times (00:00 to 24:00), got '25:00-26:00': 25:00 is no time of day.
    """
    if value is None:
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
        if not match:
            raise InputError(
                f"{label} must look like '06:00-10:00', got {value!r}; "
                "give the start and end clock times of the replenishment window."
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        for h, m in ((h1, m1), (h2, m2)):
            if m > 59 or h > 24 or (h == 24 and m):
                raise InputError(
                    f"{label} must be two clock times (00:00 to 24:00), got {value!r}: "
                    f"{h:02d}:{m:02d} is no time of day."
                )
        value = (h1 + m1 / 60, h2 + m2 / 60)
    try:
        start, end = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"{label} must be 'HH:MM-HH:MM' or (start_h, end_h), got {value!r}."
        ) from None
    if not (0 <= start < end <= 48):
        raise InputError(f"{label} must start before it ends, within 0-48 h, got {value!r}.")
    return (start, end)


def window_text(hours: tuple[float, float]) -> str:
    """``(6, 10.5)`` as ``"06:00-10:30"``.

    Examples
    --------
    >>> window_text((6.0, 10.5))
    '06:00-10:30'
    """
    start, end = (int(round(60 * h)) for h in hours)
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


@dataclass(frozen=True)
class Window(Check):
    """A clock-time window ``"HH:MM-HH:MM"`` (:func:`parse_window`); a pair of hours is
    written as that text, so a scenario always holds the text.

    Examples
    --------
    >>> Window()("--window", (6, 10))
    '06:00-10:00'
    """

    metavar: ClassVar[str] = "HH:MM-HH:MM"

    def __call__(self, label: str, value: Any) -> Any:
        hours = parse_window(value, label)
        return value if isinstance(value, str) else window_text(hours)


def output_formats(
    formats: str | Iterable[str] = "gpkg", label: str = "--formats"
) -> tuple[str, ...]:
    """The formats asked for, as a tuple of :data:`FORMATS` names (``gpkg`` first).

    Examples
    --------
    >>> output_formats("csv, geojson")
    ('gpkg', 'csv', 'geojson')
    >>> output_formats("shp")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --formats must be gpkg, csv or geojson, comma-separated (e.g. gpkg,csv), got 'shp'.
    """
    if isinstance(formats, str):
        parts = formats.split(",")
    elif isinstance(formats, list | tuple) and all(isinstance(p, str) for p in formats):
        parts = list(formats)
    else:
        raise InputError(
            f"{label} must be text such as gpkg,csv (or a list of names), got {formats!r}."
        )
    names = [part.strip().lower() for part in parts if part.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if not names:
        raise InputError(f"{label} must name at least one of gpkg, csv, geojson.")
    if unknown:
        raise InputError(
            f"{label} must be gpkg, csv or geojson, comma-separated (e.g. gpkg,csv), "
            f"got {', '.join(unknown)!r}."
        )
    return tuple(f for f in FORMATS if f == "gpkg" or f in names)


@dataclass(frozen=True)
class Formats(Check):
    """Output formats of the GIS layers, comma-separated (:func:`output_formats`).

    Examples
    --------
    >>> Formats()("--formats", "geojson, CSV")
    'gpkg,csv,geojson'
    """

    metavar: ClassVar[str] = "gpkg,csv,geojson"

    def __call__(self, label: str, value: Any) -> Any:
        return ",".join(output_formats(value, label))


@dataclass(frozen=True)
class Ids(Check):
    """Ids as a tuple of str; a string is split at commas.

    Examples
    --------
    >>> Ids()("--exclude", "osm1, osm2,")
    ('osm1', 'osm2')
    """

    metavar: ClassVar[str] = "IDS"

    def __call__(self, label: str, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple | set | frozenset):
            raise InputError(f"{label} must be ids, comma-separated, got {value!r}.")
        if not all(isinstance(part, str | int) and not isinstance(part, bool) for part in value):
            raise InputError(f"{label} must be ids (text), got {value!r}.")
        return tuple(str(part) for part in value)


@dataclass(frozen=True)
class Scheduler(Check):
    """Where the regional siting solves run: ``local`` or a Dask scheduler's address
    (:func:`lockerplan.scheduler.check_scheduler`; needs ``lockerplan[dask]``)."""

    metavar: ClassVar[str] = "local|tcp://HOST:PORT"

    def __call__(self, label: str, value: Any) -> Any:
        from ..scheduler import check_scheduler  # raises InputError naming --scheduler

        return check_scheduler(Text()(label, value))


_SCENARIO_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,19}")


@dataclass(frozen=True)
class DemandFactors(Check):
    """Demand scenarios: names and their demand factors, ``"normal=1,peak=2.5"`` or a mapping.

    Names are short words (letters, digits, ``_``; they name facilities columns),
    unique; factors are between 0.01 and 100 (:data:`FACTOR_RANGE`). The order given is kept.

    Examples
    --------
    >>> DemandFactors()("--demand-scenarios", "normal=1, peak=2.5")
    {'normal': 1.0, 'peak': 2.5}
    >>> DemandFactors()("--demand-scenarios", [[1, 2, 3]])
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --demand-scenarios must be name=factor pairs such as normal=1,peak=2.5, got [[1, 2, 3]].
    """

    metavar: ClassVar[str] = "NAME=FACTOR,..."

    def parse(self, label: str, text: str) -> Any:
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
                    f"{label} must be name=factor pairs, comma-separated, e.g. "
                    f"normal=1,peak=2.5; got {part!r}."
                )
        return pairs

    def _pairs(self, label: str, value: Any) -> list[tuple[Any, Any]]:
        pairs = list(value.items()) if isinstance(value, Mapping) else value
        if isinstance(pairs, str):
            pairs = self.parse(label, pairs)
        paired = isinstance(pairs, list | tuple) and all(
            isinstance(p, list | tuple) and len(p) == 2 for p in pairs
        )
        if not paired or not pairs:
            raise InputError(
                f"{label} must be name=factor pairs such as normal=1,peak=2.5, got {value!r}."
            )
        return list(pairs)

    def __call__(self, label: str, value: Any) -> Any:
        out: dict[str, float] = {}
        for key, factor in self._pairs(label, value):
            if not isinstance(key, str) or not _SCENARIO_NAME.fullmatch(key):
                raise InputError(
                    f"{label}: {key!r} is not a scenario name; use letters, digits and _ "
                    "(at most 20, starting with a letter), e.g. peak."
                )
            if key.lower() in {k.lower() for k in out}:  # GeoPackage columns ignore case
                raise InputError(
                    f"{label}: scenario {key!r} is given twice (names are compared "
                    "ignoring case); names must be unique."
                )
            out[key] = float(FACTOR(f"{label}: the factor of {key!r}", factor))
        return out
