"""Offline assets for the browser tests: CDN URLs of folium maps -> local npm files.

folium pages load Leaflet, jQuery, Bootstrap, Font Awesome and the Leaflet plugins
from CDNs, and OSM tiles from tile.openstreetmap.org. The tests run offline, so a
Playwright route answers every such request from the npm packages that
``tests/browser/setup.sh`` installs into a cache outside the repository (see
``package.json``), and answers tile requests with a generated tile. Any other
external request is aborted and recorded, so a test can fail on it.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SETUP = HERE / "setup.sh"

#: Chromium flags for a quiet, offline, sandbox-free headless run (CI runs as root).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
]


def cache_dir() -> Path:
    """Where setup.sh installs the npm packages (``$LOCKERPLAN_BROWSER_CACHE``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lockerplan-browser"
    return Path(os.environ.get("LOCKERPLAN_BROWSER_CACHE", default))


def chromium_path() -> str | None:
    """The Chromium binary: ``$LOCKERPLAN_CHROMIUM`` or Debian's ``chromium``."""
    env = os.environ.get("LOCKERPLAN_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def assets_ready() -> bool:
    """Whether every npm package of package.json is in the cache."""
    import json

    modules = cache_dir() / "node_modules"
    deps = json.loads((HERE / "package.json").read_text())["dependencies"]
    return all((modules / name / "package.json").is_file() for name in deps)


def can_install_system_packages() -> bool:
    """True when running as root (CI) so that setup.sh can apt-get install."""
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def ensure_prerequisites() -> tuple[str | None, str]:
    """Run setup.sh if Chromium or the npm assets are missing.

    Returns
    -------
    (chromium, reason)
        The Chromium path, or None and why it is unavailable.
    """
    need_browser = chromium_path() is None
    need_assets = not assets_ready()
    if need_browser and not can_install_system_packages():
        return None, (
            "Chromium not found and it cannot be installed here (not root / no apt-get); "
            "run `sudo tests/browser/setup.sh` or set LOCKERPLAN_CHROMIUM"
        )
    if need_assets and shutil.which("npm") is None and not can_install_system_packages():
        return None, (
            "npm not found and it cannot be installed here (not root / no apt-get); "
            "install Node.js/npm or run `sudo tests/browser/setup.sh`"
        )
    if need_browser or need_assets:
        env = {**os.environ, "LOCKERPLAN_BROWSER_CACHE": str(cache_dir())}
        proc = subprocess.run(
            ["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=900
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"tests/browser/setup.sh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
    path = chromium_path()
    if path is None:
        raise RuntimeError("tests/browser/setup.sh ran but no chromium binary is on PATH")
    if not assets_ready():
        raise RuntimeError(
            f"tests/browser/setup.sh ran but npm assets are missing in {cache_dir()}"
        )
    return path, ""


# --------------------------------------------------------------------------- URL map

#: (URL regex, package, path template inside the package); ``{1}`` is the first group.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # jsdelivr npm: https://cdn.jsdelivr.net/npm/<pkg>@<ver>/<path>
    (re.compile(r"^https://cdn\.jsdelivr\.net/npm/((?:@[^/]+/)?[^@/]+)@[^/]+/(.+)$"), "{0}/{1}"),
    (
        re.compile(r"^https://code\.jquery\.com/jquery-[\d.]+(\.min)?\.js$"),
        "jquery/dist/jquery.min.js",
    ),
    (
        re.compile(
            r"^https://cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/[^/]+/(.+)$"
        ),
        "drmonty-leaflet-awesome-markers/{kind}/{0}",
    ),
    (
        re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/leaflet-minimap/[^/]+/(.+)$"),
        "leaflet-minimap/dist/{0}",
    ),
    (
        re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/leaflet\.markercluster/[^/]+/(.+)$"),
        "leaflet.markercluster/dist/{0}",
    ),
    (
        re.compile(
            r"^https://cdn\.jsdelivr\.net/gh/python-visualization/folium[^/]*/folium/templates/"
            r"leaflet_heat\.min\.js$"
        ),
        "leaflet.heat/dist/leaflet-heat.js",
    ),
]

#: Stylesheets folium links that have no npm package; nothing in our maps uses them
#: (glyphicons: we use Font Awesome icons; rotate: no marker is rotated).
_EMPTY_CSS = [
    re.compile(
        r"^https://netdna\.bootstrapcdn\.com/bootstrap/3\.0\.0/css/bootstrap-glyphicons\.css$"
    ),
    re.compile(
        r"^https://cdn\.jsdelivr\.net/gh/python-visualization/folium/folium/templates/leaflet\.awesome\.rotate\.min\.css$"
    ),
]
_TILE = re.compile(r"^https://([a-c]\.)?tile\.openstreetmap\.org/\d+/\d+/\d+\.png$")

_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
    ".gif": "image/gif",
}


def local_file(url: str) -> Path | None:
    """The local npm file that stands in for a CDN URL, or None."""
    modules = cache_dir() / "node_modules"
    clean = url.split("?")[0].split("#")[0]
    for pattern, template in _RULES:
        m = pattern.match(clean)
        if not m:
            continue
        groups = m.groups()
        if template == "{0}/{1}":
            rel = f"{groups[0]}/{groups[1]}"
        elif "{kind}" in template:
            sub = groups[0]
            kind = "js" if sub.endswith(".js") else "css"
            rel = template.format(sub, kind=kind)
        elif "{0}" in template:
            rel = template.format(groups[0])
        else:
            rel = template
        path = modules / rel
        candidates = [path]
        # folium asks for .min.js / .min.css where a package ships only the plain file
        # (leaflet.fullscreen 3.0.0) or the other way round (leaflet-minimap)
        if ".min." in path.name:
            candidates.append(path.with_name(path.name.replace(".min.", ".")))
        else:
            candidates.append(path.with_name(re.sub(r"\.(js|css)$", r".min.\1", path.name)))
        for cand in candidates:
            if cand.is_file():
                return cand
        return path  # missing: the handler reports it
    return None


def tile_png() -> bytes:
    """A 256 px map tile: pale background with a faint grid (stands in for OSM tiles)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (256, 256), (242, 239, 233))
    draw = ImageDraw.Draw(img)
    for k in range(0, 256, 64):
        draw.line([(k, 0), (k, 255)], fill=(225, 221, 212))
        draw.line([(0, k), (255, k)], fill=(225, 221, 212))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class StreetTiles:
    """Stand-in map tiles drawn from a plan's street network (for the README pictures).

    The generated plain tile shows no streets; a screenshot for people draws the
    plan's own streets (OpenStreetMap data, EPSG:4326 graph) on an OSM-like
    background instead, still offline.
    """

    def __init__(self, graph) -> None:
        import numpy as np

        lines = []
        for u, v, data in graph.edges(data=True):
            geom = data.get("geometry")
            if geom is not None:
                lines.append(np.asarray(geom.coords)[:, :2])
            else:
                a, b = graph.nodes[u], graph.nodes[v]
                lines.append(np.array([[a["x"], a["y"]], [b["x"], b["y"]]]))
        self.lines = lines
        self.boxes = np.array([[*line.min(axis=0), *line.max(axis=0)] for line in lines])

    def png(self, z: int, x: int, y: int) -> bytes:
        """Tile ``z/x/y`` (Web Mercator, 256 px) with the streets inside it."""
        import numpy as np
        from PIL import Image, ImageDraw

        n = 2**z

        def lat(row: float) -> float:
            return float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * row / n)))))

        west, east = x / n * 360 - 180, (x + 1) / n * 360 - 180
        north, south = lat(y), lat(y + 1)
        pad = (east - west) * 0.05
        b = self.boxes
        inside = np.flatnonzero(
            (b[:, 2] >= west - pad)
            & (b[:, 0] <= east + pad)
            & (b[:, 3] >= south - pad)
            & (b[:, 1] <= north + pad)
        )
        img = Image.new("RGB", (256, 256), (242, 239, 233))
        draw = ImageDraw.Draw(img)
        width = 1 if z < 14 else 3 if z < 16 else 5
        pixel_lines = []
        for k in inside:
            lon, la = self.lines[k][:, 0], np.radians(self.lines[k][:, 1])
            px = ((lon + 180) / 360 * n - x) * 256
            py = ((1 - np.log(np.tan(la) + 1 / np.cos(la)) / np.pi) / 2 * n - y) * 256
            pixel_lines.append(list(zip(px.tolist(), py.tolist(), strict=True)))
        for colour, extra in (((200, 196, 188), 2), ((255, 255, 255), 0)):
            for line in pixel_lines:
                draw.line(line, fill=colour, width=width + extra)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return buf.getvalue()


@dataclass
class OfflineRouter:
    """A Playwright route handler serving CDN assets and tiles from local files.

    Attributes
    ----------
    served : list of str
        URLs answered from npm files.
    tiles : int
        Tile requests answered with the generated tile.
    blocked : list of str
        External URLs with no local stand-in (aborted).
    missing : list of str
        URLs that map to an npm file that is not there.
    """

    served: list[str] = field(default_factory=list)
    tiles: int = 0
    blocked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    streets: StreetTiles | None = None
    _tile: bytes = field(default_factory=tile_png, repr=False)

    def install(self, page_or_context) -> None:
        """Route every request of a page or browser context through :meth:`handle`."""
        page_or_context.route("**/*", self.handle)

    def handle(self, route) -> None:
        url = route.request.url
        scheme = urlsplit(url).scheme
        if scheme in ("file", "data", "blob", "about"):
            route.continue_()
            return
        if _TILE.match(url):
            self.tiles += 1
            body = self._tile
            if self.streets is not None:
                z, x, y = (int(v) for v in url.rsplit(".", 1)[0].split("/")[-3:])
                body = self.streets.png(z, x, y)
            route.fulfill(status=200, body=body, content_type="image/png")
            return
        if any(p.match(url) for p in _EMPTY_CSS):
            self.served.append(url)
            route.fulfill(
                status=200, body="/* not used by lockerplan maps */", content_type="text/css"
            )
            return
        path = local_file(url)
        if path is None:
            self.blocked.append(url)
            route.abort("blockedbyclient")
            return
        if not path.is_file():
            self.missing.append(url)
            route.fulfill(status=404, body="", content_type="text/plain")
            return
        self.served.append(url)
        route.fulfill(
            status=200,
            body=path.read_bytes(),
            content_type=_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"Access-Control-Allow-Origin": "*"},
        )
