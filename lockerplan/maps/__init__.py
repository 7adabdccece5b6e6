"""Interactive coverage maps (folium).

One self-contained HTML page per plan, for stakeholders who only open the map:

* every script and style inside the page (:mod:`~lockerplan.maps.assets`), so it
  opens offline and can be e-mailed;
* an OpenStreetMap base layer with the ODbL credit, and the plan's own streets as
  the base layer where tiles cannot load;
* overlays, one :class:`folium.FeatureGroup` each (see :data:`LAYERS`): coverage
  share per grid cell, underserved areas (demand beyond the walking cutoff), a
  demand heat map, walking catchments, demand clusters sized by parcels and
  coloured covered / not covered, candidate sites, van routes coloured per van,
  open sites by kind with popups, and hubs;
* a layer control, a full-screen button, a scale bar, and a KPI panel
  with the legend (coverage, sites, cost per parcel, lockers vs door-to-door when
  the plan has those figures).

Every text that comes from OSM or from the user is HTML-escaped exactly once
before it reaches the page (:func:`escape`); folium inserts tooltip and popup
HTML into JavaScript template literals unescaped, so the escape also
neutralises backticks, ``$`` and backslashes.

The page's size does not grow with the number of demand points: the vector
overlays are drawn in the browser from compact rows (:mod:`~lockerplan.maps.js`);
above :data:`DETAIL_LIMIT` demand points demand is drawn per coverage cell, above
:data:`CLUSTER_SITES` open sites their markers cluster and the catchments merge per
kind (Porto Alegre, 1,115 demand points and 100 sites: 9.8 MB before, 1.3 MB now).
On screens narrower than 700 px the layer control and the panel start closed.

The modules: :mod:`~lockerplan.maps.base` is the frame of every map (base layer,
controls); :mod:`~lockerplan.maps.coverage` draws a plan (:func:`coverage_map`,
:func:`plan_map`); :mod:`~lockerplan.maps.layers` draws the overlays (one
``draw_<key>`` each) and holds :data:`LAYER_TABLE`, from which :data:`LAYERS`,
:data:`HIDDEN_LAYERS` and the legend are read; :mod:`~lockerplan.maps.panel` writes
the KPI panel from a :class:`~lockerplan.records.Kpis` record;
:mod:`~lockerplan.maps.names` names unnamed places by their nearest street;
:mod:`~lockerplan.maps.whatif` embeds the coverage data and the script that open and
close sites in the page (the figures of :meth:`lockerplan.Plan.evaluate`);
:mod:`~lockerplan.maps.compare` draws two plans of one study area on one page
(:func:`comparison_map`, ``lockerplan compare``);
:mod:`~lockerplan.maps.html` holds the text helpers and
:mod:`~lockerplan.maps.style` the colours.
"""

from __future__ import annotations

from .base import add_controls, base_map
from .compare import comparison_map
from .coverage import coverage_map, plan_map
from .html import OSM_ATTRIBUTION_HTML, escape
from .layers import (
    CLUSTER_SITES,
    DETAIL_LIMIT,
    HIDDEN_LAYERS,
    LAYER_TABLE,
    LAYERS,
    Layer,
    Swatch,
)
from .panel import kpi_panel_html, legend_html
from .style import (
    CANDIDATE_COLOUR,
    COVERED_COLOUR,
    KIND_COLOURS,
    KIND_CSS,
    KIND_ICONS,
    KIND_LABELS,
    ROUTE_COLOURS,
    SHARE_COLOURS,
    UNCOVERED_COLOUR,
    UNDERSERVED_COLOUR,
)

__all__ = [
    "CANDIDATE_COLOUR",
    "CLUSTER_SITES",
    "COVERED_COLOUR",
    "DETAIL_LIMIT",
    "HIDDEN_LAYERS",
    "KIND_COLOURS",
    "KIND_CSS",
    "KIND_ICONS",
    "KIND_LABELS",
    "LAYERS",
    "LAYER_TABLE",
    "OSM_ATTRIBUTION_HTML",
    "ROUTE_COLOURS",
    "SHARE_COLOURS",
    "UNCOVERED_COLOUR",
    "UNDERSERVED_COLOUR",
    "Layer",
    "Swatch",
    "add_controls",
    "base_map",
    "comparison_map",
    "coverage_map",
    "escape",
    "kpi_panel_html",
    "legend_html",
    "plan_map",
]
