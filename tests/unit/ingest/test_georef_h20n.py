"""Acceptance: the real DJI H20N frame's centre pixel lands on its laser-range-finder target.

H20N_DJI_0006_R.JPG carries (XMP) the aircraft position, AbsoluteAltitude 90.337 m, gimbal yaw −106.60°, pitch
−32.90°, roll 0, and the LRF target the centre of the image was measuring: lat 22.5960255, lon 114.0066452, absolute
altitude 47.000 m, distance 79.572 m. Georeferencing the centre pixel on flat ground at the target's altitude must
land within 2 m of the target (pose and camera read by ingest.readers, not by this test).
"""

from __future__ import annotations

import json

import pyproj
import pytest
from typer.testing import CliRunner

from firewatch.cli import app
from ingest.georef import ground_to_pixel, pixel_to_ground
from ingest.readers import read_pose_camera
from ingest.terrain import Terrain

pytestmark = pytest.mark.realdata
GEOD = pyproj.Geod(ellps="WGS84")
LRF_LAT, LRF_LON, LRF_ALT_M, LRF_DISTANCE_M = 22.5960255, 114.0066452, 47.000, 79.572


@pytest.fixture(scope="module")
def h20n(shared_data):
    path = shared_data / "thermal" / "H20N_DJI_0006_R.JPG"
    pose, camera, attrs = read_pose_camera(path)
    assert pose is not None and camera is not None
    return path, pose, camera


def test_centre_pixel_hits_the_laser_target_within_2_m(h20n):
    _, pose, camera = h20n
    assert (pose.yaw_deg, pose.pitch_deg, pose.roll_deg, pose.alt_amsl_m) == (-106.6, -32.9, 0.0, 90.337)
    centre = pixel_to_ground(camera, pose, (camera.height_px - 1) / 2.0, (camera.width_px - 1) / 2.0,
                             Terrain.flat(LRF_ALT_M))
    error_m = GEOD.inv(float(centre.lon_deg), float(centre.lat_deg), LRF_LON, LRF_LAT)[2]
    print(f"H20N centre pixel vs LRF target: {error_m:.3f} m, range {float(centre.range_m):.3f} m "
          f"(LRF {LRF_DISTANCE_M} m)")
    assert error_m < 2.0
    assert float(centre.range_m) == pytest.approx(LRF_DISTANCE_M, abs=1.0)


def test_laser_target_projects_back_to_the_image_centre(h20n):
    _, pose, camera = h20n
    row, col = ground_to_pixel(camera, pose, LRF_LON, LRF_LAT, LRF_ALT_M)
    # 2 m at 80 m range is 1.4° ≈ 12 px for this 500 px focal length: the target is near the centre.
    assert abs(float(row) - camera.cy_px) < 12 and abs(float(col) - camera.cx_px) < 12


def test_cli_prints_the_centre_pixel_ground_point(h20n):
    path, _, _ = h20n
    result = CliRunner().invoke(app, ["georef", str(path), "--ground-elevation", "47.0"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) >= {"lat", "lon", "elevation_m", "range_m"}
    assert GEOD.inv(answer["lon"], answer["lat"], LRF_LON, LRF_LAT)[2] < 2.0
    assert answer["elevation_m"] == pytest.approx(47.0)


def test_cli_pixel_that_sees_the_sky(shared_data):
    # DJI_H20T.jpg: gimbal pitch −10.5°, 13.5 mm on 12 µm pixels (vertical half-field 12.8°): the top row looks up.
    path = shared_data / "thermal" / "DJI_H20T.jpg"
    result = CliRunner().invoke(app, ["georef", str(path), "--ground-elevation", "0", "--pixel", "0", "320"])
    assert result.exit_code == 1
    assert "pixel (0, 320) sees the sky" in result.stderr


def test_cli_requires_exactly_one_ground(h20n):
    path, _, _ = h20n
    result = CliRunner().invoke(app, ["georef", str(path)])
    assert result.exit_code == 2
    assert "--dem" in result.output and "--ground-elevation" in result.output
