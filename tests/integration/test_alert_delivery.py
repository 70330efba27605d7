"""The outbox, the worker and real HTTP receivers on loopback: every failure mode handled as documented."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import xmlschema
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "alerts"))
from alert_helpers import (SECRET, SECRET_2, LoopbackServer, delivery, drain,  # noqa: E402
                           queue_confirmed)

from alerts.config import AlertPolicy, AlertsConfig, CapSettings, EndpointConfig  # noqa: E402
from alerts.events import alerts_for_transitions  # noqa: E402
from alerts.receiver import make_receiver  # noqa: E402
from alerts.worker import deliver_due  # noqa: E402
from detection.incidents import FusionConfig, fuse_hotspots  # noqa: E402
from firewatch.model import Hotspot  # noqa: E402
from firewatch.store import Store  # noqa: E402

#: Compressed retry schedule for tests: same shape as the published one, milliseconds instead of hours.
FAST = AlertPolicy(retry_schedule_s=[0, 0.1, 0.1, 0.1, 0.1], jitter_fraction=0.0, failing_after_failures=3,
                   retry_after_cap_s=5)


def _config(*endpoints: dict, policy: AlertPolicy = FAST) -> AlertsConfig:
    return AlertsConfig(endpoints=[EndpointConfig(**{"secret": SECRET, **e}) for e in endpoints], policy=policy,
                        cap=CapSettings(sender="ops@forest.example.kr"), allow_private_networks=True)


@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'firewatch.db'}") as s:
        yield s


@pytest.fixture
def client():
    with httpx.Client() as c:
        yield c


class Receiver:
    """The reference receiver (standardwebhooks verification) in a thread; ``events`` collects what arrived."""

    def __init__(self, secrets=(SECRET,), port: int = 0) -> None:
        self.events = []
        self.server: ThreadingHTTPServer = make_receiver(list(secrets), self.events.append, port=port)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _all_done(store) -> bool:
    return all(a["status"] in ("delivered", "dead") for a in store.alerts())


def _hotspot(index: int, frame_id: str, when: datetime) -> Hotspot:
    return Hotspot(hotspot_id=f"{frame_id}-h{index}", frame_id=frame_id, source_id="drone-1", source_kind="drone",
                   time=when, row=10.0, col=20.0, bbox_px=(9, 19, 11, 21), pixel_count=9, max_temp_k=620.0,
                   mean_temp_k=520.0, background_temp_k=300.0, background_mad_k=1.0, saturated_fraction=0.0,
                   frp_kw=1500.0, frp_lower_bound=False, confidence=0.7, confidence_class="nominal", lat=36.57,
                   lon=128.73, location_uncertainty_m=5.0, location_method="dem")


def test_confirmed_fire_from_two_looks_reaches_a_verifying_receiver(store, client, shared_data):
    """Hotspots → fusion → outbox (same transaction) → worker → receiver verifying with standardwebhooks; the CAP
    variant validates against the OASIS XSD."""
    fusion_config = FusionConfig()
    with Receiver() as geo, Receiver() as cap:
        config = _config({"name": "geo", "url": geo.url},
                         {"name": "cap", "url": cap.url, "formats": ["cap"], "cap_status": "Exercise"})
        t0 = datetime.now(timezone.utc).replace(microsecond=0)
        for look, frame_id in enumerate(["f1", "f2"]):
            when = t0 + timedelta(seconds=30 * look)
            spots = [_hotspot(0, frame_id, when)]
            result = fuse_hotspots(spots, store.open_incidents(), config=fusion_config, now=when)
            outbox = alerts_for_transitions(result.transitions, {i.incident_id: i for i in result.incidents},
                                            policy=config.policy, endpoints=config.endpoints, now=when)
            store.apply_frame_result({"frame_id": frame_id, "content_sha256": f"sha-{frame_id}", "time": when,
                                      "source_id": "drone-1", "source_kind": "drone"}, spots, result, outbox)
        (alert,) = store.alerts()
        assert alert["event_type"] == "incident.confirmed"
        drain(store, config, client, until=_all_done)
    (event,) = geo.events
    assert event.webhook_id == alert["alert_id"] and not event.duplicate
    feature = event.payload["data"]
    assert event.payload["type"] == "incident.confirmed" and feature["type"] == "Feature"
    assert feature["properties"]["frames"] == ["f1", "f2"]
    (cap_event,) = cap.events
    assert cap_event.content_type.startswith("application/cap+xml")
    xmlschema.XMLSchema(str(shared_data / "alerts" / "CAP-v1.2.xsd")).validate(cap_event.body)
    root = etree.fromstring(cap_event.body)
    assert root.findtext("{*}status") == "Exercise" and root.findtext("{*}identifier") == alert["alert_id"]
    assert store.alerts()[0]["status"] == "delivered"


def test_both_formats_put_the_cap_xml_inside_the_json_feature(store, client):
    with Receiver() as both:
        config = _config({"name": "both", "url": both.url, "formats": ["geojson", "cap"]})
        queue_confirmed(store, config, 1)
        drain(store, config, client, until=_all_done)
    (event,) = both.events
    assert etree.fromstring(event.payload["data"]["cap_xml"].encode()).findtext("{*}msgType") == "Alert"


def test_cap_updates_reference_the_earlier_messages(store, client):
    from detection.incidents import Transition

    from alert_helpers import make_incident

    with Receiver() as cap:
        config = _config({"name": "cap", "url": cap.url, "formats": ["cap"]})
        (first,) = queue_confirmed(store, config, 1)
        drain(store, config, client, until=_all_done)
        incident = make_incident(incident_id="inc-0000", area_m2=30_000.0)
        grow = Transition("inc-0000", "active", "active", first["created_at"] + timedelta(minutes=5), "area ×3",
                          "escalated")
        later = alerts_for_transitions([grow], {"inc-0000": incident}, policy=config.policy,
                                       endpoints=config.endpoints, now=grow.time)
        store.apply_transitions([incident], [grow], [], later)
        drain(store, config, client, until=_all_done)
    original, update = (etree.fromstring(event.body) for event in cap.events)
    assert update.findtext("{*}msgType") == "Update"
    assert update.findtext("{*}references") == \
        f"ops@forest.example.kr,{first['alert_id']},{original.findtext('{*}sent')}"


def test_receiver_down_then_back_every_alert_arrives_none_lost(store, client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = _config({"name": "ops", "url": f"http://127.0.0.1:{port}/hook"},
                     policy=AlertPolicy(retry_schedule_s=[0] + [0.1] * 30, jitter_fraction=0.0))
    queued = queue_confirmed(store, config, 5)
    for _ in range(3):  # receiver down: connection refused, retried, deferred — nothing lost
        deliver_due(store, config, client=client)
        time.sleep(0.12)
    rows = [delivery(store, a["alert_id"], "ops") for a in queued]
    assert all(d["status"] == "pending" for d in rows)
    assert sum(d["attempts"] for d in rows) == 3  # one real attempt per pass, the rest deferred
    assert all("cannot connect" in d["last_error"] for d in rows)
    assert store.endpoint_state("ops")["consecutive_failures"] == 3
    with Receiver(port=port) as receiver:
        drain(store, config, client, until=_all_done)
    assert sorted(e.webhook_id for e in receiver.events) == sorted(a["alert_id"] for a in queued)
    assert all(a["status"] == "delivered" for a in store.alerts())
    assert store.endpoint_state("ops")["consecutive_failures"] == 0


def test_500_is_retried_with_the_same_webhook_id_until_2xx(store, client):
    answers = iter([500, 500, 200])
    with LoopbackServer(lambda r: (next(answers), {}, b"")) as server:
        config = _config({"name": "ops", "url": server.url})
        (alert,) = queue_confirmed(store, config, 1)
        drain(store, config, client, until=_all_done)
    ids = [r["headers"]["webhook-id"] for r in server.requests]
    assert ids == [alert["alert_id"]] * 3
    found = delivery(store, alert["alert_id"], "ops")
    assert found["status"] == "delivered" and found["attempts"] == 3 and found["last_status_code"] == 200


def test_dead_letter_after_the_last_attempt_and_endpoint_flagged_failing(store, client, caplog):
    with LoopbackServer(lambda r: (500, {}, b"broken")) as server:
        config = _config({"name": "ops", "url": server.url})
        (alert,) = queue_confirmed(store, config, 1)
        with caplog.at_level(logging.INFO, logger="alerts"):
            drain(store, config, client, until=_all_done)
    assert len(server.requests) == 5  # len(retry_schedule_s)
    found = delivery(store, alert["alert_id"], "ops")
    assert found["status"] == "dead" and found["attempts"] == 5
    assert found["last_error"].startswith("gave up after 5 attempts")
    state = store.endpoint_state("ops")
    assert state["failing"] and state["consecutive_failures"] == 5
    assert "is FAILING" in caplog.text


def test_410_disables_the_endpoint_and_dead_letters_its_queue(store, client):
    with LoopbackServer(lambda r: (410, {}, b"")) as gone, Receiver() as fine:
        config = _config({"name": "gone", "url": gone.url}, {"name": "fine", "url": fine.url})
        queued = queue_confirmed(store, config, 3)
        summaries = drain(store, config, client, until=_all_done)
        assert len(gone.requests) == 1  # one 410 is enough: the rest are dead-lettered without a request
        assert summaries[0]["endpoints_disabled"] == ["gone"]
        assert store.endpoint_state("gone")["disabled"]
        for alert in queued:
            assert delivery(store, alert["alert_id"], "gone")["status"] == "dead"
            assert delivery(store, alert["alert_id"], "fine")["status"] == "delivered"
        queue_confirmed(store, config, 1, start=10)  # new alert while disabled: dead, no request
        drain(store, config, client, until=_all_done)
        assert len(gone.requests) == 1
    assert len(fine.events) == 4


def test_429_retry_after_is_honoured(store, client):
    answers = iter([(429, {"retry-after": "1"}), (200, {})])
    stamps = []

    def handler(request):
        stamps.append(time.monotonic())
        status, headers = next(answers)
        return status, headers, b""

    with LoopbackServer(handler) as server:
        config = _config({"name": "ops", "url": server.url})
        (alert,) = queue_confirmed(store, config, 1)
        deliver_due(store, config, client=client)
        waiting = delivery(store, alert["alert_id"], "ops")
        assert waiting["status"] == "pending" and waiting["last_status_code"] == 429
        drain(store, config, client, until=_all_done)
    assert stamps[1] - stamps[0] >= 1.0  # not the 0.1 s of the schedule


def test_redirect_is_a_failure_that_names_the_new_url(store, client):
    with LoopbackServer(lambda r: (301, {"location": "https://new.example.org/hook"}, b"")) as server:
        config = _config({"name": "ops", "url": server.url + "/old"})
        (alert,) = queue_confirmed(store, config, 1)
        deliver_due(store, config, client=client)
    found = delivery(store, alert["alert_id"], "ops")
    assert found["status"] == "pending" and found["last_status_code"] == 301
    assert found["last_error"] == "redirect not followed: fix the URL to https://new.example.org/hook"
    assert len(server.requests) == 1


def test_slow_receiver_times_out_and_does_not_delay_other_endpoints(store, client):
    release = threading.Event()

    def slow(request):
        release.wait(3)
        return 200, {}, b""

    with LoopbackServer(slow) as server, Receiver() as fast:
        config = _config({"name": "slow", "url": server.url, "timeout_s": 0.3}, {"name": "fast", "url": fast.url})
        queued = queue_confirmed(store, config, 3)
        started = time.monotonic()
        summary = deliver_due(store, config, client=client)
        elapsed = time.monotonic() - started
        release.set()
    assert len(fast.events) == 3 and summary["delivered"] == 3
    assert summary["retrying"] == 1 and summary["deferred"] == 2  # first timed out; the rest not hammered
    assert elapsed < 1.5
    found = delivery(store, queued[0]["alert_id"], "slow")
    assert found["status"] == "pending" and found["last_error"].startswith("timed out after 0.3 s")
    assert delivery(store, queued[1]["alert_id"], "slow")["attempts"] == 0


def test_a_message_the_receiver_rejects_does_not_block_the_others(store, client):
    def picky(request):
        return (400, {}, b"cannot parse") if b"inc-0000" in request["body"] else (200, {}, b"")

    with LoopbackServer(picky) as server:
        config = _config({"name": "ops", "url": server.url})
        queued = queue_confirmed(store, config, 3)
        deliver_due(store, config, client=client)
    assert delivery(store, queued[0]["alert_id"], "ops")["last_error"] == "HTTP 400: cannot parse"
    assert [delivery(store, a["alert_id"], "ops")["status"] for a in queued[1:]] == ["delivered", "delivered"]


def test_secret_rotation_both_old_and_new_receivers_verify(store, client):
    with Receiver(secrets=[SECRET]) as old, Receiver(secrets=[SECRET_2]) as new:
        config = AlertsConfig(endpoints=[EndpointConfig(name="old", url=old.url, secret=[SECRET_2, SECRET]),
                                         EndpointConfig(name="new", url=new.url, secret=[SECRET_2, SECRET])],
                              policy=FAST, allow_private_networks=True)
        queue_confirmed(store, config, 1)
        drain(store, config, client, until=_all_done)
    assert len(old.events) == 1 and len(new.events) == 1


def test_private_receivers_refused_without_the_lab_flag_at_delivery(store, client):
    with Receiver() as receiver:
        lab = _config({"name": "ops", "url": receiver.url})
        (alert,) = queue_confirmed(store, lab, 1)
        # The same endpoint in a production config whose validation was bypassed (e.g. a DNS name that now
        # resolves to loopback): the delivery-time guard refuses it.
        production = AlertsConfig.model_construct(endpoints=lab.endpoints, policy=FAST, cap=lab.cap,
                                                  allow_private_networks=False)
        deliver_due(store, production, client=client)
    assert receiver.events == []
    assert "non-public address" in delivery(store, alert["alert_id"], "ops")["last_error"]


def test_secrets_never_reach_the_logs(store, client, caplog):
    answers = iter([500, 410])
    with LoopbackServer(lambda r: (next(answers, 200), {}, b"")) as server, Receiver() as receiver:
        config = _config({"name": "a", "url": server.url}, {"name": "b", "url": receiver.url})
        with caplog.at_level(logging.DEBUG):
            queue_confirmed(store, config, 2)
            drain(store, config, client, until=_all_done)
            logging.getLogger("test").info("config: %r", config)
    assert caplog.records  # something was logged
    for secret in (SECRET, SECRET[6:]):
        assert secret not in caplog.text


def test_run_worker_is_woken_at_once_and_stops_cleanly(store):
    from alerts.worker import run_worker

    with Receiver() as receiver:
        config = _config({"name": "ops", "url": receiver.url})
        stop, wake = threading.Event(), threading.Event()
        worker = threading.Thread(target=run_worker, args=(store, config, stop, 30.0), kwargs={"wake_event": wake})
        worker.start()
        try:
            time.sleep(0.2)  # the worker is now waiting (30 s poll)
            (alert,) = queue_confirmed(store, config, 1)
            started = time.monotonic()
            wake.set()  # what the pipeline does after storing alerts
            while not receiver.events and time.monotonic() - started < 5:
                time.sleep(0.01)
            woke_s = time.monotonic() - started
        finally:
            stop.set()
            wake.set()
            worker.join(5)
    assert receiver.events[0].webhook_id == alert["alert_id"]
    assert woke_s < 1.0  # not the 30 s poll
    assert not worker.is_alive()
