"""Domain types shared by every package: the thermal frame, hotspots and incidents.

A **frame** is an :class:`xarray.Dataset` with dims ``(y, x)`` (rows, columns):

* ``temperature`` (float32, kelvin, ``attrs["units"] == "K"``), NaN where the sensor gave no value;
* ``saturated`` (bool): the pixel is at the sensor's radiometric ceiling, so its true temperature is higher;
* after georeferencing, 2-D coordinates ``lat``, ``lon`` (WGS 84 degrees), ``elevation`` (m AMSL) and the data
  variable ``pixel_area`` (m², ground area seen by the pixel), NaN where the pixel's ray meets no terrain (sky).

Attributes: ``frame_id``, ``source_id``, ``source_kind`` (``drone`` | ``fixed`` | ``satellite``), ``time`` (ISO 8601
UTC), ``camera`` and ``pose`` (plain dicts, see :mod:`ingest.camera` and :mod:`ingest.pose`; JSON strings when the
frame is written to netCDF), ``path`` (the file it was read from) and ``units_decision`` (how the reader decided the
unit).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np
import xarray as xr

SourceKind = Literal["drone", "fixed", "satellite"]
ConfidenceClass = Literal["low", "nominal", "high"]
IncidentState = Literal["candidate", "confirmed", "active", "quiet", "closed"]
LocationMethod = Literal["dem", "flat", "triangulation", "satellite", "none"]

SOURCE_KINDS: tuple[str, ...] = ("drone", "fixed", "satellite")
#: Stefan–Boltzmann constant, W m⁻² K⁻⁴.
STEFAN_BOLTZMANN = 5.670374419e-8


def utc_now() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(timezone.utc)


def parse_time(value: str | datetime) -> datetime:
    """Parse ISO 8601 into an aware UTC datetime; naive values are taken as UTC."""
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    """ISO 8601 UTC with a ``Z`` suffix, e.g. ``2026-04-05T03:12:00Z`` (fractions kept when present)."""
    return parse_time(value).isoformat().replace("+00:00", "Z")


def make_frame(temperature_k: np.ndarray, *, frame_id: str, source_id: str, source_kind: SourceKind,
               time: datetime | str | None, camera: dict | None = None, pose: dict | None = None,
               saturated: np.ndarray | None = None, path: str | None = None,
               attrs: dict | None = None) -> xr.Dataset:
    """Build a frame Dataset following the convention above.

    ``temperature_k`` is a 2-D array in kelvin (``rows × cols``); it is stored as float32. ``saturated`` defaults to
    all False.
    """
    temperature_k = np.asarray(temperature_k, dtype=np.float32)
    if temperature_k.ndim != 2:
        raise ValueError(f"frame {frame_id}: temperature must be 2-D (rows, cols), got shape {temperature_k.shape}")
    if saturated is None:
        saturated = np.zeros(temperature_k.shape, dtype=bool)
    if source_kind not in SOURCE_KINDS:
        raise ValueError(f"frame {frame_id}: source_kind {source_kind!r} is not one of {SOURCE_KINDS}")
    ds = xr.Dataset(
        {
            "temperature": (("y", "x"), temperature_k,
                            {"units": "K", "standard_name": "surface_brightness_temperature",
                             "long_name": "temperature"}),
            "saturated": (("y", "x"), np.asarray(saturated, dtype=bool),
                          {"long_name": "pixel at the sensor's radiometric ceiling"}),
        },
        attrs={
            "frame_id": frame_id,
            "source_id": source_id,
            "source_kind": source_kind,
            "time": format_time(time) if time is not None else "",
            "camera": dict(camera or {}),
            "pose": dict(pose or {}),
            "path": path or "",
            **(attrs or {}),
        },
    )
    return ds


def frame_time(frame: xr.Dataset) -> datetime | None:
    """The frame's acquisition time (aware UTC) or None when unknown."""
    value = frame.attrs.get("time")
    return parse_time(value) if value else None


