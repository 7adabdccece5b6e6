"""Key figures of a plan: one typed record, one writer, every reader.

:class:`Kpis` is what a plan reports. It is built once, by :func:`plan_kpis` at the
end of :func:`lockerplan.pipeline.solve.plan_study_area`, and everything that shows
figures reads it: the printed summary (:meth:`Kpis.summary_lines`), the notebook
view, the map's KPI panel (:func:`lockerplan.maps.kpi_panel_html`), the sweep table
and ``summary.json`` (:meth:`Kpis.to_dict`, the one writer of its keys). A record is
also a read-only mapping over those keys, so ``plan.kpis["coverage_share"]`` works
as it always did.

:class:`Delivery` holds a day of deliveries (vans, km, hours, money, CO2) for
either side of the business case; :func:`delivery_kpis` makes one from a
:class:`~lockerplan.routing.RoutingResult` and :func:`compare_last_mile` puts the
lockers next to the door-to-door baseline. Prices come from
:class:`lockerplan.costs.CostModel`.

The business case (:class:`BusinessCase`) puts the same parcels on both sides.
*With lockers*: a covered customer collects at the locker with probability
``adoption_share * exp(-walk / adoption_scale_m)``; every other parcel (beyond
the walk, or a customer who keeps home delivery) is delivered home, routed like
the baseline with its failed first attempts; the sites' fixed costs (per cabinet
module) count, and so do customers' pickup trips by car. *Door to door*: every
parcel to the door. Defaults and their reasoning (assumptions, change them in
the scenario's ``[costs]``):

=====================  =======  ====================================================
setting                default  reasoning
=====================  =======  ====================================================
adoption_share         0.7      share of covered customers who choose the locker when it
                                stands at their door; out-of-home shares of 50-70 % are
                                reported where locker networks are dense (Poland), far
                                less where they are sparse: an optimistic-dense figure
adoption_scale_m       1000     adoption falls with the walk, exp(-walk / 1000 m): 67 %
                                of the share at 400 m, 61 % at 500 m (the form of the
                                attendance model's exponential decay)
pickup_by_car_share    0.05     pickups within a 400-500 m walk are mostly on foot or
                                chained with other trips; 5 % by car
car_co2_kg_per_km      0.17     an average petrol car, about 170 g CO2e/km
=====================  =======  ====================================================

Replenishment and home delivery are routed as two fleets from the same hubs (a
carrier that mixes them in one van does at least as well), and door-to-door
stops are whole demand clusters, so home delivery of the non-adopters drives
about the baseline's km: lockers save driver time and money per parcel more than
van km.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..costs import CostModel, site_cost_per_day
from ..equity import equity_summary
from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from ..routing import RoutingResult
    from ..scenario import Scenario
    from ..siting import SitingResult
    from .prepare import StudyArea


class _Record(Mapping):
    """A frozen dataclass that reads like the dict it writes (``record["key"]``)."""

    #: fields left out of :meth:`to_dict` when they are None
    _optional: tuple[str, ...] = ()
    #: fields that hold a record: a mapping given there is made into that record
    _nested: dict[str, type] = {}

    def __post_init__(self) -> None:
        for key, kind in self._nested.items():
            value = getattr(self, key)
            if isinstance(value, Mapping) and not isinstance(value, kind):
                object.__setattr__(self, key, kind.from_dict(value))

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values (nested records become dicts)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.name in self._optional:
                continue
            out[f.name] = value.to_dict() if isinstance(value, _Record) else value
        return out

    def __getitem__(self, key: str) -> Any:
        if key in self._optional and getattr(self, key, None) is None:
            raise KeyError(key)
        if key not in self.__dataclass_fields__:  # type: ignore[attr-defined]
            raise KeyError(key)
        value = getattr(self, key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Any:
        """The record from a mapping with (some of) its keys, e.g. a ``summary.json``.

        Unknown keys are ignored; missing ones take their defaults.
        """
        if isinstance(values, cls):
            return values
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in values.items() if k in known})


#: Models whose covered parcels are also within the sites' capacity.
CAPACITATED = ("cmclp", "cflp")


@dataclass(frozen=True, eq=False)
class Delivery(_Record):
    """A day of deliveries on one side of the business case.

    Attributes
    ----------
    parcels : float
        Parcels delivered per day (the denominator of the per-parcel figures).
    km, driver_hours : float
        Van kilometres and driver hours per day.
    vans, trips, stops : int
        Vans used, trips driven and stops made.
    vehicle_cost, energy_cost, driver_cost, site_cost, cost : float
        Money per day (``cost`` is the total).
    cost_per_parcel : float or None
        ``cost / parcels`` (None without parcels).
    co2_kg : float
        Van emissions per day, kg CO2e; ``co2_g_per_parcel`` per parcel.
    unserved_sites : int
        Stops the vans could not make; ``unserved_parcels`` their parcels.
    currency : str
        Money unit.
    failure_rate, attempts : float, optional
        Door-to-door only: failed first attempts and delivery attempts per day.
    """

    _optional = ("failure_rate", "attempts")

    parcels: float = 0.0
    km: float = 0.0
    driver_hours: float = 0.0
    vans: int = 0
    trips: int = 0
    stops: int = 0
    vehicle_cost: float = 0.0
    energy_cost: float = 0.0
    driver_cost: float = 0.0
    site_cost: float = 0.0
    cost: float = 0.0
    cost_per_parcel: float | None = None
    co2_kg: float = 0.0
    co2_g_per_parcel: float | None = None
    unserved_sites: int = 0
    unserved_parcels: float = 0.0
    currency: str = "EUR"
    failure_rate: float | None = None
    attempts: float | None = None


def delivery_kpis(
    result: RoutingResult,
    costs: CostModel | None = None,
    *,
    parcels: float | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> Delivery:
    """A day of deliveries from a routing result, priced.

    Parameters
    ----------
    result : RoutingResult
        Routes from :func:`lockerplan.routing.route_vans` or
        :func:`~lockerplan.routing.route_door_to_door`.
    costs : CostModel, optional
        Prices and emission factor.
    parcels : float, optional
        Parcels delivered per day; the routed parcels by default.
    sites : geopandas.GeoDataFrame, optional
        Open sites (with ``kind``), for the fixed site costs.

    Returns
    -------
    Delivery

    Examples
    --------
    >>> k = delivery_kpis(route_vans(arrays, hubs, sites), sites=sites)  # doctest: +SKIP
    >>> k.cost_per_parcel  # doctest: +SKIP
    0.41
    """
    costs = costs or CostModel()
    routes = result.routes
    vans = len(routes)
    n_parcels = float(result.parcels if parcels is None else parcels)
    vehicle = vans * costs.vehicle_per_day
    energy = result.km * costs.energy_per_km
    driver = result.hours * costs.driver_per_hour
    site = site_cost_per_day(sites, costs)
    total = vehicle + energy + driver + site
    co2 = result.km * costs.co2_kg_per_km
    unserved = result.unserved
    return Delivery(
        parcels=round(n_parcels, 2),
        km=round(result.km, 2),
        driver_hours=round(result.hours, 2),
        vans=vans,
        trips=int(routes["trips"].sum()) if vans and "trips" in routes else vans,
        stops=len(result.stops),
        vehicle_cost=round(vehicle, 2),
        energy_cost=round(energy, 2),
        driver_cost=round(driver, 2),
        site_cost=round(site, 2),
        cost=round(total, 2),
        cost_per_parcel=round(total / n_parcels, 3) if n_parcels > 0 else None,
        co2_kg=round(co2, 2),
        co2_g_per_parcel=round(1000 * co2 / n_parcels, 1) if n_parcels > 0 else None,
        unserved_sites=int(unserved["site_id"].nunique()) if len(unserved) else 0,
        unserved_parcels=round(float(unserved["parcels"].sum()), 2)
        if len(unserved) and "parcels" in unserved
        else 0.0,
        currency=costs.currency,
    )


def routing_kpis(
    result: RoutingResult,
    costs: CostModel | None = None,
    *,
    parcels: float | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """:func:`delivery_kpis` as a plain, JSON-ready dict."""
    return delivery_kpis(result, costs, parcels=parcels, sites=sites).to_dict()


@dataclass(frozen=True)
class Comparison:
    """Lockers vs door-to-door for the same parcels (see :func:`compare_deliveries`)."""

    lockers: Delivery
    door_to_door: Delivery
    savings: dict[str, float]


def compare_deliveries(
    lockers: RoutingResult,
    door_to_door: RoutingResult,
    sites: gpd.GeoDataFrame,
    costs: CostModel | None = None,
) -> Comparison:
    """Lockers vs door-to-door for the same parcels, as records.

    The locker side counts the parcels of the routed sites and their fixed costs;
    the door-to-door side counts delivered parcels (attempts less re-deliveries),
    not attempts. ``savings`` is door-to-door minus lockers for ``cost``, ``km``,
    ``driver_hours``, ``co2_kg`` and ``vans``, and ``cost_per_parcel_pct``, the
    lockers' saving in percent of the door-to-door cost per parcel.
    """
    costs = costs or CostModel()
    if "site_id" not in sites or "parcels_per_day" not in sites:
        raise InputError("sites must have 'site_id' and 'parcels_per_day' columns.")
    unserved = set(lockers.unserved["site_id"]) if len(lockers.unserved) else set()
    served = ~sites["site_id"].isin(unserved)
    locker_parcels = float(sites.loc[served, "parcels_per_day"].sum())
    rate = float(door_to_door.stats.get("failure_rate", 0.0))
    attempts = door_to_door.stats.get("attempts")
    missed = (
        float(door_to_door.unserved["parcels"].sum())
        if len(door_to_door.unserved) and "parcels" in door_to_door.unserved
        else 0.0
    )
    d2d_parcels = (
        max(float(attempts) - missed, 0.0) / (1 + rate)
        if attempts is not None
        else float(door_to_door.parcels)
    )
    a = delivery_kpis(lockers, costs, parcels=locker_parcels, sites=sites.loc[served])
    b = dataclasses.replace(
        delivery_kpis(door_to_door, costs, parcels=d2d_parcels),
        failure_rate=rate,
        attempts=attempts,
    )
    savings: dict[str, float] = {
        key: round(b[key] - a[key], 2) for key in ("cost", "km", "driver_hours", "co2_kg", "vans")
    }
    if a.cost_per_parcel and b.cost_per_parcel:
        savings["cost_per_parcel_pct"] = round(
            100 * (b.cost_per_parcel - a.cost_per_parcel) / b.cost_per_parcel, 1
        )
    return Comparison(a, b, savings)


@dataclass(frozen=True, eq=False)
class Side(_Record):
    """One side of the business case: every parcel of the day, delivered one way.

    Attributes
    ----------
    parcels_per_day : float
        Parcels delivered (the same parcels on both sides).
    locker_parcels_per_day, home_parcels_per_day : float, optional
        With lockers: collected at lockers, and delivered home (customers beyond
        the walk and those who do not adopt the locker). None door to door.
    cost_per_day, cost_per_parcel : float
        Vans, km, driver hours and (with lockers) the sites' fixed costs.
    co2_kg_per_day : float
        Vans' emissions, plus (with lockers) customers' pickup trips by car.
    vans, km, driver_hours
        The fleet's day (replenishment and home delivery together).
    """

    _optional = ("locker_parcels_per_day", "home_parcels_per_day")

    parcels_per_day: float = 0.0
    locker_parcels_per_day: float | None = None
    home_parcels_per_day: float | None = None
    cost_per_day: float = 0.0
    cost_per_parcel: float | None = None
    co2_kg_per_day: float = 0.0
    vans: int = 0
    km: float = 0.0
    driver_hours: float = 0.0


@dataclass(frozen=True, eq=False)
class BusinessCase(_Record):
    """Lockers plus home delivery of the rest, against every parcel to the door.

    Both sides deliver the same parcels: with lockers, the covered customers who
    adopt the locker collect there (adoption falls with the walk) and everyone
    else gets home delivery, routed like the door-to-door side, failed first
    attempts included. Costs are per day on the same base.
    """

    _nested = {"with_lockers": Side, "door_to_door": Side}

    with_lockers: Side = field(default_factory=Side)
    door_to_door: Side = field(default_factory=Side)
    savings_per_day: float = 0.0
    savings_pct: float | None = None


def business_case(
    lockers: Delivery,
    home: Delivery,
    door: Delivery,
    *,
    locker_parcels: float,
    pickup_co2_kg: float,
) -> BusinessCase:
    """The two sides of the business case from three priced days of routes.

    Parameters
    ----------
    lockers : Delivery
        Replenishment of the routed sites (with their fixed costs).
    home : Delivery
        Home delivery of the parcels that do not go to a locker.
    door : Delivery
        Every parcel to the door.
    locker_parcels : float
        Parcels collected at routed lockers per day.
    pickup_co2_kg : float
        Customers' car trips to collect them, kg CO2e per day.
    """
    parcels = locker_parcels + home.parcels
    cost = lockers.cost + home.cost
    with_lockers = Side(
        parcels_per_day=round(parcels, 2),
        locker_parcels_per_day=round(locker_parcels, 2),
        home_parcels_per_day=round(home.parcels, 2),
        cost_per_day=round(cost, 2),
        cost_per_parcel=round(cost / parcels, 3) if parcels > 0 else None,
        co2_kg_per_day=round(lockers.co2_kg + home.co2_kg + pickup_co2_kg, 2),
        vans=lockers.vans + home.vans,
        km=round(lockers.km + home.km, 2),
        driver_hours=round(lockers.driver_hours + home.driver_hours, 2),
    )
    door_side = Side(
        parcels_per_day=round(door.parcels, 2),
        cost_per_day=door.cost,
        cost_per_parcel=door.cost_per_parcel,
        co2_kg_per_day=door.co2_kg,
        vans=door.vans,
        km=door.km,
        driver_hours=door.driver_hours,
    )
    saving = door.cost - cost
    return BusinessCase(
        with_lockers=with_lockers,
        door_to_door=door_side,
        savings_per_day=round(saving, 2),
        savings_pct=round(100 * saving / door.cost, 1) if door.cost > 0 else None,
    )


@dataclass(frozen=True)
class Delivered:
    """The routing of a plan and its priced days (made by
    :func:`lockerplan.pipeline.solve.route_plan`).

    Attributes
    ----------
    hubs : geopandas.GeoDataFrame
        The hubs the vans start from.
    routing : RoutingResult
        The replenishment routes to the open sites.
    lockers : Delivery
        Those routes priced, with the sites' fixed costs.
    comparison : Comparison or None
        Replenishment vs every parcel to the door (the ``lockers`` /
        ``door_to_door`` figures); None without the door-to-door baseline.
    business : BusinessCase or None
        Lockers plus home delivery vs door to door.
    home_unserved : pandas.DataFrame or None
        Clusters whose home delivery no van can make (``site_id`` = cluster id,
        ``reason``, ``parcels``).
    """

    hubs: gpd.GeoDataFrame
    routing: RoutingResult
    lockers: Delivery
    comparison: Comparison | None = None
    business: BusinessCase | None = None
    home_unserved: pd.DataFrame | None = None


def compare_last_mile(
    lockers: RoutingResult,
    door_to_door: RoutingResult,
    sites: gpd.GeoDataFrame,
    costs: CostModel | None = None,
) -> dict[str, Any]:
    """Lockers vs door-to-door for the same parcels, side by side, JSON-ready.

    Returns
    -------
    dict
        ``{"lockers": {...}, "door_to_door": {...}, "savings": {...}}`` (see
        :func:`compare_deliveries`; ``door_to_door`` adds ``failure_rate`` and
        ``attempts``).

    Examples
    --------
    >>> d2d = route_door_to_door(arrays, hubs, covered_clusters)  # doctest: +SKIP
    >>> cmp = compare_last_mile(plan.routing, d2d, plan.sites)  # doctest: +SKIP
    >>> cmp["lockers"]["cost_per_parcel"] < cmp["door_to_door"]["cost_per_parcel"]  # doctest: +SKIP
    True
    """
    cmp = compare_deliveries(lockers, door_to_door, sites, costs)
    return {
        "lockers": cmp.lockers.to_dict(),
        "door_to_door": cmp.door_to_door.to_dict(),
        "savings": cmp.savings,
    }


@dataclass(frozen=True, eq=False)
class Kpis(_Record):
    """The key figures of a plan; the keys of ``summary.json``.

    Units: parcels per day, metres, km, hours, seconds, the scenario's currency
    per day. Every field has a default so that a partial record (a test, a
    re-read ``summary.json``) can be made with :meth:`from_dict`.

    Attributes
    ----------
    name, osm : str
        Plan name and study-area source (file name or place).
    sites_open : int
        Open sites; ``sites_limit`` the limit N where the model has one (None for
        models that choose the number themselves).
    sites_over_capacity, over_capacity_parcels_per_day
        Open sites assigned more parcels than their modules hand out, and the
        parcels beyond (models without capacities; see ``--model cmclp``).
    demand_parcels_per_day, covered_parcels_per_day, coverage_share : float
        Demand in the study area, the part the plan's allocation serves within
        the walking cutoff, and their ratio.
    mean_walk_m, walk_m : float
        Parcel-weighted walk of covered demand; the walking cutoff.
    route_km, route_hours, vans_used, routes_feasible
        The replenishment routes; the routing chooses how many vans to use.
    vans_needed : int or None
        Set when a cap on the vans (``vans_per_hub``) left sites unrouted: the vans
        the day needs.
    model, solver, solver_status, solver_gap, solver_objective, solver_bound, solver_s
        The siting model and how it was solved.
    regions, regions_note : int, str
        Regions the siting was solved in (``--scheduler``; 1 when not decomposed)
        and where they ran (``"Dask local, 2 workers"``) or why the siting was
        not decomposed ("" without ``--scheduler``).
    demand_read_parcels_per_day, demand_points, demand_source, demand_clusters,
    aggregation_error_m
        What the demand stage read and how it was clustered.
    candidates, candidates_source, hubs : int, str, int
        Inputs counted.
    dropped, dropped_parcels_per_day, unserved_sites
        What was left out (see ``dropped.csv``).
    not_coverable_clusters, not_coverable_parcels_per_day
        Demand no candidate site reaches within the walk (listed in ``dropped.csv``
        as ``not_coverable``; delivered home).
    captured_parcels_per_day : float
        Parcels of the clusters our network captures: their nearest open site within
        the walk is ours (:mod:`lockerplan.competitors`); without competitors equal
        to ``covered_parcels_per_day``.
    competitor_sites, competitor_operators : int, list of str
        A rival network's sites on the walk network, and their operators.
    rival_parcels_per_day : float
        Parcels whose customers have a competitor within the walk and are not
        captured by us: they walk to a rival first (clusters that a competitor is
        nearer to than every candidate are in ``dropped.csv`` as
        ``competitor_nearer``).
    equity : dict
        :func:`lockerplan.equity.equity_summary` of the plan's coverage cells.
    runtime_s : float
        Wall time of the plan.
    stage_seconds : dict
        Wall seconds per stage: ``networks``, ``demand``, ``candidates``,
        ``distances`` (preparing), ``siting``, ``allocation`` (with catchments),
        ``routing`` and ``results``.
    currency, cost_per_day, cost_per_parcel, co2_kg_per_day
        With the business case: the whole day with lockers (lockers plus home
        delivery of the rest, site costs included, customers' car pickups in the
        CO2); without it: the replenishment routes and the sites.
    lockers, door_to_door : Delivery
        The replenishment routes, and every parcel to the door (None when not
        routed); ``door_to_door_savings`` door-to-door minus replenishment.
    business_case : BusinessCase
        Lockers plus home delivery vs door to door, for the same parcels.
    scenarios : list of dict, optional
        With ``--demand-scenarios``: per scenario ``name``, ``factor``,
        ``demand_parcels_per_day``, ``coverage_share``, ``served_parcels_per_day``,
        ``overflow_parcels_per_day`` and ``sites_over_capacity``
        (:mod:`lockerplan.pipeline.demand_scenarios`).
    """

    _optional = ("lockers", "door_to_door", "door_to_door_savings", "business_case", "scenarios")
    _nested = {"lockers": Delivery, "door_to_door": Delivery, "business_case": BusinessCase}

    name: str = "plan"
    osm: str = ""
    sites_open: int = 0
    sites_limit: int | None = None
    sites_over_capacity: int = 0
    over_capacity_parcels_per_day: float = 0.0
    demand_parcels_per_day: float = 0.0
    covered_parcels_per_day: float = 0.0
    coverage_share: float = 0.0
    mean_walk_m: float = 0.0
    walk_m: float = 0.0
    route_km: float = 0.0
    route_hours: float = 0.0
    vans_used: int = 0
    vans_needed: int | None = None
    routes_feasible: bool = True
    model: str = ""
    solver: str = ""
    solver_status: str = ""
    solver_gap: float = 0.0
    solver_objective: float = 0.0
    solver_bound: float = 0.0
    solver_s: float = 0.0
    regions: int = 1
    regions_note: str = ""
    demand_read_parcels_per_day: float = 0.0
    demand_points: int = 0
    demand_source: str = ""
    aggregation_error_m: dict = field(default_factory=dict)
    demand_clusters: int = 0
    candidates: int = 0
    candidates_source: str = ""
    hubs: int = 0
    dropped: int = 0
    dropped_parcels_per_day: float = 0.0
    not_coverable_clusters: int = 0
    not_coverable_parcels_per_day: float = 0.0
    captured_parcels_per_day: float = 0.0
    competitor_sites: int = 0
    competitor_operators: list = field(default_factory=list)
    rival_parcels_per_day: float = 0.0
    unserved_sites: int = 0
    equity: dict = field(default_factory=dict)
    runtime_s: float = 0.0
    stage_seconds: dict = field(default_factory=dict)
    currency: str = "EUR"
    cost_per_day: float | None = None
    cost_per_parcel: float | None = None
    co2_kg_per_day: float | None = None
    lockers: Delivery | None = None
    door_to_door: Delivery | None = None
    door_to_door_savings: dict | None = None
    business_case: BusinessCase | None = None
    scenarios: list | None = None

    @property
    def locker_cost_per_parcel(self) -> float | None:
        """Cost per parcel with lockers: the business case's, else the routes' (or None)."""
        for value in (self.cost_per_parcel, self.lockers and self.lockers.cost_per_parcel):
            if value is not None and value == value:  # not None, not NaN
                return float(value)
        return None

    @property
    def sites_text(self) -> str:
        """``"6 of at most 6"``, or ``"21 (the lscp model chooses how many; ...)"``."""
        if self.sites_limit is None:
            return f"{self.sites_open} (the {self.model} model chooses how many; --sites does not apply)"
        return f"{self.sites_open} of at most {self.sites_limit}"

    @property
    def competitors_text(self) -> str:
        """``"3 sites (RivalBox), captured 41.2 parcels/day; 12.0 parcels/day walk to a
        rival first"``, or "" without competitors."""
        if not self.competitor_sites:
            return ""
        operators = ", ".join(self.competitor_operators) or "operator unknown"
        return (
            f"{self.competitor_sites} sites ({operators}), captured "
            f"{self.captured_parcels_per_day:,.1f} parcels/day; "
            f"{self.rival_parcels_per_day:,.1f} parcels/day walk to a rival first"
        )

    def _competitor_rows(self) -> list[tuple[str, str]]:
        return [("competitors", self.competitors_text)] if self.competitor_sites else []

    @property
    def solver_text(self) -> str:
        """``"optimal (cmclp, gap 0.00 %, 0.36 s, highs)"``, and with ``--scheduler``
        ``"; 12 regions (Dask local, 2 workers)"`` (or why not decomposed)."""
        text = (
            f"{self.solver_status} ({self.model}, gap {100 * self.solver_gap:.2f} %, "
            f"{self.solver_s:.2f} s, {self.solver})"
        )
        if self.regions_note:
            text += f"; {self.regions} region{'s' * (self.regions != 1)} ({self.regions_note})"
        return text

    def summary_lines(self) -> list[tuple[str, str]]:
        """The figures a reader sees, as ``(label, text)`` rows.

        The command line's summary, the notebook view and the map's panel show
        these rows, so they always say the same thing.
        """
        rows = [("sites open", self.sites_text)]
        if self.sites_over_capacity:
            rows.append(
                (
                    "over capacity",
                    f"{self.sites_over_capacity} sites, {self.over_capacity_parcels_per_day:,.1f} "
                    "parcels/day beyond what their cabinets hand out",
                )
            )
        rows += [
            (
                "covered",
                f"{self.covered_parcels_per_day:,.1f} of {self.demand_parcels_per_day:,.1f} "
                f"parcels/day = {100 * self.coverage_share:.1f} % within {self.walk_m:.0f} m walk"
                + (" and capacity" if self.model in CAPACITATED else ""),
            ),
            *self._competitor_rows(),
            ("mean walk", f"{self.mean_walk_m:.0f} m (covered parcels, network distance)"),
            ("solver", self.solver_text),
            (
                "routes",
                f"{self.vans_used} vans, {self.route_km:,.1f} km, {self.route_hours:.1f} h "
                f"from {self.hubs} hub(s)",
            ),
        ]
        bc = self.business_case
        if bc is not None:
            w, d = bc.with_lockers, bc.door_to_door
            rows.append(
                (
                    "with lockers",
                    f"{w.cost_per_day:,.0f} {self.currency}/day, {w.cost_per_parcel or 0:.2f} per "
                    f"parcel for {w.parcels_per_day:,.1f} parcels ({w.locker_parcels_per_day:,.1f} "
                    f"at lockers, {w.home_parcels_per_day:,.1f} home), {w.vans} vans, "
                    f"{w.co2_kg_per_day:,.1f} kg CO2/day",
                )
            )
            rows.append(
                (
                    "door-to-door",
                    f"{d.cost_per_day:,.0f} {self.currency}/day, {d.cost_per_parcel or 0:.2f} per "
                    f"parcel for {d.parcels_per_day:,.1f} parcels, {d.vans} vans, "
                    f"{d.co2_kg_per_day:,.1f} kg CO2/day "
                    f"({100 * (self.door_to_door.failure_rate or 0):.0f} % failed first attempts "
                    "re-delivered)",
                )
            )
        elif self.cost_per_day is not None:
            rows.append(
                (
                    "cost",
                    f"{self.cost_per_day:,.0f} {self.currency}/day, "
                    f"{self.cost_per_parcel or 0:.2f} per parcel, "
                    f"{self.co2_kg_per_day or 0:.1f} kg CO2/day",
                )
            )
        d = self.door_to_door
        if d is not None and bc is None:
            rows.append(
                (
                    "door-to-door",
                    f"{d.cost:,.0f} {self.currency}/day, {d.cost_per_parcel or 0:.2f} per parcel, "
                    f"{d.vans} vans, {d.km:,.1f} km, {d.driver_hours:.1f} h, "
                    f"{d.co2_kg:.1f} kg CO2/day "
                    f"({100 * (d.failure_rate or 0):.0f} % failed first attempts re-delivered)",
                )
            )
        rows += [("demand " + s["name"], scenario_text(s)) for s in self.scenarios or ()]
        if self.dropped:
            rows.append(
                (
                    "dropped",
                    f"{self.dropped} items, {self.dropped_parcels_per_day:,.1f} parcels/day "
                    "(see dropped.csv)",
                )
            )
        if self.not_coverable_clusters:
            rows.append(
                (
                    "not coverable",
                    f"{self.not_coverable_clusters} clusters, "
                    f"{self.not_coverable_parcels_per_day:,.1f} parcels/day no candidate reaches "
                    "within the walk (see dropped.csv)",
                )
            )
        if self.unserved_sites:
            rows.append(("unserved sites", f"{self.unserved_sites} (see dropped.csv)"))
        if self.vans_needed is not None and self.vans_needed > self.vans_used:
            rows.append(
                (
                    "vans needed",
                    f"{self.vans_needed} to route every site; the cap allows "
                    f"{self.vans_used} (raise --vans-per-hub or remove it)",
                )
            )
        return [*rows, ("runtime", f"{self.runtime_s:.1f} s")]

    def summary(self) -> str:
        """The one-screen text the command line prints."""
        head = [
            f"lockerplan: {self.name}  ({self.osm})",
            f"  {'demand':14s} {self.demand_parcels_per_day:,.1f} parcels/day from "
            f"{self.demand_points} points ({self.demand_source}) in {self.demand_clusters} clusters",
            f"  {'candidates':14s} {self.candidates} sites ({self.candidates_source})",
        ]
        return "\n".join(head + [f"  {label:14s} {text}" for label, text in self.summary_lines()])


