"""The KPI panel of the coverage map and its legend.

The panel reads a :class:`~lockerplan.pipeline.kpis.Kpis` record (a dict is turned
into one first). The legend is read from :data:`lockerplan.maps.layers.LAYER_TABLE`,
so every overlay brings its own entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd

from ..pipeline.kpis import Kpis
from .html import OSM_ATTRIBUTION_HTML, _missing, _num, _table, escape
from .layers import COMPETITOR_LAYERS, LAYER_TABLE, Layer, Swatch, layer_table
from .style import KIND_LABELS

#: Door-to-door comparison rows of the KPI panel: :class:`Delivery` field, label,
#: number format.
COMPARISON_ROWS = [
    ("km", "Van km", "{:,.1f}"),
    ("driver_hours", "Driver hours", "{:,.1f}"),
    ("vans", "Vans", "{:,.0f}"),
    ("stops", "Stops", "{:,.0f}"),
    ("cost_per_parcel", "Cost per parcel", "{:,.2f}"),
    ("cost", "Cost per day", "{:,.0f}"),
    ("co2_kg", "CO\u2082 kg/day", "{:,.1f}"),
    ("co2_g_per_parcel", "CO\u2082 g/parcel", "{:,.0f}"),
]


def _figure(value: Any) -> bool:
    """Whether a comparison value is a figure worth a row: present and not zero.

    A :class:`~lockerplan.pipeline.kpis.Delivery` made from a partial dict holds
    0.0 (or None) for the figures the dict did not have.

    Examples
    --------
    >>> _figure(1.5), _figure(0.0), _figure(None)
    (True, False, False)
    """
    if _missing(value):
        return False
    try:
        return float(value) != 0
    except (TypeError, ValueError):
        return True


#: Business-case rows of the KPI panel (both sides deliver the same parcels).
BUSINESS_ROWS = [
    ("parcels_per_day", "Parcels/day", "{:,.0f}"),
    ("locker_parcels_per_day", "at lockers", "{:,.0f}"),
    ("home_parcels_per_day", "delivered home", "{:,.0f}"),
    ("vans", "Vans", "{:,.0f}"),
    ("km", "Van km", "{:,.1f}"),
    ("driver_hours", "Driver hours", "{:,.1f}"),
    ("cost_per_day", "Cost per day", "{:,.0f}"),
    ("cost_per_parcel", "Cost per parcel", "{:,.2f}"),
    ("co2_kg_per_day", "CO\u2082 kg/day", "{:,.1f}"),
]


def _comparison_html(kpis: Kpis) -> str:
    """The with-lockers vs door-to-door table, or "" without both sides.

    With a business case (lockers plus home delivery of the rest against every
    parcel to the door) its figures are shown; else the replenishment routes
    against the door-to-door routes.
    """
    bc = kpis.business_case
    if bc is not None:
        pairs, table = (bc.with_lockers, bc.door_to_door), BUSINESS_ROWS
        title = "With lockers vs door-to-door (same parcels)"
    elif kpis.lockers is not None and kpis.door_to_door is not None:
        pairs, table = (kpis.lockers, kpis.door_to_door), COMPARISON_ROWS
        title = "Lockers vs door-to-door"
    else:
        return ""
    currency = escape(kpis.currency)
    rows = []
    for key, label, fmt in table:
        a, b = (getattr(side, key) for side in pairs)
        if not (_figure(a) or _figure(b)):
            continue
        unit = currency if key.startswith("cost") else ""
        change = "\u2013"
        if not _missing(a) and not _missing(b) and float(b) != 0:
            change = f"{100 * (float(a) - float(b)) / abs(float(b)):+.0f} %"
        rows.append(
            f"<tr><th>{escape(label)}</th><td>{_num(a, fmt, unit)}</td>"
            f"<td>{_num(b, fmt, unit)}</td><td>{change}</td></tr>"
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
    sw = f"<span class='lp-sw lp-{escape(s.shape)}' style='background:{escape(s.css)}'></span>"
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
        text = _num(len(sites), "{:,.0f}")
    if sites is not None and len(sites) and "kind" in sites.columns:
        counts = sites["kind"].value_counts()
        parts = [
            f"{int(counts[k])} {KIND_LABELS.get(k, str(k))}{'s' if counts[k] != 1 else ''}"
            for k in counts.index
        ]
        text += f" ({escape(', '.join(parts))})"
    return text


def kpi_panel_html(
    kpis: Kpis | Mapping[str, Any],
    sites: gpd.GeoDataFrame | None = None,
    equity: dict[str, Any] | None = None,
    extra: str = "",
) -> str:
    """The KPI panel and legend shown in the map's lower-left corner.

    Parameters
    ----------
    kpis : Kpis or dict
        A plan's key figures (:attr:`lockerplan.Plan.kpis`); a (partial) dict
        is read with :meth:`Kpis.from_dict`. Shown: coverage, walking cutoff, sites
        open, mean walk, van routes; cost per parcel when ``cost_per_parcel`` (or
        ``lockers.cost_per_parcel``) is known; the solver when ``solver_status`` is
        set; and lockers vs door-to-door when both ``lockers`` and ``door_to_door``
        are there (a row per figure either side has, see :data:`COMPARISON_ROWS`).
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
    equity = kpis.equity if equity is None else equity
    share = kpis.coverage_share
    rows = [
        (
            "Coverage",
            f"<b>{_num(None if _missing(share) else 100 * share, '{:.1f}', '%')}</b> of "
            f"{_num(kpis.demand_parcels_per_day, '{:,.0f}')} parcels/day",
        ),
        ("Walking cutoff", _num(kpis.walk_m, "{:,.0f}", "m")),
        ("Sites open", _sites_text(kpis, sites)),
        ("Mean walk", _num(kpis.mean_walk_m, "{:,.0f}", "m")),
    ]
    if kpis.competitor_sites:
        rows.insert(1, ("Competitors", escape(kpis.competitors_text)))
    for sc in kpis.scenarios or ():  # demand scenarios: the same network at each demand
        rows.append(
            (
                f"Demand {sc['name']} \u00d7{sc['factor']:g}",
                f"{_num(100 * sc['coverage_share'], '{:.1f}', '%')} served, overflow "
                f"{_num(sc['overflow_parcels_per_day'], '{:,.0f}')} parcels/day",
            )
        )
    cpp = kpis.locker_cost_per_parcel
    if cpp is not None:
        rows.append(("Cost per parcel", _num(cpp, "{:,.2f}", escape(kpis.currency))))
    rows.append(
        (
            "Van routes",
            f"{_num(kpis.vans_used, '{:,.0f}')} vans, {_num(kpis.route_km, '{:,.1f}', 'km')}, "
            f"{_num(kpis.route_hours, '{:,.1f}', 'h')}",
        )
    )
    if equity and equity.get("cells"):
        rows.append(
            (
                "Underserved",
                f"{equity['underserved_cells']} of {equity['cells']} cells "
                f"({_num(equity.get('cell_m'), '{:,.0f}', 'm')}), "
                f"{_num(equity.get('underserved_parcels_per_day'), '{:,.0f}')} parcels/day",
            )
        )
    if kpis.solver_status:
        rows.append(
            (
                "Solver",
                f"{escape(kpis.solver_status)} "
                f"(gap {_num(100 * (kpis.solver_gap or 0), '{:.2f}', '%')})",
            )
        )
    return (
        f"<details open><summary><b>{escape(kpis.name or 'lockerplan')}</b> \u2013 coverage "
        f"plan</summary>{_table([(escape(k), v) for k, v in rows])}{extra}"
        f"{_comparison_html(kpis)}{legend_html(layer_table(sites) + (COMPETITOR_LAYERS if kpis.competitor_sites else ()))}<div class='lp-note'>Walking distances along the street network. "
        f"Map data {OSM_ATTRIBUTION_HTML}.</div></details>"
    )
