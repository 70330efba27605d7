"""Synthetic store content at scale for the dashboard's benchmark, browser test and screenshots.

``seed_store`` writes ``incident_count`` incidents, each seen by one frame (alternately a drone frame with a ground
footprint and a fixed tower frame with its pose), ``hotspots_per_incident`` hotspots per frame, a growth history and
one ``incident.confirmed`` alert per confirmed incident — all through the real :class:`firewatch.store.Store` API
(``apply_frame_result``), so the dashboard reads exactly what the pipeline writes. With ``bad_records`` it also adds
what the page must survive: an incident without a perimeter and a frame without a footprint.

Positions are laid out on a grid around ``center`` with the small-area approximation (metres → degrees by
111,320 m per degree of latitude): these are display fixtures, not measurements.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from detection.incidents import FusionResult
from firewatch.model import Hotspot, Incident, stable_id, utc_now

_M_PER_DEG_LAT = 111_320.0
_STATES = ("confirmed", "active", "active", "candidate", "quiet", "closed")
_CLASSES = {"confirmed": "high", "active": "high", "candidate": "low", "quiet": "nominal", "closed": "nominal"}


def _offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (lat + north_m / _M_PER_DEG_LAT,
            lon + east_m / (_M_PER_DEG_LAT * math.cos(math.radians(lat))))


def _square(lat: float, lon: float, half_m: float) -> dict:
    corners = [(-half_m, -half_m), (half_m, -half_m), (half_m, half_m), (-half_m, half_m), (-half_m, -half_m)]
    ring = []
    for east, north in corners:
        la, lo = _offset(lat, lon, east, north)
        ring.append([round(lo, 7), round(la, 7)])
    return {"type": "Polygon", "coordinates": [ring]}


def seed_store(store, *, incident_count: int, hotspots_per_incident: int, center: tuple[float, float] = (37.66, 126.98),
               now: datetime | None = None, spacing_m: float = 400.0, seed: int = 7, bad_records: bool = True,
               ortho_path: str | None = None) -> dict:
    """Fill ``store`` and return what was written: ``{"incidents": [ids], "with_perimeter": n, "hotspots": n,
    "frames": n, "alerts": n}``. Times lie within the last ``incident_count`` minutes before ``now`` (at least
    one hour), newest incident first confirmed within the last minutes (so the banner shows)."""
    rng = random.Random(seed)
    now = now or utc_now()
    span_s = max(3600.0, 60.0 * incident_count)
    side = max(1, math.ceil(math.sqrt(incident_count)))
    written = {"incidents": [], "with_perimeter": 0, "hotspots": 0, "frames": 0, "alerts": 0}
    for index in range(incident_count):
        row, col = divmod(index, side)
        lat, lon = _offset(center[0], center[1], (col - side / 2) * spacing_m, (row - side / 2) * spacing_m)
        state = "confirmed" if index == 0 else _STATES[index % len(_STATES)]
        when = now - timedelta(seconds=60.0 + span_s * index / max(incident_count, 1))
        kind = "drone" if index % 2 == 0 else "fixed"
        source = "drone-1" if kind == "drone" else f"tower-{1 + index % 4}"
        frame_id = "frame-" + stable_id("sample", seed, index)
        incident_id = "inc-" + stable_id("sample-incident", seed, index)
        hotspots = []
        for k in range(hotspots_per_incident):
            h_lat, h_lon = _offset(lat, lon, rng.uniform(-40, 40), rng.uniform(-40, 40))
            frp = rng.uniform(5.0, 900.0)
            hotspots.append(Hotspot(
                hotspot_id=f"hs-{stable_id(frame_id, k)}", frame_id=frame_id, source_id=source, source_kind=kind,
                time=when, row=100.0 + k, col=200.0, bbox_px=(100 + k, 199, 101 + k, 201), pixel_count=6,
                max_temp_k=rng.uniform(420.0, 1100.0), mean_temp_k=400.0, background_temp_k=295.0,
                background_mad_k=1.5, saturated_fraction=0.0, frp_kw=frp, frp_lower_bound=False,
                confidence=0.9, confidence_class="high", lat=h_lat, lon=h_lon, elevation_m=300.0, area_m2=40.0,
                location_method="dem", location_uncertainty_m=8.0))
        no_perimeter = bad_records and index == 1
        half = 30.0 + 10.0 * (index % 5)
        incident = Incident(
            incident_id=incident_id, state=state, first_seen=when - timedelta(minutes=20), last_seen=when,
            lat=lat, lon=lon, perimeter=None if no_perimeter else _square(lat, lon, half),
            area_m2=(2 * half) ** 2, max_frp_kw=max((h.frp_kw for h in hotspots), default=0.0),
            max_temp_k=max((h.max_temp_k for h in hotspots), default=300.0), confidence=0.9 if state != "candidate"
            else 0.35, confidence_class=_CLASSES[state], sources=[source], source_kinds=[kind], look_count=3,
            hotspot_count=len(hotspots), confirmed_at=when - timedelta(minutes=10) if state != "candidate" else None,
            closed_at=when if state == "closed" else None)
        history = [{"incident_id": incident_id, "time": when - timedelta(minutes=20 - 5 * step), "state": state,
                    "area_m2": incident.area_m2 * (step + 1) / 4, "max_frp_kw": incident.max_frp_kw * (step + 1) / 4,
                    "hotspot_count": len(hotspots), "look_count": step + 1, "confidence": incident.confidence,
                    "event": "updated"} for step in range(4)]
        pose = {"lat_deg": lat - 0.02, "lon_deg": lon - 0.02, "alt_amsl_m": 600.0, "yaw_deg": 45.0,
                "pitch_deg": -5.0, "roll_deg": 0.0} if kind == "fixed" else \
            {"lat_deg": lat, "lon_deg": lon, "alt_amsl_m": 420.0, "yaw_deg": 0.0, "pitch_deg": -90.0, "roll_deg": 0.0}
        frame_without_footprint = bad_records and index == 2
        frame_meta = {"frame_id": frame_id, "content_sha256": stable_id("sha", seed, index, length=64),
                      "path": f"/nonexistent/{frame_id}.tif", "source_id": source, "source_kind": kind, "time": when,
                      "width_px": 640, "height_px": 512,
                      "footprint": None if (kind == "fixed" or frame_without_footprint) else _square(lat, lon, 60.0),
                      "camera": {"width_px": 640, "height_px": 512, "fx_px": 1465.0 if kind == "fixed" else 770.0,
                                 "fy_px": 1465.0 if kind == "fixed" else 770.0, "cx_px": 319.5, "cy_px": 255.5},
                      "pose": pose}
        if ortho_path is not None and index == 0:
            frame_meta["ortho_path"] = ortho_path
        alerts = []
        if state in ("confirmed", "active"):
            alert_id = "msg_" + stable_id("alert", seed, index, length=26)
            alerts.append({"alert_id": alert_id, "incident_id": incident_id, "event_type": "incident.confirmed",
                           "transition_key": f"{incident_id}:confirmed:1", "created_at": when, "severity": "Severe",
                           "source_kinds": [kind], "lat": lat, "lon": lon,
                           "payload": {"type": "incident.confirmed", "timestamp": when.isoformat(),
                                       "data": {"incident_id": incident_id}},
                           "endpoints": ["http://127.0.0.1:9/hook"]})
        fusion = FusionResult(incidents=[incident], assignments={h.hotspot_id: incident_id for h in hotspots},
                              transitions=[], history=history)
        store.apply_frame_result(frame_meta, hotspots, fusion, alerts)
        written["incidents"].append(incident_id)
        written["with_perimeter"] += 0 if no_perimeter else 1
        written["hotspots"] += len(hotspots)
        written["frames"] += 1
        written["alerts"] += len(alerts)
    return written
