"""Root of every Firewatch exception.

Each package has its own ``errors`` module whose root exception inherits :class:`FirewatchError`; concrete errors
also inherit the matching builtin (``ValueError``, ``OSError`` ...) so callers that only know the builtin still catch
them. Messages name the file or item and the bad value and say how to fix it.
"""

from __future__ import annotations


class FirewatchError(Exception):
    """Base class of all Firewatch errors."""


class ConfigError(FirewatchError, ValueError):
    """The configuration file or an environment override is invalid."""


class StoreError(FirewatchError, RuntimeError):
    """The store (database) cannot be opened, migrated or written."""


class StoreBusy(StoreError, TimeoutError):
    """Another writer held the store's write lock longer than the lock timeout; nothing was written."""


class StoreInputError(StoreError, ValueError):
    """A value given to the store is invalid (unknown status, empty operator name, inconsistent fusion result)."""


class StoreNotFound(StoreError, LookupError):
    """The store holds no row with the given id (alert, incident)."""