def is_georeferenced(frame: xr.Dataset) -> bool:
    """True when the frame carries per-pixel ``lat``/``lon`` coordinates."""
    return "lat" in frame.coords and "lon" in frame.coords


def stable_id(*parts: Any, length: int = 16) -> str:
    """Deterministic short hex id from the given parts (used for frame and hotspot ids)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:length]


@dataclass
class Hotspot:
    """One 8-connected cluster of fire pixels in one frame (or one satellite detection).

    Pixel quantities are in the frame's ``(row, col)`` space; ground quantities are WGS 84 degrees and metres and
    are None when the frame is not georeferenced. Temperatures are kelvin; FRP is kilowatts.
    """

    hotspot_id: str
    frame_id: str
    source_id: str
    source_kind: str
    time: datetime
    row: float
    col: float
    bbox_px: tuple[int, int, int, int]  # (row_min, col_min, row_max, col_max), inclusive
    pixel_count: int
    max_temp_k: float
    mean_temp_k: float
    background_temp_k: float
    background_mad_k: float
    saturated_fraction: float
    frp_kw: float | None
    frp_lower_bound: bool
    confidence: float
    confidence_class: ConfidenceClass
    lat: float | None = None
    lon: float | None = None
    elevation_m: float | None = None
    area_m2: float | None = None
    #: GeoJSON geometry (Polygon/MultiPolygon, lon-lat) of the cluster's ground footprint, or None.
    footprint: dict | None = None
    #: 1-sigma horizontal location uncertainty in metres, or None when unknown.
    location_uncertainty_m: float | None = None
    location_method: LocationMethod = "none"
    masked: bool = False
    mask_name: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready fields (time as ISO 8601 UTC). The footprint geometry is shared, not copied (a fire's
        outline holds thousands of coordinates; deep-copying it cost more than detecting it): treat it as read-only."""
        data = _shallow_fields(self)
        data["time"] = format_time(self.time)
        data["bbox_px"] = list(self.bbox_px)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Hotspot":
        data = dict(data)
        data["time"] = parse_time(data["time"])
        data["bbox_px"] = tuple(int(v) for v in data["bbox_px"])
        return cls(**data)

    @property
    def is_located(self) -> bool:
        return self.lat is not None and self.lon is not None and math.isfinite(self.lat) and math.isfinite(self.lon)


@dataclass
class Incident:
    """A fire as the operations centre sees it: hotspots fused across frames, sources and time.

    ``perimeter`` is a GeoJSON geometry (lon-lat) — the union of the member hotspots' footprints — or None.
    """

    incident_id: str
    state: IncidentState
    first_seen: datetime
    last_seen: datetime
    lat: float
    lon: float
    perimeter: dict | None
    area_m2: float
    max_frp_kw: float
    max_temp_k: float
    confidence: float
    confidence_class: ConfidenceClass
    sources: list[str]
    source_kinds: list[str]
    look_count: int
    hotspot_count: int
    masked: bool = False
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready fields (times as ISO 8601 UTC). The perimeter geometry is shared, not copied: treat it
        as read-only."""
        data = _shallow_fields(self)
        for key in ("first_seen", "last_seen", "confirmed_at", "closed_at"):
            if data[key] is not None:
                data[key] = format_time(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Incident":
        data = dict(data)
        for key in ("first_seen", "last_seen", "confirmed_at", "closed_at"):
            if data.get(key):
                data[key] = parse_time(data[key])
        return cls(**data)


def _shallow_fields(record: Any) -> dict:
    """A dataclass's fields as a dict; lists and dicts one level deep are copied, deeper values shared."""
    data = {}
    for item in fields(record):
        value = getattr(record, item.name)
        data[item.name] = value.copy() if isinstance(value, (list, dict)) and item.name not in _SHARED else value
    return data


#: Geometry fields shared by to_dict rather than copied (large, never modified in place).
_SHARED = ("footprint", "perimeter")


def to_json(value: Any) -> str:
    """JSON with numpy scalars and datetimes handled (compact, UTF-8, keys sorted for stable hashing)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return format_time(obj)
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

    return json.dumps(value, default=default, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
