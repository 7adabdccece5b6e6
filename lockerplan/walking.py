"""The walk network's work for a plan, in this process or as Dask tasks.

Internal: the pipeline's plumbing (:mod:`lockerplan.distances` is the public side).

A plan asks six things of the walk network: the area it covers (demand outside
is reported, not planned), where points meet its streets (snapping), walking
distances within a cutoff, the open sites' catchments, the nearest named
street of a place (map labels), and its streets simplified for the map's base
layer. :class:`WalkNetwork` answers each either here, on
the network's :class:`~lockerplan.distances.GraphArrays`, or — with a Dask
scheduler (``--scheduler``) — as tasks on a worker that built the network itself
from the extract. The network then never passes through this process: points and
snap tables go out, and polygons, snap tables, sparse distance matrices and names
and the map's street lines come back. Distances are split into groups of nearby sources, one task each, so
that they spread over the workers.

Examples
--------
>>> from lockerplan.network import streets_from_osm
>>> from lockerplan.osm import default_osm_path
>>> walk = WalkNetwork.here(streets_from_osm(default_osm_path(), "walk").arrays())
>>> walk.where
'this process'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from scipy import sparse

from .distances import GraphArrays, catchment_polygons, snap_points, walking_distance_matrix
from .distances.walk_matrix import spatial_groups
from .progress import tqdm
from .streets import nearest_streets, study_area_around

#: Sources per distance task on Dask (fewer when that leaves workers idle).
SOURCES_PER_TASK = 500


def snap_columns(arrays: GraphArrays, snap: pd.DataFrame) -> dict[str, np.ndarray]:
    """How each point reaches the walk network, as columns (traceable, checkable).

    ``node``/``snap_m``: the nearer end of the nearest street and the walk to it;
    ``access_m``: straight distance to the street; ``edge``/``offset_m``: the street
    (edge index) and the position along it; ``u_node``/``u_m`` and ``v_node``/``v_m``:
    both ends of the street and the walk to each.
    """
    return {
        "node": snap["node"].to_numpy(),
        "snap_m": snap["snap_m"].round(2).to_numpy(),
        "access_m": snap["access_m"].round(2).to_numpy(),
        "edge": snap["edge"].to_numpy(),
        "offset_m": snap["offset_m"].round(2).to_numpy(),
        "u_node": arrays.node_ids[snap["u_index"].to_numpy()],
        "u_m": snap["u_m"].round(2).to_numpy(),
        "v_node": arrays.node_ids[snap["v_index"].to_numpy()],
        "v_m": snap["v_m"].round(2).to_numpy(),
    }


@dataclass(eq=False)
class WalkNetwork:
    """The walk network of a study area, here or on a Dask worker.

    Attributes
    ----------
    crs : pyproj.CRS
        The network's projected CRS (metres).
    where : str
        ``"this process"`` or the Dask scheduler's label.
    arrays : GraphArrays or None
        The network, when it is in this process.
    client, future : optional
        The Dask client and the future of the network's arrays on a worker.
    """

    crs: pyproj.CRS
    where: str = "this process"
    arrays: GraphArrays | None = None
    client: Any = None
    future: Any = None
    _streets: Any = field(default=None, repr=False)

    @classmethod
    def here(cls, arrays: GraphArrays) -> WalkNetwork:
        """The network in this process."""
        return cls(arrays.crs, "this process", arrays)

    @classmethod
    def on_dask(cls, client: Any, source: Any, where: str) -> WalkNetwork:
        """The walk network of ``source`` (an :class:`~lockerplan.source.OsmFile` or
        :class:`~lockerplan.source.Place`), built by a Dask worker and kept there."""
        future = client.submit(_build, source, pure=False)
        crs = client.submit(_crs, future, pure=False).result()
        return cls(crs, where, None, client, future)

    @property
    def on_workers(self) -> bool:
        """Whether the network lives on a Dask worker."""
        return self.arrays is None

    def local_arrays(self) -> GraphArrays:
        """The network's arrays in this process (fetched from the worker if need be)."""
        return self.arrays if self.arrays is not None else self.future.result()

    def _call(self, fn, *args: Any) -> Any:
        if self.arrays is not None:
            return fn(self.arrays, *args)
        return self.client.submit(fn, self.future, *args, pure=False).result()

    def street_shapes(self) -> gpd.GeoSeries:
        """The streets the map draws where tiles cannot load
        (:func:`lockerplan.maps.base.street_shapes`: simplified, each once, at most
        :data:`~lockerplan.maps.base.STREET_POINTS` points), drawn where the network
        is (on Dask the worker sends back the lines alone, about 2 MB at most) and kept."""
        if self._streets is None:
            self._streets = self._call(_street_shapes)
        return self._streets

    def area(self, buffer_m: float) -> Any:
        """The convex hull of the network's nodes grown by ``buffer_m`` (EPSG:4326)."""
        return self._call(_area, buffer_m)

    def snap(
        self, points: gpd.GeoSeries, max_snap_m: float
    ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """:func:`~lockerplan.distances.snap_points` and its :func:`snap_columns`."""
        return self._call(_snap, points, max_snap_m)

    def catchments(self, site_snap: pd.DataFrame, cutoff_m: float) -> gpd.GeoSeries:
        """:func:`~lockerplan.distances.catchment_polygons` of the sites."""
        return self._call(catchment_polygons, site_snap, cutoff_m)

    def streets(self, points: gpd.GeoSeries) -> list[str]:
        """The nearest named street of each point (see :mod:`lockerplan.maps.names`)."""
        return self._call(_streets, points)

    def distances(
        self,
        source_snap: pd.DataFrame,
        target_snap: pd.DataFrame,
        cutoff_m: float,
        progress: bool = False,
    ) -> sparse.csr_matrix:
        """:func:`~lockerplan.distances.walking_distance_matrix`; on Dask, one task per
        group of nearby sources (a progress bar counts the tasks)."""
        if self.arrays is not None:
            return walking_distance_matrix(
                self.arrays, source_snap, target_snap, cutoff_m, progress=progress
            )
        return self._distances_on_dask(source_snap, target_snap, cutoff_m, progress)

    def _distances_on_dask(self, source_snap, target_snap, cutoff_m, progress):
        import distributed

        workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        n = len(source_snap)
        per_task = max(1, min(SOURCES_PER_TASK, math.ceil(n / (2 * workers))))
        groups = self._call(_source_groups, source_snap, per_task)
        [targets] = self.client.scatter([target_snap], hash=False)
        futures = {
            self.client.submit(
                _distance_rows, self.future, source_snap.iloc[g], targets, cutoff_m, pure=False
            ): g
            for g in groups
        }
        rows, cols, vals = [], [], []
        bar = tqdm(total=len(futures), desc="walking distances", unit="task", disable=not progress)
        with bar:
            for fut in distributed.as_completed(futures):
                part = fut.result().tocoo()
                rows.append(futures[fut][part.row])
                cols.append(part.col)
                vals.append(part.data)
                bar.update(1)
        shape = (n, len(target_snap))
        if not rows:
            return sparse.csr_matrix(shape)
        return sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )


