"""The KPI panel of the coverage map and its legend.

The panel reads a :class:`~lockerplan.records.Kpis` record (a dict is turned into
one first) and writes the rows of its view (:func:`lockerplan.records.line_rows`:
the same sentences as the printed summary, each number written by its figure of
:mod:`lockerplan.figures`), then lockers against door-to-door from the figures of
the business case (or of the two days of routes) that have the ``"panel"`` view.
The legend is read from :data:`lockerplan.maps.layers.LAYER_TABLE`, so every
overlay brings its own entries.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd

from ..figures import DELIVERY_FIGURES, SIDE_FIGURES, Figure, missing
from ..records import Kpis, line_rows
from .commute_layers import COMMUTE_LAYERS
from .html import OSM_ATTRIBUTION_HTML, escape, num, table_html
from .layers import COMPETITOR_LAYERS, LAYER_TABLE, Layer, Swatch, layer_table
from .price_layers import PRICE_LAYERS
from .style import KIND_LABELS


def _figure(value: Any) -> bool:
    """Whether a comparison value is a figure worth a row: present and not zero.

    A :class:`~lockerplan.records.Delivery` made from a partial dict holds 0.0 (or
    None) for the figures the dict did not have.

    Examples
    --------
    >>> _figure(1.5), _figure(0.0), _figure(None)
    (True, False, False)
    """
    if missing(value):
        return False
    try:
        return float(value) != 0
    except (TypeError, ValueError):
        return True


def _comparison_html(kpis: Kpis) -> str:
    """The with-lockers vs door-to-door table, or "" without both sides.

    With a business case (lockers plus home delivery of the rest against every
    parcel to the door) its figures are shown; else the replenishment routes
    against the door-to-door routes. A row per figure of the ``"panel"`` view
    that either side has: the figure's heading (label and unit), its number on each side
    and the change.
    """
    bc = kpis.business_case
    table: dict[str, Figure]
    if bc is not None:
        pairs, table = (bc.with_lockers, bc.door_to_door), SIDE_FIGURES
        title = "With lockers vs door-to-door (same parcels)"
    elif kpis.lockers is not None and kpis.door_to_door is not None:
        pairs, table = (kpis.lockers, kpis.door_to_door), DELIVERY_FIGURES
        title = "Lockers vs door-to-door"
    else:
        return ""
    rows = []
    for key, fig in table.items():
        a, b = (getattr(side, key) for side in pairs)
        if "panel" not in fig.views or not (_figure(a) or _figure(b)):
            continue
        change = "\u2013"
        if not missing(a) and not missing(b) and float(b) != 0:
            change = f"{100 * (float(a) - float(b)) / abs(float(b)):+.0f} %"
        cells = "".join(f"<td>{escape(fig.number(v))}</td>" for v in (a, b))
        rows.append(
            f"<tr><th>{escape(fig.heading(kpis.currency, side=False))}</th>{cells}<td>{change}</td></tr>"
        )
    if not rows:
        return ""
    return (
        f"<div class='lp-section'>{escape(title)}</div>"
        "<table class='lp-table lp-compare'><tr><th></th><th>Lockers</th>"
        f"<th>Door-to-door</th><th>Change</th></tr>{''.join(rows)}</table>"
    )


def _swatch_html(s: Swatch) -> str:
    """One legend entry; a ramp with end labels reads ``0 % [ramp] 100 % label``."""
    paint = f"border-color:{s.css}" if s.shape == "ring" else f"background:{s.css}"
    sw = f"<span class='lp-sw lp-{escape(s.shape)}' style='{escape(paint)}'></span>"
    if len(s.ends) == 2:
        first, last = (f"<span class='lp-end'>{escape(e)}</span>" for e in s.ends)
        return f"{first}{sw}{last} {escape(s.label)}"
    return f"{sw}{escape(s.label)}"


def legend_html(layers: Iterable[Layer] = LAYER_TABLE) -> str:
    """The legend: every entry of every layer, in the layers' order.

    Parameters
    ----------
    layers : iterable of Layer, default LAYER_TABLE
        The overlays whose :attr:`Layer.legend` entries are shown.

    Returns
    -------
    str
        HTML; labels and swatch CSS are escaped.

    Examples
    --------
    >>> from lockerplan.maps.layers import Layer, Swatch
    >>> legend_html([Layer("hubs", "Hubs", legend=(Swatch("hub", "#303030", "pin"),))])
    "<div class='lp-legend'><div><span class='lp-sw lp-pin' style='background:#303030'></span>hub</div></div>"
    """
    items = [_swatch_html(s) for layer in layers for s in layer.legend]
    return "<div class='lp-legend'>" + "".join(f"<div>{i}</div>" for i in items) + "</div>"


def _sites_text(kpis: Kpis, sites: gpd.GeoDataFrame | None) -> str:
    """``"6 (4 cabinets, 2 pickup points)"``: the open sites, by kind when known."""
    if kpis.sites_open or sites is None:
        text = escape(kpis.sites_text)
    else:  # a partial record without the count: count the sites given
        text = num(len(sites), "{:,.0f}")
    if sites is not None and len(sites) and "kind" in sites.columns:
        counts = sites["kind"].value_counts()
        parts = [
            f"{int(counts[k])} {KIND_LABELS.get(k, str(k))}{'s' if counts[k] != 1 else ''}"
            for k in counts.index
        ]
        text += f" ({escape(', '.join(parts))})"
    return text


def _legend_layers(kpis: Kpis, sites: Any) -> tuple[Layer, ...]:
    """The overlays the legend lists: the plan's, with competitors', commutes' and
    locker prices' when it has them."""
    extra = (
        (COMPETITOR_LAYERS if kpis.competitor_sites else ())
        + (COMMUTE_LAYERS if kpis.on_the_way is not None else ())
        + (PRICE_LAYERS if kpis.pricing is not None else ())
    )
    return layer_table(sites) + extra


