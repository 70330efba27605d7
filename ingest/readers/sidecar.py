"""JSON sidecar: supplies or overrides time, ids, unit, camera and pose of ANY frame (a contract: the synthetic
scenario writes it).

Schema (all keys optional; unknown keys inside ``camera``/``pose`` are errors, so typos never pass silently;
unknown top-level keys are kept in the frame attribute ``sidecar_extra``)::

    {"frame_id": "...", "source_id": "tower-1", "source_kind": "drone|fixed", "time": "2026-04-05T03:12:00Z",
     "units": "K|C|cK",
     "camera": {"model": "...", "width_px": 640, "height_px": 512,
                one of: "hfov_deg" (+ "vfov_deg") | "focal_length_mm" + ("sensor_width_mm" | "pixel_pitch_um")
                        | "fx_px", "fy_px" (+ "cx_px", "cy_px"),
                "distortion": [k1, k2, p1, p2, k3], "saturation_k" | "saturation_c"},
     "pose": {"lat_deg", "lon_deg", "alt_amsl_m", "yaw_deg", "pitch_deg", "roll_deg" (drone gimbal)
              | "pan_deg", "tilt_deg" (fixed camera: pan → yaw, tilt → pitch, roll 0), "alt_above_takeoff_m"}}

``sidecar=None`` looks for ``<name>.<ext>.json`` then ``<name>.json`` beside the frame; a path uses that file;
``False`` uses none. Field errors name the sidecar file and the field: pose fields raise :class:`InvalidPose`, the
unit :class:`UnitsError`, anything else :class:`MissingMetadata`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ingest.camera import Camera
from ingest.errors import InvalidPose, MissingMetadata, UnitsError
from firewatch.model import parse_time


class SidecarCamera(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    width_px: int | None = None
    height_px: int | None = None
    hfov_deg: float | None = None
    vfov_deg: float | None = None
    focal_length_mm: float | None = None
    sensor_width_mm: float | None = None
    pixel_pitch_um: float | None = None
    fx_px: float | None = None
    fy_px: float | None = None
    cx_px: float | None = None
    cy_px: float | None = None
    distortion: tuple[float, float, float, float, float] | None = None
    saturation_k: float | None = None
    saturation_c: float | None = None

    @model_validator(mode="after")
    def _one_intrinsics_form(self) -> "SidecarCamera":
        forms = [name for name, present in (("hfov_deg", self.hfov_deg is not None),
                                            ("focal_length_mm", self.focal_length_mm is not None),
                                            ("fx_px/fy_px", self.fx_px is not None or self.fy_px is not None))
                 if present]
        if len(forms) > 1:
            raise ValueError(f"give one way to state the intrinsics, not {' and '.join(forms)}")
        if self.focal_length_mm is not None and self.sensor_width_mm is None and self.pixel_pitch_um is None:
            raise ValueError("focal_length_mm needs sensor_width_mm or pixel_pitch_um")
        if (self.fx_px is None) != (self.fy_px is None):
            raise ValueError("give both fx_px and fy_px")
        if self.saturation_k is not None and self.saturation_c is not None:
            raise ValueError("give saturation_k or saturation_c, not both")
        return self

    @property
    def has_intrinsics(self) -> bool:
        return self.hfov_deg is not None or self.focal_length_mm is not None or self.fx_px is not None

    @property
    def ceiling_k(self) -> float | None:
        if self.saturation_k is not None:
            return self.saturation_k
        return None if self.saturation_c is None else self.saturation_c + 273.15


class SidecarPose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_amsl_m: float | None = None
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    roll_deg: float | None = None
    pan_deg: float | None = None
    tilt_deg: float | None = None
    alt_above_takeoff_m: float | None = None

    @model_validator(mode="after")
    def _gimbal_or_pan_tilt(self) -> "SidecarPose":
        if self.pan_deg is not None and self.yaw_deg is not None:
            raise ValueError("give yaw_deg (drone gimbal) or pan_deg (fixed camera), not both")
        if self.tilt_deg is not None and self.pitch_deg is not None:
            raise ValueError("give pitch_deg (drone gimbal) or tilt_deg (fixed camera), not both")
        return self

    def fields(self) -> dict:
        """The given values as :class:`ingest.pose.Pose` keys (pan → yaw, tilt → pitch with roll 0)."""
        out = {k: v for k, v in self.model_dump().items() if v is not None and k not in ("pan_deg", "tilt_deg")}
        if self.pan_deg is not None or self.tilt_deg is not None:
            out["kind"] = "pan_tilt"
            if self.pan_deg is not None:
                out["yaw_deg"] = self.pan_deg
            if self.tilt_deg is not None:
                out["pitch_deg"] = self.tilt_deg
            out.setdefault("roll_deg", 0.0)
        elif "yaw_deg" in out or "pitch_deg" in out:
            out["kind"] = "gimbal"
        return out


class Sidecar(BaseModel):
    #: Unknown top-level keys are kept (``model_extra``) and reported in the frame's ``sidecar_extra`` attribute.
    model_config = ConfigDict(extra="allow")

    frame_id: str | None = None
    source_id: str | None = None
    source_kind: Literal["drone", "fixed", "satellite"] | None = None
    time: datetime | None = None
    units: Literal["K", "C", "cK", "auto"] | None = None
    camera: SidecarCamera | None = None
    pose: SidecarPose | None = None


def find_sidecar(frame_path: Path, sidecar: str | Path | None | bool) -> Path | None:
    """The sidecar file to use for ``frame_path`` (see module docstring), or None."""
    if sidecar is False:
        return None
    if sidecar is None or sidecar is True:
        for candidate in (frame_path.with_name(frame_path.name + ".json"), frame_path.with_suffix(".json")):
            if candidate.is_file() and candidate != frame_path:
                return candidate
        if sidecar is True:
            raise MissingMetadata(f"{frame_path}: no sidecar found (looked for {frame_path.name}.json and "
                                  f"{frame_path.stem}.json beside it)")
        return None
    path = Path(sidecar)
    if not path.is_file():
        raise MissingMetadata(f"{frame_path}: sidecar {path} does not exist")
    return path


def load_sidecar(path: Path) -> Sidecar:
    """Read and validate a sidecar; typed errors name ``path`` and the bad field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MissingMetadata(f"sidecar {path}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise MissingMetadata(f"sidecar {path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                              f"{exc.msg})") from exc
    if not isinstance(data, dict):
        raise MissingMetadata(f"sidecar {path}: must be a JSON object, got {type(data).__name__}")
    try:
        sidecar = Sidecar.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = (f"sidecar {path}: field {where}: {error['msg']} (got {error.get('input')!r}); "
                   "fix the value (see ingest/readers/sidecar.py for the schema)")
        top = str(error["loc"][0]) if error["loc"] else ""
        if top == "pose":
            raise InvalidPose(message) from exc
        if top == "units":
            raise UnitsError(message) from exc
        raise MissingMetadata(message) from exc
    if sidecar.time is not None:
        sidecar.time = parse_time(sidecar.time)
    return sidecar


def sidecar_camera(spec: SidecarCamera, embedded: Camera | None, *, width_px: int, height_px: int,
                   path: Path) -> Camera | None:
    """The camera after the sidecar: new intrinsics when it states them, else the embedded camera with the
    sidecar's model / distortion / saturation applied. ``width_px``/``height_px`` are the raster's size."""
    for name, stated, actual in (("width_px", spec.width_px, width_px), ("height_px", spec.height_px, height_px)):
        if stated is not None and stated != actual:
            raise MissingMetadata(f"sidecar {path}: camera.{name}={stated} but the frame is {width_px}x{height_px} "
                                  "pixels: the sidecar describes another camera or image")
    base = embedded.to_dict() if embedded is not None else {}
    extras = {"model": spec.model or base.get("model", "unknown"),
              "saturation_k": spec.ceiling_k if spec.ceiling_k is not None else base.get("saturation_k"),
              "distortion": tuple(spec.distortion or base.get("distortion") or (0.0,) * 5)}
    try:
        if spec.hfov_deg is not None:
            return Camera.from_fov(width_px, height_px, hfov_deg=spec.hfov_deg, vfov_deg=spec.vfov_deg, **extras)
        if spec.focal_length_mm is not None:
            return Camera.from_focal_length(width_px, height_px, focal_length_mm=spec.focal_length_mm,
                                            sensor_width_mm=spec.sensor_width_mm,
                                            pixel_pitch_um=spec.pixel_pitch_um, **extras)
        if spec.fx_px is not None:
            cx = spec.cx_px if spec.cx_px is not None else (width_px - 1) / 2.0
            cy = spec.cy_px if spec.cy_px is not None else (height_px - 1) / 2.0
            return Camera(width_px, height_px, spec.fx_px, spec.fy_px, cx, cy, **extras)
    except MissingMetadata as exc:
        raise MissingMetadata(f"sidecar {path}: camera: {exc}") from exc
    if embedded is None:
        return None
    return Camera(embedded.width_px, embedded.height_px, embedded.fx_px, embedded.fy_px, embedded.cx_px,
                  embedded.cy_px, **extras)
