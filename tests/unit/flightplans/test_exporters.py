"""Exporters checked with real readers and against the real sample files: QGC .plan (structure of QGC's own SITL
plan), QGC WPL 110 (pymavlink.mavwp.MAVWPLoader), DJI WPML kmz (lxml, structure of DJI's sample), GeoJSON (shapely).
MAVSDK import of the same files is in tests/integration/test_plan_mavsdk.py."""

from __future__ import annotations

import json
import zipfile

import pytest
from fp_terrain import CENTRE_LAT, CENTRE_LON, offset_lonlat
from lxml import etree
from pymavlink import mavwp
from shapely.geometry import Point, shape

from flightplans.config import DJI_MODELS, AircraftConfig, FlightPlanConfig
from flightplans.errors import FlightPlanError, UnsafePlan
from flightplans.exporters import available_formats, export_mission, format_for_path, get_exporter
from flightplans.geo import LocalFrame, NoFlyZone
from flightplans.mission import mav_items
from flightplans.orbit import plan_orbit
from flightplans.readers import read_mission_file
from flightplans.route import RouteTarget, plan_route
from flightplans.survey import plan_survey

WPML = "{http://www.dji.com/wpmz/1.0.2}"
TARGET = offset_lonlat(CENTRE_LON, CENTRE_LAT, 300.0, 400.0)
HOME = offset_lonlat(CENTRE_LON, CENTRE_LAT, -800.0, -600.0)


@pytest.fixture(scope="module")
def zone():
    frame = LocalFrame(CENTRE_LON, CENTRE_LAT)
    return NoFlyZone("P-TEST", frame.geom_to_lonlat(Point(-1500, 1500).buffer(200)))


@pytest.fixture(scope="module")
def orbit(hill_terrain, zone):
    return plan_orbit(*TARGET, home_lon=HOME[0], home_lat=HOME[1], terrain=hill_terrain, zones=[zone])


@pytest.fixture(scope="module")
def survey(hill_terrain):
    frame = LocalFrame(*offset_lonlat(CENTRE_LON, CENTRE_LAT, -300.0, -200.0))
    return plan_survey(frame.geom_to_lonlat(Point(0, 0).buffer(120)), home_lon=HOME[0], home_lat=HOME[1],
                       terrain=hill_terrain)


def test_builtin_formats_registered():
    assert {"plan", "waypoints", "kmz", "geojson"} <= set(available_formats())
    assert format_for_path("x/route.WAYPOINTS") == "waypoints"
    with pytest.raises(FlightPlanError, match="cannot tell the format"):
        format_for_path("route.txt")
    with pytest.raises(FlightPlanError, match="unknown flight-plan format 'mp'"):
        get_exporter("mp")


@pytest.mark.realdata
def test_plan_has_qgc_structure(shared_data, orbit, tmp_path):
    (path,), _ = export_mission(orbit, tmp_path / "orbit.plan", terrain=_terrain(orbit), fmt="plan")
    doc = json.loads(path.read_text())
    sample = json.loads((shared_data / "flightplans" / "qgc_simple_square.plan").read_text())
    assert set(doc) == set(sample)
    assert set(doc["mission"]) == set(sample["mission"])
    assert (doc["fileType"], doc["version"], doc["mission"]["version"]) == ("Plan", 1, 2)
    assert doc["geoFence"]["version"] == 2 and doc["rallyPoints"] == {"points": [], "version": 2}
    (fence,) = doc["geoFence"]["polygons"]
    assert fence["inclusion"] is False
    lat, lon = fence["polygon"][0]  # QGC polygons are [lat, lon]
    assert orbit.no_fly_zones[0].geometry.buffer(1e-9).contains(Point(lon, lat))
    home = doc["mission"]["plannedHomePosition"]
    assert home == [orbit.home.lat, orbit.home.lon, orbit.home.alt_amsl_m]
    for item in doc["mission"]["items"]:
        assert set(sample["mission"]["items"][0]) >= set(item) - {"Altitude", "AltitudeMode", "AMSLAltAboveTerrain"}
        assert len(item["params"]) == 7
    home_back, items_back = read_mission_file(path)
    assert home_back == orbit.home
    assert items_back == mav_items(orbit)


def _terrain(mission):
    # the module's missions were planned over the hill terrain fixture; re-create it for export checks
    from fp_terrain import grid_terrain, hill

    return grid_terrain(hill)


