"""Command line: thin shells over :func:`lockerplan.pipeline.plan` and :func:`~lockerplan.pipeline.sweep.sweep`.

The options of ``plan``, ``sweep`` and ``demand`` are generated from the settings
of the scenario's sections (:func:`lockerplan.scenario.scenario_fields`: help, unit,
default, check): a new setting is declared once, in its section.

Exit codes: 0 success, 2 bad input (one ``error:`` line, no traceback, nothing
written), 1 an unexpected failure.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from .errors import InputError
from .scenario import PATH_UNITS, Choice, Cli, Scenario, option_name, scenario_fields

#: Every setting by name: its section and its field.
_SECTIONS = {name: section for name, (section, _) in scenario_fields().items()}
_FIELDS = {name: f for name, (_, f) in scenario_fields().items()}
#: Fields exposed on the command line: the scenario file's top-level settings first.
_EXPOSED = sorted(
    (name for name, f in _FIELDS.items() if f.metadata["cli"] is not None),
    key=lambda name: not _FIELDS[name].metadata["top"],
)
#: `plan` and `sweep` share these; each spells --sites and --walk-m its own way.
_SHARED = [name for name in _EXPOSED if name not in ("sites", "walk_m")]
#: The fields of `lockerplan demand`: the study area's extract and every demand field.
_DEMAND = ["osm"] + [name for name in _EXPOSED if _SECTIONS[name] == "demand"]
#: Value placeholders by unit (else the check's, e.g. N for whole numbers).
_METAVARS = {
    "metres": "METRES",
    "days": "DAYS",
    "share": "SHARE",
    "parcels/day": "PARCELS",
    "currency/day": "MONEY",
    "file": "FILE",
    "folder": "FOLDER",
}


class _Failure(click.ClickException):
    """Bad input: shown as one ``error:`` line, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


@contextlib.contextmanager
def _one_line_usage() -> Iterator[None]:
    """click's usage errors (an unknown option, a bad choice, a missing argument) as one
    ``error:`` line naming the option and the command's help; exit code 2."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "lockerplan"
        text = " ".join(exc.format_message().split()).replace(". (Did you mean", " (did you mean")
        raise _Failure(f"{text.rstrip('.')}; see `{where} --help`.") from None


class _Commands(click.Group):
    """lockerplan's commands: every usage error as one ``error:`` line (:func:`_one_line_usage`)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _one_line_usage():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line_usage():
            return super().invoke(ctx)


def default_text(name: str) -> str:
    """The ``[default: ...]`` text of a field, as the help shows it.

    Examples
    --------
    >>> default_text("walk_m"), default_text("use_cache"), default_text("exclude")
    ('400', 'use_cache = true', 'none')
    """
    f = _FIELDS[name]
    value = f.default
    if isinstance(value, bool):
        return f"{name} = {str(value).lower()}"
    if value is None:
        return f.metadata["none"] or "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    return str(value)


def option_help(name: str) -> str:
    """An option's help: the field's help sentence, unit, choices and default."""
    meta = _FIELDS[name].metadata
    cli: Cli = meta["cli"] or Cli()
    text = cli.help or meta["help"]
    check = meta["check"]
    if isinstance(check, Choice):
        rows = [f"{v} = {_clause(check.help_of(v))}" for v in check.values if check.help_of(v)]
        text += (": " + "; ".join(rows)) if rows else ""
    unit = meta["unit"]
    if unit and unit not in PATH_UNITS and unit.lower() not in text.lower():
        text += f" ({unit})"
    if isinstance(_FIELDS[name].default, bool):  # a flag: giving it is the change
        return f"{text}."
    return f"{text}.  [default: {default_text(name)}]"


def _clause(sentence: str) -> str:
    """A sentence as a clause: no full stop, lower-case first word (not acronyms)."""
    text = sentence.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _field_option(name: str) -> Callable[[Callable], Callable]:
    """The click option of one Scenario field; its value arrives as ``name``."""
    meta = _FIELDS[name].metadata
    cli: Cli = meta["cli"] or Cli()
    decls = [cli.name or "--" + name.replace("_", "-"), *([cli.short] if cli.short else []), name]
    if cli.flag is not None:
        return click.option(*decls, flag_value=cli.flag, default=None, help=option_help(name))
    check = meta["check"]
    if isinstance(check, Choice):
        kind: Any = click.Choice(list(check.values))
        metavar = None
    else:
        kind = str
        metavar = cli.metavar or _METAVARS.get(meta["unit"]) or getattr(check, "metavar", "TEXT")
    return click.option(
        *decls,
        type=kind,
        default=None,
        metavar=metavar,
        multiple=cli.multiple,
        help=option_help(name),
    )


