"""Where things are and when frames are taken: fires, false targets, towers, the drone route and the shot list.

All positions are offsets (metres east, north) from the terrain's centre, designed on the analytic massif: the
fires, rocks, village and solar field sit on the south-facing flank of the central hill, which both tower peaks
(5–6 km to the south-west and south-east, bearings ~75° apart at the fires) overlook.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np
from pyproj import Geod, Transformer

from firewatch.scenario.config import ScenarioConfig
from firewatch.scenario.errors import ScenarioError
from firewatch.scenario.fires import FalseTargetTruth, FireTruth
from firewatch.scenario.geometry import CURVATURE_PER_M
from firewatch.scenario.terrain import Terrain
from ingest.camera import Camera
from ingest.pose import Pose

GEOD = Geod(ellps="WGS84")
#: Fires: (offset east, north m, ignition as a fraction of the scenario duration), on the slopes both towers see
#: best (≥ 17 fully burning tower pixels each at the last sweeps); still ≥ 300 m apart at the end. Ignition
#: fractions put every fire before at least two later looks (drone passes at 12/45/78 % of the duration, tower sweeps
#: every 1/8 of it).
FIRE_SITES = ((-250.0, 150.0, 0.04), (500.0, 350.0, 0.29), (150.0, 650.0, 0.50))
#: False targets: (id, kind, offset east, north m, width m (across), length m (along azimuth), azimuth deg,
#: temperature K). Seen from the towers (5–6 km, 0.65 mrad pixels of ~3.7 m, ~2° depression) a surface is
#: foreshortened by the sine of its grazing angle, so each target lies on a 25–40° tower-facing flank of a knoll
#: (terrain.KNOLLS) and is long enough down-slope for ≥ 3 × 3 fully covered tower pixels (checked by
#: tests/unit/firewatch/test_scenario_physics.py); the roofs and rock-2 are turned 50° so their edges run along and
#: across the farther tower's line of sight. The drone (0.15–0.3 m pixels) resolves them easily. 55–70 °C is what
#: sunlit dark granite, the metal roofs of cattle sheds and warehouses, and PV modules reach on a spring afternoon.
FALSE_TARGETS = (
    ("rock-1", "rock", -650.0, 550.0, 45.0, 60.0, 0.0, 333.0),
    ("rock-2", "rock", 300.0, 350.0, 40.0, 60.0, 50.0, 331.0),
    ("roof-1", "roof", 765.0, -15.0, 60.0, 60.0, 50.0, 338.0),
    ("roof-2", "roof", 765.0, -100.0, 60.0, 60.0, 50.0, 336.0),
    ("solar-1", "solar", -100.0, -350.0, 130.0, 110.0, 0.0, 341.0),
)
#: Drone route (points of interest in flight order): fire-1, rock-1, village, solar field, fire-2 (+ rock-2).
DRONE_ROUTE = ((-250.0, 150.0), (-650.0, 550.0), (765.0, -57.0), (-100.0, -350.0), (400.0, 350.0))
#: Towers on the two southern peaks: (id, offset east, north m). Mast height 20 m (a typical Korean forest-fire
#: watch-camera mast on a ridge).
TOWERS = (("tower-1", -4300.0, -3600.0), ("tower-2", 4600.0, -3200.0))
MAST_HEIGHT_M = 20.0
#: Tower camera IFOV: 24° over 640 pixels (the brief's tower lens) — kept for smaller frames so far targets stay
#: resolved (a 160-pixel tower frame sees a 6° field).
TOWER_IFOV_DEG = 24.0 / 640.0
#: DJI M30T wide thermal: 12 µm pixels behind a 9.1 mm lens → 758 px focal length, hfov 45.7° at 640 px.
DRONE_PIXEL_PITCH_UM = 12.0
DRONE_FOCAL_LENGTH_MM = 9.1
#: Head spread 2–4 m/min and wind 10–20 km/h: observed spring forest-fire spread in Korean pine-oak stands.
HEAD_RATE_RANGE_M_PER_MIN = (2.0, 4.0)
WIND_RANGE_KMH = (10.0, 20.0)
#: Wind blows from the south-west in spring afternoons over the Seoul basin (sea breeze), heads run ~NE.
HEAD_AZIMUTH_DEG = 45.0
FLAMING_RANGE_K = (950.0, 1150.0)
SMOULDERING_RANGE_K = (550.0, 650.0)
SWEEP_DWELL_S = 10.0


@dataclass(frozen=True)
class TowerTruth:
    """A fixed camera on a mast: position, height, field of view and its pan/tilt presets (yaw, pitch deg)."""

    source_id: str
    x: float
    y: float
    lon_deg: float
    lat_deg: float
    ground_elevation_m: float
    mast_height_m: float
    alt_amsl_m: float
    hfov_deg: float
    presets: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["presets"] = [list(p) for p in self.presets]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TowerTruth:
        data = dict(data)
        data["presets"] = tuple(tuple(p) for p in data["presets"])
        return cls(**data)


@dataclass(frozen=True)
class Shot:
    """One planned frame: who takes it, when, with which camera and pose; ``view_key`` groups identical views."""

    source_id: str
    source_kind: str
    index: int
    time: datetime
    camera: Camera
    pose: Pose
    view_key: str = field(default="")


class Site:
    """Positions in the scene CRS around the terrain centre, with WGS 84 conversions."""

    def __init__(self, terrain: Terrain) -> None:
        self.terrain = terrain
        self.cx, self.cy = terrain.centre_xy
        self.to_lonlat = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True)

    def xy(self, dx: float, dy: float) -> tuple[float, float]:
        return self.cx + dx, self.cy + dy

    def height(self, x: float, y: float, *, what: str) -> float:
        value = float(self.terrain.height_at(x, y))
        if not math.isfinite(value):
            raise ScenarioError(f"scenario layout: {what} at scene ({x:.0f}, {y:.0f}) lies outside the terrain or on "
                                "nodata; use a larger extent_m / DEM or fewer towers (tower_count=0)")
        return value

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self.to_lonlat.transform(x, y)
        return float(lon), float(lat)


def drone_camera(config: ScenarioConfig) -> Camera:
    f_px = DRONE_FOCAL_LENGTH_MM * 1000.0 / DRONE_PIXEL_PITCH_UM * config.width_px / 640.0
    return Camera(config.width_px, config.height_px, f_px, f_px, (config.width_px - 1) / 2.0,
                  (config.height_px - 1) / 2.0, model="synthetic DJI M30T-like wide thermal (low gain)",
                  saturation_k=config.saturation_k)


def tower_camera(config: ScenarioConfig) -> Camera:
    return Camera.from_fov(config.width_px, config.height_px, hfov_deg=TOWER_IFOV_DEG * config.width_px,
                           model="synthetic fixed LWIR tower camera 0.65 mrad", saturation_k=config.saturation_k)


def make_fires(site: Site, config: ScenarioConfig) -> list[FireTruth]:
    rng = np.random.RandomState(config.seed + 17)
    fires = []
    for number, (dx, dy, fraction) in enumerate(FIRE_SITES[:config.fire_count], start=1):
        x, y = site.xy(dx, dy)
        lon, lat = site.lonlat(x, y)
        time = config.start_time + timedelta(minutes=fraction * config.duration_min)
        fires.append(FireTruth(
            fire_id=f"fire-{number}", ignition_time=time, x=x, y=y, lon_deg=lon, lat_deg=lat,
            elevation_m=site.height(x, y, what=f"fire-{number}"),
            head_azimuth_deg=HEAD_AZIMUTH_DEG + rng.uniform(-20.0, 20.0),
            head_rate_m_per_min=rng.uniform(*HEAD_RATE_RANGE_M_PER_MIN), wind_kmh=rng.uniform(*WIND_RANGE_KMH),
            flaming_k=rng.uniform(*FLAMING_RANGE_K), smouldering_k=rng.uniform(*SMOULDERING_RANGE_K)))
    return fires


def make_false_targets(site: Site) -> list[FalseTargetTruth]:
    targets = []
    for target_id, kind, dx, dy, width, length, azimuth, temperature in FALSE_TARGETS:
        x, y = site.xy(dx, dy)
        lon, lat = site.lonlat(x, y)
        targets.append(FalseTargetTruth(target_id, kind, x, y, lon, lat, site.height(x, y, what=target_id),
                                        width, length, azimuth, temperature))
    return targets


def _line_of_sight(site: Site, x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> bool:
    """True when nothing on the terrain rises above the curved-earth sight line (0.5 m clearance)."""
    distance = math.hypot(x1 - x0, y1 - y0)
    s = np.linspace(0.0, 1.0, max(int(distance / 5.0), 10))[1:-1]
    s = s[s < 0.98]
    terrain = site.terrain.height_at(x0 + s * (x1 - x0), y0 + s * (y1 - y0)) - CURVATURE_PER_M * (s * distance) ** 2
    sight = z0 + s * (z1 - CURVATURE_PER_M * distance**2 - z0)
    return bool(np.all(np.nan_to_num(terrain, nan=-1e9) < sight - 0.5))


def _look_angles(tower_lon: float, tower_lat: float, z0: float, lon: float, lat: float, z1: float
                 ) -> tuple[float, float]:
    azimuth, _, distance = GEOD.inv(tower_lon, tower_lat, lon, lat)
    drop = z1 - z0 - CURVATURE_PER_M * distance**2
    return azimuth % 360.0, math.degrees(math.atan2(drop, distance))


def make_towers(site: Site, config: ScenarioConfig, fires: list[FireTruth],
                targets: list[FalseTargetTruth]) -> list[TowerTruth]:
    """Towers with presets that group the visible points of interest (fires first) into camera fields of view."""
    camera = tower_camera(config)
    towers = []
    for source_id, dx, dy in TOWERS[:config.tower_count]:
        x, y = site.xy(dx, dy)
        lon, lat = site.lonlat(x, y)
        ground = site.height(x, y, what=source_id)
        z = ground + MAST_HEIGHT_M
        points = [(f.x, f.y, f.elevation_m, True) for f in fires] + [(t.x, t.y, t.elevation_m, False) for t in targets]
        looks = []
        for px, py, pz, is_fire in points:
            if _line_of_sight(site, x, y, z, px, py, pz):
                plon, plat = site.lonlat(px, py)
                looks.append((*_look_angles(lon, lat, z, plon, plat, pz), is_fire))
        groups = _group_presets(looks, camera.hfov_deg * 0.8, camera.vfov_deg * 0.8, config.tower_presets_max)
        extents = [_azimuth_extent(site, lon, lat, t.polygon()) for t in targets]
        presets = sorted((round(_unclip(yaw, members, extents, camera.hfov_deg / 2.0), 3), pitch)
                         for yaw, pitch, members in groups)
        if not presets:
            raise ScenarioError(f"scenario layout: {source_id} sees none of the fires or false targets; "
                                "use the analytic terrain or fewer towers (tower_count=0)")
        towers.append(TowerTruth(source_id, x, y, lon, lat, ground, MAST_HEIGHT_M, z, camera.hfov_deg,
                                 tuple(presets)))
    return towers


def _group_presets(looks: list[tuple[float, float, bool]], span_h_deg: float, span_v_deg: float,
                   limit: int) -> list[tuple[float, float, list[float]]]:
    """Greedy grouping of looks ``(azimuth, elevation, is_fire)`` into at most ``limit`` fields of view, groups with
    fires first; returns ``(yaw_deg, pitch_deg, member azimuths)``."""
    groups: list[list[tuple[float, float, bool]]] = []
    for look in sorted(looks):
        group = groups[-1] if groups else None
        if group and look[0] - group[0][0] <= span_h_deg and \
                max(g[1] for g in group + [look]) - min(g[1] for g in group + [look]) <= span_v_deg:
            group.append(look)
        else:
            groups.append([look])
    groups.sort(key=lambda g: (-sum(1 for item in g if item[2]), -len(g)))
    return [((g[0][0] + g[-1][0]) / 2.0, round((min(i[1] for i in g) + max(i[1] for i in g)) / 2.0, 3),
             [i[0] for i in g]) for g in groups[:limit]]


def _azimuth_extent(site: Site, lon: float, lat: float, polygon) -> tuple[float, float]:
    """Azimuth range (deg, unwrapped around the first vertex) a scene polygon spans seen from ``(lon, lat)``."""
    xs, ys = polygon.exterior.coords.xy
    plon, plat = site.to_lonlat.transform(np.asarray(xs), np.asarray(ys))
    azimuth = np.asarray(GEOD.inv(np.full(len(plon), lon), np.full(len(plon), lat), plon, plat)[0])
    azimuth = azimuth[0] + (azimuth - azimuth[0] + 180.0) % 360.0 - 180.0
    return float(azimuth.min()), float(azimuth.max())


def _relative(azimuth: float, yaw: float) -> float:
    return (azimuth - yaw + 180.0) % 360.0 - 180.0


def _unclip(yaw: float, members: list[float], extents: list[tuple[float, float]], half_fov_deg: float) -> float:
    """Pan ``yaw`` by the least amount that leaves no false target cut by the frame's left or right edge (a
    sliver of a sun-heated roof at the edge looks like a small fire to any detector), keeping the group's points
    inside the frame. Margin: 3 pixels of the 0.0375° tower IFOV (PSF and projection slack)."""
    margin = 3.0 * TOWER_IFOV_DEG
    for _ in range(2 * len(extents) + 1):
        shifts = []
        for lo, hi in extents:
            rel_lo, rel_hi = _relative(lo, yaw), _relative(lo, yaw) + (hi - lo)
            for edge in (-half_fov_deg, half_fov_deg):
                if rel_lo - margin < edge < rel_hi + margin:
                    # turn so the target is wholly outside, or wholly inside, whichever is the smaller turn
                    shifts += [rel_lo - margin - edge, rel_hi + margin - edge] if edge > 0 else \
                        [rel_hi + margin - edge, rel_lo - margin - edge]
        if not shifts:
            return yaw % 360.0
        for shift in sorted(shifts, key=abs):
            if all(abs(_relative(m, yaw + shift)) <= half_fov_deg - margin for m in members):
                yaw += shift
                break
        else:
            return yaw % 360.0
    return yaw % 360.0


def drone_shots(site: Site, config: ScenarioConfig) -> tuple[list[Shot], list[tuple[float, float, float]]]:
    """Drone frames along the route (oblique −45° then nadir over each point) and the flown path (lon, lat, alt)."""
    camera = drone_camera(config)
    route = [site.xy(dx, dy) for dx, dy in DRONE_ROUTE[:config.drone_route_points or len(DRONE_ROUTE)]]
    shots: list[Shot] = []
    path: list[tuple[float, float, float]] = []
    agl = config.drone_height_agl_m
    for pass_index in range(config.drone_passes):
        start = config.start_time + timedelta(minutes=config.duration_min * (0.12 + 0.8 * pass_index /
                                                                             max(config.drone_passes, 1)))
        previous = (route[0][0], route[0][1] - 300.0)
        flown_m = 0.0
        for point in route:
            leg = math.hypot(point[0] - previous[0], point[1] - previous[1])
            ux, uy = (point[0] - previous[0]) / leg, (point[1] - previous[1]) / leg
            for pitch, back_m in ((-45.0, agl), (-90.0, 0.0)):
                x, y = point[0] - ux * back_m, point[1] - uy * back_m
                lon, lat = site.lonlat(x, y)
                ahead_lon, ahead_lat = site.lonlat(x + ux, y + uy)
                yaw = GEOD.inv(lon, lat, ahead_lon, ahead_lat)[0] % 360.0
                alt = site.height(x, y, what="drone position") + agl
                time = start + timedelta(seconds=(flown_m + leg - back_m) / config.drone_speed_mps)
                pose = Pose(lat, lon, alt, round(yaw, 4), pitch, 0.0, kind="gimbal")
                shots.append(Shot("drone-1", "drone", len(shots), time, camera, pose))
                path.append((lon, lat, alt))
            flown_m += leg
            previous = point
    return shots, path


def tower_shots(towers: list[TowerTruth], config: ScenarioConfig) -> list[Shot]:
    """Each tower sweeps its presets (10 s dwell) ``tower_sweeps`` times, evenly over the scenario."""
    camera = tower_camera(config)
    shots = []
    for tower_number, tower in enumerate(towers):
        index = 0
        for sweep in range(config.tower_sweeps):
            start = config.start_time + timedelta(minutes=config.duration_min * (sweep + 0.5) / config.tower_sweeps)
            for preset_number, (yaw, pitch) in enumerate(tower.presets):
                time = start + timedelta(seconds=SWEEP_DWELL_S * (preset_number + len(tower.presets) * tower_number))
                pose = Pose(tower.lat_deg, tower.lon_deg, tower.alt_amsl_m, yaw, pitch, 0.0, kind="pan_tilt")
                shots.append(Shot(tower.source_id, "fixed", index, time, camera, pose,
                                  view_key=f"{tower.source_id}/{preset_number}"))
                index += 1
    return shots
