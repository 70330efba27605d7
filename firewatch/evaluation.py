"""Score the store's incidents against a synthetic scenario's ground truth (used by the demo and the tests).

For every true fire: which looks (frames) saw it, whether an incident was confirmed and after how many of those
looks, and how far the incident and each hotspot lie from the fire's true centroid at the frame's time (metres,
WGS 84 geodesic). For every false target (sun-heated rock, roof, solar field): whether any non-masked incident
formed on it. Incidents near no fire and no false target count as spurious.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyproj import Geod, Transformer
from shapely import ops
from shapely.geometry import Point

from firewatch.model import Hotspot, Incident
from firewatch.scenario import Scenario

_GEOD = Geod(ellps="WGS84")
#: A hotspot or incident belongs to a true fire when it lies within this distance of the fire's perimeter: the
#: fusion radius floor (30 m, detection/fusion_config.py) plus a tower pixel footprint at 10 km (~6 m) with margin.
MATCH_DISTANCE_M = 60.0
#: Minimum fire coverage, in pixel equivalents, for a frame to count as a look that "sees" the fire: DESIGN.md §4's
#: detectable floor is ~1 % of a pixel at 1000 K; 0.05 px keeps marginal glimpses at the frame edge out of the
#: "first two looks" denominator while every look the detector can use stays in.
MIN_VISIBLE_PIXEL_EQUIVALENT = 0.05


def distance_m(lon1, lat1, lon2, lat2) -> float:
    """Geodesic distance on WGS 84, metres."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


@dataclass
class FireScore:
    fire_id: str
    looks: list[str]                      # frame ids that see the fire, in time order
    incident_id: str | None = None
    confirmed: bool = False
    looks_to_confirm: int | None = None   # 1-based index of the look whose frame confirmed it (None: never)
    incident_error_m: float | None = None  # incident centroid vs true centroid at the incident's last_seen
    hotspot_errors_m: dict[str, list[float]] = field(default_factory=dict)  # by source kind


@dataclass
class Evaluation:
    fires: list[FireScore]
    false_target_incidents: dict[str, list[str]]   # target id -> confirmed incident ids on it
    spurious_incidents: list[str]                  # confirmed incidents near no fire and no false target

    @property
    def all_fires_confirmed_within_two_looks(self) -> bool:
        return all(f.confirmed and f.looks_to_confirm is not None and f.looks_to_confirm <= 2 for f in self.fires)

    def max_hotspot_error_m(self, source_kind: str) -> float | None:
        values = [e for f in self.fires for e in f.hotspot_errors_m.get(source_kind, [])]
        return max(values) if values else None

    def table(self) -> str:
        """A text table for the demo's summary (Korean and English headers)."""
        lines = ["화재 fire   관측 looks  사건 incident            확인 confirmed  확인까지 looks→confirm  "
                 "위치오차 error m (drone / fixed / incident)"]
        for f in self.fires:
            drone = self._fmt(f.hotspot_errors_m.get("drone"))
            fixed = self._fmt(f.hotspot_errors_m.get("fixed"))
            inc = "-" if f.incident_error_m is None else f"{f.incident_error_m:.1f}"
            lines.append(f"{f.fire_id:<10}  {len(f.looks):>10}  {f.incident_id or '-':<22}  "
                         f"{'yes 예' if f.confirmed else 'NO 아니오':<13}  {f.looks_to_confirm or '-':>22}  "
                         f"{drone} / {fixed} / {inc}")
        rejected = sum(1 for ids in self.false_target_incidents.values() if not ids)
        lines.append(f"false targets rejected 오탐 대상 제외: {rejected}/{len(self.false_target_incidents)}; "
                     f"spurious incidents 허위 사건: {len(self.spurious_incidents)}")
        return "\n".join(lines)

    @staticmethod
    def _fmt(values: list[float] | None) -> str:
        if not values:
            return "-"
        return f"median {np.median(values):.1f}, max {max(values):.1f}"


def _fire_centroid(scenario: Scenario, fire_id: str, time) -> tuple[float, float] | None:
    polygons = [poly for fid, poly, _kind in scenario.fire_polygons_at(time) if fid == fire_id]
    if not polygons:
        return None
    centroid = ops.unary_union(polygons).centroid
    return centroid.x, centroid.y


def _near(lon: float, lat: float, target: tuple[float, float] | None) -> float:
    return float("inf") if target is None else distance_m(lon, lat, target[0], target[1])


def evaluate(scenario: Scenario, incidents: list[Incident], hotspots: list[Hotspot]) -> Evaluation:
    """Score ``incidents`` and ``hotspots`` (from the store) against ``scenario``'s truth."""
    confirmed = [inc for inc in incidents if inc.confirmed_at is not None and not inc.masked]
    by_frame: dict[str, list[Hotspot]] = {}
    for hotspot in hotspots:
        by_frame.setdefault(hotspot.frame_id, []).append(hotspot)
    frames = sorted(scenario.frames, key=lambda r: r.time)
    claimed: set[str] = set()
    scores = []
    for fire in scenario.fires:
        looks = [r for r in frames if r.visible.get(fire.fire_id, {}).get("covered_pixel_equivalent", 0.0)
                 >= MIN_VISIBLE_PIXEL_EQUIVALENT]
        score = FireScore(fire.fire_id, [r.frame_id for r in looks])
        for record in looks:
            centre = _fire_centroid(scenario, fire.fire_id, record.time)
            for hotspot in by_frame.get(record.frame_id, []):
                if hotspot.is_located and _near(hotspot.lon, hotspot.lat, centre) <= MATCH_DISTANCE_M:
                    score.hotspot_errors_m.setdefault(record.source_kind, []).append(
                        _near(hotspot.lon, hotspot.lat, centre))
        best = None
        for inc in confirmed:
            error = _near(inc.lon, inc.lat, _fire_centroid(scenario, fire.fire_id, inc.last_seen))
            if error <= MATCH_DISTANCE_M + np.sqrt(max(inc.area_m2, 0.0)) and (best is None or error < best[1]):
                best = (inc, error)
        if best is not None:
            inc, error = best
            claimed.add(inc.incident_id)
            score.incident_id, score.confirmed, score.incident_error_m = inc.incident_id, True, error
            times = [r.time for r in looks]
            score.looks_to_confirm = sum(1 for t in times if t <= inc.confirmed_at) or None
        scores.append(score)

    false_hits: dict[str, list[str]] = {}
    to_lonlat = Transformer.from_crs(scenario.crs, "EPSG:4326", always_xy=True)
    for target in scenario.false_targets:
        polygon = ops.transform(to_lonlat.transform, target.polygon())
        hits = []
        for inc in confirmed:
            if inc.incident_id in claimed:
                continue
            edge = polygon.exterior.interpolate(polygon.exterior.project(Point(inc.lon, inc.lat)))
            inside = polygon.contains(Point(inc.lon, inc.lat))
            if inside or distance_m(inc.lon, inc.lat, edge.x, edge.y) <= MATCH_DISTANCE_M:
                hits.append(inc.incident_id)
        false_hits[target.target_id] = hits
    on_targets = {i for ids in false_hits.values() for i in ids}
    spurious = [inc.incident_id for inc in confirmed if inc.incident_id not in claimed | on_targets]
    return Evaluation(scores, false_hits, spurious)
