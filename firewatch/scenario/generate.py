"""``generate_scenario``: terrain, layout, frames, truth and configuration written into one folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from tqdm import tqdm

from firewatch.model import format_time, stable_id
from firewatch.scenario.config import ScenarioConfig
from firewatch.scenario.errors import ScenarioError
from firewatch.scenario.geometry import ViewGeometry
from firewatch.scenario.layout import Site, drone_shots, make_false_targets, make_fires, make_towers, tower_shots
from firewatch.scenario.model import FrameRecord, Scenario, ScenarioPaths
from firewatch.scenario.outputs import demo_toml, feature, feature_collection, sidecar, write_frame_tiff, write_json
from firewatch.scenario.render import HeatSource, render
from firewatch.scenario.sun import solar_position
from firewatch.scenario.terrain import terrain_for

_SOURCE_NUMBERS = {"drone-1": 0, "tower-1": 1, "tower-2": 2}


def _prepare(out_dir: Path) -> ScenarioPaths:
    paths = ScenarioPaths.under(out_dir)
    if paths.out_dir.exists() and not paths.out_dir.is_dir():
        raise ScenarioError(f"scenario output {paths.out_dir} is a file; give a folder path")
    if paths.out_dir.is_dir() and any(paths.out_dir.iterdir()) and not paths.scenario_json.exists():
        raise ScenarioError(f"scenario output {paths.out_dir} is not empty and holds no {paths.scenario_json.name}; "
                            "give an empty or new folder (an earlier scenario folder is overwritten)")
    for folder in (paths.frames_dir, paths.truth_dir):
        if folder.is_dir():
            shutil.rmtree(folder)
    paths.out_dir.mkdir(parents=True, exist_ok=True)
    return paths


def generate_scenario(out_dir: Path | str, config: ScenarioConfig | None = None, *, progress: bool = False
                      ) -> Scenario:
    """Generate a deterministic synthetic scenario into ``out_dir`` and return its :class:`Scenario`.

    Writes ``dem.tif``, ``frames/<source_id>/<NNNNNN>.tif`` (+ ``.tif.json`` sidecars), ``truth/*.geojson``,
    ``scenario.json`` and ``firewatch.toml``. The same config gives byte-identical files.
    """
    config = config or ScenarioConfig()
    paths = _prepare(Path(out_dir))
    terrain = terrain_for(config)
    if config.terrain == "file":
        shutil.copyfile(config.dem_path, paths.dem_path)
    else:
        terrain.write(paths.dem_path)
    site = Site(terrain)
    fires = make_fires(site, config)
    targets = make_false_targets(site)
    towers = make_towers(site, config, fires, targets)
    shots, drone_path = drone_shots(site, config)
    shots += tower_shots(towers, config)
    shots.sort(key=lambda s: (s.time, s.source_id))
    centre_lon, centre_lat = site.lonlat(*terrain.centre_xy)

    frames: list[FrameRecord] = []
    view_cache: dict[str, tuple[ViewGeometry, dict]] = {}
    for shot in tqdm(shots, desc="rendering frames", unit="frame", disable=not progress):
        cached = view_cache.get(shot.view_key) if shot.view_key else None
        if cached is None:
            geometry = ViewGeometry(shot.camera, shot.pose, terrain)
            cached = (geometry, geometry.cast_frame())
            if shot.view_key:
                view_cache[shot.view_key] = cached
        geometry, centre = cached
        sources = [HeatSource(fire.fire_id, kind, polygon, temperature)
                   for fire in fires for kind, polygon, temperature in fire.polygons_at(shot.time)]
        sources += [HeatSource(t.target_id, t.kind, t.polygon(), t.temperature_k) for t in targets]
        rng = np.random.default_rng([config.seed, _SOURCE_NUMBERS[shot.source_id], shot.index])
        temperature, _, visible = render(geometry, centre, sources,
                                         sun=solar_position(shot.time, centre_lat, centre_lon), config=config,
                                         rng=rng)
        frame_id = stable_id("scenario", config.seed, shot.source_id, shot.index, format_time(shot.time))
        path = paths.frames_dir / shot.source_id / f"{shot.index:06d}.tif"
        write_frame_tiff(path, temperature)
        sidecar_path = path.with_name(path.name + ".json")
        write_json(sidecar_path, sidecar(frame_id, shot.source_id, shot.source_kind, shot.time, shot.camera,
                                         shot.pose))
        frames.append(FrameRecord(frame_id, path, sidecar_path, shot.source_id, shot.source_kind, shot.time,
                                  shot.camera, shot.pose, visible))

    scenario = Scenario(config=config, paths=paths, frames=frames, fires=fires, false_targets=targets,
                        towers=towers, drone_path=drone_path, crs=terrain.crs, _terrain=terrain)
    _write_truth(scenario)
    write_json(paths.scenario_json, scenario.to_dict())
    paths.config_toml.write_text(demo_toml(towers, dem_name=paths.dem_path.name), encoding="utf-8")
    return scenario


def _write_truth(scenario: Scenario) -> None:
    to_lonlat = Transformer.from_crs(scenario.crs, "EPSG:4326", always_xy=True)
    fire_features = []
    for time in sorted({record.time for record in scenario.frames}):
        for fire in scenario.fires:
            for kind, polygon, temperature in fire.polygons_at(time):
                fire_features.append(feature(shapely.transform(polygon, to_lonlat.transform, interleaved=False), {
                    "fire_id": fire.fire_id, "time": format_time(time), "kind": kind,
                    "temperature_k": round(temperature, 3), "area_m2": round(polygon.area, 3),
                    "ignition_time": format_time(fire.ignition_time)}))
    target_features = [feature(shapely.transform(target.polygon(), to_lonlat.transform, interleaved=False), {
        "target_id": target.target_id, "kind": target.kind, "temperature_k": target.temperature_k,
        "area_m2": round(target.polygon().area, 3)}) for target in scenario.false_targets]
    camera_features = [feature({"type": "Point", "coordinates": [t.lon_deg, t.lat_deg, t.alt_amsl_m]}, {
        "source_id": t.source_id, "source_kind": "fixed", "mast_height_m": t.mast_height_m,
        "ground_elevation_m": t.ground_elevation_m, "alt_amsl_m": t.alt_amsl_m, "hfov_deg": t.hfov_deg,
        "presets": [{"yaw_deg": yaw, "pitch_deg": pitch} for yaw, pitch in t.presets]}) for t in scenario.towers]
    if scenario.drone_path:
        camera_features.append(feature({"type": "LineString", "coordinates": [list(p) for p in scenario.drone_path]},
                                       {"source_id": "drone-1", "source_kind": "drone",
                                        "height_agl_m": scenario.config.drone_height_agl_m}))
    truth = scenario.paths.truth_dir
    write_json(truth / "fires.geojson", feature_collection(fire_features))
    write_json(truth / "false_targets.geojson", feature_collection(target_features))
    write_json(truth / "cameras.geojson", feature_collection(camera_features))
