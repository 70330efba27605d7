"""DJI WPML ``.kmz`` (DJI Pilot 2 / FlightHub 2): ``wpmz/template.kml`` and ``wpmz/waylines.wpml``.

Both files list the same waypoints (same index, position, height, speed, heading, actions). KML coordinates are
``lon,lat``; ``waypointPoiPoint`` is ``lat,lon,height``. Heights are relative to the take-off point
(``relativeToStartPoint``) computed from the DEM: WGS 84 ellipsoidal heights (``executeHeightMode`` WGS84) would need
an EGM96 geoid grid that is not available offline, and relative heights are what the MAVLink exports fly too.
Take-off and return to launch are DJI's own (``takeOffSecurityHeight``, ``finishAction goHome``). While a point of
interest is set the heading turns toward it (``towardPOI``); gimbal pitch, photo interval / distance triggers, video
and hovers become action groups.
"""

from __future__ import annotations

import io
import math
import time
import zipfile

from lxml import etree

from flightplans.config import FlightPlanConfig
from flightplans.errors import FlightPlanError
from flightplans.exporters import Exporter, register_exporter
from flightplans.mission import (AltitudeRef, CameraTriggerDistance, ChangeSpeed, GimbalPitch, ImageStartCapture,
                                 ImageStopCapture, Mission, ROINone, ReturnToLaunch, SetROI, Takeoff,
                                 VideoStartCapture, VideoStopCapture, Waypoint)

KML_NS = "http://www.opengis.net/kml/2.2"
WPML_NS = "http://www.dji.com/wpmz/1.0.2"
NSMAP = {None: KML_NS, "wpml": WPML_NS}


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _w(tag: str) -> str:
    return f"{{{WPML_NS}}}{tag}"


def _sub(parent, tag: str, text=None):
    el = etree.SubElement(parent, _w(tag))
    if text is not None:
        el.text = _fmt(text)
    return el


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.10g}" if value != int(value) or abs(value) > 1e15 else str(int(value))
    return str(value)


class _Point:
    def __init__(self, wp: Waypoint, speed: float, poi: SetROI | None):
        self.wp, self.speed, self.poi = wp, speed, poi
        self.actions: list[tuple[str, dict]] = []


def _points(mission: Mission, config: FlightPlanConfig):
    """Waypoints with their speed, point of interest and actions; plus interval groups (start, end, trigger)."""
    speed = config.aircraft.cruise_speed_mps
    poi: SetROI | None = None
    pending: list[tuple[str, dict]] = []
    points: list[_Point] = []
    groups: list[dict] = []
    open_group: dict | None = None
    for item in mission.items:
        if isinstance(item, Waypoint):
            if item.altitude_ref is not AltitudeRef.RELATIVE:
                raise FlightPlanError(f"DJI WPML export needs heights relative to take-off; item {item} is "
                                      f"{item.altitude_ref.value}")
            point = _Point(item, speed, poi)
            point.actions, pending = pending, []
            if item.hold_s > 0:
                point.actions.append(("hover", {"hoverTime": float(item.hold_s)}))
            points.append(point)
            if open_group is not None and open_group["start"] is None:
                open_group["start"] = len(points) - 1
        elif isinstance(item, ChangeSpeed):
            speed = item.speed_mps
        elif isinstance(item, SetROI):
            poi = item
        elif isinstance(item, ROINone):
            poi = None
        elif isinstance(item, GimbalPitch):
            pending.append(("gimbalRotate", {"gimbalPitchRotateAngle": float(item.pitch_deg)}))
        elif isinstance(item, VideoStartCapture):
            pending.append(("startRecord", {}))
        elif isinstance(item, VideoStopCapture):
            pending.append(("stopRecord", {}))
        elif isinstance(item, (ImageStartCapture, CameraTriggerDistance)):
            if open_group is not None:
                open_group["end"] = len(points) - 1
                groups.append(open_group)
                open_group = None
            if isinstance(item, ImageStartCapture):
                open_group = {"start": None, "end": None, "type": "multipleTiming", "param": item.interval_s}
            elif item.distance_m > 0:
                open_group = {"start": None, "end": None, "type": "multipleDistance", "param": item.distance_m}
        elif isinstance(item, ImageStopCapture):
            if open_group is not None:
                open_group["end"] = len(points) - 1
                groups.append(open_group)
                open_group = None
        elif isinstance(item, (Takeoff, ReturnToLaunch)):
            continue
    if open_group is not None:
        open_group["end"] = len(points) - 1
        groups.append(open_group)
    if pending and points:
        points[-1].actions.extend(pending)
    groups = [g for g in groups if g["start"] is not None and g["end"] is not None and g["end"] >= g["start"]]
    if len(points) < 2:
        raise FlightPlanError("DJI WPML export needs at least two waypoints")
    return points, groups


