"""Reader metadata against the exiftool dumps shipped beside each real sample (an independent oracle)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from ingest.readers import detect_format, read_metadata, read_pose_camera
from ingest.readers.flir_fff import extract_fff, parse_fff
from ingest.readers.source import Source

pytestmark = pytest.mark.realdata

FLIR_FORMAT = ["DJI_XT2.jpg", "DJI_XTR.jpg", "FLIR.jpg", "FLIR_AX8.jpg", "FLIR_E40.jpg", "FLIR_T640.jpg"]
DJI_RJPEG = ["DJI_H20T.jpg", "H20N_DJI_0006_R.JPG", "M2EA_DJI_0002_R.JPG", "M30T_DJI_0001_R.JPG",
             "M3T_DJI_0001_R.JPG", "M4T_DJI_0001_R.JPG", "DJI_XTS.jpg"]


def exiftool_dump(path: Path) -> dict[str, str]:
    """``Tag Name : value`` lines of ``<stem>.exiftool.txt`` (UTF-16 with BOM or UTF-8); first occurrence wins."""
    raw = path.with_name(path.stem + ".exiftool.txt").read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), value.strip())
    return fields


def number(text: str) -> float:
    """The first number in an exiftool value (``"20.0 C"`` → 20.0, ``"+90.337"`` → 90.337)."""
    return float(re.search(r"[-+]?\d+(?:\.\d+)?", text).group())


def dms(text: str) -> float:
    """``9 deg 58' 19.77" N`` → decimal degrees (negative for S/W)."""
    d, m, s, ref = re.match(r"(\d+) deg (\d+)' ([\d.]+)\" ([NSEW])", text).groups()
    value = int(d) + int(m) / 60 + float(s) / 3600
    return -value if ref in "SW" else value


@pytest.mark.parametrize("name", FLIR_FORMAT)
def test_flir_calibration_constants_match_exiftool(shared_data, name):
    path = shared_data / "thermal" / name
    dump = exiftool_dump(path)
    source = Source.open(path)
    info = parse_fff(extract_fff(source.jpeg, path), path, decode_raw=False).camera_info
    assert detect_format(path) == "flir"
    assert info["planck_r1"] == pytest.approx(number(dump["Planck R1"]), rel=1e-6)
    assert info["planck_r2"] == pytest.approx(number(dump["Planck R2"]), rel=1e-6)
    assert info["planck_b"] == pytest.approx(number(dump["Planck B"]), rel=1e-6)
    assert info["planck_f"] == pytest.approx(number(dump["Planck F"]), rel=1e-6)
    assert info["planck_o"] == int(number(dump["Planck O"]))
    assert info["emissivity"] == pytest.approx(number(dump["Emissivity"]), abs=0.005)
    assert info["object_distance_m"] == pytest.approx(number(dump["Object Distance"]), abs=0.005)
    # exiftool prints these kelvin values in °C with one decimal
    assert info["reflected_temp_k"] - 273.15 == pytest.approx(number(dump["Reflected Apparent Temperature"]), abs=0.06)
    assert info["atmospheric_temp_k"] - 273.15 == pytest.approx(number(dump["Atmospheric Temperature"]), abs=0.06)
    assert info["relative_humidity"] * 100 == pytest.approx(number(dump["Relative Humidity"]), abs=0.06)
    assert info["atm_alpha1"] == pytest.approx(number(dump["Atmospheric Trans Alpha 1"]), abs=1e-6)
    assert info["atm_x"] == pytest.approx(number(dump["Atmospheric Trans X"]), abs=1e-6)
    assert info["max_saturated_k"] - 273.15 == pytest.approx(number(dump["Camera Temperature Max Saturated"]),
                                                              abs=0.06)
    records = parse_fff(extract_fff(source.jpeg, path), path)
    assert records.raw.shape == (int(dump["Raw Thermal Image Height"]), int(dump["Raw Thermal Image Width"]))


@pytest.mark.parametrize("name", ["DJI_XT2.jpg", "DJI_XTR.jpg"])
def test_zenmuse_xt_pose_matches_exiftool(shared_data, name):
    path = shared_data / "thermal" / name
    dump = exiftool_dump(path)
    meta = read_metadata(path, sidecar=False)
    pose = meta["pose"]
    # EXIF GPS seconds carry two decimals: 0.005" ≈ 1.4e-6 degrees
    assert pose["lat_deg"] == pytest.approx(dms(dump["GPS Latitude"]), abs=2e-6)
    assert pose["lon_deg"] == pytest.approx(dms(dump["GPS Longitude"]), abs=2e-6)
    assert pose["alt_amsl_m"] == pytest.approx(number(dump["Absolute Altitude"]), abs=1e-6)
    assert pose["yaw_deg"] == pytest.approx(number(dump["Gimbal Yaw Degree"]), abs=1e-6)
    assert pose["pitch_deg"] == pytest.approx(number(dump["Gimbal Pitch Degree"]), abs=1e-6)
    assert pose["kind"] == "gimbal"
    assert meta["source_kind"] == "drone"
    assert meta["flight_attitude_deg"]["yaw_deg"] == pytest.approx(number(dump["Flight Yaw Degree"]), abs=1e-6)
    # XT2 19 mm lens on a 17 µm 640-pixel detector: DJI lists a 32° horizontal field of view
    assert meta["camera"]["fx_px"] == pytest.approx(19.0 / 0.017, rel=1e-9)


