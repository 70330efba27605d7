"""Pinhole camera intrinsics with optional Brown–Conrady distortion.

Frames of reference
-------------------
* Pixel indices are ``(row, col)``; integer indices are pixel *centres*. ``col`` grows to the right, ``row`` grows
  downwards. The default principal point is the image centre, ``cx_px = (width_px - 1) / 2``.
* The camera frame is OpenCV's: ``x`` right, ``y`` down, ``z`` forward along the optical axis (metres or unitless
  directions). :mod:`ingest.pose` rotates it into local east-north-up.

Distortion follows OpenCV's Brown–Conrady model (``k1, k2, p1, p2, k3``) on normalised coordinates
``(x/z, y/z)``; undistortion is the usual fixed-point iteration, accurate to well below 0.01 px for the mild
distortion of thermal lenses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ingest.errors import MissingMetadata

_UNDISTORT_ITERATIONS = 8


@dataclass(frozen=True)
class Camera:
    """Intrinsics of one thermal camera. All lengths in pixels unless the name says otherwise."""

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    distortion: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    model: str = "unknown"
    #: Radiometric ceiling of the sensor in kelvin (pixels at or above it are saturated); None when unknown.
    saturation_k: float | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise MissingMetadata(f"camera {self.model!r}: image size {self.width_px}x{self.height_px} is not positive")
        for name in ("fx_px", "fy_px"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise MissingMetadata(f"camera {self.model!r}: {name}={value!r} must be a positive focal length in pixels")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_fov(cls, width_px: int, height_px: int, *, hfov_deg: float, vfov_deg: float | None = None,
                 **kwargs) -> "Camera":
        """Camera from its horizontal (and optionally vertical) field of view in degrees; square pixels otherwise."""
        if not 0.0 < hfov_deg < 179.0:
            raise MissingMetadata(f"horizontal field of view {hfov_deg!r} deg must be in (0, 179)")
        fx = (width_px / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        fy = fx if vfov_deg is None else (height_px / 2.0) / math.tan(math.radians(vfov_deg) / 2.0)
        return cls(width_px, height_px, fx, fy, (width_px - 1) / 2.0, (height_px - 1) / 2.0, **kwargs)

    @classmethod
    def from_focal_length(cls, width_px: int, height_px: int, *, focal_length_mm: float,
                          sensor_width_mm: float | None = None, pixel_pitch_um: float | None = None,
                          **kwargs) -> "Camera":
        """Camera from focal length and either the sensor width (mm) or the pixel pitch (µm)."""
        if pixel_pitch_um is None:
            if sensor_width_mm is None:
                raise MissingMetadata("focal length given without sensor width or pixel pitch: add one of them")
            pixel_pitch_um = sensor_width_mm * 1000.0 / width_px
        if not (focal_length_mm > 0 and pixel_pitch_um > 0):
            raise MissingMetadata(f"focal length {focal_length_mm!r} mm and pixel pitch {pixel_pitch_um!r} µm must be > 0")
        f_px = focal_length_mm * 1000.0 / pixel_pitch_um
        return cls(width_px, height_px, f_px, f_px, (width_px - 1) / 2.0, (height_px - 1) / 2.0, **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> "Camera":
        """Inverse of :meth:`to_dict` (the form stored in frame attributes and sidecars)."""
        known = {k: data[k] for k in ("width_px", "height_px", "fx_px", "fy_px", "cx_px", "cy_px", "model",
                                      "saturation_k") if k in data}
        if "distortion" in data and data["distortion"] is not None:
            known["distortion"] = tuple(float(v) for v in data["distortion"])
        return cls(**known)

    def to_dict(self) -> dict:
        """Plain-dict form for frame attributes, sidecars and JSON."""
        data = asdict(self)
        data.pop("extra")
        data["distortion"] = list(self.distortion)
        return data

    # ----------------------------------------------------------------- properties
    @property
    def hfov_deg(self) -> float:
        """Horizontal field of view in degrees (pinhole, ignoring distortion)."""
        return math.degrees(2.0 * math.atan((self.width_px / 2.0) / self.fx_px))

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view in degrees (pinhole, ignoring distortion)."""
        return math.degrees(2.0 * math.atan((self.height_px / 2.0) / self.fy_px))

    @property
    def ifov_rad(self) -> float:
        """Instantaneous field of view of one pixel at the image centre, radians (mean of both axes)."""
        return 2.0 / (self.fx_px + self.fy_px)

    @property
    def has_distortion(self) -> bool:
        return any(v != 0.0 for v in self.distortion)

    # ----------------------------------------------------------------- projection
    def pixel_to_ray(self, row, col) -> np.ndarray:
        """Unit direction vectors in the camera frame for pixel centres ``(row, col)``.

        ``row`` and ``col`` broadcast together; the result has shape ``broadcast(row, col).shape + (3,)``.
        """
        row = np.asarray(row, dtype=np.float64)
        col = np.asarray(col, dtype=np.float64)
        xd = (col - self.cx_px) / self.fx_px
        yd = (row - self.cy_px) / self.fy_px
        x, y = self._undistort(xd, yd) if self.has_distortion else (xd, yd)
        rays = np.stack(np.broadcast_arrays(x, y, np.ones_like(x)), axis=-1)
        return rays / np.linalg.norm(rays, axis=-1, keepdims=True)

    def ray_to_pixel(self, rays) -> tuple[np.ndarray, np.ndarray]:
        """Project camera-frame directions (``... × 3``) to ``(row, col)``; points behind the camera give NaN."""
        rays = np.asarray(rays, dtype=np.float64)
        z = rays[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(z > 0, rays[..., 0] / z, np.nan)
            y = np.where(z > 0, rays[..., 1] / z, np.nan)
        if self.has_distortion:
            x, y = self._distort(x, y)
        return self.cy_px + self.fy_px * y, self.cx_px + self.fx_px * x

    def _distort(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2, p1, p2, k3 = self.distortion
        r2 = x * x + y * y
        radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
        xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
        yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
        return xd, yd

    def _undistort(self, xd: np.ndarray, yd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2, p1, p2, k3 = self.distortion
        x, y = xd.copy(), yd.copy()
        for _ in range(_UNDISTORT_ITERATIONS):
            r2 = x * x + y * y
            radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
            dx = 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
            dy = p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
            x = (xd - dx) / radial
            y = (yd - dy) / radial
        return x, y
