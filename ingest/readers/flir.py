"""FLIR-format radiometric JPEG (FLIR handhelds and fixed cameras, DJI Zenmuse XT/XT2): exact temperatures.

Claims JPEGs with APP1 ``FLIR\\0`` segments. Temperatures come from the raw counts and the file's own Planck and
atmosphere constants (:mod:`ingest.readers.flir_fff`). The saturation ceiling is the file's CameraInfo "Camera
Temperature Max Saturated". DJI XT/XT2 files also carry GPS and gimbal angles (XMP ``drone-dji``) → pose; FLIR
handhelds carry at most EXIF GPS, so their pose stays incomplete (``{}`` unless a sidecar supplies the angles).
"""

from __future__ import annotations

import math

import numpy as np

from ingest.camera import Camera
from ingest.errors import UnitsError, UnreadableFrame
from ingest.readers import dji_xmp
from ingest.readers.camera_models import camera_from_exif
from ingest.readers.config import ReaderConfig
from ingest.readers.exif import read_exif, read_xmp_dji
from ingest.readers.flir_fff import extract_fff, has_flir_segments, parse_fff, raw_to_kelvin
from ingest.readers.registry import Reader
from ingest.readers.source import FrameMetadata, Radiometry, Source

#: CameraInfo constants copied into the frame attributes (the calibration the temperatures rest on).
_CALIBRATION_KEYS = ("emissivity", "object_distance_m", "reflected_temp_k", "atmospheric_temp_k",
                     "ir_window_temp_k", "ir_window_transmission", "relative_humidity", "planck_r1", "planck_r2",
                     "planck_b", "planck_f", "planck_o", "atm_alpha1", "atm_alpha2", "atm_beta1", "atm_beta2",
                     "atm_x", "max_saturated_k")


def claims(source: Source) -> bool:
    return source.jpeg is not None and has_flir_segments(source.jpeg)


def _ceiling_k(info: dict) -> float | None:
    value = info.get("max_saturated_k")
    return float(value) if value is not None and math.isfinite(value) and value > 0 else None


def read_metadata(source: Source) -> FrameMetadata:
    layout = source.jpeg
    if layout.eoi_offset < 0:
        raise UnreadableFrame(f"{source.path}: JPEG is truncated: the image data has no end marker (EOI); copy "
                              "the file again from the camera")
    records = parse_fff(extract_fff(layout, source.path), source.path, decode_raw=False)
    info = records.camera_info
    exif = read_exif(layout.exif, source.path)
    xmp = read_xmp_dji(layout.xmp, source.path)
    width, height = records.raw_width_px, records.raw_height_px
    meta = FrameMetadata(format="flir", width_px=width, height_px=height)
    meta.attrs["flir_calibration"] = {k: float(info[k]) for k in _CALIBRATION_KEYS}
    meta.attrs["make"], meta.attrs["model"] = exif.make or "", exif.model or info["camera_model"]
    ceiling = _ceiling_k(info)
    if dji_xmp.is_dji(exif, xmp):
        meta.source_kind = "drone"
        meta.camera, meta.camera_source = camera_from_exif(exif.model, exif.focal_length_mm, exif.focal_length_35mm,
                                                           width_px=width, height_px=height, saturation_k=ceiling)
        meta.pose_fields = dji_xmp.pose_fields(exif, xmp)
        meta.source_id = dji_xmp.source_id(exif, xmp)
        attitude = dji_xmp.flight_attitude(xmp)
        if attitude:
            meta.attrs["flight_attitude_deg"] = attitude
    else:
        meta.source_kind = "fixed"
        meta.attrs["source_kind_decision"] = "FLIR camera without flight metadata: taken as a fixed camera"
        fov = float(info["field_of_view_deg"])
        model = info["camera_model"] or exif.model or "FLIR"
        if 0.0 < fov < 179.0:
            meta.camera = Camera.from_fov(width, height, hfov_deg=fov, model=model, saturation_k=ceiling)
            meta.camera_source = (f"FLIR CameraInfo FieldOfView {fov:.1f}° across the {width}-pixel raw width "
                                  f"(lens {info['lens_model'] or 'unknown'})")
        else:
            meta.camera_source = "FLIR CameraInfo has no field of view: supply the camera in a sidecar JSON"
        meta.pose_fields = dict(exif.gps)
        serial = info["camera_serial"].strip("*") or exif.serial
        meta.source_id = "-".join(p.replace(" ", "_") for p in (model.strip("*") or "FLIR", serial) if p)
    if info.get("time") is not None:
        meta.time = info["time"]
        meta.time_source = "FLIR CameraInfo DateTimeOriginal (UTC, with the camera's zone)"
    else:
        meta.time, meta.time_source = dji_xmp.xmp_time(xmp)
        if meta.time is None:
            meta.time, meta.time_source = exif.time, exif.time_source
    if exif.gps:
        meta.attrs["gps"] = dict(exif.gps)
    return meta


def read_radiometry(source: Source, metadata: FrameMetadata, *, units: str = "auto", units_source: str = "requested",
                    config: ReaderConfig) -> Radiometry:
    if units not in ("auto", "K"):
        raise UnitsError(f"{source.path}: a FLIR radiometric JPEG carries its own calibration (temperatures are "
                         f"computed in kelvin from its Planck constants); unit {units!r} ({units_source}) does not "
                         "apply: drop --units / the sidecar 'units' for this file")
    records = parse_fff(extract_fff(source.jpeg, source.path), source.path)
    kelvin = raw_to_kelvin(records.raw, records.camera_info)
    kelvin = np.where(np.isfinite(kelvin), kelvin, np.nan).astype(np.float32)
    decision = ("FLIR radiometric JPEG: kelvin computed from raw counts with the file's Planck constants "
                f"(R1 {records.camera_info['planck_r1']:g}, B {records.camera_info['planck_b']:g}), emissivity "
                f"{records.camera_info['emissivity']:.2f} and atmospheric transmission")
    return Radiometry(kelvin, decision, saturation_k=_ceiling_k(records.camera_info))


READER = Reader(
    name="flir",
    description="FLIR-format radiometric JPEG (APP1 FLIR/FFF: FLIR cameras, DJI Zenmuse XT/XT2)",
    claims=claims,
    read_metadata=read_metadata,
    read_radiometry=read_radiometry,
)
