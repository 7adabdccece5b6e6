"""Roll-out phases: a network built in steps, every site of a phase kept in the next.

A network is never built at once. :func:`rollout` plans nested phases, e.g. 10, 25
and 50 sites: every site open in phase ``k`` stays open in phase ``k + 1``. The study
area is prepared once (as a sweep does) and each phase is one plan on it: sited,
allocated, routed, with its business case.

How the phases are solved
-------------------------
``order="forward"`` (greedy forward): phase 1 is the best plan with ``phases[0]``
sites; phase ``k`` is the best plan with ``phases[k]`` sites that keeps phase
``k - 1``'s sites open (they are forced open, like ``--open``). ``order="backward"``:
the last phase is the best plan with ``phases[-1]`` sites; phase ``k`` is the best
plan with ``phases[k]`` sites among phase ``k + 1``'s sites (every other candidate
is excluded, like ``--exclude``). Both are nested by construction and both reuse
the siting model as it is (forced-open and excluded sites are honoured by every
model).

The optimum, the bound, and the price of nesting
------------------------------------------------
No nested plan can cover more in phase ``k`` than the best plan with ``phases[k]``
sites and no nesting. So for every phase the same model is also solved without
the roll-out's forced or excluded sites. Two figures come of it:

* ``optimal_coverage_share``: the best plan found with that many sites and no
  nesting, the optimum solve's plan or the nested phase itself when that covers
  more (it is such a plan too). The phase that is its own optimum (the first
  forward, the last backward) is it.
* ``coverage_bound_share``: what no plan with that many sites covers more than,
  the solver's proven bound (``SitingResult.best_bound``). It equals the optimum
  when that solve is proven optimal; when a solve stops at its time limit, the
  difference is the solver's gap, not the nesting's.

The price of nesting is ``100 * (optimum - nested) / optimum`` in percent: what
the roll-out costs against planning each phase from scratch, measured, not
assumed; 0 for the phase that is its own optimum. ``price_bound_pct``, ``100 *
(bound - nested) / bound``, is the most it can be: both agree when every solve is
proven optimal. Both compare the solves' objectives, the parcels each siting
covers; a phase's ``covered_parcels_per_day`` is what its siting covered (with
``--on-the-way``, the customer groups' parcels reached from home, work or the
way). A joint multi-period MILP would make the same comparison against the same
bound; the sequence's measured price says how much there is left to gain.

Which order? Forward keeps the first phase optimal (the sites built first cover
the most) and pays the price at the end; backward keeps the final network optimal
and pays it in the early phases. Measured (README, "Roll-out phases"): central
Helsinki, 2/4/6 sites, forward 0 / 0 / 4.2 % against backward 8.9 / 0.6 / 0 %;
Porto Alegre, 25/50/100 sites, forward 0 / 0 / 0.9 % (against the solver's bound
of a 100-site solve stopped at its time limit) and backward 0 / 0 / 0.2 % (its
own gap). The default is ``forward``: its worst phase was cheaper on Helsinki
(4.2 % vs 8.9 %), on Porto Alegre both stay under 1 %, and the phase it makes
optimal is the one built first, on the firmest figures.

Routing: every phase is routed (replenishment, and with ``door_to_door`` the home
deliveries and the baseline) so that each phase has its business case; the
unconstrained optima are sited only.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..export import write_plan
from ..figures import PHASE_FIGURES
from ..progress import tqdm
from ..scenario import Scenario
from ..scenario.checks import Whole
from ..siting import MODELS, SitingResult
from .allocate import candidate_attributes
from .prepare import StudyArea, prepare_study_area, resolve_scenario
from .result import Plan
from .solve import plan_study_area, solve_siting

log = logging.getLogger(__name__)

#: How the phases are solved (see the module docstring).
ORDERS = ("forward", "backward")


def check_phases(phases: Iterable[int] | str) -> tuple[int, ...]:
    """Site counts of the phases: strictly increasing whole numbers >= 1.

    Parameters
    ----------
    phases : iterable of int, or str
        E.g. ``(10, 25, 50)`` or ``"10,25,50"``.

    Returns
    -------
    tuple of int

    Raises
    ------
    InputError
        Naming ``--phases`` and what was expected.

    Examples
    --------
    >>> check_phases("2, 4,6")
    (2, 4, 6)
    >>> check_phases([5, 5])
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --phases must be strictly increasing whole numbers >= 1 (sites per phase), e.g. 10,25,50; got [5, 5].
    """
    given = phases
    if isinstance(phases, str):
        phases = [p.strip() for p in phases.split(",") if p.strip()]
    expected = (
        "--phases must be strictly increasing whole numbers >= 1 (sites per phase), "
        f"e.g. 10,25,50; got {given!r}."
    )
    try:
        parts = list(phases)
    except TypeError:
        raise InputError(expected) from None
    values = []
    for part in parts:
        if isinstance(part, str):
            try:
                part = int(part)
            except ValueError:
                raise InputError(expected) from None
        elif isinstance(part, float) and part.is_integer():
            part = int(part)
        if isinstance(part, bool) or not isinstance(part, int) or part < 1:
            raise InputError(expected)
        values.append(Whole(low=1)("--phases", part))  # a number too large is named as such
    if not values or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise InputError(expected)
    return tuple(values)


@dataclass
class RolloutResult:
    """Nested phases of a network and what each costs against its optimum.

    Attributes
    ----------
    plan : Plan
        The last phase's plan; its facilities layer (``plan.sites``) has a ``phase``
        column: the first phase (1-based) each site is open in.
    phases : pandas.DataFrame
        One row per phase: ``phase``, ``sites`` (the limit), ``sites_open``,
        ``new_sites``, ``covered_parcels_per_day``, ``coverage_share``,
        ``optimal_coverage_share``, ``coverage_bound_share``, ``optimum_status``,
        ``price_of_nesting_pct``, ``price_bound_pct``, ``solver_status``, ``solver_gap``, ``cost_per_day``,
        ``cost_per_parcel_with_lockers`` and ``cost_per_parcel_door_to_door``
        (the phase's business case; None without the door-to-door baseline).
    plans : tuple of Plan
        Every phase's plan, first to last.
    order : str
        ``"forward"`` or ``"backward"`` (see :mod:`lockerplan.pipeline.rollout`).
    """

    plan: Plan
    phases: pd.DataFrame
    plans: tuple[Plan, ...]
    order: str = "forward"

    def phase_records(self) -> list[dict[str, Any]]:
        """The phases as JSON-ready dicts (``summary.json`` key ``phases``)."""
        frame = self.phases.astype(object).where(self.phases.notna(), None)
        return [
            {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in frame.to_dict("records")
        ]

    def summary(self) -> str:
        """A short table: one row per phase, a column per figure of
        :data:`~lockerplan.figures.PHASE_FIGURES` with the ``"summary"`` view (phase,
        sites, coverage, optimum, bound, price of nesting and its most, cost per
        parcel both ways)."""
        cur = self.plan.kpis.currency
        shown = [f for f in PHASE_FIGURES.values() if "summary" in f.views]
        head = [f.heading(cur) for f in shown]
        body = [[f.number(r[f.key]) for f in shown] for r in self.phase_records()]
        widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]
        lines = [
            f"roll-out of {self.plan.name} ({self.order}): every site of a phase stays open "
            "in the next",
            "  " + "  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)),
            *(
                "  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True))
                for row in body
            ),
            "  optimum: the best plan found with that many sites and no nesting; bound: "
            "no such plan covers more (the solver's proof; above the optimum when a solve "
            "stopped at its time limit)",
            "  price = (optimum - coverage) / optimum, 0 for a phase that is its own "
            "optimum; at most (bound - coverage) / bound",
        ]
        return "\n".join(lines)

    def summary_dict(self) -> dict[str, Any]:
        """``summary.json``: the last phase's plan, plus ``phases`` and ``rollout_order``."""
        return {
            **self.plan.summary_dict(),
            "phases": self.phase_records(),
            "rollout_order": self.order,
        }

    def save(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """Write the last phase's map (sites coloured by phase) and outputs, ``phases.csv``,
        and ``summary.json`` with ``phases``; atomically, like :meth:`Plan.save`.

        Returns
        -------
        dict
            Paths by kind: ``map``, ``folder``, ``gpkg``, ``summary``.
        """
        plan = self.plan
        return write_plan(
            plan.name,
            out_dir if out_dir is not None else plan.scenario.outputs.out,
            layers=plan.layers(),
            tables={
                "route_stops": plan.route_stops,
                "dropped": plan.dropped,
                "phases": self.phases,
            },
            summary=self.summary_dict(),
            page=plan.map(),
            formats=plan.scenario.outputs.formats,
        )


def optimum(area: StudyArea, **settings: Any) -> SitingResult:
    """The siting of ``area.scenario`` with ``settings`` (e.g. ``sites=25``): no routing.

    The model is given what :func:`~lockerplan.pipeline.solve.plan_study_area` gives
    it (:meth:`StudyArea.siting_distances`; with ``--on-the-way`` the customer
    groups reached from home, work or the way, and their parcels), so the optimum
    and the nested plans answer the same question.
    """
    sc = resolve_scenario(area.scenario, settings)
    D = area.siting_distances(sc.siting.walk_m)
    attrs = candidate_attributes(sc.siting, sc.costs, area.candidates)
    if area.on_the_way is None:
        return solve_siting(sc.siting, sc.costs, area, D, attrs)
    otw = area.on_the_way.coverage(D, sc.siting.walk_m)
    return solve_siting(sc.siting, sc.costs, area, otw.matrix, attrs, weights=otw.weights)


def covered_bound(siting: SitingResult) -> float:
    """Parcels/day no plan of that model and size covers more: the proven optimum, or
    the solver's bound when the solve stopped early."""
    bound = float(siting.best_bound)
    return max(bound, float(siting.objective)) if math.isfinite(bound) else float(siting.objective)


def _pct(best: float, nested: float) -> float:
    """``100 * (best - nested) / best``, 2 decimals; 0 when ``best`` is 0. Nested
    coverage above ``best`` is a solver's tolerance: 0 too."""
    return round(100 * max(best - nested, 0.0) / best, 2) if best > 0 else 0.0


def nested_plans(
    area: StudyArea, phases: Sequence[int], order: str, progress: bool = False, name: str = ""
) -> list[Plan]:
    """One plan per phase, nested: forced open forward, restricted backward; each named
    ``name`` (the study area's plan name when empty)."""
    base = area.scenario
    ids = area.candidates["candidate_id"].astype(str)
    steps = list(enumerate(phases))
    plans: dict[int, Plan] = {}
    last = len(phases) - 1
    for k, n in tqdm(
        steps if order == "forward" else steps[::-1],
        desc="roll-out",
        unit="phase",
        disable=None if progress else True,
    ):
        settings: dict[str, Any] = {"sites": n, "catchments": k == last, "name": name or None}
        before = plans.get(k - 1) if order == "forward" else plans.get(k + 1)
        if before is not None:
            kept = before.sites["candidate_id"].astype(str)
            if order == "forward":
                settings["open_sites"] = tuple(dict.fromkeys([*base.siting.open_sites, *kept]))
            else:
                outside = ids[~ids.isin(set(kept))]
                settings["exclude"] = tuple(dict.fromkeys([*base.siting.exclude, *outside]))
        plans[k] = plan_study_area(area, **settings)
        log.info(
            "roll-out phase %d: %d sites, coverage %.1f %%",
            k + 1,
            plans[k].kpis.sites_open,
            100 * plans[k].kpis.coverage_share,
        )
    return [plans[k] for k in range(len(phases))]


def phase_table(
    plans: Sequence[Plan], optima: Sequence[SitingResult], phases: Sequence[int]
) -> pd.DataFrame:
    """The per-phase table of :class:`RolloutResult` from the nested plans and the optima.

    The optimum is the best plan found with that many sites and no nesting: the
    optimum solve's, or the nested phase's when that covers more (``optima[k]`` may be
    ``plans[k].siting`` itself: then the price is 0). The bound is the larger of the
    optimum solve's proven bound and the optimum.
    """
    rows = []
    seen: set[str] = set()
    for k, (p, best, n) in enumerate(zip(plans, optima, phases, strict=True)):
        k_ = p.kpis
        demand = k_.demand_parcels_per_day
        nested = float(p.siting.objective)
        found = max(float(best.objective), nested)
        bound = max(covered_bound(best), found)
        bc = k_.business_case
        ids = set(p.sites["candidate_id"].astype(str))
        rows.append(
            {
                "phase": k + 1,
                "sites": n,
                "sites_open": k_.sites_open,
                "new_sites": len(ids - seen),
                "covered_parcels_per_day": k_.covered_parcels_per_day,
                "coverage_share": k_.coverage_share,
                "optimal_coverage_share": round(found / demand, 4) if demand else 0.0,
                "coverage_bound_share": round(bound / demand, 4) if demand else 0.0,
                "optimum_status": best.status,
                "price_of_nesting_pct": _pct(found, nested),
                "price_bound_pct": _pct(bound, nested),
                "solver_status": k_.solver_status,
                "solver_gap": k_.solver_gap,
                "cost_per_day": k_.cost_per_day,
                "cost_per_parcel_with_lockers": k_.locker_cost_per_parcel,
                "cost_per_parcel_door_to_door": bc.door_to_door.cost_per_parcel if bc else None,
            }
        )
        seen |= ids
    return pd.DataFrame(rows)


def with_phase(plan: Plan, plans: Sequence[Plan]) -> Plan:
    """``plan`` whose sites carry ``phase``: the first phase (1-based) each is open in."""
    first: dict[str, int] = {}
    for k, p in enumerate(plans):
        for cid in p.sites["candidate_id"].astype(str):
            first.setdefault(cid, k + 1)
    phase = plan.sites["candidate_id"].astype(str).map(first).astype(int)
    return dataclasses.replace(plan, sites=plan.sites.assign(phase=phase.to_numpy()))


def rollout(
    scenario: Scenario | None = None,
    *,
    phases: Iterable[int] | str = (10, 25, 50),
    order: str = "forward",
    candidate_sites: gpd.GeoDataFrame | None = None,
    hub_points: gpd.GeoDataFrame | None = None,
    progress: bool = False,
    **settings: Any,
) -> RolloutResult:
    """Plan a network in nested phases and measure what the nesting costs.

    Parameters
    ----------
    scenario : Scenario, optional
        The base scenario (default: central Helsinki); its ``sites`` is not used.
    phases : iterable of int or str, default (10, 25, 50)
        Sites per phase, strictly increasing (``"10,25,50"`` also works).
    order : {"forward", "backward"}, default "forward"
        Forced-open forward sequence, or restricted backward sequence (see
        :mod:`lockerplan.pipeline.rollout`).
    candidate_sites, hub_points : geopandas.GeoDataFrame, optional
        As in :func:`lockerplan.plan`.
    progress : bool, default False
        Show progress bars.
    **settings
        Other :class:`Scenario` fields (e.g. ``walk_m=500``, ``demand_scenarios=...``).

    Returns
    -------
    RolloutResult

    Raises
    ------
    InputError
        Bad phases, an unknown order, a model whose objective is not coverage, or
        any bad setting; before anything is computed.

    Examples
    --------
    >>> import lockerplan
    >>> r = lockerplan.rollout(phases=(2, 4, 6))  # doctest: +SKIP
    >>> r.phases[["phase", "coverage_share", "price_of_nesting_pct"]]  # doctest: +SKIP
    >>> r.save("maps")  # doctest: +SKIP
    """
    phases = check_phases(phases)
    if order not in ORDERS:
        raise InputError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}.")
    if "sites" in settings:
        raise InputError("rollout: give the sites of each phase with --phases, not --sites.")
    base = resolve_scenario(scenario, {**settings, "sites": phases[-1]})
    forced = len(base.siting.open_sites or ())
    if forced > phases[0]:
        raise InputError(
            f"--open names {forced} sites, but the first phase of --phases opens "
            f"{phases[0]}; every phase keeps them open: give fewer sites in --open or "
            "a first phase of at least as many."
        )
    if not MODELS[base.siting.model].coverage:
        coverage = [name for name, m in MODELS.items() if m.coverage]
        raise InputError(
            f"--model {base.siting.model}: a roll-out compares coverage with its optimum; use "
            f"--model {' or '.join(coverage)}."
        )
    area = prepare_study_area(
        base, candidate_sites=candidate_sites, hub_points=hub_points, progress=progress
    )
    # by default not the plan's name: a roll-out never overwrites `lockerplan plan`'s outputs
    name = base.outputs.name or f"{area.name}_rollout"
    plans = nested_plans(area, phases, order, progress, name)
    free = 0 if order == "forward" else len(phases) - 1  # that phase is its own optimum
    optima = [
        plans[k].siting if k == free else optimum(area, sites=n) for k, n in enumerate(phases)
    ]
    table = phase_table(plans, optima, phases)
    return RolloutResult(with_phase(plans[-1], plans), table, tuple(plans), order)
