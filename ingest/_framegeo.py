"""Private kernel of :func:`ingest.georef.georeference`: every pixel of a frame on the ground, fast and checked.

1. Exact rays (:func:`ingest.terrain.intersect_rays`) on a coarse grid of pixels every ``grid_step_px``.
2. Every pixel's ray is known exactly, ``P = C + z·D`` with ``D = R·(x, y, 1)`` in ENU (``(x, y)`` undistorted
   normalised image coordinates) and ``z`` the depth along the optical axis. On planar ground ``1/z`` is linear in
   ``(x, y)``, so its bilinear interpolation between the nodes is exact there; what remains is the ground's bending.
3. Per block of the grid, the bend is measured at the nodes (change of slope of ``1/z``): a slope change ``s``
   inside a block of ``n`` pixels moves values at most ``s·n/4`` off the chord, and the larger of the changes seen at
   the block's two end nodes is at least ``s/2``; an error ``δ`` in ``1/z`` moves the point ``range²/|D|·δ`` metres
   along its ray. Blocks within a tenth of a pixel footprint are interpolated (bilinear, separable).
4. Blocks that bend more but are continuous ground (all corners hit, bend under a footprint) are probed at their
   centre and edge midpoints with Newton rays (below); a block whose doubled worst probe error is within tolerance
   is interpolated after all. The others are *refined*: every pixel takes two Newton steps on
   ``ray height − DEM(x, y)`` from its interpolated range, with the DEM's bilinear gradient; a pixel that does not
   settle, moves farther than the block's bound allows, meets the ground from below, or finds ground just behind
   its answer (an earlier crossing), is marched instead.
5. Everything else (sky or uncovered corners, occlusion edges, horizons) is marched ray by ray.
Longitude/latitude come from an affine fit of the node positions in local east/north metres plus the interpolated
remainder (earth curvature and meridian convergence are smooth), the elevation from the camera height, the up
offset and the interpolated curvature drop.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ingest.camera import Camera
from ingest.errors import TerrainError
from ingest.pose import Pose
from ingest.terrain import EARTH_RADIUS_M, RayHits, Terrain

#: Interpolated pixels must land within this fraction of a pixel footprint of the exact ray's ground point (brief:
#: a tenth of a footprint, so the interpolation never dominates the half-footprint accuracy budget).
INTERP_TOLERANCE_FOOTPRINTS = 0.1
#: Blocks bending more than this many footprints are occlusion edges, horizons or ground too rough to trust a
#: local search on: marched, not Newton-refined.
MAX_REFINE_BEND_FOOTPRINTS = 1.0
#: Half-cell steps back along the ray that must be above the ground for a Newton answer to count as the first
#: crossing (one DEM cell: the marcher's own step is half a cell).
BACKWARD_CHECKS = 2
#: Newton refinement has converged when its last step is below this (metres of range); the marcher's own bracket
#: tolerance is 0.05 m before its false-position step, so this is as tight.
NEWTON_STEP_TOLERANCE_M = 0.005
#: Newton converges quadratically from an interpolated guess a few centimetres off: the second step is the check.
NEWTON_ITERATIONS = 2


def grid_nodes(size: int, step: int) -> np.ndarray:
    """Pixel indices of the coarse grid along one axis: every ``step`` and always the last pixel."""
    nodes = np.arange(0, size, step)
    return nodes if nodes[-1] == size - 1 else np.append(nodes, size - 1)


def interp_weights(size: int, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every index ``0..size-1``: its block (left node number) and the fraction of the way to the next node."""
    index = np.arange(size)
    block = np.clip(np.searchsorted(nodes, index, side="right") - 1, 0, len(nodes) - 2)
    frac = (index - nodes[block]) / (nodes[block + 1] - nodes[block])
    return block, frac


