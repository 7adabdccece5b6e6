"""The frame every lockerplan map is drawn in: the base layer and the controls.

:func:`base_map` is an empty map on the study area with the OpenStreetMap layer and
its ODbL credit; :func:`add_controls` adds the layer control (collapsed on small
screens), the fullscreen button and the mini map. The plan map
(:mod:`~lockerplan.maps.coverage`) and the comparison page
(:mod:`~lockerplan.maps.compare`) are both drawn in it.
"""

from __future__ import annotations

import folium
from folium import plugins

from .html import OSM_ATTRIBUTION_HTML, SmallScreen


def base_map(bounds: list[list[float]] | None) -> folium.Map:
    """An empty map centred on ``bounds`` (the world without), OSM tiles with credit."""
    centre = (
        [round((bounds[0][0] + bounds[1][0]) / 2, 6), round((bounds[0][1] + bounds[1][1]) / 2, 6)]
        if bounds
        else [0.0, 0.0]
    )
    fmap = folium.Map(
        location=centre, zoom_start=15 if bounds else 2, tiles=None, control_scale=True
    )
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION_HTML, control=True
    ).add_to(fmap)
    return fmap


def add_controls(fmap: folium.Map, minimap: bool) -> None:
    """The layer control (collapsed on small screens), the fullscreen button and
    (optionally) the mini map."""
    control = folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    SmallScreen(control).add_to(fmap)
    plugins.Fullscreen(
        position="topleft", title="Full screen", title_cancel="Exit full screen"
    ).add_to(fmap)
    if minimap:
        plugins.MiniMap(toggle_display=True, position="bottomright", zoom_level_offset=-4).add_to(
            fmap
        )
