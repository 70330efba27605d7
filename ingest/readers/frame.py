"""Assembling a frame: reader output + sidecar → camera, pose, ids, time, saturation → ``firewatch.model`` frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import xarray as xr

from firewatch.model import SOURCE_KINDS, format_time, make_frame
from ingest.camera import Camera
from ingest.errors import InvalidPose, MissingMetadata
from ingest.pose import Pose
from ingest.readers.config import ReaderConfig
from ingest.readers.registry import reader_for
from ingest.readers.saturation import saturation_mask
from ingest.readers.sidecar import Sidecar, find_sidecar, load_sidecar, sidecar_camera
from ingest.readers.source import FrameMetadata, Radiometry, Source
from ingest.readers.units import check_units_name

#: Pose keys a complete :class:`Pose` needs (roll defaults to 0).
_POSE_REQUIRED = ("lat_deg", "lon_deg", "alt_amsl_m", "yaw_deg", "pitch_deg")


@dataclass
class Resolved:
    """Everything about a frame except its pixels, after the sidecar is applied."""

    frame_id: str
    source_id: str
    source_kind: str
    time: datetime | None
    camera: Camera | None
    pose: Pose | None
    attrs: dict = field(default_factory=dict)


def _scaled(camera: Camera, width_px: int, height_px: int) -> Camera:
    """The same optics on a raster of another size (a decoder returning a resampled image)."""
    sx, sy = width_px / camera.width_px, height_px / camera.height_px
    return Camera(width_px, height_px, camera.fx_px * sx, camera.fy_px * sy, (camera.cx_px + 0.5) * sx - 0.5,
                  (camera.cy_px + 0.5) * sy - 0.5, camera.distortion, camera.model, camera.saturation_k)


def _pose(fields: dict, *, where: str) -> tuple[Pose | None, list[str]]:
    missing = [k for k in _POSE_REQUIRED if fields.get(k) is None]
    if missing:
        return None, missing
    values = {"roll_deg": 0.0, "kind": "gimbal", **fields}
    try:
        return Pose.from_dict(values), []
    except InvalidPose as exc:
        raise InvalidPose(f"{where}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidPose(f"{where}: pose values are not numbers ({exc})") from exc


def resolve(source: Source, meta: FrameMetadata, sidecar: Sidecar | None, sidecar_path: Path | None, *,
            width_px: int | None, height_px: int | None, source_kind: str | None) -> Resolved:
    """Merge the reader's metadata with the sidecar (sidecar wins field by field)."""
    attrs: dict = {"format": meta.format, "content_sha256": source.sha256, **meta.attrs}
    if sidecar_path is not None:
        attrs["sidecar"] = str(sidecar_path)
        if sidecar.model_extra:
            attrs["sidecar_extra"] = dict(sidecar.model_extra)
    width_px, height_px = width_px or meta.width_px, height_px or meta.height_px

    camera, camera_source = meta.camera, meta.camera_source
    if camera is not None and width_px and (camera.width_px, camera.height_px) != (width_px, height_px):
        camera = _scaled(camera, width_px, height_px)
        camera_source += f"; scaled to the {width_px}×{height_px} raster"
    if sidecar is not None and sidecar.camera is not None:
        if not (width_px and height_px):
            width_px = sidecar.camera.width_px
            height_px = sidecar.camera.height_px
        if not (width_px and height_px):
            raise MissingMetadata(f"sidecar {sidecar_path}: camera needs width_px and height_px for this file")
        camera = sidecar_camera(sidecar.camera, camera, width_px=width_px, height_px=height_px, path=sidecar_path)
        camera_source = (f"sidecar {sidecar_path.name}" if sidecar.camera.has_intrinsics
                         else f"{camera_source}; model/distortion/saturation from sidecar {sidecar_path.name}")
    if camera_source:
        attrs["camera_source"] = camera_source

    kind = source_kind or (sidecar.source_kind if sidecar else None) or meta.source_kind
    pose_fields = dict(meta.pose_fields)
    where = str(source.path)
    if sidecar is not None and sidecar.pose is not None:
        pose_fields.update(sidecar.pose.fields())
        where = f"sidecar {sidecar_path} (for {source.path.name})"
        if kind == "fixed" and pose_fields.get("kind") == "gimbal":
            pose_fields["kind"] = "pan_tilt"  # a fixed camera's yaw/pitch are its pan/tilt
    pose, missing = _pose(pose_fields, where=where)
    if pose is None and pose_fields:
        attrs["pose_missing"] = missing
        attrs["pose_partial"] = {k: v for k, v in pose_fields.items() if v is not None}

    if kind is None:
        kind = "fixed" if pose is not None and pose.kind == "pan_tilt" else "drone"
        attrs.setdefault("source_kind_decision", f"not stated: assumed {kind!r} (a sidecar 'source_kind' fixes it)")
    if kind not in SOURCE_KINDS:
        raise MissingMetadata(f"{source.path}: source_kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")

    time = meta.time
    if sidecar is not None and sidecar.time is not None:
        time, attrs["time_source"] = sidecar.time, f"sidecar {sidecar_path.name}"
    elif meta.time_source:
        attrs["time_source"] = meta.time_source
    frame_id = (sidecar.frame_id if sidecar and sidecar.frame_id else None) or \
        f"{source.path.stem}-{source.sha256[:8]}"
    source_id = (sidecar.source_id if sidecar and sidecar.source_id else None) or meta.source_id or \
        (source.path.parent.name or "unknown")
    return Resolved(frame_id, source_id, kind, time, camera, pose, attrs)


