"""Shared building blocks of the planners: home from the DEM, safe transits, terrain-following waypoints.

Planner altitudes are written relative to the take-off point (``AltitudeRef.RELATIVE``, MAV_FRAME_GLOBAL_RELATIVE_ALT,
DJI ``relativeToStartPoint``): every autopilot flies that frame without onboard terrain data, and the altitude of
each point is the DEM ground plus the requested height above ground, minus the DEM elevation at home.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymavlink.dialects.v20 import common as mavlink

from flightplans.config import FlightPlanConfig
from flightplans.geo import LocalFrame, NoFlyZone, detour_path
from flightplans.mission import AltitudeRef, GimbalPitch, Home, Waypoint
from flightplans.terrain_follow import follow_terrain, ground_at_xy, sample_step_m


#: MAVLink carries positions as integer 1e-7 degrees (MISSION_ITEM_INT): planned coordinates are rounded to that
#: grid (≤ 1.1 cm) so that every file format and the wire hold exactly the same position.
COORDINATE_DECIMALS = 7


def quantise(degrees: float) -> float:
    """A coordinate rounded to MAVLink's 1e-7 degree resolution."""
    return round(float(degrees), COORDINATE_DECIMALS)


@dataclass
class PlanContext:
    """What every planner needs: home, its metric frame, terrain, configuration and no-fly zones."""

    home: Home
    frame: LocalFrame
    terrain: object
    config: FlightPlanConfig
    zones: list[NoFlyZone]
    _transits: dict = field(default_factory=dict, repr=False)

    @classmethod
    def create(cls, home_lon: float, home_lat: float, terrain, config: FlightPlanConfig | None,
               zones) -> "PlanContext":
        """Home altitude is the DEM elevation at the launch point."""
        frame = LocalFrame(quantise(home_lon), quantise(home_lat))
        ground = float(ground_at_xy(frame, terrain, 0.0, 0.0, what="home (launch point)"))
        return cls(Home(quantise(home_lat), quantise(home_lon), ground), frame, terrain,
                   config or FlightPlanConfig(), list(zones or []))

    @property
    def step_m(self) -> float:
        return sample_step_m(self.terrain, self.config.safety.flat_terrain_step_m)

    def follow(self, path_xy, altitude_agl_m: float, what: str, *, per_segment: bool = False):
        """Terrain-following 3-D points along a 2-D path (see :func:`follow_terrain`)."""
        return follow_terrain(self.frame, self.terrain, path_xy, altitude_agl_m=altitude_agl_m,
                              tolerance_m=self.config.pattern.terrain_tolerance_m, step_m=self.step_m, what=what,
                              per_segment=per_segment)

    def transit(self, start_xy, end_xy, altitude_agl_m: float, what: str) -> list[tuple[float, float, float]]:
        """Terrain-following path from start to end around the no-fly zones (margin from the safety config).

        Results are remembered per (start, end, height): planners ask for the same transit more than once.
        """
        key = (tuple(start_xy), tuple(end_xy), altitude_agl_m)
        if key not in self._transits:
            path = detour_path(self.frame, start_xy, end_xy, self.zones,
                               margin_m=self.config.safety.no_fly_margin_m)
            self._transits[key] = self.follow(path, altitude_agl_m, what)
        return self._transits[key]

    def waypoints(self, points, *, hold_s: float = 0.0) -> list[Waypoint]:
        """Waypoints (altitude relative to take-off) for 3-D local points ``(x, y, alt_amsl_m)``."""
        out = []
        for x, y, alt in points:
            lon, lat = self.frame.to_lonlat(x, y)
            out.append(Waypoint(quantise(lat), quantise(lon), round(alt - self.home.alt_amsl_m, 2),
                                AltitudeRef.RELATIVE, hold_s))
        return out

    def gimbal(self, pitch_deg: float) -> GimbalPitch:
        """Gimbal pitch item in the configured protocol (:attr:`PatternConfig.gimbal_protocol`)."""
        command = (mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW if self.config.pattern.gimbal_protocol == "gimbal_v2"
                   else mavlink.MAV_CMD_DO_MOUNT_CONTROL)
        return GimbalPitch(float(pitch_deg), command=command)

    def ground_xy(self, x, y, what: str):
        return ground_at_xy(self.frame, self.terrain, x, y, what=what)
