"""Full distance and duration matrices between drive-network nodes, for routing.

:func:`network_matrices` runs Dijkstra from blocks of sources, in forked processes
from :data:`PARALLEL_MIN_SOURCES` sources up (scipy's Dijkstra holds the GIL);
:func:`path_nodes` reads a route's nodes back from the predecessors.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy.sparse import csgraph

from ..parallel import fork_map
from .graph_arrays import GraphArrays

#: Sources per Dijkstra block in :func:`network_matrices`.
MATRIX_BLOCK = 128


def network_matrices(
    arrays: GraphArrays, node_index: np.ndarray, *, predecessors: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Full distance and duration matrices between network nodes (for routing).

    Parameters
    ----------
    arrays : GraphArrays
        The drive network.
    node_index : numpy.ndarray
        Matrix indices of the locations (hubs first, then sites).
    predecessors : bool, default True
        Keep the shortest-path trees (one int32 row over the whole network per
        location: 1,600 locations on a 50,000-node network are 320 MB) for path
        geometries; ``False`` when only the matrices are needed.

    Returns
    -------
    distance_m : numpy.ndarray of int64
        Shortest road distance, metres; ``-1`` where unreachable.
    duration_s : numpy.ndarray of int64
        Fastest travel time, seconds; ``-1`` where unreachable.
    predecessors : numpy.ndarray or None
        Predecessor matrix of the shortest-distance trees (for path geometries);
        None unless ``predecessors``.
    """
    node_index = np.asarray(node_index)
    n = len(node_index)
    distance_m = np.empty((n, n), dtype=np.int64)
    duration_s = np.empty((n, n), dtype=np.int64)
    pred = np.empty((n, arrays.length.shape[0]), dtype=np.int32) if predecessors else None
    # a block of sources at a time: the full rows (all network nodes) of one block
    # only, so a metro area's 1,500 stops x 50,000 nodes never sit in memory whole
    starts = range(0, n, MATRIX_BLOCK)
    task = (arrays.length, arrays.travel_time, node_index, predecessors)
    blocks = fork_map(partial(_block, task), starts, parallel=n >= PARALLEL_MIN_SOURCES)
    for lo, (d, t, p) in zip(starts, blocks, strict=True):
        distance_m[lo : lo + len(d)], duration_s[lo : lo + len(d)] = d, t
        if pred is not None:
            pred[lo : lo + len(d)] = p
    return distance_m, duration_s, pred


#: Sources from which :func:`network_matrices` runs its Dijkstras on every core
#: (:func:`lockerplan.parallel.fork_map`; scipy's Dijkstra holds the GIL).
PARALLEL_MIN_SOURCES = 256


def _block(task: tuple, lo: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Integer distance and duration rows (and predecessor rows) of one block of sources."""
    length, travel_time, node_index, predecessors = task
    rows = node_index[lo : lo + MATRIX_BLOCK]
    found = csgraph.dijkstra(length, directed=True, indices=rows, return_predecessors=predecessors)
    dist, pred = found if predecessors else (found, None)
    d = dist[:, node_index]
    del dist
    t = csgraph.dijkstra(travel_time, directed=True, indices=rows)[:, node_index]
    d = np.where(np.isfinite(d), np.rint(d), -1).astype(np.int64)
    t = np.where(np.isfinite(t), np.rint(t), -1).astype(np.int64)
    return d, t, None if pred is None else pred.astype(np.int32)


def path_nodes(predecessors: np.ndarray, source_row: int, target: int) -> list[int]:
    """Matrix indices along the shortest path to ``target`` in one predecessor row."""
    path = [target]
    while path[-1] >= 0 and predecessors[source_row, path[-1]] >= 0:
        path.append(int(predecessors[source_row, path[-1]]))
    return path[::-1]
