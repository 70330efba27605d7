"""Score the store's incidents against a synthetic scenario's ground truth (used by the demo and the tests).

For every true fire:

* its **looks**: the frames that see it (the scenario's per-frame visibility), in time order;
* whether an incident was confirmed on it and after how many of those looks (the frame whose time is the
  incident's confirmation time is the confirming look);
* the **location error** of each look: the distance (WGS 84 geodesic, metres) between the area-weighted centroid of
  the look's hotspots on that fire and the centroid of the part of the fire the frame sees (the fire's true polygon
  at the frame's time clipped to the frame's ground footprint: a drone over a large fire sees only part of it).

For every false target (sun-heated rock, roof, solar field): any confirmed, non-masked incident on it. Confirmed
incidents on no fire and no false target are spurious.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyproj import Geod, Transformer
from shapely import ops
from shapely.geometry import Point, shape

from firewatch.model import Hotspot, Incident
from firewatch.scenario import Scenario

_GEOD = Geod(ellps="WGS84")
#: A hotspot or incident belongs to a fire (or false target) when it lies within this distance of its polygon: the
#: fusion radius floor (30 m, detection/fusion_config.py) plus a tower pixel's along-range footprint (~25 m at
#: 8 km and 3° grazing) with margin.
MATCH_DISTANCE_M = 60.0
#: Minimum fire coverage, in pixel equivalents, for a frame to count as a look that sees the fire. DESIGN.md §4:
#: ~1 % of a pixel at 1000 K is the detection floor; 0.05 px keeps edge glimpses below it out of the "first two
#: looks" denominator while every look the detector can use stays in.
MIN_VISIBLE_PIXEL_EQUIVALENT = 0.05


def distance_m(lon1, lat1, lon2, lat2) -> float:
    """Geodesic distance on WGS 84, metres."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def _distance_to_polygon_m(lon: float, lat: float, polygon) -> float:
    point = Point(lon, lat)
    if polygon.contains(point):
        return 0.0
    nearest = ops.nearest_points(polygon, point)[0]
    return distance_m(lon, lat, nearest.x, nearest.y)


@dataclass
class LookScore:
    frame_id: str
    source_kind: str
    error_m: float | None  # None: no hotspot of this look on the fire (a miss)


@dataclass
class FireScore:
    fire_id: str
    looks: list[LookScore] = field(default_factory=list)
    incident_id: str | None = None
    confirmed: bool = False
    looks_to_confirm: int | None = None  # 1-based index of the confirming look (None: never confirmed)

    def errors(self, source_kind: str, *, first: int | None = None) -> list[float]:
        looks = [look for look in self.looks if look.source_kind == source_kind]
        return [look.error_m for look in looks[:first] if look.error_m is not None]

    @property
    def missed_looks(self) -> int:
        return sum(1 for look in self.looks if look.error_m is None)


@dataclass
class Evaluation:
    fires: list[FireScore]
    false_target_incidents: dict[str, list[str]]   # target id -> confirmed incident ids on it
    spurious_incidents: list[str]                  # confirmed incidents on no fire and no false target

    @property
    def all_fires_confirmed_within_two_looks(self) -> bool:
        return all(f.confirmed and f.looks_to_confirm is not None and f.looks_to_confirm <= 2 for f in self.fires)

    def max_error_m(self, source_kind: str, *, first: int | None = None) -> float | None:
        """Worst location error over the looks of ``source_kind`` (only each fire's first ``first`` such looks)."""
        values = [e for f in self.fires for e in f.errors(source_kind, first=first)]
        return max(values) if values else None

    def table(self) -> str:
        """A text table for the demo's summary (Korean and English headers)."""
        lines = ["화재 fire   관측 looks  놓침 missed  사건 incident           확인 confirmed  확인까지 looks→confirm  "
                 "위치오차 error m: drone / fixed (median, max)"]
        for f in self.fires:
            lines.append(f"{f.fire_id:<10}  {len(f.looks):>10}  {f.missed_looks:>11}  {f.incident_id or '-':<22} "
                         f"{'yes 예' if f.confirmed else 'NO 아니오':<14} {f.looks_to_confirm or '-':>22}  "
                         f"{self._fmt(f.errors('drone'))} / {self._fmt(f.errors('fixed'))}")
        first = [self.max_error_m(kind, first=2) for kind in ("drone", "fixed")]
        lines.append("worst location error over each fire's first two looks 첫 두 관측 최대 오차: "
                     + " / ".join("-" if e is None else f"{e:.1f} m" for e in first) + " (drone / fixed)")
        rejected = sum(1 for ids in self.false_target_incidents.values() if not ids)
        lines.append(f"false targets rejected 오탐 대상 제외: {rejected}/{len(self.false_target_incidents)}; "
                     f"spurious incidents 허위 사건: {len(self.spurious_incidents)}")
        return "\n".join(lines)

    @staticmethod
    def _fmt(values: list[float]) -> str:
        return f"{np.median(values):.1f}, {max(values):.1f}" if values else "-"


