"""Ground profiles along legs and terrain-following altitudes.

A leg is a straight line in the local metric frame (:class:`flightplans.geo.LocalFrame`). The ground is sampled along
it every ``step_m`` (half a DEM cell, so bilinear interpolation between samples cannot hide a ridge larger than the
DEM resolves). Terrain following inserts points, Douglas–Peucker style, wherever the straight climb/descent between
kept points would leave the band ``ground + altitude_agl_m ± tolerance_m`` (QGC's terrain-follow tolerance).
"""

from __future__ import annotations

import math

import numpy as np

from flightplans.errors import TerrainCoverageError
from flightplans.geo import LocalFrame


def sample_step_m(terrain, flat_step_m: float) -> float:
    """Sampling step along legs: half the DEM cell, or ``flat_step_m`` for terrain without cells (flat)."""
    resolution = getattr(terrain, "resolution_m", None)
    if resolution is None or not math.isfinite(resolution) or resolution <= 0:
        return float(flat_step_m)
    return min(float(flat_step_m), float(resolution) / 2.0)


def leg_samples(x0: float, y0: float, x1: float, y1: float, step_m: float) -> np.ndarray:
    """Fractions 0..1 along a leg, at most ``step_m`` apart (both ends included)."""
    length = math.hypot(x1 - x0, y1 - y0)
    count = max(int(math.ceil(length / step_m)), 1) + 1
    return np.linspace(0.0, 1.0, count)


def ground_at_xy(frame: LocalFrame, terrain, x, y, *, what: str) -> np.ndarray:
    """Ground elevation (m AMSL) at local points; :class:`TerrainCoverageError` where the DEM has no value.

    A gridded terrain is sampled in its own CRS straight from the local frame (one coordinate transform).
    """
    if getattr(terrain, "crs", None) is not None and hasattr(terrain, "elevation_at_xy"):
        gx, gy = frame.to_crs(terrain.crs, x, y)
        ground = np.asarray(terrain.elevation_at_xy(gx, gy), dtype=float)
    else:
        lon, lat = frame.to_lonlat(x, y)
        ground = np.asarray(terrain.elevation_at(lon, lat), dtype=float)
    bad = ~np.isfinite(ground)
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        lon, lat = frame.to_lonlat(np.ravel(x)[k], np.ravel(y)[k])
        bounds = terrain.bounds_lonlat() if hasattr(terrain, "bounds_lonlat") else None
        raise TerrainCoverageError(
            f"{what}: the terrain model has no elevation at lon {float(lon):.6f}, lat {float(lat):.6f} "
            f"({int(bad.sum())} of {bad.size} samples uncovered; DEM bounds (west, south, east, north) = {bounds}); "
            "give a DEM (--dem) that covers the whole flight, including the way from and back to home")
    return ground


def _douglas_peucker(dist: np.ndarray, target: np.ndarray, tolerance_m: float) -> list[int]:
    """Indices of profile samples to keep so the straight lines between them stay within ``tolerance_m``."""
    keep = {0, len(dist) - 1}
    stack = [(0, len(dist) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        span = dist[j] - dist[i]
        frac = (dist[i + 1:j] - dist[i]) / span if span > 0 else np.zeros(j - i - 1)
        line = target[i] + frac * (target[j] - target[i])
        dev = np.abs(target[i + 1:j] - line)
        k = int(np.argmax(dev))
        if dev[k] > tolerance_m:
            split = i + 1 + k
            keep.add(split)
            stack.extend([(i, split), (split, j)])
    return sorted(keep)


def follow_terrain(frame: LocalFrame, terrain, path_xy: list[tuple[float, float]], *, altitude_agl_m: float,
                   tolerance_m: float, step_m: float, what: str, per_segment: bool = False):
    """3-D points ``(x_m, y_m, alt_amsl_m)`` along a 2-D path flown ``altitude_agl_m`` above the DEM.

    Every path vertex is kept; points are inserted wherever the ground under a straight leg changes by more than
    ``tolerance_m`` from the straight line. ``what`` names the path in error messages. With ``per_segment`` the
    result is one list per path segment, each starting at the segment's first vertex.
    """
    if len(path_xy) == 1:
        x, y = path_xy[0]
        return [(x, y, float(ground_at_xy(frame, terrain, x, y, what=what)) + altitude_agl_m)]
    fracs = [leg_samples(x0, y0, x1, y1, step_m) for (x0, y0), (x1, y1) in zip(path_xy[:-1], path_xy[1:])]
    xs = np.concatenate([x0 + f * (x1 - x0) for f, (x0, _), (x1, _) in zip(fracs, path_xy[:-1], path_xy[1:])])
    ys = np.concatenate([y0 + f * (y1 - y0) for f, (_, y0), (_, y1) in zip(fracs, path_xy[:-1], path_xy[1:])])
    target = ground_at_xy(frame, terrain, xs, ys, what=what) + altitude_agl_m  # one DEM query for the whole path
    segments: list[list[tuple[float, float, float]]] = []
    start = 0
    for frac, (x0, y0), (x1, y1) in zip(fracs, path_xy[:-1], path_xy[1:]):
        stop = start + len(frac)
        seg_x, seg_y, seg_t = xs[start:stop], ys[start:stop], target[start:stop]
        keep = _douglas_peucker(frac * math.hypot(x1 - x0, y1 - y0), seg_t, tolerance_m)
        segments.append([(float(seg_x[k]), float(seg_y[k]), float(seg_t[k])) for k in keep])
        start = stop
    if per_segment:
        return segments
    return segments[0] + [point for segment in segments[1:] for point in segment[1:]]
