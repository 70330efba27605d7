"""Engine set-up and transactions: SQLite (WAL) by default, PostgreSQL by URL.

SQLite settings and why:

* ``journal_mode=WAL`` — readers never block the writer and the writer never blocks readers (one writer, many
  readers: the pipeline writes while the dashboard and the alert worker read).
* ``synchronous=NORMAL`` — in WAL mode a commit is durable across application crashes; only an OS crash or power
  loss can lose the last transactions, never corrupt the file (SQLite documentation, "WAL mode").
* ``busy_timeout`` — a second writer waits for the lock instead of failing at once with "database is locked".
* ``foreign_keys=ON`` — SQLite leaves foreign keys off unless asked, per connection.

Transactions: SQLAlchemy emits ``BEGIN`` itself (pysqlite's implicit transactions are switched off, as the SQLAlchemy
SQLite documentation recommends) so that every read runs in one snapshot and every write takes the write lock at
its start (``BEGIN IMMEDIATE``): a read transaction upgraded to a write in WAL mode can fail with SQLITE_BUSY without
waiting, an immediate one waits for ``busy_timeout``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from firewatch.errors import StoreBusy, StoreError
from firewatch.model import to_json

#: How long a writer waits for another writer's lock before giving up, ms. A frame's transaction takes
#: milliseconds; 30 s covers a slow disk and a long migration without hanging forever.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: PostgreSQL's ``lock_timeout`` for the serialised fusion transaction (:mod:`firewatch.store.fusion`), ms: the same
#: budget as SQLite's busy timeout, for the same reason (queued frames wait their turn; only a stuck writer that
#: holds the lock makes the next one give up, loudly, instead of waiting forever).
PG_LOCK_TIMEOUT_MS = SQLITE_BUSY_TIMEOUT_MS
#: SQLSTATE of PostgreSQL's "canceling statement due to lock timeout" (lock_not_available).
_PG_LOCK_NOT_AVAILABLE = "55P03"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def parse_url(url: str) -> URL:
    """Parse and normalise a database URL (``postgresql://`` means the installed psycopg 3 driver)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"database URL {url!r} is not valid: {exc}; use e.g. sqlite:///firewatch.db or "
                         "postgresql://user@host/dbname") from exc
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise StoreError(f"database URL {parsed.render_as_string(hide_password=True)!r}: backend "
                         f"{parsed.get_backend_name()!r} is not supported; use sqlite:///… or postgresql://…")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(url: URL) -> Engine:
    """Create the engine with the pragmas and transaction handling described in the module docstring."""
    kwargs: dict = {"json_serializer": to_json, "future": True}
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite and sqlite_path(url) is None:
        # One shared connection keeps an in-memory database alive; such a store is single-threaded by nature.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    if not is_sqlite:
        # PostgreSQL's json type rejects the NaN/Infinity tokens Python writes; store them as null there.
        kwargs.update(pool_pre_ping=True, json_serializer=lambda value: to_json(_finite(value)))
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("firewatch_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")
    return engine


def is_lock_timeout(exc: SQLAlchemyError) -> bool:
    """True when ``exc`` is a writer giving up on another writer's lock: SQLite's SQLITE_BUSY after
    ``busy_timeout``, PostgreSQL's lock_not_available after ``lock_timeout``."""
    orig = getattr(exc, "orig", None)
    return (str(getattr(orig, "sqlite_errorname", "")).startswith("SQLITE_BUSY")
            or getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE)


def _finite(value):
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


class EngineOwner:
    """Holds the engine and hands out read and write transactions; base of :class:`firewatch.store.Store`."""

    url: URL
    _engine: Engine
    #: Upsert statements by (table name, column names): see :meth:`_upsert`.
    _upsert_statements: dict

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction: one consistent snapshot for all statements inside (SQLite: a deferred
        transaction in WAL mode; PostgreSQL: REPEATABLE READ, as READ COMMITTED gives each statement a new one)."""
        try:
            with self._engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.display_url}: read failed: {exc}") from exc

    @contextmanager
    def _write(self, *, isolation_level: str | None = None) -> Iterator[Connection]:
        """A write transaction: all or nothing; the write lock is taken at its start. ``isolation_level`` (PostgreSQL
        only; SQLite's write transactions are serialisable anyway) overrides the server's default."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(firewatch_write=True)
                if isolation_level is not None and self.dialect == "postgresql":
                    conn.execution_options(isolation_level=isolation_level)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            if is_lock_timeout(exc):
                raise StoreBusy(self._busy_message()) from exc
            raise StoreError(f"store {self.display_url}: write failed (nothing was written): {exc}") from exc

    def _busy_message(self) -> str:
        """What a writer that gave up waiting for the lock tells the operator (English, then Korean)."""
        if self.dialect == "sqlite":
            timeout_ms = SQLITE_BUSY_TIMEOUT_MS
            holder = (f"the process with a write transaction open on {sqlite_path(self.url)} (a stuck "
                      "`firewatch ingest`/`watch`, or an sqlite3 shell)")
        else:
            timeout_ms = PG_LOCK_TIMEOUT_MS
            holder = ("the stuck session: SELECT pid, state, query_start, query FROM pg_stat_activity WHERE pid IN "
                      "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted), then "
                      "pg_terminate_backend(pid)")
        return (f"store {self.display_url}: another writer held the write lock for more than "
                f"{timeout_ms / 1000:g} s, nothing was written; re-run to retry (frames already stored are "
                f"skipped). If it repeats, find and stop {holder}. 다른 프로세스가 데이터베이스 쓰기 잠금을 "
                "너무 오래 잡고 있어 아무것도 저장하지 않았습니다: 멈춘 프로세스를 찾아 종료한 뒤 다시 실행하세요.")

    def _insert(self, table: Table):
        """The dialect's INSERT construct (it has ``on_conflict_do_nothing`` / ``on_conflict_do_update``)."""
        return sqlite.insert(table) if self.dialect == "sqlite" else postgresql.insert(table)

    def _upsert(self, table: Table, rows: list[dict]):
        """INSERT … ON CONFLICT (primary key) DO UPDATE every other column, for ``conn.execute(stmt, rows)``.

        Built once per table and column set and reused (statements are immutable): building one costs ~0.5 ms,
        more than executing it, and every frame commit upserts a frame and its incidents."""
        cache_key = (table.name, frozenset(rows[0]))
        cache = self._upsert_statements
        stmt = cache.get(cache_key)
        if stmt is None:
            insert = self._insert(table)
            keys = [c.name for c in table.primary_key.columns]
            updates = {c.name: insert.excluded[c.name] for c in table.columns
                       if c.name not in keys and c.name in rows[0]}
            stmt = cache[cache_key] = insert.on_conflict_do_update(index_elements=keys, set_=updates)
        return stmt
