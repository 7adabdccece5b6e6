"""The demand overlays of the coverage map: coverage cells, underserved areas, the heat
map, demand clusters, and, with competitors, the contested clusters and the rivals' sites.

One ``draw_<key>`` per row of :data:`~lockerplan.maps.layers.LAYER_TABLE` (and of
:data:`~lockerplan.maps.layers.COMPETITOR_LAYERS`); above
:data:`~lockerplan.maps.layers.DETAIL_LIMIT` demand points the heat map and the
demand overlay are drawn per coverage cell.
"""

from __future__ import annotations

import math
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..figures import missing
from .html import escape, lat_lon, num
from .js import DIGITS, JS_FORMATS, JsLayer, lat_lon_rings, page_json
from .layers import SHARE_STEPS, column_value, place_label, site_names
from .style import (
    COMPETITOR_COLOUR,
    CONTESTED_COLOUR,
    COVERED_COLOUR,
    HEAT_GRADIENT,
    SHARE_COLOURS,
    UNCOVERED_COLOUR,
    UNDERSERVED_COLOUR,
)


def _cell_size(cells: gpd.GeoDataFrame) -> str:
    """``"250 m cell "`` from the grid's ``attrs["cell_m"]``, else ``"cell "``."""
    cell_m = cells.attrs.get("cell_m")
    return f"{cell_m:.0f} m cell " if cell_m else "cell "


def _share_palette() -> list[str]:
    """:data:`SHARE_STEPS` colours of the coverage ramp, from 0 to 100 %."""
    ramp = cm.LinearColormap(SHARE_COLOURS, vmin=0.0, vmax=1.0)
    return [ramp(k / (SHARE_STEPS - 1)) for k in range(SHARE_STEPS)]


