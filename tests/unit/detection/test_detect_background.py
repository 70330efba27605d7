"""Growing-window background statistics, checked against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from detection import DetectorConfig
from detection.background import background_stats, cluster_background, invalid_background

CONFIG = DetectorConfig()
WHOLE = (slice(None), slice(None))


def run(t, candidates, saturated=None, excluded=None):
    """Background of every candidate of a small frame, the whole frame being the region of interest."""
    invalid = invalid_background(t, candidates, saturated, excluded, *WHOLE)
    rows, cols = np.nonzero(candidates)
    return background_stats(t, invalid, rows, cols, CONFIG)


def test_mean_and_mean_absolute_deviation_by_hand():
    # T = 300 + 0.1·col; one candidate at the centre of a 21×21 frame.
    t = (300.0 + 0.1 * np.arange(21)[None, :] + np.zeros((21, 1))).astype(np.float32)
    candidates = np.zeros_like(t, dtype=bool)
    candidates[10, 10] = True
    bg = run(t, candidates)
    assert bg.window_px.tolist() == [11] and bg.valid_count.tolist() == [120]
    # Window cols 5..15 are symmetric about col 10 → mean 301.0; |dev| = 0.1·|c − 10|: 11 rows × 2 × 0.1·(1+…+5)
    # = 33 over 120 pixels = 0.275 K.
    assert bg.mean_k[0] == pytest.approx(301.0, abs=1e-5)
    assert bg.mad_k[0] == pytest.approx(0.275, abs=1e-5)


def test_window_grows_until_a_quarter_is_valid():
    t = np.full((41, 41), 300.0, dtype=np.float32)
    candidates = np.zeros_like(t, dtype=bool)
    candidates[14:27, 14:27] = True  # 13×13 block of candidates centred at (20, 20)
    bg = run(t, candidates)
    centre = np.flatnonzero((bg.rows == 20) & (bg.cols == 20))[0]
    # 11×11: 0 valid; 15×15: 225 − 169 = 56 < 25 % (56.25); 19×19: 361 − 169 = 192 ≥ 90.25 → 19.
    assert bg.window_px[centre] == 19 and bg.valid_count[centre] == 192
    assert bg.mean_k[centre] == pytest.approx(300.0)


def test_no_window_when_everything_is_candidate_or_invalid():
    t = np.full((40, 40), np.nan, dtype=np.float32)
    t[20, 20] = 500.0
    t[0, 0] = 300.0  # far away: outside every window
    candidates = np.zeros_like(t, dtype=bool)
    candidates[20, 20] = True
    bg = run(t, candidates)
    assert bg.window_px.tolist() == [0] and np.isnan(bg.mean_k[0]) and np.isnan(bg.mad_k[0])


def test_saturated_and_excluded_pixels_are_not_background():
    t = np.full((21, 21), 300.0, dtype=np.float32)
    t[:, 11:] = 310.0  # right half warmer
    candidates = np.zeros_like(t, dtype=bool)
    candidates[10, 10] = True
    excluded = np.zeros_like(candidates)
    excluded[:, 11:] = True
    bg = run(t, candidates, excluded=excluded)
    assert bg.mean_k[0] == pytest.approx(300.0) and bg.valid_count[0] == 11 * 6 - 1
    bg_sat = run(t, candidates, saturated=excluded)  # same pixels flagged saturated instead
    assert bg_sat.mean_k[0] == pytest.approx(300.0)


def test_window_at_the_frame_corner_uses_in_frame_area():
    t = np.full((30, 30), 300.0, dtype=np.float32)
    candidates = np.zeros_like(t, dtype=bool)
    candidates[0, 0] = True
    bg = run(t, candidates)
    assert bg.window_px.tolist() == [11] and bg.valid_count.tolist() == [35]  # 6×6 in frame, minus itself


def test_cluster_ring_background_by_hand():
    t = np.full((40, 40), 300.0, dtype=np.float32)
    t[:, 22:] = 304.0  # warmer strip on the right
    candidates = np.zeros_like(t, dtype=bool)
    candidates[15:20, 15:20] = True  # a 5×5 cluster
    invalid = invalid_background(t, candidates, None, None, *WHOLE)
    mean, mad, margin = cluster_background(t, invalid, (15, 15, 19, 19), CONFIG)
    # Grown by 5 px: rows/cols 10..24 (15×15 = 225), minus 25 cluster pixels = 200 valid; cols 22..24 are warm:
    # 3 cols × 15 rows = 45 warm → mean = 300 + 4·45/200 = 300.9; |dev|: 45·3.1 + 155·0.9 = 279 → 1.395 K.
    assert margin == 5
    assert mean == pytest.approx(300.9) and mad == pytest.approx(1.395)
    assert cluster_background(t, np.ones_like(invalid), (15, 15, 19, 19), CONFIG) is None
