"""Scenario terrain: an analytic mountain height function (or a DEM file) and its DEM raster.

Heights are metres above mean sea level as a function of projected coordinates ``(x, y)`` (metres, x east, y north)
in the scene CRS: UTM zone 52N (EPSG:32652) for the analytic terrain, the file's own CRS for a DEM file.

The analytic terrain imitates Bukhansan north of Seoul (granite massif, summit Baegundae 836 m, valleys near 100 m):
rotated anisotropic Gaussian peaks and ridges plus smooth seeded noise (a sum of plane waves), rescaled so the
highest DEM cell is exactly 836 m and the lowest point is at or above 100 m. The terrain exists only inside the
DEM's cell-centre hull (``domain``); outside it rays meet nothing, exactly as for a georeferencer that uses the DEM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS, Transformer

from firewatch.scenario.errors import ScenarioError

SCENE_CRS = "EPSG:32652"
#: Valley floor and summit of the analytic massif, m AMSL (Bukhansan: Uicheon valley ~100 m, Baegundae 836 m).
VALLEY_FLOOR_M = 100.0
SUMMIT_M = 836.0
#: Peaks of the analytic massif: (dx_m, dy_m from the centre, relative amplitude, sigma_major_m, sigma_minor_m,
#: major-axis azimuth deg). Placed so both towers (on the two southern peaks) see the fires' south-facing slopes
#: of the central hill over low valleys (checked by the line-of-sight test).
PEAKS = (
    (-2200.0, 2600.0, 1.00, 1100.0, 700.0, 20.0),   # summit massif (Baegundae-like)
    (-1500.0, 1200.0, 0.55, 900.0, 500.0, 150.0),   # ridge running south-east from the summit
    (300.0, 900.0, 0.45, 800.0, 650.0, 90.0),       # central hill: fires, rocks, village, solar field on its flanks
    (-4300.0, -3600.0, 0.55, 600.0, 600.0, 0.0),    # tower-1 peak
    (4600.0, -3200.0, 0.50, 650.0, 650.0, 0.0),     # tower-2 peak
    (3500.0, 2500.0, 0.40, 900.0, 500.0, 45.0),     # eastern ridge
    (-300.0, -4600.0, 0.15, 700.0, 500.0, 90.0),    # low southern hill
    (5200.0, 900.0, 0.25, 600.0, 500.0, 0.0),       # eastern knoll
)
#: Knolls (absolute metres, unscaled): (dx_m, dy_m, amplitude_m, sigma_m). Granite tors and ramps whose
#: south flanks (20–31° slopes facing both towers) carry the false targets, so a tower 5–6 km away sees them at a
#: grazing angle steep enough to resolve them with ≥ 3 × 3 pixels (see layout.FALSE_TARGETS).
KNOLLS = (
    (-650.0, 605.0, 45.0, 45.0),    # tor above rock-1
    (300.0, 405.0, 45.0, 45.0),     # tor above rock-2
    (765.0, 60.0, 80.0, 100.0),     # village spur (roofs on its terraced south face)
    (-100.0, -230.0, 60.0, 120.0),  # solar-field slope
)
#: Smooth noise: number of plane waves, wavelength range (m) and total peak-to-peak amplitude (m). Wavelengths of
#: 300–1500 m add the gullies and spurs of real slopes without slopes steeper than the massif's own.
NOISE_WAVES = 8
NOISE_WAVELENGTH_M = (300.0, 1500.0)
NOISE_AMPLITUDE_M = 16.0


@dataclass
class Terrain:
    """Heights on a regular grid (the DEM) plus, for analytic terrain, the exact height function.

    ``heights`` has shape ``(rows, cols)``; cell ``(i, j)`` is centred at ``x = west + (j + 0.5) * cell_m``,
    ``y = north - (i + 0.5) * cell_m``. ``crs`` is the scene CRS (projected, metres).
    """

    heights: np.ndarray
    west: float
    north: float
    cell_m: float
    crs: str
    analytic: AnalyticHeight | None = None
    _gradient: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _max_slope: float | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.heights.shape

    @property
    def domain(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the cell-centre hull: where the terrain is defined."""
        rows, cols = self.heights.shape
        half = self.cell_m / 2.0
        return (self.west + half, self.north - (rows - 0.5) * self.cell_m,
                self.west + (cols - 0.5) * self.cell_m, self.north - half)

    @property
    def centre_xy(self) -> tuple[float, float]:
        w, s, e, n = self.domain
        return (w + e) / 2.0, (s + n) / 2.0

    def inside(self, x, y) -> np.ndarray:
        w, s, e, n = self.domain
        x = np.asarray(x)
        y = np.asarray(y)
        return (x >= w) & (x <= e) & (y >= s) & (y <= n)

    def sample(self, x, y) -> np.ndarray:
        """Bilinear interpolation of the grid at ``(x, y)``; NaN outside the domain or next to nodata."""
        return _bilinear(self.heights, self.west, self.north, self.cell_m, x, y)

    def height_at(self, x, y) -> np.ndarray:
        """The *true* height: the analytic function inside the domain (NaN outside), else :meth:`sample`."""
        if self.analytic is None:
            return self.sample(x, y)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        return np.where(self.inside(x, y), self.analytic(x, y), np.nan)

    def _gradient_grids(self) -> tuple[np.ndarray, np.ndarray]:
        if self._gradient is None:
            d_row, d_col = np.gradient(self.heights, self.cell_m)
            self._gradient = (d_col, -d_row)
        return self._gradient

    def gradient(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Terrain gradient ``(dH/dx, dH/dy)`` (unitless, x east, y north) by bilinear sampling of the grid's."""
        gx, gy = self._gradient_grids()
        return (_bilinear(gx, self.west, self.north, self.cell_m, x, y),
                _bilinear(gy, self.west, self.north, self.cell_m, x, y))

    def max_slope(self) -> float:
        """Largest |gradient| of the grid (tan of the steepest slope), with a 20 % margin for sub-cell detail."""
        if self._max_slope is None:
            self._max_slope = float(np.nanmax(np.hypot(*self._gradient_grids()))) * 1.2 + 1e-3
        return self._max_slope

    def write(self, path: Path, *, nodata: float = -9999.0) -> Path:
        """Write the grid as a float32 GeoTIFF with nodata (tiled, deflate) and return ``path``."""
        data = np.where(np.isfinite(self.heights), self.heights, nodata).astype(np.float32)
        profile = dict(driver="GTiff", width=data.shape[1], height=data.shape[0], count=1, dtype="float32",
                       crs=self.crs, transform=Affine(self.cell_m, 0.0, self.west, 0.0, -self.cell_m, self.north),
                       nodata=nodata, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
            dst.update_tags(1, units="m", long_name="terrain height above mean sea level")
        return path


def _bilinear(grid: np.ndarray, west: float, north: float, cell_m: float, x, y) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rows, cols = grid.shape
    fc = (x - west) / cell_m - 0.5
    fr = (north - y) / cell_m - 0.5
    ok = (fc >= 0) & (fc <= cols - 1) & (fr >= 0) & (fr <= rows - 1)
    fc = np.where(ok, fc, 0.0)
    fr = np.where(ok, fr, 0.0)
    c0 = np.minimum(fc.astype(np.intp), cols - 2)
    r0 = np.minimum(fr.astype(np.intp), rows - 2)
    tc = fc - c0
    tr = fr - r0
    flat = grid.ravel()
    index = r0 * cols + c0
    top = flat.take(index)
    top += (flat.take(index + 1) - top) * tc
    bottom = flat.take(index + cols)
    bottom += (flat.take(index + cols + 1) - bottom) * tc
    return np.where(ok, top + (bottom - top) * tr, np.nan)


@dataclass(frozen=True)
class AnalyticHeight:
    """``H(x, y) = base_m + scale · Σ peaks + Σ waves`` (metres AMSL; x, y scene-CRS metres)."""

    origin_x: float
    origin_y: float
    base_m: float
    scale_m: float
    peaks: tuple[tuple[float, ...], ...]
    waves: tuple[tuple[float, ...], ...]  # (kx, ky rad/m, phase rad, amplitude m); each adds a·(1 + cos)
    knolls: tuple[tuple[float, ...], ...] = ()  # (dx m, dy m, amplitude m, sigma m), added unscaled

    def relief(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dx = x - self.origin_x
        dy = y - self.origin_y
        total = np.zeros(np.broadcast(dx, dy).shape)
        for px, py, amp, s_major, s_minor, azimuth_deg in self.peaks:
            a = math.radians(azimuth_deg)
            u = (dx - px) * math.sin(a) + (dy - py) * math.cos(a)
            v = (dx - px) * math.cos(a) - (dy - py) * math.sin(a)
            total += amp * np.exp(-0.5 * ((u / s_major) ** 2 + (v / s_minor) ** 2))
        return total

    def noise(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Seeded plane waves plus the knolls (metres, not scaled with the massif)."""
        total = np.zeros(np.broadcast(x, y).shape)
        for px, py, amp, sigma in self.knolls:
            total += amp * np.exp(-0.5 * ((x - self.origin_x - px) ** 2 + (y - self.origin_y - py) ** 2) / sigma**2)
        for kx, ky, phase, amp in self.waves:
            total += amp * (1.0 + np.cos(kx * (x - self.origin_x) + ky * (y - self.origin_y) + phase))
        return total

    def __call__(self, x, y) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        return self.base_m + self.scale_m * self.relief(x, y) + self.noise(x, y)


def _grid_coords(west: float, north: float, cell_m: float, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    xs = west + (np.arange(cols) + 0.5) * cell_m
    ys = north - (np.arange(rows) + 0.5) * cell_m
    return np.meshgrid(xs, ys)


def _grid_frame(centre_xy: tuple[float, float], extent_m: float, cell_m: float) -> tuple[float, float, int]:
    n = round(extent_m / cell_m)
    west = centre_xy[0] - n * cell_m / 2.0
    north = centre_xy[1] + n * cell_m / 2.0
    return west, north, n


def centre_in_scene_crs(lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Scene-CRS (EPSG:32652) coordinates of the scenario centre, rounded to whole metres for a tidy grid."""
    x, y = Transformer.from_crs("EPSG:4326", SCENE_CRS, always_xy=True).transform(lon_deg, lat_deg)
    return float(round(x)), float(round(y))


def analytic_terrain(seed: int, *, lat_deg: float, lon_deg: float, extent_m: float, cell_m: float) -> Terrain:
    """The Bukhansan-like massif around ``(lat_deg, lon_deg)`` (see module docstring); deterministic in ``seed``."""
    cx, cy = centre_in_scene_crs(lat_deg, lon_deg)
    rng = np.random.RandomState(seed)
    waves = []
    amplitude = NOISE_AMPLITUDE_M / 2.0 / NOISE_WAVES  # each wave spans 0..2a, so the sum spans 0..NOISE_AMPLITUDE_M
    for _ in range(NOISE_WAVES):
        wavelength = rng.uniform(*NOISE_WAVELENGTH_M)
        direction = rng.uniform(0.0, 2.0 * math.pi)
        k = 2.0 * math.pi / wavelength
        waves.append((k * math.cos(direction), k * math.sin(direction), rng.uniform(0.0, 2.0 * math.pi), amplitude))
    west, north, n = _grid_frame((cx, cy), extent_m, cell_m)
    gx, gy = _grid_coords(west, north, cell_m, n, n)
    shape = AnalyticHeight(cx, cy, VALLEY_FLOOR_M, 1.0, PEAKS, tuple(waves), KNOLLS)
    relief = shape.relief(gx, gy)
    noise = shape.noise(gx, gy)

    # max(base + s·relief + noise) is convex and piecewise linear in s: Newton's method lands on the summit
    # height exactly in a few steps.
    scale = (SUMMIT_M - VALLEY_FLOOR_M) / float(relief.max())
    for _ in range(20):
        total = scale * relief + noise
        top = int(np.argmax(total))
        excess = VALLEY_FLOOR_M + float(total.flat[top]) - SUMMIT_M
        if abs(excess) < 1e-9:
            break
        scale -= excess / float(relief.flat[top])
    height = AnalyticHeight(cx, cy, VALLEY_FLOOR_M, scale, PEAKS, tuple(waves), KNOLLS)
    return Terrain(VALLEY_FLOOR_M + scale * relief + noise, west, north, cell_m, SCENE_CRS, analytic=height)


def flat_terrain(elevation_m: float, *, lat_deg: float, lon_deg: float, extent_m: float, cell_m: float) -> Terrain:
    """A flat plain at ``elevation_m`` AMSL (curvature still applies): the closed-form check case."""
    cx, cy = centre_in_scene_crs(lat_deg, lon_deg)
    west, north, n = _grid_frame((cx, cy), extent_m, cell_m)
    height = AnalyticHeight(cx, cy, float(elevation_m), 0.0, (), ())
    return Terrain(np.full((n, n), float(elevation_m)), west, north, cell_m, SCENE_CRS, analytic=height)


def file_terrain(path: Path) -> Terrain:
    """A DEM GeoTIFF in a projected metric CRS with square cells, north up; nodata becomes NaN."""
    path = Path(path)
    try:
        with rasterio.open(path) as src:
            data = src.read(1, masked=True).astype(np.float64).filled(np.nan)
            transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioIOError as exc:
        raise ScenarioError(f"DEM {path}: cannot be read as a raster ({exc}); give a GeoTIFF path") from exc
    if crs is None or not CRS.from_user_input(crs).is_projected:
        raise ScenarioError(f"DEM {path}: CRS {crs} is not a projected metric CRS; reproject it first, e.g. "
                            "`gdalwarp -t_srs EPSG:32652 -r bilinear in.tif out.tif`")
    if transform.b != 0 or transform.d != 0 or transform.e >= 0 or not math.isclose(transform.a, -transform.e):
        raise ScenarioError(f"DEM {path}: needs square, north-up cells; got transform {tuple(transform)[:6]}")
    if min(data.shape) < 3 or not np.isfinite(data).any():
        raise ScenarioError(f"DEM {path}: {data.shape} grid holds no usable heights")
    return Terrain(data, transform.c, transform.f, transform.a, CRS.from_user_input(crs).to_string())


def terrain_for(config) -> Terrain:
    """The terrain a :class:`~firewatch.scenario.config.ScenarioConfig` asks for."""
    if config.terrain == "file":
        if config.dem_path is None:
            raise ScenarioError("scenario config: terrain='file' needs dem_path (a DEM GeoTIFF)")
        return file_terrain(config.dem_path)
    if config.terrain == "flat":
        return flat_terrain(config.flat_elevation_m, lat_deg=config.centre_lat_deg, lon_deg=config.centre_lon_deg,
                            extent_m=config.extent_m, cell_m=config.dem_cell_m)
    return analytic_terrain(config.seed, lat_deg=config.centre_lat_deg, lon_deg=config.centre_lon_deg,
                            extent_m=config.extent_m, cell_m=config.dem_cell_m)
