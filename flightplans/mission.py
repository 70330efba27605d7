"""The mission model: typed mission items with explicit altitude references, and their MAVLink encoding.

A :class:`Mission` is what one aircraft flies on one battery: a home position, a list of items, the no-fly zones it
was planned around, and metadata. A multi-incident route is a :class:`Mission` whose ``sorties`` hold one such
mission per battery (:meth:`Mission.flights`).

Coordinates are WGS 84 degrees. Each positional item states what its altitude is relative to
(:class:`AltitudeRef`): mean sea level, the take-off point (home), or the ground under the aircraft. MAVLink command
and frame ids come from pymavlink's generated ``common`` dialect, which is built from ``mavlink/common.xml``
(the test suite checks every id used here against ``../shared/data/flightplans/mavlink_common.xml``).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Union

from pymavlink.dialects.v20 import common as mavlink

from flightplans.errors import FlightPlanError


class AltitudeRef(str, enum.Enum):
    """What an altitude is measured from."""

    AMSL = "amsl"            #: metres above mean sea level (MAV_FRAME_GLOBAL)
    RELATIVE = "relative"    #: metres above the take-off point (MAV_FRAME_GLOBAL_RELATIVE_ALT)
    TERRAIN = "terrain"      #: metres above the ground under the aircraft (MAV_FRAME_GLOBAL_TERRAIN_ALT)


#: MAVLink frame of each altitude reference (float-coordinate frames, as QGC and WPL files use).
MAV_FRAME_OF_REF: dict[AltitudeRef, int] = {
    AltitudeRef.AMSL: mavlink.MAV_FRAME_GLOBAL,
    AltitudeRef.RELATIVE: mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    AltitudeRef.TERRAIN: mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT,
}
REF_OF_MAV_FRAME: dict[int, AltitudeRef] = {v: k for k, v in MAV_FRAME_OF_REF.items()}
REF_OF_MAV_FRAME.update({mavlink.MAV_FRAME_GLOBAL_INT: AltitudeRef.AMSL,
                         mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: AltitudeRef.RELATIVE,
                         mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: AltitudeRef.TERRAIN})


@dataclass(frozen=True)
class Takeoff:
    """Vertical take-off at home to ``altitude_m`` (MAV_CMD_NAV_TAKEOFF)."""

    altitude_m: float
    altitude_ref: AltitudeRef = AltitudeRef.RELATIVE


@dataclass(frozen=True)
class Waypoint:
    """Fly to a point (MAV_CMD_NAV_WAYPOINT); ``hold_s`` seconds of hover there."""

    lat: float
    lon: float
    altitude_m: float
    altitude_ref: AltitudeRef = AltitudeRef.RELATIVE
    hold_s: float = 0.0


@dataclass(frozen=True)
class ChangeSpeed:
    """Set the ground speed in m/s (MAV_CMD_DO_CHANGE_SPEED, speed type 1 = ground speed)."""

    speed_mps: float


@dataclass(frozen=True)
class SetROI:
    """Point the vehicle and gimbal at a location (MAV_CMD_DO_SET_ROI_LOCATION); ``altitude_m`` AMSL/relative."""

    lat: float
    lon: float
    altitude_m: float
    altitude_ref: AltitudeRef = AltitudeRef.RELATIVE


@dataclass(frozen=True)
class ROINone:
    """Cancel the region of interest (MAV_CMD_DO_SET_ROI_NONE)."""


@dataclass(frozen=True)
class GimbalPitch:
    """Set the gimbal pitch, degrees (negative = below the horizon, −90 = nadir).

    ``command`` chooses MAV_CMD_DO_MOUNT_CONTROL (ArduPilot, mode MAVLINK_TARGETING) or
    MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW (gimbal protocol v2).
    """

    pitch_deg: float
    yaw_deg: float = 0.0
    command: int = mavlink.MAV_CMD_DO_MOUNT_CONTROL


@dataclass(frozen=True)
class ImageStartCapture:
    """Take stills every ``interval_s`` seconds (MAV_CMD_IMAGE_START_CAPTURE; ``count`` 0 = until stopped)."""

    interval_s: float
    count: int = 0


@dataclass(frozen=True)
class ImageStopCapture:
    """Stop taking stills (MAV_CMD_IMAGE_STOP_CAPTURE)."""


@dataclass(frozen=True)
class VideoStartCapture:
    """Start recording video (MAV_CMD_VIDEO_START_CAPTURE, all streams)."""


@dataclass(frozen=True)
class VideoStopCapture:
    """Stop recording video (MAV_CMD_VIDEO_STOP_CAPTURE, all streams)."""


@dataclass(frozen=True)
class CameraTriggerDistance:
    """Trigger the camera every ``distance_m`` metres of travel; 0 stops (MAV_CMD_DO_SET_CAM_TRIGG_DIST)."""

    distance_m: float


@dataclass(frozen=True)
class ReturnToLaunch:
    """Fly home and land (MAV_CMD_NAV_RETURN_TO_LAUNCH)."""


MissionItem = Union[Takeoff, Waypoint, ChangeSpeed, SetROI, ROINone, GimbalPitch, ImageStartCapture,
                    ImageStopCapture, VideoStartCapture, VideoStopCapture, CameraTriggerDistance, ReturnToLaunch]
POSITIONAL = (Takeoff, Waypoint)


@dataclass(frozen=True)
class Home:
    """Launch point: WGS 84 degrees and ground altitude in metres above mean sea level."""

    lat: float
    lon: float
    alt_amsl_m: float


@dataclass
class Mission:
    """One flight (``items``) or several battery sorties (``sorties``), planned from ``home``.

    ``no_fly_zones`` are shapely (Multi)Polygons in lon/lat the plan was checked against (exported as QGC
    geofence keep-out polygons). ``metadata`` carries the planner's figures (radius, spacing, incidents...).
    """

    home: Home
    items: list = field(default_factory=list)
    pattern: str = "custom"
    metadata: dict = field(default_factory=dict)
    no_fly_zones: list = field(default_factory=list)
    sorties: list["Mission"] = field(default_factory=list)

    def flights(self) -> list["Mission"]:
        """The missions to fly one after another: the sorties, or this mission alone."""
        return list(self.sorties) if self.sorties else [self]

    def altitude_amsl(self, item, ground_amsl_m: float) -> float:
        """AMSL altitude of a positional item, given the ground elevation (m AMSL) under it."""
        if item.altitude_ref is AltitudeRef.AMSL:
            return float(item.altitude_m)
        if item.altitude_ref is AltitudeRef.RELATIVE:
            return self.home.alt_amsl_m + float(item.altitude_m)
        return ground_amsl_m + float(item.altitude_m)


@dataclass(frozen=True)
class MavItem:
    """One MAVLink mission item as files and the wire carry it (x = lat deg, y = lon deg, z = altitude m)."""

    command: int
    frame: int
    params: tuple[float, float, float, float]
    x: float
    y: float
    z: float
    autocontinue: int = 1


def _nav(command: int, item, p1: float = 0.0) -> MavItem:
    # param4 (yaw) NaN = keep the autopilot's heading mode (ROI, along the track), as QGC writes it (null); 0 would
    # turn a PX4 multirotor north at every waypoint
    return MavItem(command, MAV_FRAME_OF_REF[item.altitude_ref], (p1, 0.0, 0.0, math.nan), item.lat, item.lon,
                   float(item.altitude_m))


def _do(command: int, p1=0.0, p2=0.0, p3=0.0, p4=0.0, x=0.0, y=0.0, z=0.0) -> MavItem:
    return MavItem(command, mavlink.MAV_FRAME_MISSION, (float(p1), float(p2), float(p3), float(p4)),
                   float(x), float(y), float(z))


def to_mav_item(item, home: Home) -> MavItem:
    """Encode one typed item as a MAVLink mission item (parameters as in MAVLink common.xml)."""
    if isinstance(item, Takeoff):
        return _nav(mavlink.MAV_CMD_NAV_TAKEOFF, Waypoint(home.lat, home.lon, item.altitude_m, item.altitude_ref))
    if isinstance(item, Waypoint):
        return _nav(mavlink.MAV_CMD_NAV_WAYPOINT, item, p1=float(item.hold_s))
    if isinstance(item, ChangeSpeed):
        return _do(mavlink.MAV_CMD_DO_CHANGE_SPEED, 1, item.speed_mps, -1)  # ground speed, throttle unchanged
    if isinstance(item, SetROI):
        return MavItem(mavlink.MAV_CMD_DO_SET_ROI_LOCATION, MAV_FRAME_OF_REF[item.altitude_ref],
                       (0.0, 0.0, 0.0, 0.0), item.lat, item.lon, float(item.altitude_m))
    if isinstance(item, ROINone):
        return _do(mavlink.MAV_CMD_DO_SET_ROI_NONE)
    if isinstance(item, GimbalPitch):
        if item.command == mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW:
            return _do(item.command, item.pitch_deg, item.yaw_deg, math.nan, math.nan, 0, 0, 0)
        return _do(mavlink.MAV_CMD_DO_MOUNT_CONTROL, item.pitch_deg, 0, item.yaw_deg, 0, 0, 0,
                   mavlink.MAV_MOUNT_MODE_MAVLINK_TARGETING)
    if isinstance(item, ImageStartCapture):
        return _do(mavlink.MAV_CMD_IMAGE_START_CAPTURE, 0, item.interval_s, item.count, 0)
    if isinstance(item, ImageStopCapture):
        return _do(mavlink.MAV_CMD_IMAGE_STOP_CAPTURE)
    if isinstance(item, VideoStartCapture):
        return _do(mavlink.MAV_CMD_VIDEO_START_CAPTURE)
    if isinstance(item, VideoStopCapture):
        return _do(mavlink.MAV_CMD_VIDEO_STOP_CAPTURE)
    if isinstance(item, CameraTriggerDistance):
        return _do(mavlink.MAV_CMD_DO_SET_CAM_TRIGG_DIST, item.distance_m, 0, 1 if item.distance_m > 0 else 0)
    if isinstance(item, ReturnToLaunch):
        return _do(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH)
    raise FlightPlanError(f"mission item {item!r} has no MAVLink encoding; use one of the types in flightplans.mission")


def home_mav_item(home: Home) -> MavItem:
    """Row 0 of an ArduPilot mission: the home position, AMSL (MAV_FRAME_GLOBAL)."""
    return MavItem(mavlink.MAV_CMD_NAV_WAYPOINT, mavlink.MAV_FRAME_GLOBAL, (0.0, 0.0, 0.0, 0.0),
                   home.lat, home.lon, home.alt_amsl_m)


def mav_items(mission: Mission, *, include_home: bool = False) -> list[MavItem]:
    """MAVLink items of a single flight; with ``include_home`` row 0 is home (ArduPilot/WPL convention)."""
    if mission.sorties:
        raise FlightPlanError(f"{mission.pattern} plan has {len(mission.sorties)} sorties: encode each of "
                              "mission.flights() separately")
    items = [to_mav_item(it, mission.home) for it in mission.items]
    return ([home_mav_item(mission.home)] if include_home else []) + items
