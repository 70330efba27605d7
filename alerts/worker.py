"""The delivery worker: claims due deliveries from the store's outbox, signs, POSTs, and records the outcome.

Guarantees (the store provides the durable part, see :mod:`firewatch.store.outbox`):

* at-least-once: an alert stays ``pending`` until a 2xx; a worker killed mid-send leaves its claim ``delivering``
  with a lease, and the claim becomes due again when the lease expires — the retry carries the same ``webhook-id``,
  so duplicates are recognisable by the receiver;
* retry schedule :attr:`AlertPolicy.retry_schedule_s` with ±jitter, each delay counted from the end of the failed
  attempt; ``Retry-After`` on 429/503 honoured (capped); dead-letter (``dead``) after the last attempt;
* an endpoint is flagged ``failing`` after :attr:`AlertPolicy.failing_after_failures` consecutive failures (cleared
  by the next success), and ``disabled`` after 410 Gone — its pending deliveries are dead-lettered and new ones are
  dead-lettered without a request until ``firewatch alerts replay`` re-enables it;
* one endpoint's trouble never delays another: endpoints are served in parallel threads; within an endpoint, a
  connection failure, a timeout, 429 or 503 defers the rest of that endpoint's batch (no hammering a receiver that
  is down or asking us to slow down), while any other failure only affects its own message (no head-of-line block).

The store is passed in (an object with the outbox methods of :class:`firewatch.store.Store`); this module does not
import it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx

from alerts.channels.webhook import AttemptResult, post_webhook
from alerts.config import AlertsConfig, EndpointConfig
from alerts.errors import AlertError, InvalidEndpoint
from alerts.payloads.cap import CAP_MIME_TYPE, cap_message
from alerts.payloads.geojson import envelope_body
from alerts.retry import next_delay_s
from alerts.signing import signed_headers
from alerts.urls import check_resolved_addresses
from firewatch.errors import FirewatchError
from firewatch.model import parse_time, to_json, utc_now

log = logging.getLogger(__name__)

#: Deliveries claimed per pass; the rest wait for the next pass (bounded memory and lease time).
BATCH_LIMIT = 50
#: A claim is held for at least this many request timeouts: a batch whose first request times out defers the rest,
#: so one timeout plus the quick answers before it must fit in the lease, with a margin of one more timeout.
LEASE_TIMEOUTS = 2
#: How long deliveries to an endpoint disabled in the configuration (``enabled = false``) are held before being
#: looked at again: they are not attempted and not counted, only postponed.
HOLD_DISABLED_S = 300.0


def render_body(row: dict, endpoint: EndpointConfig, config: AlertsConfig,
                earlier: Callable[[str], list[dict]]) -> tuple[bytes, str]:
    """The bytes and content type to POST for one outbox row to ``endpoint`` (see ``EndpointConfig.formats``).

    ``earlier(incident_id)`` returns the incident's outbox rows oldest first (for CAP ``references``).
    """
    payload = row["payload"]
    formats = set(endpoint.formats)
    if "cap" in formats:
        previous = [r for r in earlier(row["incident_id"]) if parse_time(r["created_at"]) < parse_time(
            row["created_at"])] if row.get("incident_id") else []
        xml = cap_message(row, status=endpoint.cap_status, settings=config.cap, earlier=previous)
        if formats == {"cap"}:
            return xml, f"{CAP_MIME_TYPE}; charset=utf-8"
        payload = {**payload, "data": {**payload["data"], "cap_xml": xml.decode("utf-8")}}
    return envelope_body(payload), "application/json"


class _Pass:
    """State of one :func:`deliver_due` pass (counters shared by the endpoint threads)."""

    def __init__(self, store: Any, config: AlertsConfig, now: datetime, client: httpx.Client,
                 rng: random.Random, started: float) -> None:
        self.store, self.config, self.now, self.client, self.rng = store, config, now, client, rng
        self.started = started  # time.monotonic() when ``now`` was read: clock() never runs behind the wall
        self.lock = threading.Lock()
        self.summary: dict[str, Any] = {"claimed": 0, "delivered": 0, "retrying": 0, "deferred": 0, "dead": 0,
                                        "held": 0, "endpoints_disabled": []}
        self._earlier: dict[str, list[dict]] = {}

    def clock(self) -> datetime:
        """``now`` advanced by the wall time spent in this pass (each retry delay starts after its failure)."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    def count(self, key: str) -> None:
        with self.lock:
            self.summary[key] += 1

    def earlier(self, incident_id: str) -> list[dict]:
        with self.lock:
            if incident_id not in self._earlier:
                self._earlier[incident_id] = sorted(self.store.alerts(incident_id=incident_id),
                                                    key=lambda r: (parse_time(r["created_at"]), r["alert_id"]))
            return self._earlier[incident_id]

    def serve_endpoint(self, name: str, rows: list[dict]) -> None:
        endpoint = next((e for e in self.config.endpoints if e.name == name), None)
        if endpoint is None:
            for row in rows:
                self._finish(row, "dead", error=f"endpoint {name!r} is no longer configured; add it back under "
                             "[[alerts.endpoints]] and run `firewatch alerts replay ID`", attempts=row["attempts"])
            return
        if not endpoint.enabled:
            for row in rows:
                self.store.mark_delivery(row["alert_id"], name, status="pending", attempts=row["attempts"],
                                         next_attempt_at=self.clock() + timedelta(seconds=HOLD_DISABLED_S),
                                         error="held: endpoint disabled in the configuration (enabled = false)",
                                         now=self.clock())
                self.count("held")
            return
        state = self.store.endpoint_state(name) or {}
        if state.get("disabled"):
            self._dead_letter_disabled(endpoint, state.get("last_error") or "endpoint disabled")
            return
        for index, row in enumerate(rows):
            result = self._attempt(row, endpoint)
            if result.outcome == "gone":
                self._gone(endpoint, row, result)
                return
            if result.outcome == "retry" and (result.status_code is None or result.status_code in (429, 503)):
                nxt = self._retry(row, endpoint, result)
                for later in rows[index + 1:]:
                    self.store.mark_delivery(later["alert_id"], name, status="pending", attempts=later["attempts"],
                                             next_attempt_at=nxt or self.clock(),
                                             error=f"deferred, not attempted: {result.error}", now=self.clock())
                    self.count("deferred")
                return
            if result.outcome == "retry":
                self._retry(row, endpoint, result)
            else:
                self._delivered(row, endpoint, result)

    def _attempt(self, row: dict, endpoint: EndpointConfig) -> AttemptResult:
        try:
            check_resolved_addresses(endpoint.url, allow_private_networks=self.config.allow_private_networks,
                                     name=endpoint.name)
            body, content_type = render_body(row, endpoint, self.config, self.earlier)
            headers = signed_headers(row["alert_id"], body, endpoint.secrets(), timestamp=utc_now(),
                                     content_type=content_type)
        except InvalidEndpoint as exc:
            return AttemptResult("retry", None, str(exc), None, 0.0)
        except AlertError as exc:
            return AttemptResult("retry", None, f"cannot build the message: {exc}", None, 0.0)
        return post_webhook(self.client, endpoint.url, body, headers, timeout_s=endpoint.timeout_s,
                            now=self.clock())

    def _finish(self, row: dict, status: str, *, attempts: int, error: str | None = None,
                status_code: int | None = None, next_attempt_at: datetime | None = None) -> None:
        self.store.mark_delivery(row["alert_id"], row["endpoint"], status=status, attempts=attempts,
                                 next_attempt_at=next_attempt_at, status_code=status_code, error=error,
                                 now=self.clock())
        self.count({"delivered": "delivered", "dead": "dead", "pending": "retrying"}[status])

    def _delivered(self, row: dict, endpoint: EndpointConfig, result: AttemptResult) -> None:
        self._finish(row, "delivered", attempts=row["attempts"] + 1, status_code=result.status_code)
        self.store.update_endpoint_state(endpoint.name, success=True,
                                         failing_after_failures=self.config.policy.failing_after_failures,
                                         now=self.clock())
        log.info("alert %s delivered to %s (HTTP %s, attempt %d, %.0f ms)", row["alert_id"], endpoint.name,
                 result.status_code, row["attempts"] + 1, result.duration_s * 1000)

    def _retry(self, row: dict, endpoint: EndpointConfig, result: AttemptResult) -> datetime | None:
        attempts = row["attempts"] + 1
        policy = self.config.policy
        delay_s = next_delay_s(attempts, policy, retry_after_s=result.retry_after_s, rng=self.rng)
        if delay_s is None:
            error = f"gave up after {attempts} attempts (dead-lettered); last error: {result.error}"
            self._finish(row, "dead", attempts=attempts, error=error, status_code=result.status_code)
            log.error("alert %s to %s: %s", row["alert_id"], endpoint.name, error)
            nxt = None
        else:
            nxt = self.clock() + timedelta(seconds=delay_s)
            self._finish(row, "pending", attempts=attempts, error=result.error, status_code=result.status_code,
                         next_attempt_at=nxt)
            log.warning("alert %s to %s failed (attempt %d/%d): %s; next attempt in %.1f s", row["alert_id"],
                        endpoint.name, attempts, policy.max_attempts, result.error, delay_s)
        state = self.store.update_endpoint_state(endpoint.name, success=False, error=result.error,
                                                 failing_after_failures=policy.failing_after_failures,
                                                 now=self.clock())
        if state["failing"] and state["consecutive_failures"] == policy.failing_after_failures:
            log.error("endpoint %s is FAILING: %d consecutive failed attempts; last error: %s", endpoint.name,
                      state["consecutive_failures"], result.error)
        return nxt

    def _gone(self, endpoint: EndpointConfig, row: dict, result: AttemptResult) -> None:
        self._finish(row, "dead", attempts=row["attempts"] + 1, error=result.error, status_code=410)
        self.store.update_endpoint_state(endpoint.name, success=False, error=result.error, disabled=True,
                                         failing_after_failures=self.config.policy.failing_after_failures,
                                         now=self.clock())
        count = self.store.dead_letter_endpoint(endpoint.name, f"endpoint disabled after 410 Gone: {result.error}",
                                                now=self.clock())
        with self.lock:
            self.summary["dead"] += count
            self.summary["endpoints_disabled"].append(endpoint.name)
        log.error("endpoint %s answered 410 Gone: disabled, %d pending deliveries dead-lettered; fix its URL and "
                  "run `firewatch alerts replay ID --endpoint %s`", endpoint.name, count, endpoint.name)

    def _dead_letter_disabled(self, endpoint: EndpointConfig, reason: str) -> None:
        count = self.store.dead_letter_endpoint(endpoint.name, f"endpoint disabled, not attempted: {reason}",
                                                now=self.clock())
        with self.lock:
            self.summary["dead"] += count


