"""The coverage map's HTML and the equity grid (no browser; see test_map_browser.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from html.parser import HTMLParser
from types import SimpleNamespace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from lockerplan.equity import CELL_COLUMNS, coverage_by_cell, equity_summary, underserved_cells
from lockerplan.errors import InputError
from lockerplan.maps import (
    HIDDEN_LAYERS,
    LAYER_TABLE,
    LAYERS,
    coverage_map,
    escape,
    kpi_panel_html,
    plan_map,
)
from lockerplan.maps.layers import CLUSTER_SITES, DETAIL_LIMIT
from lockerplan.records import Kpis
from tests.support import TESTS

HERE = TESTS


def _porto_alegre():
    """``tests/browser/porto_alegre.py``, shared with the browser tests of the session."""
    name = "lockerplan_browser_test_porto_alegre"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "browser" / "porto_alegre.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


XSS = "<img src=x onerror=alert(1)>"
#: Names that would run script if they reached the page unescaped, or broke out of
#: the JavaScript template literals folium puts tooltips and popups in.
PAYLOADS = [
    XSS,
    "`;window.__xss=1;`",
    "${window.__xss=2}",
    "</script><script>window.__xss=3</script>",
    "back\\slash \\u0060 'single' \"double\" & amp",
]

UTM = "EPSG:32635"  # Helsinki's UTM zone


def _utm_points(xy: list[tuple[float, float]], **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in xy], crs=UTM).to_crs(
        "EPSG:4326"
    )


# --------------------------------------------------------------------------- equity


def test_coverage_by_cell_sums_shares_and_ids():
    # two points in cell (0, 0) of the 250 m grid, one in cell (1, 0), one in (0, 2)
    base_x, base_y = 385_000.0, 6_671_000.0
    pts = _utm_points(
        [
            (base_x + 10, base_y + 10),
            (base_x + 200, base_y + 240),
            (base_x + 260, base_y + 5),
            (base_x + 100, base_y + 600),
        ],
        parcels_per_day=[10.0, 30.0, 5.0, 2.0],
        covered=[True, False, True, False],
    )
    cells = coverage_by_cell(pts, cell_m=250)
    assert list(cells.columns[:-1]) == CELL_COLUMNS
    assert cells.crs.to_epsg() == 4326
    by_id = cells.set_index("cell_id")
    first = by_id.loc["E385000_N6671000"]
    assert first["clusters"] == 2 and first["uncovered_clusters"] == 1
    assert first["parcels_per_day"] == pytest.approx(40.0)
    assert first["covered_parcels_per_day"] == pytest.approx(10.0)
    assert first["uncovered_parcels_per_day"] == pytest.approx(30.0)
    assert first["coverage_share"] == pytest.approx(0.25)
    assert by_id.loc["E385250_N6671000", "coverage_share"] == 1.0
    assert by_id.loc["E385000_N6671500", "coverage_share"] == 0.0
    assert cells["parcels_per_day"].sum() == pytest.approx(47.0)
    # cells are 250 m squares in the UTM CRS
    areas = cells.to_crs(UTM).area
    assert np.allclose(areas, 250 * 250, rtol=1e-6)
    assert cells.attrs["cell_m"] == 250.0


def test_coverage_by_cell_grid_size_and_stable_ids():
    pts = _utm_points(
        [(385_010.0, 6_671_010.0), (385_300.0, 6_671_010.0)],
        parcels_per_day=[1.0, 1.0],
        covered=[True, True],
    )
    assert len(coverage_by_cell(pts, cell_m=250)) == 2
    big = coverage_by_cell(pts, cell_m=500)
    assert list(big["cell_id"]) == ["E385000_N6671000"]
    assert big["clusters"].iloc[0] == 2


def test_coverage_by_cell_validates_input():
    pts = _utm_points([(385_000.0, 6_671_000.0)], parcels_per_day=[1.0], covered=[True])
    with pytest.raises(InputError, match="cell_m"):
        coverage_by_cell(pts, cell_m=0)
    with pytest.raises(InputError, match="covered"):
        coverage_by_cell(pts.drop(columns="covered"))
    empty = coverage_by_cell(pts.iloc[:0])
    assert len(empty) == 0 and set(CELL_COLUMNS) <= set(empty.columns)


def test_equity_of_the_helsinki_plan(helsinki_plan):
    p = helsinki_plan
    cells = coverage_by_cell(p.demand, cell_m=250)
    assert cells["parcels_per_day"].sum() == pytest.approx(p.demand["parcels_per_day"].sum(), 1e-3)
    uncovered = p.demand.loc[~p.demand["covered"], "parcels_per_day"].sum()
    assert cells["uncovered_parcels_per_day"].sum() == pytest.approx(uncovered, abs=0.05)
    assert cells["coverage_share"].between(0, 1).all()
    under = underserved_cells(cells)
    assert (under["uncovered_parcels_per_day"] > 0).all()
    assert under["uncovered_parcels_per_day"].is_monotonic_decreasing
    summary = equity_summary(cells)
    assert summary["cells"] == len(cells)
    assert summary["underserved_cells"] == len(under)
    assert summary["underserved_parcels_per_day"] == pytest.approx(uncovered, abs=0.05)
    # every cell polygon holds the demand it counts
    joined = gpd.sjoin(p.demand[["geometry"]], cells[["cell_id", "geometry"]], predicate="within")
    assert joined["cell_id"].value_counts().sort_index().to_dict() == (
        cells.set_index("cell_id")["clusters"].sort_index().to_dict()
    )


# --------------------------------------------------------------------------- escaping


def test_escape_covers_html_and_template_literals():
    assert escape(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    out = escape("`${x}`\\")
    assert not set(out) & set("`$\\<>")
    assert escape(None) == "" and escape(float("nan")) == ""


def _tiny_plan(names: list[str], **site_cols) -> dict:
    """A synthetic plan in central Helsinki with the given site names."""
    n = len(names)
    lon = 24.94 + 0.002 * np.arange(n)
    lat = np.full(n, 60.168)
    cands = gpd.GeoDataFrame(
        {
            "candidate_id": [f"user{i}" for i in range(n)],
            "name": names,
            "kind": ["cabinet", "pickup_point"] * (n // 2) + ["cabinet"] * (n % 2),
            "category": "user",
            "source": "user",
            "source_id": [str(i) for i in range(n)],
            "existing": False,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    sites = cands.copy()
    sites.insert(0, "site_id", [f"site{i + 1}" for i in range(n)])
    sites["parcels_per_day"] = 50.0
    sites["clusters"] = 2
    sites["mean_walk_m"] = 210.0
    for col, value in site_cols.items():
        sites[col] = value
    demand = gpd.GeoDataFrame(
        {
            "cluster_id": ["c0", "c1", "c2"],
            "parcels_per_day": [20.0, 30.0, 5.0],
            "covered": [True, True, False],
            "site_id": ["site1", "site1", None],
            "walk_m": [120.0, 300.0, np.nan],
        },
        geometry=gpd.points_from_xy([24.941, 24.942, 24.95], [60.169, 60.167, 60.172]),
        crs="EPSG:4326",
    )
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"]},
        geometry=[
            box(x - 0.002, y - 0.001, x + 0.002, y + 0.001) for x, y in zip(lon, lat, strict=True)
        ],
        crs="EPSG:4326",
    )
    hubs = gpd.GeoDataFrame(
        {"hub_id": ["hub0"], "name": [names[0]]},
        geometry=[Point(24.945, 60.17)],
        crs="EPSG:4326",
    )
    routes = gpd.GeoDataFrame(
        {
            "route_id": ["van1"],
            "hub_id": ["hub0"],
            "stops": [2],
            "site_ids": ["site1;site2"],
            "parcels": [150],
            "km": [3.2],
            "hours": [0.8],
        },
        geometry=[LineString([(24.945, 60.17), (lon[0], lat[0]), (lon[-1], lat[-1])])],
        crs="EPSG:4326",
    )
    kpis = {
        "name": names[0],
        "sites_open": n,
        "demand_parcels_per_day": 55.0,
        "covered_parcels_per_day": 50.0,
        "coverage_share": 50 / 55,
        "mean_walk_m": 210.0,
        "walk_m": 400.0,
        "route_km": 3.2,
        "route_hours": 0.8,
        "vans_used": 1,
        "solver_status": "optimal",
        "solver_gap": 0.0,
    }
    return dict(
        demand=demand,
        candidates=cands,
        sites=sites,
        catchments=catchments,
        hubs=hubs,
        routes=routes,
        kpis=kpis,
    )


def _render(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def test_user_text_is_escaped_once_everywhere():
    plan = _tiny_plan(PAYLOADS)
    plan["sites"].loc[4, "kind"] = "<b>odd kind</b>"
    html = _render(coverage_map(**plan))
    assert "<b>odd kind" not in html and "&lt;b&gt;odd kind" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&amp;lt;" not in html  # not escaped twice
    assert "window.__xss" not in html.replace("window.__xss=", "")  # no raw payload code
    for payload in PAYLOADS[1:4]:
        assert payload not in html
    assert "</script><script>window" not in html


def test_map_has_every_layer_control_and_plugin(helsinki_plan):
    fmap = plan_map(helsinki_plan)
    assert isinstance(fmap, folium.Map)
    html = _render(fmap)
    for name in LAYERS.values():
        assert name in html
    assert "OpenStreetMap contributors" in html
    assert "L.control.layers" in html
    assert "lp-fullscreen" in html
    assert "heatStops" in html
    assert "lockerplan-kpis" in html
    # one popup per open site, one marker per hub
    assert html.count("L.popup(") >= len(helsinki_plan.sites)
    # the old call in Plan.map() keeps working
    assert isinstance(helsinki_plan.map(), folium.Map)


class _Loads(HTMLParser):
    """The files a page loads: ``<script src>`` and ``<link href>``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])