def scenario_text(s: Mapping[str, Any]) -> str:
    """One demand scenario of :attr:`Kpis.scenarios` as a line of the summary.

    Examples
    --------
    >>> scenario_text({"factor": 2.5, "coverage_share": 0.8, "served_parcels_per_day": 3000.0,
    ...                "overflow_parcels_per_day": 0.0, "demand_parcels_per_day": 3750.0})
    'x2.5: 80.0 % of 3,750.0 parcels/day served within walk and capacity (3,000.0), overflow 0.0'
    """
    return (
        f"x{s['factor']:g}: {100 * s['coverage_share']:.1f} % of "
        f"{s['demand_parcels_per_day']:,.1f} parcels/day served within walk and capacity "
        f"({s['served_parcels_per_day']:,.1f}), overflow {s['overflow_parcels_per_day']:,.1f}"
    )


def plan_kpis(
    sc: Scenario,
    area: StudyArea,
    siting: SitingResult,
    clusters: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    delivered: Delivered,
    *,
    cells: gpd.GeoDataFrame,
    dropped: pd.DataFrame,
    sites_limit: int | None,
    runtime_s: float,
    stage_seconds: dict[str, float] | None = None,
) -> Kpis:
    """The one place a plan's :class:`Kpis` are made.

    Covered parcels are those the siting result serves (``served_parcels_per_day``
    of the clusters it assigns: all of a cluster's parcels, or the part capacity
    lets a capacitated model serve); demand is the study area's, after what the
    demand stage dropped (reported in ``dropped`` and
    ``demand_read_parcels_per_day``).
    """

    from ..demand import aggregation_error

    total = float(area.demand_points["parcels_per_day"].sum())
    cov = clusters["covered"].to_numpy()
    w = clusters["served_parcels_per_day"].to_numpy(dtype=float)
    covered = float(w[cov].sum())
    mean_walk = (
        float(np.average(clusters["walk_m"].to_numpy()[cov], weights=w[cov])) if covered else 0.0
    )
    routes = delivered.routing.routes
    lockers, cmp, bc = delivered.lockers, delivered.comparison, delivered.business
    over = sites["over_capacity_parcels_per_day"].to_numpy(dtype=float)
    layer = dropped["layer"]
    lost = (~layer.isin(["not_coverable", "competitor_nearer"])).to_numpy()
    uncoverable = (layer == "not_coverable").to_numpy()
    near = clusters.get("nearest_competitor_m")  # within the walk of a competitor
    rival = ~cov & (near.notna().to_numpy() if near is not None else False)
    rivals = getattr(area, "competitors", None)
    return Kpis(
        name=sc.name or area.name,
        osm=area.source,
        sites_open=len(siting.open_sites),
        sites_limit=sites_limit,
        sites_over_capacity=int((over > 0).sum()),
        over_capacity_parcels_per_day=round(float(over.sum()), 2),
        demand_parcels_per_day=round(total, 2),
        covered_parcels_per_day=round(covered, 2),
        coverage_share=round(covered / total, 4) if total else 0.0,
        mean_walk_m=round(mean_walk, 1),
        walk_m=sc.walk_m,
        route_km=round(delivered.routing.km, 2),
        route_hours=round(float(routes["hours"].sum()), 2) if len(routes) else 0.0,
        vans_used=len(routes),
        vans_needed=delivered.routing.stats.get("vans_needed"),
        routes_feasible=delivered.routing.feasible,
        model=siting.model,
        solver=siting.solver,
        solver_status=siting.status,
        solver_gap=round(float(siting.gap), 6),
        solver_objective=round(float(siting.objective), 4),
        solver_bound=round(float(siting.best_bound), 4),
        solver_s=round(siting.solve_s, 3),
        regions=int(siting.stats.get("regions", 1)),
        regions_note=str(siting.stats.get("regions_note", "")),
        demand_read_parcels_per_day=round(area.demand_parcels_in, 2),
        demand_points=len(area.demand_points),
        demand_source=area.demand_source,
        aggregation_error_m=aggregation_error(clusters),
        demand_clusters=len(clusters),
        candidates=len(area.candidates),
        candidates_source=area.candidates_source,
        hubs=len(delivered.hubs),
        dropped=int(lost.sum()),
        dropped_parcels_per_day=round(float(dropped.loc[lost, "parcels_per_day"].sum()), 2),
        not_coverable_clusters=int(uncoverable.sum()),
        not_coverable_parcels_per_day=round(
            float(dropped.loc[uncoverable, "parcels_per_day"].sum()), 2
        ),
        captured_parcels_per_day=round(covered, 2),
        competitor_sites=0 if rivals is None else int(rivals["on_network"].sum()),
        competitor_operators=[]
        if rivals is None
        else sorted(
            {str(o) for o in rivals.loc[rivals["on_network"], "operator"] if str(o).strip()}
        ),
        rival_parcels_per_day=round(float(clusters["parcels_per_day"].to_numpy()[rival].sum()), 2),
        unserved_sites=len(delivered.routing.unserved),
        equity=equity_summary(cells),
        runtime_s=round(runtime_s, 2),
        stage_seconds=dict(stage_seconds or {}),
        currency=lockers.currency,
        cost_per_day=bc.with_lockers.cost_per_day if bc else lockers.cost,
        cost_per_parcel=bc.with_lockers.cost_per_parcel if bc else lockers.cost_per_parcel,
        co2_kg_per_day=bc.with_lockers.co2_kg_per_day if bc else lockers.co2_kg,
        lockers=lockers,
        door_to_door=cmp.door_to_door if cmp else None,
        door_to_door_savings=cmp.savings if cmp else None,
        business_case=bc,
    )
