"""Terrain: DEM loading and sampling, ray–terrain intersection (curvature, convergence, occlusion, sky, CRSs).

Expected values come from hand calculations, exact line–sphere geometry, rasterio reading the files back, and an
independent scalar root finder built on pyproj.Geod (not on the code under test).
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy.optimize import brentq

from ingest.errors import TerrainError
from ingest.terrain import Terrain, intersect_rays, ray_height_m

GEOD = pyproj.Geod(ellps="WGS84")
UTM52 = pyproj.CRS.from_epsg(32652)
# Bukhansan, Seoul: 2° west of the UTM 52N central meridian, grid north is 1.23° off true north.
BUKHANSAN = (126.98, 37.66)


def _enu(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])


def _utm_grid_around(lon: float, lat: float, half_size_m: float, cell_m: float):
    """(transform, x_centres, y_centres) of a UTM 52N grid centred on lon/lat."""
    x0, y0 = pyproj.Transformer.from_crs(4326, UTM52, always_xy=True).transform(lon, lat)
    n = int(round(2 * half_size_m / cell_m))
    west, north = x0 - half_size_m, y0 + half_size_m
    xs = west + (np.arange(n) + 0.5) * cell_m
    ys = north - (np.arange(n) + 0.5) * cell_m
    return from_origin(west, north, cell_m, cell_m), xs, ys


# --------------------------------------------------------------------------- loading and sampling
def test_bilinear_sampling_matches_hand_calculation():
    # 3×3 cells of 10 m; centres at x = 5, 15, 25 and y = 25, 15, 5.
    elevation = np.array([[0.0, 10.0, 20.0], [30.0, 40.0, 50.0], [60.0, 70.0, 80.0]])
    terrain = Terrain.from_array(elevation, transform=from_origin(0.0, 30.0, 10.0, 10.0), crs=UTM52)
    # (x=10, y=20) is halfway between centres (5,25),(15,25),(5,15),(15,15): mean of 0, 10, 30, 40 = 20.
    assert terrain.elevation_at_xy(10.0, 20.0) == pytest.approx(20.0)
    # (x=7.5, y=25): a quarter of the way from 0 to 10 along the top row.
    assert terrain.elevation_at_xy(7.5, 25.0) == pytest.approx(2.5)
    # The half cell outside the outermost centres is covered (edge value); beyond the raster is NaN.
    assert terrain.elevation_at_xy(1.0, 29.0) == pytest.approx(0.0)
    assert np.isnan(terrain.elevation_at_xy(-0.1, 20.0))
    assert np.isnan(terrain.elevation_at_xy(10.0, 30.5))
    assert terrain.resolution_m == 10.0


def test_elevation_at_lonlat_broadcasts_and_covers(tmp_path):
    transform, xs, ys = _utm_grid_around(*BUKHANSAN, 500.0, 10.0)
    xx, yy = np.meshgrid(xs, ys)
    terrain = Terrain.from_array(100.0 + 0.01 * (xx - xs[0]) + 0.02 * (yy - ys[-1]), transform=transform, crs=UTM52)
    lon, lat = BUKHANSAN
    # A plane is reproduced exactly by bilinear interpolation: compare with the plane at the UTM position.
    x, y = pyproj.Transformer.from_crs(4326, UTM52, always_xy=True).transform(lon, lat)
    expected = 100.0 + 0.01 * (x - xs[0]) + 0.02 * (y - ys[-1])
    out = terrain.elevation_at(np.array([lon, lon + 0.001]), lat)
    assert out.shape == (2,)
    assert out[0] == pytest.approx(expected, abs=1e-6)
    assert terrain.covers(lon, lat) and not terrain.covers(lon + 0.1, lat)
    # The DEM is a 1 km UTM square turned by the meridian convergence: its lon/lat box is spanned by its corners.
    corner_x = [xs[0] - 5.0, xs[-1] + 5.0, xs[-1] + 5.0, xs[0] - 5.0]
    corner_y = [ys[0] + 5.0, ys[0] + 5.0, ys[-1] - 5.0, ys[-1] - 5.0]
    corner_lon, corner_lat = pyproj.Transformer.from_crs(UTM52, 4326, always_xy=True).transform(corner_x, corner_y)
    expected_box = (min(corner_lon), min(corner_lat), max(corner_lon), max(corner_lat))
    np.testing.assert_allclose(terrain.bounds_lonlat(), expected_box, atol=1e-7)


def test_geotiff_round_trip_read_back_by_rasterio(tmp_path):
    transform, xs, ys = _utm_grid_around(*BUKHANSAN, 200.0, 20.0)
    elevation = np.arange(400, dtype=np.float64).reshape(20, 20)
    elevation[3, 4] = np.nan
    path = tmp_path / "dem.tif"
    Terrain.from_array(elevation, transform=transform, crs=UTM52).to_geotiff(path)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32652
        assert src.transform == transform
        data = src.read(1)
        assert np.isnan(data[3, 4]) and data[5, 6] == 106.0
    loaded = Terrain.from_geotiff(path)
    assert loaded.crs.to_epsg() == 32652  # already a local metric CRS: kept, not resampled
    np.testing.assert_array_equal(loaded.elevation, elevation)


def test_flat_terrain():
    flat = Terrain.flat(47.0)
    np.testing.assert_array_equal(flat.elevation_at([0.0, 120.0], [10.0, -30.0]), [47.0, 47.0])
    assert flat.crs is None and flat.resolution_m == math.inf
    assert flat.bounds_lonlat() == (-180.0, -90.0, 180.0, 90.0)
    assert flat.covers(126.9, 37.5)
    with pytest.raises(TerrainError, match="cannot be written"):
        flat.to_geotiff("/tmp/never.tif")


def test_corrupt_dem_raises_terrain_error_naming_file(tmp_path):
    path = tmp_path / "broken_dem.tif"
    path.write_bytes(b"II*\x00" + b"\x00garbage" * 20)
    with pytest.raises(TerrainError, match="broken_dem.tif"):
        Terrain.from_geotiff(path)


def test_dem_without_crs_raises(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=from_origin(0, 4, 1, 1)) as dst:
        dst.write(np.ones((4, 4), np.float32), 1)
    with pytest.raises(TerrainError, match="nocrs.tif.*no coordinate reference system"):
        Terrain.from_geotiff(path)


def test_undeclared_nodata_is_rejected(tmp_path):
    transform, _, _ = _utm_grid_around(*BUKHANSAN, 40.0, 10.0)
    elevation = np.full((8, 8), 120.0)
    elevation[0, 0] = -32768.0
    with pytest.raises(TerrainError, match="-32768.*nodata"):
        Terrain.from_array(elevation, transform=transform, crs=UTM52)


def test_from_array_rejects_geographic_crs():
    with pytest.raises(TerrainError, match="not projected"):
        Terrain.from_array(np.zeros((3, 3)), transform=from_origin(126, 38, 0.001, 0.001), crs=4326)


# --------------------------------------------------------------------------- intersection physics
def test_curvature_matches_exact_line_sphere_geometry():
    """A ray aimed at 10 km on a flat earth lands ~939 m farther on a sphere; exact 3-D geometry is the oracle."""
    height_m = 100.0
    depression = math.atan(height_m / 10_000.0)
    ground = 200.0
    for k in (0.0, 0.13):
        radius = 6_371_000.0 / (1.0 - k)  # refraction = a larger effective earth
        # Exact: camera at (0, R + H), ray (cos, -sin); |p| = R + 0 solves a quadratic in t.
        b = -2.0 * (radius + height_m) * math.sin(depression)
        c = (radius + height_m) ** 2 - radius ** 2
        t_exact = (-b - math.sqrt(b * b - 4.0 * c)) / 2.0
        hits = intersect_rays(Terrain.flat(ground), lon_deg=BUKHANSAN[0], lat_deg=BUKHANSAN[1],
                              alt_amsl_m=ground + height_m, directions_enu=_enu(30.0, -math.degrees(depression)),
                              refraction_k=k)
        assert hits.range_m[0] == pytest.approx(t_exact, abs=0.5)
        assert hits.range_m[0] - 10_000.0 / math.cos(depression) > 300.0  # curvature matters at this range
    # The textbook number: a level line of sight is 7.85 m above the earth at 10 km (10 000² / 2R), 6.83 m with k.
    assert ray_height_m(0.0, 10_000.0, 0.0, 1.0, refraction_k=0.0) == pytest.approx(7.848, abs=0.001)
    assert ray_height_m(0.0, 10_000.0, 0.0, 1.0) == pytest.approx(7.848 * 0.87, abs=0.001)


def test_curvature_on_dem_matches_flat_closed_form():
    """Marching through a flat DEM reproduces the closed-form flat-ground answer at 10 km."""
    transform, _, _ = _utm_grid_around(*BUKHANSAN, 15_000.0, 100.0)
    dem = Terrain.from_array(np.full((300, 300), 200.0), transform=transform, crs=UTM52)
    direction = _enu(75.0, -math.degrees(math.atan(0.01)))
    kwargs = dict(lon_deg=BUKHANSAN[0], lat_deg=BUKHANSAN[1], alt_amsl_m=300.0, directions_enu=direction)
    on_dem = intersect_rays(dem, **kwargs)
    closed = intersect_rays(Terrain.flat(200.0), **kwargs)
    assert on_dem.range_m[0] == pytest.approx(closed.range_m[0], abs=0.05)
    assert GEOD.inv(on_dem.lon_deg[0], on_dem.lat_deg[0], closed.lon_deg[0], closed.lat_deg[0])[2] < 0.05


@pytest.mark.parametrize("azimuths_deg", [[0.0], [35.0], [120.0], [300.0], list(np.arange(0.0, 360.0, 5.0))],
                         ids=["0", "35", "120", "300", "batch-of-72"])
def test_meridian_convergence_against_geod_oracle(azimuths_deg):
    """A tilted plane in UTM 52N seen from 12 km: each hit agrees with a scalar Geod-based root finder < 0.5 m.

    The plane rises 5 % to the grid east and 3 % to the grid north, so a track rotated by the 1.23° meridian
    convergence (250 m at 12 km) would change the ground height under the ray by metres and miss by tens of metres.
    Single rays follow exact geodesics; the batch of 72 goes through the fitted local map (ingest._raymarch).
    """
    lon0, lat0 = BUKHANSAN
    transform, xs, ys = _utm_grid_around(lon0, lat0, 16_000.0, 50.0)
    x0, y0 = pyproj.Transformer.from_crs(4326, UTM52, always_xy=True).transform(lon0, lat0)
    xx, yy = np.meshgrid(xs, ys)

    def plane(x, y):
        return 1500.0 + 0.05 * (x - x0) + 0.03 * (y - y0)

    dem = Terrain.from_array(plane(xx, yy), transform=transform, crs=UTM52)
    alt = 3000.0
    k, radius = 0.13, 6_371_000.0
    to_utm = pyproj.Transformer.from_crs(4326, UTM52, always_xy=True)

    def ground_at(azimuth_deg, distance_m):
        lon, lat, _ = GEOD.fwd(lon0, lat0, azimuth_deg, distance_m)
        return plane(*to_utm.transform(lon, lat))

    # Aim at the plane point 12 km away along each geodesic: height difference plus curvature drop.
    d_aim = 12_000.0
    tan_el = [(ground_at(az, d_aim) - alt - (1 - k) * d_aim ** 2 / (2 * radius)) / d_aim for az in azimuths_deg]
    rays = np.stack([_enu(az, math.degrees(math.atan(te))) for az, te in zip(azimuths_deg, tan_el)])
    hits = intersect_rays(dem, lon_deg=lon0, lat_deg=lat0, alt_amsl_m=alt, directions_enu=rays, refraction_k=k)
    for i, (az, te) in enumerate(zip(azimuths_deg, tan_el)):
        # Oracle: the first distance where the ray height equals the plane height along the geodesic.
        d_true = brentq(lambda d: alt + d * te + (1 - k) * d * d / (2 * radius) - ground_at(az, d), 100.0,
                        d_aim + 50.0)
        lon_true, lat_true, _ = GEOD.fwd(lon0, lat0, az, d_true)
        assert d_true == pytest.approx(d_aim, abs=1.0)
        assert GEOD.inv(hits.lon_deg[i], hits.lat_deg[i], lon_true, lat_true)[2] < 0.5, az
        assert hits.elevation_m[i] == pytest.approx(ground_at(az, d_true), abs=0.1)


def test_ridge_occludes_the_valley_behind_it():
    """Camera at 500 m, a 400 m ridge 1 km north, a 0 m valley beyond: the ray aimed at the valley at 3 km stops on
    the ridge (at 1 km the ray is at 500 − 500/3 = 333 m, below the crest)."""
    lon0, lat0 = BUKHANSAN
    transform, xs, ys = _utm_grid_around(lon0, lat0, 5_000.0, 10.0)
    _, y0 = pyproj.Transformer.from_crs(4326, UTM52, always_xy=True).transform(lon0, lat0)
    yy = np.broadcast_to(ys[:, None], (ys.size, xs.size))
    ridge = 400.0 * np.clip(1.0 - np.abs(yy - (y0 + 1000.0)) / 150.0, 0.0, None)  # crest 1 km north, 300 m wide
    dem = Terrain.from_array(ridge, transform=transform, crs=UTM52)
    to_valley = _enu(0.0, -math.degrees(math.atan(500.0 / 3000.0)))
    over_ridge = _enu(0.0, -math.degrees(math.atan(50.0 / 3000.0)))
    hits = intersect_rays(dem, lon_deg=lon0, lat_deg=lat0, alt_amsl_m=500.0,
                          directions_enu=np.stack([to_valley, over_ridge]))
    # Hand calculation: ray h = 500 − t_h/6 meets the near flank 400·(1 − (1000 − t_h)/150) at t_h = 976.5 m
    # (grid north is 1.2° off the ray's true north: +0.2 m; curvature at 1 km: +0.07 m of height, −0.02 m).
    horizontal = hits.range_m * np.cos(np.arctan(np.array([500.0 / 3000.0, 50.0 / 3000.0])))
    assert horizontal[0] == pytest.approx(976.5, abs=0.5)
    assert hits.elevation_m[0] > 300.0
    # The ray passing 17 m over the crest hits the valley floor far behind it (flat earth: 30 km, curvature: sky).
    assert not hits.hit[1] or horizontal[1] > 1200.0


def test_sky_and_uncovered_rays():
    transform, _, _ = _utm_grid_around(*BUKHANSAN, 1_000.0, 10.0)
    dem = Terrain.from_array(np.full((200, 200), 100.0), transform=transform, crs=UTM52)
    rays = np.stack([_enu(0.0, 10.0), _enu(0.0, 0.0), _enu(90.0, -1.0), _enu(0.0, -90.0)])
    hits = intersect_rays(dem, lon_deg=BUKHANSAN[0], lat_deg=BUKHANSAN[1], alt_amsl_m=150.0, directions_enu=rays)
    # Upwards and level: sky (NaN, known). 1° down from 50 m up meets flat ground at 2.86 km: outside the 1 km DEM.
    assert np.isnan(hits.range_m[:3]).all() and np.isnan(hits.lon_deg[:3]).all()
    assert hits.uncovered.tolist() == [False, False, True, False]
    assert hits.range_m[3] == pytest.approx(50.0, abs=0.05)
    # Flat ground never is uncovered; past max_range is sky.
    flat = intersect_rays(Terrain.flat(100.0), lon_deg=BUKHANSAN[0], lat_deg=BUKHANSAN[1], alt_amsl_m=150.0,
                          directions_enu=rays, max_range_m=2_000.0)
    assert not flat.uncovered.any() and np.isnan(flat.range_m[:3]).all()


def _gaussian_hill(lon, lat):
    """Analytic terrain: a 150 m Gaussian hill (σ = 800 m) on a 200 m plain near Bukhansan."""
    east = (lon - 126.985) * 111_320.0 * math.cos(math.radians(37.66))
    north = (lat - 37.665) * 110_950.0
    return 200.0 + 150.0 * np.exp(-(east ** 2 + north ** 2) / (2 * 800.0 ** 2))


def _write_dem(path, crs, west, north, cell, n_cols, n_rows):
    transform = from_origin(west, north, cell, cell)
    cols, rows = np.meshgrid(np.arange(n_cols) + 0.5, np.arange(n_rows) + 0.5)
    x, y = west + cols * cell, north - rows * cell
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    with rasterio.open(path, "w", driver="GTiff", width=n_cols, height=n_rows, count=1, dtype="float32",
                       crs=pyproj.CRS.from_user_input(crs).to_wkt(), transform=transform, nodata=-9999.0) as dst:
        dst.write(_gaussian_hill(lon, lat).astype(np.float32), 1)


def test_dem_in_other_crs_gives_the_same_hits(tmp_path):
    """The same analytic hill as a UTM 52N, EPSG:4326 and EPSG:5186 GeoTIFF: hits agree within 0.5 m."""
    lon0, lat0 = 126.985, 37.665
    paths = {}
    for name, crs in (("utm", 32652), ("korea", 5186)):
        x0, y0 = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon0, lat0)
        paths[name] = tmp_path / f"{name}.tif"
        _write_dem(paths[name], crs, x0 - 3000.0, y0 + 3000.0, 10.0, 600, 600)
    paths["wgs84"] = tmp_path / "wgs84.tif"
    _write_dem(paths["wgs84"], 4326, lon0 - 0.036, lat0 + 0.028, 0.0001, 720, 560)
    terrains = {name: Terrain.from_geotiff(path) for name, path in paths.items()}
    terrains["utm_as_korea"] = Terrain.from_geotiff(paths["utm"], dst_crs="EPSG:5186")  # forced reprojection
    assert terrains["utm_as_korea"].crs.to_epsg() == 5186
    assert terrains["wgs84"].crs.to_epsg() == 32652  # geographic → reprojected to the UTM zone of the centre
    assert terrains["korea"].crs.to_epsg() == 5186   # already local metric → kept
    # A drone 300 m above the plain, 1.2 km south-west of the summit, looking all around (108 rays: the batch path).
    camera = GEOD.fwd(lon0, lat0, 225.0, 1200.0)[:2]
    rays = np.stack([_enu(az, el) for az in np.arange(0.0, 360.0, 10.0) for el in (-10.0, -20.0, -45.0)])
    results = {name: intersect_rays(t, lon_deg=camera[0], lat_deg=camera[1], alt_amsl_m=500.0, directions_enu=rays)
               for name, t in terrains.items()}
    reference = results["utm"]
    assert reference.hit.all()
    for name in ("korea", "wgs84", "utm_as_korea"):
        other = results[name]
        dist = GEOD.inv(reference.lon_deg, reference.lat_deg, other.lon_deg, other.lat_deg)[2]
        assert np.max(dist) < 0.5, name
        assert np.max(np.abs(reference.elevation_m - other.elevation_m)) < 0.5, name
    # And all agree with the analytic hill itself.
    np.testing.assert_allclose(reference.elevation_m, _gaussian_hill(reference.lon_deg, reference.lat_deg), atol=0.2)
