"""One webhook delivery attempt over HTTP with httpx, classified for the worker.

Outcomes (documented for integrators in docs/webhooks.md):

* ``delivered`` — any 2xx status;
* ``gone`` — 410 Gone: the receiver says the endpoint no longer exists. The worker flags the endpoint as gone,
  dead-letters its pending deliveries and stops sending to it until an operator replays (Standard Webhooks:
  "410 Gone … the endpoint should be disabled");
* ``retry`` — everything else: 3xx (redirects are never followed: the error names the ``Location`` to put in the
  configuration), 4xx, 5xx, connection refused, timeouts, TLS errors. For 429 and 503, ``Retry-After`` (seconds or
  an HTTP date) is returned in ``retry_after_s`` for the worker to honour (capped there).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx

from firewatch.model import parse_time

Outcome = Literal["delivered", "retry", "gone"]
#: Bytes of a failed response's body kept for the operator's error column (enough for an error message, not a page).
ERROR_BODY_BYTES = 200


@dataclass(frozen=True)
class AttemptResult:
    """What one POST did: outcome, HTTP status (None when no response), error text, Retry-After, duration (s)."""

    outcome: Outcome
    status_code: int | None
    error: str | None
    retry_after_s: float | None
    duration_s: float


def printable(text: str, limit: int = ERROR_BODY_BYTES) -> str:
    """``text`` cut to ``limit`` characters with control characters (terminal escapes, newlines) made spaces: a
    receiver's words end up in operator terminals and logs."""
    return "".join(ch if ch.isprintable() else " " for ch in text[:limit]).strip()


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date, RFC 9110 §10.2.3), else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, (parse_time(when) - parse_time(now)).total_seconds())


def post_webhook(client: httpx.Client, url: str, body: bytes, headers: dict[str, str], *, timeout_s: float,
                 now: datetime) -> AttemptResult:
    """POST ``body`` to ``url`` once (no redirects followed, ``timeout_s`` for connect, write, read and pool)."""
    started = time.perf_counter()
    try:
        with client.stream("POST", url, content=body, headers=headers, follow_redirects=False,
                           timeout=httpx.Timeout(timeout_s)) as response:
            status = response.status_code
            snippet = b""
            if not 200 <= status < 300:
                for chunk in response.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= ERROR_BODY_BYTES:
                        break
            location = response.headers.get("location")
            retry_after = response.headers.get("retry-after")
    except httpx.TimeoutException as exc:
        return AttemptResult("retry", None, f"timed out after {timeout_s:g} s ({type(exc).__name__}): the "
                             "receiver must answer 2xx within the timeout and do slow work afterwards",
                             None, time.perf_counter() - started)
    except httpx.ConnectError as exc:
        return AttemptResult("retry", None, f"cannot connect: {exc}", None, time.perf_counter() - started)
    except httpx.HTTPError as exc:
        return AttemptResult("retry", None, f"{type(exc).__name__}: {exc}", None, time.perf_counter() - started)
    duration_s = time.perf_counter() - started
    if 200 <= status < 300:
        return AttemptResult("delivered", status, None, None, duration_s)
    text = printable(snippet[:ERROR_BODY_BYTES].decode("utf-8", "replace"))
    if status == 410:
        return AttemptResult("gone", status, "410 Gone: the receiver retired this endpoint; it is disabled "
                             "until an operator fixes the URL and replays", None, duration_s)
    if 300 <= status < 400:
        target = printable(location) if location else "(no Location)"
        return AttemptResult("retry", status, f"redirect not followed: fix the URL to {target}", None, duration_s)
    retry_after_s = parse_retry_after(retry_after, now=now) if status in (429, 503) else None
    error = f"HTTP {status}" + (f": {text}" if text else "")
    return AttemptResult("retry", status, error, retry_after_s, duration_s)
