"""Fixed-camera glue between ingest and detection: calibrated poses, hotspot bearings, triangulation with the store.

:mod:`detection.triangulate` works on plain numbers (a camera position, an azimuth, an elevation, a σ); the pixel →
direction math stays in :func:`ingest.georef.ray_enu` (one implementation). This module, in the shell that may import
both, turns a fixed frame's hotspots into bearings and relocates them against the recent hotspots of other cameras.

Pipeline wiring (lead)::

    # FrameAnalyser.analyse (stateless): after reading, before georeferencing; after detecting
    frame = calibrated_frame(frame, config.cameras)
    hotspots = attach_bearings(frame, result.hotspots, cameras=config.cameras)
    # Pipeline.commit (time-ordered, owns the store): before fusing
    hotspots = relocate_with_store(analysis.hotspots, store, config=config.triangulation)

(:func:`triangulate_frame_hotspots` does both for one frame in one process.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field

from detection.triangulate import Bearing, TriangulationConfig, bearing_sigma_deg, locate_by_triangulation
from firewatch.model import Hotspot
from ingest.camera import Camera
from ingest.georef import camera_pose_of, ray_enu

__all__ = ["DEFAULT_CALIBRATION_SIGMA_DEG", "FixedCameraConfig", "attach_bearings", "calibrated_frame",
           "relocate_with_store", "triangulate_frame_hotspots"]

#: 1-σ pan/tilt calibration residual assumed when a camera's config gives none: 0.05° is about one pixel of the
#: 0.65 mrad (0.037°) tower lens, the residual a landmark calibration leaves; replace it with your own landmark
#: residuals per camera.
DEFAULT_CALIBRATION_SIGMA_DEG = 0.05


class FixedCameraConfig(BaseModel):
    """One fixed (tower) camera (lead: ``[[cameras]]`` tables). Angles degrees, heights metres.

    ``camera_id`` is the frames' ``source_id``. Position and lens, when given, replace what the frame's metadata
    says (a surveyed mast beats a GPS fix); pan/tilt offsets are added to the frame's pan (yaw) and tilt (pitch):
    they are the calibration against surveyed landmarks (true = reported + offset).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    camera_id: str = Field(min_length=1)
    lat_deg: float | None = Field(None, ge=-90, le=90)
    lon_deg: float | None = Field(None, ge=-180, le=180)
    #: Ground elevation at the mast foot, m AMSL, and the mast height: the camera is at their sum.
    ground_elevation_m: float | None = None
    mast_height_m: float = Field(0.0, ge=0, le=300)
    #: Horizontal field of view of the lens, degrees (None: the frame's intrinsics).
    hfov_deg: float | None = Field(None, gt=0, lt=179)
    pan_offset_deg: float = Field(0.0, ge=-180, le=180)
    tilt_offset_deg: float = Field(0.0, ge=-10, le=10)
    calibration_sigma_deg: float = Field(DEFAULT_CALIBRATION_SIGMA_DEG, gt=0, le=5)


def _camera_config(frame: xr.Dataset, cameras: Sequence[FixedCameraConfig]) -> FixedCameraConfig | None:
    source_id = frame.attrs.get("source_id")
    return next((c for c in cameras if c.camera_id == source_id), None)


