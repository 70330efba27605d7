"""``firewatch alerts …``: the alert outbox, delivery, and a reference receiver (a thin shell over :mod:`alerts`)."""

from __future__ import annotations

import base64
import secrets as secrets_module
import signal
import threading
from pathlib import Path
from typing import Optional

import httpx
import typer

from alerts.channels.webhook import post_webhook
from alerts.config import AlertsConfig
from alerts.events import operator_test_alert
from alerts.receiver import ReceivedEvent, make_receiver
from alerts.signing import signed_headers
from alerts.urls import check_resolved_addresses
from alerts.worker import deliver_due, render_body, run_worker
from firewatch.commands.common import CONFIG_HELP, DB_HELP, config_with_overrides
from firewatch.errors import ConfigError
from firewatch.model import format_time, parse_time, to_json, utc_now

SECRET_ENV = "FIREWATCH_WEBHOOK_SECRET"
STATUSES = ("pending", "delivering", "delivered", "dead")

_HELP = (
        "Alert outbox and webhook delivery (Standard Webhooks signatures, GeoJSON and CAP 1.2 payloads).\n\n"
        "경보 발송함과 웹훅 전송 (서명된 GeoJSON·CAP 1.2 메시지).\n\n"
        "Endpoints are configured in firewatch.toml under \\[\\[alerts.endpoints]]; see docs/webhooks.md.\n\n"
        "Examples:\n\n"
        "  firewatch alerts list --status dead\n\n"
        "  firewatch alerts deliver --forever\n\n"
        "  firewatch alerts receive --port 8765 --secret whsec_...\n\n"
        "  firewatch alerts test dispatch"
)

_DB = typer.Option(None, "--db", help=DB_HELP)
_CONFIG = typer.Option(None, "--config", help=CONFIG_HELP + " Endpoints: \\[\\[alerts.endpoints]] tables.")


def _settings(config: Optional[Path], db: Optional[str]) -> tuple[AlertsConfig, str]:
    """The [alerts] section and the database URL (--db wins over the config's [store] url and the environment)."""
    full = config_with_overrides(config, db=db)
    return full.alerts, full.store.url


def _open_store(url: str):
    from firewatch.store import Store

    return Store.open(url, create=False)


def _local(value, zone: str = "Asia/Seoul") -> str:
    import zoneinfo

    return parse_time(value).astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def list_command(status: Optional[str] = typer.Option(None, "--status",
                                                      help="Only alerts with a delivery in this state: "
                                                           "pending | delivering | delivered | dead."),
                 limit: int = typer.Option(50, "--limit", min=1, help="At most this many alerts, newest first."),
                 as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table."),
                 config: Optional[Path] = _CONFIG, db: Optional[str] = _DB) -> None:
    """List alerts in the outbox, newest first, with each endpoint's delivery state.
    경보 목록 (최신순, 수신처별 전송 상태).

    Times are shown in Asia/Seoul (KST) and UTC. Secrets are never shown.

    Example: firewatch alerts list --status dead --limit 20
    """
    if status is not None and status not in STATUSES:
        raise ConfigError(f"--status {status!r}: use one of {', '.join(STATUSES)}")
    _, url = _settings(config, db)
    with _open_store(url) as store:
        rows = store.alerts(status=status, limit=limit)
        states = {s["endpoint"]: s for s in store.endpoint_states()}
    if as_json:
        for row in rows:
            typer.echo(to_json({key: value for key, value in row.items() if key != "payload"}))
        return
    if not rows:
        typer.echo("no alerts / 경보 없음" + (f" (status {status})" if status else ""))
    for row in rows:
        ack = " ACK" if row["acknowledged"] else ""
        typer.echo(f"{row['alert_id']}  {row['event_type']:<19} {row['severity'] or '-':<8} "
                   f"{row['incident_id'] or '-':<22} {_local(row['created_at'])} ({format_time(row['created_at'])})"
                   f"  [{row['status']}]{ack}")
        for delivery in row["deliveries"]:
            nxt = f" next {_local(delivery['next_attempt_at'])}" if delivery["status"] == "pending" and \
                delivery["next_attempt_at"] else ""
            code = f" HTTP {delivery['last_status_code']}" if delivery["last_status_code"] else ""
            error = f" — {delivery['last_error']}" if delivery["last_error"] and delivery["status"] != "delivered" \
                else ""
            typer.echo(f"    → {delivery['endpoint']}: {delivery['status']} after {delivery['attempts']} "
                       f"attempt(s){code}{nxt}{error}")
    troubled = [s for s in states.values() if s["failing"] or s["disabled"]]
    for state in troubled:
        flag = "DISABLED (410 Gone)" if state["disabled"] else "FAILING"
        typer.echo(f"endpoint {state['endpoint']}: {flag} after {state['consecutive_failures']} consecutive "
                   f"failures; last error: {state['last_error']}")


