"""Hand-made LWIR test scenes: natural background, sub-pixel fires mixed by Planck radiance, sun-heated clutter.

Everything is radiometric: pixel values are band radiances in 8–14 µm (Planck integrated over the band), mixed
linearly by area, blurred by a Gaussian point spread function (σ ≈ 0.6 px), converted back to brightness temperature,
and then the sensor's NETD noise is added. This is the independent oracle for the detector's recall and false-alarm
tests: it shares no code with :mod:`detection`.

* background: ``mean_k`` + a smooth large-scale field (terrain, slope heating; std ``smooth_std_k``) + fine texture
  (std ``texture_std_k``, correlation ~1.5 px) — already smooth, so the PSF does not change it materially;
* fire: a square of area ``fraction`` of one pixel at sub-pixel position (row, col), temperature ``fire_k``; its
  excess radiance is spread exactly over the pixels by the box ⊛ Gaussian integral (closed form);
* clutter: rocks (ellipses), roofs and solar panels (rectangles) at 55–70 °C, ≥ 3×3 px, rendered at 8× supersampling
  then blurred by the same PSF on the pixel grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.special import erf

H_PLANCK = 6.62607015e-34  # J s
C_LIGHT = 2.99792458e8  # m s⁻¹
K_BOLTZMANN = 1.380649e-23  # J K⁻¹
BAND_M = (8e-6, 14e-6)
PSF_SIGMA_PX = 0.6
NETD_K = 0.05

_WAVELENGTHS_M = np.linspace(BAND_M[0], BAND_M[1], 241)
_TABLE_T = np.linspace(150.0, 2500.0, 23501)  # 0.1 K steps


def band_radiance_exact(temperature_k: np.ndarray | float) -> np.ndarray:
    """Planck radiance integrated over 8–14 µm (W m⁻² sr⁻¹, trapezoid over 241 wavelengths)."""
    t = np.asarray(temperature_k, dtype=np.float64)[..., None]
    lam = _WAVELENGTHS_M
    spectral = 2 * H_PLANCK * C_LIGHT ** 2 / lam ** 5 / np.expm1(H_PLANCK * C_LIGHT / (lam * K_BOLTZMANN * t))
    return np.trapezoid(spectral, lam, axis=-1)


_TABLE_L = band_radiance_exact(_TABLE_T)


def band_radiance(temperature_k: np.ndarray | float) -> np.ndarray:
    """:func:`band_radiance_exact` interpolated in its 0.1 K table (fast for whole frames)."""
    return np.interp(temperature_k, _TABLE_T, _TABLE_L)


def brightness_temperature(radiance: np.ndarray) -> np.ndarray:
    """Inverse of :func:`band_radiance` (K) by interpolation in a 0.1 K table (radiance rises monotonically)."""
    return np.interp(radiance, _TABLE_L, _TABLE_T)


def _pixel_weights_1d(centre: float, width: float, n: int, sigma: float = PSF_SIGMA_PX) -> np.ndarray:
    """Fraction of a box of ``width`` px centred at ``centre`` (pixel centres at integers) blurred by a Gaussian
    of ``sigma`` px that falls in each of pixels 0..n−1 (exact: ∫ box ⊛ Gauss over each pixel)."""

    def big_phi(z):  # ∫ Φ(z) dz = z Φ(z) + φ(z)
        return z * 0.5 * (1 + erf(z / math.sqrt(2))) + np.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    edges = np.arange(n + 1) - 0.5
    lo, hi = centre - width / 2, centre + width / 2
    # Fraction of the box's energy left of pixel edge e: (1/width)∫_{lo}^{hi} Φ((e − u)/σ) du.
    left = sigma / width * (big_phi((edges - lo) / sigma) - big_phi((edges - hi) / sigma))
    return np.diff(left)


@dataclass
class Scene:
    """A generated frame: temperature (K, float32) and the truth used to generate it."""

    temperature_k: np.ndarray
    fires: list[tuple[float, float, float, float]]  # (row, col, fraction, fire_k)
    clutter: list[tuple[int, int, int, int, float]]  # bbox (row0, col0, row1, col1) inclusive, surface_k


def natural_background(shape: tuple[int, int], rng: np.random.Generator, *, mean_k: float = 300.0,
                       smooth_std_k: float = 1.0, smooth_scale_px: float = 40.0, texture_std_k: float = 0.3,
                       texture_scale_px: float = 1.5) -> np.ndarray:
    """Noise-free background temperature (K, float64) of ``shape``: smooth field + fine texture."""
    smooth = ndimage.gaussian_filter(rng.standard_normal(shape), smooth_scale_px, mode="wrap")
    smooth = (smooth - smooth.mean()) * (smooth_std_k / smooth.std())
    texture = ndimage.gaussian_filter(rng.standard_normal(shape), texture_scale_px, mode="wrap")
    texture = (texture - texture.mean()) * (texture_std_k / texture.std())
    return mean_k + smooth + texture


def add_fire(radiance: np.ndarray, row: float, col: float, fraction: float, fire_k: float) -> None:
    """Add, in place, the excess radiance of a square fire of ``fraction`` pixel area at (row, col)."""
    height, width = radiance.shape
    side = math.sqrt(fraction)
    r0, c0 = max(int(row) - 4, 0), max(int(col) - 4, 0)
    r1, c1 = min(int(row) + 5, height), min(int(col) + 5, width)
    wr = _pixel_weights_1d(row - r0, side, r1 - r0)
    wc = _pixel_weights_1d(col - c0, side, c1 - c0)
    local = radiance[r0:r1, c0:c1]
    # Energy of the fire patch, relative to one pixel: fraction · (L_fire − L_bg) with L_bg the local background.
    excess = fraction * (band_radiance(fire_k) - local.mean())
    local += excess * np.outer(wr, wc)


def add_clutter(radiance: np.ndarray, rng: np.random.Generator, *, count: int, min_size_px: int = 3,
                max_size_px: int = 20, surface_range_k: tuple[float, float] = (328.15, 343.15),
                margin_px: int = 3) -> list[tuple[int, int, int, int, float]]:
    """Add sun-heated rocks (ellipses), roofs and solar panels (rectangles) at 55–70 °C, ≥ 3×3 px; in place.

    Each object is rendered at 8× supersampling (area fractions), blended by radiance, blurred by the PSF; returns
    their bounding boxes and surface temperatures.
    """
    height, width = radiance.shape
    boxes = []
    for _ in range(count):
        size_r = int(rng.integers(min_size_px, max_size_px + 1))
        size_c = int(rng.integers(min_size_px, max_size_px + 1))
        size_r, size_c = min(size_r, height - 2 * margin_px - 4), min(size_c, width - 2 * margin_px - 4)
        top = rng.uniform(margin_px, height - margin_px - size_r - 1)
        left = rng.uniform(margin_px, width - margin_px - size_c - 1)
        surface_k = float(rng.uniform(*surface_range_k))
        elliptic = bool(rng.integers(0, 2))
        r0, c0 = int(top) - 3, int(left) - 3
        r1, c1 = int(top + size_r) + 4, int(left + size_c) + 4
        ss = 8
        yy = (np.arange((r1 - r0) * ss) + 0.5) / ss + r0 - 0.5  # supersample centres, pixel coordinates
        xx = (np.arange((c1 - c0) * ss) + 0.5) / ss + c0 - 0.5
        y, x = np.meshgrid(yy, xx, indexing="ij")
        if elliptic:
            cy, cx = top + size_r / 2, left + size_c / 2
            inside = ((y - cy) / (size_r / 2)) ** 2 + ((x - cx) / (size_c / 2)) ** 2 <= 1.0
        else:
            inside = (y >= top) & (y < top + size_r) & (x >= left) & (x < left + size_c)
        cover = inside.reshape(r1 - r0, ss, c1 - c0, ss).mean(axis=(1, 3))
        local = radiance[r0:r1, c0:c1]
        # Surface texture ±0.5 K (uneven heating) keeps the plateau realistic rather than mathematically flat.
        surface = band_radiance(surface_k + rng.normal(0, 0.5, cover.shape))
        blended = local + cover * (surface - local)
        blurred = ndimage.gaussian_filter(blended - local, PSF_SIGMA_PX, mode="constant") + local
        radiance[r0:r1, c0:c1] = blurred
        boxes.append((r0 + 3, c0 + 3, r1 - 4, c1 - 4, surface_k))
    return boxes


def make_scene(shape: tuple[int, int], rng: np.random.Generator, *, background_k: np.ndarray | None = None,
               fires: list[tuple[float, float, float, float]] = (), clutter_count: int = 0,
               netd_k: float = NETD_K, clutter_sizes_px: tuple[int, int] = (3, 20)) -> Scene:
    """A full scene: background (given or generated), fires (row, col, fraction, fire_k), clutter, NETD noise."""
    if background_k is None:
        background_k = natural_background(shape, rng)
    radiance = band_radiance(background_k)
    boxes = add_clutter(radiance, rng, count=clutter_count, min_size_px=clutter_sizes_px[0],
                        max_size_px=clutter_sizes_px[1]) if clutter_count else []
    for row, col, fraction, fire_k in fires:
        add_fire(radiance, row, col, fraction, fire_k)
    temperature = brightness_temperature(radiance) + rng.normal(0.0, netd_k, shape)
    return Scene(temperature.astype(np.float32), list(fires), boxes)


def frame_of(temperature_k: np.ndarray, *, frame_id: str = "test-frame", saturated: np.ndarray | None = None,
             lon: np.ndarray | None = None, lat: np.ndarray | None = None, pixel_area_m2: np.ndarray | None = None,
             georef: dict | None = None, time: str = "2026-04-05T03:12:00Z"):
    """A frame Dataset (firewatch.model convention) from a kelvin array, optionally with lon/lat coordinates and
    ``pixel_area`` (all (y, x)) and ``attrs["georef"]``."""
    from firewatch.model import make_frame

    frame = make_frame(np.asarray(temperature_k, dtype=np.float32), frame_id=frame_id, source_id="test-cam",
                       source_kind="drone", time=time, saturated=saturated)
    if lon is not None and lat is not None:
        frame = frame.assign_coords(lon=(("y", "x"), lon), lat=(("y", "x"), lat),
                                    elevation=(("y", "x"), np.full(lon.shape, 120.0)))
    if pixel_area_m2 is not None:
        frame["pixel_area"] = (("y", "x"), pixel_area_m2, {"units": "m2"})
    if georef is not None:
        frame.attrs["georef"] = georef
    return frame