def _loads(page: str) -> list[str]:
    parser = _Loads()
    parser.feed(page)
    return parser.urls


def test_every_page_is_self_contained(helsinki_plan, tmp_path):
    """Plan map, comparison and demand map load no script or style from the web; the
    licences of what is inlined are in the page; tiles are the only URLs left."""
    from lockerplan.maps.demand import demand_heatmap

    pages = {
        "plan": plan_map(helsinki_plan),
        "compare": helsinki_plan.compare(helsinki_plan, labels=("A", "B")),
        "demand": demand_heatmap(helsinki_plan.demand_points),
    }
    for what, fmap in pages.items():
        path = tmp_path / f"{what}.html"
        fmap.save(str(path))
        page = path.read_text(encoding="utf-8")
        assert _loads(page) == [], what
        assert "cdn.jsdelivr" not in page and "cdnjs" not in page, what
        for licence in ("Leaflet 1.9", "BSD-2-Clause", "jQuery 3.7", "Font Awesome Free 6"):
            assert licence in page, (what, licence)
        assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in page
        assert "url(../webfonts" not in page  # the icon font is in the page
    plan_page = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "Bootstrap 4" in plan_page
    assert "Streets (no tiles needed)" in plan_page


def test_an_unknown_file_is_refused_not_loaded():
    from lockerplan.maps.assets import inline_assets

    with pytest.raises(ValueError, match="no packaged file"):
        inline_assets('<script src="https://example.org/plugin.js"></script>')


