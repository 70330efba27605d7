"""The hotspot detector: candidate pass → growing-window background → contextual test → clusters → hotspots.

Works on any frame following :mod:`firewatch.model` (temperature in kelvin, dims (y, x)); with 2-D ``lat``/``lon``
coordinates the hotspots carry ground positions, footprints, areas and FRP, without them (pixel mode) only pixel
quantities. A fire-free frame costs a strided scene statistic and one maximum over the frame.
"""

from __future__ import annotations

import dataclasses

import time as _time
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from detection.background import (background_stats, cluster_background, invalid_background, region_of_interest,
                                  window_count_image)
from detection.candidates import SceneStats, candidate_mask, check_not_negative, frame_arrays, scene_stats
from detection.clusters import (ClusterMeasure, ClusterPixels, frp_kw, group_clusters, is_sun_heated_plateau,
                                label_pixels, measure)
from detection.confidence import confidence_class, single_look_confidence
from detection.config import DetectorConfig
from detection.ground import GroundGrid
from detection.masks import StaticMasks
from firewatch.model import Hotspot, frame_time, stable_id, utc_now

#: Side of the tiles candidates are grouped by for background statistics (speed only; see _tile_groups).
_TILE_PX = 64
#: Fixed cost of one background region (summed-area table, window sizes, gathers) in pixels of region area it is
#: worth: ~0.3 ms, measured on the dense bench frames (bench/pipeline.py: 18 tile regions 20.7 ms, one region 16.2).
_REGION_SETUP_PX = 30_000
#: Candidates count as dense (one pass drops those without any possible background) above 1 per this many pixels
#: of their region: about where that pass costs less than carrying them through the per-candidate steps.
_DENSE_CANDIDATES = 16
#: Values of ``Hotspot.location_method`` (firewatch.model.LocationMethod); anything else reads as "none".
_METHODS = ("dem", "flat", "triangulation", "satellite", "none")


@dataclass
class DetectionResult:
    """What :func:`detect` found in one frame.

    ``hotspots`` are the kept clusters; ``labels`` is an int32 (y, x) array where pixel value k ≥ 1 belongs to
    ``hotspots[k - 1]`` (0 = no hotspot; a read-only all-zero view when nothing was found); ``rejected`` holds
    clusters rejected as sun-heated plateaus (``extra["rejected"] == "sun_heated_plateau"``, not in ``labels``);
    ``candidate_count`` is the number of candidate pixels; ``stats`` holds the scene median/MAD (K), thresholds,
    counts and ``timings_ms``.
    """

    hotspots: list[Hotspot]
    labels: np.ndarray
    candidate_count: int
    stats: dict
    rejected: list[Hotspot] = field(default_factory=list)


def detect(frame: xr.Dataset, config: DetectorConfig = DetectorConfig(), *,
           masks: StaticMasks | None = None) -> DetectionResult:
    """Detect hotspots in one thermal frame.

    ``frame``: Dataset with ``temperature`` (float32 K, dims (y, x), NaN = invalid), optional ``saturated`` (bool),
    optional 2-D ``lat``/``lon``/``elevation`` coordinates and ``pixel_area`` (m²). ``masks``: known static heat
    sources; hotspots inside are kept with ``masked=True`` (needs lat/lon).

    Raises :class:`detection.errors.InvalidFrame` for an empty frame, a temperature not in kelvin (°C values, raw
    counts), negative kelvin or temperatures above ``config.max_plausible_k``.
    """
    t_start = _time.perf_counter()
    temperature, saturated, name = frame_arrays(frame)
    scene = scene_stats(temperature, config, name)
    t_scene = _time.perf_counter()
    candidates = candidate_mask(temperature, saturated, scene, config, name)
    t_candidates = _time.perf_counter()
    stats = {
        "scene_median_k": scene.median_k, "scene_mad_k": scene.mad_k, "candidate_threshold_k": scene.threshold_k,
        "scene_sample_count": scene.sample_count, "candidate_count": 0, "no_background_count": 0,
        "fire_pixel_count": 0, "cluster_count": 0, "rejected_plateau_count": 0, "masked_hotspot_count": 0,
        "timings_ms": {"scene": (t_scene - t_start) * 1e3, "candidates": (t_candidates - t_scene) * 1e3},
    }
    if candidates is None:
        stats["timings_ms"]["total"] = (_time.perf_counter() - t_start) * 1e3
        # A read-only view of one zero: allocating and zeroing 1.3 MB would cost more than the whole detection.
        return DetectionResult([], np.broadcast_to(np.int32(0), temperature.shape), 0, stats)
    return _detect_candidates(frame, temperature, saturated, candidates, scene, config, masks, stats, t_start, name)


