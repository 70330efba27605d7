"""The scene generator is the oracle of the recall tests: check it against independent physics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenes import _pixel_weights_1d, band_radiance, band_radiance_exact, brightness_temperature, natural_background


def test_band_radiance_matches_blackbody_fraction_tables():
    # Blackbody fraction F(0→λT): F(2400 µm·K) = 0.140256, F(4200 µm·K) = 0.516014 (Incropera, Table 12.2),
    # so 8–14 µm at 300 K holds 0.375758 of σT⁴/π.
    expected = 0.375758 * 5.670374419e-8 * 300.0 ** 4 / math.pi
    assert band_radiance_exact(300.0) == pytest.approx(expected, rel=2e-3)
    assert band_radiance(300.0) == pytest.approx(band_radiance_exact(300.0), rel=1e-6)


def test_subpixel_mixing_matches_design_numbers():
    # DESIGN.md §4: a 1000 K fire covering 0.5 % of a 300 K pixel raises it by about 10 K.
    mixed = 0.995 * band_radiance(300.0) + 0.005 * band_radiance(1000.0)
    assert brightness_temperature(mixed) - 300.0 == pytest.approx(10.0, abs=1.0)


def test_psf_weights_sum_to_one_and_are_symmetric():
    w = _pixel_weights_1d(10.0, 0.1, 21)
    assert w.sum() == pytest.approx(1.0) and w[9] == pytest.approx(w[11])
    # A point at a pixel centre keeps erf(0.5 / (0.6·√2)) = 0.595 of its energy in that pixel (1-D).
    assert _pixel_weights_1d(10.0, 1e-6, 21)[10] == pytest.approx(math.erf(0.5 / (0.6 * math.sqrt(2))), rel=1e-4)


def test_background_statistics():
    b = natural_background((256, 256), np.random.default_rng(0))
    assert b.mean() == pytest.approx(300.0, abs=1e-6) and 0.9 < b.std() < 1.2
