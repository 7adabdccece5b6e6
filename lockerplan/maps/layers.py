"""The overlays of the coverage map: one ``draw_<key>`` function and one table row each.

:data:`LAYER_TABLE` lists the overlays in drawing order (bottom to top) with the
name shown in the layer control, whether the overlay starts ticked, and its legend
entries; :data:`LAYERS`, :data:`HIDDEN_LAYERS` and the panel's legend
(:func:`lockerplan.maps.panel.legend_html`) are read from it. A new overlay is one
``draw_<key>(group, ...)`` function here, one row in the table and one call in
:func:`lockerplan.maps.coverage_map`.

Examples
--------
>>> from lockerplan.maps.layers import HIDDEN_LAYERS, LAYERS
>>> list(LAYERS)[:3], LAYERS["sites"]
(['cells', 'underserved', 'heat'], 'Open sites')
>>> sorted(HIDDEN_LAYERS)
['candidates', 'cells', 'heat']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium import plugins

from ..equity import underserved_cells
from .html import _lat_lon, _missing, _num, _plain_id, _table, escape
from .style import (
    CANDIDATE_COLOUR,
    COVERED_COLOUR,
    HUB_COLOUR,
    KIND_COLOURS,
    KIND_CSS,
    KIND_ICONS,
    KIND_LABELS,
    ROUTE_COLOURS,
    SHARE_COLOURS,
    UNCOVERED_COLOUR,
    UNDERSERVED_COLOUR,
)


@dataclass(frozen=True)
class Swatch:
    """One legend entry: a swatch and its label.

    Attributes
    ----------
    label : str
        Plain text (escaped when the legend is written).
    css : str
        CSS ``background`` of the swatch: a colour, or a gradient for a ramp.
    shape : str, default "dot"
        ``dot``, ``pin``, ``box``, ``line`` or ``ramp`` (the ``lp-<shape>`` CSS class).
    """

    label: str
    css: str
    shape: str = "dot"


@dataclass(frozen=True)
class Layer:
    """One overlay of the coverage map (a :class:`folium.FeatureGroup`).

    Attributes
    ----------
    key : str
        Short name; the overlay is drawn by ``draw_<key>``.
    name : str
        Name in the layer control.
    shown : bool
        Whether the overlay is ticked when the page opens.
    legend : tuple of Swatch
        Its entries in the panel's legend (none for the heat map).
    """

    key: str
    name: str
    shown: bool = True
    legend: tuple[Swatch, ...] = ()


#: The overlays in drawing order (bottom to top).
LAYER_TABLE: tuple[Layer, ...] = (
    Layer(
        "cells",
        "Coverage share per grid cell",
        shown=False,
        legend=(
            Swatch("cell coverage %", f"linear-gradient(90deg,{', '.join(SHARE_COLOURS)})", "ramp"),
        ),
    ),
    Layer(
        "underserved",
        "Underserved areas (demand beyond the cutoff)",
        legend=(Swatch("underserved area", "rgba(230,85,13,.5)", "box"),),
    ),
    Layer("heat", "Demand heat map", shown=False),
    Layer(
        "catchments",
        "Walking catchments",
        legend=(Swatch("walking catchment", "rgba(56,169,220,.3)", "box"),),
    ),
    Layer(
        "demand",
        "Demand clusters (parcels/day)",
        legend=(Swatch("covered demand", COVERED_COLOUR), Swatch("not covered", UNCOVERED_COLOUR)),
    ),
    Layer(
        "candidates",
        "Candidate sites",
        shown=False,
        legend=(Swatch("candidate", CANDIDATE_COLOUR),),
    ),
    Layer(
        "routes",
        "Van routes",
        legend=(Swatch("van route (colour per van)", ROUTE_COLOURS[0], "line"),),
    ),
    Layer(
        "sites",
        "Open sites",
        legend=(
            Swatch(KIND_LABELS["cabinet"], KIND_CSS["cabinet"], "pin"),
            Swatch(KIND_LABELS["pickup_point"], KIND_CSS["pickup_point"], "pin"),
        ),
    ),
    Layer("hubs", "Hubs", legend=(Swatch("hub", HUB_COLOUR, "pin"),)),
)
#: Overlay layers by key, in drawing order; the values are the layer-control names.
LAYERS = {layer.key: layer.name for layer in LAYER_TABLE}
#: Overlays that start hidden (ticked off in the layer control).
HIDDEN_LAYERS = frozenset(layer.key for layer in LAYER_TABLE if not layer.shown)

_OSM_ID = re.compile(r"^(node|way|relation)/\d+$")


def _col(frame: pd.DataFrame, row: Any, name: str, default: Any = None) -> Any:
    """``row[name]`` when ``frame`` has that column, else ``default``."""
    return row[name] if name in frame.columns else default


def _cell_size(cells: gpd.GeoDataFrame) -> str:
    """``"250 m cell "`` from the grid's ``attrs["cell_m"]``, else ``"cell "``."""
    cell_m = cells.attrs.get("cell_m")
    return f"{cell_m:.0f} m cell " if cell_m else "cell "


