"""Outputs for GIS and stakeholders: GeoPackage, CSV, GeoJSON, summary.json and the map.

Layer names follow the location-allocation vocabulary of GIS tools (ArcGIS
Network Analyst, QGIS plug-ins): ``facilities`` (open sites), ``candidates``
(all candidate facilities), ``demand_points`` (demand clusters), ``allocation_lines``
(demand point -> facility), ``catchments`` (service areas), ``depots`` (hubs) and
``routes``; ``coverage_cells`` holds the coverage share per grid cell (equity)
and ``buildings`` the raw per-building demand; ``competitors`` (a rival network's
sites, :mod:`lockerplan.competitors`) only when a plan has them. Every layer is in
EPSG:4326 with its CRS recorded, so QGIS opens it in place.

The GeoPackage is the primary output and always written; ``LAYER.csv`` (``lon``/
``lat`` for points, ``wkt`` for other geometries) and ``LAYER.geojson`` per layer
only on request (:data:`FORMATS`, the scenario's ``formats``): a metro plan's
buildings alone make a 54 MB GeoJSON.

The writers take layers, tables and a summary, not a plan: the plan
(:meth:`lockerplan.pipeline.result.Plan.save`) hands them what to write.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InputError
from .files import gis_safe, staged

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

log = logging.getLogger(__name__)

#: Output formats of the GIS layers; the GeoPackage is always written.
FORMATS = ("gpkg", "csv", "geojson")

#: Layers written for GIS, in GeoPackage order (and as NAME.csv / NAME.geojson on request).
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
#: Layers written after :data:`GIS_LAYERS` when a plan has them.
OPTIONAL_LAYERS = ("competitors",)


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


def output_formats(formats: str | Iterable[str] = "gpkg") -> tuple[str, ...]:
    """The formats asked for, as a tuple of :data:`FORMATS` names (``gpkg`` first).

    Examples
    --------
    >>> output_formats("csv, geojson")
    ('gpkg', 'csv', 'geojson')
    >>> output_formats("shp")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --formats must be gpkg, csv or geojson, comma-separated (e.g. gpkg,csv), got 'shp'.
    """
    parts = formats.split(",") if isinstance(formats, str) else list(formats)
    names = [str(part).strip().lower() for part in parts if str(part).strip()]
    unknown = [n for n in names if n not in FORMATS]
    if not names:
        raise InputError("--formats must name at least one of gpkg, csv, geojson.")
    if unknown:
        raise InputError(
            "--formats must be gpkg, csv or geojson, comma-separated (e.g. gpkg,csv), "
            f"got {', '.join(unknown)!r}."
        )
    return tuple(f for f in FORMATS if f == "gpkg" or f in names)


def write_layers(
    folder: Path,
    name: str,
    layers: dict[str, gpd.GeoDataFrame],
    formats: str | Iterable[str] = "gpkg",
) -> Path:
    """``NAME.gpkg`` with every layer, plus ``LAYER.csv`` / ``LAYER.geojson`` on request.

    Parameters
    ----------
    folder : pathlib.Path
        Where to write.
    name : str
        The GeoPackage's name.
    layers : dict
        GIS layers by name.
    formats : str or iterable of str, default "gpkg"
        :data:`FORMATS` names (see :func:`output_formats`); the GeoPackage is
        always written.

    Returns
    -------
    pathlib.Path
        The GeoPackage.
    """
    wanted = output_formats(formats)
    gpkg = folder / f"{name}.gpkg"
    for layer, gdf in layers.items():
        frame = gis_safe(gdf)
        frame.to_file(gpkg, layer=layer, driver="GPKG")
        if "geojson" in wanted:
            frame.to_file(folder / f"{layer}.geojson", driver="GeoJSON")
        if "csv" in wanted:
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
    formats: str | Iterable[str] = "gpkg",
) -> dict[str, Path]:
    """Write a plan's map, GeoPackage, tables and summary.

    Files: ``OUT/NAME.html`` (the map) and ``OUT/NAME/`` with ``NAME.gpkg`` (every
    layer), ``TABLE.csv`` per table (``route_stops``, ``dropped``),
    ``summary.json``, and ``LAYER.csv`` / ``LAYER.geojson`` per layer when
    ``formats`` asks for them. Everything is written to
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
    formats : str or iterable of str, default "gpkg"
        Layer formats (:func:`output_formats`); the GeoPackage is always written.

    Returns
    -------
    dict
        Paths by kind: ``map``, ``folder``, ``gpkg``, ``summary``.
    """
    with staged(out_dir, name) as stage:
        folder = stage.path / name
        folder.mkdir()
        page.save(str(stage.path / f"{name}.html"))
        write_layers(folder, name, layers, formats)
        for table, frame in tables.items():
            frame.to_csv(folder / f"{table}.csv", index=False)
        (folder / "summary.json").write_text(
            json.dumps(summary, indent=2, default=json_default), encoding="utf-8"
        )
        paths = stage.publish_pair(name, f"{name}.html")  # one atomic switch
    log.info("plan %s written to %s", name, paths[name].parent)
    return {
        "map": paths[f"{name}.html"],
        "folder": paths[name],
        "gpkg": paths[name] / f"{name}.gpkg",
        "summary": paths[name] / "summary.json",
    }
