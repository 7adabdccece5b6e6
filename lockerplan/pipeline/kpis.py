"""A plan's key figures: :func:`plan_kpis` makes its :class:`~lockerplan.records.Kpis`.

The figures are declared in :mod:`lockerplan.figures` (key, label, unit, format,
help) and their record is :class:`lockerplan.records.Kpis`; this module is the
one place a plan's record is filled, at the end of
:func:`lockerplan.pipeline.solve.plan_study_area`. The business case it reports
is priced by :mod:`lockerplan.costs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..assumptions import plan_assumptions
from ..demand import aggregation_error
from ..equity import equity_summary
from ..records import BusinessCase, ChoiceFigures, Kpis, Parcels, PricingFigures
from ..siting import MODELS
from .commutes import on_the_way_figures

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from ..siting import SitingResult
    from .allocate import Allocation
    from .prepare import StudyArea
    from .route import Delivered

__all__ = ["Kpis", "parcel_balance", "plan_kpis"]

#: Layers of the dropped table whose parcels nobody delivers (the others say why a
#: parcel went home rather than to a locker).
NOT_DELIVERED_LAYERS = ("demand_points", "demand_clusters", "home_delivery")


def parcel_balance(
    read: float, bc: BusinessCase, dropped: pd.DataFrame, at_rivals: float = 0.0
) -> Parcels:
    """Every parcel read, accounted for: at our lockers, at rivals' lockers, home, or
    not delivered (by reason).

    Examples
    --------
    >>> import pandas as pd
    >>> from lockerplan.records import BusinessCase
    >>> bc = BusinessCase(with_lockers={"locker_parcels_per_day": 40.0,
    ...     "home_parcels_per_day": 55.0})
    >>> d = pd.DataFrame({"layer": ["demand_points", "sites"], "id": ["row 3", "s1"],
    ...     "parcels_per_day": [5.0, 9.0], "reason": ["outside study area", "x"]})
    >>> p = parcel_balance(100.0, bc, d)
    >>> p.not_delivered, p.not_delivered_by_reason
    (5.0, {'outside study area': 5.0})
    """
    lost = dropped[dropped["layer"].isin(NOT_DELIVERED_LAYERS).to_numpy()]
    lost = lost[lost["parcels_per_day"].notna().to_numpy()]
    by_reason = lost.groupby("reason")["parcels_per_day"].sum().sort_values(ascending=False)
    w = bc.with_lockers
    return Parcels(
        read=round(read, 2),
        at_lockers=round(float(w.locker_parcels_per_day or 0.0), 2),
        at_rivals=round(at_rivals, 2),
        home=round(float(w.home_parcels_per_day or 0.0), 2),
        not_delivered=round(float(by_reason.sum()), 2),
        not_delivered_by_reason={str(k): round(float(v), 2) for k, v in by_reason.items()},
    )


def _money(delivered: Delivered, read: float, dropped: pd.DataFrame) -> dict[str, Any]:
    """The figures of the priced days: the plan's cost and CO2 (the day with lockers,
    or the replenishment alone without the baseline), both sides and the parcels."""
    lockers, cmp, bc = delivered.lockers, delivered.comparison, delivered.business
    return {
        "currency": lockers.currency,
        "cost_per_day": bc.with_lockers.cost_per_day if bc else lockers.cost,
        "cost_per_parcel": bc.with_lockers.cost_per_parcel if bc else lockers.cost_per_parcel,
        "co2_kg_per_day": bc.with_lockers.co2_kg_per_day if bc else lockers.co2_kg,
        "lockers": lockers,
        "door_to_door": cmp.door_to_door if cmp else None,
        "door_to_door_savings": cmp.savings if cmp else None,
        "business_case": bc,
        "parcels": parcel_balance(read, bc, dropped, delivered.rival_parcels) if bc else None,
    }


def _rival_parcels(clusters: gpd.GeoDataFrame, choice: ChoiceFigures | None) -> float:
    """Parcels customers take to rivals' sites: under the MNL its figure, else the
    parcels of the clusters within a rival's walk that no site of ours covers."""
    if choice is not None:
        return round(float(choice.rival_parcels_per_day), 2)
    near = clusters.get("nearest_competitor_m")
    if near is None:
        return 0.0
    rival = ~clusters["covered"].to_numpy(dtype=bool) & near.notna().to_numpy()
    return round(float(clusters["parcels_per_day"].to_numpy()[rival].sum()), 2)