def replay_command(alert_id: str = typer.Argument(..., help="Alert id (msg_…) from `firewatch alerts list`."),
                   endpoint: Optional[str] = typer.Option(None, "--endpoint",
                                                          help="Only this endpoint (default: every endpoint the "
                                                               "alert was for)."),
                   config: Optional[Path] = _CONFIG, db: Optional[str] = _DB) -> None:
    """Queue an alert again (same webhook-id, so receivers can deduplicate); re-enables a 410-disabled endpoint.
    경보 재전송 대기열 추가.

    The running worker (`firewatch watch` or `firewatch alerts deliver --forever`) sends it at once; or run
    `firewatch alerts deliver --once`.

    Example: firewatch alerts replay msg_01JQ8Z6X3W5T7R9V1B3D5F7H9K --endpoint dispatch
    """
    _, url = _settings(config, db)
    with _open_store(url) as store:
        count = store.requeue_delivery(alert_id, endpoint)
        queued = next((row for row in store.alerts(status="pending") if row["alert_id"] == alert_id), None)
        names = {d["endpoint"] for d in (queued or {}).get("deliveries", []) if endpoint in (None, d["endpoint"])}
        for name in sorted(names):
            state = store.endpoint_state(name)
            if state and state["disabled"]:
                store.set_endpoint_disabled(name, False)
                typer.echo(f"endpoint {name} re-enabled / 수신처 다시 사용")
    typer.echo(f"{alert_id}: {count} delivery(ies) queued / 재전송 대기 {count}건")


def test_command(endpoint: str = typer.Argument(..., help="Endpoint name from \\[\\[alerts.endpoints]]."),
                 config: Optional[Path] = _CONFIG) -> None:
    """Send one signed test event to an endpoint now and show the answer (nothing is stored).
    수신처에 서명된 시험 메시지를 즉시 전송합니다.

    The event has type "test" (CAP status Test) and a synthetic incident at Seoul City Hall.

    Example: firewatch alerts test dispatch --config firewatch.toml
    """
    settings, _ = _settings(config, None)
    target = settings.endpoint(endpoint)
    row = dict(operator_test_alert(utc_now(), cap=settings.cap), endpoint=target.name)
    check_resolved_addresses(target.url, allow_private_networks=settings.allow_private_networks, name=target.name)
    body, content_type = render_body(row, target, settings, lambda _incident_id: [])
    headers = signed_headers(row["alert_id"], body, target.secrets(), timestamp=utc_now(), content_type=content_type)
    with httpx.Client() as client:
        result = post_webhook(client, target.url, body, headers, timeout_s=target.timeout_s, now=utc_now())
    typer.echo(f"{row['alert_id']} → {target.name}: {result.outcome} (HTTP {result.status_code or '-'}, "
               f"{result.duration_s * 1000:.0f} ms)" + (f" — {result.error}" if result.error else ""))
    if result.outcome != "delivered":
        raise typer.Exit(1)


