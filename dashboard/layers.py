"""Map layers as folium FeatureGroups built from plain store data (no Streamlit here, so they test directly).

Inputs are the store's shapes: :class:`firewatch.model.Incident`, :class:`firewatch.model.Hotspot` and frame dicts
(``frame_id, source_id, source_kind, time, footprint, camera, pose, …``). Geometry is GeoJSON (lon, lat) in and
Leaflet (lat, lon) out. Bad records (an incident without a perimeter, a frame without a footprint or pose, NaN
coordinates) are drawn as much as they allow and never raise.
"""

from __future__ import annotations

import html
import json
import math
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import folium
import folium.plugins
import numpy as np
from folium.elements import JSCSSMixin
from folium.template import Template
from pyproj import Geod

from dashboard.assets import MARKERCLUSTER_CSS, MARKERCLUSTER_JS
from dashboard.errors import LayerDataError
from dashboard.i18n import t
from firewatch.model import Hotspot, Incident, parse_time

_GEOD = Geod(ellps="WGS84")

#: Fill colour per incident state: red family while burning, blue-grey once quiet, grey when closed.
STATE_COLOURS: dict[str, str] = {
    "candidate": "#f0b400",
    "confirmed": "#e31a1c",
    "active": "#ff4500",
    "quiet": "#6a7fa8",
    "closed": "#8c8c8c",
}
#: Outline dash per confidence class: dashed = low (maybe not a fire), dotted-dash = nominal, solid = high.
CONFIDENCE_DASH: dict[str, str | None] = {"low": "6 6", "nominal": "10 4", "high": None}


def _finite(*values: object) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def is_finite_position(lat: object, lon: object) -> bool:
    """True when both are finite numbers (a drawable position)."""
    return _finite(lat, lon)


def _classed(element, css_class: str):
    """Give a folium vector marker a CSS class (``className``; folium's path options drop it) and return it.

    The classes (``fw-incident``, ``fw-hotspot``, ``fw-camera``, ``fw-waypoint``) let the browser tests count
    what the map drew.
    """
    element.options["className"] = css_class
    return element


def incident_style(incident: Incident, *, now: datetime, new_window_s: float) -> dict:
    """Leaflet path style of an incident: colour by state, fill opacity by confidence, dash by class.

    A newly confirmed incident (confirmed within ``new_window_s`` of ``now``) gets a thick magenta-red outline so
    it cannot be missed.
    """
    colour = STATE_COLOURS.get(incident.state, "#8c8c8c")
    confidence = incident.confidence if _finite(incident.confidence) else 0.0
    style = {
        "className": "fw-incident",
        "color": colour,
        "fillColor": colour,
        "weight": 2,
        "fillOpacity": round(0.15 + 0.45 * min(max(confidence, 0.0), 1.0), 3),
        "dashArray": CONFIDENCE_DASH.get(incident.confidence_class),
    }
    if is_new_confirmed(incident, now=now, window_s=new_window_s):
        style.update(color="#ff00aa", weight=5, dashArray=None)
    return style


def is_new_confirmed(incident: Incident, *, now: datetime, window_s: float) -> bool:
    """True when the incident was confirmed within ``window_s`` seconds before ``now`` and is still burning."""
    if incident.confirmed_at is None or incident.state in ("quiet", "closed") or incident.masked:
        return False
    age_s = (now - parse_time(incident.confirmed_at)).total_seconds()
    return -60.0 <= age_s <= window_s


def incident_tooltip(incident: Incident, lang: str) -> str:
    """One line naming the incident (its id first: the map click handler finds the incident by it)."""
    state = t(f"state_{incident.state}", lang) if incident.state in STATE_COLOURS else incident.state
    frp = f"{incident.max_frp_kw:,.0f} kW" if _finite(incident.max_frp_kw) else "? kW"
    area = f"{incident.area_m2:,.0f} m²" if _finite(incident.area_m2) else "? m²"
    return html.escape(f"{incident.incident_id} · {state} · {area} · {frp}")