def cell_rows(cells: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The coverage cells as compact rows for :class:`~lockerplan.maps.js.JsLayer`.

    Keys: ``i`` cell id, ``s`` coverage share, ``p`` parcels/day, ``u`` parcels/day
    beyond the cutoff, ``n`` clusters, ``m`` clusters not covered, ``c`` centre
    ``[lat, lon]``, ``q`` the square's corners.
    """
    centres = shapely.centroid(cells.geometry.to_numpy())
    return [
        {
            "i": str(row.cell_id),
            "s": round(float(row.coverage_share), 3),
            "p": round(float(row.parcels_per_day), 3),
            "u": round(float(row.uncovered_parcels_per_day), 3),
            "n": int(row.clusters),
            "m": int(row.uncovered_clusters),
            "c": [round(float(c.y), DIGITS), round(float(c.x), DIGITS)],
            "q": lat_lon_rings(row.geometry)[0][0],
        }
        for row, c in zip(cells.itertuples(), centres, strict=True)
        if row.geometry is not None and not row.geometry.is_empty
    ]


#: ``window.lockerplanCellLayers[i]``: row ``i`` of the coverage cells and the layers
#: drawn from it (each with ``lpRestyle(share, uncovered, note)``), which the
#: what-if repaints (:mod:`~lockerplan.maps.whatif`).
_CELL_REGISTRY = (
    "var cellLayers = window.lockerplanCellLayers = window.lockerplanCellLayers || [];"
    "var register = function (r, i, layer) { var e = cellLayers[i] = cellLayers[i] || "
    "{r: r, layers: []}; e.layers.push(layer); return layer; };"
)


def draw_cells(group: folium.FeatureGroup, cells: gpd.GeoDataFrame) -> JsLayer:
    """Grid cells coloured by coverage share (the ramp of :data:`SHARE_COLOURS`).

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    cells : geopandas.GeoDataFrame
        From :func:`lockerplan.equity.coverage_by_cell`.

    Returns
    -------
    JsLayer
        The cells' rows, which the underserved and (at scale) demand overlays share.
    """
    build = f"""(function () {{ {JS_FORMATS} {_CELL_REGISTRY}
        var P = {page_json(_share_palette())}, size = {page_json(escape(_cell_size(cells)))};
        return function (r, i) {{
            var c = P[Math.round(r.s * {SHARE_STEPS - 1})];
            var tip = function (s, u, whatif) {{
                return size + r.i + ": " + fmt(100 * s, 0) + " % covered, " + fmt(r.p, 1) +
                    " parcels/day, " + fmt(u, 1) + " beyond the cutoff" + whatif;
            }};
            var layer = L.polygon(r.q, {{color: c, weight: 0.5, fillColor: c, fillOpacity: 0.45}})
                .bindTooltip(tip(r.s, r.u, ""));
            layer.lpRestyle = function (s, u, whatif) {{
                var k = P[Math.round(s * {SHARE_STEPS - 1})];
                layer.setStyle({{color: k, fillColor: k}});
                layer.setTooltipContent(tip(s, u, whatif));
            }};
            return register(r, i, layer);
        }}; }})()"""
    layer = JsLayer(cell_rows(cells), build)
    layer.cell_size = _cell_size(cells)
    layer.add_to(group)
    return layer


def draw_underserved(group: folium.FeatureGroup, cells: gpd.GeoDataFrame | JsLayer) -> None:
    """Cells with demand beyond the walking cutoff, the darker the more parcels left.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    cells : geopandas.GeoDataFrame or JsLayer
        From :func:`lockerplan.equity.coverage_by_cell`, or the cell overlay's rows
        (from :func:`draw_cells`), drawn again without embedding them twice.
    """
    source = cells if isinstance(cells, JsLayer) else draw_cells(folium.FeatureGroup(), cells)
    top = max((r["u"] for r in source.rows), default=0.0) or 1.0
    build = f"""(function () {{ {JS_FORMATS}
        var size = {page_json(escape(source.cell_size))}, C = {page_json(UNDERSERVED_COLOUR)};
        return function (r) {{
            if (!(r.u > 0)) {{ return null; }}
            var k = r.u / {top};
            return L.polygon(r.q, {{color: C, weight: 1, opacity: 0.3 + 0.6 * k,
                    dashArray: "4 3", fillColor: C, fillOpacity: 0.06 + 0.5 * k}})
                .bindTooltip("Underserved " + size + r.i + ": " + fmt(r.u, 1) + " of " +
                    fmt(r.p, 1) + " parcels/day beyond the walking cutoff (" +
                    fmt(100 * r.s, 0) + " % covered, " + r.m + " of " + r.n +
                    " clusters not covered)");
        }}; }})()"""
    JsLayer([], build, source=source).add_to(group)


#: Side of the heat map's squares, metres.
HEAT_CELL_M = 100.0


def heat_rows(
    lat_lons: np.ndarray, weights: np.ndarray, cell_m: float = HEAT_CELL_M
) -> tuple[list[dict[str, Any]], float]:
    """Parcels per day summed per square of ``cell_m`` metres, as rows of the heat map.

    Parameters
    ----------
    lat_lons : numpy.ndarray
        ``[lat, lon]`` per point, shape ``(n, 2)``.
    weights : numpy.ndarray
        Parcels per day per point.
    cell_m : float, default HEAT_CELL_M
        Side of a square.

    Returns
    -------
    rows : list of dict
        ``q`` the square (``[[south, west], [north, east]]``), ``p`` parcels/day,
        ``k`` the share of ``top`` (at most 1).
    top : float
        Parcels per day of full colour: the 99th percentile of the squares.

    Examples
    --------
    >>> rows, top = heat_rows(np.array([[60.0, 24.0], [60.0001, 24.0001]]), np.array([1.0, 2.0]))
    >>> len(rows), rows[0]["p"], top
    (1, 3.0, 3.0)
    """
    lat_lons = np.asarray(lat_lons, dtype=float).reshape(-1, 2)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(lat_lons).all(axis=1) & np.isfinite(w) & (w > 0)
    if not keep.any():
        return [], 1.0
    lat, lon, w = lat_lons[keep, 0], lat_lons[keep, 1], w[keep]
    dy = cell_m / 111_320.0
    dx = dy / max(math.cos(math.radians(float(lat.mean()))), 0.05)
    cells = np.column_stack([np.floor(lon / dx), np.floor(lat / dy)]).astype(np.int64)
    keys, inverse = np.unique(cells, axis=0, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=w)
    top = float(np.quantile(sums, 0.99)) or float(sums.max()) or 1.0
    rows = [
        {
            "q": [
                [round(j * dy, DIGITS), round(i * dx, DIGITS)],
                [round((j + 1) * dy, DIGITS), round((i + 1) * dx, DIGITS)],
            ],
            "p": round(float(v), 2),
            "k": round(min(float(v) / top, 1.0), 3),
        }
        for (i, j), v in zip(keys.tolist(), sums, strict=True)
    ]
    return rows, top


def heat_colour_js() -> str:
    """A JavaScript function ``heat(k)``: the colour of :data:`HEAT_GRADIENT` at share ``k``."""
    stops = sorted(HEAT_GRADIENT.items())
    return (
        f"var heatStops = {page_json([[k, c] for k, c in stops])};"
        "var heat = function (k) { for (var i = 0; i < heatStops.length; i++) {"
        " if (k <= heatStops[i][0]) { return heatStops[i][1]; } }"
        " return heatStops[heatStops.length - 1][1]; };"
    )


def draw_heat(group: folium.FeatureGroup, points: gpd.GeoDataFrame | JsLayer) -> None:
    """Demand density: parcels per day per 100 m square, on the heat ramp.

    The squares' colour and opacity grow with their parcels per day (full from the
    99th percentile); drawn by the page's own lines, as every square is one row.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    points : geopandas.GeoDataFrame or JsLayer
        Demand points or clusters with ``parcels_per_day``, or the cell overlay's
        rows (at scale: the coverage cells themselves, by their parcels per day).
    """
    if isinstance(points, JsLayer):
        p = np.array([r["p"] for r in points.rows], dtype=float)
        top = float(np.quantile(p, 0.99)) if len(p) else 1.0
        size = escape(getattr(points, "cell_size", "cell "))
        build = f"""(function () {{ {JS_FORMATS} {heat_colour_js()}
            return function (r) {{
                if (!(r.p > 0)) {{ return null; }}
                var k = Math.min(r.p / {top or 1.0}, 1), c = heat(k);
                return L.polygon(r.q, {{stroke: false, fillColor: c, fillOpacity: 0.2 + 0.5 * k}})
                    .bindTooltip(fmt(r.p, 1) + " parcels/day in this {size}".trim());
            }}; }})()"""
        JsLayer([], build, source=points).add_to(group)
        return
    if not len(points):
        return
    w = pd.to_numeric(points["parcels_per_day"], errors="coerce").fillna(0.0).to_numpy()
    lat_lons = np.array(
        [ll if ll is not None else [np.nan, np.nan] for ll in map(lat_lon, points.geometry)],
        dtype=float,
    )
    rows, _ = heat_rows(lat_lons, w)
    build = f"""(function () {{ {JS_FORMATS} {heat_colour_js()}
        return function (r) {{
            return L.rectangle(r.q, {{stroke: false, fillColor: heat(r.k),
                    fillOpacity: 0.2 + 0.5 * r.k}})
                .bindTooltip(fmt(r.p, 2) + " parcels/day in this {HEAT_CELL_M:.0f} m square");
        }}; }})()"""
    JsLayer(rows, build).add_to(group)


def _demand_rows(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One row per demand cluster: ``j`` its position in ``demand``, ``c`` [lat, lon],
    ``r`` radius, ``v`` covered, ``t`` tip."""
    names = site_names(sites)
    top = max(float(demand["parcels_per_day"].max()), 1.0) if len(demand) else 1.0
    rows = []
    for position, (_, row) in enumerate(demand.iterrows()):
        ll = lat_lon(row.geometry)
        if ll is None:
            continue
        covered = bool(row.get("covered", False))
        tip = f"Demand {escape(row.get('cluster_id'))}: {num(row['parcels_per_day'])} parcels/day, "
        if covered:
            tip += f"{num(row.get('walk_m'), '{:,.0f}', 'm')} walk to {escape(row.get('site_id'))}"
            if names.get(str(row.get("site_id"))):
                tip += f" ({names[str(row['site_id'])]})"
        elif not missing(row.get("nearest_competitor_m")):
            tip += f"walks to a rival first ({num(row['nearest_competitor_m'], '{:,.0f}', 'm')})"
        else:
            tip += "not covered (beyond the walking cutoff)"
        radius = 3 + 9 * math.sqrt(max(float(row["parcels_per_day"]), 0.0) / top)
        rows.append(
            {
                "j": position,
                "c": [round(v, DIGITS) for v in ll],
                "r": round(radius, 1),
                "v": int(covered),
                "t": tip,
                **({"x": 1} if bool(row.get("contested", False)) else {}),
            }
        )
    return rows


