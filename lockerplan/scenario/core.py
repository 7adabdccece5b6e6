"""A scenario: every setting of a plan, one section per part of the pipeline.

:class:`Scenario` holds eight sections (:data:`SECTIONS`), each a small
self-checking dataclass (:mod:`~lockerplan.scenario.fields`): ``network``,
``demand``, ``candidates``, ``commutes``, ``siting``, ``routing``, ``costs`` and
``outputs``.
The stages receive their section: the demand stage a :class:`DemandParams`, the
routing a :class:`RoutingParams` (:class:`lockerplan.routing.Fleet`), the business
case a :class:`CostParams` (:class:`lockerplan.costs.CostModel`). Users keep
writing flat settings: ``Scenario(sites=8, walk_m=500)`` (and
``lockerplan.plan(sites=8)``) puts each in its section, ``scenario.walk_m`` reads
it back, and :meth:`Scenario.to_dict` is the flat ``scenario`` of ``summary.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from .candidates import CandidateParams
from .choice import ChoiceParams
from .commutes import CommuteParams
from .costs import CostParams
from .demand import DemandParams
from .fields import Section
from .network import NetworkParams
from .outputs import OutputParams
from .routing import RoutingParams
from .sections import SECTIONS, scenario_fields
from .siting import SitingParams
from .toml import read_toml, write_toml


class Scenario:
    """All settings of a plan. Units: metres, seconds, parcels per day.

    Every section checks its settings when it is made, and names the setting at
    fault; :meth:`validate` is kept for the rules that read several sections (none
    today) and returns the scenario.

    Parameters
    ----------
    **values
        The sections by name (``network``, ``demand``, ``candidates``, ``commutes``,
        ``siting``, ``routing``, ``costs``, ``choice``, ``outputs``: a :class:`Section` or a mapping of its
        settings; the defaults otherwise), and flat settings (``sites=8``,
        ``walk_m=500``), each put into its section. Two names are both a section and
        a setting: ``demand`` (the orders file) and ``candidates`` (the candidates
        file); text there is the file.

    Examples
    --------
    >>> sc = Scenario(sites=8, walk_m=500)
    >>> sc.sites, sc.siting.walk_m, sc.routing.van_capacity
    (8, 500, 200)
    >>> Scenario(sites=0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --sites must be a whole number >= 1, got 0.
    >>> Scenario(exclude="a, b").exclude
    ('a', 'b')
    """

    network: NetworkParams
    demand: DemandParams
    candidates: CandidateParams
    commutes: CommuteParams
    siting: SitingParams
    routing: RoutingParams
    costs: CostParams
    choice: ChoiceParams
    outputs: OutputParams

    def __init__(self, **values: Any) -> None:
        fields = scenario_fields()
        given = {name: _section(name, values.pop(name)) for name in SECTIONS if name in values}
        for name, value in list(given.items()):
            if not isinstance(value, Section):  # the file named `demand` or `candidates`
                values[name] = value
                del given[name]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise InputError(
                f"unknown setting(s): {', '.join(unknown)}; the settings are the options of "
                "`lockerplan plan --help` (with _ for -) and the keys of data/helsinki.toml."
            )
        flat: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
        for key, value in values.items():
            flat[fields[key][0]][key] = value
        for name, cls in SECTIONS.items():
            base = given.get(name)
            section = (
                dataclasses.replace(base, **flat[name]) if base is not None else cls(**flat[name])
            )
            object.__setattr__(self, name, section)
        _check_pricing(self)

    def __getattr__(self, name: str) -> Any:
        """A flat setting, read from its section (``scenario.walk_m``)."""
        fields = scenario_fields()
        if name.startswith("_") or name not in fields:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self.__dict__[fields[name][0]], name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Scenario does not change; make another with .replace(...)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.sections() == other.sections()

    def __hash__(self) -> int:  # pragma: no cover - scenarios are not dict keys
        return hash(tuple(sorted(self.to_dict().items(), key=str)))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.to_dict().items() if v != scenario_fields()[k][1].default}
        return f"Scenario({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def sections(self) -> dict[str, Section]:
        """The sections by name."""
        return {name: self.__dict__[name] for name in SECTIONS}

    def __iter__(self) -> Iterator[Section]:
        return iter(self.sections().values())

    def replace(self, **changes: Any) -> Scenario:
        """A scenario with ``changes`` (flat settings or sections), checked again.

        Examples
        --------
        >>> Scenario().replace(sites=3, formats="csv").formats
        'gpkg,csv'
        """
        sections = {
            k: v for k, v in changes.items() if k in SECTIONS and isinstance(v, Section | Mapping)
        }
        fields = scenario_fields()
        base = {k: v for k, v in self.to_dict().items() if fields[k][0] not in sections}
        flat = {k: v for k, v in changes.items() if k not in sections}
        return Scenario(**{**base, **flat}, **sections)

    def validate(self) -> Scenario:
        """The scenario, checked (each section checks itself when made); for chaining.

        Raises
        ------
        InputError
            Naming the setting, the value received and what is expected.
        """
        return self

    def to_dict(self) -> dict[str, Any]:
        """The scenario as one flat dict of settings (the ``scenario`` of ``summary.json``)."""
        out: dict[str, Any] = {}
        for section in self:
            out.update(section.to_dict())
        return out

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> Scenario:
        """Read a scenario file; ``overrides`` (not None) take precedence.

        Raises
        ------
        InputError
            A missing or malformed file, unknown keys or sections, or a value of the
            wrong type or range (one error naming the key), before any work.
        """
        values = read_toml(path)
        try:
            scenario = cls(**values)
        except InputError as exc:
            raise InputError(f"--config {str(path)!r}: {exc}") from None
        given = {k: v for k, v in overrides.items() if v is not None}
        return scenario.replace(**given) if given else scenario

    def to_toml(self) -> str:
        """The scenario as a scenario file, every setting with its help and unit
        (:func:`lockerplan.scenario.toml.write_toml`)."""
        return write_toml(self.to_dict())


def _check_pricing(sc: Scenario) -> None:
    """``--price-zones`` with settings that leave it nothing to price: one error naming
    both (the plan would otherwise be written without its prices)."""
    if not sc.choice.price_zones:
        return
    why = None
    if sc.choice.choice_model != "mnl":
        why = f"it prices what customers choose: use --choice mnl, not {sc.choice.choice_model}"
    elif sc.commutes.on_the_way:
        why = (
            "--on-the-way is not priced yet (customers on the way choose per customer "
            "group, prices are set per zone of homes): drop one of them"
        )
    elif not sc.costs.door_to_door:
        why = "its prices come from the door-to-door day's cost per parcel: drop --no-door-to-door"
    if why:
        raise InputError(f"--price-zones: {why}.")


def _section(name: str, value: Any) -> Any:
    """A section given by name: the section, a mapping of its settings made into one,
    or (for ``demand`` and ``candidates``) anything else, which is the file setting."""
    cls = SECTIONS[name]
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return cls(**value)
    if name in ("demand", "candidates"):
        return value
    raise InputError(
        f"{name} must be a {cls.__name__} (or a mapping of its settings), got {value!r}."
    )