def test_site_popup_shows_capacity_and_utilisation_when_present():
    plain = _render(coverage_map(**_tiny_plan(["A", "B"])))
    assert "Utilisation" not in plain and "Capacity" not in plain
    assert "Input row" in plain and "Mean walk" in plain and "210 m" in plain
    with_cap = _render(coverage_map(**_tiny_plan(["A", "B"], capacity=[100.0, np.nan])))
    assert "Capacity" in with_cap and "100 parcels/day" in with_cap
    assert "Utilisation" in with_cap and "50 %" in with_cap
    util = _render(coverage_map(**_tiny_plan(["A", "B"], utilisation=[0.9, 0.25])))
    assert "90 %" in util and "25 %" in util


def test_osm_sites_link_to_openstreetmap():
    plan = _tiny_plan(["A", "B"])
    plan["sites"]["source"] = "osm"
    plan["sites"]["source_id"] = ["node/123", "way/45"]
    html = _render(coverage_map(**plan))
    assert "https://www.openstreetmap.org/node/123" in html
    assert "OSM id" in html


def test_route_tooltip_has_km_stops_and_load():
    html = _render(coverage_map(**_tiny_plan(["A", "B"]), van_capacity=200))
    m = re.search(r"Van van1 from hub hub0: ([^`]*)`", html)
    assert m, "route tooltip missing"
    tip = m.group(1)
    assert "2 stops" in tip and "site1, site2" in tip
    assert "150 parcels in 1 trip (75 % of the van)" in tip and "3.2 km" in tip
    # a van that reloads at its hub: its trips, never "198 % of the van"
    two = _tiny_plan(["A", "B"])
    two["routes"] = two["routes"].assign(parcels=396.0)
    tip = re.search(
        r"Van van1 from hub hub0: ([^`]*)`", _render(coverage_map(**two, van_capacity=200))
    )
    assert "396 parcels in 2 trips" in tip.group(1) and "% of the van" not in tip.group(1)
    with_trips = two["routes"].assign(trips=3)
    html = _render(coverage_map(**{**two, "routes": with_trips}, van_capacity=200))
    assert "396 parcels in 3 trips" in html


