"""The settings a plan's figures depend on, each with its value and source.

A study area has a country (:mod:`lockerplan.country`: given with ``--country``, or
found offline from the OSM extract's nodes), and the country a preset of published
figures (:mod:`lockerplan.presets`). The settings that a preset feeds
(:data:`COUNTRY_SETTINGS`) default to None in the scenario ("the country's");
:func:`with_country` fills each one the scenario leaves open from the preset, and
keeps every value the user set. :func:`plan_assumptions` lists, for
``summary.json``'s ``assumptions``, every such setting and the prices and rates of
the business case: ``value``, ``source`` and where it was set (``"country preset
FI"`` or ``"scenario"``).

Examples
--------
>>> from lockerplan.scenario import Scenario
>>> sc, country = with_country(Scenario(), "PT")
>>> sc.demand.persons_per_dwelling, country["code"]
(2.7, 'PT')
>>> with_country(Scenario(failure_rate=0.2), "PT")[0].costs.failure_rate
0.2
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .country import CountryGuess, osm_country, study_area_country
from .errors import InputError
from .presets import PRESETS, CountryPreset, preset
from .scenario import Scenario, scenario_fields

log = logging.getLogger(__name__)

__all__ = [
    "COUNTRY_SETTINGS",
    "PRICE_SETTINGS",
    "plan_assumptions",
    "source_country",
    "with_country",
]

#: The settings a country preset feeds: setting -> (preset fields it comes from, value).
COUNTRY_SETTINGS: dict[str, tuple[tuple[str, ...], Callable[[CountryPreset], float]]] = {
    "parcels_per_dwelling_per_day": (
        ("parcels_per_capita_per_year", "household_size"),
        lambda p: p.demand_settings()["parcels_per_dwelling_per_day"],
    ),
    "persons_per_dwelling": (
        ("household_size",),
        lambda p: p.demand_settings()["persons_per_dwelling"],
    ),
    "floor_area_per_dwelling_m2": (
        ("floor_area_per_dwelling_m2",),
        lambda p: p.demand_settings()["floor_area_per_dwelling_m2"],
    ),
    "mixed_residential_share": (
        ("untyped_residential_share",),
        lambda p: p.demand_settings()["mixed_residential_share"],
    ),
    "failure_rate": (
        ("failed_first_attempt_share",),
        lambda p: p.failed_first_attempt_share.value,
    ),
    "adoption_share": (("out_of_home_share",), lambda p: p.out_of_home_share.value),
    "out_of_home_share": (("out_of_home_share",), lambda p: p.out_of_home_share.value),
    "cabinet_compartments": (
        ("compartments_per_cabinet",),
        lambda p: int(round(p.compartments_per_cabinet.value)),
    ),
    "dwell_days": (("dwell_days",), lambda p: p.dwell_days.value),
}

#: The other settings the business case's figures depend on (their sources are in
#: their help, :mod:`lockerplan.costs` and :mod:`lockerplan.pickup`).
PRICE_SETTINGS = (
    "vehicle_per_day",
    "energy_per_km",
    "driver_per_hour",
    "cabinet_per_day",
    "pickup_point_per_day",
    "co2_kg_per_km",
    "handover_s",
    "stop_service_s",
    "adoption_scale_m",
    "choice_model",
    "walk_utility_per_km",
    "discount_utility",
    "locker_discount",
    "pickup",
    "chained_share",
    "car_co2_kg_per_km",
    "peak_factor",
)


def source_country(
    source: Any, given: str | None, area: Callable[[], Any] | None = None
) -> dict[str, Any]:
    """The study area's country: ``given`` (``--country``), else found from the OSM
    extract's nodes (:func:`lockerplan.country.osm_country`), or for a place fetched
    online from the outline of its network (``area()``, a polygon in degrees).

    A country without a preset gives way to the next country of the study area that
    has one (the Monaco region: MC, then FR); with none, an error names ``--country``.

    Returns
    -------
    dict
        ``code``, ``name`` and ``found`` (how: ``"given"`` or the share of the points).
    """
    if given:
        p = preset(given)
        return {"code": p.code, "name": p.name, "found": "given (--country)"}
    path = getattr(source, "path", None)
    if path is not None and Path(path).is_file():
        guess: CountryGuess = osm_country(path)
        what = "the OSM extract"
    elif area is not None:
        lon, lat = np.asarray(area().exterior.coords).T
        guess, what = study_area_country(lon, lat), "the network's outline"
    else:
        raise InputError(
            f"the country of {getattr(source, 'label', source)!r} cannot be found; "
            f"give --country (one of {', '.join(sorted(PRESETS))})."
        )
    for code, share in guess.shares.items():
        if code in PRESETS:
            note = "" if code == guess.code else f" ({guess.code} has no preset)"
            found = f"found from {what}: {share:.0%} of {guess.points:,} points{note}"
            log.info("country: %s, %s", code, found)
            return {"code": code, "name": PRESETS[code].name, "found": found}
    raise InputError(
        f"the study area lies in {', '.join(guess.shares)}, for which lockerplan has no "
        f"preset; give --country (one of {', '.join(sorted(PRESETS))}) or set the demand, "
        "failure, adoption and capacity settings yourself."
    )


def with_country(scenario: Scenario, code: str) -> tuple[Scenario, dict[str, Any]]:
    """The scenario with every setting it leaves open (None) taken from ``code``'s preset.

    Returns
    -------
    (Scenario, dict)
        The scenario, and the country: ``code``, ``name``, ``settings`` (the names
        filled from the preset).
    """
    p = preset(code)
    filled = {
        name: value(p)
        for name, (_, value) in COUNTRY_SETTINGS.items()
        if getattr(scenario, name) is None
    }
    return scenario.replace(**filled), {"code": p.code, "name": p.name, "settings": list(filled)}


def plan_assumptions(scenario: Scenario, country: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``value`` and ``source`` of every setting the figures depend on.

    ``set_by`` says where the value comes from: ``"country preset CC"`` or
    ``"scenario"`` (a default of lockerplan's, or the user's value).
    """
    fields = scenario_fields()
    p = preset(country["code"])
    out: dict[str, dict[str, Any]] = {}
    for name, (figures, _) in COUNTRY_SETTINGS.items():
        value = getattr(scenario, name)
        if name in country.get("settings", ()):
            sources = [getattr(p, f).source for f in figures]
            out[name] = {
                "value": value,
                "set_by": f"country preset {p.code}",
                "kind": " and ".join(dict.fromkeys(s.kind for s in sources)),
                "source": " ".join(s.text() for s in sources),
            }
        else:
            out[name] = {"value": value, "set_by": "scenario", "source": "set in the scenario"}
    for name in PRICE_SETTINGS:
        section = fields[name][0]
        params = getattr(scenario, section)
        field = type(params).__dataclass_fields__[name]
        out[name] = {
            "value": getattr(params, name),
            "set_by": "scenario",
            "source": field.metadata.get("help", ""),
        }
    return out
