"""Frames, hotspots and incidents: the pipeline's writes and the readers used by the CLI and the dashboard."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, or_, select, update

from firewatch.errors import StoreInputError
from firewatch.model import Hotspot, Incident, parse_time, stable_id, utc_now
from firewatch.store.engine import EngineOwner
from firewatch.store.schema import frames, hotspots, incident_history, incidents

if TYPE_CHECKING:
    from detection.incidents import FusionResult, Transition

FRAME_STATUSES = ("accepted", "quarantined")
_FRAME_COLUMNS = ("frame_id", "content_sha256", "path", "source_id", "source_kind", "time", "width_px", "height_px",
                  "footprint", "camera", "pose")
_HISTORY_COLUMNS = ("incident_id", "time", "state", "lat", "lon", "area_m2", "max_frp_kw", "hotspot_count",
                    "look_count", "confidence", "event")


def _num(value: Any) -> float | None:
    """A plain Python float for the driver (numpy scalars included); NaN and None become NULL."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    """Paths to strings, recursively, so frame metadata is JSON-serialisable."""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def frame_row(frame_meta: dict, *, status: str, reason: str | None, hotspot_count: int,
              now: datetime) -> dict:
    """The ``frames`` row for ``frame_meta`` (keys named like the columns; other keys go to ``extra``)."""
    meta = _plain(dict(frame_meta))
    row = {key: meta.pop(key, None) for key in _FRAME_COLUMNS}
    if not row["frame_id"]:
        if status != "quarantined" or not (row["content_sha256"] or row["path"]):
            raise StoreInputError(f"frame metadata {frame_meta!r} has no frame_id; an accepted frame needs one "
                                  "(a quarantined one needs at least content_sha256 or path)")
        row["frame_id"] = "quarantine-" + stable_id(row["content_sha256"] or row["path"])
    row["time"] = parse_time(row["time"]) if row["time"] else None
    row.update(status=status, reason=reason, hotspot_count=int(hotspot_count), ingested_at=now,
               extra=meta or None)
    return row


def hotspot_row(hotspot: Hotspot, incident_id: str | None) -> dict:
    """The ``hotspots`` row of one hotspot (full object in ``data``)."""
    return {
        "hotspot_id": hotspot.hotspot_id, "frame_id": hotspot.frame_id, "incident_id": incident_id,
        "time": hotspot.time, "lat": _num(hotspot.lat), "lon": _num(hotspot.lon),
        "confidence": _num(hotspot.confidence), "confidence_class": hotspot.confidence_class,
        "frp_kw": _num(hotspot.frp_kw), "max_temp_k": _num(hotspot.max_temp_k), "masked": bool(hotspot.masked),
        "source_id": hotspot.source_id, "source_kind": hotspot.source_kind, "data": hotspot.to_dict(),
    }


def incident_row(incident: Incident, now: datetime) -> dict:
    """The ``incidents`` row of one incident (full object in ``data``)."""
    return {
        "incident_id": incident.incident_id, "state": incident.state, "first_seen": incident.first_seen,
        "last_seen": incident.last_seen, "lat": _num(incident.lat), "lon": _num(incident.lon),
        "area_m2": _num(incident.area_m2), "max_frp_kw": _num(incident.max_frp_kw),
        "confidence": _num(incident.confidence), "confidence_class": incident.confidence_class,
        "masked": bool(incident.masked), "closed_at": incident.closed_at, "data": incident.to_dict(),
        "updated_at": now,
    }


def history_row(row: dict) -> dict:
    """An ``incident_history`` row from a fusion history dict (keys as the columns; ``event`` optional)."""
    missing = [key for key in ("incident_id", "time", "state") if row.get(key) is None]
    if missing:
        raise StoreInputError(f"incident history row {row!r} lacks {missing}; fusion history rows need "
                              "incident_id, time and state")
    out = {key: row.get(key) for key in _HISTORY_COLUMNS}
    for key in ("lat", "lon", "area_m2", "max_frp_kw", "confidence"):
        out[key] = _num(out[key])
    return out


class RecordMethods(EngineOwner):
    """Frame, hotspot and incident methods of :class:`firewatch.store.Store`."""

    # --- writes -----------------------------------------------------------------------------------------------

    def has_frame(self, content_sha256: str) -> bool:
        """True when a frame with this content hash was stored (accepted OR quarantined: each file once)."""
        with self._read() as conn:
            return self._has_frame(conn, content_sha256)

    def record_quarantine(self, frame_meta: dict, reason: str) -> str:
        """Store a frame that could not be processed, with the reason; returns its frame_id.

        ``frame_meta`` needs ``content_sha256`` or ``path`` at least (a frame_id is derived when the reader could
        not produce one). Recording the same frame again updates the reason.
        """
        with self._write() as conn:
            return self._record_quarantine(conn, frame_meta, reason)

    def apply_frame_result(self, frame_meta: dict, hotspots_: Sequence[Hotspot], fusion: "FusionResult",
                           alerts: Sequence[dict]) -> None:
        """Write one processed frame in ONE transaction: the frame (accepted), its hotspots (with the incident each
        was fused into), the changed incidents, their history rows, the outbox alerts with one delivery per
        endpoint, and — when fusion merged incidents — the merged incidents' earlier hotspots re-pointed to the
        surviving one. Either all of it is written or none of it. An alert whose ``transition_key`` is already stored is
        skipped (an alert never repeats for the same transition)."""
        with self._write() as conn:
            self._apply_frame_result(conn, frame_meta, hotspots_, fusion, alerts)

    def apply_transitions(self, incidents_: Sequence[Incident], transitions: Sequence["Transition"],
                          history: Sequence[dict], alerts: Sequence[dict]) -> None:
        """Write the result of a time tick (:func:`detection.incidents.advance_time`) in ONE transaction: changed
        incidents, history rows, outbox alerts. Every transition must concern one of ``incidents_``."""
        with self._write() as conn:
            self._apply_transitions(conn, incidents_, transitions, history, alerts)

    # --- the statements behind the public methods, on the caller's connection: the public methods run each in its
    # own transaction, firewatch.store.fusion.FusionTransaction runs several in one serialised transaction.

    @staticmethod
    def _has_frame(conn: Connection, content_sha256: str) -> bool:
        return conn.scalar(select(frames.c.frame_id).where(frames.c.content_sha256 == content_sha256)) is not None

    def _record_quarantine(self, conn: Connection, frame_meta: dict, reason: str) -> str:
        if not reason:
            raise StoreInputError(f"quarantine of {frame_meta.get('path')!r}: a reason is required")
        row = frame_row(frame_meta, status="quarantined", reason=reason, hotspot_count=0, now=utc_now())
        conn.execute(self._upsert(frames, [row]), [row])
        return row["frame_id"]

    def _apply_frame_result(self, conn: Connection, frame_meta: dict, hotspots_: Sequence[Hotspot],
                            fusion: "FusionResult", alerts: Sequence[dict]) -> None:
        now = utc_now()
        row = frame_row(frame_meta, status="accepted", reason=None, hotspot_count=len(hotspots_), now=now)
        stray = [h.hotspot_id for h in hotspots_ if h.frame_id != row["frame_id"]]
        if stray:
            raise StoreInputError(f"frame {row['frame_id']}: hotspots {stray[:5]} belong to another frame; "
                                  "store each frame's hotspots with that frame")
        conn.execute(self._upsert(frames, [row]), [row])
        self._write_fusion(conn, fusion.incidents, fusion.history, alerts, now)
        for merged, kept in fusion.merges.items():  # one fire seen as several incidents: re-point its hotspots
            conn.execute(update(hotspots).where(hotspots.c.incident_id == merged).values(incident_id=kept))
        if hotspots_:
            rows = [hotspot_row(h, fusion.assignments.get(h.hotspot_id)) for h in hotspots_]
            conn.execute(self._upsert(hotspots, rows), rows)

    def _apply_transitions(self, conn: Connection, incidents_: Sequence[Incident],
                           transitions: Sequence["Transition"], history: Sequence[dict],
                           alerts: Sequence[dict]) -> None:
        known = {inc.incident_id for inc in incidents_}
        orphans = sorted({t.incident_id for t in transitions} - known)
        if orphans:
            raise StoreInputError(f"transitions for incidents {orphans} come without the incidents themselves; "
                                  "pass the incidents advance_time() returned")
        self._write_fusion(conn, incidents_, history, alerts, utc_now())

    def _write_fusion(self, conn: Connection, incidents_: Sequence[Incident], history: Sequence[dict],
                      alerts: Sequence[dict], now: datetime) -> None:
        if incidents_:
            rows = [incident_row(inc, now) for inc in incidents_]
            conn.execute(self._upsert(incidents, rows), rows)
        if history:
            conn.execute(incident_history.insert(), [history_row(r) for r in history])
        self._write_alerts(conn, alerts, now)  # defined by the outbox methods

    # --- reads ------------------------------------------------------------------------------------------------

    def open_incidents(self, *, reignite_window_s: float | None = None,
                       now: datetime | None = None) -> list[Incident]:
        """Incidents not closed, plus (with ``reignite_window_s``) those closed within that many seconds before
        ``now`` (default: the current time) so a new hotspot can re-open them. Oldest first."""
        with self._read() as conn:
            return self._open_incidents(conn, reignite_window_s=reignite_window_s, now=now)

    @staticmethod
    def _open_incidents(conn: Connection, *, reignite_window_s: float | None, now: datetime | None) -> list[Incident]:
        condition = incidents.c.state != "closed"
        if reignite_window_s is not None:
            since = parse_time(now or utc_now()) - timedelta(seconds=float(reignite_window_s))
            condition = or_(condition, and_(incidents.c.state == "closed", incidents.c.closed_at >= since))
        query = select(incidents.c.data).where(condition).order_by(incidents.c.first_seen, incidents.c.incident_id)
        return [Incident.from_dict(data) for data in conn.scalars(query)]

    def list_incidents(self, *, states: Iterable[str] | None = None, since: datetime | None = None,
                       limit: int | None = None) -> list[Incident]:
        """Incidents, most recently seen first; ``states`` filters by state, ``since`` by ``last_seen >= since``."""
        query = select(incidents.c.data)
        if states is not None:
            query = query.where(incidents.c.state.in_(list(states)))
        if since is not None:
            query = query.where(incidents.c.last_seen >= parse_time(since))
        query = query.order_by(incidents.c.last_seen.desc(), incidents.c.incident_id).limit(limit)
        with self._read() as conn:
            return [Incident.from_dict(data) for data in conn.scalars(query)]

    def get_incident(self, incident_id: str) -> Incident | None:
        """One incident by id, or None."""
        with self._read() as conn:
            data = conn.scalar(select(incidents.c.data).where(incidents.c.incident_id == incident_id))
        return Incident.from_dict(data) if data is not None else None

    def incident_history(self, incident_id: str) -> list[dict]:
        """The incident's snapshots (time, state, lat, lon, area_m2, max_frp_kw, hotspot_count, look_count,
        confidence, event), oldest first: its growth and movement over time."""
        query = (select(*[incident_history.c[key] for key in _HISTORY_COLUMNS])
                 .where(incident_history.c.incident_id == incident_id)
                 .order_by(incident_history.c.time, incident_history.c.id))
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def hotspots(self, *, incident_id: str | None = None, frame_id: str | None = None,
                 since: datetime | None = None, limit: int | None = None) -> list[Hotspot]:
        """Hotspots, newest first; filters by incident, frame and ``time >= since``."""
        with self._read() as conn:
            return self._hotspots(conn, incident_id=incident_id, frame_id=frame_id, since=since, limit=limit)

    @staticmethod
    def _hotspots(conn: Connection, *, incident_id: str | None, frame_id: str | None, since: datetime | None,
                  limit: int | None) -> list[Hotspot]:
        query = select(hotspots.c.data)
        if incident_id is not None:
            query = query.where(hotspots.c.incident_id == incident_id)
        if frame_id is not None:
            query = query.where(hotspots.c.frame_id == frame_id)
        if since is not None:
            query = query.where(hotspots.c.time >= parse_time(since))
        query = query.order_by(hotspots.c.time.desc(), hotspots.c.hotspot_id).limit(limit)
        return [Hotspot.from_dict(data) for data in conn.scalars(query)]

    def frames(self, *, status: str | None = None, since: datetime | None = None, source_id: str | None = None,
               limit: int | None = None) -> list[dict]:
        """Frame rows as dicts (all columns; ``extra`` holds any other metadata given at ingest), newest first by
        acquisition time (frames without a time last)."""
        if status is not None and status not in FRAME_STATUSES:
            raise StoreInputError(f"frame status {status!r} is not one of {FRAME_STATUSES}")
        query = select(frames)
        if status is not None:
            query = query.where(frames.c.status == status)
        if since is not None:
            query = query.where(frames.c.time >= parse_time(since))
        if source_id is not None:
            query = query.where(frames.c.source_id == source_id)
        query = query.order_by(frames.c.time.desc().nulls_last(), frames.c.ingested_at.desc()).limit(limit)
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _record_counts(self, conn: Connection) -> dict:
        frame_counts = dict(conn.execute(select(frames.c.status, func.count()).group_by(frames.c.status)).all())
        incident_counts = dict(conn.execute(select(incidents.c.state, func.count())
                                            .group_by(incidents.c.state)).all())
        return {
            "frames": {status: int(frame_counts.get(status, 0)) for status in FRAME_STATUSES},
            "last_frame_time": conn.scalar(select(func.max(frames.c.time))),
            "hotspots": int(conn.scalar(select(func.count()).select_from(hotspots))),
            "hotspots_unassigned": int(conn.scalar(select(func.count()).select_from(hotspots)
                                                   .where(hotspots.c.incident_id.is_(None)))),
            "incidents": {state: int(n) for state, n in sorted(incident_counts.items())},
            "incidents_masked": int(conn.scalar(select(func.count()).select_from(incidents)
                                                .where(incidents.c.masked.is_(True)))),
        }
