"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the ``standardwebhooks`` library.

Headers sent with every delivery attempt:

* ``webhook-id``: the alert id (``msg_…``) — identical on every retry and replay, the receiver's idempotency key;
* ``webhook-timestamp``: Unix seconds of this attempt (receivers reject timestamps more than 5 min off);
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``, one per configured secret,
  space-separated, so receivers keep verifying while a secret is rotated.
"""

from __future__ import annotations

from datetime import datetime, timezone
from math import floor

from standardwebhooks import Webhook

from alerts.config import decode_secret
from alerts.errors import InvalidEndpoint, PayloadError


def signature_header(msg_id: str, timestamp: datetime, body: bytes, secrets: list[str]) -> str:
    """``webhook-signature`` value: ``v1,<sig>`` for each secret, space-separated (same order as ``secrets``)."""
    if not secrets:
        raise InvalidEndpoint(f"message {msg_id}: no signing secret configured; add `secret = \"whsec_…\"`")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"message {msg_id}: body is not UTF-8 ({exc}); Standard Webhooks signs text") from exc
    utc = timestamp.astimezone(timezone.utc)
    signatures = []
    for secret in secrets:
        decode_secret(secret)  # a readable error instead of the library's RuntimeError / binascii.Error
        signatures.append(Webhook(secret).sign(msg_id=msg_id, timestamp=utc, data=text))
    return " ".join(signatures)


def signed_headers(msg_id: str, body: bytes, secrets: list[str], *, timestamp: datetime,
                   content_type: str) -> dict[str, str]:
    """All headers of one delivery attempt: the three Standard Webhooks headers plus content type and agent."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(timestamp.timestamp())),
        "webhook-signature": signature_header(msg_id, timestamp, body, secrets),
        "content-type": content_type,
        "user-agent": "Firewatch-Webhooks/1.0",
    }