def test_kpi_panel_with_and_without_costs():
    plan = _tiny_plan(["A", "B"])
    base = kpi_panel_html(plan["kpis"], sites=plan["sites"])
    assert "90.9 %" in base and "1 cabinet, 1 pickup point" in base
    assert "Cost per parcel" not in base and "door-to-door" not in base
    kpis = {
        **plan["kpis"],
        "lockers": {
            "km": 15.8,
            "driver_hours": 3.8,
            "vans": 8,
            "cost_per_parcel": 0.42,
            "currency": "EUR",
        },
        "door_to_door": {"km": 60.0, "driver_hours": 20.0, "vans": 12, "cost_per_parcel": 1.9},
    }
    panel = kpi_panel_html(kpis, sites=plan["sites"])
    assert "Cost per parcel</th><td>0.42 EUR" in panel
    assert "Lockers vs door-to-door" in panel
    assert "60.0" in panel and "-74 %" in panel
    assert "CO" not in panel  # co2 rows only when given


def test_map_of_an_empty_plan_still_renders():
    plan = _tiny_plan(["A", "B"])
    for key in ("sites", "catchments", "routes", "candidates"):
        plan[key] = plan[key].iloc[:0]
    plan["demand"]["covered"] = False
    html = _render(coverage_map(**plan))
    assert "Underserved" in html and LAYERS["sites"] in html


def test_cells_can_be_passed_in():
    plan = _tiny_plan(["A", "B"])
    cells = coverage_by_cell(plan["demand"], cell_m=1000)
    html = _render(coverage_map(**plan, cells=cells))
    assert "1000 m cell" in html
    assert isinstance(pd.DataFrame(cells), pd.DataFrame)


def test_legend_has_an_entry_for_every_shown_layer():
    assert list(LAYERS) == [layer.key for layer in LAYER_TABLE]
    assert {layer.key for layer in LAYER_TABLE if not layer.shown} == HIDDEN_LAYERS
    panel = kpi_panel_html(_tiny_plan(["A", "B"])["kpis"])
    legend = panel[panel.index("<div class='lp-legend'>") :]
    shown = [layer for layer in LAYER_TABLE if layer.shown]
    assert shown
    for layer in shown:
        assert layer.legend, f"layer {layer.key!r} is shown but has no legend entry"
        for swatch in layer.legend:
            paint = "border-color" if swatch.shape == "ring" else "background"
            entry = (
                f"<span class='lp-sw lp-{swatch.shape}' style='{paint}:{escape(swatch.css)}'>"
                f"</span>{escape(swatch.label)}</div>"
            )
            assert entry in legend, f"{layer.key}: {swatch.label!r} missing from the legend"


