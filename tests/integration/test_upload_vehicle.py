"""Upload against vehicles on loopback: a small pymavlink ArduPilot-like responder (MISSION_REQUEST or
MISSION_REQUEST_INT), one that rejects the mission, one that never answers, and MAVSDK's autopilot server."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from pymavlink import mavutil

from flightplans.errors import UploadError
from flightplans.mission import Home, MavItem
from flightplans.vehicle.upload import upload_items

mavlink = mavutil.mavlink
HOME = Home(37.597, 127.295, 192.69)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ArduPilotLike(threading.Thread):
    """Answers the MAVLink mission protocol like ArduPilot: item 0 is home, items stored as int 1e-7 degrees."""

    def __init__(self, port: int, *, request: str = "MISSION_REQUEST_INT", reject: int | None = None,
                 home: Home = HOME) -> None:
        super().__init__(daemon=True)
        self.conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1,
                                               dialect="common")
        self.request, self.reject = request, reject
        self.stored = [(mavlink.MAV_CMD_NAV_WAYPOINT, mavlink.MAV_FRAME_GLOBAL, (0.0, 0.0, 0.0, 0.0),
                        round(home.lat * 1e7), round(home.lon * 1e7), home.alt_amsl_m, 1)]
        self.home = home
        self.incoming: list | None = None
        self.expected = 0
        self.stop = threading.Event()
        self.requests_seen: set[str] = set()

    def _send_item(self, seq: int, as_int: bool, target: tuple[int, int]) -> None:
        command, frame, params, x, y, z, autocontinue = self.stored[seq]
        if as_int:
            self.conn.mav.mission_item_int_send(*target, seq, frame, command, 0, autocontinue, *params, x, y, z, 0)
        else:
            self.conn.mav.mission_item_send(*target, seq, frame, command, 0, autocontinue, *params, x / 1e7,
                                            y / 1e7, z, 0)

    def _request(self, seq: int, target) -> None:
        if self.request == "MISSION_REQUEST_INT":
            self.conn.mav.mission_request_int_send(*target, seq, 0)
        else:
            self.conn.mav.mission_request_send(*target, seq, 0)

    def run(self) -> None:
        next_beat = 0.0
        while not self.stop.is_set():
            if time.monotonic() >= next_beat:
                self.conn.mav.heartbeat_send(mavlink.MAV_TYPE_QUADROTOR, mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA,
                                             mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 0, mavlink.MAV_STATE_STANDBY)
                next_beat = time.monotonic() + 0.2
            msg = self.conn.recv_match(blocking=True, timeout=0.05)
            if msg is None or msg.get_type() == "BAD_DATA":
                continue
            target = (msg.get_srcSystem(), msg.get_srcComponent())
            kind = msg.get_type()
            if getattr(msg, "mission_type", 0) not in (0, None):
                continue
            if kind == "PARAM_REQUEST_LIST":  # dronekit waits for the first parameter
                self.conn.mav.param_value_send(b"SYSID_THISMAV", 1.0, mavlink.MAV_PARAM_TYPE_INT8, 1, 0)
            elif kind == "MISSION_REQUEST_LIST":
                self.conn.mav.mission_count_send(*target, len(self.stored), 0)
            elif kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
                self.requests_seen.add(kind)
                if 0 <= msg.seq < len(self.stored):
                    self._send_item(msg.seq, kind == "MISSION_REQUEST_INT", target)
            elif kind == "MISSION_COUNT":
                if self.reject is not None:
                    self.conn.mav.mission_ack_send(*target, self.reject, 0)
                    continue
                self.incoming, self.expected = [], msg.count
                self._request(0, target)
            elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM") and self.incoming is not None:
                if msg.seq != len(self.incoming):
                    continue
                x, y = (msg.x, msg.y) if kind == "MISSION_ITEM_INT" else (round(msg.x * 1e7), round(msg.y * 1e7))
                self.incoming.append((msg.command, msg.frame, (msg.param1, msg.param2, msg.param3, msg.param4),
                                      x, y, msg.z, msg.autocontinue))
                if len(self.incoming) < self.expected:
                    self._request(len(self.incoming), target)
                else:
                    self.stored = [self.stored[0]] + self.incoming[1:]  # ArduPilot keeps its own home
                    self.incoming = None
                    self.conn.mav.mission_ack_send(*target, mavlink.MAV_MISSION_ACCEPTED, 0)
            elif kind == "COMMAND_LONG" and msg.command == mavlink.MAV_CMD_REQUEST_MESSAGE:
                self.conn.mav.home_position_send(round(self.home.lat * 1e7), round(self.home.lon * 1e7),
                                                 round(self.home.alt_amsl_m * 1000), 0, 0, 0, [1, 0, 0, 0], 0, 0, 0)
        self.conn.close()


def mission_items() -> list[MavItem]:
    return [
        MavItem(mavlink.MAV_CMD_NAV_TAKEOFF, 3, (0.0, 0.0, 0.0, 0.0), HOME.lat, HOME.lon, 100.0),
        MavItem(mavlink.MAV_CMD_DO_CHANGE_SPEED, 2, (1.0, 10.0, -1.0, 0.0), 0.0, 0.0, 0.0),
        MavItem(mavlink.MAV_CMD_NAV_WAYPOINT, 3, (0.0, 0.0, 0.0, 0.0), 37.59824754, 127.29653942, 131.83),
        MavItem(mavlink.MAV_CMD_DO_SET_ROI_LOCATION, 3, (0.0, 0.0, 0.0, 0.0), 37.601, 127.301, 20.5),
        MavItem(mavlink.MAV_CMD_NAV_WAYPOINT, 3, (5.0, 0.0, 0.0, 0.0), 37.6012345, 127.3012345, 150.25),
        MavItem(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH, 2, (0.0, 0.0, 0.0, 0.0), 0.0, 0.0, 0.0),
    ]


@pytest.fixture()
def vehicle_factory():
    started = []

    def start(**kwargs):
        port = free_udp_port()
        vehicle = ArduPilotLike(port, **kwargs)
        vehicle.start()
        started.append(vehicle)
        return vehicle, f"udp:127.0.0.1:{port}"

    yield start
    for vehicle in started:
        vehicle.stop.set()
        vehicle.join(timeout=2)


def stored_as_items(vehicle: ArduPilotLike) -> list[MavItem]:
    return [MavItem(c, f, p, x / 1e7, y / 1e7, z, a) for c, f, p, x, y, z, a in vehicle.stored[1:]]


@pytest.mark.parametrize("request_type", ["MISSION_REQUEST_INT", "MISSION_REQUEST"])
def test_pymavlink_upload_reaches_vehicle_and_reads_back(vehicle_factory, request_type):
    vehicle, url = vehicle_factory(request=request_type)
    result = upload_items(mission_items(), url, planned_home=HOME, method="pymavlink", timeout_s=2,
                          heartbeat_timeout_s=5)
    assert result.verified and result.request_type == request_type
    assert result.vehicle_home == Home(HOME.lat, HOME.lon, pytest.approx(HOME.alt_amsl_m, abs=1e-3))
    got = stored_as_items(vehicle)
    assert [i.command for i in got] == [i.command for i in mission_items()]
    if request_type == "MISSION_REQUEST_INT":  # int coordinates are exact to 1e-7 degrees
        assert [round(i.x * 1e7) for i in got] == [round(i.x * 1e7) for i in mission_items()]


def test_dronekit_upload_to_ardupilot(vehicle_factory):
    vehicle, url = vehicle_factory(request="MISSION_REQUEST")
    result = upload_items(mission_items(), url, planned_home=HOME, method="dronekit", timeout_s=3,
                          heartbeat_timeout_s=5)
    assert result.method == "dronekit" and result.verified
    assert "MISSION_REQUEST" in vehicle.requests_seen
    got = stored_as_items(vehicle)
    assert [i.command for i in got] == [i.command for i in mission_items()]
    assert got[2].x == pytest.approx(37.59824754, abs=5e-6)  # float32 MISSION_ITEM: ~0.4 m at 37.6°


def test_auto_falls_back_to_pymavlink_for_request_int(vehicle_factory):
    vehicle, url = vehicle_factory(request="MISSION_REQUEST_INT")
    result = upload_items(mission_items(), url, planned_home=HOME, method="auto", timeout_s=1.5,
                          heartbeat_timeout_s=5)
    assert result.method == "pymavlink" and result.request_type == "MISSION_REQUEST_INT"
    assert len(stored_as_items(vehicle)) == len(mission_items())


@pytest.mark.parametrize("method", ["pymavlink", "dronekit"])
def test_rejected_mission_says_why(vehicle_factory, method):
    _, url = vehicle_factory(reject=mavlink.MAV_MISSION_NO_SPACE)
    with pytest.raises(UploadError, match="rejected the mission: MAV_MISSION_NO_SPACE"):
        upload_items(mission_items(), url, planned_home=HOME, method=method, timeout_s=1.5, heartbeat_timeout_s=5)


@pytest.mark.parametrize("method", ["pymavlink", "dronekit"])
def test_no_vehicle_times_out_bounded(method):
    url = f"udp:127.0.0.1:{free_udp_port()}"
    start = time.monotonic()
    with pytest.raises(UploadError, match="no vehicle"):
        upload_items(mission_items(), url, planned_home=HOME, method=method, timeout_s=1, heartbeat_timeout_s=1.5)
    assert time.monotonic() - start < 10


def test_home_far_from_plan_is_refused(vehicle_factory):
    _, url = vehicle_factory(home=Home(37.7, 127.295, 50.0))
    with pytest.raises(UploadError, match="re-plan with --home"):
        upload_items(mission_items(), url, planned_home=HOME, method="pymavlink", timeout_s=1.5,
                     heartbeat_timeout_s=5)


def test_upload_to_mavsdk_autopilot_server():
    """MAVSDK's autopilot server asks with MISSION_REQUEST_INT and serves the read-back itself."""
    mavsdk = pytest.importorskip("mavsdk")
    from mavsdk.plugins.mission_raw_server import MissionRawServer

    port = free_udp_port()
    autopilot = mavsdk.Mavsdk(mavsdk.Configuration.create_with_component_type(mavsdk.ComponentType.AUTOPILOT))
    try:
        autopilot.add_any_connection(f"udpout://127.0.0.1:{port}")
        server = MissionRawServer(autopilot.server_component(0))
        arrived = []
        done = threading.Event()
        server.subscribe_incoming_mission(lambda result, plan, _: (arrived.extend(plan.mission_items), done.set()))
        result = upload_items(mission_items(), f"udp:127.0.0.1:{port}", planned_home=HOME, method="auto",
                              timeout_s=1.0, heartbeat_timeout_s=5)
        assert done.wait(5)
    finally:
        autopilot.destroy()
    assert (result.method, result.request_type, result.verified) == ("pymavlink", "MISSION_REQUEST_INT", True)
    assert [(a.command, a.x, a.y) for a in arrived] == [(m.command, round(m.x * 1e7), round(m.y * 1e7))
                                                       for m in mission_items()]


