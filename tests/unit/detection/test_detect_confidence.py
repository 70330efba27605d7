"""Confidence ramps, FIRMS classes, the single-look caps and persistence (hand-calculated values)."""

from __future__ import annotations

import pytest

from detection import DetectorConfig
from detection.confidence import (confidence_class, confidence_with_persistence, ramp, single_look_confidence)
from detection.errors import InvalidValue

CONFIG = DetectorConfig()


def test_ramp():
    assert ramp(1.0, 2.0, 4.0) == 0.0 and ramp(3.0, 2.0, 4.0) == 0.5 and ramp(9.0, 2.0, 4.0) == 1.0


def test_classes_follow_modis_c6_limits():
    assert [confidence_class(c) for c in (0.0, 0.29, 0.3, 0.79, 0.8, 1.0)] == \
        ["low", "low", "nominal", "nominal", "high", "high"]


def test_weighted_mean_of_ramps():
    # 350 K → 0.5; z 6.75 → 0.5; excess 11.5 K → 0.5; 5 px → 0.5  ⇒ 0.5
    c = single_look_confidence(max_temp_k=350.0, z_score=6.75, excess_k=11.5, pixel_count=5, saturated=False,
                               config=CONFIG)
    assert c == pytest.approx(0.5)


def test_sun_reachable_single_look_is_capped_at_nominal():
    c = single_look_confidence(max_temp_k=399.0, z_score=1e4, excess_k=99.0, pixel_count=50, saturated=False,
                               config=CONFIG)
    assert c == 0.79 and confidence_class(c) == "nominal"


def test_no_sun_temperature_or_saturation_is_high():
    hot = single_look_confidence(max_temp_k=400.0, z_score=3.6, excess_k=3.1, pixel_count=1, saturated=False,
                                 config=CONFIG)
    sat = single_look_confidence(max_temp_k=320.0, z_score=3.6, excess_k=3.1, pixel_count=1, saturated=True,
                                 config=CONFIG)
    assert confidence_class(hot) == "high" and confidence_class(sat) == "high"


def test_persistence_is_noisy_or():
    assert confidence_with_persistence(0.79, 1) == pytest.approx(0.79)
    assert confidence_with_persistence(0.79, 2) == pytest.approx(1 - 0.21 ** 2)  # 0.9559: high after two looks
    assert confidence_with_persistence(0.25, 2) == pytest.approx(0.4375)
    with pytest.raises(InvalidValue, match="looks"):
        confidence_with_persistence(0.5, 0)
    with pytest.raises(InvalidValue, match="0–1"):
        confidence_with_persistence(1.5, 2)
