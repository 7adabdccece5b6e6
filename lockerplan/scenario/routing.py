"""The ``routing`` section: the hubs, the vans and their working day.

The section is the routing stage's parameter object: :class:`lockerplan.routing.Fleet`
is this class, so a fleet is checked once, when it is made. The defaults are
assumptions of a city delivery day, to be replaced by the operator's own: a van of
200 parcels per trip, an 8-hour shift from 06:00, 5 minutes per site visit (parking
and walking to the site) and 6 s per parcel loaded into a compartment, up to three
trips a day with 10 minutes of loading at the hub before each.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from .checks import Choice, HubsInput, Number, Whole, Window, parse_window
from .fields import Cli, Section, setting

_POSITIVE = Number()


@dataclass(frozen=True, kw_only=True)
class RoutingParams(Section):
    """Hubs, vans and their day.

    Examples
    --------
    >>> RoutingParams(van_capacity=150, window="06:00-10:00").window_hours
    (6.0, 10.0)
    >>> RoutingParams(start_h=6, shift_h=2, window=(12, 14))
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --window 12:00-14:00 does not overlap the shift 6-8 h (routing.start_h, routing.shift_h); move routing.start_h or --window.
    """

    section = "routing"

    hubs: str | int | None = setting(
        None,
        unit="file",
        check=HubsInput(),
        cli=Cli(metavar="FILE|N"),
        top=True,
        none="one hub per km2_per_hub (50 km²) of the demand's area (1 to 10), placed on "
        "the drive network where the round trips to the open sites' parcels are shortest",
        help="Van hubs: a CSV with hub_id, name, lon, lat (or GeoJSON/GeoPackage), or a "
        "number of hubs to place on the drive network (p-median of the vans' round trips)",
    )
    van_capacity: int = setting(
        200, unit="parcels", check=Whole(low=1), help="Parcels a van carries per trip (assumed)"
    )
    vans_per_hub: int | None = setting(
        None,
        unit="vans",
        check=Whole(low=1),
        cli=True,
        none="no cap: the routing uses as many vans as make the day cheapest",
        help="At most this many vans at each hub (a plan needs at least one van)",
    )
    shift_h: float = setting(
        8.0,
        unit="hours",
        check=Number(upto=24),
        help="Driver's shift: the longest route, all trips, loading and waiting included",
    )
    fleet: str = setting(
        "mixed",
        check=Choice(("mixed", "separate")),
        cli=Cli(metavar="MODE"),
        help="With lockers: mixed, the same vans fill the lockers and deliver home in one "
        "routed day (as carriers run it); separate, a replenishment fleet (in the window) "
        "and a home-delivery fleet",
    )
    km2_per_hub: float = setting(
        50.0,
        unit="km²",
        check=_POSITIVE,
        help="Without a hubs file or number: one hub per this much of the demand's area "
        "(a van's useful radius in city traffic, about 4 km)",
    )
    stop_service_s: int = setting(
        300,
        unit="seconds",
        check=Whole(low=0),
        help="Time per site visit: parking and walking to the site (assumed)",
    )
    parcel_service_s: int = setting(
        6,
        unit="seconds",
        check=Whole(low=0),
        help="Time to load one parcel into a compartment (assumed)",
    )
    routing_iterations: int = setting(
        3000, check=Whole(low=1), help="Iterations of the route search (PyVRP)"
    )
    start_h: float = setting(
        6.0,
        unit="hour of day",
        check=Number(allow_zero=True, below=24),
        help="Vans leave the hub at this hour",
    )
    window: str | None = setting(
        None,
        check=Window(),
        cli=True,
        none="none",
        help="Replenishment window: every site visit starts inside it, e.g. 06:00-10:00",
    )
    max_trips: int = setting(
        3,
        unit="trips",
        check=Whole(low=1),
        cli=True,
        help="Trips per van and day (vans reload at the hub between trips)",
    )
    reload_s: int = setting(
        600,
        unit="seconds",
        check=Whole(low=0),
        help="Loading time at the hub before each trip (assumed)",
    )
    returns_share: float = setting(
        0.0,
        unit="share",
        check=Number(allow_zero=True),
        help="Returns posted at the sites, as a share of deliveries",
    )

    def check_rules(self) -> None:
        """The window must meet the shift."""
        hours = self.window_hours
        if hours is not None and (
            hours[1] <= self.start_h or hours[0] >= self.start_h + self.shift_h
        ):
            raise InputError(
                f"--window {self.window} does not overlap the shift "
                f"{self.start_h:g}-{self.start_h + self.shift_h:g} h (routing.start_h, "
                "routing.shift_h); move routing.start_h or --window."
            )

    @property
    def window_hours(self) -> tuple[float, float] | None:
        """The window as ``(start_h, end_h)`` hours after midnight (None: the whole shift)."""
        return parse_window(self.window)
