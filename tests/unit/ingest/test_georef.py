"""Georeferencing: rays, forward projection, whole-frame interpolation accuracy, pixel area, footprint, errors.

Oracles: hand calculations (nadir geometry), exact per-pixel rays (for the interpolation), pyproj.Geod areas and
distances.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from rasterio.transform import from_origin

from firewatch.model import make_frame
from ingest.camera import Camera
from ingest.errors import MissingMetadata, TerrainError
from ingest.georef import frame_footprint, georeference, ground_to_pixel, pixel_to_ground, ray_enu
from ingest.pose import Pose
from ingest.terrain import Terrain

GEOD = pyproj.Geod(ellps="WGS84")
UTM52 = pyproj.CRS.from_epsg(32652)
LON0, LAT0 = 126.98, 37.66


def _frame(camera: Camera, pose: Pose | None, **attrs):
    return make_frame(np.full((camera.height_px, camera.width_px), 300.0, np.float32), frame_id="f1",
                      source_id="drone-1", source_kind="drone", time="2026-04-05T03:00:00Z",
                      camera=camera.to_dict(), pose=pose.to_dict() if pose else {}, **attrs)


def _ridge_terrain(noise_m: float, source: str) -> Terrain:
    """6 km × 6 km UTM 52N DEM, 10 m cells: a 250 m ridge 700 m north of the camera, a spur, 40 m undulations and
    ``noise_m`` of cell-to-cell roughness (bilinear kinks everywhere when rough)."""
    x0, y0 = pyproj.Transformer.from_crs(4326, UTM52, always_xy=True).transform(LON0, LAT0)
    n = 600
    xs = (np.arange(n) + 0.5) * 10.0 - 3000.0
    ys = 3000.0 - (np.arange(n) + 0.5) * 10.0
    xx, yy = np.meshgrid(xs, ys)
    noise = np.random.default_rng(7).normal(0.0, noise_m, (n, n))
    elevation = (300.0 + 250.0 * np.exp(-((yy - 700.0) / 250.0) ** 2)
                 + 150.0 * np.exp(-((xx + 500.0) / 300.0) ** 2) * (yy > 0)
                 + 40.0 * np.sin(xx / 170.0) * np.cos(yy / 230.0) + noise)
    return Terrain.from_array(elevation, transform=from_origin(x0 - 3000.0, y0 + 3000.0, 10.0, 10.0), crs=UTM52,
                              source=source)


@pytest.fixture(scope="module")
def rough_terrain() -> Terrain:
    return _ridge_terrain(4.0, "rough.tif")


@pytest.fixture(scope="module")
def hilly_terrain() -> Terrain:
    return _ridge_terrain(0.0, "hilly.tif")


def test_ray_enu_follows_the_pose_convention():
    camera = Camera.from_fov(65, 51, hfov_deg=40.0)
    down = ray_enu(camera, Pose(LAT0, LON0, 500.0, yaw_deg=0.0, pitch_deg=-90.0), 25, 32)
    np.testing.assert_allclose(down, [0.0, 0.0, -1.0], atol=1e-12)
    east = ray_enu(camera, Pose(LAT0, LON0, 500.0, yaw_deg=90.0, pitch_deg=0.0), 25, 32)
    np.testing.assert_allclose(east, [1.0, 0.0, 0.0], atol=1e-12)
    # Right-hand image edge of a north-looking level camera points 20° east of north.
    right = ray_enu(camera, Pose(LAT0, LON0, 500.0, yaw_deg=0.0, pitch_deg=0.0), 25, 64.5)
    assert math.degrees(math.atan2(right[0], right[1])) == pytest.approx(20.0, abs=1e-9)


def test_nadir_pixel_hits_below_and_offsets_by_hand(rough_terrain):
    """Flat ground 120 m below a nadir camera: pixel (r, c) lands (c − cx)·H/f east and (r − cy)·H/f south."""
    camera = Camera.from_fov(640, 512, hfov_deg=40.0)
    pose = Pose(LAT0, LON0, 420.0, yaw_deg=0.0, pitch_deg=-90.0)
    hits = pixel_to_ground(camera, pose, np.array([camera.cy_px, 100.0]), np.array([camera.cx_px, 500.0]),
                           Terrain.flat(300.0))
    assert hits.range_m[0] == pytest.approx(120.0, abs=1e-6)
    east = (500.0 - camera.cx_px) * 120.0 / camera.fx_px
    south = (100.0 - camera.cy_px) * 120.0 / camera.fy_px   # row < cy: north
    lon, lat, _ = GEOD.fwd(LON0, LAT0, math.degrees(math.atan2(east, -south)), math.hypot(east, south))
    assert GEOD.inv(hits.lon_deg[1], hits.lat_deg[1], lon, lat)[2] < 0.01


def test_ground_to_pixel_inverts_pixel_to_ground(rough_terrain):
    camera = Camera(320, 256, 400.0, 410.0, 160.2, 127.7, distortion=(-0.12, 0.03, 0.001, -0.0005, 0.0))
    pose = Pose(LAT0, LON0, 800.0, yaw_deg=20.0, pitch_deg=-35.0, roll_deg=3.0)
    rows, cols = np.meshgrid(np.linspace(0, 255, 9), np.linspace(0, 319, 11), indexing="ij")
    hits = pixel_to_ground(camera, pose, rows, cols, rough_terrain)
    assert hits.hit.all()
    back_r, back_c = ground_to_pixel(camera, pose, hits.lon_deg, hits.lat_deg, hits.elevation_m)
    # 0.05 m of range tolerance at ~700 m and f = 400 px is < 0.03 px; distortion iteration adds < 0.01 px.
    np.testing.assert_allclose(back_r, rows, atol=0.05)
    np.testing.assert_allclose(back_c, cols, atol=0.05)


@pytest.mark.parametrize("terrain_name", ["rough_terrain", "hilly_terrain"])
@pytest.mark.parametrize("pitch_deg, alt_agl_m", [(-45.0, 120.0), (-12.0, 250.0)])
def test_interpolated_frame_within_a_tenth_of_a_footprint_of_exact_rays(request, terrain_name, pitch_deg, alt_agl_m):
    """Every pixel of a 160×128 frame (ridge, spur, occlusion and horizon at −12°) vs its own exact ray."""
    terrain = request.getfixturevalue(terrain_name)
    camera = Camera.from_fov(160, 128, hfov_deg=45.0)
    ground = float(terrain.elevation_at(LON0, LAT0))
    pose = Pose(LAT0, LON0, ground + alt_agl_m, yaw_deg=10.0, pitch_deg=pitch_deg)
    # partial_ok: near the horizon the −12° view looks past the 6 km DEM; those pixels are NaN in both answers.
    frame = georeference(_frame(camera, pose), terrain, grid_step_px=16, partial_ok=True)
    rows, cols = np.mgrid[0:128, 0:160]
    exact = pixel_to_ground(camera, pose, rows, cols, terrain)
    hit = exact.hit
    assert hit.any()
    np.testing.assert_array_equal(np.isfinite(frame["lon"].values), hit)  # same sky/ground split
    horizontal = GEOD.inv(frame["lon"].values[hit], frame["lat"].values[hit], exact.lon_deg[hit],
                          exact.lat_deg[hit])[2]
    error_m = np.hypot(horizontal, frame["elevation"].values[hit] - exact.elevation_m[hit])
    footprint_m = np.sqrt(frame["pixel_area"].values[hit])
    assert np.all(error_m < 0.1 * footprint_m)
    info = frame.attrs["georef"]
    assert info["method"] == "dem" and info["grid_step_px"] == 16
    # The recorded bound covers the interpolated pixels; refined and marched ones are exact to millimetres.
    assert error_m.max() <= max(info["max_interp_error_m"], 0.01)
    if terrain_name == "hilly_terrain" and pitch_deg == -45.0:
        assert info["marched_fraction"] < 0.05  # continuous ground: interpolated or Newton-refined, not marched


def test_separable_interpolation_matches_scipy():
    from scipy.interpolate import RegularGridInterpolator

    from ingest._framegeo import grid_nodes, interp_weights, interpolate

    node_r, node_c = grid_nodes(100, 16), grid_nodes(150, 16)   # uneven last blocks on both axes
    values = np.random.default_rng(3).normal(size=(len(node_r), len(node_c)))
    ours = interpolate(values, interp_weights(100, node_r), interp_weights(150, node_c), node_c)
    rows, cols = np.mgrid[0:100, 0:150]
    reference = RegularGridInterpolator((node_r, node_c), values)(np.stack([rows, cols], axis=-1))
    np.testing.assert_allclose(ours, reference, atol=1e-12)


def test_pixel_area_nadir_hand_calculation():
    """Nadir over flat ground: (H/fx)·(H/fy) m² per pixel at the image centre."""
    camera = Camera(640, 512, 1125.0, 1125.0, 319.5, 255.5)
    pose = Pose(LAT0, LON0, 220.0, yaw_deg=0.0, pitch_deg=-90.0)
    frame = georeference(_frame(camera, pose), ground_elevation_m=100.0)
    expected = (120.0 / 1125.0) ** 2
    assert frame["pixel_area"].values[256, 320] == pytest.approx(expected, rel=1e-3)
    assert frame["pixel_area"].attrs["units"] == "m2"
    assert frame["lat"].attrs["units"] == "degrees_north" and frame["elevation"].attrs["units"] == "m"
    np.testing.assert_allclose(frame["elevation"].values, 100.0, atol=1e-3)
    assert frame.attrs["georef"]["method"] == "flat"


def test_pixel_area_oblique_flat_ground():
    """At depression ε the centre pixel covers (t·ifov)²/sin ε on flat ground (t = slant range)."""
    camera = Camera(641, 513, 1000.0, 1000.0, 320.0, 256.0)
    pose = Pose(LAT0, LON0, 200.0, yaw_deg=0.0, pitch_deg=-30.0)
    frame = georeference(_frame(camera, pose), ground_elevation_m=100.0)
    slant = 100.0 / math.sin(math.radians(30.0))
    expected = (slant / 1000.0) ** 2 / math.sin(math.radians(30.0))
    assert frame["pixel_area"].values[256, 320] == pytest.approx(expected, rel=2e-3)


def test_sky_frame_is_all_nan(rough_terrain):
    camera = Camera.from_fov(64, 48, hfov_deg=30.0)
    pose = Pose(LAT0, LON0, 900.0, yaw_deg=0.0, pitch_deg=40.0)
    frame = georeference(_frame(camera, pose), rough_terrain)
    assert np.isnan(frame["lat"].values).all() and np.isnan(frame["pixel_area"].values).all()
    assert frame_footprint(frame, rough_terrain) is None


def test_frame_without_pose_raises_missing_metadata():
    camera = Camera.from_fov(64, 48, hfov_deg=30.0)
    with pytest.raises(MissingMetadata, match="f1.*no pose.*sidecar JSON"):
        georeference(_frame(camera, None), ground_elevation_m=10.0)


def test_dem_not_covering_the_frame_names_dem_frame_and_extent(rough_terrain):
    camera = Camera.from_fov(64, 48, hfov_deg=30.0)
    far_away = Pose(LAT0 + 0.2, LON0, 600.0, yaw_deg=0.0, pitch_deg=-45.0)
    with pytest.raises(TerrainError) as info:
        georeference(_frame(camera, far_away, path="/data/f1.tif"), rough_terrain)
    message = str(info.value)
    assert "rough.tif" in message and "f1" in message and "--ground-elevation" in message
    assert "covers (west, south, east, north)" in message and "needs about" in message
    # With partial_ok the uncovered pixels are NaN and counted.
    partial = georeference(_frame(camera, far_away), rough_terrain, partial_ok=True)
    assert np.isnan(partial["lat"].values).all() and partial.attrs["georef"]["uncovered_fraction"] == 1.0


def test_terrain_choice_errors():
    camera = Camera.from_fov(64, 48, hfov_deg=30.0)
    frame = _frame(camera, Pose(LAT0, LON0, 600.0, yaw_deg=0.0, pitch_deg=-45.0))
    with pytest.raises(TerrainError, match="--ground-elevation"):
        georeference(frame)
    with pytest.raises(TerrainError, match="choose one"):
        georeference(frame, Terrain.flat(10.0), ground_elevation_m=10.0)
    wrong_size = _frame(Camera.from_fov(64, 48, hfov_deg=30.0), Pose(LAT0, LON0, 600.0, yaw_deg=0, pitch_deg=-45))
    wrong_size.attrs["camera"] = Camera.from_fov(640, 512, hfov_deg=30.0).to_dict()
    with pytest.raises(MissingMetadata, match="640×512 px but the image is 64×48"):
        georeference(wrong_size, ground_elevation_m=10.0)


def test_footprint_nadir_area_and_orientation():
    """Nadir rectangle 2H·tan(hfov/2) × 2H·tan(vfov/2) (pixel-centre extent); Geod area > 0 means counter-clockwise."""
    camera = Camera.from_fov(640, 512, hfov_deg=40.0)
    pose = Pose(LAT0, LON0, 220.0, yaw_deg=30.0, pitch_deg=-90.0)
    footprint = frame_footprint((camera, pose), Terrain.flat(100.0))
    assert footprint["type"] == "Polygon"
    ring = np.array(footprint["coordinates"][0])
    area, _ = GEOD.polygon_area_perimeter(ring[:, 0], ring[:, 1])
    width = 120.0 * 639 / camera.fx_px   # pixel centres 0..639
    height = 120.0 * 511 / camera.fy_px
    assert area == pytest.approx(width * height, rel=1e-3)
    assert ring[0].tolist() == ring[-1].tolist()


def test_footprint_is_clipped_at_the_horizon():
    camera = Camera.from_fov(640, 512, hfov_deg=40.0)
    pose = Pose(LAT0, LON0, 150.0, yaw_deg=0.0, pitch_deg=0.0)   # half the image sees the sky
    footprint = frame_footprint((camera, pose), Terrain.flat(100.0))
    ring = np.array(footprint["coordinates"][0])
    distances = GEOD.inv(np.full(len(ring), LON0), np.full(len(ring), LAT0), ring[:, 0], ring[:, 1])[2]
    # Flat ground at 50 m below: the farthest visible ground is at the horizon row, well inside 30 km but far.
    assert distances.max() > 5_000.0
    # Nearest ground: bottom-centre pixel, depression atan((511 − cy)/fy) → 50·fy/(511 − cy) metres away.
    assert distances.min() == pytest.approx(50.0 * camera.fy_px / (511 - camera.cy_px), rel=0.01)
    assert GEOD.polygon_area_perimeter(ring[:, 0], ring[:, 1])[0] > 0.0


def test_distorted_camera_frame_matches_exact_rays(hilly_terrain):
    """Brown–Conrady lens: the per-pixel undistorted grid path agrees with exact rays at every pixel."""
    camera = Camera(96, 80, 110.0, 112.0, 47.3, 40.1, distortion=(-0.25, 0.08, 0.001, -0.002, 0.0))
    ground = float(hilly_terrain.elevation_at(LON0, LAT0))
    pose = Pose(LAT0, LON0, ground + 150.0, yaw_deg=200.0, pitch_deg=-50.0, roll_deg=4.0)
    frame = georeference(_frame(camera, pose), hilly_terrain, grid_step_px=8)
    rows, cols = np.mgrid[0:80, 0:96]
    exact = pixel_to_ground(camera, pose, rows, cols, hilly_terrain)
    assert exact.hit.all()
    horizontal = GEOD.inv(frame["lon"].values.ravel(), frame["lat"].values.ravel(), exact.lon_deg.ravel(),
                          exact.lat_deg.ravel())[2]
    footprint = np.sqrt(frame["pixel_area"].values.ravel())
    assert np.all(horizontal < 0.1 * footprint)


def test_a_camera_below_the_ground_is_an_invalid_pose_not_a_dem_problem():
    from ingest.camera import Camera
    from ingest.errors import InvalidPose
    from ingest.georef import pixel_to_ground
    from ingest.pose import Pose
    from ingest.terrain import Terrain

    camera = Camera.from_fov(64, 48, hfov_deg=40.0)
    pose = Pose(37.66, 126.98, 40.0, 0.0, -45.0)  # 40 m AMSL: the take-off-relative height given as AMSL
    with pytest.raises(InvalidPose, match="below the ground.*sidecar"):
        pixel_to_ground(camera, pose, 24, 32, Terrain.flat(120.0))
    assert pixel_to_ground(camera, pose, 24, 32, Terrain.flat(35.0)).hit  # above the ground: fine


@pytest.mark.parametrize("depression_deg, along_m", [(45.0, 4.19), (30.0, 8.38), (15.0, 31.3)])
def test_location_uncertainty_follows_the_design_error_budget(depression_deg, along_m):
    """DESIGN.md §4: 1° of pointing error at 120 m above ground costs 4 m at 45°, 8 m at 30°, 31 m at 15° along the
    line of sight; across it, the horizontal distance × 1°."""
    import math

    from pyproj import Geod

    from ingest.georef import location_uncertainty_m
    from ingest.pose import Pose

    distance_m = 120.0 / math.tan(math.radians(depression_deg))
    lon, lat, _ = Geod(ellps="WGS84").fwd(126.98, 37.66, 0.0, distance_m)
    pose = Pose(37.66, 126.98, 220.0, 0.0, -depression_deg)  # a drone gimbal: 1° pointing error
    across_m = distance_m * math.radians(1.0)
    expected = math.hypot(along_m, across_m)
    assert location_uncertainty_m(pose, [lon], [lat], [100.0]) == pytest.approx(expected, rel=0.01)
