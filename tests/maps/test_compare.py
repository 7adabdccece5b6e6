"""Two plans on one map: ``lockerplan compare A B`` and :func:`lockerplan.maps.comparison_map`.

Two central-Helsinki plans on one prepared study area (4 sites within 300 m, 6
within 400 m: some sites in both, some in only one) are saved as ``lockerplan
plan`` saves them, compared by the command line from their folders, and the page
is opened in headless Chromium with the browser suite's offline set-up
(``tests/test_map_browser.py``, ``tests/browser/``).
"""

from __future__ import annotations

import json
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

from lockerplan.cli import main
from lockerplan.equity import coverage_by_cell
from lockerplan.errors import InputError
from lockerplan.export import PlanLayers, read_plan
from lockerplan.maps import DETAIL_LIMIT, comparison_map
from lockerplan.maps.compare import comparison_layers
from lockerplan.pipeline import plan_study_area, prepare_study_area
from tests.maps.test_map_browser import (  # noqa: F401
    XSS,
    LoadedMap,
    artifact_dir,
    browser,
    chromium,
    offline_streets,
)

#: The module's fixtures (plans) are built once, on one worker of `make test`.
pytestmark = pytest.mark.xdist_group("compare")

LABELS = ("300 m", "400 m")


@pytest.fixture(scope="module")
def saved_plans(tmp_path_factory):
    """Two plans of one study area, saved to OUT/w300 and OUT/w400; (plans, folders)."""
    area = prepare_study_area(max_walk_m=400)
    out = tmp_path_factory.mktemp("compare")
    plans, folders = [], []
    for walk_m, sites in ((300, 4), (400, 6)):
        plan = plan_study_area(
            area, sites=sites, walk_m=walk_m, name=f"w{walk_m}", routing_iterations=200
        )
        plans.append(plan)
        folders.append(plan.save(out)["folder"])
    return plans, folders


@pytest.fixture(scope="module")
def page_path(saved_plans) -> Path:
    """The page written by ``lockerplan compare`` at its default place."""
    _, (a, b) = saved_plans
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "--labels", ",".join(LABELS)])
    assert result.exit_code == 0, result.output
    path = a.parent / "w300_vs_w400.html"
    assert f"map:     {path}" in result.output
    return path


@pytest.fixture(scope="module")
def loaded(browser, page_path):  # noqa: F811
    page = LoadedMap(browser, page_path)
    yield page
    page.close()


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _marker_count(page: LoadedMap, key: str) -> int:
    return page.page.locator(f".leaflet-marker-pane .lp-cmp-{key}").count()


def test_compare_page_loads_and_lists_both_plans_layers(loaded, page_path):
    assert loaded.router.blocked == [] and loaded.router.missing == []
    assert loaded.console_errors() == []
    assert loaded.page.title().startswith("300 m vs 400 m")
    state = loaded.overlay_state()
    names = [layer.name for layer in comparison_layers(LABELS)]
    assert list(state) == names
    for label in LABELS:
        assert f"{label}: coverage of demand" in state and f"{label}: walking catchments" in state
    assert page_path.stat().st_size < 2_000_000  # 0.8 MB of it inlined scripts and styles


def test_sites_in_both_and_in_one_plan_match_the_facilities(loaded, saved_plans):
    _, folders = saved_plans
    a, b = (
        set(gpd.read_file(f / f"{f.name}.gpkg", layer="facilities")["candidate_id"])
        for f in folders
    )
    assert a & b and a - b and b - a, "the scenarios should share some sites, not all"
    expected = {"both": a & b, "only_a": a - b, "only_b": b - a}
    for key, ids in expected.items():
        assert _marker_count(loaded, key) == len(ids), key
        count = loaded.page.locator(f"#lp-cmp-count-{key}")
        assert int(count.get_attribute("data-value")) == len(ids)
    # each marker names its candidate: the sets themselves match, not only their sizes
    titles = loaded.page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon')]"
        ".map(m => m.title)"
    )
    for key, prefix in (("both", "site in both plans"), ("only_a", "site only in A")):
        shown = {t.split()[-1] for t in titles if t.startswith(prefix)}
        assert shown == expected[key]


