"""Georeferencing: thermal pixels → points on the ground (and back), per pixel or for a whole frame.

Frames of reference
-------------------
* Pixels are ``(row, col)`` with integer values at pixel centres (:mod:`ingest.camera`).
* Rays are unit vectors in local east-north-up (ENU) at the camera, from :meth:`Camera.pixel_to_ray` rotated by
  :meth:`Pose.rotation` (the one place the angle convention lives).
* Ground points are WGS 84 ``lon, lat`` degrees and elevation in metres AMSL; ranges are slant metres.

Single pixels use exact rays (:func:`ingest.terrain.intersect_rays`). Whole frames (:func:`georeference`) use exact
rays on a coarse grid, interpolation where the ground is smooth enough for a tenth of a pixel footprint, Newton
refinement where it bends, and exact rays at occlusion edges and horizons (:mod:`ingest._framegeo`).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pyproj
import xarray as xr

from ingest.camera import Camera
from ingest._framegeo import INTERP_TOLERANCE_FOOTPRINTS, georeference_grid
from ingest.errors import InvalidPose, MissingMetadata, TerrainError
from ingest.pose import Pose
from ingest.terrain import DEFAULT_REFRACTION_K, EARTH_RADIUS_M, RayHits, Terrain, intersect_rays

#: Default reach of a ray in slant metres: fixed towers see fire up to 20–30 km in clear air (ALERTWildfire cameras).
DEFAULT_MAX_RANGE_M = 30_000.0
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
    """Exact ray–terrain intersection for pixel centres ``(rows, cols)``; RayHits arrays have their broadcast shape.

    Raises :class:`InvalidPose` when the camera is below the terrain at its own position (an altitude above
    take-off or above ground given as AMSL, or a wrong DEM datum): every ray would then start underground.
    """
    _check_above_ground(pose, terrain)
    rays = ray_enu(camera, pose, rows, cols)
    shape = rays.shape[:-1]
    hits = intersect_rays(terrain, lon_deg=pose.lon_deg, lat_deg=pose.lat_deg, alt_amsl_m=pose.alt_amsl_m,
                          directions_enu=rays.reshape(-1, 3), max_range_m=max_range_m, refraction_k=refraction_k)
    return RayHits(*(getattr(hits, name).reshape(shape) for name in
                     ("lon_deg", "lat_deg", "elevation_m", "range_m", "uncovered")))


#: How far below the DEM surface a camera may appear before its pose is refused: DEM vertical error (a few metres
#: for SRTM/NGII products) plus GNSS altitude error; a mast camera sits metres above the ground, never below.
MAX_CAMERA_BELOW_GROUND_M = 10.0


def _check_above_ground(pose: Pose, terrain: Terrain) -> None:
    ground = float(terrain.elevation_at(pose.lon_deg, pose.lat_deg))
    if math.isfinite(ground) and pose.alt_amsl_m < ground - MAX_CAMERA_BELOW_GROUND_M:
        raise InvalidPose(f"the camera at {pose.alt_amsl_m:.1f} m AMSL is {ground - pose.alt_amsl_m:.1f} m below the "
                          f"ground ({ground:.1f} m AMSL in {terrain.source}) at its position ({pose.lat_deg:.6f}, "
                          f"{pose.lon_deg:.6f}): is the altitude above take-off or above ground given as AMSL? Fix "
                          "alt_amsl_m in the frame's sidecar JSON")


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
def georeference(frame: xr.Dataset, terrain: Terrain | None = None, *, ground_elevation_m: float | None = None,
                 grid_step_px: int = 16, partial_ok: bool = False, max_range_m: float = DEFAULT_MAX_RANGE_M,
                 refraction_k: float = DEFAULT_REFRACTION_K,
                 tolerance_footprints: float = INTERP_TOLERANCE_FOOTPRINTS) -> xr.Dataset:
    """Georeference every pixel of a frame; returns a new frame (the input is not modified).

    Adds 2-D coordinates ``lat``, ``lon`` (WGS 84 degrees) and ``elevation`` (m AMSL) and the data variable
    ``pixel_area`` (m², sloped ground area seen by the pixel), all ``(y, x)`` and NaN where the pixel sees the sky
    (a frame looking only at the sky is all NaN, not an error). ``attrs["georef"]`` records ``method`` ("dem" or
    "flat"), ``grid_step_px``, ``max_interp_error_m`` (the largest a-priori interpolation error bound over the
    interpolated blocks, metres), ``exact_fraction`` (pixels not interpolated: ``refined_fraction`` by Newton steps
    plus ``marched_fraction`` by full rays), ``uncovered_fraction``, ``terrain`` and ``refraction_k``.

    ``tolerance_footprints``: how far (in pixel footprints) an interpolated pixel may land from its exact ray; blocks
    that cannot promise it are Newton-refined or cast exactly. 0.1 (default) keeps interpolation negligible next
    to the half-footprint accuracy budget; 0.25–0.5 trades accuracy for speed on rough DEMs.

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

    if not 0.0 < tolerance_footprints <= 1.0:
        raise TerrainError(f"{where}: tolerance_footprints={tolerance_footprints} must be in (0, 1] pixel footprints")
    full, info = georeference_grid(camera, pose, terrain, grid_step_px=grid_step_px, partial_ok=partial_ok,
                                   max_range_m=max_range_m, refraction_k=refraction_k, where=where,
                                   tolerance_footprints=tolerance_footprints)
    return _with_ground(frame, full, info)


