"""Multi-incident route from one launch point: priority order, short path, sorties that fit the battery.

Order: incidents are visited in priority tiers — confidence class (high, nominal, low), growing fires (area growth
or an ``active`` state) before steady ones within a class — and, inside a tier, along a short path from where the
aircraft is (nearest neighbour improved by 2-opt on straight-line distances). Sorties: incidents are added to the
current sortie while the whole flight (take-off, transits with terrain following and no-fly detours, a hover over
each fire, return home) fits the usable battery (battery less reserve, :mod:`flightplans.safety`); then a new
sortie starts. Every sortie ends with return to launch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from flightplans.config import FlightPlanConfig
from flightplans.errors import NoSafePlan
from flightplans.mission import (AltitudeRef, ChangeSpeed, Mission, ReturnToLaunch, ROINone, SetROI,
                                 Takeoff)
from flightplans.paths import PlanContext, quantise
from flightplans.safety import check_mission

_CLASS_RANK = {"high": 0, "nominal": 1, "low": 2}


@dataclass(frozen=True)
class RouteTarget:
    """A place to visit that is not (yet) a stored incident, e.g. ``firewatch plan --at LAT,LON`` (WGS 84)."""

    incident_id: str
    lat: float
    lon: float
    confidence_class: str = "nominal"
    state: str = "confirmed"
    extra: dict = field(default_factory=dict)


def priority_tier(incident) -> tuple[int, int]:
    """Sort key: (confidence class rank, 0 if growing else 1); lower visits first."""
    growth = float((incident.extra or {}).get("growth_m2_per_h", 0.0) or 0.0)
    growing = growth > 0 or incident.state == "active"
    return _CLASS_RANK.get(incident.confidence_class, 3), 0 if growing else 1


def _path_length(points: np.ndarray, order: list[int], start: np.ndarray) -> float:
    seq = np.vstack([start, points[order]])
    return float(np.sum(np.hypot(*np.diff(seq, axis=0).T)))


def short_path(points: np.ndarray, start: np.ndarray) -> list[int]:
    """Visiting order of ``points`` (N×2 metres) from ``start``: nearest neighbour, then 2-opt until no gain."""
    remaining = list(range(len(points)))
    order, here = [], start
    while remaining:
        nearest = min(remaining, key=lambda i: math.hypot(*(points[i] - here)))
        order.append(nearest)
        remaining.remove(nearest)
        here = points[nearest]
    improved = True
    while improved and len(order) > 2:
        improved = False
        best = _path_length(points, order, start)
        for i in range(len(order) - 1):
            for j in range(i + 1, len(order)):
                candidate = order[:i] + order[i:j + 1][::-1] + order[j + 1:]
                length = _path_length(points, candidate, start)
                if length < best - 1e-6:
                    order, best, improved = candidate, length, True
    return order


def visit_order(incidents, ctx: PlanContext) -> list:
    """Incidents in the order they are flown (priority tiers, then short path inside each tier)."""
    xy = np.column_stack(ctx.frame.to_xy([i.lon for i in incidents], [i.lat for i in incidents]))
    tiers: dict[tuple[int, int], list[int]] = {}
    for index, incident in enumerate(incidents):
        tiers.setdefault(priority_tier(incident), []).append(index)
    ordered, here = [], np.zeros(2)
    for key in sorted(tiers):
        members = tiers[key]
        for k in short_path(xy[members], here):
            ordered.append(members[k])
        here = xy[ordered[-1]]
    return [incidents[i] for i in ordered]


def _sortie(ctx: PlanContext, visits, agl: float) -> Mission:
    pattern, aircraft = ctx.config.pattern, ctx.config.aircraft
    items = [Takeoff(agl, AltitudeRef.RELATIVE), ChangeSpeed(aircraft.cruise_speed_mps),
             ctx.gimbal(pattern.orbit_gimbal_pitch_deg)]
    here = (0.0, 0.0)
    for incident in visits:
        x, y = (float(v) for v in ctx.frame.to_xy(incident.lon, incident.lat))
        ground = float(ctx.ground_xy(x, y, f"incident {incident.incident_id}"))
        path = ctx.transit(here, (x, y), agl, f"way to incident {incident.incident_id}")
        items += ctx.waypoints(path[1:-1])
        items.append(SetROI(quantise(incident.lat), quantise(incident.lon), round(ground - ctx.home.alt_amsl_m, 2)))
        items += ctx.waypoints(path[-1:], hold_s=pattern.route_hover_s)
        items.append(ROINone())
        here = (x, y)
    items += ctx.waypoints(ctx.transit(here, (0.0, 0.0), agl, "way home")[1:])
    items.append(ReturnToLaunch())
    return Mission(ctx.home, items, "route", {"incidents": [i.incident_id for i in visits]}, list(ctx.zones))


def plan_route(incidents, *, home_lon: float, home_lat: float, terrain, config: FlightPlanConfig | None = None,
               zones=(), altitude_agl_m: float | None = None) -> Mission:
    """Plan visits to ``incidents`` (:class:`firewatch.model.Incident` or :class:`RouteTarget`) from home; a Mission
    with one sortie each battery. Raises :class:`NoSafePlan` naming the incident when one alone does not fit the
    battery."""
    if not incidents:
        raise NoSafePlan("route: no incidents to visit")
    ctx = PlanContext.create(home_lon, home_lat, terrain, config, zones)
    agl = float(altitude_agl_m if altitude_agl_m is not None else ctx.config.pattern.altitude_agl_m)
    usable_s = ctx.config.aircraft.usable_minutes * 60.0
    sorties: list[Mission] = []
    current: list = []
    for incident in visit_order(list(incidents), ctx):
        candidate = _sortie(ctx, current + [incident], agl)
        duration = check_mission(candidate, terrain, ctx.config, enforce_endurance=False).duration_s
        if duration <= usable_s:
            current.append(incident)
            continue
        if not current:
            raise NoSafePlan(f"incident {incident.incident_id} at lon {incident.lon:.5f}, lat {incident.lat:.5f} "
                             f"needs {duration / 60:.1f} min there and back but the battery allows "
                             f"{usable_s / 60:.1f} min with reserve: launch closer to it")
        sorties.append(_sortie(ctx, current, agl))
        current = [incident]
        duration = check_mission(_sortie(ctx, current, agl), terrain, ctx.config, enforce_endurance=False).duration_s
        if duration > usable_s:
            raise NoSafePlan(f"incident {incident.incident_id} at lon {incident.lon:.5f}, lat {incident.lat:.5f} "
                             f"needs {duration / 60:.1f} min there and back but the battery allows "
                             f"{usable_s / 60:.1f} min with reserve: launch closer to it")
    sorties.append(_sortie(ctx, current, agl))
    order = [iid for s in sorties for iid in s.metadata["incidents"]]
    mission = Mission(ctx.home, [], "route", {"altitude_agl_m": agl, "order": order}, list(ctx.zones), sorties)
    mission.metadata["summary"] = check_mission(mission, terrain, ctx.config).to_dict()
    return mission
