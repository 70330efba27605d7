"""Georeferencing: thermal pixels → points on the ground (and back), per pixel or for a whole frame.

Frames of reference
-------------------
* Pixels are ``(row, col)`` with integer values at pixel centres (:mod:`ingest.camera`).
* Rays are unit vectors in local east-north-up (ENU) at the camera, from :meth:`Camera.pixel_to_ray` rotated by
  :meth:`Pose.rotation` (the one place the angle convention lives).
* Ground points are WGS 84 ``lon, lat`` degrees and elevation in metres AMSL; ranges are slant metres.

Whole frames (:func:`georeference`) take exact rays (:func:`ingest.terrain.intersect_rays`) on a coarse grid of pixels
every ``grid_step_px``, interpolate them bilinearly to every pixel (separably: rows, then columns), and
cast exact rays for every pixel of a block whose corners cannot be trusted: a corner sees the sky or leaves the DEM,
or the ground under the block bends more than the interpolation tolerates (a tenth of a pixel footprint, estimated
from the change of slope of the ground positions at the grid nodes — occlusion edges and horizons show up there as
huge bends).
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pyproj
import xarray as xr

from ingest.camera import Camera
from ingest.errors import MissingMetadata, TerrainError
from ingest.pose import Pose
from ingest.terrain import DEFAULT_REFRACTION_K, EARTH_RADIUS_M, RayHits, Terrain, intersect_rays

#: Interpolated pixels must land within this fraction of a pixel footprint of the exact ray's ground point (brief:
#: a tenth of a footprint, so the interpolation never dominates the half-footprint accuracy budget).
INTERP_TOLERANCE_FOOTPRINTS = 0.1
#: Default reach of a ray in slant metres: fixed towers see fire up to 20–30 km in clear air (ALERTWildfire cameras).
DEFAULT_MAX_RANGE_M = 30_000.0
#: Metres per degree of latitude / longitude on the WGS 84 ellipsoid use the radii of curvature below.
_WGS84 = pyproj.Geod(ellps="WGS84")


# --------------------------------------------------------------------------- frame metadata
def camera_pose_of(frame: xr.Dataset) -> tuple[Camera, Pose]:
    """The frame's :class:`Camera` and :class:`Pose` from ``attrs["camera"]``/``attrs["pose"]`` (dicts or JSON).

    Raises :class:`MissingMetadata` naming the frame and telling the user to supply a sidecar JSON.
    """
    where = f"frame {frame.attrs.get('frame_id', '?')} ({frame.attrs.get('path') or 'in memory'})"
    found = []
    for key in ("camera", "pose"):
        value = frame.attrs.get(key) or {}
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as exc:
                raise MissingMetadata(f"{where}: attrs[{key!r}] is not valid JSON ({exc})") from exc
        found.append(value)
    camera_dict, pose_dict = found
    if not pose_dict:
        raise MissingMetadata(f"{where} has no pose (position and gimbal/pan-tilt angles); supply a sidecar JSON "
                              "<frame>.json with a \"pose\" object (lat_deg, lon_deg, alt_amsl_m, yaw_deg, pitch_deg)")
    if not camera_dict:
        raise MissingMetadata(f"{where} has no camera intrinsics; supply a sidecar JSON <frame>.json with a "
                              "\"camera\" object (width_px, height_px and hfov_deg or fx_px/fy_px)")
    try:
        camera = Camera.from_dict(camera_dict)
        pose = Pose.from_dict(pose_dict)
    except TypeError as exc:
        raise MissingMetadata(f"{where}: incomplete camera or pose metadata ({exc}); supply a sidecar JSON") from exc
    return camera, pose


# --------------------------------------------------------------------------- single rays
def ray_enu(camera: Camera, pose: Pose, rows, cols) -> np.ndarray:
    """ENU unit vectors ``(..., 3)`` (east, north, up) of pixel centres ``(rows, cols)`` (arrays broadcast)."""
    return camera.pixel_to_ray(rows, cols) @ pose.rotation().T


def pixel_to_ground(camera: Camera, pose: Pose, rows, cols, terrain: Terrain, *,
                    max_range_m: float = DEFAULT_MAX_RANGE_M, refraction_k: float = DEFAULT_REFRACTION_K) -> RayHits:
    """Exact ray–terrain intersection for pixel centres ``(rows, cols)``; RayHits arrays have their broadcast shape."""
    rays = ray_enu(camera, pose, rows, cols)
    shape = rays.shape[:-1]
    hits = intersect_rays(terrain, lon_deg=pose.lon_deg, lat_deg=pose.lat_deg, alt_amsl_m=pose.alt_amsl_m,
                          directions_enu=rays.reshape(-1, 3), max_range_m=max_range_m, refraction_k=refraction_k)
    return RayHits(*(getattr(hits, name).reshape(shape) for name in
                     ("lon_deg", "lat_deg", "elevation_m", "range_m", "uncovered")))


def ground_to_pixel(camera: Camera, pose: Pose, lon, lat, elevation_m, *,
                    refraction_k: float = DEFAULT_REFRACTION_K) -> tuple[np.ndarray, np.ndarray]:
    """Project ground points (WGS 84 degrees, m AMSL; arrays broadcast) to fractional pixel ``(rows, cols)``.

    The exact inverse of :func:`pixel_to_ground` (same curvature and refraction model). Points behind the camera give
    NaN; points outside the image give indices outside ``[0, width) × [0, height)``; occlusion is not checked.
    """
    lon, lat, elevation_m = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (lon, lat, elevation_m)))
    azimuth_deg, _, distance_m = _WGS84.inv(np.full(lon.shape, pose.lon_deg), np.full(lon.shape, pose.lat_deg),
                                            lon, lat)
    azimuth_deg, distance_m = np.asarray(azimuth_deg), np.asarray(distance_m)
    rise_m = elevation_m - pose.alt_amsl_m - (1.0 - refraction_k) * distance_m ** 2 / (2.0 * EARTH_RADIUS_M)
    elevation_angle = np.arctan2(rise_m, distance_m)
    az = np.radians(azimuth_deg)
    enu = np.stack([np.cos(elevation_angle) * np.sin(az), np.cos(elevation_angle) * np.cos(az),
                    np.sin(elevation_angle)], axis=-1)
    return camera.ray_to_pixel(enu @ pose.rotation())


# --------------------------------------------------------------------------- whole frames
def _grid_nodes(size: int, step: int) -> np.ndarray:
    nodes = np.arange(0, size, step)
    return nodes if nodes[-1] == size - 1 else np.append(nodes, size - 1)


def _interp_weights(size: int, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every index ``0..size-1``: its block (left node number) and the fraction of the way to the next node."""
    index = np.arange(size)
    block = np.clip(np.searchsorted(nodes, index, side="right") - 1, 0, len(nodes) - 2)
    frac = (index - nodes[block]) / (nodes[block + 1] - nodes[block])
    return block, frac


