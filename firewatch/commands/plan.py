"""``firewatch plan``: a safe drone flight plan (orbit, survey or multi-incident route) over the DEM, exported for
QGroundControl, Mission Planner or DJI Pilot 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from firewatch.commands.common import CONFIG_HELP, DB_HELP, config_with_overrides
from flightplans.errors import FlightPlanError

HELP = """Plan a drone flight over a fire: orbit (look from every side), survey (map the perimeter) or route (visit \
several incidents on as few batteries as possible). Every plan is checked before it is written: ceiling above \
ground, clearance above the DEM along every leg, no-fly zones, distance from home, battery with reserve.

산불 비행 계획: 선회(orbit), 측량(survey), 다중 화점 경로(route). 저장 전 안전 점검: 지상고 상한, 지형 여유, 비행금지구역, \
이륙지 거리, 배터리 예비량.

Prints a summary: distance (km), duration (min), max height above ground (m), min clearance above terrain (m), \
sorties. Altitudes in the files are relative to take-off (home), computed from the DEM.

Examples / 예시:

  firewatch plan --at 37.601,127.301 --pattern orbit --home 37.597,127.295 --dem dem.tif -o orbit.plan

  firewatch plan --incident 3f2a9c --db sqlite:///runs/demo.db --pattern survey --home 37.597,127.295 \
--dem dem.tif --format kmz -o survey.kmz

  firewatch plan --db sqlite:///runs/demo.db --pattern route --home 37.597,127.295 --dem dem.tif \