def _load(path: str | Path | Source, sidecar: str | Path | None | bool) -> tuple[Source, object, FrameMetadata,
                                                                                  Sidecar | None, Path | None]:
    source = path if isinstance(path, Source) else Source.open(path)
    reader = reader_for(source)
    meta = reader.read_metadata(source)
    sidecar_path = find_sidecar(source.path, sidecar)
    return source, reader, meta, (load_sidecar(sidecar_path) if sidecar_path else None), sidecar_path


def read_frame(path: str | Path | Source, *, units: str = "auto", sidecar: str | Path | None | bool = None,
               source_kind: str | None = None, config: ReaderConfig | None = None) -> xr.Dataset:
    """Read one thermal frame into a frame Dataset (see :mod:`firewatch.model`), temperatures in kelvin.

    ``path``: the file, or a :class:`Source` already opened from it (its bytes read and hashed once, as the pipeline
    does to skip files it has already stored).

    ``units``: ``"auto"`` (decide from the values, or the sidecar's ``units``), ``"K"``, ``"C"`` or ``"cK"``
    (only meaningful for TIFF). ``sidecar``: None = ``<frame>.json`` beside the file when present, a path = that
    file, False = none. ``source_kind`` overrides the sidecar and the reader. Attributes added beyond the frame
    convention: ``units_decision``, ``content_sha256``, ``format``, ``saturation_decision``, ``camera_source``,
    ``time_source``, and when known ``lrf``, ``gps``, ``flight_attitude_deg``.

    Raises :class:`UnreadableFrame` (and its :class:`UndecodableRadiometry`), :class:`UnitsError`,
    :class:`MissingMetadata`, :class:`InvalidPose`, each naming the file.
    """
    return read_frame_radiometry(path, units=units, sidecar=sidecar, source_kind=source_kind, config=config)[0]


