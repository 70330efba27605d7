"""Per-cluster measurements of fire pixels: sizes, temperatures, background, centroid, FRP, plateau shape.

Input are the fire pixels of one frame (flat arrays, any order) with their 8-connected cluster label; everything is
grouped by one stable sort, so the cost is O(fire pixels · log) whatever the number of clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from detection.config import DetectorConfig
from firewatch.model import STEFAN_BOLTZMANN


@dataclass(frozen=True)
class ClusterPixels:
    """The pixels of one cluster: row, col (int), temperature (K) and saturation, all of shape (n,)."""

    label: int
    rows: np.ndarray
    cols: np.ndarray
    temperature_k: np.ndarray
    saturated: np.ndarray


@dataclass(frozen=True)
class ClusterMeasure:
    """Measurements of one cluster (kelvin, pixels). ``background_source`` says where the background came from:
    ``window`` (the ring around the cluster, :func:`detection.background.cluster_background`), ``scene`` (robust
    level of the non-candidate scene) or ``frame_minimum`` (nothing else left: the whole frame is hot, so FRP is only
    a lower bound)."""

    pixel_count: int
    max_temp_k: float
    mean_temp_k: float
    background_k: float
    background_mad_k: float
    background_source: str
    row: float
    col: float
    weights: np.ndarray
    bbox_px: tuple[int, int, int, int]
    saturated_fraction: float
    peak_excess_k: float
    peak_z: float
    core_pixel_count: int
    flatness: float


#: Box pixels per listed pixel under which labelling the bounding box as an image (scipy.ndimage.label) is cheaper
#: than the sparse neighbour graph: a pass over the box costs a few ns per pixel, the graph ~100 ns per listed pixel.
_DENSE_BOX_PIXELS_PER_PIXEL = 16


def label_pixels(rows: np.ndarray, cols: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """8-connected cluster labels (1..n, numbered in raster order of each cluster's first pixel) of the pixels
    ``rows, cols`` of a frame ``width`` pixels wide; returns (labels of shape (n_pixels,), cluster count).

    Works on the listed pixels only (a sparse graph of their 8-neighbour links, scipy.sparse.csgraph), so its cost
    follows the number of fire pixels rather than the frame size — it gives the same clusters as
    ``scipy.ndimage.label`` with a 3×3 structure, which labels their bounding box instead when they fill it.
    """
    n = rows.size
    if n == 0:
        return np.zeros(0, dtype=np.int32), 0
    r0, c0 = int(rows.min()), int(cols.min())
    box = (int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1)
    if box[0] * box[1] <= _DENSE_BOX_PIXELS_PER_PIXEL * n:  # the pixels fill their box: label the box as an image
        mask = np.zeros(box, dtype=bool)
        mask[rows - r0, cols - c0] = True
        image, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
        return image[rows - r0, cols - c0].astype(np.int32), int(count)
    index = rows.astype(np.int64) * width + cols
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    sources, targets = [], []
    # Forward neighbours only (right, down-left, down, down-right): each undirected link once.
    for d_row, d_col in ((0, 1), (1, -1), (1, 0), (1, 1)):
        neighbour_col = cols + d_col
        inside = (neighbour_col >= 0) & (neighbour_col < width)
        wanted = index + d_row * width + d_col
        position = np.searchsorted(sorted_index, wanted)
        position = np.minimum(position, n - 1)
        found = inside & (sorted_index[position] == wanted)
        sources.append(np.flatnonzero(found))
        targets.append(order[position[found]])
    src = np.concatenate(sources)
    dst = np.concatenate(targets)
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    count, component = connected_components(graph, directed=False)
    # Renumber by first pixel in raster order, as scipy.ndimage.label does.
    first = np.full(count, np.iinfo(np.int64).max)
    np.minimum.at(first, component, index)
    rank = np.empty(count, dtype=np.int32)
    rank[np.argsort(first, kind="stable")] = np.arange(1, count + 1, dtype=np.int32)
    return rank[component], int(count)


def group_clusters(rows: np.ndarray, cols: np.ndarray, labels: np.ndarray, temperature_k: np.ndarray,
                   saturated: np.ndarray) -> list[ClusterPixels]:
    """Split flat per-pixel arrays (shape (n,)) into one :class:`ClusterPixels` per label, in increasing label."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ends = np.r_[starts[1:], sorted_labels.size]
    groups = []
    for start, end in zip(starts, ends):
        idx = order[start:end]
        groups.append(ClusterPixels(label=int(sorted_labels[start]), rows=rows[idx], cols=cols[idx],
                                    temperature_k=temperature_k[idx], saturated=saturated[idx]))
    return groups


def measure(cluster: ClusterPixels, background_k: float, background_mad_k: float, background_source: str,
            config: DetectorConfig) -> ClusterMeasure:
    """Measure one cluster against its background (mean and mean absolute deviation, K)."""
    t = cluster.temperature_k.astype(np.float64)
    finite_t = np.isfinite(t)
    excess = t - background_k
    weights = np.where(finite_t, np.clip(excess, 0.0, None), 0.0)
    if weights.sum() > 0:
        row = float(np.sum(weights * cluster.rows) / weights.sum())
        col = float(np.sum(weights * cluster.cols) / weights.sum())
    else:
        row, col = float(cluster.rows.mean()), float(cluster.cols.mean())
    max_temp = float(np.max(t[finite_t])) if finite_t.any() else float("nan")
    mean_temp = float(np.mean(t[finite_t])) if finite_t.any() else float("nan")
    peak_excess = max_temp - background_k
    peak_z = peak_excess / max(background_mad_k, config.mad_floor_k)
    # Half-maximum core and flatness of the top (sun-heated plateau rule, see is_sun_heated_plateau).
    core = finite_t & (excess >= config.plateau_core_level * peak_excess)
    core_count = int(core.sum())
    flatness = float((max_temp - t[core].mean()) / peak_excess) if core_count and peak_excess > 0 else 1.0
    return ClusterMeasure(
        pixel_count=int(t.size), max_temp_k=max_temp, mean_temp_k=mean_temp, background_k=background_k,
        background_mad_k=background_mad_k, background_source=background_source, row=row, col=col, weights=weights,
        bbox_px=(int(cluster.rows.min()), int(cluster.cols.min()), int(cluster.rows.max()), int(cluster.cols.max())),
        saturated_fraction=float(cluster.saturated.mean()), peak_excess_k=float(peak_excess), peak_z=float(peak_z),
        core_pixel_count=core_count, flatness=flatness)


def is_sun_heated_plateau(m: ClusterMeasure, config: DetectorConfig) -> bool:
    """True for a resolved, flat-topped, non-saturated warm surface no hotter than the sun can make.

    A resolved fire is far hotter (flaming 800–1200 K, smouldering 500–700 K); a sub-pixel fire is a PSF-blurred
    point whose half-maximum core never exceeds a few pixels. A cluster whose half-maximum core has at least
    ``plateau_min_core_px`` pixels, whose top is flat (``flatness`` ≤ ``plateau_max_flatness``) and whose hottest
    pixel is ≤ ``sun_ceiling_k`` is a sun-heated rock, roof, road or panel.
    """
    return (m.saturated_fraction == 0.0 and m.max_temp_k <= config.sun_ceiling_k
            and m.core_pixel_count >= config.plateau_min_core_px and m.flatness <= config.plateau_max_flatness)


def frp_kw(cluster: ClusterPixels, background_k: float, pixel_area_m2: np.ndarray | None,
           config: DetectorConfig) -> float | None:
    """Fire radiative power (kW): Σ εσ(T⁴ − T_bg⁴)·A over the cluster's pixels (Wooster et al. 2003/2005 form).

    ``pixel_area_m2`` is the (y, x) ground area of each pixel; None (pixel mode) gives None. Pixels colder than the
    background add nothing. In one LWIR band this is exact for resolved fire pixels and underestimates mixed
    (sub-pixel) ones — a 1 % 1000 K fire reads 320 K, i.e. 135 W m⁻² instead of 562 — and saturated pixels make it a
    lower bound too.
    """
    if pixel_area_m2 is None:
        return None
    area = pixel_area_m2[cluster.rows, cluster.cols]
    t = cluster.temperature_k.astype(np.float64)
    usable = np.isfinite(area) & np.isfinite(t)
    if not usable.any():
        return None
    flux = config.emissivity * STEFAN_BOLTZMANN * np.clip(t[usable] ** 4 - background_k ** 4, 0.0, None)
    return float(np.sum(flux * area[usable]) / 1000.0)
