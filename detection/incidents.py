"""Incident fusion: hotspots from every frame and source become incidents with a state machine.

Pure functions over :mod:`firewatch.model` types (no database, no ingest). The store persists what they return.

States: ``candidate`` → ``confirmed`` → ``active`` → ``quiet`` → ``closed``; a new hotspot near a quiet incident,
or near a confirmed incident closed within the re-ignition window, re-opens it (``reignited`` → ``active``). A
candidate that never confirms closes unconfirmed after ``candidate_expiry_s`` (no alert should follow: its
``confirmed_at`` is None).

Confirmation (evidence from unmasked hotspots only): ≥ 2 distinct looks (a look is a distinct ``frame_id``), or
≥ 2 distinct sources, or one high-confidence look of a large saturated cluster. An incident made only of masked
hotspots (known heat sources) stays ``masked`` and never confirms.

Fusion radius: a located hotspot joins the incident whose perimeter is nearest, if within
``clamp(radius_factor × max(σ_hotspot, σ_incident), min_radius_m, max_radius_m)`` (σ: 1-σ location uncertainty,
the incident's being its best member's). Hotspots without lat/lon never fuse. Transition and history times are event
times (hotspot times, or ``last_seen`` + the configured delay for quiet/closed), so re-running the same input gives
the same result.

Bookkeeping that must survive between calls lives in ``Incident.extra`` (JSON): ``frame_ids``,
``unmasked_frame_ids``, ``unmasked_source_ids``, ``location_uncertainty_m``, ``centroid_weights`` (inverse-variance
weighted sums of member positions), ``extent_m``, ``member_confidence`` / ``member_class`` (best unmasked member;
``masked_``-prefixed twins for masked ones), ``escalation_baseline``, ``transition_counts`` and ``confirmed_by``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely

from detection.confidence import confidence_class, confidence_with_persistence
from detection.fusion_config import FusionConfig
from detection.fusion_geometry import (distance_m, extent_m, from_geojson, geodesic_area_m2, geodesic_distances_m,
                                       hotspot_shape, hotspot_uncertainty_m, to_geojson, union)
from firewatch.model import Hotspot, Incident, parse_time, stable_id

__all__ = ["FusionConfig", "FusionResult", "Transition", "advance_time", "fuse_hotspots", "history_rows"]

TRANSITION_KINDS = ("created", "confirmed", "escalated", "reignited", "quiet", "closed", "updated")
_CLASS_RANK = {"low": 0, "nominal": 1, "high": 2}


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
    incident_id`` for every fused hotspot, the transitions in order, and one history row (snapshot) per
    transition (incident_id, time, state, area_m2, max_frp_kw, hotspot_count, look_count, confidence, event)."""

    incidents: list[Incident] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


def _snapshot(incident: Incident, time: datetime, event: str) -> dict:
    return {"incident_id": incident.incident_id, "time": time, "state": incident.state,
            "area_m2": incident.area_m2, "max_frp_kw": incident.max_frp_kw,
            "hotspot_count": incident.hotspot_count, "look_count": incident.look_count,
            "confidence": incident.confidence, "event": event}


def history_rows(incidents: list[Incident], transitions: list[Transition]) -> list[dict]:
    """History rows for transitions made without hotspots (:func:`advance_time`): the incident's numbers with the
    transition's state, time and kind."""
    by_id = {inc.incident_id: inc for inc in incidents}
    rows = []
    for t in transitions:
        row = _snapshot(by_id[t.incident_id], t.time, t.kind)
        row["state"] = t.to_state
        rows.append(row)
    return rows


