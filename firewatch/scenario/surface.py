"""Land surface brightness temperature under the sun, and the sky.

``T = T_air(z) + offset(cover) + gain(cover) · max(cos i, 0) + texture`` where ``cos i`` is the cosine of the sun's
incidence angle on the sloped surface (``sin e · cos s + cos e · sin s · cos(A_sun − aspect)``), ``T_air`` falls
with the standard-atmosphere lapse rate of 6.5 K/km, and ``texture`` is a ±0.6 K canopy pattern (a few seeded plane
waves of 20–90 m) so the background has the sub-kelvin spatial spread real forest scenes show.

Cover parameters (kelvin): sunlit closed canopy runs a few K above air because transpiration cools the leaves
(Leuzinger & Körner 2007: 4–5 K above air in full sun); bare granite has no such cooling and reaches 20–25 K above
air at midday in spring; short grass and fields sit between. Cast shadows are not modelled.
"""

from __future__ import annotations

import math

import numpy as np

FOREST, ROCK, FIELD = 0, 1, 2
COVER_NAMES = {FOREST: "forest", ROCK: "rock", FIELD: "field"}
#: (offset_k, solar_gain_k) per cover class, see module docstring.
COVER_PARAMETERS = {FOREST: (1.0, 5.0), ROCK: (1.5, 22.0), FIELD: (1.5, 12.0)}
LAPSE_RATE_K_PER_M = 0.0065
REFERENCE_HEIGHT_M = 100.0
#: Bare granite domes above this height or on slopes steeper than ROCK_SLOPE_DEG (Bukhansan's upper ridges).
ROCK_HEIGHT_M = 650.0
ROCK_SLOPE_DEG = 30.0
#: Valley floors below this height and gentler than FIELD_SLOPE_DEG are fields and paddies.
FIELD_HEIGHT_M = 125.0
FIELD_SLOPE_DEG = 4.0
TEXTURE_AMPLITUDE_K = 0.6
#: Clear-sky LWIR brightness temperature: ~235 K at the zenith, rising to ~255 K at the horizon as the path through
#: warm moist air lengthens (sky emissivity grows toward the horizon, e.g. Berdahl & Martin 1984).
SKY_ZENITH_K = 235.0
SKY_HORIZON_K = 255.0


def air_temperature(air_k_at_reference: float, z_m) -> np.ndarray:
    """Air temperature (K) at height ``z_m`` AMSL from the value at 100 m with the standard lapse rate."""
    return air_k_at_reference - LAPSE_RATE_K_PER_M * (np.asarray(z_m, dtype=np.float64) - REFERENCE_HEIGHT_M)


def land_cover(z_m, grad_x, grad_y) -> np.ndarray:
    """Cover class per ground point from height (m AMSL) and the terrain gradient (x east, y north)."""
    slope_deg = np.degrees(np.arctan(np.hypot(grad_x, grad_y)))
    cover = np.full(np.shape(z_m), FOREST, dtype=np.int8)
    cover[(np.asarray(z_m) > ROCK_HEIGHT_M) | (slope_deg > ROCK_SLOPE_DEG)] = ROCK
    cover[(np.asarray(z_m) < FIELD_HEIGHT_M) & (slope_deg < FIELD_SLOPE_DEG)] = FIELD
    return cover


def sun_incidence_cosine(grad_x, grad_y, sun_elevation_deg: float, sun_azimuth_deg: float) -> np.ndarray:
    """cos of the sun's incidence angle on surfaces with gradient ``(dH/dx, dH/dy)``.

    Aspect is the azimuth the slope faces (downhill), clockwise from north, in the scene grid (the grid/true north
    difference, ~1°, is below this model's accuracy).
    """
    slope = np.arctan(np.hypot(grad_x, grad_y))
    aspect = np.arctan2(-np.asarray(grad_x), -np.asarray(grad_y))
    elevation = math.radians(sun_elevation_deg)
    azimuth = math.radians(sun_azimuth_deg)
    return math.sin(elevation) * np.cos(slope) + math.cos(elevation) * np.sin(slope) * np.cos(azimuth - aspect)


def texture(x, y, seed: int) -> np.ndarray:
    """Deterministic ±TEXTURE_AMPLITUDE_K canopy pattern (sum of 4 seeded plane waves, 20–90 m wavelengths)."""
    rng = np.random.RandomState(seed + 1000)
    total = np.zeros(np.shape(x))
    for _ in range(4):
        k = 2.0 * math.pi / rng.uniform(20.0, 90.0)
        a = rng.uniform(0.0, 2.0 * math.pi)
        total += np.cos(k * (np.cos(a) * x + np.sin(a) * y) + rng.uniform(0.0, 2.0 * math.pi))
    return TEXTURE_AMPLITUDE_K / 4.0 * total


def surface_temperature(x, y, z_m, grad_x, grad_y, *, sun_elevation_deg: float, sun_azimuth_deg: float,
                        air_k: float, seed: int) -> np.ndarray:
    """Brightness temperature (K) of the natural surface at scene points ``(x, y, z_m)``."""
    cover = land_cover(z_m, grad_x, grad_y)
    offset = np.zeros(cover.shape)
    gain = np.zeros(cover.shape)
    for code, (cover_offset, cover_gain) in COVER_PARAMETERS.items():
        offset[cover == code] = cover_offset
        gain[cover == code] = cover_gain
    sunlit = np.maximum(sun_incidence_cosine(grad_x, grad_y, sun_elevation_deg, sun_azimuth_deg), 0.0)
    if sun_elevation_deg <= 0:
        sunlit = np.zeros(cover.shape)
    return air_temperature(air_k, z_m) + offset + gain * sunlit + texture(x, y, seed)


def sky_temperature(elevation_deg) -> np.ndarray:
    """Clear-sky brightness temperature (K) of a view ``elevation_deg`` above the horizon (below: horizon value)."""
    s = np.sin(np.radians(np.clip(elevation_deg, 0.0, 90.0)))
    return SKY_HORIZON_K + (SKY_ZENITH_K - SKY_HORIZON_K) * s
