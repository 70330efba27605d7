"""The generated scenario: files, schema, determinism, and what the frames show against the truth."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
import typer
from affine import Affine
from pyproj import Geod, Transformer
from rasterio.errors import NotGeoreferencedWarning
from shapely import ops
from shapely.geometry import Point, shape
from typer.testing import CliRunner

from firewatch.commands.scenario import register
from firewatch.model import parse_time
from firewatch.scenario import Scenario, ScenarioConfig, ScenarioError, generate_scenario
from firewatch.scenario.terrain import file_terrain
from ingest.camera import Camera
from ingest.pose import Pose

GEOD = Geod(ellps="WGS84")


def _read(path: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            assert src.crs is None and src.count == 1 and src.dtypes[0] == "float32"
            return src.read(1)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _pixel_ground_utm(scenario: Scenario, record, rows, cols):
    lon, lat, _ = scenario.true_ground_point(record.camera, record.pose, rows, cols)
    return Transformer.from_crs("EPSG:4326", scenario.crs, always_xy=True).transform(lon, lat)


def _window(record, source_id: str, half: int) -> tuple[np.ndarray, np.ndarray]:
    seen = record.visible[source_id]
    r0 = max(int(seen["row"]) - half, 0)
    c0 = max(int(seen["col"]) - half, 0)
    r1 = min(int(seen["row"]) + half, record.camera.height_px - 1)
    c1 = min(int(seen["col"]) + half, record.camera.width_px - 1)
    return np.meshgrid(np.arange(r0, r1 + 1, dtype=float), np.arange(c0, c1 + 1, dtype=float), indexing="ij")


def test_small_scenario_files(small_scenario):
    frames = small_scenario.frames
    assert [r.source_id for r in frames].count("drone-1") == 4
    assert [r.source_id for r in frames].count("tower-1") == 2
    assert [r.time for r in frames] == sorted(r.time for r in frames)
    assert len({r.frame_id for r in frames}) == len(frames)
    for record in frames:
        assert record.path.parent == small_scenario.frames_dir / record.source_id
        assert record.sidecar_path == record.path.with_name(record.path.name + ".json")
        temperature = _read(record.path)
        assert temperature.shape == (128, 160)
        assert 200.0 < temperature.min() and temperature.max() <= record.camera.saturation_k
    with rasterio.open(small_scenario.dem_path) as dem:
        assert dem.crs.to_epsg() == 32652 and dem.res == (10.0, 10.0) and dem.dtypes[0] == "float32"
        assert dem.nodata is not None
        heights = dem.read(1)
        assert 100.0 <= heights.min() and heights.max() == pytest.approx(836.0, abs=1e-3)


def test_sidecars_follow_the_reader_schema(small_scenario):
    for record in small_scenario.frames:
        data = json.loads(record.sidecar_path.read_text(encoding="utf-8"))
        assert set(data) == {"frame_id", "source_id", "source_kind", "time", "units", "camera", "pose"}
        assert data["units"] == "K" and data["source_kind"] in ("drone", "fixed")
        assert data["time"].endswith("Z") and parse_time(data["time"]) == record.time
        assert set(data["camera"]) == {"model", "width_px", "height_px", "fx_px", "fy_px", "cx_px", "cy_px",
                                       "distortion", "saturation_k"}
        assert data["camera"]["saturation_k"] == pytest.approx(773.15)
        assert set(data["pose"]) == {"lat_deg", "lon_deg", "alt_amsl_m", "yaw_deg", "pitch_deg", "roll_deg"}
        assert Camera.from_dict(data["camera"]) == record.camera
        pose = Pose.from_dict(data["pose"])
        assert (pose.lat_deg, pose.lon_deg, pose.pitch_deg) == (record.pose.lat_deg, record.pose.lon_deg,
                                                               record.pose.pitch_deg)


def test_drone_hfov_and_height_follow_the_m30t_like_camera(small_scenario):
    for record in small_scenario.frames:
        if record.source_kind == "drone":
            # 12 µm pixels, 9.1 mm lens: hfov = 2·atan(640·12 µm / 2 / 9.1 mm) = 45.74° at any frame width.
            assert record.camera.hfov_deg == pytest.approx(math.degrees(2 * math.atan(3.84 / 9.1)), abs=1e-6)
            ground = small_scenario.terrain.height_at(*Transformer.from_crs(
                "EPSG:4326", small_scenario.crs, always_xy=True).transform(record.pose.lon_deg, record.pose.lat_deg))
            assert record.pose.alt_amsl_m - float(ground) == pytest.approx(110.0, abs=1e-6)
            assert -90.0 <= record.pose.pitch_deg <= -45.0


def test_cli_small_run_is_byte_identical_to_the_library_run(small_scenario, tmp_path):
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands keep typer's sub-command syntax
    result = CliRunner().invoke(app, ["scenario", "--out", str(tmp_path / "again"), "--small", "--quiet"])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "again") in result.output and "fire-1" in result.output
    assert _files(tmp_path / "again") == _files(small_scenario.paths.out_dir)


def test_another_seed_changes_the_frames(small_scenario, tmp_path):
    other = generate_scenario(tmp_path / "seed8", ScenarioConfig.small(seed=8, drone_passes=0, tower_sweeps=1))
    assert other.frames[0].path.read_bytes() != small_scenario.frames[-2].path.read_bytes()


def test_fire_pixels_are_hot_exactly_where_the_truth_burns(small_scenario):
    checked = 0
    for record in small_scenario.frames:
        if record.source_kind != "drone" or "fire-1" not in record.visible:
            continue
        rows, cols = _window(record, "fire-1", 14)
        x, y = _pixel_ground_utm(small_scenario, record, rows, cols)
        to_utm = Transformer.from_crs("EPSG:4326", small_scenario.crs, always_xy=True).transform
        burning = ops.unary_union([shapely.transform(p, to_utm, interleaved=False) for fid, p, _ in
                                   small_scenario.fire_polygons_at(record.time) if fid == "fire-1"])
        temperature = _read(record.path)[rows.astype(int), cols.astype(int)]
        points = [Point(a, b) for a, b in zip(x.ravel(), y.ravel())]
        pixel_m = 1.0  # about a ground pixel (0.6–0.9 m at 110 m AGL, 160 px wide) plus the PSF
        inside = np.array([burning.buffer(-pixel_m).contains(p) for p in points]).reshape(rows.shape)
        outside = np.array([not burning.buffer(3 * pixel_m).contains(p) for p in points]).reshape(rows.shape)
        assert inside.sum() >= 4
        assert (temperature[inside] > 400.0).all()
        assert (temperature[outside] < 330.0).all()
        checked += 1
    assert checked >= 2


def test_saturation_is_clipped_at_the_camera_ceiling(small_scenario):
    record = next(r for r in small_scenario.frames if r.source_kind == "drone" and "fire-1" in r.visible)
    temperature = _read(record.path)
    ceiling = np.float32(record.camera.saturation_k)
    assert temperature.max() == ceiling
    assert (temperature == ceiling).sum() >= 4  # fully flaming pixels (~1000 K) sit at the 500 °C ceiling


def test_false_target_renders_at_55_to_70_celsius(small_scenario):
    record = next(r for r in small_scenario.frames if r.source_kind == "drone" and "rock-1" in r.visible
                  and r.pose.pitch_deg == -90.0)
    target = next(t for t in small_scenario.false_targets if t.target_id == "rock-1")
    rows, cols = _window(record, "rock-1", 12)
    x, y = _pixel_ground_utm(small_scenario, record, rows, cols)
    core = target.polygon().buffer(-2.0)
    inside = np.array([core.contains(Point(a, b)) for a, b in zip(x.ravel(), y.ravel())]).reshape(rows.shape)
    temperature = _read(record.path)[rows.astype(int), cols.astype(int)][inside]
    assert inside.sum() >= 50
    assert 328.15 <= temperature.min() and temperature.max() <= 343.15
    assert np.median(temperature) == pytest.approx(target.temperature_k, abs=0.5)


def test_tower_sees_the_small_fire_hot(small_scenario):
    looks = [r for r in small_scenario.frames if r.source_kind == "fixed" and "fire-1" in r.visible]
    assert len(looks) == 2
    for record in looks:
        rows, cols = _window(record, "fire-1", 2)
        assert _read(record.path)[rows.astype(int), cols.astype(int)].max() > 400.0


def test_every_fire_is_seen_in_two_looks_after_ignition(small_scenario):
    for fire in small_scenario.fires:
        looks = {(r.source_id, r.time.replace(second=0, microsecond=0)) for r in small_scenario.frames
                 if fire.fire_id in r.visible}
        assert all(r.time >= fire.ignition_time for r in small_scenario.frames if fire.fire_id in r.visible)
        assert len(looks) >= 2


def test_reload_gives_the_same_scenario(small_scenario):
    loaded = Scenario.load(small_scenario.paths.out_dir)
    assert loaded.frames == small_scenario.frames
    assert [r.visible for r in loaded.frames] == [r.visible for r in small_scenario.frames]
    assert loaded.fires == small_scenario.fires and loaded.false_targets == small_scenario.false_targets
    assert loaded.towers == small_scenario.towers
    time = small_scenario.frames[-1].time
    for (a_id, a, a_kind), (b_id, b, b_kind) in zip(loaded.fire_polygons_at(time),
                                                    small_scenario.fire_polygons_at(time)):
        assert (a_id, a_kind) == (b_id, b_kind) and a.equals_exact(b, 1e-12)


def test_truth_geojson(small_scenario):
    fires = json.loads((small_scenario.truth_dir / "fires.geojson").read_text())
    times = {r.time for r in small_scenario.frames}
    assert {parse_time(f["properties"]["time"]) for f in fires["features"]} == times
    areas = {}
    for feature in fires["features"]:
        props = feature["properties"]
        polygon = shape(feature["geometry"])
        geodesic_area = abs(GEOD.geometry_area_perimeter(polygon)[0])
        assert props["area_m2"] == pytest.approx(geodesic_area, rel=2e-3)
        low, high = (800.0, 1200.0) if props["kind"] == "flaming" else (500.0, 700.0)
        assert low <= props["temperature_k"] <= high
        areas.setdefault(props["fire_id"], []).append((props["time"], props["area_m2"]))
    growth = [a for _, a in sorted(areas["fire-1"])]
    assert growth[-1] > growth[0]
    targets = json.loads((small_scenario.truth_dir / "false_targets.geojson").read_text())["features"]
    assert {f["properties"]["kind"] for f in targets} == {"rock", "roof", "solar"}
    assert all(328.15 <= f["properties"]["temperature_k"] <= 343.15 for f in targets)
    cameras = json.loads((small_scenario.truth_dir / "cameras.geojson").read_text())["features"]
    kinds = {f["geometry"]["type"]: f["properties"] for f in cameras}
    assert kinds["Point"]["source_id"] == "tower-1" and kinds["Point"]["mast_height_m"] == 20.0
    assert kinds["LineString"]["source_id"] == "drone-1"


def test_fire_starts_at_a_few_square_metres(small_scenario):
    fire = small_scenario.fires[0]
    polygons = small_scenario.fire_polygons_at(fire.ignition_time)
    assert [kind for _, _, kind in polygons] == ["flaming"]
    area = abs(GEOD.geometry_area_perimeter(polygons[0][1])[0])
    assert area == pytest.approx(math.pi, rel=0.01)  # the 1 m ignition circle
    assert small_scenario.fire_polygons_at(fire.ignition_time.replace(year=2025)) == []


def test_scenario_toml_is_a_valid_configuration_listing_the_towers(small_scenario):
    from firewatch.config import load_config

    config = load_config(small_scenario.paths.config_toml, environ={})
    assert [c.camera_id for c in config.cameras] == ["tower-1"]
    tower = small_scenario.towers[0]
    assert config.cameras[0].lat_deg == pytest.approx(tower.lat_deg)
    assert config.cameras[0].ground_elevation_m + config.cameras[0].mast_height_m == pytest.approx(tower.alt_amsl_m,
                                                                                                   abs=0.01)
    assert config.terrain.dem == small_scenario.dem_path
    assert config.masks.files == [] and config.flightplans.safety.no_fly_zone_files == []


# ---------------------------------------------------------------------------------------------- DEM file terrain
def _ramp_dem(path: Path, *, crs: str = "EPSG:32652") -> tuple[float, float]:
    """A 4 × 4 km plane rising 0.1 m per metre east (200 m at the west edge) around 37.66 N, 126.98 E."""
    x0, y0 = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(126.98, 37.66)
    west, north, cell, n = round(x0) - 2000.0, round(y0) + 2000.0, 20.0, 200
    xs = west + (np.arange(n) + 0.5) * cell
    heights = np.tile(200.0 + 0.1 * (xs - west), (n, 1)).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs=crs,
                       transform=Affine(cell, 0.0, west, 0.0, -cell, north), nodata=-9999.0) as dst:
        dst.write(heights, 1)
    return west, north


def test_dem_file_scenario_truth_is_the_plane(tmp_path):
    dem = tmp_path / "ramp.tif"
    west, _ = _ramp_dem(dem)
    config = ScenarioConfig.small(terrain="file", dem_path=dem, tower_count=0, drone_route_points=1,
                                  width_px=64, height_px=48)
    scenario = generate_scenario(tmp_path / "out", config)
    assert scenario.dem_path.read_bytes() == dem.read_bytes()
    nadir = next(r for r in scenario.frames if r.pose.pitch_deg == -90.0)
    lon, lat, elevation = scenario.true_ground_point(nadir.camera, nadir.pose, nadir.camera.cy_px,
                                                     nadir.camera.cx_px)
    assert GEOD.inv(nadir.pose.lon_deg, nadir.pose.lat_deg, float(lon), float(lat))[2] < 1e-3
    x, _ = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(float(lon), float(lat))
    assert float(elevation) == pytest.approx(200.0 + 0.1 * (x - west), abs=1e-3)
    assert Scenario.load(scenario.paths.out_dir).terrain.heights.shape == (200, 200)


# ---------------------------------------------------------------------------------------------- bad input
def test_load_missing_or_corrupt_scenario_raises(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        Scenario.load(tmp_path)
    (tmp_path / "scenario.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        Scenario.load(tmp_path)
    (tmp_path / "scenario.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ScenarioError, match="format"):
        Scenario.load(tmp_path)


def test_refuses_to_write_into_a_foreign_folder(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not empty"):
        generate_scenario(tmp_path, ScenarioConfig.small())
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_bad_dem_inputs_raise(tmp_path):
    with pytest.raises(ScenarioError, match="dem_path"):
        generate_scenario(tmp_path / "a", ScenarioConfig.small(terrain="file"))
    geographic = tmp_path / "geographic.tif"
    with rasterio.open(geographic, "w", driver="GTiff", width=8, height=8, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.001, 0.0, 126.9, 0.0, -0.001, 37.7)) as dst:
        dst.write(np.zeros((8, 8), np.float32), 1)
    with pytest.raises(ScenarioError, match="not a projected metric CRS"):
        file_terrain(geographic)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    with pytest.raises(ScenarioError, match="cannot be read"):
        file_terrain(junk)


def test_dem_too_small_for_the_layout_raises(tmp_path):
    dem = tmp_path / "ramp.tif"
    _ramp_dem(dem)
    with pytest.raises(ScenarioError, match="outside the terrain"):
        generate_scenario(tmp_path / "out", ScenarioConfig.small(terrain="file", dem_path=dem))  # towers 5 km out


def test_cli_reports_a_foreign_output_folder(tmp_path):
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["scenario", "--out", str(tmp_path), "--small", "--quiet"])
    assert isinstance(result.exception, ScenarioError) and "not empty" in str(result.exception)
    negative = CliRunner().invoke(app, ["scenario", "--out", str(tmp_path / "x"), "--seed", "-1"])
    assert negative.exit_code == 2 and not (tmp_path / "x").exists()