def draw_demand(
    group: folium.FeatureGroup,
    demand: gpd.GeoDataFrame | JsLayer,
    sites: gpd.GeoDataFrame,
) -> None:
    """Demand clusters as circles sized by parcels: blue when covered, an orange dashed
    ring when not (:func:`demand_style_js`).

    At scale (``demand`` is the cell overlay's rows) one circle per coverage cell,
    sized by its parcels and coloured by its coverage share.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    demand : geopandas.GeoDataFrame or JsLayer
        Clusters with ``cluster_id``, ``parcels_per_day``, ``covered``, ``site_id``
        and ``walk_m``; or the cells' rows (from :func:`draw_cells`).
    sites : geopandas.GeoDataFrame
        Open sites, to name the site a cluster walks to.
    """
    if isinstance(demand, JsLayer):
        top = max((r["p"] for r in demand.rows), default=0.0) or 1.0
        build = f"""(function () {{ {JS_FORMATS} {_CELL_REGISTRY}
            var P = {page_json(_share_palette())};
            return function (r, i) {{
                var c = P[Math.round(r.s * {SHARE_STEPS - 1})];
                var tip = function (s, whatif) {{
                    return r.n + " demand clusters in cell " + r.i + ": " + fmt(r.p, 1) +
                        " parcels/day, " + fmt(100 * s, 0) + " % covered" + whatif;
                }};
                var layer = L.circleMarker(r.c, {{radius: 3 + 9 * Math.sqrt(r.p / {top}),
                        color: c, fill: true, fillOpacity: 0.6, weight: 1}})
                    .bindTooltip(tip(r.s, ""));
                layer.lpRestyle = function (s, u, whatif) {{
                    var k = P[Math.round(s * {SHARE_STEPS - 1})];
                    layer.setStyle({{color: k, fillColor: k}});
                    layer.setTooltipContent(tip(s, whatif));
                }};
                return register(r, i, layer);
            }}; }})()"""
        JsLayer([], build, source=demand).add_to(group)
        return
    build = f"""(function () {{ {demand_style_js()}
        var drawn = window.lockerplanDemand = window.lockerplanDemand || [];
        return function (r) {{
            var m = L.circleMarker(r.c, Object.assign({{radius: r.r, fill: true}},
                    window.lockerplanDemandStyle(r.v))).bindTooltip(r.t);
            m.lpRow = r; drawn.push(m);
            return m;
        }}; }})()"""
    JsLayer(_demand_rows(demand, sites), build).add_to(group)


