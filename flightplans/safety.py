"""Safety checks every exported plan passes: ceiling, terrain clearance along every leg, no-fly zones, distance
from home, endurance with reserve, DEM coverage.

The flown path of one flight is: vertical take-off at home to the take-off altitude, straight legs (linear in
altitude) between the positional items, and return to launch as a straight leg home at the last altitude followed by
a vertical descent. Each leg is sampled every half DEM cell (:func:`flightplans.terrain_follow.sample_step_m`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString

from flightplans.config import FlightPlanConfig
from flightplans.errors import TerrainCoverageError, UnsafePlan
from flightplans.geo import LocalFrame
from flightplans.mission import AltitudeRef, ChangeSpeed, Mission, ReturnToLaunch, Takeoff, Waypoint
from flightplans.terrain_follow import ground_at_xy, leg_samples, sample_step_m


@dataclass
class FlightReport:
    """Figures of one flight (one battery)."""

    distance_m: float
    duration_s: float
    max_agl_m: float
    min_clearance_m: float
    max_distance_from_home_m: float
    waypoints: int


@dataclass
class SafetyReport:
    """Figures of a whole plan; one :class:`FlightReport` per sortie."""

    flights: list[FlightReport] = field(default_factory=list)

    @property
    def distance_m(self) -> float:
        return sum(f.distance_m for f in self.flights)

    @property
    def duration_s(self) -> float:
        return sum(f.duration_s for f in self.flights)

    @property
    def max_agl_m(self) -> float:
        return max(f.max_agl_m for f in self.flights)

    @property
    def min_clearance_m(self) -> float:
        return min(f.min_clearance_m for f in self.flights)

    def to_dict(self) -> dict:
        return {"distance_m": round(self.distance_m, 1), "duration_s": round(self.duration_s, 1),
                "max_agl_m": round(self.max_agl_m, 1), "min_clearance_m": round(self.min_clearance_m, 1),
                "sorties": len(self.flights),
                "max_distance_from_home_m": round(max(f.max_distance_from_home_m for f in self.flights), 1)}


@dataclass
class _Vertex:
    x: float
    y: float
    alt_amsl_m: float | None   # None: terrain-relative, use agl_m
    agl_m: float | None
    label: str
    speed_mps: float
    hold_s: float = 0.0


def _vertices(mission: Mission, frame: LocalFrame, terrain, config: FlightPlanConfig, where: str) -> list[_Vertex]:
    items = mission.items
    if not items or not isinstance(items[0], Takeoff):
        first = type(items[0]).__name__ if items else "nothing"
        raise UnsafePlan(f"{where}: the first item must be a take-off, got {first}")
    if not isinstance(items[-1], ReturnToLaunch):
        raise UnsafePlan(f"{where}: the flight must end with return to launch, got {type(items[-1]).__name__}")
    speed = config.aircraft.cruise_speed_mps
    take = items[0]
    ground_home = float(ground_at_xy(frame, terrain, 0.0, 0.0, what=f"{where}, home"))
    alt = mission.altitude_amsl(take, ground_home)
    vertices = [_Vertex(0.0, 0.0, alt, None, "take-off", speed)]
    flown = [item for item in items if isinstance(item, Waypoint)]
    xs, ys = frame.to_xy([w.lon for w in flown], [w.lat for w in flown])
    position = {id(w): (float(x), float(y)) for w, x, y in zip(flown, np.atleast_1d(xs), np.atleast_1d(ys))}
    for index, item in enumerate(items[1:], start=1):
        if isinstance(item, ChangeSpeed):
            speed = item.speed_mps
        elif isinstance(item, Waypoint):
            x, y = position[id(item)]
            if item.altitude_ref is AltitudeRef.TERRAIN:
                vertices.append(_Vertex(float(x), float(y), None, item.altitude_m, f"item {index}", speed, item.hold_s))
            else:
                vertices.append(_Vertex(float(x), float(y), mission.altitude_amsl(item, math.nan), None,
                                        f"item {index}", speed, item.hold_s))
        elif isinstance(item, Takeoff):
            raise UnsafePlan(f"{where}: item {index} is a second take-off")
        elif isinstance(item, ReturnToLaunch) and index != len(items) - 1:
            raise UnsafePlan(f"{where}: item {index} returns to launch before the end of the mission")
    last = vertices[-1]
    vertices.append(_Vertex(0.0, 0.0, last.alt_amsl_m, last.agl_m, "return to launch (home)", speed))
    return vertices


def check_mission(mission: Mission, terrain, config: FlightPlanConfig | None = None, *,
                  zones=None, enforce_endurance: bool = True) -> SafetyReport:
    """Check every flight of ``mission``; return its figures or raise :class:`UnsafePlan` naming leg, rule, numbers.

    ``zones`` (list of :class:`flightplans.geo.NoFlyZone`) defaults to ``mission.no_fly_zones``;
    ``enforce_endurance=False`` only reports the duration (used while splitting routes into sorties). Raises
    :class:`flightplans.errors.TerrainCoverageError` when the DEM does not cover a leg.
    """
    config = config or FlightPlanConfig()
    zones = mission.no_fly_zones if zones is None else zones
    report = SafetyReport()
    flights = mission.flights()
    for number, flight in enumerate(flights, start=1):
        where = f"{mission.pattern} plan, flight {number} of {len(flights)}"
        report.flights.append(_check_flight(flight, terrain, config, zones, where, enforce_endurance))
    return report


def _check_flight(mission: Mission, terrain, config: FlightPlanConfig, zones, where: str,
                  enforce_endurance: bool) -> FlightReport:
    safety, aircraft = config.safety, config.aircraft
    frame = LocalFrame(mission.home.lon, mission.home.lat)
    step = sample_step_m(terrain, safety.flat_terrain_step_m)
    vertices = _vertices(mission, frame, terrain, config, where)
    zones_xy = [(z.name, frame.geom_to_xy(z.geometry)) for z in zones]
    for _, geom in zones_xy:
        shapely.prepare(geom)

    ground_home = float(ground_at_xy(frame, terrain, 0.0, 0.0, what=f"{where}, home"))
    takeoff_agl = vertices[0].alt_amsl_m - ground_home
    if takeoff_agl > safety.ceiling_agl_m + 1e-6:
        raise UnsafePlan(f"{where}: take-off climbs to {takeoff_agl:.1f} m above ground at home, over the "
                         f"{safety.ceiling_agl_m:.0f} m ceiling")
    duration = takeoff_agl / aircraft.climb_rate_mps
    distance = 0.0
    max_agl, min_clear = takeoff_agl, math.inf
    max_from_home = 0.0
    legs = list(zip(vertices[:-1], vertices[1:]))
    fracs = [leg_samples(a.x, a.y, b.x, b.y, step) for a, b in legs]
    all_x = np.concatenate([a.x + f * (b.x - a.x) for f, (a, b) in zip(fracs, legs)])
    all_y = np.concatenate([a.y + f * (b.y - a.y) for f, (a, b) in zip(fracs, legs)])
    try:
        all_ground = ground_at_xy(frame, terrain, all_x, all_y, what=where)  # one DEM query for the flight
    except TerrainCoverageError:
        for frac, (a, b) in zip(fracs, legs):  # name the first uncovered leg
            ground_at_xy(frame, terrain, a.x + frac * (b.x - a.x), a.y + frac * (b.y - a.y),
                         what=f"{where}, leg {a.label} → {b.label}")
        raise
    bounds = np.cumsum([0] + [len(f) for f in fracs])
    for index, (a, b) in enumerate(legs):
        leg = f"{where}, leg {a.label} → {b.label}"
        frac = fracs[index]
        xs, ys = all_x[bounds[index]:bounds[index + 1]], all_y[bounds[index]:bounds[index + 1]]
        ground = all_ground[bounds[index]:bounds[index + 1]]
        if a.alt_amsl_m is None or b.alt_amsl_m is None:
            agl_a = a.agl_m if a.agl_m is not None else a.alt_amsl_m - ground[0]
            agl_b = b.agl_m if b.agl_m is not None else b.alt_amsl_m - ground[-1]
            agl = agl_a + frac * (agl_b - agl_a)
            alt = ground + agl
        else:
            alt = a.alt_amsl_m + frac * (b.alt_amsl_m - a.alt_amsl_m)
            agl = alt - ground
        k_low, k_high = int(np.argmin(agl)), int(np.argmax(agl))
        if agl[k_low] < safety.min_clearance_m - 1e-6 or agl[k_high] > safety.ceiling_agl_m + 1e-6:
            lon, lat = frame.to_lonlat(xs, ys)  # only for the message
        if agl[k_low] < safety.min_clearance_m - 1e-6:
            raise UnsafePlan(f"{leg}: clearance {agl[k_low]:.1f} m above terrain at lon {lon[k_low]:.6f}, "
                             f"lat {lat[k_low]:.6f} is below the {safety.min_clearance_m:.0f} m minimum "
                             f"(altitude {alt[k_low]:.1f} m AMSL, ground {ground[k_low]:.1f} m)")
        if agl[k_high] > safety.ceiling_agl_m + 1e-6:
            raise UnsafePlan(f"{leg}: {agl[k_high]:.1f} m above ground at lon {lon[k_high]:.6f}, lat {lat[k_high]:.6f} "
                             f"is over the {safety.ceiling_agl_m:.0f} m ceiling")
        line = LineString([(a.x, a.y), (b.x, b.y)]) if (a.x, a.y) != (b.x, b.y) else shapely.Point(a.x, a.y)
        for name, geom in zones_xy:
            if geom.intersects(line):
                lon, lat = frame.to_lonlat(xs[[0, -1]], ys[[0, -1]])
                raise UnsafePlan(f"{leg}: crosses no-fly zone {name} (leg from lon/lat "
                                 f"{lon[0]:.6f},{lat[0]:.6f} to {lon[-1]:.6f},{lat[-1]:.6f})")
        from_home = math.hypot(b.x, b.y)
        if from_home > safety.max_distance_from_home_m + 1e-6:
            raise UnsafePlan(f"{leg}: {from_home:.0f} m from home, over the {safety.max_distance_from_home_m:.0f} m "
                             "limit")
        horizontal = math.hypot(b.x - a.x, b.y - a.y)
        vertical = float(alt[-1] - alt[0])
        rate = aircraft.climb_rate_mps if vertical > 0 else aircraft.descent_rate_mps
        # multirotor waypoint navigation moves along the 3-D leg limited by both the horizontal speed and the
        # climb/descent rate (ArduPilot WPNAV_SPEED / WPNAV_SPEED_UP / _DN), so the slower of the two sets the time
        duration += max(horizontal / b.speed_mps, abs(vertical) / rate) + b.hold_s
        distance += horizontal
        max_agl, min_clear = max(max_agl, float(agl.max())), min(min_clear, float(agl.min()))
        max_from_home = max(max_from_home, from_home)
    final_agl = (vertices[-1].alt_amsl_m - ground_home if vertices[-1].alt_amsl_m is not None
                 else vertices[-1].agl_m)
    duration += max(final_agl, 0.0) / aircraft.descent_rate_mps
    duration_min = duration / 60.0
    if enforce_endurance and duration_min > aircraft.usable_minutes + 1e-9:
        raise UnsafePlan(f"{where}: needs {duration_min:.1f} min of flight but {aircraft.name} has "
                         f"{aircraft.usable_minutes:.1f} min usable ({aircraft.battery_minutes:.0f} min battery less "
                         f"{aircraft.reserve_fraction:.0%} reserve); shorten the plan or split it into sorties")
    return FlightReport(distance, duration, max_agl, min_clear, max_from_home,
                        sum(isinstance(i, Waypoint) for i in mission.items))
