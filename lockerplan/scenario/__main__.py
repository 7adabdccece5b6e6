"""``python -m lockerplan.scenario``: the default scenario as a scenario file
(``data/helsinki.toml``)."""

from . import Scenario

print(Scenario().to_toml(), end="")