--no-fly RK_P73A.geojson --ceiling-agl 150 -o route.waypoints
"""


def _latlon(text: str, option: str) -> tuple[float, float]:
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError as exc:
        raise typer.BadParameter(f"{option} {text!r}: expected LAT,LON in degrees, e.g. 37.5665,126.9780 "
                                 "(위도,경도)") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise typer.BadParameter(f"{option} {text!r}: latitude must be within ±90 and longitude within ±180 "
                                 "(did you swap them? LAT,LON / 위도,경도 순서)")
    return lat, lon


def _targets(incident_ids, at, db, config, pattern):
    """Incidents from the store (by id, or every open one for a route) or RouteTargets from --at."""
    from flightplans.route import RouteTarget

    if at:
        return [RouteTarget(f"at-{k}", *_latlon(text, "--at")) for k, text in enumerate(at, start=1)]
    from firewatch.store import Store

    with Store.open(db or config.store.url, create=False) as store:
        if incident_ids:
            found = []
            for incident_id in incident_ids:
                incident = store.get_incident(incident_id)
                if incident is None:
                    raise FlightPlanError(f"incident {incident_id!r} is not in {db or config.store.url}; list them "
                                          "with `firewatch incidents`")
                found.append(incident)
            return found
        if pattern != "route":
            raise typer.BadParameter("give --incident ID or --at LAT,LON (대상 화점을 지정하세요)")
        found = [i for i in store.list_incidents() if i.state != "closed"]
        if not found:
            raise FlightPlanError(f"no open incidents in {db or config.store.url} to route through")
        return found


def summary_lines(report) -> list[str]:
    """Operator-facing summary, Korean and English."""
    data = report.to_dict()
    return [
        f"distance / 비행 거리:                {data['distance_m'] / 1000:.2f} km",
        f"duration / 비행 시간:                {data['duration_s'] / 60:.1f} min",
        f"max height above ground / 최대 지상고: {data['max_agl_m']:.1f} m",
        f"min clearance / 최소 지형 여유:        {data['min_clearance_m']:.1f} m",
        f"max distance from home / 최대 이격:   {data['max_distance_from_home_m']:.0f} m",
        f"sorties / 비행 횟수:                 {data['sorties']}",
    ]


def plan_command(
    incident: Optional[list[str]] = typer.Option(None, "--incident", help="Incident id from the store (repeat for a "
                                                 "route). 화점(사건) ID."),
    at: Optional[list[str]] = typer.Option(None, "--at", help="Target LAT,LON in degrees instead of an incident "
                                           "(repeat for a route). 대상 위도,경도."),
    pattern: str = typer.Option(..., "--pattern", help="orbit | survey | route. 비행 형태."),
    home: str = typer.Option(..., "--home", help="Launch point LAT,LON in degrees. 이륙 지점 위도,경도."),
    dem: Optional[Path] = typer.Option(None, "--dem", exists=True, dir_okay=False,
                                       help="DEM GeoTIFF (metres AMSL, any CRS) covering the whole flight. 수치표고모델."),
    ground_elevation: Optional[float] = typer.Option(
        None, "--ground-elevation", help="Flat ground at this elevation (m AMSL) instead of a DEM — training only. "
        "평지 표고 (m)."),
    altitude_agl: Optional[float] = typer.Option(None, "--altitude-agl", min=1,
                                                 help="Height above ground, metres (default 100). 지상고 (m)."),
    radius: Optional[float] = typer.Option(None, "--radius", min=1, help="Orbit radius, metres (default: from the "
                                           "gimbal pitch and the camera's view). 선회 반경 (m)."),
    gimbal_pitch: Optional[float] = typer.Option(None, "--gimbal-pitch", help="Orbit gimbal pitch, degrees below the "
                                                 "horizon as a negative number (default -45). 짐벌 각도."),
    no_fly: Optional[list[Path]] = typer.Option(None, "--no-fly", exists=True, dir_okay=False,
                                                help="GeoJSON keep-out polygons, added to the config's list (repeat). "
                                                "비행금지구역 GeoJSON."),
    ceiling_agl: Optional[float] = typer.Option(None, "--ceiling-agl", min=1,
                                                help="Legal ceiling above ground, metres (default 120; Korea 150). "
                                                "고도 상한 (m)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="plan | waypoints | kmz | geojson (default: from -o's "
                                      "suffix). 파일 형식."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the plan here (a route in plan/"
                                          "waypoints/kmz becomes NAME-sortieN files). 출력 파일."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    config_path: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON. 요약을 JSON으로 출력."),
) -> None:
    from flightplans.exporters import export_mission
    from flightplans.geo import load_no_fly_zones
    from flightplans.orbit import plan_orbit
    from flightplans.route import plan_route
    from flightplans.safety import check_mission
    from flightplans.survey import plan_survey
    from ingest.terrain import Terrain

    if pattern not in ("orbit", "survey", "route"):
        raise typer.BadParameter(f"--pattern {pattern!r}: choose orbit, survey or route (선회/측량/경로)")
    if bool(incident) == bool(at) and not (pattern == "route" and not incident and not at):
        raise typer.BadParameter("give either --incident ID or --at LAT,LON, not both (하나만 지정하세요)")
    config = config_with_overrides(config_path, db=db, dem=dem, ground_elevation_m=ground_elevation)
    plan_config = config.flightplans
    if ceiling_agl is not None:
        plan_config = plan_config.model_copy(
            update={"safety": plan_config.safety.model_copy(update={"ceiling_agl_m": ceiling_agl})})
    if config.terrain.dem is not None:
        terrain = Terrain.from_geotiff(config.terrain.dem)
    elif config.terrain.ground_elevation_m is not None:
        terrain = Terrain.flat(config.terrain.ground_elevation_m)
    else:
        raise typer.BadParameter("flight plans need terrain: give --dem DEM.tif (or --ground-elevation M for flat "
                                 "ground) / 지형 자료(--dem)가 필요합니다")
    zone_files = list(plan_config.safety.no_fly_zone_files) + list(no_fly or [])
    zones = [zone for path in zone_files for zone in load_no_fly_zones(path)]
    home_lat, home_lon = _latlon(home, "--home")
    targets = _targets(incident, at, db, config, pattern)
    common = dict(home_lon=home_lon, home_lat=home_lat, terrain=terrain, config=plan_config, zones=zones,
                  altitude_agl_m=altitude_agl)
    if pattern == "orbit":
        mission = plan_orbit(targets[0].lon, targets[0].lat, radius_m=radius, gimbal_pitch_deg=gimbal_pitch, **common)
    elif pattern == "survey":
        perimeter = getattr(targets[0], "perimeter", None)
        if perimeter is None:
            from shapely.geometry import Point

            perimeter = Point(targets[0].lon, targets[0].lat)  # the buffer makes it an area around the point
        mission = plan_survey(perimeter, **common)
    else:
        mission = plan_route(targets, **common)
    if output is not None:
        files, report = export_mission(mission, output, terrain=terrain, fmt=fmt, config=plan_config)
    else:
        files, report = [], check_mission(mission, terrain, plan_config)
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "pattern": pattern, "files": [str(f) for f in files]}))
        return
    typer.echo(f"{pattern} plan / 비행 계획 ({len(zones)} no-fly zones checked / 비행금지구역 {len(zones)}개 점검)")
    for line in summary_lines(report):
        typer.echo("  " + line)
    for path in files:
        typer.echo(f"wrote / 저장: {path}")


def register(app: typer.Typer) -> None:
    """Add ``firewatch plan`` to the CLI."""
    app.command("plan", help=HELP)(plan_command)
