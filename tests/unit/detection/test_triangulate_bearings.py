"""Fixed-camera glue: hotspot pixel → bearing through ingest.georef.ray_enu, and config calibration of the pose.

Oracle: the pose convention itself (the optical axis points at azimuth = pan, elevation = tilt) and the pinhole
model (a pixel ``n`` columns right of the centre on a level camera is ``atan(n / fx)`` clockwise of the axis).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from firewatch.bearings import FixedCameraConfig, attach_bearings, calibrated_frame, relocate_with_store
from firewatch.model import Hotspot, make_frame
from ingest.camera import Camera
from ingest.pose import Pose

CAMERA = Camera.from_fov(640, 512, hfov_deg=24.0)
#: Angular size of the centre pixel: 1 / fx with fx = 320 / tan(12°) pixels.
IFOV_DEG = math.degrees(math.tan(math.radians(12.0)) / 320.0)
POSE = Pose(37.63, 126.93, 470.0, 47.0, 0.0, 0.0, kind="pan_tilt")


def _frame(kind="fixed", pose=POSE):
    return make_frame(np.full((512, 640), 290.0), frame_id="f1", source_id="tower-1", source_kind=kind,
                      time=datetime(2026, 4, 5, 5, tzinfo=timezone.utc), camera=CAMERA.to_dict(),
                      pose=pose.to_dict())


def _hotspot(row, col):
    return Hotspot(hotspot_id=f"h{row}-{col}", frame_id="f1", source_id="tower-1", source_kind="fixed",
                   time=datetime(2026, 4, 5, 5, tzinfo=timezone.utc), row=row, col=col, bbox_px=(0, 0, 0, 0),
                   pixel_count=1, max_temp_k=600.0, mean_temp_k=600.0, background_temp_k=290.0,
                   background_mad_k=1.0, saturated_fraction=0.0, frp_kw=1.0, frp_lower_bound=False, confidence=0.5,
                   confidence_class="nominal")


def test_centre_pixel_bearing_is_the_pose_and_off_axis_pixels_follow_the_pinhole():
    centre_row, centre_col = (512 - 1) / 2, (640 - 1) / 2
    centre, right = attach_bearings(_frame(), [_hotspot(centre_row, centre_col), _hotspot(centre_row,
                                                                                          centre_col + 100)])
    bearing = centre.extra["bearing"]
    assert bearing["azimuth_deg"] == pytest.approx(47.0, abs=1e-9)
    assert bearing["elevation_deg"] == pytest.approx(0.0, abs=1e-9)
    assert (bearing["lat_deg"], bearing["lon_deg"], bearing["alt_amsl_m"]) == (37.63, 126.93, 470.0)
    assert bearing["sigma_deg"] == pytest.approx(math.hypot(IFOV_DEG / math.sqrt(12), 0.05), rel=1e-6)
    assert right.extra["bearing"]["azimuth_deg"] == pytest.approx(47.0 + math.degrees(math.atan(100 / CAMERA.fx_px)))


def test_drone_frames_get_no_bearing():
    (h,) = attach_bearings(_frame("drone", Pose(37.63, 126.93, 470.0, 47.0, -45.0)), [_hotspot(1, 1)])
    assert "bearing" not in h.extra


def test_calibration_offsets_and_surveyed_position_apply_to_fixed_frames_only():
    cameras = [FixedCameraConfig(camera_id="tower-1", lat_deg=37.631, lon_deg=126.931, ground_elevation_m=455.0,
                                 mast_height_m=20.0, pan_offset_deg=0.3, tilt_offset_deg=-0.1,
                                 calibration_sigma_deg=0.02)]
    frame = calibrated_frame(_frame(), cameras)
    assert frame.attrs["pose"]["yaw_deg"] == pytest.approx(47.3)
    assert frame.attrs["pose"]["pitch_deg"] == pytest.approx(-0.1)
    assert (frame.attrs["pose"]["lat_deg"], frame.attrs["pose"]["alt_amsl_m"]) == (37.631, 475.0)
    (h,) = attach_bearings(frame, [_hotspot((512 - 1) / 2, (640 - 1) / 2)], cameras=cameras)
    assert h.extra["bearing"]["azimuth_deg"] == pytest.approx(47.3)
    assert h.extra["bearing"]["sigma_deg"] == pytest.approx(math.hypot(IFOV_DEG / math.sqrt(12), 0.02), rel=1e-6)
    drone = _frame("drone")
    assert calibrated_frame(drone, cameras) is drone
    other = FixedCameraConfig(camera_id="tower-9")
    assert calibrated_frame(_frame(), [other]).attrs["pose"]["yaw_deg"] == 47.0


def test_camera_config_refuses_absurd_values():
    with pytest.raises(ValueError):
        FixedCameraConfig(camera_id="t", tilt_offset_deg=30.0)
    with pytest.raises(ValueError):
        FixedCameraConfig(camera_id="", lat_deg=37.0)


def test_relocate_with_store_leaves_bearingless_hotspots_alone_without_reading_the_store():
    class NoStore:
        def hotspots(self, **_):
            raise AssertionError("the store must not be read when no hotspot has a bearing")

    plain = [_hotspot(1, 1)]
    assert relocate_with_store(plain, NoStore()) == plain
