"""The pipeline: prepare a study area, solve a scenario on it, report the plan.

==============  ==========================================================
``prepare``     networks, demand, candidates, walking distances (:class:`StudyArea`)
``solve``       siting, allocation, routing (:func:`plan_study_area`, :func:`plan`)
``allocate``    the siting result as layers (:class:`~lockerplan.pipeline.allocate.Allocation`)
``route``       the routing and the business case of a plan
``kpis``        the plan's key figures (:func:`~lockerplan.pipeline.kpis.plan_kpis`)
``result``      the :class:`Plan` and its outputs
``sweep``       many scenarios on one study area (:func:`sweep`)
``rollout``     nested roll-out phases on one study area (:func:`rollout`)
==============  ==========================================================

``demand_scenarios`` evaluates one network under several demand levels.

Data flows one way: each stage receives what it needs and returns a result;
nothing downstream recomputes what upstream already knows.
"""

from ..records import Delivery, Kpis
from .prepare import StudyArea, prepare_study_area
from .result import Plan
from .rollout import RolloutResult, rollout
from .solve import SOLVE_FIELDS, plan, plan_study_area
from .sweep import SweepResult, sweep

__all__ = [
    "SOLVE_FIELDS",
    "Delivery",
    "Kpis",
    "Plan",
    "RolloutResult",
    "StudyArea",
    "SweepResult",
    "plan",
    "plan_study_area",
    "prepare_study_area",
    "rollout",
    "sweep",
]
