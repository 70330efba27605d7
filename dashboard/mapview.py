"""The folium map of the operations screen: a base map built once per session and live layers on top.

streamlit-folium keeps the Leaflet map alive between Streamlit reruns as long as the base map's script is
unchanged; the live layers travel as ``feature_group_to_add`` and are swapped in place, so a refresh tick never
resets the operator's zoom or pan. Everything the browser loads comes from ``/app/static`` (see
:mod:`dashboard.assets`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import folium
from folium.elements import JSCSSMixin
from folium.template import Template
from pyproj import CRS

from dashboard.assets import LEAFLET_CSS, LEAFLET_JS, PROJ4_JS, localize
from dashboard.i18n import t
from dashboard.layers import ServedImageOverlay
from dashboard.rasters import ramp_css

#: The Korean projected CRS shown beside WGS 84 under the mouse (Korea 2000 / Central Belt 2010).
KOREAN_CRS = "EPSG:5186"

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
VWORLD_TILES = "https://api.vworld.kr/req/wmts/1.0.0/{key}/Base/{{z}}/{{y}}/{{x}}.png"
VWORLD_ATTRIBUTION = '&copy; <a href="https://www.vworld.kr">VWorld</a> (국토교통부)'


class CoordinateReadout(JSCSSMixin, folium.MacroElement):
    """A Leaflet control (bottom left, CSS class ``fw-coords``) showing the mouse position in WGS 84 and EPSG:5186.

    The projection runs in the browser with proj4js (served locally); its definition comes from the EPSG database
    through pyproj, so the numbers match ``pyproj.Transformer`` (tested in the browser test). Korean CRSs list
    northing first, so the readout names the axes (N, E) instead of relying on order.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            proj4.defs({{ this.crs_name|tojson }}, {{ this.proj4_definition|tojson }});
            var control = L.control({position: "bottomleft"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "fw-coords");
                div.style.cssText = "background:rgba(255,255,255,.85);padding:2px 6px;font:12px/1.4 monospace;";
                div.innerHTML = {{ this.hint|tojson }};
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
            {{ this._parent.get_name() }}.on("mousemove", function (e) {
                var xy = proj4("EPSG:4326", {{ this.crs_name|tojson }}, [e.latlng.lng, e.latlng.lat]);
                control.getContainer().innerHTML =
                    "WGS 84 " + e.latlng.lat.toFixed(6) + "°N " + e.latlng.lng.toFixed(6) + "°E<br>" +
                    {{ this.crs_name|tojson }} + " N " + xy[1].toFixed(1) + " m  E " + xy[0].toFixed(1) + " m";
            });
        })();
        {% endmacro %}
    """)
    default_js = PROJ4_JS
    default_css: list = []

    def __init__(self, hint: str = "") -> None:
        super().__init__()
        self._name = "CoordinateReadout"
        self.crs_name = KOREAN_CRS
        with warnings.catch_warnings():
            # PROJ warns that a PROJ string drops datum metadata; EPSG:5186 is GRS80/ITRF-based with a null
            # shift to WGS 84, so the string is exact for display.
            warnings.simplefilter("ignore", UserWarning)
            self.proj4_definition = CRS(KOREAN_CRS).to_proj4()
        self.hint = hint


class TemperatureLegend(folium.MacroElement):
    """A Leaflet control (bottom right, CSS class ``fw-legend``): the thermal overlay's colour ramp in °C."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "fw-legend");
                div.style.cssText = "background:rgba(255,255,255,.9);padding:4px 8px;font:12px sans-serif;";
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, title: str, low_c: float, high_c: float) -> None:
        super().__init__()
        self._name = "TemperatureLegend"
        mid_c = (low_c + high_c) / 2.0
        self.html = (
            f"<div>{title}</div>"
            f'<div style="width:180px;height:10px;background:{ramp_css()}"></div>'
            f'<div style="display:flex;justify-content:space-between;width:180px">'
            f"<span>{low_c:g}</span><span>{mid_c:g}</span><span>≥ {high_c:g}</span></div>"
        )


@dataclass(frozen=True)
class BaseMapSpec:
    """What the base map needs; frozen so the session can keep it and rebuild an identical map each rerun.

    ``center`` is (lat, lon) in degrees; ``hillshade`` is ``(url, [[south, west], [north, east]])`` or None;
    ``static_layers`` are FeatureGroup builders' outputs frozen as JSON-able (name, geojson, colour) triples.
    """

    center: tuple[float, float]
    zoom: int
    lang: str
    overlay_range_c: tuple[float, float]
    hillshade: tuple[str, tuple[tuple[float, float], tuple[float, float]]] | None = None
    vworld_api_key: str | None = None
    #: ((south, west), (north, east)) to open on, or None to open at ``center``/``zoom``.
    fit_bounds: tuple[tuple[float, float], tuple[float, float]] | None = None


def base_map(spec: BaseMapSpec) -> folium.Map:
    """The map shell: base layers (offline hillshade, OSM, VWorld), coordinate readout and °C legend."""
    fmap = folium.Map(location=list(spec.center), zoom_start=spec.zoom, tiles=None, control_scale=True,
                      max_zoom=19)
    fmap.default_js = list(LEAFLET_JS)
    fmap.default_css = list(LEAFLET_CSS)
    if spec.hillshade is not None:
        url, bounds = spec.hillshade
        shade = folium.FeatureGroup(name=t("layer_hillshade", spec.lang), overlay=False, show=True)
        ServedImageOverlay(url, [list(b) for b in bounds], opacity=1.0, interactive=False).add_to(shade)
        shade.add_to(fmap)
    folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name=t("layer_osm", spec.lang), overlay=False,
                     show=spec.hillshade is None, max_zoom=19).add_to(fmap)
    if spec.vworld_api_key:
        folium.TileLayer(VWORLD_TILES.format(key=spec.vworld_api_key), attr=VWORLD_ATTRIBUTION,
                         name=t("layer_vworld", spec.lang), overlay=False, show=False, max_zoom=19).add_to(fmap)
    if spec.fit_bounds is not None:
        fmap.fit_bounds([list(corner) for corner in spec.fit_bounds], max_zoom=16)
    CoordinateReadout(hint=json.dumps(KOREAN_CRS)[1:-1]).add_to(fmap)
    TemperatureLegend(t("legend_c", spec.lang), *spec.overlay_range_c).add_to(fmap)
    return localize(fmap)
