"""One table of figures: every renderer writes a figure as the table declares it."""

from __future__ import annotations

import re
import string

import pytest

from lockerplan.figures import FIGURES, LINES, SIDE_FIGURES, Figure
from lockerplan.maps import kpi_panel_html
from lockerplan.maps.compare import comparison_panel_html
from lockerplan.pipeline.sweep import table_figures
from lockerplan.records import Kpis, lookup

#: A plan's figures as a full record: every line of the summary has something to say.
FULL = Kpis(
    name="helsinki",
    osm="Helsinki.osm.pbf",
    sites_open=6,
    sites_limit=6,
    sites_over_capacity=1,
    over_capacity_parcels_per_day=12.5,
    demand_parcels_per_day=1696.6,
    covered_parcels_per_day=1422.1,
    coverage_share=0.8382,
    mean_walk_m=275.0,
    walk_m=400.0,
    route_km=7.8,
    route_hours=2.9,
    vans_used=2,
    vans_needed=3,
    model="cmclp",
    capacitated=True,
    solver="highs",
    solver_status="optimal",
    solver_s=0.15,
    demand_points=387,
    demand_source="osm_building",
    demand_clusters=214,
    candidates=227,
    candidates_source="OSM places",
    hubs=1,
    dropped=2,
    dropped_parcels_per_day=27.1,
    not_coverable_clusters=1,
    not_coverable_parcels_per_day=5.7,
    competitor_sites=2,
    competitor_operators=["Rival"],
    unserved_sites=1,
    equity={"cells": 10, "underserved_cells": 3, "cell_m": 250, "underserved_parcels_per_day": 9.0},
    runtime_s=8.0,
    cost_per_day=1967.0,
    cost_per_parcel=1.18,
    co2_kg_per_day=9.8,
    door_to_door={"failure_rate": 0.1, "cost": 2466.0, "cost_per_parcel": 1.48},
    business_case={
        "with_lockers": {
            "parcels_per_day": 1669.6,
            "cost_per_day": 1967.0,
            "cost_per_parcel": 1.18,
        },
        "door_to_door": {
            "parcels_per_day": 1669.6,
            "cost_per_day": 2466.0,
            "cost_per_parcel": 1.48,
        },
    },
    parcels={
        "read": 1696.6,
        "at_lockers": 758.8,
        "home": 910.8,
        "not_delivered": 27.0,
        "not_delivered_by_reason": {"outside study area": 27.0},
    },
    choice={
        "out_of_home_share": 0.5,
        "target_share": 0.5,
        "captured_parcels_per_day": 700.0,
        "rival_parcels_per_day": 58.8,
        "home_parcels_per_day": 910.8,
    },
    pricing={
        "zones": 36,
        "zones_discounted": 27,
        "switched_parcels_per_day": 12.9,
        "discount_paid_per_day": 43.0,
        "net_saving_per_day": 6.0,
    },
    on_the_way={
        "mode": "transit",
        "at_home_parcels_per_day": 1100.0,
        "at_work_parcels_per_day": 250.5,
        "on_the_way_parcels_per_day": 71.6,
        "covered_parcels_per_day": 1422.1,
        "gain_parcels_per_day": 322.1,
        "gain_share": 0.19,
        "commutes": 1234,
        "mean_commute_min": 27.7,
    },
    scenarios=[
        {
            "name": "peak",
            "factor": 2.5,
            "demand_parcels_per_day": 4241.5,
            "coverage_share": 0.5,
            "served_parcels_per_day": 2120.8,
            "overflow_parcels_per_day": 10.0,
        }
    ],
)


def test_every_figure_is_declared_once_with_words_for_people():
    assert list(Kpis.__dataclass_fields__) == list(FIGURES)  # the record is the table
    assert set(FULL.to_dict()) <= set(FIGURES)  # and so is summary.json
    for fig in (*FIGURES.values(), *SIDE_FIGURES.values()):
        assert fig.label and "_" not in fig.label, fig.key
        assert fig.help and not fig.help.endswith("."), fig.key
        assert set(fig.views) <= {"summary", "compare", "sweep", "panel"}, fig.key


def test_every_line_reads_declared_figures():
    """A sentence's placeholders are figures (or the record's own text) that exist."""
    for line in LINES:
        texts = line.text + line.panel  # the panel's shorter sentence too
        fields = [f for _, f, _, _ in string.Formatter().parse(texts) if f]
        root = FULL.scenarios[0] if line.each else FULL
        for field in fields:
            name = field.split(".")[-1]
            if line.each:
                assert name in root, (line.label, field)
            elif name not in FULL._figures and not hasattr(type(FULL), name):
                assert lookup(FULL, field).figure is not None or field.startswith("equity."), field


def test_the_summary_the_panel_and_the_comparison_write_a_figure_alike():
    summary = FULL.summary()
    panel = kpi_panel_html(FULL)
    compare = comparison_panel_html((FULL, FULL), ("A", "B"), {"both": []}, ())
    shown = FIGURES["coverage_share"].text(FULL.coverage_share)
    assert shown == "83.8 %"
    assert shown in summary and shown in panel and shown in compare
    assert "1,422.1 of 1,696.6 parcels/day = 83.8 % within 400 m walk and capacity" in summary
    assert "with lockers   1,967 EUR/day, 1.18 per parcel" in summary
    assert "demand peak    x2.5: 50.0 % of 4,241.5 parcels/day" in summary
    assert "runtime        8.0 s" in summary  # a figure with the summary view: its own row
    assert (
        "on the way     1,100.0 at home, 250.5 at work, 71.6 on the way: 19.0 % more than "
        "home-only coverage (1,234 commutes by transit, mean 27.7 min)"
    ) in summary
    assert "+19.0 % at work and on the way" in panel
    read = "1,696.6 parcels/day read = 758.8 at lockers + 910.8 home + 27.0 not delivered"
    assert read in summary
    assert "758.8 at lockers + 910.8 home + 27.0 not delivered" in panel
    assert "3 of 10 cells (250 m), 9 parcels/day" in panel  # a line of the panel only
    assert "runtime" not in panel.lower()


def test_a_figures_views_say_where_it_is_shown():
    compare = comparison_panel_html((FULL, FULL), ("A", "B"), {"both": []}, ())
    ids = set(re.findall(r"id='lp-cmp-(\w+)-a'", compare))
    assert ids == {k for k, f in FIGURES.items() if "compare" in f.views}
    sweep = table_figures()
    assert set(sweep) - {"sites"} == set(FULL.flat("sweep"))
    assert {k for k, f in FIGURES.items() if "sweep" in f.views} <= set(sweep)
    assert sweep["cost_per_parcel_door_to_door"].heading() == "Cost per parcel, door-to-door (EUR)"
    assert FULL.flat("sweep")["cost_per_parcel_door_to_door"] == 1.48


@pytest.mark.parametrize(
    ("fig", "value", "text"),
    [
        (FIGURES["mean_walk_m"], 275.4, "275 m"),
        (FIGURES["solver_gap"], 0.0123, "1.23 %"),
        (FIGURES["cost_per_parcel"], None, "\u2013"),
        (Figure("x", "X", "{currency}/day", "{:,.0f}"), 1967.4, "1,967 EUR/day"),
    ],
)
def test_a_figure_writes_its_number_and_unit(fig, value, text):
    assert fig.text(value) == text