def evaluate(scenario: Scenario, incidents: list[Incident], hotspots: list[Hotspot],
             footprints: dict[str, dict | None] | None = None) -> Evaluation:
    """Score ``incidents`` and ``hotspots`` (from the store) against ``scenario``'s truth.

    ``footprints`` maps frame ids to their GeoJSON ground footprints (the store's ``frames`` rows); without one a
    look is compared with the whole fire.
    """
    footprints = footprints or {}
    confirmed = [inc for inc in incidents if inc.confirmed_at is not None and not inc.masked]
    by_frame: dict[str, list[Hotspot]] = {}
    for hotspot in hotspots:
        if hotspot.is_located:
            by_frame.setdefault(hotspot.frame_id, []).append(hotspot)
    claimed: set[str] = set()
    scores = []
    for fire in scenario.fires:
        score = FireScore(fire.fire_id)
        looks = [r for r in sorted(scenario.frames, key=lambda r: r.time)
                 if r.visible.get(fire.fire_id, {}).get("covered_pixel_equivalent", 0.0) >= MIN_VISIBLE_PIXEL_EQUIVALENT]
        for record in looks:
            polygons = [poly for fid, poly, _ in scenario.fire_polygons_at(record.time) if fid == fire.fire_id]
            fire_polygon = ops.unary_union(polygons)
            seen = fire_polygon
            if footprints.get(record.frame_id):
                clipped = fire_polygon.intersection(shape(footprints[record.frame_id]))
                seen = clipped if not clipped.is_empty else fire_polygon
            on_fire = [h for h in by_frame.get(record.frame_id, [])
                       if _distance_to_polygon_m(h.lon, h.lat, fire_polygon) <= MATCH_DISTANCE_M]
            error = None
            if on_fire:
                weights = np.array([max(h.area_m2 or 0.0, 0.0) + 1e-6 for h in on_fire])
                lon = float(np.average([h.lon for h in on_fire], weights=weights))
                lat = float(np.average([h.lat for h in on_fire], weights=weights))
                error = distance_m(lon, lat, seen.centroid.x, seen.centroid.y)
            score.looks.append(LookScore(record.frame_id, record.source_kind, error))
        final = ops.unary_union([poly for fid, poly, _ in scenario.fire_polygons_at(looks[-1].time)
                                 if fid == fire.fire_id]) if looks else None
        matches = [inc for inc in confirmed if final is not None
                   and _distance_to_polygon_m(inc.lon, inc.lat, final) <= MATCH_DISTANCE_M]
        if matches:
            inc = min(matches, key=lambda i: i.confirmed_at)
            claimed.update(i.incident_id for i in matches)
            score.incident_id, score.confirmed = inc.incident_id, True
            score.looks_to_confirm = sum(1 for r in looks if r.time <= inc.confirmed_at) or None
        scores.append(score)

    false_hits: dict[str, list[str]] = {}
    to_lonlat = Transformer.from_crs(scenario.crs, "EPSG:4326", always_xy=True)
    for target in scenario.false_targets:
        polygon = ops.transform(to_lonlat.transform, target.polygon())
        false_hits[target.target_id] = [inc.incident_id for inc in confirmed if inc.incident_id not in claimed
                                        and _distance_to_polygon_m(inc.lon, inc.lat, polygon) <= MATCH_DISTANCE_M]
    on_targets = {i for ids in false_hits.values() for i in ids}
    spurious = [inc.incident_id for inc in confirmed if inc.incident_id not in claimed | on_targets]
    return Evaluation(scores, false_hits, spurious)


def evaluate_store(scenario: Scenario, store) -> Evaluation:
    """:func:`evaluate` on everything in ``store`` (a :class:`firewatch.store.Store`)."""
    footprints = {row["frame_id"]: row.get("footprint") for row in store.frames(status="accepted")}
    return evaluate(scenario, store.list_incidents(), store.hotspots(), footprints)