def _mission_config(doc, mission: Mission, config: FlightPlanConfig) -> None:
    takeoff = next((i for i in mission.items if isinstance(i, Takeoff)), None)
    aircraft = config.aircraft
    mc = _sub(doc, "missionConfig")
    _sub(mc, "flyToWaylineMode", "safely")
    _sub(mc, "finishAction", "goHome")
    _sub(mc, "exitOnRCLost", "executeLostAction")
    _sub(mc, "executeRCLostAction", "goBack")
    # DJI accepts 1.2-1500 m; the take-off climb is our planned take-off altitude
    _sub(mc, "takeOffSecurityHeight", float(min(max(takeoff.altitude_m if takeoff else 20.0, 1.2), 1500.0)))
    _sub(mc, "globalTransitionalSpeed", float(aircraft.cruise_speed_mps))
    drone = _sub(mc, "droneInfo")
    _sub(drone, "droneEnumValue", aircraft.dji_drone_enum)
    _sub(drone, "droneSubEnumValue", aircraft.dji_drone_sub_enum)
    payload = _sub(mc, "payloadInfo")
    _sub(payload, "payloadEnumValue", aircraft.dji_payload_enum)
    _sub(payload, "payloadSubEnumValue", 0)
    _sub(payload, "payloadPositionIndex", 0)


def _heading(parent, point: _Point, tag: str) -> None:
    hp = _sub(parent, tag)
    if point.poi is not None:
        _sub(hp, "waypointHeadingMode", "towardPOI")
        _sub(hp, "waypointHeadingAngle", 0)
        _sub(hp, "waypointPoiPoint", f"{point.poi.lat:.8f},{point.poi.lon:.8f},{point.poi.altitude_m:.2f}")
    else:
        _sub(hp, "waypointHeadingMode", "followWayline")
        _sub(hp, "waypointHeadingAngle", 0)
        _sub(hp, "waypointPoiPoint", "0.000000,0.000000,0.000000")
    _sub(hp, "waypointHeadingAngleEnable", 0)
    _sub(hp, "waypointHeadingPathMode", "followBadArc")


def _action(group, action_id: int, func: str, params: dict) -> None:
    action = _sub(group, "action")
    _sub(action, "actionId", action_id)
    _sub(action, "actionActuatorFunc", func)
    p = _sub(action, "actionActuatorFuncParam")
    if func == "gimbalRotate":
        for key, value in (("gimbalHeadingYawBase", "north"), ("gimbalRotateMode", "absoluteAngle"),
                           ("gimbalPitchRotateEnable", 1), ("gimbalPitchRotateAngle", params["gimbalPitchRotateAngle"]),
                           ("gimbalRollRotateEnable", 0), ("gimbalRollRotateAngle", 0),
                           ("gimbalYawRotateEnable", 0), ("gimbalYawRotateAngle", 0),
                           ("gimbalRotateTimeEnable", 0), ("gimbalRotateTime", 0), ("payloadPositionIndex", 0)):
            _sub(p, key, value)
    elif func == "takePhoto":
        _sub(p, "payloadPositionIndex", 0)
        _sub(p, "fileSuffix", "firewatch")
        _sub(p, "payloadLensIndex", "ir")
        _sub(p, "useGlobalPayloadLensIndex", 0)
    elif func in ("startRecord", "stopRecord"):
        _sub(p, "payloadPositionIndex", 0)
        if func == "startRecord":
            _sub(p, "fileSuffix", "firewatch")
            _sub(p, "payloadLensIndex", "ir")
            _sub(p, "useGlobalPayloadLensIndex", 0)
    elif func == "hover":
        _sub(p, "hoverTime", params["hoverTime"])


def _action_groups(placemark, index: int, point: _Point, groups: list[dict], next_id: list[int]) -> None:
    if point.actions:
        group = _sub(placemark, "actionGroup")
        _sub(group, "actionGroupId", next_id[0])
        next_id[0] += 1
        _sub(group, "actionGroupStartIndex", index)
        _sub(group, "actionGroupEndIndex", index)
        _sub(group, "actionGroupMode", "sequence")
        trigger = _sub(group, "actionTrigger")
        _sub(trigger, "actionTriggerType", "reachPoint")
        for action_id, (func, params) in enumerate(point.actions):
            _action(group, action_id, func, params)
    for spec in groups:
        if spec["start"] != index:
            continue
        group = _sub(placemark, "actionGroup")
        _sub(group, "actionGroupId", next_id[0])
        next_id[0] += 1
        _sub(group, "actionGroupStartIndex", spec["start"])
        _sub(group, "actionGroupEndIndex", spec["end"])
        _sub(group, "actionGroupMode", "sequence")
        trigger = _sub(group, "actionTrigger")
        _sub(trigger, "actionTriggerType", spec["type"])
        _sub(trigger, "actionTriggerParam", float(spec["param"]))
        _action(group, 0, "takePhoto", {})


def _coordinates(placemark, wp: Waypoint) -> None:
    point = etree.SubElement(placemark, _k("Point"))
    coords = etree.SubElement(point, _k("coordinates"))
    coords.text = f"{wp.lon:.10f},{wp.lat:.10f}"


