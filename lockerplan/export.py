"""Outputs for GIS and stakeholders: GeoPackage, CSV, GeoJSON, summary.json and the map.

Layer names follow the location-allocation vocabulary of GIS tools (ArcGIS
Network Analyst, QGIS plug-ins): ``facilities`` (open sites), ``candidates``
(all candidate facilities), ``demand_points`` (demand clusters), ``allocation_lines``
(demand point -> facility), ``catchments`` (service areas), ``depots`` (hubs) and
``routes``; ``coverage_cells`` holds the coverage share per grid cell (equity)
and ``buildings`` the raw per-building demand; ``competitors`` (a rival network's
sites, :mod:`lockerplan.competitors`), ``commute_flows`` (``--on-the-way``) and
``pricing_zones`` (the locker prices per grid cell, ``--price-zones``) only when a
plan has them; ``streets`` holds
the simplified walk network the map draws where tiles cannot load (so a comparison
of saved plans draws it too). Every layer is in
EPSG:4326 with its CRS recorded, so QGIS opens it in place.

The GeoPackage is the primary output and always written; ``LAYER.csv`` (``lon``/
``lat`` for points, ``wkt`` for other geometries) and ``LAYER.geojson`` per layer
only on request (:data:`~lockerplan.scenario.FORMATS`, the scenario's ``formats``): a metro plan's
buildings alone make a 54 MB GeoJSON.

:func:`write_demand` writes the demand layers and their heat map (``lockerplan
demand``); :mod:`lockerplan.comparison` the page of two plans (``lockerplan compare``).
The writers take layers, tables and a summary, not a plan: the plan
(:meth:`lockerplan.pipeline.result.Plan.save`) hands them what to write.
:func:`read_plan` reads a written plan back (the layers a comparison draws and
the figures of ``summary.json``), by the same names the writers use.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import stat
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError
from .figures import FIGURES, missing
from .files import finish_pair, gis_safe, staged
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
OPTIONAL_LAYERS = ("competitors", "commute_flows", "pricing_zones", "streets")
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
    ``formats`` asks for them; all regular files (the map can be e-mailed as it
    is). Everything is written to a temporary folder inside ``OUT`` and moved
    into place at the end (:func:`lockerplan.files.staged`), so a failure leaves
    no half-written files and replaces nothing; folder and map are switched as a
    pair (:meth:`lockerplan.files.Stage.publish_pair`).

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
        paths = stage.publish_pair(name, f"{name}.html")
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
    streets : geopandas.GeoSeries or None
        The simplified streets of the ``streets`` layer (the map's streets base
        layer); None for a plan saved without them.
    """

    name: str
    sites: gpd.GeoDataFrame = field(repr=False)
    demand: gpd.GeoDataFrame = field(repr=False)
    catchments: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    cells: gpd.GeoDataFrame | None = field(default=None, repr=False)
    kpis: Kpis = field(default_factory=Kpis, repr=False)
    streets: gpd.GeoSeries | None = field(default=None, repr=False)


def read_plan(folder: str | Path, what: str = "plan") -> PlanLayers:
    """Read a plan folder written by :func:`write_plan` (``OUT/NAME``).

    Every file is read defensively: a file that is not a regular file (a FIFO, a
    device) is refused unopened, and a ``summary.json`` or GeoPackage that is not
    what ``lockerplan plan`` writes is an :class:`InputError` naming the file and
    what is wrong with it (:func:`check_summary`, :data:`COMPARED_LAYERS`).

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
        When the folder is missing, is not a plan folder, or one of its files is
        unreadable, of the wrong shape or contradicts the others.
    """
    path = Path(folder)
    with contextlib.suppress(OSError):  # a run killed while publishing: finish its switch
        finish_pair(path.parent, path.name)
    if not path.is_dir():
        raise InputError(f"{what}: no folder {str(path)!r}; give a plan folder (OUT/NAME).")
    summary_path = path / SUMMARY_FILE
    own = path / gpkg_name(path.name)
    gpkgs = [own] if own.exists() else sorted(path.glob("*.gpkg"))
    if not summary_path.exists() or len(gpkgs) != 1:
        raise InputError(
            f"{what}: {str(path)!r} is not a plan folder (it needs summary.json and one "
            "NAME.gpkg); give a folder written by `lockerplan plan` (OUT/NAME)."
        )
    summary = _read_summary(summary_path, what)
    layers = _read_layers(gpkgs[0], what)
    facilities = len(layers["facilities"])
    if summary["sites_open"] != facilities:
        raise InputError(
            f"{what}: {str(summary_path)!r} says {summary['sites_open']} sites open, but the "
            f"facilities layer of {gpkgs[0].name} holds {facilities}; the folder's files are "
            "not of one plan: plan it again."
        )
    cells = layers["coverage_cells"]
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
        streets=layers["streets"].geometry if "streets" in layers else None,
    )


