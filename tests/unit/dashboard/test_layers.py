"""dashboard.layers: incidents, hotspots, cameras, footprints, files and plans as Leaflet layers; bad records."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import folium
import pytest
from pyproj import Geod

from dashboard.errors import LayerDataError
from dashboard.layers import (cameras_layer, flight_path_layer, footprints_layer, fov_wedge, geojson_files_layer,
                              hotspot_radius_px, hotspot_rows, hotspots_layer, incident_features, incident_style,
                              incidents_layer, is_new_confirmed, latest_per_source)
from firewatch.model import Hotspot, Incident

NOW = datetime(2026, 4, 5, 5, 0, tzinfo=timezone.utc)
SQUARE = {"type": "Polygon", "coordinates": [[[126.98, 37.66], [126.981, 37.66], [126.981, 37.661],
                                              [126.98, 37.661], [126.98, 37.66]]]}


def _incident(incident_id="inc-1", **changes) -> Incident:
    values = dict(incident_id=incident_id, state="active", first_seen=NOW, last_seen=NOW, lat=37.6605,
                  lon=126.9805, perimeter=SQUARE, area_m2=9800.0, max_frp_kw=420.0, max_temp_k=950.0,
                  confidence=0.9, confidence_class="high", sources=["drone-1"], source_kinds=["drone"], look_count=2,
                  hotspot_count=3)
    values.update(changes)
    return Incident(**values)


def _hotspot(i: int, **changes) -> Hotspot:
    values = dict(hotspot_id=f"h{i}", frame_id="f", source_id="drone-1", source_kind="drone", time=NOW, row=1.0,
                  col=1.0, bbox_px=(0, 0, 1, 1), pixel_count=4, max_temp_k=900.0, mean_temp_k=800.0,
                  background_temp_k=300.0, background_mad_k=1.0, saturated_fraction=0.0, frp_kw=100.0,
                  frp_lower_bound=False, confidence=0.8, confidence_class="high", lat=37.66 + i * 1e-4, lon=126.98)
    values.update(changes)
    return Hotspot(**values)


def _render(group: folium.FeatureGroup) -> str:
    fmap = folium.Map(location=[37.66, 126.98], tiles=None)
    group.add_to(fmap)
    return fmap.get_root().render()


def test_incident_colours_follow_state_and_confidence():
    active = incident_style(_incident(confidence=1.0), now=NOW, new_window_s=900)
    candidate = incident_style(_incident(state="candidate", confidence=0.0, confidence_class="low"), now=NOW,
                               new_window_s=900)
    assert active["color"] == "#ff4500" and active["fillOpacity"] == pytest.approx(0.6)
    assert candidate["color"] == "#f0b400" and candidate["fillOpacity"] == pytest.approx(0.15)
    assert candidate["dashArray"] == "6 6" and active["dashArray"] is None


def test_newly_confirmed_incident_stands_out_then_fades():
    fresh = _incident(state="confirmed", confirmed_at=NOW - timedelta(minutes=5))
    old = _incident(state="confirmed", confirmed_at=NOW - timedelta(hours=2))
    masked = _incident(state="confirmed", confirmed_at=NOW, masked=True)
    assert is_new_confirmed(fresh, now=NOW, window_s=900)
    assert not is_new_confirmed(old, now=NOW, window_s=900) and not is_new_confirmed(masked, now=NOW, window_s=900)
    assert incident_style(fresh, now=NOW, new_window_s=900)["weight"] == 5


def test_incident_without_perimeter_is_drawn_at_its_centre_and_nan_is_skipped():
    collection = incident_features([_incident("inc-1"), _incident("inc-2", perimeter=None),
                                    _incident("inc-3", perimeter=None, lat=float("nan")),
                                    _incident("inc-4", perimeter={"type": "Polygon", "coordinates": []})],
                                   now=NOW, new_window_s=900, lang="en", selected_id="inc-4")
    kinds = {f["properties"]["incident_id"]: f["geometry"]["type"] for f in collection["features"]}
    assert kinds == {"inc-1": "Polygon", "inc-2": "Point", "inc-4": "Point"}   # inc-3: NaN position, left out
    second = collection["features"][1]["properties"]
    assert second["label"].startswith("inc-2 · active") and "No perimeter" in second["label"]
    assert second["style"]["className"] == "fw-incident fw-no-perimeter"
    assert collection["features"][0]["properties"]["style"]["className"] == "fw-incident"
    assert collection["features"][2]["properties"]["style"]["color"] == "#00e5ff"   # the selected one
    json.dumps(collection)                                                          # servable as is


def test_incidents_layer_fetches_the_served_collection():
    html = _render(incidents_layer("/app/static/generated/i.geojson", lang="en"))
    assert 'fetch("/app/static/generated/i.geojson")' in html and "L.geoJSON(null" in html
    assert "fetch(" not in _render(incidents_layer(None, lang="en"))


def test_hotspot_radius_grows_with_the_square_root_of_frp():
    assert hotspot_radius_px(None) == 3.0 and hotspot_radius_px(0.0) == 3.0
    assert hotspot_radius_px(250.0) == pytest.approx(3.0 + 15.0 * 0.5)   # sqrt(250/1000) = 0.5
    assert hotspot_radius_px(5000.0) == 18.0


def test_hotspot_rows_skip_unlocated_and_describe_each():
    spots = [_hotspot(i) for i in range(3)] + [_hotspot(9, lat=None, lon=None),
                                               _hotspot(7, frp_kw=250.0, frp_lower_bound=True)]
    rows = hotspot_rows(spots)
    assert len(rows) == 4
    lat, lon, radius, colour, label = rows[-1]
    assert (lat, lon, radius, colour) == (37.6607, 126.98, 10.5, "#bd0026")
    assert label == "drone-1 05:00:00Z · ≥ 250 kW · 627 °C · high"   # 900 K − 273.15 = 626.85 °C


def test_hotspots_load_from_the_served_file_and_cluster_above_the_threshold():
    plain = _render(hotspots_layer("/app/static/generated/a.json", 5, lang="en", cluster_threshold=10))
    clustered = _render(hotspots_layer("/app/static/generated/a.json", 5, lang="en", cluster_threshold=3))
    assert 'fetch("/app/static/generated/a.json")' in plain and "markerClusterGroup" not in plain
    assert "L.markerClusterGroup({chunkedLoading: true})" in clustered and ".addLayers(markers)" in clustered
    assert "fetch(" not in _render(hotspots_layer(None, 0, lang="en", cluster_threshold=3))


def test_fov_wedge_edges_point_along_yaw_plus_minus_half_fov():
    ring = fov_wedge(126.98, 37.66, 30.0, 24.0, 5000.0)
    geod = Geod(ellps="WGS84")
    first, last = ring[1], ring[-2]
    az_first, _, dist_first = geod.inv(126.98, 37.66, first[1], first[0])
    az_last, _, dist_last = geod.inv(126.98, 37.66, last[1], last[0])
    assert az_first == pytest.approx(18.0, abs=1e-6) and az_last == pytest.approx(42.0, abs=1e-6)
    assert dist_first == pytest.approx(5000.0, abs=1e-3) and ring[0] == ring[-1] == (37.66, 126.98)


def _frame(frame_id, kind, when, **changes) -> dict:
    frame = {"frame_id": frame_id, "source_id": f"{kind}-1", "source_kind": kind, "time": when, "status": "accepted",
             "footprint": SQUARE, "camera": {"width_px": 640, "fx_px": 640.0},
             "pose": {"lat_deg": 37.65, "lon_deg": 126.97, "yaw_deg": 45.0}}
    frame.update(changes)
    return frame


def test_cameras_use_the_newest_frame_and_measure_range_from_the_footprint():
    frames = [_frame("old", "fixed", NOW - timedelta(minutes=5), pose={"lat_deg": 37.65, "lon_deg": 126.97,
                                                                        "yaw_deg": 200.0}),
              _frame("new", "fixed", NOW), _frame("d", "drone", NOW)]
    assert [f["frame_id"] for f in latest_per_source(frames, "fixed")] == ["new"]
    html = _render(cameras_layer(frames, lang="en", default_range_m=10_000.0))
    assert html.count("L.polygon(") == 1 and html.count("L.circleMarker(") == 1
    # hfov = 2·atan(640 / (2·640)) = 53.13°; the wedge reaches the footprint's farthest corner, not 10 km
    points = [tuple(map(float, p)) for p in re.findall(r"\[(37\.\d+), (126\.\d+)\]", html)]
    far = max(Geod(ellps="WGS84").inv(126.97, 37.65, lon, lat)[2] for lat, lon in points)
    corner = Geod(ellps="WGS84").inv(126.97, 37.65, 126.981, 37.661)[2]
    assert far == pytest.approx(corner, rel=1e-6)


def test_cameras_without_pose_or_intrinsics_do_not_break():
    frames = [_frame("a", "fixed", NOW, pose=None), _frame("b", "fixed", NOW, source_id="t2", camera={}),
              _frame("c", "fixed", "not a time", source_id="t3")]
    html = _render(cameras_layer(frames, lang="en", default_range_m=10_000.0))
    assert html.count("L.polygon(") == 0 and html.count("L.circleMarker(") == 1


def test_footprints_skip_frames_without_one():
    frames = [_frame("a", "drone", NOW), _frame("b", "drone", NOW, footprint=None),
              _frame("c", "drone", NOW, footprint={"type": "Polygon", "coordinates": []})]
    html = _render(footprints_layer(frames, lang="en"))
    assert html.count('"type": "Feature"') == 1


def test_geojson_files_and_their_errors(tmp_path: Path, shared_data: Path):
    p73a = shared_data / "airspace" / "RK_P73A_from_vworld_LT_C_AISPRHC.geojson"
    html = _render(geojson_files_layer([p73a], name="No-fly", colour="#6a3d9a"))
    assert "RK_P73A_from_vworld_LT_C_AISPRHC" in html and "MultiPolygon" in html
    (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
    (tmp_path / "list.geojson").write_text("[1, 2]", encoding="utf-8")
    for name in ("bad.geojson", "list.geojson", "missing.geojson"):
        with pytest.raises(LayerDataError, match=name):
            geojson_files_layer([tmp_path / name], name="x", colour="#000")


def test_flight_path_layer_draws_lines_waypoints_and_areas():
    plan = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[126.98, 37.66], [126.99, 37.67]]},
         "properties": {"kind": "path"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [126.99, 37.67]},
         "properties": {"kind": "waypoint", "altitude_m": 100}},
        {"type": "Feature", "geometry": SQUARE, "properties": {"kind": "survey_area"}},
        {"type": "Feature", "geometry": None, "properties": {}}]}
    html = _render(flight_path_layer(plan, lang="en"))
    assert html.count("L.geoJson(") == 2 and html.count("L.circleMarker(") == 1
    assert _render(flight_path_layer(None, lang="en")).count("L.geoJson(") == 0


def test_served_picture_is_linked_not_embedded():
    from dashboard.layers import image_layer

    html = _render(image_layer("/app/static/generated/abc.png", [[37.6, 126.9], [37.7, 127.0]], name="T",
                               opacity=0.7))
    assert 'L.imageOverlay(\n                "/app/static/generated/abc.png"' in html or \
        '"/app/static/generated/abc.png"' in html
    assert "data:image/png;base64" not in html