def _path_stats(points: list[_Point]) -> tuple[float, float]:
    from flightplans.geo import LocalFrame

    frame = LocalFrame(points[0].wp.lon, points[0].wp.lat)
    x, y = frame.to_xy([p.wp.lon for p in points], [p.wp.lat for p in points])
    distance, duration = 0.0, 0.0
    for k in range(1, len(points)):
        leg = math.hypot(x[k] - x[k - 1], y[k] - y[k - 1])
        distance += leg
        duration += leg / points[k].speed + points[k].wp.hold_s
    return distance, duration


def _template(mission: Mission, config: FlightPlanConfig, points, groups, now_ms: int) -> bytes:
    kml = etree.Element(_k("kml"), nsmap=NSMAP)
    doc = etree.SubElement(kml, _k("Document"))
    _sub(doc, "author", "firewatch")
    _sub(doc, "createTime", now_ms)
    _sub(doc, "updateTime", now_ms)
    _mission_config(doc, mission, config)
    folder = etree.SubElement(doc, _k("Folder"))
    _sub(folder, "templateType", "waypoint")
    _sub(folder, "useGlobalTransitionalSpeed", 1)
    _sub(folder, "templateId", 0)
    csp = _sub(folder, "waylineCoordinateSysParam")
    _sub(csp, "coordinateMode", "WGS84")
    _sub(csp, "heightMode", "relativeToStartPoint")
    _sub(csp, "positioningType", "GPS")
    _sub(folder, "autoFlightSpeed", float(config.aircraft.cruise_speed_mps))
    _sub(folder, "transitionalSpeed", float(config.aircraft.cruise_speed_mps))
    _sub(folder, "globalHeight", float(points[0].wp.altitude_m))
    _sub(folder, "caliFlightEnable", 0)
    _sub(folder, "gimbalPitchMode", "manual")
    ghp = _sub(folder, "globalWaypointHeadingParam")
    _sub(ghp, "waypointHeadingMode", "followWayline")
    _sub(ghp, "waypointHeadingAngle", 0)
    _sub(ghp, "waypointPoiPoint", "0.000000,0.000000,0.000000")
    _sub(ghp, "waypointHeadingAngleEnable", 0)
    _sub(ghp, "waypointHeadingPathMode", "followBadArc")
    _sub(folder, "globalWaypointTurnMode", "toPointAndStopWithDiscontinuityCurvature")
    _sub(folder, "globalUseStraightLine", 1)
    next_id = [0]
    for index, point in enumerate(points):
        pm = etree.SubElement(folder, _k("Placemark"))
        _coordinates(pm, point.wp)
        _sub(pm, "index", index)
        _sub(pm, "ellipsoidHeight", float(point.wp.altitude_m))
        _sub(pm, "height", float(point.wp.altitude_m))
        _sub(pm, "useGlobalHeight", 0)
        _sub(pm, "waypointSpeed", float(point.speed))
        _sub(pm, "useGlobalSpeed", 0)
        _heading(pm, point, "waypointHeadingParam")
        _sub(pm, "useGlobalHeadingParam", 0)
        _sub(pm, "useGlobalTurnParam", 1)
        _sub(pm, "useStraightLine", 1)
        _action_groups(pm, index, point, groups, next_id)
    return etree.tostring(kml, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _waylines(mission: Mission, config: FlightPlanConfig, points, groups) -> bytes:
    kml = etree.Element(_k("kml"), nsmap=NSMAP)
    doc = etree.SubElement(kml, _k("Document"))
    _mission_config(doc, mission, config)
    folder = etree.SubElement(doc, _k("Folder"))
    distance, duration = _path_stats(points)
    _sub(folder, "templateId", 0)
    _sub(folder, "executeHeightMode", "relativeToStartPoint")
    _sub(folder, "waylineId", 0)
    _sub(folder, "distance", round(distance, 2))
    _sub(folder, "duration", round(duration, 2))
    _sub(folder, "autoFlightSpeed", float(config.aircraft.cruise_speed_mps))
    next_id = [0]
    for index, point in enumerate(points):
        pm = etree.SubElement(folder, _k("Placemark"))
        _coordinates(pm, point.wp)
        _sub(pm, "index", index)
        _sub(pm, "executeHeight", float(point.wp.altitude_m))
        _sub(pm, "waypointSpeed", float(point.speed))
        _heading(pm, point, "waypointHeadingParam")
        turn = _sub(pm, "waypointTurnParam")
        _sub(turn, "waypointTurnMode", "toPointAndStopWithDiscontinuityCurvature")
        _sub(turn, "waypointTurnDampingDist", 0)
        _sub(pm, "useStraightLine", 1)
        _action_groups(pm, index, point, groups, next_id)
    return etree.tostring(kml, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_kmz(mission: Mission, config: FlightPlanConfig) -> bytes:
    points, groups = _points(mission, config)
    now_ms = int(time.time() * 1000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as kmz:
        kmz.writestr("wpmz/template.kml", _template(mission, config, points, groups, now_ms))
        kmz.writestr("wpmz/waylines.wpml", _waylines(mission, config, points, groups))
    return buffer.getvalue()


register_exporter(Exporter("kmz", ".kmz", "DJI WPML .kmz (DJI Pilot 2, M30T/M3T/M350+H20T)", write_kmz))
