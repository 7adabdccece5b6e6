"""Self-contained pages: every script and stylesheet inlined from Python packages.

A folium page loads Leaflet, its plugins, jQuery, Bootstrap and Font Awesome
from CDNs, so it is blank offline and cannot be e-mailed. Every lockerplan page
is rendered by :class:`OfflinePage`, which replaces each ``<script src>`` and
``<link href>`` by the file itself, read from the XStatic package that ships it
(``xstatic-leaflet``, ``xstatic-leaflet-markercluster``, ``xstatic-jquery``,
``xstatic-bootstrap``, ``xstatic-font-awesome``), with its licence in a comment
above it; the images and the solid icon font its CSS refers to become ``data:``
URLs. folium's files that no such package ships are dropped: lockerplan's maps
draw their markers, full-screen button and heat map with their own few lines
(:mod:`lockerplan.maps.site_layers`, :mod:`lockerplan.maps.base`,
:mod:`lockerplan.maps.demand_layers`). Only the OpenStreetMap tiles come from
the web, and the maps draw their own streets where they cannot
(:func:`lockerplan.maps.base.base_map`).

A page asking for a file this table does not know is an error of lockerplan
(a new folium plugin, say), raised when the page is rendered.
"""

from __future__ import annotations

import base64
import functools
import importlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from branca.element import Figure


@dataclass(frozen=True)
class Asset:
    """A file a page loads, as an XStatic package ships it.

    Attributes
    ----------
    package : str
        The XStatic module (``xstatic.pkg.<package>``).
    path : str
        The file inside the package's ``BASE_DIR``.
    licence : str
        Name, copyright and licence, written in a comment above the file
        (``{v}``: the package's version).
    """

    package: str
    path: str
    licence: str


_LEAFLET = "Leaflet {v}, (c) 2010-2022 Vladimir Agafonkin, (c) 2010-2011 CloudMade; BSD-2-Clause"
_CLUSTER = "Leaflet.markercluster {v}, (c) 2012-2019 Dave Leaver and contributors; MIT licence"
_JQUERY = "jQuery {v}, (c) OpenJS Foundation and other contributors; MIT licence"
_BOOTSTRAP = "Bootstrap {v}, (c) 2011-2020 The Bootstrap Authors, Twitter, Inc.; MIT licence"
_FONT_AWESOME = (
    "Font Awesome Free {v}, (c) 2022 Fonticons, Inc.; icons CC BY 4.0, "
    "fonts SIL OFL 1.1, code MIT licence"
)

#: What a page may ask for: a pattern of the URL, and the file (None: dropped).
ASSETS: tuple[tuple[str, tuple[Asset, ...] | None], ...] = (
    (r"/leaflet@[\d.]+/dist/leaflet\.js$", (Asset("leaflet", "leaflet.js", _LEAFLET),)),
    (r"/leaflet@[\d.]+/dist/leaflet\.css$", (Asset("leaflet", "leaflet.css", _LEAFLET),)),
    (
        r"/leaflet\.markercluster/[\d.]+/leaflet\.markercluster\.js$",
        (Asset("leaflet_markercluster", "leaflet.markercluster.js", _CLUSTER),),
    ),
    (
        r"/leaflet\.markercluster/[\d.]+/MarkerCluster\.css$",
        (Asset("leaflet_markercluster", "MarkerCluster.css", _CLUSTER),),
    ),
    (
        r"/leaflet\.markercluster/[\d.]+/MarkerCluster\.Default\.css$",
        (Asset("leaflet_markercluster", "MarkerCluster.Default.css", _CLUSTER),),
    ),
    (r"/jquery-[\d.]+(\.min)?\.js$", (Asset("jquery", "jquery.min.js", _JQUERY),)),
    (
        r"/bootstrap@[\d.]+/dist/js/bootstrap\.bundle\.min\.js$",
        (Asset("bootstrap", "js/bootstrap.bundle.min.js", _BOOTSTRAP),),
    ),
    (
        r"/bootstrap@[\d.]+/dist/css/bootstrap\.min\.css$",
        (Asset("bootstrap", "css/bootstrap.min.css", _BOOTSTRAP),),
    ),
    (
        r"/fontawesome-free@[\d.]+/css/all\.min\.css$",
        (
            Asset("font_awesome", "css/fontawesome.min.css", _FONT_AWESOME),
            Asset("font_awesome", "css/solid.min.css", _FONT_AWESOME),
        ),
    ),
    # folium's defaults that lockerplan's maps do not use, and plugins it replaces
    (r"/bootstrap-glyphicons\.css$", None),
    (r"/Leaflet\.awesome-markers/", None),
    (r"/leaflet\.awesome\.rotate\.min\.css$", None),
    (r"/BeautifyMarker/", None),
    (r"/leaflet\.fullscreen@", None),
    (r"/leaflet-minimap/", None),
    (r"/leaflet_heat\.min\.js$", None),
)

