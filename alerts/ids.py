"""Alert ids: ``msg_`` + a 26-character ULID (Crockford base32, time-sortable).

The alert id is also the Standard Webhooks ``webhook-id`` header, the receiver's idempotency key: it is made once
when the alert enters the outbox and never changes across retries or replays.
"""

from __future__ import annotations

import os
from datetime import datetime

from alerts.errors import PayloadError
from firewatch.model import parse_time

#: Crockford's base32 alphabet (no I, L, O, U), as the ULID specification uses.
CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ALERT_ID_PREFIX = "msg_"


def ulid(now: datetime, *, randomness: bytes | None = None) -> str:
    """A ULID: 48-bit Unix time in milliseconds then 80 random bits, as 26 Crockford base32 characters.

    ``randomness`` (10 bytes) is for tests; by default it comes from :func:`os.urandom`.
    """
    millis = int(parse_time(now).timestamp() * 1000)
    if not 0 <= millis < 2**48:
        raise OverflowError(f"time {now!r} is outside the ULID range (1970 to year 10889)")
    randomness = os.urandom(10) if randomness is None else randomness
    if len(randomness) != 10:
        raise PayloadError(f"ULID randomness must be 10 bytes, got {len(randomness)}")
    value = (millis << 80) | int.from_bytes(randomness, "big")
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD_BASE32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_alert_id(now: datetime) -> str:
    """``msg_`` + ULID for an alert created at ``now``."""
    return ALERT_ID_PREFIX + ulid(now)
