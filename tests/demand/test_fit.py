"""The building model per country against the HSY population grid on central Helsinki."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lockerplan.demand import DemandModel, building_demand, demand_from_population_grid
from lockerplan.demand.fit import (
    COMPARISON_COLUMNS,
    fit_untyped_residential_share,
    fit_untyped_share,
    grid_comparison,
)
from lockerplan.errors import InputError
from lockerplan.osm import default_osm_path, read_buildings
from lockerplan.presets import preset

HEL_GRID = "osm/helsinki_population_grid_2020.gpkg"


@pytest.fixture(scope="module")
def helsinki(bench_dir):
    path = bench_dir / HEL_GRID
    if not path.is_file():
        pytest.skip(f"{path} not found (set LOCKERPLAN_BENCH_DIR)")
    buildings = read_buildings(default_osm_path())
    grid = gpd.read_file(path)
    common = grid.union_all().intersection(shapely.box(*buildings.total_bounds))
    return buildings, grid, common


def test_finland_preset_matches_population_grid(helsinki):
    """With FI, building demand on central Helsinki is within 35 % of the grid's.

    Both sides use the preset's rate (16.7 parcels per person and year, 1.9 persons per
    dwelling); no calibration factor. The uncalibrated figures lockerplan used before
    its country presets (0.15 parcels per dwelling, 1.8 persons, 80 m², half of untyped
    floor area) gave 3.6 x.
    """
    buildings, grid, common = helsinki
    model = DemandModel(**preset("FI").demand_settings())
    assert model.calibration == 1.0
    ours = building_demand(buildings, model, area=common).parcels
    theirs = demand_from_population_grid(grid, model=model, area=common).parcels
    assert theirs == pytest.approx(4_333 * 16.7 / 365, rel=0.01)
    assert ours == pytest.approx(theirs, rel=0.35)
    default = DemandModel(
        parcels_per_dwelling_per_day=0.15,
        persons_per_dwelling=1.8,
        floor_area_per_dwelling_m2=80.0,
        mixed_residential_share=0.5,
    )
    before = building_demand(buildings, default, area=common).parcels
    after = demand_from_population_grid(grid, model=default, area=common).parcels
    assert before / after > 3.0


def test_fit_reproduces_the_finnish_share_and_holds_out(helsinki):
    """The FI share is fitted on half the cells (checkerboard) and checked on the rest."""
    buildings, grid, common = helsinki
    fi = preset("FI")
    fit = fit_untyped_residential_share(
        buildings, grid, area=common, model=DemandModel(**fi.demand_settings())
    )
    assert fit.share == pytest.approx(fi.untyped_residential_share.value, abs=5e-4)
    assert fit.fit_ratio == pytest.approx(1.0)
    assert fit.check_ratio == pytest.approx(1.0, abs=0.35)
    assert fit.whole_ratio == pytest.approx(1.0, abs=0.35)
    other = fit_untyped_residential_share(
        buildings, grid, area=common, model=DemandModel(**fi.demand_settings()), fit_on="odd"
    )
    assert other.check_ratio == pytest.approx(1.0, abs=0.35)
    cells = fit.cells
    assert len(cells) == 22 and set(cells["half"]) == {"fit", "check"}
    assert cells["grid_residents"].sum() == pytest.approx(4_333, rel=0.01)


def test_grid_comparison_per_cell(helsinki):
    buildings, grid, common = helsinki
    model = DemandModel(**preset("FI").demand_settings())
    cells = grid_comparison(buildings, grid, area=common, model=model)
    assert list(cells.columns) == COMPARISON_COLUMNS
    # Every building with dwellings on the common area lies in one cell.
    points = building_demand(buildings, model, area=common).points
    assert cells["building_residents"].sum() == pytest.approx(
        points["dwellings"].sum() * model.persons_per_dwelling, rel=1e-3
    )
    with pytest.raises(InputError, match="column 'residents'"):
        grid_comparison(buildings, grid, area=common, population_column="residents")


def test_fit_untyped_share_closed_form():
    model = DemandModel(floor_area_per_dwelling_m2=80.0, persons_per_dwelling=2.0)
    cells = pd.DataFrame(
        {
            "grid_residents": [100.0, 100.0],
            "typed_floor_m2": [0.0, 4000.0],
            "untyped_floor_m2": [8000.0, 0.0],
        }
    )
    # 200 residents = 100 dwellings = 8000 m²: 4000 typed + half of 8000 untyped.
    assert fit_untyped_share(cells, model) == pytest.approx(0.5)
    crowded = cells.assign(grid_residents=[10.0, 10.0])
    assert fit_untyped_share(crowded, model) == 0.0
    with pytest.raises(InputError, match="no untyped"):
        fit_untyped_share(cells.assign(untyped_floor_m2=0.0), model)
