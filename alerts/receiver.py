"""A tiny reference receiver: verifies Standard Webhooks signatures and hands each event to a callback.

It is what ``firewatch alerts receive`` runs so integrators can see delivery work in a minute, and what the tests
use as a real HTTP peer. Contract (also in docs/webhooks.md):

* ``POST`` any path; the body is at most :data:`MAX_BODY_BYTES`;
* the signature is checked with the ``standardwebhooks`` library against every configured secret (any match
  passes): missing headers, a bad signature or a timestamp more than 5 minutes off → ``401``;
* a verified message answers ``200`` with ``{"ok": true, "duplicate": <bool>}`` — ``duplicate`` is true when this
  ``webhook-id`` was already received (a retry whose first answer was lost): process each id once.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

#: Larger than any incident alert (a CAP message with a detailed perimeter is tens of kB).
MAX_BODY_BYTES = 1_048_576
#: Webhook ids remembered for duplicate detection (a day of alerts at a busy centre is far fewer).
REMEMBERED_IDS = 100_000


@dataclass(frozen=True)
class ReceivedEvent:
    """One verified message: its ``webhook-id``, ``webhook-timestamp`` (Unix s), content type, raw body, parsed JSON
    (None for CAP XML), and whether this id had been received before."""

    webhook_id: str
    timestamp: int
    content_type: str
    body: bytes
    payload: dict | None
    duplicate: bool


class _SeenIds:
    def __init__(self, capacity: int) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, webhook_id: str) -> bool:
        """Remember ``webhook_id``; True when it was already known."""
        with self._lock:
            if webhook_id in self._ids:
                self._ids.move_to_end(webhook_id)
                return True
            self._ids[webhook_id] = None
            if len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return False


def verify(body: bytes, headers: dict[str, str], secrets: list[str]) -> bool:
    """True when any of ``secrets`` verifies the message (standardwebhooks, 5-minute timestamp tolerance)."""
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return True
        except (WebhookVerificationError, ValueError):
            continue
    return False


def make_receiver(secrets: list[str], on_event: Callable[[ReceivedEvent], None], *, host: str = "127.0.0.1",
                  port: int = 0) -> ThreadingHTTPServer:
    """A ready-to-serve HTTP server (``port=0`` picks a free port: read ``server.server_address``).

    Run it with ``server.serve_forever()`` (in a thread for tests) and stop it with ``server.shutdown()``.
    """
    seen = _SeenIds(REMEMBERED_IDS)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # events are reported through on_event
            return

        def _answer(self, status: int, message: dict) -> None:
            data = json.dumps(message).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("content-length", "0"))
            except ValueError:
                self._answer(400, {"ok": False, "error": "bad content-length"})
                return
            if not 0 <= length <= MAX_BODY_BYTES:
                self._answer(413, {"ok": False, "error": f"body larger than {MAX_BODY_BYTES} bytes"})
                return
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            if not verify(body, headers, secrets):
                self._answer(401, {"ok": False, "error": "signature verification failed"})
                return
            content_type = headers.get("content-type", "")
            try:
                payload = json.loads(body) if content_type.startswith("application/json") else None
            except ValueError:
                self._answer(400, {"ok": False, "error": "body is not valid JSON"})
                return
            event = ReceivedEvent(webhook_id=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"]),
                                  content_type=content_type, body=body, payload=payload,
                                  duplicate=seen.add(headers["webhook-id"]))
            on_event(event)
            self._answer(200, {"ok": True, "duplicate": event.duplicate})

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A sender closing its keep-alive connection is normal, not an error worth a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)
