"""Defaults and calibration figures used across lockerplan.

Each figure says where it comes from; a scenario can override every one of
them (see :class:`lockerplan.scenario.Scenario`).
"""

from __future__ import annotations

#: Walking speed of customers, km/h (a common planning figure for adults).
WALK_SPEED_KMH = 4.8

#: Default walking cutoff, metres: 5 minutes at 4.8 km/h. Planning literature
#: puts acceptable walks to a locker at 300-500 m.
WALK_CUTOFF_M = 400.0

#: Points farther than this from the street network are reported, not moved.
MAX_SNAP_M = 250.0

#: Fallback driving speeds by OSM ``highway`` type, km/h, used where a way has no
#: usable ``maxspeed``. Urban values: vans in a city centre rarely reach the limit.
DRIVE_SPEEDS_KMH = {
    "motorway": 80.0,
    "motorway_link": 50.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}
DEFAULT_DRIVE_SPEED_KMH = 25.0

#: Credit required by the ODbL on every map and exported layer.
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
