"""Rasters made into pictures for the map: DEM hillshade, orthorectified thermal frames, frame thumbnails.

Display only — no science: the hillshade is the standard cartographic shading (Horn 1981 slopes, the
formula of ESRI / ``gdaldem hillshade``), the colour map is a fixed perceptual ramp, temperatures are shown in °C.
Images for Leaflet are warped to Web Mercator (EPSG:3857) first, because ``L.imageOverlay`` stretches a picture
linearly between two lat/lon corners in Web Mercator: a picture on any other grid would be misplaced.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.warp
from PIL import Image
from rasterio.enums import Resampling

from dashboard.errors import LayerDataError

#: Kelvin to degrees Celsius offset.
KELVIN_OFFSET = 273.15

#: "inferno" (matplotlib, CC0) sampled at 9 stops: perceptually uniform and readable in grey, the convention for
#: thermal imagery. Values are sRGB 0-255.
_INFERNO_STOPS = np.array([
    (0, 0, 4), (31, 12, 72), (85, 15, 109), (136, 34, 106), (186, 54, 85),
    (227, 89, 51), (249, 140, 10), (249, 201, 50), (252, 255, 164),
], dtype=np.float64)

#: Largest side of a picture sent to the browser: a 12 km DEM at 10 m is 1200 px, enough for a screen.
MAX_OVERLAY_PX = 1600


@dataclass(frozen=True)
class Overlay:
    """A picture and where it goes: ``bounds`` are ``(west, south, east, north)`` in WGS 84 degrees."""

    png: bytes
    bounds: tuple[float, float, float, float]

    @property
    def leaflet_bounds(self) -> list[list[float]]:
        """``[[south, west], [north, east]]`` as Leaflet wants them."""
        west, south, east, north = self.bounds
        return [[south, west], [north, east]]


def colourize(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map a 2-D array onto the inferno ramp between ``low`` and ``high``; NaN becomes transparent.

    Returns ``(rows, cols, 4)`` uint8 RGBA. Values outside the range take the end colours.
    """
    values = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(values)
    scaled = np.clip((np.where(valid, values, low) - low) / (high - low), 0.0, 1.0) * (len(_INFERNO_STOPS) - 1)
    index = np.minimum(scaled.astype(np.int64), len(_INFERNO_STOPS) - 2)
    frac = (scaled - index)[..., None]
    rgb = _INFERNO_STOPS[index] * (1.0 - frac) + _INFERNO_STOPS[index + 1] * frac
    rgba = np.empty(values.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = np.round(rgb).astype(np.uint8)
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba


def ramp_css() -> str:
    """The ramp as a CSS ``linear-gradient`` (left = low), for legends."""
    stops = ", ".join(f"rgb({r:.0f},{g:.0f},{b:.0f}) {100 * i / (len(_INFERNO_STOPS) - 1):.0f}%"
                      for i, (r, g, b) in enumerate(_INFERNO_STOPS))
    return f"linear-gradient(to right, {stops})"


def hillshade(elevation_m: np.ndarray, *, cell_x_m: float, cell_y_m: float, azimuth_deg: float = 315.0,
              altitude_deg: float = 45.0) -> np.ndarray:
    """Shaded relief in [0, 1] of a north-up grid ``(rows, cols)`` (row 0 = north), Horn's 3×3 slopes.

    ``cell_x_m``/``cell_y_m`` are the cell sizes in metres; the sun comes from ``azimuth_deg`` (clockwise from
    north; 315 = north-west, the cartographic convention) at ``altitude_deg`` above the horizon.
    shade = cos(zenith)·cos(slope) + sin(zenith)·sin(slope)·cos(azimuth − aspect), clipped at 0. Edge cells and
    cells next to NaN are NaN.
    """
    z = np.asarray(elevation_m, dtype=np.float64)
    if z.ndim != 2 or min(z.shape) < 3:
        raise LayerDataError(f"hillshade needs a 2-D grid of at least 3×3 cells, got shape {z.shape}")
    p = np.pad(z, 1, mode="constant", constant_values=np.nan)
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dz_dx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * cell_x_m)        # east-positive
    dz_dy = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * cell_y_m)        # north-positive (row 0 = north)
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    # Aspect: azimuth (clockwise from north) of the downhill direction, -grad.
    aspect = np.arctan2(-dz_dx, -dz_dy)
    zenith = math.radians(90.0 - altitude_deg)
    azimuth = math.radians(azimuth_deg)
    shade = math.cos(zenith) * np.cos(slope) + math.sin(zenith) * np.sin(slope) * np.cos(azimuth - aspect)
    return np.clip(shade, 0.0, 1.0)