def test_waypoints_load_in_mavwploader(orbit, tmp_path):
    (path,), _ = export_mission(orbit, tmp_path / "orbit.waypoints", terrain=_terrain(orbit))
    raw = path.read_bytes()
    assert b"\r" not in raw and raw.startswith(b"QGC WPL 110\n")
    lines = raw.decode().splitlines()[1:]
    assert all(len(line.split("\t")) == 12 for line in lines)
    assert lines[0].split("\t")[1] == "1"  # row 0 = home, current
    for line in lines:
        for field in line.split("\t")[8:10]:
            assert len(field.split(".")[1]) >= 7
    loader = mavwp.MAVWPLoader()
    assert loader.load(str(path)) == len(mav_items(orbit)) + 1
    expected = mav_items(orbit, include_home=True)
    for seq in range(loader.count()):
        wp = loader.wp(seq)
        item = expected[seq]
        assert (wp.seq, wp.command, wp.frame) == (seq, item.command, item.frame)
        assert wp.x == pytest.approx(item.x, abs=1e-8) and wp.y == pytest.approx(item.y, abs=1e-8)
        assert wp.z == pytest.approx(item.z, abs=1e-6)


@pytest.mark.realdata
def test_reader_accepts_the_real_samples(shared_data):
    home, items = read_mission_file(shared_data / "flightplans" / "mavsdk_qgroundcontrol_sample.plan")
    assert home.alt_amsl_m == pytest.approx(488.93101752) and len(items) == 6 and items[2].command == 2000
    home, items = read_mission_file(shared_data / "flightplans" / "ardupilot_copter_loiterturns_mission.txt")
    assert (home.lat, home.lon) == (-35.363262, 149.165237)
    assert [i.command for i in items] == [22, 18, 18, 18, 21]


