"""Background statistics around candidates and clusters in a growing window (Giglio 2003 §2.2.3, adapted).

Per candidate (for the contextual test): the smallest window (sides from ``DetectorConfig.window_sizes_px``) holding
at least ``window_min_valid_fraction`` of its in-frame area and ``window_min_valid_count`` valid pixels is chosen
with a summed-area table of the valid mask (O(1) per candidate and size). Valid means finite, not a candidate, not
saturated and not inside a static heat-source mask. Then the chosen windows are gathered in one vectorised step per
size (chunked to bound memory) for the robust statistics MODIS uses: mean and mean absolute deviation.

Per cluster (for its background temperature, z-score and FRP): the same rule on the cluster's bounding box grown by
each half-window in turn — the ring of non-fire surroundings.

Only regions of interest — a group of candidates' bounding box grown by the largest half-window — are touched; the
detector groups scattered candidates by tile so that a few sun-heated rocks do not make every pass full-frame.
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


def invalid_background(temperature_k: np.ndarray, candidates: np.ndarray, saturated: np.ndarray | None,
                       excluded: np.ndarray | None, rs: slice, cs: slice) -> np.ndarray:
    """Boolean mask over the region ``[rs, cs]`` of pixels that must not count as background: NaN, candidates,
    saturated, and ``excluded`` (inside a static heat-source mask). Inputs are full (y, x) arrays."""
    invalid = np.isnan(temperature_k[rs, cs]) | candidates[rs, cs]
    if saturated is not None:
        invalid |= saturated[rs, cs]
    if excluded is not None:
        invalid |= excluded[rs, cs]
    return invalid


def background_stats(roi_k: np.ndarray, invalid: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                     config: DetectorConfig) -> Background:
    """Growing-window background of the candidates at ``rows, cols`` (indices into the region of interest).

    ``roi_k`` is the region's float32 temperature (K) and ``invalid`` its :func:`invalid_background` mask, both of
    the same 2-D shape; the region must extend the candidates' bounding box by the largest half-window wherever the
    frame allows (:func:`region_of_interest`), so windows are only clipped by the frame border.
    """
    valid = ~invalid
    height, width = roi_k.shape
    half_max = config.window_sizes_px[-1] // 2
    # Summed-area table with a zero first row/column: table[i, j] = valid[:i, :j].sum().
    table = np.zeros((height + 1, width + 1), dtype=np.int32)
    np.cumsum(np.cumsum(valid, axis=0, dtype=np.int32), axis=1, out=table[1:, 1:])

    n = rows.size
    window_px = np.zeros(n, dtype=np.int32)
    valid_count = np.zeros(n, dtype=np.int32)
    undecided = np.ones(n, dtype=bool)
    for size in config.window_sizes_px:
        half = size // 2
        r0 = np.clip(rows - half, 0, height)
        r1 = np.clip(rows + half + 1, 0, height)
        c0 = np.clip(cols - half, 0, width)
        c1 = np.clip(cols + half + 1, 0, width)
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
    if not (window_px > 0).any():
        return Background(rows=rows, cols=cols, mean_k=mean_k, mad_k=mad_k, window_px=window_px,
                          valid_count=valid_count)
    # Pad the valid values by the largest half-window with NaN, so every window is a plain gather.
    padded = np.full((height + 2 * half_max, width + 2 * half_max), np.nan, dtype=np.float32)
    padded[half_max:half_max + height, half_max:half_max + width] = np.where(valid, roi_k, np.nan)
    for size in np.unique(window_px[window_px > 0]):
        half = int(size) // 2
        offsets = np.arange(-half, half + 1)
        d_rows = np.repeat(offsets, size)
        d_cols = np.tile(offsets, size)
        members = np.flatnonzero(window_px == size)
        chunk = max(_CHUNK_ELEMENTS // (int(size) * int(size)), 1)
        for start in range(0, members.size, chunk):
            idx = members[start:start + chunk]
            values = padded[(rows[idx] + half_max)[:, None] + d_rows[None, :],
                            (cols[idx] + half_max)[:, None] + d_cols[None, :]]
            mean_k[idx], mad_k[idx] = _mean_and_mad(values)
    return Background(rows=rows, cols=cols, mean_k=mean_k, mad_k=mad_k, window_px=window_px,
                      valid_count=valid_count)


def cluster_background(roi_k: np.ndarray, invalid: np.ndarray, bbox: tuple[int, int, int, int],
                       config: DetectorConfig) -> tuple[float, float, int] | None:
    """Background (mean K, mean absolute deviation K, margin px) around one cluster, or None.

    The cluster's bounding box ``bbox`` (row0, col0, row1, col1, inclusive, region coordinates) is grown by the
    half-window of each size in turn until the grown box meets the same validity rule as a pixel window (≥ 25 % and
    ≥ 8 valid pixels); this is the ring of non-fire surroundings that FRP is measured against. ``roi_k`` and
    ``invalid`` (:func:`invalid_background`) cover the region, which should extend the box by the largest
    half-window wherever the frame allows.
    """
    height, width = roi_k.shape
    for size in config.window_sizes_px:
        margin = size // 2
        r0, c0 = max(bbox[0] - margin, 0), max(bbox[1] - margin, 0)
        r1, c1 = min(bbox[2] + margin + 1, height), min(bbox[3] + margin + 1, width)
        valid = ~invalid[r0:r1, c0:c1]
        count = int(np.count_nonzero(valid))
        if count >= config.window_min_valid_count and count >= config.window_min_valid_fraction * valid.size:
            values = roi_k[r0:r1, c0:c1][valid].astype(np.float64)
            mean = float(values.mean())
            return mean, float(np.abs(values - mean).mean()), margin
    return None


def _mean_and_mad(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise mean and mean absolute deviation (K, float64) of a float32 (n, m) array ignoring NaN (each row has
    a finite value). Differences are taken in float32 (resolution ~3e-5 K at 300 K), sums in float64."""
    finite = ~np.isnan(values)
    counts = finite.sum(axis=1)
    mean = np.where(finite, values, np.float32(0)).sum(axis=1, dtype=np.float64) / counts
    deviation = np.abs(values - mean[:, None].astype(np.float32))
    mad = np.where(finite, deviation, np.float32(0)).sum(axis=1, dtype=np.float64) / counts
    return mean, mad
