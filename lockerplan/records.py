"""The records of a plan's figures, made from :mod:`lockerplan.figures`, and their text.

:class:`Kpis` is what a plan reports: built once, by
:func:`lockerplan.pipeline.kpis.plan_kpis`, and read by everything that shows
figures. Its fields are :data:`~lockerplan.figures.FIGURES`, one for one (so are
those of :class:`Delivery`, :class:`Side` and :class:`BusinessCase` with their
tables): a figure is declared once, in the table, and its record field, default,
type and docstring line follow. A record is also a read-only mapping over its
``summary.json`` keys, so ``plan.kpis["coverage_share"]`` works, and
:meth:`Kpis.from_dict` reads a (partial) ``summary.json`` back.

:func:`line_rows` writes a record as the rows people read: the sentences of
:data:`~lockerplan.figures.LINES` and a row per figure of the view, each number
written by its own figure. The printed summary, the notebook view and the map's
panel are those rows.

A leaf, like :mod:`lockerplan.figures`: nothing of the pipeline is imported.

Examples
--------
>>> k = Kpis(name="x", coverage_share=0.5, business_case={"savings_pct": 12.0})
>>> k["coverage_share"], k.business_case.savings_pct, k.business_case.with_lockers.vans
(0.5, 12.0, 0)
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .figures import (
    BUSINESS_FIGURES,
    CHOICE_FIGURES,
    DASH,
    DELIVERY_FIGURES,
    FIGURES,
    LINES,
    ON_THE_WAY_FIGURES,
    PARCEL_FIGURES,
    PRICING_FIGURES,
    SCENARIO_FIGURES,
    SIDE_FIGURES,
    Figure,
    missing,
)

_SUMMARY = "summary"


def _field(fig: Figure) -> tuple[str, Any, Any]:
    """A record field from a figure: mutable defaults get a factory."""
    if isinstance(fig.default, dict | list):
        return fig.key, fig.kind, field(default_factory=type(fig.default))
    return fig.key, fig.kind, field(default=fig.default)


def _doc(title: str, table: Mapping[str, Figure]) -> str:
    """A numpy-style docstring listing each figure's help and unit."""
    rows = "".join(
        f"    {f.key} : {getattr(f.kind, '__name__', str(f.kind))}\n        {f.help}"
        + (f" ({f.unit})" if f.unit else "")
        + ".\n"
        for f in table.values()
    )
    return f"{title}\n\n    Attributes\n    ----------\n{rows}"


class _Record(Mapping):
    """A frozen record that reads like the dict it writes (``record["key"]``).

    Its fields are those of its figure table (``_figures``); a mapping given for a
    nested record (``_nested``) is made into that record.
    """

    _figures: dict[str, Figure] = {}
    #: fields left out of :meth:`to_dict` when they are None
    _optional: tuple[str, ...] = ()
    #: fields that hold a record: a mapping given there is made into that record
    _nested: dict[str, type] = {}

    def __post_init__(self) -> None:
        for key, kind in self._nested.items():
            value = getattr(self, key)
            if isinstance(value, Mapping) and not isinstance(value, kind):
                object.__setattr__(self, key, kind.from_dict(value))

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values (nested records become dicts)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.name in self._optional:
                continue
            out[f.name] = value.to_dict() if isinstance(value, _Record) else value
        return out

    def __getitem__(self, key: str) -> Any:
        if key in self._optional and getattr(self, key, None) is None:
            raise KeyError(key)
        if key not in self.__dataclass_fields__:  # type: ignore[attr-defined]
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Any:
        """The record from a mapping with (some of) its keys, e.g. a ``summary.json``.

        Unknown keys are ignored; missing ones take their defaults.
        """
        if isinstance(values, cls):
            return values
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in values.items() if k in known})


def _record(name: str, table: dict[str, Figure], base: type, doc: str, **extra: Any) -> type:
    """A frozen record class whose fields are the figures of ``table``."""
    cls = dataclasses.make_dataclass(
        name,
        [_field(f) for f in table.values()],
        bases=(base,),
        frozen=True,
        eq=False,
        namespace={"_figures": table, "__doc__": _doc(doc, table), **extra},
    )
    cls.__module__ = __name__
    return cls


Delivery = _record(
    "Delivery",
    DELIVERY_FIGURES,
    _Record,
    "A day of deliveries on one side of the business case (made by "
    ":func:`lockerplan.costs.delivery_kpis`).",
    _optional=("failure_rate", "attempts"),
)
Side = _record(
    "Side",
    SIDE_FIGURES,
    _Record,
    "One side of the business case: every parcel of the day, delivered one way.",
    _optional=("locker_parcels_per_day", "home_parcels_per_day"),
)

