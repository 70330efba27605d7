"""FLIR-format radiometric JPEG: temperatures against flyr (an independent decoder) and a hand Planck calculation."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from ingest.errors import UnitsError, UnreadableFrame
from ingest.readers import read_frame
from ingest.readers.flir_fff import extract_fff, parse_fff, raw_to_kelvin
from ingest.readers.source import Source

pytestmark = pytest.mark.realdata

FLIR_CAMERAS = ["FLIR.jpg", "FLIR_AX8.jpg", "FLIR_E40.jpg", "FLIR_T640.jpg"]
ZENMUSE_XT = ["DJI_XT2.jpg", "DJI_XTR.jpg"]


def flyr_kelvin_little_endian(path) -> np.ndarray:
    """flyr's decoding for DJI Zenmuse XT files, whose FFF directory is little-endian (``flyr.unpack`` only
    reads big-endian directories): flyr extracts the APP1 stream and converts; only the directory walk is here."""
    from flyr.records import extract_flir_app1
    from flyr.thermal import parse_camera_info, parse_raw_data
    from flyr.thermogram import FlyrThermogram

    with open(path, "rb") as handle:
        stream = extract_flir_app1(handle)
    fff = stream.getvalue()
    _version, directory, entries = struct.unpack_from("<III", fff, 0x14)
    records = {}
    for i in range(entries):
        rtype, _sub, _ver, _idx, offset, length = struct.unpack_from("<HHIIII", fff, directory + 32 * i)
        records[rtype] = (0, rtype, offset, length)
    _w, _h, raw = parse_raw_data(stream, records[1])
    return FlyrThermogram(raw, parse_camera_info(stream, records[32])).kelvin


@pytest.mark.parametrize("name", FLIR_CAMERAS + ZENMUSE_XT)
def test_temperatures_agree_with_flyr_within_0_1_k(shared_data, name):
    import flyr

    path = shared_data / "thermal" / name
    frame = read_frame(path, sidecar=False)
    expected = flyr_kelvin_little_endian(path) if name in ZENMUSE_XT else flyr.unpack(str(path)).kelvin
    ours = frame["temperature"].values
    assert ours.dtype == np.float32 and ours.shape == expected.shape
    assert frame["temperature"].attrs["units"] == "K"
    assert np.nanmax(np.abs(ours - expected)) < 0.1
    assert np.isfinite(ours).all()
    assert frame.attrs["content_sha256"] and frame.attrs["units_decision"].startswith("FLIR radiometric JPEG")


def test_t640_hot_spot_near_97_c(shared_data):
    frame = read_frame(shared_data / "thermal" / "FLIR_T640.jpg", sidecar=False)
    hottest_c = float(frame["temperature"].max()) - 273.15
    assert 96.5 < hottest_c < 99.0
    assert not frame["saturated"].any()  # 97 °C is below the T640's 180 °C saturation ceiling


def test_hand_planck_calculation_for_one_pixel(shared_data):
    """Pixel (row 100, col 200) of DJI_XT2.jpg with the constants exiftool prints for the file."""
    path = shared_data / "thermal" / "DJI_XT2.jpg"
    records = parse_fff(extract_fff(Source.open(path).jpeg, path), path)
    raw = float(records.raw[100, 200])
    # exiftool dump: R1 17096.453, R2 0.046582058, B 1428, F 1, O -267, emissivity 1.00, distance 20 m,
    # reflected 22.0 C, atmosphere 40.0 C, window 22.0 C / 1.00, humidity 50 %, alpha 0.006569/0.012620,
    # beta -0.002276/-0.006670, X 1.9
    r1, r2, b, f, o = 17096.453, 0.046582058, 1428.0, 1.0, -267.0
    t_atm_c, rh, d, x = 40.0, 0.50, 20.0, 1.9
    h2o = rh * math.exp(1.5587 + 0.06939 * t_atm_c - 0.00027816 * t_atm_c ** 2 + 0.00000068455 * t_atm_c ** 3)
    tau = (x * math.exp(-math.sqrt(d / 2) * (0.006569 - 0.002276 * math.sqrt(h2o)))
           + (1 - x) * math.exp(-math.sqrt(d / 2) * (0.012620 - 0.006670 * math.sqrt(h2o))))
    raw_atm = r1 / (r2 * (math.exp(b / (t_atm_c + 273.15)) - f)) - o
    # emissivity 1 and window transmission 1: only the two atmosphere paths remain
    raw_obj = raw / (tau * tau) - (1 - tau) / tau * raw_atm - (1 - tau) / (tau * tau) * raw_atm
    expected_k = b / math.log(r1 / (r2 * (raw_obj + o)) + f)
    frame = read_frame(path, sidecar=False)
    assert float(frame["temperature"][100, 200]) == pytest.approx(expected_k, abs=0.01)


def test_inverse_planck_round_trip_without_atmosphere():
    """With emissivity 1, distance 0 and a clear window the equations reduce to the inverse Planck law."""
    info = {"emissivity": 1.0, "object_distance_m": 0.0, "reflected_temp_k": 293.15, "atmospheric_temp_k": 293.15,
            "ir_window_temp_k": 293.15, "ir_window_transmission": 1.0, "relative_humidity": 0.5,
            "planck_r1": 17096.453, "planck_r2": 0.046582058, "planck_b": 1428.0, "planck_f": 1.0, "planck_o": -267,
            "atm_alpha1": 0.006569, "atm_alpha2": 0.012620, "atm_beta1": -0.002276, "atm_beta2": -0.006670,
            "atm_x": 1.9}
    t_k = np.array([[250.0, 300.0, 400.0]])
    raw = 17096.453 / (0.046582058 * (np.exp(1428.0 / t_k) - 1.0)) + 267
    np.testing.assert_allclose(raw_to_kelvin(raw, info), t_k, atol=1e-9)


def test_saturation_ceiling_comes_from_the_file(shared_data):
    frame = read_frame(shared_data / "thermal" / "DJI_XT2.jpg", sidecar=False)
    # exiftool: Camera Temperature Max Saturated 150.0 C
    assert frame.attrs["camera"]["saturation_k"] == pytest.approx(423.15, abs=1e-3)
    assert "150.00 °C" in frame.attrs["saturation_decision"]


@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.9])
def test_truncated_flir_jpeg_is_unreadable(shared_data, tmp_path, fraction):
    data = (shared_data / "thermal" / "FLIR_T640.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(UnreadableFrame, match="cut.jpg.*truncated"):
        read_frame(cut, sidecar=False)


def test_flir_jpeg_without_end_marker_is_unreadable(shared_data, tmp_path):
    data = (shared_data / "thermal" / "FLIR_E40.jpg").read_bytes()
    cut = tmp_path / "noeoi.jpg"
    cut.write_bytes(data[:-2])
    with pytest.raises(UnreadableFrame, match="noeoi.jpg.*EOI"):
        read_frame(cut, sidecar=False)


def test_missing_flir_chunk_is_unreadable(shared_data, tmp_path):
    data = bytearray((shared_data / "thermal" / "FLIR.jpg").read_bytes())
    # rename the second FLIR APP1 chunk's signature so the chunk is no longer FLIR's
    second = data.find(b"FLIR\x00\x01\x01", 0)
    data[second:second + 4] = b"XXXX"
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(bytes(data))
    with pytest.raises(UnreadableFrame, match="damaged.jpg.*chunk"):
        read_frame(damaged, sidecar=False)


def test_units_do_not_apply_to_flir(shared_data):
    with pytest.raises(UnitsError, match="FLIR_E40.jpg.*own calibration"):
        read_frame(shared_data / "thermal" / "FLIR_E40.jpg", units="C", sidecar=False)
