"""The commutes section: where people work, the timetables, given many ways."""

from __future__ import annotations

import pytest

from lockerplan.cli import _scenario
from lockerplan.errors import InputError
from lockerplan.scenario import CommuteParams, Scenario


@pytest.fixture
def feeds(tmp_path):
    paths = [tmp_path / "bus.zip", tmp_path / "rail.zip"]
    for p in paths:
        p.write_bytes(b"")
    return paths


def test_timetables_given_many_ways_are_one_tuple(feeds, tmp_path):
    a, b = map(str, feeds)
    assert Scenario(gtfs=f"{a},{b}").gtfs == (a, b)
    # the command line: --gtfs repeated
    assert _scenario(None, {"gtfs": (a, b), "sites": None}).commutes.gtfs == (a, b)
    # a scenario file: paths read from the file's folder
    config = tmp_path / "poa.toml"
    config.write_text('[commutes]\ngtfs = ["bus.zip", "rail.zip"]\non_the_way = false\n')
    assert Scenario.from_toml(config).gtfs == (a, b)


def test_bad_commute_settings_name_the_option(tmp_path):
    with pytest.raises(InputError, match="--gtfs: file"):
        Scenario(gtfs=str(tmp_path / "none.zip"))
    with pytest.raises(InputError, match="--service-date must be a day"):
        CommuteParams(service_date="15/05/2019")
    with pytest.raises(InputError, match="--commute-trips must be a whole number >= 1"):
        CommuteParams(commute_trips=0)
    assert CommuteParams(depart="7:05").depart_s == 7 * 3600 + 5 * 60
