"""Orthorectification to a Cloud-Optimized GeoTIFF, checked by reading the file back with rasterio."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import rasterio

from firewatch.model import make_frame
from ingest.camera import Camera
from ingest.errors import MissingMetadata, TerrainError
from ingest.georef import georeference
from ingest.ortho import orthorectify
from ingest.pose import Pose

LON0, LAT0 = 126.98, 37.66


def _nadir_frame(hot_row: int, hot_col: int):
    """64×48 nadir frame 100 m above flat ground at 50 m, f = 100 px (1 m pixels), yaw 0; one 900 K pixel."""
    camera = Camera(64, 48, 100.0, 100.0, 31.5, 23.5)
    pose = Pose(LAT0, LON0, 150.0, yaw_deg=0.0, pitch_deg=-90.0)
    temperature = np.full((48, 64), 290.0, np.float32)
    temperature[hot_row, hot_col] = 900.0
    frame = make_frame(temperature, frame_id="ortho-1", source_id="drone-1", source_kind="drone",
                       time="2026-04-05T03:00:00Z", camera=camera.to_dict(), pose=pose.to_dict())
    return georeference(frame, ground_elevation_m=50.0)


def test_cog_with_hot_pixel_at_its_ground_position(tmp_path):
    frame = _nadir_frame(10, 50)
    path = orthorectify(frame, tmp_path / "ortho.tif")
    with rasterio.open(path) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.crs.to_epsg() == 32652            # UTM zone of Seoul
        assert src.dtypes[0] == "float32" and math.isnan(src.nodata)
        assert src.tags(1)["units"] == "K"
        assert src.res[0] == pytest.approx(1.0, rel=1e-3)  # default: median footprint, 100 m / 100 px
        # Hand calculation: nadir, yaw 0 → col 50 is (50 − 31.5) m east, row 10 is (23.5 − 10) m north.
        lon, lat, _ = pyproj.Geod(ellps="WGS84").fwd(LON0, LAT0, math.degrees(math.atan2(18.5, 13.5)),
                                                     math.hypot(18.5, 13.5))
        x, y = pyproj.Transformer.from_crs(4326, 32652, always_xy=True).transform(lon, lat)
        value = next(src.sample([(x, y)]))[0]
        assert value == pytest.approx(900.0)
        data = src.read(1)
        assert np.nanmax(data) == pytest.approx(900.0) and np.nanmin(data) == pytest.approx(290.0)
        assert (data == 900.0).sum() == 1                         # nearest neighbour: no smearing
        assert np.isfinite(data).sum() == pytest.approx(64 * 48, rel=0.1)


def test_explicit_crs_and_resolution(tmp_path):
    path = orthorectify(_nadir_frame(0, 0), tmp_path / "korea.tif", crs="EPSG:5186", resolution_m=0.5)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 5186 and src.res == (0.5, 0.5)


def test_bad_inputs(tmp_path):
    frame = _nadir_frame(0, 0)
    with pytest.raises(MissingMetadata, match="not georeferenced"):
        orthorectify(frame.drop_vars(["lat", "lon"]), tmp_path / "x.tif")
    with pytest.raises(TerrainError, match="not projected"):
        orthorectify(frame, tmp_path / "x.tif", crs="EPSG:4326")
    sky = frame.copy()
    sky["lon"] = sky["lon"] * np.nan
    with pytest.raises(TerrainError, match="sees no ground"):
        orthorectify(sky, tmp_path / "x.tif")