def test_underserved_row_shows_the_records_equity_when_cells_are_passed():
    plan = _tiny_plan(["A", "B"])
    cells = coverage_by_cell(plan["demand"], cell_m=250)
    equity = equity_summary(cells)
    assert equity["underserved_cells"] >= 1
    kpis = Kpis.from_dict({**plan["kpis"], "equity": equity})
    html = _render(coverage_map(**{**plan, "kpis": kpis}, cells=cells))
    assert (
        f"{equity['underserved_cells']} of {equity['cells']} cells (250 m), "
        f"{equity['underserved_parcels_per_day']:,.0f} parcels/day"
    ) in html
    # the figures are read from the record, not recomputed from the cells
    other = Kpis.from_dict({**kpis.to_dict(), "equity": {**equity, "underserved_cells": 7}})
    html = _render(coverage_map(**{**plan, "kpis": other}, cells=cells))
    assert f"7 of {equity['cells']} cells (250 m)" in html


def test_plan_map_draws_the_plans_own_cells():
    plan = _tiny_plan(["A", "B"])
    cells = coverage_by_cell(plan["demand"], cell_m=1000)
    fleet = SimpleNamespace(van_capacity=200)
    duck = SimpleNamespace(**plan, cells=cells, scenario=SimpleNamespace(routing=fleet))
    html = _render(plan_map(duck))
    assert "1000 m cell" in html and "250 m cell" not in html
    assert "75 % of the van" in html
    # another grid than the plan's would show figures summary.json does not have
    with pytest.raises(InputError, match="cell_m"):
        plan_map(duck, cell_m=500)


# --------------------------------------------------------------------------- size at scale


def _crowded_plan(n_points: int, n_sites: int = 4) -> dict:
    """The tiny plan with ``n_points`` demand clusters spread over 3 x 3 km."""
    plan = _tiny_plan([f"S{i}" for i in range(n_sites)])
    rng = np.random.default_rng(0)
    x = 385_000 + 3000 * rng.random(n_points)
    y = 6_671_000 + 3000 * rng.random(n_points)
    plan["demand"] = _utm_points(
        list(zip(x, y, strict=True)),
        cluster_id=[f"c{i}" for i in range(n_points)],
        parcels_per_day=rng.gamma(2.0, 1.0, n_points),
        covered=rng.random(n_points) < 0.7,
        site_id="site1",
        walk_m=250.0,
    )
    return plan


def test_map_size_does_not_grow_with_demand_points():
    """Above DETAIL_LIMIT clusters, demand is drawn per coverage cell (the same cells)."""
    sizes = {}
    for n in (DETAIL_LIMIT + 1, 10 * DETAIL_LIMIT):
        plan = _crowded_plan(n)
        cells = coverage_by_cell(plan["demand"], cell_m=250)
        html = _render(coverage_map(**plan, cells=cells, demand_points=plan["demand"]))
        assert "demand clusters in cell" in html  # aggregated, not one circle per cluster
        assert "Demand c1:" not in html
        sizes[n] = len(html)
    small, big = sizes.values()
    assert big < 1.05 * small, sizes
    from lockerplan.maps.base import base_map

    inlined = len(_render(base_map(None)))  # Leaflet, its plugins and styles, in every page
    assert big - inlined < 200_000, sizes


def test_small_plans_keep_every_cluster_and_round_coordinates():
    plan = _crowded_plan(200)
    html = _render(coverage_map(**plan))
    assert html.count('"t":"Demand c') == 200
    # coordinates carry 6 decimals at most
    assert not re.search(r"\d+\.\d{7,}", html.rsplit("<script>", 1)[-1].split("L.popup(")[0])


def test_many_sites_cluster_and_their_catchments_merge_per_kind():
    plan = _tiny_plan([f"S{i}" for i in range(CLUSTER_SITES + 2)])
    html = _render(coverage_map(**plan))
    assert "L.markerClusterGroup" in html
    assert "Walking catchments of 16 cabinets" in html
    assert "Walking catchments of 16 pickup points" in html
    assert "Walking catchment of site1" not in html
    few = _render(coverage_map(**_tiny_plan(["A", "B"])))
    assert "L.markerClusterGroup" not in few and "Walking catchment of site1 (A)" in few


