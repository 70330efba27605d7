"""Issue 7 acceptance, geometry part: two towers 5–15 km from a fire, bearings from real pixels.

The synthetic scenario's towers (two ridge-top masts ~9 km apart, 20 m masts, 0.65 mrad lens) look at ground
points 5–15 km away on the scenario's massif. Each camera's pixel of the point comes from the exact projection
(:func:`ingest.georef.ground_to_pixel` with the true pose) plus a centroid error uniform within ±0.5 pixel; the
reported pose carries a pan calibration error (normal, σ 0.05°) and a **tilt error of +0.1°**. Triangulation uses the
bearings of the reported poses; the single-camera alternative intersects the same pixel's ray with the DEM
(:func:`ingest.georef.pixel_to_ground`). Errors are geodesic distances (pyproj) to the true point. Measured (seed
11): 40 targets, crossing 22–87°: median 12.2 m, p90 41.9 m, p95 42.9 m, max 71.7 m (stated 1-σ semi-major median
15 m); single-camera DEM with 0.1° tilt error: median 365 m, p90 1033 m, max 1445 m.
"""

from __future__ import annotations

import affine
import numpy as np
import pytest
from pyproj import Geod, Transformer

from detection.triangulate import Bearing, bearing_sigma_deg, dem_uncertainty_m, triangulate
from firewatch.bearings import DEFAULT_CALIBRATION_SIGMA_DEG
from firewatch.scenario.layout import MAST_HEIGHT_M, TOWER_IFOV_DEG, TOWERS
from firewatch.scenario.terrain import SCENE_CRS, analytic_terrain
from ingest.camera import Camera
from ingest.georef import ground_to_pixel, pixel_to_ground, ray_enu
from ingest.pose import Pose
from ingest.terrain import Terrain

_GEOD = Geod(ellps="WGS84")
TILT_ERROR_DEG = 0.1


@pytest.fixture(scope="module")
def geometry():
    """Scenario massif (32 km square, 40 m cells), the two scenario towers and candidate targets 5–15 km away."""
    scene = analytic_terrain(7, lat_deg=37.66, lon_deg=126.98, extent_m=32000.0, cell_m=40.0)
    terrain = Terrain.from_array(scene.heights, transform=affine.Affine(scene.cell_m, 0, scene.west, 0,
                                                                        -scene.cell_m, scene.north), crs=SCENE_CRS)
    to_lonlat = Transformer.from_crs(SCENE_CRS, "EPSG:4326", always_xy=True)
    cx, cy = scene.centre_xy
    towers = []
    for _, dx, dy in TOWERS:
        lon, lat = to_lonlat.transform(cx + dx, cy + dy)
        towers.append((lon, lat, float(terrain.elevation_at(lon, lat)) + MAST_HEIGHT_M))
    xs, ys = np.meshgrid(np.arange(-15000.0, 15001.0, 1250.0), np.arange(-15000.0, 15001.0, 1250.0))
    lons, lats = to_lonlat.transform(cx + xs.ravel(), cy + ys.ravel())
    return terrain, towers, np.asarray(lons), np.asarray(lats)


