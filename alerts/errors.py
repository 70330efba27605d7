"""Typed errors of the alerts package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class AlertError(FirewatchError):
    """Root of alert errors."""


class InvalidEndpoint(AlertError, ValueError):
    """A webhook endpoint URL or secret is malformed or not allowed."""
