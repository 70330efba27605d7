"""Private kernel of :func:`ingest.terrain.intersect_rays`: hierarchical ray marching through a DEM + bisection.

Rays are vectorised. Each ray's slant-range interval is first cut to where it can meet the DEM at all (below its
maximum, not yet below its minimum). A coarse pass then steps half a *tile* (``TILE_CELLS`` DEM cells) at a time
and keeps only the segments where the ray comes within reach of the tile maxima (dilated so a half-tile step can
never skip a tile, and by one cell for the bilinear halo). Only those candidate segments are marched finely at half
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
#: Extra height (m) a ray must clear above a tile maximum to skip it: covers the sag of the curved ray between two
#: coarse samples (a·Δt²/4 < 1e-4 m for half-tile steps of a 100 m DEM) with a wide margin.
SKIP_MARGIN_M = 0.1
#: Upper bound on coarse samples held at once (about 50 MB of float64 work arrays).
_MAX_COARSE_SAMPLES = 1_000_000

_GEOD = pyproj.Geod(ellps="WGS84")


def tile_maxima(terrain: Terrain, tile: int = TILE_CELLS) -> np.ndarray:
    """Per tile of ``tile × tile`` cells, the highest elevation any bilinear sample within reach of it can have.

    Each cell is first dilated by its 8 neighbours (bilinear samples mix neighbouring cells), tiles are reduced by
    maximum, and tiles are dilated by their 8 neighbours (a half-tile step can enter the next tile). Nodata cells
    make their tiles +inf, so a ray passing them is always marched finely and the hole is found. Cached per terrain.
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
    maxima = ndimage.maximum_filter(maxima, size=3, mode="nearest")
    terrain._tile_max_cache[tile] = maxima
    return maxima


def _track_model(terrain: Terrain, lon0: float, lat0: float, azimuth_deg: np.ndarray, d_end: np.ndarray):
    """Quadratic ground track in grid metres: returns ``f(ray_index, d) -> (x, y)`` exact at d = 0, d_end/2, d_end."""
    m = azimuth_deg.shape[0]
    x0, y0 = terrain.lonlat_to_xy(lon0, lat0)
    lon_ends, lat_ends, _ = _GEOD.fwd(np.full(2 * m, lon0), np.full(2 * m, lat0), np.tile(azimuth_deg, 2),
                                      np.concatenate([0.5 * d_end, d_end]))
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
    position = _track_model(terrain, lon0, lat0, azimuth_deg, np.where(active, t_hi * cos_el, 0.0))
    coarse_step_m = TILE_CELLS * terrain.resolution_m / 2.0  # horizontal
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
    reach = np.full(owner.size, np.inf)  # outside the DEM: always look closely (finds the edge → uncovered)
    reach[inside] = maxima[tile_r[inside].astype(np.intp), tile_c[inside].astype(np.intp)]
    h = ray_height_m(h0, t, sin_el[owner], cos_el[owner], refraction_k)
    last = k == n_coarse[owner]
    h_next = np.empty_like(h)
    h_next[:-1] = h[1:]
    h_next[-1] = np.inf
    candidate = ~last & (np.minimum(h, h_next) - SKIP_MARGIN_M <= reach)
    cand = np.flatnonzero(candidate)              # grouped by ray, nearest first
    cand_owner = owner[cand]
    first = np.searchsorted(cand_owner, rays, side="left")
    stop = np.searchsorted(cand_owner, rays, side="right")
    pointer = first.copy()
    lo_t = np.full(rays.size, np.nan)
    hi_t = np.full(rays.size, np.nan)
    fine = np.arange(TILE_CELLS + 1) / TILE_CELLS
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
        big = TILE_CELLS + 2
        first_cross = np.where(crossing.any(axis=1), crossing.argmax(axis=1), big)
        first_hole = np.where(hole.any(axis=1), hole.argmax(axis=1), big)
        crossed = first_cross < big
        found = crossed & (first_hole > first_cross)  # a hole before the crossing: unknown ground
        holed = ~found & (first_hole < big)
        rows = np.arange(sel.size)
        j = np.minimum(first_cross, TILE_CELLS - 1)
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
    col = inv.a * x + inv.c - 0.5
    row = inv.e * y + inv.f - 0.5
    rows, cols = terrain.elevation.shape
    inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    col = np.clip(np.where(inside, col, 0.0), 0.0, cols - 1.0)  # NaN positions read cell 0, then masked
    row = np.clip(np.where(inside, row, 0.0), 0.0, rows - 1.0)
    c0 = np.minimum(col.astype(np.intp), cols - 2)
    r0 = np.minimum(row.astype(np.intp), rows - 2)
    fc = col - c0
    fr = row - r0
    flat = terrain.elevation.ravel()
    i00 = r0 * cols + c0
    z00, z01, z10, z11 = flat[i00], flat[i00 + 1], flat[i00 + cols], flat[i00 + cols + 1]
    top = z00 + (z01 - z00) * fc
    bottom = z10 + (z11 - z10) * fc
    z = np.where(inside, top + (bottom - top) * fr, np.nan)
    dz_dcol = (z01 - z00) * (1.0 - fr) + (z11 - z10) * fr
    dz_drow = bottom - top
    return z, dz_dcol * inv.a, dz_drow * inv.e
