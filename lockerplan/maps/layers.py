"""The overlays of the coverage map: one table row each, and what their drawings share.

:data:`LAYER_TABLE` lists the overlays in drawing order (bottom to top) with the
name shown in the layer control, whether the overlay starts ticked, and its legend
entries; :data:`LAYERS`, :data:`HIDDEN_LAYERS` and the panel's legend
(:func:`lockerplan.maps.panel.legend_html`) are read from it. Each overlay is drawn
by one ``draw_<key>(group, ...)`` function: the demand overlays in
:mod:`~lockerplan.maps.demand_layers`, the site overlays in
:mod:`~lockerplan.maps.site_layers`. A new overlay is one row in the table, one
``draw_<key>`` function and one call in :func:`lockerplan.maps.coverage_map`.

Examples
--------
>>> from lockerplan.maps.layers import HIDDEN_LAYERS, LAYERS
>>> list(LAYERS)[:3], LAYERS["sites"]
(['cells', 'underserved', 'heat'], 'Open sites')
>>> sorted(HIDDEN_LAYERS)
['candidates', 'cells', 'heat', 'underserved']

Size: the page does not grow with the number of demand points. Above
:data:`DETAIL_LIMIT` demand points (clusters) the heat map and the demand overlay
are drawn per coverage cell (the plan's own ``coverage_cells``, embedded once and
shared by three overlays, see :class:`~lockerplan.maps.js.JsLayer`); above
:data:`CLUSTER_SITES` open sites their markers cluster at low zoom and the
catchments are dissolved per kind. Polygons and lines are simplified by
:data:`SIMPLIFY_M` metres (catchments and routes follow streets: 1 m keeps what a
street-level zoom shows) and every coordinate is rounded to 6 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import branca.colormap as cm
import geopandas as gpd
import pandas as pd

from ..figures import missing
from .html import escape
from .style import (
    CANDIDATE_COLOUR,
    COMPETITOR_COLOUR,
    COVERED_COLOUR,
    HEAT_GRADIENT,
    HUB_COLOUR,
    KIND_CSS,
    KIND_LABELS,
    ROUTE_COLOURS,
    SHARE_COLOURS,
    UNCOVERED_COLOUR,
    translucent,
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
        ``dot``, ``ring`` (dashed, ``css`` its colour), ``pin``, ``box``, ``line`` or
        ``ramp`` (the ``lp-<shape>`` CSS class).
    ends : tuple of str, default ()
        Labels of a ramp's two ends (e.g. ``("0 %", "100 %")``), shown either side.
    """

    label: str
    css: str
    shape: str = "dot"
    ends: tuple[str, ...] = ()


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
        Its entries in the panel's legend.
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
            Swatch(
                "parcels covered per cell",
                f"linear-gradient(90deg,{', '.join(SHARE_COLOURS)})",
                "ramp",
                ends=("0 %", "100 %"),
            ),
        ),
    ),
    Layer(
        "underserved",
        "Underserved areas (demand beyond the cutoff)",
        shown=False,
        legend=(Swatch("underserved area", "rgba(230,85,13,.5)", "box"),),
    ),
    Layer(
        "heat",
        "Demand heat map",
        shown=False,
        legend=(
            Swatch(
                "demand (parcels/day per square)",
                f"linear-gradient(90deg,{', '.join(HEAT_GRADIENT.values())})",
                "ramp",
                ends=("fewer", "more"),
            ),
        ),
    ),
    Layer(
        "catchments",
        "Walking catchments",
        legend=(
            Swatch(
                f"{KIND_LABELS['cabinet']} catchment",
                translucent(KIND_CSS["cabinet"], 0.3),
                "box",
            ),
            Swatch(
                f"{KIND_LABELS['pickup_point']} catchment",
                translucent(KIND_CSS["pickup_point"], 0.3),
                "box",
            ),
        ),
    ),
    Layer(
        "demand",
        "Demand clusters (parcels/day)",
        legend=(
            Swatch("covered demand", COVERED_COLOUR),
            Swatch("not covered (dashed ring)", UNCOVERED_COLOUR, "ring"),
        ),
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
    Layer("hubs", "Hubs", legend=(Swatch("hub (van depot)", HUB_COLOUR, "box"),)),
)