def deliver_due(store: Any, config: AlertsConfig, *, client: httpx.Client, now: datetime | None = None,
                rng: random.Random | None = None, limit: int = BATCH_LIMIT) -> dict:
    """Deliver every delivery due at ``now`` (default: the current UTC time) once; returns a summary.

    Summary keys: ``claimed``, ``delivered``, ``retrying`` (failed, will retry), ``deferred`` (not attempted because
    their endpoint just failed at the transport level or asked to slow down), ``dead``, ``held`` (endpoint
    ``enabled = false``), ``endpoints_disabled`` (names that answered 410 in this pass).
    """
    started = time.monotonic()
    now = parse_time(now or utc_now())
    lease_s = max([config.policy.lease_s] + [LEASE_TIMEOUTS * e.timeout_s for e in config.endpoints])
    rows = store.due_deliveries(now, limit=limit, lease_s=lease_s)
    state = _Pass(store, config, now, client, rng or random.Random(), started)
    state.summary["claimed"] = len(rows)
    if not rows:
        return state.summary
    by_endpoint: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_endpoint[row["endpoint"]].append(row)
    with ThreadPoolExecutor(max_workers=min(8, len(by_endpoint)), thread_name_prefix="alerts") as pool:
        futures = [pool.submit(state.serve_endpoint, name, group) for name, group in by_endpoint.items()]
    for future in futures:
        future.result()  # re-raise a store error here; unfinished claims are retried when their lease expires
    return state.summary