def test_reader_rejects_other_files(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    with pytest.raises(FlightPlanError, match="neither a QGroundControl"):
        read_mission_file(junk)
    short = tmp_path / "short.waypoints"
    short.write_text("QGC WPL 110\n0\t1\t0\t16\n")
    with pytest.raises(FlightPlanError, match="line 2: 4 tab-separated fields"):
        read_mission_file(short)
    survey_plan = tmp_path / "survey.plan"
    survey_plan.write_text(json.dumps({"fileType": "Plan", "mission": {"items": [{"type": "ComplexItem"}]}}))
    with pytest.raises(FlightPlanError, match="ComplexItem"):
        read_mission_file(survey_plan)


def _kmz(path):
    with zipfile.ZipFile(path) as kmz:
        names = set(kmz.namelist())
        return names, etree.fromstring(kmz.read("wpmz/template.kml")), etree.fromstring(kmz.read("wpmz/waylines.wpml"))


def _placemarks(root):
    return root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")


@pytest.mark.realdata
def test_kmz_has_both_files_and_dji_structure(shared_data, orbit, tmp_path):
    (path,), _ = export_mission(orbit, tmp_path / "orbit.kmz", terrain=_terrain(orbit))
    names, template, waylines = _kmz(path)
    assert {"wpmz/template.kml", "wpmz/waylines.wpml"} <= names
    _, sample_template, sample_waylines = _kmz(shared_data / "flightplans" / "dji_msdk_v5_waypointsample.kmz")

    def local_names(element):
        return {etree.QName(e).localname for e in element.iter() if isinstance(e.tag, str)}

    # every element DJI's own sample uses is present in ours (ours adds heading path mode, actions ...)
    assert local_names(sample_waylines) <= local_names(waylines)
    assert local_names(sample_template) <= local_names(template)
    for required in ("missionConfig", "flyToWaylineMode", "finishAction", "droneEnumValue", "payloadEnumValue",
                     "templateId", "executeHeightMode", "waylineId", "executeHeight", "waypointSpeed", "index"):
        assert waylines.find(f".//{WPML}{required}") is not None, required
    assert template.find(f".//{WPML}templateType").text == "waypoint"
    assert waylines.find(f".//{WPML}droneEnumValue").text == "67"
    assert waylines.find(f".//{WPML}droneSubEnumValue").text == "1"  # M30T
    assert waylines.find(f".//{WPML}payloadEnumValue").text == "53"


def test_kmz_files_agree_and_orbit_faces_the_fire(orbit, tmp_path):
    (path,), _ = export_mission(orbit, tmp_path / "orbit.kmz", terrain=_terrain(orbit))
    _, template, waylines = _kmz(path)
    t_marks, w_marks = _placemarks(template), _placemarks(waylines)
    assert len(t_marks) == len(w_marks) == sum(1 for i in orbit.items if type(i).__name__ == "Waypoint")
    for index, (t, w) in enumerate(zip(t_marks, w_marks)):
        assert t.find(f"{WPML}index").text == w.find(f"{WPML}index").text == str(index)
        assert t.findtext(".//{http://www.opengis.net/kml/2.2}coordinates") == \
            w.findtext(".//{http://www.opengis.net/kml/2.2}coordinates")
        assert float(t.find(f"{WPML}height").text) == float(w.find(f"{WPML}executeHeight").text)
    poi = [w for w in w_marks if w.find(f".//{WPML}waypointHeadingMode").text == "towardPOI"]
    assert len(poi) >= orbit.metadata["orbit_points"] - 1
    lat, lon, _ = (float(v) for v in poi[0].find(f".//{WPML}waypointPoiPoint").text.split(","))
    assert (lat, lon) == pytest.approx((orbit.metadata["target"]["lat"], orbit.metadata["target"]["lon"]), abs=1e-7)
    lon0, lat0 = (float(v) for v in w_marks[0].findtext(".//{http://www.opengis.net/kml/2.2}coordinates").split(","))
    first = next(i for i in orbit.items if type(i).__name__ == "Waypoint")
    assert (lon0, lat0) == pytest.approx((first.lon, first.lat), abs=1e-9)  # KML is lon,lat
    triggers = [g for g in waylines.iter(f"{WPML}actionTriggerType") if g.text == "multipleTiming"]
    assert len(triggers) == 1


def test_kmz_survey_triggers_by_distance_and_enums_follow_the_config(survey, tmp_path):
    drone, sub, payload = DJI_MODELS["M3T"]
    config = FlightPlanConfig(aircraft=AircraftConfig(dji_drone_enum=drone, dji_drone_sub_enum=sub,
                                                      dji_payload_enum=payload))
    (path,), _ = export_mission(survey, tmp_path / "s.kmz", terrain=_terrain(survey), config=config)
    _, template, waylines = _kmz(path)
    assert [template.find(f".//{WPML}{k}").text for k in ("droneEnumValue", "droneSubEnumValue",
                                                         "payloadEnumValue")] == ["77", "1", "67"]
    distance = [g.getparent() for g in waylines.iter(f"{WPML}actionTriggerType") if g.text == "multipleDistance"]
    assert len(distance) == survey.metadata["lines"]
    assert float(distance[0].find(f"{WPML}actionTriggerParam").text) == survey.metadata["trigger_distance_m"]


def test_geojson_for_the_map(orbit, tmp_path):
    (path,), _ = export_mission(orbit, tmp_path / "orbit.geojson", terrain=_terrain(orbit))
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    assert kinds.count("path") == 1 and "home" in kinds and "no_fly" in kinds and "roi" in kinds
    for feature in doc["features"]:
        assert shape(feature["geometry"]).is_valid
    home = next(f for f in doc["features"] if f["properties"]["kind"] == "home")
    assert home["geometry"]["coordinates"] == [orbit.home.lon, orbit.home.lat]
    path_feature = next(f for f in doc["features"] if f["properties"]["kind"] == "path")
    assert len(path_feature["geometry"]["coordinates"]) == len(path_feature["properties"]["altitudes_m"])


def test_route_sorties_become_files_and_unsafe_plans_are_not_written(flat_terrain, tmp_path):
    config = FlightPlanConfig(aircraft=AircraftConfig(battery_minutes=10.0))
    targets = [RouteTarget(f"f{k}", *offset_lonlat(CENTRE_LON, CENTRE_LAT, 1200.0 * (-1) ** k, 300.0 * k)[::-1])
               for k in range(4)]
    route = plan_route(targets, home_lon=CENTRE_LON, home_lat=CENTRE_LAT, terrain=flat_terrain, config=config)
    files, report = export_mission(route, tmp_path / "route.plan", terrain=flat_terrain, config=config)
    assert [f.name for f in files] == [f"route-sortie{k}.plan" for k in range(1, len(route.sorties) + 1)]
    assert len(report.flights) == len(route.sorties) > 1
    (geo,), _ = export_mission(route, tmp_path / "route.geojson", terrain=flat_terrain, config=config)
    paths = [f for f in json.loads(geo.read_text())["features"] if f["properties"]["kind"] == "path"]
    assert len(paths) == len(route.sorties)
    strict = FlightPlanConfig(aircraft=AircraftConfig(battery_minutes=2.0))
    with pytest.raises(UnsafePlan, match="min usable"):
        export_mission(route, tmp_path / "unsafe.plan", terrain=flat_terrain, config=strict)
    assert not list(tmp_path.glob("unsafe*"))
