"""Street networks: a walk graph for customers and a drive graph for vans.

Graphs are :class:`networkx.MultiDiGraph` objects in the osmnx convention (node
attributes ``x`` = longitude and ``y`` = latitude, ``graph["crs"] = "EPSG:4326"``,
edge attributes ``length`` in metres and ``travel_time`` in seconds, ``geometry``
on edges with bends), so every osmnx function works on them.

Extracts (PBF, or OSM XML converted once with pyosmium) are parsed with pyrosm;
the per-segment tables are turned into directed arcs, cut to the largest connected
component and simplified (degree-2 chains contracted) with vectorised numpy, and
the result is cached on disk by file content hash (:mod:`lockerplan.cache`).
Online queries by place name, bounding box or polygon go through osmnx and need
internet (:mod:`lockerplan.download`).
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyrosm
from scipy import sparse
from scipy.sparse import csgraph

from . import cache, settings
from .errors import InputError
from .osm import check_osm_file, open_osm
from .streets import ARC_KEYS, Streets

log = logging.getLogger(__name__)


_ONEWAY_FORWARD = {"yes", "true", "1"}


_ONEWAY_BACKWARD = {"-1", "reverse"}


def _parse_maxspeed(value: object) -> float:
    """Speed in km/h from an OSM ``maxspeed`` value, NaN if not numeric."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(mph)?", str(value))
    if not match:
        return np.nan
    speed = float(match.group(1))
    return speed * 1.609344 if match.group(2) else speed


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values (sort-based; faster than numpy's hash path on int64 keys)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _first_values(col: pd.Series) -> np.ndarray:
    """:func:`_first` of every value, computed once per distinct value."""
    try:
        codes, uniques = pd.factorize(col, use_na_sentinel=False)
    except TypeError:  # list-valued tags are unhashable
        return col.map(_first).to_numpy(dtype=object)
    return np.array([_first(x) for x in uniques], dtype=object)[codes]


def _first(value: object) -> str:
    """First value of a possibly list-valued OSM tag, as a string."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def largest_component(G: nx.MultiDiGraph, strongly: bool) -> nx.MultiDiGraph:
    comps = nx.strongly_connected_components(G) if strongly else nx.weakly_connected_components(G)
    largest = max(comps, key=len, default=set())
    dropped = G.number_of_nodes() - len(largest)
    H = G.subgraph(largest).copy()
    H.graph["dropped_nodes"] = dropped
    H.graph["dropped_share"] = dropped / G.number_of_nodes() if G.number_of_nodes() else 0.0
    if dropped:
        log.info(
            "%s graph: kept the largest connected component, dropped %d of %d nodes (%.1f %%)",
            G.graph.get("network_type", ""),
            dropped,
            G.number_of_nodes(),
            100 * H.graph["dropped_share"],
        )
    return H


def graph_from_osm(
    path: str | Path,
    network_type: str = "walk",
    *,
    walk_speed_kmh: float = settings.WALK_SPEED_KMH,
    simplify: bool = True,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
) -> nx.MultiDiGraph:
    """Build a walk or drive graph from an OSM extract (PBF, XML, .bz2 or .gz).

    The graph of :func:`streets_from_osm` (same parameters), built at once.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path
    >>> G = graph_from_osm(default_osm_path(), "walk", use_cache=False)
    >>> G.graph["crs"]
    'EPSG:4326'
    """
    return streets_from_osm(
        path,
        network_type,
        walk_speed_kmh=walk_speed_kmh,
        simplify=simplify,
        use_cache=use_cache,
        cache_dir=cache_dir,
    ).graph


def streets_from_osm(
    path: str | Path,
    network_type: str = "walk",
    *,
    walk_speed_kmh: float = settings.WALK_SPEED_KMH,
    simplify: bool = True,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
) -> Streets:
    """Read a walk or drive street network from an OSM extract (PBF, XML, .bz2 or .gz).

    The walk graph has an edge in both directions for every walkable street
    segment; the drive graph respects one-way streets (``oneway=yes|-1`` and
    roundabouts). Only the largest connected component is kept (strongly connected
    for driving), and how much was dropped is stored in ``G.graph["dropped_nodes"]``
    (raw OSM nodes) and ``G.graph["dropped_share"]``.

    With ``simplify=True`` (the default) chains of degree-2 nodes are contracted as in
    osmnx: nodes are street intersections and dead ends, and each edge with a bend
    keeps the street's shape as a ``geometry`` LineString (EPSG:4326, from ``u`` to ``v``),
    its summed ``length`` and ``travel_time`` and the tags of its first segment. This
    cuts the graph about fivefold (Porto: 300k raw nodes -> 64k).

    The result is cached on disk (see :mod:`lockerplan.cache`), keyed by the file's
    content hash, the network type and these settings.

    Parameters
    ----------
    path : str or pathlib.Path
        An OSM extract.
    network_type : {"walk", "drive"}
        Which network to build.
    walk_speed_kmh : float, default 4.8
        Walking speed used for ``travel_time`` on the walk graph.
    simplify : bool, default True
        Contract degree-2 nodes, keeping edge geometries.
    use_cache : bool, default True
        Read and write the disk cache.
    cache_dir : str or pathlib.Path, optional
        Cache folder; ``$LOCKERPLAN_CACHE_DIR`` or ``~/.cache/lockerplan`` by default.

    Returns
    -------
    Streets
        The network as compact arrays; its :attr:`Streets.graph` (built on first use)
        has nodes keyed by OSM node id with ``x``/``y`` (lon/lat) and edges with
        ``osmid`` (way id), ``length`` (m), ``travel_time`` (s), ``highway``, ``name``
        and, when simplified, ``geometry``.

    Raises
    ------
    InputError
        If the file cannot be read or holds no streets of this type.

    Examples
    --------
    >>> from lockerplan.osm import default_osm_path
    >>> streets = streets_from_osm(default_osm_path(), "walk", use_cache=False)
    >>> streets.n_nodes == len(streets.arrays().node_ids)
    True
    """
    check_network_type(network_type)
    if not (isinstance(walk_speed_kmh, int | float) and walk_speed_kmh > 0):
        raise InputError(f"walk_speed_kmh must be a number > 0 km/h, got {walk_speed_kmh!r}.")
    path = check_osm_file(path)
    key = None
    if use_cache:
        speed = float(walk_speed_kmh) if network_type == "walk" else None
        key = cache.cache_key(
            "graph",
            cache.file_hash(path),
            network_type,
            speed,
            bool(simplify),
            pyrosm.__version__,
            settings.DRIVE_SPEEDS_KMH if network_type == "drive" else None,
        )
        streets = _streets_from_cache(key, cache_dir, path, network_type, simplify)
        if streets is not None:
            return streets
    osm = open_osm(path, cache_dir)
    pyrosm_type = "walking" if network_type == "walk" else "driving"
    try:
        with warnings.catch_warnings():  # "Could not find any edges": reported below
            warnings.filterwarnings("ignore", message="Could not find any edges")
            result = osm.get_network(network_type=pyrosm_type, nodes=True)
    except Exception as exc:
        raise InputError(
            f"--osm: cannot read streets from {str(path)!r} ({exc}); the file may be truncated "
            "or damaged: download the extract again."
        ) from exc
    if result is None or result[1] is None or len(result[1]) == 0:
        raise InputError(
            f"--osm: {str(path)!r} holds no {network_type} streets; give an extract that covers "
            "a street network (not only buildings or a single feature)."
        )
    nodes, edges = result
    arcs = _arcs_from_segments(nodes, edges, network_type, walk_speed_kmh)
    if len(arcs["src"]) == 0:
        raise InputError(
            f"--osm: {str(path)!r} holds no usable {network_type} street segments; give an "
            "extract that covers a street network."
        )
    arcs, dropped, total = _keep_largest(arcs, strongly=network_type == "drive")
    if simplify:
        arcs = _contract(arcs)
    if key is not None:
        cache.store(key, {"arcs": arcs, "dropped": dropped, "total": total}, cache_dir)
    return _described(Streets(network_type, arcs, simplify), path, dropped, total, False)


def _streets_from_cache(key, cache_dir, path, network_type, simplify) -> Streets | None:
    """The network of a cache entry, or None; an entry that does not hold one is discarded.

    A valid pickle of the wrong shape (another version, a damaged write) is a
    cache miss with a warning, never an error: the entry is removed and rebuilt.
    """
    cached = cache.load(key, cache_dir)
    if cached is None:
        return None
    try:
        arcs = cached["arcs"]
        if not all(k in arcs for k in ARC_KEYS) or len(arcs["src"]) != len(arcs["dst"]):
            raise ValueError("missing or uneven arc arrays")
        streets = Streets(network_type, arcs, simplify)
        return _described(streets, path, cached["dropped"], cached["total"], True)
    except Exception as exc:  # noqa: BLE001 - any broken entry is rebuilt
        log.warning("discarding a cache entry that does not hold a street network (%s)", exc)
        cache.discard(key, cache_dir)
        return None


def _described(streets: Streets, path: Path, dropped: int, total: int, from_cache: bool) -> Streets:
    """Record the name, the dropped share and the cache origin in ``streets.attrs``; log them."""
    share = dropped / total if total else 0.0
    streets.attrs.update(
        name=path.name, dropped_nodes=dropped, dropped_share=share, from_cache=from_cache
    )
    if dropped:
        log.info(
            "%s graph: kept the largest connected component, dropped %d of %d OSM nodes (%.1f %%)",
            streets.network_type,
            dropped,
            total,
            100 * share,
        )
    log.info(
        "%s graph of %s: %d nodes, %d edges%s",
        streets.network_type,
        path.name,
        streets.n_nodes,
        streets.n_edges,
        " (from cache)" if from_cache else "",
    )
    return streets


def _arcs_from_segments(
    nodes: pd.DataFrame, edges: pd.DataFrame, network_type: str, walk_speed_kmh: float
) -> dict[str, np.ndarray]:
    """Directed arcs (node ids, lengths, times, tags) from pyrosm's per-segment tables."""
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    length = edges["length"].to_numpy(dtype=float)
    highway = _first_values(edges["highway"]) if "highway" in edges else np.full(len(u), "")
    name = _first_values(edges["name"]) if "name" in edges else np.full(len(u), "")
    way = edges["id"].to_numpy(dtype=np.int64)
    if network_type == "walk":
        speed = np.full(len(u), float(walk_speed_kmh))
        forward = np.ones(len(u), dtype=bool)
        backward = forward
    else:
        maxspeed = edges["maxspeed"].map(_parse_maxspeed) if "maxspeed" in edges else np.nan
        fallback = pd.Series(highway).map(settings.DRIVE_SPEEDS_KMH)
        speed = (
            pd.Series(maxspeed, dtype=float, index=fallback.index)
            .where(lambda s: s > 0)
            .fillna(fallback)
            .fillna(settings.DEFAULT_DRIVE_SPEED_KMH)
            .to_numpy()
        )

        def tag(col: str) -> np.ndarray:
            if col not in edges:
                return np.full(len(u), "")
            return np.char.lower(_first_values(edges[col]).astype(str))

        oneway = tag("oneway")
        junction = tag("junction")
        implied = np.isin(junction, ["roundabout", "circular"]) | np.isin(highway, ["motorway"])
        fwd_only = np.isin(oneway, list(_ONEWAY_FORWARD)) | (implied & (oneway != "no"))
        bwd_only = np.isin(oneway, list(_ONEWAY_BACKWARD))
        forward = ~bwd_only
        backward = ~fwd_only
    ok = (u != v) & np.isfinite(length)
    forward = forward & ok
    backward = backward & ok
    travel_time = length / (speed / 3.6)
    seg = np.concatenate([np.flatnonzero(forward), np.flatnonzero(backward)])
    nf = int(forward.sum())
    src = np.concatenate([u[forward], v[backward]])
    dst = np.concatenate([v[forward], u[backward]])
    coords = pd.DataFrame(
        {"lon": nodes["lon"].to_numpy(dtype=float), "lat": nodes["lat"].to_numpy(dtype=float)},
        index=nodes["id"].to_numpy(dtype=np.int64),
    )
    coords = coords[~coords.index.duplicated()]
    inverse, ids = pd.factorize(np.concatenate([src, dst]))
    pos = coords.index.get_indexer(ids)
    known = pos >= 0
    lonlat = np.full((len(ids), 2), np.nan)
    lonlat[known] = coords.to_numpy()[pos[known]]
    s_idx, d_idx = inverse[: len(src)], inverse[len(src) :]
    has_xy = np.isfinite(lonlat).all(axis=1)
    keep = has_xy[s_idx] & has_xy[d_idx]
    reverse = np.arange(len(seg)) >= nf
    return {
        "ids": ids,
        "lonlat": lonlat,
        "src": s_idx[keep],
        "dst": d_idx[keep],
        "length": length[seg][keep],
        "travel_time": travel_time[seg][keep],
        "osmid": way[seg][keep],
        "highway": highway[seg][keep],
        "name": name[seg][keep],
        "reverse": reverse[keep],
    }


_ARC_FIELDS = ("length", "travel_time", "osmid", "highway", "name", "reverse")


def _keep_largest(arcs: dict, strongly: bool) -> tuple[dict, int, int]:
    """Keep the arcs of the largest (strongly/weakly) connected component; renumber nodes."""
    n = len(arcs["ids"])
    used = np.zeros(n, dtype=bool)
    used[arcs["src"]] = True
    used[arcs["dst"]] = True
    A = sparse.csr_matrix((np.ones(len(arcs["src"])), (arcs["src"], arcs["dst"])), shape=(n, n))
    _, labels = csgraph.connected_components(
        A, directed=True, connection="strong" if strongly else "weak"
    )
    counts = np.bincount(labels[used])
    best = int(np.argmax(counts))
    keep_node = (labels == best) & used
    total = int(used.sum())
    dropped = total - int(keep_node.sum())
    keep_arc = keep_node[arcs["src"]] & keep_node[arcs["dst"]]
    new_index = np.cumsum(keep_node) - 1
    out = {k: arcs[k][keep_arc] for k in _ARC_FIELDS}
    out["ids"] = arcs["ids"][keep_node]
    out["lonlat"] = arcs["lonlat"][keep_node]
    out["src"] = new_index[arcs["src"][keep_arc]]
    out["dst"] = new_index[arcs["dst"][keep_arc]]
    return out, dropped, total


def _contract(arcs: dict) -> dict:
    """Contract chains through degree-2 nodes into single arcs with a node chain.

    A node is interior when it has exactly two distinct neighbours and the arcs
    through it form a one-way chain (one arc in, one out) or a two-way chain (two in,
    two out, from and to both neighbours). Every other node (intersections, dead
    ends, self-loops, changes between one-way and two-way) is kept. The chains are
    found with pointer jumping, fully vectorised.
    """
    src, dst = arcs["src"], arcs["dst"]
    n, m = len(arcs["ids"]), len(src)
    outdeg = np.bincount(src, minlength=n)
    indeg = np.bincount(dst, minlength=n)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    upairs = _unique(lo * n + hi)
    nbr = np.bincount(upairs // n, minlength=n) + np.bincount(upairs % n, minlength=n)
    dpairs = _unique(src * n + dst)
    out_distinct = np.bincount(dpairs // n, minlength=n)
    in_distinct = np.bincount(dpairs % n, minlength=n)
    interior = (
        (nbr == 2)
        & (indeg == outdeg)
        & ((indeg == 1) | (indeg == 2))
        & (in_distinct == indeg)
        & (out_distinct == outdeg)
    )
    order = np.argsort(src, kind="stable")
    out_ptr = np.concatenate([[0], np.cumsum(outdeg)])
    while True:
        nxt = np.full(m, -1, dtype=np.int64)
        through = np.flatnonzero(interior[dst])
        v = dst[through]
        o1 = order[out_ptr[v]]
        o2 = order[np.minimum(out_ptr[v] + 1, m - 1)]
        nxt[through] = np.where(dst[o1] != src[through], o1, o2)
        is_head = ~interior[src]
        prev = np.full(m, -1, dtype=np.int64)
        prev[nxt[through]] = through
        ptr = np.where(is_head, np.arange(m), prev)
        rank = np.where(is_head, 0, 1)
        for _ in range(int(np.ceil(np.log2(max(m, 2)))) + 2):
            rank = rank + rank[ptr]  # heads point to themselves with rank 0
            ptr = ptr[ptr]
        unresolved = ~is_head[ptr]
        if not unresolved.any():
            break
        interior[src[unresolved]] = False  # rings of degree-2 nodes keep their nodes
    # sort arcs by chain (head arc) and position in it
    seq = np.lexsort((rank, ptr))
    head = ptr[seq]
    starts = np.flatnonzero(np.r_[True, head[1:] != head[:-1]])
    ends = np.r_[starts[1:], len(seq)] - 1
    first, last = seq[starts], seq[ends]
    n_chain = len(starts)
    # node chain per new arc: the head's source, then every arc's target
    chain_of = np.repeat(np.arange(n_chain), np.diff(np.r_[starts, len(seq)]))
    chain_nodes = np.empty(len(seq) + n_chain, dtype=np.int64)
    chain_nodes[starts + np.arange(n_chain)] = src[first]
    chain_nodes[np.arange(len(seq)) + chain_of + 1] = dst[seq]
    ptr_nodes = np.r_[starts + np.arange(n_chain), len(chain_nodes)]
    keep_node = ~interior
    new_index = np.cumsum(keep_node) - 1
    out = {k: arcs[k][first] for k in ("osmid", "highway", "name", "reverse")}
    out["length"] = np.add.reduceat(arcs["length"][seq], starts)
    out["travel_time"] = np.add.reduceat(arcs["travel_time"][seq], starts)
    out["chain_lonlat"] = arcs["lonlat"][chain_nodes]
    out["chain_ptr"] = ptr_nodes
    out["src"] = new_index[src[first]]
    out["dst"] = new_index[dst[last]]
    out["ids"] = arcs["ids"][keep_node]
    out["lonlat"] = arcs["lonlat"][keep_node]
    return out


def check_network_type(network_type: str) -> None:
    if network_type not in ("walk", "drive"):
        raise InputError(f"network_type must be 'walk' or 'drive', got {network_type!r}.")
