"""Standard Webhooks signatures: the published vectors, the library's verifier, a hand HMAC, rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest
from alert_helpers import SECRET, SECRET_2
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from alerts.errors import InvalidEndpoint
from alerts.signing import signature_header, signed_headers


@pytest.fixture(scope="module")
def vectors(shared_data):
    return json.loads((shared_data / "alerts" / "standard_webhooks_test_vector.json").read_text())


def test_canonical_published_vector(vectors):
    v = vectors["canonical_vector_widely_used"]
    when = datetime.fromtimestamp(v["timestamp"], tz=timezone.utc)
    assert signature_header(v["msg_id"], when, v["body"].encode(), [v["secret"]]) == v["signature"]


def test_project_style_vector(vectors):
    v = vectors["project_style_vector_synthetic"]
    headers = v["headers"]
    when = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=timezone.utc)
    produced = signed_headers(headers["webhook-id"], v["body"].encode(), [v["secret"]], timestamp=when,
                              content_type="application/json")
    assert produced["webhook-signature"] == headers["webhook-signature"]
    assert produced["webhook-timestamp"] == headers["webhook-timestamp"]
    # Independent hand computation with hmac/sha256 over id.timestamp.body.
    key = v["secret_raw_bytes_ascii"].encode()
    digest = hmac.new(key, v["signed_content"].encode(), hashlib.sha256).digest()
    assert produced["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


def test_library_verifies_our_headers_and_rejects_tampering():
    body = json.dumps({"type": "incident.confirmed", "data": {"x": "산불"}}, ensure_ascii=False).encode()
    headers = signed_headers("msg_TEST", body, [SECRET], timestamp=datetime.now(timezone.utc),
                             content_type="application/json")
    assert Webhook(SECRET).verify(body, headers)["data"]["x"] == "산불"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace("산불".encode(), b"fire"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET_2).verify(body, headers)


def test_rotation_sends_one_signature_per_secret_each_verifiable():
    body = b'{"type":"incident.closed"}'
    headers = signed_headers("msg_ROT", body, [SECRET, SECRET_2], timestamp=datetime.now(timezone.utc),
                             content_type="application/json")
    parts = headers["webhook-signature"].split(" ")
    assert len(parts) == 2 and all(p.startswith("v1,") for p in parts)
    Webhook(SECRET).verify(body, headers)
    Webhook(SECRET_2).verify(body, headers)


def test_missing_or_malformed_secret_is_refused_without_echo():
    with pytest.raises(InvalidEndpoint, match="no signing secret"):
        signature_header("msg_X", datetime.now(timezone.utc), b"{}", [])
    with pytest.raises(InvalidEndpoint) as info:
        signature_header("msg_X", datetime.now(timezone.utc), b"{}", ["whsec_short"])
    assert "whsec_short" not in str(info.value)