def georeference_regions(frame: xr.Dataset, terrain: Terrain, boxes, *, margin_px: int = 1,
                         partial_ok: bool = False, **kwargs) -> xr.Dataset:
    """Georeference only the pixels inside ``boxes`` (the lazy path of DESIGN.md §4 "Cost").

    ``boxes`` are inclusive pixel boxes ``(row_min, col_min, row_max, col_max)`` (e.g. hotspots' ``bbox_px``),
    grown by ``margin_px`` so cluster footprints get their corner pixels. Each box is georeferenced as a sub-image
    (the camera cropped: same focal length and distortion, principal point shifted) with :func:`georeference`'s
    machinery, so its pixels get the same accuracy; every other pixel's ``lat``/``lon``/``elevation``/
    ``pixel_area`` is NaN. ``kwargs`` are :func:`georeference`'s keywords (grid step, tolerance, range, refraction).
    """
    camera, pose = camera_pose_of(frame)
    where = f"frame {frame.attrs.get('frame_id', '?')} ({frame.attrs.get('path') or 'in memory'})"
    height, width = frame.sizes["y"], frame.sizes["x"]
    fields = {name: np.full((height, width), np.nan) for name in ("lon", "lat", "elevation", "pixel_area")}
    infos = []
    for row_min, col_min, row_max, col_max in boxes:
        # at least 2×2 pixels (the coarse grid needs two nodes per axis)
        r0, r1 = max(0, int(row_min) - margin_px), min(height - 1, int(row_max) + margin_px)
        c0, c1 = max(0, int(col_min) - margin_px), min(width - 1, int(col_max) + margin_px)
        r0, c0 = min(r0, max(0, r1 - 1)), min(c0, max(0, c1 - 1))
        r1, c1 = max(r1, min(height - 1, r0 + 1)), max(c1, min(width - 1, c0 + 1))
        sub = dataclasses.replace(camera, width_px=c1 - c0 + 1, height_px=r1 - r0 + 1,
                                  cx_px=camera.cx_px - c0, cy_px=camera.cy_px - r0)
        grid, info = georeference_grid(sub, pose, terrain, partial_ok=partial_ok, where=where,
                                       **_grid_kwargs(kwargs))
        for name in fields:
            fields[name][r0:r1 + 1, c0:c1 + 1] = grid[name]
        infos.append(info)
    info = {"method": "flat" if terrain.is_flat else "dem", "regions": len(infos),
            "max_interp_error_m": max((i.get("max_interp_error_m") or 0.0 for i in infos), default=0.0),
            "terrain": terrain.source}
    return _with_ground(frame, fields, info)


