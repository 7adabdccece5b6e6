"""Heat map and files for inspecting demand (``lockerplan demand``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from ..errors import InputError
from ..files import gis_safe, staged
from .core import (
    DemandResult,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- outputs


def demand_heatmap(
    points: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame | None = None,
    *,
    radius: int = 18,
    tiles_attribution: str | None = None,
) -> Any:
    """A folium heat map of parcels per day, with optional cluster markers.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Demand points with ``parcels_per_day`` (any source).
    clusters : geopandas.GeoDataFrame, optional
        Output of :func:`cluster_demand`, shown as a toggleable layer of circles with
        parcels, members and spread in the popup.
    radius : int, default 18
        Heat-map point radius, pixels.
    tiles_attribution : str, optional
        Attribution of the base map; default "© OpenStreetMap contributors".

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = demand_heatmap(result.points, clusters)  # doctest: +SKIP
    >>> m.save("demand.html")  # doctest: +SKIP
    """
    import html

    import folium
    from folium.plugins import HeatMap

    from ..maps.html import PAGE_CSS, _PanelControl
    from ..maps.style import HEAT_GRADIENT
    from ..settings import OSM_ATTRIBUTION

    if len(points) == 0:
        raise InputError("no demand points to map.")
    pts = points.to_crs("EPSG:4326")
    w, s, e, n = pts.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True)
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap", attr=tiles_attribution or OSM_ATTRIBUTION
    ).add_to(fmap)
    weights = pts["parcels_per_day"].to_numpy(dtype=float)
    top = float(np.quantile(weights, 0.99)) or 1.0
    data = np.column_stack([pts.geometry.y, pts.geometry.x, np.minimum(weights / top, 1.0)])
    HeatMap(
        data.tolist(),
        name="parcels per day",
        radius=radius,
        blur=radius,
        min_opacity=0.3,
        gradient=HEAT_GRADIENT,
    ).add_to(fmap)
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
    folium.LayerControl().add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(PAGE_CSS))
    _PanelControl(
        _heat_legend(top, clusters is not None and len(clusters) > 0), element_id="lp-demand-legend"
    ).add_to(fmap)
    fmap.fit_bounds([[s, w], [n, e]])
    return fmap


def _heat_legend(top: float, clusters: bool) -> str:
    """The demand map's legend: the heat ramp, what it scales to, the cluster circles.

    Examples
    --------
    >>> "0.85 parcels/day" in _heat_legend(0.85, clusters=False)
    True
    """
    from ..maps.html import OSM_ATTRIBUTION_HTML
    from ..maps.style import HEAT_GRADIENT

    ramp = f"linear-gradient(90deg,{', '.join(HEAT_GRADIENT.values())})"
    rows = [
        "<span class='lp-end'>fewer</span><span class='lp-sw lp-ramp' "
        f"style='background:{ramp}'></span><span class='lp-end'>more</span> parcels/day nearby",
        f"<span class='lp-note'>Each demand point weighs its parcels/day, full colour from "
        f"{top:,.2f} parcels/day (99th percentile); nearby points add up.</span>",
    ]
    if clusters:
        rows.append(
            "<span class='lp-sw lp-dot' style='background:#3388ff'></span>demand cluster "
            "(layer <i>clusters</i>; size: parcels/day)"
        )
    body = "".join(f"<div>{r}</div>" for r in rows)
    return (
        f"<details open><summary><b>Demand: parcels per day</b></summary>{body}"
        f"<div class='lp-note'>Map data {OSM_ATTRIBUTION_HTML}.</div></details>"
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
    result : DemandResult
        Points and drops.
    clusters : geopandas.GeoDataFrame, optional
        Output of :func:`cluster_demand`.

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