class _Fuser:
    """Working state of one fusion call (copies of the incidents; the inputs are never mutated)."""

    def __init__(self, incidents: list[Incident], config: FusionConfig) -> None:
        self.config = config
        self.incidents = {inc.incident_id: _with_bookkeeping(copy.deepcopy(inc), config) for inc in incidents}
        self.changed: dict[str, None] = {}  # insertion-ordered set
        self.transitions: list[Transition] = []
        self.history: list[dict] = []
        self.assignments: dict[str, str] = {}
        self.confirmed_now: set[str] = set()
        self.last_row: dict[str, dict] = {}

    # --- bookkeeping ------------------------------------------------------------------------------------------

    def _transition(self, inc: Incident, from_state: str | None, time: datetime, reason: str, kind: str) -> None:
        counts = inc.extra.setdefault("transition_counts", {})
        counts[kind] = counts.get(kind, 0) + 1
        self.transitions.append(Transition(inc.incident_id, from_state, inc.state, time, reason, kind, counts[kind]))
        row = _snapshot(inc, time, kind)
        self.history.append(row)
        self.last_row[inc.incident_id] = row
        self.changed[inc.incident_id] = None

    def _refresh_or_update(self, inc: Incident, time: datetime) -> None:
        """After a hotspot joined: refresh this call's snapshot of the same look time, else record an update."""
        row = self.last_row.get(inc.incident_id)
        if row is not None and row["time"] == time:
            row.update({k: v for k, v in _snapshot(inc, time, row["event"]).items() if k != "event"})
        else:
            self._transition(inc, inc.state, time, "new hotspot", "updated")

    # --- time -------------------------------------------------------------------------------------------------

    def advance(self, now: datetime) -> None:
        """Move every incident through the time-driven states up to ``now``."""
        cfg = self.config
        for inc in self.incidents.values():
            quiet_for_s = (now - inc.last_seen).total_seconds()
            if inc.state == "candidate" and quiet_for_s > cfg.candidate_expiry_s:
                inc.state, inc.closed_at = "closed", inc.last_seen + timedelta(seconds=cfg.candidate_expiry_s)
                self._transition(inc, "candidate", inc.closed_at,
                                 f"never confirmed: no second look within {cfg.candidate_expiry_s:.0f} s", "closed")
            if inc.state in ("confirmed", "active") and quiet_for_s > cfg.quiet_after_s:
                from_state, inc.state = inc.state, "quiet"
                self._transition(inc, from_state, inc.last_seen + timedelta(seconds=cfg.quiet_after_s),
                                 f"no hotspot for {cfg.quiet_after_s:.0f} s", "quiet")
            if inc.state == "quiet" and quiet_for_s > cfg.close_after_s:
                inc.state, inc.closed_at = "closed", inc.last_seen + timedelta(seconds=cfg.close_after_s)
                self._transition(inc, "quiet", inc.closed_at, f"no hotspot for {cfg.close_after_s:.0f} s", "closed")

    # --- matching ---------------------------------------------------------------------------------------------

    def _eligible(self, inc: Incident, time: datetime) -> bool:
        if inc.state != "closed":
            return True
        return (inc.confirmed_at is not None and inc.closed_at is not None
                and (time - inc.closed_at).total_seconds() <= self.config.reignite_window_s)

    def match(self, hotspot: Hotspot, shape) -> Incident | None:
        """The eligible incident nearest to the hotspot within the fusion radius, or None."""
        cfg = self.config
        pool = [inc for inc in self.incidents.values() if self._eligible(inc, hotspot.time)]
        if not pool:
            return None
        sigma_h = hotspot_uncertainty_m(hotspot, cfg.default_location_uncertainty_m)
        centre_dist = geodesic_distances_m(hotspot.lon, hotspot.lat, np.array([i.lon for i in pool]),
                                           np.array([i.lat for i in pool]))
        best: tuple[float, datetime, str] | None = None
        chosen = None
        for inc, d_centre in zip(pool, centre_dist):
            sigma = max(sigma_h, inc.extra.get("location_uncertainty_m", cfg.default_location_uncertainty_m))
            radius = min(max(cfg.radius_factor * sigma, cfg.min_radius_m), cfg.max_radius_m)
            if d_centre - inc.extra.get("extent_m", 0.0) - _shape_extent(shape, hotspot) > radius:
                continue  # cheap rejection: even the farthest perimeter vertex is out of reach
            area = from_geojson(inc.perimeter) or shapely.Point(inc.lon, inc.lat)
            d = distance_m(hotspot.lon, hotspot.lat, shape, area)
            if d <= radius and (best is None or (d, inc.first_seen, inc.incident_id) < best):
                best, chosen = (d, inc.first_seen, inc.incident_id), inc
        return chosen

    # --- joining ----------------------------------------------------------------------------------------------

    def create(self, hotspot: Hotspot, shape) -> Incident:
        cfg = self.config
        sigma = hotspot_uncertainty_m(hotspot, cfg.default_location_uncertainty_m)
        inc = Incident(
            incident_id="inc-" + stable_id(hotspot.hotspot_id), state="candidate", first_seen=hotspot.time,
            last_seen=hotspot.time, lat=hotspot.lat, lon=hotspot.lon, perimeter=None, area_m2=0.0, max_frp_kw=0.0,
            max_temp_k=float(hotspot.max_temp_k), confidence=0.0, confidence_class="low", sources=[],
            source_kinds=[], look_count=0, hotspot_count=0, masked=bool(hotspot.masked),
            extra={"frame_ids": [], "unmasked_frame_ids": [], "unmasked_source_ids": [],
                   "location_uncertainty_m": sigma, "centroid_weights": {"w": 0.0, "lon": 0.0, "lat": 0.0},
                   "transition_counts": {}})
        self.incidents[inc.incident_id] = inc
        self._absorb(inc, hotspot, shape)
        self._transition(inc, None, hotspot.time, f"first hotspot {hotspot.hotspot_id} ({hotspot.source_id})",
                         "created")
        self._maybe_confirm(inc, hotspot)
        return inc

    def join(self, inc: Incident, hotspot: Hotspot, shape) -> None:
        previous = inc.state
        reopened = previous in ("quiet", "closed")
        self._absorb(inc, hotspot, shape)
        if reopened:
            inc.state, inc.closed_at = "active", None
            self._set_baseline(inc)
            self._transition(inc, previous, hotspot.time,
                             f"new hotspot {hotspot.hotspot_id} ({hotspot.source_id}) after being {previous}",
                             "reignited")
        elif previous == "candidate":
            if not self._maybe_confirm(inc, hotspot):
                self._refresh_or_update(inc, hotspot.time)
        elif previous == "confirmed" and inc.incident_id not in self.confirmed_now:
            inc.state = "active"
            if not self._maybe_escalate(inc, hotspot):
                self._transition(inc, "confirmed", hotspot.time, "next look after confirmation", "updated")
        elif not self._maybe_escalate(inc, hotspot):
            self._refresh_or_update(inc, hotspot.time)

    def _absorb(self, inc: Incident, hotspot: Hotspot, shape) -> None:
        """Add one hotspot's evidence and geometry to the incident."""
        cfg, extra = self.config, inc.extra
        inc.first_seen, inc.last_seen = min(inc.first_seen, hotspot.time), max(inc.last_seen, hotspot.time)
        inc.hotspot_count += 1
        inc.masked = inc.masked and bool(hotspot.masked)
        _add_unique(extra["frame_ids"], hotspot.frame_id)
        if not hotspot.masked:
            _add_unique(extra["unmasked_frame_ids"], hotspot.frame_id)
            _add_unique(extra["unmasked_source_ids"], hotspot.source_id)
        _add_unique(inc.sources, hotspot.source_id)
        _add_unique(inc.source_kinds, hotspot.source_kind)
        inc.look_count = len(extra["frame_ids"])
        sigma = hotspot_uncertainty_m(hotspot, cfg.default_location_uncertainty_m)
        extra["location_uncertainty_m"] = min(extra["location_uncertainty_m"], sigma)
        weights = extra["centroid_weights"]
        w = 1.0 / sigma**2
        weights.update(w=weights["w"] + w, lon=weights["lon"] + w * hotspot.lon, lat=weights["lat"] + w * hotspot.lat)
        inc.lon, inc.lat = weights["lon"] / weights["w"], weights["lat"] / weights["w"]
        perimeter = union(from_geojson(inc.perimeter), shape)
        inc.perimeter = to_geojson(perimeter)
        inc.area_m2 = geodesic_area_m2(perimeter)
        extra["extent_m"] = extent_m(perimeter, inc.lon, inc.lat)
        if hotspot.frp_kw is not None and np.isfinite(hotspot.frp_kw):
            inc.max_frp_kw = max(inc.max_frp_kw, float(hotspot.frp_kw))
        inc.max_temp_k = max(inc.max_temp_k, float(hotspot.max_temp_k))
        # Masked hotspots' confidence counts only while the incident has no unmasked evidence.
        prefix = "masked_" if hotspot.masked else ""
        extra[prefix + "member_confidence"] = max(extra.get(prefix + "member_confidence", 0.0),
                                                  float(hotspot.confidence))
        if _CLASS_RANK[hotspot.confidence_class] > _CLASS_RANK[extra.get(prefix + "member_class", "low")]:
            extra[prefix + "member_class"] = hotspot.confidence_class
        self._update_confidence(inc)

    def _update_confidence(self, inc: Incident) -> None:
        extra = inc.extra
        prefix = "masked_" if not extra["unmasked_frame_ids"] else ""
        # Persistence (the detector's noisy-OR over independent looks) on the best member's confidence; masked
        # looks are no evidence, so a masked-only incident keeps its best single look.
        looks = len(extra["unmasked_frame_ids"]) or 1
        inc.confidence = confidence_with_persistence(extra.get(prefix + "member_confidence", 0.0), looks)
        # The class follows the raised confidence but never drops below the best member's class.
        by_value = confidence_class(inc.confidence)
        member = extra.get(prefix + "member_class", "low")
        inc.confidence_class = by_value if _CLASS_RANK[by_value] >= _CLASS_RANK[member] else member

    def _confirmation_reason(self, inc: Incident, hotspot: Hotspot) -> str | None:
        cfg, extra = self.config, inc.extra
        if inc.masked:
            return None
        sources = extra["unmasked_source_ids"]
        if len(sources) >= cfg.confirm_min_sources:
            return f"seen by {len(sources)} sources ({', '.join(sources)})"
        looks = extra["unmasked_frame_ids"]
        if len(looks) >= cfg.confirm_min_looks:
            return f"seen in {len(looks)} looks"
        if (not hotspot.masked and hotspot.confidence_class == "high"
                and hotspot.pixel_count >= cfg.single_look_min_pixels
                and hotspot.saturated_fraction >= cfg.single_look_min_saturated_fraction):
            return (f"one high-confidence look of a large saturated cluster ({hotspot.pixel_count} px, "
                    f"{hotspot.saturated_fraction:.0%} saturated)")
        return None

    def _maybe_confirm(self, inc: Incident, hotspot: Hotspot) -> bool:
        reason = self._confirmation_reason(inc, hotspot)
        if reason is None:
            return False
        inc.state, inc.confirmed_at = "confirmed", hotspot.time
        inc.extra["confirmed_by"] = reason
        self._update_confidence(inc)
        self._set_baseline(inc)
        self.confirmed_now.add(inc.incident_id)
        self._transition(inc, "candidate", hotspot.time, reason, "confirmed")
        return True

    def _set_baseline(self, inc: Incident) -> None:
        inc.extra["escalation_baseline"] = {"area_m2": inc.area_m2, "max_frp_kw": inc.max_frp_kw,
                                            "sources": list(inc.extra["unmasked_source_ids"])}

    def _maybe_escalate(self, inc: Incident, hotspot: Hotspot) -> bool:
        cfg = self.config
        base = inc.extra.get("escalation_baseline")
        if base is None:
            self._set_baseline(inc)
            return False
        reasons = []
        new_sources = [s for s in inc.extra["unmasked_source_ids"] if s not in base["sources"]]
        if new_sources:
            reasons.append(f"new source {', '.join(new_sources)} confirms it")
        if base["area_m2"] > 0 and inc.area_m2 >= cfg.escalate_area_factor * base["area_m2"]:
            reasons.append(f"area grew {base['area_m2']:.0f} → {inc.area_m2:.0f} m²")
        if base["max_frp_kw"] > 0 and inc.max_frp_kw >= cfg.escalate_frp_factor * base["max_frp_kw"]:
            reasons.append(f"FRP grew {base['max_frp_kw']:.1f} → {inc.max_frp_kw:.1f} kW")
        if not reasons:
            if base["max_frp_kw"] <= 0 < inc.max_frp_kw or base["area_m2"] <= 0 < inc.area_m2:
                self._set_baseline(inc)  # first measurable value: a baseline, not growth
            return False
        self._set_baseline(inc)
        self._transition(inc, inc.state, hotspot.time, "; ".join(reasons), "escalated")
        return True


