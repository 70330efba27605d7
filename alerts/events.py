"""From incident transitions to outbox rows: which state changes become alerts, and for whom.

An alert is made for four transition kinds only — ``confirmed`` (a new fire), ``escalated`` (grew past the fusion's
area / FRP factors, or a new source confirmed it), ``reignited`` and ``closed`` — and never for an incident that is
masked (made only of known static heat sources) or was never confirmed (a candidate that faded away). Each alert
has a ``transition_key`` (``incident_id:kind:sequence``, :attr:`detection.incidents.Transition.key`) that the store
keeps UNIQUE, so re-processing the same transition can never alert twice.

The rows returned are what :meth:`firewatch.store.Store.apply_frame_result` / ``apply_transitions`` write in the
same transaction as the incident change (the durable outbox).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from alerts.config import AlertPolicy, CapSettings, EndpointConfig
from alerts.ids import new_alert_id
from alerts.payloads.geojson import envelope, incident_feature
from alerts.routing import matching_endpoints, severity_of
from firewatch.model import Incident, parse_time

#: Transition kinds that produce an alert, and the event type each becomes.
ALERT_KINDS: dict[str, str] = {
    "confirmed": "incident.confirmed",
    "escalated": "incident.escalated",
    "reignited": "incident.reignited",
    "closed": "incident.closed",
}


def transition_key(incident_id: str, kind: str, sequence: int) -> str:
    """``incident_id:kind:sequence`` — the same as :attr:`detection.incidents.Transition.key` (``sequence`` counts
    this kind for this incident, 1 = first), so the same transition always gives the same key."""
    return f"{incident_id}:{kind}:{int(sequence)}"


def _attr(transition: Any, name: str) -> Any:
    return transition[name] if isinstance(transition, Mapping) else getattr(transition, name)


def alert_row(incident: Incident, *, kind: str, sequence: int, time: datetime, reason: str, policy: AlertPolicy,
              endpoints: Sequence[EndpointConfig], now: datetime, cap: CapSettings | None = None) -> dict:
    """The outbox row for one alerting transition of ``incident`` (see :func:`alerts_for_transitions`)."""
    event_type = ALERT_KINDS[kind]
    severity = severity_of(incident, policy)
    feature = incident_feature(incident, dashboard_url=(cap or CapSettings()).dashboard_url)
    feature["properties"].update(event=event_type, severity=severity, reason=reason)
    return {
        "alert_id": new_alert_id(now),
        "incident_id": incident.incident_id,
        "event_type": event_type,
        "transition_key": transition_key(incident.incident_id, kind, sequence),
        "created_at": parse_time(now),
        "severity": severity,
        "source_kinds": sorted(incident.source_kinds),
        "lat": float(incident.lat),
        "lon": float(incident.lon),
        "payload": envelope(event_type, feature, timestamp=parse_time(time)),
        "endpoints": matching_endpoints(endpoints, event_type=event_type, severity=severity, incident=incident),
    }


def alerts_for_transitions(transitions: Iterable[Any], incidents_by_id: Mapping[str, Incident], *,
                           policy: AlertPolicy, endpoints: Sequence[EndpointConfig], now: datetime,
                           cap: CapSettings | None = None) -> list[dict]:
    """Outbox rows for the alerting transitions among ``transitions``.

    ``transitions`` are :class:`detection.incidents.Transition` objects (or mappings with the same fields:
    ``incident_id``, ``kind``, ``time``, ``reason``, ``sequence``); ``incidents_by_id`` holds the incidents after the
    change.
    Each row: ``alert_id`` (``msg_`` + ULID, the ``webhook-id``), ``incident_id``, ``event_type``,
    ``transition_key``, ``created_at`` (= ``now``), ``severity`` (CAP scale), ``source_kinds``, ``lat``, ``lon``,
    ``payload`` (envelope whose data is the incident Feature) and ``endpoints`` (names whose filters match; may be
    empty: the alert is still recorded for the operators' feed). Rows come in transition order.
    """
    rows = []
    for transition in transitions:
        kind = _attr(transition, "kind")
        if kind not in ALERT_KINDS:
            continue
        incident = incidents_by_id.get(_attr(transition, "incident_id"))
        if incident is None or incident.masked:
            continue
        if incident.confirmed_at is None and kind != "confirmed":
            continue  # a candidate that never confirmed closes silently
        rows.append(alert_row(incident, kind=kind, sequence=_attr(transition, "sequence"),
                              time=_attr(transition, "time"),
                              reason=_attr(transition, "reason") or "", policy=policy, endpoints=endpoints,
                              now=now, cap=cap))
    return rows


def operator_test_alert(now: datetime, *, cap: CapSettings | None = None) -> dict:
    """An outbox-shaped row for ``firewatch alerts test``: event type ``test``, a synthetic incident at Seoul City
    Hall (37.5663 N, 126.9779 E) flagged ``"test": true``; CAP renders it with status ``Test``."""
    alert_id = new_alert_id(now)
    now = parse_time(now).replace(microsecond=0)
    incident = Incident(incident_id="test-" + alert_id[len("msg_"):].lower(), state="confirmed", first_seen=now,
                        last_seen=now, lat=37.5663, lon=126.9779, perimeter=None, area_m2=0.0, max_frp_kw=0.0,
                        max_temp_k=273.15, confidence=0.0, confidence_class="low", sources=["firewatch-test"],
                        source_kinds=[], look_count=0, hotspot_count=0, confirmed_at=now)
    feature = incident_feature(incident, dashboard_url=(cap or CapSettings()).dashboard_url)
    feature["properties"].update(event="test", severity="Minor", reason="operator test", test=True)
    return {"alert_id": alert_id, "incident_id": None, "event_type": "test", "transition_key": f"test:{alert_id}",
            "created_at": now, "severity": "Minor", "source_kinds": [], "lat": incident.lat, "lon": incident.lon,
            "payload": envelope("test", feature, timestamp=now), "endpoints": []}
