"""The locker-prices overlays of the coverage map: the recommended discount and the
cost to serve per zone.

With ``--price-zones`` a plan prices locker delivery per square of its coverage grid
(:mod:`lockerplan.pricing`); :func:`draw_prices` draws each priced zone as its square,
coloured by the recommended discount on the sequential ramp of :data:`PRICE_COLOURS`
(zones where no discount pays are outlined only), with the zone's cost to serve at the
door and via a locker, its locker share now and at the discount, the parcels that
switch and the net saving in its tooltip. The numbers are those of ``pricing.csv``
(the plan's :attr:`~lockerplan.Plan.pricing_zones`). One row per zone is embedded
(numbers only, the tooltip is written in the page: about 190 bytes a zone), so the
page grows with the grid, not with the demand; at most :data:`MAX_ZONES` zones are
drawn, those with the most parcels (the GeoPackage's ``pricing_zones`` layer has
them all). :func:`draw_cost_to_serve` draws the same squares (the same rows, not
embedded again) coloured by the cost per parcel at the door, on the ramp of
:data:`COST_COLOURS` from the plan's cheapest zone to its dearest.
"""

from __future__ import annotations

import logging
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd

from .html import escape
from .js import JS_FORMATS, JsLayer, lat_lon_rings, page_json
from .layers import Layer, Swatch

log = logging.getLogger(__name__)

#: Priced zones drawn at most (those with the most parcels a day): about 1 MB of page.
MAX_ZONES = 5000

#: Sequential, colour-blind-safe ramp of the recommended discount (ColorBrewer YlGnBu),
#: from the smallest discount to the largest.
PRICE_COLOURS = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")

#: Steps of the discount (and cost) ramp drawn in the page.
PRICE_STEPS = 11

#: Sequential, colour-blind-safe ramp of the cost per parcel at the door (ColorBrewer
#: YlOrRd), from the plan's cheapest zone to its dearest.
COST_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")

#: Outline of a zone where no discount pays.
NO_DISCOUNT_COLOUR = "#999999"

#: The overlay of a priced plan, drawn above the site overlays, off when the page opens,
#: and listed in the legend only then.
PRICE_LAYERS: tuple[Layer, ...] = (
    Layer(
        "prices",
        "Locker prices (recommended discount per zone)",
        shown=False,
        legend=(
            Swatch(
                "discount on locker delivery",
                f"linear-gradient(90deg,{', '.join(PRICE_COLOURS)})",
                "ramp",
                ends=("small", "largest"),
            ),
            Swatch("no discount pays", f"transparent;border:1px solid {NO_DISCOUNT_COLOUR}", "box"),
        ),
    ),
    Layer(
        "cost_to_serve",
        "Cost to serve (per parcel at the door, per zone)",
        shown=False,
        legend=(
            Swatch(
                "cost per parcel at the door",
                f"linear-gradient(90deg,{', '.join(COST_COLOURS)})",
                "ramp",
                ends=("cheapest zone", "dearest"),
            ),
        ),
    ),
)

#: The columns of a priced zone read by the map (as in ``pricing.csv``).
PRICE_COLUMNS = (
    "zone",
    "door_cost_per_parcel",
    "locker_cost_per_parcel",
    "locker_share",
    "locker_share_at_discount",
    "discount",
    "switched_parcels_per_day",
    "net_saving_per_day",
)


def price_rows(zones: gpd.GeoDataFrame, limit: int = MAX_ZONES) -> list[dict[str, Any]]:
    """The priced zones as compact rows for :class:`~lockerplan.maps.js.JsLayer`: at
    most ``limit``, those with the most ``parcels_per_day`` (in the table's order).

    Keys: ``i`` zone id, ``q`` the square's corners (``[lat, lon]``), ``d`` discount,
    ``h`` door cost per parcel, ``l`` locker cost per parcel, ``s`` / ``a`` locker
    share now / at the discount, ``w`` parcels switched a day, ``n`` net saving a day;
    the numbers as in ``pricing.csv``.

    Examples
    --------
    >>> import shapely
    >>> z = gpd.GeoDataFrame({"zone": ["E0_N0"], "door_cost_per_parcel": [1.5],
    ...     "locker_cost_per_parcel": [0.4], "locker_share": [0.3],
    ...     "locker_share_at_discount": [0.35], "discount": [0.2],
    ...     "switched_parcels_per_day": [1.25], "net_saving_per_day": [0.8]},
    ...     geometry=[shapely.box(24.0, 60.0, 24.01, 60.01)], crs="EPSG:4326")
    >>> {k: v for k, v in price_rows(z)[0].items() if k != "q"}
    {'i': 'E0_N0', 'd': 0.2, 'h': 1.5, 'l': 0.4, 's': 0.3, 'a': 0.35, 'w': 1.25, 'n': 0.8}
    """
    missing = [c for c in PRICE_COLUMNS if c not in zones.columns]
    if missing:
        raise ValueError(f"priced zones: missing column(s) {', '.join(missing)}")
    frame = zones.to_crs("EPSG:4326") if zones.crs is not None else zones
    if len(frame) > limit:
        kept = frame.index[:limit]
        if "parcels_per_day" in frame.columns:
            parcels = frame["parcels_per_day"].sort_values(ascending=False, kind="stable")
            kept = parcels.index[:limit]
        log.info("map: %d of %d priced zones drawn (the most parcels)", limit, len(frame))
        frame = frame.loc[frame.index.isin(kept)]
    keys = ("d", "h", "l", "s", "a", "w", "n")
    columns = PRICE_COLUMNS[5:6] + PRICE_COLUMNS[1:5] + PRICE_COLUMNS[6:]
    rows = []
    for row in frame.itertuples():
        if row.geometry is None or row.geometry.is_empty:
            continue
        rows.append(
            {"i": escape(row.zone), "q": lat_lon_rings(row.geometry)[0][0]}
            | {k: float(getattr(row, c)) for k, c in zip(keys, columns, strict=True)}
        )
    return rows


