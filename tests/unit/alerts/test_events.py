"""Which transitions become outbox alerts, with which keys, payloads and endpoints."""

from __future__ import annotations

from datetime import datetime

from alert_helpers import SECRET, T0, make_incident, transition

from alerts.config import AlertPolicy, EndpointConfig
from alerts.events import alerts_for_transitions

POLICY = AlertPolicy()
ENDPOINTS = [EndpointConfig(name="all", url="https://a.example.org/h", secret=SECRET),
             EndpointConfig(name="severe-only", url="https://b.example.org/h", secret=SECRET,
                            min_severity="Severe")]


def _alerts(transitions, incident, now=T0):
    return alerts_for_transitions(transitions, {incident.incident_id: incident}, policy=POLICY,
                                  endpoints=ENDPOINTS, now=now)


def test_only_the_four_alerting_kinds_make_alerts():
    incident = make_incident()
    kinds = ["created", "confirmed", "updated", "escalated", "quiet", "reignited", "closed"]
    rows = _alerts([transition(kind) for kind in kinds], incident)
    assert [r["event_type"] for r in rows] == ["incident.confirmed", "incident.escalated", "incident.reignited",
                                               "incident.closed"]


def test_masked_incidents_and_never_confirmed_candidates_do_not_alert():
    assert _alerts([transition("confirmed")], make_incident(masked=True)) == []
    assert _alerts([transition("closed")], make_incident(state="closed", confirmed_at=None)) == []
    assert _alerts([transition("confirmed")], make_incident(), ) != []
    assert _alerts([transition("confirmed", incident_id="inc-unknown")], make_incident()) == []


def test_row_shape_key_and_endpoints():
    incident = make_incident(area_m2=9900.0, max_frp_kw=2500.0)  # Moderate: ≥ 0.25 acre and ≥ 1 MW
    (row,) = _alerts([transition("escalated", sequence=3, reason="area ×2.1")], incident,
                     now=datetime(2026, 4, 5, 4, 12, 1, tzinfo=T0.tzinfo))
    assert row["transition_key"] == "inc-0123456789abcdef:escalated:3"
    assert row["alert_id"].startswith("msg_") and len(row["alert_id"]) == 30
    assert row["severity"] == "Moderate" and row["endpoints"] == ["all"]
    assert row["lat"] == incident.lat and row["lon"] == incident.lon
    assert row["source_kinds"] == ["drone", "fixed"]
    payload = row["payload"]
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "incident.escalated" and payload["timestamp"] == "2026-04-05T04:12:00Z"
    assert payload["data"]["type"] == "Feature"
    assert payload["data"]["properties"]["reason"] == "area ×2.1"
    assert payload["data"]["properties"]["severity"] == "Moderate"


def test_same_transition_gives_the_same_key_but_a_fresh_id():
    incident = make_incident()
    first, second = _alerts([transition("confirmed")], incident), _alerts([transition("confirmed")], incident)
    assert first[0]["transition_key"] == second[0]["transition_key"]
    assert first[0]["alert_id"] != second[0]["alert_id"]


def test_accepts_transition_objects_with_attributes():
    from detection.incidents import Transition  # the fusion's own type (alerts/ itself never imports detection)

    rows = _alerts([Transition("inc-0123456789abcdef", "candidate", "confirmed", T0, "2 looks", "confirmed")],
                   make_incident())
    assert rows[0]["transition_key"] == "inc-0123456789abcdef:confirmed:1"
