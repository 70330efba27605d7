"""Alerts: incident transitions → signed, durable, retried webhooks (GeoJSON envelope and CAP 1.2).

Public API::

    from alerts.config import AlertsConfig, EndpointConfig, AlertPolicy, CapSettings
    from alerts.events import alerts_for_transitions        # outbox rows for Store.apply_frame_result / apply_transitions
    from alerts.worker import deliver_due, run_worker       # the delivery worker (store passed in)
    from alerts.receiver import make_receiver               # reference receiver (standardwebhooks verification)

Modules: ``config`` (pydantic models), ``urls`` (hostile-URL and SSRF checks), ``ids`` (``msg_`` + ULID),
``routing`` (severity, endpoint filters), ``events``, ``payloads/geojson``, ``payloads/cap``, ``signing``
(Standard Webhooks), ``retry`` (schedule), ``channels/webhook`` (one HTTP attempt), ``worker``, ``receiver``.
The integrator's contract is docs/webhooks.md.
"""
