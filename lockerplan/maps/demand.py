"""The demand map: a heat map of parcels per day, for inspecting demand (``lockerplan demand``).

:func:`demand_heatmap` draws demand points of any source as a heat map, with the
clusters as a layer of circles and a legend that says what full colour means, in
the frame of every lockerplan map (:func:`~lockerplan.maps.base.base_map`): given
the study area's walk network, its streets around the demand are the base layer
drawn when the tiles cannot load. :func:`lockerplan.export.write_demand` writes it
beside the demand layers.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError
from .base import STREET_POINTS, add_controls, base_map, street_shapes
from .demand_layers import HEAT_CELL_M, heat_colour_js, heat_rows
from .html import OSM_ATTRIBUTION_HTML, PAGE_CSS, PanelControl
from .js import JsLayer
from .style import HEAT_GRADIENT

#: The legend's note when the demand map has no streets to draw.
NO_STREETS = (
    "No streets base layer: no walk network was given, or none of its streets is near the "
    "demand, so without tiles the map shows no streets."
)


def demand_heatmap(
    points: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame | None = None,
    *,
    cell_m: float = HEAT_CELL_M,
    tiles_attribution: str | None = None,
    streets: Any = None,
) -> Any:
    """A self-contained heat map of parcels per day, with optional cluster markers.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Demand points with ``parcels_per_day`` (any source).
    clusters : geopandas.GeoDataFrame, optional
        Output of :func:`lockerplan.demand.cluster_demand`, shown as a toggleable layer of circles with
        parcels, members and spread in the popup.
    cell_m : float, default HEAT_CELL_M
        Side of the heat map's squares, metres (parcels per day are summed per square).
    tiles_attribution : str, optional
        Attribution of the base map (HTML); the OpenStreetMap credit by default.
    streets : Streets, GraphArrays, networkx.MultiDiGraph or geopandas.GeoSeries, optional
        The study area's walk network (or its lines,
        :func:`~lockerplan.maps.base.street_shapes`): its streets within
        :data:`STREETS_AROUND_M` of the demand are the base layer drawn when the
        tiles cannot load. Without it (or when none is near the demand) the legend
        says that the page has no streets base layer.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = demand_heatmap(result.points, clusters)  # doctest: +SKIP
    >>> m.save("demand.html")  # doctest: +SKIP
    """
    if len(points) == 0:
        raise InputError("no demand points to map.")
    pts = points.to_crs("EPSG:4326")
    w, s, e, n = pts.total_bounds
    lines = streets_around(streets, points)
    fmap = base_map([[s, w], [n, e]], streets=lines, attribution=tiles_attribution)
    weights = pts["parcels_per_day"].to_numpy(dtype=float)
    rows, top = heat_rows(np.column_stack([pts.geometry.y, pts.geometry.x]), weights, cell_m)
    heat = folium.FeatureGroup(name="parcels per day").add_to(fmap)
    build = f"""(function () {{ {heat_colour_js()}
        return function (r) {{
            return L.rectangle(r.q, {{stroke: false, fillColor: heat(r.k),
                    fillOpacity: 0.25 + 0.5 * r.k}})
                .bindTooltip(r.p.toFixed(2) + " parcels/day in this {cell_m:.0f} m square");
        }}; }})()"""
    JsLayer(rows, build).add_to(heat)
    if clusters is not None and len(clusters):
        layer = folium.FeatureGroup(name="clusters", show=False)
        cl = clusters.to_crs("EPSG:4326")
        scale = float(np.sqrt(cl["parcels_per_day"].max())) or 1.0
        for row in cl.itertuples():
            text = (
                f"{html.escape(str(row.cluster_id))}: {row.parcels_per_day:.2f} parcels/day, "
                f"{row.members} points, spread {row.spread_m:.0f} m"
            )
            folium.CircleMarker(
                (row.geometry.y, row.geometry.x),
                radius=2 + 8 * np.sqrt(row.parcels_per_day) / scale,
                weight=1,
                fill=True,
                fill_opacity=0.6,
                popup=folium.Popup(text, parse_html=False),
                tooltip=text,
            ).add_to(layer)
        layer.add_to(fmap)
    add_controls(fmap)
    fmap.get_root().header.add_child(folium.Element(PAGE_CSS))
    PanelControl(
        _heat_legend(top, clusters is not None and len(clusters) > 0, cell_m, len(lines) > 0),
        element_id="lp-demand-legend",
    ).add_to(fmap)
    fmap.fit_bounds([[s, w], [n, e]])
    return fmap


#: How far around the demand the streets base layer reaches, metres.
STREETS_AROUND_M = 500.0


def streets_around(network: Any, points: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The streets of ``network`` within :data:`STREETS_AROUND_M` of the points' bounds.

    At most :data:`~lockerplan.maps.base.STREET_POINTS` points, the longest streets
    first; empty without a network or when none of its streets is near the points
    (a demand file of another city than the extract).
    """
    lines = street_shapes(network, max_points=np.iinfo(np.int64).max)
    if not len(lines):
        return lines
    crs = points.estimate_utm_crs() if points.crs and points.crs.is_geographic else points.crs
    w, s, e, n = points.to_crs(crs).total_bounds
    grown = gpd.GeoSeries([shapely.box(w, s, e, n).buffer(STREETS_AROUND_M)], crs=crs).to_crs(
        "EPSG:4326"
    )
    return street_shapes(lines[lines.intersects(grown.iloc[0])], max_points=STREET_POINTS)


def _heat_legend(
    top: float, clusters: bool, cell_m: float = HEAT_CELL_M, streets: bool = True
) -> str:
    """The demand map's legend: the heat ramp, what it scales to, the cluster circles,
    and a note when the page has no streets base layer.

    Examples
    --------
    >>> "0.85 parcels/day" in _heat_legend(0.85, clusters=False)
    True
    """
    ramp = f"linear-gradient(90deg,{', '.join(HEAT_GRADIENT.values())})"
    rows = [
        "<span class='lp-end'>fewer</span><span class='lp-sw lp-ramp' "
        f"style='background:{ramp}'></span><span class='lp-end'>more</span> parcels/day "
        f"per {cell_m:.0f} m square",
        f"<span class='lp-note'>The parcels/day of the demand points in each square, full "
        f"colour from {top:,.2f} parcels/day (99th percentile of the squares).</span>",
    ]
    if clusters:
        rows.append(
            "<span class='lp-sw lp-dot' style='background:#3388ff'></span>demand cluster "
            "(layer <i>clusters</i>; size: parcels/day)"
        )
    if not streets:
        rows.append(f"<span class='lp-note' id='lp-no-streets'>{NO_STREETS}</span>")
    body = "".join(f"<div>{r}</div>" for r in rows)
    return (
        f"<details open><summary><b>Demand: parcels per day</b></summary>{body}"
        f"<div class='lp-note'>Map data {OSM_ATTRIBUTION_HTML}.</div></details>"
    )