def _site_names(sites: gpd.GeoDataFrame) -> dict[str, str]:
    """Site id -> name ("" when unnamed)."""
    if not len(sites) or not {"site_id", "name"} <= set(sites.columns):
        return {}
    return {
        str(sid): (name if isinstance(name, str) else "")
        for sid, name in zip(sites["site_id"], sites["name"], strict=True)
    }


# --------------------------------------------------------------------------- draw


def draw_cells(group: folium.FeatureGroup, cells: gpd.GeoDataFrame) -> None:
    """Grid cells coloured by coverage share (red 0 % to green 100 %).

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    cells : geopandas.GeoDataFrame
        From :func:`lockerplan.equity.coverage_by_cell`.
    """
    ramp = cm.LinearColormap(SHARE_COLOURS, vmin=0.0, vmax=1.0)
    size = _cell_size(cells)
    for row in cells.itertuples():
        share = float(row.coverage_share)
        colour = ramp(share)
        tip = (
            f"{escape(size)}{escape(row.cell_id)}: {100 * share:.0f} % covered, "
            f"{row.parcels_per_day:,.1f} parcels/day, {row.uncovered_parcels_per_day:,.1f} "
            "beyond the cutoff"
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 0.5,
                "fillColor": c,
                "fillOpacity": 0.45,
            },
            tooltip=tip,
        ).add_to(group)


def draw_underserved(group: folium.FeatureGroup, cells: gpd.GeoDataFrame) -> None:
    """Cells with demand beyond the walking cutoff, the darker the more parcels left.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    cells : geopandas.GeoDataFrame
        From :func:`lockerplan.equity.coverage_by_cell`.
    """
    size = _cell_size(cells)
    under = underserved_cells(cells)
    top = float(under["uncovered_parcels_per_day"].max()) if len(under) else 1.0
    for row in under.itertuples():
        strength = row.uncovered_parcels_per_day / top if top > 0 else 1.0
        tip = (
            f"Underserved {escape(size)}{escape(row.cell_id)}: "
            f"{row.uncovered_parcels_per_day:,.1f} of {row.parcels_per_day:,.1f} parcels/day "
            f"beyond the walking cutoff ({100 * row.coverage_share:.0f} % covered, "
            f"{row.uncovered_clusters} of {row.clusters} clusters not covered)"
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, s=strength: {
                "color": UNDERSERVED_COLOUR,
                "weight": 1,
                "opacity": 0.3 + 0.6 * s,
                "dashArray": "4 3",
                "fillColor": UNDERSERVED_COLOUR,
                "fillOpacity": 0.06 + 0.5 * s,
            },
            tooltip=tip,
        ).add_to(group)


def draw_heat(group: folium.FeatureGroup, points: gpd.GeoDataFrame) -> None:
    """A heat map of parcels per day (weights scaled to the largest point).

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    points : geopandas.GeoDataFrame
        Demand points or clusters with ``parcels_per_day``.
    """
    if not len(points):
        return
    w = pd.to_numeric(points["parcels_per_day"], errors="coerce").fillna(0.0).to_numpy()
    top = float(w.max()) if len(w) and w.max() > 0 else 1.0
    data = [
        [*ll, round(float(v) / top, 4)]
        for ll, v in zip(map(_lat_lon, points.geometry), w, strict=True)
        if ll is not None and v > 0
    ]
    if data:
        plugins.HeatMap(
            data,
            name=LAYERS["heat"],
            control=False,
            radius=22,
            blur=18,
            min_opacity=0.25,
            max_zoom=17,
        ).add_to(group)