def deliver_command(once: bool = typer.Option(False, "--once", help="One pass over the due deliveries, then exit."),
                    forever: bool = typer.Option(False, "--forever", help="Keep delivering until Ctrl-C / SIGTERM."),
                    poll_s: float = typer.Option(0.5, "--poll-s", min=0.05,
                                                 help="Seconds between passes when nothing is due (--forever)."),
                    config: Optional[Path] = _CONFIG, db: Optional[str] = _DB) -> None:
    """Deliver due alerts from the outbox (retries with backoff, dead-letter after the last attempt).
    발송함의 경보를 전송합니다 (재시도·백오프 포함).

    `firewatch watch` runs the same worker in the background; use this for a separate delivery process.

    Examples: firewatch alerts deliver --once ; firewatch alerts deliver --forever --poll-s 1
    """
    if once == forever:
        raise ConfigError("choose exactly one of --once (one pass) or --forever (until stopped)")
    settings, url = _settings(config, db)
    with _open_store(url) as store:
        if once:
            with httpx.Client() as client:
                summary = deliver_due(store, settings, client=client)
            typer.echo(to_json(summary))
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        typer.echo(f"delivering to {len(settings.endpoints)} endpoint(s); Ctrl-C to stop / 전송 중", err=True)
        run_worker(store, settings, stop, poll_s)


def receive_command(port: int = typer.Option(8765, "--port", min=0, max=65535, help="TCP port to listen on."),
                    secret: list[str] = typer.Option(..., "--secret", envvar=SECRET_ENV,
                                                     help="whsec_… secret (repeat during a rotation); or set "
                                                          f"${SECRET_ENV} to keep it out of the process list."),
                    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (0.0.0.0 = all)."),
                    as_json: bool = typer.Option(False, "--json", help="Print each verified body in full.")) -> None:
    """Run a tiny receiver that verifies signatures (standardwebhooks library) and prints each event.
    서명을 검증하고 이벤트를 출력하는 간단한 수신기.

    Answers 200 to verified messages, 401 to a bad or missing signature. Integrators: copy its logic (see
    docs/webhooks.md). Example: firewatch alerts receive --port 8765 --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    """
    from alerts.config import decode_secret

    for value in secret:
        decode_secret(value)

    def show(event: ReceivedEvent) -> None:
        duplicate = " DUPLICATE (already processed: ignore)" if event.duplicate else ""
        if event.payload is not None:
            props = (event.payload.get("data") or {}).get("properties") or {}
            summary = (f"{event.payload.get('type')} incident={props.get('incident_id')} "
                       f"severity={props.get('severity')} at lat={props.get('centroid', [None, None])[1]} "
                       f"lon={props.get('centroid', [None, None])[0]}")
        else:
            summary = f"{event.content_type} ({len(event.body)} bytes)"
        typer.echo(f"verified webhook-id={event.webhook_id} {summary}{duplicate}")
        if as_json:
            typer.echo(event.body.decode("utf-8", "replace"))

    server = make_receiver(list(secret), show, host=host, port=port)
    bound_host, bound_port = server.server_address[:2]
    typer.echo(f"listening on http://{bound_host}:{bound_port}/ — Ctrl-C to stop / 수신 대기 중", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def new_secret_command() -> None:
    """Print a new random endpoint secret (whsec_ + 32 random bytes in base64) for firewatch.toml and the receiver.
    새 서명 비밀키를 생성합니다.

    Example: firewatch alerts new-secret
    """
    typer.echo("whsec_" + base64.b64encode(secrets_module.token_bytes(32)).decode())


def register(app: typer.Typer) -> None:
    """Add ``firewatch alerts …`` to the main app."""
    alerts_app = typer.Typer(name="alerts", help=_HELP, no_args_is_help=True)
    alerts_app.command("list")(list_command)
    alerts_app.command("replay")(replay_command)
    alerts_app.command("test")(test_command)
    alerts_app.command("deliver")(deliver_command)
    alerts_app.command("receive")(receive_command)
    alerts_app.command("new-secret")(new_secret_command)
    app.add_typer(alerts_app, name="alerts")
