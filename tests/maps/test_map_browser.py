"""The coverage map in a real browser (headless Debian Chromium, offline).

Prerequisites come from ``tests/browser/setup.sh`` (run automatically when something
is missing): Debian's ``chromium`` (apt-get, as root on CI) and the JS/CSS packages
of ``tests/browser/package.json`` from the npm registry, cached outside the repo.
Every CDN request of the page is answered from those npm files and every OSM tile
request with a generated tile (see ``tests/browser/assets.py``), so the tests need
no network. They skip only when Chromium is absent and cannot be installed (not
root); with ``CI`` set they fail instead.

Screenshots are kept in ``$LOCKERPLAN_TEST_ARTIFACTS`` (default
``tests/artifacts/``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import lockerplan
from lockerplan.maps import HIDDEN_LAYERS, LAYERS, UNCOVERED_COLOUR, plan_map
from tests.pipeline.test_sweep_report import sweep_table
from tests.support import TESTS

HERE = TESTS
XSS = "<img src=x onerror=alert(1)>"
#: Further names that run script if escaping fails (HTML or JS template literal).
MORE_PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "`;window.__xss=2;`",
    "${window.__xss=3}",
    "</script><script>window.__xss=4</script>",
]


def _load_helper(stem: str):
    """``tests/browser/STEM.py`` as a module (shared by the test files of a session)."""
    name = f"lockerplan_browser_test_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "browser" / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


assets = _load_helper("assets")
porto_alegre = _load_helper("porto_alegre")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def artifact_dir() -> Path:
    """Where screenshots are kept; the default folder ignores itself in git."""
    path = Path(os.environ.get("LOCKERPLAN_TEST_ARTIFACTS", HERE / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if path == HERE / "artifacts" and not ignore.exists():
        ignore.write_text("# test artifacts (screenshots): never committed\n*\n")
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    path, reason = assets.ensure_prerequisites()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run on CI: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=assets.CHROMIUM_ARGS)
        yield b
        b.close()


class LoadedMap:
    """A map page plus everything the page reported while loading and being used."""

    def __init__(
        self,
        browser,
        html_path: Path,
        viewport: tuple[int, int] = (1400, 900),
        streets=None,
    ) -> None:
        self.router = assets.OfflineRouter(streets=streets)
        width, height = viewport
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.router.install(self.context)
        self.page = self.context.new_page()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.goto(html_path.as_uri(), wait_until="networkidle")
        try:
            self.page.wait_for_function(
                "() => document.querySelectorAll('.leaflet-tile-loaded').length > 0",
                timeout=15_000,
            )
        except sync_api.TimeoutError:
            raise AssertionError(
                f"the map did not draw: errors {self.console_errors()}, dialogs {self.dialogs}, "
                f"blocked {self.router.blocked}"
            ) from None

    # ---- helpers running in the page
    MAP_JS = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k]).find(v => v instanceof L.Map)"

    def overlay_state(self) -> dict[str, bool]:
        """Overlay name -> whether it is on the map (from Leaflet's layer control)."""
        return self.page.evaluate(
            f"""() => {{
                const map = {self.MAP_JS};
                const key = Object.keys(window)
                    .find(k => k.startsWith("layer_control_") && k.endsWith("_layers"));
                const out = {{}};
                for (const [name, layer] of Object.entries(window[key].overlays)) {{
                    out[name] = map.hasLayer(layer);
                }}
                return out;
            }}"""
        )

    def checkbox(self, name: str):
        label = self.page.locator(".leaflet-control-layers-overlays label").filter(has_text=name)
        return label.locator("input[type=checkbox]")

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"] + self.errors

    def close(self) -> None:
        self.context.close()


def offline_streets(browser, html_path: Path) -> int:
    """Open a page with every http(s) request aborted (tiles too) and return how many
    street lines its streets base layer drew (Leaflet's projected parts of the
    canvas polyline); 0 when the page has no streets base layer."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(lambda url: url.startswith(("http://", "https://")), lambda r: r.abort())
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html_path.as_uri(), wait_until="load")
        if page.evaluate("() => window.lockerplanBaseLayers === undefined"):
            return 0
        page.wait_for_function(
            "() => document.querySelector('.lp-no-tiles') !== null", timeout=15_000
        )
        page.wait_for_timeout(300)
        assert errors == []
        assert page.locator(".leaflet-lp-streets-pane canvas").count() == 1
        return page.evaluate(
            """() => {
                const group = window.lockerplanBaseLayers.streets;
                return group.getLayers().reduce((n, l) => n + (l._parts || []).length, 0);
            }"""
        )
    finally:
        context.close()


@pytest.fixture(scope="module")
def map_html(helsinki_plan, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("map") / "helsinki.html"
    plan_map(helsinki_plan).save(str(path))
    return path


@pytest.fixture(scope="module")
def loaded(browser, map_html):
    page = LoadedMap(browser, map_html)
    yield page
    page.close()


@pytest.fixture(scope="module")
def xss_plan(helsinki_plan):
    """The default plan's candidates as user sites, the open ones renamed to payloads."""
    cands = helsinki_plan.candidates
    opened = set(helsinki_plan.sites["candidate_id"])
    names = list(cands["name"].fillna("").astype(str))
    payloads = iter([XSS, *MORE_PAYLOADS])
    for i, cid in enumerate(cands["candidate_id"]):
        if cid in opened:
            names[i] = next(payloads, XSS)
    names[0] = XSS if cands["candidate_id"].iloc[0] not in opened else names[0]
    user = gpd.GeoDataFrame(
        {
            "candidate_id": [f"user{i}" for i in range(len(cands))],
            "name": names,
            "kind": cands["kind"].to_numpy(),
            "category": "user",
            "source": "user",
            "source_id": [str(i) for i in range(len(cands))],
            "existing": False,
            "capacity": 300.0,
        },
        geometry=cands.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    return lockerplan.plan(candidate_sites=user)


# --------------------------------------------------------------------------- tests


def test_map_loads_offline_without_console_errors(loaded):
    assert loaded.router.blocked == [], (
        f"external requests without a local copy: {loaded.router.blocked}"
    )
    assert loaded.router.missing == [], f"npm files missing: {loaded.router.missing}"
    assert loaded.console_errors() == []
    assert loaded.router.tiles > 0
    assert loaded.page.evaluate(f"() => !!({loaded.MAP_JS})")
    # the page loads nothing from the web but tiles (every script and style inlined)
    assert [u for u in loaded.requests if u.startswith("http") and "tile" not in u] == []
    # controls: layers, full screen, scale, KPI panel with the OSM credit
    for selector in (
        ".leaflet-control-layers",
        ".lp-fullscreen",
        ".leaflet-control-scale",
        "#lockerplan-kpis",
    ):
        assert loaded.page.locator(selector).count() == 1, selector
    panel = loaded.page.locator("#lockerplan-kpis").inner_text()
    assert "Coverage" in panel and "%" in panel and "Sites open" in panel
    attribution = loaded.page.locator(".leaflet-control-attribution").first.inner_text()
    assert "OpenStreetMap contributors" in attribution


def test_map_draws_sites_and_panel_with_every_request_blocked(browser, map_html, helsinki_plan):
    """No network at all (every http/https request aborted, tiles too): the page draws
    its sites, panel and streets; the streets base layer replaces the tiles."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked: list[str] = []

    def abort(route) -> None:
        blocked.append(route.request.url)
        route.abort()

    context.route(lambda url: url.startswith(("http://", "https://")), abort)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(map_html.as_uri(), wait_until="load")
        page.wait_for_function(
            "() => document.querySelector('.lp-no-tiles') !== null", timeout=15_000
        )
        assert errors == []
        assert page.locator(".lp-marker").count() == len(helsinki_plan.sites)
        assert page.locator("#lockerplan-kpis").is_visible()
        assert "Coverage" in page.locator("#lockerplan-kpis").inner_text()
        assert page.locator(".leaflet-lp-streets-pane canvas").count() == 1
        label = page.locator(".leaflet-control-layers-base label").filter(has_text="Streets")
        assert label.locator("input").is_checked()
        assert blocked and all("tile.openstreetmap.org" in u for u in blocked), blocked
        # an icon font that did not load would show empty squares: the glyph has a width
        width = page.evaluate(
            "() => document.querySelector('.lp-marker i').getBoundingClientRect().width"
        )
        assert width > 4
    finally:
        context.close()


@contextlib.contextmanager
def _offline_page(browser, html: Path):
    """A page of ``html`` loaded with every request aborted, and its script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(lambda url: url.startswith(("http://", "https://")), lambda r: r.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(html.as_uri(), wait_until="load")
        yield page, errors
    finally:
        context.close()


def _tooltip_numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d[\d,]*\.\d+", text)]


@pytest.mark.xdist_group("priced")  # the priced plan is built once, on one worker
def test_locker_prices_toggle_on_and_draw_every_zone(browser, priced_plan_dir):
    """With every request aborted, the "Locker prices" overlay of a plan priced by zone
    starts off, toggles on, draws one square per row of pricing.csv and its tooltips
    carry pricing.csv's numbers."""
    from lockerplan.maps.price_layers import PRICE_LAYERS

    name = PRICE_LAYERS[0].name
    table = pd.read_csv(priced_plan_dir / "helsinki" / "pricing.csv")
    with _offline_page(browser, priced_plan_dir / "helsinki.html") as (page, errors):
        page.wait_for_function(
            "() => document.querySelector('.lp-no-tiles') !== null", timeout=15_000
        )
        zones = page.locator("path.lp-price-zone")
        assert zones.count() == 0
        label = page.locator(".leaflet-control-layers-overlays label").filter(has_text=name)
        box = label.locator("input[type=checkbox]")
        assert box.count() == 1 and not box.is_checked()
        assert "discount on locker delivery" in page.locator("#lockerplan-kpis").inner_text()
        box.check()
        assert zones.count() == len(table) > 0
        tips = page.evaluate(
            f"""() => {{
                const map = {LoadedMap.MAP_JS};
                const out = [];
                map.eachLayer(l => {{
                    if (l.options && l.options.className === "lp-price-zone") {{
                        out.push(l.getTooltip().getContent());
                    }}
                }});
                return out;
            }}"""
        )
        assert len(tips) == len(table)
        by_zone = {re.search(r"Zone (E\d+_N\d+)", t).group(1): t for t in tips}
        for row in table.itertuples():
            tip = by_zone[row.zone]
            expected = [row.door_cost_per_parcel, row.locker_cost_per_parcel]
            expected += [100 * row.locker_share, 100 * row.locker_share_at_discount]
            expected += [row.switched_parcels_per_day, row.net_saving_per_day]
            if row.discount > 0:
                expected.insert(0, row.discount)
            assert _tooltip_numbers(tip) == pytest.approx(expected, abs=1e-9), tip
            assert "EUR" in tip
        box.uncheck()
        assert zones.count() == 0
        assert errors == []


@pytest.mark.xdist_group("priced")  # the priced plan is built once, on one worker
def test_cost_to_serve_toggles_on_with_each_zones_costs(browser, priced_plan_dir):
    """The "Cost to serve" overlay starts off, toggles on, draws one square per row of
    pricing.csv, and each tooltip gives that zone's cost at the door and via a locker."""
    from lockerplan.maps.price_layers import PRICE_LAYERS

    name = PRICE_LAYERS[1].name
    table = pd.read_csv(priced_plan_dir / "helsinki" / "pricing.csv").set_index("zone")
    with _offline_page(browser, priced_plan_dir / "helsinki.html") as (page, errors):
        zones = page.locator("path.lp-cost-zone")
        assert zones.count() == 0
        label = page.locator(".leaflet-control-layers-overlays label").filter(has_text=name)
        box = label.locator("input[type=checkbox]")
        assert box.count() == 1 and not box.is_checked()
        box.check()
        assert zones.count() == len(table) > 0
        tips = page.evaluate(
            f"""() => {{
                const out = [];
                {LoadedMap.MAP_JS}.eachLayer(l => {{
                    if (l.options && l.options.className === "lp-cost-zone") {{
                        out.push(l.getTooltip().getContent());
                    }}
                }});
                return out;
            }}"""
        )
        assert len(tips) == len(table)
        for tip in tips:
            row = table.loc[re.search(r"Zone (E\d+_N\d+)", tip).group(1)]
            expected = [row.door_cost_per_parcel, row.locker_cost_per_parcel]
            assert _tooltip_numbers(tip) == pytest.approx(expected, abs=1e-9), tip
        assert errors == []


def test_demand_page_draws_the_extracts_streets_offline(browser, tmp_path):
    """``lockerplan demand`` hands the extract's walk network to its heat map: with every
    request aborted the page draws its streets instead of the tiles."""
    from click.testing import CliRunner

    from lockerplan.cli import main

    result = CliRunner().invoke(main, ["demand", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "helsinki_demand.html"
    assert "lp-no-streets" not in page.read_text(encoding="utf-8")
    assert offline_streets(browser, page) > 100


def test_every_overlay_is_listed_and_toggles(loaded):
    state = loaded.overlay_state()
    assert set(state) == set(LAYERS.values())
    for key, name in LAYERS.items():
        assert state[name] is (key not in HIDDEN_LAYERS), name
        box = loaded.checkbox(name)
        assert box.count() == 1, f"{name} not in the layer control"
        before = box.is_checked()
        box.click()
        after = loaded.overlay_state()[name]
        assert after is (not before) and box.is_checked() is after, f"{name} did not toggle"
        box.click()
        assert loaded.overlay_state()[name] is before
    # the heat map draws its squares once shown
    heat = loaded.checkbox(LAYERS["heat"])
    shapes = loaded.page.locator("path.leaflet-interactive")
    before = shapes.count()
    heat.check()
    assert shapes.count() > before
    heat.uncheck()
    assert loaded.console_errors() == []


def click_site(page: LoadedMap, site_id: str) -> None:
    """Click an open site's marker as a user would, with the hub markers hidden.

    The default hub sits at the centre of demand and may cover a site's marker; a
    user would untick the Hubs layer to reach it, and so does the test.
    """
    marker = page.page.locator(f".leaflet-marker-pane [title='Open site {site_id}']")
    assert marker.count() == 1
    page.checkbox(LAYERS["hubs"]).uncheck()
    try:
        marker.click()
    finally:
        page.checkbox(LAYERS["hubs"]).check()


def test_clicking_an_open_site_opens_its_popup(loaded, helsinki_plan):
    site = helsinki_plan.sites.iloc[0]
    click_site(loaded, site["site_id"])
    popup = loaded.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5000)
    text = popup.inner_text()
    assert site["site_id"] in text
    assert "Assigned" in text and "Mean walk" in text and "Kind" in text
    if site["name"]:
        assert site["name"] in text
    if str(site["source_id"]).startswith(("node/", "way/")):
        assert "OSM id" in text and site["source_id"] in text
    loaded.page.locator(".leaflet-popup-close-button").click()
    loaded.page.wait_for_function("() => !document.querySelector('.leaflet-popup')")
    assert loaded.console_errors() == []


def test_screenshot_is_not_blank(loaded):
    from PIL import Image

    loaded.page.mouse.move(1390, 450)  # away from features: no tooltip in the picture
    loaded.page.wait_for_timeout(200)
    path = artifact_dir() / "coverage_map.png"
    png = loaded.page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.size == (1400, 900)
    small = img.resize((350, 225))
    colours = small.getcolors(maxcolors=350 * 225)
    assert len(colours) > 200, "screenshot has almost no distinct colours"
    background = max(colours)[1]
    share_bg = max(colours)[0] / (350 * 225)
    assert share_bg < 0.8, f"{share_bg:.0%} of the screenshot is one colour {background}"
    # covered (blue) and not covered (orange) demand circles are drawn
    px = np.asarray(small, dtype=int).reshape(-1, 3)
    r, g, b = px[:, 0], px[:, 1], px[:, 2]
    bluish = int(((b > r + 60) & (b > g + 20)).sum())
    orange = int(((r > b + 100) & (g > b + 40) & (r > g)).sum())
    assert bluish > 50 and orange > 20, (bluish, orange)


def test_xss_candidate_shows_as_text_and_runs_nothing(browser, xss_plan, tmp_path):
    names = set(xss_plan.sites["name"])
    assert XSS in names, "the payload candidate was not opened"
    path = tmp_path / "xss.html"
    plan_map(xss_plan).save(str(path))
    page = LoadedMap(browser, path)
    try:
        row = xss_plan.sites[xss_plan.sites["name"] == XSS].iloc[0]
        click_site(page, row["site_id"])
        popup = page.page.locator(".leaflet-popup-content").filter(has_text=row["site_id"])
        popup.first.wait_for(state="visible", timeout=5000)
        text = popup.first.inner_text()
        assert XSS in text, "the name is not shown as text"
        assert "Capacity" in text and "300 parcels/day" in text and "Utilisation" in text
        page.page.wait_for_timeout(300)  # popup fade-in
        shot = artifact_dir() / "xss_popup.png"
        page.page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        # show every overlay, then open every popup and tooltip
        for name in LAYERS.values():
            page.checkbox(name).check()
        popups = page.page.evaluate(
            f"""() => {{
                const map = {page.MAP_JS};
                const texts = [];
                map.eachLayer(l => {{
                    if (l.getPopup && l.getPopup()) {{
                        l.openPopup();
                        texts.push(l.getPopup().getElement().innerText);
                        l.closePopup();
                    }}
                }});
                map.eachLayer(l => {{
                    try {{ if (l.getTooltip && l.getTooltip()) l.openTooltip(); }} catch (e) {{}}
                }});
                return texts;
            }}"""
        )
        # every open site and (what-if: "Open this site") every candidate has a popup
        assert len(popups) == len(xss_plan.sites) + len(xss_plan.candidates)
        for payload in [XSS, *MORE_PAYLOADS]:
            if payload in names:
                assert any(payload in t for t in popups), f"{payload!r} not shown as text"
        tooltips = page.page.locator(".leaflet-tooltip").all_inner_texts()
        assert any(XSS in t for t in tooltips)
        page.page.wait_for_timeout(200)
        assert page.dialogs == [], f"script ran: {page.dialogs}"
        assert page.page.evaluate("() => window.__xss") is None
        assert page.page.locator("img[src='x']").count() == 0
        assert not [u for u in page.requests if u.endswith("/x")], "the payload image was requested"
        assert page.console_errors() == []
    finally:
        page.close()


def test_page_has_a_title_and_named_sites(loaded, helsinki_plan):
    assert loaded.page.title() == f"{helsinki_plan.name} \u2013 locker coverage plan"
    tips = loaded.page.evaluate(
        f"""() => {{
            const map = {loaded.MAP_JS};
            const out = [];
            map.eachLayer(l => {{
                if (l.options && String(l.options.title || "").startsWith("Open site")) {{
                    out.push(l.getTooltip().getContent());
                }}
            }});
            return out;
        }}"""
    )
    assert len(tips) == len(helsinki_plan.sites)
    assert not [t for t in tips if "unnamed" in t], tips


def test_a_hub_does_not_hide_a_site(loaded, helsinki_plan):
    """Every site's marker is the topmost element at its own centre, hubs shown."""
    assert loaded.overlay_state()[LAYERS["hubs"]]
    for site_id in helsinki_plan.sites["site_id"]:
        on_top = loaded.page.evaluate(
            """(title) => {
                const el = document.querySelector(`.leaflet-marker-pane [title='${title}']`);
                const box = el.getBoundingClientRect();
                const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 3);
                return el === hit || el.contains(hit);
            }""",
            f"Open site {site_id}",
        )
        assert on_top, f"{site_id} is covered by another marker"


def test_legend_labels_the_coverage_ramp_and_catchments(loaded):
    legend = loaded.page.locator("#lockerplan-kpis .lp-legend").inner_text()
    assert "0 %" in legend and "100 %" in legend
    assert "cabinet catchment" in legend and "pickup point catchment" in legend


#: The map's controls, which the panel and the title may not cover.
CONTROLS = (
    ".leaflet-control-zoom",
    ".lp-fullscreen",
    ".leaflet-control-layers",
    ".leaflet-control-attribution",
    ".leaflet-control-scale",
)


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800)])
def test_kpis_title_and_legend_show_without_covering_the_controls(browser, map_html, viewport):
    """Phone and laptop: the headline figures, the title and the whole legend are on
    screen without scrolling, and none of them covers a control of the map."""
    page = LoadedMap(browser, map_html, viewport=viewport)
    try:
        p = page.page
        width, height = viewport
        screen = {"x": 0, "y": 0, "width": width, "height": height}
        control = p.locator(".leaflet-control-layers")
        expanded = "leaflet-control-layers-expanded" in (control.get_attribute("class") or "")
        assert expanded is (width >= 700)  # collapsed on small screens
        strip = p.locator("#lockerplan-kpis .lp-strip")
        assert strip.is_visible() and "%" in strip.inner_text()
        for tile in p.locator("#lockerplan-kpis .lp-big").all():  # readable: large type
            assert float(tile.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 15
        panel, title = _box(p, "#lockerplan-kpis"), _box(p, "#lockerplan-title")
        for part in ("#lockerplan-kpis .lp-strip", "#lockerplan-kpis .lp-legend"):
            assert _inside(_box(p, part), panel) and _inside(_box(p, part), screen), part
        assert p.evaluate("() => document.querySelector('#lockerplan-kpis').scrollTop") == 0
        assert _inside(title, screen)
        for selector in CONTROLS:
            if not p.locator(selector).first.is_visible():
                continue
            box = _box(p, selector)
            assert not _overlap(panel, box), f"the panel covers {selector}"
            assert not _overlap(title, box), f"the title covers {selector}"
        assert not _overlap(
            _box(p, ".leaflet-control-attribution"), _box(p, ".leaflet-control-scale")
        )
        more_open = p.evaluate("() => document.querySelector('#lockerplan-kpis details').open")
        assert more_open is (width >= 700)  # every figure: one tap away on a phone
        if width < 700:
            p.locator(".leaflet-control-layers-toggle").click()
            assert "leaflet-control-layers-expanded" in (control.get_attribute("class") or "")
        assert p.locator(".leaflet-tooltip").count() == 0  # no tooltip stays over the panel
        assert page.console_errors() == []
    finally:
        page.close()


def test_the_title_names_area_scenario_and_date(loaded, helsinki_plan):
    import datetime

    title = loaded.page.locator("#lockerplan-title").inner_text()
    today = datetime.date.today()
    assert "Helsinki" in title and helsinki_plan.name in title
    assert helsinki_plan.kpis.model in title and "sites" in title and "m walk" in title
    assert f"{today.day} {today.strftime('%B %Y')}" in title


@pytest.fixture(scope="module")
def porto_alegre_html(bench_dir, tmp_path_factory) -> Path:
    return porto_alegre.porto_alegre_map(bench_dir, tmp_path_factory)


@pytest.mark.xdist_group("porto_alegre")
def test_porto_alegre_map_is_interactive(browser, porto_alegre_html):
    """City scale: loaded, drawn and answering a layer toggle. How fast is measured by
    ``benchmarks/map_load.py`` (a timed assertion would fail on a busy machine, not on
    a slow map); the time is printed here."""
    import time

    start = time.perf_counter()
    page = LoadedMap(browser, porto_alegre_html)
    try:
        box = page.checkbox(LAYERS["cells"])
        box.click()
        assert page.overlay_state()[LAYERS["cells"]] is True
        # the markers of the 100 sites cluster at the opening zoom
        page.page.wait_for_selector(".marker-cluster", timeout=30_000)
        elapsed = time.perf_counter() - start
        print(f"Porto Alegre map ({porto_alegre_html.stat().st_size:,} bytes): {elapsed:.2f} s")
        assert page.router.blocked == [] and page.router.missing == []
        assert page.console_errors() == []
        shot = artifact_dir() / "porto_alegre_map.png"
        page.page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
    finally:
        page.close()


# --------------------------------------------------------------------------- what-if


def _toggle(page: LoadedMap, candidate_id: str) -> str:
    """Open the popup of a site or candidate and click its what-if button; its label."""
    opened = page.page.evaluate(
        f"""(id) => {{
            const map = {page.MAP_JS};
            let done = false;
            map.eachLayer(l => {{
                const p = l.getPopup && l.getPopup();
                if (done || !p) return;
                const c = p.getContent();
                const html = typeof c === "string" ? c : (c && c.outerHTML) || "";
                if (html.includes(`data-site-id="${{id}}"`) || html.includes(`data-site-id='${{id}}'`)) {{
                    l.openPopup(); done = true;
                }}
            }});
            return done;
        }}""",
        candidate_id,
    )
    assert opened, f"no popup with a toggle for {candidate_id}"
    button = page.page.locator(f".leaflet-popup .lp-toggle-site[data-site-id='{candidate_id}']")
    button.wait_for(state="visible", timeout=5000)
    label = button.inner_text()
    button.click()
    page.page.locator(".leaflet-popup-close-button").first.click()
    return label


def _coverage(page: LoadedMap) -> tuple[str, float]:
    el = page.page.locator("#lp-kpi-coverage")
    return el.inner_text(), float(el.get_attribute("data-value"))


def test_whatif_toggles_sites_and_matches_plan_evaluate(browser, map_html, helsinki_plan):
    """Close two sites, open two candidates: the panel equals Plan.evaluate at every step."""
    plan = helsinki_plan
    opened = list(plan.sites["candidate_id"])
    others = [c for c in plan.candidates["candidate_id"] if c not in set(opened)]
    # candidates that change the figures: the ones reaching the most demand
    reach = plan.reach()
    order = sorted(others, key=lambda c: -reach[plan.candidate_positions([c])].nnz)
    page = LoadedMap(browser, map_html)
    try:
        page.checkbox(LAYERS["candidates"]).check()
        text, share = _coverage(page)
        ev = plan.evaluate(opened)
        assert share == pytest.approx(ev.coverage_share, abs=5e-5)
        assert text == f"{100 * ev.coverage_share:.1f} %"
        current = set(opened)
        steps = [(opened[0], "Close this site"), (opened[1], "Close this site")]
        steps += [(order[0], "Open this site"), (order[1], "Open this site")]
        steps += [(opened[0], "Open this site")]
        for cid, label in steps:
            assert _toggle(page, cid) == label
            current ^= {cid}
            ev = plan.evaluate(current)
            text, share = _coverage(page)
            assert share == pytest.approx(ev.coverage_share, abs=5e-5), cid
            assert text == f"{100 * ev.coverage_share:.1f} %"
            covered = page.page.locator("#lp-kpi-covered").inner_text()
            assert covered == f"{ev.covered_parcels_per_day:,.1f}"
            fixed = page.page.locator("#lp-kpi-fixed").inner_text()
            assert fixed == f"{ev.fixed_cost_per_day:,.0f} {ev.currency}"
            sites = page.page.locator("#lp-kpi-sites").inner_text()
            assert sites.startswith(f"{ev.sites_open} (")
            for kind, n in ev.sites_by_kind.items():
                assert f"{n} {kind.replace('_', ' ')}" in sites
        # as many sites as the plan: the gap to the optimum is shown
        assert len(current) == len(opened) + 1
        assert _toggle(page, order[1]) == "Close this site"
        current ^= {order[1]}
        gap = page.page.locator("#lp-kpi-gap")
        diff = (
            plan.evaluate(current).covered_parcels_per_day
            - plan.evaluate(opened).covered_parcels_per_day
        )
        assert float(gap.get_attribute("data-value")) == pytest.approx(diff, abs=0.01)
        assert "than the plan" in gap.inner_text()
        shot = artifact_dir() / "whatif_panel.png"
        page.page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        page.page.locator("#lp-reset").click()
        text, share = _coverage(page)
        assert share == pytest.approx(plan.evaluate(opened).coverage_share, abs=5e-5)
        assert "this is the plan" in gap.inner_text()
        assert page.console_errors() == []
    finally:
        page.close()


def _uncovered_circles(page: LoadedMap) -> int:
    return page.page.evaluate(
        f"() => (window.lockerplanDemand || []).filter(m => m.options.color === "
        f"{UNCOVERED_COLOUR!r}).length"
    )


def test_closing_a_site_repaints_catchment_demand_and_popup(browser, map_html, helsinki_plan):
    """What-if repaints what it changes: the closed site's catchment goes, the demand
    only it reached turns to not covered, and its popup says it is closed."""
    plan = helsinki_plan
    site = plan.sites.sort_values("parcels_per_day", ascending=False).iloc[0]
    cid = str(site["candidate_id"])
    page = LoadedMap(browser, map_html)
    try:
        before = _uncovered_circles(page)
        visible = "(id) => window.lockerplanCatchments[id].options.fillOpacity"
        assert page.page.evaluate(visible, cid) > 0
        assert _toggle(page, cid) == "Close this site"
        assert page.page.evaluate(visible, cid) == 0
        after = _uncovered_circles(page)
        # the clusters no other open site reaches
        others = set(plan.sites["candidate_id"]) - {cid}
        reach = plan.reach().tocsr()
        alone = reach[plan.candidate_positions([cid])].toarray().ravel().astype(bool)
        rest = np.asarray(reach[plan.candidate_positions(sorted(others))].sum(axis=0)).ravel() > 0
        covered = plan.demand["covered"].to_numpy(dtype=bool)
        assert after - before == int((alone & ~rest & covered).sum()) > 0
        # the popup, opened again, says the site is closed and assigns nothing
        page.page.evaluate(
            f"""(id) => {{ const map = {page.MAP_JS};
                map.eachLayer(l => {{ const p = l.getPopup && l.getPopup();
                    if (p && String(p.getContent().outerHTML || p.getContent()).includes(id))
                        l.openPopup(); }}); }}""",
            cid,
        )
        popup = page.page.locator(".leaflet-popup .lp-popup")
        assert "Closed in this what-if" in popup.locator(".lp-status").inner_text()
        assert popup.locator(".lp-assigned").inner_text() == "none (closed)"
        page.page.locator("#lp-reset").click()
        assert _uncovered_circles(page) == before
        assert page.page.evaluate(visible, cid) > 0
        assert page.console_errors() == []
    finally:
        page.close()


# --------------------------------------------------------------------------- sweep report


def test_sweep_report_fits_the_page(browser, tmp_path):
    """The sweep table (3 cutoffs x 30 site counts, every column) is no wider than a
    1,024 px window: the page never scrolls sideways."""
    report = sweep_table()
    path = tmp_path / "sweep.html"
    path.write_text(report.to_html(), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        widths = page.evaluate(
            """() => ({page: document.documentElement.scrollWidth, window: window.innerWidth,
                       table: document.querySelector('table').getBoundingClientRect().width,
                       body: document.body.getBoundingClientRect().width})"""
        )
        print(f"sweep report widths: {widths}")
        assert widths["page"] <= widths["window"]
        assert widths["table"] <= widths["body"] + 1
        assert page.locator("tr.knee").count() == 3
    finally:
        context.close()


# --------------------------------------------------------------------------- README pictures

DOCS = HERE.parent / "docs"
#: README pictures are written only on request (they are committed, not test output).
SCREENSHOTS = os.environ.get("LOCKERPLAN_SCREENSHOTS") == "1"
#: Largest README picture, bytes.
MAX_PICTURE_BYTES = 300_000


def _picture(browser, html_path: Path, graph, out: Path) -> int:
    """Open the map with the plan's streets as tiles, screenshot it into ``out`` (PNG,
    256 colours) and return its size in bytes."""
    from PIL import Image

    streets = assets.StreetTiles(graph)
    page = LoadedMap(browser, html_path, viewport=(1280, 800), streets=streets)
    try:
        page.page.wait_for_timeout(800)  # tiles and marker fade-in
        page.page.mouse.move(1275, 500)  # away from features: no tooltip in the picture
        page.page.wait_for_timeout(300)
        png = page.page.screenshot()
        assert page.console_errors() == []
    finally:
        page.close()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    out.parent.mkdir(parents=True, exist_ok=True)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out.stat().st_size


@pytest.mark.skipif(not SCREENSHOTS, reason="set LOCKERPLAN_SCREENSHOTS=1 to write docs/*.png")
def test_readme_picture_of_helsinki(browser, map_html, helsinki_plan):
    size = _picture(browser, map_html, helsinki_plan.walk_graph, DOCS / "helsinki.png")
    print(f"docs/helsinki.png: {size:,} bytes")
    assert size < MAX_PICTURE_BYTES


@pytest.mark.skipif(not SCREENSHOTS, reason="set LOCKERPLAN_SCREENSHOTS=1 to write docs/*.png")
@pytest.mark.xdist_group("porto_alegre")
def test_readme_picture_of_porto_alegre(browser, bench_dir, tmp_path_factory):
    from lockerplan.network import graph_from_osm

    html_path = porto_alegre.porto_alegre_map(bench_dir, tmp_path_factory)
    drive = graph_from_osm(porto_alegre.osm_path(bench_dir), network_type="drive")
    size = _picture(browser, html_path, drive, DOCS / "porto_alegre.png")
    print(f"docs/porto_alegre.png: {size:,} bytes")
    assert size < MAX_PICTURE_BYTES


@pytest.mark.skipif(not SCREENSHOTS, reason="set LOCKERPLAN_SCREENSHOTS=1 to write docs/img/*.png")
@pytest.mark.parametrize(("viewport", "name"), [((390, 844), "phone"), ((1280, 800), "laptop")])
def test_screenshots_of_the_map_offline(browser, map_html, viewport, name):
    """docs/img/map_{phone,laptop}.png: the Helsinki map in headless Chromium with no
    network at all (the streets base layer instead of tiles)."""
    from PIL import Image

    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.route(lambda url: url.startswith(("http://", "https://")), lambda r: r.abort())
    try:
        page = context.new_page()
        page.goto(map_html.as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelector('.lp-no-tiles') !== null")
        page.wait_for_timeout(600)
        page.mouse.move(viewport[0] - 5, viewport[1] // 2)
        png = page.screenshot()
    finally:
        context.close()
    out = DOCS / "img" / f"map_{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(f"{out}: {out.stat().st_size:,} bytes")
    assert out.stat().st_size < MAX_PICTURE_BYTES


def test_an_opened_candidate_draws_its_catchment(browser, map_html, helsinki_plan):
    """Opening a candidate in the what-if draws its catchment (the outline of the
    demand within its walk, dashed, in the colour of its kind); closing it hides it."""
    plan = helsinki_plan
    reach = plan.reach()
    others = [
        c for c in plan.candidates["candidate_id"] if c not in set(plan.sites["candidate_id"])
    ]
    cid = max(others, key=lambda c: reach[plan.candidate_positions([c])].nnz)
    page = LoadedMap(browser, map_html)
    shown = """(id) => { const c = (window.lockerplanCatchments || {})[id];
        return c ? [c.options.fillOpacity, c.options.dashArray, !!c.lpOutline,
                    c._map !== undefined && c._map !== null,
                    c.getTooltip().getContent().textContent] : null; }"""
    try:
        page.checkbox(LAYERS["candidates"]).check()
        assert page.page.evaluate(shown, cid) is None
        assert _toggle(page, cid) == "Open this site"
        opacity, dashes, outline, on_map, tip = page.page.evaluate(shown, cid)
        assert opacity > 0 and dashes and outline and on_map
        assert tip.startswith(f"Opened in this what-if: {cid}")
        box = page.page.evaluate(
            "(id) => window.lockerplanCatchments[id].getBounds().toBBoxString()", cid
        )
        west, south, east, north = map(float, box.split(","))
        point = plan.candidates.set_index("candidate_id").geometry[cid]
        assert west <= point.x <= east and south <= point.y <= north
        assert _toggle(page, cid) == "Close this site"
        assert page.page.evaluate(shown, cid)[0] == 0
        assert "outline of the demand" in page.page.locator("#lp-outline-note").inner_text()
        assert page.console_errors() == []
    finally:
        page.close()


def _cell_shares(page: LoadedMap) -> dict[str, float]:
    """Cell id -> the coverage share each coverage cell's tooltip says now (percent)."""
    return page.page.evaluate(
        """() => Object.fromEntries((window.lockerplanCellLayers || []).filter(e => e)
            .map(e => [e.r.i, parseFloat(e.layers[0].getTooltip().getContent()
                .split(": ")[1])]))"""
    )


def test_whatif_repaints_coverage_cells_above_the_detail_limit(browser, helsinki_plan, tmp_path):
    """Above the detail limit demand is drawn per coverage cell (a metro map): closing a
    site repaints the cells whose demand it alone reached, and only those, with the
    shares the same what-if gives in Python; the reset paints the plan again."""
    from lockerplan.equity import coverage_by_cell

    plan = helsinki_plan
    limit = len(plan.demand) // 4
    path = tmp_path / "cells.html"
    plan_map(plan, detail_limit=limit).save(str(path))
    assert "demand clusters in cell" in path.read_text(encoding="utf-8")
    site = plan.sites.sort_values("parcels_per_day", ascending=False).iloc[0]
    cid = str(site["candidate_id"])
    reach = plan.reach().tocsr()
    opened = list(plan.sites["candidate_id"])
    was = np.asarray(reach[plan.candidate_positions(opened)].sum(axis=0)).ravel() > 0
    now = np.asarray(reach[plan.candidate_positions([c for c in opened if c != cid])].sum(axis=0))
    now = now.ravel() > 0
    covered = plan.demand["covered"].to_numpy(dtype=bool)
    whatif = plan.demand.assign(covered=np.where(now == was, covered, now))
    expected = coverage_by_cell(whatif, cell_m=plan.cells.attrs["cell_m"])
    expected = dict(zip(expected["cell_id"], 100 * expected["coverage_share"], strict=True))
    page = LoadedMap(browser, path)
    try:
        before = _cell_shares(page)
        assert len(before) == len(plan.cells)
        assert _toggle(page, cid) == "Close this site"
        after = _cell_shares(page)
        changed = {i for i in after if after[i] != before[i]}
        lost = set(plan.demand["cluster_id"][covered & was & ~now])
        assert changed and lost
        for i, share in after.items():
            assert share == pytest.approx(expected[i], abs=1.0), i
        assert {i for i in expected if abs(expected[i] - before[i]) > 1.0} <= changed
        tips = page.page.evaluate(
            """() => (window.lockerplanCellLayers || []).filter(e => e)
                .flatMap(e => e.layers.map(l => l.getTooltip().getContent()))"""
        )
        assert sum("in this what-if" in t for t in tips) >= 2 * len(changed)
        page.page.locator("#lp-reset").click()
        assert _cell_shares(page) == before
        assert page.console_errors() == []
    finally:
        page.close()
