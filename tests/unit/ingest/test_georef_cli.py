"""``firewatch georef`` on a plain temperature TIFF with a sidecar JSON: --dem, --pixel, --out, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pyproj
import pytest
import rasterio
from rasterio.transform import from_origin
from typer.testing import CliRunner

from firewatch.cli import app
from ingest.errors import TerrainError

LON0, LAT0 = 126.98, 37.66
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture()
def scene(tmp_path):
    """A flat 100 m DEM (UTM 52N, 2 km square) and a nadir 64×48 kelvin TIFF 100 m above it (f = 100 px)."""
    x0, y0 = pyproj.Transformer.from_crs(4326, 32652, always_xy=True).transform(LON0, LAT0)
    dem = tmp_path / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", width=200, height=200, count=1, dtype="float32", crs="EPSG:32652",
                       transform=from_origin(x0 - 1000, y0 + 1000, 10, 10)) as dst:
        dst.write(np.full((200, 200), 100.0, np.float32), 1)
    frame = tmp_path / "frame.tif"
    temperature = np.full((48, 64), 290.0, np.float32)
    temperature[5, 60] = 800.0
    with rasterio.open(frame, "w", driver="GTiff", width=64, height=48, count=1, dtype="float32") as dst:
        dst.write(temperature, 1)
    sidecar = {"frame_id": "cli-1", "source_id": "drone-1", "source_kind": "drone", "time": "2026-04-05T03:00:00Z",
               "units": "K",
               "camera": {"model": "test", "width_px": 64, "height_px": 48, "fx_px": 100.0, "fy_px": 100.0},
               "pose": {"lat_deg": LAT0, "lon_deg": LON0, "alt_amsl_m": 200.0, "yaw_deg": 0.0, "pitch_deg": -90.0,
                        "roll_deg": 0.0}}
    (tmp_path / "frame.json").write_text(json.dumps(sidecar))
    return dem, frame


def test_pixel_on_dem(scene):
    dem, frame = scene
    result = CliRunner().invoke(app, ["georef", str(frame), "--dem", str(dem), "--pixel", "5", "60"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    # Hand calculation (nadir, yaw 0, principal point (23.5, 31.5)): 28.5 m east, 18.5 m north, range √(100²+…).
    east, north = 60 - 31.5, 23.5 - 5
    lon, lat, _ = GEOD.fwd(LON0, LAT0, math.degrees(math.atan2(east, north)), math.hypot(east, north))
    assert GEOD.inv(answer["lon"], answer["lat"], lon, lat)[2] < 0.05
    assert answer["elevation_m"] == pytest.approx(100.0, abs=1e-3)
    assert answer["range_m"] == pytest.approx(math.sqrt(100 ** 2 + east ** 2 + north ** 2), abs=0.01)


def test_out_writes_cog_with_the_hot_pixel(scene, tmp_path):
    dem, frame = scene
    out = tmp_path / "ortho.tif"
    result = CliRunner().invoke(app, ["georef", str(frame), "--dem", str(dem), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ortho"] == str(out)
    with rasterio.open(out) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert np.nanmax(src.read(1)) == pytest.approx(800.0)


def test_dem_not_covering_names_the_dem(scene, tmp_path):
    dem, frame = scene
    sidecar = json.loads((tmp_path / "frame.json").read_text())
    sidecar["pose"]["lat_deg"] = LAT0 + 0.1
    (tmp_path / "frame.json").write_text(json.dumps(sidecar))
    result = CliRunner().invoke(app, ["georef", str(frame), "--dem", str(dem)])
    assert isinstance(result.exception, TerrainError)  # firewatch.cli.main turns it into "error: …", status 2
    assert "dem.tif" in str(result.exception) and "--ground-elevation" in str(result.exception)
