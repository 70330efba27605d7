"""Leaflet and plug-in assets served from ``dashboard/static/`` so the map works with no internet.

folium points every element at public CDNs (jsdelivr, cdnjs, code.jquery.com); without internet the map is silently
blank. streamlit-folium draws the map in an iframe under ``/component/…``, so the local URLs must be absolute:
Streamlit serves ``dashboard/static/`` at ``/app/static/`` when ``server.enableStaticServing`` is on.

Vendored from the npm registry (``npm pack``), licences beside the files: leaflet 1.9.4 (BSD-2-Clause),
leaflet.markercluster 1.5.3 (MIT), proj4 2.22.0 (MIT).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import branca.element
import folium
import folium.plugins

from dashboard.errors import DashboardError

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Folder for PNG overlays rendered at run time, served at ``/app/static/generated/``.
GENERATED_DIR = STATIC_DIR / "generated"
STATIC_URL = "/app/static"

LEAFLET_JS = [("leaflet", f"{STATIC_URL}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC_URL}/leaflet/leaflet.css")]
MARKERCLUSTER_JS = [("markerclusterjs", f"{STATIC_URL}/markercluster/leaflet.markercluster.js")]
MARKERCLUSTER_CSS = [("markerclustercss", f"{STATIC_URL}/markercluster/MarkerCluster.css"),
                     ("markerclusterdefaultcss", f"{STATIC_URL}/markercluster/MarkerCluster.Default.css")]
PROJ4_JS = [("proj4", f"{STATIC_URL}/proj4/proj4.js")]

#: Local replacements for the CDN assets of the folium elements the dashboard uses.
_LOCAL_ASSETS: dict[type, tuple[list, list]] = {
    folium.Map: (LEAFLET_JS, LEAFLET_CSS),
    folium.plugins.MarkerCluster: (MARKERCLUSTER_JS, MARKERCLUSTER_CSS),
    folium.plugins.FastMarkerCluster: (MARKERCLUSTER_JS, MARKERCLUSTER_CSS),
}


def localize(root: branca.element.Element) -> branca.element.Element:
    """Point every JS/CSS link in ``root``'s element tree at the local copies; return ``root``.

    Raises :class:`DashboardError` when an element still references a remote URL (an element type without a
    vendored copy was added to the map: vendor it first).
    """
    for element in _walk(root):
        for cls, (js, css) in _LOCAL_ASSETS.items():
            if type(element) is cls:
                element.default_js = list(js)
                element.default_css = list(css)
        for _, url in list(getattr(element, "default_js", [])) + list(getattr(element, "default_css", [])):
            if not url.startswith(STATIC_URL + "/"):
                raise DashboardError(f"map element {type(element).__name__} loads {url} from the internet; vendor it "
                                     f"under {STATIC_DIR} and map it in dashboard/assets.py")
    return root


def _walk(element: branca.element.Element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


#: Generated files kept; older ones are deleted (a session only ever needs the newest few).
MAX_GENERATED_FILES = 400


def publish_bytes(data: bytes, suffix: str) -> str:
    """Write ``data`` under ``static/generated/`` named by content hash + ``suffix`` (``.png``, ``.json``); return
    the absolute URL that serves it.

    Content-addressed names keep the map script identical while the content is unchanged (so a refresh tick does
    not redraw it) and let the browser cache it. The folder is pruned to :data:`MAX_GENERATED_FILES`.
    """
    digest = hashlib.sha256(data).hexdigest()[:24]
    GENERATED_DIR.mkdir(parents=True, exist_ok=True)
    path = GENERATED_DIR / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        _prune()
    return f"{STATIC_URL}/generated/{path.name}"


def publish_png(png: bytes) -> str:
    """:func:`publish_bytes` for a PNG picture."""
    return publish_bytes(png, ".png")


def _prune() -> None:
    files = [p for p in GENERATED_DIR.iterdir() if p.suffix in (".png", ".json", ".geojson")]
    if len(files) <= MAX_GENERATED_FILES:
        return
    files.sort(key=lambda p: p.stat().st_mtime)
    for old in files[: len(files) - MAX_GENERATED_FILES]:
        old.unlink(missing_ok=True)