def locate(frame: xr.Dataset, result: DetectionResult, config: DetectorConfig = DetectorConfig(), *,
           masks: StaticMasks | None = None) -> DetectionResult:
    """The hotspots of ``result`` (found by :func:`detect` on the same frame before it was georeferenced) with their
    ground fields, now that ``frame`` carries lat/lon (at least over the hotspots: the lazy path of DESIGN.md §4).

    The same clusters and the same background measurements, so the same hotspots as :func:`detect` on the
    georeferenced frame would give (tests/unit/detection/test_locate.py), without a second candidate pass or any
    background window: each cluster is re-measured against its stored background and located on the ground.
    Static ``masks`` mark the located hotspots; the backgrounds were measured without them (pixel mode), so a
    candidate beside a masked chimney may have been compared with a warmer background than :func:`detect` on the
    georeferenced frame would use.
    """
    grid = GroundGrid.from_frame(frame)
    if grid is None or not result.hotspots:
        return result
    temperature, saturated, _ = frame_arrays(frame)
    hotspots = []
    for hotspot in result.hotspots:
        label = hotspot.extra["label"]
        r0, c0, r1, c1 = hotspot.bbox_px
        rows, cols = np.nonzero(result.labels[r0:r1 + 1, c0:c1 + 1] == label)
        rows, cols = rows + r0, cols + c0
        group = ClusterPixels(label=label, rows=rows, cols=cols,
                              temperature_k=temperature[rows, cols].astype(np.float64),
                              saturated=saturated[rows, cols] if saturated is not None else
                              np.zeros(rows.size, dtype=bool))
        m = measure(group, hotspot.background_temp_k, hotspot.background_mad_k,
                    hotspot.extra["background_source"], config)
        located = _hotspot(frame, group, m, grid, masks, config, hotspot.hotspot_id)
        located.extra["label"] = label
        hotspots.append(located)
    stats = {**result.stats, "masks_applied": masks is not None,
             "masked_hotspot_count": sum(h.masked for h in hotspots)}
    return dataclasses.replace(result, hotspots=hotspots, stats=stats)


