"""The locker prices of a plan priced by zone on the map and in the GeoPackage."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lockerplan.equity import cell_squares, coverage_by_cell
from lockerplan.errors import InputError
from lockerplan.maps import plan_map
from lockerplan.maps.price_layers import PRICE_LAYERS, price_rows

LAYER = PRICE_LAYERS[0]
#: One worker builds the priced plan for these tests and the browser's.
pytestmark = pytest.mark.xdist_group("priced")


@pytest.fixture(scope="module")
def priced(priced_plan_dir):
    folder = priced_plan_dir / "helsinki"
    return {
        "page": (priced_plan_dir / "helsinki.html").read_text(encoding="utf-8"),
        "csv": pd.read_csv(folder / "pricing.csv"),
        "zones": gpd.read_file(folder / "helsinki.gpkg", layer="pricing_zones"),
        "cells": gpd.read_file(folder / "helsinki.gpkg", layer="coverage_cells"),
    }


def test_cell_squares_are_the_coverage_grid_squares(helsinki_plan):
    cells = coverage_by_cell(helsinki_plan.demand, cell_m=250)
    squares = cell_squares(cells["cell_id"], 250, cells.attrs["grid_crs"])
    for a, b in zip(squares, cells.geometry, strict=True):
        assert shapely.equals_exact(a, b, tolerance=1e-9)


def test_a_bad_cell_id_names_the_row():
    with pytest.raises(InputError, match=r"'N5_E3' \(row 1\)"):
        cell_squares(["E0_N0", "N5_E3"], 250, "EPSG:32635")


def test_the_layers_and_their_legends_exist_only_when_priced(priced, helsinki_plan):
    page = priced["page"]
    plain = plan_map(helsinki_plan).get_root().render()
    assert helsinki_plan.pricing is None
    for layer in PRICE_LAYERS:
        assert layer.name in page and layer.legend[0].label in page
        assert layer.name not in plain and layer.legend[0].label not in plain
    assert "lp-price-zone" not in plain and "lp-cost-zone" not in plain
    # the cost overlay draws the prices' rows by name: the zones are embedded once
    cost = page.index("lp-cost-zone")
    rows = [m for m in re.finditer(r"var (\w+)_rows = ([^;]{0,80})", page) if m.start() < cost]
    assert re.fullmatch(r"\w+_rows", rows[-1].group(2)), rows[-1].group(0)
    assert "pricing_zones" not in helsinki_plan.layers()


def test_the_geopackage_layer_is_the_table_on_the_grid_squares(priced):
    zones, table, cells = priced["zones"], priced["csv"], priced["cells"]
    assert list(zones.columns[:-1]) == list(table.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(zones.drop(columns="geometry")), table)
    assert zones.crs.to_epsg() == 4326
    squares = cells.set_index("cell_id").geometry.loc[zones["zone"]]
    for a, b in zip(zones.geometry, squares, strict=True):
        assert shapely.equals_exact(a, b, tolerance=1e-9)


def test_the_page_rows_carry_pricing_csv_numbers(priced):
    rows = price_rows(priced["zones"])
    table = priced["csv"]
    assert [r["i"] for r in rows] == list(table["zone"])
    for key, column in {
        "d": "discount",
        "h": "door_cost_per_parcel",
        "l": "locker_cost_per_parcel",
        "s": "locker_share",
        "a": "locker_share_at_discount",
        "w": "switched_parcels_per_day",
        "n": "net_saving_per_day",
    }.items():
        np.testing.assert_array_equal([r[key] for r in rows], table[column].to_numpy(float))


def test_plan_help_and_the_outputs_guide_list_the_layer():
    from click.testing import CliRunner

    from lockerplan.cli import main
    from tests.support import TESTS

    for command in ("plan", "pricing"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "pricing_zones" in result.output, command
    guide = (TESTS.parent / "docs" / "guide" / "outputs.md").read_text(encoding="utf-8")
    assert "| `pricing_zones` | with `--price-zones`" in guide


def test_a_large_grid_draws_the_zones_with_the_most_parcels(priced):
    zones = priced["zones"]
    rows = price_rows(zones, limit=5)
    top = zones.nlargest(5, "parcels_per_day")["zone"]
    assert len(rows) == 5 and {r["i"] for r in rows} == set(top)
    assert [r["i"] for r in rows] == [z for z in zones["zone"] if z in set(top)]