def _with_bookkeeping(inc: Incident, config: FusionConfig) -> Incident:
    """Fill missing ``extra`` bookkeeping of an incident made elsewhere (seeded, imported) from its fields."""
    extra = inc.extra
    extra.setdefault("frame_ids", [])
    extra.setdefault("unmasked_frame_ids", [])
    extra.setdefault("unmasked_source_ids", [] if inc.masked else list(inc.sources))
    extra.setdefault("location_uncertainty_m", config.default_location_uncertainty_m)
    extra.setdefault("centroid_weights", {"w": 0.0, "lon": 0.0, "lat": 0.0})
    if extra["centroid_weights"]["w"] == 0.0:
        w = 1.0 / extra["location_uncertainty_m"] ** 2
        extra["centroid_weights"] = {"w": w, "lon": w * inc.lon, "lat": w * inc.lat}
    prefix = "masked_" if inc.masked else ""
    extra.setdefault(prefix + "member_confidence", float(inc.confidence))
    extra.setdefault(prefix + "member_class", inc.confidence_class)
    extra.setdefault("transition_counts", {})
    if "extent_m" not in extra and inc.perimeter:
        extra["extent_m"] = extent_m(from_geojson(inc.perimeter), inc.lon, inc.lat)
    return inc


def _add_unique(items: list, value) -> None:
    if value not in items:
        items.append(value)


