"""The sections of a scenario, in order, and every setting by name."""

from __future__ import annotations

import dataclasses
import functools

from .candidates import CandidateParams
from .choice import ChoiceParams
from .commutes import CommuteParams
from .costs import CostParams
from .demand import DemandParams
from .fields import Section
from .network import NetworkParams
from .outputs import OutputParams
from .routing import RoutingParams
from .siting import SitingParams

#: The sections of a scenario by name, in order.
SECTIONS: dict[str, type[Section]] = {
    "network": NetworkParams,
    "demand": DemandParams,
    "candidates": CandidateParams,
    "commutes": CommuteParams,
    "siting": SitingParams,
    "routing": RoutingParams,
    "costs": CostParams,
    "choice": ChoiceParams,
    "outputs": OutputParams,
}


@functools.cache
def scenario_fields() -> dict[str, tuple[str, dataclasses.Field]]:
    """Every setting by name: its section and its field (help, unit, check, CLI spelling).

    Examples
    --------
    >>> section, f = scenario_fields()["walk_m"]
    >>> section, f.metadata["unit"]
    ('siting', 'metres')
    """
    return {f.name: (name, f) for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
