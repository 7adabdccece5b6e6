"""The site overlays of the coverage map: catchments, candidate and open sites, van
routes and hubs.

One ``draw_<key>`` per row of :data:`~lockerplan.maps.layers.LAYER_TABLE`; above
:data:`~lockerplan.maps.layers.CLUSTER_SITES` open sites their markers cluster at low
zoom and the catchments merge per kind. :func:`site_popup` is the popup of an open
site (the comparison page shows it too).
"""

from __future__ import annotations

import math
import re
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from folium import plugins

from ..figures import missing
from .html import escape, lat_lon, num, plain_id, table_html
from .js import DIGITS, GroupHandle, JsLayer, lat_lon_rings, page_json, simplified
from .layers import CLUSTER_SITES, SIMPLIFY_M, column_value, phase_colour, place_label, site_names
from .style import (
    CANDIDATE_COLOUR,
    KIND_CSS,
    KIND_ICONS,
    KIND_LABELS,
    ROUTE_COLOURS,
)

_OSM_ID = re.compile(r"^(node|way|relation)/\d+$")


def _site_kinds(sites: gpd.GeoDataFrame) -> dict[str, Any]:
    """Site id -> kind."""
    if not len(sites) or "kind" not in sites.columns:
        return {}
    return dict(zip(sites["site_id"].astype(str), sites["kind"], strict=True))


def _catchment_rows(
    catchments: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, walk_m: float | None
) -> list[dict[str, Any]]:
    """One row per site (``g`` polygons, ``k`` kind, ``t`` tooltip, ``i`` the site's
    candidate id), or per kind at scale."""
    kinds = _site_kinds(sites)
    frame = catchments[~(catchments.geometry.isna() | catchments.geometry.is_empty)].copy()
    frame["kind"] = [kinds.get(str(sid), "cabinet") for sid in frame["site_id"]]
    within = f": streets within {float(walk_m):,.0f} m" if not missing(walk_m) else ""
    merged = len(frame) > CLUSTER_SITES
    if merged:
        counts = frame["kind"].value_counts()
        frame = frame.dissolve("kind", as_index=False)
        frame["tip"] = [
            f"Walking catchments of {counts[k]:,} {escape(KIND_LABELS.get(k, k))}s{within}"
            for k in frame["kind"]
        ]
    else:
        names = site_names(sites)
        frame["tip"] = [
            f"Walking catchment of {escape(sid)}"
            + (f" ({names[str(sid)]})" if names.get(str(sid)) else "")
            + within
            for sid in frame["site_id"]
        ]
    geoms = simplified(frame, SIMPLIFY_M[merged])
    order = list(KIND_CSS)
    ids = (
        {str(s): str(c) for s, c in zip(sites["site_id"], sites["candidate_id"], strict=True)}
        if ("candidate_id" in sites.columns and not merged)
        else {}
    )
    sids = frame["site_id"].astype(str) if not merged else [""] * len(frame)
    return [
        {
            "g": lat_lon_rings(geom),
            "k": order.index(kind) if kind in order else 0,
            "t": tip,
            **({"i": ids[sid]} if sid in ids else {}),
        }
        for geom, kind, tip, sid in zip(geoms, frame["kind"], frame["tip"], sids, strict=True)
        if geom is not None and not geom.is_empty
    ]


