"""lockerplan: plan parcel-locker and pickup-point networks from OpenStreetMap.

The pipeline, one module per stage: :mod:`~lockerplan.source` (OSM file or place
name), :mod:`~lockerplan.network` (street graphs), :mod:`~lockerplan.demand`
(parcels per day, clusters), :mod:`~lockerplan.candidates` (possible sites),
:mod:`~lockerplan.distances` (network distances), :mod:`~lockerplan.siting`
(MILP), :mod:`~lockerplan.routing` (vans), :mod:`~lockerplan.maps` (HTML maps) and
:mod:`~lockerplan.export` (files). :mod:`~lockerplan.pipeline` chains them:
:func:`plan` for one scenario, :func:`sweep` for many.

Examples
--------
>>> import lockerplan
>>> p = lockerplan.plan(sites=5)  # doctest: +SKIP
>>> p.save("maps")  # doctest: +SKIP
"""

from .errors import InputError
from .pipeline import Plan, SweepResult, plan, sweep
from .scenario import Scenario

__all__ = ["InputError", "Plan", "Scenario", "SweepResult", "plan", "sweep"]
__version__ = "0.1.0"
