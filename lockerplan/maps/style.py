"""Colours, icons and labels of the coverage map (shared by the layers and the panel).

The colours that carry meaning are colour-blind safe (Okabe and Ito's palette,
ColorBrewer's diverging orange-blue): covered demand is blue, demand not covered
orange and also drawn differently (a dashed ring), cabinets sky blue, pickup
points reddish purple, each with its own glyph.
"""

from __future__ import annotations

#: Line colours of the van routes, one per van (cycled).
#: (Paul Tol's muted palette: none of them the blue or orange of covered / not covered.)
ROUTE_COLOURS = [
    "#882255",
    "#117733",
    "#332288",
    "#999933",
    "#aa4499",
    "#44aa99",
    "#661100",
    "#6699cc",
]
#: Colour names of an open site, by kind (kept for scripts; the map uses KIND_CSS).
KIND_COLOURS = {"cabinet": "blue", "pickup_point": "purple"}
#: The colour of an open site and its catchment, by kind (Okabe-Ito sky blue, reddish purple).
KIND_CSS = {"cabinet": "#56b4e9", "pickup_point": "#cc79a7"}
#: Site kinds as readers see them.
KIND_LABELS = {"cabinet": "cabinet", "pickup_point": "pickup point"}
#: Font Awesome icon of an open site, by kind.
KIND_ICONS = {"cabinet": "inbox", "pickup_point": "store"}
#: Covered demand (Okabe-Ito blue): filled circles.
COVERED_COLOUR = "#0072b2"
#: Demand not covered (Okabe-Ito orange): dashed rings, lightly filled.
UNCOVERED_COLOUR = "#e69f00"
CANDIDATE_COLOUR = "#666666"
UNDERSERVED_COLOUR = "#e6550d"
HUB_COLOUR = "#303030"


def translucent(colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r,g,b,alpha)``.

    Examples
    --------
    >>> translucent("#56b4e9", 0.3)
    'rgba(86,180,233,0.3)'
    """
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


#: Coverage-share ramp of the grid cells, from 0 to 1 (ColorBrewer PuOr-like orange to blue).
SHARE_COLOURS = ["#e66101", "#fee0b6", "#0571b0"]
#: Colour ramp of the demand heat maps (Leaflet.heat ``gradient``; ColorBrewer YlOrRd,
#: colour-blind safe), from the faintest to the densest demand.
HEAT_GRADIENT = {0.2: "#ffffb2", 0.45: "#fecc5c", 0.7: "#fd8d3c", 0.85: "#f03b20", 1.0: "#bd0026"}
#: A rival network's sites: Okabe-Ito yellow squares with a black edge (colour-blind
#: safe, unlike any other marker); contested areas are ringed in black.
COMPETITOR_COLOUR = "#f0e442"
CONTESTED_COLOUR = "#000000"