def _interpolate(values: np.ndarray, rows: tuple[np.ndarray, np.ndarray], cols: tuple[np.ndarray, np.ndarray],
                 node_c: np.ndarray) -> np.ndarray:
    """Separable bilinear interpolation of node values ``(n_r, n_c)`` to every pixel: rows first, then columns.

    The row pass works on the small ``(H, n_c)`` array; the column pass writes the evenly spaced blocks through a
    ``(H, blocks, step)`` view (two array passes, no gathers) and only the last, shorter block by gathering. NaN
    nodes are read as 0 (their blocks are replaced by exact rays).
    """
    block_r, frac_r = rows
    block_c, frac_c = cols
    v = np.where(np.isnan(values), 0.0, values)
    f = frac_r[:, None]
    by_row = v[block_r] * (1.0 - f) + v[block_r + 1] * f
    height, width = by_row.shape[0], block_c.shape[0]
    out = np.empty((height, width))
    step = int(node_c[1] - node_c[0])
    even = int(np.sum(np.diff(node_c) == step))  # leading blocks of exactly `step` columns
    if even:
        left = by_row[:, :even, None]
        slope = (by_row[:, 1:even + 1] - by_row[:, :even])[:, :, None]
        view = out[:, :even * step].reshape(height, even, step)
        np.multiply(slope, (np.arange(step) / step)[None, None, :], out=view)
        view += left
    tail = slice(even * step, width)
    g = frac_c[tail][None, :]
    out[:, tail] = by_row[:, block_c[tail]] * (1.0 - g) + by_row[:, block_c[tail] + 1] * g
    return out


