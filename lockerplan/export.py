"""Outputs for GIS and stakeholders: GeoPackage, CSV, GeoJSON, summary.json and the map.

Layer names follow the location-allocation vocabulary of GIS tools (ArcGIS
Network Analyst, QGIS plug-ins): ``facilities`` (open sites), ``candidates``
(all candidate facilities), ``demand_points`` (demand clusters), ``allocation_lines``
(demand point -> facility), ``catchments`` (service areas), ``depots`` (hubs) and
``routes``; ``coverage_cells`` holds the coverage share per grid cell (equity)
and ``buildings`` the raw per-building demand. Every layer is in
EPSG:4326 with its CRS recorded, so QGIS opens it in place; CSV tables carry
``lon``/``lat`` for points and ``wkt`` for other geometries.

The writers take layers, tables and a summary, not a plan: the plan
(:meth:`lockerplan.pipeline.result.Plan.save`) hands them what to write.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .files import gis_safe, staged

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

log = logging.getLogger(__name__)

#: Layers written for GIS, in GeoPackage order; each also becomes NAME.csv and NAME.geojson.
GIS_LAYERS = (
    "facilities",
    "candidates",
    "demand_points",
    "allocation_lines",
    "catchments",
    "depots",
    "routes",
    "coverage_cells",
    "buildings",
)


def point_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A layer as a plain table: ``lon``/``lat`` for points, ``wkt`` otherwise."""
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geom = gdf.geometry
    if len(geom) and (geom.geom_type == "Point").all():
        frame["lon"] = geom.x.round(7)
        frame["lat"] = geom.y.round(7)
    else:
        frame["wkt"] = geom.to_wkt()
    return frame


def json_default(value: Any) -> Any:
    """JSON for numpy scalars and paths (``json.dumps(..., default=json_default)``)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_layers(folder: Path, name: str, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """``NAME.gpkg`` with every layer, plus ``LAYER.csv`` and ``LAYER.geojson`` each."""
    gpkg = folder / f"{name}.gpkg"
    for layer, gdf in layers.items():
        frame = gis_safe(gdf)
        frame.to_file(gpkg, layer=layer, driver="GPKG")
        frame.to_file(folder / f"{layer}.geojson", driver="GeoJSON")
        point_table(frame).to_csv(folder / f"{layer}.csv", index=False)
    return gpkg


def write_plan(
    name: str,
    out_dir: str | Path,
    *,
    layers: dict[str, gpd.GeoDataFrame],
    tables: dict[str, pd.DataFrame],
    summary: dict[str, Any],
    page: folium.Map,
) -> dict[str, Path]:
    """Write a plan's map, GeoPackage, tables and summary.

    Files: ``OUT/NAME.html`` (the map) and ``OUT/NAME/`` with ``NAME.gpkg`` (every
    layer), ``LAYER.csv`` and ``LAYER.geojson`` per layer, ``TABLE.csv`` per table
    (``route_stops``, ``dropped``) and ``summary.json``. Everything is written to
    a temporary folder inside ``OUT`` and moved into place at the end
    (:func:`lockerplan.files.staged`), so a failure leaves no half-written files
    and replaces nothing.

    Parameters
    ----------
    name : str
        Plan name: the map's and the folder's name.
    out_dir : str or pathlib.Path
        Output folder (created if needed).
    layers : dict
        GIS layers by name (see :data:`GIS_LAYERS`).
    tables : dict
        Plain tables by name.
    summary : dict
        JSON-ready contents of ``summary.json``.
    page : folium.Map
        The map.

    Returns
    -------
    dict
        Paths by kind: ``map``, ``folder``, ``gpkg``, ``summary``.
    """
    with staged(out_dir, name) as stage:
        folder = stage.path / name
        folder.mkdir()
        page.save(str(stage.path / f"{name}.html"))
        write_layers(folder, name, layers)
        for table, frame in tables.items():
            frame.to_csv(folder / f"{table}.csv", index=False)
        (folder / "summary.json").write_text(
            json.dumps(summary, indent=2, default=json_default), encoding="utf-8"
        )
        paths = stage.publish(name, f"{name}.html")
    log.info("plan %s written to %s", name, paths[name].parent)
    return {
        "map": paths[f"{name}.html"],
        "folder": paths[name],
        "gpkg": paths[name] / f"{name}.gpkg",
        "summary": paths[name] / "summary.json",
    }
