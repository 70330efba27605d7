"""QGroundControl ``.plan`` (JSON): fileType Plan v1, mission v2 with plannedHomePosition, geoFence v2 with the
no-fly zones as keep-out polygons (``inclusion: false``), rallyPoints v2 (always present, empty).

QGC ``AltitudeMode``: 1 relative to launch, 2 AMSL, 4 terrain frame — matching MAV_FRAME 3, 0 and 10.
"""

from __future__ import annotations

import json
import math

from shapely.geometry import MultiPolygon, Polygon

from flightplans.config import FlightPlanConfig
from flightplans.exporters import Exporter, register_exporter
from flightplans.mission import Mission, MavItem, REF_OF_MAV_FRAME, AltitudeRef, mav_items

QGC_ALTITUDE_MODE = {AltitudeRef.RELATIVE: 1, AltitudeRef.AMSL: 2, AltitudeRef.TERRAIN: 4}


def _num(value: float):
    """JSON number; NaN (MAVLink "unchanged") is written as null, as QGC does."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _item_json(item: MavItem, jump_id: int) -> dict:
    entry = {"autoContinue": bool(item.autocontinue), "command": item.command, "doJumpId": jump_id,
             "frame": item.frame, "params": [_num(p) for p in item.params] + [item.x, item.y, item.z],
             "type": "SimpleItem"}
    ref = REF_OF_MAV_FRAME.get(item.frame)
    if ref is not None:
        entry.update({"AMSLAltAboveTerrain": None, "Altitude": item.z, "AltitudeMode": QGC_ALTITUDE_MODE[ref]})
    return entry


def _fence_polygons(zones) -> list[dict]:
    polygons = []
    for zone in zones:
        geom = zone.geometry
        parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom] if isinstance(geom, Polygon) else []
        for part in parts:
            ring = list(part.exterior.coords)[:-1]
            polygons.append({"inclusion": False, "polygon": [[lat, lon] for lon, lat in ring], "version": 1})
    return polygons


def plan_document(mission: Mission, config: FlightPlanConfig) -> dict:
    """The ``.plan`` JSON document of one flight."""
    items = mav_items(mission)
    home = mission.home
    return {
        "fileType": "Plan",
        "geoFence": {"circles": [], "polygons": _fence_polygons(mission.no_fly_zones), "version": 2},
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": config.aircraft.cruise_speed_mps,
            "firmwareType": config.aircraft.mav_autopilot,
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": config.aircraft.hover_speed_mps,
            "items": [_item_json(item, k) for k, item in enumerate(items, start=1)],
            "plannedHomePosition": [home.lat, home.lon, home.alt_amsl_m],
            "vehicleType": config.aircraft.mav_type,
            "version": 2,
        },
        "rallyPoints": {"points": [], "version": 2},
        "version": 1,
    }


def write_plan(mission: Mission, config: FlightPlanConfig) -> bytes:
    return (json.dumps(plan_document(mission, config), indent=4, allow_nan=False) + "\n").encode("utf-8")


register_exporter(Exporter("plan", ".plan", "QGroundControl .plan (JSON)", write_plan))