class ServedGeoJson(folium.MacroElement):
    """A GeoJSON FeatureCollection the browser fetches from the server; each feature brings its own Leaflet
    ``properties.style`` (points become circle markers with it) and ``properties.label`` (its tooltip).

    The layer object exists at once (empty) so streamlit-folium wires its click handler, and clicks on features
    arrive with the feature's tooltip text; the data come later by ``fetch`` (see :class:`HotspotMarkers` for why
    data do not travel inside the map script).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            style: function (feature) { return feature.properties.style; },
            pointToLayer: function (feature, latlng) {
                return L.circleMarker(latlng, Object.assign({radius: 10}, feature.properties.style));
            },
            onEachFeature: function (feature, layer) { layer.bindTooltip(feature.properties.label); }
        });
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        fetch({{ this.url|tojson }}).then(function (response) { return response.json(); })
            .then(function (data) { {{ this.get_name() }}.addData(data); });
        {% endmacro %}
    """)

    def __init__(self, url: str) -> None:
        super().__init__()
        self._name = "ServedGeoJson"
        self.url = url


def incident_features(incidents: list[Incident], *, now: datetime, new_window_s: float, lang: str,
                      selected_id: str | None = None) -> dict:
    """A GeoJSON FeatureCollection of the incidents: the perimeter, or the centre point when there is none
    (incidents with neither are left out). Properties: ``incident_id``, ``label`` (tooltip, id first), ``style``."""
    features = []
    for incident in incidents:
        style = incident_style(incident, now=now, new_window_s=new_window_s)
        if incident.incident_id == selected_id:
            style = {**style, "weight": style["weight"] + 2, "color": "#00e5ff"}
        label = incident_tooltip(incident, lang)
        perimeter = incident.perimeter
        if isinstance(perimeter, dict) and perimeter.get("type") in ("Polygon", "MultiPolygon") \
                and perimeter.get("coordinates"):
            geometry = perimeter
        elif _finite(incident.lat, incident.lon):
            geometry = {"type": "Point", "coordinates": [incident.lon, incident.lat]}
            style = {**style, "className": "fw-incident fw-no-perimeter", "dashArray": "4 4"}
            label = f"{label} · {html.escape(t('no_perimeter', lang))}"
        else:
            continue
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"incident_id": incident.incident_id, "label": label, "style": style}})
    return {"type": "FeatureCollection", "features": features}


def incidents_layer(features_url: str | None, *, lang: str) -> folium.FeatureGroup:
    """The incidents layer drawing the served :func:`incident_features` collection (empty when None)."""
    group = folium.FeatureGroup(name=t("layer_incidents", lang))
    if features_url is not None:
        ServedGeoJson(features_url).add_to(group)
    return group


def hotspot_radius_px(frp_kw: float | None) -> float:
    """Marker radius in pixels growing with the square root of FRP (area ∝ power), 3 px to 18 px.

    3 px keeps FRP-less (unlocated-power) hotspots visible; 1 MW reaches the 18 px cap.
    """
    if not _finite(frp_kw) or frp_kw <= 0:
        return 3.0
    return float(min(18.0, 3.0 + 15.0 * math.sqrt(frp_kw / 1000.0)))


_CONFIDENCE_COLOURS = {"low": "#fecc5c", "nominal": "#fd8d3c", "high": "#bd0026"}

