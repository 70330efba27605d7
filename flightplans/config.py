"""Tunables of the flight planner: aircraft, camera, safety rules and pattern defaults (pydantic, with reasons).

Every default carries the reason it has that value. Distances in metres, speeds m/s, angles degrees, times minutes
or seconds as the name says. The lead composes these models into ``firewatch.config``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

# Legal ceilings above ground, metres.
#: EU: Regulation (EU) 2019/947 Annex UAS.OPEN.010(2): 120 m from the closest point of the surface of the earth.
CEILING_EU_AGL_M = 120.0
#: US: 14 CFR 107.51(b): 400 ft above ground level = 121.92 m.
CEILING_US_AGL_M = 121.92
#: Korea: 항공안전법 (Aviation Safety Act) 제127조 with 시행규칙 제308조 (flight approval) and the operator rules of
#: 제129조 / 시행규칙 제310조 — flying an unmanned aircraft 150 m or more above the ground or water needs a flight
#: approval, so 150 m AGL is the ceiling of an unapproved flight (article numbers as of the 2017 split of the Aviation
#: Act; check the current text at law.go.kr before relying on them).
CEILING_KR_AGL_M = 150.0


class CameraConfig(BaseModel):
    """Thermal camera used for footprints and the orbit's field-of-view check (pinhole, landscape mounting).

    Defaults: DJI Zenmuse M30T thermal camera, 640×512 px, DFOV 61° (DJI M30T specifications), which gives
    HFOV 2·atan(320/695.6) = 49.4° and VFOV 2·atan(256/695.6) = 40.4° for f = 409.8 px / tan(30.5°) = 695.6 px.
    """

    model: str = "M30T thermal"
    width_px: int = Field(640, gt=0)
    height_px: int = Field(512, gt=0)
    hfov_deg: float = Field(49.4, gt=0, lt=179)
    vfov_deg: float = Field(40.4, gt=0, lt=179)

    def camera(self):
        """The :class:`ingest.camera.Camera` with these intrinsics."""
        from ingest.camera import Camera

        return Camera.from_fov(self.width_px, self.height_px, hfov_deg=self.hfov_deg, vfov_deg=self.vfov_deg,
                               model=self.model)

    def footprint_m(self, height_m: float) -> tuple[float, float]:
        """Nadir ground footprint ``(across_track_m, along_track_m)`` at ``height_m`` above flat ground.

        Same as QGC's CameraCalc: side = altitude · sensorWidth / focalLength = 2·h·tan(HFOV/2), frontal likewise.
        """
        return (2.0 * height_m * math.tan(math.radians(self.hfov_deg) / 2.0),
                2.0 * height_m * math.tan(math.radians(self.vfov_deg) / 2.0))


class AircraftConfig(BaseModel):
    """Performance of the aircraft (defaults: DJI Matrice 30T, with margins)."""

    name: str = "DJI M30T"
    #: 10 m/s: thermal mapping speed that keeps motion blur under one pixel for a 30 ms microbolometer time
    #: constant at 100 m AGL (GSD ≈ 13 cm → 0.3 m of travel would blur; we accept ~2 px), well under the M30T's 23 m/s.
    cruise_speed_mps: float = Field(10.0, gt=0, le=30)
    #: 5 m/s hover/transition speed (QGC's default hoverSpeed for multirotors is 5 m/s).
    hover_speed_mps: float = Field(5.0, gt=0, le=30)
    #: 3 m/s climb: ArduPilot's WPNAV_SPEED_UP default is 2.5 m/s; the M30T can do 6 m/s.
    climb_rate_mps: float = Field(3.0, gt=0, le=10)
    #: 2 m/s descent: ArduPilot WPNAV_SPEED_DN default 1.5 m/s; M30T max 5 m/s.
    descent_rate_mps: float = Field(2.0, gt=0, le=10)
    #: 38 min: the M30T's specified 41 min hover time less 3 min for a cold (spring-morning) TB30 battery.
    battery_minutes: float = Field(38.0, gt=0, le=600)
    #: 25 %: land with a quarter of the battery left (DJI's default low-battery warning threshold is 25-30 %).
    reserve_fraction: float = Field(0.25, ge=0, lt=1)
    #: MAV_TYPE of the vehicle written into QGC files (2 = MAV_TYPE_QUADROTOR).
    mav_type: int = 2
    #: MAV_AUTOPILOT written into QGC files (3 = ArduPilot, 12 = PX4).
    mav_autopilot: int = 3
    #: DJI WPML enums (DJI Cloud API "Product Support" enumeration values): M30T = drone 67 sub 1, payload 53.
    dji_drone_enum: int = 67
    dji_drone_sub_enum: int = 1
    dji_payload_enum: int = 53

    @property
    def usable_minutes(self) -> float:
        """Battery minutes that may be planned (the reserve is never planned)."""
        return self.battery_minutes * (1.0 - self.reserve_fraction)


#: DJI WPML enum values (droneEnumValue, droneSubEnumValue, payloadEnumValue) from DJI's Cloud API WPML "common
#: elements" and "product support" pages; the shared sample kmz (M30, drone 67/0, payload 52) agrees.
DJI_MODELS: dict[str, tuple[int, int, int]] = {
    "M30": (67, 0, 52),
    "M30T": (67, 1, 53),
    "M3E": (77, 0, 66),
    "M3T": (77, 1, 67),
    "M350-H20T": (89, 0, 43),
    "M300-H20T": (60, 0, 43),
    "M350-H30T": (89, 0, 83),
}


class SafetyConfig(BaseModel):
    """Rules every exported plan must pass (:mod:`flightplans.safety`)."""

    #: 120 m AGL: the EU limit (2019/947 UAS.OPEN.010) and within the FAA's 400 ft; use CEILING_KR_AGL_M in Korea.
    ceiling_agl_m: float = Field(CEILING_EU_AGL_M, gt=0, le=500)
    #: 30 m above terrain along every leg: mature Korean pine/oak canopy is 15-25 m tall, plus ~5 m of GNSS vertical
    #: error and the DEM's own few-metre error.
    min_clearance_m: float = Field(30.0, ge=0)
    #: 5 km from home: inside the M30T's O3 link range (15 km) with margin for terrain masking in Korean valleys;
    #: beyond-visual-line-of-sight fire flights fly under a special approval that states its own radius.
    max_distance_from_home_m: float = Field(5000.0, gt=0)
    #: 100 m kept from a no-fly polygon's edge by detours: GNSS + wind drift of a multirotor in 10 m/s gusts is
    #: tens of metres; 100 m keeps geofence breach alarms (QGC/ArduPilot fence margin) from triggering.
    no_fly_margin_m: float = Field(100.0, ge=0)
    #: Sample step along legs when the terrain has no cell size (flat terrain), metres.
    flat_terrain_step_m: float = Field(10.0, gt=0)
    #: GeoJSON files of keep-out polygons (e.g. the P-73A file from VWorld LT_C_AISPRHC).
    no_fly_zone_files: list[Path] = Field(default_factory=list)


class PatternConfig(BaseModel):
    """Defaults of the orbit, survey and route planners."""

    #: 100 m AGL: below every ceiling above with 20 m to spare for terrain-following tolerance; GSD ≈ 14 cm/px
    #: for the M30T thermal camera, enough to map a fire edge.
    altitude_agl_m: float = Field(100.0, gt=0)
    #: QGC survey "terrain adjust tolerance" default: 10 m.
    terrain_tolerance_m: float = Field(10.0, gt=0)
    #: −45°: an oblique look sees flames and smoke-obscured edges from the side at a slant range of only √2·h.
    orbit_gimbal_pitch_deg: float = Field(-45.0, ge=-90, le=-5)
    #: 1 m: largest gap allowed between the flown polygon and the ideal circle (sagitta), so the target drifts
    #: smoothly in the image.
    orbit_max_sagitta_m: float = Field(1.0, gt=0)
    #: 5 % of the half field of view kept as margin when checking the target stays in view.
    orbit_fov_margin_fraction: float = Field(0.05, ge=0, lt=1)
    #: QGC survey defaults: 70 % frontal and 70 % side overlap.
    front_overlap: float = Field(0.7, ge=0, lt=1)
    side_overlap: float = Field(0.7, ge=0, lt=1)
    #: 10 m turnaround beyond each survey line (QGC's multirotor default turnaround distance).
    turnaround_m: float = Field(10.0, ge=0)
    #: 50 m around the perimeter: a head fire at 2.5 m/min (upper range of Korean spring litter fires) advances
    #: 50 m during a 20-minute sortie.
    survey_buffer_m: float = Field(50.0, ge=0)
    #: 2 s between thermal stills during an orbit: at 10 m/s and r = 100 m that is one image every ~11° of arc.
    orbit_capture_interval_s: float = Field(2.0, gt=0)
    #: Gimbal command in missions: "mount" = MAV_CMD_DO_MOUNT_CONTROL (ArduPilot executes it in AUTO; PX4 maps it
    #: to its gimbal v1 driver), "gimbal_v2" = MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW (gimbal protocol v2, PX4 ≥ 1.13).
    gimbal_protocol: Literal["mount", "gimbal_v2"] = "mount"
    #: 30 s hover over each incident of a multi-incident route: one full look with the gimbal at the fire.
    route_hover_s: float = Field(30.0, ge=0)


class FlightPlanConfig(BaseModel):
    """Everything the planner needs, composed."""

    aircraft: AircraftConfig = Field(default_factory=AircraftConfig)
    camera: CameraConfig = Field(default_factory=CameraConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    pattern: PatternConfig = Field(default_factory=PatternConfig)
