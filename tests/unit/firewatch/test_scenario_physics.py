"""Physics of the synthetic scenario checked against independent oracles (hand formulas, quadrature, pyproj)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod, Transformer
from scipy.integrate import quad
from scipy.optimize import brentq

from firewatch.scenario import ScenarioConfig
from firewatch.scenario.fires import head_to_back, length_to_breadth
from firewatch.scenario.geometry import ViewGeometry
from firewatch.scenario.radiometry import band_radiance, brightness_temperature, mixed_brightness_temperature
from firewatch.scenario.sun import solar_position
from firewatch.scenario.terrain import analytic_terrain, flat_terrain
from firewatch.scenario.truth import true_ground_point
from ingest.camera import Camera
from ingest.pose import Pose

GEOD = Geod(ellps="WGS84")


def _planck_band_quad(temperature_k: float) -> float:
    """8–14 µm band radiance by adaptive quadrature of Planck's law (W m⁻² sr⁻¹), written out independently."""
    h, c, k = 6.62607015e-34, 299792458.0, 1.380649e-23

    def spectral(wavelength_m: float) -> float:
        return 2 * h * c * c / wavelength_m**5 / math.expm1(h * c / (wavelength_m * k * temperature_k))

    return quad(spectral, 8e-6, 14e-6, epsabs=0, epsrel=1e-10)[0]


def test_band_radiance_matches_quadrature():
    for temperature in (240.0, 300.0, 600.0, 1000.0):
        assert band_radiance(temperature) == pytest.approx(_planck_band_quad(temperature), rel=1e-5)


def test_subpixel_fire_mixing_matches_hand_calculation():
    # DESIGN.md §4: 1000 K over 0.5 % of a 300 K pixel raises it by about 10 K. Oracle: quadrature + root finding.
    target = 0.995 * _planck_band_quad(300.0) + 0.005 * _planck_band_quad(1000.0)
    expected = brentq(lambda t: _planck_band_quad(t) - target, 300.0, 400.0, xtol=1e-6)
    got = float(mixed_brightness_temperature([0.005], [1000.0], 300.0))
    assert got == pytest.approx(expected, abs=0.01)
    assert 9.0 < got - 300.0 < 12.0


def test_brightness_temperature_inverts_band_radiance():
    temperatures = np.array([231.5, 288.0, 333.3, 773.15, 1150.0])
    np.testing.assert_allclose(brightness_temperature(band_radiance(temperatures)), temperatures, atol=1e-3)


def test_sun_at_local_noon_is_south_at_colatitude_plus_declination():
    # Cooper (1969) declination for 5 April (day 95): δ = 23.45° sin(360° (284 + n) / 365).
    declination = 23.45 * math.sin(math.radians(360.0 * (284 + 95) / 365.0))
    noon_utc = "2026-04-05T03:30:00Z"  # 126.98° E: mean solar noon 12:32 KST minus the ~2.5 min equation of time
    elevation, azimuth = solar_position(noon_utc, 37.66, 126.98)
    assert elevation == pytest.approx(90.0 - 37.66 + declination, abs=0.7)
    assert azimuth == pytest.approx(180.0, abs=3.0)
    afternoon = solar_position("2026-04-05T06:00:00Z", 37.66, 126.98)
    assert afternoon[0] < elevation and 200.0 < afternoon[1] < 260.0  # lower, in the south-west


def test_fire_ellipse_ratios_follow_alexander_1985():
    assert length_to_breadth(0.0) == pytest.approx(1.0)
    # Alexander (1985) table: 20 km/h gives LB ≈ 2.1 (1 + 8.729 (1 − e^−0.6)^2.155 by hand = 2.14)
    assert length_to_breadth(20.0) == pytest.approx(1.0 + 8.729 * (1.0 - math.exp(-0.6)) ** 2.155)
    lb = 2.0
    assert head_to_back(lb) == pytest.approx((2.0 + math.sqrt(3.0)) / (2.0 - math.sqrt(3.0)))


