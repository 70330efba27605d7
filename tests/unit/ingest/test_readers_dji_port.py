"""DJI R-JPEG temperatures through the pure-Python port of DJI's Thermal SDK: exactly the SDK's output.

The oracle is DJI's own Thermal SDK v1.7 (``dirp_measure_ex`` with each file's embedded parameters), whose arrays are
in ../shared/data/thermal/dji_tsdk_reference/ for 23 frames of 7 camera models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.errors import UndecodableRadiometry, UnreadableFrame
from ingest.readers import read_frame
from ingest.readers.frame import read_frame_radiometry

pytestmark = pytest.mark.realdata


def reference_frames(shared_data: Path) -> list[tuple[Path, Path]]:
    """(R-JPEG, SDK reference .npz) pairs: every DJI frame the SDK decoded."""
    pairs = []
    for npz in sorted((shared_data / "thermal" / "dji_tsdk_reference").glob("*.npz")):
        name = npz.name.removesuffix(".npz")
        for folder in (shared_data / "thermal", shared_data / "thermal_nofire" / "leipzig_h20t_forest"):
            if (folder / name).is_file():
                pairs.append((folder / name, npz))
    return pairs


def test_every_reference_frame_decodes_exactly(shared_data, dji_decoder):
    pairs = reference_frames(shared_data)
    assert len(pairs) == 23
    models = set()
    for frame_path, npz in pairs:
        expected_c = np.load(npz)["temperature_c"]
        frame, radiometry = read_frame_radiometry(frame_path, sidecar=False)
        # the decoder's own °C: bit for bit the SDK's (max |Δ| = 0)
        assert radiometry.native_celsius.dtype == np.float32
        assert np.array_equal(radiometry.native_celsius, expected_c), frame_path.name
        # the frame's kelvin: the SDK's °C converted once (float64 + 273.15, rounded to float32), as every reader does
        expected_k = (expected_c.astype(np.float64) + 273.15).astype(np.float32)
        assert np.array_equal(frame.temperature.values, expected_k), frame_path.name
        assert frame.temperature.attrs["units"] == "K"
        assert frame.attrs["dji_measurement"]["decoder"] == f"dji-thermal-cli {dji_decoder}"
        models.add(frame.attrs["model"])
    assert len(models) == 7


def test_measurement_parameters_are_the_files_own(shared_data, dji_decoder):
    frame = read_frame(shared_data / "thermal" / "H20N_DJI_0006_R.JPG", sidecar=False)
    used = frame.attrs["dji_measurement"]
    assert set(used) >= {"decoder", "plugin", "distance", "humidity", "emissivity", "reflection"}
    assert 0 < used["emissivity"] <= 1 and used["distance"] > 0
    assert "pure-Python port" in frame.attrs["units_decision"]


def _patched(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


def test_a_format_the_decoder_does_not_know_is_undecodable_with_the_fix(shared_data, tmp_path, dji_decoder):
    # A future firmware's plug-in tag in the APP4 header ("iirp" → "zirp"): the port has no such plug-in.
    data = (shared_data / "thermal" / "M30T_DJI_0002_R.JPG").read_bytes()
    path = tmp_path / "future_firmware_R.JPG"
    path.write_bytes(_patched(data, b"\xff\xd2\xd1\xffiirp\x00", b"\xff\xd2\xd1\xffzirp\x00"))
    with pytest.raises(UndecodableRadiometry) as info:
        read_frame(path, sidecar=False)
    message = str(info.value)
    assert "future_firmware_R.JPG" in message and "does not support" in message and "pip install -U" in message


def test_thermal_data_cut_short_is_unreadable(shared_data, tmp_path, dji_decoder):
    # One of the APP3 segments that hold the raw frame relabelled APP15: the JPEG stays well formed (same size, MPF
    # offsets intact) but the raw frame is one segment short, which only the decoder can notice.
    data = bytearray((shared_data / "thermal" / "M30T_DJI_0002_R.JPG").read_bytes())
    first = data.find(b"\xff\xe3")
    second = first + 2 + int.from_bytes(data[first + 2:first + 4], "big")
    assert data[second:second + 2] == b"\xff\xe3"
    data[second + 1] = 0xEF
    path = tmp_path / "short_raw_R.JPG"
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFrame, match="short_raw_R.JPG: DJI R-JPEG thermal data cannot be decoded"):
        read_frame(path, sidecar=False)
