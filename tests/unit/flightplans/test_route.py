"""Multi-incident routes: priority order, short paths (brute-force oracle), sorties within the battery, detours
around the real P-73A prohibited area."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from fp_terrain import CENTRE_LAT, CENTRE_LON, offset_lonlat
from shapely.geometry import LineString

from flightplans.config import AircraftConfig, FlightPlanConfig, SafetyConfig
from flightplans.errors import NoSafePlan
from flightplans.geo import LocalFrame, load_no_fly_zones
from flightplans.mission import ReturnToLaunch, Takeoff, Waypoint
from flightplans.route import RouteTarget, plan_route, short_path
from flightplans.safety import check_mission


def target(name, east_m, north_m, cls="nominal", **kwargs):
    lon, lat = offset_lonlat(CENTRE_LON, CENTRE_LAT, east_m, north_m)
    return RouteTarget(name, lat, lon, cls, **kwargs)


def test_priority_tiers_come_first(flat_terrain):
    targets = [target("near-low", 200, 0, "low"), target("far-high", 1500, 1500, "high"),
               target("mid-nominal", -600, 300), target("growing", -900, -200, extra={"growth_m2_per_h": 500.0})]
    mission = plan_route(targets, home_lon=CENTRE_LON, home_lat=CENTRE_LAT, terrain=flat_terrain)
    assert mission.metadata["order"] == ["far-high", "growing", "mid-nominal", "near-low"]


@pytest.mark.parametrize("seed", range(5))
def test_short_path_is_close_to_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    points = rng.uniform(-2000, 2000, size=(7, 2))
    start = np.zeros(2)

    def length(order):
        seq = np.vstack([start, points[list(order)]])
        return float(np.sum(np.hypot(*np.diff(seq, axis=0).T)))

    best = min(length(p) for p in itertools.permutations(range(len(points))))
    order = short_path(points, start)
    assert sorted(order) == list(range(len(points)))
    assert length(order) <= best * 1.05


def test_sorties_fit_the_battery_and_visit_everything_once(flat_terrain):
    config = FlightPlanConfig(aircraft=AircraftConfig(battery_minutes=12.0))
    targets = [target(f"f{k}", 1500 * math.cos(k), 1500 * math.sin(k)) for k in range(6)]
    mission = plan_route(targets, home_lon=CENTRE_LON, home_lat=CENTRE_LAT, terrain=flat_terrain, config=config)
    flights = mission.flights()
    assert len(flights) > 1
    assert sorted(mission.metadata["order"]) == sorted(t.incident_id for t in targets)
    report = check_mission(mission, flat_terrain, config)
    for flight, figures in zip(flights, report.flights):
        assert isinstance(flight.items[0], Takeoff) and isinstance(flight.items[-1], ReturnToLaunch)
        assert figures.duration_s <= config.aircraft.usable_minutes * 60
    holds = [i for f in flights for i in f.items if isinstance(i, Waypoint) and i.hold_s > 0]
    assert len(holds) == len(targets)


def test_unreachable_incident_says_why(flat_terrain):
    config = FlightPlanConfig(aircraft=AircraftConfig(battery_minutes=4.0))
    with pytest.raises(NoSafePlan, match=r"incident far .* needs \d+\.\d min there and back but the battery allows "
                                         r"3\.0 min"):
        plan_route([target("far", 2500, 0)], home_lon=CENTRE_LON, home_lat=CENTRE_LAT, terrain=flat_terrain,
                   config=config)


@pytest.mark.realdata
def test_route_goes_round_p73a(shared_data, flat_terrain):
    zones = load_no_fly_zones(shared_data / "airspace" / "RK_P73A_from_vworld_LT_C_AISPRHC.geojson")
    home_lon, home_lat = 126.925, 37.545      # west of the prohibited area (Mapo)
    fire = RouteTarget("east", 37.535, 127.05)  # east of it (Seongdong)
    # a long-range aircraft (Matrice 350 RTK: 55 min specified hover time) for a 25 km round trip
    config = FlightPlanConfig(safety=SafetyConfig(max_distance_from_home_m=15000.0),
                              aircraft=AircraftConfig(name="M350 RTK", cruise_speed_mps=15.0, battery_minutes=55.0))
    mission = plan_route([fire], home_lon=home_lon, home_lat=home_lat, terrain=flat_terrain, config=config,
                         zones=zones)
    frame = LocalFrame(home_lon, home_lat)
    flight = mission.flights()[0]
    path = [(0.0, 0.0)] + [tuple(frame.to_xy(i.lon, i.lat)) for i in flight.items if isinstance(i, Waypoint)]
    path.append((0.0, 0.0))
    zone_xy = frame.geom_to_xy(zones[0].geometry)
    assert not LineString(path).intersects(zone_xy)
    straight = 2 * math.hypot(*frame.to_xy(fire.lon, fire.lat))
    assert mission.metadata["summary"]["distance_m"] > straight