def test_toggling_a_plans_layers_hides_and_shows_them(loaded):
    only_b = f"Sites only in {LABELS[1]}"
    before = _marker_count(loaded, "only_b")
    assert before > 0
    loaded.checkbox(only_b).uncheck()
    assert _marker_count(loaded, "only_b") == 0
    assert _marker_count(loaded, "only_a") > 0  # the other plan's sites stay
    loaded.checkbox(only_b).check()
    assert _marker_count(loaded, "only_b") == before
    for label in LABELS:
        for what in ("coverage of demand", "walking catchments"):
            name = f"{label}: {what}"
            was = loaded.overlay_state()[name]
            loaded.checkbox(name).click()
            assert loaded.overlay_state()[name] is (not was), name
            loaded.checkbox(name).click()
    assert loaded.console_errors() == []


def test_panel_shows_each_plans_summary_and_the_difference(loaded, saved_plans):
    _, folders = saved_plans
    summaries = [_summary(f) for f in folders]

    def value(cell: str) -> float:
        return float(loaded.page.locator(f"#lp-cmp-{cell}").get_attribute("data-value"))

    for side, s in zip("ab", summaries, strict=True):
        assert value(f"coverage_share-{side}") == pytest.approx(s["coverage_share"], abs=1e-6)
        assert value(f"sites_open-{side}") == s["sites_open"]
        shown = loaded.page.locator(f"#lp-cmp-coverage_share-{side}").inner_text()
        assert shown == f"{100 * s['coverage_share']:.1f} %"
    diff = summaries[1]["coverage_share"] - summaries[0]["coverage_share"]
    assert value("coverage_share-diff") == pytest.approx(diff, abs=1e-6)
    assert (
        loaded.page.locator("#lp-cmp-coverage_share-diff").inner_text() == f"{100 * diff:+.1f} pp"
    )
    assert value("cost_per_parcel-a") == pytest.approx(summaries[0]["cost_per_parcel"], abs=1e-6)
    legend = loaded.page.locator("#lockerplan-compare .lp-legend").inner_text()
    assert "site in both plans" in legend and "site only in 300 m" in legend
    shot = artifact_dir() / "compare_map.png"
    loaded.page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")


def test_compare_page_of_saved_plans_draws_their_streets_offline(browser, page_path, saved_plans):  # noqa: F811
    """``lockerplan compare`` reads two plan folders: their ``streets`` layer is the
    base layer drawn with no network at all, as on the plans' own maps."""
    _, (a, _) = saved_plans
    streets = read_plan(a).streets
    assert streets is not None and len(streets) > 100
    assert offline_streets(browser, page_path) > 100
    assert "lp-no-streets" not in page_path.read_text(encoding="utf-8")


def test_compare_page_of_plans_saved_without_streets_says_so(saved_plans, tmp_path):
    _, (a, b) = saved_plans
    old = [read_plan(folder) for folder in (a, b)]
    for plan in old:
        plan.streets = None
    page = comparison_map(*old).get_root().render()
    assert "lockerplanBaseLayers" not in page
    assert "lp-no-streets" in page and "No streets base layer" in page


def test_labels_show_as_text_and_run_nothing(browser, saved_plans, tmp_path):  # noqa: F811
    (a, b), _ = saved_plans
    path = tmp_path / "xss.html"
    a.compare(b, labels=(XSS, "B`${window.__xss=1}`")).save(str(path))
    page = LoadedMap(browser, path)
    try:
        control = page.page.locator(".leaflet-control-layers-overlays").inner_text()
        assert f"Sites only in {XSS}" in control
        assert XSS in page.page.locator("#lockerplan-compare").inner_text()
        assert page.page.title().startswith(f"{XSS} vs B")
        page.page.evaluate(
            f"""() => {{ const map = {page.MAP_JS};
                map.eachLayer(l => {{ if (l.getPopup && l.getPopup()) {{ l.openPopup(); }}
                    try {{ if (l.getTooltip && l.getTooltip()) l.openTooltip(); }} catch (e) {{}} }});
            }}"""
        )
        assert any(XSS in t for t in page.page.locator(".leaflet-tooltip").all_inner_texts())
        page.page.wait_for_timeout(200)
        assert page.dialogs == [] and page.page.evaluate("() => window.__xss") is None
        assert page.page.locator("img[src='x']").count() == 0
        assert page.console_errors() == []
    finally:
        page.close()


