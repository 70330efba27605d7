"""Local frame, no-fly zone loading and detours (P-73A, the real Yongsan prohibited area)."""

from __future__ import annotations

import json
import math

import pyproj
import pytest
from shapely.geometry import LineString, Point

from flightplans.errors import FlightPlanError, NoSafePlan
from flightplans.geo import LocalFrame, NoFlyZone, detour_path, load_no_fly_zones

P73A = "airspace/RK_P73A_from_vworld_LT_C_AISPRHC.geojson"


def test_local_frame_distances_match_geodesic():
    frame = LocalFrame(127.0, 37.5)
    geod = pyproj.Geod(ellps="WGS84")
    lon, lat, _ = geod.fwd(127.0, 37.5, 63.0, 4321.0)
    x, y = frame.to_xy(lon, lat)
    assert math.hypot(x, y) == pytest.approx(4321.0, abs=0.01)
    assert math.degrees(math.atan2(x, y)) == pytest.approx(63.0, abs=1e-3)
    back = frame.to_lonlat(x, y)
    assert back[0] == pytest.approx(lon, abs=1e-9) and back[1] == pytest.approx(lat, abs=1e-9)


@pytest.mark.realdata
def test_p73a_loads_with_its_label(shared_data):
    (zone,) = load_no_fly_zones(shared_data / P73A)
    assert zone.name == "RK P73A"
    assert zone.geometry.contains(Point(126.9863, 37.5390))  # Yongsan, inside the circle


@pytest.mark.realdata
def test_detour_around_p73a_keeps_the_margin_and_is_near_optimal(shared_data):
    zones = load_no_fly_zones(shared_data / P73A)
    west = (126.90, 37.539)
    east = (127.07, 37.539)
    frame = LocalFrame(*west)
    start, end = (0.0, 0.0), tuple(float(v) for v in frame.to_xy(*east))
    path = detour_path(frame, start, end, zones, margin_m=100.0)
    zone_xy = frame.geom_to_xy(zones[0].geometry)
    line = LineString(path)
    assert not line.intersects(zone_xy)
    assert line.distance(zone_xy) >= 49.0  # half the margin at least
    # oracle: the straight line crosses the zone; the detour cannot beat going around its convex hull half
    straight = math.dist(start, end)
    assert LineString([start, end]).intersects(zone_xy)
    hull = zone_xy.convex_hull
    assert straight < line.length < straight + hull.length / 2


def test_clear_leg_stays_straight():
    frame = LocalFrame(127.0, 37.5)
    zone = NoFlyZone("box", frame.geom_to_lonlat(Point(0, 5000).buffer(500)))
    assert detour_path(frame, (0, 0), (1000, 0), [zone], margin_m=100) == [(0, 0), (1000, 0)]


def test_end_inside_zone_is_no_safe_plan():
    frame = LocalFrame(127.0, 37.5)
    zone = NoFlyZone("box", frame.geom_to_lonlat(Point(1000, 0).buffer(300)))
    with pytest.raises(NoSafePlan, match="inside no-fly zone box"):
        detour_path(frame, (0, 0), (1000, 0), [zone], margin_m=100)


def test_enclosed_point_has_no_path():
    frame = LocalFrame(127.0, 37.5)
    ring = Point(0, 0).buffer(2000).difference(Point(0, 0).buffer(1500))
    zone = NoFlyZone("ring", frame.geom_to_lonlat(ring))
    with pytest.raises(NoSafePlan, match="no path around no-fly zones"):
        detour_path(frame, (0, 0), (5000, 0), [zone], margin_m=100)


def test_bad_zone_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(FlightPlanError, match="bad.geojson"):
        load_no_fly_zones(bad)
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [127, 37]}}]}))
    with pytest.raises(FlightPlanError, match="no Polygon"):
        load_no_fly_zones(points)
    with pytest.raises(FlightPlanError, match="missing.geojson"):
        load_no_fly_zones(tmp_path / "missing.geojson")
