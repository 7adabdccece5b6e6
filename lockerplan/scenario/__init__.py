"""Scenarios: every setting of a plan, from Python, a scenario file or the command line.

A :class:`Scenario` is nine sections, each a small dataclass that checks its own
settings when it is made (the way PyVRP keeps one parameter object per section):

==============  ====================  =================================================
section         class                 what it holds
==============  ====================  =================================================
``network``     :class:`NetworkParams`    the extract or place, snapping, the cache
``demand``      :class:`DemandParams`     the demand source and the building model
``candidates``  :class:`CandidateParams`  your own candidate sites, a rival network
``commutes``    :class:`CommuteParams`    pickups at work and on the way (off by default)
``siting``      :class:`SitingParams`     sites, walk, site rules, capacities, solver
``routing``     :class:`RoutingParams`    hubs, vans and their day
``costs``       :class:`CostParams`       prices, the door-to-door baseline, adoption
``choice``      :class:`ChoiceParams`     how customers choose home, our sites or rivals'
``outputs``     :class:`OutputParams`     name, output folder, grid, formats
==============  ====================  =================================================

Each setting is declared once, in its section (:func:`~lockerplan.scenario.fields.setting`):
its default, help sentence, unit, check (:mod:`~lockerplan.scenario.checks`) and
command-line spelling (:class:`Cli`). The command line (:mod:`lockerplan.cli`)
generates its options from them, scenario files are read and written by
:mod:`~lockerplan.scenario.toml` (``data/helsinki.toml`` is the default scenario,
written from these declarations), and each stage receives its section.

Example scenario file::

    name = "helsinki"
    sites = 6
    walk_m = 400
    hubs = "helsinki_hubs.csv"

    [demand]
    parcels_per_dwelling_per_day = 0.15

    [routing]
    van_capacity = 200
"""

from .candidates import CandidateParams
from .checks import (
    FORMATS,
    Check,
    Choice,
    DemandFactors,
    Flag,
    Formats,
    HubsInput,
    Ids,
    Number,
    PathText,
    PlanName,
    Scheduler,
    Text,
    Whole,
    Window,
    hub_number,
    output_formats,
    parse_window,
)
from .choice import ChoiceParams
from .commutes import CommuteParams
from .core import Scenario
from .costs import CostParams
from .demand import DemandParams
from .fields import PATH_UNITS, Cli, Section, option_name, setting
from .network import NetworkParams
from .outputs import OutputParams
from .routing import RoutingParams
from .sections import SECTIONS, scenario_fields
from .siting import SitingParams

__all__ = [
    "FORMATS",
    "PATH_UNITS",
    "SECTIONS",
    "CandidateParams",
    "Check",
    "Choice",
    "ChoiceParams",
    "Cli",
    "CommuteParams",
    "CostParams",
    "DemandFactors",
    "DemandParams",
    "Flag",
    "Formats",
    "HubsInput",
    "Ids",
    "NetworkParams",
    "Number",
    "OutputParams",
    "PathText",
    "PlanName",
    "RoutingParams",
    "Scenario",
    "Scheduler",
    "Section",
    "SitingParams",
    "Text",
    "Whole",
    "Window",
    "hub_number",
    "option_name",
    "output_formats",
    "parse_window",
    "scenario_fields",
    "setting",
]