def calibrated_frame(frame: xr.Dataset, cameras: Sequence[FixedCameraConfig]) -> xr.Dataset:
    """The frame with its pose (and lens) corrected by its camera's config; unchanged when it has none or is not a
    fixed camera. Returns a shallow copy with new ``camera``/``pose`` attrs; raises ``MissingMetadata`` (ingest)
    when the frame has no pose."""
    config = _camera_config(frame, cameras)
    if config is None or frame.attrs.get("source_kind") != "fixed":
        return frame
    camera, pose = camera_pose_of(frame)
    updates = {"yaw_deg": (pose.yaw_deg + config.pan_offset_deg) % 360.0,
               "pitch_deg": pose.pitch_deg + config.tilt_offset_deg}
    if config.lat_deg is not None and config.lon_deg is not None:
        updates.update(lat_deg=config.lat_deg, lon_deg=config.lon_deg)
    if config.ground_elevation_m is not None:
        updates["alt_amsl_m"] = config.ground_elevation_m + config.mast_height_m
    pose = replace(pose, **updates)
    if config.hfov_deg is not None:
        camera = Camera.from_fov(camera.width_px, camera.height_px, hfov_deg=config.hfov_deg,
                                 distortion=camera.distortion, model=camera.model, saturation_k=camera.saturation_k)
    out = frame.copy()
    out.attrs = {**frame.attrs, "camera": camera.to_dict(), "pose": pose.to_dict(),
                 "calibration": config.model_dump(mode="json")}
    return out


def attach_bearings(frame: xr.Dataset, hotspots: Sequence[Hotspot], *,
                    cameras: Sequence[FixedCameraConfig] = ()) -> list[Hotspot]:
    """Copies of a fixed frame's hotspots with ``extra["bearing"]`` (camera position, azimuth and elevation of the
    hotspot's pixel centroid from :func:`ingest.georef.ray_enu`, 1-σ from the pixel IFOV and the camera's
    calibration σ). Hotspots of drone or satellite frames are returned unchanged."""
    if frame.attrs.get("source_kind") != "fixed" or not hotspots:
        return list(hotspots)
    camera, pose = camera_pose_of(frame)
    config = _camera_config(frame, cameras)
    calibration = config.calibration_sigma_deg if config is not None else DEFAULT_CALIBRATION_SIGMA_DEG
    sigma = bearing_sigma_deg(math.degrees(camera.ifov_rad), calibration)
    rays = ray_enu(camera, pose, np.array([h.row for h in hotspots]), np.array([h.col for h in hotspots]))
    out = []
    for hotspot, (east, north, up) in zip(hotspots, rays):
        bearing = Bearing(lat_deg=pose.lat_deg, lon_deg=pose.lon_deg, alt_amsl_m=pose.alt_amsl_m,
                          azimuth_deg=math.degrees(math.atan2(east, north)) % 360.0,
                          elevation_deg=math.degrees(math.asin(max(-1.0, min(1.0, up)))), sigma_deg=sigma)
        out.append(replace(hotspot, extra={**hotspot.extra, "bearing": bearing.to_dict()}))
    return out


def relocate_with_store(hotspots: Sequence[Hotspot], store, *,
                        config: TriangulationConfig | None = None) -> list[Hotspot]:
    """Relocate hotspots that carry a bearing (:func:`attach_bearings`) against the stored hotspots of *other*
    fixed cameras seen within the triangulation window (:func:`detection.triangulate.locate_by_triangulation`).
    ``store`` is a :class:`firewatch.store.Store` (only ``hotspots(since=...)`` is read). Hotspots without a bearing
    come back unchanged; with none, the store is not queried."""
    config = config or TriangulationConfig()
    with_bearing = [h for h in hotspots if h.extra.get("bearing")]
    if not with_bearing:
        return list(hotspots)
    window = timedelta(seconds=config.window_s)
    start, end = min(h.time for h in with_bearing) - window, max(h.time for h in with_bearing) + window
    own = {h.source_id for h in with_bearing}
    recent = [h for h in store.hotspots(since=start)
              if h.source_kind == "fixed" and h.source_id not in own and h.time <= end]
    return locate_by_triangulation(hotspots, recent, config=config)


def triangulate_frame_hotspots(frame: xr.Dataset, hotspots: Sequence[Hotspot], store, *,
                               cameras: Sequence[FixedCameraConfig] = (),
                               config: TriangulationConfig | None = None) -> list[Hotspot]:
    """:func:`attach_bearings` then :func:`relocate_with_store`, for one frame in one process."""
    return relocate_with_store(attach_bearings(frame, hotspots, cameras=cameras), store, config=config)
