"""Pickups on the way: customers covered from home, from work or on the commute between.

Stages, one module each:

* :mod:`~lockerplan.ontheway.commute` -- where customers are during the day:
  home-to-work trips by a doubly-constrained gravity model on travel time
  (Furness balancing, beta calibrated to an observed mean commute by Hyman's
  method), and a seeded draw of trips to plan with;
* :mod:`~lockerplan.ontheway.transit` -- the way between on transit: GTFS feeds
  read and cut to a day with gtfs-kit, journeys by ferrobus' RAPTOR with walks on
  the OSM streets, each commute's boarding, transfer and alighting stops;
* :mod:`~lockerplan.ontheway.drive` -- the way between by car, without timetables:
  fastest paths on the drive network;
* :mod:`~lockerplan.ontheway.coverage` -- customer groups and their anchors, the
  candidate x group matrix the siting models take, transit stops as candidates,
  and coverage split into at home, at work and on the way.
"""

from .commute import (
    EMPLOYED_SHARE,
    MEAN_COMMUTE_S,
    Commutes,
    GravityParams,
    calibrate_beta,
    employed_share,
    furness,
    gravity_commutes,
    sample_trips,
)
from .coverage import (
    STOP_MATCH_M,
    Groups,
    OnTheWay,
    anchor_table,
    commute_groups,
    on_the_way_matrix,
    stop_candidates,
)
from .drive import drive_nodes, drive_paths, drive_times, node_points
from .transit import (
    DEPART_S,
    Feeds,
    TransitParams,
    TransitRouter,
    fill_stop_times,
    prepare_feeds,
    raptor_routes,
)

__all__ = [
    "DEPART_S",
    "EMPLOYED_SHARE",
    "MEAN_COMMUTE_S",
    "STOP_MATCH_M",
    "GravityParams",
    "Commutes",
    "Feeds",
    "Groups",
    "OnTheWay",
    "TransitParams",
    "TransitRouter",
    "anchor_table",
    "calibrate_beta",
    "commute_groups",
    "drive_nodes",
    "drive_paths",
    "drive_times",
    "employed_share",
    "fill_stop_times",
    "furness",
    "gravity_commutes",
    "node_points",
    "on_the_way_matrix",
    "prepare_feeds",
    "raptor_routes",
    "sample_trips",
    "stop_candidates",
]
