"""The store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Times are timezone-aware UTC everywhere (:class:`UTCDateTime`); JSON columns hold plain dicts and lists (TEXT on
SQLite, JSON on PostgreSQL). The full domain objects live in each row's ``data`` column
(:meth:`firewatch.model.Hotspot.to_dict`, :meth:`firewatch.model.Incident.to_dict`); the other columns copy the
fields that queries filter or sort on.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData,
                        PrimaryKeyConstraint, String, Table, Text)
from sqlalchemy.types import TypeDecorator

from firewatch.model import parse_time


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out.

    PostgreSQL stores ``timestamp with time zone``; SQLite has no time zone type, so values are stored as naive UTC
    text in SQLAlchemy's fixed-width format, which sorts and compares correctly as text. ISO 8601 strings are
    accepted on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | str | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = parse_time(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _json() -> JSON:
    # none_as_null: a Python None is SQL NULL, not the JSON text 'null', so IS NULL queries work.
    return JSON(none_as_null=True)


metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

frames = Table(
    "frames", metadata,
    Column("frame_id", String(128), primary_key=True),
    Column("content_sha256", String(64), unique=True),
    Column("path", Text),
    Column("source_id", String(128)),
    Column("source_kind", String(16)),
    Column("time", UTCDateTime),
    Column("status", String(16), nullable=False),  # 'accepted' | 'quarantined'
    Column("reason", Text),
    Column("width_px", Integer),
    Column("height_px", Integer),
    Column("footprint", _json()),  # GeoJSON geometry (lon, lat) of the frame's ground outline
    Column("camera", _json()),
    Column("pose", _json()),
    Column("hotspot_count", Integer, nullable=False, default=0),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("extra", _json()),  # any other frame_meta keys (e.g. an orthophoto path, georeferencing method)
    Index("ix_frames_time", "time"),
    Index("ix_frames_status", "status"),
    Index("ix_frames_source_id", "source_id"),
)

incidents = Table(
    "incidents", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("area_m2", Float),
    Column("max_frp_kw", Float),
    Column("confidence", Float),
    Column("confidence_class", String(16)),
    Column("masked", Boolean, nullable=False, default=False),
    Column("closed_at", UTCDateTime),
    Column("data", _json(), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_incidents_state", "state"),
    Index("ix_incidents_last_seen", "last_seen"),
)

hotspots = Table(
    "hotspots", metadata,
    Column("hotspot_id", String(128), primary_key=True),
    Column("frame_id", String(128), ForeignKey("frames.frame_id"), nullable=False),
    Column("incident_id", String(64), ForeignKey("incidents.incident_id")),
    Column("time", UTCDateTime, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("confidence", Float),
    Column("confidence_class", String(16)),
    Column("frp_kw", Float),
    Column("max_temp_k", Float),
    Column("masked", Boolean, nullable=False, default=False),
    Column("source_id", String(128)),
    Column("source_kind", String(16)),
    Column("data", _json(), nullable=False),
    Index("ix_hotspots_incident_id", "incident_id"),
    Index("ix_hotspots_time", "time"),
    Index("ix_hotspots_frame_id", "frame_id"),
)

incident_history = Table(
    "incident_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(64), ForeignKey("incidents.incident_id"), nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("lat", Float),  # where the fire was at that time (it moves as it spreads); schema version 3
    Column("lon", Float),
    Column("area_m2", Float),
    Column("max_frp_kw", Float),
    Column("hotspot_count", Integer),
    Column("look_count", Integer),
    Column("confidence", Float),
    Column("event", String(32)),
    Index("ix_incident_history_incident_id", "incident_id", "time"),
)

# --- the alert outbox (schema version 2) ---------------------------------------------------------------------------

alerts = Table(
    "alerts", metadata,
    Column("alert_id", String(64), primary_key=True),  # also the Standard Webhooks `webhook-id`
    Column("incident_id", String(64), ForeignKey("incidents.incident_id")),  # NULL for 'test' events
    Column("event_type", String(64), nullable=False),
    Column("transition_key", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("severity", String(32)),
    Column("source_kinds", _json()),
    Column("lat", Float),
    Column("lon", Float),
    Column("payload", _json(), nullable=False),  # the envelope {type, timestamp, data}
    Index("ix_alerts_created_at", "created_at"),
    Index("ix_alerts_incident_id", "incident_id"),
)

deliveries = Table(
    "deliveries", metadata,
    Column("alert_id", String(64), ForeignKey("alerts.alert_id"), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("status", String(16), nullable=False),  # 'pending' | 'delivering' | 'delivered' | 'dead'
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_attempt_at", UTCDateTime),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", UTCDateTime),
    Column("lease_expires_at", UTCDateTime),  # set while 'delivering': after it the claim is due again
    PrimaryKeyConstraint("alert_id", "endpoint"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)

endpoint_state = Table(
    "endpoint_state", metadata,
    Column("endpoint", Text, primary_key=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("failing", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),  # e.g. after HTTP 410 Gone
    Column("last_success_at", UTCDateTime),
    Column("last_failure_at", UTCDateTime),
    Column("last_error", Text),
)

acknowledgements = Table(
    "acknowledgements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), ForeignKey("alerts.alert_id"), nullable=False),
    Column("operator", String(200), nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=False),
    Column("note", Text),
    Index("ix_acknowledgements_alert_id", "alert_id"),
)

#: Tables created by each schema version (see :mod:`firewatch.store.migrations`).
CORE_TABLES = (frames, incidents, hotspots, incident_history)
OUTBOX_TABLES = (alerts, deliveries, endpoint_state, acknowledgements)
