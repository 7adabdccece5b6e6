"""The sample inputs of data/: what data/make_samples.py makes from the default
extract, and read by lockerplan with nothing dropped."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from lockerplan.demand.load import load_demand
from lockerplan.scenario import DemandParams
from tests.support import ROOT

DATA = ROOT / "data"


@pytest.fixture(scope="module")
def samples():
    spec = importlib.util.spec_from_file_location("make_samples", DATA / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["orders", "population"])
def test_the_samples_are_what_the_script_makes(samples, name):
    made = getattr(samples, name)()
    stored = pd.read_csv(DATA / f"helsinki_{name}.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(stored, made, check_dtype=False)


def test_the_orders_sample_is_read_whole():
    orders = pd.read_csv(DATA / "helsinki_orders.csv")
    result = load_demand(
        DemandParams(
            demand=str(DATA / "helsinki_orders.csv"), demand_weight="parcels_30d", demand_days=30
        )
    )
    assert len(result.dropped) == 0 and len(result.points) == len(orders)
    assert result.points["parcels_per_day"].sum() == pytest.approx(orders["parcels_30d"].sum() / 30)


def test_the_population_sample_gives_the_orders_demand_at_finlands_rate():
    """At Finland's 16.7 parcels per person and year the grid's residents order about
    what the orders sample holds: both come from one building model."""
    result = load_demand(
        DemandParams(
            population=str(DATA / "helsinki_population.csv"), parcels_per_person_per_day=0.0458
        )
    )
    orders = pd.read_csv(DATA / "helsinki_orders.csv")["parcels_30d"].sum() / 30
    assert len(result.dropped) == 0
    assert result.points["parcels_per_day"].sum() == pytest.approx(orders, rel=0.01)
