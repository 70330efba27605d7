"""Schema versions and the ordered migrations that reach them.

``MIGRATIONS`` maps each schema version to the function that upgrades a database from the previous version. The
current version of a database is the highest row of ``schema_version`` (0 for an empty database). Migrating runs the
missing steps in order inside one write transaction, so a crash leaves the database at the old version, and two
processes opening a fresh database at once do not race (SQLite ``BEGIN IMMEDIATE``; PostgreSQL advisory lock).

Rule for future versions: never edit a released step. A step that changes an existing table writes its own DDL
(``ALTER TABLE …``) and must work on databases created by every earlier version: either freeze a copy of the old
:class:`~sqlalchemy.Table` in the earlier step, or — for added nullable columns — add only what is missing, as step 3
does (step 1 creates tables from the current definitions).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, func, inspect, select, text

from firewatch.errors import StoreError
from firewatch.model import utc_now
from firewatch.store.schema import CORE_TABLES, OUTBOX_TABLES, incident_history, schema_version

#: Arbitrary constant key of the PostgreSQL advisory lock held while migrating ("FWMIGRAT" read as hex-ish digits).
_PG_MIGRATION_LOCK = 0x46574D49


def _create_core(conn: Connection) -> None:
    """Version 1: frames (with quarantine status), hotspots, incidents and their history."""
    for table in CORE_TABLES:
        table.create(conn)


def _create_outbox(conn: Connection) -> None:
    """Version 2: the alert outbox — alerts, per-endpoint deliveries, endpoint health, acknowledgements."""
    for table in OUTBOX_TABLES:
        table.create(conn)


def _history_location(conn: Connection) -> None:
    """Version 3: ``incident_history`` gains ``lat``/``lon`` (where the fire was at each snapshot: fires move).

    Databases created since this version already have them from step 1, so only missing columns are added."""
    present = {column["name"] for column in inspect(conn).get_columns(incident_history.name)}
    for name in ("lat", "lon"):
        if name not in present:
            conn.execute(text(f"ALTER TABLE {incident_history.name} ADD COLUMN {name} FLOAT"))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _create_core,
    2: _create_outbox,
    3: _history_location,
}
LATEST_VERSION = max(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The database's schema version (0 when it has no ``schema_version`` table yet)."""
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.scalar(select(func.coalesce(func.max(schema_version.c.version), 0))))


def migrate(conn: Connection, *, target: int = LATEST_VERSION, where: str = "the database") -> int:
    """Upgrade the database on ``conn`` (inside the caller's write transaction) to ``target``; return the version.

    Idempotent: at ``target`` already, nothing happens. A database newer than this code raises
    :class:`~firewatch.errors.StoreError` telling the operator to upgrade Firewatch rather than guessing.
    """
    if target not in MIGRATIONS:
        raise StoreError(f"{where}: unknown schema version {target}; this Firewatch knows 1..{LATEST_VERSION}")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    schema_version.create(conn, checkfirst=True)
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise StoreError(
            f"{where} has schema version {version}, newer than this Firewatch understands (up to {LATEST_VERSION}): "
            "upgrade Firewatch (pip install -U firewatch) before opening it; do not edit the database by hand")
    for step in range(version + 1, target + 1):
        MIGRATIONS[step](conn)
        conn.execute(schema_version.insert().values(version=step, applied_at=utc_now()))
    return max(version, target)
