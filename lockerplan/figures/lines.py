"""The sentences of a plan's summary and its map's panel: :data:`LINES`.

Each :class:`Line` reads several figures of :mod:`lockerplan.figures` at once; each
number in it is written by its own figure. A leaf: it imports nothing of lockerplan
but the figures' views.
"""

from __future__ import annotations

from dataclasses import dataclass

_SUMMARY, _PANEL = "summary", "panel"


@dataclass(frozen=True)
class Line:
    """A sentence of the summary that reads several figures.

    Attributes
    ----------
    label : str
        The row's label (a template too, for ``each``).
    text : str
        A template: ``{key}`` is a figure with its unit, ``{key:n}`` without, ``{a.b}``
        a figure of a nested record (``business_case.with_lockers.cost_per_day``);
        each is written by its own :class:`Figure`.
    when : str
        A key or property that must be truthy for the line to show.
    each : str
        A list of records (``scenarios``): one line per item, read in that item.
    views : tuple of str
        ``"summary"`` (the printed summary and the notebook) and/or ``"panel"``
        (the map's panel).
    panel : str
        A shorter template for the map's panel ("" : the same as ``text``).
    """

    label: str
    text: str
    when: str = ""
    each: str = ""
    views: tuple[str, ...] = (_SUMMARY, _PANEL)
    panel: str = ""


_WITH, _DOOR = "business_case.with_lockers", "business_case.door_to_door"

