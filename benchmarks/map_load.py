"""How fast a plan's HTML map opens in headless Chromium, offline.

The map tests time Porto Alegre's map in the suite; a metro plan takes two
minutes to make, so its map is timed here, on a map already written::

    lockerplan plan --osm ../shared/bench/osm/porto_portugal_roads.osm.pbf \\
      --demand metro/orders.csv --candidates metro/sites.csv --sites 300 --walk-m 400
    python -m benchmarks.map_load maps/porto_portugal_roads.html

Prints the page size and, for each of ``--runs`` fresh pages, the seconds from
opening until the map has drawn its tiles and answered a layer toggle (the same
offline assets as the browser tests: ``tests/browser/setup.sh``), then the median.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _assets():
    """``tests/browser/assets.py`` (the offline router of the browser tests)."""
    spec = importlib.util.spec_from_file_location("lp_assets", ROOT / "tests/browser/assets.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["lp_assets"] = module
    spec.loader.exec_module(module)
    return module


def time_to_interactive(browser, assets, html: Path) -> float:
    """Seconds until the page has drawn a tile and toggled its first overlay."""
    router = assets.OfflineRouter()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    router.install(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    start = time.perf_counter()
    page.goto(html.resolve().as_uri(), wait_until="networkidle")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-tile-loaded').length > 0", timeout=60_000
    )
    box = page.locator(".leaflet-control-layers-overlays input").first
    page.locator(".leaflet-control-layers").first.hover()
    box.click()
    elapsed = time.perf_counter() - start
    context.close()
    if errors:
        raise SystemExit(f"{html}: script errors in the page: {errors[:3]}")
    return elapsed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("map", type=Path, help="a plan's HTML map")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    assets = _assets()
    chromium, reason = assets.ensure_prerequisites()
    if chromium is None:
        print(f"no browser: {reason}", file=sys.stderr)
        return 2
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=assets.CHROMIUM_ARGS)
        runs = [time_to_interactive(browser, assets, args.map) for _ in range(args.runs)]
        browser.close()
    size = args.map.resolve().stat().st_size
    print(f"{'map':<40} {'MB':>6} {'runs (s)':>24} {'median s':>9}")
    shown = " ".join(f"{r:.2f}" for r in runs)
    print(f"{args.map.name:<40} {size / 1e6:>6.1f} {shown:>24} {statistics.median(runs):>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
