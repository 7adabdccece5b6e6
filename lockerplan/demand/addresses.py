"""Delivery addresses and the area they spread over, per demand point.

Home delivery stops at addresses (:mod:`lockerplan.routing.stops`), so each demand
point carries how many it stands for (``addresses``) and, where it stands for an
area rather than a spot, that area (``area_m2``):

* OSM buildings: the building model's dwellings (at least one per building with
  parcels); a building is a spot (``area_m2`` 0: its cluster's spread gives the area);
* a population grid: the cell's dwellings, residents / persons per dwelling, i.e.
  parcels / (parcels per person x persons per dwelling); each point stands for a
  cell of the grid's spacing (the median distance to the nearest other point,
  squared; ``split_m`` squared when cells are split);
* orders or addresses: one address per distinct location (rows at the same
  coordinates, to 1e-6 degrees, share one).

Examples
--------
>>> import geopandas as gpd
>>> pts = gpd.GeoDataFrame({"parcels_per_day": [1.0, 1.0, 2.0]},
...     geometry=gpd.points_from_xy([24.9, 24.9, 24.91], [60.1, 60.1, 60.1]), crs=4326)
>>> order_addresses(pts).tolist()
[0.5, 0.5, 1.0]
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree


def order_addresses(points: gpd.GeoDataFrame) -> np.ndarray:
    """One address per distinct location, shared by the rows there."""
    key = np.round(np.column_stack([points.geometry.x, points.geometry.y]), 6)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse.ravel()]


def building_addresses(points: gpd.GeoDataFrame) -> np.ndarray:
    """The building model's dwellings, at least one per building."""
    if "dwellings" not in points:
        return np.ones(len(points))
    return np.maximum(points["dwellings"].to_numpy(dtype=float), 1.0)


def grid_cell_area_m2(points: gpd.GeoDataFrame, split_m: float | None = None) -> np.ndarray:
    """The area each grid point stands for: the grid's spacing squared.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 0.001, 0.002], [0, 0, 0]),
    ...     crs=4326)
    >>> grid_cell_area_m2(pts).round(-2).tolist()
    [12400.0, 12400.0, 12400.0]
    """
    if split_m:
        return np.full(len(points), float(split_m) ** 2)
    if len(points) < 2:
        return np.zeros(len(points))
    metric = points.geometry.to_crs(points.estimate_utm_crs())
    xy = np.column_stack([metric.x, metric.y])
    xy = np.unique(xy, axis=0)
    if len(xy) < 2:
        return np.zeros(len(points))
    dist, _ = cKDTree(xy).query(xy, k=2)
    return np.full(len(points), float(np.median(dist[:, 1])) ** 2)


def grid_addresses(points: gpd.GeoDataFrame, parcels_per_dwelling_per_day: float) -> np.ndarray:
    """A grid cell's dwellings from its parcels: parcels / parcels per dwelling."""
    return points["parcels_per_day"].to_numpy(dtype=float) / parcels_per_dwelling_per_day