def kpi_panel_html(
    kpis: Kpis | Mapping[str, Any],
    sites: gpd.GeoDataFrame | None = None,
    equity: dict[str, Any] | None = None,
    extra: str = "",
) -> str:
    """The KPI panel shown in the map's lower-left corner: the headline figures
    (:func:`kpi_strip_html`) and the legend first, so both show without
    scrolling, then every figure (closed at first on a phone) and the map's credit.

    Parameters
    ----------
    kpis : Kpis or dict
        A plan's key figures (:attr:`lockerplan.Plan.kpis`); a (partial) dict
        is read with :meth:`Kpis.from_dict`. Shown: the rows of the ``"panel"``
        view (:data:`lockerplan.figures.LINES`: sites open, coverage, mean walk,
        walking cutoff, the solver when ``solver_status`` is set, van routes, cost
        per parcel when ``cost_per_parcel`` or ``lockers.cost_per_parcel`` is known,
        demand scenarios, underserved cells), and lockers vs door-to-door when the
        plan has a business case, or both ``lockers`` and ``door_to_door`` (a row
        per figure either side has).
    sites : geopandas.GeoDataFrame, optional
        Open sites, to count them by kind.
    equity : dict, optional
        From :func:`lockerplan.equity.equity_summary`; ``kpis.equity`` when omitted.
    extra : str, optional
        HTML inserted before the legend (the what-if section,
        :func:`lockerplan.maps.whatif.whatif_html`), as given.

    Returns
    -------
    str
        HTML; every value is escaped.
    """
    kpis = Kpis.from_dict(kpis)
    if equity is not None:
        kpis = dataclasses.replace(kpis, equity=equity)
    rows = [
        (
            escape(label.capitalize()),
            _sites_text(kpis, sites) if label == "sites open" else escape(text),
        )
        for label, text in line_rows(kpis, "panel")
    ]
    return (
        f"<div class='lp-head'><b>{escape(kpis.name or 'lockerplan')}</b> \u2013 coverage "
        f"plan</div>{kpi_strip_html(kpis)}{legend_html(_legend_layers(kpis, sites))}"
        f"<details open class='lp-more'><summary>All figures</summary>{table_html(rows)}"
        f"{extra}{_comparison_html(kpis)}<div class='lp-note'>Walking distances along the "
        "street network.</div></details>"
        f"<div class='lp-note lp-credit'>Map data {OSM_ATTRIBUTION_HTML}.</div>"
    )


def kpi_strip_html(kpis: Kpis) -> str:
    """The headline figures in large type: coverage, sites, mean walk, cost per parcel.

    Shown at the top of the panel on every screen (the rest of the panel starts
    closed on a phone).

    Examples
    --------
    >>> "83.8 %" in kpi_strip_html(Kpis(coverage_share=0.838, sites_open=6))
    True
    """
    cost = kpis.cost_per_parcel
    if missing(cost) and kpis.lockers is not None:
        cost = kpis.lockers.cost_per_parcel
    tiles = [
        (
            "covered",
            num(None if missing(kpis.coverage_share) else 100 * kpis.coverage_share, "{:.1f}", "%"),
        ),
        ("sites", num(kpis.sites_open, "{:,.0f}")),
        ("mean walk", num(kpis.mean_walk_m, "{:,.0f}", "m")),
        (f"{escape(kpis.currency or '')}/parcel".lstrip("/"), num(cost, "{:,.2f}")),
    ]
    cells = "".join(
        f"<div class='lp-tile'><span class='lp-big'>{value}</span><span>{label}</span></div>"
        for label, value in tiles
    )
    return f"<div class='lp-strip'>{cells}</div>"


def map_title(kpis: Kpis, when: datetime.date | None = None) -> str:
    """The map's title: the area, the scenario and the date, as HTML.

    Examples
    --------
    >>> k = Kpis(name="helsinki", osm="Helsinki.osm.pbf", model="mclp", sites_limit=6, walk_m=400)
    >>> map_title(k, datetime.date(2026, 12, 7))
    "<b>Helsinki</b> \u2013 parcel lockers<br><span class='lp-sub'>helsinki: mclp, 6 sites, 400 m walk \u2013 7 December 2026</span>"
    """
    when = when or datetime.date.today()
    osm = kpis.osm if isinstance(kpis.osm, str) else ""
    area = osm.split("/")[-1].split(".")[0].replace("_", " ") if osm else ""
    area = area or (kpis.name or "lockerplan")
    area = area[:1].upper() + area[1:]
    sites = kpis.sites_limit or kpis.sites_open
    parts = [
        escape(kpis.model) if kpis.model else "",
        f"{num(sites, '{:,.0f}')} sites" if not missing(sites) and sites else "",
        f"{num(kpis.walk_m, '{:,.0f}')} m walk" if not missing(kpis.walk_m) else "",
    ]
    scenario = ", ".join(p for p in parts if p)
    name = escape(kpis.name) if kpis.name else ""
    label = f"{name}: {scenario}" if name and scenario else (name or scenario)
    day = f"{when.day} {when.strftime('%B %Y')}"
    return (
        f"<b>{escape(area)}</b> \u2013 parcel lockers<br><span class='lp-sub'>"
        f"{label} \u2013 {day}</span>"
    )
