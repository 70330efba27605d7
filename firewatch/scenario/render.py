"""Render one thermal frame: terrain temperature per pixel, sub-pixel heat sources mixed in radiance, atmosphere,
optics blur, sensor noise and saturation.

Pipeline (all per pixel):

1. the pixel-centre ray is cast on the terrain (:class:`~firewatch.scenario.geometry.ViewGeometry`); its ground point
   gets the natural surface temperature (:mod:`firewatch.scenario.surface`), sky pixels the clear-sky temperature;
2. each heat-source polygon (flaming band, smouldering interior, false target) covers a fraction of the pixel's
   ground footprint — the quadrilateral of its four corner rays' ground points — computed exactly with shapely on
   the footprints the polygon's boundary crosses and by corner containment elsewhere;
3. band radiance (8–14 µm) is mixed by area: ``L = (1 − Σf)·L(T_bg) + Σ f_i·L(T_i)``;
4. atmosphere: ``L ← τ·L + (1 − τ)·L(T_air)`` with ``τ = exp(−β·range)``;
5. optics: Gaussian PSF on radiance; then brightness temperature, NETD noise (kelvin, Gaussian), and clipping at
   the camera's ceiling (``saturated`` marks those pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.ndimage import binary_erosion, gaussian_filter
from shapely.geometry import Polygon, box

from firewatch.scenario.geometry import ViewGeometry
from firewatch.scenario.radiometry import band_radiance, brightness_temperature
from firewatch.scenario.surface import air_temperature, sky_temperature, surface_temperature

#: A footprint counts as fully covered at this fraction (numerical slack of the polygon clipping).
FULL_COVER_FRACTION = 0.999


@dataclass(frozen=True)
class HeatSource:
    """A polygon (scene CRS) at a temperature, belonging to a fire or a false target."""

    source_id: str  # fire_id or target_id
    kind: str  # flaming | smouldering | rock | roof | solar
    polygon: Polygon
    temperature_k: float


#: Corner rays start at this fraction of the shortest hit of the four pixel centres around them.
_CORNER_START_FRACTION = 0.8


def corner_start(centre_t: np.ndarray) -> np.ndarray:
    """Start distances (m) for the ``(rows + 1) × (cols + 1)`` pixel-corner rays from the pixel-centre hits
    ``centre_t`` (rows × cols): a fraction of the nearest of the four centres around each corner (0 next to sky)."""
    padded = np.pad(centre_t, 1, mode="edge")
    nearest = np.minimum(np.minimum(padded[:-1, :-1], padded[:-1, 1:]), np.minimum(padded[1:, :-1], padded[1:, 1:]))
    return np.nan_to_num(_CORNER_START_FRACTION * nearest, nan=0.0)


def coverage(geometry: ViewGeometry, polygon: Polygon, *, corner_t_start: np.ndarray | None = None
             ) -> tuple[int, int, np.ndarray] | None:
    """Fraction of each pixel footprint covered by ``polygon``: ``(row0, col0, fractions window)`` or None when the
    polygon is out of view. ``corner_t_start`` (from :func:`corner_start`) speeds up the corner rays."""
    camera = geometry.camera
    rings = [np.asarray(polygon.exterior.coords)] + [np.asarray(r.coords) for r in polygon.interiors]
    vertices = np.concatenate(rings)
    vz = geometry.terrain.sample(vertices[:, 0], vertices[:, 1])
    rows, cols, _ = geometry.project(vertices[:, 0], vertices[:, 1], vz)
    if np.isnan(rows).all():
        return None
    if np.isnan(rows).any():  # the polygon straddles the camera plane (under a drone): search the whole frame
        r0, r1, c0, c1 = 0, camera.height_px - 1, 0, camera.width_px - 1
    else:
        r0 = max(math.floor(rows.min()) - 2, 0)
        r1 = min(math.ceil(rows.max()) + 2, camera.height_px - 1)
        c0 = max(math.floor(cols.min()) - 2, 0)
        c1 = min(math.ceil(cols.max()) + 2, camera.width_px - 1)
        if r0 > r1 or c0 > c1:
            return None
    corner_r, corner_c = np.mgrid[r0 - 0.5:r1 + 1.0:1.0, c0 - 0.5:c1 + 1.0:1.0]
    start = None if corner_t_start is None else corner_t_start[r0:r1 + 2, c0:c1 + 2]
    ground = geometry.cast(corner_r, corner_c, t_start=start)
    shape = corner_r.shape
    gx = ground["x"].reshape(shape)
    gy = ground["y"].reshape(shape)
    valid_corner = np.isfinite(gx)
    safe_x = np.where(valid_corner, gx, 0.0)
    safe_y = np.where(valid_corner, gy, 0.0)

    def quads(values: np.ndarray) -> np.ndarray:
        return np.stack([values[:-1, :-1], values[:-1, 1:], values[1:, 1:], values[1:, :-1]], axis=-1)

    boundary = np.zeros((shape[0] - 1, shape[1] - 1), dtype=bool)
    for ring in rings:
        inside = quads(shapely.contains_xy(Polygon(ring), safe_x, safe_y) & valid_corner)
        boundary |= inside.any(axis=-1) != inside.all(axis=-1)
    in_view = ~np.isnan(rows)
    vr = np.round(rows[in_view]).astype(int) - r0
    vc = np.round(cols[in_view]).astype(int) - c0
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            ok = (vr + dr >= 0) & (vr + dr < boundary.shape[0]) & (vc + dc >= 0) & (vc + dc < boundary.shape[1])
            boundary[vr[ok] + dr, vc[ok] + dc] = True
    valid_quad = quads(valid_corner).all(axis=-1)
    inside_all = quads(shapely.contains_xy(polygon, safe_x, safe_y) & valid_corner).all(axis=-1)
    fraction = np.where(inside_all & ~boundary & valid_quad, 1.0, 0.0)
    todo = np.argwhere(boundary & valid_quad)
    if todo.size:
        qx, qy = quads(gx)[todo[:, 0], todo[:, 1]], quads(gy)[todo[:, 0], todo[:, 1]]
        coords = np.stack([np.concatenate([qx, qx[:, :1]], axis=1), np.concatenate([qy, qy[:, :1]], axis=1)], axis=-1)
        footprints = shapely.make_valid(shapely.polygons(coords))
        area = shapely.area(footprints)
        covered = shapely.area(shapely.intersection(footprints, polygon))
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction[todo[:, 0], todo[:, 1]] = np.where(area > 0, np.clip(covered / area, 0.0, 1.0), 0.0)
    if not fraction.any():
        return None
    return r0, c0, fraction


def render(geometry: ViewGeometry, centre: dict, sources: list[HeatSource], *, sun: tuple[float, float],
           config, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    """Render a frame; returns ``(temperature_k float32 rows×cols, saturated bool, visibility)``.

    ``centre`` is ``geometry.cast`` of the pixel centres (cached by the caller for fixed views). ``visibility`` maps
    each source id to pixel counts, the fraction-weighted centroid ``(row, col)`` and whether a 3×3 block of fully
    covered pixels exists (``resolved_3x3``).
    """
    camera = geometry.camera
    shape = (camera.height_px, camera.width_px)
    x, y, z, t = (centre[k].reshape(shape) for k in ("x", "y", "z", "t"))
    ground = np.isfinite(t)
    gx, gy = geometry.terrain.gradient(np.where(ground, x, geometry.camera_xy[0]),
                                       np.where(ground, y, geometry.camera_xy[1]))
    surface = surface_temperature(np.nan_to_num(x), np.nan_to_num(y), np.nan_to_num(z), gx, gy,
                                  sun_elevation_deg=sun[0], sun_azimuth_deg=sun[1], air_k=config.air_temperature_k,
                                  seed=config.seed)
    view_elevation = np.degrees(np.arcsin(np.clip(centre["direction"][:, 2], -1, 1))).reshape(shape)
    background = np.where(ground, surface, sky_temperature(view_elevation))
    radiance = band_radiance(background)

    covered = np.zeros(shape)
    hot = np.zeros(shape)
    per_source: dict[str, np.ndarray] = {}
    seen_ground = box(np.nanmin(x) - 1.0, np.nanmin(y) - 1.0, np.nanmax(x) + 1.0, np.nanmax(y) + 1.0) \
        if ground.any() else None
    corner_t_start = corner_start(t)
    for source in sources:
        if seen_ground is None or not source.polygon.intersects(seen_ground):
            continue
        found = coverage(geometry, source.polygon, corner_t_start=corner_t_start)
        if found is None:
            continue
        r0, c0, fraction = found
        window = (slice(r0, r0 + fraction.shape[0]), slice(c0, c0 + fraction.shape[1]))
        covered[window] += fraction
        hot[window] += fraction * float(band_radiance(source.temperature_k))
        per_source.setdefault(source.source_id, np.zeros(shape))[window] += fraction
    scale = np.where(covered > 1.0, 1.0 / np.maximum(covered, 1e-12), 1.0)  # polygons never overlap; guard anyway
    radiance = (1.0 - covered * scale) * radiance + hot * scale

    if config.atmosphere_extinction_per_km > 0:
        tau = np.exp(-config.atmosphere_extinction_per_km * np.nan_to_num(t) / 1000.0)
        path_k = air_temperature(config.air_temperature_k, 0.5 * (geometry.z_m + np.nan_to_num(z, nan=geometry.z_m)))
        radiance = np.where(ground, tau * radiance + (1.0 - tau) * band_radiance(path_k), radiance)
    if config.psf_sigma_px > 0:
        radiance = gaussian_filter(radiance, config.psf_sigma_px, mode="nearest")
    temperature = brightness_temperature(radiance)
    if config.netd_k > 0:
        temperature = temperature + rng.normal(0.0, config.netd_k, shape)
    ceiling = camera.saturation_k if camera.saturation_k is not None else config.saturation_k
    saturated = temperature >= ceiling
    temperature = np.where(saturated, ceiling, temperature).astype(np.float32)
    return temperature, saturated, _visibility(per_source)


def _visibility(per_source: dict[str, np.ndarray]) -> dict:
    result = {}
    for source_id, fraction in per_source.items():
        seen = fraction > 0
        if not seen.any():
            continue
        full = fraction >= FULL_COVER_FRACTION
        rows, cols = np.nonzero(seen)
        weights = fraction[seen]
        result[source_id] = {
            "pixels": int(seen.sum()),
            "full_pixels": int(full.sum()),
            "row": round(float(np.average(rows, weights=weights)), 3),
            "col": round(float(np.average(cols, weights=weights)), 3),
            "max_fraction": round(float(fraction.max()), 6),
            "covered_pixel_equivalent": round(float(weights.sum()), 4),
            "resolved_3x3": bool(binary_erosion(full, structure=np.ones((3, 3), bool)).any()),
        }
    return result
