"""The records of the country presets: a :class:`Source`, a :class:`Figure` (a value
with its unit and source) and a :class:`CountryPreset` (one country's figures).

See :mod:`lockerplan.presets` for the fields and what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

from ..errors import InputError

Kind = Literal["measured", "claimed", "modelled", "assumed"]
#: The kinds a source can be of.
KINDS: tuple[str, ...] = ("measured", "claimed", "modelled", "assumed")
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Source:
    """Where a figure comes from.

    Parameters
    ----------
    publisher : str
        Who published it (a statistics office, a regulator, an operator...).
    year : int
        Year the figure describes.
    measures : str
        What the published figure measures, in its own terms.
    kind : {"measured", "claimed", "modelled", "assumed"}
    url : str
        Address of the publication or of a report of it; empty only for ``"assumed"``.
    note : str
        How the value was derived from the figure, and any caveat (region,
        neighbouring country, definition); for ``"assumed"``, the reasoning.

    Examples
    --------
    >>> Source("Eurostat", 2022, "persons per private household", "measured",
    ...        "https://ec.europa.eu/eurostat").text()
    'Eurostat 2022: persons per private household (measured). https://ec.europa.eu/eurostat'
    """

    publisher: str
    year: int
    measures: str
    kind: Kind
    url: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"source kind must be one of {', '.join(KINDS)}, got {self.kind!r}.")
        for name in ("publisher", "measures"):
            if not str(getattr(self, name)).strip():
                raise InputError(f"source {name} must not be empty.")
        if isinstance(self.year, bool) or not isinstance(self.year, int) or self.year < 1990:
            raise InputError(f"source year must be a year (e.g. 2023), got {self.year!r}.")
        if self.kind == "assumed" and not self.note.strip():
            raise InputError("an assumed figure needs its reasoning in the source note.")
        if self.kind != "assumed" and not self.url.startswith(("http://", "https://")):
            raise InputError(
                f"a {self.kind} figure needs the address of its source, got {self.url!r}."
            )

    def text(self) -> str:
        """One line: publisher, year, what it measures, kind, note and address."""
        parts = [f"{self.publisher} {self.year}: {self.measures} ({self.kind})."]
        if self.note:
            parts.append(self.note)
        if self.url:
            parts.append(self.url)
        return " ".join(parts)


@dataclass(frozen=True)
class Figure:
    """A value with its unit and source.

    Examples
    --------
    >>> Figure(1.9, "persons", Source("Eurostat", 2022, "persons per household",
    ...        "measured", "https://ec.europa.eu/eurostat")).value
    1.9
    """

    value: float
    unit: str
    source: Source

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InputError(f"a preset value must be a number > 0, got {value!r}.")
        if not isinstance(self.source, Source):
            raise InputError(f"a preset value needs a Source, got {self.source!r}.")


#: Fields that are shares (0-1).
SHARE_FIELDS = frozenset(
    {"out_of_home_share", "failed_first_attempt_share", "untyped_residential_share"}
)

#: The setting each preset field feeds (scenario field names; see docs/assumptions.md).
FEEDS: MappingProxyType[str, str] = MappingProxyType(
    {
        "parcels_per_capita_per_year": "parcels_per_person_per_day (= value / 365) and "
        "parcels_per_dwelling_per_day (= value / 365 x household_size)",
        "household_size": "persons_per_dwelling",
        "out_of_home_share": "adoption_share (share of covered customers who collect at "
        "a locker at their door)",
        "failed_first_attempt_share": "failure_rate",
        "compartments_per_cabinet": "cabinet_compartments",
        "dwell_days": "dwell_days",
        "floor_area_per_dwelling_m2": "floor_area_per_dwelling_m2",
        "untyped_residential_share": "mixed_residential_share",
    }
)


@dataclass(frozen=True)
class CountryPreset:
    """Published figures for one country (see the module docstring for each field).

    Examples
    --------
    >>> from lockerplan.presets import preset
    >>> fi = preset("FI")
    >>> fi.household_size.value
    1.9
    >>> round(fi.parcels_per_person_per_day, 4)
    0.0458
    """

    code: str
    name: str
    parcels_per_capita_per_year: Figure
    household_size: Figure
    out_of_home_share: Figure
    failed_first_attempt_share: Figure
    compartments_per_cabinet: Figure
    dwell_days: Figure
    floor_area_per_dwelling_m2: Figure
    untyped_residential_share: Figure

    def __post_init__(self) -> None:
        if not (len(self.code) == 2 and self.code.isalpha() and self.code.isupper()):
            raise InputError(f"country code must be two capital letters, got {self.code!r}.")
        for name in self.figure_names():
            figure = getattr(self, name)
            if not isinstance(figure, Figure):
                raise InputError(f"{self.code} {name} must be a Figure, got {figure!r}.")
            if name in SHARE_FIELDS and figure.value > 1:
                raise InputError(
                    f"{self.code} {name} is a share and must be at most 1, got {figure.value!r}."
                )

    @staticmethod
    def figure_names() -> tuple[str, ...]:
        """Names of the fields that hold figures, in declaration order."""
        return tuple(f.name for f in fields(CountryPreset) if f.name not in ("code", "name"))

    @property
    def parcels_per_person_per_day(self) -> float:
        """Parcels per resident per day."""
        return self.parcels_per_capita_per_year.value / DAYS_PER_YEAR

    def demand_settings(self) -> dict[str, float]:
        """This country's demand settings, by their names in the scenario and in
        :class:`lockerplan.demand.DemandModel` (``DemandModel(**settings)``).

        Examples
        --------
        >>> from lockerplan.presets import preset
        >>> settings = preset("BR").demand_settings()
        >>> settings["persons_per_dwelling"], round(settings["parcels_per_dwelling_per_day"], 4)
        (2.79, 0.0459)
        """
        return {
            "parcels_per_dwelling_per_day": self.parcels_per_person_per_day
            * self.household_size.value,
            "persons_per_dwelling": self.household_size.value,
            "floor_area_per_dwelling_m2": self.floor_area_per_dwelling_m2.value,
            "mixed_residential_share": self.untyped_residential_share.value,
        }

    def assumptions(self) -> dict[str, dict[str, Any]]:
        """For each figure: ``value``, ``unit``, ``kind``, ``source`` (one line).

        Examples
        --------
        >>> from lockerplan.presets import preset
        >>> preset("GB").assumptions()["failed_first_attempt_share"]["value"]
        0.049
        """
        out = {}
        for name in self.figure_names():
            figure: Figure = getattr(self, name)
            out[name] = {
                "value": figure.value,
                "unit": figure.unit,
                "kind": figure.source.kind,
                "source": figure.source.text(),
            }
        return out
