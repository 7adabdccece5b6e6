"""How a setting is declared: its default, help, unit, check and command-line spelling.

Each section of a scenario (:mod:`lockerplan.scenario`) is a frozen dataclass
derived from :class:`Section`; each of its fields is declared once with
:func:`setting`, which holds the field's metadata: the help sentence, the unit,
the :mod:`~lockerplan.scenario.checks` check, how the command line spells it
(:class:`Cli`) and whether it is a top-level key of the scenario file. A section
runs its fields' checks when it is made (as PyVRP's parameter objects do), so a
section that exists is valid; the command line, the scenario file and
``lockerplan.plan(**options)`` are all read through them.

Examples
--------
>>> from dataclasses import dataclass
>>> from lockerplan.scenario.checks import Whole
>>> @dataclass(frozen=True, kw_only=True)
... class Demo(Section):
...     section = "demo"
...     sites: int = setting(6, help="Open at most this many sites", check=Whole(low=1))
>>> Demo(sites=0)
Traceback (most recent call last):
...
lockerplan.errors.InputError: demo.sites must be a whole number >= 1, got 0.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .checks import Check, Flag

#: Units of fields that hold a path; a scenario file's relative paths are read from
#: the file's folder.
PATH_UNITS = ("file", "folder")


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
    multiple : bool, default False
        The option may be given more than once; its values arrive as a tuple.
    """

    name: str | None = None
    short: str | None = None
    flag: bool | None = None
    help: str = ""
    metavar: str | None = None
    multiple: bool = False


def setting(
    default: Any,
    *,
    help: str,
    unit: str = "",
    check: Check | None = None,
    cli: Cli | bool = False,
    none: str = "",
    top: bool = False,
) -> Any:
    """Declare a field of a :class:`Section` with its metadata.

    Parameters
    ----------
    default : Any
        Default value (immutable); a default of None means "unset" and is never
        checked.
    help : str
        What the setting means: a sentence without the final full stop. When a
        figure depends on the default, the sentence names its source.
    unit : str
        metres, seconds, parcels/day, currency/day, share, ... ("file" and
        "folder" for paths, which a scenario file resolves from its folder).
    check : Check, optional
        The declarative check run when the section is made.
    cli : Cli or bool
        Expose as a command-line option (True: with the default spelling).
    none : str
        What a default of None means, for the help text (e.g. "no limit").
    top : bool
        A top-level key of the scenario file (``name``, ``osm``, ``sites``, ...)
        rather than a key of the section's table.
    """
    metadata = {
        "help": help,
        "unit": unit,
        "check": check,
        "cli": Cli() if cli is True else (cli or None),
        "none": none,
        "top": top,
    }
    return field(default=default, metadata=metadata)


def option_name(f: dataclasses.Field, section: str) -> str:
    """How messages name a setting: its command-line option (``--walk-m``); a flag, or
    a setting of the scenario file only, by its key (``use_cache``,
    ``routing.van_capacity``).

    Examples
    --------
    >>> from lockerplan.scenario import SitingParams
    >>> fields = {f.name: f for f in dataclasses.fields(SitingParams)}
    >>> option_name(fields["walk_m"], "siting"), option_name(fields["gap_rel"], "siting")
    ('--walk-m', 'siting.gap_rel')
    """
    cli = f.metadata["cli"]
    if isinstance(f.metadata["check"], Flag):
        return f.name
    if cli is None:
        return f.name if f.metadata["top"] else f"{section}.{f.name}"
    return cli.name if cli.name and cli.flag is None else "--" + f.name.replace("_", "-")


@dataclass(frozen=True)
class Section:
    """A section of a scenario: a frozen dataclass of :func:`setting` fields that checks
    itself when made.

    Subclasses (frozen, keyword-only dataclasses) set :attr:`section` (its table in
    the scenario file) and may add :meth:`check_rules`, the rules that read more than
    one of its fields.
    """

    #: The section's table in a scenario file (``[routing]``).
    section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check, value = f.metadata["check"], getattr(self, f.name)
            if check is None or (value is None and f.default is None):
                continue
            checked = check(option_name(f, self.section), value)
            if checked is not value:
                object.__setattr__(self, f.name, checked)
        self.check_rules()

    def check_rules(self) -> None:
        """Rules that read more than one field (none here)."""

    def to_dict(self) -> dict[str, Any]:
        """The section's settings by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> Section:
        """A copy with ``changes``, checked again."""
        return dataclasses.replace(self, **changes)
