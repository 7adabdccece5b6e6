"""Routing: vans from hubs replenish the open sites (PyVRP).

Each open site is a client whose delivery is its assigned parcels per day (rounded
up) and whose pickup is the returns posted there; a site needing more than one van
load is split into several visits, never dropped. Hubs are depots with
``vans_per_hub`` vans each (or a ``vans`` column on the hubs); a van may return to
its hub to reload (``max_trips``). Visits start inside the replenishment window
(``window``, e.g. 06:00-10:00) and every route fits in the shift. Distances (m) and
durations (s) are integer shortest paths on the drive graph, and the routes come
back as street-following lines with clock times.

The objective is money, from :class:`lockerplan.costs.CostModel`: a fixed cost per
van used, an energy cost per km and a driver cost per hour. Every visit carries a
large prize, so a visit is left out only when no van can make it (too few vans,
too short a shift, a window that cannot be met); such sites are reported in
``unserved`` with the reason, never silently dropped.

The same router delivers door to door (:func:`route_door_to_door`): the demand
clusters become the stops, with a handover time per parcel and re-delivery of
failed first attempts.

The package runs in stages, one module each: :mod:`~lockerplan.routing.fleet` (the
vans and their day), :mod:`~lockerplan.routing.visits` (what must be visited),
:mod:`~lockerplan.routing.problem` (the PyVRP model and its solve),
:mod:`~lockerplan.routing.decode` (routes and stops read back),
:mod:`~lockerplan.routing.result` (what is returned) and
:mod:`~lockerplan.routing.vans` (the public routers).
"""

from .fleet import Fleet, parse_window
from .result import ROUTE_COLUMNS, STOP_COLUMNS, RoutingResult
from .vans import default_hub, route_door_to_door, route_vans

__all__ = [
    "ROUTE_COLUMNS",
    "STOP_COLUMNS",
    "Fleet",
    "RoutingResult",
    "default_hub",
    "parse_window",
    "route_door_to_door",
    "route_vans",
]
