"""Hubs at city scale: :func:`hub_count` and :func:`place_hubs` on real drive networks."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest

from lockerplan.distances import GraphArrays, graph_arrays, network_matrices
from lockerplan.errors import InputError
from lockerplan.network import graph_from_osm
from lockerplan.osm import default_osm_path
from lockerplan.routing import default_hub, hub_count, place_hubs


def _sites_on_nodes(arrays: GraphArrays, n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` sites on distinct drive nodes, 10..200 parcels/day each (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(arrays.xy), n, replace=False)
    geom = gpd.GeoSeries(gpd.points_from_xy(*arrays.xy[idx].T), crs=arrays.crs).to_crs(4326)
    return gpd.GeoDataFrame(
        {
            "site_id": [f"s{i}" for i in range(n)],
            "parcels_per_day": rng.integers(10, 201, n).astype(float),
        },
        geometry=geom.to_numpy(),
        crs="EPSG:4326",
    )


def _weighted_km(arrays: GraphArrays, hubs: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> float:
    """Parcel-weighted round-trip km from each site's nearest hub (hubs and sites on nodes)."""
    xy = np.vstack(
        [
            np.column_stack([g.x, g.y])
            for g in (hubs.to_crs(arrays.crs).geometry, sites.to_crs(arrays.crs).geometry)
        ]
    )
    nodes = np.array([int(np.argmin(np.hypot(*(arrays.xy - p).T))) for p in xy])
    dist, _, _ = network_matrices(arrays, nodes)
    h = len(hubs)
    out, back = dist[:h, h:], dist[h:, :h].T
    assert (out >= 0).all() and (back >= 0).all()
    trip = (out + back).min(axis=0) / 1000.0
    return float(sites["parcels_per_day"].to_numpy() @ trip)


def _square(side_x_km: float, side_y_km: float) -> gpd.GeoDataFrame:
    """Corners of a rectangle in UTM zone 35N (Helsinki), as EPSG:4326 points."""
    x0, y0 = 385e3, 6670e3
    x = [x0, x0 + side_x_km * 1e3, x0 + side_x_km * 1e3, x0]
    y = [y0, y0, y0 + side_y_km * 1e3, y0 + side_y_km * 1e3]
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:32635").to_crs(4326)


@pytest.fixture(scope="module")
def helsinki() -> tuple[GraphArrays, gpd.GeoDataFrame]:
    """Central Helsinki's drive network (offline) and 12 sites on its nodes."""
    arrays = graph_arrays(graph_from_osm(default_osm_path(), "drive"))
    return arrays, _sites_on_nodes(arrays, 12, seed=3)


def test_hub_count_by_area():
    assert hub_count(_square(1.3, 1.3)) == 1  # central Helsinki's ~1.7 km² of demand
    assert hub_count(_square(14, 13)) == 2  # a 182 km² city
    assert hub_count(_square(14, 13), km2_per_hub=10) == 10  # capped at max_hubs
    assert hub_count(_square(14, 13), km2_per_hub=10, max_hubs=30) == 18
    with pytest.raises(InputError, match="km2_per_hub"):
        hub_count(_square(1, 1), km2_per_hub=0)


def test_one_hub_beats_the_centre_of_demand(helsinki):
    arrays, sites = helsinki
    t0 = time.perf_counter()
    hubs = place_hubs(arrays, sites, 1)
    print(f"Helsinki: 1 hub for {len(sites)} sites in {time.perf_counter() - t0:.2f} s")
    assert hubs["hub_id"].tolist() == ["hub1"]
    placed = _weighted_km(arrays, hubs, sites)
    assert hubs.attrs["objective_km"] == pytest.approx(placed, rel=1e-9)
    assert placed <= _weighted_km(arrays, default_hub(arrays, sites), sites) + 1e-9


def test_two_hubs(helsinki):
    arrays, sites = helsinki
    one = place_hubs(arrays, sites, 1)
    t0 = time.perf_counter()
    two = place_hubs(arrays, sites, 2)
    print(f"Helsinki: 2 hubs in {time.perf_counter() - t0:.2f} s")
    assert two.crs.to_epsg() == 4326
    assert two["hub_id"].tolist() == ["hub1", "hub2"]
    assert two["node"].nunique() == 2
    assert set(two["node"]) <= set(arrays.node_ids)
    assert two["name"].str.startswith("hub 1: placed on the drive network").iloc[0]
    assert two.attrs["objective_km"] <= one.attrs["objective_km"] + 1e-9
    assert two.attrs["objective_km"] == pytest.approx(_weighted_km(arrays, two, sites), rel=1e-9)
    again = place_hubs(arrays, sites, 2)
    assert again["node"].tolist() == two["node"].tolist()
    assert again.attrs["objective_km"] == two.attrs["objective_km"]


def test_more_hubs_than_sites(helsinki, caplog):
    arrays, sites = helsinki
    few = sites.iloc[:3]
    with caplog.at_level("WARNING"):
        hubs = place_hubs(arrays, few, 5)
    assert len(hubs) == 3 and hubs.attrs["objective_km"] == 0.0
    assert "one hub at each site" in caplog.text


@pytest.mark.parametrize("bad", [0, 1.5, -2, True, "2"])
def test_bad_n_hubs(helsinki, bad):
    arrays, sites = helsinki
    with pytest.raises(InputError, match="n_hubs"):
        place_hubs(arrays, sites, bad)


def test_sites_need_parcels(helsinki):
    arrays, sites = helsinki
    with pytest.raises(InputError, match="parcels_per_day"):
        place_hubs(arrays, sites.drop(columns="parcels_per_day"), 1)
    with pytest.raises(InputError, match="parcels_per_day"):
        place_hubs(arrays, sites.assign(parcels_per_day=-1.0), 1)


@pytest.mark.slow
def test_porto_alegre_hubs(bench_dir):
    path = bench_dir / "osm" / "porto_alegre_2020.osm.pbf"
    if not path.is_file():
        pytest.skip(f"Porto Alegre extract not found at {path}")
    arrays = graph_arrays(graph_from_osm(path, "drive"))
    sites = _sites_on_nodes(arrays, 100, seed=5)
    print(f"\nPorto Alegre: {len(arrays.xy)} drive nodes, hub_count {hub_count(sites)}")
    previous = np.inf
    for n in (1, 2, 3):
        t0 = time.perf_counter()
        hubs = place_hubs(arrays, sites, n)
        took = time.perf_counter() - t0
        print(f"  {n} hub(s): {hubs.attrs['objective_km']:.0f} parcel-km/day in {took:.2f} s")
        assert len(hubs) == n and hubs["node"].nunique() == n
        assert hubs.attrs["objective_km"] <= previous + 1e-9
        previous = hubs.attrs["objective_km"]
