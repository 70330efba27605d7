"""The durable alert outbox: alerts, per-endpoint deliveries with leases, endpoint health, acknowledgements.

An alert row is written in the same transaction as the incident change that caused it (see
:meth:`firewatch.store.Store.apply_frame_result`), so no alert is lost between "fire confirmed" and "webhook queued".
A delivery goes ``pending`` → ``delivering`` (claimed by a worker with a lease) → ``delivered`` | ``pending`` (retry
later) | ``dead``. A claim not finished when its lease expires is due again, so the deliveries of a worker killed
mid-send are retried with the same ``alert_id`` — the Standard Webhooks ``webhook-id`` receivers deduplicate on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, func, or_, select, tuple_, update

from firewatch.errors import StoreInputError, StoreNotFound
from firewatch.model import parse_time, utc_now
from firewatch.store.engine import EngineOwner
from firewatch.store.records import _num
from firewatch.store.schema import acknowledgements, alerts, deliveries, endpoint_state

DELIVERY_STATUSES = ("pending", "delivering", "delivered", "dead")
#: A claimed delivery is retried by another worker after this many seconds: one HTTP attempt is bounded by its
#: timeout (seconds), so 60 s is long enough never to steal a live attempt and short enough to recover quickly.
DEFAULT_LEASE_S = 60.0
#: Consecutive failures after which an endpoint is shown as failing (the alerts policy passes its own value).
DEFAULT_FAILING_AFTER = 5
_ALERT_KEYS = ("alert_id", "incident_id", "event_type", "transition_key", "created_at", "severity", "source_kinds",
               "lat", "lon", "payload")


def _alert_row(alert: dict, now: datetime) -> dict:
    missing = [key for key in ("alert_id", "event_type", "transition_key", "payload") if not alert.get(key)]
    if missing:
        raise StoreInputError(f"alert {alert.get('alert_id')!r} lacks {missing}; outbox rows need alert_id, "
                              "event_type, transition_key and payload")
    row = {key: alert.get(key) for key in _ALERT_KEYS}
    row["created_at"] = parse_time(row["created_at"]) if row["created_at"] else now
    row["lat"], row["lon"] = _num(row["lat"]), _num(row["lon"])
    return row


def _aggregate_status(statuses: list[str]) -> str:
    """One status for an alert: 'delivered' when every endpoint got it, 'pending' while any is still in flight,
    'dead' when some endpoint gave up and none is in flight, 'no_endpoint' when no endpoint matched."""
    if not statuses:
        return "no_endpoint"
    if all(s == "delivered" for s in statuses):
        return "delivered"
    if any(s in ("pending", "delivering") for s in statuses):
        return "pending"
    return "dead"


class OutboxMethods(EngineOwner):
    """Outbox methods of :class:`firewatch.store.Store` (used by the alerts worker and the dashboard)."""

    def _write_alerts(self, conn: Connection, alerts_: Sequence[dict], now: datetime) -> None:
        """Insert outbox rows and their deliveries inside the caller's transaction; duplicates are skipped."""
        for alert in alerts_:
            row = _alert_row(alert, now)
            inserted = conn.execute(self._insert(alerts).values(**row).on_conflict_do_nothing()
                                    .returning(alerts.c.alert_id)).first()
            if inserted is None:  # transition_key (or alert_id) already stored: never alert twice
                continue
            endpoints = list(dict.fromkeys(alert.get("endpoints") or []))
            if endpoints:
                conn.execute(deliveries.insert(), [
                    {"alert_id": row["alert_id"], "endpoint": endpoint, "status": "pending", "attempts": 0,
                     "next_attempt_at": now} for endpoint in endpoints])

    def add_alerts(self, alerts_: Sequence[dict]) -> None:
        """Queue alerts that belong to no frame or tick (e.g. a ``test`` event), in one transaction."""
        with self._write() as conn:
            self._write_alerts(conn, alerts_, utc_now())

    def due_deliveries(self, now: datetime | None = None, *, limit: int = 50,
                       lease_s: float = DEFAULT_LEASE_S) -> list[dict]:
        """Claim up to ``limit`` deliveries that are due at ``now`` — pending with ``next_attempt_at <= now``, or
        delivering with an expired lease — and return them joined with their alert (payload, event_type, …).

        Claiming sets status ``delivering`` and ``lease_expires_at = now + lease_s`` atomically, so two workers never
        get the same delivery while its lease runs. Oldest due first.
        """
        now = parse_time(now or utc_now())
        due = or_(and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now),
                  and_(deliveries.c.status == "delivering", deliveries.c.lease_expires_at <= now))
        query = (select(deliveries.c.alert_id, deliveries.c.endpoint).where(due)
                 .order_by(deliveries.c.next_attempt_at, deliveries.c.alert_id).limit(limit))
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        with self._write() as conn:
            keys = [tuple(row) for row in conn.execute(query)]
            if not keys:
                return []
            key_match = tuple_(deliveries.c.alert_id, deliveries.c.endpoint).in_(keys)
            conn.execute(update(deliveries).where(key_match).values(
                status="delivering", lease_expires_at=now + timedelta(seconds=float(lease_s))))
            joined = (select(deliveries, *[alerts.c[key] for key in _ALERT_KEYS if key != "alert_id"])
                      .join(alerts, alerts.c.alert_id == deliveries.c.alert_id).where(key_match)
                      .order_by(deliveries.c.next_attempt_at, deliveries.c.alert_id))
            return [dict(row._mapping) for row in conn.execute(joined)]

    def mark_delivery(self, alert_id: str, endpoint: str, *, status: str, attempts: int,
                      next_attempt_at: datetime | None = None, status_code: int | None = None,
                      error: str | None = None, now: datetime | None = None) -> None:
        """Record the outcome of one attempt: ``delivered``, ``pending`` (retry at ``next_attempt_at``) or
        ``dead``; ``attempts`` is the number made so far. Releases the lease."""
        if status not in ("pending", "delivered", "dead"):
            raise StoreInputError(f"delivery {alert_id} → {endpoint}: status {status!r} must be pending, delivered "
                                  "or dead")
        if status == "pending" and next_attempt_at is None:
            raise StoreInputError(f"delivery {alert_id} → {endpoint}: a pending retry needs next_attempt_at")
        now = parse_time(now or utc_now())
        values = {"status": status, "attempts": int(attempts), "last_attempt_at": now,
                  "last_status_code": status_code, "last_error": error, "lease_expires_at": None,
                  "next_attempt_at": parse_time(next_attempt_at) if next_attempt_at else None}
        if status == "delivered":
            values["delivered_at"] = now
        with self._write() as conn:
            result = conn.execute(update(deliveries).where(deliveries.c.alert_id == alert_id,
                                                           deliveries.c.endpoint == endpoint).values(**values))
        if result.rowcount == 0:
            raise StoreNotFound(f"no delivery of alert {alert_id!r} to endpoint {endpoint!r}; check the id with "
                                "`firewatch alerts list`")

    def requeue_delivery(self, alert_id: str, endpoint: str | None = None, *, now: datetime | None = None) -> int:
        """Replay: make the alert's delivery to ``endpoint`` (or to every endpoint it had) pending again, due now,
        with a fresh retry count; a new endpoint gets a new delivery row. Returns the number of deliveries queued.
        The alert keeps its ``alert_id``, so receivers see the same ``webhook-id``."""
        now = parse_time(now or utc_now())
        values = {"status": "pending", "attempts": 0, "next_attempt_at": now, "lease_expires_at": None,
                  "delivered_at": None}
        with self._write() as conn:
            if conn.scalar(select(alerts.c.alert_id).where(alerts.c.alert_id == alert_id)) is None:
                raise StoreNotFound(f"no alert {alert_id!r} in the outbox; list alerts with `firewatch alerts list`")
            if endpoint is None:
                result = conn.execute(update(deliveries).where(deliveries.c.alert_id == alert_id).values(**values))
                return result.rowcount
            row = {"alert_id": alert_id, "endpoint": endpoint, **values}
            conn.execute(self._upsert(deliveries, [row]), [row])
            return 1

    def dead_letter_endpoint(self, endpoint: str, error: str, *, now: datetime | None = None) -> int:
        """Give up every pending or in-flight delivery to ``endpoint`` (e.g. it answered 410 Gone); returns how many.
        They stay in the outbox as ``dead`` and can be replayed."""
        now = parse_time(now or utc_now())
        with self._write() as conn:
            result = conn.execute(
                update(deliveries)
                .where(deliveries.c.endpoint == endpoint, deliveries.c.status.in_(["pending", "delivering"]))
                .values(status="dead", last_error=error, lease_expires_at=None, last_attempt_at=now))
        return result.rowcount

    def endpoint_state(self, endpoint: str) -> dict | None:
        """Health of one endpoint (consecutive_failures, failing, disabled, last_success_at, last_failure_at,
        last_error), or None when it was never attempted."""
        with self._read() as conn:
            row = conn.execute(select(endpoint_state).where(endpoint_state.c.endpoint == endpoint)).first()
        return dict(row._mapping) if row is not None else None

    def endpoint_states(self) -> list[dict]:
        """Health of every endpoint ever attempted, by name."""
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(select(endpoint_state)
                                                               .order_by(endpoint_state.c.endpoint))]

    def update_endpoint_state(self, endpoint: str, *, success: bool, error: str | None = None,
                              failing_after_failures: int = DEFAULT_FAILING_AFTER, disabled: bool | None = None,
                              now: datetime | None = None) -> dict:
        """Count one attempt's outcome: success resets the failure streak and clears ``failing``; a failure
        increments it and sets ``failing`` once it reaches ``failing_after_failures``. ``disabled`` (when given) is
        stored as is. Returns the new state."""
        now = parse_time(now or utc_now())
        with self._write() as conn:
            current = conn.execute(select(endpoint_state).where(endpoint_state.c.endpoint == endpoint)
                                   .with_for_update()).first()  # PostgreSQL: no lost increments between workers
            state = dict(current._mapping) if current is not None else {
                "endpoint": endpoint, "consecutive_failures": 0, "failing": False, "disabled": False,
                "last_success_at": None, "last_failure_at": None, "last_error": None}
            if success:
                state.update(consecutive_failures=0, failing=False, last_success_at=now)
            else:
                failures = state["consecutive_failures"] + 1
                state.update(consecutive_failures=failures, failing=failures >= failing_after_failures,
                             last_failure_at=now, last_error=error)
            if disabled is not None:
                state["disabled"] = bool(disabled)
            conn.execute(self._upsert(endpoint_state, [state]), [state])
        return state

    def acknowledge(self, alert_id: str, operator: str, note: str | None = None, *,
                    now: datetime | None = None) -> dict:
        """Record that ``operator`` acknowledged the alert; acknowledged alerts stay in the log. Returns the row."""
        if not operator or not operator.strip():
            raise StoreInputError(f"acknowledging alert {alert_id!r}: the operator's name is required")
        row = {"alert_id": alert_id, "operator": operator.strip(), "note": note,
               "acknowledged_at": parse_time(now or utc_now())}
        with self._write() as conn:
            if conn.scalar(select(alerts.c.alert_id).where(alerts.c.alert_id == alert_id)) is None:
                raise StoreNotFound(f"no alert {alert_id!r} to acknowledge; list alerts with `firewatch alerts list`")
            row["id"] = conn.execute(acknowledgements.insert().values(**row)).inserted_primary_key[0]
        return row

    def alerts(self, *, status: str | None = None, incident_id: str | None = None,
               limit: int | None = None) -> list[dict]:
        """Outbox alerts, newest first, each a dict of the alert's columns plus ``deliveries`` (one dict per
        endpoint: endpoint, status, attempts, next/last attempt, last status code and error, delivered_at),
        ``acknowledgements`` (operator, acknowledged_at, note), ``acknowledged`` and an overall ``status``.
        ``status`` filters to alerts with at least one delivery in that state."""
        if status is not None and status not in DELIVERY_STATUSES:
            raise StoreInputError(f"delivery status {status!r} is not one of {DELIVERY_STATUSES}")
        query = select(alerts)
        if status is not None:
            query = query.where(exists().where(deliveries.c.alert_id == alerts.c.alert_id,
                                               deliveries.c.status == status))
        if incident_id is not None:
            query = query.where(alerts.c.incident_id == incident_id)
        query = query.order_by(alerts.c.created_at.desc(), alerts.c.alert_id).limit(limit)
        with self._read() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
            ids = select(query.subquery().c.alert_id)
            per_alert: dict[str, dict[str, list]] = {row["alert_id"]: {"deliveries": [], "acknowledgements": []}
                                                     for row in rows}
            for d in conn.execute(select(deliveries).where(deliveries.c.alert_id.in_(ids))
                                  .order_by(deliveries.c.endpoint)):
                per_alert[d.alert_id]["deliveries"].append(dict(d._mapping))
            for a in conn.execute(select(acknowledgements).where(acknowledgements.c.alert_id.in_(ids))
                                  .order_by(acknowledgements.c.acknowledged_at)):
                per_alert[a.alert_id]["acknowledgements"].append(dict(a._mapping))
        for row in rows:
            row.update(per_alert[row["alert_id"]])
            row["acknowledged"] = bool(row["acknowledgements"])
            row["status"] = _aggregate_status([d["status"] for d in row["deliveries"]])
        return rows

    def _outbox_counts(self, conn: Connection) -> dict:
        delivery_counts = dict(conn.execute(select(deliveries.c.status, func.count())
                                            .group_by(deliveries.c.status)).all())
        acked = exists().where(acknowledgements.c.alert_id == alerts.c.alert_id)
        return {
            "alerts": int(conn.scalar(select(func.count()).select_from(alerts))),
            "alerts_unacknowledged": int(conn.scalar(select(func.count()).select_from(alerts).where(~acked))),
            "deliveries": {s: int(delivery_counts.get(s, 0)) for s in DELIVERY_STATUSES},
            "endpoints_failing": int(conn.scalar(select(func.count()).select_from(endpoint_state)
                                                 .where(endpoint_state.c.failing.is_(True)))),
        }

    # --- added by the alerts helper (H6) for `firewatch alerts replay`: re-enable an endpoint after 410 Gone -------

    def set_endpoint_disabled(self, endpoint: str, disabled: bool) -> None:
        """Set or clear the endpoint's ``disabled`` flag without counting an attempt (an operator re-enables an
        endpoint that answered 410 Gone once its URL is fixed)."""
        row = {"endpoint": endpoint, "consecutive_failures": 0, "failing": False, "disabled": bool(disabled)}
        with self._write() as conn:
            current = conn.execute(select(endpoint_state).where(endpoint_state.c.endpoint == endpoint)
                                   .with_for_update()).first()  # PostgreSQL: no lost increments between workers
            if current is None:
                conn.execute(endpoint_state.insert().values(**row))
            else:
                conn.execute(update(endpoint_state).where(endpoint_state.c.endpoint == endpoint)
                             .values(disabled=bool(disabled)))
