"""Shared builders for the alerts tests: incidents, transitions, a real loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from firewatch.model import Incident

#: The Standard Webhooks published test secret (../shared/data/alerts/standard_webhooks_test_vector.json).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#: A second valid secret (24 bytes "0123456789abcdef01234567" in base64) for rotation tests.
SECRET_2 = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
T0 = datetime(2026, 4, 5, 4, 12, 0, tzinfo=timezone.utc)

# A 100 m × 100 m-ish square near Andong (lon, lat), listed CLOCKWISE on purpose (RFC 7946 wants CCW).
SQUARE_CW = [[128.7300, 36.5700], [128.7300, 36.5709], [128.7311, 36.5709], [128.7311, 36.5700],
             [128.7300, 36.5700]]


def make_incident(**overrides) -> Incident:
    values = dict(incident_id="inc-0123456789abcdef", state="confirmed", first_seen=T0, last_seen=T0,
                  lat=36.57045, lon=128.73055, perimeter={"type": "Polygon", "coordinates": [SQUARE_CW]},
                  area_m2=9900.0, max_frp_kw=2500.0, max_temp_k=773.15, confidence=0.93,
                  confidence_class="high", sources=["drone-1", "tower-3"], source_kinds=["drone", "fixed"],
                  look_count=3, hotspot_count=4, masked=False, confirmed_at=T0,
                  extra={"frame_ids": ["f2", "f1"], "location_uncertainty_m": 12.0})
    values.update(overrides)
    return Incident(**values)


def transition(kind: str, incident_id: str = "inc-0123456789abcdef", *, sequence: int = 1, time: datetime = T0,
               reason: str = "seen in 2 looks") -> dict:
    return {"incident_id": incident_id, "from_state": "candidate", "to_state": "confirmed", "time": time,
            "reason": reason, "kind": kind, "sequence": sequence}


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 in a thread; ``handler(request) -> (status, headers, body)``.

    ``request`` is a dict: method, path, headers (lower-case), body. Every request is appended to ``requests``.
    """

    def __init__(self, handler: Callable[[dict], tuple[int, dict, bytes]]) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                return

            def _serve(self):
                length = int(self.headers.get("content-length", "0"))
                request = {"method": self.command, "path": self.path, "body": self.rfile.read(length),
                           "headers": {k.lower(): v for k, v in self.headers.items()}}
                outer.requests.append(request)
                status, headers, body = handler(request)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = _serve
            do_GET = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- store-backed helpers (integration tests import this module too) ----------------------------------------------

def queue_confirmed(store, config, count: int, *, start: int = 0, time: datetime = T0) -> list[dict]:
    """Write ``count`` confirmed incidents and their alerts to ``store`` the way the pipeline does (one
    transaction per tick); returns the outbox rows."""
    from alerts.events import alerts_for_transitions
    from detection.incidents import Transition

    rows = []
    for number in range(start, start + count):
        incident = make_incident(incident_id=f"inc-{number:04d}", lon=128.73055 + number * 1e-3)
        change = Transition(incident.incident_id, "candidate", "confirmed", time, "seen in 2 looks", "confirmed")
        alerts = alerts_for_transitions([change], {incident.incident_id: incident}, policy=config.policy,
                                        endpoints=config.endpoints, now=time)
        store.apply_transitions([incident], [change], [], alerts)
        rows += alerts
    return rows


def drain(store, config, client, *, until, timeout_s: float = 10.0, pause_s: float = 0.05) -> list[dict]:
    """Run delivery passes (real clock) until ``until(store)`` is true; returns the pass summaries."""
    import time as _time

    from alerts.worker import deliver_due

    summaries = []
    deadline = _time.monotonic() + timeout_s
    while not until(store):
        if _time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout_s} s; passes: {summaries[-5:]}; "
                                 f"outbox: {[(a['alert_id'], a['deliveries']) for a in store.alerts()]}")
        summaries.append(deliver_due(store, config, client=client))
        _time.sleep(pause_s)
    return summaries


def delivery(store, alert_id: str, endpoint: str) -> dict:
    """The delivery row of one alert to one endpoint."""
    (row,) = [a for a in store.alerts() if a["alert_id"] == alert_id]
    (found,) = [d for d in row["deliveries"] if d["endpoint"] == endpoint]
    return found


#: Runs ``firewatch alerts …`` from the alerts command module alone (independent of the other command modules):
#: ``[sys.executable, "-c", CLI_LAUNCHER, "alerts", "deliver", ...]``.
CLI_LAUNCHER = ("import typer\n"
                "from firewatch.commands.alerts import register\n"
                "app = typer.Typer()\n"
                "register(app)\n"
                "@app.callback()\n"
                "def _root():\n"
                "    pass\n"
                "app()\n")


def write_config(path, endpoints: list[dict], *, schedule=(0, 0.1, 0.1, 0.1), lease_s: float = 60.0,
                 failing_after: int = 5) -> None:
    """A firewatch.toml with an [alerts] section for loopback receivers."""
    lines = ["[alerts]", "allow_private_networks = true", "", "[alerts.policy]",
             f"retry_schedule_s = {list(schedule)}", "jitter_fraction = 0.0", f"lease_s = {lease_s}",
             f"failing_after_failures = {failing_after}", ""]
    for endpoint in endpoints:
        lines.append("[[alerts.endpoints]]")
        for key, value in endpoint.items():
            if isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            elif isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, (list, tuple)):
                lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
            else:
                lines.append(f"{key} = {value}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
