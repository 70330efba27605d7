"""True ground points of pixels: the oracle that georeferencing is tested against.

Written independently of the renderer's fast path (:mod:`firewatch.scenario.geometry`) and of ``ingest.georef``:
every ray point is mapped exactly (pyproj geodesic from the camera, then the scene projection), the height is the
*analytic* terrain function (or, for a DEM-file scenario, the bilinear DEM), the ray is stepped in small fixed
increments to bracket the first crossing and each crossing is solved by bisection to 10 µm and a final secant step.

Curvature/refraction model (the brief's): the ray's height above the surface gains ``(1 − k)·d²/(2R)`` at horizontal
distance ``d``, ``R = 6371 km``, ``k = 0.13``.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod, Transformer

from firewatch.scenario.terrain import Terrain
from ingest.camera import Camera
from ingest.pose import Pose

_EARTH_RADIUS_M = 6371000.0
_REFRACTION_K = 0.13
_GEOD = Geod(ellps="WGS84")
#: Bracketing step: at least 1 m, growing to 0.2 % of the distance (12 m at 6 km), and longer where the ray is high
#: above the ground: 90 % of the gap over the fastest rate at which the gap can shrink (the terrain's steepest slope
#: with margin), so no crossing is jumped. The terrain's shortest wavelength is 300 m, so a crossing can only be
#: stepped over where the ray skims a crest by less than a few centimetres.
_STEP_M = 1.0
_STEP_FRACTION = 2e-3
_ROOT_TOLERANCE_M = 1e-5


def true_ground_point(terrain: Terrain, camera: Camera, pose: Pose, rows, cols
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lon_deg, lat_deg, elevation_m)`` where the rays of pixel centres ``(rows, cols)`` first meet the terrain.

    ``rows`` and ``cols`` broadcast together; outputs have their broadcast shape; NaN where the ray meets no terrain
    inside the DEM domain (sky, or beyond the DEM).
    """
    rows, cols = np.broadcast_arrays(np.asarray(rows, dtype=np.float64), np.asarray(cols, dtype=np.float64))
    shape = rows.shape
    direction = camera.pixel_to_ray(rows.ravel(), cols.ravel()) @ pose.rotation().T
    to_scene = Transformer.from_crs("EPSG:4326", terrain.crs, always_xy=True)
    curvature = (1.0 - _REFRACTION_K) / (2.0 * _EARTH_RADIUS_M)
    top_m = float(np.nanmax(terrain.heights)) + 1.0

    def locate(d: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e, n = d[..., 0] * t, d[..., 1] * t
        lon, lat, _ = _GEOD.fwd(np.full(e.shape, pose.lon_deg), np.full(e.shape, pose.lat_deg),
                                np.degrees(np.arctan2(e, n)), np.hypot(e, n))
        x, y = to_scene.transform(lon, lat)
        return np.asarray(lon), np.asarray(lat), terrain.height_at(x, y)

    def gap(d: np.ndarray, t: np.ndarray) -> np.ndarray:
        _, _, height = locate(d, t)
        e, n = d[..., 0] * t, d[..., 1] * t
        return pose.alt_amsl_m + d[..., 2] * t + curvature * (e * e + n * n) - height

    count = direction.shape[0]
    lo = np.full(count, np.nan)
    hi = np.full(count, np.nan)
    active = np.arange(count)
    t = np.zeros(count)
    g = gap(direction, t)
    closing_rate = terrain.max_slope() * np.hypot(direction[:, 0], direction[:, 1]) - direction[:, 2]
    while active.size:
        d = direction[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            safe = np.where(closing_rate[active] > 0, 0.9 * g / closing_rate[active], np.inf)
            safe = np.where(np.isfinite(g), safe, 0.0)
        step = np.maximum(np.maximum(_STEP_M, _STEP_FRACTION * t), np.minimum(safe, 1e6))
        t_next = t + step
        g = gap(d, t_next)
        crossed = g <= 0
        lo[active[crossed]] = t[crossed]
        hi[active[crossed]] = t_next[crossed]
        e, n = d[:, 0] * t_next, d[:, 1] * t_next
        height = pose.alt_amsl_m + d[:, 2] * t_next + curvature * (e * e + n * n)
        climbing_clear = (height > top_m) & (d[:, 2] >= 0)
        going = np.isfinite(g) & ~crossed & ~climbing_clear
        active, t, g = active[going], t_next[going], g[going]

    # Root finding: vectorised bisection of every bracket down to 10 µm, then one secant step on the last bracket.
    hit = np.flatnonzero(np.isfinite(hi))
    a, b = lo[hit], hi[hit]
    d = direction[hit]
    while hit.size and np.max(b - a) > _ROOT_TOLERANCE_M:
        mid = 0.5 * (a + b)
        below = ~(gap(d, mid) > 0)
        b = np.where(below, mid, b)
        a = np.where(below, a, mid)
    if hit.size:
        g_a, g_b = gap(d, a), gap(d, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(g_a > g_b, g_a / (g_a - g_b), 1.0)
        t_hit = a + np.clip(w, 0.0, 1.0) * (b - a)
    lon = np.full(count, np.nan)
    lat = np.full(count, np.nan)
    elevation = np.full(count, np.nan)
    if hit.size:
        lon[hit], lat[hit], elevation[hit] = locate(d, t_hit)
    return lon.reshape(shape), lat.reshape(shape), elevation.reshape(shape)
