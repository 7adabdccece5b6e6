"""The ``siting`` section: how many sites, how far to walk, which model and solver.

A cabinet hands out ``cabinet_compartments / dwell_days`` parcels a day, both the country's
by default (:mod:`lockerplan.presets`), e.g. 100
compartments (DHL's Packstations hold about 100 each; InPost's about 85-149) over
1.5 days (parcels wait 34-37 h on average, Parcel Monitor 2021) is 67 parcels a
day per module. The walking cutoff's default, 400 m, is 5 minutes at 4.8 km/h;
planning literature puts acceptable walks to a locker at 300-500 m
(:mod:`lockerplan.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from ..errors import InputError
from ..siting import MODELS, SOLVERS, VIAS
from .checks import Choice, DemandFactors, Flag, Ids, Number, Scheduler, Whole
from .fields import Cli, Section, setting

_POSITIVE = Number()
_DECAYS = ("linear", "exponential", "power")


@dataclass(frozen=True, kw_only=True)
class SitingParams(Section):
    """The siting model's settings: sites, walk, site rules, capacities and the solver.

    Examples
    --------
    >>> SitingParams().milp_via, SitingParams(solver="cbc").milp_via
    ('highspy', 'pulp')
    >>> round(SitingParams(cabinet_compartments=100, dwell_days=1.5).cabinet_capacity, 1)
    66.7
    """

    section = "siting"

    sites: int = setting(
        6,
        check=Whole(low=1),
        cli=Cli(short="-n"),
        top=True,
        help="Open at most this many sites (cabinets and pickup points)",
    )
    walk_m: float = setting(
        settings.WALK_CUTOFF_M,
        unit="metres",
        check=_POSITIVE,
        cli=True,
        top=True,
        help="Walking cutoff, measured along streets (5 minutes at 4.8 km/h; planning "
        "literature: 300-500 m)",
    )
    seed: int = setting(
        0,
        check=Whole(low=0),
        cli=True,
        top=True,
        help="Random seed for the solvers; the same seed gives the same plan",
    )
    demand_scenarios: dict[str, float] | None = setting(
        None,
        check=DemandFactors(),
        cli=True,
        top=True,
        none="one demand level",
        help="Demand scenarios as name=factor, e.g. normal=1,peak=2.5 (a [demand_scenarios] "
        "table in TOML): one network whose modules hold the largest factor's demand, "
        "covering the most at the plan's demand, reported under each scenario",
    )
    solver: str = setting(
        "highs",
        check=Choice(SOLVERS),
        cli=True,
        help="MILP solver (HiGHS; CBC through PuLP as an alternative)",
    )
    time_limit_s: float = setting(
        60.0, unit="seconds", check=_POSITIVE, help="Time limit of a siting solve"
    )
    gap_rel: float = setting(
        0.0,
        unit="share",
        check=Number(allow_zero=True, below=1),
        help="Relative MIP gap at which the solver may stop",
    )
    model: str = setting("cmclp", check=Choice(MODELS), cli=True, help="Siting model")
    via: str | None = setting(
        None,
        check=Choice(VIAS),
        cli=True,
        none="highspy with --solver highs, pulp with cbc",
        help="Build the MILP as PuLP objects, or pass arrays straight to HiGHS "
        "(with --solver highs; faster on large models)",
    )
    scheduler: str | None = setting(
        None,
        check=Scheduler(),
        cli=True,
        none="one process",
        help="Solve the siting region by region (exact for mclp, cmclp and lscp without "
        "budget or per-kind limits) on Dask: local (a worker per core) or tcp://HOST:PORT",
    )
    max_cabinets: int | None = setting(
        None, check=Whole(low=0), cli=True, none="no limit", help="At most this many cabinets"
    )
    max_pickup_points: int | None = setting(
        None,
        check=Whole(low=0),
        cli=True,
        none="no limit",
        help="At most this many pickup points",
    )
    budget: float | None = setting(
        None,
        unit="currency/day",
        check=_POSITIVE,
        cli=True,
        none="no limit",
        help="Fixed cost of the open sites per day, at most (cabinet and pickup point "
        "costs from the scenario)",
    )
    min_spacing_m: float | None = setting(
        None,
        unit="metres",
        check=_POSITIVE,
        cli=True,
        none="no minimum",
        help="Open sites at least this far apart (walking distance)",
    )
    pickup_walk_m: float | None = setting(
        None,
        unit="metres",
        check=_POSITIVE,
        cli=True,
        none="--walk-m",
        help="Walking cutoff for pickup points, if other than --walk-m",
    )
    keep_existing: bool = setting(
        False,
        check=Flag(),
        cli=Cli(flag=True),
        help="Existing parcel lockers in the candidates stay open",
    )
    exclude: tuple[str, ...] = setting(
        (),
        check=Ids(),
        cli=True,
        help="Candidate ids (candidate_id, comma-separated) that may not be opened",
    )
    open_sites: tuple[str, ...] = setting(
        (),
        check=Ids(),
        cli=Cli(name="--open"),
        help="Candidate ids (candidate_id, comma-separated) that must stay open, e.g. "
        "sites already built",
    )
    cabinet_compartments: int | None = setting(
        None,
        unit="compartments",
        check=Whole(low=1),
        cli=True,
        none="the country's (DHL about 100, InPost 85-149)",
        help="Compartments per cabinet; capacity = compartments / dwell days",
    )
    max_modules: int = setting(
        4,
        unit="modules",
        check=Whole(low=1),
        cli=True,
        help="Cabinet modules one site can host at most (cmclp; assumed); each module has "
        "cabinet_compartments compartments and costs cabinet_per_day",
    )
    dwell_days: float | None = setting(
        None,
        unit="days",
        check=_POSITIVE,
        cli=True,
        none="the country's (Parcel Monitor 2021: 34-37 h in Europe)",
        help="Mean days a parcel waits in a cabinet",
    )
    pickup_capacity: float = setting(
        150.0,
        unit="parcels/day",
        check=_POSITIVE,
        cli=True,
        help="Parcels a pickup point hands out per day (assumed: shelf space of a shop)",
    )
    walk_cost_per_parcel_km: float = setting(
        0.10,
        unit="currency per parcel-km",
        check=Number(allow_zero=True),
        help="cflp: customers' walking cost, weighed against the site costs (assumed)",
    )
    single_source: bool = setting(
        True,
        check=Flag(),
        help="cflp: one site per demand cluster",
        cli=Cli(
            name="--split", flag=False, help="cflp: a demand cluster may be split between sites"
        ),
    )
    decay: str = setting(
        "exponential",
        check=Choice(_DECAYS),
        cli=True,
        help="attendance: how the share of customers falls with walking distance",
    )
    decay_scale_m: float = setting(
        300.0,
        unit="metres",
        check=_POSITIVE,
        cli=True,
        help="attendance: distance scale of the decay (assumed)",
    )
    decay_beta: float = setting(
        2.0, check=_POSITIVE, help="attendance: exponent of the power decay (assumed)"
    )
    lscp_minimise: str = setting(
        "sites",
        check=Choice(("sites", "cost")),
        help="lscp: minimise the number of sites or their fixed cost",
    )

    def check_rules(self) -> None:
        """``via="highspy"`` passes arrays straight to HiGHS: only with HiGHS."""
        if self.via == "highspy" and self.solver != "highs":
            raise InputError(
                f"--via highspy passes the model straight to HiGHS; use it with --solver highs, "
                f"got --solver {self.solver}."
            )

    @property
    def milp_via(self) -> str:
        """How the siting MILP reaches its solver: ``via``, or by default ``"highspy"``
        with HiGHS (arrays straight into it) and ``"pulp"`` with CBC."""
        return self.via or ("highspy" if self.solver == "highs" else "pulp")

    @property
    def cabinet_capacity(self) -> float:
        """Parcels per day a cabinet module hands out: compartments / mean dwell days."""
        if self.cabinet_compartments is None or self.dwell_days is None:
            raise InputError(
                "siting: cabinet_compartments and dwell_days are the country's; give "
                "--country or fill them with lockerplan.assumptions.with_country."
            )
        return self.cabinet_compartments / self.dwell_days

    @property
    def peak_factor(self) -> float:
        """The largest factor of the demand scenarios (1 without them; capacity is never
        raised above the plan's own demand by factors below 1)."""
        return float(max([1.0, *(self.demand_scenarios or {}).values()]))