@pytest.mark.xdist_group("porto_alegre")
def test_porto_alegre_map_size_is_bounded(bench_dir, tmp_path_factory):
    """City scale (1,115 demand points, 100 sites): 9.8 MB once; now < 4 MB with 0.8 MB of
    inlined scripts and styles and the streets base layer (at most STREET_POINTS points)."""
    run = _porto_alegre().porto_alegre_run(bench_dir, tmp_path_factory)
    size = run["html"].stat().st_size
    print(f"Porto Alegre map: {size:,} bytes")
    assert size < 4_000_000
    html = run["html"].read_text(encoding="utf-8")
    sites = pd.read_csv(run["folder"] / "facilities.csv")
    assert html.count("L.popup(") == len(sites)
    assert "L.markerClusterGroup" in html


def test_demand_heat_maps_have_a_legend(helsinki_plan):
    """``lockerplan demand``'s heat map and the plan map's heat layer name their ramp."""
    from lockerplan.maps.demand import demand_heatmap
    from lockerplan.maps.style import HEAT_GRADIENT

    fmap = demand_heatmap(helsinki_plan.demand_points, helsinki_plan.demand.assign(spread_m=0.0))
    page = fmap.get_root().render()
    assert "lp-demand-legend" in page and "Demand: parcels per day" in page
    assert "fewer" in page and "more" in page and "99th percentile" in page
    assert "demand cluster" in page
    assert all(colour in page for colour in HEAT_GRADIENT.values())
    heat = next(layer for layer in LAYER_TABLE if layer.key == "heat")
    assert heat.legend and heat.legend[0].ends == ("fewer", "more")
    assert "parcels/day per square" in kpi_panel_html(_tiny_plan(["A"])["kpis"])


def test_demand_map_draws_streets_near_its_demand_or_says_it_has_none(helsinki_plan):
    """The demand map's streets base layer: the walk network's streets around the
    demand; none without a network, or for a network elsewhere, and the legend says so."""
    from lockerplan.maps.base import street_shapes
    from lockerplan.maps.demand import demand_heatmap, streets_around

    points = helsinki_plan.demand_points
    near = streets_around(helsinki_plan.walk_streets, points)
    assert 0 < len(near) <= len(street_shapes(helsinki_plan.walk_streets, 10**9))
    with_streets = demand_heatmap(points, streets=helsinki_plan.walk_streets)
    page = with_streets.get_root().render()
    assert "lockerplanBaseLayers" in page and "lp-no-streets" not in page
    assert "Streets (no tiles needed)" in page
    for streets in (None, near.translate(xoff=10.0)):  # 10 degrees east: another city
        page = demand_heatmap(points, streets=streets).get_root().render()
        assert "lockerplanBaseLayers" not in page
        assert "lp-no-streets" in page and "No streets base layer" in page


def test_a_saved_plan_keeps_its_streets(helsinki_plan, tmp_path):
    """The GeoPackage's ``streets`` layer is what the map draws where tiles cannot load,
    and a comparison of the saved plans reads it back."""
    from lockerplan.export import read_plan
    from lockerplan.maps.base import street_lines
    from lockerplan.maps.names import plan_streets

    paths = helsinki_plan.save(tmp_path)
    saved = read_plan(paths["folder"]).streets
    assert len(saved) == len(plan_streets(helsinki_plan)) > 100
    assert street_lines(saved) == street_lines(helsinki_plan.walk_streets)


def test_street_lines_draw_each_street_once_within_the_budget():
    """The streets base layer: every street once (not both directions), from a
    Streets, its arrays or its graph alike, decoded to the area's coordinates."""
    from lockerplan.maps.base import street_lines
    from lockerplan.network import streets_from_osm
    from lockerplan.osm import default_osm_path

    walk = streets_from_osm(default_osm_path(), "walk")
    lines = street_lines(walk)
    assert lines == street_lines(walk.arrays()) == street_lines(walk.graph)
    assert len(lines) < walk.n_edges  # two-way streets drawn once
    assert street_lines(None) == []
    first = np.cumsum(np.asarray(lines[0]).reshape(-1, 2), axis=0) / 1e5
    assert (first[:, 0] > 59.9).all() and (first[:, 0] < 60.4).all()  # Helsinki's latitudes
    assert (first[:, 1] > 24.7).all() and (first[:, 1] < 25.2).all()
    few = street_lines(walk, max_points=2_000)
    assert sum(len(line) // 2 for line in few) <= 2_000 and len(few) < len(lines)
