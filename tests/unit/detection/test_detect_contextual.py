"""The contextual test of detect() against a plain-Python re-implementation of the rule (the oracle).

Rule (DetectorConfig): candidate = T > scene threshold (or saturated); a candidate above the certain-fire temperature
is fire; otherwise grow the window 11 → 31 px until ≥ 25 % of its in-frame area and ≥ 8 pixels are valid (finite,
not a candidate), and call it fire when T − mean > max(3.5·mean|dev|, 3 K).
"""

from __future__ import annotations

import numpy as np

from detection import DetectorConfig, detect
from scenes import frame_of

NO_PLATEAU = DetectorConfig(plateau_min_core_px=10 ** 6, scene_k_sigma=1.5)


def oracle_fire_mask(t: np.ndarray, threshold: float, config: DetectorConfig) -> np.ndarray:
    candidates = t > threshold
    fire = np.zeros_like(candidates)
    height, width = t.shape
    for r, c in zip(*np.nonzero(candidates)):
        if t[r, c] > config.certain_fire_k:
            fire[r, c] = True
            continue
        for size in config.window_sizes_px:
            h = size // 2
            r0, r1, c0, c1 = max(r - h, 0), min(r + h + 1, height), max(c - h, 0), min(c + h + 1, width)
            window = t[r0:r1, c0:c1]
            valid = np.isfinite(window) & ~candidates[r0:r1, c0:c1]
            values = window[valid]
            if values.size >= config.window_min_valid_count and \
                    values.size >= config.window_min_valid_fraction * window.size:
                mean = values.mean()
                mad = np.abs(values - mean).mean()
                needed = max(config.context_k_mad * max(mad, config.mad_floor_k), config.context_min_excess_k)
                fire[r, c] = t[r, c] - mean > needed
                break
    return fire


def test_contextual_decisions_match_the_rule():
    rng = np.random.default_rng(11)
    t = 300.0 + rng.normal(0, 0.5, (150, 210))
    for _ in range(40):  # warm spots and patches of every strength, spread over several 64 px tiles
        r, c = rng.integers(0, 150), rng.integers(0, 210)
        size = rng.integers(1, 5)
        t[r:r + size, c:c + size] += rng.uniform(1.0, 80.0)
    t[40:52, 100:112] = 330.0  # a patch big enough to need grown windows
    t[100:150, 0:90] += rng.normal(0, 3.0, (50, 90))  # rough texture: candidates that fail the contextual test
    t[5, 5] = np.nan
    result = detect(frame_of(t), NO_PLATEAU)
    expected = oracle_fire_mask(t.astype(np.float32).astype(np.float64), result.stats["candidate_threshold_k"],
                                NO_PLATEAU)
    assert result.candidate_count > 100
    assert 0 < expected.sum() < result.candidate_count  # the test decides both ways
    assert np.array_equal(result.labels > 0, expected)
