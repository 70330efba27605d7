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
    table = _summed_area(valid)

    n = rows.size
    window_px = np.zeros(n, dtype=np.int32)
    valid_count = np.zeros(n, dtype=np.int32)
    # The valid count only grows with the window: a candidate whose largest window holds fewer valid pixels than
    # the minimum has no background at any size (the inside of a large hot area, often most candidates) and is
    # settled by this one pass; the sizes are then tried in turn on the others only.
    possible = window_count_image(invalid, half_max, table)[rows, cols] >= config.window_min_valid_count
    undecided = np.flatnonzero(possible)
    for size in config.window_sizes_px:
        if not undecided.size:
            break
        count, area = _window_counts(table, rows[undecided], cols[undecided], size // 2)
        ok = (count >= config.window_min_valid_count) & (count >= config.window_min_valid_fraction * area)
        window_px[undecided[ok]] = size
        valid_count[undecided[ok]] = count[ok]
        undecided = undecided[~ok]

    mean_k = np.full(n, np.nan, dtype=np.float64)
    mad_k = np.full(n, np.nan, dtype=np.float64)
    if not (window_px > 0).any():
        return Background(rows=rows, cols=cols, mean_k=mean_k, mad_k=mad_k, window_px=window_px,
                          valid_count=valid_count)
    # Valid values padded by the largest half-window with zeros, invalid pixels zero too: a window is then one
    # strided view (sliding_window_view), gathered by fancy indexing on its corner, and its sum is the valid sum.
    padded = np.zeros((height + 2 * half_max, width + 2 * half_max), dtype=np.float32)
    np.copyto(padded[half_max:half_max + height, half_max:half_max + width], roi_k, where=valid)
    for size in np.unique(window_px[window_px > 0]):
        size = int(size)
        offset = half_max - size // 2  # padded index of a window's first row/col = candidate index + offset
        windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))
        members = np.flatnonzero(window_px == size)
        chunk = max(_CHUNK_ELEMENTS // (size * size), 1)
        for start in range(0, members.size, chunk):
            idx = members[start:start + chunk]
            values = windows[rows[idx] + offset, cols[idx] + offset].reshape(idx.size, size * size)
            mean_k[idx], mad_k[idx] = _mean_and_mad(values, valid_count[idx])
    return Background(rows=rows, cols=cols, mean_k=mean_k, mad_k=mad_k, window_px=window_px,
                      valid_count=valid_count)


def window_count_image(invalid: np.ndarray, half: int, table: np.ndarray | None = None) -> np.ndarray:
    """Valid-pixel count (int32, shape of ``invalid``) of the (2·half + 1)² window centred on every pixel of the
    region (windows clipped at its border): four shifted slices of the summed-area table (``table``, built from
    ``invalid`` when not given) padded by its edge values — cheaper than looking up each of many candidates."""
    if table is None:
        table = _summed_area(~invalid)
    height, width = invalid.shape
    padded = np.pad(table, half, mode="edge")  # padded[i, j] = table[clip(i − half), clip(j − half)]
    far = 2 * half + 1
    return (padded[far:far + height, far:far + width] - padded[:height, far:far + width]
            - padded[far:far + height, :width] + padded[:height, :width])


def _summed_area(valid: np.ndarray) -> np.ndarray:
    """Summed-area table of a boolean (height, width) mask with a zero first row/column, int32 (height + 1,
    width + 1): ``table[i, j] = valid[:i, :j].sum()``."""
    table = np.zeros((valid.shape[0] + 1, valid.shape[1] + 1), dtype=np.int32)
    np.cumsum(np.cumsum(valid, axis=0, dtype=np.int32), axis=1, out=table[1:, 1:])
    return table


def _window_counts(table: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   half: int) -> tuple[np.ndarray, np.ndarray]:
    """Valid-pixel count and in-region area of the (2·half + 1)² windows centred on ``rows, cols``, from the
    summed-area ``table`` (shape (height + 1, width + 1)); windows are clipped at the region's border."""
    height, width = table.shape[0] - 1, table.shape[1] - 1
    r0, r1 = np.maximum(rows - half, 0), np.minimum(rows + half + 1, height)
    c0, c1 = np.maximum(cols - half, 0), np.minimum(cols + half + 1, width)
    count = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]
    return count, (r1 - r0) * (c1 - c0)


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


def _mean_and_mad(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise mean and mean absolute deviation (K, float64) of the valid entries of a float32 (n, m) array in
    which the invalid entries are 0; ``counts`` (n,) is the number of valid entries per row (≥ 1).

    Differences are taken in float32 (resolution ~3e-5 K at 300 K), sums in float64. Each of the m − count zeros
    adds |0 − mean| = mean (as float32) to the row's sum of deviations, so that much is taken off again: a float64
    sum of float32 values this size is exact (their bits span < 53), so the result is the valid entries' own sum.
    """
    counts = counts.astype(np.float64)
    mean = values.sum(axis=1, dtype=np.float64) / counts
    mean32 = mean.astype(np.float32)
    np.subtract(values, mean32[:, None], out=values)
    np.abs(values, out=values)
    invalid = values.shape[1] - counts
    mad = (values.sum(axis=1, dtype=np.float64) - invalid * mean32.astype(np.float64)) / counts
    return mean, np.maximum(mad, 0.0)  # never below 0 by a rounding of the subtraction
