"""Typed errors of the dashboard package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class DashboardError(FirewatchError):
    """Root of dashboard errors."""


class DashboardConfigError(DashboardError, ValueError):
    """The dashboard configuration (``[dashboard]`` in firewatch.toml or an environment override) is invalid."""


class LayerDataError(DashboardError, ValueError):
    """A file the map needs (DEM, ortho GeoTIFF, no-fly GeoJSON, mask GeoJSON) cannot be read or is malformed."""


class StoreUnavailable(DashboardError, RuntimeError):
    """The store cannot be opened from the URL the dashboard was given."""


class InvalidSelection(DashboardError, ValueError):
    """A panel was asked for something that does not exist (unknown time filter, unknown incident)."""
