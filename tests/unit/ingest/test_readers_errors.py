"""Registry and bad input: every failure is a typed error naming the file."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ingest.errors import MissingMetadata, UnitsError, UnreadableFrame
from ingest.readers import Reader, detect_format, read_frame, read_metadata, readers, register
from ingest.readers import registry
from ingest.readers.source import FrameMetadata, Radiometry


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFrame, match="empty.jpg.*empty"):
        read_frame(path)


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableFrame, match="absent.tif.*no such file"):
        read_frame(tmp_path / "absent.tif")


def test_random_bytes_have_an_unknown_signature(tmp_path):
    path = tmp_path / "noise.tif"  # the extension does not decide the format
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(UnreadableFrame, match="noise.tif.*unknown file signature"):
        detect_format(path)


def test_pillow_jpeg_has_no_thermal_data(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    path = tmp_path / "photo.jpg"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnreadableFrame, match="photo.jpg.*without thermal data"):
        read_frame(path)


@pytest.mark.realdata
@pytest.mark.parametrize("folder", ["RGB", "Thermal"])
def test_flame3_visible_and_palette_jpegs_have_no_thermal_data(shared_data, folder):
    # Thermal/ holds DJI palette renderings (EXIF GPS, no radiometry)
    path = shared_data / "flame3" / "willamette" / folder / "00001.JPG"
    with pytest.raises(UnreadableFrame, match="00001.JPG.*without thermal data"):
        read_metadata(path)


@pytest.mark.realdata
def test_signature_not_extension_decides(shared_data, tmp_path):
    disguised = tmp_path / "frame.tif"
    disguised.write_bytes((shared_data / "thermal" / "FLIR_E40.jpg").read_bytes())
    assert detect_format(disguised) == "flir"


def test_unknown_units_name(tmp_path):
    with pytest.raises(UnitsError, match="unknown unit 'F'"):
        read_frame(tmp_path / "x.tif", units="F")


def test_bad_source_kind_is_refused(tmp_path):
    import rasterio

    path = tmp_path / "k.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       crs="EPSG:4326", transform=rasterio.Affine(0.001, 0, 127, 0, -0.001, 37)) as dataset:
        dataset.write(np.full((4, 4), 300.0, dtype=np.float32), 1)
    with pytest.raises(MissingMetadata, match="k.tif.*source_kind 'boat'"):
        read_frame(path, source_kind="boat", sidecar=False)


def test_registered_plugin_reader_claims_by_signature(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_READERS", list(registry._READERS))
    monkeypatch.setattr(registry, "_BUILTINS_LOADED", registry._BUILTINS_LOADED)

    def claims(source):
        return source.data[:6] == b"FWRAW1"

    def read_meta(source):
        return FrameMetadata(format="fwraw", width_px=3, height_px=2, source_kind="fixed", source_id="lab")

    def read_radiometry(source, metadata, *, units, units_source, config):
        values = np.frombuffer(source.data[6:], dtype="<f4").reshape(2, 3)
        return Radiometry(values.astype(np.float32), "fwraw stores kelvin")

    register(Reader("fwraw", "test raw format", claims, read_meta, read_radiometry))
    assert [r.name for r in readers()][:3] == ["flir", "dji_rjpeg", "tiff"]
    path = tmp_path / "x.bin"
    path.write_bytes(b"FWRAW1" + np.arange(300, 306, dtype="<f4").tobytes())
    frame = read_frame(path, sidecar=False)
    assert detect_format(path) == "fwraw"
    assert frame["temperature"].values.tolist() == [[300, 301, 302], [303, 304, 305]]
    assert frame.attrs["source_id"] == "lab" and frame.attrs["units_decision"] == "fwraw stores kelvin"