def draw_catchments(
    group: folium.FeatureGroup,
    catchments: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    walk_m: float | None = None,
) -> None:
    """Each open site's walking catchment, in the colour of its kind.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    catchments : geopandas.GeoDataFrame
        One (multi)polygon per ``site_id``.
    sites : geopandas.GeoDataFrame
        Open sites, for their names and kinds.
    walk_m : float, optional
        The walking cutoff, metres, named in the tooltip.
    """
    names = _site_names(sites)
    kinds = (
        dict(zip(sites["site_id"].astype(str), sites["kind"], strict=True))
        if len(sites) and "kind" in sites.columns
        else {}
    )
    for _, row in catchments.iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        sid = str(row["site_id"])
        colour = KIND_CSS.get(kinds.get(sid), KIND_CSS["cabinet"])
        label = f"Walking catchment of {escape(sid)}"
        if names.get(sid):
            label += f" ({escape(names[sid])})"
        if not _missing(walk_m):
            label += f": streets within {float(walk_m):,.0f} m"
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 1,
                "fillColor": c,
                "fillOpacity": 0.15,
            },
            tooltip=label,
        ).add_to(group)


def draw_demand(
    group: folium.FeatureGroup, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> None:
    """Demand clusters as circles sized by parcels, green when covered, red when not.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    demand : geopandas.GeoDataFrame
        Clusters with ``cluster_id``, ``parcels_per_day``, ``covered``, ``site_id``
        and ``walk_m``.
    sites : geopandas.GeoDataFrame
        Open sites, to name the site a cluster walks to.
    """
    names = _site_names(sites)
    top = max(float(demand["parcels_per_day"].max()), 1.0) if len(demand) else 1.0
    for _, row in demand.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        covered = bool(row.get("covered", False))
        tip = (
            f"Demand {escape(row.get('cluster_id'))}: {_num(row['parcels_per_day'])} parcels/day, "
        )
        if covered:
            tip += f"{_num(row.get('walk_m'), '{:,.0f}', 'm')} walk to {escape(row.get('site_id'))}"
            if names.get(str(row.get("site_id"))):
                tip += f" ({escape(names[str(row['site_id'])])})"
        else:
            tip += "not covered (beyond the walking cutoff)"
        folium.CircleMarker(
            ll,
            radius=3 + 9 * math.sqrt(max(float(row["parcels_per_day"]), 0.0) / top),
            color=COVERED_COLOUR if covered else UNCOVERED_COLOUR,
            fill=True,
            fill_opacity=0.6,
            weight=1,
            tooltip=tip,
        ).add_to(group)


def draw_candidates(group: folium.FeatureGroup, candidates: gpd.GeoDataFrame) -> None:
    """Every candidate site as a small grey dot.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    candidates : geopandas.GeoDataFrame
        With ``name``, ``kind``, ``category`` and ``source_id``.
    """
    for _, row in candidates.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        name = escape(row.get("name")) or "unnamed"
        kind = row.get("kind")
        folium.CircleMarker(
            ll,
            radius=3,
            color=CANDIDATE_COLOUR,
            fill=True,
            fill_opacity=0.8,
            weight=1,
            tooltip=(
                f"Candidate {name} ({escape(KIND_LABELS.get(kind, kind))}, "
                f"{escape(row.get('category'))}, {escape(row.get('source_id'))})"
            ),
        ).add_to(group)


def _route_tooltip(routes: gpd.GeoDataFrame, row: Any, van_capacity: float | None) -> str:
    """A route's van, hub, stops, load (and share of the van), km and hours."""
    load = row.get("parcels")
    load_text = f"load {_num(load, '{:,.0f}')} parcels"
    if van_capacity and not _missing(load):
        load_text += f" ({100 * float(load) / float(van_capacity):.0f} % of the van)"
    stops = row.get("stops")
    stop_ids = row.get("site_ids")
    return (
        f"Van {escape(row.get('route_id'))} from hub {escape(row.get('hub_id'))}: "
        f"{_num(stops, '{:,.0f}')} stop{'s' if stops != 1 else ''}"
        + (f" ({escape(str(stop_ids).replace(';', ', '))})" if not _missing(stop_ids) else "")
        + f", {load_text}, {_num(row.get('km'), '{:,.1f}', 'km')}"
        + (f", {_num(row.get('hours'), '{:,.1f}', 'h')}" if "hours" in routes.columns else "")
    )


def draw_routes(
    group: folium.FeatureGroup, routes: gpd.GeoDataFrame, van_capacity: float | None = None
) -> None:
    """Van routes as lines, one colour per van.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    routes : geopandas.GeoDataFrame
        (Multi)lines with ``route_id``, ``hub_id``, ``stops``, ``site_ids``
        (``;``-separated), ``parcels``, ``km`` and optionally ``hours``.
    van_capacity : float, optional
        Parcels per van, to show the load as a share of the van.
    """
    for k, (_, row) in enumerate(routes.iterrows()):
        if row.geometry is None or row.geometry.is_empty:
            continue
        lines = (
            list(row.geometry.geoms)
            if row.geometry.geom_type.startswith("Multi")
            else [row.geometry]
        )
        tip = _route_tooltip(routes, row, van_capacity)
        for line in lines:
            coords = np.asarray(line.coords)[:, :2]
            folium.PolyLine(
                coords[:, ::-1].tolist(),
                color=ROUTE_COLOURS[k % len(ROUTE_COLOURS)],
                weight=4,
                opacity=0.8,
                tooltip=tip,
            ).add_to(group)


def _site_popup(sites: gpd.GeoDataFrame, row: Any) -> str:
    """The popup of an open site: ids, kind, capacity and utilisation when known, walk."""
    name = escape(row["name"]) if not _missing(row.get("name")) and row["name"] else "unnamed"
    source = str(_col(sites, row, "source", "") or "")
    source_id = _col(sites, row, "source_id")
    if not _missing(source_id) and _OSM_ID.match(str(source_id)):
        ident = (
            f"<a href='https://www.openstreetmap.org/{escape(source_id)}' target='_blank' "
            f"rel='noopener noreferrer'>{escape(source_id)}</a>"
        )
        id_label = "OSM id"
    else:
        ident, id_label = escape(source_id), ("Input row" if source == "user" else "Source id")
    kind = row.get("kind")
    rows = [
        ("Site", escape(row["site_id"])),
        ("Name", name),
        (id_label, ident),
        ("Kind", escape(KIND_LABELS.get(kind, kind))),
    ]
    if not _missing(_col(sites, row, "category")):
        rows.append(("Category", escape(row["category"])))
    if bool(_col(sites, row, "existing", False)):
        rows.append(("Existing locker", "yes"))
    assigned = _col(sites, row, "parcels_per_day")
    capacity = _col(sites, row, "capacity")
    if not _missing(capacity):
        rows.append(("Capacity", _num(capacity, "{:,.0f}", "parcels/day")))
    rows.append(("Assigned", _num(assigned, "{:,.1f}", "parcels/day")))
    util = _col(sites, row, "utilisation")
    if _missing(util) and not _missing(capacity) and float(capacity) > 0:
        util = (0.0 if _missing(assigned) else float(assigned)) / float(capacity)
    if not _missing(util):
        rows.append(("Utilisation", _num(100 * float(util), "{:.0f}", "%")))
    if not _missing(_col(sites, row, "clusters")):
        rows.append(("Demand clusters", _num(row["clusters"], "{:,.0f}")))
    rows.append(("Mean walk", _num(_col(sites, row, "mean_walk_m"), "{:,.0f}", "m")))
    return f"<div class='lp-popup'>{_table([(escape(k), v) for k, v in rows])}</div>"


def draw_sites(group: folium.FeatureGroup, sites: gpd.GeoDataFrame) -> None:
    """Open sites as markers by kind, each with a popup (see ``_site_popup``).

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    sites : geopandas.GeoDataFrame
        With ``site_id``, ``name``, ``kind`` and the popup's optional columns
        (``source``, ``source_id``, ``category``, ``existing``, ``parcels_per_day``,
        ``capacity``, ``utilisation``, ``clusters``, ``mean_walk_m``).
    """
    for _, row in sites.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        kind = row.get("kind")
        name = escape(row.get("name")) or "unnamed"
        folium.Marker(
            ll,
            popup=folium.Popup(_site_popup(sites, row), max_width=340),
            tooltip=f"{escape(row['site_id'])}: {name} ({escape(KIND_LABELS.get(kind, kind))})",
            icon=folium.Icon(
                color=KIND_COLOURS.get(kind, "blue"),
                icon=KIND_ICONS.get(kind, "inbox"),
                prefix="fa",
            ),
            title=f"Open site {_plain_id(row['site_id'])}",
        ).add_to(group)


def draw_hubs(group: folium.FeatureGroup, hubs: gpd.GeoDataFrame) -> None:
    """Hubs (van depots) as black truck markers.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    hubs : geopandas.GeoDataFrame
        With ``hub_id`` and optionally ``name``.
    """
    for _, row in hubs.iterrows():
        ll = _lat_lon(row.geometry)
        if ll is None:
            continue
        name = escape(row.get("name")) if "name" in hubs.columns else ""
        folium.Marker(
            ll,
            tooltip=f"Hub {escape(row.get('hub_id'))}" + (f": {name}" if name else ""),
            icon=folium.Icon(color="black", icon="truck", prefix="fa"),
            title=f"Hub {_plain_id(row.get('hub_id'))}",
        ).add_to(group)