def _field_options(names: Iterable[str]) -> Callable[[Callable], Callable]:
    """Decorator: one generated option per field, shown in the order given."""
    names = list(names)

    def decorate(func: Callable) -> Callable:
        for name in reversed(names):
            func = _field_option(name)(func)
        return func

    return decorate


def _log_options(func: Callable) -> Callable:
    """-v/--verbose and -q/--quiet."""
    func = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")(func)
    return click.option(
        "-v", "--verbose", count=True, help="Log progress (-v) or details (-vv) to stderr."
    )(func)


def _scenario_options(func: Callable) -> Callable:
    """Options shared by `plan` and `sweep` (everything but --sites and --walk-m)."""
    func = _log_options(func)
    func = _field_options(_SHARED)(func)
    return click.option(
        "--config",
        type=click.Path(dir_okay=False),
        default=None,
        help="Scenario TOML file (see data/helsinki.toml); command-line options override its values.",
    )(func)


def _setup_logging(verbose: int, quiet: bool) -> None:
    """lockerplan's log to stderr; library warnings (PyVRP, tqdm, ...) only under ``-v``.

    Python warnings raised by the libraries lockerplan drives are captured into
    the ``py.warnings`` logger, so a user's terminal shows lockerplan's own lines.
    """
    level = logging.ERROR if quiet else logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.WARNING if verbose else logging.ERROR)


