"""What every reader receives (the file's bytes) and returns (metadata, radiometry)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.camera import Camera
from ingest.errors import UnreadableFrame
from ingest.readers.jpeg import JpegLayout, parse_jpeg


@dataclass
class Source:
    """One file on disk, read once: its path and bytes (a thermal frame is a few MB at most)."""

    path: Path
    data: bytes

    @classmethod
    def open(cls, path: str | Path) -> "Source":
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise UnreadableFrame(f"{path}: no such file") from exc
        except OSError as exc:
            raise UnreadableFrame(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        if not data:
            raise UnreadableFrame(f"{path}: the file is empty (0 bytes); an interrupted copy? copy it again")
        return cls(path, data)

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the file bytes (the key for once-only processing)."""
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def jpeg(self) -> JpegLayout | None:
        """The JPEG segment layout, or None when not a JPEG; :class:`UnreadableFrame` when truncated."""
        return parse_jpeg(self.data, self.path) if self.data[:2] == b"\xff\xd8" else None


@dataclass
class FrameMetadata:
    """Metadata a reader found without decoding pixels.

    ``pose_fields`` holds whatever pose values the file carries (keys of :class:`ingest.pose.Pose`: ``lat_deg``,
    ``lon_deg``, ``alt_amsl_m`` (m AMSL), ``yaw_deg``, ``pitch_deg``, ``roll_deg`` (degrees), ``kind``,
    ``alt_above_takeoff_m``); a sidecar may complete it. ``camera`` is None when the intrinsics are unknown.
    """

    format: str
    width_px: int | None = None
    height_px: int | None = None
    time: datetime | None = None
    time_source: str = ""
    camera: Camera | None = None
    camera_source: str = ""
    pose_fields: dict = field(default_factory=dict)
    source_id: str | None = None
    source_kind: str | None = None
    #: Extra frame attributes (``lrf``, ``gps``, ``flight_attitude_deg``, ``make``, ``model`` ...), JSON-friendly.
    attrs: dict = field(default_factory=dict)


@dataclass
class Radiometry:
    """Decoded temperatures: ``temperature_k`` float32 (rows, cols) in kelvin, NaN where unknown.

    ``saturated`` is None when the reader leaves saturation to the generic rules (stated ceiling, plateau).
    ``crs`` / ``transform`` are set for GeoTIFFs (rasterio objects). ``native_celsius`` is the decoder's own float32 °C
    array when the format is measured in °C by a vendor decoder (DJI R-JPEG): exports in °C write it unchanged, so
    they equal the vendor's output bit for bit (the kelvin array is rounded to float32 once, at ~3e-5 K steps).
    """

    temperature_k: np.ndarray
    units_decision: str
    saturated: np.ndarray | None = None
    saturation_decision: str = ""
    saturation_k: float | None = None
    crs: object | None = None
    transform: object | None = None
    native_celsius: np.ndarray | None = None