def read_frame_radiometry(path: str | Path | Source, *, units: str = "auto",
                          sidecar: str | Path | None | bool = None, source_kind: str | None = None,
                          config: ReaderConfig | None = None) -> tuple[xr.Dataset, Radiometry]:
    """:func:`read_frame`, and the reader's :class:`Radiometry` it was built from (for exports that must write the
    decoder's own values, e.g. a DJI frame's °C exactly as DJI's SDK gives them: ``radiometry.native_celsius``)."""
    config = config or ReaderConfig()
    check_units_name(units, str(path.path if isinstance(path, Source) else path))
    source, reader, meta, side, side_path = _load(path, sidecar)
    units_source = "requested by the caller"
    if units == "auto" and side is not None and side.units not in (None, "auto"):
        units, units_source = side.units, f"stated by sidecar {side_path.name}"
    radiometry = reader.read_radiometry(source, meta, units=units, units_source=units_source, config=config)
    temperature_k = radiometry.temperature_k
    height_px, width_px = temperature_k.shape
    resolved = resolve(source, meta, side, side_path, width_px=width_px, height_px=height_px,
                       source_kind=source_kind)

    if radiometry.saturated is not None:
        saturated, decision = radiometry.saturated, radiometry.saturation_decision
    else:
        ceiling, origin = radiometry.saturation_k, "the file's calibration"
        if side is not None and side.camera is not None and side.camera.ceiling_k is not None:
            ceiling, origin = side.camera.ceiling_k, f"sidecar {side_path.name}"
        saturated, decision, _ceiling = saturation_mask(temperature_k, ceiling_k=ceiling, ceiling_source=origin,
                                                        config=config)
    attrs = {**resolved.attrs, "units_decision": radiometry.units_decision, "saturation_decision": decision}
    frame = make_frame(temperature_k, frame_id=resolved.frame_id, source_id=resolved.source_id,
                       source_kind=resolved.source_kind, time=resolved.time,
                       camera=resolved.camera.to_dict() if resolved.camera else {},
                       pose=resolved.pose.to_dict() if resolved.pose else {}, saturated=saturated,
                       path=str(source.path), attrs=attrs)
    if radiometry.crs is not None:
        frame = _georeference_in_plan(frame, radiometry.crs, radiometry.transform)
    return frame, radiometry


def _georeference_in_plan(frame: xr.Dataset, crs, transform) -> xr.Dataset:
    """Attach a GeoTIFF's grid: pixel-centre ``x``/``y`` coordinates (north-up grids) plus CRS and transform."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    if transform.b == 0 and transform.d == 0:
        cols = np.arange(frame.sizes["x"]) + 0.5
        rows = np.arange(frame.sizes["y"]) + 0.5
        frame = frame.assign_coords(x=transform.c + transform.a * cols, y=transform.f + transform.e * rows)
    frame = frame.rio.write_crs(crs)
    return frame.rio.write_transform(transform)


def read_metadata(path: str | Path, *, sidecar: str | Path | None | bool = None,
                  source_kind: str | None = None) -> dict:
    """Pose, camera, time and ids of a frame without decoding its pixels (works for DJI R-JPEGs without the SDK).

    Returns a plain dict: ``frame_id``, ``source_id``, ``source_kind``, ``time`` (ISO UTC or ""), ``camera``
    (dict or {}), ``pose`` (dict or {}), ``path`` and the reader's extra attributes (``format``, ``lrf`` ...).
    """
    source, _reader, meta, side, side_path = _load(path, sidecar)
    resolved = resolve(source, meta, side, side_path, width_px=None, height_px=None, source_kind=source_kind)
    return {"frame_id": resolved.frame_id, "source_id": resolved.source_id, "source_kind": resolved.source_kind,
            "time": format_time(resolved.time) if resolved.time else "",
            "camera": resolved.camera.to_dict() if resolved.camera else {},
            "pose": resolved.pose.to_dict() if resolved.pose else {}, "path": str(source.path), **resolved.attrs}


def read_pose_camera(path: str | Path, *, sidecar: str | Path | None | bool = None) -> tuple[Pose | None,
                                                                                             Camera | None, dict]:
    """``(pose, camera, attrs)`` of a frame without its pixels: what georeferencing a pixel needs.

    ``attrs`` is the dict of :func:`read_metadata` (it holds ``lrf`` for DJI frames with a laser target).
    """
    source, _reader, meta, side, side_path = _load(path, sidecar)
    resolved = resolve(source, meta, side, side_path, width_px=None, height_px=None, source_kind=None)
    attrs = {"frame_id": resolved.frame_id, "source_id": resolved.source_id, "source_kind": resolved.source_kind,
             "time": format_time(resolved.time) if resolved.time else "", "path": str(source.path),
             **resolved.attrs}
    return resolved.pose, resolved.camera, attrs


def detect_format(path: str | Path) -> str:
    """Name of the reader that claims the file (``"tiff"``, ``"flir"``, ``"dji_rjpeg"`` ...)."""
    return reader_for(Source.open(path)).name