def interpolate(values: np.ndarray, rows: tuple[np.ndarray, np.ndarray], cols: tuple[np.ndarray, np.ndarray],
                node_c: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Separable bilinear interpolation of node values ``(n_r, n_c)`` to every pixel: rows first, then columns.

    The row pass works on the small ``(H, n_c)`` array; the column pass writes the evenly spaced blocks through a
    ``(H, blocks, step)`` view (two array passes, no gathers) and only the last, shorter block by gathering. NaN
    nodes are read as 0 (their blocks are replaced by exact rays).
    """
    block_r, frac_r = rows
    block_c, frac_c = cols
    v = np.where(np.isnan(values), 0.0, values)
    f = frac_r[:, None]
    by_row = (v[block_r] * (1.0 - f) + v[block_r + 1] * f).astype(dtype)
    height, width = by_row.shape[0], block_c.shape[0]
    out = np.empty((height, width), dtype=dtype)
    step = int(node_c[1] - node_c[0])
    even = int(np.sum(np.diff(node_c) == step))  # leading blocks of exactly `step` columns
    if even:
        slope = (by_row[:, 1:even + 1] - by_row[:, :even])[:, :, None]
        view = out[:, :even * step].reshape(height, even, step)
        np.multiply(slope, (np.arange(step, dtype=dtype) / step)[None, None, :], out=view)
        view += by_row[:, :even, None]
    tail = slice(even * step, width)
    g = frac_c[tail][None, :].astype(dtype)
    out[:, tail] = by_row[:, block_c[tail]] * (1 - g) + by_row[:, block_c[tail] + 1] * g
    return out


def _at_nodes(values: np.ndarray, node_r: np.ndarray, node_c: np.ndarray) -> np.ndarray:
    """Values of a per-pixel array at the grid nodes; ``values`` may be ``(H, W)``, ``(1, W)`` or ``(H, 1)``."""
    r = node_r if values.shape[0] > 1 else np.zeros(1, dtype=np.intp)
    c = node_c if values.shape[1] > 1 else np.zeros(1, dtype=np.intp)
    return np.broadcast_to(values[np.ix_(r, c)], (len(node_r), len(node_c)))


def _pick(values: np.ndarray, rr: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """``values[rr, cc]`` for a per-pixel array that may be ``(H, W)``, ``(1, W)`` or ``(H, 1)``."""
    return values[rr if values.shape[0] > 1 else 0, cc if values.shape[1] > 1 else 0]


def local_metres(lon, lat, lon0: float, lat0: float) -> np.ndarray:
    """Local east/north metres ``(..., 2)`` from ``(lon0, lat0)`` (ellipsoidal radii; < 0.1 % error at 15 km)."""
    deg_e, deg_n = degrees_per_metre(lat0)
    east = (lon - lon0) / deg_e * np.cos(np.radians(lat)) / math.cos(math.radians(lat0))
    north = (lat - lat0) / deg_n
    return np.stack([east, north], axis=-1)


def degrees_per_metre(lat_deg: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per metre east / north at ``lat_deg`` on the WGS 84 ellipsoid."""
    a, f = 6378137.0, 1.0 / 298.257223563
    e2 = f * (2.0 - f)
    s = math.sin(math.radians(lat_deg))
    prime_vertical = a / math.sqrt(1.0 - e2 * s * s)
    meridional = prime_vertical * (1.0 - e2) / (1.0 - e2 * s * s)
    return (math.degrees(1.0 / (prime_vertical * math.cos(math.radians(lat_deg)))), math.degrees(1.0 / meridional))


def _slope_bend(values: np.ndarray, nodes: np.ndarray, axis: int) -> np.ndarray:
    """Per node, the change of slope (per pixel) of a node field along ``axis``; NaN at the ends and next to NaN."""
    v = np.moveaxis(values, axis, 0)
    spacing = np.diff(nodes).astype(np.float64).reshape((-1,) + (1,) * (v.ndim - 1))
    slope = np.diff(v, axis=0) / spacing
    bend = np.full(v.shape, np.nan)
    bend[1:-1] = np.abs(slope[1:] - slope[:-1])
    return np.moveaxis(bend, 0, axis)


def pixel_area_from_points(points: np.ndarray, node_r: np.ndarray, node_c: np.ndarray) -> np.ndarray:
    """Ground area per pixel (m²) from 3-D points ``(rows, cols, 3)`` at pixel positions ``node_r × node_c``.

    Area = |∂P/∂row × ∂P/∂col|. Derivatives are central where both neighbours are finite and agree within a factor
    2, otherwise the smaller one-sided difference (at an occlusion edge the far side jumps; the near side is the
    surface the pixel sees).
    """
    def derivative(axis: int, nodes: np.ndarray) -> np.ndarray:
        p = np.moveaxis(points, axis, 0)
        step = np.diff(nodes).astype(np.float64).reshape((-1,) + (1,) * (p.ndim - 1))
        forward = np.full(p.shape, np.nan)
        forward[:-1] = np.diff(p, axis=0) / step
        backward = np.full(p.shape, np.nan)
        backward[1:] = np.diff(p, axis=0) / step
        nf = np.nan_to_num(np.linalg.norm(forward, axis=-1, keepdims=True), nan=np.inf)
        nb = np.nan_to_num(np.linalg.norm(backward, axis=-1, keepdims=True), nan=np.inf)
        agree = (nf <= 2.0 * nb) & (nb <= 2.0 * nf)
        d = np.where(agree, 0.5 * (forward + backward), np.where(nf <= nb, forward, backward))
        return np.moveaxis(d, 0, axis)

    return np.linalg.norm(np.cross(derivative(0, node_r), derivative(1, node_c)), axis=-1)


def _block_max(values: np.ndarray) -> np.ndarray:
    """Per block (between adjacent nodes), the NaN-ignoring maximum over its four corner nodes."""
    with np.errstate(invalid="ignore"):
        return np.fmax(np.fmax(values[:-1, :-1], values[1:, :-1]), np.fmax(values[:-1, 1:], values[1:, 1:]))


def _block_min(values: np.ndarray) -> np.ndarray:
    """Per block (between adjacent nodes), the NaN-ignoring minimum over its four corner nodes."""
    with np.errstate(invalid="ignore"):
        return np.fmin(np.fmin(values[:-1, :-1], values[1:, :-1]), np.fmin(values[:-1, 1:], values[1:, 1:]))


def _block_count(flags: np.ndarray) -> np.ndarray:
    return flags[:-1, :-1].astype(int) + flags[1:, :-1] + flags[:-1, 1:] + flags[1:, 1:]


@functools.lru_cache(maxsize=16)
def normalised_coordinates(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Undistorted normalised image coordinates ``(x, y)`` of every pixel centre (camera frame, z = 1).

    Without distortion they are separable and returned as ``(1, W)`` and ``(H, 1)`` arrays; with distortion as
    ``(H, W)`` arrays. Cached per camera (read-only arrays).
    """
    if camera.has_distortion:
        rows, cols = np.mgrid[0:camera.height_px, 0:camera.width_px]
        rays = camera.pixel_to_ray(rows, cols)
        x, y = rays[..., 0] / rays[..., 2], rays[..., 1] / rays[..., 2]
    else:
        x = ((np.arange(camera.width_px) - camera.cx_px) / camera.fx_px)[None, :]
        y = ((np.arange(camera.height_px) - camera.cy_px) / camera.fy_px)[:, None]
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def _affine_fit(east: np.ndarray, north: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares ``values ≈ c0 + c1·east + c2·north`` over finite samples; zeros when fewer than 3."""
    ok = np.isfinite(values) & np.isfinite(east)
    if ok.sum() < 3:
        return np.zeros(3)
    design = np.column_stack([np.ones(int(ok.sum())), east[ok], north[ok]])
    return np.linalg.lstsq(design, values[ok], rcond=None)[0]


def georeference_grid(camera: Camera, pose: Pose, terrain: Terrain, *, grid_step_px: int, partial_ok: bool,
                      max_range_m: float, refraction_k: float, where: str,
                      tolerance_footprints: float = INTERP_TOLERANCE_FOOTPRINTS) -> tuple[dict, dict]:
    """Per-pixel ``lon``, ``lat``, ``elevation``, ``pixel_area`` arrays ``(H, W)`` and the ``georef`` info dict."""
    from ingest.georef import pixel_to_ground, ray_enu

    height, width = camera.height_px, camera.width_px
    kw = {"max_range_m": max_range_m, "refraction_k": refraction_k}
    node_r, node_c = grid_nodes(height, grid_step_px), grid_nodes(width, grid_step_px)
    if len(node_r) < 2 or len(node_c) < 2:
        raise TerrainError(f"{where}: the image {width}×{height} px is too small to georeference")
    rows2, cols2 = np.meshgrid(node_r, node_c, indexing="ij")
    coarse = pixel_to_ground(camera, pose, rows2, cols2, terrain, **kw)
    if coarse.uncovered.any() and not partial_ok:
        raise_uncovered(terrain, where, pose, camera, rows2[coarse.uncovered], cols2[coarse.uncovered], coarse, kw)

    # ---- node fields and the per-block trust test
    x_n, y_n = normalised_coordinates(camera)
    rot = pose.rotation()
    hit = np.isfinite(coarse.range_m)
    xn_nodes, yn_nodes = _at_nodes(x_n, node_r, node_c), _at_nodes(y_n, node_r, node_c)
    ray_norm_nodes = np.sqrt(xn_nodes ** 2 + yn_nodes ** 2 + 1.0)
    inv_depth = ray_norm_nodes / coarse.range_m  # 1/m, NaN for sky
    d_nodes = [rot[i, 0] * xn_nodes + rot[i, 1] * yn_nodes + rot[i, 2] for i in range(3)]
    east_n, north_n, up_n = (d * (coarse.range_m / ray_norm_nodes) for d in d_nodes)  # metres from the camera
    span_r = np.diff(node_r).astype(np.float64)[:, None]
    span_c = np.diff(node_c).astype(np.float64)[None, :]
    with np.errstate(invalid="ignore"):
        err_w = np.fmax(_block_max(_slope_bend(inv_depth, node_r, 0)) * span_r / 2.0,
                        _block_max(_slope_bend(inv_depth, node_c, 1)) * span_c / 2.0)
        err_est = err_w * _block_max(coarse.range_m ** 2 / ray_norm_nodes)
    points = np.concatenate([local_metres(coarse.lon_deg, coarse.lat_deg, pose.lon_deg, pose.lat_deg),
                             coarse.elevation_m[..., None]], axis=-1)
    node_area = pixel_area_from_points(points, node_r, node_c)
    with np.errstate(invalid="ignore"):
        footprint = np.sqrt(_block_min(node_area))
        corner_hits = _block_count(hit)
        corner_uncovered = _block_count(coarse.uncovered)
        trusted = (corner_hits == 4) & (err_est <= tolerance_footprints * footprint)
        refine = (~trusted & (corner_hits == 4) & (err_est <= MAX_REFINE_BEND_FOOTPRINTS * footprint)
                  & (not terrain.is_flat))
    grid_models = _grid_models(terrain, coarse, east_n, north_n, hit) if refine.any() else None
    if refine.any():
        _probe_blocks(camera, terrain, pose, rot, inv_depth, grid_models, node_r, node_c, err_est, footprint,
                      trusted, refine, tolerance_footprints, refraction_k)
    march = ~trusted & ~refine & ((corner_hits > 0) | ((corner_uncovered > 0) & (corner_uncovered < 4)))
    uncovered_blocks = corner_uncovered == 4

    # ---- interpolation to every pixel
    rows_w, cols_w = interp_weights(height, node_r), interp_weights(width, node_c)
    block_r, block_c = rows_w[0], cols_w[0]
    # Per-pixel work in float32 (relative precision 6e-8: 2 mm at 30 km) except the final lon/lat sums.
    f32 = np.float32
    with np.errstate(divide="ignore"):
        depth = np.reciprocal(interpolate(inv_depth, rows_w, cols_w, node_c, f32))
    finite_area = node_area[np.isfinite(node_area)]
    tolerance_m = tolerance_footprints * float(np.sqrt(finite_area.min())) if finite_area.size else 0.0
    metres_per_deg = [1.0 / v for v in degrees_per_metre(pose.lat_deg)]
    full, fits = {}, {}
    for name, exact_deg, origin, scale in (("lon", coarse.lon_deg, pose.lon_deg, metres_per_deg[0]),
                                           ("lat", coarse.lat_deg, pose.lat_deg, metres_per_deg[1])):
        offset = exact_deg - origin
        const, per_east, per_north = _affine_fit(east_n, north_n, offset)
        along = ((per_east * rot[0, 0] + per_north * rot[1, 0]) * x_n
                 + (per_east * rot[0, 2] + per_north * rot[1, 2])).astype(f32)
        across = ((per_east * rot[0, 1] + per_north * rot[1, 1]) * y_n).astype(f32)
        values = (along + across) * depth
        remainder = np.where(hit, offset - const - per_east * east_n - per_north * north_n, 0.0)
        if hit.any() and np.max(np.abs(remainder)) * scale > 0.01 * tolerance_m:
            values += interpolate(remainder, rows_w, cols_w, node_c, f32)
        full[name] = np.add(values, origin + const, dtype=np.float64)
        fits[name] = (origin + const, per_east, per_north, remainder)
    elevation = ((rot[2, 0] * x_n + rot[2, 2]).astype(f32) + (rot[2, 1] * y_n).astype(f32)) * depth
    elevation += interpolate(coarse.elevation_m - up_n, rows_w, cols_w, node_c, f32)
    full["elevation"] = elevation
    full["pixel_area"] = interpolate(node_area, rows_w, cols_w, node_c, f32)
    repeat_r, repeat_c = np.bincount(block_r), np.bincount(block_c)

    def per_pixel(block_flags: np.ndarray) -> np.ndarray:
        return block_flags.repeat(repeat_r, axis=0).repeat(repeat_c, axis=1)

    if not (trusted | refine).all():
        unknown = per_pixel(~(trusted | refine))   # marched, sky or uncovered blocks
        for values in full.values():
            values[unknown] = np.nan

    # ---- Newton refinement of bending but continuous blocks
    march_pixels = per_pixel(march)
    refined_count = 0
    if refine.any():
        rr, cc = np.nonzero(per_pixel(refine))
        bi, bj = block_r[rr], block_c[cc]
        fr, fc = rows_w[1][rr], cols_w[1][cc]
        ok, t_final, t_start, z_final, u_e, u_n = _newton(
            terrain, pose, rot, _pick(x_n, rr, cc), _pick(y_n, rr, cc),
            _bilinear_blocks(inv_depth, bi, bj, fr, fc), grid_models, bi, bj, fr, fc,
            2.0 * err_est[bi, bj] + 0.05, refraction_k)
        refined_count = int(ok.sum())
        rr_ok, cc_ok = rr[ok], cc[ok]
        moved = (t_final - t_start)[ok]   # along the ray: lon/lat move by the affine fit of east/north offsets
        for name in ("lon", "lat"):
            _, per_east, per_north, _ = fits[name]
            full[name][rr_ok, cc_ok] += (per_east * u_e[ok] + per_north * u_n[ok]) * moved
        full["elevation"][rr_ok, cc_ok] = z_final[ok]
        march_pixels[rr[~ok], cc[~ok]] = True

    # ---- exact marching for the rest
    uncovered_count = int(per_pixel(uncovered_blocks).sum()) if uncovered_blocks.any() else 0
    if march_pixels.any():
        rr, cc = np.nonzero(march_pixels)
        exact = pixel_to_ground(camera, pose, rr, cc, terrain, **kw)
        if exact.uncovered.any() and not partial_ok:
            raise_uncovered(terrain, where, pose, camera, rr[exact.uncovered], cc[exact.uncovered], exact, kw)
        uncovered_count += int(exact.uncovered.sum())
        full["lon"][rr, cc] = exact.lon_deg
        full["lat"][rr, cc] = exact.lat_deg
        full["elevation"][rr, cc] = exact.elevation_m
        # Pixel area of marched pixels from their own neighbours (occlusion edges, horizons).
        r0, r1 = max(int(rr.min()) - 1, 0), min(int(rr.max()) + 2, height)
        c0, c1 = max(int(cc.min()) - 1, 0), min(int(cc.max()) + 2, width)
        window = np.concatenate([local_metres(full["lon"][r0:r1, c0:c1], full["lat"][r0:r1, c0:c1], pose.lon_deg,
                                              pose.lat_deg), full["elevation"][r0:r1, c0:c1, None]], axis=-1)
        area = pixel_area_from_points(window, np.arange(r0, r1), np.arange(c0, c1))[rr - r0, cc - c0]
        # A ground pixel whose neighbours on one axis both see the sky has no Jacobian: level-ground estimate
        # range²/(fx·fy)/sin(depression), the depression floored at 1° (grazing pixels just below a horizon).
        lonely = np.isnan(area) & exact.hit
        if lonely.any():
            sin_depression = np.maximum(-ray_enu(camera, pose, rr[lonely], cc[lonely])[..., 2],
                                        math.sin(math.radians(1.0)))
            area[lonely] = exact.range_m[lonely] ** 2 / (camera.fx_px * camera.fy_px) / sin_depression
        full["pixel_area"][rr, cc] = area
        full["pixel_area"][~np.isfinite(full["lon"])] = np.nan

    total = float(height * width)
    interpolated_err = err_est[trusted]
    info = {
        "method": "flat" if terrain.is_flat else "dem",
        "grid_step_px": int(grid_step_px),
        "tolerance_footprints": float(tolerance_footprints),
        "max_interp_error_m": float(interpolated_err.max()) if interpolated_err.size else 0.0,
        "exact_fraction": float((refined_count + march_pixels.sum()) / total),
        "refined_fraction": float(refined_count / total),
        "marched_fraction": float(march_pixels.sum() / total),
        "uncovered_fraction": float(uncovered_count / total),
        "terrain": terrain.source,
        "refraction_k": float(refraction_k),
    }
    return full, info


def _grid_models(terrain: Terrain, coarse: RayHits, east_n, north_n, hit) -> list:
    """Per grid axis, ``(affine coefficients, node remainder)`` of the nodes' exact DEM-grid coordinates fitted on
    their east/north offsets from the camera (the remainder is earth curvature and projection distortion)."""
    grid_x, grid_y = np.full(hit.shape, np.nan), np.full(hit.shape, np.nan)
    grid_x[hit], grid_y[hit] = terrain.lonlat_to_xy(coarse.lon_deg[hit], coarse.lat_deg[hit])
    models = []
    for grid in (grid_x, grid_y):
        coeffs = _affine_fit(east_n, north_n, grid)
        models.append((coeffs, np.where(hit, grid - coeffs[0] - coeffs[1] * east_n - coeffs[2] * north_n, 0.0)))
    return models


def _bilinear_blocks(values: np.ndarray, bi: np.ndarray, bj: np.ndarray, fr: np.ndarray, fc: np.ndarray):
    """Bilinear interpolation of node values inside blocks ``(bi, bj)`` at fractions ``(fr, fc)`` (1-D gathers)."""
    n_c = values.shape[1]
    i00 = bi * n_c + bj
    v = np.where(np.isnan(values), 0.0, values).ravel()
    top = v[i00] + (v[i00 + 1] - v[i00]) * fc
    bottom = v[i00 + n_c] + (v[i00 + n_c + 1] - v[i00 + n_c]) * fc
    return top + (bottom - top) * fr


def _newton(terrain, pose, rot, xs, ys, inv_depth_start, grid_models, bi, bj, fr, fc, max_move_m, refraction_k):
    """Newton steps on ``h(t) − DEM(P(t))`` for rays through normalised image points ``(xs, ys)``.

    Starts from the interpolated inverse depth; DEM-grid positions come from the affine grid models plus their
    remainder interpolated in blocks ``(bi, bj)`` at ``(fr, fc)``. Returns ``(ok, range_m, start_range_m,
    elevation_m, ray_east, ray_north)`` (unit ray components); ``ok`` is False where the iteration did not settle,
    moved farther than ``max_move_m``, met the ground from below, or found ground just behind the answer.
    """
    from ingest._raymarch import elevation_and_gradient_xy

    (cx, rem_x), (cy, rem_y) = grid_models
    norm = np.sqrt(xs * xs + ys * ys + 1.0)
    u_e = (rot[0, 0] * xs + rot[0, 1] * ys + rot[0, 2]) / norm
    u_n = (rot[1, 0] * xs + rot[1, 1] * ys + rot[1, 2]) / norm
    u_u = (rot[2, 0] * xs + rot[2, 1] * ys + rot[2, 2]) / norm
    x0 = cx[0] + _bilinear_blocks(rem_x, bi, bj, fr, fc)
    y0 = cy[0] + _bilinear_blocks(rem_y, bi, bj, fr, fc)
    dx_dt, dy_dt = cx[1] * u_e + cx[2] * u_n, cy[1] * u_e + cy[2] * u_n
    kappa = (1.0 - refraction_k) / (2.0 * EARTH_RADIUS_M)
    horizontal2 = u_e * u_e + u_n * u_n
    t_start = norm / inv_depth_start
    t = t_start.copy()
    step = np.full(t.shape, np.inf)
    slope = np.full(t.shape, np.nan)
    for _ in range(NEWTON_ITERATIONS):
        z, gx, gy = elevation_and_gradient_xy(terrain, x0 + dx_dt * t, y0 + dy_dt * t)
        gap = pose.alt_amsl_m + t * u_u + kappa * horizontal2 * t * t - z
        slope = u_u + 2.0 * kappa * horizontal2 * t - (gx * dx_dt + gy * dy_dt)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = gap / slope
        t = t - step
    with np.errstate(invalid="ignore"):
        ok = (np.abs(step) < NEWTON_STEP_TOLERANCE_M) & (slope < 0.0) & (np.abs(t - t_start) <= max_move_m)
        # No earlier crossing just before the one found (a bump of rough ground the guess jumped over): the ray
        # must be above the ground a few half-cell steps back.
        back_m = 0.5 * terrain.resolution_m / np.maximum(np.sqrt(horizontal2), 1e-6)
        for k in range(1, BACKWARD_CHECKS + 1):
            t_back = np.maximum(t - k * back_m, 0.0)
            z_back = terrain.elevation_at_xy(x0 + dx_dt * t_back, y0 + dy_dt * t_back)
            ok &= pose.alt_amsl_m + t_back * u_u + kappa * horizontal2 * t_back * t_back - z_back > 0.0
    elevation = pose.alt_amsl_m + t * u_u + kappa * horizontal2 * t * t
    return ok & np.isfinite(t), t, t_start, elevation, u_e, u_n


#: Probe points of a block as (row, col) fractions: centre, then the midpoints of the top, bottom, left, right edges.
_PROBE_FR = np.array([0.5, 0.0, 1.0, 0.5, 0.5])
_PROBE_FC = np.array([0.5, 0.5, 0.5, 0.0, 1.0])


def _probe_blocks(camera, terrain, pose, rot, inv_depth, grid_models, node_r, node_c, err_est, footprint, trusted,
                  refine, tolerance_footprints, refraction_k) -> None:
    """Measure the interpolation error of the ``refine`` blocks at five points each; promote blocks that pass.

    The node test is blind to where a bend sits inside a block. Newton rays at the centre and the edge midpoints
    measure the real error there; a bend of one sign makes the chord error concave, so the largest error in the
    block is at most twice a midpoint's. Blocks whose doubled worst probe error is within tolerance become trusted
    (in place, with that as their recorded bound); the others stay in ``refine``.
    """
    bi, bj = np.nonzero(refine)
    count = len(_PROBE_FR)
    pi, pj = np.repeat(bi, count), np.repeat(bj, count)
    fr, fc = np.tile(_PROBE_FR, bi.size), np.tile(_PROBE_FC, bi.size)
    rows = node_r[pi] + fr * (node_r[pi + 1] - node_r[pi])
    cols = node_c[pj] + fc * (node_c[pj + 1] - node_c[pj])
    rays = camera.pixel_to_ray(rows, cols)
    ok, t, t_start, *_ = _newton(terrain, pose, rot, rays[:, 0] / rays[:, 2], rays[:, 1] / rays[:, 2],
                                 _bilinear_blocks(inv_depth, pi, pj, fr, fc), grid_models, pi, pj, fr, fc,
                                 2.0 * err_est[pi, pj] + 0.05, refraction_k)
    probe_err = 2.0 * np.where(ok, np.abs(t - t_start), np.inf).reshape(-1, count).max(axis=1)
    passed = probe_err <= tolerance_footprints * footprint[bi, bj]
    trusted[bi[passed], bj[passed]] = True
    refine[bi[passed], bj[passed]] = False
    err_est[bi[passed], bj[passed]] = probe_err[passed]


def raise_uncovered(terrain: Terrain, where: str, pose: Pose, camera: Camera, rows, cols, hits: RayHits,
                    kw: dict) -> None:
    """Raise TerrainError with the DEM's extent and the extent the frame needs (flat-ground estimate)."""
    from ingest.georef import pixel_to_ground

    estimate = pixel_to_ground(camera, pose, rows, cols, Terrain.flat(terrain.min_elevation_m), **kw)
    lons = np.concatenate([[pose.lon_deg], hits.lon_deg[np.isfinite(hits.lon_deg)].ravel(),
                           estimate.lon_deg[np.isfinite(estimate.lon_deg)]])
    lats = np.concatenate([[pose.lat_deg], hits.lat_deg[np.isfinite(hits.lat_deg)].ravel(),
                           estimate.lat_deg[np.isfinite(estimate.lat_deg)]])
    have = ", ".join(f"{v:.5f}" for v in terrain.bounds_lonlat())
    need = ", ".join(f"{v:.5f}" for v in (lons.min(), lats.min(), lons.max(), lats.max()))
    raise TerrainError(f"DEM {terrain.source} does not cover {where}: rays of {len(rows)} sampled pixels (e.g. row "
                       f"{int(rows[0])}, col {int(cols[0])}) leave the DEM before meeting the ground. The DEM covers "
                       f"(west, south, east, north) = ({have}); the frame needs about ({need}). Use a larger DEM, or "
                       "flat ground with --ground-elevation M (metres AMSL)")
