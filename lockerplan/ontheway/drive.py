"""The way between by car: fastest paths on the drive network.

Without timetables a commute goes by car. Its travel time is the drive network's
fastest time and its anchors are the nodes of its shortest path, where a driver
may stop; which sites are within the detour of them is decided on the walk
network (:mod:`lockerplan.ontheway.coverage`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..distances import GraphArrays, network_matrices, path_nodes, snap_points


def drive_nodes(arrays: GraphArrays, points: gpd.GeoSeries) -> np.ndarray:
    """The drive network node (matrix index) nearest each point.

    Examples
    --------
    >>> nodes = drive_nodes(drive_arrays, demand.geometry)  # doctest: +SKIP
    """
    return snap_points(arrays, points, max_snap_m=np.inf, to="node")["node_index"].to_numpy()


def drive_times(arrays: GraphArrays, nodes: np.ndarray) -> np.ndarray:
    """Fastest car times between the nodes, seconds (``inf``: no way).

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    nodes : numpy.ndarray
        Matrix indices, e.g. from :func:`drive_nodes`.

    Returns
    -------
    numpy.ndarray
        ``(len(nodes), len(nodes))``.
    """
    _, duration, _ = network_matrices(arrays, np.asarray(nodes), predecessors=False)
    return np.where(duration >= 0, duration, np.inf).astype(float)


def drive_paths(
    arrays: GraphArrays, nodes: np.ndarray, home: np.ndarray, job: np.ndarray
) -> pd.DataFrame:
    """Each commute's shortest car path and its nodes as anchors.

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    nodes : numpy.ndarray
        Drive node (matrix index) of every cell.
    home, job : numpy.ndarray
        Cell indices of each commute's ends.

    Returns
    -------
    pandas.DataFrame
        One row per commute: ``path`` (drive node indices, home to job; empty
        when there is no way) and ``length_m``.

    Examples
    --------
    >>> paths = drive_paths(drive_arrays, nodes, np.array([0]), np.array([1]))  # doctest: +SKIP
    """
    nodes = np.asarray(nodes)
    used = np.unique(np.r_[home, job])
    dist, _, pred = network_matrices(arrays, nodes[used], predecessors=True)
    row = np.full(len(nodes), -1)
    row[used] = np.arange(len(used))
    paths, lengths = [], []
    for h, j in zip(np.asarray(home), np.asarray(job), strict=True):
        d = dist[row[h], row[j]]
        p = path_nodes(pred, row[h], nodes[j]) if d >= 0 else []
        paths.append(np.asarray(p if d >= 0 and p[0] == nodes[h] else [], dtype=np.int64))
        lengths.append(float(d) if d >= 0 else np.nan)
    return pd.DataFrame({"path": paths, "length_m": lengths})


def node_points(arrays: GraphArrays, node_index: np.ndarray) -> gpd.GeoSeries:
    """Drive network nodes as points (in the network's projected CRS)."""
    xy = arrays.xy[np.asarray(node_index)]
    return gpd.GeoSeries(shapely.points(xy), crs=arrays.crs)
