"""True ground points of pixels: the oracle that georeferencing is tested against.

Written independently of the renderer's fast path (:mod:`firewatch.scenario.geometry`) and of ``ingest.georef``:
every ray point is mapped exactly (pyproj geodesic from the camera, then the scene projection), the height is the
*analytic* terrain function (or, for a DEM-file scenario, the bilinear DEM), the ray is stepped in small fixed
increments to bracket the first crossing and each crossing is solved by Brent's method to 1 µm.

Curvature/refraction model (the brief's): the ray's height above the surface gains ``(1 − k)·d²/(2R)`` at horizontal
distance ``d``, ``R = 6371 km``, ``k = 0.13``.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod, Transformer
from scipy.optimize import brentq

from firewatch.scenario.terrain import Terrain
from ingest.camera import Camera
from ingest.pose import Pose

_EARTH_RADIUS_M = 6371000.0
_REFRACTION_K = 0.13
_GEOD = Geod(ellps="WGS84")
#: Bracketing step: 1 m, growing to 0.2 % of the distance (12 m at 6 km). The terrain's shortest wavelength is
#: 300 m, so a crossing can only be stepped over where the ray skims a crest by less than a few centimetres.
_STEP_M = 1.0
_STEP_FRACTION = 2e-3


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
    while active.size:
        d = direction[active]
        step = np.maximum(_STEP_M, _STEP_FRACTION * t)
        t_next = t + step
        g = gap(d, t_next)
        crossed = g <= 0
        lo[active[crossed]] = t[crossed]
        hi[active[crossed]] = t_next[crossed]
        e, n = d[:, 0] * t_next, d[:, 1] * t_next
        height = pose.alt_amsl_m + d[:, 2] * t_next + curvature * (e * e + n * n)
        climbing_clear = (height > top_m) & (d[:, 2] >= 0)
        going = np.isfinite(g) & ~crossed & ~climbing_clear
        active, t = active[going], t_next[going]

    lon = np.full(count, np.nan)
    lat = np.full(count, np.nan)
    elevation = np.full(count, np.nan)
    for i in np.flatnonzero(np.isfinite(hi)):
        d = direction[i]
        t_hit = brentq(lambda s: float(gap(d, np.asarray(s))), lo[i], hi[i], xtol=1e-6, rtol=1e-12) if lo[i] > 0 \
            else hi[i]
        lon_i, lat_i, h_i = locate(d, np.asarray(t_hit))
        lon[i], lat[i], elevation[i] = float(lon_i), float(lat_i), float(h_i)
    return lon.reshape(shape), lat.reshape(shape), elevation.reshape(shape)