def test_upload_command_line(vehicle_factory, tmp_path):
    """`firewatch upload` on a real QGC WPL file, through the real CLI entry point."""
    import subprocess
    import sys

    vehicle, url = vehicle_factory(request="MISSION_REQUEST_INT")
    path = tmp_path / "mission.waypoints"
    rows = ["QGC WPL 110", "\t".join(["0", "1", "0", "16", "0", "0", "0", "0", f"{HOME.lat:.8f}", f"{HOME.lon:.8f}",
                                       f"{HOME.alt_amsl_m:.6f}", "1"])]
    for seq, item in enumerate(mission_items(), start=1):
        rows.append("\t".join([str(seq), "0", str(item.frame), str(item.command)] + [f"{p:.8f}" for p in item.params]
                              + [f"{item.x:.8f}", f"{item.y:.8f}", f"{item.z:.6f}", "1"]))
    path.write_text("\n".join(rows) + "\n")
    done = subprocess.run([sys.executable, "-m", "firewatch", "upload", str(path), "--connect", url, "--method",
                           "pymavlink", "--timeout", "2"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "MISSION_ACK accepted" in done.stdout and "6 items" in done.stdout
    assert len(stored_as_items(vehicle)) == 6
    from typer.testing import CliRunner

    from firewatch.cli import app

    silent = CliRunner().invoke(app, ["upload", str(path), "--connect", f"udp:127.0.0.1:{free_udp_port()}",
                                      "--heartbeat-timeout", "1"])
    assert isinstance(silent.exception, UploadError) and "no vehicle" in str(silent.exception)


def test_planned_orbit_file_uploads_exactly(vehicle_factory, tmp_path):
    """Plan → .plan file → upload → the vehicle holds exactly the planned items (integer 1e-7° positions)."""
    from flightplans.exporters import export_mission
    from flightplans.mission import mav_items
    from flightplans.orbit import plan_orbit
    from flightplans.vehicle.upload import upload_mission_file
    from ingest.terrain import Terrain

    terrain = Terrain.flat(HOME.alt_amsl_m)
    mission = plan_orbit(HOME.lon + 0.004, HOME.lat + 0.003, home_lon=HOME.lon, home_lat=HOME.lat, terrain=terrain)
    (path,), _ = export_mission(mission, tmp_path / "orbit.plan", terrain=terrain)
    vehicle, url = vehicle_factory(request="MISSION_REQUEST_INT")
    result = upload_mission_file(path, url, method="pymavlink", timeout_s=2, heartbeat_timeout_s=5)
    assert result.verified and result.home_offset_m == pytest.approx(0.0, abs=0.05)
    stored = vehicle.stored[1:]
    planned = mav_items(mission)
    assert len(stored) == len(planned)
    for (command, frame, _params, x, y, z, _auto), item in zip(stored, planned):
        assert (command, frame, x, y) == (item.command, item.frame, round(item.x * 1e7), round(item.y * 1e7))
        assert z == pytest.approx(item.z, abs=1e-4)
