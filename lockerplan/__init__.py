"""lockerplan: plan parcel-locker and pickup-point networks from OpenStreetMap.

The pipeline, one module per stage: :mod:`~lockerplan.network` (street graphs;
:mod:`~lockerplan.download` with osmnx), :mod:`~lockerplan.demand` (parcels per
day, clusters), :mod:`~lockerplan.candidates` and :mod:`~lockerplan.competitors`
(possible and rival sites), :mod:`~lockerplan.ontheway` (commutes: pickups at work
and on the way), :mod:`~lockerplan.distances` (network distances),
:mod:`~lockerplan.siting` (MILP; :mod:`~lockerplan.regions` region by region),
:mod:`~lockerplan.routing` (vans), :mod:`~lockerplan.choice` (what customers
choose: home, our sites or rivals'), :mod:`~lockerplan.costs` (prices and the business
case), :mod:`~lockerplan.maps` (HTML maps) and :mod:`~lockerplan.export` (files).
:mod:`~lockerplan.scenario` holds every setting, :mod:`~lockerplan.figures` every
figure a plan reports (:mod:`~lockerplan.records` their records), and
:mod:`~lockerplan.pipeline` chains the stages: :func:`plan` for one scenario,
:func:`sweep` for many, :func:`rollout` for nested phases.

Public API: the names here, the modules of :data:`PUBLIC_MODULES` and what their
``__all__`` exports. Everything else is internal and may change: modules whose name
starts with ``_``, and those whose docstring says "Internal" (the pipeline's
plumbing: caching, staged files, processes, progress bars, the Dask client, the
walk network's tasks, the readers).

Examples
--------
>>> import lockerplan
>>> p = lockerplan.plan(sites=5)  # doctest: +SKIP
>>> p.save("maps")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Plan, SweepResult, plan, sweep
    from .pipeline.rollout import RolloutResult, rollout
    from .scenario import Scenario

__all__ = [
    "InputError",
    "Plan",
    "RolloutResult",
    "Scenario",
    "SweepResult",
    "plan",
    "rollout",
    "sweep",
]
__version__ = "0.1.0"

#: The public modules (besides this package's own names).
PUBLIC_MODULES = (
    "assumptions",
    "candidates",
    "choice",
    "cli",
    "comparison",
    "competitors",
    "costs",
    "country",
    "demand",
    "distances",
    "download",
    "equity",
    "errors",
    "export",
    "figures",
    "maps",
    "network",
    "ontheway",
    "pickup",
    "pipeline",
    "presets",
    "pricing",
    "records",
    "regions",
    "routing",
    "scenario",
    "settings",
    "siting",
    "streets",
)

#: Public names imported on first use (PEP 562), so that ``import lockerplan`` and
#: ``lockerplan --help`` do not load geopandas, PyVRP, PuLP and the rest.
_LAZY = {
    "Plan": ".pipeline",
    "SweepResult": ".pipeline",
    "plan": ".pipeline",
    "sweep": ".pipeline",
    "rollout": ".pipeline",
    "RolloutResult": ".pipeline",
    "Scenario": ".scenario",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
