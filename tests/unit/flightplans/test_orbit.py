"""Orbit geometry: the target stays in the camera's view at every flown point (projected with ingest.camera and
ingest.pose), radius and spacing by hand, no-fly and pitch refusals."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from fp_terrain import CENTRE_LAT, CENTRE_LON, offset_lonlat
from shapely.geometry import Point

from flightplans.config import FlightPlanConfig
from flightplans.errors import NoSafePlan
from flightplans.geo import LocalFrame, NoFlyZone
from flightplans.mission import ROINone, SetROI, Waypoint
from flightplans.orbit import plan_orbit
from ingest.pose import camera_to_enu

GEOD = pyproj.Geod(ellps="WGS84")
TARGET = offset_lonlat(CENTRE_LON, CENTRE_LAT, 300.0, 400.0)
HOME_LON, HOME_LAT = offset_lonlat(CENTRE_LON, CENTRE_LAT, -800.0, -600.0)


def orbit_waypoints(mission):
    """Waypoints flown while the ROI is set (the orbit itself)."""
    inside, out = False, []
    for item in mission.items:
        if isinstance(item, SetROI):
            inside = True
        elif isinstance(item, ROINone):
            inside = False
        elif inside and isinstance(item, Waypoint):
            out.append(item)
    return out


def target_pixels(mission, terrain, config: FlightPlanConfig):
    camera = config.camera.camera()
    target_lon, target_lat = mission.metadata["target"]["lon"], mission.metadata["target"]["lat"]
    target_alt = float(terrain.elevation_at(target_lon, target_lat))
    pitch = mission.metadata["gimbal_pitch_deg"]
    pixels = []
    for wp in orbit_waypoints(mission):
        azimuth, _, distance = GEOD.inv(wp.lon, wp.lat, target_lon, target_lat)
        enu = np.array([distance * math.sin(math.radians(azimuth)), distance * math.cos(math.radians(azimuth)),
                        target_alt - (mission.home.alt_amsl_m + wp.altitude_m)])
        rotation = camera_to_enu(azimuth, pitch)  # heading toward the POI, gimbal at the planned pitch
        pixels.append(camera.ray_to_pixel(rotation.T @ enu))
    return np.array(pixels, dtype=float), camera


@pytest.mark.parametrize("terrain_name", ["flat_terrain", "hill_terrain"])
def test_target_stays_in_view_everywhere(request, terrain_name):
    terrain = request.getfixturevalue(terrain_name)
    config = FlightPlanConfig()
    mission = plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=terrain, config=config)
    pixels, camera = target_pixels(mission, terrain, config)
    assert len(pixels) >= 12
    rows, cols = pixels[:, 0], pixels[:, 1]
    assert np.all((rows >= 0) & (rows <= camera.height_px - 1)), rows
    assert np.all((cols >= 0) & (cols <= camera.width_px - 1)), cols
    assert np.allclose(cols, camera.cx_px, atol=0.5)  # heading straight at the fire


def test_radius_and_spacing_on_flat_ground(flat_terrain):
    mission = plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain)
    # 100 m above flat ground, gimbal -45°: r = 100 / tan 45° = 100 m and the fire is at the image centre
    assert mission.metadata["radius_m"] == pytest.approx(100.0, abs=0.01)
    pixels, camera = target_pixels(mission, flat_terrain, FlightPlanConfig())
    assert np.allclose(pixels[:, 0], camera.cy_px, atol=0.5)
    points = orbit_waypoints(mission)
    for a, b in zip(points[:-1], points[1:]):
        assert GEOD.inv(TARGET[0], TARGET[1], a.lon, a.lat)[2] == pytest.approx(100.0, abs=0.05)
        mid_lon, mid_lat = (a.lon + b.lon) / 2, (a.lat + b.lat) / 2
        assert GEOD.inv(TARGET[0], TARGET[1], mid_lon, mid_lat)[2] >= 100.0 - 1.0 - 0.05  # sagitta ≤ 1 m
    azimuths = np.radians([GEOD.inv(TARGET[0], TARGET[1], p.lon, p.lat)[0] for p in points])
    swept = np.degrees(np.sum(np.diff(np.unwrap(azimuths)))) + 360.0 / len(points)  # closes on the entry point
    assert abs(swept) == pytest.approx(360.0, abs=0.5)


def test_given_radius_that_loses_the_target_is_refused(flat_terrain):
    with pytest.raises(NoSafePlan, match="the fire leaves the image"):
        plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain, radius_m=600.0)


def test_pitch_must_look_down(flat_terrain):
    with pytest.raises(NoSafePlan, match="gimbal pitch 10.0° must be below the horizon"):
        plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain, gimbal_pitch_deg=10.0)


def test_no_fly_zone_refusals(flat_terrain):
    frame = LocalFrame(*TARGET)
    around = NoFlyZone("P-1", frame.geom_to_lonlat(Point(0, 0).buffer(50)))
    with pytest.raises(NoSafePlan, match="lies inside no-fly zone P-1"):
        plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain, zones=[around])
    beside = NoFlyZone("P-2", frame.geom_to_lonlat(Point(130, 0).buffer(20)))
    with pytest.raises(NoSafePlan, match="comes within .* of no-fly zone P-2"):
        plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain, zones=[beside])


def test_way_to_the_orbit_detours_around_a_zone(flat_terrain):
    # a zone between home and the fire: the plan goes round it and passes the safety check
    home_frame = LocalFrame(HOME_LON, HOME_LAT)
    tx, ty = home_frame.to_xy(*TARGET)
    block = NoFlyZone("P-3", home_frame.geom_to_lonlat(Point(tx / 2, ty / 2).buffer(150)))
    mission = plan_orbit(*TARGET, home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain, zones=[block])
    assert mission.metadata["summary"]["distance_m"] > 2 * math.hypot(tx, ty)