def demand_style_js() -> str:
    """``window.lockerplanDemandStyle(covered)``: a demand circle's style, covered or not.

    Covered demand is a filled circle of :data:`COVERED_COLOUR`; demand not covered a
    dashed ring of :data:`UNCOVERED_COLOUR`, lightly filled (shape besides colour).
    The what-if repaints the clusters with it.
    """
    return (
        f"window.lockerplanDemandStyle = function (v) {{ return v ? "
        f"{{color: {page_json(COVERED_COLOUR)}, fillColor: {page_json(COVERED_COLOUR)}, "
        "fillOpacity: 0.6, weight: 1, dashArray: null} : "
        f"{{color: {page_json(UNCOVERED_COLOUR)}, fillColor: {page_json(UNCOVERED_COLOUR)}, "
        "fillOpacity: 0.15, weight: 2, dashArray: '3 2'}; };"
    )


def draw_contested(
    group: folium.FeatureGroup, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> None:
    """Contested demand clusters (``contested``: within the walk of a competitor and of
    one of our open sites) ringed in black, over the demand overlay's circles.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    demand : geopandas.GeoDataFrame
        Clusters as for :func:`draw_demand`, with ``contested`` and
        ``nearest_competitor_m`` (:func:`lockerplan.competitors.competition_columns`).
    sites : geopandas.GeoDataFrame
        Open sites, to name the site a cluster walks to.
    """
    if "contested" not in demand.columns:
        return
    demand = demand[demand["contested"].to_numpy(dtype=bool)]
    rows = [r for r in _demand_rows(demand, sites) if r.pop("x", 0)]
    build = f"""function (r) {{
        return L.circleMarker(r.c, {{radius: r.r + 3, color: {page_json(CONTESTED_COLOUR)},
                weight: 2, dashArray: "4 3", fill: false}}).bindTooltip("Contested: " + r.t);
    }}"""
    JsLayer(rows, build).add_to(group)


def draw_competitors(group: folium.FeatureGroup, competitors: gpd.GeoDataFrame) -> None:
    """A rival network's sites as yellow squares with a black edge.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    competitors : geopandas.GeoDataFrame
        With ``competitor_id``, ``name``, ``operator`` and ``source_id``
        (:mod:`lockerplan.competitors`).
    """
    rows = []
    for _, row in competitors.iterrows():
        ll = lat_lon(row.geometry)
        if ll is None:
            continue
        operator = column_value(competitors, row, "operator")
        tip = (
            f"Competitor {place_label(competitors, row)} "
            f"({escape(operator) if not missing(operator) and str(operator) else 'operator unknown'}, "
            f"{escape(column_value(competitors, row, 'source_id'))})"
        )
        rows.append({"c": [round(v, DIGITS) for v in ll], "t": tip})
    icon = (
        f"<div style='width:10px;height:10px;background:{COMPETITOR_COLOUR};"
        "border:2px solid #000'></div>"
    )
    build = f"""function (r) {{
        return L.marker(r.c, {{icon: L.divIcon({{html: {page_json(icon)}, className: "",
                iconSize: [14, 14], iconAnchor: [7, 7]}})}}).bindTooltip(r.t);
    }}"""
    JsLayer(rows, build).add_to(group)
