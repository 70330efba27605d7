"""Every exported .plan and .waypoints imports into MAVSDK (the native mavsdk 4 binding, its C++ importers) and the
items equal the plan's; the imported items then travel over the MAVLink mission protocol to a second MAVSDK instance
acting as the autopilot (MissionRawServer) on loopback and arrive unchanged."""

from __future__ import annotations

import math
import socket
import threading

import affine
import numpy as np
import pyproj
import pytest

from flightplans.exporters import export_mission
from flightplans.mission import MavItem, mav_items
from flightplans.orbit import plan_orbit
from flightplans.route import RouteTarget, plan_route
from flightplans.survey import plan_survey
from ingest.terrain import Terrain

mavsdk = pytest.importorskip("mavsdk")
from mavsdk import ComponentType, Configuration, Mavsdk  # noqa: E402
from mavsdk.plugins.mission_raw import MissionRaw  # noqa: E402
from mavsdk.plugins.mission_raw_server import MissionRawServer  # noqa: E402

LON0, LAT0 = 127.30, 37.60


def ridge_terrain() -> Terrain:
    """4 km × 4 km UTM 52N DEM with a 120 m ridge across it (10 m cells)."""
    crs = pyproj.CRS.from_epsg(32652)
    cx, cy = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(LON0, LAT0)
    offsets = -2000.0 + 10.0 * (np.arange(400) + 0.5)
    dx, dy = np.meshgrid(offsets, -offsets)
    elevation = 150.0 + 120.0 * np.exp(-(dx + dy) ** 2 / (2 * 300.0 ** 2))
    return Terrain.from_array(elevation, transform=affine.Affine(10.0, 0, cx - 2000, 0, -10.0, cy + 2000), crs=crs)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Loopback:
    """A MAVSDK ground station connected to a MAVSDK autopilot (MissionRawServer) over UDP on 127.0.0.1."""

    def __init__(self) -> None:
        port = free_udp_port()
        self.autopilot = Mavsdk(Configuration.create_with_component_type(ComponentType.AUTOPILOT))
        self.autopilot.add_any_connection(f"udpin://127.0.0.1:{port}")
        self.server = MissionRawServer(self.autopilot.server_component(0))
        self.received: list = []
        self.arrived = threading.Event()
        self.server.subscribe_incoming_mission(self._incoming)
        self.gcs = Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))
        self.gcs.add_any_connection(f"udpout://127.0.0.1:{port}")
        system = self.gcs.first_autopilot(10.0)
        if system is None:
            pytest.skip("MAVSDK autopilot on loopback did not appear within 10 s")
        self.mission = MissionRaw(system)

    def _incoming(self, result, plan, _user_data) -> None:
        self.received = list(plan.mission_items)
        self.arrived.set()

    def upload(self, items) -> list:
        self.arrived.clear()
        self.mission.upload_mission(items)
        assert self.arrived.wait(10.0), "MAVSDK autopilot never reported the incoming mission"
        return self.received

    def close(self) -> None:
        self.gcs.destroy()
        self.autopilot.destroy()


@pytest.fixture(scope="module")
def loopback():
    link = Loopback()
    yield link
    link.close()


@pytest.fixture(scope="module")
def missions():
    terrain = ridge_terrain()
    home = dict(home_lon=LON0 - 0.008, home_lat=LAT0 - 0.006, terrain=terrain)
    orbit = plan_orbit(LON0 + 0.003, LAT0 + 0.002, **home)
    from shapely.geometry import Point

    survey = plan_survey(Point(LON0 + 0.002, LAT0 - 0.001).buffer(0.0012), **home)
    route = plan_route([RouteTarget("a", LAT0 + 0.004, LON0 + 0.004), RouteTarget("b", LAT0 - 0.004, LON0 + 0.006)],
                       **home)
    return terrain, {"orbit": orbit, "survey": survey, "route": route.flights()[0]}


def f32(value: float) -> np.float32:
    return np.float32(value)


def same(expected: MavItem, got) -> bool:
    def eq(a, b):
        return bool((math.isnan(f32(a)) and math.isnan(f32(b))) or f32(a) == f32(b))

    return (got.command == expected.command and got.frame == expected.frame
            and all(eq(a, b) for a, b in zip(expected.params, (got.param1, got.param2, got.param3, got.param4)))
            and got.x == round(expected.x * 1e7) and got.y == round(expected.y * 1e7) and eq(expected.z, got.z))


@pytest.mark.parametrize("name", ["orbit", "survey", "route"])
def test_plan_imports_into_mavsdk_and_reaches_the_autopilot(loopback, missions, tmp_path, name):
    terrain, plans = missions
    mission = plans[name]
    (path,), _ = export_mission(mission, tmp_path / f"{name}.plan", terrain=terrain)
    imported = loopback.mission.import_qgroundcontrol_mission(str(path))
    expected = mav_items(mission)
    assert len(imported.mission_items) == len(expected)
    for want, got in zip(expected, imported.mission_items):
        assert same(want, got), (want, str(got))
    arrived = loopback.upload(imported.mission_items)
    assert len(arrived) == len(expected)
    for want, got in zip(expected, arrived):
        assert same(want, got), (want, str(got))


@pytest.mark.parametrize("name", ["orbit", "survey", "route"])
def test_waypoints_import_into_mavsdk(loopback, missions, tmp_path, name):
    terrain, plans = missions
    mission = plans[name]
    (path,), _ = export_mission(mission, tmp_path / f"{name}.waypoints", terrain=terrain)
    imported = loopback.mission.import_mission_planner_mission(str(path)).mission_items
    expected = mav_items(mission, include_home=True)  # MAVSDK keeps row 0 (home, AMSL) as item 0
    assert len(imported) == len(expected)
    for want, got in zip(expected, imported):
        assert same(want, got), (want, str(got))
    arrived = loopback.upload(imported)
    assert [a.command for a in arrived] == [e.command for e in expected]