def test_cli_refuses_a_folder_that_is_not_a_plan(saved_plans, tmp_path):
    _, (a, _) = saved_plans
    not_a_plan = tmp_path / "notes"
    not_a_plan.mkdir()
    (not_a_plan / "readme.txt").write_text("not a plan")
    result = CliRunner().invoke(main, ["compare", str(a), str(not_a_plan)])
    assert result.exit_code == 2
    assert result.output.startswith("error: B:") and "not a plan folder" in result.output
    assert not list(a.parent.glob("*_vs_notes*")) and not list(a.parent.glob(".tmp-*"))


def test_plans_of_different_study_areas_are_refused(saved_plans):
    (a, b), (folder_a, _) = saved_plans
    assert isinstance(a.compare(b, labels=LABELS), folium.Map)
    other = read_plan(folder_a)
    other.demand = other.demand.iloc[1:]
    with pytest.raises(InputError, match="demand clusters differ"):
        a.compare(other)
    with pytest.raises(InputError, match="labels"):
        a.compare(b, labels=("A", "A"))
    with pytest.raises(InputError, match="plan_b must be a lockerplan.Plan"):
        a.compare(b.sites)


def _synthetic_plan(n: int, site_rows: slice, name: str) -> PlanLayers:
    """A plan of ``n`` demand clusters (in 2.8 x 2.8 km) on 120 candidates, opening
    ``site_rows`` of them."""
    rng = np.random.default_rng(0)
    lon, lat = 24.9 + 0.05 * rng.random(n), 60.15 + 0.025 * rng.random(n)
    demand = gpd.GeoDataFrame(
        {
            "cluster_id": [f"c{i}" for i in range(n)],
            "parcels_per_day": 5 * rng.random(n),
            "covered": rng.random(n) < 0.7,
            "site_id": "site0",
            "walk_m": 100.0,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    xy = rng.random((120, 2))
    candidates = gpd.GeoDataFrame(
        {"candidate_id": [f"k{i}" for i in range(120)], "kind": "cabinet"},
        geometry=gpd.points_from_xy(24.9 + 0.05 * xy[:, 0], 60.15 + 0.025 * xy[:, 1]),
        crs="EPSG:4326",
    )
    sites = candidates.iloc[site_rows].copy()
    sites["site_id"] = [f"site{i}" for i in range(len(sites))]
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"]},
        geometry=sites.to_crs("EPSG:3067").buffer(400).to_crs("EPSG:4326"),
        crs="EPSG:4326",
    )
    return PlanLayers(name, sites, demand, catchments, candidates, coverage_by_cell(demand))


def test_page_size_does_not_grow_with_demand(tmp_path):
    """At scale (above DETAIL_LIMIT clusters, above CLUSTER_SITES sites) the page embeds
    coverage cells and clusters the markers, as the plan map does."""
    sizes = []
    for n in (DETAIL_LIMIT + 1, 4 * DETAIL_LIMIT):
        path = tmp_path / f"{n}.html"
        a, b = _synthetic_plan(n, slice(0, 80), "a"), _synthetic_plan(n, slice(40, 120), "b")
        comparison_map(a, b).save(str(path))
        sizes.append(path.stat().st_size)
    assert sizes[1] < 1.1 * sizes[0] and sizes[1] < 2_300_000, sizes
    assert "markerClusterGroup" in path.read_text(encoding="utf-8")
