"""Property tests over random terrains, fires, launch points and no-fly zones: an exported plan never breaks the
ceiling, the clearance, a no-fly zone, the distance from home or the battery — checked independently of
flightplans.safety, on the .waypoints file as pymavlink reads it, sampled every 2 m — and when no safe plan exists
the planner raises a typed error that says why."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from fp_terrain import CENTRE_LAT, CENTRE_LON, grid_terrain, offset_lonlat
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pymavlink import mavwp
from shapely.geometry import LineString, Point

from flightplans.config import AircraftConfig, FlightPlanConfig, PatternConfig, SafetyConfig
from flightplans.errors import NoSafePlan, TerrainCoverageError, UnsafePlan
from flightplans.exporters import export_mission
from flightplans.geo import LocalFrame, NoFlyZone
from flightplans.orbit import plan_orbit
from flightplans.route import RouteTarget, plan_route
from flightplans.survey import plan_survey

GEOD = pyproj.Geod(ellps="WGS84")
offsets = st.floats(-900.0, 900.0)


@st.composite
def scenarios(draw):
    hills = draw(st.lists(st.tuples(offsets, offsets, st.floats(0, 300), st.floats(150, 700)), min_size=0,
                          max_size=3))
    base = draw(st.floats(20, 600))

    def elevation(dx, dy):
        z = np.full(dx.shape, base)
        for hx, hy, height, width in hills:
            z = z + height * np.exp(-((dx - hx) ** 2 + (dy - hy) ** 2) / (2 * width ** 2))
        return z

    terrain = grid_terrain(elevation, cells=300, cell_m=10.0)  # 3 km × 3 km
    config = FlightPlanConfig(
        aircraft=AircraftConfig(battery_minutes=draw(st.floats(6, 40))),
        safety=SafetyConfig(ceiling_agl_m=draw(st.sampled_from([120.0, 150.0])),
                            min_clearance_m=draw(st.floats(10, 40)), max_distance_from_home_m=2500.0),
        pattern=PatternConfig(altitude_agl_m=draw(st.floats(60, 110))))
    zones = []
    if draw(st.booleans()):
        frame = LocalFrame(CENTRE_LON, CENTRE_LAT)
        zx, zy, radius = draw(offsets), draw(offsets), draw(st.floats(40, 400))
        zones.append(NoFlyZone("P-RANDOM", frame.geom_to_lonlat(Point(zx, zy).buffer(radius))))
    home = offset_lonlat(CENTRE_LON, CENTRE_LAT, draw(offsets), draw(offsets))
    fires = [offset_lonlat(CENTRE_LON, CENTRE_LAT, draw(offsets), draw(offsets))
             for _ in range(draw(st.integers(1, 3)))]
    return terrain, config, zones, home, fires


def verify_waypoints_file(path, terrain, config: FlightPlanConfig, zones) -> None:
    """Independent check of one exported flight, from the file as MAVWPLoader reads it."""
    loader = mavwp.MAVWPLoader()
    loader.load(str(path))
    rows = [loader.wp(k) for k in range(loader.count())]
    home = rows[0]
    speeds = [config.aircraft.cruise_speed_mps] + [r.param2 for r in rows if r.command == 178]
    takeoff = next(r for r in rows if r.command == 22)
    points = [(home.y, home.x, home.z + takeoff.z)]  # lon, lat, AMSL
    points += [(r.y, r.x, home.z + r.z) for r in rows[1:] if r.command == 16 and r.frame == 3]
    points.append((home.y, home.x, points[-1][2]))  # return to launch at the last altitude
    assert rows[-1].command == 20
    safety = config.safety
    total_m = 0.0
    for (lon0, lat0, z0), (lon1, lat1, z1) in zip(points[:-1], points[1:]):
        _, _, length = GEOD.inv(lon0, lat0, lon1, lat1)
        total_m += length
        t = np.linspace(0.0, 1.0, max(int(length / 2.0), 1) + 1)
        lons, lats = lon0 + t * (lon1 - lon0), lat0 + t * (lat1 - lat0)
        agl = z0 + t * (z1 - z0) - terrain.elevation_at(lons, lats)
        assert agl.min() >= safety.min_clearance_m - 0.5, ("clearance", agl.min())
        assert agl.max() <= safety.ceiling_agl_m + 0.5, ("ceiling", agl.max())
        for zone in zones:
            assert not zone.geometry.intersects(LineString([(lon0, lat0), (lon1, lat1)])), "no-fly"
        assert GEOD.inv(home.y, home.x, lon1, lat1)[2] <= safety.max_distance_from_home_m + 1.0
    # no aircraft covers the path faster than its fastest commanded speed
    assert total_m / max(speeds) / 60.0 <= config.aircraft.usable_minutes + 1e-6


SAYS_WHY = ("no-fly", "clearance", "ceiling", "battery", "min usable", "terrain", "home", "view", "image", "below",
            "limit")


def run(plan, scenario, tmp_path):
    terrain, config, zones, _, _ = scenario
    try:
        mission = plan()
    except (NoSafePlan, UnsafePlan, TerrainCoverageError) as exc:
        assert any(word in str(exc) for word in SAYS_WHY), str(exc)
        event(f"refused: {type(exc).__name__}")
        return
    event("planned and verified")
    files, _ = export_mission(mission, tmp_path / "p.waypoints", terrain=terrain, config=config)
    for path in files:
        verify_waypoints_file(path, terrain, config, zones)


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@SETTINGS
@given(scenario=scenarios())
def test_orbits_are_safe_or_refused(scenario, tmp_path):
    terrain, config, zones, home, fires = scenario
    run(lambda: plan_orbit(*fires[0], home_lon=home[0], home_lat=home[1], terrain=terrain, config=config,
                           zones=zones), scenario, tmp_path)


@SETTINGS
@given(scenario=scenarios(), radius_m=st.floats(30, 200))
def test_surveys_are_safe_or_refused(scenario, radius_m, tmp_path):
    terrain, config, zones, home, fires = scenario
    frame = LocalFrame(*fires[0])
    area = frame.geom_to_lonlat(Point(0, 0).buffer(radius_m))
    run(lambda: plan_survey(area, home_lon=home[0], home_lat=home[1], terrain=terrain, config=config, zones=zones),
        scenario, tmp_path)


@SETTINGS
@given(scenario=scenarios())
def test_routes_are_safe_or_refused(scenario, tmp_path):
    terrain, config, zones, home, fires = scenario
    targets = [RouteTarget(f"f{k}", lat, lon) for k, (lon, lat) in enumerate(fires)]
    run(lambda: plan_route(targets, home_lon=home[0], home_lat=home[1], terrain=terrain, config=config,
                           zones=zones), scenario, tmp_path)


def test_the_checker_itself_catches_a_violation(tmp_path, flat_terrain):
    """The independent checker above can fail: a hand-written file 10 m above flat ground breaks the clearance."""
    lon, lat = CENTRE_LON, CENTRE_LAT
    rows = ["QGC WPL 110", f"0\t1\t0\t16\t0\t0\t0\t0\t{lat:.8f}\t{lon:.8f}\t50.000000\t1",
            "1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t10.000000\t1",
            f"2\t0\t3\t16\t0\t0\t0\t0\t{lat + 0.001:.8f}\t{lon:.8f}\t10.000000\t1",
            "3\t0\t2\t20\t0\t0\t0\t0\t0\t0\t0\t1"]
    path = tmp_path / "low.waypoints"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(AssertionError, match="clearance"):
        verify_waypoints_file(path, flat_terrain, FlightPlanConfig(), [])
    assert math.isfinite(flat_terrain.elevation_at(lon, lat))
