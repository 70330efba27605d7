"""The alert outbox on a real SQLite file: claims, leases, retries, replay, endpoint health, acknowledgements."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from firewatch.errors import StoreInputError, StoreNotFound
from firewatch.store import Store
from tests.unit.firewatch.test_store import db_path, url  # noqa: F401 - fixtures: SQLite file, PostgreSQL if set

T0 = datetime(2026, 4, 5, 3, 0, tzinfo=timezone.utc)


def outbox_row(n: int, endpoints=("ops", "backup"), created_at=T0) -> dict:
    return {"alert_id": f"msg_{n:026d}", "incident_id": None, "event_type": "test", "transition_key": f"test:{n}",
            "created_at": created_at, "severity": "minor", "source_kinds": ["drone"], "lat": 37.5, "lon": 127.0,
            "payload": {"type": "test", "timestamp": "2026-04-05T03:00:00Z", "data": {"n": n}},
            "endpoints": list(endpoints)}


@pytest.fixture
def store(url):
    with Store(url) as s:
        yield s


def test_due_deliveries_claims_once_with_the_alert_joined(store):
    store.add_alerts([outbox_row(1)])
    now = datetime.now(timezone.utc)
    claimed = store.due_deliveries(now, limit=10)
    assert sorted(d["endpoint"] for d in claimed) == ["backup", "ops"]
    first = claimed[0]
    assert first["status"] == "delivering" and first["attempts"] == 0
    assert first["payload"]["data"] == {"n": 1} and first["event_type"] == "test"
    assert first["lease_expires_at"] == now + timedelta(seconds=60)
    assert store.due_deliveries(now + timedelta(seconds=59)) == []  # lease still running


def test_an_expired_lease_makes_the_claim_due_again_with_the_same_alert_id(store):
    store.add_alerts([outbox_row(1, endpoints=("ops",))])
    now = datetime.now(timezone.utc)
    (first,) = store.due_deliveries(now, lease_s=30)
    # the worker holding it dies (never calls mark_delivery)
    (again,) = store.due_deliveries(now + timedelta(seconds=31), lease_s=30)
    assert again["alert_id"] == first["alert_id"] and again["endpoint"] == "ops"


def test_limit_and_order_oldest_due_first(store):
    store.add_alerts([outbox_row(n, endpoints=("ops",)) for n in range(5)])
    now = datetime.now(timezone.utc)
    assert len(store.due_deliveries(now, limit=3)) == 3
    assert len(store.due_deliveries(now, limit=3)) == 2
    assert store.due_deliveries(now) == []


def test_concurrent_workers_never_claim_the_same_delivery(url):
    Store(url).add_alerts([outbox_row(n, endpoints=("ops",)) for n in range(40)])
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        store = Store(url)
        while batch := store.due_deliveries(datetime.now(timezone.utc), limit=3):
            with lock:
                claimed.extend(d["alert_id"] for d in batch)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed) == sorted(f"msg_{n:026d}" for n in range(40))


def test_mark_delivery_retry_delivered_and_dead(store):
    store.add_alerts([outbox_row(1)])
    now = datetime.now(timezone.utc)
    store.due_deliveries(now)
    retry_at = now + timedelta(seconds=5)
    store.mark_delivery("msg_" + "1".zfill(26), "ops", status="pending", attempts=1, next_attempt_at=retry_at,
                        status_code=503, error="HTTP 503", now=now)
    store.mark_delivery("msg_" + "1".zfill(26), "backup", status="dead", attempts=8, error="gave up", now=now)
    assert store.due_deliveries(now + timedelta(seconds=4)) == []
    (due,) = store.due_deliveries(retry_at)
    assert due["endpoint"] == "ops" and due["attempts"] == 1 and due["last_status_code"] == 503
    store.mark_delivery(due["alert_id"], "ops", status="delivered", attempts=2, status_code=204, now=retry_at)
    (alert,) = store.alerts()
    by_endpoint = {d["endpoint"]: d for d in alert["deliveries"]}
    assert by_endpoint["ops"]["status"] == "delivered" and by_endpoint["ops"]["delivered_at"] == retry_at
    assert by_endpoint["backup"]["status"] == "dead" and alert["status"] == "dead"
    assert [a["alert_id"] for a in store.alerts(status="dead")] == [alert["alert_id"]]
    assert store.alerts(status="pending") == []
    assert store.stats()["deliveries"] == {"pending": 0, "delivering": 0, "delivered": 1, "dead": 1}


def test_mark_delivery_rejects_bad_input(store):
    store.add_alerts([outbox_row(1)])
    with pytest.raises(StoreInputError, match="status"):
        store.mark_delivery("msg_" + "1".zfill(26), "ops", status="delivering", attempts=1)
    with pytest.raises(StoreInputError, match="next_attempt_at"):
        store.mark_delivery("msg_" + "1".zfill(26), "ops", status="pending", attempts=1)
    with pytest.raises(StoreNotFound, match="no delivery"):
        store.mark_delivery("msg_nope", "ops", status="dead", attempts=1)
    with pytest.raises(StoreInputError, match="status"):
        store.alerts(status="lost")


def test_requeue_replays_with_the_same_alert_id(store):
    alert_id = "msg_" + "1".zfill(26)
    store.add_alerts([outbox_row(1, endpoints=("ops",))])
    now = datetime.now(timezone.utc)
    store.due_deliveries(now)
    store.mark_delivery(alert_id, "ops", status="dead", attempts=8, error="gave up", now=now)
    assert store.requeue_delivery(alert_id, now=now) == 1
    assert store.requeue_delivery(alert_id, "new-endpoint", now=now) == 1
    claimed = store.due_deliveries(now)
    assert sorted((d["alert_id"], d["endpoint"], d["attempts"]) for d in claimed) == [
        (alert_id, "new-endpoint", 0), (alert_id, "ops", 0)]
    with pytest.raises(StoreNotFound, match="msg_nope"):
        store.requeue_delivery("msg_nope")


def test_endpoint_state_counts_failures_and_dead_letters(store):
    assert store.endpoint_state("ops") is None
    for _ in range(2):
        state = store.update_endpoint_state("ops", success=False, error="refused", failing_after_failures=3)
    assert state["consecutive_failures"] == 2 and not state["failing"]
    state = store.update_endpoint_state("ops", success=False, error="refused", failing_after_failures=3)
    assert state["failing"] and store.stats()["endpoints_failing"] == 1
    state = store.update_endpoint_state("ops", success=True)
    assert state["consecutive_failures"] == 0 and not state["failing"] and state["last_success_at"] is not None
    store.update_endpoint_state("ops", success=False, error="410 Gone", disabled=True)
    assert store.endpoint_state("ops")["disabled"] is True
    assert [s["endpoint"] for s in store.endpoint_states()] == ["ops"]

    store.add_alerts([outbox_row(1), outbox_row(2)])
    assert store.dead_letter_endpoint("ops", "410 Gone: endpoint removed") == 2
    statuses = {(d["alert_id"][-1], d["endpoint"]): d["status"] for a in store.alerts() for d in a["deliveries"]}
    assert statuses == {("1", "ops"): "dead", ("2", "ops"): "dead", ("1", "backup"): "pending",
                        ("2", "backup"): "pending"}


def test_acknowledge_keeps_the_alert_in_the_log(store):
    store.add_alerts([outbox_row(1), outbox_row(2, created_at=T0 + timedelta(minutes=1))])
    row = store.acknowledge("msg_" + "1".zfill(26), "  김소방 ", note="crew dispatched")
    assert row["operator"] == "김소방" and row["id"] >= 1
    alerts = store.alerts()
    assert [a["alert_id"][-1] for a in alerts] == ["2", "1"]  # newest first
    assert alerts[1]["acknowledged"] and alerts[1]["acknowledgements"][0]["note"] == "crew dispatched"
    assert not alerts[0]["acknowledged"] and store.stats()["alerts_unacknowledged"] == 1
    with pytest.raises(StoreInputError, match="operator"):
        store.acknowledge("msg_" + "1".zfill(26), " ")
    with pytest.raises(StoreNotFound):
        store.acknowledge("msg_nope", "kim")
    assert len(store.alerts(limit=1)) == 1


def test_alert_without_matching_endpoint_is_kept(store):
    store.add_alerts([outbox_row(1, endpoints=())])
    (alert,) = store.alerts()
    assert alert["status"] == "no_endpoint" and alert["deliveries"] == []
