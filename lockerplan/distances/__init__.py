"""Network distances: graph arrays, snapping, walking matrices, drive matrices, catchments.

All distances follow the street network, never straight lines. A point is snapped
to the nearest street (edge); its walk to each end of that street is the straight
*access* distance plus the distance along the street, and both ends are used, so a
distance is what a customer really walks.

==================  =============================================================
``graph_arrays``    the network as arrays (:class:`GraphArrays`), with street shapes
``snapping``        points onto streets (:func:`snap_points`), and onto the graph
``walk_matrix``     sparse walking distances within a cutoff (:func:`walking_distance_matrix`)
``drive_matrix``    full drive matrices between nodes, for routing (:func:`network_matrices`)
``catchments``      the streets each site reaches, as polygons (:func:`catchment_polygons`)
==================  =============================================================

Simplified graphs (see :func:`lockerplan.network.graph_from_osm`) keep each edge's
street shape; :class:`GraphArrays` holds them, so catchments and drawn routes
(:meth:`GraphArrays.path_coords`) follow the streets.
"""

from .catchments import catchment_polygons
from .drive_matrix import MATRIX_BLOCK, PARALLEL_MIN_SOURCES, network_matrices, path_nodes
from .graph_arrays import (
    EdgeTable,
    GraphArrays,
    arrays_from_edges,
    graph_arrays,
    local_crs,
    ragged_rows,
)
from .snapping import snap_points
from .walk_matrix import walking_distance_matrix, within_cutoff

__all__ = [
    "MATRIX_BLOCK",
    "PARALLEL_MIN_SOURCES",
    "EdgeTable",
    "GraphArrays",
    "arrays_from_edges",
    "catchment_polygons",
    "graph_arrays",
    "local_crs",
    "network_matrices",
    "path_nodes",
    "ragged_rows",
    "snap_points",
    "walking_distance_matrix",
    "within_cutoff",
]
