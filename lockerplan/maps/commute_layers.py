"""The commute overlay of the coverage map: commute flows through the open sites.

With ``--on-the-way`` a plan covers commuters at work and on the way
(:mod:`lockerplan.ontheway`); :func:`draw_flows` draws them as flows from their
homes to the open site that serves them and on to their job cells, one line per
home-site and site-work pair (their parcels summed), its width growing with the
parcels. At most :data:`MAX_FLOWS` lines are drawn, the largest, so that the page
stays small on a city (the GeoPackage's ``commute_flows`` layer has them all).
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from .html import escape, num
from .js import DIGITS, JsLayer, page_json
from .layers import Layer, Swatch

#: Commute flow lines drawn at most (the largest by parcels).
MAX_FLOWS = 1500

#: Colours of the two legs of a flow.
HOME_LEG_COLOUR, WORK_LEG_COLOUR = "#7b3294", "#008837"

#: The overlay of a plan planned on the way, drawn above the site overlays and listed in
#: the legend only then.
COMMUTE_LAYERS: tuple[Layer, ...] = (
    Layer(
        "flows",
        "Commute flows through open sites (parcels/day)",
        legend=(
            Swatch("home to the site on the way", HOME_LEG_COLOUR, "line"),
            Swatch("site to work", WORK_LEG_COLOUR, "line"),
        ),
    ),
)


def flow_rows(flows: gpd.GeoDataFrame, limit: int = MAX_FLOWS) -> list[dict]:
    """The legs of the commute flows as map rows: ``c`` (two lat/lon pairs), ``w``
    (parcels/day), ``k`` (0 home leg, 1 work leg), ``t`` (tooltip); the ``limit``
    largest.

    Examples
    --------
    >>> import shapely
    >>> f = gpd.GeoDataFrame({"cluster_id": ["c1"], "site_id": ["site1"], "job_id": ["j1"],
    ...     "reached": ["on_the_way"], "way": ["transit"], "parcels_per_day": [2.5]},
    ...     geometry=[shapely.LineString([(0, 0), (1, 1), (2, 0)])], crs="EPSG:4326")
    >>> [(r["k"], r["w"]) for r in flow_rows(f)]
    [(0, 2.5), (1, 2.5)]
    """
    if flows is None or len(flows) == 0:
        return []
    xy = [np.asarray(g.coords) for g in flows.geometry]
    frame = pd.DataFrame(
        {
            "home": flows["cluster_id"].astype(str).to_numpy(),
            "site": flows["site_id"].astype(str).to_numpy(),
            "job": flows["job_id"].astype(str).to_numpy(),
            "reached": flows["reached"].astype(str).to_numpy(),
            "w": flows["parcels_per_day"].to_numpy(dtype=float),
            "a": [tuple(p[0]) for p in xy],
            "b": [tuple(p[1]) for p in xy],
            "c": [tuple(p[-1]) for p in xy],
        }
    )
    legs = [
        frame.groupby(["home", "site"], sort=False).agg(
            w=("w", "sum"), p=("a", "first"), q=("b", "first"), n=("w", "size")
        ),
        frame.groupby(["site", "job"], sort=False).agg(
            w=("w", "sum"), p=("b", "first"), q=("c", "first"), n=("w", "size")
        ),
    ]
    rows = []
    for k, (leg, what) in enumerate(zip(legs, ("home", "work"), strict=True)):
        for (a, b), r in leg.iterrows():
            place = f"from {escape(a)} to {escape(b)}" if k == 0 else f"{escape(a)} to {escape(b)}"
            rows.append(
                {
                    "c": [
                        [round(r.p[1], DIGITS), round(r.p[0], DIGITS)],
                        [round(r.q[1], DIGITS), round(r.q[0], DIGITS)],
                    ],
                    "w": round(float(r.w), 2),
                    "k": k,
                    "t": f"Commutes {place} ({what} leg): {int(r.n):,} commutes, "
                    f"{num(r.w, '{:,.1f}', 'parcels/day')}",
                }
            )
    rows.sort(key=lambda r: -r["w"])
    return rows[:limit]


def draw_flows(group: folium.FeatureGroup, flows: gpd.GeoDataFrame | None) -> None:
    """Commute flows through the open sites (:func:`flow_rows`), width by parcels/day.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    flows : geopandas.GeoDataFrame
        The plan's ``commute_flows`` (:func:`lockerplan.pipeline.commutes.flow_layer`).
    """
    rows = flow_rows(flows)
    build = f"""function (r) {{
        return L.polyline(r.c, {{color: r.k ? {page_json(WORK_LEG_COLOUR)} :
                {page_json(HOME_LEG_COLOUR)}, weight: Math.min(1 + Math.sqrt(r.w), 8),
                opacity: 0.55}}).bindTooltip(r.t);
    }}"""
    JsLayer(rows, build).add_to(group)
