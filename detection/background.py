"""Background statistics around each candidate in a growing window (Giglio 2003 §2.2.3, adapted).

For every candidate pixel the smallest window (sides from ``DetectorConfig.window_sizes_px``) holding at least
``window_min_valid_fraction`` of its in-frame area and ``window_min_valid_count`` valid pixels is chosen with a
summed-area table of the valid mask (O(1) per candidate and size). Valid means finite, not a candidate, not
saturated and not inside a static heat-source mask. Then the chosen windows are gathered in one vectorised step per
size (chunked to bound memory) for the robust statistics MODIS uses: mean and mean absolute deviation.

Only the region of interest — the candidates' bounding box grown by the largest half-window — is ever touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detection.config import DetectorConfig

#: Elements gathered per chunk (float32): 4 Mi elements = 16 MiB, whatever the candidate count.
_CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Background:
    """Per-candidate background, arrays of shape (n_candidates,) in the order of ``rows``/``cols``.

    ``mean_k`` and ``mad_k`` (mean absolute deviation, K) are NaN and ``window_px`` is 0 where no window had enough
    valid pixels; ``valid_count`` is the number of valid pixels in the chosen window.
    """

    rows: np.ndarray
    cols: np.ndarray
    mean_k: np.ndarray
    mad_k: np.ndarray
    window_px: np.ndarray
    valid_count: np.ndarray


def region_of_interest(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int],
                       margin_px: int) -> tuple[slice, slice]:
    """Row and column slices of the candidates' bounding box grown by ``margin_px``, clipped to ``shape``."""
    r0 = max(int(rows.min()) - margin_px, 0)
    r1 = min(int(rows.max()) + margin_px + 1, shape[0])
    c0 = max(int(cols.min()) - margin_px, 0)
    c1 = min(int(cols.max()) + margin_px + 1, shape[1])
    return slice(r0, r1), slice(c0, c1)


def background_stats(temperature_k: np.ndarray, candidates: np.ndarray, saturated: np.ndarray | None,
                     excluded: np.ndarray | None, config: DetectorConfig, *,
                     positions: tuple[np.ndarray, np.ndarray] | None = None) -> Background:
    """Growing-window background of every candidate of the (y, x) boolean ``candidates`` mask.

    ``temperature_k`` is (y, x) float32 kelvin with NaN for invalid pixels; ``saturated`` and ``excluded`` (masked
    static heat sources) are optional (y, x) booleans of pixels that must not count as background. ``positions`` is
    ``np.nonzero(candidates)`` when the caller already has it.
    """
    rows, cols = positions if positions is not None else np.nonzero(candidates)
    half_max = config.window_sizes_px[-1] // 2
    rs, cs = region_of_interest(rows, cols, temperature_k.shape, half_max)
    roi = temperature_k[rs, cs]
    invalid = np.isnan(roi) | candidates[rs, cs]
    if saturated is not None:
        invalid |= saturated[rs, cs]
    if excluded is not None:
        invalid |= excluded[rs, cs]
    valid = ~invalid
    height, width = roi.shape
    # Summed-area table with a zero first row/column: sat[i, j] = valid[:i, :j].sum().
    table = np.zeros((height + 1, width + 1), dtype=np.int32)
    np.cumsum(np.cumsum(valid, axis=0, dtype=np.int32), axis=1, out=table[1:, 1:])

    local_rows = rows - rs.start
    local_cols = cols - cs.start
    n = rows.size
    window_px = np.zeros(n, dtype=np.int32)
    valid_count = np.zeros(n, dtype=np.int32)
    undecided = np.ones(n, dtype=bool)
    for size in config.window_sizes_px:
        half = size // 2
        r0 = np.clip(local_rows - half, 0, height)
        r1 = np.clip(local_rows + half + 1, 0, height)
        c0 = np.clip(local_cols - half, 0, width)
        c1 = np.clip(local_cols + half + 1, 0, width)
        count = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]
        area = (r1 - r0) * (c1 - c0)
        ok = undecided & (count >= config.window_min_valid_count) & \
            (count >= config.window_min_valid_fraction * area)
        window_px[ok] = size
        valid_count[ok] = count[ok]
        undecided &= ~ok
        if not undecided.any():
            break

    mean_k = np.full(n, np.nan, dtype=np.float64)
    mad_k = np.full(n, np.nan, dtype=np.float64)
    # Pad the valid values by the largest half-window with NaN, so every window is a plain gather.
    padded = np.full((height + 2 * half_max, width + 2 * half_max), np.nan, dtype=np.float32)
    padded[half_max:half_max + height, half_max:half_max + width] = np.where(valid, roi, np.nan)
    for size in np.unique(window_px[window_px > 0]):
        half = int(size) // 2
        offsets = np.arange(-half, half + 1)
        d_rows = np.repeat(offsets, size)
        d_cols = np.tile(offsets, size)
        members = np.flatnonzero(window_px == size)
        chunk = max(_CHUNK_ELEMENTS // (int(size) * int(size)), 1)
        for start in range(0, members.size, chunk):
            idx = members[start:start + chunk]
            values = padded[(local_rows[idx] + half_max)[:, None] + d_rows[None, :],
                            (local_cols[idx] + half_max)[:, None] + d_cols[None, :]].astype(np.float64)
            finite = ~np.isnan(values)
            counts = finite.sum(axis=1)
            values = np.where(finite, values, 0.0)
            mean = values.sum(axis=1) / counts
            deviation = np.where(finite, np.abs(values - mean[:, None]), 0.0).sum(axis=1) / counts
            mean_k[idx] = mean
            mad_k[idx] = deviation
    return Background(rows=rows, cols=cols, mean_k=mean_k, mad_k=mad_k, window_px=window_px,
                      valid_count=valid_count)