#: How the summary and the map's panel read a plan, in order; a figure with the
#: ``"summary"`` view adds a row of its own after them.
LINES = (
    Line("country", "{country} ({country_found}); its figures and their sources are "
         "summary.json's assumptions", when="country", views=(_SUMMARY,)),
    Line("demand", "{demand_parcels_per_day} from {demand_points} points ({demand_source}) "
         "in {demand_clusters} clusters", views=(_SUMMARY,)),
    Line("candidates", "{candidates} sites ({candidates_source})", views=(_SUMMARY,)),
    Line("parcels", "{parcels.read} read = {parcels.at_lockers:n} at lockers + {rivals_text}"
         "{parcels.home:n} home + {parcels.not_delivered:n} not delivered", when="parcels",
         panel="{parcels.at_lockers:n} at lockers + {rivals_text}{parcels.home:n} home + "
         "{parcels.not_delivered:n} not delivered"),
    Line("sites open", "{sites_text}"),
    Line("over capacity", "{sites_over_capacity} sites, {over_capacity_parcels_per_day} "
         "beyond what their cabinets hand out", when="sites_over_capacity"),
    Line("covered", "{covered_parcels_per_day:n} of {demand_parcels_per_day} = "
         "{coverage_share} within {walk_m} walk{capacity_text}",
         panel="{coverage_share} of {demand_parcels_per_day}"),
    Line("competitors", "{competitors_text}", when="competitor_sites"),
    Line("choice", "{choice.out_of_home_share} out of home where a site is in reach (target "
         "{choice.target_share}): "
         "{choice.captured_parcels_per_day:n} at our lockers, {choice.rival_parcels_per_day:n} "
         "at rivals', {choice.home_parcels_per_day:n} home (mnl)", when="choice",
         panel="{choice.out_of_home_share} out of home where a site is in reach (mnl)"),
    Line("on the way", "{on_the_way.at_home_parcels_per_day:n} at home, "
         "{on_the_way.at_work_parcels_per_day:n} at work, {on_the_way.on_the_way_parcels_per_day:n} "
         "on the way: {on_the_way.gain_share} more than home-only coverage "
         "({on_the_way.commutes} commutes by {on_the_way.mode}, mean "
         "{on_the_way.mean_commute_min})", when="on_the_way",
         panel="+{on_the_way.gain_share} at work and on the way"),
    Line("pricing", "{pricing.zones_discounted} of {pricing.zones} zones discounted: "
         "{pricing.switched_parcels_per_day:n} switch to lockers, {pricing.discount_paid_per_day} "
         "discounts, {pricing.net_saving_per_day} net saving (pricing.csv)", when="pricing",
         panel="{pricing.zones_discounted} of {pricing.zones} zones discounted"),
    Line("mean walk", "{mean_walk_m} (covered parcels, network distance)", panel="{mean_walk_m}"),
    Line("walking cutoff", "{walk_m}", views=(_PANEL,)),
    Line("solver", "{solver_text}", when="solver_status",
         panel="{solver_status} (gap {solver_gap})"),
    Line("routes", "{vans_used} van(s), {route_km}, {route_hours} from {hubs} hub(s)",
         panel="{vans_used} van(s), {route_km}, {route_hours}"),
    Line("cost per parcel", "{locker_cost_per_parcel}", when="locker_cost_per_parcel",
         views=(_PANEL,)),
    Line("with lockers", f"{{{_WITH}.cost_per_day}}, {{{_WITH}.cost_per_parcel:n}} per parcel "
         f"for {{{_WITH}.parcels_per_day:n}} parcels ({{{_WITH}.locker_parcels_per_day:n}} at "
         f"lockers, {{{_WITH}.home_parcels_per_day:n}} home), {{{_WITH}.vans}} vans "
         "({business_case.fleet} fleet), "
         f"{{{_WITH}.van_km}}, {{{_WITH}.home_stops_per_day:n}} home stops, "
         f"{{{_WITH}.co2_kg_per_day}} ({{{_WITH}.van_co2_kg_per_day:n}} vans, "
         f"{{{_WITH}.pickup_co2_kg_per_day:n}} pickup trips)", when="business_case",
         views=(_SUMMARY,)),
    Line("door-to-door", f"{{{_DOOR}.cost_per_day}}, {{{_DOOR}.cost_per_parcel:n}} per parcel "
         f"for {{{_DOOR}.parcels_per_day:n}} parcels, {{{_DOOR}.vans}} vans, "
         f"{{{_DOOR}.van_km}}, {{{_DOOR}.home_stops_per_day:n}} home stops, "
         f"{{{_DOOR}.co2_kg_per_day}} ({{door_to_door.failure_rate}} failed first attempts "
         "re-delivered)", when="business_case", views=(_SUMMARY,)),
    Line("cost", "{cost_per_day}, {cost_per_parcel:n} per parcel, {co2_kg_per_day}",
         when="routes_only", views=(_SUMMARY,)),
    Line("door-to-door", "{door_to_door.cost}, {door_to_door.cost_per_parcel:n} per parcel, "
         "{door_to_door.vans} vans, {door_to_door.km}, {door_to_door.driver_hours}, "
         "{door_to_door.co2_kg} ({door_to_door.failure_rate} failed first attempts "
         "re-delivered)", when="door_to_door_only", views=(_SUMMARY,)),
    Line("demand {name}", "x{factor}: {coverage_share} of {demand_parcels_per_day} served "
         "within walk and capacity ({served_parcels_per_day:n}), overflow "
         "{overflow_parcels_per_day:n}", each="scenarios"),
    Line("underserved", "{equity.underserved_cells} of {equity.cells} cells "
         "({equity.cell_m:,.0f} m), {equity.underserved_parcels_per_day:,.0f} parcels/day",
         when="equity.cells", views=(_PANEL,)),
    Line("dropped", "{dropped} items, {dropped_parcels_per_day} (see dropped.csv)",
         when="dropped", views=(_SUMMARY,)),
    Line("not coverable", "{not_coverable_clusters} clusters, {not_coverable_parcels_per_day} "
         "no candidate reaches within the walk (see dropped.csv)",
         when="not_coverable_clusters", views=(_SUMMARY,)),
    Line("unserved sites", "{unserved_sites} (see dropped.csv)", when="unserved_sites",
         views=(_SUMMARY,)),
    Line("vans needed", "{vans_needed} to route every site; the cap allows {vans_used} (raise "
         "--vans-per-hub or remove it)", when="vans_short", views=(_SUMMARY,)),
)  # fmt: skip
