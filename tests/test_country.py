"""The country of a study area, offline, on the real extracts."""

from __future__ import annotations

import pytest

from lockerplan.country import countries_at, osm_country, study_area_country
from lockerplan.errors import InputError


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("helsinki_center_2019.osm.pbf", "FI"),
        ("porto_alegre_2020.osm.pbf", "BR"),  # streets only: no addr:country tag
        ("porto_portugal_roads.osm.pbf", "PT"),
        ("monaco_2023.osm.pbf", "MC"),
    ],
)
def test_extracts(bench_dir, name, code):
    path = bench_dir / "osm" / name
    if not path.is_file():
        pytest.skip(f"{path} not found (set LOCKERPLAN_BENCH_DIR)")
    guess = osm_country(path)
    assert guess.code == code
    assert guess.share > 0.95


def test_border_region_reports_both_countries(bench_dir):
    path = bench_dir / "osm" / "monaco_region_2016.osm.pbf"
    if not path.is_file():
        pytest.skip(f"{path} not found (set LOCKERPLAN_BENCH_DIR)")
    guess = osm_country(path)
    # Monaco and the French communes around it: most nodes lie in France.
    assert guess.code == "FR"
    assert set(guess.shares) == {"FR", "MC"} and 0.5 < guess.share < 0.95


def test_weights_decide():
    lon, lat = [24.94, -51.22, -51.21], [60.17, -30.03, -30.04]
    assert study_area_country(lon, lat).code == "BR"
    assert study_area_country(lon, lat, weights=[10.0, 1.0, 1.0]).code == "FI"


def test_bad_input():
    with pytest.raises(InputError, match="WGS84"):
        countries_at([385_000.0], [6_672_000.0])  # metres, not degrees
    with pytest.raises(InputError, match="empty"):
        study_area_country([], [])
    with pytest.raises(InputError, match="weights"):
        study_area_country([24.9], [60.1], weights=[-1.0])