BusinessCase = _record(
    "BusinessCase",
    BUSINESS_FIGURES,
    _Record,
    "Lockers plus home delivery of the rest, against every parcel to the door, for the "
    "same parcels (made by :func:`lockerplan.costs.business_case`).",
    _nested={"with_lockers": Side, "door_to_door": Side},
)


CommuteCoverage = _record(
    "CommuteCoverage",
    ON_THE_WAY_FIGURES,
    _Record,
    "Pickups on the way: a plan's covered parcels by where customers are first reached "
    "(made by :func:`lockerplan.pipeline.commutes.on_the_way_figures`).",
)


ChoiceFigures = _record(
    "ChoiceFigures",
    CHOICE_FIGURES,
    _Record,
    "What customers choose under the MNL: home, our sites or rivals' sites (made by "
    ":func:`lockerplan.pipeline.choose.choice_figures`).",
)


PricingFigures = _record(
    "PricingFigures",
    PRICING_FIGURES,
    _Record,
    "Locker prices by zone: the discounts that save the carrier most (made by "
    ":func:`lockerplan.pipeline.prices.price_zones`).",
)


Parcels = _record(
    "Parcels",
    PARCEL_FIGURES,
    _Record,
    "Every parcel of a plan accounted for: read = at lockers + home + not delivered "
    "(made by :func:`lockerplan.pipeline.kpis.parcel_balance`).",
)


class _KpisBase(_Record):
    """What :class:`Kpis` says in words beyond its figures."""

    _optional = (
        "lockers",
        "door_to_door",
        "door_to_door_savings",
        "business_case",
        "scenarios",
        "on_the_way",
        "parcels",
        "choice",
        "pricing",
    )
    #: properties written by a figure of the table
    _aliases = {"locker_cost_per_parcel": "cost_per_parcel"}

    @property
    def locker_cost_per_parcel(self) -> float | None:
        """Cost per parcel with lockers: the business case's, else the routes' (or None)."""
        for value in (self.cost_per_parcel, self.lockers and self.lockers.cost_per_parcel):
            if value is not None and not missing(value):
                return float(value)
        return None

    @property
    def sites_text(self) -> str:
        """``"6 of at most 6"``, or ``"21 (the lscp model chooses how many; ...)"``."""
        if self.sites_limit is None:
            return f"{self.sites_open} (the {self.model} model chooses how many; --sites does not apply)"
        return f"{self.sites_open} of at most {self.sites_limit}"

    @property
    def capacity_text(self) -> str:
        """``" and capacity"`` when the covered parcels are within capacity too."""
        return " and capacity" if self.capacitated else ""

    @property
    def rivals_text(self) -> str:
        """``"2.4 at rivals' lockers + "`` in the parcels' split, or "" without them."""
        if self.parcels is None or not self.parcels.at_rivals:
            return ""
        return f"{PARCEL_FIGURES['at_rivals'].number(self.parcels.at_rivals)} at rivals' lockers + "

    @property
    def competitors_text(self) -> str:
        """``"3 sites (RivalBox), captured 41.2 parcels/day; 12.0 parcels/day walk to a
        rival first"``, or "" without competitors."""
        if not self.competitor_sites:
            return ""
        operators = ", ".join(self.competitor_operators) or "operator unknown"
        write = FIGURES["captured_parcels_per_day"].text
        if self.choice is not None:  # customers choose: see the choice line
            return (
                f"{self.competitor_sites} sites ({operators}); customers choose: "
                f"{write(self.rival_parcels_per_day)} at rivals' sites"
            )
        return (
            f"{self.competitor_sites} sites ({operators}), captured "
            f"{write(self.captured_parcels_per_day)}; "
            f"{write(self.rival_parcels_per_day)} walk to a rival first"
        )

    @property
    def solver_text(self) -> str:
        """``"optimal (cmclp, gap 0.00 %, 0.36 s, highs)"``, and with ``--scheduler``
        ``"; 12 regions (Dask local, 2 workers)"`` (or why not decomposed)."""
        text = (
            f"{self.solver_status} ({self.model}, gap "
            f"{FIGURES['solver_gap'].text(self.solver_gap or 0.0)}, "
            f"{FIGURES['solver_s'].text(self.solver_s)}, {self.solver})"
        )
        if self.regions_note:
            text += f"; {self.regions} region{'s' * (self.regions != 1)} ({self.regions_note})"
        return text

    @property
    def routes_only(self) -> bool:
        """A cost without the business case: the replenishment routes and the sites."""
        return self.business_case is None and self.cost_per_day is not None

    @property
    def door_to_door_only(self) -> bool:
        """The door-to-door day without the business case."""
        return self.door_to_door is not None and self.business_case is None

    @property
    def vans_short(self) -> bool:
        """A cap on the vans left sites unrouted."""
        return self.vans_needed is not None and self.vans_needed > self.vans_used

    def summary_lines(self) -> list[tuple[str, str]]:
        """The figures a reader sees, as ``(label, text)`` rows (:func:`line_rows`).

        The command line's summary and the notebook view show these rows; the map's
        panel shows those of its own view.
        """
        return line_rows(self, _SUMMARY)

    def summary(self) -> str:
        """The one-screen text the command line prints."""
        head = f"lockerplan: {self.name}  ({self.osm})"
        return "\n".join([head] + [f"  {label:14s} {text}" for label, text in self.summary_lines()])

    def flat(self, view: str) -> dict[str, Any]:
        """The figures of one view as a flat row (the sweep table's): the plan's own, then
        the door-to-door side of the business case as ``KEY_door_to_door``."""
        row = {key: getattr(self, key) for key, f in FIGURES.items() if view in f.views}
        door = self.business_case.door_to_door if self.business_case is not None else None
        for key, f in SIDE_FIGURES.items():
            if view in f.views:
                row[f"{key}_door_to_door"] = None if door is None else getattr(door, key)
        return row