def draw_catchments(
    group: folium.FeatureGroup,
    catchments: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    walk_m: float | None = None,
) -> None:
    """Each open site's walking catchment, in the colour of its kind.

    Above :data:`CLUSTER_SITES` sites the catchments are dissolved into one shape
    per kind; they are simplified by :data:`SIMPLIFY_M` metres.

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
    GroupHandle("lockerplanCatchmentGroup").add_to(group)  # the what-if adds to it
    if not len(catchments):
        return
    build = f"""(function () {{ var K = {page_json(list(KIND_CSS.values()))};
        var drawn = window.lockerplanCatchments = window.lockerplanCatchments || {{}};
        return function (r) {{
            var c = K[r.k];
            var p = L.polygon(r.g, {{color: c, weight: 1, fillColor: c, fillOpacity: 0.15}})
                .bindTooltip(r.t, {{sticky: true}});
            if (r.i) {{ drawn[r.i] = p; }}
            return p;
        }}; }})()"""
    JsLayer(_catchment_rows(catchments, sites, walk_m), build).add_to(group)


def _toggle_button(candidate_id: Any, label: str) -> str:
    """The what-if button of a popup (see :mod:`lockerplan.maps.whatif`)."""
    return (
        f"<button type='button' class='lp-toggle-site' data-site-id='{escape(candidate_id)}'>"
        f"{escape(label)}</button>"
    )


def draw_candidates(
    group: folium.FeatureGroup, candidates: gpd.GeoDataFrame, toggles: bool = False
) -> None:
    """Every candidate site as a small grey dot.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    candidates : geopandas.GeoDataFrame
        With ``name`` (or a shown ``label``), ``kind``, ``category`` and ``source_id``.
    toggles : bool, default False
        Give each dot a popup with the what-if's "Open this site" button.
    """
    rows = []
    for _, row in candidates.iterrows():
        ll = lat_lon(row.geometry)
        if ll is None:
            continue
        kind = row.get("kind")
        tip = (
            f"Candidate {place_label(candidates, row)} ({escape(KIND_LABELS.get(kind, kind))}, "
            f"{escape(row.get('category'))}, {escape(row.get('source_id'))})"
        )
        row_js = {"c": [round(v, DIGITS) for v in ll], "t": tip}
        if toggles:
            row_js["b"] = _toggle_button(row.get("candidate_id"), "Open this site")
        rows.append(row_js)
    build = f"""function (r) {{
        var m = L.circleMarker(r.c, {{radius: 3, color: {page_json(CANDIDATE_COLOUR)},
                fill: true, fillOpacity: 0.8, weight: 1}}).bindTooltip(r.t);
        if (r.b) {{ m.bindPopup("<div class='lp-popup'>" + r.t + "<br>" + r.b + "</div>"); }}
        return m;
    }}"""
    JsLayer(rows, build).add_to(group)


def _route_tooltip(routes: gpd.GeoDataFrame, row: Any, van_capacity: float | None) -> str:
    """A route's van, hub, stops, parcels and trips (a van reloads at its hub between
    trips; one trip also says how full the van is), km and hours."""
    load = row.get("parcels")
    load_text = f"{num(load, '{:,.0f}')} parcels"
    trips = row.get("trips")
    if missing(trips) and van_capacity and not missing(load):
        trips = max(math.ceil(float(load) / float(van_capacity) - 1e-9), 1)
    if not missing(trips):
        trips = int(trips)
        load_text += f" in {trips} trip{'s' if trips != 1 else ''}"
        if trips == 1 and van_capacity and not missing(load):
            load_text += f" ({100 * float(load) / float(van_capacity):.0f} % of the van)"
    stops = row.get("stops")
    stop_ids = row.get("site_ids")
    return (
        f"Van {escape(row.get('route_id'))} from hub {escape(row.get('hub_id'))}: "
        f"{num(stops, '{:,.0f}')} stop{'s' if stops != 1 else ''}"
        + (f" ({escape(str(stop_ids).replace(';', ', '))})" if not missing(stop_ids) else "")
        + f", {load_text}, {num(row.get('km'), '{:,.1f}', 'km')}"
        + (f", {num(row.get('hours'), '{:,.1f}', 'h')}" if "hours" in routes.columns else "")
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
        Parcels per van: the number of trips when the routes have no ``trips``
        column, and how full the van is on a one-trip route.
    """
    geoms = simplified(routes, SIMPLIFY_M[0])
    for k, ((_, row), geom) in enumerate(zip(routes.iterrows(), geoms, strict=True)):
        if geom is None or geom.is_empty:
            continue
        lines = list(geom.geoms) if geom.geom_type.startswith("Multi") else [geom]
        tip = _route_tooltip(routes, row, van_capacity)
        for line in lines:
            coords = np.round(np.asarray(line.coords)[:, :2], DIGITS)
            folium.PolyLine(
                coords[:, ::-1].tolist(),
                color=ROUTE_COLOURS[k % len(ROUTE_COLOURS)],
                weight=4,
                opacity=0.8,
                tooltip=tip,
            ).add_to(group)


def site_popup(sites: gpd.GeoDataFrame, row: Any, toggles: bool = False) -> str:
    """The popup of an open site: ids, kind, capacity and utilisation when known, walk;
    with ``toggles`` the what-if's "Close this site" button."""
    name = place_label(sites, row)
    source = str(column_value(sites, row, "source", "") or "")
    source_id = column_value(sites, row, "source_id")
    if not missing(source_id) and _OSM_ID.match(str(source_id)):
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
    if not missing(column_value(sites, row, "category")):
        rows.append(("Category", escape(row["category"])))
    if not missing(column_value(sites, row, "phase")):
        rows.append(("Opens in phase", num(row["phase"], "{:,.0f}")))
    if bool(column_value(sites, row, "existing", False)):
        rows.append(("Existing locker", "yes"))
    assigned = column_value(sites, row, "parcels_per_day")
    capacity = column_value(sites, row, "capacity")
    if not missing(capacity):
        rows.append(("Capacity", num(capacity, "{:,.0f}", "parcels/day")))
    rows.append(
        ("Assigned", f"<span class='lp-assigned'>{num(assigned, '{:,.1f}', 'parcels/day')}</span>")
    )
    util = column_value(sites, row, "utilisation")
    if missing(util) and not missing(capacity) and float(capacity) > 0:
        util = (0.0 if missing(assigned) else float(assigned)) / float(capacity)
    if not missing(util):
        rows.append(("Utilisation", num(100 * float(util), "{:.0f}", "%")))
    if not missing(column_value(sites, row, "clusters")):
        rows.append(("Demand clusters", num(row["clusters"], "{:,.0f}")))
    rows.append(("Mean walk", num(column_value(sites, row, "mean_walk_m"), "{:,.0f}", "m")))
    button = _toggle_button(row["candidate_id"], "Close this site") if toggles else ""
    status = "<div class='lp-status'></div>" if toggles else ""  # what the what-if changed
    return (
        f"<div class='lp-popup'>{status}{table_html([(escape(k), v) for k, v in rows])}"
        f"{button}</div>"
    )


