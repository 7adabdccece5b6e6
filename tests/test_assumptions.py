"""The country's figures fill the settings a scenario leaves open, each with its source."""

from __future__ import annotations

import pytest

import lockerplan
from lockerplan.assumptions import COUNTRY_SETTINGS, source_country, with_country
from lockerplan.errors import InputError
from lockerplan.scenario import NetworkParams, Scenario
from lockerplan.source import open_source


def test_the_default_extract_is_found_in_finland_offline():
    country = source_country(open_source(NetworkParams()), None)
    assert country["code"] == "FI" and "OSM extract" in country["found"]


def test_a_user_value_is_kept_and_the_rest_come_from_the_preset():
    sc, country = with_country(Scenario(failure_rate=0.2, cabinet_compartments=60), "PL")
    assert sc.costs.failure_rate == 0.2 and sc.siting.cabinet_compartments == 60
    assert sc.siting.dwell_days == 1.5 and sc.demand.persons_per_dwelling == 2.9
    assert "failure_rate" not in country["settings"]
    assert set(country["settings"]) == set(COUNTRY_SETTINGS) - {
        "failure_rate",
        "cabinet_compartments",
    }


def test_an_unknown_country_names_the_option_and_the_choices():
    with pytest.raises(InputError, match="--country: no preset for 'XX'.*FI"):
        with_country(Scenario(), "XX")


def test_a_plan_reports_its_country_and_every_assumption_with_its_source():
    fi = lockerplan.plan(door_to_door=False, failure_rate=0.1)
    k = fi.kpis
    assert k.country == "FI" and "OSM extract" in k.country_found
    rate = k.assumptions["parcels_per_dwelling_per_day"]
    assert rate["set_by"] == "country preset FI" and "100parcels.com" in rate["source"]
    assert rate["value"] == pytest.approx(16.7 / 365 * 1.9, rel=1e-3)
    assert k.assumptions["failure_rate"] == {
        "value": 0.1,
        "set_by": "scenario",
        "source": "set in the scenario",
    }
    assert all(a["source"] for a in k.assumptions.values())
    pt = lockerplan.plan(door_to_door=False, country="PT")
    assert pt.kpis.country == "PT" and pt.kpis.country_found == "given (--country)"
    persons = pt.kpis.assumptions["persons_per_dwelling"]
    assert persons["value"] == 2.7 and persons["set_by"] == "country preset PT"
    # the same buildings, Portugal's parcels per dwelling and building model
    assert pt.kpis.demand_parcels_per_day != pytest.approx(k.demand_parcels_per_day, rel=0.05)
