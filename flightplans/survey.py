"""Lawnmower survey of a fire perimeter plus a buffer, with QGC's camera formulas and terrain following.

* Footprint (QGC CameraCalc): across track ``2·h·tan(HFOV/2)``, along track ``2·h·tan(VFOV/2)`` at height ``h``.
* Line spacing = across-track footprint · (1 − side overlap); trigger distance = along-track footprint ·
  (1 − front overlap).
* Lines run along the long axis of the polygon's minimum rotated rectangle; each line spans the polygon inside the
  strip its footprint covers (not only under the centre line), so the strips tile the whole polygon; the camera
  triggers by distance between the line's ends and the aircraft turns ``turnaround_m`` beyond them.
* Terrain following inserts points wherever the ground departs from the straight line by more than the tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box, shape

from flightplans.config import FlightPlanConfig
from flightplans.errors import FlightPlanError, NoSafePlan
from flightplans.mission import (AltitudeRef, CameraTriggerDistance, ChangeSpeed, GimbalPitch, Mission,
                                 ReturnToLaunch, Takeoff)
from flightplans.paths import PlanContext
from flightplans.safety import check_mission


def long_axis_deg(polygon) -> float:
    """Direction of the long side of the minimum rotated rectangle, degrees counter-clockwise from +x (east)."""
    rect = shapely.minimum_rotated_rectangle(polygon)
    coords = np.asarray(rect.exterior.coords)
    if len(coords) < 4:
        return 0.0
    edges = np.diff(coords[:3], axis=0)
    longest = edges[int(np.argmax(np.hypot(edges[:, 0], edges[:, 1])))]
    return math.degrees(math.atan2(longest[1], longest[0]))


def survey_lines(area_xy, *, spacing_m: float, footprint_across_m: float, angle_deg: float
                 ) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Survey lines (local metres) covering ``area_xy``, alternating direction, along ``angle_deg``.

    The area is rotated so lines run along +x; ``ceil(height / spacing)`` lines are centred on it; each line spans
    the x-extent of the polygon within its footprint strip ``y ± footprint_across_m / 2``.
    """
    centre = area_xy.centroid
    rotated = affinity.rotate(area_xy, -angle_deg, origin=centre, use_radians=False)
    xmin, ymin, xmax, ymax = rotated.bounds
    count = max(1, int(math.ceil((ymax - ymin) / spacing_m)))
    first = (ymin + ymax) / 2.0 - (count - 1) * spacing_m / 2.0
    lines = []
    for k in range(count):
        y = first + k * spacing_m
        strip = rotated.intersection(box(xmin - 1.0, y - footprint_across_m / 2.0, xmax + 1.0,
                                         y + footprint_across_m / 2.0))
        if strip.is_empty:
            continue
        x0, _, x1, _ = strip.bounds
        if len(lines) % 2:
            x0, x1 = x1, x0
        a = affinity.rotate(shapely.Point(x0, y), angle_deg, origin=centre)
        b = affinity.rotate(shapely.Point(x1, y), angle_deg, origin=centre)
        lines.append(((a.x, a.y), (b.x, b.y)))
    return lines


def perimeter_geometry(perimeter) -> Polygon | MultiPolygon:
    """A shapely polygon (lon/lat) from a GeoJSON dict or a shapely geometry; points get a 1 m nominal size later."""
    try:
        geom = shape(perimeter) if isinstance(perimeter, dict) else perimeter
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise FlightPlanError(f"survey perimeter is not a GeoJSON geometry: {exc}") from exc
    if geom is None or geom.is_empty:
        raise FlightPlanError("survey perimeter is empty: give the incident's perimeter polygon")
    return geom


def plan_survey(perimeter, *, home_lon: float, home_lat: float, terrain, config: FlightPlanConfig | None = None,
                zones=(), altitude_agl_m: float | None = None, buffer_m: float | None = None) -> Mission:
    """Plan a lawnmower survey of ``perimeter`` (GeoJSON/shapely, lon/lat) plus ``buffer_m``; checked Mission.

    Raises :class:`NoSafePlan` when the survey area overlaps a no-fly zone.
    """
    ctx = PlanContext.create(home_lon, home_lat, terrain, config, zones)
    pattern, cam, aircraft = ctx.config.pattern, ctx.config.camera, ctx.config.aircraft
    agl = float(altitude_agl_m if altitude_agl_m is not None else pattern.altitude_agl_m)
    buffer = float(buffer_m if buffer_m is not None else pattern.survey_buffer_m)
    area = ctx.frame.geom_to_xy(perimeter_geometry(perimeter)).buffer(max(buffer, 1.0))
    for zone in ctx.zones:
        overlap = ctx.frame.geom_to_xy(zone.geometry).buffer(ctx.config.safety.no_fly_margin_m / 2.0)
        if overlap.intersects(area):
            raise NoSafePlan(f"the survey area ({area.area / 1e6:.3f} km² with its {buffer:.0f} m buffer) overlaps "
                             f"no-fly zone {zone.name} or its margin: a survey cannot fly there; request a "
                             "flight approval or survey from outside")
    across, along = cam.footprint_m(agl)
    spacing = across * (1.0 - pattern.side_overlap)
    trigger = along * (1.0 - pattern.front_overlap)
    angle = long_axis_deg(area)
    lines = survey_lines(area, spacing_m=spacing, footprint_across_m=across, angle_deg=angle)

    items = [Takeoff(agl, AltitudeRef.RELATIVE), ChangeSpeed(aircraft.cruise_speed_mps), GimbalPitch(-90.0)]
    position = (0.0, 0.0)
    turn = pattern.turnaround_m
    for number, (a, b) in enumerate(lines, start=1):
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        ux, uy = ((b[0] - a[0]) / length, (b[1] - a[1]) / length) if length > 0 else (1.0, 0.0)
        turn_in = (a[0] - ux * turn, a[1] - uy * turn)
        turn_out = (b[0] + ux * turn, b[1] + uy * turn)
        what = "way to the survey" if number == 1 else f"turn to survey line {number}"
        items += ctx.waypoints(ctx.transit(position, turn_in, agl, what)[1:])
        items += ctx.waypoints(ctx.follow([turn_in, a], agl, f"survey line {number} run-in")[1:])
        items.append(CameraTriggerDistance(round(trigger, 2)))
        items += ctx.waypoints(ctx.follow([a, b], agl, f"survey line {number}")[1:])
        items.append(CameraTriggerDistance(0.0))
        items += ctx.waypoints(ctx.follow([b, turn_out], agl, f"survey line {number} run-out")[1:])
        position = turn_out
    items += ctx.waypoints(ctx.transit(position, (0.0, 0.0), agl, "way back from the survey")[1:])
    items.append(ReturnToLaunch())
    mission = Mission(ctx.home, items, "survey",
                      {"area_m2": round(area.area, 1), "buffer_m": buffer, "altitude_agl_m": agl,
                       "line_spacing_m": round(spacing, 2), "trigger_distance_m": round(trigger, 2),
                       "footprint_m": [round(across, 2), round(along, 2)], "lines": len(lines),
                       "line_angle_deg": round(angle, 2),
                       "area_geojson": shapely.geometry.mapping(ctx.frame.geom_to_lonlat(area))},
                      list(ctx.zones))
    mission.metadata["summary"] = check_mission(mission, terrain, ctx.config).to_dict()
    return mission