def _parse(options: dict[str, Any]) -> dict[str, Any]:
    """Options given (not None), numbers parsed by their field's check.

    A bad number raises :class:`InputError` naming the option, e.g.
    ``--sites must be a whole number >= 1, got 'many'.``
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or value == ():  # not given (an option given many times: a tuple)
            continue
        check = _FIELDS[key].metadata["check"]
        label = option_name(_FIELDS[key], _SECTIONS[key])
        out[key] = check.parse(label, value) if check and isinstance(value, str) else value
    return out


def _scenario(config: str | None, options: dict[str, Any]) -> Scenario:
    overrides = _parse(options)
    return Scenario.from_toml(config, **overrides) if config else Scenario(**overrides)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lockerplan")
def main() -> None:
    """lockerplan: plan parcel-locker and pickup-point networks from OpenStreetMap.

    Run `lockerplan plan` to plan central Helsinki offline with the default scenario,
    or `lockerplan sweep --sites 1..30` to compare site counts.
    """


@main.command("plan")
@_field_options(["sites", "walk_m"])
@_scenario_options
def plan_command(config: str | None, verbose: int, quiet: bool, **options: Any) -> None:
    """Plan a locker network: choose sites, route vans, write the map.

    \b
    Units: metres, parcels per day. Writes, by default, OUT/NAME.html (the map)
    and OUT/NAME/ with NAME.gpkg (layers facilities, candidates, demand_points,
    allocation_lines, catchments, depots, routes, coverage_cells, buildings,
    streets, competitors when there are any, and pricing_zones with --price-zones),
    route_stops.csv, dropped.csv, pricing.csv (with --price-zones) and summary.json;
    --formats gpkg,csv,geojson adds LAYER.csv and LAYER.geojson for each layer.
    Bad input exits with code 2 and writes nothing.

    \b
    Examples:
      lockerplan plan
      lockerplan plan --sites 10 --walk-m 300 --out results
      lockerplan plan --config data/helsinki.toml
    """
    _plan_and_save(config, verbose, quiet, options)


@main.command("pricing")
@_field_options(["sites", "walk_m"])
@_scenario_options
def pricing_command(config: str | None, verbose: int, quiet: bool, **options: Any) -> None:
    """Price locker delivery by zone: the plan with --price-zones, and the curve.

    \b
    Plans as `lockerplan plan --price-zones` (customers choose by the MNL): per cell
    of the coverage grid, the carrier's cost per parcel at the door and via a locker,
    the discount on locker delivery with the largest net saving, and the business
    case routed at those prices. Writes what `plan` writes, with pricing.csv, the
    GeoPackage's pricing_zones layer and the map's "Locker prices" and "Cost to
    serve" overlays, and prints the network's curve of one discount everywhere.

    \b
    Examples:
      lockerplan pricing
      lockerplan pricing --competitors data/helsinki_competitors.csv
    """
    result = _plan_and_save(config, verbose, quiet, options, price_zones=True, choice_model="mnl")
    if not quiet:
        click.echo(_curve_text(result.kpis.pricing.curve, result.kpis.currency))


def _plan_and_save(
    config: str | None, verbose: int, quiet: bool, options: dict[str, Any], **fixed: Any
) -> Any:
    """Plan the scenario of the options (with ``fixed`` settings), write it, print the
    summary; a bad input is one error line and exit code 2."""
    _setup_logging(verbose, quiet)
    try:
        scenario = _scenario(config, options)
        if fixed:
            scenario = scenario.replace(**fixed)
        from .pipeline import plan

        result = plan(scenario, progress=not quiet)
        paths = result.save()
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        _echo_written(result.summary(), paths)
    return result


def _curve_text(curve: list[dict], currency: str) -> str:
    """The price curve as a small table: one discount everywhere."""
    rows = [f"{'discount':>9} {'locker share':>13} {'switch':>9} {'paid':>9} {'net saving':>11}"]
    for r in curve[:: max(len(curve) // 10, 1)]:
        rows.append(
            f"{r['discount']:>9.2f} {100 * r['locker_share']:>11.1f} % "
            f"{r['switched_parcels_per_day']:>9,.1f} {r['discount_paid_per_day']:>9,.0f} "
            f"{r['net_saving_per_day']:>11,.0f}"
        )
    return (
        f"one discount everywhere ({currency} per parcel; parcels and {currency} a day):\n"
        + "\n".join(rows)
    )


def _echo_written(summary: str, paths: dict) -> None:
    """The summary, then where the map and the outputs were written."""
    click.echo(summary)
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
    help="Walking cutoffs in metres: a list 300,400,500 or a range 200..600:100.  "
    f"[default: {default_text('walk_m')}]",
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
    Each row holds the figures `lockerplan plan` reports with the same options
    (--no-door-to-door makes it faster, without the business case). Writes
    OUT/NAME_sweep.csv (one row per scenario), OUT/NAME_sweep.html (curves and
    table), and the coverage-vs-sites and cost-vs-sites curves as PNG. The knee is
    the site count after which each extra site adds clearly less coverage.

    \b
    Examples:
      lockerplan sweep --sites 1..30
      lockerplan sweep --sites 2..20:2 --walk-m 300,400,500
    """
    _setup_logging(verbose, quiet)
    try:
        scenario = _scenario(config, options)
        from .pipeline.sweep import parse_values, sweep

        sites = parse_values(sites_range, "--sites", integer=True)
        cutoffs = parse_values(walk_range, "--walk-m", integer=False) if walk_range else None
        result = sweep(scenario, sites=sites, walk_m=cutoffs, progress=not quiet)
        paths = result.save(scenario.outputs.out)
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        click.echo(result.summary())
        click.echo(f"report:  {paths['html']}")
        click.echo(f"table:   {paths['csv']}")


@main.command("rollout")
@click.option(
    "--phases",
    "phases_text",
    type=str,
    default="10,25,50",
    show_default=True,
    metavar="LIST",
    help="Sites per phase, strictly increasing, e.g. 10,25,50: every site of a phase "
    "stays open in the next.",
)
@click.option(
    "--order",
    type=click.Choice(["forward", "backward"]),
    default="forward",
    show_default=True,
    help="forward = each phase keeps the previous phase's sites open (phase 1 optimal); "
    "backward = each phase chooses among the next phase's sites (last phase optimal).",
)
@_field_options(["walk_m"])
@_scenario_options
def rollout_command(
    config: str | None,
    verbose: int,
    quiet: bool,
    phases_text: str,
    order: str,
    **options: Any,
) -> None:
    """Plan a network built in nested phases; report each phase against its optimum.

    \b
    Prints one line per phase: sites, coverage, the optimum (the best plan with that
    many sites and no nesting, a proven bound), the price of nesting and the cost per
    parcel with lockers and door-to-door. Writes the last phase like `plan` does
    (OUT/NAME.html with the sites coloured by phase, OUT/NAME/ with a `phase` column
    in the facilities layer, phases.csv and summary.json key `phases`); NAME is
    <area>_rollout unless --name is given, so `plan`'s outputs stay.

    \b
    Examples:
      lockerplan rollout --phases 2,4,6
      lockerplan rollout --phases 10,25,50 --walk-m 500 --osm city.osm.pbf
    """
    _setup_logging(verbose, quiet)
    try:
        from .pipeline.rollout import check_phases, rollout

        phases = check_phases(phases_text)
        scenario = _scenario(config, options)
        result = rollout(scenario, phases=phases, order=order, progress=not quiet)
        paths = result.save(scenario.outputs.out)
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        _echo_written(result.summary(), paths)


