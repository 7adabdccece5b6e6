"""lockerplan: plan parcel-locker and pickup-point networks from OpenStreetMap.

The pipeline, one module per stage: :mod:`~lockerplan.network` (street graphs),
:mod:`~lockerplan.demand` (parcels per day, clusters), :mod:`~lockerplan.candidates`
(possible sites), :mod:`~lockerplan.distances` (network distances),
:mod:`~lockerplan.siting` (MILP), :mod:`~lockerplan.routing` (vans) and
:mod:`~lockerplan.maps` (HTML maps). :func:`plan` chains them.

Examples
--------
>>> import lockerplan
>>> p = lockerplan.plan(sites=5)  # doctest: +SKIP
>>> p.save("maps")  # doctest: +SKIP
"""

from .errors import InputError
from .plan import Plan, plan
from .scenario import Scenario

__all__ = ["InputError", "Plan", "Scenario", "plan"]
__version__ = "0.1.0"
