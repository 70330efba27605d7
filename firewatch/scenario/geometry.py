"""Viewing geometry for the renderer: pixel rays cast onto the terrain grid and ground points projected to pixels.

Model (shared with the truth in :mod:`firewatch.scenario.truth`, written independently there):

* a pixel's ray leaves the camera along ``R @ camera.pixel_to_ray(row, col)`` in the camera's local east-north-up
  tangent frame (``R`` from :func:`ingest.pose.camera_to_enu`);
* the horizontal offset ``(e, n)`` of a ray point is mapped to the ground by the geodesic from the camera with
  azimuth ``atan2(e, n)`` and length ``hypot(e, n)`` (tangent plane vs. geodesic differ by d³/3R² < 1 cm at 15 km);
* earth curvature with atmospheric refraction: the ray's height above the surface gains ``(1 − k)·d²/(2R)`` at
  horizontal distance ``d``, ``R = 6371 km``, ``k = 0.13`` (Gauss's coefficient of terrestrial refraction, the
  classic value for geodetic levelling).

For speed the renderer replaces the exact geodesic + projection (pyproj) by a cubic polynomial fitted per camera
(residual reported by :attr:`ViewGeometry.mapping_residual_m`, micrometres to millimetres over the scene) and samples
the DEM grid bilinearly; the rays are marched with steps that are safe for the grid's steepest slope and refined by
bisection.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod, Transformer

from firewatch.scenario.terrain import Terrain
from ingest.camera import Camera
from ingest.pose import Pose

EARTH_RADIUS_M = 6371000.0
REFRACTION_K = 0.13
#: Curvature term: height gain of the ray over the surface per squared horizontal metre.
CURVATURE_PER_M = (1.0 - REFRACTION_K) / (2.0 * EARTH_RADIUS_M)
GEOD = Geod(ellps="WGS84")
_POLY_DEGREE = 3
#: Smallest march step: 0.3 % of the distance travelled and at least 25 cm (18 m at a tower's 6 km). A smooth crest
#: that pokes less than κ·(step/2)²/2 above a grazing ray can be stepped over: ≲ 12 cm at 6 km for this terrain's
#: curvature κ ≲ 3e-3 m⁻¹, well under a tower pixel (~4 m); the truth module steps finer.
_MIN_STEP_FRACTION = 3e-3
_MIN_STEP_M = 0.25
_FINAL_BRACKET_M = 0.5
#: Coarse-to-fine casting for down-looking views (see ViewGeometry.cast_frame).
_COARSE_MAX_PITCH_DEG = -30.0
_COARSE_STEP_PX = 8
_START_FRACTION = 0.8
#: The last full-frame camera-frame ray bundle (every shot of a camera reuses it).
_RAY_CACHE: dict = {}


class ViewGeometry:
    """Ray casting and projection for one camera at one pose over ``terrain``."""

    def __init__(self, camera: Camera, pose: Pose, terrain: Terrain) -> None:
        self.camera = camera
        self.pose = pose
        self.terrain = terrain
        self.rotation = pose.rotation()
        self._to_scene = Transformer.from_crs("EPSG:4326", terrain.crs, always_xy=True)
        self._to_lonlat = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True)
        self.camera_xy = self._to_scene.transform(pose.lon_deg, pose.lat_deg)
        self.z_m = pose.alt_amsl_m
        self._fit_mapping()
        self.max_slope = terrain.max_slope()

    # ------------------------------------------------------------------ local tangent plane → scene CRS
    def _exact_scene_xy(self, e: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        azimuth = np.degrees(np.arctan2(e, n))
        distance = np.hypot(e, n)
        lon, lat, _ = GEOD.fwd(np.full(e.shape, self.pose.lon_deg), np.full(e.shape, self.pose.lat_deg),
                               azimuth, distance)
        return self._to_scene.transform(lon, lat)

    def _fit_mapping(self) -> None:
        w, s, e, n = self.terrain.domain
        cx, cy = self.camera_xy
        reach = max(math.hypot(x - cx, y - cy) for x in (w, e) for y in (s, n)) + 100.0
        self._scale = reach
        radius = np.linspace(0.0, reach, 25)
        azimuth = np.linspace(0.0, 2.0 * math.pi, 48, endpoint=False)
        rr, aa = np.meshgrid(radius, azimuth)
        ee, nn = (rr * np.sin(aa)).ravel(), (rr * np.cos(aa)).ravel()
        x, y = self._exact_scene_xy(ee, nn)
        basis = self._basis(ee, nn)
        # Least squares by the normal equations: the basis is scaled to [-1, 1] so they are well conditioned, and a
        # 10 × 10 solve avoids LAPACK's threaded least-squares driver, which stalls on a shared, loaded machine.
        normal = basis.T @ basis
        self._coef_x = np.linalg.solve(normal, basis.T @ (np.asarray(x) - cx))
        self._coef_y = np.linalg.solve(normal, basis.T @ (np.asarray(y) - cy))
        fx, fy = basis @ self._coef_x + cx, basis @ self._coef_y + cy
        self.mapping_residual_m = float(np.max(np.hypot(fx - x, fy - y)))

    def _basis(self, e: np.ndarray, n: np.ndarray) -> np.ndarray:
        u, v = e / self._scale, n / self._scale
        return np.stack([u**i * v**j for i in range(_POLY_DEGREE + 1) for j in range(_POLY_DEGREE + 1 - i)], axis=-1)

    def scene_xy(self, e: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scene-CRS ``(x, y)`` of tangent-plane offsets ``(e, n)`` (metres east, north of the camera)."""
        basis = self._basis(e, n)
        return basis @ self._coef_x + self.camera_xy[0], basis @ self._coef_y + self.camera_xy[1]

    # ------------------------------------------------------------------ rays
    def rays_enu(self, rows, cols) -> np.ndarray:
        """Unit ENU directions (``N × 3``) of the (flattened) pixel positions ``rows``, ``cols``."""
        rows, cols = np.ravel(rows), np.ravel(cols)
        key = (self.camera, rows.size, rows[:1].tobytes(), rows[-1:].tobytes(), cols[:1].tobytes(),
               cols[-1:].tobytes())
        rays = _RAY_CACHE.get(key)
        if rays is None:
            rays = self.camera.pixel_to_ray(rows, cols)
            if rows.size >= 10000:  # full frames repeat for every shot of a camera; windows do not
                _RAY_CACHE.clear()
                _RAY_CACHE[key] = rays
        return rays @ self.rotation.T

    def _ray_coefficients(self, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-ray cubic coefficients of the scene position along the ray: ``x(t) = Σ_k ax[:, k]·(t/S)^k``.

        The tangent-plane → scene mapping is a cubic polynomial in ``(e, n) = t·(u_e, u_n)``, hence a cubic in ``t``.
        """
        ue, un = direction[:, 0], direction[:, 1]
        ue_pow = [np.ones_like(ue), ue, ue * ue, ue * ue * ue]
        un_pow = [np.ones_like(un), un, un * un, un * un * un]
        terms = np.empty((direction.shape[0], len(self._coef_x)))
        order = np.zeros((len(self._coef_x), _POLY_DEGREE + 1))
        column = 0
        for i in range(_POLY_DEGREE + 1):
            for j in range(_POLY_DEGREE + 1 - i):
                terms[:, column] = ue_pow[i] * un_pow[j]
                order[column, i + j] = 1.0
                column += 1
        ax = terms @ (self._coef_x[:, None] * order)
        ay = terms @ (self._coef_y[:, None] * order)
        ax[:, 0] += self.camera_xy[0]
        ay[:, 0] += self.camera_xy[1]
        return ax, ay

    def _height_gap(self, rays: tuple[np.ndarray, ...], t: np.ndarray) -> np.ndarray:
        """Ray height above the terrain grid at slant distance ``t`` (NaN outside the terrain)."""
        ax, ay, uz, hh = rays
        s = t / self._scale
        x = ((ax[:, 3] * s + ax[:, 2]) * s + ax[:, 1]) * s + ax[:, 0]
        y = ((ay[:, 3] * s + ay[:, 2]) * s + ay[:, 1]) * s + ay[:, 0]
        return self.z_m + (uz + CURVATURE_PER_M * hh * t) * t - self.terrain.sample(x, y)

    def cast(self, rows, cols, *, t_start=None) -> dict[str, np.ndarray]:
        """Cast the pixels' rays; returns flat arrays ``t`` (slant distance, m), ``x``, ``y`` (scene CRS), ``z``
        (m AMSL), ``direction`` (ENU unit vectors); ``t`` and the ground values are NaN for sky.

        ``t_start`` (flat, metres, NaN = 0) lets a ray start marching further out when a neighbouring ray's hit says
        nothing nearer can be in the way; a start that is already below the terrain falls back to 0.
        """
        direction = self.rays_enu(rows, cols)
        count = direction.shape[0]
        ax, ay = self._ray_coefficients(direction)
        hh = direction[:, 0] ** 2 + direction[:, 1] ** 2
        uz = direction[:, 2]
        lo = np.zeros(count)
        hi = np.full(count, np.nan)
        descent = self.max_slope * np.sqrt(hh) - uz
        active = np.flatnonzero(descent > 1e-9)
        t = np.zeros(active.size) if t_start is None else np.nan_to_num(np.ravel(t_start)[active], nan=0.0)
        gap = self._height_gap((ax[active], ay[active], uz[active], hh[active]), t)
        retry = (t > 0) & ~(gap > 0)
        if retry.any():
            t[retry] = 0.0
            sub = active[retry]
            gap[retry] = self._height_gap((ax[sub], ay[sub], uz[sub], hh[sub]), t[retry])
        keep = np.isfinite(gap) & (gap > 0)
        active, t, gap = active[keep], t[keep], gap[keep]
        rays = (ax[active], ay[active], uz[active], hh[active])
        slope = descent[active]
        while active.size:
            step = np.maximum(gap / slope, np.maximum(_MIN_STEP_M, _MIN_STEP_FRACTION * t))
            t_next = t + step
            gap_next = self._height_gap(rays, t_next)
            crossed = gap_next <= 0
            lo[active[crossed]] = t[crossed]
            hi[active[crossed]] = t_next[crossed]
            going = np.flatnonzero(np.isfinite(gap_next) & ~crossed)
            if going.size < active.size:
                active, t, gap, slope = active[going], t_next[going], gap_next[going], slope[going]
                rays = tuple(r[going] for r in rays)
            else:
                t, gap = t_next, gap_next
        self._refine((ax, ay, uz, hh), lo, hi)
        return self._ground(direction, hi)

    def cast_frame(self) -> dict[str, np.ndarray]:
        """:meth:`cast` every pixel centre of the frame (row-major). Views looking down at least 30° (drones) first
        cast every 8th row and column and start each ray at 80 % of its nearest coarse neighbours' shortest hit:
        with terrain features hundreds of metres wide, nothing closer can hide between rays a few metres apart."""
        rows, cols = np.mgrid[0:self.camera.height_px, 0:self.camera.width_px].astype(np.float64)
        if self.pose.pitch_deg > _COARSE_MAX_PITCH_DEG:
            return self.cast(rows, cols)
        coarse_r = np.unique(np.r_[np.arange(0, self.camera.height_px, _COARSE_STEP_PX), self.camera.height_px - 1])
        coarse_c = np.unique(np.r_[np.arange(0, self.camera.width_px, _COARSE_STEP_PX), self.camera.width_px - 1])
        grid_r, grid_c = np.meshgrid(coarse_r.astype(float), coarse_c.astype(float), indexing="ij")
        t_coarse = self.cast(grid_r, grid_c)["t"].reshape(grid_r.shape)
        i = np.clip(np.searchsorted(coarse_r, np.arange(self.camera.height_px), side="right") - 1, 0,
                    coarse_r.size - 2)
        j = np.clip(np.searchsorted(coarse_c, np.arange(self.camera.width_px), side="right") - 1, 0,
                    coarse_c.size - 2)
        nearest = np.minimum(np.minimum(t_coarse[i][:, j], t_coarse[i + 1][:, j]),
                             np.minimum(t_coarse[i][:, j + 1], t_coarse[i + 1][:, j + 1]))
        return self.cast(rows, cols, t_start=_START_FRACTION * nearest)

    def _refine(self, rays: tuple[np.ndarray, ...], lo: np.ndarray, hi: np.ndarray) -> None:
        """Bisection down to a bracket of _FINAL_BRACKET_M, then one linear interpolation (gap is smooth and
        nearly linear at that scale: error ≈ f''·Δ²/(2 f') < 1 mm), written into ``hi``."""
        idx = np.flatnonzero(np.isfinite(hi))
        while True:
            wide = idx[(hi[idx] - lo[idx]) > _FINAL_BRACKET_M]
            if not wide.size:
                break
            mid = 0.5 * (lo[wide] + hi[wide])
            gap = self._height_gap(tuple(r[wide] for r in rays), mid)
            below = ~(gap > 0)
            hi[wide[below]] = mid[below]
            lo[wide[~below]] = mid[~below]
        if idx.size:
            sub = tuple(r[idx] for r in rays)
            g_lo = self._height_gap(sub, lo[idx])
            g_hi = self._height_gap(sub, hi[idx])
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(np.isfinite(g_lo) & np.isfinite(g_hi) & (g_lo > g_hi), g_lo / (g_lo - g_hi), 1.0)
            hi[idx] = lo[idx] + np.clip(w, 0.0, 1.0) * (hi[idx] - lo[idx])

    def _ground(self, direction: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        safe_t = np.where(np.isfinite(t), t, 0.0)
        x, y = self.scene_xy(direction[:, 0] * safe_t, direction[:, 1] * safe_t)
        sky = ~np.isfinite(t)
        x = np.where(sky, np.nan, x)
        y = np.where(sky, np.nan, y)
        z = np.where(sky, np.nan, self.terrain.sample(np.where(sky, self.camera_xy[0], x),
                                                        np.where(sky, self.camera_xy[1], y)))
        return {"t": t, "x": x, "y": y, "z": z, "direction": direction}

    # ------------------------------------------------------------------ projection
    def project(self, x, y, z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pixel ``(row, col)`` and apparent slant distance (m) of scene points ``(x, y, z m AMSL)``.

        Exact (pyproj geodesic), with the same curvature/refraction model as the rays; NaN behind the camera.
        """
        x, y, z = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (x, y, z))
        lon, lat = self._to_lonlat.transform(x, y)
        azimuth, _, distance = GEOD.inv(np.full(x.shape, self.pose.lon_deg), np.full(x.shape, self.pose.lat_deg),
                                        lon, lat)
        azimuth = np.radians(np.asarray(azimuth))
        distance = np.asarray(distance)
        enu = np.stack([distance * np.sin(azimuth), distance * np.cos(azimuth),
                        z - self.z_m - CURVATURE_PER_M * distance**2], axis=-1)
        rows, cols = self.camera.ray_to_pixel(enu @ self.rotation)
        return rows, cols, np.linalg.norm(enu, axis=-1)
