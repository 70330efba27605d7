"""Benchmark: whole-frame georeferencing speed for 640×512 thermal frames over a DEM.

Scenarios (synthetic terrain from spectral noise, Seoul area, UTM 52N):
* drone: DJI H20T-like camera (640×512, 13.5 mm, 12 µm) 120 m above ground looking 45° down, over a smooth 5 m
  terrain model (NGII-like DTM) and, as the worst case, a rough 5 m surface model;
* tower: fixed camera (640×512, 25 mm, 17 µm) on a 30 m mast on a 400 m hill, looking 10 km away at a grazing
  angle, 30 m DEM (SRTM-like) 40 km across; the top of the frame sees the sky and far ground past the DEM;
* lazy paths: 10 hotspot pixels with exact rays, and the frame outline (footprint polygon).

Each row prints milliseconds per frame, frames per second and the ratio to ONE vectorised numpy pass over the same
number of pixels (a float32 comparison of the 640×512 frame, measured in the same run), so the numbers are
comparable across machines and loads. Run: ``.venv/bin/python bench/georef.py``.
"""

from __future__ import annotations

import os

import numpy as np
import pyproj

import common
from firewatch.model import make_frame
from ingest.camera import Camera
from ingest.georef import frame_footprint, georeference, pixel_to_ground
from ingest.pose import Pose

LON0, LAT0 = 126.98, 37.66
WIDTH, HEIGHT = 640, 512






def main() -> None:
    temperature = np.random.default_rng(0).normal(295.0, 3.0, (HEIGHT, WIDTH)).astype(np.float32)
    baseline_s = common.best_call_s(lambda: temperature > 310.0, 200)[0]

    drone_dem = common.spectral_terrain(1000, 5.0, 400.0, seed=1, lon0_deg=LON0, lat0_deg=LAT0)
    rough_dem = common.spectral_terrain(1000, 5.0, 400.0, seed=1, exponent=2.0, lon0_deg=LON0, lat0_deg=LAT0)
    drone_camera = Camera.from_focal_length(WIDTH, HEIGHT, focal_length_mm=13.5, pixel_pitch_um=12.0)
    ground = float(drone_dem.elevation_at(LON0, LAT0))
    drone_pose = Pose(LAT0, LON0, ground + 120.0, yaw_deg=30.0, pitch_deg=-45.0)

    tower_dem = common.spectral_terrain(1400, 30.0, 800.0, seed=2, lon0_deg=LON0, lat0_deg=LAT0)
    tower_camera = Camera.from_focal_length(WIDTH, HEIGHT, focal_length_mm=25.0, pixel_pitch_um=17.0)
    hill = float(tower_dem.elevation_at(LON0, LAT0))
    target = pyproj.Geod(ellps="WGS84").fwd(LON0, LAT0, 60.0, 10_000.0)[:2]
    drop_m = hill + 30.0 - float(tower_dem.elevation_at(*target))
    tower_pose = Pose(LAT0, LON0, hill + 30.0, yaw_deg=60.0, pitch_deg=-np.degrees(np.arctan2(drop_m, 10_000.0)),
                      kind="pan_tilt")

    def frame(camera: Camera, pose: Pose):
        return make_frame(temperature, frame_id="bench", source_id="bench", source_kind="drone", time=None,
                          camera=camera.to_dict(), pose=pose.to_dict())

    rough_pose = Pose(LAT0, LON0, float(rough_dem.elevation_at(LON0, LAT0)) + 120.0, yaw_deg=30.0, pitch_deg=-45.0)
    drone_frame, tower_frame = frame(drone_camera, drone_pose), frame(tower_camera, tower_pose)
    rough_frame = frame(drone_camera, rough_pose)
    hot_rows, hot_cols = np.array([100, 101, 250, 251, 400, 30, 31, 500, 260, 261]), np.arange(10) * 60 + 5
    rows = []
    for name, call, repeat in (
        ("drone 120 m AGL, -45°, 5 m DTM", lambda: georeference(drone_frame, drone_dem), 7),
        ("drone, 5 m DTM, tolerance 0.3 footprint", lambda: georeference(drone_frame, drone_dem,
                                                                        tolerance_footprints=0.3), 7),
        ("drone, rough 5 m DSM (worst case)", lambda: georeference(rough_frame, rough_dem, partial_ok=True), 1),
        ("drone, flat ground", lambda: georeference(drone_frame, ground_elevation_m=ground), 7),
        ("tower 10 km grazing, 30 m DEM", lambda: georeference(tower_frame, tower_dem, partial_ok=True), 3),
        ("drone: 10 hotspot pixels, exact", lambda: pixel_to_ground(drone_camera, drone_pose, hot_rows, hot_cols,
                                                                    drone_dem), 20),
        ("drone: frame outline polygon", lambda: frame_footprint((drone_camera, drone_pose), drone_dem), 7),
        ("tower: 10 hotspot pixels, exact", lambda: pixel_to_ground(tower_camera, tower_pose, hot_rows + 0,
                                                                    hot_cols, tower_dem), 10),
    ):
        call()  # warm caches (tile maxima, camera grids, PROJ)
        rows.append((name, common.best_call_s(call, repeat)[0]))
    info_drone = georeference(drone_frame, drone_dem).attrs["georef"]
    info_rough = georeference(rough_frame, rough_dem, partial_ok=True).attrs["georef"]
    info_loose = georeference(drone_frame, drone_dem, tolerance_footprints=0.3).attrs["georef"]
    info_tower = georeference(tower_frame, tower_dem, partial_ok=True).attrs["georef"]

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machines inflate wall times)")
    print(f"numpy baseline: one float32 comparison pass over {WIDTH}x{HEIGHT} px = {baseline_s * 1e6:.1f} µs")
    print(f"{'scenario':38s} {'ms/frame':>9s} {'fps':>8s} {'× numpy pass':>13s}")
    for name, seconds in rows:
        print(f"{name:38s} {seconds * 1e3:9.2f} {1.0 / seconds:8.1f} {seconds / baseline_s:13.0f}")
    for label, info in (("drone", info_drone), ("drone 0.3", info_loose), ("drone rough", info_rough),
                        ("tower", info_tower)):
        print(f"{label}: refined_fraction={info['refined_fraction']:.3f} marched_fraction={info['marched_fraction']:.3f}"
              f" max_interp_error_m={info['max_interp_error_m']:.4f} uncovered_fraction={info['uncovered_fraction']:.3f}")


if __name__ == "__main__":
    main()
