"""The working state of one fusion call (:class:`Fuser`): matching, joining, merging, the state machine.

Used by :func:`detection.incidents.fuse_hotspots` and :func:`detection.incidents.advance_time`; the rules are
described in :mod:`detection.incidents`. Geometry is kept in metres in each incident's UTM zone and written back as
GeoJSON once per call.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from detection.confidence import confidence_class, confidence_with_persistence
from detection.fusion_config import FusionConfig
from detection.fusion_geometry import (from_geojson, geodesic_distances_m, hotspot_shape, hotspot_uncertainty_m,
                                       line_of_sight_extent,
                                       project_point, reach_m, to_geojson, to_lonlat, to_metric, utm_epsg)
from detection.fusion_types import FusionResult, Transition, snapshot
from firewatch.model import Hotspot, Incident, format_time, parse_time, stable_id

_CLASS_RANK = {"low": 0, "nominal": 1, "high": 2}
#: Which incident survives a merge: the most advanced state first (an alerted fire keeps its id).
_STATE_RANK = {"confirmed": 0, "active": 0, "quiet": 1, "closed": 1, "candidate": 2}
_LIST_KEYS = ("frame_ids", "unmasked_frame_ids", "unmasked_source_ids")


class Fuser:
    """Working state of one fusion call (copies of the incidents; the inputs are never mutated)."""

    def __init__(self, incidents: list[Incident], config: FusionConfig) -> None:
        self.config = config
        self.incidents = {inc.incident_id: _with_bookkeeping(_copy(inc), config) for inc in incidents}
        self.changed: dict[str, None] = {}  # insertion-ordered set
        self.transitions: list[Transition] = []
        self.history: list[dict] = []
        self.assignments: dict[str, str] = {}
        self.merges: dict[str, str] = {}
        #: Per look (hotspots of one time): incidents touched → their state before it; incidents confirmed in it;
        #: the snapshot rows taken during it (refreshed with the look's final numbers); member shapes not yet
        #: merged into the perimeter (one union per look instead of one per hotspot).
        self.touched: dict[str, str | None] = {}
        self.confirmed_now: set[str] = set()
        self.look_rows: dict[str, list[dict]] = {}
        self.pending: dict[str, list[BaseGeometry]] = {}
        #: Perimeters in metres in each incident's UTM zone (``extra["utm_epsg"]``): unions, distances and areas
        #: happen there; GeoJSON is written once, in :meth:`finish`.
        self.metric: dict[str, BaseGeometry] = {}

    # --- bookkeeping ------------------------------------------------------------------------------------------

    def _transition(self, inc: Incident, from_state: str | None, time: datetime, reason: str, kind: str) -> None:
        counts = inc.extra.setdefault("transition_counts", {})
        counts[kind] = counts.get(kind, 0) + 1
        self.transitions.append(Transition(inc.incident_id, from_state, inc.state, time, reason, kind, counts[kind]))
        row = snapshot(inc, time, kind)
        self.history.append(row)
        self.look_rows.setdefault(inc.incident_id, []).append(row)
        self.changed[inc.incident_id] = None

    def end_look(self, time: datetime) -> None:
        """After all hotspots of one look: settle each touched incident's perimeter, check escalation once per
        look, record an ``updated`` snapshot when nothing else was, and refresh this look's snapshots."""
        for incident_id, start in self.touched.items():
            inc = self.incidents[incident_id]
            if "merged_into" in inc.extra:
                continue
            self.flush(inc)
            rows = self.look_rows.get(incident_id, [])
            escalated = (start in ("confirmed", "active") and incident_id not in self.confirmed_now
                         and self._maybe_escalate(inc, time, start))
            if not rows and not escalated:
                reason = "next look after confirmation" if start == "confirmed" else "new hotspot"
                self._transition(inc, start, time, reason, "updated")
            numbers = snapshot(inc, time, "")
            for row in self.look_rows.get(incident_id, []):
                row.update({k: numbers[k] for k in ("lat", "lon", "area_m2", "max_frp_kw", "hotspot_count",
                                                    "look_count", "confidence")})
        self.touched.clear()
        self.confirmed_now.clear()
        self.look_rows.clear()

    def flush(self, inc: Incident) -> None:
        """Union the member shapes added since the last flush into the perimeter (area and extent exact again)."""
        pending = self.pending.pop(inc.incident_id, None)
        if pending:
            self._set_shape(inc, shapely.union_all([self.shape(inc), *pending]))

    @staticmethod
    def epsg(inc: Incident) -> int:
        return inc.extra.setdefault("utm_epsg", utm_epsg(inc.lon, inc.lat))

    def shape(self, inc: Incident) -> BaseGeometry:
        """The incident's perimeter in metres (an incident without one stands as its uncertainty circle)."""
        if inc.incident_id not in self.metric:
            epsg = self.epsg(inc)
            if inc.perimeter:
                self.metric[inc.incident_id] = to_metric(from_geojson(inc.perimeter), epsg)
            else:
                centre = shapely.Point(project_point(inc.lon, inc.lat, epsg))
                self.metric[inc.incident_id] = centre.buffer(inc.extra["location_uncertainty_m"], quad_segs=8)
        return self.metric[inc.incident_id]

    def _set_shape(self, inc: Incident, geom_m: BaseGeometry) -> None:
        self.metric[inc.incident_id] = geom_m
        inc.area_m2 = float(geom_m.area)
        inc.extra["extent_m"] = reach_m(geom_m, *project_point(inc.lon, inc.lat, self.epsg(inc)))

    def finish(self) -> FusionResult:
        """Write the cached perimeters back as GeoJSON and resolve chains of merges."""
        for incident_id in list(self.pending):
            self.flush(self.incidents[incident_id])
        for incident_id in self.changed:
            inc = self.incidents[incident_id]
            inc.perimeter = to_geojson(to_lonlat(self.shape(inc), self.epsg(inc)))

        def final(incident_id: str) -> str:
            while incident_id in self.merges:
                incident_id = self.merges[incident_id]
            return incident_id

        return FusionResult(incidents=[self.incidents[i] for i in self.changed],
                            assignments={h: final(i) for h, i in self.assignments.items()},
                            transitions=self.transitions, history=self.history,
                            merges={old: final(old) for old in self.merges})

    # --- time -------------------------------------------------------------------------------------------------

    def _delays_s(self, inc: Incident) -> tuple[float, float]:
        """(quiet-after, close-after) seconds of the incident: those of its slowest-revisiting source kind."""
        cfg = self.config
        kinds = inc.source_kinds or list(cfg.quiet_after_s)
        quiet = max(cfg.quiet_after_s.get(k, max(cfg.quiet_after_s.values())) for k in kinds)
        close = max(cfg.close_after_s.get(k, max(cfg.close_after_s.values())) for k in kinds)
        return quiet, close

    def advance(self, now: datetime) -> None:
        """Move every incident through the time-driven states up to ``now``."""
        for inc in self.incidents.values():
            if inc.state == "closed":
                continue
            quiet_s, close_s = self._delays_s(inc)
            idle_s = (now - inc.last_seen).total_seconds()
            if inc.state == "candidate" and idle_s > quiet_s:
                inc.state, inc.closed_at = "closed", inc.last_seen + timedelta(seconds=quiet_s)
                self._transition(inc, "candidate", inc.closed_at,
                                 f"never confirmed: no second look within {quiet_s:.0f} s", "closed")
            if inc.state in ("confirmed", "active") and idle_s > quiet_s:
                from_state, inc.state = inc.state, "quiet"
                self._transition(inc, from_state, inc.last_seen + timedelta(seconds=quiet_s),
                                 f"no hotspot for {quiet_s:.0f} s", "quiet")
            if inc.state == "quiet" and idle_s > close_s:
                inc.state, inc.closed_at = "closed", inc.last_seen + timedelta(seconds=close_s)
                self._transition(inc, "quiet", inc.closed_at, f"no hotspot for {close_s:.0f} s", "closed")

    # --- matching ---------------------------------------------------------------------------------------------

    def _eligible(self, inc: Incident, time: datetime) -> bool:
        if inc.state != "closed":
            return True
        return (inc.confirmed_at is not None and inc.closed_at is not None and "merged_into" not in inc.extra
                and (time - inc.closed_at).total_seconds() <= self.config.reignite_window_s)

    def matches(self, hotspot: Hotspot, shape: "HotspotShape") -> list[tuple[Incident, float, float]]:
        """Eligible incidents within the fusion radius of the hotspot as ``(incident, gap_m, radius_m)``: the gap
        between the hotspot's footprint and the incident's perimeter, and the pair's fusion radius. Most advanced
        state first (the incident that survives a merge)."""
        cfg = self.config
        pool = [inc for inc in self.incidents.values() if self._eligible(inc, hotspot.time)]
        if not pool:
            return []
        sigma_h = shape.sigma_m
        centre_dist = geodesic_distances_m(hotspot.lon, hotspot.lat, np.array([i.lon for i in pool]),
                                           np.array([i.lat for i in pool]))
        found = []
        for inc, d_centre in zip(pool, centre_dist):
            if "extent_m" not in inc.extra:  # made elsewhere (seeded, imported)
                inc.extra["extent_m"] = reach_m(self.shape(inc), *project_point(inc.lon, inc.lat, self.epsg(inc)))
            sigma = max(sigma_h, inc.extra.get("location_uncertainty_m", cfg.default_location_uncertainty_m))
            radius = min(max(cfg.radius_factor * sigma, cfg.min_radius_m), cfg.max_radius_m)
            if d_centre - inc.extra.get("extent_m", 0.0) - shape.reach_m > radius:
                continue  # cheap rejection: even the farthest point of the perimeter is out of reach
            shape_m = shape.in_zone(self.epsg(inc), matching=True)
            distance = shape_m.distance(self.shape(inc))
            if distance > radius and self.pending.get(inc.incident_id):
                distance = float(shapely.distance(shape_m, self.pending[inc.incident_id]).min())
            if distance <= radius:
                found.append((inc, float(distance), float(radius)))
        return sorted(found, key=lambda m: (_STATE_RANK[m[0].state], m[0].masked, m[0].first_seen,
                                            m[0].incident_id))

    # --- joining ----------------------------------------------------------------------------------------------

    def create(self, hotspot: Hotspot, shape: "HotspotShape") -> Incident:
        sigma = shape.sigma_m
        inc = Incident(
            incident_id="inc-" + stable_id(hotspot.hotspot_id), state="candidate", first_seen=hotspot.time,
            last_seen=hotspot.time, lat=hotspot.lat, lon=hotspot.lon, perimeter=None, area_m2=0.0, max_frp_kw=0.0,
            max_temp_k=float(hotspot.max_temp_k), confidence=0.0, confidence_class="low", sources=[],
            source_kinds=[], look_count=0, hotspot_count=0, masked=bool(hotspot.masked),
            extra={"frame_ids": [], "unmasked_frame_ids": [], "unmasked_source_ids": [],
                   "location_uncertainty_m": sigma, "centroid_weights": _NO_WEIGHTS,
                   "transition_counts": {}, "utm_epsg": utm_epsg(hotspot.lon, hotspot.lat)})
        self.incidents[inc.incident_id] = inc
        self.touched[inc.incident_id] = None
        self._absorb(inc, hotspot, shape, add_shape=False)
        self._set_shape(inc, shape.in_zone(self.epsg(inc)))
        self._transition(inc, None, hotspot.time, f"first hotspot {hotspot.hotspot_id} ({hotspot.source_id})",
                         "created")
        self._maybe_confirm(inc, hotspot)
        return inc

    def merge(self, keep: Incident, others: list[Incident], time: datetime) -> None:
        """Fold incidents that one hotspot showed to be the same fire into ``keep``; close them as merged."""
        self.flush(keep)
        geom = self.shape(keep)
        for other in others:
            self.flush(other)
            other_m = self.shape(other)
            if self.epsg(other) != self.epsg(keep):
                other_m = to_metric(to_lonlat(other_m, self.epsg(other)), self.epsg(keep))
            geom = shapely.union(geom, other_m)
            keep.first_seen, keep.last_seen = min(keep.first_seen, other.first_seen), max(keep.last_seen,
                                                                                          other.last_seen)
            keep.hotspot_count += other.hotspot_count
            keep.masked = keep.masked and other.masked
            keep.max_frp_kw, keep.max_temp_k = max(keep.max_frp_kw, other.max_frp_kw), max(keep.max_temp_k,
                                                                                           other.max_temp_k)
            if other.confirmed_at is not None:
                keep.confirmed_at = min(filter(None, (keep.confirmed_at, other.confirmed_at)))
            for key in _LIST_KEYS:
                for value in other.extra[key]:
                    _add_unique(keep.extra[key], value)
            for value in other.sources:
                _add_unique(keep.sources, value)
            for value in other.source_kinds:
                _add_unique(keep.source_kinds, value)
            keep.extra["centroid_weights"] = _latest_look(keep.extra["centroid_weights"],
                                                          other.extra["centroid_weights"])
            keep.extra["location_uncertainty_m"] = min(keep.extra["location_uncertainty_m"],
                                                       other.extra["location_uncertainty_m"])
            for prefix in ("", "masked_"):
                if prefix + "member_confidence" in other.extra:
                    _raise_member(keep.extra, prefix, other.extra[prefix + "member_confidence"],
                                  other.extra.get(prefix + "member_class", "low"))
            keep.extra.setdefault("merged", []).append(other.incident_id)
            previous = other.state
            other.state, other.closed_at = "closed", time
            other.extra["merged_into"] = keep.incident_id
            self.merges[other.incident_id] = keep.incident_id
            self._transition(other, previous, time, f"merged into {keep.incident_id}", "closed")
        keep.look_count = len(keep.extra["frame_ids"])
        weights = keep.extra["centroid_weights"]
        keep.lon, keep.lat = weights["lon"] / weights["w"], weights["lat"] / weights["w"]
        self._set_shape(keep, geom)
        self._update_confidence(keep)
        self.changed[keep.incident_id] = None

    def join(self, inc: Incident, hotspot: Hotspot, shape: "HotspotShape") -> None:
        """Add a hotspot to an incident; state changes that need no geometry happen now, the rest at end_look."""
        previous = inc.state
        self.touched.setdefault(inc.incident_id, previous)
        self._absorb(inc, hotspot, shape)
        if previous in ("quiet", "closed"):
            inc.state, inc.closed_at = "active", None
            self._set_baseline(inc)
            self._transition(inc, previous, hotspot.time,
                             f"new hotspot {hotspot.hotspot_id} ({hotspot.source_id}) after being {previous}",
                             "reignited")
        elif previous == "candidate":
            self._maybe_confirm(inc, hotspot)
        elif previous == "confirmed" and inc.incident_id not in self.confirmed_now:
            inc.state = "active"  # the next look after confirmation; recorded at end_look

    def _absorb(self, inc: Incident, hotspot: Hotspot, shape: "HotspotShape", *, add_shape: bool = True) -> None:
        """Add one hotspot's evidence to the incident, and its shape to the pending ones (``add_shape``)."""
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
        epsg = self.epsg(inc)
        old_xy = project_point(inc.lon, inc.lat, epsg)
        # The location is where the fire is now: the latest look's hotspots, each weighted by its ground area
        # (cluster centroids → the burning area's centroid) over its location variance (better fixes count more).
        area_m2 = hotspot.area_m2 if hotspot.area_m2 and np.isfinite(hotspot.area_m2) else 1.0
        w = area_m2 / sigma**2
        mine = {"w": w, "lon": w * hotspot.lon, "lat": w * hotspot.lat, "time": format_time(hotspot.time)}
        weights = extra["centroid_weights"] = _latest_look(extra["centroid_weights"], mine)
        inc.lon, inc.lat = weights["lon"] / weights["w"], weights["lat"] / weights["w"]
        if add_shape:
            shape_m = shape.in_zone(epsg)
            self.shape(inc)  # parse the stored perimeter before anything is pending
            self.pending.setdefault(inc.incident_id, []).append(shape_m)
            # Until the next flush, bound the reach from the moved centroid: old reach + the move, or the new shape.
            new_xy = project_point(inc.lon, inc.lat, epsg)
            moved_m = math.hypot(new_xy[0] - old_xy[0], new_xy[1] - old_xy[1])
            extra["extent_m"] = max(extra.get("extent_m", 0.0) + moved_m, reach_m(shape_m, *new_xy))
        if hotspot.frp_kw is not None and np.isfinite(hotspot.frp_kw):
            inc.max_frp_kw = max(inc.max_frp_kw, float(hotspot.frp_kw))
        inc.max_temp_k = max(inc.max_temp_k, float(hotspot.max_temp_k))
        if not hotspot.masked:
            # Evidence a sun-heated surface cannot give: a temperature beyond the sun, saturation, or growth.
            if hotspot.saturated_fraction > 0 or hotspot.max_temp_k > cfg.sun_ceiling_k:
                extra["beyond_sun"] = True
            signal = _radiant_signal(hotspot)
            extra.setdefault("first_signal", signal)
            extra["max_signal"] = max(extra.get("max_signal", 0.0), signal)
        # Masked hotspots' confidence counts only while the incident has no unmasked evidence.
        _raise_member(extra, "masked_" if hotspot.masked else "", float(hotspot.confidence),
                      hotspot.confidence_class)
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
        low_only = extra.get("member_class", "low") == "low"
        needed = cfg.confirm_min_looks_low_only if low_only else cfg.confirm_min_looks
        if len(looks) >= needed:
            if set(inc.source_kinds) <= {"fixed"} and not extra.get("beyond_sun"):
                # A fixed camera sees a sub-pixel sun-heated surface at the same pixel on every sweep: its looks
                # are not independent, and one LWIR band cannot tell it from a small fire. A fire grows.
                first, peak = extra.get("first_signal", 0.0), extra.get("max_signal", 0.0)
                if not (first > 0 and peak >= cfg.sun_only_growth_factor * first):
                    return None
                return (f"seen in {len(looks)} looks by a fixed camera, growing ({peak / first:.1f}× its first "
                        "radiant signal)")
            return f"seen in {len(looks)} looks" + (" (each of low confidence)" if low_only else "")
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
        self.flush(inc)  # the baseline area includes every shape so far
        inc.extra["escalation_baseline"] = {"area_m2": inc.area_m2, "max_frp_kw": inc.max_frp_kw,
                                            "sources": list(inc.extra["unmasked_source_ids"])}

    def _maybe_escalate(self, inc: Incident, time: datetime, from_state: str) -> bool:
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
        self._transition(inc, from_state, time, "; ".join(reasons), "escalated")
        return True


