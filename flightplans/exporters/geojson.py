"""GeoJSON (RFC 7946, lon/lat) of a whole plan for the map: one LineString per sortie, a Point per waypoint, home,
points of interest and the no-fly zones. Altitudes are properties (GeoJSON heights would be ellipsoidal)."""

from __future__ import annotations

import json

from shapely.geometry import mapping

from flightplans.config import FlightPlanConfig
from flightplans.exporters import Exporter, register_exporter
from flightplans.mission import Mission, SetROI, Takeoff, Waypoint


def plan_feature_collection(mission: Mission) -> dict:
    """FeatureCollection of the plan; every feature has ``properties.kind``."""
    home = mission.home
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [home.lon, home.lat]},
                 "properties": {"kind": "home", "altitude_amsl_m": home.alt_amsl_m}}]
    for number, flight in enumerate(mission.flights(), start=1):
        line = [[home.lon, home.lat]]
        altitudes = []
        for index, item in enumerate(flight.items):
            if isinstance(item, Takeoff):
                altitudes.append(item.altitude_m)
            elif isinstance(item, Waypoint):
                line.append([item.lon, item.lat])
                altitudes.append(item.altitude_m)
                features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                                 "properties": {"kind": "waypoint", "sortie": number, "item": index,
                                                "altitude_m": item.altitude_m,
                                                "altitude_ref": item.altitude_ref.value, "hold_s": item.hold_s}})
            elif isinstance(item, SetROI):
                features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                                 "properties": {"kind": "roi", "sortie": number, "item": index}})
        line.append([home.lon, home.lat])
        altitudes.append(altitudes[-1])  # return to launch flies home at the last altitude
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                         "properties": {"kind": "path", "sortie": number, "pattern": mission.pattern,
                                        "altitudes_m": altitudes, "altitude_ref": "relative"}})
    for zone in mission.no_fly_zones:
        features.append({"type": "Feature", "geometry": mapping(zone.geometry),
                         "properties": {"kind": "no_fly", "name": zone.name}})
    if "area_geojson" in mission.metadata:
        features.append({"type": "Feature", "geometry": mission.metadata["area_geojson"],
                         "properties": {"kind": "survey_area"}})
    summary = {k: v for k, v in mission.metadata.items() if k != "area_geojson"}
    return {"type": "FeatureCollection", "features": features,
            "properties": {"pattern": mission.pattern, **summary}}


def write_geojson(mission: Mission, config: FlightPlanConfig) -> bytes:
    return json.dumps(plan_feature_collection(mission), ensure_ascii=False, default=float).encode("utf-8")


register_exporter(Exporter("geojson", ".geojson", "GeoJSON for the map (all sorties)", write_geojson,
                           multi_flight=True))
