"""The one place that imports dronekit 2.9.2 — its last release — on Python ≥ 3.10, and its mission handshake.

dronekit 2.9.2 uses ``collections.MutableMapping`` (moved to ``collections.abc`` and removed from ``collections`` in
Python 3.10), so the alias is restored before the import. Its ``commands.upload()`` answers only MISSION_REQUEST
(float MISSION_ITEM, ~0.4 m of float32 rounding at mid latitudes), never waits for MISSION_ACK, and spins forever when
an autopilot asks with MISSION_REQUEST_INT. :func:`upload_with_dronekit` therefore listens for MISSION_ACK itself,
notices MISSION_REQUEST_INT (raising :class:`NeedsIntProtocol` so the caller can switch to pymavlink), and reads the
mission back with ``commands.download()``.
"""

from __future__ import annotations

import collections
import collections.abc
import threading
import time
from typing import Callable

from pymavlink import mavutil

from flightplans.errors import UploadError
from flightplans.mission import Home, MavItem

if not hasattr(collections, "MutableMapping"):
    collections.MutableMapping = collections.abc.MutableMapping  # dronekit 2.9.2 on Python >= 3.10

import dronekit  # noqa: E402  (must follow the alias above)


class NeedsIntProtocol(UploadError):
    """The autopilot requests items with MISSION_REQUEST_INT, which dronekit cannot answer."""


def _connect(url: str, heartbeat_timeout_s: float):
    """dronekit Vehicle on ``url``, initialised within ``heartbeat_timeout_s``.

    ``Vehicle.initialize`` waits without a time limit for a flight mode and for the first PARAM_VALUE, so it runs in
    a daemon thread and is abandoned (connection closed) when the time is up.
    """
    try:
        vehicle = dronekit.connect(url, _initialize=False)
    except (dronekit.APIException, OSError) as exc:
        raise UploadError(f"cannot open {url}: {exc}") from exc
    failure: list[BaseException] = []

    def initialise() -> None:
        try:
            vehicle.initialize(rate=4, heartbeat_timeout=heartbeat_timeout_s)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            failure.append(exc)

    worker = threading.Thread(target=initialise, name="dronekit-initialise", daemon=True)
    worker.start()
    worker.join(heartbeat_timeout_s + 1.0)
    if worker.is_alive() or failure:
        vehicle.close()
        reason = failure[0] if failure else "no HEARTBEAT, flight mode and parameters"
        raise UploadError(f"no vehicle on {url}: {reason} within {heartbeat_timeout_s:g} s; check --connect, the "
                          "telemetry link and that the autopilot is powered")
    return vehicle


def _download(vehicle, url: str, timeout_s: float) -> list:
    commands = vehicle.commands
    commands.download()
    try:
        commands.wait_ready(timeout=timeout_s)
    except dronekit.TimeoutError as exc:
        raise UploadError(f"vehicle on {url} did not send its mission within {timeout_s:g} s (read-back timed "
                          "out)") from exc
    loader = vehicle._wploader
    return [loader.wp(k) for k in range(loader.count())]


def _raise_if_rejected(acks: list, url: str) -> None:
    for ack in acks:
        if ack.type != mavutil.mavlink.MAV_MISSION_ACCEPTED:
            result = mavutil.mavlink.enums["MAV_MISSION_RESULT"][ack.type]
            raise UploadError(f"vehicle on {url} rejected the mission: {result.name} ({result.description})")


def upload_with_dronekit(url: str, items: list[MavItem], *, timeout_s: float, heartbeat_timeout_s: float,
                         check_home: Callable[[Home | None], object] = lambda home: None) -> tuple[Home | None, list]:
    """Upload ``items`` (row 0 = home, ArduPilot convention) and return (vehicle home, items read back).

    ``check_home`` is called with the vehicle's home before anything is uploaded (it may raise UploadError).

    Raises :class:`UploadError` for no vehicle, timeouts and rejection, :class:`NeedsIntProtocol` when the autopilot
    asks for MISSION_ITEM_INT.
    """
    vehicle = _connect(url, heartbeat_timeout_s)
    acks: list = []
    int_requests: list = []
    seen = threading.Event()

    def on_ack(_vehicle, _name, msg):
        if getattr(msg, "mission_type", 0) == 0:
            acks.append(msg)
            seen.set()

    def on_request_int(_vehicle, _name, msg):
        int_requests.append(msg)
        seen.set()

    vehicle.add_message_listener("MISSION_ACK", on_ack)
    vehicle.add_message_listener("MISSION_REQUEST_INT", on_request_int)
    try:
        _download(vehicle, url, timeout_s)
        home_loc = vehicle.home_location
        home = Home(home_loc.lat, home_loc.lon, home_loc.alt) if home_loc else None
        check_home(home)
        commands = vehicle.commands
        commands.clear()
        for item in items[1:]:
            commands.add(dronekit.Command(0, 0, 0, item.frame, item.command, 0, item.autocontinue, *item.params,
                                          item.x, item.y, item.z))
        acks.clear()
        try:
            commands.upload(timeout=timeout_s)
        except dronekit.TimeoutError as exc:
            _raise_if_rejected(acks, url)
            if int_requests:
                raise NeedsIntProtocol(f"vehicle on {url} requests MISSION_REQUEST_INT") from exc
            raise UploadError(f"vehicle on {url} stopped requesting mission items ({timeout_s:g} s timeout)") from exc
        deadline = time.monotonic() + timeout_s
        while not acks and time.monotonic() < deadline:
            seen.wait(0.05)
            seen.clear()
        if not acks:
            raise UploadError(f"vehicle on {url} sent no MISSION_ACK within {timeout_s:g} s after the upload")
        _raise_if_rejected(acks, url)
        back = _download(vehicle, url, timeout_s)
        return home, back
    finally:
        vehicle.close()
