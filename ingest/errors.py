"""Typed errors of the ingest package (readers, cameras, poses, terrain, georeferencing)."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class IngestError(FirewatchError):
    """Root of ingest errors."""


class UnreadableFrame(IngestError, ValueError):
    """A file is not a thermal frame we can read (truncated, corrupt, unknown signature, no thermal data)."""


class UndecodableRadiometry(UnreadableFrame):
    """The file holds radiometric data that cannot be decoded exactly here (e.g. DJI R-JPEG without the DJI SDK)."""


class UnitsError(IngestError, ValueError):
    """Temperatures are in an unknown or implausible unit, or outside physical limits."""


class MissingMetadata(IngestError, ValueError):
    """A frame lacks metadata needed for the requested step (GPS, attitude, intrinsics, time)."""


class InvalidPose(IngestError, ValueError):
    """A pose is absurd: latitude/longitude out of range, NaN angles, altitude far outside the plausible range."""


class TerrainError(IngestError, ValueError):
    """A DEM cannot be read, or it does not cover the area asked for."""


class UnreadableDetections(IngestError, ValueError):
    """A file is not a satellite active-fire detection list we can read (not NASA FIRMS CSV/JSON, header lacks a
    required column)."""