def _warp_to_web_mercator(path: Path, *, resampling: Resampling) -> tuple[np.ndarray, tuple[float, float, float, float],
                                                                           dict]:
    """Band 1 of a GeoTIFF warped to EPSG:3857 (NaN outside/nodata), its WGS 84 bounds and the source profile."""
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise LayerDataError(f"{path}: GeoTIFF has no CRS; the map cannot place it")
            scale = 1.0
            transform, width, height = rasterio.warp.calculate_default_transform(
                src.crs, "EPSG:3857", src.width, src.height, *src.bounds)
            if max(width, height) > MAX_OVERLAY_PX:
                scale = max(width, height) / MAX_OVERLAY_PX
                transform, width, height = rasterio.warp.calculate_default_transform(
                    src.crs, "EPSG:3857", src.width, src.height, *src.bounds,
                    dst_width=max(1, round(width / scale)), dst_height=max(1, round(height / scale)))
            destination = np.full((height, width), np.nan, dtype=np.float32)
            rasterio.warp.reproject(rasterio.band(src, 1), destination, dst_transform=transform,
                                    dst_crs="EPSG:3857", dst_nodata=np.nan, resampling=resampling)
            profile = {"crs": src.crs, "transform": src.transform, "nodata": src.nodata}
    except rasterio.errors.RasterioIOError as exc:
        raise LayerDataError(f"{path}: cannot read GeoTIFF ({exc})") from exc
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    lon_lat = rasterio.warp.transform("EPSG:3857", "EPSG:4326", [west, east], [south, north])
    bounds = (lon_lat[0][0], lon_lat[1][0], lon_lat[0][1], lon_lat[1][1])
    return destination, bounds, profile


def _png(rgba: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def dem_hillshade_overlay(dem_path: str | Path) -> Overlay:
    """Grey hillshade of a DEM GeoTIFF as a Web-Mercator PNG overlay (the base layer that needs no internet)."""
    dem_path = Path(dem_path)
    try:
        with rasterio.open(dem_path) as src:
            if src.crs is None:
                raise LayerDataError(f"{dem_path}: DEM has no CRS; the map cannot place it")
            elevation = src.read(1, masked=True).filled(np.nan).astype(np.float64)
            cell_x, cell_y = abs(src.transform.a), abs(src.transform.e)
            if src.crs.is_geographic:
                # Degrees to metres on the sphere at the DEM's middle latitude (display accuracy is plenty).
                mid_lat = math.radians((src.bounds.bottom + src.bounds.top) / 2.0)
                cell_y *= 111_320.0
                cell_x *= 111_320.0 * math.cos(mid_lat)
            shade = hillshade(elevation, cell_x_m=cell_x, cell_y_m=cell_y)
            profile = src.profile.copy()
    except rasterio.errors.RasterioIOError as exc:
        raise LayerDataError(f"{dem_path}: cannot read DEM GeoTIFF ({exc})") from exc
    with rasterio.MemoryFile() as memfile:
        profile.update(dtype="float32", count=1, nodata=np.nan, driver="GTiff")
        with memfile.open(**profile) as tmp:
            tmp.write(shade.astype(np.float32), 1)
        warped, bounds, _ = _warp_to_web_mercator(Path(memfile.name), resampling=Resampling.bilinear)
    grey = np.where(np.isfinite(warped), np.round(60.0 + 195.0 * np.nan_to_num(warped)), 0).astype(np.uint8)
    rgba = np.dstack([grey, grey, grey, np.where(np.isfinite(warped), 255, 0).astype(np.uint8)])
    return Overlay(_png(rgba), bounds)


def thermal_overlay(ortho_path: str | Path, *, range_c: tuple[float, float]) -> Overlay:
    """An orthorectified temperature GeoTIFF (band 1 kelvin, NaN nodata) coloured on a fixed °C scale."""
    warped, bounds, _ = _warp_to_web_mercator(Path(ortho_path), resampling=Resampling.nearest)
    return Overlay(_png(colourize(warped - KELVIN_OFFSET, *range_c)), bounds)


@dataclass(frozen=True)
class Thumbnail:
    """A frame rendered small: PNG bytes and the °C range its colours span (2nd to 98th percentile)."""

    png: bytes
    low_c: float
    high_c: float


def frame_thumbnail(path: str | Path, *, max_side_px: int = 200) -> Thumbnail:
    """Render a temperature TIFF (band 1; kelvin unless its ``.json`` sidecar says ``"units": "C"``) small.

    The stretch is the frame's 2nd-98th percentile (from a strided subsample: DESIGN.md §4 — percentiles over a
    full frame cost a hundred comparison passes) so both the scene and the fire stay visible.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Frames are plain TIFFs (pixels, not map cells) by design: no geotransform is expected.
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(path)
        with src:
            step = max(1, math.ceil(max(src.width, src.height) / max_side_px))
            out_shape = (max(1, src.height // step), max(1, src.width // step))
            values = src.read(1, out_shape=out_shape, resampling=Resampling.nearest).astype(np.float64)
    except rasterio.errors.RasterioIOError as exc:
        raise LayerDataError(f"{path}: cannot read frame for a thumbnail ({exc})") from exc
    units = "K"
    sidecar = path.with_name(path.name + ".json")
    if sidecar.is_file():
        try:
            units = str(json.loads(sidecar.read_text(encoding="utf-8")).get("units", "K"))
        except (OSError, ValueError) as exc:
            raise LayerDataError(f"{sidecar}: sidecar is not valid JSON ({exc})") from exc
    celsius = values if units.upper() in {"C", "DEGC", "CELSIUS"} else values - KELVIN_OFFSET
    finite = celsius[np.isfinite(celsius)]
    if finite.size == 0:
        raise LayerDataError(f"{path}: frame has no finite temperatures to draw")
    low, high = np.percentile(finite[:: max(1, finite.size // 4096)], [2.0, 98.0])
    if high - low < 1.0:
        high = low + 1.0
    return Thumbnail(_png(colourize(celsius, float(low), float(high))), float(low), float(high))