def _detect_candidates(frame: xr.Dataset, temperature: np.ndarray, saturated: np.ndarray | None,
                       candidates: np.ndarray, scene: SceneStats, config: DetectorConfig,
                       masks: StaticMasks | None, stats: dict, t_start: float, name: str) -> DetectionResult:
    """Background, contextual test, clustering and hotspot building for a frame with candidates."""
    t0 = _time.perf_counter()
    rows, cols = np.nonzero(candidates)
    candidate_count = int(rows.size)
    half_max = config.window_sizes_px[-1] // 2
    rs, cs = region_of_interest(rows, cols, temperature.shape, half_max)
    check_not_negative(temperature[rs, cs], name)  # every pixel a background window may read
    grid = GroundGrid.from_frame(frame)
    use_masks = masks is not None and grid is not None

    def invalid_in(rs: slice, cs: slice) -> np.ndarray:
        invalid = invalid_background(temperature, candidates, saturated, None, rs, cs)
        if use_masks:  # static heat sources, tested only where a window looks
            invalid |= masks.contains(grid.lon[rs, cs], grid.lat[rs, cs])
        return invalid

    if candidate_count * _DENSE_CANDIDATES > (rs.stop - rs.start) * (cs.stop - cs.start):
        # Dense candidates (a sunlit slope, a large fire): most lie so deep inside the hot area that no window can
        # have a background; one pass over the region drops them before any per-candidate work. Certain fires
        # (saturated, above the certain-fire temperature) stay whatever their surroundings.
        keep = window_count_image(invalid_in(rs, cs), half_max) >= config.window_min_valid_count
        keep |= temperature[rs, cs] > np.float32(config.certain_fire_k)
        if saturated is not None:
            keep |= saturated[rs, cs]
        inside = keep[rows - rs.start, cols - cs.start]
        rows, cols = rows[inside], cols[inside]
    cand_t = temperature[rows, cols].astype(np.float64)
    cand_sat = saturated[rows, cols] if saturated is not None else np.zeros(rows.size, dtype=bool)
    # Absolute test (Giglio 2003): saturated or above the certain-fire temperature is fire whatever the context;
    # only the other candidates need a background window and the contextual test. NaN is invalid, even saturated.
    fire = (cand_sat & ~np.isnan(cand_t)) | (cand_t > config.certain_fire_k)
    ctx = np.flatnonzero(~fire & ~np.isnan(cand_t))
    bg_mean = np.full(ctx.size, np.nan)
    bg_mad = np.full(ctx.size, np.nan)
    for group in _tile_groups(rows[ctx], cols[ctx], temperature.shape, half_max):
        g_rows, g_cols = rows[ctx[group]], cols[ctx[group]]
        g_rs, g_cs = region_of_interest(g_rows, g_cols, temperature.shape, half_max)
        background = background_stats(temperature[g_rs, g_cs], invalid_in(g_rs, g_cs), g_rows - g_rs.start,
                                      g_cols - g_cs.start, config)
        bg_mean[group], bg_mad[group] = background.mean_k, background.mad_k
    has_bg = ~np.isnan(bg_mean)
    needed = np.maximum(config.context_k_mad * np.maximum(bg_mad, config.mad_floor_k), config.context_min_excess_k)
    fire[ctx] = has_bg & (cand_t[ctx] - bg_mean > needed)
    t1 = _time.perf_counter()
    stats["candidate_count"] = candidate_count
    stats["no_background_count"] = int((~has_bg).sum()) + candidate_count - int(rows.size)
    stats["fire_pixel_count"] = int(fire.sum())

    f_rows, f_cols = rows[fire], cols[fire]
    pixel_labels, count = label_pixels(f_rows, f_cols, temperature.shape[1])
    stats["cluster_count"] = count
    hotspots: list[Hotspot] = []
    rejected: list[Hotspot] = []
    labels = np.zeros(temperature.shape, dtype=np.int32)
    if count:
        groups = group_clusters(f_rows, f_cols, pixel_labels, cand_t[fire], cand_sat[fire])
        lut = np.zeros(count + 1, dtype=np.int32)
        for group in groups:
            c_rs, c_cs = region_of_interest(group.rows, group.cols, temperature.shape, half_max)
            bbox = (int(group.rows.min()) - c_rs.start, int(group.cols.min()) - c_cs.start,
                    int(group.rows.max()) - c_rs.start, int(group.cols.max()) - c_cs.start)
            ring = cluster_background(temperature[c_rs, c_cs], invalid_in(c_rs, c_cs), bbox, config)
            scene_bg = _scene_background(temperature, scene, config) if ring is None else None
            if ring is not None:
                m = measure(group, ring[0], ring[1], "window", config)
            elif scene_bg is not None:
                m = measure(group, scene_bg, 0.0, "scene", config)
            else:  # the whole sampled scene is hot: the coldest pixel is all that is left
                m = measure(group, float(np.fmin.reduce(temperature, axis=None)), 0.0, "frame_minimum", config)
            plateau = is_sun_heated_plateau(m, config)
            index = len(hotspots) + 1
            frame_id = frame.attrs.get("frame_id", "")
            hotspot_id = stable_id(frame_id, "rejected", group.label) if plateau else stable_id(frame_id, index)
            hotspot = _hotspot(frame, group, m, grid, masks, config, hotspot_id)
            if plateau:
                hotspot.extra["rejected"] = "sun_heated_plateau"
                rejected.append(hotspot)
            else:
                hotspot.extra["label"] = index
                lut[group.label] = index
                hotspots.append(hotspot)
        labels[f_rows, f_cols] = lut[pixel_labels]
    stats["rejected_plateau_count"] = len(rejected)
    stats["masked_hotspot_count"] = sum(h.masked for h in hotspots)
    stats["masks_applied"] = masks is not None and grid is not None
    t2 = _time.perf_counter()
    stats["timings_ms"].update(background=(t1 - t0) * 1e3, clusters=(t2 - t1) * 1e3,
                               total=(t2 - t_start) * 1e3)
    return DetectionResult(hotspots, labels, candidate_count, stats, rejected)


