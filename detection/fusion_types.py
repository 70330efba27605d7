"""Value types of incident fusion: :class:`Transition`, :class:`FusionResult` and history snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from firewatch.model import Incident

TRANSITION_KINDS = ("created", "confirmed", "escalated", "reignited", "quiet", "closed", "updated")


@dataclass(frozen=True)
class Transition:
    """One change of an incident. ``sequence`` counts this kind for this incident (1 = first), so ``key``
    (``incident_id:kind:sequence``) names the transition uniquely and stably — the outbox's ``transition_key``."""

    incident_id: str
    from_state: str | None
    to_state: str
    time: datetime
    reason: str
    kind: str
    sequence: int = 1

    @property
    def key(self) -> str:
        return f"{self.incident_id}:{self.kind}:{self.sequence}"


@dataclass
class FusionResult:
    """What :func:`fuse_hotspots` changed: new copies of the created or changed incidents, ``hotspot_id →
    incident_id`` for every fused hotspot, the transitions in order, one history row (snapshot) per transition
    (incident_id, time, state, lat, lon, area_m2, max_frp_kw, hotspot_count, look_count, confidence, event), and
    ``merged incident_id → surviving incident_id`` (the store re-points the merged incidents' hotspots)."""

    incidents: list[Incident] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    merges: dict[str, str] = field(default_factory=dict)


def snapshot(incident: Incident, time: datetime, event: str) -> dict:
    """One history row: the incident's numbers (and location) at ``time``, tagged with the transition ``event``."""
    return {"incident_id": incident.incident_id, "time": time, "state": incident.state,
            "lat": incident.lat, "lon": incident.lon, "area_m2": incident.area_m2, "max_frp_kw": incident.max_frp_kw,
            "hotspot_count": incident.hotspot_count, "look_count": incident.look_count,
            "confidence": incident.confidence, "event": event}


def history_rows(incidents: list[Incident], transitions: list[Transition]) -> list[dict]:
    """History rows for transitions made without hotspots (:func:`advance_time`): the incident's numbers with the
    transition's state, time and kind."""
    by_id = {inc.incident_id: inc for inc in incidents}
    rows = []
    for t in transitions:
        row = snapshot(by_id[t.incident_id], t.time, t.kind)
        row["state"] = t.to_state
        rows.append(row)
    return rows
