"""The flight-plan panel's calls into :mod:`flightplans`: plan, check, export, preview, upload.

The dashboard plans nothing itself: it loads the terrain and no-fly zones named in the configuration, calls the
planner the operator picked, and hands back the files the flightplans exporters write (each plan is safety-checked
by the exporters before any byte is produced).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flightplans.config import FlightPlanConfig
from flightplans.exporters import get_exporter
from flightplans.exporters.geojson import plan_feature_collection
from flightplans.geo import load_no_fly_zones
from flightplans.mission import Mission
from flightplans.orbit import plan_orbit
from flightplans.route import plan_route
from flightplans.safety import SafetyReport, check_mission
from flightplans.survey import plan_survey
from firewatch.model import Incident

from dashboard.errors import InvalidSelection

PATTERNS: tuple[str, ...] = ("orbit", "survey", "route")
#: Formats offered for download, in the order of the buttons.
DOWNLOAD_FORMATS: tuple[str, ...] = ("plan", "waypoints", "kmz")


@dataclass
class PlannedMission:
    """A checked mission with its figures, preview GeoJSON and downloadable files ``{file name: bytes}``."""

    mission: Mission
    report: SafetyReport
    geojson: dict
    files: dict[str, bytes]


def load_terrain(dem_path: Path | None):
    """The DEM the plan follows (``ingest.terrain.Terrain``); flat ground is refused: clearance needs terrain."""
    from ingest.terrain import Terrain

    if dem_path is None:
        raise InvalidSelection("flight plans need a DEM: set dem_path in the [dashboard] table of firewatch.toml")
    return Terrain.from_geotiff(dem_path)


def make_plan(pattern: str, incident: Incident, *, incidents: list[Incident], home_latlon: tuple[float, float],
              altitude_agl_m: float, dem_path: Path | None, no_fly_paths: list[Path],
              config: FlightPlanConfig | None = None) -> PlannedMission:
    """Plan ``pattern`` for ``incident`` (``route`` visits every incident in ``incidents``) from ``home_latlon``.

    Raises :class:`flightplans.errors.FlightPlanError` subclasses (NoSafePlan, UnsafePlan, TerrainCoverageError)
    with the planner's reason, or :class:`InvalidSelection` for an unknown pattern or an incident with no position.
    """
    if pattern not in PATTERNS:
        raise InvalidSelection(f"flight pattern {pattern!r} is not one of {PATTERNS}")
    config = config or FlightPlanConfig()
    terrain = load_terrain(dem_path)
    zones = [zone for path in no_fly_paths for zone in load_no_fly_zones(path)]
    home_lat, home_lon = home_latlon
    common = dict(home_lon=home_lon, home_lat=home_lat, terrain=terrain, config=config, zones=zones,
                  altitude_agl_m=altitude_agl_m)
    if pattern == "orbit":
        mission = plan_orbit(incident.lon, incident.lat, **common)
    elif pattern == "survey":
        if not incident.perimeter:
            raise InvalidSelection(f"incident {incident.incident_id} has no perimeter to survey; choose orbit")
        mission = plan_survey(incident.perimeter, **common)
    else:
        mission = plan_route([i for i in incidents if i.state not in ("closed",)] or [incident], **common)
    report = check_mission(mission, terrain, config)
    files: dict[str, bytes] = {}
    flights = mission.flights()
    for fmt in DOWNLOAD_FORMATS:
        exporter = get_exporter(fmt)
        if exporter.multi_flight or len(flights) == 1:
            files[f"{incident.incident_id}-{pattern}{exporter.suffix}"] = exporter.write(
                mission if exporter.multi_flight else flights[0], config)
        else:
            for number, flight in enumerate(flights, start=1):
                files[f"{incident.incident_id}-{pattern}-sortie{number}{exporter.suffix}"] = exporter.write(flight,
                                                                                                          config)
    geojson = json.loads(json.dumps(plan_feature_collection(mission), default=float))
    return PlannedMission(mission, report, geojson, files)
