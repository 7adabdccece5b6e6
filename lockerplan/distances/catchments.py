"""Walking catchments: the streets each site reaches within the cutoff, as polygons.

Each reachable street (partly reachable streets cut where the walk runs out, along
the street's real shape) is buffered and the pieces merged in a thread pool (GEOS
releases the GIL) while the next site's walk is computed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from ..parallel import cores
from .graph_arrays import GraphArrays
from .snapping import with_sources
from .walk_matrix import check_cutoff


def _merged_buffers(geoms: np.ndarray, buffer_m: float) -> shapely.Geometry:
    """The union of the geometries each grown by ``buffer_m``."""
    return shapely.union_all(shapely.buffer(geoms, buffer_m))


def _edge_pieces(seg: dict, edges: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """LineStrings of the parts of ``edges`` between offsets ``lo`` and ``hi`` (metres).

    ``seg`` is :meth:`GraphArrays.segments` (ordered by edge).
    """
    first = np.searchsorted(seg["edge"], edges, side="left")
    counts = np.searchsorted(seg["edge"], edges, side="right") - first
    which = np.repeat(np.arange(len(edges)), counts)
    offsets = np.r_[0, np.cumsum(counts)]
    s = np.repeat(first - offsets[:-1], counts) + np.arange(offsets[-1])
    if len(s) == 0:
        return np.array([], dtype=object)
    s0, slen = seg["start"][s], seg["length"][s]
    a_off = np.clip(lo[which] - s0, 0, slen)
    b_off = np.clip(hi[which] - s0, 0, slen)
    keep = b_off > a_off
    if not keep.any():
        return np.array([], dtype=object)
    s, a_off, b_off, slen = s[keep], a_off[keep], b_off[keep], slen[keep]
    safe = np.where(slen > 0, slen, 1.0)
    a, b = seg["a"][s], seg["b"][s]
    start = a + (b - a) * (a_off / safe)[:, None]
    end = a + (b - a) * (b_off / safe)[:, None]
    return shapely.linestrings(np.stack([start, end], axis=1))


def catchment_polygons(
    arrays: GraphArrays,
    site_snap: pd.DataFrame,
    cutoff_m: float,
    street_buffer_m: float = 25.0,
) -> gpd.GeoSeries:
    """Walking catchment of each site: the streets reachable within the cutoff.

    Each reachable street (partly reachable streets cut where the walk runs out, along
    the street's real shape) is buffered by ``street_buffer_m`` (the depth of the
    buildings fronting it) and the pieces are merged, so the polygon follows the
    streets, not a circle. The site's own street and its access path are included.

    Parameters
    ----------
    arrays : GraphArrays
        The walk network.
    site_snap : pandas.DataFrame
        Result of :func:`snap_points` for the sites.
    cutoff_m : float
        Walking cutoff, metres (the walk to the street counts against it).
    street_buffer_m : float, default 25
        Half-width of the catchment around each street, metres.

    Returns
    -------
    geopandas.GeoSeries
        Polygons in EPSG:4326, indexed like ``site_snap``; empty geometry for a site
        that is not on the network.

    Examples
    --------
    >>> areas = catchment_polygons(arrays, site_snap, cutoff_m=400)  # doctest: +SKIP
    """
    cutoff_m = check_cutoff(cutoff_m)
    if not arrays.has_edges:  # GraphArrays built by hand: straight edges
        coo = arrays.length.tocoo()
        arrays = GraphArrays(
            arrays.node_ids,
            arrays.xy,
            arrays.crs,
            arrays.length,
            arrays.travel_time,
            coo.row,
            coo.col,
            coo.data,
            np.arange(0, 2 * len(coo.data) + 1, 2),
            np.stack([arrays.xy[coo.row], arrays.xy[coo.col]], axis=1).reshape(-1, 2),
        )
    shapes: list = []  # polygons, or futures of polygons being merged in threads
    s_rows = np.flatnonzero(site_snap["snapped"].to_numpy(dtype=bool))
    graph, virt = with_sources(arrays.length, site_snap, s_rows)
    virt_of = dict(zip(s_rows.tolist(), virt.tolist(), strict=True))
    eu = arrays.edge_u
    seg = arrays.segments()
    edge_col = site_snap["edge"].to_numpy() if "edge" in site_snap else None
    with ThreadPoolExecutor(max_workers=cores()) as merge:  # GEOS releases the GIL
        for pos in range(len(site_snap)):
            row = site_snap.iloc[pos]
            if pos not in virt_of or float(row.get("access_m", row["snap_m"])) > cutoff_m:
                shapes.append(shapely.Polygon())
                continue
            dist = csgraph.dijkstra(graph, directed=True, indices=virt_of[pos], limit=cutoff_m)
            du = dist[eu]
            reach = np.flatnonzero(np.isfinite(du) & (du < cutoff_m))
            pieces = [_edge_pieces(seg, reach, np.zeros(len(reach)), cutoff_m - du[reach])]
            access = float(row.get("access_m", row["snap_m"]))
            if edge_col is not None and edge_col[pos] >= 0:
                e = int(edge_col[pos])
                off, budget = float(row["offset_m"]), cutoff_m - access
                if budget > 0:
                    pieces.append(
                        _edge_pieces(
                            seg, np.array([e]), np.array([off - budget]), np.array([off + budget])
                        )
                    )
            reached_nodes = np.flatnonzero(dist[: len(arrays.node_ids)] <= cutoff_m)
            pieces.append(shapely.points(arrays.xy[reached_nodes]))
            geoms = (
                np.concatenate([p for p in pieces if len(p)]) if any(len(p) for p in pieces) else []
            )
            if len(geoms) == 0:
                shapes.append(shapely.Polygon())
                continue
            shapes.append(merge.submit(_merged_buffers, geoms, street_buffer_m))
    shapes = [s.result() if hasattr(s, "result") else s for s in shapes]
    return gpd.GeoSeries(shapes, index=site_snap.index, crs=arrays.crs).to_crs("EPSG:4326")