def run_worker(store: Any, config: AlertsConfig, stop_event: threading.Event, poll_s: float = 0.5, *,
               wake_event: threading.Event | None = None, client: httpx.Client | None = None) -> None:
    """Deliver until ``stop_event`` is set: a pass, then wait ``poll_s`` seconds (or until ``wake_event`` is set,
    e.g. by the pipeline right after it stored new alerts) when nothing was due.

    ``poll_s`` bounds the delay between an alert entering the outbox and its first attempt when nobody wakes the
    worker; 0.5 s keeps the frame-to-receiver latency under the 1 s aim of issue 4 at a negligible query cost.
    """
    own_client = client is None
    client = client or httpx.Client()
    wake = wake_event or stop_event
    try:
        while not stop_event.is_set():
            if wake is not stop_event:
                wake.clear()  # before the pass: a wake-up arriving during the pass is not lost
            try:
                summary = deliver_due(store, config, client=client)
            except FirewatchError as exc:  # e.g. the database is locked or gone: claims are retried after lease
                log.error("delivery pass failed: %s; retrying in %.1f s", exc, poll_s)
                stop_event.wait(poll_s)
                continue
            except Exception:  # a bug must not silently stop all alerting: log it loudly and keep going
                log.exception("delivery pass crashed; retrying in %.1f s (claims are retried after their lease)",
                              poll_s)
                stop_event.wait(poll_s)
                continue
            if summary["claimed"]:
                log.debug("delivery pass: %s", to_json(summary))
                continue
            wake.wait(poll_s)
    finally:
        if own_client:
            client.close()