@pytest.fixture(scope="module")
def terrain():
    return analytic_terrain(7, lat_deg=37.66, lon_deg=126.98, extent_m=12000.0, cell_m=10.0)


def test_analytic_terrain_spans_bukhansan_heights(terrain):
    assert terrain.heights.max() == pytest.approx(836.0, abs=1e-6)
    assert terrain.heights.min() >= 100.0
    assert terrain.crs == "EPSG:32652"
    # Grid cells sample the analytic function at their centres.
    cx, cy = terrain.centre_xy
    assert terrain.sample(cx + 5.0, cy + 5.0) == pytest.approx(terrain.height_at(cx + 5.0, cy + 5.0), abs=1e-9)


def _flat_truth_distance(height_above_m: float, depression_deg: float) -> float:
    """Horizontal distance where a ray depressed by ``depression_deg`` meets a flat plane ``height_above_m`` below,
    with the surface dropping (1 − k) d² / 2R: the root of  h − d·tanθ + (1 − k) d² / 2R = 0."""
    c = (1.0 - 0.13) / (2.0 * 6371000.0)
    tan = math.tan(math.radians(depression_deg))
    return (tan - math.sqrt(tan * tan - 4.0 * c * height_above_m)) / (2.0 * c)


@pytest.mark.parametrize("depression_deg", [2.0, 10.0, 45.0])
def test_truth_on_flat_terrain_matches_closed_form(depression_deg):
    terrain = flat_terrain(200.0, lat_deg=37.66, lon_deg=126.98, extent_m=30000.0, cell_m=50.0)
    camera = Camera.from_fov(160, 128, hfov_deg=24.0)
    pose = Pose(37.66, 126.98, 500.0, 30.0, -depression_deg, kind="pan_tilt")
    lon, lat, elevation = true_ground_point(terrain, camera, pose, camera.cy_px, camera.cx_px)
    azimuth, _, distance = GEOD.inv(126.98, 37.66, float(lon), float(lat))
    assert distance == pytest.approx(_flat_truth_distance(300.0, depression_deg), abs=0.01)
    assert azimuth == pytest.approx(30.0, abs=1e-6)
    assert float(elevation) == pytest.approx(200.0)


def test_truth_nadir_pixel_is_directly_below(terrain):
    camera = Camera.from_fov(640, 512, hfov_deg=45.7)
    x, y = terrain.centre_xy
    lon0, lat0 = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True).transform(x - 300.0, y + 200.0)
    ground = float(terrain.height_at(x - 300.0, y + 200.0))
    pose = Pose(lat0, lon0, ground + 110.0, 75.0, -90.0)
    lon, lat, elevation = true_ground_point(terrain, camera, pose, camera.cy_px, camera.cx_px)
    _, _, offset = GEOD.inv(lon0, lat0, float(lon), float(lat))
    assert offset < 1e-3
    assert float(elevation) == pytest.approx(ground, abs=1e-6)


def test_truth_sky_and_out_of_dem_rays_are_nan(terrain):
    camera = Camera.from_fov(160, 128, hfov_deg=24.0)
    pose = Pose(37.66, 126.98, 900.0, 0.0, 10.0, kind="pan_tilt")  # looking up, above every summit
    lon, lat, elevation = true_ground_point(terrain, camera, pose, [0.0, 64.0], [0.0, 80.0])
    assert np.isnan(lon).all() and np.isnan(lat).all() and np.isnan(elevation).all()


