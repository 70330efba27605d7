"""The dashboard in a real headless Chromium (Debian's, driven by the playwright package) with no internet.

Starts ``python -m streamlit run dashboard/app.py`` on loopback through :mod:`dashboard.launcher`, blocks every
request that leaves 127.0.0.1, and checks what Leaflet drew (DOM counts), the coordinate readout against pyproj,
the offline hillshade, and that a refresh tick adds a new incident without resetting the operator's zoom.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from dashboard.launcher import start_dashboard, wait_until_healthy
from dashboard.sample import seed_store
from firewatch.model import utc_now
from firewatch.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-headless-shell")
#: Launch flags: no sandbox (containers), no GPU, and none of Chromium's own calls home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CENTER = (37.66, 126.98)
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_dem(path: Path) -> None:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(CENTER[1], CENTER[0])
    n, cell = 200, 30.0
    rows, cols = np.mgrid[0:n, 0:n]
    elevation = 300.0 + 120.0 * np.sin(cols / 25.0) * np.cos(rows / 30.0)
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:32652",
                       transform=from_origin(x - n * cell / 2, y + n * cell / 2, cell, cell), nodata=-9999.0) as dst:
        dst.write(elevation.astype(np.float32), 1)


def _write_ortho(path: Path) -> None:
    """A 400 m × 400 m orthophoto (kelvin, NaN outside the frame) around :data:`CENTER`."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(CENTER[1], CENTER[0])
    temperature = np.full((40, 40), 295.0, dtype=np.float32)
    temperature[15:20, 15:20] = 900.0
    temperature[:, :5] = np.nan
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32", crs="EPSG:32652",
                       transform=from_origin(x - 200.0, y + 200.0, 10.0, 10.0), nodata=np.nan) as dst:
        dst.write(temperature, 1)


@pytest.fixture()
def server(tmp_path: Path):
    if CHROMIUM is None:
        pytest.skip("no Chromium found (apt-get install -y chromium); the browser test never downloads one")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    _write_dem(tmp_path / "dem.tif")
    zone = {"type": "Feature", "properties": {"name": "test zone"}, "geometry": {"type": "Polygon", "coordinates": [
        [[126.99, 37.67], [127.0, 37.67], [127.0, 37.675], [126.99, 37.675], [126.99, 37.67]]]}}
    (tmp_path / "nofly.geojson").write_text(json.dumps(zone), encoding="utf-8")
    (tmp_path / "firewatch.toml").write_text(
        '[dashboard]\nrefresh_s = 2\ndem_path = "dem.tif"\nno_fly_zones = ["nofly.geojson"]\n'
        "hotspot_cluster_threshold = 1000\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'firewatch.db'}"
    store = Store(url)
    _write_ortho(tmp_path / "ortho.tif")
    written = seed_store(store, incident_count=9, hotspots_per_incident=3, center=CENTER, now=utc_now(), seed=3,
                         ortho_path=str(tmp_path / "ortho.tif"))
    port = _free_port()
    process = start_dashboard(url, port=port, config_path=tmp_path / "firewatch.toml",
                              log_path=tmp_path / "server.log")
    try:
        wait_until_healthy(port, process=process, timeout_s=60)
        yield {"port": port, "store": store, "written": written, "tmp": tmp_path}
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_map_renders_offline_with_layers_coordinates_and_live_refresh(server):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})

            def block_outside(route):
                if re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]", route.request.url):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", block_outside)
            page.goto(f"http://127.0.0.1:{server['port']}/", wait_until="domcontentloaded")
            frame = page.frame_locator(MAP_FRAME)
            incidents = frame.locator("path.fw-incident")
            incidents.first.wait_for(timeout=60_000)
            written = server["written"]
            # every incident is drawn: 8 perimeters + 1 centre circle for the one without a perimeter
            assert incidents.count() == written["frames"] == 9
            assert frame.locator("path.fw-no-perimeter").count() == 1
            assert frame.locator("path.fw-hotspot").count() == written["hotspots"] == 27
            assert frame.locator("path.fw-camera").count() >= 1
            pictures = frame.locator("img.leaflet-image-layer")                # hillshade + thermal orthophoto
            assert pictures.count() == 2
            for index in range(2):
                assert pictures.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
            assert "≥ 200" in frame.locator(".fw-legend").inner_text()

            # coordinate readout under the mouse vs pyproj (EPSG:5186, metres, shown to 0.1 m)
            box = frame.locator(".leaflet-container").bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
            readout = frame.locator(".fw-coords")
            page.wait_for_function("() => true")
            text = readout.inner_text()
            lat, lon, north, east = map(float, re.search(
                r"WGS 84 ([\d.]+)°N ([\d.]+)°E\s+EPSG:5186 N ([\d.]+) m\s+E ([\d.]+) m", text).groups())
            e_ref, n_ref = Transformer.from_crs("EPSG:4326", "EPSG:5186", always_xy=True).transform(lon, lat)
            assert abs(east - e_ref) < 0.11 and abs(north - n_ref) < 0.11, (text, e_ref, n_ref)

            page.screenshot(path=str(server["tmp"] / "dashboard.png"), full_page=True)

            # clicking an incident on the map selects it in the detail panel
            picker = page.locator("[data-testid=stSelectbox] input").first
            assert "inc-" not in picker.input_value()
            frame.locator("path.fw-no-perimeter").first.dispatch_event("click")  # seeded incident #1 has no perimeter
            page.wait_for_function(
                "id => document.querySelector('[data-testid=stSelectbox] input').value.startsWith(id)",
                arg=written["incidents"][1], timeout=30_000)
            page.locator("[data-testid=stMetric]").nth(4).wait_for(timeout=30_000)   # the detail panel opened

            # live: zoom in, add an incident to the store, wait for a tick; the map keeps its zoom
            map_zoom = "() => window.map.getZoom()"
            frame_handle = page.frame_locator(MAP_FRAME).locator("body").element_handle().owner_frame()
            zoom_before = frame_handle.evaluate(map_zoom)
            frame.locator(".leaflet-control-zoom-in").click()
            frame_handle.wait_for_function(f"() => window.map.getZoom() === {zoom_before + 1}")
            seed_store(server["store"], incident_count=1, hotspots_per_incident=1, center=(37.67, 126.99),
                       seed=99, bad_records=False)
            frame_handle.wait_for_function("() => document.querySelectorAll('path.fw-incident').length === 10",
                                           timeout=30_000)
            assert frame_handle.evaluate(map_zoom) == zoom_before + 1
        finally:
            browser.close()
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
