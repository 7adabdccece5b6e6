"""Country presets: published figures for lockerplan's defaults, each with its source.

One frozen :class:`CountryPreset` per country (ISO 3166-1 alpha-2 code) holds the
figures a plan's demand, capacity and business case depend on. Every value is a
:class:`Figure` that names its :class:`Source`: publisher, year, what it measures,
address, and its kind:

* ``"measured"``: statistics, tracking data or a survey with its sample;
* ``"claimed"``: an operator's, vendor's or consultancy's statement;
* ``"modelled"``: a model result, lockerplan's own fits included (the method is
  named in the note);
* ``"assumed"``: no published figure was found; the note gives the reasoning.

Where a figure is for a region or a neighbouring country rather than the country
itself, the note says so.

The fields and what they mean
-----------------------------
``parcels_per_capita_per_year``
    All parcels delivered in the country per resident per year: business-to-consumer,
    business-to-business and consumer parcels up to 31.5 kg, domestic and inbound.
    This is the scope of the Pitney Bowes Parcel Shipping Index and of national
    regulators' parcel counts, the one definition published for every country
    here. It includes parcels to businesses, so as demand at homes it is an upper
    bound; business-to-consumer counts alone, where published, are quoted in the
    notes (McKinsey 2019: DE 24, GB 22, US 21).
``household_size``
    Persons per private household (the building model's persons per dwelling).
``out_of_home_share``
    Share of parcels collected out of home (lockers, pickup points) where such
    points are dense. Published figures are national shares; where the network is
    dense the share is at least that.
``failed_first_attempt_share``
    Share of first home-delivery attempts that fail (1 - first-attempt success).
``compartments_per_cabinet``
    Compartments of an average parcel locker.
``dwell_days``
    Days a parcel waits at a locker or pickup point before collection, on average.
``floor_area_per_dwelling_m2``
    Gross floor area per dwelling in the building model.
``untyped_residential_share``
    Share of an untyped (``building=yes``) building's floor area that is dwellings in
    the building model; fitted where a population grid covers OSM buildings
    (:mod:`lockerplan.demand.fit`).

:data:`FEEDS` names the setting each field feeds; :func:`preset` returns a country's
preset, :meth:`CountryPreset.demand_settings` its demand settings (keyword arguments
of :class:`lockerplan.demand.DemandModel`) and :meth:`CountryPreset.assumptions` the
``value``/``source`` records for a summary. The module is a leaf: it imports no stage.
"""

from __future__ import annotations

from ..errors import InputError
from .countries import PRESETS
from .model import DAYS_PER_YEAR, FEEDS, KINDS, SHARE_FIELDS, CountryPreset, Figure, Kind, Source

__all__ = [
    "DAYS_PER_YEAR",
    "FEEDS",
    "KINDS",
    "PRESETS",
    "SHARE_FIELDS",
    "CountryPreset",
    "Figure",
    "Kind",
    "Source",
    "assumptions_markdown",
    "preset",
]


def preset(code: str) -> CountryPreset:
    """The preset of a country by its ISO 3166-1 alpha-2 code (any case).

    Raises
    ------
    InputError
        When no preset exists for ``code``; the message lists those that do.

    Examples
    --------
    >>> preset("pt").name
    'Portugal'
    """
    key = str(code).strip().upper()
    if key not in PRESETS:
        raise InputError(
            f"--country: no preset for {code!r}; available: {', '.join(sorted(PRESETS))} "
            "(ISO 3166-1 alpha-2 codes)."
        )
    return PRESETS[key]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def assumptions_markdown() -> str:
    """The markdown table of every preset value with its source (docs/assumptions.md).

    Examples
    --------
    >>> assumptions_markdown().splitlines()[0]
    '| country | field | value | unit | kind | source |'
    """
    lines = ["| country | field | value | unit | kind | source |", "|---|---|---|---|---|---|"]
    for code in sorted(PRESETS):
        p = PRESETS[code]
        for name in p.figure_names():
            f: Figure = getattr(p, name)
            lines.append(
                f"| {code} | `{name}` | {f.value:g} | {f.unit} | {f.source.kind} | "
                f"{_cell(f.source.text())} |"
            )
    return "\n".join(lines) + "\n"