def _regular_file(path: Path, what: str) -> None:
    """Refuse anything but a regular file before opening it (a FIFO would block the read)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError(f"{what}: cannot read {str(path)!r}: {exc.strerror}.") from None
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{what}: {str(path)!r} is not a regular file (a folder, a FIFO or a device); "
            "a plan folder holds the files `lockerplan plan` writes."
        )


def _read_summary(path: Path, what: str) -> dict[str, Any]:
    """``summary.json`` as a mapping of figures, checked by :func:`check_summary`."""
    _regular_file(path, what)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{what}: cannot read {str(path)!r}: {exc.strerror}.") from None
    except ValueError as exc:  # not UTF-8, not JSON
        raise InputError(f"{what}: {str(path)!r} is not JSON ({exc}).") from None
    problem = check_summary(summary)
    if problem:
        raise InputError(
            f"{what}: {str(path)!r} is not a plan's summary: {problem}; plan it again "
            "(`lockerplan plan` writes it)."
        )
    return summary


def _read_layers(gpkg: Path, what: str) -> dict[str, gpd.GeoDataFrame]:
    """The layers a comparison reads (and ``coverage_cells``, and ``streets`` when the
    plan has them), each with its id column."""
    import pyogrio

    _regular_file(gpkg, what)
    wanted = (*COMPARED_LAYERS, "coverage_cells")
    try:
        present = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
        lacking = [name for name in wanted if name not in present]
        if lacking:
            raise InputError(
                f"{what}: {str(gpkg)!r} has no layer {', '.join(lacking)} (a plan's "
                f"GeoPackage has {', '.join(wanted)}); plan it again."
            )
        layers = {
            name: gpd.read_file(gpkg, layer=name)
            for name in (*wanted, "streets")
            if name in present
        }
    except InputError:
        raise
    except (ValueError, OSError, RuntimeError) as exc:  # pyogrio's errors are RuntimeErrors
        cause = str(exc).split(";")[0].replace(repr(str(gpkg)), "the file").rstrip(".")
        raise InputError(
            f"{what}: cannot read the GeoPackage {str(gpkg)!r} ({cause}); plan it again."
        ) from None
    for name, column in _ID_COLUMNS.items():
        if column not in layers[name].columns:
            raise InputError(
                f"{what}: the {name} layer of {str(gpkg)!r} has no {column} column; plan it again."
            )
    return layers


#: The column each layer a comparison reads must have.
_ID_COLUMNS = {
    "facilities": "candidate_id",
    "candidates": "candidate_id",
    "demand_points": "cluster_id",
}
#: The figures a comparison shows, which a plan's ``summary.json`` must hold.
REQUIRED_FIGURES = tuple(k for k, f in FIGURES.items() if "compare" in f.views)


def _kind_text(kind: Any) -> str:
    """``"a number"``, ``"a whole number or null"``... for a figure's type."""
    if isinstance(kind, types.UnionType):
        return " or ".join(_kind_text(k) for k in typing.get_args(kind))
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a text"}
    names.update({list: "a list", dict: "an object", type(None): "null"})
    return names.get(kind, "an object")


def _fits(kind: Any, value: Any) -> bool:
    """Whether ``value`` is of a figure's type ``kind`` (a whole number is a number too)."""
    if isinstance(kind, types.UnionType):
        return any(_fits(k, value) for k in typing.get_args(kind))
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check_summary(summary: Any, record: type = Kpis, required: Iterable[str] | None = None) -> str:
    """What is wrong with a ``summary.json`` read back ("" when nothing).

    It must be an object; each figure it holds must be of its figure's type
    (:data:`~lockerplan.figures.FIGURES`; a nested record, e.g. ``lockers``, by its
    own table), the figures a comparison shows (:data:`REQUIRED_FIGURES`) must be
    there, and its ``scenario`` must be an object whose ``cell_m`` is a positive
    number.

    Examples
    --------
    >>> check_summary([])
    'it holds a list, not an object of figures'
    >>> check_summary({"sites_open": "many"}, required=())
    "sites_open is 'many', not a whole number"
    """
    if not isinstance(summary, dict):
        kind = "null" if summary is None else _kind_text(type(summary))
        return f"it holds {kind}, not an object of figures"
    required = REQUIRED_FIGURES if required is None else tuple(required)
    lacking = [key for key in required if key not in summary]
    if lacking:
        return f"it lacks {', '.join(lacking)}"
    table: Mapping[str, Any] = record._figures  # type: ignore[attr-defined]
    nested: Mapping[str, type] = record._nested  # type: ignore[attr-defined]
    for key, value in summary.items():
        fig = table.get(key)
        if fig is None or value is None and fig.default is None:
            continue
        if key in nested:
            if not isinstance(value, dict):
                return f"{key} is {value!r}, not an object of figures"
            problem = check_summary(value, nested[key], required=())
            if problem:
                return f"{key}.{problem}" if not problem.startswith("it ") else f"{key}: {problem}"
        elif not (_fits(fig.kind, value) or fig.kind is float and missing(value)):
            return f"{key} is {value!r}, not {_kind_text(fig.kind)}"
    if record is Kpis and "scenario" in summary:
        scenario = summary["scenario"]
        if not isinstance(scenario, dict):
            return f"scenario is {scenario!r}, not an object of settings"
        cell_m = scenario.get("cell_m")
        number = isinstance(cell_m, int | float) and not isinstance(cell_m, bool)
        if cell_m is not None and not (number and math.isfinite(cell_m) and cell_m > 0):
            return f"scenario.cell_m is {cell_m!r}, not a positive number of metres"
    return ""


def write_demand(
    out_dir: str | Path,
    name: str,
    result: DemandResult,
    clusters: gpd.GeoDataFrame | None = None,
    streets: Any = None,
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
    streets : Streets, GraphArrays, networkx.MultiDiGraph or geopandas.GeoSeries, optional
        The study area's walk network: the heat map's streets base layer
        (:func:`lockerplan.maps.demand.demand_heatmap`).

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
        page = demand_heatmap(result.points, clusters, streets=streets)
        page.save(str(stage.path / files["map"]))
        published = stage.publish(*files.values())
    paths = {kind: published[fname] for kind, fname in files.items()}
    out = stage.out
    log.info("demand written to %s", out)
    return paths