@pytest.mark.parametrize("name", ["FLIR.jpg", "FLIR_AX8.jpg", "FLIR_E40.jpg", "FLIR_T640.jpg"])
def test_flir_handhelds_have_no_pose_but_a_camera_from_their_field_of_view(shared_data, name):
    path = shared_data / "thermal" / name
    dump = exiftool_dump(path)
    meta = read_metadata(path, sidecar=False)
    assert meta["pose"] == {}
    fov = number(dump["Field Of View"])
    width = int(dump["Raw Thermal Image Width"])
    assert meta["camera"]["fx_px"] == pytest.approx((width / 2) / math.tan(math.radians(fov) / 2), rel=2e-3)


def test_flir_time_is_the_utc_instant_of_the_zoned_camera_time(shared_data):
    # exiftool: "Date/Time Original : 2017:09:08 16:04:36.266+02:00"
    meta = read_metadata(shared_data / "thermal" / "FLIR.jpg", sidecar=False)
    assert meta["time"] == "2017-09-08T14:04:36.266000Z"


@pytest.mark.parametrize("name", DJI_RJPEG)
def test_dji_rjpeg_metadata_matches_exiftool(shared_data, name):
    path = shared_data / "thermal" / name
    dump = exiftool_dump(path)
    assert detect_format(path) == "dji_rjpeg"
    meta = read_metadata(path, sidecar=False)
    assert meta["model"] == dump["Camera Model Name"]
    assert meta["source_kind"] == "drone"
    camera = meta["camera"]
    assert (camera["width_px"], camera["height_px"]) == (640, 512)
    if "Focal Length" in dump:
        focal_mm = number(dump["Focal Length"])
        pitch_um = 17.0 if name == "DJI_XTS.jpg" else 12.0
        assert camera["fx_px"] == pytest.approx(focal_mm * 1000 / pitch_um, rel=1e-9)
    if "Field Of View" in dump:  # exiftool's value, from the 35 mm-equivalent focal length
        hfov = math.degrees(2 * math.atan(camera["width_px"] / 2 / camera["fx_px"]))
        assert hfov == pytest.approx(number(dump["Field Of View"]), abs=3.0)
    pose = meta["pose"]
    if pose:
        assert pose["lat_deg"] == pytest.approx(dms(dump["GPS Latitude"]), abs=2e-6)
        assert pose["lon_deg"] == pytest.approx(dms(dump["GPS Longitude"]), abs=2e-6)
        assert pose["alt_amsl_m"] == pytest.approx(number(dump["Absolute Altitude"]), abs=1e-6)
        assert pose["yaw_deg"] == pytest.approx(number(dump["Gimbal Yaw Degree"]), abs=1e-6)
        assert pose["pitch_deg"] == pytest.approx(number(dump["Gimbal Pitch Degree"]), abs=1e-6)
        assert pose["roll_deg"] == pytest.approx(number(dump["Gimbal Roll Degree"]), abs=1e-6)
        assert pose["alt_above_takeoff_m"] == pytest.approx(number(dump["Relative Altitude"]), abs=1e-6)
    else:
        # the uploader stripped GPS (and XMP) from these samples: a missing pose is expected, not an error
        assert name in {"M2EA_DJI_0002_R.JPG", "M30T_DJI_0001_R.JPG", "M3T_DJI_0001_R.JPG", "M4T_DJI_0001_R.JPG"}
        assert "gps" not in meta


def test_h20n_laser_target_and_xmp_gps_precision(shared_data):
    path = shared_data / "thermal" / "H20N_DJI_0006_R.JPG"
    dump = exiftool_dump(path)
    pose, camera, attrs = read_pose_camera(path, sidecar=False)
    assert attrs["lrf"] == {"distance_m": number(dump["LRF Target Distance"]),
                            "lat_deg": number(dump["LRF Target Lat"]), "lon_deg": number(dump["LRF Target Lon"]),
                            "abs_alt_m": number(dump["LRF Target Abs Alt"])}
    assert attrs["lrf"]["distance_m"] == 79.572
    # XMP GpsLatitude has 9 decimals; EXIF DMS only 0.01": the XMP value is used and agrees with EXIF
    assert pose.lat_deg == 22.596196357 and pose.lon_deg == 114.007268015
    assert pose.lat_deg == pytest.approx(dms(dump["GPS Latitude"]), abs=2e-6)
    assert (pose.yaw_deg, pose.pitch_deg, pose.alt_amsl_m) == (-106.6, -32.9, 90.337)
    assert camera.width_px == 640 and camera.cx_px == 319.5
    # XMP CreateDate "2022-03-24T17:37:59+08:00" is the zoned time
    assert attrs["time"] == "2022-03-24T09:37:59Z"


def test_m3t_without_laser_target_has_no_lrf(shared_data):
    # exiftool shows LRF Target Distance 0.000 in the original: no target. The sample lost its XMP anyway.
    meta = read_metadata(shared_data / "thermal" / "M3T_DJI_0001_R.JPG", sidecar=False)
    assert "lrf" not in meta


def test_xts_malformed_xmp_is_recovered(shared_data):
    # the XT S declares xmlns:DJI twice (not well-formed XML); angles must still be read
    meta = read_metadata(shared_data / "thermal" / "DJI_XTS.jpg", sidecar=False)
    assert meta["pose"]["yaw_deg"] == 91.3 and meta["pose"]["pitch_deg"] == 19.9
    assert meta["pose"]["alt_amsl_m"] == -29.44
