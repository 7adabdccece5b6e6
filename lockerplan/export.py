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
only on request (:data:`~lockerplan.scenario.FORMATS`, the scenario's ``formats``): a metro plan's
buildings alone make a 54 MB GeoJSON.

:func:`write_demand` writes the demand layers and their heat map (``lockerplan
demand``), :func:`write_comparison` the page of two plans (``lockerplan compare``).
The writers take layers, tables and a summary, not a plan: the plan
(:meth:`lockerplan.pipeline.result.Plan.save`) hands them what to write.
:func:`read_plan` reads a written plan back (the layers a comparison draws and
the figures of ``summary.json``), by the same names the writers use.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError
from .files import atomic_path, gis_safe, staged
from .maps.compare import check_labels, comparison_map
from .maps.demand import demand_heatmap
from .records import Kpis
from .scenario import output_formats

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from .demand import DemandResult

log = logging.getLogger(__name__)

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
OPTIONAL_LAYERS = ("competitors", "commute_flows")
#: The layers :func:`read_plan` reads back (besides ``coverage_cells``).
COMPARED_LAYERS = ("facilities", "demand_points", "catchments", "candidates")
#: The figures and the scenario of a plan, in its folder.
SUMMARY_FILE = "summary.json"


def gpkg_name(name: str) -> str:
    """The GeoPackage of a plan named ``name``.

    Examples
    --------
    >>> gpkg_name("helsinki")
    'helsinki.gpkg'
    """
    return f"{name}.gpkg"


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
    gpkg = folder / gpkg_name(name)
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
        (folder / SUMMARY_FILE).write_text(
            json.dumps(summary, indent=2, default=json_default), encoding="utf-8"
        )
        paths = stage.publish_pair(name, f"{name}.html")  # one atomic switch
    log.info("plan %s written to %s", name, paths[name].parent)
    return {
        "map": paths[f"{name}.html"],
        "folder": paths[name],
        "gpkg": paths[name] / gpkg_name(name),
        "summary": paths[name] / SUMMARY_FILE,
    }


@dataclass
class PlanLayers:
    """What a comparison reads of a plan: the layers of its GeoPackage and its figures.

    :class:`lockerplan.Plan` has the same attributes, so either can be compared.

    Attributes
    ----------
    name : str
        The plan's name.
    sites, demand, catchments, candidates : geopandas.GeoDataFrame
        Open sites (``facilities``), demand clusters (``demand_points``), walking
        catchments and candidate sites, in EPSG:4326.
    cells : geopandas.GeoDataFrame or None
        Coverage per grid cell (``coverage_cells``).
    kpis : Kpis
        From ``summary.json``.
    """

    name: str
    sites: gpd.GeoDataFrame = field(repr=False)
    demand: gpd.GeoDataFrame = field(repr=False)
    catchments: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    cells: gpd.GeoDataFrame | None = field(default=None, repr=False)
    kpis: Kpis = field(default_factory=Kpis, repr=False)


def read_plan(folder: str | Path, what: str = "plan") -> PlanLayers:
    """Read a plan folder written by :func:`write_plan` (``OUT/NAME``).

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding ``NAME.gpkg`` and ``summary.json``.
    what : str, default "plan"
        How the folder is named in an error (e.g. the command's argument).

    Returns
    -------
    PlanLayers

    Raises
    ------
    InputError
        When the folder is missing or is not a plan folder.
    """
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{what}: no folder {str(path)!r}; give a plan folder (OUT/NAME).")
    summary_path = path / SUMMARY_FILE
    own = path / gpkg_name(path.name)
    gpkgs = [own] if own.is_file() else []
    gpkgs = gpkgs or sorted(path.glob("*.gpkg"))
    if not summary_path.is_file() or len(gpkgs) != 1:
        raise InputError(
            f"{what}: {str(path)!r} is not a plan folder (it needs summary.json and one "
            "NAME.gpkg); give a folder written by `lockerplan plan` (OUT/NAME)."
        )
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        layers = {name: gpd.read_file(gpkgs[0], layer=name) for name in COMPARED_LAYERS}
        cells = gpd.read_file(gpkgs[0], layer="coverage_cells")
    except (ValueError, OSError) as exc:  # pyogrio's DataSourceError is an OSError
        raise InputError(f"{what}: cannot read the plan in {str(path)!r}: {exc}") from None
    cell_m = (summary.get("scenario") or {}).get("cell_m")
    if cell_m:
        cells.attrs["cell_m"] = float(cell_m)
    kpis = Kpis.from_dict(summary)
    return PlanLayers(
        name=str(kpis.name or path.name),
        sites=layers["facilities"],
        demand=layers["demand_points"],
        catchments=layers["catchments"],
        candidates=layers["candidates"],
        cells=cells,
        kpis=kpis,
    )


def write_demand(
    out_dir: str | Path,
    name: str,
    result: DemandResult,
    clusters: gpd.GeoDataFrame | None = None,
) -> dict[str, Path]:
    """Write ``NAME_demand.gpkg`` (layers points, clusters), ``NAME_demand_dropped.csv``
    and the heat map ``NAME_demand.html``, atomically (temporary files, then rename).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Output folder (created).
    name : str
        Base name of the files.
    result : lockerplan.demand.DemandResult
        Points and drops.
    clusters : geopandas.GeoDataFrame, optional
        Output of :func:`lockerplan.demand.cluster_demand`.

    Returns
    -------
    dict
        Paths by kind: ``gpkg``, ``map``, ``dropped``.

    Examples
    --------
    >>> write_demand("maps", "helsinki", result, clusters)  # doctest: +SKIP
    """
    files = {
        "gpkg": f"{name}_demand.gpkg",
        "map": f"{name}_demand.html",
        "dropped": f"{name}_demand_dropped.csv",
    }
    layers = {"demand_points": result.points}
    if clusters is not None:
        layers["demand_clusters"] = clusters
    with staged(out_dir, f"{name}-demand") as stage:
        for layer, gdf in layers.items():
            gis_safe(gdf).to_file(stage.path / files["gpkg"], layer=layer, driver="GPKG")
        result.dropped.to_csv(stage.path / files["dropped"], index=False)
        demand_heatmap(result.points, clusters).save(str(stage.path / files["map"]))
        published = stage.publish(*files.values())
    paths = {kind: published[fname] for kind, fname in files.items()}
    out = stage.out
    log.info("demand written to %s", out)
    return paths


def comparison_labels(labels: str | None, folders: tuple[Path, Path]) -> tuple[str, str]:
    """``"400 m,500 m"`` as two labels; by default the folders' names (A and B when alike).

    Examples
    --------
    >>> from pathlib import Path
    >>> comparison_labels("400 m, 500 m", (Path("a"), Path("b")))
    ('400 m', '500 m')
    >>> comparison_labels(None, (Path("x/plan"), Path("y/plan")))
    ('A', 'B')
    """
    if labels is None:
        names = folders[0].name, folders[1].name
        return names if all(names) and names[0] != names[1] else ("A", "B")
    parts = [p.strip() for p in labels.split(",")]
    if len(parts) != 2:
        raise InputError(
            f"--labels must be two names separated by a comma (e.g. '400 m,500 m'), got {labels!r}."
        )
    return check_labels(parts)


def write_comparison(
    folder_a: str | Path,
    folder_b: str | Path,
    out: str | Path | None = None,
    labels: str | None = None,
) -> Path:
    """Compare two saved plan folders and write the page of
    :func:`lockerplan.maps.comparison_map` (``lockerplan compare``).

    Parameters
    ----------
    folder_a, folder_b : str or pathlib.Path
        Plan folders written by :func:`write_plan` (``OUT/NAME``, see :func:`read_plan`).
    out : str or pathlib.Path, optional
        The HTML file; by default ``<parent of A>/<nameA>_vs_<nameB>.html``.
    labels : str, optional
        The plans' names on the page, comma-separated (``"400 m,500 m"``); the
        folders' names by default.

    Returns
    -------
    pathlib.Path
        The page, written atomically (:func:`lockerplan.files.atomic_path`): nothing
        is written when anything fails.
    """
    folders = Path(os.path.abspath(folder_a)), Path(os.path.abspath(folder_b))
    names = comparison_labels(labels, folders)
    plans = read_plan(folders[0], "A"), read_plan(folders[1], "B")
    dest = (
        Path(out)
        if out is not None
        else (folders[0].parent / f"{folders[0].name}_vs_{folders[1].name}.html")
    )
    if dest.is_dir():
        raise InputError(f"--out: {str(dest)!r} is a folder; give a file name (FILE.html).")
    fmap = comparison_map(*plans, labels=names)
    with atomic_path(dest) as tmp:
        fmap.save(str(tmp))
    log.info("comparison of %s and %s written to %s", *folders, dest)
    return dest
