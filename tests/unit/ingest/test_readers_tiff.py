"""Radiometric TIFF / GeoTIFF: unit decisions, NaN/nodata, saturation, georeferencing, bad input."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from affine import Affine

from ingest.errors import UnitsError, UnreadableFrame
from ingest.readers import detect_format, read_frame


def write_tiff(path, array, *, nodata=None, crs=None, transform=None):
    """One-band TIFF written with rasterio (GeoTIFF when ``crs`` is given)."""
    array = np.asarray(array)
    profile = {"driver": "GTiff", "width": array.shape[1], "height": array.shape[0], "count": 1,
               "dtype": array.dtype.name, "nodata": nodata}
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dataset:
            dataset.write(array, 1)
    return path


def scene(base, *, dtype=np.float32, shape=(40, 50)):
    """A scene of ``base`` with a smooth 2-unit ramp (so the median is well defined)."""
    ramp = np.linspace(0.0, 2.0, shape[0] * shape[1]).reshape(shape)
    return (base + ramp).astype(dtype)


@pytest.mark.realdata
@pytest.mark.parametrize("index", [1, 2, 3, 4, 5])
def test_flame3_tiffs_are_celsius_and_500_c_pixels_saturated(shared_data, index):
    path = shared_data / "flame3" / "willamette" / "TIFF" / f"0000{index}.TIFF"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as dataset:  # oracle: the values as GDAL reads them
            celsius = dataset.read(1).astype(np.float64)
    frame = read_frame(path, sidecar=False)
    assert detect_format(path) == "tiff"
    assert frame.attrs["units_decision"].startswith("auto: float values") and "Celsius" in frame.attrs[
        "units_decision"]
    np.testing.assert_allclose(frame["temperature"].values, celsius + 273.15, atol=1e-4)
    pinned = celsius == 500.0
    assert pinned.sum() >= 9
    np.testing.assert_array_equal(frame["saturated"].values, pinned)
    assert "plateau" in frame.attrs["saturation_decision"]
    assert frame.attrs["content_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert frame.attrs["frame_id"] == f"0000{index}-{frame.attrs['content_sha256'][:8]}"
    assert frame.attrs["pose"] == {} and frame.attrs["camera"] == {}


@pytest.mark.parametrize("base, dtype, unit, expected_k", [
    (300.0, np.float32, "kelvin", 300.0),
    (25.0, np.float32, "Celsius", 298.15),
    (29815, np.uint16, "centikelvin", 298.15),
    (29815, np.int32, "centikelvin", 298.15),
])
def test_auto_units(tmp_path, base, dtype, unit, expected_k):
    array = scene(base, dtype=dtype) if np.dtype(dtype).kind == "f" else np.full((40, 50), base, dtype=dtype)
    frame = read_frame(write_tiff(tmp_path / "t.tif", array), sidecar=False)
    assert unit in frame.attrs["units_decision"]
    assert float(frame["temperature"][0, 0]) == pytest.approx(expected_k, abs=1e-3)
    assert frame["temperature"].dtype == np.float32


def test_explicit_units_override_auto(tmp_path):
    path = write_tiff(tmp_path / "t.tif", scene(30.0))
    frame = read_frame(path, units="C", sidecar=False)
    assert float(frame["temperature"][0, 0]) == pytest.approx(303.15, abs=1e-4)
    assert frame.attrs["units_decision"] == "unit C requested by the caller"


def test_wrong_units_are_implausible(tmp_path):
    path = write_tiff(tmp_path / "celsius.tif", scene(25.0))
    with pytest.raises(UnitsError, match="celsius.tif.*below 150 K.*--units"):
        read_frame(path, units="K", sidecar=False)
    ck = write_tiff(tmp_path / "ck.tif", np.full((10, 10), 30000, dtype=np.uint16))
    with pytest.raises(UnitsError, match="ck.tif.*above 2500 K"):
        read_frame(ck, units="K", sidecar=False)


def test_ambiguous_values_ask_for_units(tmp_path):
    path = write_tiff(tmp_path / "odd.tif", scene(150.0))  # neither °C nor K of an Earth scene
    with pytest.raises(UnitsError, match="odd.tif.*cannot tell the temperature unit.*--units"):
        read_frame(path, sidecar=False)


def test_out_of_range_pixel_is_refused(tmp_path):
    array = scene(300.0)
    array[3, 4] = 4000.0  # hotter than any flame: a corrupt value or wrong unit
    with pytest.raises(UnitsError, match="1 rise above 2500 K"):
        read_frame(write_tiff(tmp_path / "hot.tif", array), sidecar=False)


def test_all_nan_tiff_has_no_temperatures(tmp_path):
    path = write_tiff(tmp_path / "nan.tif", np.full((10, 12), np.nan, dtype=np.float32))
    with pytest.raises(UnitsError, match="nan.tif.*every pixel is NaN"):
        read_frame(path, sidecar=False)


def test_nan_and_nodata_become_nan(tmp_path):
    array = np.full((20, 20), 30000, dtype=np.uint16)
    array[2, 3] = 0
    frame = read_frame(write_tiff(tmp_path / "nodata.tif", array, nodata=0), sidecar=False)
    assert np.isnan(frame["temperature"][2, 3]) and not frame["saturated"][2, 3]
    assert int(np.isnan(frame["temperature"]).sum()) == 1
    floats = scene(300.0)
    floats[5, 5] = np.nan
    frame = read_frame(write_tiff(tmp_path / "nan1.tif", floats), sidecar=False)
    assert np.isnan(frame["temperature"][5, 5]) and int(np.isnan(frame["temperature"]).sum()) == 1


def test_geotiff_keeps_crs_and_pixel_centre_coordinates(tmp_path):
    transform = Affine(2.0, 0.0, 320000.0, 0.0, -2.0, 4150000.0)  # UTM 52N, 2 m pixels, north-up
    path = write_tiff(tmp_path / "geo.tif", scene(300.0), crs="EPSG:32652", transform=transform)
    frame = read_frame(path, sidecar=False)
    assert frame.rio.crs.to_epsg() == 32652
    assert float(frame.x[0]) == 320001.0 and float(frame.y[0]) == 4149999.0
    assert float(frame.x[-1]) == 320000.0 + 2.0 * 49.5
    assert frame.rio.transform() == transform


def test_plateau_below_100_c_is_not_saturation(tmp_path):
    array = scene(300.0)
    array[:5, :6] = 340.0  # 30 identical pixels, but a sunlit roof can reach 67 °C
    frame = read_frame(write_tiff(tmp_path / "roof.tif", array), sidecar=False)
    assert not frame["saturated"].any()
    assert "nothing flagged" in frame.attrs["saturation_decision"]


def test_few_pixels_at_the_maximum_are_not_a_plateau(tmp_path):
    array = scene(300.0)
    array[1, 1:5] = 800.0  # 4 pixels: fewer than plateau_min_pixels
    frame = read_frame(write_tiff(tmp_path / "fire.tif", array), sidecar=False)
    assert not frame["saturated"].any()


def test_three_band_image_is_not_radiometric(tmp_path):
    path = tmp_path / "rgb.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=3, dtype="uint8") as dataset:
            dataset.write(np.zeros((3, 8, 8), dtype=np.uint8))
    with pytest.raises(UnreadableFrame, match="rgb.tif.*3 bands"):
        read_frame(path, sidecar=False)


@pytest.mark.realdata
@pytest.mark.parametrize("fraction", [0.003, 0.5])
def test_truncated_tiff_is_unreadable(shared_data, tmp_path, fraction):
    data = (shared_data / "flame3" / "willamette" / "TIFF" / "00001.TIFF").read_bytes()
    cut = tmp_path / "cut.TIFF"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(UnreadableFrame, match="cut.TIFF"):
        read_frame(cut, sidecar=False)
