"""Demand: parcels per day from buildings, population grids and order files.

Every source returns demand *points* (``demand_id``, ``source``, ``source_id``,
``parcels_per_day``, point geometry in EPSG:4326). :func:`cluster_demand` then
merges nearby points into clusters that the siting model uses. Nothing is lost on
the way: rows that cannot be used are returned in a ``dropped`` table with the
reason, so that

    parcels read = parcels in clusters + parcels dropped (with reasons)

holds for every source (:func:`conservation` checks it).

Sources
-------
* :func:`demand_from_buildings` / :func:`building_demand`: OSM building footprints.
* :func:`demand_from_population_grid`: a population grid (polygons or lon/lat
  points with a population column).
* :func:`read_demand_file`: the user's own orders or addresses (CSV lon/lat,
  GeoJSON, GeoPackage) with an optional weight column.

The building model
------------------
For every residential or mixed-use building::

    floor area  = footprint area x levels
    dwellings   = floor area x residential share / gross floor area per dwelling
    parcels/day = dwellings x parcels per dwelling per day x peak factor

Non-residential floor area can add business parcels at its own rate
(``non_residential_parcels_per_100m2_per_day``, off by default).

Defaults (each a :class:`DemandModel` field; override in the scenario):

* ``levels``: ``building:levels`` when tagged, else ``height / 3 m``, else a default
  per building type (:data:`DEFAULT_LEVELS`: 5 for apartments, 4 for ``yes`` and
  ``residential``, 2 for houses), typical of European inner cities.
* residential share: 1.0 for residential types (:data:`RESIDENTIAL_TYPES`);
  ``mixed_residential_share`` for ``building=yes`` and ``mixed_use``; other types
  (offices, churches, schools...) are not residential.
* ``parcels_per_dwelling_per_day``, ``persons_per_dwelling``,
  ``floor_area_per_dwelling_m2`` and ``mixed_residential_share`` are the country's
  (:mod:`lockerplan.presets`, each with its source; :meth:`DemandModel.for_country`):
  Finland's 16.7 parcels per person and year, 1.9 persons per dwelling, 98.9 m² and
  0.114 (fitted, :mod:`.fit`) give central Helsinki 1.02 x what the HSY population
  grid implies, with no calibration factor.
* ``peak_factor`` = 1.0; use e.g. 2.5 for November/December peaks.

Clustering
----------
:func:`cluster_demand` merges demand points with complete-linkage agglomerative
clustering (scikit-learn) so that no two members of a cluster are farther apart
than ``cluster_m`` (default 50 m, the walking-error budget); the cluster point is
the parcel-weighted centroid, so every member is within ``cluster_m`` of it. Points
are first split into square tiles (an adaptive quadtree that splits a tile until it
holds at most ``max_tile_points``) so that time and memory stay near linear: 100,000
points cluster in a few seconds (``benchmarks/clustering.py``). Points on either side
of a tile border are never merged, which costs a few more clusters (about 1 % more
than untiled complete linkage in the benchmark), never accuracy.
:func:`aggregation_error` reports the parcel-weighted mean and the largest member
distance to the cluster point. A population-grid cell is one point unless
``split_m`` spreads it over a lattice (a 250 m cell as one point puts residents up to
177 m from it).

Reporting drops
---------------
Every source returns a :class:`DemandResult`: ``points`` and ``dropped`` (columns
:data:`DROP_COLUMNS` = ``layer, id, source, parcels_per_day, reason``). Reasons:
``"outside study area"`` (whole rows, or the outside share of a clipped grid cell),
``"zero parcels"``, ``"invalid: missing or non-numeric coordinates"``, ``"invalid:
coordinates out of range ..."``, ``"invalid: missing or non-numeric '<column>'"``,
``"invalid: negative '<column>'"`` (these two carry ``NaN`` parcels: the weight is
unknown), ``"invalid: building without polygon footprint"``. Off-network drops are
added later by :func:`lockerplan.plan`.

Modules: :mod:`.core` (model, result, study areas), :mod:`.buildings`,
:mod:`.sources` (files and grids), :mod:`.cluster`, :mod:`.checks` (conservation,
calibration), :mod:`.fit` (the untyped-building share fitted to a population grid,
cell by cell), :mod:`.load` (the one dispatch over sources). The heat map is drawn by
:mod:`lockerplan.maps.demand` and written with the demand layers by
:func:`lockerplan.export.write_demand`.
"""

from ..streets import study_area_around
from .buildings import (
    DEFAULT_LEVELS,
    IGNORED_TYPES,
    MIXED_TYPES,
    RESIDENTIAL_TYPES,
    STOREY_HEIGHT_M,
    building_demand,
    demand_from_buildings,
)
from .checks import Calibration, calibrate_to_population, conservation
from .cluster import aggregation_error, cluster_demand, cluster_labels
from .core import (
    CLUSTER_COLUMNS,
    DROP_COLUMNS,
    MAX_PARCELS_PER_DAY,
    MAX_ROW_PARCELS_PER_DAY,
    POINT_COLUMNS,
    REASON_OUTSIDE,
    REASON_ZERO,
    DemandModel,
    DemandResult,
    StudyArea,
    study_area_geometry,
)
from .sources import demand_from_population_grid, read_demand_file

__all__ = [
    "CLUSTER_COLUMNS",
    "DEFAULT_LEVELS",
    "DROP_COLUMNS",
    "IGNORED_TYPES",
    "MAX_PARCELS_PER_DAY",
    "MAX_ROW_PARCELS_PER_DAY",
    "MIXED_TYPES",
    "POINT_COLUMNS",
    "REASON_OUTSIDE",
    "REASON_ZERO",
    "RESIDENTIAL_TYPES",
    "STOREY_HEIGHT_M",
    "Calibration",
    "DemandModel",
    "DemandResult",
    "StudyArea",
    "aggregation_error",
    "building_demand",
    "calibrate_to_population",
    "cluster_demand",
    "cluster_labels",
    "conservation",
    "demand_from_buildings",
    "demand_from_population_grid",
    "read_demand_file",
    "study_area_around",
    "study_area_geometry",
]
