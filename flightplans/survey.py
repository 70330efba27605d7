"""Lawnmower survey of a fire perimeter plus a buffer, with QGC's camera formulas and terrain following.

* Footprint (QGC CameraCalc): across track ``2·h·tan(HFOV/2)``, along track ``2·h·tan(VFOV/2)`` at height ``h``.
* Line spacing = across-track footprint · (1 − side overlap); trigger distance = along-track footprint ·
  (1 − front overlap).
* Lines run along the long axis of the polygon's minimum rotated rectangle; each line spans the polygon inside the
  strip its footprint covers (not only under the centre line), so the strips tile the whole polygon; the camera
  triggers by distance between the line's ends and the aircraft turns ``turnaround_m`` beyond them.
* Terrain following inserts points wherever the ground departs from the straight line by more than the tolerance.
* A survey longer than one battery is split into sorties of consecutive lines, each flown there and back from home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box, shape

from flightplans.config import FlightPlanConfig
from flightplans.errors import FlightPlanError, NoSafePlan
from flightplans.mission import (AltitudeRef, CameraTriggerDistance, ChangeSpeed, Mission,
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
    """Plan a lawnmower survey of ``perimeter`` (GeoJSON/shapely, lon/lat) plus ``buffer_m``; a checked Mission,
    with ``sorties`` when the lines need more than one battery.

    Raises :class:`NoSafePlan` when the survey area overlaps a no-fly zone.
    """
    ctx = PlanContext.create(home_lon, home_lat, terrain, config, zones)
    pattern, cam = ctx.config.pattern, ctx.config.camera
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

    turn = pattern.turnaround_m
    blocks = [_line_block(ctx, number, a, b, agl, trigger, turn) for number, (a, b) in enumerate(lines, start=1)]
    flights = [_flight(ctx, group, agl) for group in _sortie_groups(ctx, blocks, agl)]
    mission = Mission(ctx.home, flights[0].items if len(flights) == 1 else [], "survey",
                      {"area_m2": round(area.area, 1), "buffer_m": buffer, "altitude_agl_m": agl,
                       "line_spacing_m": round(spacing, 2), "trigger_distance_m": round(trigger, 2),
                       "footprint_m": [round(across, 2), round(along, 2)], "lines": len(lines),
                       "line_angle_deg": round(angle, 2),
                       "area_geojson": shapely.geometry.mapping(ctx.frame.geom_to_lonlat(area))},
                      list(ctx.zones), flights if len(flights) > 1 else [])
    mission.metadata["summary"] = check_mission(mission, terrain, ctx.config).to_dict()
    return mission


@dataclass
class _LineBlock:
    """One survey line: run-in from ``turn_in``, camera on from ``a`` to ``b``, run-out to ``turn_out``."""

    number: int
    turn_in: tuple[float, float]
    turn_out: tuple[float, float]
    points: list[list[tuple[float, float, float]]]  # run-in, line, run-out (3-D, first point of each dropped later)
    trigger: float = 0.0


def _line_block(ctx: PlanContext, number: int, a, b, agl: float, trigger: float, turn: float) -> _LineBlock:
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    ux, uy = ((b[0] - a[0]) / length, (b[1] - a[1]) / length) if length > 0 else (1.0, 0.0)
    turn_in = (a[0] - ux * turn, a[1] - uy * turn)
    turn_out = (b[0] + ux * turn, b[1] + uy * turn)
    pieces = ctx.follow([turn_in, a, b, turn_out], agl, f"survey line {number}", per_segment=True)
    return _LineBlock(number, turn_in, turn_out, pieces, trigger)


def _leg_time_s(points, aircraft) -> float:
    """Flight time along 3-D points with the model of :mod:`flightplans.safety` (slower of speed and climb rate)."""
    total = 0.0
    for (x0, y0, z0), (x1, y1, z1) in zip(points[:-1], points[1:]):
        rate = aircraft.climb_rate_mps if z1 > z0 else aircraft.descent_rate_mps
        total += max(math.hypot(x1 - x0, y1 - y0) / aircraft.cruise_speed_mps, abs(z1 - z0) / rate)
    return total


def _sortie_groups(ctx: PlanContext, blocks: list[_LineBlock], agl: float) -> list[list[_LineBlock]]:
    """Consecutive survey lines grouped so each battery sortie (there, lines, back) fits the usable battery.

    Time model as the safety check's; the final plan is checked by :func:`check_mission` anyway.
    """
    aircraft = ctx.config.aircraft
    usable_s = aircraft.usable_minutes * 60.0
    fixed_s = agl / aircraft.climb_rate_mps + agl / aircraft.descent_rate_mps  # take-off climb, landing
    back = {id(b): ctx.transit(b.turn_out, (0.0, 0.0), agl, "way back from the survey") for b in blocks}
    groups: list[list[_LineBlock]] = []
    current: list[_LineBlock] = []
    elapsed = 0.0
    for block in blocks:
        if current:
            step = _leg_time_s(ctx.transit(current[-1].turn_out, block.turn_in, agl, "turn"), aircraft)
        else:
            step = _leg_time_s(ctx.transit((0.0, 0.0), block.turn_in, agl, "way to the survey"), aircraft)
        step += sum(_leg_time_s(piece, aircraft) for piece in block.points)
        home_s = _leg_time_s(back[id(block)], aircraft)
        if current and fixed_s + elapsed + step + home_s > usable_s:
            groups.append(current)
            current, elapsed = [], 0.0
            step = (_leg_time_s(ctx.transit((0.0, 0.0), block.turn_in, agl, "way to the survey"), aircraft)
                    + sum(_leg_time_s(piece, aircraft) for piece in block.points))
        if fixed_s + step + home_s > usable_s and not current:
            raise NoSafePlan(f"survey line {block.number} alone needs {(fixed_s + step + home_s) / 60:.1f} min with "
                             f"the way there and back, but the battery allows {usable_s / 60:.1f} min with reserve; "
                             "launch closer or survey a smaller area")
        current.append(block)
        elapsed += step
    groups.append(current)
    return groups


def _flight(ctx: PlanContext, group: list[_LineBlock], agl: float) -> Mission:
    aircraft = ctx.config.aircraft
    items = [Takeoff(agl, AltitudeRef.RELATIVE), ChangeSpeed(aircraft.cruise_speed_mps), ctx.gimbal(-90.0)]
    position = (0.0, 0.0)
    for block in group:
        what = "way to the survey" if position == (0.0, 0.0) else f"turn to survey line {block.number}"
        items += ctx.waypoints(ctx.transit(position, block.turn_in, agl, what)[1:])
        run_in, line, run_out = block.points
        items += ctx.waypoints(run_in[1:])
        items.append(CameraTriggerDistance(round(block.trigger, 2)))
        items += ctx.waypoints(line[1:])
        items.append(CameraTriggerDistance(0.0))
        items += ctx.waypoints(run_out[1:])
        position = block.turn_out
    items += ctx.waypoints(ctx.transit(position, (0.0, 0.0), agl, "way back from the survey")[1:])
    items.append(ReturnToLaunch())
    return Mission(ctx.home, items, "survey", {"lines": [b.number for b in group]}, list(ctx.zones))
