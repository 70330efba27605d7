"""The MAVLink mission protocol through pymavlink: read home, upload (MISSION_REQUEST and MISSION_REQUEST_INT),
confirm MISSION_ACK, download for read-back. Every wait is bounded by ``timeout_s``."""

from __future__ import annotations

import math
import time

import numpy as np

from pymavlink import mavutil

from flightplans.errors import UploadError
from flightplans.mission import Home, MavItem

mavlink = mavutil.mavlink
#: Each request is resent this many times before the transfer times out (MAVLink mission protocol: retries).
_RETRIES = 3


class MissionLink:
    """A GCS-side MAVLink connection to one vehicle (the first that sends a HEARTBEAT)."""

    def __init__(self, url: str, *, timeout_s: float, heartbeat_timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s
        try:
            self.conn = mavutil.mavlink_connection(url, source_system=255, source_component=190,
                                                   dialect="common", autoreconnect=False)
        except OSError as exc:
            raise UploadError(f"cannot open {url}: {exc}") from exc
        heartbeat = self._wait_heartbeat(heartbeat_timeout_s)
        self.target_system, self.target_component = heartbeat.get_srcSystem(), heartbeat.get_srcComponent()
        self.autopilot = heartbeat.autopilot

    def _wait_heartbeat(self, timeout_s: float):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.conn.recv_match(type="HEARTBEAT", blocking=True, timeout=0.2)
            if msg is not None and msg.type != mavlink.MAV_TYPE_GCS:
                return msg
        self.close()
        raise UploadError(f"no vehicle on {self.url}: no HEARTBEAT within {timeout_s:g} s; check --connect, the "
                          "telemetry link and that the autopilot is powered")

    @property
    def is_ardupilot(self) -> bool:
        return self.autopilot == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA

    def close(self) -> None:
        self.conn.close()

    def _recv(self, types: list[str], timeout_s: float):
        msg = self.conn.recv_match(type=types, blocking=True, timeout=timeout_s)
        if msg is not None and msg.get_srcSystem() != self.target_system:
            return None
        return msg

    # ------------------------------------------------------------------ home
    def read_home(self) -> Home | None:
        """Home position: HOME_POSITION on request (MAV_CMD_REQUEST_MESSAGE), or mission item 0 on ArduPilot."""
        if self.is_ardupilot:
            items = self.download(limit=1)
            if items and not (items[0].x == 0 and items[0].y == 0):
                return Home(items[0].x, items[0].y, items[0].z)
        self.conn.mav.command_long_send(self.target_system, self.target_component, mavlink.MAV_CMD_REQUEST_MESSAGE,
                                        0, mavlink.MAVLINK_MSG_ID_HOME_POSITION, 0, 0, 0, 0, 0, 0)
        deadline = time.monotonic() + min(self.timeout_s, 2.0)
        while time.monotonic() < deadline:
            msg = self._recv(["HOME_POSITION"], 0.2)
            if msg is not None:
                return Home(msg.latitude / 1e7, msg.longitude / 1e7, msg.altitude / 1000.0)
        return None

    # ------------------------------------------------------------------ upload
    def upload(self, items: list[MavItem]) -> str:
        """Send ``items`` (seq 0 first); returns the request type the vehicle used. Raises UploadError."""
        count = len(items)
        request_type = "none"
        sent = set()
        for _ in range(_RETRIES):
            self.conn.mav.mission_count_send(self.target_system, self.target_component, count, 0)
            deadline = time.monotonic() + self.timeout_s
            while time.monotonic() < deadline:
                msg = self._recv(["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], 0.2)
                if msg is None:
                    continue
                if getattr(msg, "mission_type", 0) != 0:
                    continue
                if msg.get_type() == "MISSION_ACK":
                    if msg.type != mavlink.MAV_MISSION_ACCEPTED:
                        name = mavlink.enums["MAV_MISSION_RESULT"][msg.type].name
                        raise UploadError(f"vehicle on {self.url} rejected the mission: {name} "
                                          f"({mavlink.enums['MAV_MISSION_RESULT'][msg.type].description})")
                    if len(sent) < count:
                        raise UploadError(f"vehicle on {self.url} acknowledged after only {len(sent)} of {count} "
                                          "items")
                    return request_type
                seq = msg.seq
                if not 0 <= seq < count:
                    raise UploadError(f"vehicle on {self.url} requested item {seq} of a {count}-item mission")
                request_type = msg.get_type()
                self._send_item(seq, items[seq], as_int=request_type == "MISSION_REQUEST_INT")
                sent.add(seq)
                deadline = time.monotonic() + self.timeout_s
            if sent:
                break
        raise UploadError(f"upload to {self.url} timed out after {self.timeout_s:g} s "
                          f"({len(sent)} of {count} items requested, no MISSION_ACK)")

    def _send_item(self, seq: int, item: MavItem, *, as_int: bool) -> None:
        p1, p2, p3, p4 = item.params
        if as_int:
            self.conn.mav.mission_item_int_send(self.target_system, self.target_component, seq, item.frame,
                                                item.command, 0, item.autocontinue, p1, p2, p3, p4,
                                                int(round(item.x * 1e7)), int(round(item.y * 1e7)), item.z, 0)
        else:
            self.conn.mav.mission_item_send(self.target_system, self.target_component, seq, item.frame,
                                            item.command, 0, item.autocontinue, p1, p2, p3, p4,
                                            item.x, item.y, item.z, 0)

    # ------------------------------------------------------------------ download
    def download(self, *, limit: int | None = None) -> list[MavItem]:
        """Read the vehicle's mission (all items, or the first ``limit``) with MISSION_REQUEST_INT."""
        count_msg = None
        for _ in range(_RETRIES):
            self.conn.mav.mission_request_list_send(self.target_system, self.target_component, 0)
            count_msg = self._wait(["MISSION_COUNT"], self.timeout_s)
            if count_msg is not None:
                break
        if count_msg is None:
            raise UploadError(f"vehicle on {self.url} did not answer MISSION_REQUEST_LIST within "
                              f"{self.timeout_s:g} s (read-back timed out)")
        total = count_msg.count if limit is None else min(limit, count_msg.count)
        items = []
        for seq in range(total):
            msg = None
            for _ in range(_RETRIES):
                self.conn.mav.mission_request_int_send(self.target_system, self.target_component, seq, 0)
                msg = self._wait(["MISSION_ITEM_INT"], self.timeout_s, seq=seq)
                if msg is not None:
                    break
            if msg is None:
                raise UploadError(f"vehicle on {self.url} did not send mission item {seq} within "
                                  f"{self.timeout_s:g} s (read-back timed out)")
            items.append(MavItem(msg.command, msg.frame, (msg.param1, msg.param2, msg.param3, msg.param4),
                                 msg.x / 1e7, msg.y / 1e7, msg.z, msg.autocontinue))
        if limit is None or total == count_msg.count:
            self.conn.mav.mission_ack_send(self.target_system, self.target_component,
                                           mavlink.MAV_MISSION_ACCEPTED, 0)
        return items

    def _wait(self, types: list[str], timeout_s: float, seq: int | None = None):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self._recv(types, 0.2)
            if msg is not None and (seq is None or msg.seq == seq):
                return msg
        return None


def same_item(sent: MavItem, back: MavItem, *, float_coordinates: bool) -> bool:
    """True when ``back`` is ``sent`` after MAVLink's encoding (float32 params and z; lat/lon as int 1e-7 degrees, or
    float32 when ``float_coordinates`` — then within one float32 step plus the autopilot's 1e-7° integer rounding)."""

    def eq(a, b):
        a, b = np.float32(a), np.float32(b)
        return bool((math.isnan(a) and math.isnan(b)) or a == b)

    if (sent.command, sent.frame, sent.autocontinue) != (back.command, back.frame, back.autocontinue):
        return False
    if not all(eq(a, b) for a, b in zip(sent.params, back.params)) or not eq(sent.z, back.z):
        return False
    if float_coordinates:
        return all(abs(a - b) <= float(np.spacing(np.float32(a))) + 1e-7
                   for a, b in ((sent.x, back.x), (sent.y, back.y)))
    return (round(sent.x * 1e7) == round(back.x * 1e7)) and (round(sent.y * 1e7) == round(back.y * 1e7))
