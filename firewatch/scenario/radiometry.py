"""Band radiance of a black body in the 8–14 µm window and its inverse (brightness temperature).

A thermal camera measures band radiance; a pixel that holds several surfaces (a sub-pixel fire in cooler forest)
sees the area-weighted *radiance*, not the weighted temperature. So the renderer mixes in radiance and converts back
with the table built here once per process.

Planck's law (spectral radiance, W m⁻² sr⁻¹ m⁻¹): ``B(λ, T) = 2 h c² / λ⁵ / (exp(h c / (λ k T)) − 1)``
with the CODATA 2018 constants; the band radiance ``L(T) = ∫ B dλ`` over 8–14 µm (the LWIR window of uncooled
microbolometers such as the DJI M30T's, whose spectral band is 8–14 µm) is integrated with the trapezoid rule on a
20 nm grid, which agrees with adaptive quadrature to better than 1e-5 relative (checked in the tests against
scipy.integrate.quad).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

PLANCK_H = 6.62607015e-34  # J s (exact, SI 2019)
LIGHT_C = 299792458.0  # m s⁻¹ (exact)
BOLTZMANN_K = 1.380649e-23  # J K⁻¹ (exact, SI 2019)

#: The LWIR band of the simulated microbolometers, metres.
BAND_M = (8.0e-6, 14.0e-6)
#: Table range, kelvin: below any sky the renderer draws (≥ 200 K) and above any flame it draws (≤ 1300 K) with
#: margin, so the inverse never extrapolates.
TABLE_RANGE_K = (150.0, 1600.0)
#: Table step, kelvin; linear interpolation of the smooth L(T) on 0.1 K steps errs by < 1e-4 K.
TABLE_STEP_K = 0.1
_WAVELENGTH_STEP_M = 20e-9


def planck_spectral_radiance(wavelength_m: np.ndarray, temperature_k: np.ndarray) -> np.ndarray:
    """Black-body spectral radiance ``B(λ, T)`` in W m⁻² sr⁻¹ m⁻¹ (inputs broadcast together)."""
    wavelength_m = np.asarray(wavelength_m, dtype=np.float64)
    temperature_k = np.asarray(temperature_k, dtype=np.float64)
    c1 = 2.0 * PLANCK_H * LIGHT_C**2
    c2 = PLANCK_H * LIGHT_C / BOLTZMANN_K
    return c1 / wavelength_m**5 / np.expm1(c2 / (wavelength_m * temperature_k))


def _band_radiance_exact(temperature_k: np.ndarray) -> np.ndarray:
    wavelengths = np.arange(BAND_M[0], BAND_M[1] + _WAVELENGTH_STEP_M / 2, _WAVELENGTH_STEP_M)
    spectral = planck_spectral_radiance(wavelengths[None, :], np.asarray(temperature_k, np.float64)[:, None])
    return np.trapezoid(spectral, wavelengths, axis=1)


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray]:
    temperatures = np.arange(TABLE_RANGE_K[0], TABLE_RANGE_K[1] + TABLE_STEP_K / 2, TABLE_STEP_K)
    radiances = np.concatenate([_band_radiance_exact(chunk) for chunk in np.array_split(temperatures, 16)])
    return temperatures, radiances


def band_radiance(temperature_k) -> np.ndarray:
    """Band radiance (W m⁻² sr⁻¹, 8–14 µm) of black bodies at ``temperature_k`` (any shape)."""
    temperatures, radiances = _table()
    return np.interp(np.asarray(temperature_k, dtype=np.float64), temperatures, radiances)


def brightness_temperature(radiance_w_m2_sr) -> np.ndarray:
    """Inverse of :func:`band_radiance`: the black-body temperature (K) with that 8–14 µm band radiance."""
    temperatures, radiances = _table()
    return np.interp(np.asarray(radiance_w_m2_sr, dtype=np.float64), radiances, temperatures)


def mixed_brightness_temperature(fractions, temperatures_k, background_k) -> np.ndarray:
    """Brightness temperature of a pixel whose area fractions ``fractions[i]`` are at ``temperatures_k[i]`` and the
    rest at ``background_k`` (area-weighted radiance, inverted through the band table)."""
    fractions = np.asarray(fractions, dtype=np.float64)
    temperatures_k = np.asarray(temperatures_k, dtype=np.float64)
    radiance = (1.0 - fractions.sum(axis=0)) * band_radiance(background_k)
    radiance = radiance + (fractions * band_radiance(temperatures_k)).sum(axis=0)
    return brightness_temperature(radiance)