_SCRIPT = re.compile(r"<script\s+src=\"(?P<url>https?://[^\"]+)\"\s*>\s*</script>\s*")
_LINK = re.compile(r"<link\s+rel=\"stylesheet\"\s+href=\"(?P<url>https?://[^\"]+)\"\s*/?>\s*")
_CSS_URL = re.compile(r"url\((?P<q>['\"]?)(?P<ref>[^)'\"]+)(?P=q)\)")
#: Font formats left out beside the woff2 every supported browser reads.
_OLD_FONTS = re.compile(r",\s*url\([^)]*\.(?:ttf|woff|eot|svg)[^)]*\)\s*format\([^)]*\)")


def asset_files(url: str) -> tuple[Asset, ...]:
    """The packaged files that replace ``url`` (empty: dropped).

    Raises
    ------
    ValueError
        When no file is known for ``url``.

    Examples
    --------
    >>> [a.path for a in asset_files("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")]
    ['leaflet.js']
    """
    for pattern, files in ASSETS:
        if re.search(pattern, url):
            return files or ()
    raise ValueError(f"lockerplan.maps.assets: no packaged file for {url}; add it to ASSETS")


def _module(package: str):
    return importlib.import_module(f"xstatic.pkg.{package}")


def _data_url(path: Path) -> str:
    kind = {".woff2": "font/woff2"}.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return f"data:{kind or 'application/octet-stream'};base64," + base64.b64encode(
        path.read_bytes()
    ).decode("ascii")


def _inline_css_urls(text: str, folder: Path) -> str:
    """The files a stylesheet refers to as ``data:`` URLs (old font formats left out)."""
    text = _OLD_FONTS.sub("", text)

    def inline(match: re.Match) -> str:
        ref = match.group("ref")
        path = folder / ref.split("?")[0].split("#")[0]
        if ref.startswith(("data:", "#")) or not path.is_file():
            return match.group(0)
        return f'url("{_data_url(path)}")'

    return _CSS_URL.sub(inline, text)


@functools.cache
def asset_text(asset: Asset) -> str:
    """The file's text to put in the page, its licence above it."""
    module = _module(asset.package)
    path = Path(module.BASE_DIR) / asset.path
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".css":
        text = _inline_css_urls(text, path.parent)
    else:
        text = text.replace("</script", "<\\/script")
    licence = asset.licence.format(v=module.VERSION)
    dist = "xstatic-" + asset.package.replace("_", "-")
    return f"/*! {licence} (from the Python package {dist}) */\n{text}"


def inline_assets(page: str) -> str:
    """``page`` with every external script and stylesheet inlined (or dropped).

    Parameters
    ----------
    page : str
        A rendered folium page.

    Returns
    -------
    str
        The page, loading nothing from the web but map tiles.

    Raises
    ------
    ValueError
        When the page loads a file :data:`ASSETS` does not know.
    """

    def script(match: re.Match) -> str:
        return "".join(f"<script>{asset_text(a)}</script>\n" for a in asset_files(match["url"]))

    def style(match: re.Match) -> str:
        return "".join(f"<style>{asset_text(a)}</style>\n" for a in asset_files(match["url"]))

    return _LINK.sub(style, _SCRIPT.sub(script, page))


class OfflinePage(Figure):
    """A folium figure whose page is self-contained (:func:`inline_assets`).

    Examples
    --------
    >>> import folium
    >>> fmap = folium.Map(tiles=None)
    >>> _ = OfflinePage().add_child(fmap)
    >>> "cdn.jsdelivr" in fmap.get_root().render()
    False
    """

    def render(self, **kwargs) -> str:
        return inline_assets(super().render(**kwargs))


def offline(fmap):
    """Make ``fmap`` render as a self-contained page; returns ``fmap``."""
    if not isinstance(fmap.get_root(), OfflinePage):
        OfflinePage().add_child(fmap)
    return fmap