Kpis = _record(
    "Kpis",
    FIGURES,
    _KpisBase,
    "The key figures of a plan; the keys of ``summary.json`` "
    "(:data:`lockerplan.figures.FIGURES`). Every field has a default, so that a partial "
    "record (a test, a re-read ``summary.json``) can be made with :meth:`from_dict`.",
    _nested={
        "lockers": Delivery,
        "door_to_door": Delivery,
        "business_case": BusinessCase,
        "on_the_way": CommuteCoverage,
        "parcels": Parcels,
        "choice": ChoiceFigures,
        "pricing": PricingFigures,
    },
)


@dataclass(frozen=True)
class _Value:
    """A value found by a template, with the figure that writes it (if any)."""

    value: Any
    figure: Figure | None


class _Row(Mapping):
    """A plain mapping read with a figure table (a demand scenario's entry)."""

    def __init__(self, values: Mapping[str, Any], figures: dict[str, Figure]) -> None:
        self._values, self._figures = values, figures

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def lookup(root: Any, path: str) -> _Value:
    """The value at a dotted ``path`` of a record, with the figure that writes it.

    Examples
    --------
    >>> lookup(Kpis(coverage_share=0.5), "coverage_share").figure.label
    'Coverage'
    """
    value, parent, name = root, None, path
    for name in path.split("."):
        parent = value
        if isinstance(value, Mapping) and not isinstance(value, _Record):
            value = value.get(name)
        else:
            value = getattr(value, name, None)
    table = getattr(parent, "_figures", {})
    alias = getattr(parent, "_aliases", {}).get(name, name)
    return _Value(value, table.get(alias))


class _Writer(string.Formatter):
    """Fills a :class:`Line` template: each value written by its own figure."""

    def __init__(self, root: Any, currency: str) -> None:
        self.root, self.currency = root, currency

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        return lookup(self.root, field_name), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        fig, raw = value.figure, value.value
        if fig is not None and format_spec in ("", "n"):
            return fig.number(raw) if format_spec == "n" else fig.text(raw, self.currency)
        if missing(raw):
            return DASH
        return format(raw, format_spec) if format_spec else str(raw)


def _truthy(root: Any, path: str) -> bool:
    value = lookup(root, path).value
    return bool(value) and not missing(value)


def line_rows(record: Any, view: str = _SUMMARY) -> list[tuple[str, str]]:
    """The ``(label, text)`` rows of a record in one view: :data:`LINES`, then a row per
    figure with that view."""
    currency = str(getattr(record, "currency", "EUR"))
    rows = []
    for line in LINES:
        if view not in line.views or (line.when and not _truthy(record, line.when)):
            continue
        items = lookup(record, line.each).value or () if line.each else (record,)
        for item in items:
            root = _Row(item, SCENARIO_FIGURES) if line.each else item
            writer = _Writer(root, currency)
            text = line.panel if view == "panel" and line.panel else line.text
            rows.append((writer.format(line.label), writer.format(text)))
    for fig in record._figures.values():
        if view in fig.views:
            rows.append((fig.label.lower(), fig.text(getattr(record, fig.key), currency)))
    return rows
