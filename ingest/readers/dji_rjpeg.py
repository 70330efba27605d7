"""DJI R-JPEG (APP3 ThermalData: H20T, H20N, M30T, M3T, M2EA, M4T, XT S ...): metadata always, temperatures exactly.

Claims JPEGs whose EXIF Make is DJI and which carry APP3 thermal segments. Pose comes from XMP ``drone-dji`` (GPS,
absolute altitude, gimbal angles), the laser range finder target goes to ``attrs["lrf"]``, intrinsics from the
EXIF focal length and the model's pixel pitch (:mod:`ingest.readers.camera_models`). The raw counts are not
temperatures: their scaling depends on model, firmware, gain mode and the calibration block, which only DJI's SDK
applies correctly. Two exact decoders (``ReaderConfig.dji_decoder``): DJI's own Thermal SDK when one is configured
(:mod:`ingest.readers.dji_tsdk`), else the pure-Python port of it (:mod:`ingest.readers.dji_port`, bit for bit the
SDK's output). With neither available the reader raises :class:`UndecodableRadiometry` saying how to get one (never a
guess: the ``raw/64 − 273.15`` shortcut is wrong for many models).
"""

from __future__ import annotations

import numpy as np

from ingest.errors import UndecodableRadiometry, UnitsError
from ingest.readers import dji_port, dji_xmp
from ingest.readers.camera_models import camera_from_exif, lookup
from ingest.readers.config import DJI_TSDK_ENV, ReaderConfig
from ingest.readers.dji_tsdk import measure_celsius
from ingest.readers.exif import read_exif, read_xmp_dji
from ingest.readers.registry import Reader
from ingest.readers.source import FrameMetadata, Radiometry, Source
from ingest.readers.units import to_kelvin

APP3 = 0xE3
#: The SDK writes about −273 °C where it cannot measure a pixel (dji-thermal-cli README, "Pixels the SDK cannot give a
#: temperature come out at its floor"); anything at or below −270 °C is that marker, not a temperature.
_SDK_FLOOR_C = np.float32(-270.0)


def claims(source: Source) -> bool:
    layout = source.jpeg
    if layout is None or not layout.app(APP3):
        return False
    return read_exif(layout.exif, source.path).make == "DJI" or b"drone-dji" in (layout.xmp or b"")


def read_metadata(source: Source) -> FrameMetadata:
    layout = source.jpeg
    exif = read_exif(layout.exif, source.path)
    xmp = read_xmp_dji(layout.xmp, source.path)
    spec = lookup(exif.model)
    width = spec.width_px if spec else exif.width_px
    height = spec.height_px if spec else exif.height_px
    meta = FrameMetadata(format="dji_rjpeg", width_px=width, height_px=height, source_kind="drone")
    meta.camera, meta.camera_source = camera_from_exif(exif.model, exif.focal_length_mm, exif.focal_length_35mm,
                                                       width_px=width, height_px=height)
    meta.pose_fields = dji_xmp.pose_fields(exif, xmp)
    meta.source_id = dji_xmp.source_id(exif, xmp)
    meta.time, meta.time_source = dji_xmp.xmp_time(xmp)
    if meta.time is None:
        meta.time, meta.time_source = exif.time, exif.time_source
    meta.attrs["make"], meta.attrs["model"] = exif.make or "", exif.model or ""
    if layout.eoi_offset < 0 and not layout.has_mpf:
        meta.attrs["jpeg_warning"] = ("the visible image has no end marker (EOI), as the Zenmuse XT S writes it; "
                                      "the thermal segments before it are complete")
    lrf = dji_xmp.laser_target(xmp)
    if lrf:
        meta.attrs["lrf"] = lrf
    attitude = dji_xmp.flight_attitude(xmp)
    if attitude:
        meta.attrs["flight_attitude_deg"] = attitude
    if exif.gps:
        meta.attrs["gps"] = dict(exif.gps)
    return meta


def undecodable_message(source: Source, model: str, why: str) -> str:
    """The operator-facing explanation of how to get temperatures out of a DJI R-JPEG when no decoder works here."""
    name, stem = source.path.name, source.path.stem
    return (
        f"{source.path}: DJI R-JPEG ({model or 'unknown model'}) temperatures cannot be decoded here: {why}. "
        "Firewatch decodes them exactly with the pure-Python port of DJI's Thermal SDK (dji-thermal-cli, the 'dji' "
        "extra, Python ≥ 3.12) or with DJI's own SDK (set FIREWATCH_DJI_TSDK=/path/to/libdirp.so, from "
        "utility/bin/linux/release_x64/, or the reader config dji_tsdk_path). Or convert the file first: "
        f"`firewatch convert {name} --out-dir DIR` on a machine that has a decoder, `dji_irp -s {name} -a measure "
        f"--measurefmt float32 -o {stem}.raw`, or DJI Thermal Analysis Tool 3 → a °C TIFF, and read the TIFF. "
        "Pose, camera and laser target are still available via ingest.readers.read_metadata(). "
        "/ DJI R-JPEG 온도를 여기서 변환할 수 없습니다: Python 3.12 이상에서 'dji' 추가 패키지(dji-thermal-cli)를 "
        "설치하거나 FIREWATCH_DJI_TSDK에 libdirp.so 경로를 지정하거나, TIFF로 변환하십시오.")


def read_radiometry(source: Source, metadata: FrameMetadata, *, units: str = "auto", units_source: str = "requested",
                    config: ReaderConfig) -> Radiometry:
    if units not in ("auto", "C"):
        raise UnitsError(f"{source.path}: DJI R-JPEG temperatures come from the DJI Thermal SDK in °C; unit "
                         f"{units!r} ({units_source}) does not apply: drop --units / the sidecar 'units'")
    model = metadata.attrs.get("model", "")
    library = config.tsdk_path() if config.dji_decoder in ("auto", "sdk") else None
    if config.dji_decoder == "sdk" and not library:
        raise UndecodableRadiometry(undecodable_message(
            source, model, "the reader configuration asks for DJI's SDK (dji_decoder = 'sdk') but no library is "
            "set"))
    if library:
        celsius = measure_celsius(source.data, library, source.path)
        decision = f"DJI Thermal SDK {library} (dirp_measure_ex, °C → K)"
    else:
        why = dji_port.unavailable_reason()
        if why is not None:
            raise UndecodableRadiometry(undecodable_message(source, model, why))
        celsius, used = dji_port.measure_celsius(source.data, source.path)
        metadata.attrs["dji_measurement"] = used
        decision = (f"{used['decoder']} (pure-Python port of the DJI Thermal SDK, {used['plugin']} plugin, the "
                    "file's own measurement parameters; dirp_measure_ex °C → K)")
    # The SDK's floor (about −273 °C) marks pixels it cannot measure: unknown (NaN), not 0 K.
    celsius = np.where(celsius > _SDK_FLOOR_C, celsius, np.float32(np.nan))
    kelvin, _ = to_kelvin(celsius, units="C", integer_data=False, path=source.path, config=config,
                          units_source="(the decoder's unit)")
    return Radiometry(kelvin, decision, native_celsius=celsius)


READER = Reader(
    name="dji_rjpeg",
    description="DJI R-JPEG (APP3 ThermalData); exact temperatures via DJI's Thermal SDK or its pure-Python port",
    claims=claims,
    read_metadata=read_metadata,
    read_radiometry=read_radiometry,
)
