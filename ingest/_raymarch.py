"""Private kernel of :func:`ingest.terrain.intersect_rays`: hierarchical ray marching through a DEM + bisection.

Rays are vectorised. Each ray's slant-range interval is first cut to where it can meet the DEM at all (below its
maximum, not yet below its minimum). A coarse pass then steps just under a *tile* (``TILE_CELLS`` DEM cells) at a
time and keeps only the segments where the ray comes within reach of the maxima of the (at most 2×2) tiles the step
spans (each tile's maximum includes a one-cell halo for bilinear sampling). Only those candidate segments are marched finely at half
a DEM cell, nearest first, so the first crossing from above the ground to below it still wins (occlusion). The
crossing is refined by bisection to ``RANGE_TOLERANCE_M`` and a final false-position step (millimetres). All
positions are in the DEM's grid CRS through a quadratic ground-track model, exact at three points of each ray's
geodesic (see :mod:`ingest.terrain`).
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
from scipy import ndimage

from ingest.terrain import RANGE_TOLERANCE_M, Terrain, _first_descent_roots, ray_height_m

#: DEM cells per side of a coarse tile: 8 cuts the coarse samples 8-fold while a candidate segment costs 9 samples.
TILE_CELLS = 8
#: Coarse step in tiles: just under one, so a step's bounding box covers at most 2×2 tiles (checked exactly).
COARSE_STEP_TILES = 0.95
#: Fine samples per coarse step: 2·TILE_CELLS intervals of at most half a DEM cell.
FINE_STEPS = 2 * TILE_CELLS
#: Extra height (m) a ray must clear above a tile maximum to skip it: covers the sag of the curved ray between two
#: coarse samples (a·Δt²/4 < 1e-4 m for half-tile steps of a 100 m DEM) with a wide margin.
SKIP_MARGIN_M = 0.1
#: Largest disagreement (metres) a local polynomial map may show at its check points before exact geodesics are
#: used instead: far below the 0.05 m range tolerance of the intersection.
LOCAL_MAP_TOLERANCE_M = 0.005
#: Below this many rays, exact per-ray geodesics are cheaper than fitting a local map.
_LOCAL_MAP_MIN_RAYS = 64
#: Upper bound on coarse samples held at once (about 50 MB of float64 work arrays).
_MAX_COARSE_SAMPLES = 1_000_000

_GEOD = pyproj.Geod(ellps="WGS84")


def tile_maxima(terrain: Terrain, tile: int = TILE_CELLS) -> np.ndarray:
    """Per tile of ``tile × tile`` cells, the highest elevation any bilinear sample within reach of it can have.

    Each cell is first dilated by its 8 neighbours (bilinear samples mix neighbouring cells), then tiles are reduced
    by maximum. Nodata cells make their tiles +inf, so a ray passing them is always marched finely and the hole is
    found. Cached per terrain.
    """
    cached = terrain._tile_max_cache.get(tile)
    if cached is not None:
        return cached
    z = terrain.elevation
    filled = np.where(np.isnan(z), np.inf, z)
    halo = ndimage.maximum_filter(filled, size=3, mode="nearest")
    rows, cols = z.shape
    n_ty, n_tx = -(-rows // tile), -(-cols // tile)
    padded = np.full((n_ty * tile, n_tx * tile), -np.inf)
    padded[:rows, :cols] = halo
    maxima = padded.reshape(n_ty, tile, n_tx, tile).max(axis=(1, 3))
    terrain._tile_max_cache[tile] = maxima
    return maxima


class LocalMap:
    """Cubic polynomials from local azimuthal-equidistant offsets ``(east, north)`` (metres along the geodesic from
    the camera) to WGS 84 degrees and, with a terrain, to its grid metres; fitted on exact :class:`pyproj.Geod`
    points and accepted only when they reproduce independent check points within ``LOCAL_MAP_TOLERANCE_M``.

    One fit serves every ray of a batch, replacing three geodesic computations per ray (the two far points of each
    ray's quadratic track and its final position). Cubic terms carry earth
    curvature, meridian convergence and the projection's scale variation; the next order is about d⁴/R³ (3 mm at
    30 km), so the check passes for every practical radius.
    """

    def __init__(self, lon0: float, lat0: float, radius_m: float, terrain: Terrain | None = None) -> None:
        self.lon0, self.lat0, self.radius = lon0, lat0, max(float(radius_m), 1.0)
        self.terrain = terrain
        fit_az, fit_d = np.meshgrid(np.arange(0.0, 360.0, 30.0), np.array([0.25, 0.5, 0.75, 1.0]) * self.radius)
        check_az, check_d = np.meshgrid(np.arange(15.0, 360.0, 45.0), np.array([0.37, 0.63, 0.9]) * self.radius)
        az = np.concatenate([[0.0], fit_az.ravel(), check_az.ravel()])
        d = np.concatenate([[0.0], fit_d.ravel(), check_d.ravel()])
        n_fit = 1 + fit_az.size
        lon, lat, _ = _GEOD.fwd(np.full(az.size, lon0), np.full(az.size, lat0), az, d)
        east, north = d * np.sin(np.radians(az)), d * np.cos(np.radians(az))
        targets = [np.asarray(lon) - lon0, np.asarray(lat) - lat0]
        metres_per_unit = [111_320.0 * math.cos(math.radians(lat0)), 110_574.0]
        if terrain is not None:
            x, y = terrain.lonlat_to_xy(lon, lat)
            self.x0, self.y0 = terrain.lonlat_to_xy(lon0, lat0)
            targets += [np.asarray(x) - self.x0, np.asarray(y) - self.y0]
            metres_per_unit += [1.0, 1.0]
        design = self._design(east, north)
        self.coefficients = np.linalg.lstsq(design[:n_fit], np.column_stack(targets)[:n_fit], rcond=None)[0]
        residual = np.abs(design[n_fit:] @ self.coefficients - np.column_stack(targets)[n_fit:])
        self.ok = bool(np.all(residual * np.array(metres_per_unit) < LOCAL_MAP_TOLERANCE_M))

    def _design(self, east: np.ndarray, north: np.ndarray) -> np.ndarray:
        u, v = east / self.radius, north / self.radius
        return np.stack([u, v, u * u, u * v, v * v, u * u * u, u * u * v, u * v * v, v * v * v], axis=-1)

    def _evaluate(self, east: np.ndarray, north: np.ndarray, columns: slice) -> np.ndarray:
        return self._design(east, north) @ self.coefficients[:, columns]

    def lonlat(self, east: np.ndarray, north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 degrees of the points ``(east, north)`` metres (geodesic distance and azimuth) from the camera."""
        out = self._evaluate(east, north, slice(0, 2))
        return self.lon0 + out[..., 0], self.lat0 + out[..., 1]

    def grid_xy(self, east: np.ndarray, north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Terrain grid metres of the points ``(east, north)``."""
        out = self._evaluate(east, north, slice(2, 4))
        return self.x0 + out[..., 0], self.y0 + out[..., 1]


def lonlat_along(lon0: float, lat0: float, azimuth_deg: np.ndarray, distance_m: np.ndarray):
    """WGS 84 degrees at ``distance_m`` along geodesics leaving ``(lon0, lat0)`` at ``azimuth_deg`` (arrays ``(N,)``).

    Large batches go through one :class:`LocalMap` fit; small ones (or a failed fit) through :class:`pyproj.Geod`.
    """
    if azimuth_deg.size >= _LOCAL_MAP_MIN_RAYS:
        local = LocalMap(lon0, lat0, float(np.max(distance_m)))
        if local.ok:
            az = np.radians(azimuth_deg)
            return local.lonlat(distance_m * np.sin(az), distance_m * np.cos(az))
    lon, lat, _ = _GEOD.fwd(np.full(azimuth_deg.size, lon0), np.full(azimuth_deg.size, lat0), azimuth_deg,
                            distance_m)
    return np.asarray(lon), np.asarray(lat)


def _track_model(terrain: Terrain, lon0: float, lat0: float, azimuth_deg: np.ndarray, d_end: np.ndarray,
                 local: LocalMap | None = None):
    """Quadratic ground track in grid metres: returns ``f(ray_index, d) -> (x, y)`` exact at d = 0, d_end/2, d_end.

    The two far points come from the fitted ``local`` map when given, else from exact geodesics per ray.
    """
    m = azimuth_deg.shape[0]
    x0, y0 = terrain.lonlat_to_xy(lon0, lat0)
    d = np.concatenate([0.5 * d_end, d_end])
    az = np.tile(azimuth_deg, 2)
    if local is not None:
        xs, ys = local.grid_xy(d * np.sin(np.radians(az)), d * np.cos(np.radians(az)))
    else:
        lon_ends, lat_ends, _ = _GEOD.fwd(np.full(2 * m, lon0), np.full(2 * m, lat0), az, d)
        xs, ys = terrain.lonlat_to_xy(lon_ends, lat_ends)
    inv_end = 1.0 / np.where(d_end > 0.0, d_end, 1.0)
    coeffs = []
    for p0, pm, pe in ((float(x0), xs[:m], xs[m:]), (float(y0), ys[:m], ys[m:])):
        # p(d) = p0 + b·u + c·u², u = d / d_end, through p(0.5) = pm and p(1) = pe.
        c = 2.0 * (pe - 2.0 * pm + p0)
        coeffs.append((p0, pe - p0 - c, c))
    (px, bx, cx), (py, by, cy) = coeffs

    def position(index: np.ndarray, d: np.ndarray):
        u = d * inv_end[index]
        return px + u * (bx[index] + u * cx[index]), py + u * (by[index] + u * cy[index])

    return position


def march_rays(terrain: Terrain, lon0: float, lat0: float, h0: float, azimuth_deg: np.ndarray, sin_el: np.ndarray,
               cos_el: np.ndarray, curvature: np.ndarray, max_range_m: float, refraction_k: float):
    """March rays ``(M,)`` through ``terrain``; returns ``(range_m, elevation_m, uncovered)`` arrays ``(M,)``."""
    m = sin_el.shape[0]
    out_range = np.full(m, np.nan)
    out_elev = np.full(m, np.nan)
    uncovered = np.zeros(m, dtype=bool)
    # Slant-range interval where the ray is below the DEM maximum and has not yet sunk below the DEM minimum,
    # started 1 m early so that its first sample is strictly above the ground.
    top1, top2 = _first_descent_roots(curvature, sin_el, h0 - terrain.max_elevation_m)
    bot1, _ = _first_descent_roots(curvature, sin_el, h0 - terrain.min_elevation_m)
    t_lo = np.maximum(np.nan_to_num(top1, nan=np.inf, neginf=0.0) - 1.0, 0.0)
    t_hi = np.fmin(np.nan_to_num(top2, nan=-np.inf), max_range_m)
    t_hi = np.where(np.isfinite(bot1) & (bot1 >= 0.0), np.fmin(t_hi, bot1 + 1.0), t_hi)
    active = np.isfinite(t_lo) & (t_hi > t_lo)
    if not active.any():
        return out_range, out_elev, uncovered
    d_end = np.where(active, t_hi * cos_el, 0.0)
    local = LocalMap(lon0, lat0, float(d_end.max()), terrain) if active.sum() >= _LOCAL_MAP_MIN_RAYS else None
    position = _track_model(terrain, lon0, lat0, azimuth_deg, d_end, local if local is not None and local.ok else None)
    # A coarse step shorter than a tile (5 % margin for the projection's scale factor) spans at most 2×2 tiles.
    coarse_step_m = COARSE_STEP_TILES * TILE_CELLS * terrain.resolution_m  # horizontal
    n_coarse = np.where(active, np.maximum(1.0, np.ceil((t_hi - t_lo) * cos_el / coarse_step_m)), 0).astype(np.intp)
    rays = np.flatnonzero(active)
    cum = np.cumsum(n_coarse[rays] + 1)
    begin = 0
    while begin < rays.size:
        base = cum[begin - 1] if begin else 0
        end = max(begin + 1, int(np.searchsorted(cum, base + _MAX_COARSE_SAMPLES, side="right")))
        _march_chunk(terrain, rays[begin:end], position, h0, sin_el, cos_el, t_lo, t_hi, n_coarse, refraction_k,
                     out_range, out_elev, uncovered)
        begin = end
    return out_range, out_elev, uncovered


def _march_chunk(terrain, rays, position, h0, sin_el, cos_el, t_lo, t_hi, n_coarse, refraction_k,
                 out_range, out_elev, uncovered) -> None:
    """Coarse pass, fine pass over candidate segments (nearest first), bisection; writes the ``out_*`` arrays."""
    inv = terrain._inv
    maxima = tile_maxima(terrain)
    n_ty, n_tx = maxima.shape

    def gap(index, t_s):
        x, y = position(index, t_s * cos_el[index])
        z = terrain.elevation_at_xy(x, y)
        return ray_height_m(h0, t_s, sin_el[index], cos_el[index], refraction_k) - z, z

    # Coarse samples: n_coarse + 1 per ray, uniform in slant range.
    counts = n_coarse[rays] + 1
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    owner = np.repeat(rays, counts)
    k = np.arange(owner.size) - np.repeat(offsets, counts)
    t = t_lo[owner] + (t_hi[owner] - t_lo[owner]) * (k / n_coarse[owner])
    x, y = position(owner, t * cos_el[owner])
    tile_c = np.floor((inv.a * x + inv.c) / TILE_CELLS)
    tile_r = np.floor((inv.e * y + inv.f) / TILE_CELLS)
    inside = (tile_c >= 0) & (tile_c < n_tx) & (tile_r >= 0) & (tile_r < n_ty)
    tr = np.where(inside, tile_r, 0).astype(np.intp)
    tc = np.where(inside, tile_c, 0).astype(np.intp)
    last = k == n_coarse[owner]
    nxt = np.minimum(np.arange(owner.size) + 1, owner.size - 1)   # next sample of the same ray (unless last)
    # Highest tile a segment can touch: the four tiles spanned by its end points (outside the DEM: +inf, so the
    # fine march finds the edge and reports the ray as uncovered).
    reach = np.full(owner.size, np.inf)
    both = inside & inside[nxt]
    reach[both] = np.maximum(np.maximum(maxima[tr[both], tc[both]], maxima[tr[nxt][both], tc[nxt][both]]),
                             np.maximum(maxima[tr[both], tc[nxt][both]], maxima[tr[nxt][both], tc[both]]))
    h = ray_height_m(h0, t, sin_el[owner], cos_el[owner], refraction_k)
    candidate = ~last & (np.minimum(h, h[nxt]) - SKIP_MARGIN_M <= reach)
    cand = np.flatnonzero(candidate)              # grouped by ray, nearest first
    cand_owner = owner[cand]
    first = np.searchsorted(cand_owner, rays, side="left")
    stop = np.searchsorted(cand_owner, rays, side="right")
    pointer = first.copy()
    lo_t = np.full(rays.size, np.nan)
    hi_t = np.full(rays.size, np.nan)
    fine = np.arange(FINE_STEPS + 1) / FINE_STEPS
    pending = pointer < stop
    while pending.any():
        sel = np.flatnonzero(pending)
        seg = cand[pointer[sel]]
        t0, t1 = t[seg], t[seg + 1]
        ts = t0[:, None] + (t1 - t0)[:, None] * fine[None, :]
        idx = np.broadcast_to(rays[sel][:, None], ts.shape)
        diff, _ = gap(idx, ts)
        crossing = (diff[:, :-1] > 0.0) & (diff[:, 1:] <= 0.0)
        hole = np.isnan(diff)
        big = FINE_STEPS + 2
        first_cross = np.where(crossing.any(axis=1), crossing.argmax(axis=1), big)
        first_hole = np.where(hole.any(axis=1), hole.argmax(axis=1), big)
        crossed = first_cross < big
        found = crossed & (first_hole > first_cross)  # a hole before the crossing: unknown ground
        holed = ~found & (first_hole < big)
        rows = np.arange(sel.size)
        j = np.minimum(first_cross, FINE_STEPS - 1)
        lo_t[sel[found]] = ts[rows, j][found]
        hi_t[sel[found]] = ts[rows, j + 1][found]
        uncovered[rays[sel[holed]]] = True
        done = found | holed
        pointer[sel[~done]] += 1
        pending[sel[done]] = False
        pending[sel] &= pointer[sel] < stop[sel]
    hit = np.isfinite(lo_t)
    if not hit.any():
        return
    hit_rays = rays[hit]
    lo, hi = lo_t[hit], hi_t[hit]
    width = float(np.max(hi - lo))
    for _ in range(max(0, math.ceil(math.log2(width / RANGE_TOLERANCE_M))) if width > RANGE_TOLERANCE_M else 0):
        mid = 0.5 * (lo + hi)
        above = gap(hit_rays, mid)[0] > 0.0
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    # One false-position step in the final bracket: the ground is linear to well under a millimetre over 5 cm.
    gap_lo, gap_hi = gap(hit_rays, lo)[0], gap(hit_rays, hi)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.clip(gap_lo / (gap_lo - gap_hi), 0.0, 1.0)
    final_t = lo + (hi - lo) * np.where(np.isfinite(fraction), fraction, 0.5)
    out_range[hit_rays] = final_t
    out_elev[hit_rays] = gap(hit_rays, final_t)[1]


def elevation_and_gradient_xy(terrain: Terrain, x: np.ndarray, y: np.ndarray):
    """Bilinear elevation (m AMSL) and its gradient ``(∂z/∂x, ∂z/∂y)`` (m/m) at grid positions; NaN outside."""
    inv = terrain._inv
    inside, i00, fr, fc = terrain._cells(x, y)
    flat, cols = terrain.elevation.ravel(), terrain.elevation.shape[1]
    z00, z01, z10, z11 = flat[i00], flat[i00 + 1], flat[i00 + cols], flat[i00 + cols + 1]
    top = z00 + (z01 - z00) * fc
    bottom = z10 + (z11 - z10) * fc
    z = np.where(inside, top + (bottom - top) * fr, np.nan)
    dz_dcol = (z01 - z00) * (1.0 - fr) + (z11 - z10) * fr
    dz_drow = bottom - top
    return z, dz_dcol * inv.a, dz_drow * inv.e
