"""MAVLink encoding of mission items: ids checked against mavlink/common.xml (the shared copy), parameters against
the parameter tables of that file."""

from __future__ import annotations

import math

import pytest
from lxml import etree

from flightplans.errors import FlightPlanError
from flightplans.mission import (MAV_FRAME_OF_REF, AltitudeRef, CameraTriggerDistance, ChangeSpeed, GimbalPitch, Home,
                                 ImageStartCapture, ImageStopCapture, Mission, ReturnToLaunch, ROINone, SetROI,
                                 Takeoff, VideoStartCapture, VideoStopCapture, Waypoint, mav_items, to_mav_item)

HOME = Home(37.597, 127.295, 192.5)


@pytest.fixture(scope="module")
def common_xml(shared_data):
    return etree.parse(str(shared_data / "flightplans" / "mavlink_common.xml"))


def xml_value(tree, enum: str, name: str) -> int:
    (entry,) = tree.xpath(f"//enum[@name='{enum}']/entry[@name='{name}']")
    return int(entry.get("value"))


@pytest.mark.realdata
@pytest.mark.parametrize("item, command", [
    (Takeoff(100.0), "MAV_CMD_NAV_TAKEOFF"),
    (Waypoint(37.6, 127.3, 120.0), "MAV_CMD_NAV_WAYPOINT"),
    (ChangeSpeed(7.0), "MAV_CMD_DO_CHANGE_SPEED"),
    (SetROI(37.6, 127.3, 5.0), "MAV_CMD_DO_SET_ROI_LOCATION"),
    (ROINone(), "MAV_CMD_DO_SET_ROI_NONE"),
    (GimbalPitch(-45.0), "MAV_CMD_DO_MOUNT_CONTROL"),
    (GimbalPitch(-45.0, command=1000), "MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW"),
    (ImageStartCapture(2.0), "MAV_CMD_IMAGE_START_CAPTURE"),
    (ImageStopCapture(), "MAV_CMD_IMAGE_STOP_CAPTURE"),
    (VideoStartCapture(), "MAV_CMD_VIDEO_START_CAPTURE"),
    (VideoStopCapture(), "MAV_CMD_VIDEO_STOP_CAPTURE"),
    (CameraTriggerDistance(22.0), "MAV_CMD_DO_SET_CAM_TRIGG_DIST"),
    (ReturnToLaunch(), "MAV_CMD_NAV_RETURN_TO_LAUNCH"),
])
def test_command_ids_match_common_xml(common_xml, item, command):
    assert to_mav_item(item, HOME).command == xml_value(common_xml, "MAV_CMD", command)


@pytest.mark.realdata
@pytest.mark.parametrize("ref, frame", [(AltitudeRef.AMSL, "MAV_FRAME_GLOBAL"),
                                        (AltitudeRef.RELATIVE, "MAV_FRAME_GLOBAL_RELATIVE_ALT"),
                                        (AltitudeRef.TERRAIN, "MAV_FRAME_GLOBAL_TERRAIN_ALT")])
def test_frames_match_common_xml(common_xml, ref, frame):
    assert MAV_FRAME_OF_REF[ref] == xml_value(common_xml, "MAV_FRAME", frame)
    assert to_mav_item(Waypoint(1.0, 2.0, 3.0, ref), HOME).frame == xml_value(common_xml, "MAV_FRAME", frame)


def test_parameters_follow_the_spec():
    # MAV_CMD_DO_CHANGE_SPEED: p1 speed type (1 = ground speed), p2 m/s, p3 throttle (-1 = no change)
    assert to_mav_item(ChangeSpeed(7.5), HOME).params == (1.0, 7.5, -1.0, 0.0)
    # MAV_CMD_NAV_WAYPOINT: p1 hold seconds; x/y/z lat, lon, alt
    wp = to_mav_item(Waypoint(37.61, 127.31, 110.0, AltitudeRef.RELATIVE, hold_s=30.0), HOME)
    assert (wp.params[0], wp.x, wp.y, wp.z) == (30.0, 37.61, 127.31, 110.0)
    # take-off at home
    take = to_mav_item(Takeoff(80.0), HOME)
    assert (take.x, take.y, take.z) == (HOME.lat, HOME.lon, 80.0)
    # DO_MOUNT_CONTROL: p1 pitch, p3 yaw, p7 (z) mount mode 2 = MAVLINK_TARGETING
    mount = to_mav_item(GimbalPitch(-45.0), HOME)
    assert (mount.params[0], mount.params[2], mount.z) == (-45.0, 0.0, 2.0)
    # GIMBAL_MANAGER_PITCHYAW: p1 pitch, p2 yaw, p3/p4 rates NaN = not used
    pitchyaw = to_mav_item(GimbalPitch(-30.0, 10.0, command=1000), HOME)
    assert pitchyaw.params[:2] == (-30.0, 10.0) and all(math.isnan(v) for v in pitchyaw.params[2:])
    # IMAGE_START_CAPTURE: p2 interval s, p3 count
    assert to_mav_item(ImageStartCapture(2.0, 0), HOME).params[1:3] == (2.0, 0.0)
    # DO_SET_CAM_TRIGG_DIST: p1 distance m, p3 trigger once now (1) when starting
    assert to_mav_item(CameraTriggerDistance(22.0), HOME).params[::2] == (22.0, 1.0)
    assert to_mav_item(CameraTriggerDistance(0.0), HOME).params[0] == 0.0


def test_home_row_and_sortie_guard():
    mission = Mission(HOME, [Takeoff(50.0), ReturnToLaunch()])
    rows = mav_items(mission, include_home=True)
    assert (rows[0].frame, rows[0].x, rows[0].y, rows[0].z) == (0, HOME.lat, HOME.lon, HOME.alt_amsl_m)
    assert len(mav_items(mission)) == 2
    with pytest.raises(FlightPlanError, match="sorties"):
        mav_items(Mission(HOME, [], sorties=[mission, mission]))


def test_unknown_item_is_refused():
    with pytest.raises(FlightPlanError, match="no MAVLink encoding"):
        to_mav_item("loiter", HOME)
