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


import numpy as np
from shapely.geometry import box

import common as bench_common
from flightplans.geo import LocalFrame
from flightplans.mission import Waypoint
from flightplans.orbit import plan_orbit
from flightplans.route import RouteTarget, plan_route
from flightplans.survey import plan_survey

LON0, LAT0 = 127.05, 37.45






def main() -> None:
    terrain = bench_common.spectral_terrain(800, 5.0, 300.0, seed=7, lon0_deg=LON0, lat0_deg=LAT0)
    frame = LocalFrame(LON0, LAT0)
    area = frame.geom_to_lonlat(box(-500, -500, 500, 500))  # 1 km²
    home = frame.to_lonlat(-900.0, -900.0)
    common = dict(home_lon=float(home[0]), home_lat=float(home[1]), terrain=terrain)

    survey_s, survey = bench_common.best_call_s(lambda: plan_survey(area, **common), 5)
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
    baseline_s, _ = bench_common.best_call_s(lambda: terrain.elevation_at(lon, lat), 20)

    orbit_s, orbit = bench_common.best_call_s(lambda: plan_orbit(LON0 + 0.002, LAT0 + 0.001, **common), 5)
    targets = [RouteTarget(f"f{k}", LAT0 + 0.012 * np.sin(k), LON0 + 0.012 * np.cos(k)) for k in range(8)]
    route_s, route = bench_common.best_call_s(lambda: plan_route(targets, **common), 3)

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
