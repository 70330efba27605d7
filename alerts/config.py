"""Configuration of the alerts package: webhook endpoints, delivery policy and CAP settings (pydantic models).

The ``[alerts]`` section of ``firewatch.toml`` (read and validated by :func:`firewatch.config.load_config`)::

    [alerts]
    allow_private_networks = false          # true only for tests / lab receivers on loopback or a LAN

    [alerts.policy]
    retry_schedule_s = [0, 5, 300, 1800, 7200, 18000, 36000, 86400]

    [alerts.cap]
    sender = "firewatch@forest-ops.example.kr"

    [[alerts.endpoints]]
    name = "dispatch"
    url = "https://dispatch.example.kr/hooks/firewatch"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"     # or a list of secrets during a rotation
    formats = ["geojson"]                                # and/or "cap"
    min_severity = "Moderate"

Secrets are :class:`pydantic.SecretStr`: they never appear in ``repr``, logs or ``firewatch alerts list``.
"""

from __future__ import annotations

import base64
import binascii
import re
import zoneinfo
from typing import Any, Literal

import shapely.geometry
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from alerts.errors import InvalidEndpoint
from alerts.urls import redact_url, validate_endpoint_url

Severity = Literal["Minor", "Moderate", "Severe", "Extreme"]
#: CAP 1.2 severities in increasing order (the ``Unknown`` value is never produced).
SEVERITY_ORDER: tuple[str, ...] = ("Minor", "Moderate", "Severe", "Extreme")
CONFIDENCE_ORDER: tuple[str, ...] = ("low", "nominal", "high")
EventType = Literal["incident.confirmed", "incident.escalated", "incident.reignited", "incident.closed"]
EVENT_TYPES: tuple[str, ...] = ("incident.confirmed", "incident.escalated", "incident.reignited", "incident.closed")
PayloadFormat = Literal["geojson", "cap"]

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Standard Webhooks: "secret keys SHOULD be between 24 bytes and 64 bytes" (standard-webhooks spec, Signature
#: scheme, Symmetric); Svix-issued secrets are 24 bytes.
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


def decode_secret(secret: str) -> bytes:
    """The raw key bytes of a ``whsec_<base64>`` secret (raises :class:`InvalidEndpoint`, never echoing the value)."""
    if not secret.startswith("whsec_"):
        raise InvalidEndpoint("secret must start with 'whsec_' followed by base64 (Standard Webhooks format); "
                              "generate one with `firewatch alerts new-secret`")
    try:
        raw = base64.b64decode(secret[len("whsec_"):] + "==", validate=False)
        if base64.b64encode(raw).decode().rstrip("=") != secret[len("whsec_"):].rstrip("="):
            raise binascii.Error("not canonical base64")
    except (binascii.Error, ValueError) as exc:
        raise InvalidEndpoint("secret is not valid base64 after 'whsec_': copy it again in full or generate a "
                              "new one with `firewatch alerts new-secret`") from exc
    if not MIN_SECRET_BYTES <= len(raw) <= MAX_SECRET_BYTES:
        raise InvalidEndpoint(f"secret decodes to {len(raw)} bytes; Standard Webhooks secrets are "
                              f"{MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes: generate one with "
                              "`firewatch alerts new-secret`")
    return raw


class EndpointConfig(BaseModel):
    """One webhook receiver: where to send, how to sign, which payloads, and which alerts it wants."""

    #: hide_input_in_errors: a rejected secret or a URL with credentials must not be echoed by str(ValidationError).
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(description="Short unique name (letters, digits, '_', '.', '-'); used in the outbox and CLI.")
    url: str = Field(description="http(s) URL that receives POSTs; see alerts.urls for what is refused.")
    #: One secret, or several during a rotation (every one signs: the receiver accepts any of them).
    secret: list[SecretStr] = Field(min_length=1)
    #: 'geojson' = JSON envelope whose data is a GeoJSON Feature; 'cap' = CAP 1.2 XML body; both = JSON envelope
    #: whose Feature also carries the CAP XML as the foreign member ``cap_xml``.
    formats: list[PayloadFormat] = Field(default_factory=lambda: ["geojson"], min_length=1)
    #: CAP <status>: exercises go out as "Exercise" so no receiver acts on them as real.
    cap_status: Literal["Actual", "Exercise", "Test"] = "Actual"
    min_severity: Severity = "Minor"
    min_confidence_class: Literal["low", "nominal", "high"] = "low"
    #: GeoJSON Polygon / MultiPolygon (lon, lat): only incidents whose perimeter (or centroid) intersects it.
    region: dict | None = None
    #: None = every kind; else only incidents seen by at least one of these source kinds.
    source_kinds: list[Literal["drone", "fixed", "satellite"]] | None = None
    #: None = every event type.
    events: list[EventType] | None = None
    #: Svix answers "within a reasonable time-frame (15s with Svix)" (docs.svix.com/retries); same here.
    timeout_s: float = Field(default=15.0, gt=0, le=120)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME_PATTERN.match(value):
            raise ValueError(f"endpoint name {value!r} must be 1-64 letters, digits, '_', '.' or '-' "
                             "starting with a letter or digit")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str, info: ValidationInfo) -> str:
        # Private-network addresses are checked by AlertsConfig, which knows allow_private_networks. ``name`` is
        # declared before ``url``, so info.data has it (when it was valid) and the message names the endpoint.
        return validate_endpoint_url(value, allow_private_networks=True, name=info.data.get("name", "endpoint"))

    @field_validator("secret", mode="before")
    @classmethod
    def _secret_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, (str, SecretStr)) else value

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: list[SecretStr]) -> list[SecretStr]:
        for number, secret in enumerate(value, start=1):
            try:
                decode_secret(secret.get_secret_value())
            except InvalidEndpoint as exc:
                raise ValueError(f"secret #{number}: {exc}") from None
        return value

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: dict | None) -> dict | None:
        if value is None:
            return None
        if value.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"region must be a GeoJSON Polygon or MultiPolygon (lon, lat), got type "
                             f"{value.get('type')!r}")
        try:
            geometry = shapely.geometry.shape(value)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ValueError(f"region is not a readable GeoJSON polygon ({exc})") from None
        if not geometry.is_valid or geometry.is_empty:
            raise ValueError("region polygon is empty or self-intersecting: redraw it (rings closed, lon before "
                             "lat)")
        return value

    def secrets(self) -> list[str]:
        """The secret values, newest first as configured (for signing only; never log them)."""
        return [secret.get_secret_value() for secret in self.secret]

    def describe(self) -> dict:
        """A dict safe to print: the URL without credentials and the number of secrets, not their values."""
        data = self.model_dump(exclude={"secret", "region"})
        data["url"] = redact_url(self.url)
        data["secrets"] = len(self.secret)
        data["region"] = self.region is not None
        return data


