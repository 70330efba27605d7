"""``firewatch detect``: the real CLI on radiometric TIFFs written with rasterio (pixel mode and flat-ground mode)."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from typer.testing import CliRunner

from firewatch.cli import app
from firewatch.commands.detect import CSV_FIELDS

HEIGHT, WIDTH = 128, 160


def write_celsius_tiff(path, celsius: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=celsius.shape[1], height=celsius.shape[0], count=1,
                           dtype="float32") as dst:
            dst.write(celsius.astype(np.float32), 1)


def scene_celsius(seed: int = 0) -> np.ndarray:
    c = 27.0 + np.random.default_rng(seed).normal(0, 0.05, (HEIGHT, WIDTH))
    c[63:65, 79:81] = 600.0  # 2×2 fire centred on the image centre (63.5, 79.5)
    c[20, 30] = 420.0  # a small hot spot
    return c


@pytest.fixture()
def frame_path(tmp_path):
    path = tmp_path / "frame.tif"
    write_celsius_tiff(path, scene_celsius())
    return path


def run(*args):
    result = CliRunner().invoke(app, ["detect", *map(str, args)])
    return result


def test_geojson_pixel_mode_warns_and_has_null_geometry(frame_path):
    result = run(frame_path, "--units", "C")
    assert result.exit_code == 0, result.output
    assert "geometry null" in result.stderr
    collection = json.loads(result.stdout)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 2
    by_row = {round(f["properties"]["row"]): f for f in collection["features"]}
    fire = by_row[64]["properties"]
    assert by_row[64]["geometry"] is None
    assert fire["row"] == pytest.approx(63.5, abs=0.01) and fire["col"] == pytest.approx(79.5, abs=0.01)
    assert fire["bbox_px"] == [63, 79, 64, 80] and fire["pixel_count"] == 4
    assert fire["max_temp_c"] == pytest.approx(600.0, abs=0.01)
    assert fire["background_temp_c"] == pytest.approx(27.0, abs=0.05)
    assert fire["confidence_class"] == "high" and fire["area_m2"] is None and fire["frp_kw"] is None
    assert set(CSV_FIELDS) <= set(fire)


def test_csv_and_label_mask(frame_path, tmp_path):
    out = tmp_path / "labels.tif"
    result = run(frame_path, "--format", "csv", "--mask", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(CSV_FIELDS) and len(rows) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(out) as src:
            labels = src.read(1)
            assert src.dtypes[0] == "uint32"
    assert set(np.unique(labels)) == {0, 1, 2}
    assert labels[20, 30] == 1 and (labels[63:65, 79:81] == 2).all() and (labels > 0).sum() == 5


def write_nadir_sidecar(frame_path) -> None:
    """Camera 100 m above ground level 0 m at (127.0 E, 37.5 N) looking straight down, 40° HFOV."""
    frame_path.with_suffix(".json").write_text(json.dumps({
        "time": "2026-04-05T03:12:00Z", "source_id": "drone-7",
        "camera": {"width_px": WIDTH, "height_px": HEIGHT, "hfov_deg": 40.0},
        "pose": {"lat_deg": 37.5, "lon_deg": 127.0, "alt_amsl_m": 100.0, "yaw_deg": 0.0, "pitch_deg": -90.0,
                 "roll_deg": 0.0}}), encoding="utf-8")


def write_flat_dem(path) -> None:
    """A 1 km square DEM at 0 m AMSL in UTM 52N (EPSG:32652) centred on (127.0 E, 37.5 N), 10 m cells."""
    east, north = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(127.0, 37.5)
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1, dtype="float32",
                       crs="EPSG:32652", transform=Affine(10.0, 0.0, east - 500, 0.0, -10.0, north + 500)) as dst:
        dst.write(np.zeros((100, 100), dtype=np.float32), 1)


@pytest.mark.parametrize("ground", ["flat", "dem"])
def test_georeferencing_from_a_sidecar(frame_path, tmp_path, ground):
    write_nadir_sidecar(frame_path)
    if ground == "dem":
        dem = tmp_path / "dem.tif"
        write_flat_dem(dem)
        result = run(frame_path, "--units", "C", "--dem", dem)
    else:
        result = run(frame_path, "--units", "C", "--ground-elevation", "0")
    assert result.exit_code == 0, result.output
    features = {round(f["properties"]["row"]): f for f in json.loads(result.stdout)["features"]}
    fire = features[64]
    # Nadir view: the image centre is straight below the camera.
    lon, lat = fire["geometry"]["coordinates"]
    assert lon == pytest.approx(127.0, abs=1e-7) and lat == pytest.approx(37.5, abs=1e-7)
    # Ground sample distance at 100 m with a 40° HFOV over 160 px: 2·100·tan(20°)/160 = 0.455 m → 4 px = 0.828 m².
    gsd = 2 * 100 * math.tan(math.radians(20)) / WIDTH
    assert fire["properties"]["area_m2"] == pytest.approx(4 * gsd ** 2, rel=0.02)
    assert fire["properties"]["frp_kw"] > 0 and fire["properties"]["time"] == "2026-04-05T03:12:00Z"
    assert fire["properties"]["footprint"]["type"] == "Polygon"
    assert fire["properties"]["location_method"] == ground


def test_bad_frame_is_reported_and_others_still_printed(frame_path, tmp_path):
    kelvin_as_celsius = tmp_path / "wrong.tif"
    write_celsius_tiff(kelvin_as_celsius, scene_celsius() + 273.15)
    result = run(frame_path, kelvin_as_celsius, "--units", "K")  # the first file is really °C
    assert result.exit_code == 2
    assert "frame.tif" in result.stderr and "unit" in result.stderr
    assert len(json.loads(result.stdout)["features"]) == 2  # from wrong.tif, read correctly as K


def test_bad_options(frame_path):
    assert run(frame_path, "--format", "kml").exit_code == 2
    assert run(frame_path, "--units", "F").exit_code == 2
