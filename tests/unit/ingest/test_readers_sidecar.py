"""JSON sidecar: supplies and overrides camera, pose, ids, time and unit; bad values are typed errors."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from ingest.errors import InvalidPose, MissingMetadata, UnitsError
from ingest.readers import read_frame, read_metadata, read_pose_camera


@pytest.fixture
def frame_path(tmp_path):
    """A 32×40 float TIFF at 300–302 K (kelvin, decided automatically)."""
    path = tmp_path / "tower1_0001.tif"
    array = np.linspace(300.0, 302.0, 32 * 40, dtype=np.float32).reshape(32, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=40, height=32, count=1, dtype="float32") as dataset:
            dataset.write(array, 1)
    return path


def write_json(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


FIXED_CAMERA = {
    "frame_id": "tower-1-0001", "source_id": "tower-1", "source_kind": "fixed", "time": "2026-04-05T03:12:00Z",
    "camera": {"model": "test-tower", "width_px": 40, "height_px": 32, "hfov_deg": 30.0, "saturation_c": 150.0},
    "pose": {"lat_deg": 37.5665, "lon_deg": 126.978, "alt_amsl_m": 350.0, "pan_deg": 210.0, "tilt_deg": -3.5},
}


@pytest.mark.parametrize("name", ["tower1_0001.tif.json", "tower1_0001.json"])
def test_sidecar_beside_the_frame_supplies_everything(frame_path, name):
    write_json(frame_path.with_name(name), FIXED_CAMERA)
    frame = read_frame(frame_path)
    assert frame.attrs["frame_id"] == "tower-1-0001" and frame.attrs["source_id"] == "tower-1"
    assert frame.attrs["source_kind"] == "fixed" and frame.attrs["time"] == "2026-04-05T03:12:00Z"
    pose = frame.attrs["pose"]
    assert (pose["yaw_deg"], pose["pitch_deg"], pose["roll_deg"], pose["kind"]) == (210.0, -3.5, 0.0, "pan_tilt")
    camera = frame.attrs["camera"]
    assert camera["fx_px"] == pytest.approx(20.0 / math.tan(math.radians(15.0)))  # (width/2) / tan(hfov/2)
    assert camera["cx_px"] == 19.5 and camera["saturation_k"] == pytest.approx(423.15)
    assert frame.attrs["sidecar"].endswith(name)


def test_sidecar_false_ignores_it_and_explicit_path_is_used(frame_path, tmp_path):
    write_json(frame_path.with_name("tower1_0001.json"), FIXED_CAMERA)
    assert read_frame(frame_path, sidecar=False).attrs["pose"] == {}
    other = write_json(tmp_path / "elsewhere.json", {"source_id": "tower-9"})
    assert read_frame(frame_path, sidecar=other).attrs["source_id"] == "tower-9"


def test_missing_explicit_sidecar(frame_path, tmp_path):
    with pytest.raises(MissingMetadata, match="nope.json does not exist"):
        read_frame(frame_path, sidecar=tmp_path / "nope.json")


def test_sidecar_units_decision_is_recorded(frame_path, tmp_path):
    side = write_json(tmp_path / "u.json", {"units": "C"})
    frame = read_frame(frame_path, sidecar=side)
    assert frame.attrs["units_decision"] == "unit C stated by sidecar u.json"
    assert float(frame["temperature"][0, 0]) == pytest.approx(573.15, abs=1e-3)


def test_bad_sidecar_unit_is_a_units_error(frame_path, tmp_path):
    side = write_json(tmp_path / "f.json", {"units": "F"})
    with pytest.raises(UnitsError, match="f.json.*units"):
        read_frame(frame_path, sidecar=side)


def test_latitude_out_of_range_is_an_invalid_pose(frame_path, tmp_path):
    side = write_json(tmp_path / "lat.json", {"pose": {**FIXED_CAMERA["pose"], "lat_deg": 123.0}})
    with pytest.raises(InvalidPose, match="lat.json.*latitude 123"):
        read_frame(frame_path, sidecar=side)


def test_non_numeric_yaw_is_an_invalid_pose(frame_path, tmp_path):
    side = write_json(tmp_path / "yaw.json", {"pose": {"lat_deg": 37.0, "lon_deg": 127.0, "alt_amsl_m": 100.0,
                                                       "yaw_deg": "north-ish", "pitch_deg": -30.0}})
    with pytest.raises(InvalidPose, match="yaw.json.*pose.yaw_deg"):
        read_frame(frame_path, sidecar=side)


def test_yaw_and_pan_together_are_refused(frame_path, tmp_path):
    side = write_json(tmp_path / "both.json", {"pose": {"yaw_deg": 1.0, "pan_deg": 2.0}})
    with pytest.raises(InvalidPose, match="both.json.*not both"):
        read_frame(frame_path, sidecar=side)


def test_typo_in_camera_is_refused(frame_path, tmp_path):
    side = write_json(tmp_path / "typo.json", {"camera": {"hfov": 30.0}})
    with pytest.raises(MissingMetadata, match="typo.json.*camera.hfov"):
        read_frame(frame_path, sidecar=side)


def test_camera_size_mismatch_is_refused(frame_path, tmp_path):
    side = write_json(tmp_path / "size.json", {"camera": {"width_px": 640, "height_px": 512, "hfov_deg": 30.0}})
    with pytest.raises(MissingMetadata, match="size.json.*640.*40x32"):
        read_frame(frame_path, sidecar=side)


def test_invalid_json_names_the_sidecar(frame_path, tmp_path):
    side = tmp_path / "broken.json"
    side.write_text("{not json", encoding="utf-8")
    with pytest.raises(MissingMetadata, match="broken.json.*not valid JSON"):
        read_frame(frame_path, sidecar=side)


def test_focal_length_and_pixel_pitch_give_intrinsics(frame_path, tmp_path):
    side = write_json(tmp_path / "f.json", {"camera": {"focal_length_mm": 13.5, "pixel_pitch_um": 12.0,
                                                       "distortion": [0.1, 0.0, 0.0, 0.0, 0.0]}})
    camera = read_frame(frame_path, sidecar=side).attrs["camera"]
    assert camera["fx_px"] == pytest.approx(1125.0) and camera["distortion"] == [0.1, 0.0, 0.0, 0.0, 0.0]


def test_unknown_top_level_keys_are_kept(frame_path, tmp_path):
    side = write_json(tmp_path / "x.json", {"scenario": "demo-1"})
    assert read_frame(frame_path, sidecar=side).attrs["sidecar_extra"] == {"scenario": "demo-1"}


def test_incomplete_pose_is_reported_not_invented(frame_path, tmp_path):
    side = write_json(tmp_path / "half.json", {"pose": {"lat_deg": 37.0, "lon_deg": 127.0}})
    meta = read_metadata(frame_path, sidecar=side)
    assert meta["pose"] == {}
    assert meta["pose_missing"] == ["alt_amsl_m", "yaw_deg", "pitch_deg"]


@pytest.mark.realdata
def test_sidecar_pose_overrides_embedded_pose_field_by_field(shared_data, tmp_path):
    side = write_json(tmp_path / "fix.json", {"pose": {"yaw_deg": -100.0}, "time": "2022-03-24T09:38:00Z"})
    pose, camera, attrs = read_pose_camera(shared_data / "thermal" / "H20N_DJI_0006_R.JPG", sidecar=side)
    assert pose.yaw_deg == -100.0 and pose.pitch_deg == -32.9 and pose.lat_deg == 22.596196357
    assert attrs["time"] == "2022-03-24T09:38:00Z" and attrs["lrf"]["distance_m"] == 79.572


@pytest.mark.realdata
def test_sidecar_completes_a_handheld_pose(shared_data, tmp_path):
    # FLIR.jpg has EXIF GPS (49°0'38.52"N) but no angles: a sidecar with angles and altitude completes it
    side = write_json(tmp_path / "angles.json", {"pose": {"alt_amsl_m": 120.0, "pan_deg": 90.0, "tilt_deg": -5.0}})
    pose, _camera, _attrs = read_pose_camera(shared_data / "thermal" / "FLIR.jpg", sidecar=side)
    assert pose.lat_deg == pytest.approx(49 + 0 / 60 + 38.52 / 3600, abs=2e-6)
    assert (pose.yaw_deg, pose.pitch_deg, pose.kind) == (90.0, -5.0, "pan_tilt")


def test_scenario_style_sidecar_with_full_intrinsics(frame_path):
    """The form firewatch.scenario writes: fx/fy/cx/cy, saturation_k possibly null, yaw/pitch for a tower."""
    write_json(frame_path.with_name(frame_path.name + ".json"), {
        "frame_id": "t1-000001", "source_id": "tower-1", "source_kind": "fixed", "time": "2026-04-05T03:12:00Z",
        "units": "K",
        "camera": {"model": "synthetic", "width_px": 40, "height_px": 32, "fx_px": 1538.5, "fy_px": 1538.5,
                   "cx_px": 19.5, "cy_px": 15.5, "distortion": [0, 0, 0, 0, 0], "saturation_k": None},
        "pose": {"lat_deg": 37.1, "lon_deg": 127.2, "alt_amsl_m": 412.0, "yaw_deg": 45.0, "pitch_deg": -2.0,
                 "roll_deg": 0.0}})
    frame = read_frame(frame_path)
    assert frame.attrs["camera"]["fx_px"] == 1538.5 and frame.attrs["camera"]["saturation_k"] is None
    assert frame.attrs["pose"]["kind"] == "pan_tilt" and frame.attrs["pose"]["yaw_deg"] == 45.0
    assert frame.attrs["units_decision"] == "unit K stated by sidecar tower1_0001.tif.json"