def _grid_kwargs(kwargs: dict) -> dict:
    return {"grid_step_px": kwargs.get("grid_step_px", 16),
            "max_range_m": kwargs.get("max_range_m", DEFAULT_MAX_RANGE_M),
            "refraction_k": kwargs.get("refraction_k", DEFAULT_REFRACTION_K),
            "tolerance_footprints": kwargs.get("tolerance_footprints", INTERP_TOLERANCE_FOOTPRINTS)}


#: 1-σ pointing error of a drone's thermal camera, degrees: the aircraft compass and gimbal encoders give the
#: absolute heading to about 1° (DESIGN.md §4 budgets 1° of pitch error: 4 m at 45° depression, 8 m at 30°, 31 m
#: at 15° from 120 m above ground).
DRONE_POINTING_SIGMA_DEG = 1.0
#: 1-σ pointing error of a calibrated fixed (tower) camera, degrees: pan/tilt encoders after calibration against
#: surveyed landmarks (DESIGN.md §4: 0.1° of tilt at 10 km moves the DEM intersection by hundreds of metres).
FIXED_POINTING_SIGMA_DEG = 0.1


def location_uncertainty_m(pose: Pose, lon, lat, elevation_m) -> float | None:
    """Median 1-σ horizontal location error (m) of ground points seen from ``pose`` for its pointing error.

    A pointing error δ moves a point seen at horizontal distance d and depression α by ``h·δ/sin²α`` along the line
    of sight (h the height above that ground) and ``d·δ`` across it; the two are added in quadrature.
    """
    lon, lat, elevation_m = (np.asarray(v, dtype=np.float64).ravel() for v in (lon, lat, elevation_m))
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(elevation_m)
    if not ok.any():
        return None
    sigma = math.radians(DRONE_POINTING_SIGMA_DEG if pose.kind == "gimbal" else FIXED_POINTING_SIGMA_DEG)
    _, _, d = _WGS84.inv(np.full(ok.sum(), pose.lon_deg), np.full(ok.sum(), pose.lat_deg), lon[ok], lat[ok])
    h = np.maximum(pose.alt_amsl_m - elevation_m[ok], 0.1)
    sin2 = h * h / (h * h + d * d)
    return float(np.median(np.hypot(h * sigma / sin2, d * sigma)))


def _with_ground(frame: xr.Dataset, full: dict, info: dict) -> xr.Dataset:
    """A copy of ``frame`` with the 2-D ground coordinates, ``pixel_area`` and ``attrs["georef"]`` set (with the
    frame's ``location_uncertainty_m`` from its pointing error, sampled every 8th pixel)."""
    _, pose = camera_pose_of(frame)
    every = (slice(None, None, 8), slice(None, None, 8))
    sample = [full[name][every] for name in ("lon", "lat", "elevation")]
    if not np.isfinite(sample[0]).any():  # a few hotspot boxes: take every pixel
        sample = [full[name] for name in ("lon", "lat", "elevation")]
    info = {**info, "location_uncertainty_m": location_uncertainty_m(pose, *sample)}
    out = frame.copy()
    out = out.assign_coords(
        lat=(("y", "x"), full["lat"], {"units": "degrees_north", "standard_name": "latitude"}),
        lon=(("y", "x"), full["lon"], {"units": "degrees_east", "standard_name": "longitude"}),
        elevation=(("y", "x"), full["elevation"],
                   {"units": "m", "long_name": "ground elevation above mean sea level"}),
    )
    out["pixel_area"] = (("y", "x"), full["pixel_area"],
                         {"units": "m2", "long_name": "sloped ground area seen by the pixel"})
    out.attrs["georef"] = info
    return out