class HotspotMarkers(JSCSSMixin, folium.MacroElement):
    """Hotspot circles loaded by the browser from a JSON file the server serves (rows ``[lat, lon, radius_px,
    colour, label]``), clustered with Leaflet.markercluster (bulk ``addLayers``, chunked) or plain.

    The rows travel as a content-addressed file, not inside the map script: streamlit-folium re-sends (and folium
    re-compiles as a template) the whole script every refresh, which costs ~0.3 s per MB; a URL costs nothing and
    is unchanged — so nothing is redrawn — while the hotspots are unchanged.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ "L.markerClusterGroup({chunkedLoading: true})" if this.cluster
                                       else "L.featureGroup()" }};
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        fetch({{ this.url|tojson }}).then(function (response) { return response.json(); }).then(function (rows) {
            var markers = rows.map(function (row) {
                return L.circleMarker([row[0], row[1]], {radius: row[2], color: row[3], fillColor: row[3],
                    fillOpacity: 0.8, weight: 1, className: "fw-hotspot"}).bindTooltip(row[4]);
            });
            {% if this.cluster %}{{ this.get_name() }}.addLayers(markers);
            {% else %}markers.forEach(function (m) { {{ this.get_name() }}.addLayer(m); });{% endif %}
        });
        {% endmacro %}
    """)
    default_js = MARKERCLUSTER_JS
    default_css = MARKERCLUSTER_CSS

    def __init__(self, url: str, *, cluster: bool) -> None:
        super().__init__()
        self._name = "HotspotMarkers"
        self.url = url
        self.cluster = cluster


def hotspot_rows(hotspots: list[Hotspot]) -> list[list]:
    """Map rows ``[lat, lon, radius_px, colour, label]`` of the located hotspots (unlocated ones are skipped)."""
    rows = []
    for hotspot in hotspots:
        if not hotspot.is_located:
            continue
        frp = f"{hotspot.frp_kw:,.0f} kW" if _finite(hotspot.frp_kw) else "? kW"
        if hotspot.frp_lower_bound and _finite(hotspot.frp_kw):
            frp = "≥ " + frp
        temp_c = hotspot.max_temp_k - 273.15 if _finite(hotspot.max_temp_k) else float("nan")
        label = html.escape(f"{hotspot.source_id} {hotspot.time:%H:%M:%S}Z · {frp} · {temp_c:.0f} °C · "
                            f"{hotspot.confidence_class}")
        rows.append([round(hotspot.lat, 7), round(hotspot.lon, 7), round(hotspot_radius_px(hotspot.frp_kw), 1),
                     _CONFIDENCE_COLOURS.get(hotspot.confidence_class, "#fd8d3c"), label])
    return rows


def hotspots_layer(rows_url: str | None, count: int, *, lang: str, cluster_threshold: int) -> folium.FeatureGroup:
    """Hotspot circles from a served JSON file of :func:`hotspot_rows` (``count`` rows), clustered above the
    threshold; an empty layer when there are none."""
    group = folium.FeatureGroup(name=t("layer_hotspots", lang))
    if rows_url is not None and count > 0:
        HotspotMarkers(rows_url, cluster=count > cluster_threshold).add_to(group)
    return group


def _hfov_deg(camera: dict) -> float | None:
    """Horizontal field of view of a pinhole camera dict: 2·atan(width / (2·fx))."""
    width, fx = camera.get("width_px"), camera.get("fx_px")
    if not _finite(width, fx) or fx <= 0 or width <= 0:
        return None
    return math.degrees(2.0 * math.atan(width / (2.0 * fx)))


def _footprint_range_m(lon: float, lat: float, footprint: dict | None) -> float | None:
    """Largest geodesic distance in metres from the camera to a vertex of its ground footprint."""
    points = list(_iter_positions(footprint))
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    _, _, distances = _GEOD.inv([lon] * len(points), [lat] * len(points), lons, lats)
    return float(max(distances))


def _iter_positions(geometry: dict | None):
    def walk(node):
        if isinstance(node, (list, tuple)) and len(node) >= 2 and all(isinstance(v, (int, float)) for v in node[:2]):
            if _finite(node[0], node[1]):
                yield node[0], node[1]
        elif isinstance(node, (list, tuple)):
            for item in node:
                yield from walk(item)
    if isinstance(geometry, dict):
        yield from walk(geometry.get("coordinates"))


