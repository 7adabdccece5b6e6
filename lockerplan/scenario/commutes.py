"""The ``commutes`` section: customers covered at work and on the way, not only at home.

Off by default; ``--on-the-way`` turns it on (:mod:`lockerplan.ontheway` says how).
Where the employed residents work comes from a jobs column of the population grid
(``--jobs-column``) or a file of workplaces (``--workplaces``); with ``--gtfs`` the
commutes ride the timetables, without it they drive.

The defaults and their sources: the gravity model is calibrated to a mean commute
of 27.7 minutes, the Porto Alegre metropolitan area's in the PNAD household survey
as Ipea's study of commute times reports it (Pereira & Schwanen 2013, read in the
press report of its metropolitan means); the employed share of residents is the
study area's country's where lockerplan knows it (Brazil: 0.450, IBGE 2019), else
the jobs over the residents of the layer; commutes leave their boarding stop at
07:30, the middle of the 07:00-08:00 hour taken as the weekday morning peak (a
convention); 20,000 commutes are drawn to plan with (about 16 per home cell on
Porto Alegre's grid).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import InputError
from .checks import Check, Flag, Number, PathText, Text, Whole
from .fields import Cli, Section, setting

#: Mean home-to-work time that calibrates the gravity model, minutes (Porto Alegre
#: metropolitan area, PNAD, as reported from Ipea's study, Pereira & Schwanen 2013).
MEAN_COMMUTE_MIN = 27.7


@dataclass(frozen=True)
class Paths(Check):
    """Paths of existing files, as a tuple; a text is split at commas.

    Examples
    --------
    >>> Paths()("--gtfs", ())
    ()
    >>> Paths()("--gtfs", "missing.zip")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --gtfs: file 'missing.zip' does not exist.
    """

    metavar: ClassVar[str] = "FILE"

    def __call__(self, label: str, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple):
            raise InputError(f"{label} must be paths of files, got {value!r}.")
        return tuple(PathText(exists=True)(label, part) for part in value)


@dataclass(frozen=True)
class ClockTime(Check):
    """A time of day as ``HH:MM`` (hours up to 47, for GTFS's service days).

    Examples
    --------
    >>> ClockTime()("--depart", "7:30")
    '07:30'
    >>> ClockTime()("--depart", "7h30")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --depart must be a time of day as HH:MM, e.g. 07:30, got '7h30'.
    """

    metavar: ClassVar[str] = "HH:MM"

    def __call__(self, label: str, value: Any) -> Any:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value) if isinstance(value, str) else None
        if not match or int(match[1]) > 47 or int(match[2]) > 59:
            raise InputError(f"{label} must be a time of day as HH:MM, e.g. 07:30, got {value!r}.")
        return f"{int(match[1]):02d}:{match[2]}"


@dataclass(frozen=True)
class Day(Check):
    """A day as ``YYYY-MM-DD``.

    Examples
    --------
    >>> Day()("--service-date", "2019-05-15")
    '2019-05-15'
    """

    metavar: ClassVar[str] = "YYYY-MM-DD"

    def __call__(self, label: str, value: Any) -> Any:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise InputError(f"{label} must be a day as YYYY-MM-DD, got {value!r}.") from None


@dataclass(frozen=True, kw_only=True)
class CommuteParams(Section):
    """Pickups on the way: where customers work and how they get there.

    Examples
    --------
    >>> CommuteParams().on_the_way
    False
    >>> CommuteParams(on_the_way=True, employed_share=1.2)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --employed-share must be between 0 and 1, got 1.2.
    """

    section = "commutes"

    on_the_way: bool = setting(
        False,
        check=Flag(),
        cli=Cli(flag=True),
        help="Cover customers within the walk of their work or of a stop on their commute "
        "too, not only of their home (needs --jobs-column or --workplaces)",
    )
    jobs_column: str | None = setting(
        None,
        check=Text(),
        cli=Cli(metavar="COLUMN"),
        none="none; 'jobs' in --workplaces",
        help="Column with the jobs of each cell: of --population, or of --workplaces",
    )
    workplaces: str | None = setting(
        None,
        unit="file",
        check=PathText(exists=True),
        cli=True,
        none="the jobs column of --population",
        help="Where people work, as its own file: CSV with lon/lat or GeoJSON/GeoPackage "
        "points or cells, with a jobs column",
    )
    gtfs: tuple[str, ...] = setting(
        (),
        unit="file",
        check=Paths(),
        cli=Cli(multiple=True),
        help="GTFS feeds (zip files; the option repeated, or comma-separated) whose "
        "timetables the commutes ride; without them they drive",
    )
    detour_m: float | None = setting(
        None,
        unit="metres",
        check=Number(),
        cli=True,
        none="--walk-m",
        help="Farthest walk from a stop or the car path of a commute to a site",
    )
    depart: str = setting(
        "07:30",
        check=ClockTime(),
        cli=True,
        help="When commutes leave their boarding stop (the middle of the 07:00-08:00 "
        "weekday morning peak, a convention; give a time the feeds run)",
    )
    service_date: str | None = setting(
        None,
        check=Day(),
        cli=True,
        none="the first Wednesday every feed serves",
        help="Day of the timetables the commutes ride",
    )
    employed_share: float | None = setting(
        None,
        unit="share",
        check=Number(upto=1),
        cli=True,
        none="the country's (Brazil 0.450, IBGE 2019), else jobs per resident of the layer",
        help="Employed residents per resident: the share of a home's parcels that commute",
    )
    mean_commute_min: float = setting(
        MEAN_COMMUTE_MIN,
        unit="minutes",
        check=Number(),
        cli=True,
        help="Observed mean commute the gravity model is calibrated to (Hyman's method; "
        "27.7 min: Porto Alegre metropolitan area, PNAD, as reported from Ipea's study, "
        "Pereira & Schwanen 2013)",
    )
    commute_beta: float | None = setting(
        None,
        unit="per minute",
        check=Number(allow_zero=True),
        cli=True,
        none="calibrated to --mean-commute-min; needed without --gtfs",
        help="Deterrence of the gravity model, exp(-beta x minutes), instead of calibrating "
        "it (free-flow car times are shorter than any observed door-to-door mean)",
    )
    commute_trips: int = setting(
        20_000,
        check=Whole(low=1),
        cli=True,
        help="Commutes drawn from the gravity model to plan with (about 16 per home cell "
        "on Porto Alegre's 1,227 cells)",
    )
    commute_seed: int = setting(
        0,
        check=Whole(low=0),
        help="Seed of the draw of commutes (the same seed draws the same commutes)",
    )
    max_transfers: int = setting(
        3, check=Whole(low=0), help="Most transfers a commute by transit makes"
    )

    def check_rules(self) -> None:
        """Where people work must be given with --on-the-way; the jobs column with a file."""
        if self.on_the_way and not (self.jobs_column or self.workplaces):
            raise InputError(
                "--on-the-way needs to know where people work: give --jobs-column COLUMN "
                "(a column of --population) or --workplaces FILE."
            )

    @property
    def depart_s(self) -> int:
        """``depart`` in seconds after midnight."""
        hours, minutes = self.depart.split(":")
        return int(hours) * 3600 + int(minutes) * 60
