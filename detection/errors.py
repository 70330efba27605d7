"""Typed errors of the detection package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class DetectionError(FirewatchError):
    """Root of detection errors."""


class InvalidFrame(DetectionError, ValueError):
    """The frame given to the detector is not usable (wrong dims, no temperature variable, wrong units)."""


class InvalidMask(DetectionError, ValueError):
    """A static heat-source mask (GeoJSON) cannot be read or holds no usable polygon."""


class InvalidValue(DetectionError, ValueError):
    """An argument of a detection function is out of its range (e.g. a confidence outside 0–1)."""
