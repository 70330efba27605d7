"""Hotspot detection on rasters larger than memory (a 20,000 × 20,000 orthomosaic), in chunks, identical to
:func:`detection.detect` on the whole array.

The detector's decisions are local except three scene-wide quantities, so the raster is processed in three steps:

1. **Scene level** (one strided pass through dask): the median/MAD of every ``scene_stride_px``-th pixel — exactly
   the sample :func:`detection.candidates.scene_stats` takes from a whole frame — gives the candidate threshold.
2. **Fire pixels per chunk** (one dask task per chunk of the ``rioxarray.open_rasterio(chunks=...)`` array, reading
   its window through xarray): each chunk is read with a halo of ``max(window_sizes_px) // 2`` pixels, so the
   background window of every candidate in the chunk's halo-free core sees exactly the pixels it sees in the whole
   array (windows are clipped by the raster border only); the chunk returns its core's fire pixels (row, col, K),
   its minimum and maximum. Memory is bounded by a few chunks (≈ 16 MiB each at 2048 px) plus GDAL's block cache
   (capped at :data:`GDAL_CACHE_MB`) whatever the raster size.
3. **Clusters** (client, sparse): fire pixels are few, so 8-connected clusters are labelled on the pixel list
   (scipy.sparse.csgraph) — a cluster crossing chunk borders is one cluster, counted once — and numbered in raster
   order of their first pixel like :func:`scipy.ndimage.label`. Each cluster's background ring, ground position,
   footprint and FRP come from a window of the cluster's box grown by the largest half-window plus one pixel (the
   ring and the pixel-corner interpolation of :class:`detection.ground.GroundGrid` never reach further).

Georeferencing of a raster: pixel centres from the GeoTIFF's affine transform, lon/lat through pyproj, pixel area
``|det(transform)|`` in a projected metric CRS (a raster without a CRS gives pixel-only hotspots; a geographic CRS is
refused: reproject first). Static heat-source masks and saturation bands are not applied to large rasters.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time as _time
from dataclasses import dataclass, field
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import rasterio
import rioxarray
import xarray as xr
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError
from rasterio.windows import Window
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from detection.background import background_stats, cluster_background, invalid_background, region_of_interest
from detection.candidates import SceneStats, check_not_negative, scene_stats
from detection.clusters import ClusterPixels, is_sun_heated_plateau, measure
from detection.config import DetectorConfig
from detection.detector import _hotspot
from detection.errors import InvalidFrame, InvalidValue
from detection.ground import GroundGrid
from firewatch.model import Hotspot, make_frame, stable_id

#: Default chunk side, px: 2048² float32 = 16 MiB per chunk (plus a 15 px halo), large enough that the halo costs
#: < 3 % extra reading and small enough that two workers' chunks and temporaries stay far below 2 GB.
DEFAULT_CHUNK_PX = 2048
#: GDAL's block cache while a large raster is read, MiB. GDAL's default is 5 % of physical memory (1.2 GB on a
#: 24 GB machine) and it filled up to 1 GB of RSS on a 12,000² raster; 128 MiB still holds the strips of 512 px
#: tiles that neighbouring chunks' halos read again (two strips of a 20,000 px wide raster = 80 MB): measured peak
#: RSS 408 MiB at 64 MiB of cache on 12,000², see bench/large_raster.py.
GDAL_CACHE_MB = 128
#: Units a raster's values may be in.
RASTER_UNITS = ("K", "C")
#: °C → K offset (float32, as the readers apply it).
_CELSIUS_OFFSET = np.float32(273.15)
#: Georeferencing method reported for an orthomosaic: it was orthorectified on a terrain model by its producer.
_ORTHO_GEOREF = {"method": "dem"}


@dataclass
class LargeDetection:
    """Hotspots of one large raster (same fields as :class:`detection.DetectionResult` minus the label image,
    which would be as large as the raster). ``stats`` holds the scene level, counts, chunking and timings (s)."""

    hotspots: list[Hotspot]
    rejected: list[Hotspot]
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Raster:
    """What is needed to georeference any window of the raster."""

    path: Path
    height: int
    width: int
    transform: rasterio.Affine
    crs: CRS | None
    nodata: float | None
    units: str
    frame_id: str
    source_id: str
    source_kind: str
    time: str | None


# --------------------------------------------------------------------------------------------------- raster access
def _open(path: Path, *, units: str, frame_id: str | None, time: str | None, source_kind: str) -> _Raster:
    if units not in RASTER_UNITS:
        raise InvalidValue(f"{path}: units must be one of {RASTER_UNITS}, got {units!r}")
    try:
        with rasterio.open(path) as src:
            crs = CRS.from_user_input(src.crs) if src.crs else None
            raster = _Raster(path=path, height=src.height, width=src.width, transform=src.transform, crs=crs,
                             nodata=src.nodata, units=units, frame_id=frame_id or stable_id(path.name),
                             source_id=path.stem, source_kind=source_kind, time=time)
    except RasterioIOError as exc:
        raise InvalidFrame(f"{path}: not a readable raster ({exc}); give a GeoTIFF / COG of temperatures") from exc
    if crs is not None and not crs.is_projected:
        raise InvalidFrame(f"{path}: CRS {crs.to_string()} is not projected; pixel areas need metres — reproject "
                           "first, e.g. `gdalwarp -t_srs EPSG:5186 in.tif out.tif` (Korea) or to the UTM zone")
    return raster


def _to_kelvin(values: np.ndarray, nodata: float | None, units: str) -> np.ndarray:
    """Raster values → float32 kelvin with NaN for nodata (the same element-wise steps for chunks and windows)."""
    out = values.astype(np.float32, copy=True)
    if nodata is not None and not math.isnan(nodata):
        out[values == nodata] = np.nan
    if units == "C":
        out += _CELSIUS_OFFSET
    return out


def _ground(raster: _Raster, row0: int, col0: int, height: int, width: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """lon, lat (degrees) and pixel area (m²) of the pixel centres of a window, each (height, width) float64."""
    if raster.crs is None:
        return None
    t = raster.transform
    rows = np.arange(row0, row0 + height, dtype=np.float64)[:, None] + 0.5
    cols = np.arange(col0, col0 + width, dtype=np.float64)[None, :] + 0.5
    x = t.a * cols + t.b * rows + t.c
    y = t.d * cols + t.e * rows + t.f
    to_wgs84 = Transformer.from_crs(raster.crs, CRS.from_epsg(4326), always_xy=True)
    lon, lat = to_wgs84.transform(x, y)
    metre = raster.crs.axis_info[0].unit_conversion_factor
    area = np.full((height, width), abs(t.a * t.e - t.b * t.d) * metre * metre)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), area


def _window_frame(raster: _Raster, row0: int, col0: int, height: int, width: int) -> xr.Dataset:
    """A frame (:mod:`firewatch.model` convention) of one raster window, with lat/lon/pixel_area when it has a CRS."""
    with rasterio.open(raster.path) as src:
        values = src.read(1, window=Window(col0, row0, width, height))
    frame = make_frame(_to_kelvin(values, raster.nodata, raster.units), frame_id=raster.frame_id,
                       source_id=raster.source_id, source_kind=raster.source_kind, time=raster.time,
                       path=str(raster.path), attrs={"georef": dict(_ORTHO_GEOREF)})
    ground = _ground(raster, row0, col0, height, width)
    if ground is not None:
        lon, lat, area = ground
        frame = frame.assign_coords(lon=(("y", "x"), lon, {"units": "degrees_east"}),
                                    lat=(("y", "x"), lat, {"units": "degrees_north"}))
        frame["pixel_area"] = (("y", "x"), area, {"units": "m2"})
    return frame


def raster_frame(path: str | Path, *, units: str = "K", frame_id: str | None = None, time: str | None = None,
                 source_kind: str = "drone") -> xr.Dataset:
    """The whole raster as one in-memory frame (temperature (y, x) float32 K; 2-D ``lat``/``lon`` WGS 84 degrees
    and ``pixel_area`` m² when it has a projected CRS) — what :func:`detect_large` must equal when given to
    :func:`detection.detect`. Only for rasters that fit in memory."""
    raster = _open(Path(path), units=units, frame_id=frame_id, time=time, source_kind=source_kind)
    return _window_frame(raster, 0, 0, raster.height, raster.width)


# --------------------------------------------------------------------------------------------------- the chunks
def _chunk_fire(block: np.ndarray, row0: int, col0: int, core: tuple[slice, slice], threshold_k: float,
                config: DetectorConfig, name: str) -> dict:
    """Fire pixels of one chunk's core. ``block`` is the chunk with its halo (float32 K), whose pixel (0, 0) is
    raster pixel (row0, col0); ``core`` selects the halo-free part. Returns global rows/cols, temperatures (K),
    the core's NaN-ignoring minimum and maximum and the candidate counts."""
    core_values = block[core]
    hottest = float(np.fmax.reduce(core_values, axis=None))
    coldest = float(np.fmin.reduce(core_values, axis=None))
    out = {"rows": np.empty(0, np.int64), "cols": np.empty(0, np.int64), "temperature_k": np.empty(0, np.float32),
           "min_k": coldest, "max_k": hottest, "candidates": 0, "no_background": 0}
    if hottest > config.max_plausible_k:
        r, c = np.argwhere(core_values == np.float32(hottest))[0]
        raise InvalidFrame(f"{name}: temperature {hottest:.4g} K at pixel (row {row0 + core[0].start + r}, col "
                           f"{col0 + core[1].start + c}) is above {config.max_plausible_k:.0f} K — not a temperature")
    if not hottest > threshold_k:
        return out
    candidates = block > np.float32(threshold_k)
    in_core = np.zeros(block.shape, dtype=bool)
    in_core[core] = True
    rows, cols = np.nonzero(candidates & in_core)
    # From here on the same steps as detection.detector._detect_candidates (no saturation band, no masks).
    rs, cs = region_of_interest(rows, cols, block.shape, config.window_sizes_px[-1] // 2)
    roi = block[rs, cs]
    check_not_negative(roi, name)
    invalid = invalid_background(block, candidates, None, None, rs, cs)
    cand_t = block[rows, cols].astype(np.float64)
    fire = cand_t > config.certain_fire_k
    ctx = np.flatnonzero(~fire & ~np.isnan(cand_t))
    background = background_stats(roi, invalid, rows[ctx] - rs.start, cols[ctx] - cs.start, config)
    excess = cand_t[ctx] - background.mean_k
    needed = np.maximum(config.context_k_mad * np.maximum(background.mad_k, config.mad_floor_k),
                        config.context_min_excess_k)
    has_bg = background.window_px > 0
    fire[ctx] = has_bg & (excess > needed)
    out.update(rows=rows[fire] + row0, cols=cols[fire] + col0, temperature_k=block[rows[fire], cols[fire]],
               candidates=int(rows.size), no_background=int((~has_bg).sum()))
    return out


def _read_block(raster: _Raster, row0: int, col0: int, height: int, width: int) -> np.ndarray:
    """One window of the raster as float32 kelvin, read lazily through xarray (rioxarray: a windowed read)."""
    with rioxarray.open_rasterio(raster.path, cache=False) as array:
        values = array.isel(band=0, y=slice(row0, row0 + height), x=slice(col0, col0 + width)).values
    return _to_kelvin(values, raster.nodata, raster.units)


def _detect_chunk(raster: _Raster, row0: int, col0: int, height: int, width: int, core: tuple[slice, slice],
                  threshold_k: float, config: DetectorConfig) -> dict:
    return _chunk_fire(_read_block(raster, row0, col0, height, width), row0, col0, core, threshold_k, config,
                       str(raster.path))


def _chunk_tasks(raster: _Raster, chunks: tuple[tuple[int, ...], tuple[int, ...]], halo_px: int,
                 threshold_k: float, config: DetectorConfig) -> list:
    """One delayed :func:`_detect_chunk` per chunk of the dask array's ``chunks``, each reading its chunk plus a
    ``halo_px`` halo (clipped at the raster border) itself. Each task holds only its own window, so memory is bounded
    by the number of tasks running at once; a ``dask.array.overlap`` graph would instead keep every source chunk
    alive until its neighbours' halos were cut (the whole raster, 3 GB peak measured on 20,000²)."""
    row_starts = np.r_[0, np.cumsum(chunks[0])]
    col_starts = np.r_[0, np.cumsum(chunks[1])]
    tasks = []
    for i in range(len(chunks[0])):
        for j in range(len(chunks[1])):
            row0 = max(int(row_starts[i]) - halo_px, 0)
            col0 = max(int(col_starts[j]) - halo_px, 0)
            row1 = min(int(row_starts[i + 1]) + halo_px, raster.height)
            col1 = min(int(col_starts[j + 1]) + halo_px, raster.width)
            core = (slice(int(row_starts[i]) - row0, int(row_starts[i + 1]) - row0),
                    slice(int(col_starts[j]) - col0, int(col_starts[j + 1]) - col0))
            tasks.append(dask.delayed(_detect_chunk)(raster, row0, col0, row1 - row0, col1 - col0, core,
                                                     threshold_k, config))
    return tasks


# --------------------------------------------------------------------------------------------------- clusters
def _label_sparse(rows: np.ndarray, cols: np.ndarray, width: int) -> list[np.ndarray]:
    """8-connected clusters of the pixels ``rows, cols`` (any order, unique): a list of index arrays into them,
    each in raster order, the clusters ordered by their first pixel in raster order (as scipy.ndimage.label)."""
    n = rows.size
    if n == 0:
        return []
    linear = rows * width + cols
    order = np.argsort(linear, kind="stable")
    sorted_linear = linear[order]
    src, dst = [np.arange(n)], [np.arange(n)]
    for d_row, d_col in ((0, 1), (1, -1), (1, 0), (1, 1)):  # forward neighbours; the graph is made symmetric
        n_rows, n_cols = rows + d_row, cols + d_col
        inside = (n_cols >= 0) & (n_cols < width)
        target = n_rows * width + n_cols
        pos = np.clip(np.searchsorted(sorted_linear, target), 0, n - 1)
        hit = inside & (sorted_linear[pos] == target)
        src.append(np.flatnonzero(hit))
        dst.append(order[pos[hit]])
    src_all, dst_all = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(src_all.size, dtype=np.int8), (src_all, dst_all)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    component_sorted = component[order]  # raster order
    _, first = np.unique(component_sorted, return_index=True)  # first raster position of components 0, 1, ...
    rank_of = np.empty(first.size, dtype=np.int64)
    rank_of[np.argsort(first)] = np.arange(first.size)
    rank = rank_of[component_sorted]
    grouping = np.argsort(rank, kind="stable")
    bounds = np.flatnonzero(np.r_[True, rank[grouping][1:] != rank[grouping][:-1], True])
    return [order[grouping[a:b]] for a, b in itertools.pairwise(bounds)]


def _cluster_hotspot(raster: _Raster, group: ClusterPixels, index: int, scene_bg: float | None, minimum_k: float,
                     threshold_k: float, config: DetectorConfig) -> tuple[Hotspot, bool]:
    """Measure one cluster (global pixel indices) on a window around it; returns (hotspot, is_plateau)."""
    margin = config.window_sizes_px[-1] // 2 + 1  # background ring + the pixel-corner neighbours of GroundGrid
    r0, c0 = max(int(group.rows.min()) - margin, 0), max(int(group.cols.min()) - margin, 0)
    r1 = min(int(group.rows.max()) + margin + 1, raster.height)
    c1 = min(int(group.cols.max()) + margin + 1, raster.width)
    frame = _window_frame(raster, r0, c0, r1 - r0, c1 - c0)
    window = frame["temperature"].values
    invalid = np.isnan(window) | (window > np.float32(threshold_k))
    bbox = (int(group.rows.min()) - r0, int(group.cols.min()) - c0,
            int(group.rows.max()) - r0, int(group.cols.max()) - c0)
    ring = cluster_background(window, invalid, bbox, config)
    if ring is not None:
        m = measure(group, ring[0], ring[1], "window", config)
    elif scene_bg is not None:
        m = measure(group, scene_bg, 0.0, "scene", config)
    else:
        m = measure(group, minimum_k, 0.0, "frame_minimum", config)
    plateau = is_sun_heated_plateau(m, config)
    hotspot_id = stable_id(raster.frame_id, "rejected", group.label) if plateau else stable_id(raster.frame_id, index)
    # Window coordinates for the ground lookups; subtracting an integer offset from a pixel position is exact.
    local = dataclasses.replace(group, rows=group.rows - r0, cols=group.cols - c0)
    local_m = dataclasses.replace(m, row=m.row - r0, col=m.col - c0)
    hotspot = _hotspot(frame, local, local_m, GroundGrid.from_frame(frame), None, config, hotspot_id)
    hotspot.row, hotspot.col, hotspot.bbox_px = m.row, m.col, m.bbox_px
    return hotspot, plateau


# --------------------------------------------------------------------------------------------------- public
def detect_large(path: str | Path, config: DetectorConfig = DetectorConfig(), *, units: str = "K",
                 chunk_px: int = DEFAULT_CHUNK_PX, frame_id: str | None = None, time: str | None = None,
                 source_kind: str = "drone") -> LargeDetection:
    """Detect hotspots in a GeoTIFF/COG of temperatures too large for memory, in chunks of ``chunk_px`` pixels.

    ``path``: single-band raster of temperatures in ``units`` (``K`` or ``C``), nodata → invalid; projected CRS
    (metres) for ground positions, or no CRS for pixel-only hotspots. ``frame_id`` defaults to a hash of the file
    name, ``time`` (ISO 8601 UTC) to none (hotspots then carry the detection time). Runs on dask's current
    scheduler (threads by default; a ``dask.distributed`` client when one is active).

    The result equals ``detect(raster_frame(path, ...), config)`` on a raster small enough for both (hotspot ids,
    pixels, temperatures, FRP, footprints). Raises :class:`InvalidFrame` for unreadable rasters, geographic CRSs,
    °C passed as K and implausible values, :class:`InvalidValue` for a bad ``units`` or ``chunk_px``.
    """
    path = Path(path)
    half_max = config.window_sizes_px[-1] // 2
    if chunk_px < 2 * half_max + 1:
        raise InvalidValue(f"{path}: chunk_px {chunk_px} is smaller than the largest background window "
                           f"({config.window_sizes_px[-1]} px); use hundreds of pixels (default {DEFAULT_CHUNK_PX})")
    raster = _open(path, units=units, frame_id=frame_id, time=time, source_kind=source_kind)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        return _detect_large(raster, config, chunk_px)


def _detect_large(raster: _Raster, config: DetectorConfig, chunk_px: int) -> LargeDetection:
    path, name = raster.path, str(raster.path)
    half_max = config.window_sizes_px[-1] // 2
    started = _time.perf_counter()
    with rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunk_px, "x": chunk_px}, cache=False) as array:
        temperature = array.isel(band=0).data.map_blocks(_to_kelvin, raster.nodata, raster.units,
                                                         dtype=np.float32)
        stride = config.scene_stride_px
        sample = temperature[::stride, ::stride].compute()
        source = sample if np.isfinite(sample).any() else temperature[~da.isnan(temperature)].compute()[None, :]
        chunk_sizes = temperature.chunks
    scene: SceneStats = scene_stats(source, config.model_copy(update={"scene_stride_px": 1}), name)
    cool = sample[sample <= np.float32(scene.threshold_k)]
    scene_bg = float(np.median(cool)) if cool.size else None
    t_scene = _time.perf_counter()

    chunks = dask.compute(*_chunk_tasks(raster, chunk_sizes, half_max, scene.threshold_k, config))
    t_chunks = _time.perf_counter()
    rows = np.concatenate([c["rows"] for c in chunks])
    cols = np.concatenate([c["cols"] for c in chunks])
    temps = np.concatenate([c["temperature_k"] for c in chunks])
    minimum_k = float(np.fmin.reduce([c["min_k"] for c in chunks]))

    hotspots: list[Hotspot] = []
    rejected: list[Hotspot] = []
    clusters = _label_sparse(rows, cols, raster.width)
    for label, members in enumerate(clusters, start=1):
        group = ClusterPixels(label=label, rows=rows[members], cols=cols[members],
                              temperature_k=temps[members].astype(np.float64),
                              saturated=np.zeros(members.size, dtype=bool))
        hotspot, plateau = _cluster_hotspot(raster, group, len(hotspots) + 1, scene_bg, minimum_k,
                                            scene.threshold_k, config)
        if plateau:
            hotspot.extra["rejected"] = "sun_heated_plateau"
            rejected.append(hotspot)
        else:
            hotspot.extra["label"] = len(hotspots) + 1
            hotspots.append(hotspot)
    t_end = _time.perf_counter()
    stats = {
        "shape": (raster.height, raster.width), "chunk_px": chunk_px, "halo_px": half_max,
        "chunk_count": len(chunks), "scene_median_k": scene.median_k, "scene_mad_k": scene.mad_k,
        "candidate_threshold_k": scene.threshold_k, "scene_sample_count": scene.sample_count,
        "candidate_count": sum(c["candidates"] for c in chunks),
        "no_background_count": sum(c["no_background"] for c in chunks), "fire_pixel_count": int(rows.size),
        "cluster_count": len(clusters), "rejected_plateau_count": len(rejected),
        "timings_s": {"scene": t_scene - started, "chunks": t_chunks - t_scene, "clusters": t_end - t_chunks,
                      "total": t_end - started},
    }
    return LargeDetection(hotspots, rejected, stats)
