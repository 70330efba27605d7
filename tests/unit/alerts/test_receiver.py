"""The reference receiver: verifies with the standardwebhooks library, 401 on bad signatures, flags duplicates."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from alert_helpers import SECRET, SECRET_2

from alerts.receiver import make_receiver
from alerts.signing import signed_headers


@pytest.fixture()
def receiver():
    events = []
    server = make_receiver([SECRET], events.append)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", events
    server.shutdown()
    server.server_close()


def _headers(body, secrets, *, msg_id="msg_R1", when=None):
    return signed_headers(msg_id, body, secrets, timestamp=when or datetime.now(timezone.utc),
                          content_type="application/json")


def test_verified_message_is_accepted_and_duplicates_flagged(receiver):
    url, events = receiver
    body = b'{"type":"incident.confirmed","timestamp":"2026-04-05T04:12:00Z","data":{}}'
    first = httpx.post(url, content=body, headers=_headers(body, [SECRET]))
    again = httpx.post(url, content=body, headers=_headers(body, [SECRET]))
    assert first.status_code == 200 and first.json() == {"ok": True, "duplicate": False}
    assert again.json() == {"ok": True, "duplicate": True}
    assert [e.webhook_id for e in events] == ["msg_R1", "msg_R1"]
    assert events[0].payload["type"] == "incident.confirmed"


def test_rotation_signatures_accepted_when_one_matches(receiver):
    url, _ = receiver
    body = b'{"type":"x"}'
    assert httpx.post(url, content=body, headers=_headers(body, [SECRET_2, SECRET])).status_code == 200


@pytest.mark.parametrize("tamper", ["body", "secret", "old", "missing"])
def test_bad_signatures_get_401(receiver, tamper):
    url, events = receiver
    body = b'{"type":"x"}'
    headers = _headers(body, [SECRET_2 if tamper == "secret" else SECRET],
                       when=datetime.now(timezone.utc) - timedelta(minutes=10) if tamper == "old" else None)
    if tamper == "body":
        body = b'{"type":"y"}'
    if tamper == "missing":
        del headers["webhook-signature"]
    response = httpx.post(url, content=body, headers=headers)
    assert response.status_code == 401 and events == []
