"""Typed errors of the flightplans package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class FlightPlanError(FirewatchError):
    """Root of flight-plan errors."""


class UnsafePlan(FlightPlanError, ValueError):
    """A plan breaks a safety rule (ceiling, terrain clearance, no-fly zone, distance from home, endurance)."""


class NoSafePlan(FlightPlanError, ValueError):
    """No plan satisfying every safety rule exists for the request; the message says which rule and why."""


class UploadError(FlightPlanError, RuntimeError):
    """Uploading a mission to a vehicle failed (no vehicle, timeout, rejected, read-back mismatch)."""


class TerrainCoverageError(FlightPlanError, ValueError):
    """The terrain model (DEM) does not cover part of the plan, so clearance cannot be checked there."""
