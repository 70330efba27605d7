"""Typed errors of the alerts package."""

from __future__ import annotations

from firewatch.errors import FirewatchError


class AlertError(FirewatchError):
    """Root of alert errors."""


class InvalidEndpoint(AlertError, ValueError):
    """A webhook endpoint URL or secret is malformed or not allowed."""


class PayloadError(AlertError, ValueError):
    """An alert payload (GeoJSON, CAP) cannot be built from the given incident or outbox row."""


class DeliveryError(AlertError, RuntimeError):
    """A delivery cannot be attempted (unknown endpoint, unusable outbox row)."""
