"""FLIR FFF records inside a radiometric JPEG, and the raw-count → temperature equations.

Layout (ExifTool FLIR tag documentation, https://exiftool.org/TagNames/FLIR.html): APP1 segments
``FLIR\\0 \\x01 <chunk index> <last chunk index>`` concatenate into an FFF file: ``FFF\\0``, creator string, then at
0x14 the format version (100–199; its byte order is the file's: FLIR cameras write big-endian, DJI Zenmuse XT/XT2
little-endian), the record-directory offset and entry count. Each 32-byte directory entry gives the record type
(1 RawData, 32 CameraInfo), subtype (RawData: 1 = raw big-endian, 2 = raw little-endian, 3 = PNG), offset, length.

* RawData: first int16 is 2 in the record's byte order; width at +2, height at +4, pixels at +32. PNG payloads hold
  16-bit counts written little-endian although PNG is big-endian, so they are byte-swapped after decoding.
* CameraInfo: emissivity, distance (m), temperatures (K), humidity, Planck R1/B/F/O/R2, atmospheric constants at
  fixed offsets (see ``_CAMERA_INFO_FLOATS``).

Temperature (the Planck model with atmosphere and IR-window compensation as in ExifTool's FLIR notes and
G. Tattersall's Thermimage ``raw2temp``)::

    h2o   = RH · exp(1.5587 + 0.06939·Ta − 0.00027816·Ta² + 0.00000068455·Ta³)        (Ta in °C, RH fraction)
    τ     = X·exp(−√(d/2)·(α1 + β1·√h2o)) + (1−X)·exp(−√(d/2)·(α2 + β2·√h2o))
    raw(T) = R1 / (R2·(exp(B/T) − F)) − O
    obj   = S/(E·τ·τw·τ) − (1−τ)/(E·τ)·raw(Ta) − (1−τ)/(E·τ·τw·τ)·raw(Ta) − (1−τw)/(E·τ·τw)·raw(Tw)
            − (1−E)/E·raw(Tr)
    T     = B / ln(R1/(R2·(obj + O)) + F)                                                             (kelvin)
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from ingest.errors import UnreadableFrame
from ingest.readers.jpeg import APP1, JpegLayout

FLIR_APP1_PREFIX = b"FLIR\x00"
RECORD_RAW_DATA, RECORD_CAMERA_INFO = 1, 32
RAW_SUBTYPE_BE, RAW_SUBTYPE_LE, RAW_SUBTYPE_PNG = 1, 2, 3

#: CameraInfo float32 fields by byte offset (ExifTool FLIR::CameraInfo). Temperatures are kelvin.
_CAMERA_INFO_FLOATS = {
    "emissivity": 0x20, "object_distance_m": 0x24, "reflected_temp_k": 0x28, "atmospheric_temp_k": 0x2C,
    "ir_window_temp_k": 0x30, "ir_window_transmission": 0x34, "relative_humidity": 0x3C,
    "planck_r1": 0x58, "planck_b": 0x5C, "planck_f": 0x60,
    "atm_alpha1": 0x70, "atm_alpha2": 0x74, "atm_beta1": 0x78, "atm_beta2": 0x7C, "atm_x": 0x80,
    "range_max_k": 0x90, "range_min_k": 0x94, "max_clip_k": 0x98, "min_clip_k": 0x9C,
    "max_saturated_k": 0xA8, "min_saturated_k": 0xAC, "field_of_view_deg": 0x1B4, "planck_r2": 0x30C,
}
_CAMERA_INFO_STRINGS = {"camera_model": (0xD4, 32), "camera_serial": (0x104, 16), "lens_model": (0x170, 32)}
_PLANCK_O, _RAW_RANGE_MIN, _RAW_RANGE_MAX, _RAW_MEDIAN, _DATETIME = 0x308, 0x310, 0x312, 0x338, 0x384


@dataclass
class FlirRecords:
    """Decoded FFF content: raw counts (uint16, rows × cols) and the CameraInfo constants (see module doc)."""

    raw: np.ndarray | None
    raw_width_px: int
    raw_height_px: int
    camera_info: dict
    byte_order: str  # "<" or ">" of the FFF header


def has_flir_segments(layout: JpegLayout) -> bool:
    return bool(layout.app(APP1, FLIR_APP1_PREFIX))


def extract_fff(layout: JpegLayout, path: Path) -> bytes:
    """Join the FLIR APP1 chunks (in chunk-index order) into one FFF byte string; check none is missing."""
    chunks: dict[int, bytes] = {}
    last = None
    for seg in layout.app(APP1, FLIR_APP1_PREFIX):
        if len(seg.payload) < 8:
            raise UnreadableFrame(f"{path}: FLIR APP1 segment at byte {seg.offset} is too short")
        index, last_index = seg.payload[6], seg.payload[7]
        last = last_index if last is None else last
        chunks[index] = seg.payload[8:]
    missing = [i for i in range(last + 1) if i not in chunks] if last is not None else [0]
    if missing:
        raise UnreadableFrame(f"{path}: FLIR radiometric data is incomplete: APP1 chunk(s) {missing} of "
                              f"0..{last} are missing; copy the file again from the camera")
    return b"".join(chunks[i] for i in range(last + 1))


def parse_fff(fff: bytes, path: Path, *, decode_raw: bool = True) -> FlirRecords:
    """Parse the FFF directory, the CameraInfo record and (if ``decode_raw``) the RawData record."""
    if fff[:4] not in (b"FFF\x00", b"AFF\x00") or len(fff) < 0x40:
        raise UnreadableFrame(f"{path}: FLIR segments do not hold an FFF record file (magic {fff[:4]!r})")
    order = ">"
    version, dir_offset, entries = struct.unpack_from(">III", fff, 0x14)
    if not 100 <= version < 200:
        order = "<"
        version, dir_offset, entries = struct.unpack_from("<III", fff, 0x14)
    if not 100 <= version < 200 or dir_offset + 32 * entries > len(fff):
        raise UnreadableFrame(f"{path}: FLIR FFF header is corrupt (version {version}, {entries} records at "
                              f"byte {dir_offset} of {len(fff)})")
    records: dict[int, tuple[int, int, int]] = {}
    for i in range(entries):
        rtype, subtype, _ver, _idx, offset, length = struct.unpack_from(order + "HHIIII", fff, dir_offset + 32 * i)
        if rtype and rtype not in records:
            if offset + length > len(fff):
                raise UnreadableFrame(f"{path}: FLIR record type {rtype} runs past the end of the data "
                                      f"({offset}+{length} > {len(fff)}): the file is truncated")
            records[rtype] = (subtype, offset, length)
    if RECORD_CAMERA_INFO not in records:
        raise UnreadableFrame(f"{path}: FLIR file has no CameraInfo record: no calibration, so no temperatures")
    if RECORD_RAW_DATA not in records:
        raise UnreadableFrame(f"{path}: FLIR file has no RawData record: it holds no thermal data")
    _, info_offset, info_length = records[RECORD_CAMERA_INFO]
    info = _camera_info(fff[info_offset:info_offset + info_length], path)
    subtype, raw_offset, raw_length = records[RECORD_RAW_DATA]
    raw_record = fff[raw_offset:raw_offset + raw_length]
    raw_order = _record_order(raw_record, path, "RawData")
    width, height = struct.unpack_from(raw_order + "HH", raw_record, 2)
    raw = _raw_pixels(raw_record, subtype, raw_order, width, height, path) if decode_raw else None
    return FlirRecords(raw, width, height, info, order)


def _record_order(record: bytes, path: Path, name: str) -> str:
    if len(record) < 32:
        raise UnreadableFrame(f"{path}: FLIR {name} record is too short ({len(record)} bytes)")
    if struct.unpack_from("<H", record)[0] == 2:
        return "<"
    if struct.unpack_from(">H", record)[0] == 2:
        return ">"
    raise UnreadableFrame(f"{path}: FLIR {name} record has an unknown byte-order word {record[:2].hex()}")


def _camera_info(record: bytes, path: Path) -> dict:
    order = _record_order(record, path, "CameraInfo")
    if len(record) < _DATETIME + 10:
        raise UnreadableFrame(f"{path}: FLIR CameraInfo record is too short ({len(record)} bytes)")
    info: dict = {name: struct.unpack_from(order + "f", record, off)[0] for name, off in _CAMERA_INFO_FLOATS.items()}
    for name, (off, size) in _CAMERA_INFO_STRINGS.items():
        info[name] = record[off:off + size].split(b"\x00")[0].decode("latin-1").strip()
    info["planck_o"] = struct.unpack_from(order + "i", record, _PLANCK_O)[0]
    info["raw_range_min"], info["raw_range_max"] = struct.unpack_from(order + "HH", record, _RAW_RANGE_MIN)
    info["raw_median"], info["raw_range"] = struct.unpack_from(order + "ii", record, _RAW_MEDIAN)
    # ExifTool: RelativeHumidity is a fraction, some cameras store percent.
    if info["relative_humidity"] > 2:
        info["relative_humidity"] /= 100.0
    unix_s, subsec, tz_min = struct.unpack_from(order + "IIh", record, _DATETIME)
    info["time"] = None
    if unix_s:
        info["time"] = datetime.fromtimestamp(unix_s, timezone.utc) + timedelta(milliseconds=subsec & 0xFFFF)
        info["utc_offset_min"] = -tz_min
    return info


def _raw_pixels(record: bytes, subtype: int, order: str, width: int, height: int, path: Path) -> np.ndarray:
    payload = record[32:]
    if payload[:4] == b"\x89PNG" or subtype == RAW_SUBTYPE_PNG:
        try:
            with Image.open(io.BytesIO(payload)) as img:
                img.load()
                raw = np.asarray(img)
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnreadableFrame(f"{path}: FLIR raw thermal PNG is corrupt ({exc})") from exc
        raw = raw.astype(np.uint16).byteswap()  # FLIR writes the 16-bit PNG samples little-endian
    else:
        dtype = np.dtype(np.uint16).newbyteorder("<" if subtype == RAW_SUBTYPE_LE else
                                                   ">" if subtype == RAW_SUBTYPE_BE else order)
        need = width * height * 2
        if len(payload) < need:
            raise UnreadableFrame(f"{path}: FLIR raw thermal image is truncated ({len(payload)} of {need} bytes)")
        raw = np.frombuffer(payload[:need], dtype=dtype).reshape(height, width).astype(np.uint16)
    if raw.shape != (height, width):
        raise UnreadableFrame(f"{path}: FLIR raw thermal image is {raw.shape[1]}x{raw.shape[0]} but its header "
                              f"says {width}x{height}")
    return raw


def raw_to_kelvin(raw: np.ndarray, info: dict) -> np.ndarray:
    """Raw counts → object temperature in kelvin (float64), with the equations of the module docstring.

    ``info`` holds the CameraInfo constants (as returned in :attr:`FlirRecords.camera_info`). Counts whose
    radiance falls outside the calibration (logarithm of a non-positive number) become NaN.
    """
    e = info["emissivity"]
    d = info["object_distance_m"]
    t_refl, t_atm, t_win = info["reflected_temp_k"], info["atmospheric_temp_k"], info["ir_window_temp_k"]
    tau_win = info["ir_window_transmission"]
    r1, r2, b, f, o = info["planck_r1"], info["planck_r2"], info["planck_b"], info["planck_f"], info["planck_o"]
    ta_c = t_atm - 273.15
    h2o = info["relative_humidity"] * math.exp(1.5587 + 0.06939 * ta_c - 0.00027816 * ta_c ** 2
                                               + 0.00000068455 * ta_c ** 3)
    x = info["atm_x"]
    root_d = math.sqrt(d / 2.0)
    tau = (x * math.exp(-root_d * (info["atm_alpha1"] + info["atm_beta1"] * math.sqrt(h2o)))
           + (1.0 - x) * math.exp(-root_d * (info["atm_alpha2"] + info["atm_beta2"] * math.sqrt(h2o))))

    def planck_raw(t_k: float) -> float:
        return r1 / (r2 * (math.exp(b / t_k) - f)) - o

    gain = e * tau * tau_win * tau
    offset = math.fsum([
        (1.0 - e) / e * planck_raw(t_refl),
        (1.0 - tau) / (e * tau) * planck_raw(t_atm),
        (1.0 - tau) / gain * planck_raw(t_atm),
        (1.0 - tau_win) / (e * tau * tau_win) * planck_raw(t_win),
    ])
    obj = raw.astype(np.float64) / gain - offset
    with np.errstate(divide="ignore", invalid="ignore"):
        return b / np.log(r1 / (r2 * (obj + o)) + f)
