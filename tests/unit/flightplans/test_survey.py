"""Survey: QGC spacing/trigger formulas by hand, lines along the long axis, ≥ 99 % coverage of the area by image
footprints projected with ingest.camera + ingest.pose, terrain following, no-fly refusal."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from fp_terrain import CENTRE_LAT, CENTRE_LON, offset_lonlat
from shapely import affinity
from shapely.geometry import Point, Polygon, box, shape
from shapely.ops import unary_union

from flightplans.config import FlightPlanConfig
from flightplans.errors import NoSafePlan
from flightplans.geo import LocalFrame, NoFlyZone
from flightplans.mission import CameraTriggerDistance, Waypoint
from flightplans.survey import plan_survey
from ingest.pose import camera_to_enu

GEOD = pyproj.Geod(ellps="WGS84")
FIRE_LON, FIRE_LAT = offset_lonlat(CENTRE_LON, CENTRE_LAT, -200.0, -300.0)
HOME_LON, HOME_LAT = offset_lonlat(CENTRE_LON, CENTRE_LAT, -900.0, -900.0)


def perimeter(frame: LocalFrame, angle_deg: float = 30.0, length_m: float = 800.0) -> Polygon:
    """A ``length_m`` × 200 m burn scar rotated ``angle_deg`` counter-clockwise from east, lon/lat."""
    return frame.geom_to_lonlat(affinity.rotate(box(-length_m / 2, -100, length_m / 2, 100), angle_deg,
                                                origin=(0, 0)))


def camera_lines(mission):
    """Polylines flown with the distance trigger on: [(lon, lat, altitude_rel_m), ...] each."""
    lines, current, last_wp = [], None, None
    for item in mission.items:
        if isinstance(item, Waypoint):
            if current is not None:
                current.append(item)
            last_wp = item
        elif isinstance(item, CameraTriggerDistance):
            if item.distance_m > 0:
                current = [last_wp]
            else:
                lines.append(current)
                current = None
    return lines


def footprint(camera, lon, lat, height_m, heading_deg, frame: LocalFrame) -> Polygon:
    """Ground outline of a nadir image (flat ground ``height_m`` below), local metres: corners projected."""
    rotation = camera_to_enu(heading_deg, -90.0)
    h, w = camera.height_px, camera.width_px
    corners = camera.pixel_to_ray([-0.5, -0.5, h - 0.5, h - 0.5], [-0.5, w - 0.5, w - 0.5, -0.5])
    x0, y0 = frame.to_xy(lon, lat)
    enu = corners @ rotation.T
    scale = height_m / -enu[:, 2]
    return Polygon(np.column_stack([x0 + enu[:, 0] * scale, y0 + enu[:, 1] * scale]))


def photos(line, trigger_m, frame):
    """Capture points every ``trigger_m`` along a polyline starting at its first point (trigger-now on start)."""
    xs, ys = frame.to_xy([p.lon for p in line], [p.lat for p in line])
    seg = np.hypot(np.diff(xs), np.diff(ys))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    shots = np.arange(0.0, cum[-1] + 1e-9, trigger_m)
    heading = math.degrees(math.atan2(xs[-1] - xs[0], ys[-1] - ys[0]))
    return np.interp(shots, cum, xs), np.interp(shots, cum, ys), heading


def test_qgc_formulas_by_hand(flat_terrain):
    frame = LocalFrame(FIRE_LON, FIRE_LAT)
    mission = plan_survey(perimeter(frame), home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain)
    across = 2 * 100 * math.tan(math.radians(49.4 / 2))  # 91.99 m
    along = 2 * 100 * math.tan(math.radians(40.4 / 2))   # 73.59 m
    assert mission.metadata["line_spacing_m"] == pytest.approx(across * 0.3, abs=0.01)
    assert mission.metadata["trigger_distance_m"] == pytest.approx(along * 0.3, abs=0.01)
    assert mission.metadata["line_angle_deg"] % 180 == pytest.approx(30.0, abs=0.5)


@pytest.mark.parametrize("angle_deg", [30.0, 100.0])
def test_coverage_at_least_99_percent(flat_terrain, angle_deg):
    config = FlightPlanConfig()
    frame = LocalFrame(FIRE_LON, FIRE_LAT)
    mission = plan_survey(perimeter(frame, angle_deg), home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain,
                          config=config)
    area = frame.geom_to_xy(shape(mission.metadata["area_geojson"]))
    camera = config.camera.camera()
    prints = []
    for line in camera_lines(mission):
        height = mission.home.alt_amsl_m + line[0].altitude_m - 50.0  # flat ground at 50 m AMSL
        xs, ys, heading = photos(line, mission.metadata["trigger_distance_m"], frame)
        for x, y in zip(xs, ys):
            lon, lat = frame.to_lonlat(x, y)
            prints.append(footprint(camera, lon, lat, height, heading, frame))
    covered = unary_union(prints).intersection(area).area / area.area
    assert covered >= 0.99, covered


def test_terrain_following_over_the_hill(hill_terrain):
    frame = LocalFrame(*offset_lonlat(CENTRE_LON, CENTRE_LAT, 400.0, 400.0))  # on the hill's flank
    mission = plan_survey(perimeter(frame, length_m=500.0), home_lon=HOME_LON, home_lat=HOME_LAT,
                          terrain=hill_terrain)
    lines = camera_lines(mission)
    assert max(len(line) for line in lines) > 2  # points were inserted where the ground changes
    summary = mission.metadata["summary"]
    assert 90.0 - 1e-6 <= summary["min_clearance_m"] and summary["max_agl_m"] <= 110.0 + 1e-6


def test_survey_over_a_no_fly_zone_is_refused(flat_terrain):
    frame = LocalFrame(FIRE_LON, FIRE_LAT)
    zone = NoFlyZone("P-9", frame.geom_to_lonlat(Point(300, 0).buffer(100)))
    with pytest.raises(NoSafePlan, match="overlaps no-fly zone P-9"):
        plan_survey(perimeter(frame), home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain, zones=[zone])


def test_long_survey_is_split_into_sorties(flat_terrain):
    config = FlightPlanConfig()
    config.aircraft.battery_minutes = 14.0
    frame = LocalFrame(FIRE_LON, FIRE_LAT)
    mission = plan_survey(perimeter(frame), home_lon=HOME_LON, home_lat=HOME_LAT, terrain=flat_terrain,
                          config=config)
    flights = mission.flights()
    assert len(flights) > 1
    flown = [number for flight in flights for number in flight.metadata["lines"]]
    assert flown == list(range(1, mission.metadata["lines"] + 1))  # every line once, in order
    assert mission.metadata["summary"]["sorties"] == len(flights)
    for flight in flights:
        triggers = [i for i in flight.items if isinstance(i, CameraTriggerDistance)]
        assert len(triggers) == 2 * len(flight.metadata["lines"])
