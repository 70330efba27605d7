"""The Firewatch store: frames, hotspots, incidents and the alert outbox in one database.

SQLAlchemy Core (no ORM) on SQLite in WAL mode by default (one file, ``sqlite:///firewatch.db``), PostgreSQL by URL
(``postgresql://user@host/db``, psycopg 3). Several writers (one serialised fusion unit per frame:
:mod:`firewatch.store.fusion`) and many readers may use it at once. Opening a database migrates it to the current
schema (:mod:`firewatch.store.migrations`); a database written by a newer Firewatch is refused with a
:class:`~firewatch.errors.StoreError` telling the operator to upgrade.

Typical use — the frame check, the incident read, fusion and the write as one unit that concurrent writers (other
threads, processes, hosts) cannot interleave with (:mod:`firewatch.store.fusion`)::

    store = Store.open("sqlite:///firewatch.db")
    with store.fusion_transaction() as unit:
        if not unit.has_frame(sha256):
            result = fuse_hotspots(hotspots, unit.open_incidents(reignite_window_s=cfg.reignite_window_s),
                                   config=cfg)
            unit.apply_frame_result(frame_meta, hotspots, result, alerts)
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from firewatch.errors import StoreError
from firewatch.store.engine import make_engine, parse_url, sqlite_path
from firewatch.store.fusion import FUSION_LOCK_KEY, FusionMethods, FusionTransaction
from firewatch.store.migrations import LATEST_VERSION, current_version, migrate
from firewatch.store.outbox import DEFAULT_LEASE_S, DELIVERY_STATUSES, OutboxMethods
from firewatch.store.records import FRAME_STATUSES

#: Used when neither ``--db`` nor the environment names a database.
DEFAULT_URL = "sqlite:///firewatch.db"
#: Environment variable naming the database URL (the dashboard and the CLI read it).
URL_ENV = "FIREWATCH_DB_URL"

__all__ = ["DEFAULT_LEASE_S", "DEFAULT_URL", "DELIVERY_STATUSES", "FRAME_STATUSES", "FUSION_LOCK_KEY", "LATEST_VERSION",
           "URL_ENV", "FusionTransaction", "Store", "default_url"]


def default_url() -> str:
    """The database URL from ``$FIREWATCH_DB_URL``, else :data:`DEFAULT_URL`."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


class Store(FusionMethods, OutboxMethods):
    """One database. Thread-safe: each method runs in its own transaction on a pooled connection.

    ``create=False`` refuses to create a missing SQLite file (for read-only commands: a typo in ``--db`` should not
    produce an empty database). ``migrate=False`` opens without upgrading (then only :meth:`migrate` is safe to call
    on an old database).
    """

    def __init__(self, url: str = DEFAULT_URL, *, create: bool = True, migrate: bool = True) -> None:
        self.url = parse_url(url)
        self._upsert_statements = {}
        path = sqlite_path(self.url)
        if path is not None:
            if not create and not path.is_file():
                raise StoreError(f"no Firewatch database at {path}: run `firewatch ingest …` (or `firewatch demo`) "
                                 "first, or pass --db with the right URL")
            if not path.parent.is_dir():
                raise StoreError(f"cannot create the database {path}: folder {path.parent} does not exist; create "
                                 "it or choose another path with --db sqlite:///PATH")
        try:
            self._engine = make_engine(self.url)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the database {self.display_url}: {exc}") from exc
        if migrate:
            self.migrate()

    @classmethod
    def open(cls, url: str = DEFAULT_URL, **kwargs: Any) -> "Store":
        """Open (and migrate) the database at ``url``; same keywords as the constructor."""
        return cls(url, **kwargs)

    def migrate(self) -> int:
        """Bring the schema to the current version (idempotent); return the version.

        An up-to-date database is only read (no write lock: dashboards and workers open stores all the time while
        the pipeline writes); otherwise the migration runs in one write transaction."""
        with self._read() as conn:
            if current_version(conn) == LATEST_VERSION:
                return LATEST_VERSION
        with self._write() as conn:
            return migrate(conn, where=f"database {self.display_url}")

    def schema_version(self) -> int:
        """The database's current schema version."""
        with self._read() as conn:
            return current_version(conn)

    def stats(self) -> dict:
        """Counts for the dashboard and the demo summary, from one consistent snapshot: frames by status, hotspots
        (and unassigned ones), incidents by state (and masked ones), alerts (and unacknowledged ones), deliveries by
        status, failing endpoints, the latest frame time and the schema version."""
        with self._read() as conn:
            return {**self._record_counts(conn), **self._outbox_counts(conn),
                    "schema_version": current_version(conn)}

    def close(self) -> None:
        """Release the connections (the store can be reopened by creating a new one)."""
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"
