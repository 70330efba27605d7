"""Typed errors of the dashboard package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class DashboardError(FirewatchError):
    """Root of dashboard errors."""