def _shape_extent(shape, hotspot: Hotspot) -> float:
    """How far the hotspot's own shape reaches from its point (m), for the cheap pre-filter."""
    return extent_m(shape, hotspot.lon, hotspot.lat) if shape.geom_type != "Point" else 0.0


def fuse_hotspots(hotspots: list[Hotspot], open_incidents: list[Incident], *, config: FusionConfig,
                  now: datetime | None = None) -> FusionResult:
    """Fuse hotspots (any frames and sources) into the open incidents; return what changed.

    Hotspots are taken in time order (ties by id); before each, the incidents are advanced to its time (quiet,
    closed). Unlocated hotspots are left out (not in ``assignments``). With ``now``, the incidents are advanced to
    it at the end as well. ``open_incidents`` should hold the store's unclosed incidents plus those closed within
    ``config.reignite_window_s``; they are copied, never mutated.
    """
    fuser = _Fuser(open_incidents, config)
    located = sorted((h for h in hotspots if h.is_located), key=lambda h: (parse_time(h.time), h.hotspot_id))
    for hotspot in located:
        fuser.advance(parse_time(hotspot.time))
        shape = hotspot_shape(hotspot, config.default_location_uncertainty_m)
        incident = fuser.match(hotspot, shape)
        if incident is None:
            incident = fuser.create(hotspot, shape)
        else:
            fuser.join(incident, hotspot, shape)
        fuser.assignments[hotspot.hotspot_id] = incident.incident_id
    if now is not None:
        fuser.advance(parse_time(now))
    return FusionResult(incidents=[fuser.incidents[i] for i in fuser.changed], assignments=fuser.assignments,
                        transitions=fuser.transitions, history=fuser.history)


def advance_time(open_incidents: list[Incident], now: datetime, *,
                 config: FusionConfig) -> tuple[list[Incident], list[Transition]]:
    """Time tick without hotspots: active/confirmed → quiet after ``quiet_after_s`` without hotspots, quiet →
    closed after ``close_after_s``, unconfirmed candidates closed after ``candidate_expiry_s``. Returns new copies
    of the incidents that changed and the transitions (history rows: :func:`history_rows`)."""
    fuser = _Fuser(open_incidents, config)
    fuser.advance(parse_time(now))
    return [fuser.incidents[i] for i in fuser.changed], fuser.transitions
