"""Upload a mission file to a vehicle and prove it arrived.

Steps: connect and wait for a HEARTBEAT; read the vehicle's home and refuse when it is far from the plan's planned
home (the plan's altitudes are relative to that home); upload; confirm MISSION_ACK (accepted); read the mission back
and compare item by item. ``method="dronekit"`` uses dronekit (ArduPilot); ``"pymavlink"`` speaks the mission
protocol directly (MISSION_REQUEST and MISSION_REQUEST_INT); ``"auto"`` tries dronekit on ArduPilot and falls back
to pymavlink when the autopilot asks for MISSION_REQUEST_INT, and uses pymavlink for every other autopilot.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pyproj import Geod

from flightplans.errors import UploadError
from flightplans.mission import Home, MavItem, home_mav_item
from flightplans.readers import read_mission_file
from flightplans.vehicle.mission_protocol import MissionLink, same_item

log = logging.getLogger(__name__)
_GEOD = Geod(ellps="WGS84")

#: 50 m: further than that the vehicle is not where the plan was made for; on a 10 % slope the ground at the two
#: homes already differs by 5 m, half the 10 m terrain-following tolerance the altitudes were planned with.
MAX_HOME_OFFSET_M = 50.0


#: pymavlink's network link prefixes (mavutil.mavlink_connection); anything else is opened as a serial device.
_NETWORK_PREFIXES = ("udp:", "udpin:", "udpout:", "udpbcast:", "tcp:", "tcpin:")
_CONNECT_EXAMPLES = "e.g. udp:0.0.0.0:14550 (listen), tcp:192.168.1.10:5760 or a serial device such as /dev/ttyUSB0"


def check_connection(url: str) -> None:
    """Refuse a MAVLink connection string pymavlink/dronekit would fail on with a bare exception.

    Network links need ``PROTOCOL:HOST:PORT`` with a port in 1–65535; any other string is a serial device, which
    must exist (or be a Windows ``COMn`` port) and needs pyserial installed. Raises :class:`UploadError` naming
    the fix.
    """
    if url.startswith(_NETWORK_PREFIXES):
        host, sep, port = url.split(":", 1)[1].rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UploadError(f"connection {url!r}: expected PROTOCOL:HOST:PORT with a port 1-65535 "
                              f"({_CONNECT_EXAMPLES})")
        return
    if not re.fullmatch(r"COM\d+", url) and not Path(url).exists():
        raise UploadError(f"connection {url!r}: not a network link (udp:/tcp:HOST:PORT) and no such serial device; "
                          f"plug in the telemetry radio or fix the string ({_CONNECT_EXAMPLES})")
    if importlib.util.find_spec("serial") is None:
        raise UploadError(f"connection {url!r} is not a network link (udp:/tcp:HOST:PORT), so it would be opened as "
                          f"a serial device, which needs pyserial (pip install pyserial); {_CONNECT_EXAMPLES}")


@dataclass
class UploadResult:
    """What happened: how many items, which path, the vehicle's home, and that the read-back matched."""

    items: int
    method: str
    request_type: str
    vehicle_home: Home | None
    home_offset_m: float | None
    verified: bool


def _check_home(planned: Home | None, vehicle: Home | None, max_offset_m: float, url: str) -> float | None:
    if planned is None or vehicle is None:
        return None
    _, _, offset = _GEOD.inv(planned.lon, planned.lat, vehicle.lon, vehicle.lat)
    if offset > max_offset_m:
        raise UploadError(f"vehicle on {url} has its home {offset:.0f} m from the plan's planned home "
                          f"(lat {planned.lat:.6f}, lon {planned.lon:.6f}); the plan's altitudes are relative to that "
                          f"home — re-plan with --home {vehicle.lat:.6f},{vehicle.lon:.6f}")
    return offset


def _compare(sent: list[MavItem], back: list[MavItem], *, float_coordinates: bool, skip_first: bool, url: str) -> None:
    if len(back) != len(sent):
        raise UploadError(f"read-back from {url}: {len(back)} items on the vehicle, {len(sent)} uploaded")
    for seq, (a, b) in enumerate(zip(sent, back)):
        if skip_first and seq == 0:
            continue  # ArduPilot keeps its own home in row 0
        if not same_item(a, b, float_coordinates=float_coordinates):
            raise UploadError(f"read-back from {url}: item {seq} differs: sent {a}, vehicle has {b}")


def upload_items(items: list[MavItem], url: str, *, planned_home: Home | None = None, method: str = "auto",
                 timeout_s: float = 5.0, heartbeat_timeout_s: float = 10.0,
                 max_home_offset_m: float = MAX_HOME_OFFSET_M) -> UploadResult:
    """Upload mission ``items`` (without home) to the vehicle at ``url`` (e.g. ``udp:127.0.0.1:14550``)."""
    if method not in ("auto", "dronekit", "pymavlink"):
        raise UploadError(f"upload method {method!r} is not one of auto, dronekit, pymavlink")
    if not items:
        raise UploadError("the mission is empty: nothing to upload")
    check_connection(url)
    link = None
    if method == "auto":
        link = MissionLink(url, timeout_s=timeout_s, heartbeat_timeout_s=heartbeat_timeout_s)
        if link.is_ardupilot:
            link.close()
            link = None
    if link is None and method in ("auto", "dronekit"):
        from flightplans.vehicle.dronekit_shim import NeedsIntProtocol, upload_with_dronekit

        home_row = home_mav_item(planned_home or Home(0.0, 0.0, 0.0))
        try:
            home, back = upload_with_dronekit(
                url, [home_row] + items, timeout_s=timeout_s, heartbeat_timeout_s=heartbeat_timeout_s,
                check_home=lambda vehicle_home: _check_home(planned_home, vehicle_home, max_home_offset_m, url))
        except NeedsIntProtocol:
            if method == "dronekit":
                raise
            log.info("vehicle on %s requests MISSION_REQUEST_INT: switching to the pymavlink mission protocol", url)
        else:
            offset = _check_home(planned_home, home, max_home_offset_m, url)
            back_items = [MavItem(w.command, w.frame, (w.param1, w.param2, w.param3, w.param4), w.x, w.y, w.z,
                                  w.autocontinue) for w in back]
            _compare([home_row] + items, back_items, float_coordinates=True, skip_first=True, url=url)
            return UploadResult(len(items), "dronekit", "MISSION_REQUEST", home, offset, True)
    link = link or MissionLink(url, timeout_s=timeout_s, heartbeat_timeout_s=heartbeat_timeout_s)
    try:
        home = link.read_home()
        offset = _check_home(planned_home, home, max_home_offset_m, url)
        rows = ([home_mav_item(home or planned_home or Home(0.0, 0.0, 0.0))] if link.is_ardupilot else []) + items
        request_type = link.upload(rows)
        back = link.download()
        _compare(rows, back, float_coordinates=request_type == "MISSION_REQUEST", skip_first=link.is_ardupilot,
                 url=url)
        return UploadResult(len(items), "pymavlink", request_type, home, offset, True)
    finally:
        link.close()


def upload_mission_file(path: str | Path, url: str, **kwargs) -> UploadResult:
    """Upload a ``.plan`` or ``QGC WPL 110`` file (see :func:`upload_items` for the keyword options)."""
    planned_home, items = read_mission_file(path)
    return upload_items(items, url, planned_home=planned_home, **kwargs)
