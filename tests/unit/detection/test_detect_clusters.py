"""Sparse 8-connected labelling against scipy.ndimage.label (the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from detection.clusters import label_pixels


@pytest.mark.parametrize("seed, density", [(0, 0.05), (1, 0.3), (2, 0.6), (3, 0.9)])
def test_same_clusters_as_ndimage(seed, density):
    mask = np.random.default_rng(seed).random((37, 53)) < density
    mask[:, -1] |= mask[:, 0]  # pixels on both frame edges of a row must not wrap into one cluster
    expected, expected_count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    rows, cols = np.nonzero(mask)
    order = np.random.default_rng(seed).permutation(rows.size)  # any pixel order
    labels, count = label_pixels(rows[order], cols[order], mask.shape[1])
    assert count == expected_count
    assert np.array_equal(labels, expected[rows[order], cols[order]])  # same numbering (raster order)


def test_no_pixels_and_diagonal_touch():
    labels, count = label_pixels(np.array([], dtype=int), np.array([], dtype=int), 10)
    assert count == 0 and labels.size == 0
    labels, count = label_pixels(np.array([0, 1, 3]), np.array([0, 1, 9]), 10)
    assert count == 2 and labels.tolist() == [1, 1, 2]
