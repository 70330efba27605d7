"""Files a scenario writes: frame TIFFs and their JSON sidecars, truth GeoJSON, and the demo ``firewatch.toml``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import mapping

from firewatch.model import format_time
from ingest.camera import Camera
from ingest.pose import Pose

SIDECAR_POSE_KEYS = ("lat_deg", "lon_deg", "alt_amsl_m", "yaw_deg", "pitch_deg", "roll_deg")
SIDECAR_CAMERA_KEYS = ("model", "width_px", "height_px", "fx_px", "fy_px", "cx_px", "cy_px", "distortion",
                       "saturation_k")


def write_frame_tiff(path: Path, temperature_k: np.ndarray) -> None:
    """A plain (not georeferenced) single-band float32 TIFF of kelvin temperatures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=temperature_k.shape[1], height=temperature_k.shape[0],
                           count=1, dtype="float32") as dst:
            dst.write(np.asarray(temperature_k, dtype=np.float32), 1)


def sidecar(frame_id: str, source_id: str, source_kind: str, time, camera: Camera, pose: Pose) -> dict:
    """The sidecar JSON the readers consume (schema agreed with the readers helper)."""
    camera_dict = camera.to_dict()
    pose_dict = pose.to_dict()
    return {"frame_id": frame_id, "source_id": source_id, "source_kind": source_kind, "time": format_time(time),
            "units": "K",
            "camera": {key: camera_dict[key] for key in SIDECAR_CAMERA_KEYS},
            "pose": {key: float(pose_dict[key]) for key in SIDECAR_POSE_KEYS}}


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def feature(geometry, properties: dict) -> dict:
    geom = geometry if isinstance(geometry, dict) else mapping(geometry)
    return {"type": "Feature", "geometry": _plain(geom), "properties": properties}


def _plain(value):
    """Shapely's mapping uses tuples; GeoJSON wants lists (and plain floats)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def demo_toml(towers: list, *, dem_name: str) -> str:
    """The scenario's ``firewatch.toml`` (valid for :func:`firewatch.config.load_config`): its DEM, its tower cameras
    (surveyed positions, lenses) and empty mask / no-fly sections to fill in; the time filter of the map ends at the
    newest frame, since the scenario is a replay."""
    lines = [
        "# Firewatch configuration written by `firewatch scenario` (synthetic data). Paths are relative to this file.",
        "# 합성 시나리오용 설정입니다. Heights are metres above mean sea level.",
        "",
        "[terrain]",
        f'dem = "{dem_name}"',
        "",
    ]
    for tower in towers:
        lines += [
            "[[cameras]]",
            f'camera_id = "{tower.source_id}"',
            f"lat_deg = {tower.lat_deg:.8f}",
            f"lon_deg = {tower.lon_deg:.8f}",
            f"ground_elevation_m = {tower.ground_elevation_m:.2f}",
            f"mast_height_m = {tower.mast_height_m:.1f}",
            f"hfov_deg = {tower.hfov_deg:.4f}",
            "",
        ]
    lines += [
        "# Known heat sources to mask (GeoJSON polygons, lon/lat: a solar farm, a chimney); see `firewatch masks suggest`.",
        "# 알려진 열원 마스크 (태양광 발전소, 굴뚝 등) GeoJSON 파일.",
        "[masks]",
        "files = []",
        "",
        "# No-fly zones for flight plans (GeoJSON polygons, lon/lat). 비행 금지 구역.",
        "[flightplans.safety]",
        "no_fly_zone_files = []",
        "",
        "[dashboard]",
        "# a replay of a past afternoon: the time filter ends at the newest frame, not at the wall clock",
        'time_anchor = "latest"',
        "",
    ]
    return "\n".join(lines)
