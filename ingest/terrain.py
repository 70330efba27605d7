"""Terrain: a digital elevation model (DEM) in a local metric CRS, and ray–terrain intersection.

Frames of reference
-------------------
* Elevations are metres above mean sea level (AMSL), float64, NaN where the DEM has no data.
* A :class:`Terrain` holds its DEM in a *local projected metric CRS*: the UTM zone of the DEM centre when the file is
  geographic (or otherwise not metric), the file's own CRS when it already is a conformal metric projection with a
  scale factor within 1 % of unity (UTM, EPSG:5186 ...: no second resampling), or ``dst_crs`` when given.
* Grid positions ``(x, y)`` are in that CRS (metres, ``always_xy``); longitude/latitude are WGS 84 degrees.
* Sampling is bilinear between DEM cell *centres*; the half cell between the outermost centres and the raster edge
  is covered by clamping to the edge cell, so the covered area is exactly the raster's extent.

Ray–terrain intersection (:func:`intersect_rays`)
-------------------------------------------------
A ray leaves the camera along a unit vector in local east-north-up (ENU). At slant distance ``t`` its horizontal
distance along the ground is ``d = t·cos ε`` (``ε`` the elevation angle) and its height above the level surface is

    h(t) = alt_amsl_m + t·sin ε + (1 − k)·d² / (2R),       R = 6 371 km, k = refraction coefficient (0.13)

(earth curvature lifts a straight ray above the surface by d²/2R, 7.8 m at 10 km; atmospheric refraction bends it
back by the fraction k; k = 0.13 is the standard geodetic value, Hirt et al. 2010, J. Geophys. Res. 115). The
ground track is the geodesic from the camera at the ray's true azimuth (exact on the WGS 84 ellipsoid with
:class:`pyproj.Geod`); in the DEM's grid it is modelled by the quadratic through three exact points, which absorbs
meridian convergence (grid north is 1.2° off true north at Bukhansan in UTM 52N), scale factor and arc-to-chord
curvature (< 0.2 m at 15 km). The ray is marched at ≤ half a DEM cell between the heights where it can meet the
terrain (below the DEM maximum, above the DEM minimum), skipping 8×8-cell tiles it clears (:mod:`ingest._raymarch`);
the first crossing from above the ground to below it wins (occlusion), and bisection to < 0.05 m of range plus one
false-position step refines it to millimetres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import affine
import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.warp

from ingest.errors import TerrainError

#: Mean earth radius in metres (IUGG mean radius R1), used for curvature of long rays.
EARTH_RADIUS_M = 6_371_000.0
#: Standard coefficient of atmospheric refraction for terrestrial lines of sight (Gauss' 0.13; Hirt et al. 2010).
DEFAULT_REFRACTION_K = 0.13
#: Plausible DEM elevations in metres AMSL (Dead Sea shore −430 m, Everest 8 849 m). Outside: an undeclared
#: nodata value (−32768, −9999) or feet/centimetres instead of metres.
ELEVATION_RANGE_M = (-500.0, 9000.0)
#: Bisection stops when the bracket on slant range is below this many metres (brief: refine to < 0.05 m); a final
#: false-position step inside the bracket then lands within millimetres.
RANGE_TOLERANCE_M = 0.05
#: Rays marched together: large enough to share one local geodesic map, small enough that the work arrays of the
#: fine march (rays × 17 samples × a dozen float64 arrays) stay in the tens of megabytes.
_RAYS_PER_BATCH = 16_384
#: A projected CRS is kept as-is when its point scale factor at the DEM centre is within this of 1 (UTM: 0.9996..1.001,
#: Korean TM EPSG:5186: 1.0000..1.0005); farther (Web Mercator: 1.3 at 40°) the DEM is reprojected to UTM.
MAX_SCALE_ERROR = 0.01



@dataclass(frozen=True)
class RayHits:
    """Where rays meet the terrain. All arrays have shape ``(N,)``, one entry per ray, NaN where there is no hit.

    ``lon_deg``/``lat_deg``: WGS 84 degrees; ``elevation_m``: ground elevation at the hit, m AMSL; ``range_m``: slant
    distance from the camera, metres. ``uncovered`` is True where the ray left the DEM's coverage (or passed a nodata
    hole) before meeting the ground, so the answer is unknown rather than sky; rays that rise above every DEM height
    or run past ``max_range_m`` are sky (NaN, ``uncovered`` False).
    """

    lon_deg: np.ndarray
    lat_deg: np.ndarray
    elevation_m: np.ndarray
    range_m: np.ndarray
    uncovered: np.ndarray

    def __len__(self) -> int:
        return int(self.range_m.shape[0])

    @property
    def hit(self) -> np.ndarray:
        """Boolean ``(N,)``: the ray met the ground."""
        return np.isfinite(self.range_m)


def projected_crs(value, where: str, *, hint: str) -> pyproj.CRS:
    """``value`` (EPSG code, WKT, PROJ string, CRS) as a projected metric :class:`pyproj.CRS`; :class:`TerrainError`
    naming ``where`` and giving ``hint`` when it is not understood or not projected."""
    try:
        crs = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise TerrainError(f"{where}: CRS {value!r} is not understood ({exc})") from exc
    if not crs.is_projected:
        raise TerrainError(f"{where}: CRS {crs.name!r} is not projected; {hint}")
    return crs


def utm_crs_for(lon_deg: float, lat_deg: float) -> pyproj.CRS:
    """WGS 84 / UTM CRS of the zone containing ``(lon_deg, lat_deg)`` (from the PROJ database)."""
    infos = pyproj.database.query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=pyproj.aoi.AreaOfInterest(lon_deg, lat_deg, lon_deg, lat_deg))
    if not infos:
        raise TerrainError(f"no UTM zone for lon {lon_deg}, lat {lat_deg} (polar area? pass dst_crs explicitly)")
    # Several zones can claim a point on a zone boundary; the one whose central meridian is closest wins.
    zone = min(infos, key=lambda info: abs(((info.area_of_use.west + info.area_of_use.east) / 2.0) - lon_deg))
    return pyproj.CRS.from_authority(zone.auth_name, zone.code)


def _is_local_metric(crs: pyproj.CRS, lon_deg: float, lat_deg: float) -> bool:
    """True for a projected CRS in metres whose scale factor at the given point is within MAX_SCALE_ERROR of 1."""
    if not crs.is_projected:
        return False
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter"):
        return False
    factors = pyproj.Proj(crs).get_factors(lon_deg, lat_deg)
    return abs(factors.meridional_scale - 1.0) < MAX_SCALE_ERROR and abs(factors.parallel_scale - 1.0) < MAX_SCALE_ERROR


def _resample_bilinear(src: np.ndarray, src_transform: affine.Affine, src_crs: pyproj.CRS,
                       dst_transform: affine.Affine, dst_shape: tuple[int, int], dst_crs: pyproj.CRS) -> np.ndarray:
    """Bilinear resampling of a DEM onto another grid and CRS: each destination cell centre is transformed exactly
    with pyproj and sampled between the source cell centres (NaN outside or next to nodata).

    Used instead of ``rasterio.warp.reproject``: on a smooth test hill GDAL's bilinear warp was off by 0.06–0.09 m
    (its transformer approximation and kernel), enough to move a ray hit 0.5 m at 10° depression; this is the exact
    transform plus the same bilinear rule as :meth:`Terrain.elevation_at_xy` (0.006 m there).
    """
    to_src = pyproj.Transformer.from_crs(dst_crs, src_crs, always_xy=True)
    inv = ~src_transform
    rows, cols = src.shape
    flat = src.ravel()
    out = np.full(dst_shape, np.nan)
    col_centres = np.arange(dst_shape[1]) + 0.5
    for start in range(0, dst_shape[0], 256):
        row_centres = np.arange(start, min(start + 256, dst_shape[0])) + 0.5
        cc, rr = np.meshgrid(col_centres, row_centres)
        x = dst_transform.a * cc + dst_transform.b * rr + dst_transform.c
        y = dst_transform.d * cc + dst_transform.e * rr + dst_transform.f
        sx, sy = to_src.transform(x, y)
        col = inv.a * sx + inv.b * sy + inv.c - 0.5
        row = inv.d * sx + inv.e * sy + inv.f - 0.5
        inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
        col = np.clip(np.where(inside, col, 0.0), 0.0, cols - 1.0)
        row = np.clip(np.where(inside, row, 0.0), 0.0, rows - 1.0)
        c0 = np.minimum(col.astype(np.intp), cols - 2)
        r0 = np.minimum(row.astype(np.intp), rows - 2)
        fc, fr = col - c0, row - r0
        i00 = r0 * cols + c0
        top = flat[i00] * (1.0 - fc) + flat[i00 + 1] * fc
        bottom = flat[i00 + cols] * (1.0 - fc) + flat[i00 + cols + 1] * fc
        out[start:start + len(row_centres)] = np.where(inside, top * (1.0 - fr) + bottom * fr, np.nan)
    return out


class Terrain:
    """DEM in a local metric CRS (UTM zone of the DEM centre unless given), elevations m AMSL.

    Attributes: ``crs`` (:class:`pyproj.CRS`, None for flat ground), ``transform`` (:class:`affine.Affine` pixel
    corner → CRS metres, None for flat ground), ``elevation`` (2-D float64 ``rows × cols``, m AMSL, NaN nodata),
    ``resolution_m`` (DEM cell size in metres, the larger of both axes; ``math.inf`` for flat ground, where any
    sampling is exact), ``source`` (file name or a description, used in error messages).
    """

    def __init__(self, elevation_m: np.ndarray, *, transform: affine.Affine | None, crs: pyproj.CRS | None,
                 source: str) -> None:
        self.elevation = elevation_m
        self.transform = transform
        self.crs = crs
        self.source = source
        self.is_flat = crs is None
        if self.is_flat:
            self.resolution_m = math.inf
            self._inv = None
            self._to_grid = self._from_grid = None
        else:
            self.resolution_m = float(max(math.hypot(transform.a, transform.d), math.hypot(transform.b, transform.e)))
            self._inv = ~transform
            self._to_grid = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            self._from_grid = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        finite = elevation_m[np.isfinite(elevation_m)]
        if finite.size == 0:
            raise TerrainError(f"DEM {source}: every cell is nodata; nothing to georeference on")
        lo, hi = ELEVATION_RANGE_M
        if finite.min() < lo or finite.max() > hi:
            bad = finite.min() if finite.min() < lo else finite.max()
            raise TerrainError(f"DEM {source}: elevation {bad:g} m is outside the plausible range [{lo:g}, {hi:g}] m "
                               "AMSL; declare the file's nodata value (e.g. gdal_edit.py -a_nodata -32768) or convert "
                               "feet to metres")
        self.min_elevation_m = float(finite.min())
        self.max_elevation_m = float(finite.max())
        self._tile_max_cache: dict[int, np.ndarray] = {}  # coarse maxima for ray marching (ingest._raymarch)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_geotiff(cls, path, *, dst_crs=None) -> "Terrain":
        """Read band 1 of a GeoTIFF DEM (any CRS, metres AMSL) and put it in a local metric CRS.

        Geographic or strongly distorted CRSs are resampled (bilinear, exact pyproj transform of every cell centre, on
        the grid ``rasterio.warp.calculate_default_transform`` picks) to ``dst_crs`` or to the UTM zone of the DEM
        centre; a local metric projection is kept as-is unless ``dst_crs`` asks otherwise.
        Raises :class:`TerrainError` when the file cannot be read, has no CRS, or holds implausible elevations.
        """
        path = Path(path)
        try:
            with rasterio.open(path) as src:
                if src.crs is None:
                    raise TerrainError(f"DEM {path}: the file has no coordinate reference system; assign one "
                                       "(e.g. gdal_edit.py -a_srs EPSG:5186) or use --ground-elevation")
                src_crs = pyproj.CRS.from_user_input(src.crs.to_wkt())
                band = src.read(1, masked=True).astype(np.float64)
                src_transform, bounds = src.transform, src.bounds
                width, height = src.width, src.height
        except rasterio.errors.RasterioError as exc:
            raise TerrainError(f"DEM {path}: cannot be read as a GeoTIFF ({exc}); check the file or use "
                               "--ground-elevation M for flat ground") from exc
        elevation = band.filled(np.nan)
        north_up = src_transform.b == 0.0 and src_transform.d == 0.0 and src_transform.e < 0.0
        centre_lon, centre_lat = pyproj.Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True).transform(
            (bounds.left + bounds.right) / 2.0, (bounds.bottom + bounds.top) / 2.0)
        if dst_crs is None:
            dst_crs = src_crs if _is_local_metric(src_crs, centre_lon, centre_lat) else utm_crs_for(centre_lon,
                                                                                                     centre_lat)
        dst_crs = pyproj.CRS.from_user_input(dst_crs)
        if north_up and dst_crs == src_crs:  # already what we need: no resampling
            return cls.from_array(elevation, transform=src_transform, crs=src_crs, source=str(path))
        # Rotated or south-up grids, and other CRSs, are resampled onto a plain north-up grid chosen by rasterio.
        dst_transform, dst_width, dst_height = rasterio.warp.calculate_default_transform(
            src_crs.to_wkt(), dst_crs.to_wkt(), width, height, *bounds)
        destination = _resample_bilinear(elevation, src_transform, src_crs, dst_transform, (dst_height, dst_width),
                                         dst_crs)
        return cls.from_array(destination, transform=dst_transform, crs=dst_crs, source=str(path))

    @classmethod
    def from_array(cls, elevation_m: np.ndarray, *, transform: affine.Affine, crs, source: str = "<array>"
                   ) -> "Terrain":
        """DEM from a 2-D array (rows × cols, m AMSL, NaN nodata) on a north-up grid in a projected metric CRS.

        ``transform`` maps pixel corners ``(col, row)`` to CRS metres (rasterio convention).
        """
        elevation = np.array(elevation_m, dtype=np.float64)
        if elevation.ndim != 2 or min(elevation.shape) < 2:
            raise TerrainError(f"DEM {source}: elevation must be a 2-D array of at least 2×2 cells, "
                               f"got shape {elevation.shape}")
        crs = projected_crs(crs, f"DEM {source}", hint="use Terrain.from_geotiff (which reprojects) or give the "
                                                      "array in a metric CRS such as UTM")
        transform = affine.Affine(*transform[:6]) if not isinstance(transform, affine.Affine) else transform
        if transform.b != 0.0 or transform.d != 0.0 or transform.a <= 0.0 or transform.e >= 0.0:
            raise TerrainError(f"DEM {source}: transform {tuple(transform)[:6]} is not a north-up grid "
                               "(expected positive x step, negative y step, no rotation)")
        return cls(elevation, transform=transform, crs=crs, source=source)

    @classmethod
    def flat(cls, elevation_m: float) -> "Terrain":
        """Infinite flat ground (a level surface, so long rays still see earth curvature) at ``elevation_m`` AMSL."""
        elevation_m = float(elevation_m)
        if not math.isfinite(elevation_m):
            raise TerrainError(f"flat ground elevation {elevation_m!r} m is not a finite number")
        return cls(np.full((1, 1), elevation_m), transform=None, crs=None, source=f"flat ground at {elevation_m:g} m")

    # ----------------------------------------------------------------- sampling
    def _cells(self, x: np.ndarray, y: np.ndarray):
        """For grid positions ``x, y`` (m): ``inside`` mask, flat index of the upper-left cell of the bilinear
        stencil, and the fractional row/column offsets within it (positions outside read cell 0, masked by the
        caller with ``inside``)."""
        inv = self._inv
        col = inv.a * x + inv.b * y + inv.c - 0.5  # fractional index between cell centres
        row = inv.d * x + inv.e * y + inv.f - 0.5
        rows, cols = self.elevation.shape
        inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
        col = np.clip(np.where(inside, col, 0.0), 0.0, cols - 1.0)
        row = np.clip(np.where(inside, row, 0.0), 0.0, rows - 1.0)
        c0 = np.minimum(col.astype(np.intp), cols - 2)
        r0 = np.minimum(row.astype(np.intp), rows - 2)
        return inside, r0 * cols + c0, row - r0, col - c0

    def elevation_at_xy(self, x, y) -> np.ndarray:
        """Bilinear elevation (m AMSL) at grid positions ``x, y`` (metres in ``self.crs``); NaN outside coverage.

        ``x`` and ``y`` broadcast together; the result has their broadcast shape.
        """
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        if self.is_flat:
            return np.full(x.shape, self.elevation[0, 0])
        inside, i00, fr, fc = self._cells(x, y)
        flat, cols = self.elevation.ravel(), self.elevation.shape[1]
        top = flat[i00] * (1.0 - fc) + flat[i00 + 1] * fc
        bottom = flat[i00 + cols] * (1.0 - fc) + flat[i00 + cols + 1] * fc
        return np.where(inside, top * (1.0 - fr) + bottom * fr, np.nan)

    def lonlat_to_xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 degrees → grid metres in ``self.crs`` (flat ground has no grid: raises TerrainError)."""
        if self.is_flat:
            raise TerrainError(f"{self.source} has no grid coordinates")
        return self._to_grid.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))

    def xy_to_lonlat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Grid metres in ``self.crs`` → WGS 84 degrees (flat ground has no grid: raises TerrainError)."""
        if self.is_flat:
            raise TerrainError(f"{self.source} has no grid coordinates")
        return self._from_grid.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

    def elevation_at(self, lon, lat) -> np.ndarray:
        """Bilinear elevation (m AMSL) at WGS 84 ``lon, lat`` degrees (arrays broadcast); NaN outside coverage."""
        lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        if self.is_flat:
            return np.full(lon.shape, self.elevation[0, 0])
        x, y = self._to_grid.transform(lon, lat)
        return self.elevation_at_xy(x, y)

    def covers(self, lon, lat) -> np.ndarray:
        """Boolean array: the DEM has a value at WGS 84 ``lon, lat`` (always True for flat ground)."""
        return np.isfinite(self.elevation_at(lon, lat))

    def bounds_xy(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the raster in ``self.crs`` metres."""
        if self.is_flat:
            return (-math.inf, -math.inf, math.inf, math.inf)
        rows, cols = self.elevation.shape
        t = self.transform  # north-up: x = c + a·col, y = f + e·row
        return (t.c, t.f + t.e * rows, t.c + t.a * cols, t.f)

    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in WGS 84 degrees enclosing the DEM (whole world for flat ground)."""
        if self.is_flat:
            return (-180.0, -90.0, 180.0, 90.0)
        return tuple(float(v) for v in self._from_grid.transform_bounds(*self.bounds_xy(), densify_pts=21))

    def to_geotiff(self, path) -> None:
        """Write the DEM as a float32 GeoTIFF (m AMSL, nodata NaN) in ``self.crs``."""
        if self.is_flat:
            raise TerrainError(f"{self.source} is infinite and cannot be written to {path}")
        rows, cols = self.elevation.shape
        profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 1, "dtype": "float32",
                   "crs": self.crs.to_wkt(), "transform": self.transform, "nodata": np.nan, "compress": "deflate"}
        with rasterio.open(Path(path), "w", **profile) as dst:
            dst.write(self.elevation.astype(np.float32), 1)
            dst.update_tags(1, units="m", vertical_reference="mean sea level")

    def __repr__(self) -> str:
        if self.is_flat:
            return f"Terrain.flat({self.elevation[0, 0]:g})"
        return (f"Terrain({self.source!r}, {self.elevation.shape[0]}×{self.elevation.shape[1]} cells of "
                f"{self.resolution_m:g} m, {self.crs.name})")


# --------------------------------------------------------------------------- ray–terrain intersection
def ray_height_m(alt_amsl_m, range_m, sin_elevation, cos_elevation, refraction_k=DEFAULT_REFRACTION_K):
    """Height AMSL of a straight ray at slant distance ``range_m`` over a curved earth with refraction ``k``.

    ``h = alt + t·sin ε + (1 − k)·(t·cos ε)² / (2R)``; all arguments broadcast (metres, unitless sines/cosines).
    """
    horizontal = range_m * cos_elevation
    return alt_amsl_m + range_m * sin_elevation + (1.0 - refraction_k) * horizontal * horizontal / (2.0 * EARTH_RADIUS_M)


def _first_descent_roots(a, b, c):
    """Roots ``t1 <= t2`` of ``a·t² + b·t + c`` (a ≥ 0) where the convex height crosses a level; NaN when none.

    Numerically stable for ``a → 0`` (nadir rays): the linear root is returned as ``t1`` with ``t2 = +inf`` when the
    ray goes down, and ``t1 = -inf, t2`` = root when it goes up.
    """
    a, b, c = np.broadcast_arrays(a, b, c)
    disc = b * b - 4.0 * a * c
    ok = disc >= 0.0
    sq = np.sqrt(np.where(ok, disc, 0.0))
    q = -0.5 * (b + np.where(b >= 0.0, sq, -sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        r_a = np.where(a > 0.0, q / a, np.nan)
        r_b = np.where(q != 0.0, c / q, np.nan)
    t1 = np.fmin(r_a, r_b)
    t2 = np.fmax(r_a, r_b)
    linear = a == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lin_root = np.where(b != 0.0, -c / b, np.nan)
    t1 = np.where(linear, np.where(b < 0.0, lin_root, -np.inf), t1)
    t2 = np.where(linear, np.where(b < 0.0, np.inf, np.where(b > 0.0, lin_root, np.nan)), t2)
    t1 = np.where(linear | ok, t1, np.nan)
    t2 = np.where(linear | ok, t2, np.nan)
    return t1, t2


def intersect_rays(terrain: Terrain, *, lon_deg: float, lat_deg: float, alt_amsl_m: float,
                   directions_enu: np.ndarray, max_range_m: float = 30_000.0,
                   refraction_k: float = DEFAULT_REFRACTION_K) -> RayHits:
    """First intersection of rays from one camera with the terrain (see the module docstring for the method).

    ``directions_enu``: ``(N, 3)`` vectors (normalised here) in local east-north-up at the camera; the camera sits at
    WGS 84 ``lon_deg, lat_deg`` and ``alt_amsl_m``. Rays are followed up to ``max_range_m`` of slant distance.
    Returns :class:`RayHits` of ``(N,)`` arrays. Only a crossing from above the ground to below it counts, so a
    camera whose altitude is a little under a smoothed DEM still sees the ground once its rays emerge.
    """
    dirs = np.asarray(directions_enu, dtype=np.float64).reshape(-1, 3)
    n = dirs.shape[0]
    dirs = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    cos_el = np.hypot(dirs[:, 0], dirs[:, 1])
    sin_el = dirs[:, 2]
    azimuth_deg = np.degrees(np.arctan2(dirs[:, 0], dirs[:, 1]))
    curvature = (1.0 - refraction_k) * cos_el * cos_el / (2.0 * EARTH_RADIUS_M)  # t² coefficient of h(t)

    out_range = np.full(n, np.nan)
    out_elev = np.full(n, np.nan)
    uncovered = np.zeros(n, dtype=bool)
    if terrain.is_flat:
        ground = float(terrain.elevation[0, 0])
        t1, _ = _first_descent_roots(curvature, sin_el, alt_amsl_m - ground)
        hit = (alt_amsl_m > ground) & np.isfinite(t1) & (t1 >= 0.0) & (t1 <= max_range_m)
        out_range[hit] = t1[hit]
        out_elev[hit] = ground
    else:
        from ingest._raymarch import march_rays

        for start in range(0, n, _RAYS_PER_BATCH):
            sl = slice(start, min(n, start + _RAYS_PER_BATCH))
            out_range[sl], out_elev[sl], uncovered[sl] = march_rays(
                terrain, lon_deg, lat_deg, alt_amsl_m, azimuth_deg[sl], sin_el[sl], cos_el[sl], curvature[sl],
                max_range_m, refraction_k)
    hit = np.isfinite(out_range)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if hit.any():
        from ingest._raymarch import lonlat_along

        lon[hit], lat[hit] = lonlat_along(lon_deg, lat_deg, azimuth_deg[hit], out_range[hit] * cos_el[hit])
    return RayHits(lon_deg=lon, lat_deg=lat, elevation_m=out_elev, range_m=out_range, uncovered=uncovered)
