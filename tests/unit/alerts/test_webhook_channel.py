"""One delivery attempt against real loopback HTTP servers: each answer classified as documented."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from alert_helpers import LoopbackServer

from alerts.channels.webhook import parse_retry_after, post_webhook

NOW = datetime(2026, 4, 5, 4, 12, tzinfo=timezone.utc)
HEADERS = {"webhook-id": "msg_X", "content-type": "application/json"}


def _post(url, *, timeout_s=2.0):
    with httpx.Client() as client:
        return post_webhook(client, url, b'{"a":1}', HEADERS, timeout_s=timeout_s, now=NOW)


@pytest.mark.parametrize("status", [200, 202, 204])
def test_2xx_is_delivered(status):
    with LoopbackServer(lambda r: (status, {}, b"")) as server:
        result = _post(server.url + "/hook")
    assert (result.outcome, result.status_code, result.error) == ("delivered", status, None)
    assert server.requests[0]["body"] == b'{"a":1}' and server.requests[0]["headers"]["webhook-id"] == "msg_X"


def test_500_is_retried_with_the_body_excerpt():
    with LoopbackServer(lambda r: (500, {}, b"database down" + b"x" * 5000)) as server:
        result = _post(server.url)
    assert result.outcome == "retry" and result.status_code == 500
    assert result.error.startswith("HTTP 500: database down") and len(result.error) < 300


def test_410_means_gone():
    with LoopbackServer(lambda r: (410, {}, b"")) as server:
        result = _post(server.url)
    assert result.outcome == "gone" and "disabled" in result.error


def test_redirect_is_not_followed_and_names_the_location():
    def handler(request):
        if request["path"] == "/old":
            return 308, {"location": "/new"}, b""
        return 200, {}, b""

    with LoopbackServer(handler) as server:
        result = _post(server.url + "/old")
    assert result.outcome == "retry" and result.status_code == 308
    assert result.error == "redirect not followed: fix the URL to /new"
    assert [r["path"] for r in server.requests] == ["/old"]  # /new never requested


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_and_http_date(status):
    with LoopbackServer(lambda r: (status, {"retry-after": "120"}, b"slow down")) as server:
        assert _post(server.url).retry_after_s == 120.0
    later = format_datetime(NOW + timedelta(minutes=10), usegmt=True)
    with LoopbackServer(lambda r: (status, {"retry-after": later}, b"")) as server:
        result = _post(server.url)
    assert result.outcome == "retry" and result.retry_after_s == 600.0


def test_retry_after_ignored_on_other_codes_and_parsing():
    with LoopbackServer(lambda r: (500, {"retry-after": "120"}, b"")) as server:
        assert _post(server.url).retry_after_s is None
    assert parse_retry_after(None, now=NOW) is None
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(" 7 ", now=NOW) == 7.0
    assert parse_retry_after(format_datetime(NOW - timedelta(hours=1), usegmt=True), now=NOW) == 0.0


def test_slow_receiver_times_out():
    release = threading.Event()

    def handler(request):
        release.wait(5)
        return 200, {}, b""

    with LoopbackServer(handler) as server:
        result = _post(server.url, timeout_s=0.3)
        release.set()
    assert result.outcome == "retry" and result.status_code is None
    assert result.error.startswith("timed out after 0.3 s")
    assert result.duration_s < 2.0


def test_connection_refused_is_retried():
    with socket.socket() as sock:  # a port nobody listens on: bind, read the number, close
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _post(f"http://127.0.0.1:{port}/hook")
    assert result.outcome == "retry" and result.status_code is None
    assert result.error.startswith("cannot connect")


def test_receiver_text_cannot_inject_terminal_escapes():
    hostile = b"\x1b[2J\x1b[31mpwned\r\nX-Injected: 1"
    with LoopbackServer(lambda r: (500, {}, hostile)) as server:
        result = _post(server.url)
    assert "\x1b" not in result.error and "\n" not in result.error and "\r" not in result.error
    assert "pwned" in result.error
