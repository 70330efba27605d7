"""Benchmark: flight-plan generation for a 1 km² survey with terrain following, plus orbit and route.

Terrain: a fractal 5 m DEM (4 km × 4 km, 300 m relief, like a lidar-derived DTM of Korean hills), UTM 52N. The
survey covers a 1 km × 1 km burn area (plus the 50 m buffer) at 100 m above ground with the M30T thermal camera (70 %
overlaps → ~35 lines), inserting points wherever the ground departs more than 10 m from a straight leg, then the
whole plan is safety-checked along every leg at half the DEM cell (2.5 m).

Each row prints milliseconds (best of N runs on a shared machine) and the ratio to a numpy baseline measured in the
same run: bilinear DEM sampling (``Terrain.elevation_at``) at every 2.5 m along the survey's flown path, the
irreducible cost of looking at the ground under the plan once. Run: ``.venv/bin/python bench/plan.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pyproj
from rasterio.transform import from_origin
from shapely.geometry import box

from flightplans.geo import LocalFrame
from flightplans.mission import Waypoint
from flightplans.orbit import plan_orbit
from flightplans.route import RouteTarget, plan_route
from flightplans.survey import plan_survey
from ingest.terrain import Terrain

LON0, LAT0 = 127.05, 37.45


def fractal_terrain(size_cells: int = 800, cell_m: float = 5.0, relief_m: float = 300.0, seed: int = 7) -> Terrain:
    rng = np.random.default_rng(seed)
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(size_cells), np.fft.fftfreq(size_cells)))
    k[0, 0] = 1.0
    spectrum = (rng.normal(size=k.shape) + 1j * rng.normal(size=k.shape)) * k ** -2.5
    spectrum[0, 0] = 0.0
    field = np.real(np.fft.ifft2(spectrum))
    field = (field - field.min()) / (field.max() - field.min()) * relief_m + 100.0
    x0, y0 = pyproj.Transformer.from_crs(4326, 32652, always_xy=True).transform(LON0, LAT0)
    half = size_cells * cell_m / 2.0
    return Terrain.from_array(field, transform=from_origin(x0 - half, y0 + half, cell_m, cell_m), crs=32652,
                              source="synthetic 5 m DEM")


def best_time_s(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    terrain = fractal_terrain()
    frame = LocalFrame(LON0, LAT0)
    area = frame.geom_to_lonlat(box(-500, -500, 500, 500))  # 1 km²
    home = frame.to_lonlat(-900.0, -900.0)
    common = dict(home_lon=float(home[0]), home_lat=float(home[1]), terrain=terrain)

    survey_s, survey = best_time_s(lambda: plan_survey(area, **common), 5)
    waypoints, parts_x, parts_y = [], [], []
    for flight in survey.flights():
        flown = [i for i in flight.items if isinstance(i, Waypoint)]
        waypoints += flown
        xs, ys = frame.to_xy([w.lon for w in flown], [w.lat for w in flown])
        for x0, y0, x1, y1 in zip(xs[:-1], ys[:-1], xs[1:], ys[1:]):
            t = np.linspace(0, 1, int(np.ceil(np.hypot(x1 - x0, y1 - y0) / 2.5)) + 1)
            parts_x.append(x0 + t * (x1 - x0))
            parts_y.append(y0 + t * (y1 - y0))
    sx, sy = np.concatenate(parts_x), np.concatenate(parts_y)
    lon, lat = frame.to_lonlat(sx, sy)
    baseline_s, _ = best_time_s(lambda: terrain.elevation_at(lon, lat), 20)

    orbit_s, orbit = best_time_s(lambda: plan_orbit(LON0 + 0.002, LAT0 + 0.001, **common), 5)
    targets = [RouteTarget(f"f{k}", LAT0 + 0.012 * np.sin(k), LON0 + 0.012 * np.cos(k)) for k in range(8)]
    route_s, route = best_time_s(lambda: plan_route(targets, **common), 3)

    summary = survey.metadata["summary"]
    print(f"terrain: {terrain}")
    print(f"survey 1 km² ({survey.metadata['lines']} lines, {len(waypoints)} waypoints, "
          f"{summary['sorties']} sorties, "
          f"{summary['distance_m'] / 1000:.1f} km, {summary['duration_s'] / 60:.1f} min, clearance "
          f"{summary['min_clearance_m']:.1f}-{summary['max_agl_m']:.1f} m AGL)")
    print(f"  plan + safety check:   {survey_s * 1000:8.1f} ms")
    print(f"  numpy baseline (DEM sampled every 2.5 m along the path, {sx.size} points): {baseline_s * 1000:.2f} ms")
    print(f"  ratio plan / baseline: {survey_s / baseline_s:8.1f}")
    print(f"orbit ({orbit.metadata['orbit_points']} points, r = {orbit.metadata['radius_m']:.0f} m): "
          f"{orbit_s * 1000:.1f} ms")
    print(f"route (8 incidents, {len(route.sorties)} sorties): {route_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()