# -- what runs on the worker (module-level functions: Dask pickles them by name) --


def _build(source: Any) -> GraphArrays:
    return source.streets("walk").arrays()


def _crs(arrays: GraphArrays) -> pyproj.CRS:
    return arrays.crs


def _area(arrays: GraphArrays, buffer_m: float) -> Any:
    nodes = gpd.GeoSeries(gpd.points_from_xy(arrays.xy[:, 0], arrays.xy[:, 1]), crs=arrays.crs)
    return study_area_around(nodes, buffer_m=buffer_m)


def _snap(arrays: GraphArrays, points: gpd.GeoSeries, max_snap_m: float):
    snap = snap_points(arrays, points, max_snap_m)
    return snap, snap_columns(arrays, snap)


def _streets(arrays: GraphArrays, points: gpd.GeoSeries) -> list[str]:
    return nearest_streets(gpd.GeoDataFrame(geometry=points), arrays)


def _street_shapes(arrays: GraphArrays) -> gpd.GeoSeries:
    from .maps.base import street_shapes

    return street_shapes(arrays)


def _source_groups(arrays: GraphArrays, source_snap: pd.DataFrame, size: int) -> list[np.ndarray]:
    """Rows of the sources in groups of nearby ones (by their street's middle)."""
    u = source_snap["u_index"].to_numpy()
    v = source_snap["v_index"].to_numpy()
    return spatial_groups((arrays.xy[u] + arrays.xy[v]) / 2, size)


def _distance_rows(arrays, source_snap, target_snap, cutoff_m) -> sparse.csr_matrix:
    return walking_distance_matrix(arrays, source_snap, target_snap, cutoff_m)
