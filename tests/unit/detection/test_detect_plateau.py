"""The sun-heated plateau rule: measured on PSF-blurred point sources and resolved surfaces (scenes oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from detection import DetectorConfig, detect
from scenes import _pixel_weights_1d, add_clutter, band_radiance, brightness_temperature, frame_of, make_scene

CONFIG = DetectorConfig()


@pytest.mark.parametrize("sigma_px", [0.6, 0.8])
def test_point_source_core_is_smaller_than_the_plateau_minimum(sigma_px):
    """Half-maximum core of a PSF-blurred point (any sub-pixel fire) over all sub-pixel phases."""
    worst = 0
    for phase_r in np.linspace(0.0, 0.5, 11):
        for phase_c in np.linspace(0.0, 0.5, 11):
            image = np.outer(_pixel_weights_1d(10 + phase_r, 1e-3, 21, sigma_px),
                             _pixel_weights_1d(10 + phase_c, 1e-3, 21, sigma_px))
            worst = max(worst, int((image >= CONFIG.plateau_core_level * image.max()).sum()))
    print(f"σ = {sigma_px} px: at most {worst} pixels at ≥ half the peak")
    assert worst < CONFIG.plateau_min_core_px


@pytest.mark.parametrize("size_px", [3, 4, 6, 10])
@pytest.mark.parametrize("surface_k", [328.15, 343.15])
def test_resolved_warm_surfaces_are_rejected(size_px, surface_k):
    """One rock/roof of size_px (disc or rectangle, random sub-pixel phase) at 55 or 70 °C on 300 K."""
    rng = np.random.default_rng(size_px)
    radiance = band_radiance(np.full((64, 64), 300.0))
    add_clutter(radiance, rng, count=1, min_size_px=size_px, max_size_px=size_px,
                surface_range_k=(surface_k, surface_k))
    t = brightness_temperature(radiance) + rng.normal(0, 0.05, radiance.shape)
    result = detect(frame_of(t))
    assert result.hotspots == [], [(h.pixel_count, h.extra) for h in result.hotspots]
    assert len(result.rejected) == 1


def test_peaked_subpixel_fire_below_sun_ceiling_is_kept():
    rng = np.random.default_rng(5)
    scene = make_scene((64, 64), rng, background_k=np.full((64, 64), 300.0), fires=[(30.2, 30.4, 0.05, 1000.0)])
    result = detect(frame_of(scene.temperature_k))
    (h,) = result.hotspots
    assert h.max_temp_k < CONFIG.sun_ceiling_k and h.pixel_count >= 5  # the case the rule must not touch
    assert h.confidence_class == "nominal" and result.rejected == []