def _at_nodes(values: np.ndarray, node_r: np.ndarray, node_c: np.ndarray) -> np.ndarray:
    """Values of a per-pixel array at the grid nodes; ``values`` may be ``(H, W)``, ``(1, W)`` or ``(H, 1)``."""
    r = node_r if values.shape[0] > 1 else np.zeros(1, dtype=np.intp)
    c = node_c if values.shape[1] > 1 else np.zeros(1, dtype=np.intp)
    return np.broadcast_to(values[np.ix_(r, c)], (len(node_r), len(node_c)))


def _local_metres(lon, lat, lon0: float, lat0: float) -> np.ndarray:
    """Local east/north metres from ``(lon0, lat0)`` (ellipsoidal radii of curvature; < 0.1 % error at 15 km)."""
    a, f = 6378137.0, 1.0 / 298.257223563
    e2 = f * (2.0 - f)
    s = math.sin(math.radians(lat0))
    prime_vertical = a / math.sqrt(1.0 - e2 * s * s)
    meridional = prime_vertical * (1.0 - e2) / (1.0 - e2 * s * s)
    east = np.radians(lon - lon0) * prime_vertical * np.cos(np.radians(lat))
    north = np.radians(lat - lat0) * meridional
    return np.stack([east, north], axis=-1)


def _slope_bend(points: np.ndarray, nodes: np.ndarray, axis: int) -> np.ndarray:
    """Per node, the norm of the change of slope (metres per pixel) of 3-D ground points along ``axis``; NaN at ends."""
    p = np.moveaxis(points, axis, 0)
    spacing = np.diff(nodes).astype(np.float64).reshape((-1,) + (1,) * (p.ndim - 1))
    slope = np.diff(p, axis=0) / spacing
    bend = np.full(p.shape[:-1], np.nan)
    bend[1:-1] = np.linalg.norm(slope[1:] - slope[:-1], axis=-1)
    return np.moveaxis(bend, 0, axis)


def _pixel_area_from_points(points: np.ndarray, node_r: np.ndarray, node_c: np.ndarray) -> np.ndarray:
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