def _tile_groups(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], margin_px: int) -> list[np.ndarray]:
    """Indices of the pixels ``rows, cols`` grouped by ``_TILE_PX`` square tiles (each group one region of interest).

    A region is a tile's candidates' bounding box grown by ``margin_px`` (the largest half-window), so scattered
    candidates (a few sun-heated rocks) cost a few (64 + 30)² px regions instead of full-frame passes; when the
    tiles' regions — each with its fixed setup cost, :data:`_REGION_SETUP_PX` — would cost more than one region
    around all candidates (a sunlit slope, a large fire), that one region is used. Results do not depend on the
    grouping.
    """
    if rows.size == 0:
        return []
    key = (rows // _TILE_PX).astype(np.int64) * (int(cols.max()) // _TILE_PX + 1) + cols // _TILE_PX
    tiles = np.count_nonzero(np.bincount(key))
    rs, cs = region_of_interest(rows, cols, shape, margin_px)
    if tiles * ((_TILE_PX + 2 * margin_px) ** 2 + _REGION_SETUP_PX) >= (rs.stop - rs.start) * (cs.stop - cs.start):
        return [np.arange(rows.size)]
    order = np.argsort(key, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(key[order])) + 1)


def _scene_background(temperature: np.ndarray, scene: SceneStats, config: DetectorConfig) -> float | None:
    """Median of the strided subsample's non-candidate pixels (K), or None when every sampled pixel is hot."""
    sample = temperature[::config.scene_stride_px, ::config.scene_stride_px]
    sample = sample[sample <= np.float32(scene.threshold_k)]
    return float(np.median(sample)) if sample.size else None


def _hotspot(frame: xr.Dataset, group: ClusterPixels, m: ClusterMeasure, grid: GroundGrid | None,
             masks: StaticMasks | None, config: DetectorConfig, hotspot_id: str) -> Hotspot:
    """Build the :class:`Hotspot` of one measured cluster (ground fields when ``grid`` is given)."""
    saturated_any = m.saturated_fraction > 0
    confidence = single_look_confidence(max_temp_k=m.max_temp_k, z_score=m.peak_z, excess_k=m.peak_excess_k,
                                        pixel_count=m.pixel_count, saturated=saturated_any, config=config)
    when = frame_time(frame)
    extra: dict = {"background_source": m.background_source, "peak_z": round(m.peak_z, 3),
                   "core_pixel_count": m.core_pixel_count, "flatness": round(m.flatness, 4)}
    if when is None:
        when = utc_now()
        extra["time_source"] = "detection"
    lat = lon = elevation = area = footprint = uncertainty = None
    frp = None
    method = "none"
    if grid is not None:
        lon, lat, elevation = grid.at(m.row, m.col, group.rows, group.cols, m.weights)
        on_ground = grid.attached(group.rows, group.cols, int(np.argmax(group.temperature_k)))
        if not on_ground.all():
            extra["pixels_off_ground"] = int((~on_ground).sum())
            group = dataclasses.replace(group, rows=group.rows[on_ground], cols=group.cols[on_ground],
                                        temperature_k=group.temperature_k[on_ground],
                                        saturated=group.saturated[on_ground])
        footprint = grid.footprint(group.rows, group.cols)
        area = grid.area_m2(group.rows, group.cols, footprint)
        frp = frp_kw(group, m.background_k, grid.pixel_area_m2, config)
        method = grid.method
        uncertainty = grid.uncertainty_m if grid.uncertainty_m is not None else \
            grid.pixel_size_m(group.rows, group.cols)
    mask_name = masks.mask_for(lon, lat) if masks is not None and lon is not None and lat is not None else None
    return Hotspot(
        hotspot_id=hotspot_id, frame_id=str(frame.attrs.get("frame_id", "")),
        source_id=str(frame.attrs.get("source_id", "")), source_kind=str(frame.attrs.get("source_kind", "")),
        time=when, row=m.row, col=m.col, bbox_px=m.bbox_px, pixel_count=m.pixel_count, max_temp_k=m.max_temp_k,
        mean_temp_k=m.mean_temp_k, background_temp_k=m.background_k, background_mad_k=m.background_mad_k,
        saturated_fraction=m.saturated_fraction, frp_kw=frp,
        frp_lower_bound=saturated_any or m.background_source == "frame_minimum",
        confidence=round(confidence, 4), confidence_class=confidence_class(confidence, config),
        lat=lat, lon=lon, elevation_m=elevation, area_m2=area, footprint=footprint,
        location_uncertainty_m=uncertainty, location_method=method if method in _METHODS else "none",
        masked=mask_name is not None, mask_name=mask_name, extra=extra)