def _local(when: object, zone: str) -> str:
    try:
        local = parse_time(when).astimezone(ZoneInfo(zone))
    except (TypeError, ValueError):
        return "?"
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def fov_wedge(lon: float, lat: float, yaw_deg: float, hfov_deg: float, range_m: float,
              *, steps: int = 16) -> list[tuple[float, float]]:
    """Ground wedge of a camera's horizontal field of view as a closed (lat, lon) ring for Leaflet.

    Apex at the camera, edges at ``yaw ± hfov/2`` (degrees clockwise from true north), arc at ``range_m`` along
    geodesics (pyproj Geod).
    """
    azimuths = [yaw_deg - hfov_deg / 2.0 + hfov_deg * i / steps for i in range(steps + 1)]
    arc_lon, arc_lat, _ = _GEOD.fwd([lon] * len(azimuths), [lat] * len(azimuths), azimuths, [range_m] * len(azimuths))
    ring = [(lat, lon)] + list(zip(arc_lat, arc_lon)) + [(lat, lon)]
    return [(float(a), float(b)) for a, b in ring]


def latest_per_source(frames: list[dict], kind: str) -> list[dict]:
    """The newest accepted frame of every source of ``kind`` (``fixed`` | ``drone``)."""
    latest: dict[str, dict] = {}
    for frame in frames:
        if frame.get("source_kind") != kind or frame.get("status", "accepted") != "accepted":
            continue
        try:
            when = parse_time(frame.get("time"))
        except (TypeError, ValueError):
            continue
        current = latest.get(frame.get("source_id"))
        if current is None or when > parse_time(current["time"]):
            latest[frame.get("source_id")] = frame
    return list(latest.values())


def cameras_layer(frames: list[dict], *, lang: str, default_range_m: float,
                  timezone: str = "Asia/Seoul") -> folium.FeatureGroup:
    """Each fixed camera's current view: a wedge from its newest frame's pose and camera, plus its position."""
    group = folium.FeatureGroup(name=t("layer_cameras", lang))
    for frame in latest_per_source(frames, "fixed"):
        pose = frame.get("pose") or {}
        lat, lon = pose.get("lat_deg"), pose.get("lon_deg")
        yaw = pose.get("yaw_deg", pose.get("pan_deg"))
        hfov = _hfov_deg(frame.get("camera") or {})
        if not _finite(lat, lon):
            continue
        label = html.escape(f"{frame.get('source_id')} · {_local(frame.get('time'), timezone)}")
        _classed(folium.CircleMarker((lat, lon), radius=6, color="#1f78b4", fill=True, fill_opacity=1.0,
                                     tooltip=label), "fw-camera").add_to(group)
        if not _finite(yaw) or hfov is None:
            continue
        range_m = _footprint_range_m(lon, lat, frame.get("footprint")) or default_range_m
        folium.Polygon(fov_wedge(lon, lat, yaw, hfov, range_m), color="#1f78b4", weight=1, fill=True,
                       fill_opacity=0.08, tooltip=label).add_to(group)
    return group


def footprints_layer(frames: list[dict], *, lang: str) -> folium.FeatureGroup:
    """Ground outlines of drone frames (frames without a footprint are skipped)."""
    group = folium.FeatureGroup(name=t("layer_footprints", lang), show=True)
    features = []
    for frame in frames:
        footprint = frame.get("footprint")
        if frame.get("source_kind") != "drone" or not isinstance(footprint, dict) or not footprint.get("coordinates"):
            continue
        features.append({"type": "Feature", "geometry": footprint,
                         "properties": {"frame": f"{frame.get('source_id')} {frame.get('time')}"}})
    if features:
        folium.GeoJson({"type": "FeatureCollection", "features": features},
                       style_function=lambda _f: {"color": "#33a02c", "weight": 1, "fillOpacity": 0.03},
                       tooltip=folium.GeoJsonTooltip(fields=["frame"], labels=False)).add_to(group)
    return group