def _experiment(terrain, towers, lons, lats, seed=11):
    rng = np.random.default_rng(seed)
    camera = Camera.from_fov(640, 512, hfov_deg=TOWER_IFOV_DEG * 640)
    sigma_deg = bearing_sigma_deg(TOWER_IFOV_DEG, DEFAULT_CALIBRATION_SIGMA_DEG)
    rows, fallbacks = [], []
    for lon, lat in zip(lons, lats):
        elevation = float(terrain.elevation_at(lon, lat))
        ranges = [_GEOD.inv(t[0], t[1], lon, lat)[2] for t in towers]
        if not all(5000.0 <= r <= 15000.0 for r in ranges):
            continue
        bearings, dem_errors, ok = [], [], True
        for (tlon, tlat, talt), range_m in zip(towers, ranges):
            azimuth = _GEOD.inv(tlon, tlat, lon, lat)[0] % 360.0
            look = np.degrees(np.arctan2(elevation - talt, range_m))
            # aim so the point is somewhere in the frame, not always at its centre
            true_pose = Pose(tlat, tlon, talt, azimuth + rng.uniform(-4, 4), look + rng.uniform(-3, 3), 0.0,
                             kind="pan_tilt")
            row, col = ground_to_pixel(camera, true_pose, lon, lat, elevation)
            row, col = float(row) + rng.uniform(-0.5, 0.5), float(col) + rng.uniform(-0.5, 0.5)
            # line of sight: the exact ray of the true pose must land on the point
            hit = pixel_to_ground(camera, true_pose, np.array([float(row)]), np.array([float(col)]), terrain)
            if not np.isfinite(hit.lon_deg[0]) or _GEOD.inv(hit.lon_deg[0], hit.lat_deg[0], lon, lat)[2] > 60.0:
                ok = False
                break
            reported = Pose(tlat, tlon, talt, true_pose.yaw_deg + rng.normal(0.0, DEFAULT_CALIBRATION_SIGMA_DEG),
                            true_pose.pitch_deg + TILT_ERROR_DEG, 0.0, kind="pan_tilt")
            east, north, up = ray_enu(camera, reported, row, col)
            bearings.append(Bearing(tlat, tlon, talt, float(np.degrees(np.arctan2(east, north)) % 360.0),
                                    float(np.degrees(np.arcsin(up))), sigma_deg))
            dem = pixel_to_ground(camera, reported, np.array([row]), np.array([col]), terrain)
            dem_errors.append(_GEOD.inv(dem.lon_deg[0], dem.lat_deg[0], lon, lat)[2]
                              if np.isfinite(dem.lon_deg[0]) else np.inf)
        if not ok:
            continue
        fix, reason = triangulate(bearings)
        if fix is None:
            fallbacks.append((ranges, reason, bearings, dem_errors))
            continue
        error = _GEOD.inv(fix.lon_deg, fix.lat_deg, lon, lat)[2]
        rows.append((min(ranges), max(ranges), fix.crossing_deg, error, fix.semi_major_m, *dem_errors))
    return np.array(rows), fallbacks


@pytest.mark.slow
def test_two_towers_fix_under_50_m_at_5_to_15_km_and_beat_dem_with_tilt_error(geometry):
    table, fallbacks = _experiment(*geometry)
    assert len(table) >= 20, f"only {len(table)} targets visible from both towers at 5-15 km"
    error, sigma = table[:, 3], table[:, 4]
    dem = table[:, 5:].ravel()
    pct = lambda v, q: float(np.percentile(v, q))  # noqa: E731
    print(f"\n{len(table)} targets, ranges {table[:, 0].min() / 1000:.1f}–{table[:, 1].max() / 1000:.1f} km, crossing "
          f"{table[:, 2].min():.0f}–{table[:, 2].max():.0f}°")
    print(f"triangulation error m: median {pct(error, 50):.1f}, p90 {pct(error, 90):.1f}, p95 {pct(error, 95):.1f}, "
          f"max {error.max():.1f}; stated 1-σ semi-major median {pct(sigma, 50):.1f}")
    finite = dem[np.isfinite(dem)]
    print(f"single-camera DEM error with {TILT_ERROR_DEG}° tilt error m: median {pct(finite, 50):.0f}, "
          f"p90 {pct(finite, 90):.0f}, max {finite.max():.0f}; {np.sum(~np.isfinite(dem))} rays missed the ground")
    print(f"{len(fallbacks)} targets fell back to the DEM: " + "; ".join(sorted({r for _, r, _, _ in fallbacks})))
    # Acceptance: fix error under 50 m at 5-15 km for 95 % of targets. The tail is the pan calibration error
    # (σ 0.05°) amplified by 1/sin γ at the longest ranges and narrowest crossings: ≈ 15 km × 0.05° / sin 25° = 31 m
    # per σ, so a 2σ pan error there costs ~60-70 m; the stated ellipse covers it (checked below).
    assert pct(error, 95) < 50.0
    assert pct(error, 50) < 20.0
    assert pct(finite, 50) > 5.0 * pct(error, 50)
    # the stated ellipse is honest: errors mostly within 3 σ (the tilt error barely reaches the azimuths)
    assert np.mean(error <= 3.0 * sigma) >= 0.9
    # degenerate geometry falls back, says why and states the single-camera uncertainty
    assert fallbacks, "the target grid should include points near the baseline's extension"
    for ranges, reason, bearings, dem_errors in fallbacks:
        assert "nearly parallel" in reason
        for bearing, range_m, dem_error in zip(bearings, ranges, dem_errors):
            stated = dem_uncertainty_m(range_m, bearing.elevation_deg, bearing.sigma_deg)
            assert stated > 3 * bearing.sigma_deg * np.pi / 180 * range_m  # far worse than a bearing's cross-range
            if np.isfinite(dem_error):
                assert dem_error <= 3.0 * stated + 60.0  # 60 m: one DEM cell of relief plus the centroid error
