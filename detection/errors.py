"""Typed errors of the detection package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class DetectionError(FirewatchError):
    """Root of detection errors."""


class InvalidFrame(DetectionError, ValueError):
    """The frame given to the detector is not usable (wrong dims, no temperature variable, wrong units)."""