def _price_palette(colours: tuple[str, ...] = PRICE_COLOURS) -> list[str]:
    """:data:`PRICE_STEPS` colours of a ramp, smallest to largest."""
    ramp = cm.LinearColormap(list(colours), vmin=0.0, vmax=1.0)
    return [ramp(k / (PRICE_STEPS - 1))[:7] for k in range(PRICE_STEPS)]


def draw_prices(
    group: folium.FeatureGroup, zones: gpd.GeoDataFrame, currency: str = "EUR"
) -> JsLayer:
    """Priced zones as grid squares coloured by the recommended discount.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on.
    zones : geopandas.GeoDataFrame
        The plan's :attr:`~lockerplan.Plan.pricing_zones` (the columns of
        ``pricing.csv`` with each zone's square).
    currency : str, default "EUR"
        The plan's currency, shown with the money figures.

    Returns
    -------
    JsLayer
    """
    rows = price_rows(zones)
    top = max((r["d"] for r in rows), default=0.0) or 1.0
    cell_m = zones.attrs.get("cell_m")
    size = f" ({cell_m:.0f} m)" if cell_m else ""
    build = f"""(function () {{ {JS_FORMATS}
        var P = {page_json(_price_palette())}, money = " " + {page_json(escape(currency))},
            size = {page_json(size)}, none = {page_json(NO_DISCOUNT_COLOUR)};
        return function (r) {{
            var c = r.d > 0 ? P[Math.round(r.d / {top} * {PRICE_STEPS - 1})] : none;
            var tip = "Zone " + r.i + size + ": " + (r.d > 0 ? "discount " + fmt(r.d, 2) + money +
                    " per locker parcel" : "no discount pays") +
                "<br>cost per parcel: at the door " + fmt(r.h, 3) + money + ", via a locker " +
                fmt(r.l, 3) + money +
                "<br>locker share: " + fmt(100 * r.s, 2) + " % now, " + fmt(100 * r.a, 2) +
                " % at the discount" +
                "<br>" + fmt(r.w, 3) + " parcels/day switch to lockers, net saving " +
                fmt(r.n, 2) + money + "/day";
            return L.polygon(r.q, {{color: c, weight: r.d > 0 ? 0.5 : 1, fillColor: c,
                    fillOpacity: r.d > 0 ? 0.45 : 0.04, className: "lp-price-zone"}})
                .bindTooltip(tip);
        }}; }})()"""
    layer = JsLayer(rows, build)
    layer.add_to(group)
    return layer


def draw_cost_to_serve(
    group: folium.FeatureGroup, prices: JsLayer, currency: str = "EUR"
) -> JsLayer:
    """The priced zones of :func:`draw_prices` coloured by the cost per parcel at the
    door (cheapest to dearest zone), with the cost via a locker in the tooltip.

    Parameters
    ----------
    group : folium.FeatureGroup
        The overlay to draw on (added to the map after the prices' group).
    prices : JsLayer
        What :func:`draw_prices` returned: its rows are drawn, not embedded again.
    currency : str, default "EUR"
        The plan's currency.

    Returns
    -------
    JsLayer
    """
    costs = [r["h"] for r in prices.rows]
    low, high = min(costs, default=0.0), max(costs, default=0.0)
    span = (high - low) or 1.0
    build = f"""(function () {{ {JS_FORMATS}
        var P = {page_json(_price_palette(COST_COLOURS))}, money = " " + {page_json(escape(currency))};
        return function (r) {{
            var c = P[Math.round((r.h - {low}) / {span} * {PRICE_STEPS - 1})];
            var tip = "Zone " + r.i + ": cost per parcel at the door " + fmt(r.h, 3) + money +
                ", via a locker " + fmt(r.l, 3) + money;
            return L.polygon(r.q, {{color: c, weight: 0.5, fillColor: c, fillOpacity: 0.45,
                    className: "lp-cost-zone"}}).bindTooltip(tip);
        }}; }})()"""
    layer = JsLayer(prices.rows, build, source=prices)
    layer.add_to(group)
    return layer
