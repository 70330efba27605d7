"""DJI R-JPEG: never guessed temperatures, helpful errors without a decoder, the SDK path, truncation, pose."""

from __future__ import annotations

import ctypes.util

import pytest

from ingest.errors import UndecodableRadiometry, UnreadableFrame, UnitsError
from ingest.readers import ReaderConfig, dji_port, read_frame, read_metadata, read_pose_camera
from ingest.readers.config import DJI_TSDK_ENV

pytestmark = pytest.mark.realdata


def test_without_any_decoder_temperatures_are_undecodable_with_instructions(shared_data, monkeypatch):
    # Simulates a machine without the 'dji' extra (this test environment has it): the port reports itself missing.
    monkeypatch.delenv(DJI_TSDK_ENV, raising=False)
    monkeypatch.setattr(dji_port, "port_version", lambda: None)
    with pytest.raises(UndecodableRadiometry) as info:
        read_frame(shared_data / "thermal" / "H20N_DJI_0006_R.JPG", sidecar=False)
    message = str(info.value)
    assert "H20N_DJI_0006_R.JPG" in message and "not installed" in message
    for hint in ("dji-thermal-cli", "firewatch[dji]", "Python ≥ 3.12", "FIREWATCH_DJI_TSDK", "libdirp.so",
                 "firewatch convert", "TIFF"):
        assert hint in message
    assert isinstance(info.value, UnreadableFrame)  # callers quarantining unreadable frames catch it too


def test_python_older_than_3_12_is_told_to_upgrade(monkeypatch):
    monkeypatch.setattr(dji_port.sys, "version_info", (3, 11, 7))
    assert "needs Python ≥ 3.12" in dji_port.unavailable_reason()


def test_asking_for_the_sdk_without_one_is_refused(shared_data, monkeypatch):
    monkeypatch.delenv(DJI_TSDK_ENV, raising=False)
    with pytest.raises(UndecodableRadiometry, match="dji_decoder = 'sdk'"):
        read_frame(shared_data / "thermal" / "DJI_H20T.jpg", sidecar=False, config=ReaderConfig(dji_decoder="sdk"))


def test_sdk_path_that_does_not_load_names_the_path(shared_data, monkeypatch, tmp_path):
    monkeypatch.setenv(DJI_TSDK_ENV, str(tmp_path / "libdirp.so"))
    with pytest.raises(UndecodableRadiometry, match="cannot load the DJI Thermal SDK.*libdirp.so"):
        read_frame(shared_data / "thermal" / "DJI_H20T.jpg", sidecar=False)


def test_a_library_that_is_not_the_sdk_is_rejected(shared_data):
    libc = ctypes.util.find_library("c")
    if libc is None:
        pytest.skip("no C library found to stand in for a wrong SDK path")
    with pytest.raises(UndecodableRadiometry, match="is not the DJI Thermal SDK"):
        read_frame(shared_data / "thermal" / "DJI_H20T.jpg", sidecar=False,
                   config=ReaderConfig(dji_tsdk_path=libc))


def test_units_other_than_celsius_are_refused(shared_data):
    with pytest.raises(UnitsError, match="DJI_H20T.jpg"):
        read_frame(shared_data / "thermal" / "DJI_H20T.jpg", units="cK", sidecar=False)


def test_read_pose_camera_gives_what_georeferencing_needs(shared_data):
    pose, camera, attrs = read_pose_camera(shared_data / "thermal" / "DJI_H20T.jpg", sidecar=False)
    assert (pose.yaw_deg, pose.pitch_deg) == (32.5, -10.5)
    assert pose.lat_deg == 40.5637811 and pose.lon_deg == -79.7649628
    assert camera.fx_px == pytest.approx(13.5 / 0.012)
    assert attrs["format"] == "dji_rjpeg" and attrs["source_kind"] == "drone"
    assert "lrf" not in attrs


def test_stripped_sample_has_no_pose(shared_data):
    pose, camera, attrs = read_pose_camera(shared_data / "thermal" / "M30T_DJI_0001_R.JPG", sidecar=False)
    assert pose is None and camera is not None
    assert read_metadata(shared_data / "thermal" / "M30T_DJI_0001_R.JPG", sidecar=False)["pose"] == {}


@pytest.mark.parametrize("fraction", [0.01, 0.3, 0.6, 0.95])
def test_truncated_rjpeg_is_unreadable(shared_data, tmp_path, fraction):
    # 0.01: inside EXIF; 0.3: inside the APP3 thermal data; 0.6: main image (MPF); 0.95: preview image (MPF)
    data = (shared_data / "thermal" / "DJI_H20T.jpg").read_bytes()
    cut = tmp_path / "cut_R.jpg"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(UnreadableFrame, match="cut_R.jpg.*truncated"):
        read_metadata(cut, sidecar=False)