def read_geojson(path: Path) -> dict:
    """A GeoJSON file as a dict; :class:`LayerDataError` naming the file when it is missing or not GeoJSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LayerDataError(f"{path}: cannot read GeoJSON ({exc}); fix or remove it from [dashboard] in the "
                             "configuration") from exc
    if not isinstance(data, dict) or data.get("type") not in (
            "FeatureCollection", "Feature", "Polygon", "MultiPolygon", "Point", "LineString", "MultiLineString"):
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise LayerDataError(f"{path}: not a GeoJSON object (type {found!r}); expected a FeatureCollection")
    return data


def geojson_files_layer(paths: list[Path], *, name: str, colour: str) -> folium.FeatureGroup:
    """Polygons from GeoJSON files (no-fly zones, heat-source masks) outlined in ``colour``."""
    group = folium.FeatureGroup(name=name)
    for path in paths:
        folium.GeoJson(read_geojson(path), name=Path(path).stem,
                       style_function=lambda _f, c=colour: {"color": c, "weight": 2, "fillColor": c,
                                                            "fillOpacity": 0.15, "dashArray": "8 4"},
                       tooltip=Path(path).stem).add_to(group)
    return group


class ServedImageOverlay(folium.raster_layers.ImageOverlay):
    """``L.imageOverlay`` of a picture the server serves at an absolute path such as ``/app/static/…``.

    folium reads any string without a URL scheme as a local file to embed; a served path is neither, so the
    overlay is built on a 1×1 placeholder and then pointed at the path.
    """

    def __init__(self, url: str, bounds: list[list[float]], **kwargs) -> None:
        super().__init__(np.zeros((1, 1, 4)), bounds=bounds, **kwargs)
        self.url = url


def image_layer(url: str, leaflet_bounds: list[list[float]], *, name: str, opacity: float) -> folium.FeatureGroup:
    """A picture served at ``url`` stretched over ``[[south, west], [north, east]]`` (Web-Mercator PNG)."""
    group = folium.FeatureGroup(name=name)
    ServedImageOverlay(url, leaflet_bounds, opacity=opacity, interactive=False).add_to(group)
    return group


def flight_path_layer(plan_geojson: dict | None, *, lang: str) -> folium.FeatureGroup:
    """The suggested flight path (LineStrings) and its waypoints (Points, numbered) from a GeoJSON export."""
    group = folium.FeatureGroup(name=t("layer_plan", lang))
    if not plan_geojson:
        return group
    features = plan_geojson.get("features", []) if plan_geojson.get("type") == "FeatureCollection" else [plan_geojson]
    for index, feature in enumerate(features):
        geometry = (feature or {}).get("geometry") or {}
        kind = geometry.get("type")
        if kind in ("LineString", "MultiLineString"):
            folium.GeoJson(feature, style_function=lambda _f: {"color": "#00e5ff", "weight": 3}).add_to(group)
        elif kind in ("Polygon", "MultiPolygon"):
            props = (feature or {}).get("properties") or {}
            colour = "#6a3d9a" if props.get("kind") == "no_fly" else "#00e5ff"
            folium.GeoJson(feature, style_function=lambda _f, c=colour: {"color": c, "weight": 1, "fillOpacity": 0.05,
                                                                          "dashArray": "4 4"}).add_to(group)
        elif kind == "Point" and _finite(*geometry.get("coordinates", [None, None])[:2]):
            lon, lat = geometry["coordinates"][:2]
            props = feature.get("properties") or {}
            label = html.escape(" · ".join(f"{k}={v}" for k, v in props.items() if v is not None) or f"#{index}")
            _classed(folium.CircleMarker((lat, lon), radius=4, color="#00e5ff", fill=True, fill_opacity=1.0,
                                         tooltip=label), "fw-waypoint").add_to(group)
    return group
