"""Bearing intersection geometry against hand calculations and pyproj geodesics.

Oracles: bearings to a known target from pyproj ``Geod.inv``; the 1-σ ellipse of two bearings with equal range R and
σ crossing at γ is ``Rσ / (√2 sin(γ/2))`` × ``Rσ / (√2 cos(γ/2))`` (the inverse of ``(1/(Rσ)²)(P₁ + P₂)`` with
``Pᵢ = I − uᵢuᵢᵀ``; for γ = 90° both are Rσ).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
from pyproj import Geod

from detection.errors import InvalidValue
from detection.triangulate import (Bearing, TriangulationConfig, bearing_sigma_deg, dem_uncertainty_m,
                                   locate_by_triangulation, triangulate)
from firewatch.model import Hotspot

_GEOD = Geod(ellps="WGS84")
TARGET = (126.98, 37.66, 300.0)  # lon, lat, m AMSL
T0 = datetime(2026, 4, 5, 5, 0, tzinfo=timezone.utc)


def _camera_at(azimuth_from_target_deg, range_m, *, alt_amsl_m=500.0, sigma_deg=0.05, azimuth_error_deg=0.0,
               elevation_error_deg=0.0):
    """A camera ``range_m`` from the target in the direction ``azimuth_from_target_deg``, looking at the target."""
    lon, lat, back = _GEOD.fwd(TARGET[0], TARGET[1], azimuth_from_target_deg, range_m)
    azimuth, _, distance = _GEOD.inv(lon, lat, TARGET[0], TARGET[1])
    drop = TARGET[2] - alt_amsl_m - (1 - 0.13) * distance**2 / (2 * 6_371_008.8)
    elevation = math.degrees(math.atan2(drop, distance))
    return Bearing(lat, lon, alt_amsl_m, (azimuth + azimuth_error_deg) % 360, elevation + elevation_error_deg,
                   sigma_deg)


def test_two_perpendicular_bearings_meet_at_the_target_with_a_round_ellipse():
    fix, reason = triangulate([_camera_at(200.0, 8000.0), _camera_at(290.0, 8000.0)])
    assert reason == "ok"
    assert _GEOD.inv(fix.lon_deg, fix.lat_deg, TARGET[0], TARGET[1])[2] < 0.5
    assert fix.elevation_m == pytest.approx(TARGET[2], abs=0.5)
    r_sigma = 8000.0 * math.radians(0.05)
    assert fix.semi_major_m == pytest.approx(r_sigma, rel=0.02)
    assert fix.semi_minor_m == pytest.approx(r_sigma, rel=0.02)
    assert fix.crossing_deg == pytest.approx(90.0, abs=0.2)
    assert fix.ranges_m == pytest.approx((8000.0, 8000.0), rel=1e-3)


def test_narrow_crossing_stretches_the_ellipse_as_one_over_sine():
    gamma = 30.0
    fix, _ = triangulate([_camera_at(180.0 - gamma / 2, 10000.0), _camera_at(180.0 + gamma / 2, 10000.0)])
    r_sigma = 10000.0 * math.radians(0.05)
    assert fix.semi_major_m == pytest.approx(r_sigma / (math.sqrt(2) * math.sin(math.radians(gamma / 2))), rel=0.02)
    assert fix.semi_minor_m == pytest.approx(r_sigma / (math.sqrt(2) * math.cos(math.radians(gamma / 2))), rel=0.02)
    assert fix.major_azimuth_deg == pytest.approx(0.0, abs=0.5) or fix.major_azimuth_deg == pytest.approx(180, abs=0.5)


def test_azimuth_error_moves_the_fix_by_range_times_angle_over_sine():
    error_deg = 0.1
    a = _camera_at(200.0, 10000.0, azimuth_error_deg=error_deg)
    b = _camera_at(290.0, 10000.0)
    fix, _ = triangulate([a, b])
    expected = 10000.0 * math.radians(error_deg) / math.sin(math.radians(90.0))
    assert _GEOD.inv(fix.lon_deg, fix.lat_deg, TARGET[0], TARGET[1])[2] == pytest.approx(expected, rel=0.05)


def test_three_bearings_least_squares():
    fix, reason = triangulate([_camera_at(a, 9000.0) for a in (150.0, 220.0, 300.0)])
    assert reason == "ok" and _GEOD.inv(fix.lon_deg, fix.lat_deg, TARGET[0], TARGET[1])[2] < 0.5


def test_degenerate_geometry_is_refused_with_a_reason():
    assert triangulate([_camera_at(200.0, 8000.0)]) == (None, "one camera only")
    fix, reason = triangulate([_camera_at(200.0, 8000.0), _camera_at(210.0, 9000.0)])
    assert fix is None and "nearly parallel" in reason and "< 20°" in reason
    # bearings pointing away from each other meet behind the cameras
    a, b = _camera_at(200.0, 8000.0), _camera_at(290.0, 8000.0)
    flipped = Bearing(a.lat_deg, a.lon_deg, a.alt_amsl_m, (a.azimuth_deg + 180) % 360, 0.0, a.sigma_deg)
    fix, reason = triangulate([flipped, b])
    assert fix is None and "behind" in reason
    fix, reason = triangulate([_camera_at(200.0, 40000.0), _camera_at(290.0, 40000.0)])
    assert fix is None and "implausible range" in reason


def test_disagreeing_elevation_angles_mean_different_fires():
    fix, reason = triangulate([_camera_at(200.0, 8000.0), _camera_at(290.0, 8000.0, elevation_error_deg=1.0)])
    assert fix is None and "not the same fire" in reason


def test_uncertainty_formulas_by_hand():
    assert bearing_sigma_deg(0.0375, 0.05) == pytest.approx(math.sqrt(0.0375**2 / 12 + 0.05**2))
    # 10 km at 2° depression, σ 0.05°: along = d·δθ/(sin α cos α) = 250.19 m, across = d·δθ = 8.73 m
    assert dem_uncertainty_m(10000.0, -2.0, 0.05) == pytest.approx(math.hypot(250.19, 8.727), rel=1e-3)
    with pytest.raises(InvalidValue):
        bearing_sigma_deg(0.0, 0.05)


def test_bad_bearing_dict_is_refused():
    with pytest.raises(InvalidValue, match="azimuth_deg"):
        Bearing.from_dict({"lat_deg": 37.0, "lon_deg": 127.0})
    with pytest.raises(InvalidValue, match="out of range"):
        Bearing.from_dict({"lat_deg": 97.0, "lon_deg": 127.0, "alt_amsl_m": 0, "azimuth_deg": 0,
                           "elevation_deg": 0, "sigma_deg": 0.05})


def _hotspot(hid, source_id, bearing, *, dem_offset_m=150.0, seconds=0.0):
    lon, lat, _ = _GEOD.fwd(TARGET[0], TARGET[1], bearing.azimuth_deg, dem_offset_m)  # DEM error along the sight line
    return Hotspot(hotspot_id=hid, frame_id=f"frame-{hid}", source_id=source_id, source_kind="fixed",
                   time=T0 + timedelta(seconds=seconds), row=10.0, col=20.0, bbox_px=(9, 19, 11, 21),
                   pixel_count=9, max_temp_k=700.0, mean_temp_k=600.0, background_temp_k=295.0,
                   background_mad_k=1.0, saturated_fraction=0.0, frp_kw=50.0, frp_lower_bound=False, confidence=0.7,
                   confidence_class="nominal", lat=lat, lon=lon, elevation_m=TARGET[2], location_uncertainty_m=30.0,
                   location_method="dem", footprint={"type": "Polygon", "coordinates": [[
                       [lon, lat], [lon + 1e-4, lat], [lon + 1e-4, lat + 1e-4], [lon, lat]]]},
                   extra={"bearing": bearing.to_dict()})


def test_locate_by_triangulation_relocates_pairs_and_states_fallbacks():
    a = _hotspot("a", "tower-1", _camera_at(200.0, 8000.0))
    b = _hotspot("b", "tower-2", _camera_at(290.0, 8000.0), seconds=30)
    late = _hotspot("c", "tower-1", _camera_at(200.0, 8000.0), seconds=3600)
    plain = _hotspot("d", "drone-1", _camera_at(250.0, 100.0))
    plain.extra = {}
    out = locate_by_triangulation([b, late, plain], [a])
    fixed, fallback, untouched = out
    assert fixed.location_method == "triangulation" and fixed.hotspot_id == "b"
    assert _GEOD.inv(fixed.lon, fixed.lat, TARGET[0], TARGET[1])[2] < 0.5
    assert fixed.location_uncertainty_m == pytest.approx(8000.0 * math.radians(0.05), rel=0.02)
    info = fixed.extra["triangulation"]
    assert info["partner_hotspot_id"] == "a" and info["partner_source_id"] == "tower-1"
    assert info["dem_location"][:2] == [b.lon, b.lat]
    # the footprint moved with the fix
    assert fixed.footprint["coordinates"][0][0] == pytest.approx([fixed.lon, fixed.lat])
    assert fallback.location_method == "dem"
    assert "no other camera saw it within 300 s" in fallback.extra["triangulation"]["fallback"]
    assert fallback.location_uncertainty_m == pytest.approx(fallback.extra["triangulation"]["dem_uncertainty_m"])
    assert fallback.location_uncertainty_m > 100.0  # grazing ray at 8 km: hundreds of metres, not 30
    assert untouched is plain
    assert b.location_method == "dem"  # inputs are not mutated


def test_same_camera_never_pairs_with_itself():
    a = _hotspot("a", "tower-1", _camera_at(200.0, 8000.0))
    b = _hotspot("b", "tower-1", _camera_at(290.0, 8000.0))
    (out,) = locate_by_triangulation([b], [a])
    assert out.location_method == "dem"


def test_ghost_pairs_of_two_fires_are_rejected():
    # fire 2 is 700 m east of fire 1; each tower sees both; each hotspot's DEM location is near its own fire
    fire2 = _GEOD.fwd(TARGET[0], TARGET[1], 90.0, 700.0)[:2]

    def camera_to(point, azimuth_from_point, range_m):
        lon, lat, _ = _GEOD.fwd(point[0], point[1], azimuth_from_point, range_m)
        azimuth, _, distance = _GEOD.inv(lon, lat, point[0], point[1])
        elevation = math.degrees(math.atan2(TARGET[2] - 500.0 - (0.87 * distance**2 / 12_742_017.6), distance))
        return Bearing(lat, lon, 500.0, azimuth % 360, elevation, 0.05), (lon, lat)

    b1, site1 = camera_to(TARGET[:2], 200.0, 8000.0)
    b2, site2 = camera_to(TARGET[:2], 290.0, 8000.0)
    azimuth, _, distance = _GEOD.inv(site1[0], site1[1], fire2[0], fire2[1])
    b1f2 = Bearing(site1[1], site1[0], 500.0, azimuth % 360,
                   math.degrees(math.atan2(TARGET[2] - 500.0 - 0.87 * distance**2 / 12_742_017.6, distance)), 0.05)
    tower1 = [_hotspot("t1f1", "tower-1", b1, dem_offset_m=50.0)]
    f2 = _hotspot("t1f2", "tower-1", b1f2, dem_offset_m=0.0)
    f2.lon, f2.lat = fire2
    tower1.append(f2)
    (out,) = locate_by_triangulation([_hotspot("t2f1", "tower-2", b2, dem_offset_m=50.0)], tower1)
    assert out.extra["triangulation"]["partner_hotspot_id"] == "t1f1"
    assert _GEOD.inv(out.lon, out.lat, TARGET[0], TARGET[1])[2] < 1.0


def test_config_window_and_crossing_are_data():
    config = TriangulationConfig(window_s=10.0)
    a = _hotspot("a", "tower-1", _camera_at(200.0, 8000.0))
    b = _hotspot("b", "tower-2", _camera_at(290.0, 8000.0), seconds=30)
    (out,) = locate_by_triangulation([b], [a], config=config)
    assert out.location_method == "dem"
    with pytest.raises(ValueError):
        TriangulationConfig(min_crossing_deg=95.0)


def test_nearly_parallel_partner_falls_back_saying_why():
    a = _hotspot("a", "tower-1", _camera_at(200.0, 8000.0))
    b = _hotspot("b", "tower-2", _camera_at(205.0, 12000.0), seconds=20)
    (out,) = locate_by_triangulation([b], [a])
    assert out.location_method == "dem"
    reason = out.extra["triangulation"]["fallback"]
    assert "tower-1" in reason and "nearly parallel" in reason
    assert out.location_uncertainty_m == pytest.approx(out.extra["triangulation"]["dem_uncertainty_m"])
