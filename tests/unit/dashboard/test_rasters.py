"""dashboard.rasters: hillshade against hand calculations, colour ramp, overlay placement, thumbnails."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from dashboard.errors import LayerDataError
from dashboard.rasters import colourize, dem_hillshade_overlay, frame_thumbnail, hillshade, thermal_overlay


def _plane(gx: float, gy: float, cell_m: float = 10.0, n: int = 7) -> np.ndarray:
    """z = gx·east + gy·north on a north-up grid (row 0 = north)."""
    rows, cols = np.mgrid[0:n, 0:n]
    return gx * cols * cell_m + gy * (n - 1 - rows) * cell_m


def test_hillshade_of_a_north_rising_plane():
    # slope = atan(0.5) = 26.565°, facing south (aspect 180°); sun az 315°, alt 45° (zenith 45°):
    # cos45·cos26.565 + sin45·sin26.565·cos(315−180) = 0.63246 − 0.22361 = 0.40885
    shade = hillshade(_plane(0.0, 0.5), cell_x_m=10.0, cell_y_m=10.0)
    assert shade[3, 3] == pytest.approx(0.40885, abs=1e-4)
    assert np.isnan(shade[0, 0])  # edge cells have no 3×3 neighbourhood


def test_hillshade_of_a_plane_facing_the_sun():
    # rises to the south-east at |grad| = 0.7071 → slope 35.264°, facing north-west (315°) = toward the sun:
    # shade = cos(zenith − slope) = cos(45° − 35.264°) = 0.98559
    shade = hillshade(_plane(0.5, -0.5), cell_x_m=10.0, cell_y_m=10.0)
    assert shade[2, 4] == pytest.approx(math.cos(math.radians(45 - 35.2644)), abs=1e-4)


def test_hillshade_rejects_tiny_grids():
    with pytest.raises(LayerDataError, match="3×3"):
        hillshade(np.zeros((2, 5)), cell_x_m=1, cell_y_m=1)


def test_colourize_ends_middle_and_nan():
    rgba = colourize(np.array([[-10.0, 200.0, np.nan, 95.0, 500.0]]), -10.0, 200.0)
    assert tuple(rgba[0, 0]) == (0, 0, 4, 255)          # first inferno stop
    assert tuple(rgba[0, 1]) == (252, 255, 164, 255)    # last stop
    assert rgba[0, 2, 3] == 0                            # NaN is transparent
    assert tuple(rgba[0, 3]) == (186, 54, 85, 255)       # 95 °C is the middle stop (index 4 of 0..8)
    assert tuple(rgba[0, 4]) == (252, 255, 164, 255)    # above the range: top colour


def _write_utm_tiff(path: Path, data: np.ndarray, *, west=322_000.0, north=4_170_000.0, cell=10.0,
                    nodata=np.nan) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="float32", crs="EPSG:32652", transform=from_origin(west, north, cell, cell),
                       nodata=nodata) as dst:
        dst.write(data.astype(np.float32), 1)


def test_thermal_overlay_lands_where_pyproj_puts_the_raster(tmp_path: Path):
    data = np.full((60, 80), 300.0)
    data[10:20, 10:20] = 900.0
    data[0, :] = np.nan
    path = tmp_path / "ortho.tif"
    _write_utm_tiff(path, data)
    overlay = thermal_overlay(path, range_c=(-10.0, 200.0))
    oracle = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True).transform_bounds(
        322_000.0, 4_170_000.0 - 600.0, 322_000.0 + 800.0, 4_170_000.0, densify_pts=21)
    # within one output pixel (~10 m ≈ 1.2e-4°) of the densified outline
    assert overlay.bounds == pytest.approx(oracle, abs=1.5e-4)
    image = np.asarray(Image.open(io.BytesIO(overlay.png)))
    assert image.shape[2] == 4 and (image[..., 3] == 0).any() and (image[..., 3] == 255).any()
    # the 900 K block (top of the scale) is present as the last inferno colour
    assert ((image[..., 0] == 252) & (image[..., 1] == 255)).any()


def test_hillshade_overlay_from_a_dem(tmp_path: Path):
    path = tmp_path / "dem.tif"
    _write_utm_tiff(path, _plane(0.2, 0.1, n=50), nodata=-9999.0)
    overlay = dem_hillshade_overlay(path)
    (south, west), (north, east) = overlay.leaflet_bounds
    assert 37.0 < south < north < 38.0 and 126.0 < west < east < 127.0
    assert Image.open(io.BytesIO(overlay.png)).mode == "RGBA"


def test_unreadable_geotiff_is_a_layer_error(tmp_path: Path):
    bad = tmp_path / "dem.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(LayerDataError, match="dem.tif"):
        dem_hillshade_overlay(bad)
    with pytest.raises(LayerDataError, match="dem.tif"):
        thermal_overlay(bad, range_c=(0.0, 1.0))


def test_thumbnail_stretch_in_celsius(tmp_path: Path):
    ramp_k = 273.15 + np.tile(np.linspace(0.0, 100.0, 101), (50, 1))  # 0..100 °C across the columns
    path = tmp_path / "000001.tif"
    with rasterio.open(path, "w", driver="GTiff", width=101, height=50, count=1, dtype="float32") as dst:
        dst.write(ramp_k.astype(np.float32), 1)
    thumb = frame_thumbnail(path)
    assert thumb.low_c == pytest.approx(2.0, abs=1.5) and thumb.high_c == pytest.approx(98.0, abs=1.5)
    # the same numbers declared as °C by the sidecar are not shifted by 273.15
    (tmp_path / "000001.tif.json").write_text(json.dumps({"units": "C"}), encoding="utf-8")
    assert frame_thumbnail(path).low_c == pytest.approx(275.15, abs=1.5)


def test_thumbnail_errors_name_the_file(tmp_path: Path):
    with pytest.raises(LayerDataError, match="missing.tif"):
        frame_thumbnail(tmp_path / "missing.tif")
    path = tmp_path / "nan.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32") as dst:
        dst.write(np.full((4, 4), np.nan, dtype=np.float32), 1)
    with pytest.raises(LayerDataError, match="nan.tif.*no finite"):
        frame_thumbnail(path)
