"""Typed errors of the synthetic scenario."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class ScenarioError(FirewatchError, ValueError):
    """A scenario cannot be generated or loaded (bad configuration, unusable DEM, missing or corrupt files)."""