def site_icon(kind: Any, colour: str | None = None, text: str = "#fff") -> folium.DivIcon:
    """A site's pin: a Font Awesome glyph of its kind on a pin of ``colour``
    (the kind's colour by default); drawn by the page's own CSS (``lp-marker``)."""
    glyph = KIND_ICONS.get(kind, "inbox")
    colour = colour or KIND_CSS.get(kind, KIND_CSS["cabinet"])
    return folium.DivIcon(
        html=(
            f"<div class='lp-marker' style='background:{colour}'>"
            f"<i class='fa-solid fa-{glyph}' style='color:{text}'></i></div>"
        ),
        icon_size=(28, 28),
        icon_anchor=(14, 34),
        popup_anchor=(0, -30),
        class_name="lp-pin-icon",
    )


def _site_icon(row: Any, colour_by: str | None, top: int) -> folium.DivIcon:
    """A site's marker icon: coloured by kind, or by ``colour_by`` (a phase, 1..top)."""
    if colour_by is None:
        return site_icon(row.get("kind"))
    return site_icon(row.get("kind"), *phase_colour(int(row[colour_by]), top))


def draw_sites(
    group: folium.FeatureGroup,
    sites: gpd.GeoDataFrame,
    toggles: bool = False,
    colour_by: str | None = "phase",
) -> None:
    """Open sites as markers by kind, each with a popup (see ``_site_popup``).

    Site markers are drawn above the hubs' (a hub often stands where demand is
    densest, beside a site). Above :data:`CLUSTER_SITES` sites the markers are
    grouped at low zoom (Leaflet.markercluster); from zoom 16 each shows alone.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    sites : geopandas.GeoDataFrame
        With ``site_id``, ``name`` (or a shown ``label``), ``kind`` and the popup's
        optional columns (``source``, ``source_id``, ``category``, ``existing``,
        ``parcels_per_day``, ``capacity``, ``utilisation``, ``clusters``,
        ``mean_walk_m``).
    toggles : bool, default False
        Put the what-if's "Close this site" button in each popup (needs
        ``candidate_id``).
    colour_by : str or None, default "phase"
        A column of 1-based whole numbers (a roll-out's ``phase``) that colours the
        markers on a sequential ramp (:func:`phase_colour`; the legend reads
        :func:`layer_table`); by kind when the sites have no such column.
    """
    target: Any = group
    toggles = toggles and "candidate_id" in sites.columns
    colour_by = colour_by if colour_by in sites.columns and len(sites) else None
    top = int(sites[colour_by].max()) if colour_by else 0
    if len(sites) > CLUSTER_SITES:
        target = plugins.MarkerCluster(
            control=False,
            options={"disableClusteringAtZoom": 16, "maxClusterRadius": 50},
        ).add_to(group)
    for _, row in sites.iterrows():
        ll = lat_lon(row.geometry)
        if ll is None:
            continue
        kind = row.get("kind")
        folium.Marker(
            [round(v, DIGITS) for v in ll],
            popup=folium.Popup(site_popup(sites, row, toggles), max_width=340),
            tooltip=(
                f"{escape(row['site_id'])}: {place_label(sites, row)} "
                f"({escape(KIND_LABELS.get(kind, kind))})"
            ),
            icon=_site_icon(row, colour_by, top),
            title=f"Open site {plain_id(row['site_id'])}",
            z_index_offset=1000,
        ).add_to(target)


def draw_hubs(group: folium.FeatureGroup, hubs: gpd.GeoDataFrame) -> None:
    """Hubs (van depots) as dark square badges with a truck, centred on the hub.

    A badge rather than a pin, and below the site markers: a site's pin stands
    above its point, so a site at (or beside) a hub stays visible and clickable.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    hubs : geopandas.GeoDataFrame
        With ``hub_id`` and optionally ``name``.
    """
    for _, row in hubs.iterrows():
        ll = lat_lon(row.geometry)
        if ll is None:
            continue
        name = escape(row.get("name")) if "name" in hubs.columns else ""
        folium.Marker(
            [round(v, DIGITS) for v in ll],
            tooltip=f"Hub {escape(row.get('hub_id'))}" + (f": {name}" if name else ""),
            icon=folium.DivIcon(
                html="<div class='lp-hub'><i class='fa fa-truck'></i></div>",
                icon_size=(22, 22),
                icon_anchor=(11, 11),
                class_name="lp-hub-icon",
            ),
            title=f"Hub {plain_id(row.get('hub_id'))}",
        ).add_to(group)
