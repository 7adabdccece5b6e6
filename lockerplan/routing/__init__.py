"""Routing: vans from hubs replenish the open sites (PyVRP).

Each open site is a client whose delivery is its assigned parcels per day (rounded
up) and whose pickup is the returns posted there; a site needing more than one van
load is split into several visits, never dropped. Hubs are depots; by default each
gets enough vans that no visit is left out for lack of vans and the cost decides
how many are used (the fleet is an output), or at most ``vans_per_hub`` (or a
``vans`` column on the hubs) when capped; a van may return to its hub to reload
(``max_trips``). Visits start inside the replenishment window
(``window``, e.g. 06:00-10:00) and every route fits in the shift. Distances (m) and
durations (s) are integer shortest paths on the drive graph, and the routes come
back as street-following lines with clock times.

The objective is money, from :class:`lockerplan.costs.CostModel`: a fixed cost per
van used, an energy cost per km and a driver cost per hour. Every visit carries a
large prize, so a visit is left out only when no van can make it (too few vans
under a cap, too short a shift, a window that cannot be met); such sites are
reported in ``unserved`` with the reason, never silently dropped, and a cap that is
too small reports the vans the day needs (``stats["vans_needed"]``). PyVRP's own
warnings are logged (``-v``), not printed.

The same router delivers door to door (:func:`route_door_to_door`): the demand
clusters become the stops, with a handover time per parcel and re-delivery of
failed first attempts.

The package runs in stages, one module each: :mod:`~lockerplan.routing.fleet` (the
vans and their day), :mod:`~lockerplan.routing.visits` (what must be visited),
:mod:`~lockerplan.routing.problem` (the PyVRP model and its solve),
:mod:`~lockerplan.routing.sizing` (the vans per hub, and the vans the day needs),
:mod:`~lockerplan.routing.decode` (routes and stops read back),
:mod:`~lockerplan.routing.access` (the door-to-door stops and their walk from the
drive network),
:mod:`~lockerplan.routing.result` (what is returned) and
:mod:`~lockerplan.routing.vans` (the public routers).
"""

from ..scenario import parse_window
from .access import door_access
from .fleet import Fleet
from .hubs import hub_count, place_hubs
from .result import ROUTE_COLUMNS, STOP_COLUMNS, RoutingResult
from .vans import (
    default_hub,
    delivery_zones,
    route_door_to_door,
    route_vans,
    zone_matrices,
)

__all__ = [
    "ROUTE_COLUMNS",
    "STOP_COLUMNS",
    "Fleet",
    "RoutingResult",
    "default_hub",
    "delivery_zones",
    "door_access",
    "hub_count",
    "parse_window",
    "place_hubs",
    "route_door_to_door",
    "route_vans",
    "zone_matrices",
]
