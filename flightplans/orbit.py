"""Orbit around a hotspot: the thermal camera keeps the fire in view from every side.

Geometry (local metres, altitudes AMSL): the aircraft flies a circle of radius ``r`` around the target at
``altitude_agl_m`` above the DEM under each point. With the heading toward the target (ROI / DJI ``towardPOI``) and
the gimbal at pitch ``p`` (negative, below the horizon), the target is at the image centre when the height above
the target ``H`` satisfies ``H = r · tan(|p|)``. The radius is solved from the mean ground height of the circle
(fixed-point iteration, the circle's ground depends on r) unless given, then every flown point — including points
inserted for terrain following — is checked: the depression angle to the target must stay within
``|p| ± VFOV/2`` (less a margin), otherwise :class:`NoSafePlan` says where and by how much.
"""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry import LineString, Point

from flightplans.config import FlightPlanConfig
from flightplans.errors import NoSafePlan
from flightplans.mission import (AltitudeRef, ChangeSpeed, ImageStartCapture, ImageStopCapture,
                                 Mission, ReturnToLaunch, ROINone, SetROI, Takeoff)
from flightplans.paths import PlanContext, quantise
from flightplans.safety import check_mission

_RADIUS_ITERATIONS = 6
_MIN_ORBIT_POINTS = 12


def orbit_point_count(radius_m: float, max_sagitta_m: float) -> int:
    """Number of points on the circle so each chord departs from the arc by at most ``max_sagitta_m``."""
    if radius_m <= max_sagitta_m:
        return _MIN_ORBIT_POINTS
    step = 2.0 * math.acos(1.0 - max_sagitta_m / radius_m)
    return max(_MIN_ORBIT_POINTS, int(math.ceil(2.0 * math.pi / step)))


def _circle(radius_m: float, count: int, cx: float, cy: float) -> list[tuple[float, float]]:
    # clockwise from north, closing on the first point
    angles = np.linspace(0.0, 2.0 * math.pi, count + 1)
    return [(cx + radius_m * math.sin(a), cy + radius_m * math.cos(a)) for a in angles]


def plan_orbit(target_lon: float, target_lat: float, *, home_lon: float, home_lat: float, terrain,
               config: FlightPlanConfig | None = None, zones=(), radius_m: float | None = None,
               altitude_agl_m: float | None = None, gimbal_pitch_deg: float | None = None) -> Mission:
    """Plan an orbit of the target (WGS 84 degrees) flown from home; returns a checked :class:`Mission`.

    ``radius_m`` (horizontal, metres) defaults to the radius that centres the target in the image at
    ``gimbal_pitch_deg``; ``altitude_agl_m`` defaults to the pattern config. Raises :class:`NoSafePlan` when the
    target cannot stay in view or the orbit touches a no-fly zone, :class:`UnsafePlan` when a safety rule fails.
    """
    ctx = PlanContext.create(home_lon, home_lat, terrain, config, zones)
    pattern, cam = ctx.config.pattern, ctx.config.camera
    agl = float(altitude_agl_m if altitude_agl_m is not None else pattern.altitude_agl_m)
    pitch = float(gimbal_pitch_deg if gimbal_pitch_deg is not None else pattern.orbit_gimbal_pitch_deg)
    if not -90.0 < pitch < 0.0:
        raise NoSafePlan(f"orbit gimbal pitch {pitch}° must be below the horizon and not straight down "
                         "(between -90 and 0, e.g. -45)")
    tx, ty = (float(v) for v in ctx.frame.to_xy(target_lon, target_lat))
    target_ground = float(ctx.ground_xy(tx, ty, "orbit target"))
    depression = math.radians(-pitch)

    if radius_m is None:
        radius = max(agl / math.tan(depression), 1.0)
        for _ in range(_RADIUS_ITERATIONS):
            ring = _circle(radius, 36, tx, ty)[:-1]
            ring_ground = ctx.ground_xy(*np.asarray(ring).T, what="orbit circle")
            height = float(np.mean(ring_ground)) + agl - target_ground
            if height <= 0:
                raise NoSafePlan(f"orbit at {agl:.0f} m above ground would fly below the target ({-height:.0f} m "
                                 "under it): the fire is on a peak; raise --altitude-agl or give --radius")
            radius = height / math.tan(depression)
    else:
        radius = float(radius_m)
        if radius <= 0:
            raise NoSafePlan(f"orbit radius {radius_m} m must be positive")

    circle = _circle(radius, orbit_point_count(radius, pattern.orbit_max_sagitta_m), tx, ty)
    ring = LineString(circle)
    for zone in ctx.zones:
        zone_xy = ctx.frame.geom_to_xy(zone.geometry)
        if zone_xy.contains(Point(tx, ty)):
            raise NoSafePlan(f"the orbit target (lat {target_lat:.5f}, lon {target_lon:.5f}) lies inside no-fly zone "
                             f"{zone.name}: no orbit is legal there without a flight approval")
        gap = zone_xy.distance(ring)
        if gap < ctx.config.safety.no_fly_margin_m / 2.0:
            raise NoSafePlan(f"the {radius:.0f} m orbit comes within {gap:.0f} m of no-fly zone {zone.name} "
                             f"(at least {ctx.config.safety.no_fly_margin_m / 2:.0f} m needed); an orbit cannot "
                             "detour, so give a smaller --radius or observe from outside the zone")
    orbit_pts = ctx.follow(circle, agl, "orbit circle")
    half_vfov = math.radians(cam.vfov_deg) / 2.0 * (1.0 - pattern.orbit_fov_margin_fraction)
    for k, (x, y, alt) in enumerate(orbit_pts):
        angle = math.atan2(alt - target_ground, math.hypot(x - tx, y - ty))
        if abs(angle - depression) > half_vfov:
            raise NoSafePlan(
                f"orbit point {k}: the target is {math.degrees(angle):.1f}° below the horizon but the camera looks "
                f"{-pitch:.1f}° down with ±{math.degrees(half_vfov):.1f}° of view, so the fire leaves the image "
                f"(terrain under the {radius:.0f} m circle varies too much); give another --radius or gimbal pitch")

    entry = ctx.transit((0.0, 0.0), circle[0], agl, "way to the orbit")
    back = ctx.transit(circle[0], (0.0, 0.0), agl, "way back from the orbit")
    aircraft = ctx.config.aircraft
    items = [Takeoff(agl, AltitudeRef.RELATIVE), ChangeSpeed(aircraft.cruise_speed_mps)]
    items += ctx.waypoints(entry[1:])
    items += [ctx.gimbal(pitch),
              SetROI(quantise(target_lat), quantise(target_lon), round(target_ground - ctx.home.alt_amsl_m, 2)),
              ChangeSpeed(aircraft.hover_speed_mps), ImageStartCapture(pattern.orbit_capture_interval_s)]
    items += ctx.waypoints(orbit_pts[1:])
    items += [ImageStopCapture(), ROINone(), ChangeSpeed(aircraft.cruise_speed_mps)]
    items += ctx.waypoints(back[1:])
    items.append(ReturnToLaunch())
    mission = Mission(ctx.home, items, "orbit",
                      {"target": {"lon": float(target_lon), "lat": float(target_lat),
                                  "ground_amsl_m": round(target_ground, 2)},
                       "radius_m": round(radius, 2), "altitude_agl_m": agl, "gimbal_pitch_deg": pitch,
                       "orbit_points": len(orbit_pts)},
                      list(ctx.zones))
    mission.metadata["summary"] = check_mission(mission, terrain, ctx.config).to_dict()
    return mission