def _walk_streets(source: Any) -> Any:
    """The source's walk network for the demand map's streets, or None when it cannot be
    read (a place name without internet): the map then says it has no streets."""
    try:
        return source.streets("walk")
    except InputError as exc:
        logging.getLogger("lockerplan").warning("demand map without streets: %s", exc)
        return None


@main.command("demand")
@_field_options(_DEMAND)
@click.option(
    "--clip/--no-clip",
    default=False,
    help="Drop (and report) demand outside the OSM extract's buildings' hull.",
)
@_field_options(["out", "name"])
@_log_options
def demand_command(clip: bool, verbose: int, quiet: bool, **options: Any) -> None:
    """Estimate demand and write it for inspection: NAME_demand.gpkg (layers
    demand_points, demand_clusters), NAME_demand.html (heat map, with the
    extract's streets as the base layer offline) and NAME_demand_dropped.csv
    (rows left out, with the reason).

    \b
    Examples:
      lockerplan demand
      lockerplan demand --demand orders.csv --demand-weight parcels --demand-days 30
      lockerplan demand --population grid.gpkg --osm city.osm.pbf --clip
    """
    _setup_logging(verbose, quiet)

    from . import demand as dm
    from .assumptions import source_country
    from .demand.load import demand_file_stem, load_demand
    from .export import write_demand
    from .source import open_source
    from .streets import study_area_around

    try:
        scenario = _scenario(None, options)
        outputs = scenario.outputs
        source = open_source(scenario.network)
        country = source_country(source, scenario.demand.country)
        params = scenario.demand.for_country(country["code"])
        logging.getLogger("lockerplan").info("country %s (%s)", country["code"], country["found"])
        buildings = source.buildings() if clip else None  # read once, and only when needed
        area = study_area_around(buildings, buffer_m=50) if clip and len(buildings) else None
        result = load_demand(
            params,
            area=area,
            buildings=source.buildings if buildings is None else lambda: buildings,
        )
        if len(result.points) == 0:
            raise InputError(f"no demand left: {result.summary()}")
        clusters = dm.cluster_demand(result.points, params.cluster_m)
        stem = demand_file_stem(params) or source.name
        paths = write_demand(
            outputs.out, outputs.name or stem, result, clusters, streets=_walk_streets(source)
        )
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


@main.command("compare")
@click.argument("plan_a", metavar="A")
@click.argument("plan_b", metavar="B")
@click.option(
    "--out",
    "out",
    type=str,
    default=None,
    metavar="FILE",
    help="The HTML page to write.  [default: <parent of A>/<A>_vs_<B>.html]",
)
@click.option(
    "--labels",
    type=str,
    default=None,
    metavar="TEXT",
    help="The plans' names on the page, comma-separated (e.g. '400 m,500 m').  "
    "[default: the folders' names]",
)
@_log_options
def compare_command(
    plan_a: str, plan_b: str, out: str | None, labels: str | None, verbose: int, quiet: bool
) -> None:
    """Compare two plans of one study area on one map.

    \b
    A and B are plan folders written by `lockerplan plan` (OUT/NAME). The page shows
    the sites in both plans, only in A and only in B, each plan's coverage of demand
    and walking catchments (toggled in the layer control), and both plans' key
    figures side by side with their difference. Bad input exits with code 2 and
    writes nothing.

    \b
    Examples:
      lockerplan compare maps/w400 maps/w500 --labels "400 m,500 m"
      lockerplan compare a/helsinki b/helsinki --out helsinki_a_vs_b.html
    """
    _setup_logging(verbose, quiet)
    try:
        from .comparison import write_comparison

        path = write_comparison(plan_a, plan_b, out=out, labels=labels)
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        click.echo(f"map:     {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
