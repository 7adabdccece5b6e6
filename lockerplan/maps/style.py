"""Colours, icons and labels of the coverage map (shared by the layers and the panel)."""

from __future__ import annotations

#: Line colours of the van routes, one per van (cycled).
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
#: Colour names of an open site, by kind (kept for scripts; the map uses KIND_CSS).
KIND_COLOURS = {"cabinet": "blue", "pickup_point": "purple"}
#: The same colours as CSS (for the legend and the catchments).
KIND_CSS = {"cabinet": "#38a9dc", "pickup_point": "#d252b9"}
#: Site kinds as readers see them.
KIND_LABELS = {"cabinet": "cabinet", "pickup_point": "pickup point"}
#: Font Awesome icon of an open site, by kind.
KIND_ICONS = {"cabinet": "inbox", "pickup_point": "store"}
COVERED_COLOUR = "#2ca02c"
UNCOVERED_COLOUR = "#d62728"
CANDIDATE_COLOUR = "#666666"
UNDERSERVED_COLOUR = "#e6550d"
HUB_COLOUR = "#303030"
#: Coverage-share ramp of the grid cells, from 0 to 1.
SHARE_COLOURS = ["#d73027", "#fee08b", "#1a9850"]
#: Colour ramp of the demand heat maps (Leaflet.heat ``gradient``; ColorBrewer YlOrRd,
#: colour-blind safe), from the faintest to the densest demand.
HEAT_GRADIENT = {0.2: "#ffffb2", 0.45: "#fecc5c", 0.7: "#fd8d3c", 0.85: "#f03b20", 1.0: "#bd0026"}
#: A rival network's sites: Okabe-Ito yellow squares with a black edge (colour-blind
#: safe, unlike any other marker); contested areas are ringed in black.
COMPETITOR_COLOUR = "#f0e442"
CONTESTED_COLOUR = "#000000"