def test_renderer_rays_agree_with_the_independent_truth(terrain):
    """The fast renderer (polynomial mapping, DEM grid, safe-step march) lands where the exact truth does."""
    camera = Camera.from_fov(640, 512, hfov_deg=24.0)
    x, y = terrain.centre_xy
    to_lonlat = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_lonlat.transform(x - 4300.0, y - 3600.0)
    pose = Pose(lat0, lon0, float(terrain.height_at(x - 4300.0, y - 3600.0)) + 20.0, 47.0, -2.1, kind="pan_tilt")
    geometry = ViewGeometry(camera, pose, terrain)
    assert geometry.mapping_residual_m < 1e-3  # cubic fit of geodesic + UTM over the whole DEM
    rows, cols = np.meshgrid(np.arange(0.0, 512.0, 64.0), np.arange(0.0, 640.0, 80.0), indexing="ij")
    cast = geometry.cast(rows, cols)
    lon, lat, elevation = true_ground_point(terrain, camera, pose, rows, cols)
    assert np.array_equal(np.isnan(cast["x"]), np.isnan(lon.ravel()))
    hit = np.isfinite(lon.ravel())
    assert hit.sum() > 20
    true_x, true_y = Transformer.from_crs("EPSG:4326", terrain.crs, always_xy=True).transform(
        lon.ravel()[hit], lat.ravel()[hit])
    assert np.max(np.hypot(cast["x"][hit] - true_x, cast["y"][hit] - true_y)) < 0.5
    assert np.max(np.abs(cast["z"][hit] - elevation.ravel()[hit])) < 0.1


def test_towers_see_every_fire_of_the_default_layout():
    """Both towers have a clear line of sight to each fire: a ray aimed at the ignition point lands on it."""
    from firewatch.scenario.layout import Site, make_false_targets, make_fires, make_towers

    config = ScenarioConfig()
    terrain = analytic_terrain(config.seed, lat_deg=37.66, lon_deg=126.98, extent_m=12000.0, cell_m=10.0)
    site = Site(terrain)
    fires = make_fires(site, config)
    towers = make_towers(site, config, fires, make_false_targets(site))
    assert len(towers) == 2 and len(fires) == 3
    camera = Camera.from_fov(64, 64, hfov_deg=2.4)
    c = (1.0 - 0.13) / (2.0 * 6371000.0)
    for tower in towers:
        for fire in fires:
            azimuth, _, distance = GEOD.inv(tower.lon_deg, tower.lat_deg, fire.lon_deg, fire.lat_deg)
            assert 5000.0 <= distance <= 15000.0
            pitch = math.degrees(math.atan2(fire.elevation_m - tower.alt_amsl_m - c * distance**2, distance))
            pose = Pose(tower.lat_deg, tower.lon_deg, tower.alt_amsl_m, azimuth, pitch, kind="pan_tilt")
            lon, lat, _ = true_ground_point(terrain, camera, pose, camera.cy_px, camera.cx_px)
            miss = GEOD.inv(fire.lon_deg, fire.lat_deg, float(lon), float(lat))[2]
            assert miss < 2.0, f"{tower.source_id} does not see {fire.fire_id} (ray lands {miss:.0f} m away)"


def test_towers_resolve_every_false_target_with_3x3_full_pixels():
    """The detector tells sun-heated plateaus from fire by size: each false target must fill a 3 × 3 pixel block."""
    from scipy.ndimage import binary_erosion

    from firewatch.scenario.layout import Site, make_false_targets, make_fires, make_towers, tower_shots
    from firewatch.scenario.render import coverage

    config = ScenarioConfig()
    terrain = analytic_terrain(config.seed, lat_deg=37.66, lon_deg=126.98, extent_m=12000.0, cell_m=10.0)
    site = Site(terrain)
    targets = make_false_targets(site)
    towers = make_towers(site, config, make_fires(site, config), targets)
    for shot in tower_shots(towers, config)[:: config.tower_sweeps]:  # one frame per tower preset
        geometry = ViewGeometry(shot.camera, shot.pose, terrain)
        for target in targets:
            found = coverage(geometry, target.polygon())
            assert found is not None, f"{shot.source_id} does not see {target.target_id}"
            full = found[2] >= 0.999
            assert binary_erosion(full, np.ones((3, 3), bool)).any(), \
                f"{shot.source_id} does not resolve {target.target_id}: {full.sum()} full pixels"
