"""Every figure a plan reports, declared once: key, label, unit, format, side and help.

A :class:`Figure` says what one number of a plan is: its ``summary.json`` key, the
words people read (``label``), its ``unit``, how it is written (``fmt``, and
``scale`` for shares shown in %), which side of the business case it belongs to
(``side``), and a ``help`` sentence. The tables below hold every figure:

* :data:`FIGURES`: the plan's key figures (:class:`Kpis`, the top level of
  ``summary.json``);
* :data:`DELIVERY_FIGURES`: a priced day of routes (:class:`Delivery`: the
  replenishment ``lockers`` and the ``door_to_door`` day);
* :data:`SIDE_FIGURES` and :data:`BUSINESS_FIGURES`: the business case, the same
  parcels delivered with lockers and door to door (:class:`Side`,
  :class:`BusinessCase`);
* :data:`SCENARIO_FIGURES`: one demand scenario (``--demand-scenarios``);
* :data:`ON_THE_WAY_FIGURES`: customers covered at home, at work and on the way
  (``--on-the-way``);
* :data:`PARCEL_FIGURES`: every parcel accounted for (``parcels``);
* :data:`CHOICE_FIGURES`: what customers choose (``choice``, ``--choice mnl``);
* :data:`PRICING_FIGURES`: locker prices by zone (``pricing``, ``--price-zones``).

The records of :mod:`lockerplan.records` are made from these tables, field for
field, and every renderer reads them (the printed summary, ``summary.json``, the
map's panel, the comparison page, the sweep table, the roll-out's phases). A
figure's ``views`` say where it is shown: ``"summary"`` (a row of its own in the
summary and the panel), ``"compare"``, ``"sweep"`` and ``"panel"`` (the panel's
lockers vs door-to-door table). :data:`LINES` (:mod:`~lockerplan.figures.lines`) are
the sentences that read several figures at once. Adding a figure is one
:class:`Figure` here and the line of :func:`lockerplan.pipeline.kpis.plan_kpis` that
computes it. A leaf: it imports nothing of lockerplan outside this package.

Examples
--------
>>> FIGURES["coverage_share"].text(0.8382)
'83.8 %'
>>> FIGURES["mean_walk_m"].heading()
'Mean walk (m)'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .lines import LINES as LINES
from .lines import Line as Line

#: The sides of the business case, as people read them.
SIDES = {"with_lockers": "with lockers", "door_to_door": "door-to-door"}
#: Where a figure is shown (see the module docstring).
VIEWS = ("summary", "compare", "sweep", "panel")

DASH = "\u2013"


def missing(value: Any) -> bool:
    """Whether a figure is absent: None, NaN (numpy's too) or pandas' NA and NaT (a list
    or a text is not).

    Examples
    --------
    >>> missing(None), missing(float("nan")), missing(0.0), missing("x"), missing([1])
    (True, True, False, False, False)
    """
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT differ from themselves
    except (TypeError, ValueError):  # pandas' NA has no truth value; arrays are figures
        return type(value).__name__ == "NAType"


@dataclass(frozen=True)
class Figure:
    """One figure a plan reports.

    Attributes
    ----------
    key : str
        Its ``summary.json`` key (and the record's field).
    label : str
        What people read, e.g. ``"Mean walk"``.
    unit : str
        ``"m"``, ``"%"``, ``"parcels/day"``...; ``{currency}`` stands for the plan's
        currency.
    fmt : str
        How the number is written (``str.format``), after ``scale``.
    help : str
        One sentence: what it measures (the records' docstrings read it).
    side : str
        ``"with_lockers"`` or ``"door_to_door"`` for a figure of one side of the
        business case; ``""`` otherwise.
    scale : float
        Shown = ``scale`` x value (100 for shares shown in %).
    views : tuple of str
        Where it is shown besides ``summary.json`` (:data:`VIEWS`).
    kind : type
        The record field's type.
    default : Any
        The record field's default (a partial record takes it).
    """

    key: str
    label: str
    unit: str = ""
    fmt: str = "{:,.1f}"
    help: str = ""
    side: str = ""
    scale: float = 1.0
    views: tuple[str, ...] = ()
    kind: Any = float
    default: Any = 0.0

    def unit_text(self, currency: str = "EUR") -> str:
        """The unit with the plan's currency filled in."""
        return self.unit.replace("{currency}", currency)

    def number(self, value: Any) -> str:
        """The value as written, without its unit (an en dash when missing).

        Examples
        --------
        >>> FIGURES["covered_parcels_per_day"].number(1422.06), FIGURES["walk_m"].number(None)
        ('1,422.1', '–')
        """
        if missing(value):
            return DASH
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        try:
            return self.fmt.format(self.scale * value)
        except (TypeError, ValueError):
            return str(value)

    def text(self, value: Any, currency: str = "EUR") -> str:
        """The value as written, with its unit: ``"83.8 %"``, ``"275 m"``."""
        number = self.number(value)
        unit = self.unit_text(currency)
        return f"{number} {unit}" if unit and number != DASH else number

    def heading(self, currency: str = "EUR", side: bool = True) -> str:
        """A column heading: the label, the side (unless ``side`` is False: a table whose
        columns are the sides) and the unit (``"Cost per parcel, with lockers (EUR)"``)."""
        side_text = f", {SIDES[self.side]}" if self.side and side else ""
        unit = self.unit_text(currency)
        return f"{self.label}{side_text}" + (f" ({unit})" if unit else "")


def _table(*figures: Figure) -> dict[str, Figure]:
    return {f.key: f for f in figures}


_PARCELS = "parcels/day"
_MONEY = "{currency}/day"
_SUMMARY, _COMPARE, _SWEEP, _PANEL = VIEWS

#: A priced day of routes (:class:`Delivery`): the replenishment, or every parcel to the door.
DELIVERY_FIGURES = _table(
    Figure("parcels", "Parcels", "parcels", help="Parcels delivered per day (the per-parcel base)"),
    Figure("km", "Van distance", "km", views=(_PANEL,), help="Van kilometres per day"),
    Figure("driver_hours", "Driver time", "h", views=(_PANEL,), help="Driver hours per day"),
    Figure("vans", "Vans", fmt="{:,.0f}", views=(_PANEL,), kind=int, default=0, help="Vans used"),
    Figure("trips", "Trips", fmt="{:,.0f}", kind=int, default=0, help="Trips driven"),
    Figure("stops", "Stops", fmt="{:,.0f}", views=(_PANEL,), kind=int, default=0, help="Stops made"),
    Figure("vehicle_cost", "Vehicle cost", _MONEY, "{:,.0f}", help="Vans used x price per van"),
    Figure("energy_cost", "Energy cost", _MONEY, "{:,.0f}", help="Km x energy per km"),
    Figure("driver_cost", "Driver cost", _MONEY, "{:,.0f}", help="Driver hours x wage"),
    Figure("site_cost", "Site cost", _MONEY, "{:,.0f}", help="Fixed cost of the served sites"),
    Figure(
        "cost_per_parcel", "Cost per parcel", "{currency}", "{:,.2f}", views=(_PANEL,),
        kind=float | None, default=None, help="Cost over parcels (None without parcels)",
    ),
    Figure("cost", "Cost per day", _MONEY, "{:,.0f}", views=(_PANEL,), help="The day's total cost"),
    Figure("co2_kg", "Emissions", "kg CO2/day", views=(_PANEL,), help="Van emissions, kg CO2e"),
    Figure(
        "co2_g_per_parcel", "Emissions per parcel", "g CO2", "{:,.0f}", views=(_PANEL,),
        kind=float | None, default=None, help="Van emissions per parcel, g CO2e",
    ),
    Figure("unserved_sites", "Unserved stops", fmt="{:,.0f}", kind=int, default=0,
           help="Stops no van could make"),
    Figure("unserved_parcels", "Unserved parcels", _PARCELS, help="Their parcels"),
    Figure("currency", "Currency", fmt="{}", kind=str, default="EUR", help="Money unit"),
    Figure("failure_rate", "Failed first attempts", "%", "{:.0f}", scale=100, kind=float | None,
           default=None, help="Door to door only: share of first attempts that fail"),
    Figure("attempts", "Delivery attempts", "", "{:,.1f}", kind=float | None, default=None,
           help="Door to door only: delivery attempts per day"),
)  # fmt: skip

#: One side of the business case (:class:`Side`): the same parcels with lockers or door to door.
SIDE_FIGURES = _table(
    Figure("parcels_per_day", "Delivered", _PARCELS, views=(_PANEL,),
           help="Parcels delivered (the same on both sides)"),
    Figure("locker_parcels_per_day", "at lockers", _PARCELS, side="with_lockers",
           views=(_PANEL,), kind=float | None, default=None,
           help="Collected at lockers (None door to door)"),
    Figure("home_parcels_per_day", "delivered home", _PARCELS, side="with_lockers",
           views=(_PANEL,), kind=float | None, default=None,
           help="Delivered home: beyond the walk, or not adopting the locker"),
    Figure("cost_per_day", "Cost per day", _MONEY, "{:,.0f}", views=(_PANEL, _SWEEP),
           help="Vans, km, driver hours and (with lockers) the sites' fixed costs"),
    Figure("cost_per_parcel", "Cost per parcel", "{currency}", "{:,.2f}", views=(_PANEL, _SWEEP),
           kind=float | None, default=None, help="Cost per day over parcels"),
    Figure("co2_kg_per_day", "Emissions", "kg CO2/day", views=(_PANEL,),
           help="Vans' emissions, plus (with lockers) customers' pickup trips by car"),
    Figure("van_co2_kg_per_day", "of vans", "kg CO2/day", views=(_PANEL,),
           help="The vans' emissions alone"),
    Figure("pickup_co2_kg_per_day", "of pickup trips", "kg CO2/day", views=(_PANEL,),
           help="Customers' car trips to collect at lockers (unchained, driven pickups)"),
    Figure("vans", "Vans", fmt="{:,.0f}", views=(_PANEL,), kind=int, default=0,
           help="Vans of the day (replenishment and home delivery together)"),
    Figure("van_km", "Van distance", "km", views=(_PANEL,), help="Van kilometres of the day"),
    Figure("driver_hours", "Driver time", "h", views=(_PANEL,), help="Driver hours of the day"),
    Figure("home_stops_per_day", "Home stops", fmt="{:,.0f}", views=(_PANEL,),
           help="Addresses the vans stop at to deliver home (expected, re-deliveries "
           "included)"),
    Figure("parcels_per_driver_hour", "Parcels per driver hour", fmt="{:,.1f}",
           views=(_PANEL,), kind=float | None, default=None,
           help="Parcels delivered over driver hours (work intensity)"),
    Figure("stops_per_route", "Stops per route", fmt="{:,.1f}", views=(_PANEL,),
           kind=float | None, default=None,
           help="Home stops and locker visits over the routes driven"),
    Figure("longest_route_share", "Longest route", "% of the shift", "{:.0f}", scale=100,
           views=(_PANEL,), kind=float | None, default=None,
           help="The longest route's hours over the driver's shift"),
)  # fmt: skip

#: One demand scenario of a plan (``--demand-scenarios``; :attr:`Kpis.scenarios`).
SCENARIO_FIGURES = _table(
    Figure("name", "Scenario", fmt="{}", kind=str, default="", help="Its name"),
    Figure("factor", "Factor", fmt="{:g}", help="Demand as a factor of the plan's"),
    Figure("demand_parcels_per_day", "Demand", _PARCELS, help="The plan's demand x factor"),
    Figure("coverage_share", "Served", "%", "{:.1f}", scale=100,
           help="Served within walk and capacity over demand"),
    Figure("served_parcels_per_day", "Served parcels", _PARCELS,
           help="Covered parcels within the sites' capacity"),
    Figure("overflow_parcels_per_day", "Overflow", _PARCELS,
           help="Covered parcels beyond the sites' capacity"),
    Figure("sites_over_capacity", "Sites over capacity", fmt="{:,.0f}", kind=int, default=0,
           help="Sites with overflow"),
)  # fmt: skip


#: Pickups on the way (:class:`CommuteCoverage`, ``summary.json`` ``on_the_way``): the
#: plan's served parcels by where an open site first reaches their customers.
ON_THE_WAY_FIGURES = _table(
    Figure("mode", "Commutes by", fmt="{}", kind=str, default="",
           help="transit (the GTFS timetables) or car"),
    Figure("at_home_parcels_per_day", "at home", _PARCELS,
           help="Served parcels of customers an open site reaches within the walk of home: "
           "home-only coverage of the same sites"),
    Figure("at_work_parcels_per_day", "at work", _PARCELS,
           help="Served parcels of commuters reached within the walk of their job cell, not "
           "of home"),
    Figure("on_the_way_parcels_per_day", "on the way", _PARCELS,
           help="Served parcels of commuters reached only within the detour of a stop of "
           "their journey (boarding, transfer, alighting) or of their car path"),
    Figure("covered_parcels_per_day", "Covered", _PARCELS,
           help="All three: the plan's covered parcels"),
    Figure("gain_parcels_per_day", "Gain over home-only", _PARCELS,
           help="At work and on the way: what home-only coverage of the same sites leaves out"),
    Figure("gain_share", "Gain", "%", "{:.1f}", scale=100, help="The gain over demand"),
    Figure("commuter_parcels_per_day", "Commuters' parcels", _PARCELS,
           help="Parcels of the employed residents who commute (the rest stay home)"),
    Figure("commuters", "Commuters", fmt="{:,.0f}", help="Employed residents who commute"),
    Figure("commutes", "Commutes", fmt="{:,.0f}", kind=int, default=0,
           help="Distinct home-work commutes drawn from the gravity model"),
    Figure("employed_share", "Employed share", "%", "{:.1f}", scale=100,
           help="Employed residents per resident"),
    Figure("employed_source", "Employed share from", fmt="{}", kind=str, default="",
           help="Where the employed share comes from"),
    Figure("mean_commute_min", "Mean commute", "min", "{:.1f}",
           help="Worker-weighted mean travel time of the gravity model's commutes"),
    Figure("beta_per_min", "Deterrence", "per min", "{:.4f}",
           help="beta of the gravity model's exp(-beta t)"),
    Figure("by_transit", "By transit", fmt="{:,.0f}", kind=int, default=0,
           help="Commutes that ride"),
    Figure("on_foot", "On foot", fmt="{:,.0f}", kind=int, default=0,
           help="Commutes that walk all the way (quicker than riding)"),
    Figure("by_car", "By car", fmt="{:,.0f}", kind=int, default=0, help="Commutes that drive"),
    Figure("job_cells", "Job cells", fmt="{:,.0f}", kind=int, default=0,
           help="Cells with jobs in the study area"),
    Figure("stops_added", "Stops added", fmt="{:,.0f}", kind=int, default=0,
           help="Transit stops and stations the commutes use, added as candidate sites"),
    Figure("sites_at_stops", "Sites at stops", fmt="{:,.0f}", kind=int, default=0,
           help="Open sites at those stops"),
    Figure("detour_m", "Detour", "m", "{:,.0f}", kind=float | None, default=None,
           help="Farthest walk from the way to a site (None: the walking cutoff)"),
    Figure("service_date", "Timetable day", fmt="{}", kind=str, default="",
           help="The day of the GTFS timetables (transit)"),
    Figure("depart", "Departure", fmt="{}", kind=str, default="",
           help="When the commutes leave their boarding stop (transit)"),
)  # fmt: skip


#: What customers choose under the MNL (:class:`ChoiceFigures`, ``summary.json`` ``choice``).
CHOICE_FIGURES = _table(
    Figure("model", "Choice", fmt="{}", kind=str, default="mnl",
           help="mnl: customers choose home, our sites or rivals' by a multinomial logit"),
    Figure("out_of_home_share", "Out of home", "%", "{:.1f}", scale=100,
           help="Parcels of customers with a site in reach that go out of home"),
    Figure("target_share", "Target", "%", "{:.1f}", scale=100,
           help="The out-of-home share the home utility is calibrated to"),
    Figure("captured_parcels_per_day", "At our lockers", _PARCELS,
           help="Expected parcels customers bring to our sites"),
    Figure("rival_parcels_per_day", "At rivals' lockers", _PARCELS,
           help="Expected parcels customers take to rivals' sites"),
    Figure("home_parcels_per_day", "Home", _PARCELS, help="Expected parcels delivered home"),
    Figure("home_utility", "Home utility", fmt="{:.3f}", help="The calibrated utility of home"),
    Figure("walk_utility_per_km", "Walk utility", "per km", "{:.2f}",
           help="Utility a site loses per km walked"),
    Figure("locker_discount", "Locker discount", "{currency}/parcel", "{:.2f}",
           help="Discount per parcel on locker delivery (in the cost with lockers)"),
    Figure("rounds", "Rounds", fmt="{:,.0f}", kind=int, default=0,
           help="Siting rounds of the calibration"),
    Figure("settled", "Settled", fmt="{}", kind=bool, default=True,
           help="Whether the last round opened the sites the round before did"),
)  # fmt: skip


#: Locker prices by zone (:class:`PricingFigures`, ``summary.json`` ``pricing``, ``--price-zones``).
PRICING_FIGURES = _table(
    Figure("zones", "Zones", fmt="{:,.0f}", kind=int, default=0,
           help="Cells of the coverage grid with demand"),
    Figure("zones_discounted", "Zones discounted", fmt="{:,.0f}", kind=int, default=0,
           help="Zones where a discount on locker delivery saves the carrier money"),
    Figure("cost_per_driver_hour", "Cost per driver hour", "{currency}/h", "{:.2f}",
           help="The door-to-door day's cost over its driver hours: the price of time saved"),
    Figure("locker_cost_per_parcel", "Locker cost per parcel", "{currency}", "{:.2f}",
           help="Loading and a compartment, per parcel via a locker"),
    Figure("switched_parcels_per_day", "Switch to lockers", _PARCELS,
           help="Parcels that move from the door to our lockers at the zones' discounts"),
    Figure("discount_paid_per_day", "Discounts paid", _MONEY, "{:,.0f}",
           help="Discounts on every locker parcel of a discounted zone"),
    Figure("net_saving_per_day", "Net saving", _MONEY, "{:,.0f}",
           help="The carrier's time and compartments saved less the discounts paid, "
           "before routing (the business case is routed at these prices)"),
    Figure("curve", "Curve", fmt="{}", kind=list, default=[],
           help="One discount everywhere: locker share, parcels switched, discounts paid "
           "and net saving per discount"),
)  # fmt: skip


#: Every parcel accounted for (:class:`Parcels`, ``summary.json`` ``parcels``): what the
#: demand stage read = collected at our lockers + at rivals' lockers + delivered home +
#: not delivered (by reason).
PARCEL_FIGURES = _table(
    Figure("read", "Read", _PARCELS, help="Everything the demand stage read"),
    Figure("at_lockers", "At lockers", _PARCELS, help="Collected at routed lockers"),
    Figure("at_rivals", "At rivals' lockers", _PARCELS,
           help="Collected at competitors' lockers: customers a rival is nearer to than "
           "every candidate site, who use lockers"),
    Figure("home", "Home", _PARCELS,
           help="Delivered home (beyond the walk, not adopting the locker, or its site "
           "unrouted)"),
    Figure("not_delivered", "Not delivered", _PARCELS,
           help="Read but delivered by nobody: the sum of not_delivered_by_reason"),
    Figure("not_delivered_by_reason", "Not delivered, by reason", fmt="{}", kind=dict,
           default={}, help="Parcels per day not delivered, by reason (see dropped.csv)"),
)  # fmt: skip


#: The business case (:class:`BusinessCase`): lockers plus home delivery against door to door.
BUSINESS_FIGURES = _table(
    Figure("with_lockers", "With lockers", fmt="{}", kind="Side", default={},
           help="Lockers plus home delivery of the rest (:class:`Side`)"),
    Figure("door_to_door", "Door-to-door", fmt="{}", kind="Side", default={},
           help="Every parcel to the door (:class:`Side`)"),
    Figure("savings_per_day", "Savings per day", _MONEY, "{:,.0f}",
           help="Door to door minus with lockers"),
    Figure("savings_pct", "Savings", "%", "{:.1f}", kind=float | None, default=None,
           help="Savings in percent of the door-to-door cost"),
    Figure("fleet", "Fleet", fmt="{}", kind=str, default="mixed",
           help="mixed: the same vans fill the lockers and deliver home in one routed day; "
           "separate: a replenishment fleet and a home-delivery fleet"),
)  # fmt: skip


#: The key figures of a plan (:class:`Kpis`): the top level of ``summary.json``.
FIGURES = _table(
    Figure("name", "Plan", fmt="{}", kind=str, default="plan", help="Plan name"),
    Figure("osm", "Study area", fmt="{}", kind=str, default="",
           help="The study area's source: file name or place"),
    Figure("sites_open", "Sites open", fmt="{:,.0f}", views=(_COMPARE, _SWEEP), kind=int,
           default=0, help="Open sites"),
    Figure("sites_limit", "Site limit", fmt="{:,.0f}", kind=int | None, default=None,
           help="The limit N where the model has one (None: the model chooses how many)"),
    Figure("sites_over_capacity", "Sites over capacity", fmt="{:,.0f}", kind=int, default=0,
           help="Open sites assigned more parcels than their modules hand out (models "
           "without capacities)"),
    Figure("over_capacity_parcels_per_day", "Over capacity", _PARCELS,
           help="Parcels beyond what those sites' cabinets hand out"),
    Figure("demand_parcels_per_day", "Demand", _PARCELS, views=(_SWEEP,),
           help="Demand in the study area, after what the demand stage dropped"),
    Figure("covered_parcels_per_day", "Covered", _PARCELS, views=(_COMPARE, _SWEEP),
           help="The part of the demand the plan's allocation serves within the walking "
           "cutoff (and capacity, for a capacitated model)"),
    Figure("coverage_share", "Coverage", "%", "{:.1f}", scale=100, views=(_COMPARE, _SWEEP),
           help="Covered over demand"),
    Figure("mean_walk_m", "Mean walk", "m", "{:,.0f}", views=(_COMPARE, _SWEEP),
           help="Parcel-weighted walk of covered demand, along the streets"),
    Figure("walk_m", "Walking cutoff", "m", "{:,.0f}", views=(_COMPARE, _SWEEP),
           help="The walking cutoff"),
    Figure("route_km", "Van routes", "km", views=(_SWEEP,),
           help="Kilometres of the replenishment routes per day"),
    Figure("route_hours", "Route hours", "h", views=(_SWEEP,),
           help="Hours of the replenishment routes per day"),
    Figure("vans_used", "Vans", fmt="{:,.0f}", views=(_SWEEP,), kind=int, default=0,
           help="Vans of the replenishment routes (the routing chooses how many)"),
    Figure("vans_needed", "Vans needed", fmt="{:,.0f}", kind=int | None, default=None,
           help="Set when a cap on the vans (vans_per_hub) left sites unrouted: the vans "
           "the day needs"),
    Figure("routes_feasible", "Routes feasible", fmt="{}", kind=bool, default=True,
           help="Whether every route keeps the fleet's rules"),
    Figure("model", "Model", fmt="{}", kind=str, default="", help="The siting model"),
    Figure("capacitated", "Within capacity", fmt="{}", kind=bool, default=False,
           help="Whether the model's covered parcels are also within the sites' capacity"),
    Figure("solver", "Solver", fmt="{}", kind=str, default="", help="The MILP solver"),
    Figure("solver_status", "Solver", fmt="{}", views=(_SWEEP,), kind=str, default="",
           help="optimal (proven), feasible (stopped early, see the gap), infeasible"),
    Figure("solver_gap", "Solver gap", "%", "{:.2f}", scale=100, views=(_SWEEP,),
           help="Relative gap between the plan and the solver's bound"),
    Figure("solver_objective", "Objective", fmt="{:,.4f}",
           help="The model's objective in its own units"),
    Figure("solver_bound", "Bound", fmt="{:,.4f}", help="The solver's proven bound"),
    Figure("solver_s", "Solve time", "s", "{:.2f}", help="Seconds of the siting solve"),
    Figure("regions", "Regions", fmt="{:,.0f}", kind=int, default=1,
           help="Regions the siting was solved in (--scheduler; 1 when not decomposed)"),
    Figure("regions_note", "Regions note", fmt="{}", kind=str, default="",
           help="Where the regions ran, or why the siting was not decomposed"),
    Figure("demand_read_parcels_per_day", "Demand read", _PARCELS,
           help="Everything the demand stage read"),
    Figure("demand_points", "Demand points", fmt="{:,.0f}", kind=int, default=0,
           help="Demand points planned"),
    Figure("country", "Country", fmt="{}", kind=str, default="",
           help="ISO code of the study area's country, whose preset fills the settings "
           "left to the country"),
    Figure("country_found", "Country from", fmt="{}", kind=str, default="",
           help="How the country was found: given (--country) or from the OSM extract"),
    Figure("assumptions", "Assumptions", fmt="{}", kind=dict, default={},
           help="Each setting the figures depend on: value, source and set_by"),
    Figure("demand_source", "Demand source", fmt="{}", kind=str, default="",
           help="Where the demand comes from"),
    Figure("aggregation_error_m", "Clustering error", "m", kind=dict, default={},
           help="Parcel-weighted mean and largest distance of a demand point to its cluster"),
    Figure("demand_clusters", "Demand clusters", fmt="{:,.0f}", kind=int, default=0,
           help="Demand clusters the siting model serves"),
    Figure("candidates", "Candidates", fmt="{:,.0f}", kind=int, default=0, help="Candidate sites"),
    Figure("candidates_source", "Candidates from", fmt="{}", kind=str, default="",
           help="Where the candidates come from"),
    Figure("hubs", "Hubs", fmt="{:,.0f}", kind=int, default=0, help="Van hubs"),
    Figure("dropped", "Dropped", fmt="{:,.0f}", kind=int, default=0,
           help="Items left out (see dropped.csv)"),
    Figure("dropped_parcels_per_day", "Dropped parcels", _PARCELS, help="Their parcels"),
    Figure("not_coverable_clusters", "Not coverable", fmt="{:,.0f}", kind=int, default=0,
           help="Demand clusters no candidate reaches within the walk (delivered home)"),
    Figure("not_coverable_parcels_per_day", "Not coverable parcels", _PARCELS,
           help="Their parcels"),
    Figure("captured_parcels_per_day", "Captured", _PARCELS,
           help="Parcels of the clusters whose nearest open site within the walk is ours "
           "(without competitors: the covered parcels)"),
    Figure("competitor_sites", "Competitor sites", fmt="{:,.0f}", kind=int, default=0,
           help="A rival network's sites on the walk network"),
    Figure("competitor_operators", "Competitors", fmt="{}", kind=list, default=[],
           help="The rivals' operators"),
    Figure("rival_parcels_per_day", "Rival parcels", _PARCELS,
           help="Parcels whose customers have a competitor within the walk and are not "
           "captured by us"),
    Figure("unserved_sites", "Unserved sites", fmt="{:,.0f}", kind=int, default=0,
           help="Open sites no van could serve"),
    Figure("equity", "Equity", kind=dict, default={},
           help="lockerplan.equity.equity_summary of the plan's coverage cells"),
    Figure("runtime_s", "Runtime", "s", views=(_SUMMARY,), help="Wall time of the plan"),
    Figure("stage_seconds", "Stage seconds", "s", kind=dict, default={},
           help="Wall seconds per stage"),
    Figure("currency", "Currency", fmt="{}", kind=str, default="EUR", help="Money unit"),
    Figure("cost_per_day", "Cost per day", _MONEY, "{:,.0f}", side="with_lockers",
           views=(_SWEEP,), kind=float | None, default=None,
           help="The whole day with lockers (replenishment, sites, home delivery of the "
           "rest); without the door-to-door baseline, the replenishment routes and the sites"),
    Figure("cost_per_parcel", "Cost per parcel", "{currency}", "{:,.2f}", side="with_lockers",
           views=(_COMPARE, _SWEEP), kind=float | None, default=None,
           help="Cost per day over the parcels it delivers"),
    Figure("co2_kg_per_day", "Emissions", "kg CO2/day", side="with_lockers", kind=float | None,
           default=None, help="Vans' emissions and customers' pickup trips by car"),
    Figure("lockers", "Replenishment", fmt="{}", kind="Delivery | None", default=None,
           help="The replenishment routes priced, with the sites' fixed costs"),
    Figure("door_to_door", "Door-to-door", fmt="{}", kind="Delivery | None", default=None,
           help="Every parcel to the door (None when not routed)"),
    Figure("door_to_door_savings", "Savings", fmt="{}", kind=dict | None, default=None,
           help="Door to door minus replenishment"),
    Figure("business_case", "Business case", fmt="{}", kind="BusinessCase | None", default=None,
           help="Lockers plus home delivery vs door to door, for the same parcels"),
    Figure("scenarios", "Demand scenarios", fmt="{}", kind=list | None, default=None,
           help="Per demand scenario: the figures of SCENARIO_FIGURES"),
    Figure("parcels", "Parcels", fmt="{}", kind="Parcels | None", default=None,
           help="Every parcel accounted for: read = at lockers + at rivals' lockers + home "
           "+ not delivered "
           "(:class:`Parcels`; with the door-to-door baseline)"),
    Figure("choice", "Choice", fmt="{}", kind="ChoiceFigures | None", default=None,
           help="--choice mnl: what customers choose (:class:`ChoiceFigures`)"),
    Figure("pricing", "Pricing", fmt="{}", kind="PricingFigures | None", default=None,
           help="--price-zones: locker prices by zone (:class:`PricingFigures`)"),
    Figure("on_the_way", "On the way", fmt="{}", kind="CommuteCoverage | None", default=None,
           help="With --on-the-way: the covered parcels at home, at work and on the way "
           "(:class:`CommuteCoverage`)"),
)  # fmt: skip

#: The figures of a roll-out phase (``summary.json`` ``phases``, ``phases.csv``).
PHASE_FIGURES = _table(
    Figure("phase", "Phase", fmt="{:,.0f}", views=(_SUMMARY,), kind=int, default=0,
           help="The phase, from 1"),
    Figure("sites", "Sites", fmt="{:,.0f}", views=(_SUMMARY,), kind=int, default=0,
           help="Sites of the phase"),
    FIGURES["sites_open"],
    Figure("new_sites", "New sites", fmt="{:,.0f}", kind=int, default=0,
           help="Sites opened in this phase"),
    FIGURES["covered_parcels_per_day"],
    dataclasses.replace(FIGURES["coverage_share"], views=(_SUMMARY,)),
    Figure("optimal_coverage_share", "Optimum", "%", "{:.1f}", scale=100, views=(_SUMMARY,),
           help="Coverage of the best plan found with that many sites and no nesting"),
    Figure("coverage_bound_share", "Bound", "%", "{:.1f}", scale=100, views=(_SUMMARY,),
           help="No plan with that many sites covers more (the solver's proven bound)"),
    Figure("optimum_status", "Optimum status", fmt="{}", kind=str, default="",
           help="How that plan was solved"),
    Figure("price_of_nesting_pct", "Price of nesting", "%", "{:.2f}", views=(_SUMMARY,),
           help="(optimum - coverage) / optimum"),
    Figure("price_bound_pct", "Price, at most", "%", "{:.2f}", views=(_SUMMARY,),
           help="(bound - coverage) / bound"),
    FIGURES["solver_status"],
    FIGURES["solver_gap"],
    FIGURES["cost_per_day"],
    dataclasses.replace(FIGURES["cost_per_parcel"], key="cost_per_parcel_with_lockers",
                        views=(_SUMMARY,)),
    dataclasses.replace(FIGURES["cost_per_parcel"], key="cost_per_parcel_door_to_door",
                        side="door_to_door", views=(_SUMMARY,)),
)  # fmt: skip


def side_figure(key: str, side: str) -> Figure:
    """A figure of one side of the business case, keyed for a flat table: ``KEY_SIDE``.

    Examples
    --------
    >>> side_figure("cost_per_parcel", "door_to_door").heading()
    'Cost per parcel, door-to-door (EUR)'
    """
    return dataclasses.replace(SIDE_FIGURES[key], key=f"{key}_{side}", side=side)
