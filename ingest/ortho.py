"""Orthorectification: a georeferenced thermal frame → a north-up Cloud-Optimized GeoTIFF of temperatures.

Each output cell takes the temperature of the frame pixel whose ground point (from :func:`ingest.georef.georeference`)
is nearest to the cell centre, provided that pixel's own footprint reaches the cell. Nearest-neighbour resampling
keeps every measured temperature as it is: a one-pixel fire is not blended away with its cold neighbours, and
ground no pixel saw (sky, ground hidden behind a ridge) stays nodata instead of being smeared over.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import xarray as xr
from rasterio.transform import from_origin
from scipy.spatial import cKDTree

from firewatch.model import is_georeferenced
from ingest.errors import MissingMetadata, TerrainError
from ingest.terrain import projected_crs, utm_crs_for

#: A cell is filled when its centre lies within this many pixel extents of the nearest pixel's ground point
#: (0.75: a cell between two adjacent pixel centres, 0.5 extents from each, is always filled; a gap wider than a
#: pixel, e.g. ground hidden behind a ridge, is not).
REACH_PIXEL_EXTENTS = 0.75
#: Refuse orthophotos above this many cells (a 16k × 16k float32 image is 1 GB): pass a coarser resolution_m.
MAX_CELLS = 16_384 * 16_384


def orthorectify(frame: xr.Dataset, out_path, *, resolution_m: float | None = None, crs=None) -> Path:
    """Write the frame's temperatures (K, float32, nodata NaN) on a north-up grid as a Cloud-Optimized GeoTIFF.

    ``frame`` must be georeferenced (2-D ``lat``/``lon`` coordinates). ``crs``: a projected metric CRS for the output,
    default the UTM zone of the frame's ground centre. ``resolution_m``: cell size in metres, default the median
    pixel footprint (square root of ``pixel_area``). Returns the path written.
    """
    where = f"frame {frame.attrs.get('frame_id', '?')} ({frame.attrs.get('path') or 'in memory'})"
    if not is_georeferenced(frame):
        raise MissingMetadata(f"{where} is not georeferenced; call ingest.georef.georeference(frame, terrain) first")
    if "temperature" not in frame:
        raise MissingMetadata(f"{where} has no temperatures to orthorectify (metadata-only frame)")
    lon = np.asarray(frame["lon"].values, dtype=np.float64)
    lat = np.asarray(frame["lat"].values, dtype=np.float64)
    seen = np.isfinite(lon) & np.isfinite(lat)
    if not seen.any():
        raise TerrainError(f"{where} sees no ground (every pixel looks at the sky); nothing to orthorectify")
    if crs is None:
        dst_crs = utm_crs_for(float(np.median(lon[seen])), float(np.median(lat[seen])))
    else:
        dst_crs = projected_crs(crs, f"{where}: output", hint="give a metric CRS such as EPSG:5186 or a UTM zone")
    to_grid = pyproj.Transformer.from_crs("EPSG:4326", dst_crs, always_xy=True)
    x = np.full(lon.shape, np.nan)
    y = np.full(lon.shape, np.nan)
    x[seen], y[seen] = to_grid.transform(lon[seen], lat[seen])
    extent = _pixel_extent_m(x, y)
    if resolution_m is None:
        area = frame["pixel_area"].values if "pixel_area" in frame else np.full(lon.shape, np.nan)
        footprints = np.sqrt(area[seen & np.isfinite(area)])
        resolution_m = float(np.median(footprints)) if footprints.size else float(np.nanmedian(extent))
    if not (np.isfinite(resolution_m) and resolution_m > 0):
        raise TerrainError(f"{where}: resolution {resolution_m!r} m must be a positive number of metres")

    west = np.floor(np.nanmin(x) / resolution_m) * resolution_m
    east = np.ceil(np.nanmax(x) / resolution_m) * resolution_m
    south = np.floor(np.nanmin(y) / resolution_m) * resolution_m
    north = np.ceil(np.nanmax(y) / resolution_m) * resolution_m
    width = max(1, int(round((east - west) / resolution_m)))
    height = max(1, int(round((north - south) / resolution_m)))
    if width * height > MAX_CELLS:
        raise TerrainError(f"{where}: a {width}×{height} orthophoto at {resolution_m:g} m is too large; pass a coarser "
                           "resolution (--resolution-m)")

    source = np.flatnonzero(seen.ravel())
    tree = cKDTree(np.column_stack([x.ravel()[source], y.ravel()[source]]))
    cell_x = west + (np.arange(width) + 0.5) * resolution_m
    cell_y = north - (np.arange(height) + 0.5) * resolution_m
    gx, gy = np.meshgrid(cell_x, cell_y)
    reach = REACH_PIXEL_EXTENTS * np.nan_to_num(extent.ravel()[source], nan=0.0) + 0.5 * resolution_m * np.sqrt(2.0)
    distance, nearest = tree.query(np.column_stack([gx.ravel(), gy.ravel()]), k=1,
                                   distance_upper_bound=float(reach.max()))
    found = np.isfinite(distance)
    found[found] = distance[found] <= reach[nearest[found]]
    temperature = np.asarray(frame["temperature"].values, dtype=np.float32).ravel()
    image = np.full(width * height, np.nan, dtype=np.float32)
    image[found] = temperature[source[nearest[found]]]

    out_path = Path(out_path)
    profile = {"driver": "COG", "width": width, "height": height, "count": 1, "dtype": "float32",
               "crs": dst_crs.to_wkt(), "transform": from_origin(west, north, resolution_m, resolution_m),
               "nodata": np.nan, "compress": "deflate"}
    try:
        with rasterio.open(out_path, "w", **profile) as dst:
            dst.write(image.reshape(height, width), 1)
            dst.set_band_description(1, "temperature")
            dst.update_tags(1, units="K")
            dst.update_tags(frame_id=str(frame.attrs.get("frame_id", "")), time=str(frame.attrs.get("time", "")),
                            source_id=str(frame.attrs.get("source_id", "")))
    except rasterio.errors.RasterioError as exc:
        raise TerrainError(f"{where}: cannot write the orthophoto {out_path} ({exc})") from exc
    return out_path


def _pixel_extent_m(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Longest horizontal pixel edge (metres) at each pixel: max of |∂(x,y)/∂row| and |∂(x,y)/∂col|, NaN-aware."""
    def step(axis: int) -> np.ndarray:
        dx = np.abs(np.diff(x, axis=axis))
        dy = np.abs(np.diff(y, axis=axis))
        d = np.hypot(dx, dy)
        pad_before = [(0, 0), (0, 0)]
        pad_after = [(0, 0), (0, 0)]
        pad_before[axis] = (1, 0)
        pad_after[axis] = (0, 1)
        before = np.pad(d, pad_before, constant_values=np.nan)
        after = np.pad(d, pad_after, constant_values=np.nan)
        return np.fmin(before, after)  # the smaller side: an occlusion jump is not a pixel's size

    with np.errstate(invalid="ignore"):
        return np.fmax(step(0), step(1))
