"""Camera poses: where the camera is and where it looks, as one rotation into local east-north-up (ENU).

The angle convention lives in exactly one function, :func:`camera_to_enu`:

* ``yaw_deg``: azimuth of the optical axis, degrees clockwise from **true** north (DJI ``GimbalYawDegree``; a
  fixed camera's pan). DJI R-JPEG gimbal angles are absolute (earth frame), so the aircraft's own attitude
  (``FlightYaw/Pitch/RollDegree``) is *not* composed on top; it is kept in the pose for the record only.
* ``pitch_deg``: elevation of the optical axis above the horizon; −90 looks straight down (DJI
  ``GimbalPitchDegree``; a fixed camera's tilt, negative below the horizon).
* ``roll_deg``: rotation about the optical axis, positive when the image's right side goes down.

Verified against the real H20N frame with a laser range finder target (``tests/unit/ingest/test_pose.py`` and the
georeferencing acceptance test).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ingest.errors import InvalidPose

#: Plausible altitude range for a thermal camera, metres above mean sea level (Dead Sea shore to a high drone
#: over the Himalaya). Outside it the pose is absurd, usually a unit error (feet, millimetres) or a missing value.
ALT_AMSL_RANGE_M = (-500.0, 9000.0)


def camera_to_enu(yaw_deg: float, pitch_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """Rotation matrix whose columns are the camera's x (right), y (down), z (forward) axes in ENU.

    ``enu_vector = R @ camera_vector``. See the module docstring for the angle convention.
    """
    psi, theta, phi = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    forward = np.array([math.sin(psi) * math.cos(theta), math.cos(psi) * math.cos(theta), math.sin(theta)])
    right0 = np.array([math.cos(psi), -math.sin(psi), 0.0])
    down0 = np.cross(forward, right0)
    right = math.cos(phi) * right0 + math.sin(phi) * down0
    down = -math.sin(phi) * right0 + math.cos(phi) * down0
    return np.column_stack([right, down, forward])


@dataclass(frozen=True)
class Pose:
    """Position (WGS 84 degrees, metres AMSL) and orientation (degrees, see module docstring) of a camera."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float = 0.0
    #: "gimbal" for drones (DJI absolute gimbal angles), "pan_tilt" for fixed cameras.
    kind: str = "gimbal"
    #: Height of the camera above the take-off point in metres, when known (DJI ``RelativeAltitude``).
    alt_above_takeoff_m: float | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, *, where: str = "pose") -> None:
        """Raise :class:`InvalidPose` naming the bad value when the pose is absurd."""
        values = {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_amsl_m": self.alt_amsl_m,
                  "yaw_deg": self.yaw_deg, "pitch_deg": self.pitch_deg, "roll_deg": self.roll_deg}
        for name, value in values.items():
            if value is None or not math.isfinite(float(value)):
                raise InvalidPose(f"{where}: {name}={value!r} is not a finite number; supply it in a sidecar JSON")
        if not -90.0 <= self.lat_deg <= 90.0:
            raise InvalidPose(f"{where}: latitude {self.lat_deg} is outside [-90, 90] (lat and lon swapped?)")
        if not -180.0 <= self.lon_deg <= 180.0:
            raise InvalidPose(f"{where}: longitude {self.lon_deg} is outside [-180, 180]")
        lo, hi = ALT_AMSL_RANGE_M
        if not lo <= self.alt_amsl_m <= hi:
            raise InvalidPose(f"{where}: altitude {self.alt_amsl_m} m AMSL is outside [{lo}, {hi}] m "
                              "(feet instead of metres? altitude above take-off instead of AMSL?)")
        if not -90.0 <= self.pitch_deg <= 90.0:
            raise InvalidPose(f"{where}: pitch {self.pitch_deg} deg is outside [-90, 90]")

    @classmethod
    def from_dict(cls, data: dict) -> "Pose":
        known = {k: data[k] for k in ("lat_deg", "lon_deg", "alt_amsl_m", "yaw_deg", "pitch_deg", "roll_deg",
                                      "kind", "alt_above_takeoff_m") if k in data}
        return cls(**known)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data

    def rotation(self) -> np.ndarray:
        """Camera → ENU rotation of this pose (see :func:`camera_to_enu`)."""
        return camera_to_enu(self.yaw_deg, self.pitch_deg, self.roll_deg)
