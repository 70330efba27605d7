"""One serialised "check the frame → read incidents → fuse → write" unit across processes (issue 8).

Fusion reads the open incidents (and, for tower bearings, other towers' stored hotspots), decides, and writes the
changed incidents. Done as separate transactions, two processes fusing frames of the same fire at the same time both
see "no incident yet" and both open one (a duplicated incident, a double alert), or one overwrites the other's update
(a lost look). :meth:`FusionMethods.fusion_transaction` runs the reads and the writes of one frame (or one time
tick) in ONE write transaction that no other such unit can interleave with:

* **SQLite** — the write transaction starts with ``BEGIN IMMEDIATE`` (:func:`firewatch.store.engine.make_engine`):
  it takes the database's single write lock before its first read, so its reads see the latest committed state and
  no other writer can commit until it ends. A waiting writer waits ``busy_timeout``
  (:data:`~firewatch.store.engine.SQLITE_BUSY_TIMEOUT_MS`).
* **PostgreSQL** — the transaction's first statement is ``SELECT pg_advisory_xact_lock(FUSION_LOCK_KEY)``: one
  transaction-level advisory lock, released by COMMIT or ROLLBACK (never left behind by a crashed process: its
  session ends). The transaction runs at READ COMMITTED, where every statement takes a new snapshot: the reads after
  the lock statement therefore see everything the previous holder committed (it committed before releasing the
  lock). REPEATABLE READ or SERIALIZABLE would be wrong here, not just slower: their snapshot is taken at the first
  statement — the lock wait itself — so the unit would read the state from *before* the writer it waited for.
  A waiting writer gives up after ``lock_timeout`` = :data:`~firewatch.store.engine.PG_LOCK_TIMEOUT_MS`.

Either way a writer that waits too long gets :class:`~firewatch.errors.StoreBusy` (nothing written) instead of
hanging silently. Only fusion units take the PostgreSQL lock; readers (dashboard, CLI) and the alert worker's
outbox writes never wait for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from firewatch.model import Hotspot, Incident
from firewatch.store import engine
from firewatch.store.records import RecordMethods

if TYPE_CHECKING:
    from detection.incidents import FusionResult, Transition

#: The PostgreSQL advisory lock key of the fusion unit (a signed 64-bit integer, the single-key form of
#: ``pg_advisory_xact_lock``): the ASCII bytes of "FWFUSION" (0x4657465553494F4E). Advisory keys are shared by every
#: application using the database; a spelled-out constant makes a clash with another application's key unlikely and
#: lets an operator recognise it in ``pg_locks`` (classid = 1180124757, objid = 1397313358, objsubid = 1).
FUSION_LOCK_KEY = int.from_bytes(b"FWFUSION", "big")


class FusionTransaction:
    """The reads and writes of one fusion unit, all on the one connection of its transaction.

    Same signatures as the :class:`~firewatch.store.Store` methods of the same names; everything is committed when
    the ``with store.fusion_transaction()`` block ends without an exception, and nothing otherwise. Do not call the
    store's own methods inside the block: they would run in other transactions (and on SQLite wait for this one's
    lock).
    """

    def __init__(self, store: RecordMethods, conn: Connection) -> None:
        self._store = store
        self._conn = conn

    def has_frame(self, content_sha256: str) -> bool:
        """True when a frame with this content hash was stored (accepted or quarantined)."""
        return self._store._has_frame(self._conn, content_sha256)

    def open_incidents(self, *, reignite_window_s: float | None = None,
                       now: datetime | None = None) -> list[Incident]:
        """As :meth:`Store.open_incidents`: not closed, plus closed within ``reignite_window_s`` before ``now``."""
        return self._store._open_incidents(self._conn, reignite_window_s=reignite_window_s, now=now)

    def hotspots(self, *, incident_id: str | None = None, frame_id: str | None = None,
                 since: datetime | None = None, limit: int | None = None) -> list[Hotspot]:
        """As :meth:`Store.hotspots` (what :func:`firewatch.bearings.relocate_with_store` reads)."""
        return self._store._hotspots(self._conn, incident_id=incident_id, frame_id=frame_id, since=since,
                                     limit=limit)

    def record_quarantine(self, frame_meta: dict, reason: str) -> str:
        """As :meth:`Store.record_quarantine`; returns the frame_id."""
        return self._store._record_quarantine(self._conn, frame_meta, reason)

    def apply_frame_result(self, frame_meta: dict, hotspots_: Sequence[Hotspot], fusion: FusionResult,
                           alerts: Sequence[dict]) -> None:
        """As :meth:`Store.apply_frame_result` (frame, hotspots, incidents, history, outbox alerts)."""
        self._store._apply_frame_result(self._conn, frame_meta, hotspots_, fusion, alerts)

    def apply_transitions(self, incidents_: Sequence[Incident], transitions: Sequence[Transition],
                          history: Sequence[dict], alerts: Sequence[dict]) -> None:
        """As :meth:`Store.apply_transitions` (a time tick's incidents, history and outbox alerts)."""
        self._store._apply_transitions(self._conn, incidents_, transitions, history, alerts)


class FusionMethods(RecordMethods):
    """The serialised fusion unit of :class:`firewatch.store.Store`."""

    @contextmanager
    def fusion_transaction(self) -> Iterator[FusionTransaction]:
        """One serialised read-fuse-write unit (module docstring): waits for any other unit on this database (any
        process), yields a :class:`FusionTransaction`, commits when the block ends (rolls back on an exception).

        Raises :class:`~firewatch.errors.StoreBusy` when another unit holds the lock longer than the lock timeout,
        :class:`~firewatch.errors.StoreError` when the database fails.

        Typical use (what :meth:`firewatch.pipeline.Pipeline.commit` does)::

            with store.fusion_transaction() as unit:
                if not unit.has_frame(sha256):
                    fusion = fuse_hotspots(hotspots, unit.open_incidents(reignite_window_s=w, now=t), config=c)
                    unit.apply_frame_result(frame_meta, hotspots, fusion, alerts)
        """
        # READ COMMITTED is PostgreSQL's default; asked for explicitly so a server configured with
        # default_transaction_isolation = 'repeatable read' cannot silently break the ordering (module docstring).
        with self._write(isolation_level="READ COMMITTED") as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(engine.PG_LOCK_TIMEOUT_MS)}")
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FUSION_LOCK_KEY})
            yield FusionTransaction(self, conn)