# --------------------------------------------------------------------------- footprint
def frame_footprint(source, terrain: Terrain, *, samples_per_edge: int = 32,
                    max_range_m: float = DEFAULT_MAX_RANGE_M, refraction_k: float = DEFAULT_REFRACTION_K
                    ) -> dict | None:
    """GeoJSON Polygon (lon, lat; counter-clockwise exterior ring, RFC 7946) of what the frame sees on the ground.

    ``source`` is a frame Dataset or a ``(camera, pose)`` pair. The outline follows the image border and, where the
    upper part of the image sees the sky, the horizon (found per sampled column by bisection on the row, to one
    pixel). Rays that leave a DEM count as not seeing ground. Returns None when no sampled pixel sees the ground.
    """
    from shapely.geometry import Polygon, mapping
    from shapely.geometry.polygon import orient
    from shapely.validation import make_valid

    camera, pose = camera_pose_of(source) if isinstance(source, xr.Dataset) else source
    h, w = camera.height_px, camera.width_px
    kw = {"max_range_m": max_range_m, "refraction_k": refraction_k}
    cols = np.unique(np.round(np.linspace(0, w - 1, samples_per_edge)).astype(int))
    rows = np.unique(np.round(np.linspace(0, h - 1, samples_per_edge)).astype(int))
    # First the image border: when every border sample sees the ground (a drone looking down) that is the outline,
    # one batch of rays; otherwise the sample grid finds where the ground ends and the horizon is searched.
    every = np.ones(len(cols), dtype=bool)
    r_o, c_o = _outline(rows, cols, h, np.full(len(cols), float(rows[0])), every, every)
    hits = pixel_to_ground(camera, pose, r_o, c_o, terrain, **kw)
    if not hits.hit.all():
        grid = pixel_to_ground(camera, pose, rows[:, None], cols[None, :], terrain, **kw).hit
        if not grid.any():
            return None
        # Topmost sampled row that sees ground in each column, then bisection between it and the sky sample above.
        top_index = np.argmax(grid, axis=0)
        hi = rows[top_index].astype(np.float64)  # sees ground
        lo = np.where(top_index > 0, rows[np.maximum(top_index - 1, 0)], rows[0]).astype(np.float64)
        refine = (top_index > 0) & grid.any(axis=0)
        for _ in range(int(math.ceil(math.log2(max(2, h / max(1, len(rows))))) + 2) if refine.any() else 0):
            mid = np.round(0.5 * (lo + hi))
            ground = pixel_to_ground(camera, pose, mid, cols.astype(np.float64), terrain, **kw).hit
            hi = np.where(refine & ground, mid, hi)
            lo = np.where(refine & ~ground, mid, lo)
        r_o, c_o = _outline(rows, cols, h, hi, grid.any(axis=0), grid[-1])
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


def _outline(rows: np.ndarray, cols: np.ndarray, height_px: int, top_row: np.ndarray, seen: np.ndarray,
             bottom_hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel (row, col) arrays of the outline ring: the bottom row left → right where it sees ground, the right edge
    upwards, the topmost ground row ``top_row`` (per sampled column; the horizon) right → left, the left edge
    downwards. ``seen``: the columns with any ground; ``rows``/``cols``: the sampled rows and columns."""
    outline = [(height_px - 1, c) for c in cols[seen & bottom_hit]]
    outline += [(float(r), cols[-1]) for r in rows[::-1] if r >= top_row[-1] and seen[-1]]
    outline += [(top_row[i], cols[i]) for i in range(len(cols) - 1, -1, -1) if seen[i]]
    outline += [(float(r), cols[0]) for r in rows if r >= top_row[0] and seen[0]]
    return (np.array([p[0] for p in outline], dtype=np.float64), np.array([p[1] for p in outline], dtype=np.float64))