#: Sequential, colour-blind-safe ramp (viridis) of the roll-out phases, first to last.
PHASE_COLOURS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def phase_colour(phase: int, phases: int) -> tuple[str, str]:
    """The marker colour of a roll-out phase (1-based, of ``phases``) and its glyph colour.

    Examples
    --------
    >>> phase_colour(1, 3), phase_colour(3, 3)
    (('#440154', '#ffffff'), ('#fde725', '#222222'))
    """
    t = (phase - 1) / (phases - 1) if phases > 1 else 0.0
    colour = cm.LinearColormap(list(PHASE_COLOURS))(min(max(t, 0.0), 1.0))[:7]
    return colour, "#ffffff" if t < 0.6 else "#222222"


def layer_table(sites: gpd.GeoDataFrame | None = None) -> tuple[Layer, ...]:
    """:data:`LAYER_TABLE`, with the open sites' legend by roll-out phase when the
    sites have a ``phase`` column (see :func:`draw_sites`)."""
    if sites is None or "phase" not in sites.columns or not len(sites):
        return LAYER_TABLE
    n = int(sites["phase"].max())
    legend = tuple(
        Swatch(f"phase {k}" + (" (opens first)" if k == 1 else ""), phase_colour(k, n)[0], "pin")
        for k in range(1, n + 1)
    )
    return tuple(
        Layer(layer.key, layer.name, layer.shown, legend) if layer.key == "sites" else layer
        for layer in LAYER_TABLE
    )


#: Overlays of a plan with competitors (:mod:`lockerplan.competitors`), drawn above
#: :data:`LAYER_TABLE`'s and listed in the legend only when a plan has competitors.
COMPETITOR_LAYERS: tuple[Layer, ...] = (
    Layer(
        "contested",
        "Contested areas (a competitor and one of our sites within the walk)",
        legend=(Swatch("contested demand", "transparent;border:2px dashed #000", "dot"),),
    ),
    Layer(
        "competitors",
        "Competitor sites",
        legend=(Swatch("competitor site", COMPETITOR_COLOUR, "box"),),
    ),
)


#: Above this many demand points (or clusters) demand is drawn per coverage cell.
DETAIL_LIMIT = 3000


#: Above this many open sites their markers cluster and catchments merge per kind.
CLUSTER_SITES = 30


#: Simplification of catchments and routes, metres: per site / merged per kind.
SIMPLIFY_M = (1.0, 5.0)


#: Steps of the coverage colour ramp drawn in the page (0 %, 10 %, ... 100 %).
SHARE_STEPS = 11


#: Overlay layers by key, in drawing order; the values are the layer-control names.
LAYERS = {layer.key: layer.name for layer in LAYER_TABLE}


#: Overlays that start hidden (ticked off in the layer control).
HIDDEN_LAYERS = frozenset(layer.key for layer in LAYER_TABLE if not layer.shown)


def column_value(frame: pd.DataFrame, row: Any, name: str, default: Any = None) -> Any:
    """``row[name]`` when ``frame`` has that column, else ``default``."""
    return row[name] if name in frame.columns else default


def place_label(frame: pd.DataFrame, row: Any) -> str:
    """A site's or candidate's name as shown: ``label`` (see :mod:`.names`), ``name``, or
    "unnamed"; escaped."""
    for col in ("label", "name"):
        value = column_value(frame, row, col)
        if not missing(value) and str(value).strip():
            return escape(value)
    return "unnamed"


def site_names(sites: gpd.GeoDataFrame) -> dict[str, str]:
    """Site id -> shown name, escaped ("" when unnamed)."""
    if not len(sites) or "site_id" not in sites.columns:
        return {}
    return {
        str(row["site_id"]): ("" if (text := place_label(sites, row)) == "unnamed" else text)
        for _, row in sites.iterrows()
    }