@functools.lru_cache(maxsize=16)
def _normalised_coordinates(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
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


def _degrees_per_metre(lat_deg: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per metre east / north at ``lat_deg`` on the WGS 84 ellipsoid."""
    a, f = 6378137.0, 1.0 / 298.257223563
    e2 = f * (2.0 - f)
    s = math.sin(math.radians(lat_deg))
    prime_vertical = a / math.sqrt(1.0 - e2 * s * s)
    meridional = prime_vertical * (1.0 - e2) / (1.0 - e2 * s * s)
    return (math.degrees(1.0 / (prime_vertical * math.cos(math.radians(lat_deg)))), math.degrees(1.0 / meridional))


def georeference(frame: xr.Dataset, terrain: Terrain | None = None, *, ground_elevation_m: float | None = None,
                 grid_step_px: int = 16, partial_ok: bool = False, max_range_m: float = DEFAULT_MAX_RANGE_M,
                 refraction_k: float = DEFAULT_REFRACTION_K) -> xr.Dataset:
    """Georeference every pixel of a frame; returns a new frame (the input is not modified).

    Adds 2-D coordinates ``lat``, ``lon`` (WGS 84 degrees) and ``elevation`` (m AMSL) and the data variable
    ``pixel_area`` (m², sloped ground area seen by the pixel), all ``(y, x)`` and NaN where the pixel sees the sky
    (a frame looking only at the sky is all NaN, not an error). ``attrs["georef"]`` records ``method`` ("dem" or
    "flat"), ``grid_step_px``, ``max_interp_error_m`` (the largest a-priori interpolation error bound over the
    interpolated blocks, metres), ``exact_fraction`` (pixels cast exactly), ``uncovered_fraction``, ``terrain``.

    Ground: ``terrain`` (a DEM or :meth:`Terrain.flat`) or, without one, flat ground at ``ground_elevation_m``.
    A DEM that does not cover the frame raises :class:`TerrainError` (naming the DEM, the frame and the extent it
    needs) unless ``partial_ok``, which leaves those pixels NaN. A frame without pose or camera raises
    :class:`MissingMetadata`.
    """
    camera, pose = camera_pose_of(frame)
    where = f"frame {frame.attrs.get('frame_id', '?')} ({frame.attrs.get('path') or 'in memory'})"
    if terrain is None:
        if ground_elevation_m is None:
            raise TerrainError(f"{where}: no terrain to georeference on; give a DEM (--dem DEM.tif) or flat ground "
                               "(--ground-elevation M, metres above mean sea level)")
        terrain = Terrain.flat(ground_elevation_m)
    elif ground_elevation_m is not None:
        raise TerrainError(f"{where}: both a DEM ({terrain.source}) and a ground elevation ({ground_elevation_m} m) "
                           "were given; choose one")
    height, width = frame.sizes["y"], frame.sizes["x"]
    if (camera.width_px, camera.height_px) != (width, height):
        raise MissingMetadata(f"{where}: the camera is {camera.width_px}×{camera.height_px} px but the image is "
                              f"{width}×{height} px; fix the camera in the sidecar JSON")
    if grid_step_px < 1:
        raise TerrainError(f"{where}: grid_step_px={grid_step_px} must be a positive number of pixels")

    node_r = _grid_nodes(height, grid_step_px)
    node_c = _grid_nodes(width, grid_step_px)
    if len(node_r) < 2 or len(node_c) < 2:
        raise MissingMetadata(f"{where}: the image {width}×{height} px is too small to georeference")
    rows2, cols2 = np.meshgrid(node_r, node_c, indexing="ij")
    coarse = pixel_to_ground(camera, pose, rows2, cols2, terrain, max_range_m=max_range_m, refraction_k=refraction_k)
    uncovered_nodes = coarse.uncovered
    if uncovered_nodes.any() and not partial_ok:
        _raise_uncovered(terrain, where, pose, camera, rows2[uncovered_nodes], cols2[uncovered_nodes], coarse,
                         refraction_k, max_range_m)

    # Every pixel's ray, unnormalised: D = R·(x, y, 1) in ENU with (x, y) the undistorted normalised image
    # coordinates, so the ground point is P = C + z·D (z = depth along the optical axis, metres). On planar ground
    # 1/z is linear in (x, y): interpolating it bilinearly is exact there, and what remains is the ground's bending
    # (terrain relief, occlusion edges, horizons), which the trust test below measures at the grid nodes.
    x_n, y_n = _normalised_coordinates(camera)
    rot = pose.rotation()
    hit = np.isfinite(coarse.range_m)
    xn_nodes = _at_nodes(x_n, node_r, node_c)
    yn_nodes = _at_nodes(y_n, node_r, node_c)
    ray_norm_nodes = np.sqrt(xn_nodes ** 2 + yn_nodes ** 2 + 1.0)
    inv_depth = ray_norm_nodes / coarse.range_m  # 1/m, NaN for sky
    bend_r = _slope_bend(inv_depth[..., None], node_r, 0)
    bend_c = _slope_bend(inv_depth[..., None], node_c, 1)
    # Kink bound: a slope change s inside a block of n pixels moves the value at most s·n/4 off the chord, and the
    # larger of the changes measured at the block's two end nodes is at least s/2. An inverse-depth error δw moves
    # the point along its ray by range²/|D|·δw metres.
    span_r = np.diff(node_r).astype(np.float64)[:, None]
    span_c = np.diff(node_c).astype(np.float64)[None, :]
    with np.errstate(invalid="ignore"):
        err_w = np.fmax(_block_max(bend_r) * span_r / 2.0, _block_max(bend_c) * span_c / 2.0)
        err_est = err_w * _block_max(coarse.range_m ** 2 / ray_norm_nodes)
    ne = _local_metres(coarse.lon_deg, coarse.lat_deg, pose.lon_deg, pose.lat_deg)
    points = np.concatenate([ne, coarse.elevation_m[..., None]], axis=-1)
    node_area = _pixel_area_from_points(points, node_r, node_c)
    with np.errstate(invalid="ignore"):
        footprint = np.sqrt(_block_min(node_area))
    corner_hits = hit[:-1, :-1].astype(int) + hit[1:, :-1] + hit[:-1, 1:] + hit[1:, 1:]
    unc = coarse.uncovered
    corner_uncovered = unc[:-1, :-1].astype(int) + unc[1:, :-1] + unc[:-1, 1:] + unc[1:, 1:]
    with np.errstate(invalid="ignore"):
        trusted = (corner_hits == 4) & (err_est <= INTERP_TOLERANCE_FOOTPRINTS * footprint)
    # Blocks whose four corners see the sky (or all leave the DEM) are taken as such; mixed blocks are cast exactly.
    exact_blocks = ~trusted & ((corner_hits > 0) | ((corner_uncovered > 0) & (corner_uncovered < 4)))
    uncovered_blocks = corner_uncovered == 4

    # Interpolation to every pixel, separable bilinear (a gather and a weighted sum per axis).
    weights_r = _interp_weights(height, node_r)
    weights_c = _interp_weights(width, node_c)
    block_r, block_c = weights_r[0], weights_c[0]

    def interpolate(values: np.ndarray) -> np.ndarray:
        return _interpolate(values, weights_r, weights_c, node_c)

    # Ground point of every pixel: P = C + depth·D with D = R·(x, y, 1). Longitude and latitude are an affine function
    # of the local east/north offsets (least squares over the nodes) plus the smooth remainder (earth curvature,
    # meridian convergence; interpolated only when it matters); elevation is the camera height plus the up offset
    # plus the node-interpolated curvature drop. Each product of a ray component with depth is one array pass
    # because the ray components are sums of a row vector and a column vector.
    with np.errstate(divide="ignore"):
        depth = 1.0 / interpolate(inv_depth)
    d_nodes = [rot[i, 0] * xn_nodes + rot[i, 1] * yn_nodes + rot[i, 2] for i in range(3)]
    east_n, north_n, up_n = (d * (coarse.range_m / ray_norm_nodes) for d in d_nodes)
    tolerance_m = INTERP_TOLERANCE_FOOTPRINTS * float(np.nanmin(np.sqrt(node_area))) if hit.any() else 0.0
    metres_per_deg = 1.0 / np.array(_degrees_per_metre(pose.lat_deg))
    full = {}
    for name, exact_deg, origin, scale in (("lon", coarse.lon_deg, pose.lon_deg, metres_per_deg[0]),
                                           ("lat", coarse.lat_deg, pose.lat_deg, metres_per_deg[1])):
        offset = exact_deg - origin
        design = np.column_stack([np.ones(int(hit.sum())), east_n[hit], north_n[hit]])
        const, per_east, per_north = (np.linalg.lstsq(design, offset[hit], rcond=None)[0] if hit.sum() >= 3
                                      else (0.0, 0.0, 0.0))
        along = (per_east * rot[0, 0] + per_north * rot[1, 0]) * x_n + (per_east * rot[0, 2] + per_north * rot[1, 2])
        across = (per_east * rot[0, 1] + per_north * rot[1, 1]) * y_n
        values = (along + across) * depth
        values += origin + const
        remainder = offset - const - per_east * east_n - per_north * north_n
        if hit.any() and np.nanmax(np.abs(remainder[hit])) * scale > 0.01 * tolerance_m:
            values += interpolate(np.where(hit, remainder, 0.0))
        full[name] = values
    up_pixels = (rot[2, 0] * x_n + rot[2, 2]) + rot[2, 1] * y_n
    elevation = up_pixels * depth
    elevation += pose.alt_amsl_m
    elevation += interpolate(coarse.elevation_m - pose.alt_amsl_m - up_n)
    full["elevation"] = elevation
    full["pixel_area"] = interpolate(node_area)
    pixel_trusted = trusted[np.ix_(block_r, block_c)]
    if not pixel_trusted.all():
        for values in full.values():
            values[~pixel_trusted] = np.nan

    exact_pixels = exact_blocks[np.ix_(block_r, block_c)]
    uncovered_count = int(uncovered_blocks[np.ix_(block_r, block_c)].sum())
    if exact_pixels.any():
        rr, cc = np.nonzero(exact_pixels)
        exact = pixel_to_ground(camera, pose, rr, cc, terrain, max_range_m=max_range_m, refraction_k=refraction_k)
        if exact.uncovered.any() and not partial_ok:
            _raise_uncovered(terrain, where, pose, camera, rr[exact.uncovered], cc[exact.uncovered], exact,
                             refraction_k, max_range_m)
        uncovered_count += int(exact.uncovered.sum())
        full["lon"][rr, cc] = exact.lon_deg
        full["lat"][rr, cc] = exact.lat_deg
        full["elevation"][rr, cc] = exact.elevation_m
        # Pixel area of exactly cast pixels from their own neighbours (occlusion edges, horizons).
        r0, r1 = max(int(rr.min()) - 1, 0), min(int(rr.max()) + 2, height)
        c0, c1 = max(int(cc.min()) - 1, 0), min(int(cc.max()) + 2, width)
        window = np.concatenate([_local_metres(full["lon"][r0:r1, c0:c1], full["lat"][r0:r1, c0:c1], pose.lon_deg,
                                               pose.lat_deg), full["elevation"][r0:r1, c0:c1, None]], axis=-1)
        area = _pixel_area_from_points(window, np.arange(r0, r1), np.arange(c0, c1))[rr - r0, cc - c0]
        # A ground pixel whose neighbours on one axis both see the sky has no Jacobian: level-ground estimate
        # range²/(fx·fy)/sin(depression), the depression floored at 1° (grazing pixels just below a horizon).
        lonely = np.isnan(area) & exact.hit
        if lonely.any():
            sin_depression = np.maximum(-ray_enu(camera, pose, rr[lonely], cc[lonely])[..., 2],
                                        math.sin(math.radians(1.0)))
            area[lonely] = exact.range_m[lonely] ** 2 / (camera.fx_px * camera.fy_px) / sin_depression
        full["pixel_area"][rr, cc] = area
        full["pixel_area"][~np.isfinite(full["lon"])] = np.nan

    finite_err = err_est[trusted]
    info = {
        "method": "flat" if terrain.is_flat else "dem",
        "grid_step_px": int(grid_step_px),
        "max_interp_error_m": float(finite_err.max()) if finite_err.size else 0.0,
        "exact_fraction": float(exact_pixels.mean()),
        "uncovered_fraction": float(uncovered_count / exact_pixels.size),
        "terrain": terrain.source,
        "refraction_k": float(refraction_k),
    }
    out = frame.copy()
    out = out.assign_coords(
        lat=(("y", "x"), full["lat"], {"units": "degrees_north", "standard_name": "latitude"}),
        lon=(("y", "x"), full["lon"], {"units": "degrees_east", "standard_name": "longitude"}),
        elevation=(("y", "x"), full["elevation"],
                   {"units": "m", "long_name": "ground elevation above mean sea level"}),
    )
    out["pixel_area"] = (("y", "x"), full["pixel_area"].astype(np.float64),
                         {"units": "m2", "long_name": "sloped ground area seen by the pixel"})
    out.attrs["georef"] = info
    return out


def _raise_uncovered(terrain: Terrain, where: str, pose: Pose, camera: Camera, rows, cols, hits: RayHits,
                     refraction_k: float, max_range_m: float) -> None:
    """Raise TerrainError with the DEM's extent and the extent the frame needs (flat-ground estimate)."""
    estimate = pixel_to_ground(camera, pose, rows, cols, Terrain.flat(terrain.min_elevation_m),
                               max_range_m=max_range_m, refraction_k=refraction_k)
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


# --------------------------------------------------------------------------- footprint
def frame_footprint(source, terrain: Terrain, *, samples_per_edge: int = 32,
                    max_range_m: float = DEFAULT_MAX_RANGE_M, refraction_k: float = DEFAULT_REFRACTION_K
                    ) -> dict | None:
    """GeoJSON Polygon (lon, lat; counter-clockwise exterior ring, RFC 7946) of what the frame sees on the ground.

    ``source`` is a frame Dataset or a ``(camera, pose)`` pair. The outline follows the image border and, where the
    upper part of the image sees the sky, the horizon (found per sampled column by bisection on the row to well
    under a pixel). Returns None when no sampled pixel sees the ground.
    """
    from shapely.geometry import Polygon, mapping
    from shapely.geometry.polygon import orient
    from shapely.validation import make_valid

    camera, pose = camera_pose_of(source) if isinstance(source, xr.Dataset) else source
    h, w = camera.height_px, camera.width_px
    kw = {"max_range_m": max_range_m, "refraction_k": refraction_k}
    cols = np.unique(np.round(np.linspace(0, w - 1, samples_per_edge)).astype(int))
    rows = np.unique(np.round(np.linspace(0, h - 1, samples_per_edge)).astype(int))
    grid = pixel_to_ground(camera, pose, rows[:, None], cols[None, :], terrain, **kw).hit
    bottom_hit = grid[-1]
    if not grid.any():
        return None
    # Topmost sampled row that sees ground in each column, then bisection between it and the sky sample above.
    top_index = np.argmax(grid, axis=0)
    hi = rows[top_index].astype(np.float64)  # sees ground
    lo = np.where(top_index > 0, rows[np.maximum(top_index - 1, 0)], rows[0]).astype(np.float64)
    refine = (top_index > 0) & grid.any(axis=0)
    for _ in range(int(math.ceil(math.log2(max(2, h / max(1, len(rows))))) + 2)):
        mid = np.round(0.5 * (lo + hi))
        ground = pixel_to_ground(camera, pose, mid, cols.astype(np.float64), terrain, **kw).hit
        hi = np.where(refine & ground, mid, hi)
        lo = np.where(refine & ~ground, mid, lo)
    seen = grid.any(axis=0)
    outline = []
    outline += [(h - 1, c) for c in cols[seen & bottom_hit]]                               # bottom, left → right
    outline += [(float(r), cols[-1]) for r in rows[::-1] if r >= hi[-1] and seen[-1]]      # right edge, upwards
    outline += [(hi[i], cols[i]) for i in range(len(cols) - 1, -1, -1) if seen[i]]         # horizon / top edge
    outline += [(float(r), cols[0]) for r in rows if r >= hi[0] and seen[0]]              # left edge, downwards
    r_o = np.array([p[0] for p in outline], dtype=np.float64)
    c_o = np.array([p[1] for p in outline], dtype=np.float64)
    hits = pixel_to_ground(camera, pose, r_o, c_o, terrain, **kw)
    ok = hits.hit
    ring = list(zip(hits.lon_deg[ok].tolist(), hits.lat_deg[ok].tolist()))
    if len(ring) < 3:
        return None
    polygon = Polygon(ring)
    if not polygon.is_valid:
        fixed = make_valid(polygon)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type == "Polygon"]
        if not parts:
            return None
        polygon = max(parts, key=lambda g: g.area)
    if polygon.is_empty or polygon.area == 0.0:
        return None
    geometry = mapping(orient(polygon, sign=1.0))
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring_] for ring_ in geometry["coordinates"]]}