def plan_kpis(
    name: str,
    area: StudyArea,
    siting: SitingResult,
    alloc: Allocation,
    delivered: Delivered,
    *,
    walk_m: float,
    sites: int,
    cells: gpd.GeoDataFrame,
    dropped: pd.DataFrame,
    runtime_s: float,
    stage_seconds: dict[str, float] | None = None,
    choice: ChoiceFigures | None = None,
    pricing: PricingFigures | None = None,
) -> Kpis:
    """The one place a plan's :class:`Kpis` are made.

    Covered parcels are those the siting result serves (``served_parcels_per_day``
    of the clusters it assigns: all of a cluster's parcels, or the part capacity
    lets a capacitated model serve); demand is the study area's, after what the
    demand stage dropped (reported in ``dropped`` and
    ``demand_read_parcels_per_day``). The site limit and whether coverage is within
    capacity are the model's traits (:data:`lockerplan.siting.MODELS`).
    """
    clusters, open_sites = alloc.clusters, alloc.sites
    spec = MODELS[siting.model]
    total = float(area.demand_points["parcels_per_day"].sum())
    cov = clusters["covered"].to_numpy()
    w = clusters["served_parcels_per_day"].to_numpy(dtype=float)
    covered = float(w[cov].sum())
    mean_walk = (
        float(np.average(clusters["walk_m"].to_numpy()[cov], weights=w[cov])) if covered else 0.0
    )
    routes = delivered.routing.routes
    over = open_sites["over_capacity_parcels_per_day"].to_numpy(dtype=float)
    layer = dropped["layer"]
    lost = (~layer.isin(["not_coverable", "competitor_nearer"])).to_numpy()
    uncoverable = (layer == "not_coverable").to_numpy()
    rivals = getattr(area, "competitors", None)
    otw = getattr(area, "on_the_way", None)
    return Kpis(
        name=name,
        osm=area.source,
        sites_open=len(siting.open_sites),
        sites_limit=sites if spec.uses_sites else None,
        sites_over_capacity=int((over > 0).sum()),
        over_capacity_parcels_per_day=round(float(over.sum()), 2),
        demand_parcels_per_day=round(total, 2),
        covered_parcels_per_day=round(covered, 2),
        coverage_share=round(covered / total, 4) if total else 0.0,
        mean_walk_m=round(mean_walk, 1),
        walk_m=walk_m,
        route_km=round(delivered.routing.km, 2),
        route_hours=round(float(routes["hours"].sum()), 2) if len(routes) else 0.0,
        vans_used=len(routes),
        vans_needed=delivered.routing.stats.get("vans_needed"),
        routes_feasible=delivered.routing.feasible,
        model=siting.model,
        capacitated=spec.capacitated,
        solver=siting.solver,
        solver_status=siting.status,
        solver_gap=round(float(siting.gap), 6),
        solver_objective=round(float(siting.objective), 4),
        solver_bound=round(float(siting.best_bound), 4),
        solver_s=round(siting.solve_s, 3),
        regions=int(siting.stats.get("regions", 1)),
        regions_note=str(siting.stats.get("regions_note", "")),
        country=str(area.country.get("code", "")),
        country_found=str(area.country.get("found", "")),
        assumptions=plan_assumptions(area.scenario, area.country) if area.country else {},
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
        rival_parcels_per_day=_rival_parcels(clusters, choice),
        unserved_sites=len(delivered.routing.unserved),
        equity=equity_summary(cells),
        runtime_s=round(runtime_s, 2),
        stage_seconds=dict(stage_seconds or {}),
        **_money(delivered, area.demand_parcels_in, dropped),
        choice=choice,
        pricing=pricing,
        on_the_way=None
        if otw is None
        else on_the_way_figures(otw, clusters, open_sites, area.candidates, total),
    )
