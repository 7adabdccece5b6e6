"""Country presets: every value has a source and a kind; the docs page lists them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockerplan.demand import DemandModel
from lockerplan.errors import InputError
from lockerplan.presets import (
    FEEDS,
    KINDS,
    PRESETS,
    CountryPreset,
    Figure,
    Source,
    assumptions_markdown,
    preset,
)

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"FI", "PL", "DE", "FR", "GB", "PT", "BR", "US"}


def test_required_countries_and_every_value_sourced():
    assert set(PRESETS) >= REQUIRED
    for code, p in PRESETS.items():
        assert p.code == code and p.name
        for name in p.figure_names():
            figure = getattr(p, name)
            assert isinstance(figure, Figure) and figure.value > 0 and figure.unit
            src = figure.source
            assert src.kind in KINDS and src.publisher and src.measures and src.year >= 1990
            if src.kind == "assumed":
                assert len(src.note) > 40, f"{code} {name}: an assumption needs its reasoning"
            else:
                assert src.url.startswith(("https://", "http://")), f"{code} {name}: no address"


def test_every_field_says_what_it_feeds():
    assert set(FEEDS) == set(CountryPreset.figure_names())


def test_values_in_range_and_published_figures_kept():
    for p in PRESETS.values():
        for share in ("out_of_home_share", "failed_first_attempt_share"):
            assert 0 < getattr(p, share).value < 1
        assert 1 < p.household_size.value < 4
    # Figures as published (lockerplan/presets/countries.py cites each).
    assert preset("BR").parcels_per_capita_per_year.value == 6.0
    assert preset("US").parcels_per_capita_per_year.value == 64.0
    assert preset("GB").failed_first_attempt_share.value == pytest.approx(1 - 0.951)
    assert preset("DE").failed_first_attempt_share.value == pytest.approx(1 - 0.928)
    assert preset("PL").compartments_per_cabinet.value == round(3.263e6 / 21_969)


def test_demand_model_from_preset():
    br = preset("BR")
    model = DemandModel(**br.demand_settings())
    # Porto Alegre's 813k residents at Brazil's 6 parcels per person and year.
    assert 812_935 * model.person_rate == pytest.approx(812_935 * 6 / 365)
    assert model.persons_per_dwelling == 2.79
    assert model.parcels_per_dwelling_per_day == pytest.approx(6 / 365 * 2.79)
    assert DemandModel(**br.demand_settings(), peak_factor=2.0).person_rate == pytest.approx(
        2 * 6 / 365
    )
    fi = DemandModel(**preset("FI").demand_settings())
    assert fi.mixed_residential_share == preset("FI").untyped_residential_share.value


def test_assumptions_records():
    records = preset("FI").assumptions()
    assert set(records) == set(CountryPreset.figure_names())
    for record in records.values():
        assert {"value", "unit", "kind", "source"} <= set(record)
        assert record["source"].strip()


def test_unknown_country_names_option_and_choices():
    assert preset(" fi ") is PRESETS["FI"]
    with pytest.raises(InputError, match=r"--country: no preset for 'XX'.*FI.*US"):
        preset("XX")


def test_sources_validate_themselves():
    with pytest.raises(InputError, match="reasoning"):
        Source("lockerplan", 2024, "a guess", "assumed")
    with pytest.raises(InputError, match="address"):
        Source("Posti", 2019, "parcels per household", "claimed", url="posti.fi")
    with pytest.raises(InputError, match="kind"):
        Source("Posti", 2019, "parcels per household", "guessed", url="https://posti.fi")
    src = Source("Eurostat", 2022, "household size", "measured", "https://ec.europa.eu")
    with pytest.raises(InputError, match="> 0"):
        Figure(0.0, "persons", src)
    fi = PRESETS["FI"]
    with pytest.raises(InputError, match="share"):
        CountryPreset(**{**fi.__dict__, "out_of_home_share": Figure(1.5, "share", src)})


def test_docs_page_lists_every_value():
    page = (ROOT / "docs" / "assumptions.md").read_text(encoding="utf-8")
    assert assumptions_markdown() in page, "regenerate the table in docs/assumptions.md"