def _copy(inc: Incident) -> Incident:
    """A copy the fuser may change: lists and ``extra`` copied deeply; the perimeter is shared, as it is only ever
    replaced, never edited in place."""
    def deep(value):
        if isinstance(value, dict):
            return {k: deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [deep(v) for v in value] if value and isinstance(value[0], (dict, list)) else list(value)
        return value

    return dataclasses.replace(inc, sources=list(inc.sources), source_kinds=list(inc.source_kinds),
                               extra=deep(inc.extra))


def _with_bookkeeping(inc: Incident, config: FusionConfig) -> Incident:
    """Fill missing ``extra`` bookkeeping of an incident made elsewhere (seeded, imported) from its fields."""
    extra = inc.extra
    for key in _LIST_KEYS:
        extra.setdefault(key, [])
    if not extra["unmasked_source_ids"] and not inc.masked:
        extra["unmasked_source_ids"] = list(inc.sources)
    extra.setdefault("location_uncertainty_m", config.default_location_uncertainty_m)
    if not extra.get("centroid_weights", _NO_WEIGHTS)["w"]:
        extra["centroid_weights"] = {"w": 1.0, "lon": inc.lon, "lat": inc.lat, "time": format_time(inc.last_seen)}
    prefix = "masked_" if inc.masked else ""
    extra.setdefault(prefix + "member_confidence", float(inc.confidence))
    extra.setdefault(prefix + "member_class", inc.confidence_class)
    extra.setdefault("transition_counts", {})
    if inc.confirmed_at is not None:  # growth is measured from what it was when handed over
        extra.setdefault("escalation_baseline", {"area_m2": inc.area_m2, "max_frp_kw": inc.max_frp_kw,
                                                 "sources": list(extra["unmasked_source_ids"])})
    return inc


class HotspotShape:
    """A hotspot's ground shape (footprint, or its uncertainty circle), projected once per UTM zone asked for."""

    def __init__(self, hotspot: Hotspot, config: FusionConfig) -> None:
        self.lonlat = hotspot_shape(hotspot, config.default_location_uncertainty_m)
        #: What matching measures gaps from, and the hotspot's σ for the fusion radius: the footprint and the 1-σ
        #: location uncertainty, except for a tower's DEM fix (its footprint plus its line of sight, and the
        #: sharp cross-range σ; :func:`line_of_sight_extent`).
        self.match_lonlat = self.lonlat
        self.sigma_m = hotspot_uncertainty_m(hotspot, config.default_location_uncertainty_m)
        sight = line_of_sight_extent(hotspot, config.radius_factor)
        if sight is not None:
            self.match_lonlat, self.sigma_m = shapely.union(self.lonlat, sight[0]), sight[1]
        self._zones: dict[tuple[int, bool], BaseGeometry] = {}
        own = utm_epsg(hotspot.lon, hotspot.lat)
        self.reach_m = reach_m(self.in_zone(own, matching=True), *project_point(hotspot.lon, hotspot.lat, own))

    def in_zone(self, epsg: int, *, matching: bool = False) -> BaseGeometry:
        """The footprint (or, ``matching``, the matching extent) in the metric CRS ``epsg``."""
        key = (epsg, matching)
        if key not in self._zones:
            self._zones[key] = to_metric(self.match_lonlat if matching else self.lonlat, epsg)
        return self._zones[key]


_NO_WEIGHTS = {"w": 0.0, "lon": 0.0, "lat": 0.0, "time": ""}
_STEFAN_BOLTZMANN = 5.670374419e-8


def _radiant_signal(hotspot: Hotspot) -> float:
    """The hotspot's radiant excess: its FRP (kW) when georeferenced, else Σ σ(T⁴ − T_bg⁴) over its pixels in
    pixel units (the same camera at the same pixel, so looks of one camera compare)."""
    if hotspot.frp_kw is not None and math.isfinite(hotspot.frp_kw) and hotspot.frp_kw > 0:
        return float(hotspot.frp_kw)
    excess = _STEFAN_BOLTZMANN * (hotspot.mean_temp_k ** 4 - hotspot.background_temp_k ** 4)
    return max(float(excess) * hotspot.pixel_count, 0.0)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _latest_look(a: dict, b: dict) -> dict:
    """Centroid sums of the later look of the two (no time = oldest); summed when it is the same look."""
    if a["time"] == b["time"]:
        return {"w": a["w"] + b["w"], "lon": a["lon"] + b["lon"], "lat": a["lat"] + b["lat"], "time": a["time"]}
    return dict(max(a, b, key=lambda weights: parse_time(weights["time"]) if weights["time"] else _EPOCH))


def _raise_member(extra: dict, prefix: str, confidence: float, class_: str) -> None:
    """Keep the best member confidence and class (``prefix`` "masked_" for masked members)."""
    extra[prefix + "member_confidence"] = max(extra.get(prefix + "member_confidence", 0.0), confidence)
    current = extra.get(prefix + "member_class", "low")
    extra[prefix + "member_class"] = class_ if _CLASS_RANK[class_] > _CLASS_RANK[current] else current


def _add_unique(items: list, value) -> None:
    if value not in items:
        items.append(value)
