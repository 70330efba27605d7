"""DJI R-JPEG (APP3 ThermalData: H20T, H20N, M30T, M3T, M2EA, M4T, XT S ...): metadata always, temperatures only
through the DJI Thermal SDK.

Claims JPEGs whose EXIF Make is DJI and which carry APP3 thermal segments. Pose comes from XMP ``drone-dji`` (GPS,
absolute altitude, gimbal angles), the laser range finder target goes to ``attrs["lrf"]``, intrinsics from the
EXIF focal length and the model's pixel pitch (:mod:`ingest.readers.camera_models`). The raw counts are not
temperatures: their scaling depends on model, firmware, gain mode and the calibration block, which only DJI's SDK
applies correctly, so without it the reader raises :class:`UndecodableRadiometry` (never a guess).
"""

from __future__ import annotations

import numpy as np

from ingest.errors import UndecodableRadiometry, UnitsError
from ingest.readers import dji_xmp
from ingest.readers.camera_models import camera_from_exif, lookup
from ingest.readers.config import DJI_TSDK_ENV, ReaderConfig
from ingest.readers.dji_tsdk import measure_celsius
from ingest.readers.exif import read_exif, read_xmp_dji
from ingest.readers.registry import Reader
from ingest.readers.source import FrameMetadata, Radiometry, Source

APP3 = 0xE3


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


def undecodable_message(source: Source, model: str) -> str:
    """The operator-facing explanation of how to get temperatures out of a DJI R-JPEG."""
    name, stem = source.path.name, source.path.stem
    return (
        f"{source.path}: DJI R-JPEG ({model or 'unknown model'}) temperatures can only be decoded exactly with the "
        "DJI Thermal SDK, which is not configured here (the raw/64−273.15 shortcut is wrong for many models, so "
        "Firewatch does not guess). Either (1) point Firewatch at the SDK: set the environment variable "
        f"{DJI_TSDK_ENV}=/path/to/libdirp.so (DJI Thermal SDK, utility/bin/linux/release_x64/) or the reader "
        "config dji_tsdk_path; or (2) convert the file first: `dji_irp -s "
        f"{name} -a measure --measurefmt float32 -o {stem}.raw` (float32 °C, rows × cols) and save it as a "
        "one-band radiometric TIFF in °C, or export R-JPEG → TIFF with DJI Thermal Analysis Tool 3, then read the "
        "TIFF (units C). Pose, camera and laser target are still available via ingest.readers.read_metadata(). "
        "/ DJI R-JPEG 온도는 DJI Thermal SDK로만 정확히 변환됩니다: FIREWATCH_DJI_TSDK에 libdirp.so 경로를 "
        "지정하거나 dji_irp 또는 DJI Thermal Analysis Tool 3로 TIFF로 변환하십시오.")


def read_radiometry(source: Source, metadata: FrameMetadata, *, units: str = "auto", units_source: str = "requested",
                    config: ReaderConfig) -> Radiometry:
    if units not in ("auto", "C"):
        raise UnitsError(f"{source.path}: DJI R-JPEG temperatures come from the DJI Thermal SDK in °C; unit "
                         f"{units!r} ({units_source}) does not apply: drop --units / the sidecar 'units'")
    library = config.tsdk_path()
    if not library:
        raise UndecodableRadiometry(undecodable_message(source, metadata.attrs.get("model", "")))
    celsius = measure_celsius(source.data, library, source.path)
    kelvin = (celsius.astype(np.float64) + 273.15).astype(np.float32)
    return Radiometry(kelvin, f"DJI Thermal SDK {library} (dirp_measure_ex, °C → K)")


READER = Reader(
    name="dji_rjpeg",
    description="DJI R-JPEG (APP3 ThermalData); temperatures via the DJI Thermal SDK only",
    claims=claims,
    read_metadata=read_metadata,
    read_radiometry=read_radiometry,
)
