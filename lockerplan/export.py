"""Outputs for GIS and stakeholders: GeoPackage, CSV, GeoJSON, summary.json and the map.

Layer names follow the location-allocation vocabulary of GIS tools (ArcGIS
Network Analyst, QGIS plug-ins): ``facilities`` (open sites), ``candidates``
(all candidate facilities), ``demand_points`` (demand clusters), ``allocation_lines``
(demand point -> facility), ``catchments`` (service areas), ``depots`` (hubs) and
``routes``; ``coverage_cells`` holds the coverage share per 250 m grid cell (equity)
and ``buildings`` the raw per-building demand. Every layer is in
EPSG:4326 with its CRS recorded, so QGIS opens it in place; CSV tables carry
``lon``/``lat`` for points and ``wkt`` for other geometries.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .equity import coverage_by_cell
from .settings import OSM_ATTRIBUTION

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Plan

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


def gis_layers(plan: Plan) -> dict[str, gpd.GeoDataFrame]:
    """The plan's layers under their GIS names (see :data:`GIS_LAYERS`)."""
    layers = {
        "facilities": plan.sites.drop(columns=["candidate_index"], errors="ignore"),
        "candidates": plan.candidates,
        "demand_points": plan.demand,
        "allocation_lines": plan.assignments,
        "catchments": plan.catchments,
        "depots": plan.hubs,
        "routes": plan.routes,
        "coverage_cells": coverage_by_cell(plan.demand),
        "buildings": plan.demand_points,
    }
    return {name: layers[name] for name in GIS_LAYERS}


def _clean(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns that every GIS format can hold: plain scalars, no lists or objects."""
    frame = gdf.copy()
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype == object:
            frame[col] = frame[col].map(
                lambda v: v if v is None or isinstance(v, str | int | float | bool) else str(v)
            )
    return frame


def _table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geom = gdf.geometry
    if len(geom) and (geom.geom_type == "Point").all():
        frame["lon"] = geom.x.round(7)
        frame["lat"] = geom.y.round(7)
    else:
        frame["wkt"] = geom.to_wkt()
    return frame


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def summary_dict(plan: Plan) -> dict[str, Any]:
    """What ``summary.json`` holds: the KPIs, the scenario and the attribution."""
    return {**plan.kpis, "scenario": plan.scenario.to_dict(), "attribution": OSM_ATTRIBUTION}


def write_plan(plan: Plan, out_dir: str | Path) -> dict[str, Path]:
    """Write a plan's map, GeoPackage, tables and summary.

    Files: ``OUT/NAME.html`` (the map) and ``OUT/NAME/`` with ``NAME.gpkg`` (all
    :data:`GIS_LAYERS`), ``LAYER.csv`` and ``LAYER.geojson`` per layer,
    ``route_stops.csv``, ``dropped.csv`` and ``summary.json``. Everything is written
    to a temporary folder inside ``OUT`` and moved into place at the end, so a
    failure leaves no half-written files and replaces nothing.

    Parameters
    ----------
    plan : Plan
        The plan to write.
    out_dir : str or pathlib.Path
        Output folder (created if needed).

    Returns
    -------
    dict
        Paths by kind: ``map``, ``folder``, ``gpkg``, ``summary``.
    """
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    name = plan.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out))
    try:
        folder = tmp / name
        folder.mkdir()
        plan.map().save(str(tmp / f"{name}.html"))
        gpkg = folder / f"{name}.gpkg"
        for layer, gdf in gis_layers(plan).items():
            frame = _clean(gdf)
            frame.to_file(gpkg, layer=layer, driver="GPKG")
            frame.to_file(folder / f"{layer}.geojson", driver="GeoJSON")
            _table(frame).to_csv(folder / f"{layer}.csv", index=False)
        plan.route_stops.to_csv(folder / "route_stops.csv", index=False)
        plan.dropped.to_csv(folder / "dropped.csv", index=False)
        (folder / "summary.json").write_text(
            json.dumps(summary_dict(plan), indent=2, default=_json_default), encoding="utf-8"
        )
        final_folder = out / name
        if final_folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=out))
            os.replace(final_folder, old / name)
            shutil.rmtree(old)
        os.replace(folder, final_folder)
        os.replace(tmp / f"{name}.html", out / f"{name}.html")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("plan %s written to %s", name, out)
    return {
        "map": out / f"{name}.html",
        "folder": out / name,
        "gpkg": out / name / f"{name}.gpkg",
        "summary": out / name / "summary.json",
    }
