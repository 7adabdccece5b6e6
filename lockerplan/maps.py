"""Interactive coverage maps (folium).

One self-contained HTML page per plan: demand clusters (covered / not covered),
candidate sites, open sites with popups, walking catchments, hubs and van routes
as separate layers with a layer control, plus a KPI panel. Every text that comes
from OSM or from the user is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import math
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from .settings import OSM_ATTRIBUTION

#: Names of the overlay layers, in drawing order.
LAYERS = {
    "catchments": "Walking catchments",
    "demand": "Demand clusters (parcels/day)",
    "candidates": "Candidate sites",
    "routes": "Van routes",
    "sites": "Open sites",
    "hubs": "Hubs",
}
ROUTE_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
]
KIND_COLOURS = {"cabinet": "blue", "pickup_point": "purple"}


def _esc(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


def kpi_panel_html(kpis: dict[str, Any]) -> str:
    """The fixed KPI panel and legend shown in the map's lower-left corner."""
    rows = [
        ("Sites open", kpis.get("sites_open")),
        ("Parcels/day", f"{kpis.get('demand_parcels_per_day', 0):,.0f}"),
        (
            "Covered",
            f"{kpis.get('covered_parcels_per_day', 0):,.0f} ({100 * kpis.get('coverage_share', 0):.1f} %)",
        ),
        ("Walking cutoff", f"{kpis.get('walk_m', 0):,.0f} m"),
        ("Mean walk", f"{kpis.get('mean_walk_m', 0):,.0f} m"),
        ("Van routes", f"{kpis.get('vans_used', 0)} vans, {kpis.get('route_km', 0):,.1f} km"),
        (
            "Solver",
            f"{kpis.get('solver_status')} (gap {100 * (kpis.get('solver_gap') or 0):.2f} %)",
        ),
    ]
    legend = (
        "<div style='margin-top:4px'>"
        "<span style='color:#2ca02c'>&#9679;</span> covered demand &nbsp;"
        "<span style='color:#d62728'>&#9679;</span> not covered<br>"
        "<span style='color:#3388ff'>&#9632;</span> cabinet &nbsp;"
        "<span style='color:#9b59b6'>&#9632;</span> pickup point &nbsp;"
        "<span style='color:#888'>&#9679;</span> candidate</div>"
    )
    return (
        "<div id='lockerplan-kpis' style='position:fixed;bottom:24px;left:10px;z-index:9999;"
        "background:white;padding:8px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.4);"
        "font:12px/1.4 sans-serif;max-width:320px'>"
        f"<b>{_esc(kpis.get('name', 'lockerplan'))}</b>{_table(rows)}{legend}</div>"
    )


def coverage_map(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    kpis: dict[str, Any],
) -> folium.Map:
    """Draw a plan as an interactive folium map.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand clusters with ``cluster_id``, ``parcels_per_day``, ``covered``,
        ``site_id`` and ``walk_m``.
    candidates, sites, catchments, hubs, routes : geopandas.GeoDataFrame
        The plan's layers (see :class:`lockerplan.plan.Plan`).
    kpis : dict
        Key figures for the KPI panel.

    Returns
    -------
    folium.Map
        With one :class:`folium.FeatureGroup` per entry of :data:`LAYERS` and a
        layer control.
    """
    bounds = demand.total_bounds if len(demand) else candidates.total_bounds
    fmap = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        tiles=None,
        control_scale=True,
    )
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION, control=True
    ).add_to(fmap)
    groups = {
        key: folium.FeatureGroup(name=name, show=key != "candidates")
        for key, name in LAYERS.items()
    }

    for _, row in catchments.iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f: {"color": "#3388ff", "weight": 1, "fillOpacity": 0.15},
            tooltip=f"Catchment of {_esc(row['site_id'])}",
        ).add_to(groups["catchments"])

    top = max(float(demand["parcels_per_day"].max()), 1.0) if len(demand) else 1.0
    for _, row in demand.iterrows():
        covered = bool(row["covered"])
        tip = f"{_esc(row['cluster_id'])}: {row['parcels_per_day']:.1f} parcels/day, " + (
            f"{row['walk_m']:.0f} m walk to {_esc(row['site_id'])}" if covered else "not covered"
        )
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=3 + 9 * math.sqrt(row["parcels_per_day"] / top),
            color="#2ca02c" if covered else "#d62728",
            fill=True,
            fill_opacity=0.6,
            weight=1,
            tooltip=tip,
        ).add_to(groups["demand"])

    for _, row in candidates.iterrows():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=3,
            color="#888888",
            fill=True,
            fill_opacity=0.8,
            weight=1,
            tooltip=f"{_esc(row['name']) or 'unnamed'} ({_esc(row['category'])}, {_esc(row['source_id'])})",
        ).add_to(groups["candidates"])

    for _, row in sites.iterrows():
        popup = _table(
            [
                ("Site", row["site_id"]),
                ("Name", row["name"] or "unnamed"),
                ("Kind", row["kind"]),
                ("Category", row["category"]),
                ("Source", row["source_id"]),
                ("Assigned parcels/day", f"{row['parcels_per_day']:.1f}"),
                ("Demand clusters", int(row["clusters"])),
                ("Mean walk", f"{row['mean_walk_m']:.0f} m"),
            ]
        )
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            popup=folium.Popup(popup, max_width=320),
            tooltip=f"{_esc(row['site_id'])}: {_esc(row['name']) or 'unnamed'}",
            icon=folium.Icon(
                color=KIND_COLOURS.get(row["kind"], "blue"), icon="inbox", prefix="fa"
            ),
        ).add_to(groups["sites"])

    for k, (_, row) in enumerate(routes.iterrows()):
        if row.geometry is None or row.geometry.is_empty:
            continue
        coords = np.asarray(row.geometry.coords)
        folium.PolyLine(
            coords[:, ::-1].tolist(),
            color=ROUTE_COLOURS[k % len(ROUTE_COLOURS)],
            weight=4,
            opacity=0.8,
            tooltip=(
                f"{_esc(row['route_id'])} from {_esc(row['hub_id'])}: {row['stops']} stops, "
                f"{row['parcels']} parcels, {row['km']:.1f} km, {row['hours']:.1f} h"
            ),
        ).add_to(groups["routes"])

    for _, row in hubs.iterrows():
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            tooltip=f"Hub {_esc(row['hub_id'])}: {_esc(row.get('name', ''))}",
            icon=folium.Icon(color="black", icon="truck", prefix="fa"),
        ).add_to(groups["hubs"])

    for group in groups.values():
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(kpi_panel_html(kpis)))
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return fmap