class AlertPolicy(BaseModel):
    """How alerts are graded and how hard delivery tries.

    When growth is news (the escalation factors) is decided once, by the incident fusion
    (:class:`detection.fusion_config.FusionConfig` ``escalate_area_factor`` / ``escalate_frp_factor``): every
    ``escalated`` transition it emits is alerted, so a second set of factors here could only disagree with it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Seconds to wait before attempt n+1 after the n-th failure; attempt 1 is at index 0. Svix / Standard
    #: Webhooks published schedule (docs.svix.com/retries: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h),
    #: with the last step 24 h as issue 4 asks. 8 attempts over ~1.7 days.
    retry_schedule_s: list[float] = Field(default_factory=lambda: [0, 5, 300, 1800, 7200, 18000, 36000, 86400],
                                          min_length=1)
    #: Consecutive failed attempts (any alert) before the endpoint is flagged failing: 5 outlasts an ordinary
    #: receiver restart (the first four steps of the schedule span 35 min 5 s, the Svix example of a delivery
    #: that still succeeds), so the flag means "someone must look".
    failing_after_failures: int = Field(default=5, ge=1)
    #: ±fraction of random jitter on every retry delay, so many alerts failing together do not retry in lockstep
    #: ("Exponential Backoff And Jitter", M. Brooker, AWS Architecture Blog, 2015).
    jitter_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    #: Upper bound on a receiver's Retry-After (429/503): a receiver may slow a fire alert down, but by at most an
    #: hour per attempt (the 30 min–2 h steps of the schedule).
    retry_after_cap_s: float = Field(default=3600.0, gt=0)
    #: Seconds a worker's claim on a delivery lasts; after it, another worker (or the restarted one) may retry it —
    #: how a delivery survives a worker killed mid-send. The store's default (60 s) is far above one attempt's
    #: timeout; the worker also never uses less than 2 × the largest endpoint timeout.
    lease_s: float = Field(default=60.0, gt=0)
    #: Severity by burned area — NWCG fire size classes: A ≤ 0.25 acre (1,011.7 m²) → Minor, B < 10 acres
    #: (40,468.6 m²) → Moderate, C < 100 acres (404,685.6 m²) → Severe, D and larger → Extreme.
    moderate_area_m2: float = 1011.7
    severe_area_m2: float = 40468.6
    extreme_area_m2: float = 404685.6
    #: Severity by FRP (kW), decade steps from 1 MW: σT⁴ at a 1000 K flame is 56.7 kW m⁻², so 1 MW ≈ 18 m² of
    #: flaming front (a well-developed spot fire), 10 MW ≈ 180 m², 100 MW ≈ 1,800 m² (a running surface fire).
    moderate_frp_kw: float = 1_000.0
    severe_frp_kw: float = 10_000.0
    extreme_frp_kw: float = 100_000.0

    @field_validator("retry_schedule_s")
    @classmethod
    def _check_schedule(cls, value: list[float]) -> list[float]:
        if any(step < 0 for step in value):
            raise ValueError(f"retry_schedule_s must hold non-negative seconds, got {value}")
        return value

    @property
    def max_attempts(self) -> int:
        """Total delivery attempts per (alert, endpoint) before dead-lettering."""
        return len(self.retry_schedule_s)


class CapSettings(BaseModel):
    """Fields of every CAP 1.2 message that are not per endpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: CAP <sender>: "globally unique" identifier of the originator, usually an address of the agency. The default
    #: uses the reserved .invalid TLD (RFC 2606) so an unconfigured deployment is obvious to every receiver.
    sender: str = "firewatch@ops.invalid"
    #: Times in CAP carry a UTC offset; Asia/Seoul is the operators' zone (DESIGN.md §3).
    timezone: str = "Asia/Seoul"
    #: CAP <senderName>, shown by receivers.
    sender_name: str = "Firewatch 산불감시 / Firewatch wildfire monitoring"
    #: Base URL of the operations dashboard, used for <web> and the GeoJSON links (incident id appended).
    dashboard_url: str = "http://localhost:8501/"
    #: Smallest <circle> radius: the 1-σ location error of a fixed camera at 10 km with 0.1° tilt error is
    #: hundreds of metres (DESIGN.md §4), so a circle tighter than 0.5 km would promise more than we know.
    min_circle_radius_km: float = Field(default=0.5, gt=0)

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> str:
        if not value or any(ch in value for ch in " ,<&"):
            raise ValueError(f"CAP sender {value!r} must be non-empty without spaces, commas, '<' or '&' "
                             "(CAP 1.2 §3.2.1)")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Asia/Seoul") from exc
        return value


class AlertsConfig(BaseModel):
    """The ``[alerts]`` section: endpoints, policy, CAP settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: list[EndpointConfig] = Field(default_factory=list)
    policy: AlertPolicy = Field(default_factory=AlertPolicy)
    cap: CapSettings = Field(default_factory=CapSettings)
    #: Allow receivers on loopback / private / link-local addresses (tests, labs). Off by default: a webhook URL is
    #: operator input and must not reach internal services (server-side request forgery).
    allow_private_networks: bool = False

    @model_validator(mode="after")
    def _check_endpoints(self) -> "AlertsConfig":
        names = [endpoint.name for endpoint in self.endpoints]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"endpoint names must be unique; repeated: {duplicates}")
        for endpoint in self.endpoints:
            validate_endpoint_url(endpoint.url, allow_private_networks=self.allow_private_networks,
                                  name=endpoint.name)
        return self

    def endpoint(self, name: str) -> EndpointConfig:
        """The endpoint called ``name`` (raises :class:`InvalidEndpoint` listing the configured names)."""
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        raise InvalidEndpoint(f"no alerts endpoint named {name!r}; configured: "
                              f"{[e.name for e in self.endpoints] or 'none'} (add one under [[alerts.endpoints]])")
