"""Safety rules on hand-built missions, with expected figures computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from fp_terrain import CENTRE_LAT, CENTRE_LON, grid_terrain, offset_lonlat
from shapely.geometry import box

from flightplans.config import AircraftConfig, FlightPlanConfig
from flightplans.errors import TerrainCoverageError, UnsafePlan
from flightplans.geo import LocalFrame, NoFlyZone
from flightplans.mission import AltitudeRef, Home, Mission, ReturnToLaunch, Takeoff, Waypoint
from flightplans.safety import check_mission

HOME = Home(CENTRE_LAT, CENTRE_LON, 50.0)


def out_and_back(east_m: float, rel_alt_m: float, *, home: Home = HOME, ref=AltitudeRef.RELATIVE) -> Mission:
    lon, lat = offset_lonlat(home.lon, home.lat, east_m, 0.0)
    return Mission(home, [Takeoff(100.0), Waypoint(lat, lon, rel_alt_m, ref), ReturnToLaunch()], "test")


def test_passing_plan_figures_by_hand(flat_terrain):
    report = check_mission(out_and_back(1000.0, 100.0), flat_terrain)
    # climb 100 m at 3 m/s, 1000 m out and 1000 m back at 10 m/s, descend 100 m at 2 m/s
    assert report.duration_s == pytest.approx(100 / 3 + 100 + 100 + 50, abs=0.05)
    assert report.distance_m == pytest.approx(2000.0, abs=0.1)
    assert report.max_agl_m == pytest.approx(100.0) and report.min_clearance_m == pytest.approx(100.0)
    assert report.to_dict()["sorties"] == 1


def test_ceiling(flat_terrain):
    with pytest.raises(UnsafePlan, match=r"130.0 m above ground .* over the 120 m ceiling"):
        check_mission(out_and_back(1000.0, 130.0), flat_terrain)
    korea = FlightPlanConfig()
    korea.safety.ceiling_agl_m = 150.0
    assert check_mission(out_and_back(1000.0, 130.0), flat_terrain, korea).max_agl_m == pytest.approx(130.0)


def test_clearance_is_checked_between_the_points():
    # a 150 m high, narrow ridge half-way: both waypoints are 100 m above their ground, the leg hits the ridge
    ridge = grid_terrain(lambda dx, dy: 200.0 + 150.0 * np.exp(-(dx - 500.0) ** 2 / (2 * 40.0 ** 2)))
    home = Home(CENTRE_LAT, CENTRE_LON, 200.0)
    with pytest.raises(UnsafePlan, match=r"leg take-off → item 1: clearance -?\d+\.\d m above terrain"):
        check_mission(out_and_back(1000.0, 100.0, home=home), ridge)


def test_no_fly_zone_crossing(flat_terrain):
    frame = LocalFrame(HOME.lon, HOME.lat)
    zone = NoFlyZone("P-TEST", frame.geom_to_lonlat(box(400, -50, 600, 50)))
    with pytest.raises(UnsafePlan, match="crosses no-fly zone P-TEST"):
        check_mission(out_and_back(1000.0, 100.0), flat_terrain, zones=[zone])


def test_distance_from_home(flat_terrain):
    with pytest.raises(UnsafePlan, match=r"6000 m from home, over the 5000 m limit"):
        check_mission(out_and_back(6000.0, 100.0), flat_terrain)


def test_endurance_with_reserve(flat_terrain):
    config = FlightPlanConfig(aircraft=AircraftConfig(battery_minutes=4.0, reserve_fraction=0.25))
    # 283.3 s = 4.7 min needed, 4 min × 0.75 = 3.0 min usable
    with pytest.raises(UnsafePlan, match=r"needs 4.7 min of flight but .* has 3.0 min usable"):
        check_mission(out_and_back(1000.0, 100.0), flat_terrain, config)


def test_structure_rules(flat_terrain):
    lon, lat = offset_lonlat(HOME.lon, HOME.lat, 500.0, 0.0)
    with pytest.raises(UnsafePlan, match="must end with return to launch"):
        check_mission(Mission(HOME, [Takeoff(100.0), Waypoint(lat, lon, 100.0)]), flat_terrain)
    with pytest.raises(UnsafePlan, match="first item must be a take-off"):
        check_mission(Mission(HOME, [Waypoint(lat, lon, 100.0), ReturnToLaunch()]), flat_terrain)


def test_terrain_relative_waypoints_follow_the_ground():
    slope = grid_terrain(lambda dx, dy: 300.0 + 0.05 * dx)
    home = Home(CENTRE_LAT, CENTRE_LON, 300.0)
    report = check_mission(out_and_back(1000.0, 100.0, home=home, ref=AltitudeRef.TERRAIN), slope)
    # the leg out interpolates 100 m above ground; the way home at 100 m AGL too (return at the last height)
    assert report.min_clearance_m == pytest.approx(100.0, abs=1e-6)
    assert report.max_agl_m == pytest.approx(100.0, abs=1e-6)


def test_plan_outside_the_dem(hill_terrain):
    with pytest.raises(TerrainCoverageError, match="give a DEM .* that covers the whole flight"):
        check_mission(out_and_back(4000.0, 100.0, home=Home(CENTRE_LAT, CENTRE_LON, 200.0)), hill_terrain)
