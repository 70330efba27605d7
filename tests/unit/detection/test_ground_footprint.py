"""Cluster footprints at an occlusion edge: no streak along the line of sight (tower view over a ridge)."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod

from detection.ground import GroundGrid

_GEOD = Geod(ellps="WGS84")


def _grid(jump_m: float) -> GroundGrid:
    """A 10×10 grid of 5 m pixels; rows 0–4 lie ``jump_m`` further north (the valley behind a ridge)."""
    rows, cols = np.mgrid[0:10, 0:10].astype(float)
    north_m = (9 - rows) * 5.0 + np.where(rows <= 4, jump_m, 0.0)
    east_m = cols * 5.0
    lat = 37.66 + north_m / 111_132.0
    lon = 126.98 + east_m / (111_132.0 * np.cos(np.radians(37.66)))
    return GroundGrid(lon=lon, lat=lat, elevation_m=None, pixel_area_m2=np.full((10, 10), 25.0), method="dem",
                      uncertainty_m=None)


def _area_m2(footprint: dict) -> float:
    return abs(_GEOD.geometry_area_perimeter(shapely.geometry.shape(footprint))[0])


def test_footprint_straddling_an_occlusion_edge_stays_the_size_of_its_pixels():
    rows, cols = np.array([4, 4, 5, 5]), np.array([4, 5, 4, 5])  # 2×2 pixels across the edge
    continuous = _area_m2(_grid(0.0).footprint(rows, cols))
    assert abs(continuous - 100.0) < 2.0  # four 5 m pixels, independent of the unfolding
    folded = _area_m2(_grid(800.0).footprint(rows, cols))
    # the naive corner-averaged quads would span ~400 m of the jump: ~2000 m²; unfolded: four 25 m² squares
    assert folded <= 2 * continuous


def test_pixels_whose_rays_land_behind_a_ridge_are_not_on_the_fire():
    grid = _grid(800.0)  # rows 0–4 lie 800 m behind rows 5–9
    rows, cols = np.array([3, 4, 5, 5, 6, 6]), np.array([5, 5, 4, 5, 4, 5])
    anchor = 3  # the hottest pixel: (5, 5), on the ridge
    assert grid.attached(rows, cols, anchor).tolist() == [False, False, True, True, True, True]
    assert _grid(0.0).attached(rows, cols, anchor).all()  # continuous ground: all of them


def _warped_grid(size: int = 60) -> GroundGrid:
    """A size×size grid of ~0.2 m drone pixels bent like a view over relief: the spacing varies by ±30 % and the
    rows curve, so straight pixel edges are not straight on the ground."""
    rows, cols = np.mgrid[0:size, 0:size].astype(float)
    east_m = 0.2 * cols + 0.03 * size * np.sin(rows / size * np.pi) + 0.02 * cols ** 1.5 / np.sqrt(size)
    north_m = -0.2 * rows - 0.04 * size * np.sin(cols / size * 2.0) + 0.01 * rows * cols / size
    lat = 37.66 + north_m / 111_132.0
    lon = 126.98 + east_m / (111_132.0 * np.cos(np.radians(37.66)))
    return GroundGrid(lon=lon, lat=lat, elevation_m=None, pixel_area_m2=np.full((size, size), 0.04),
                      method="dem", uncertainty_m=None)


def _quads_unioned(grid: GroundGrid, rows: np.ndarray, cols: np.ndarray):
    """The oracle: every pixel quad built and unioned by shapely's general (not coverage) union."""
    quads = []
    for r, c in zip(rows, cols):
        corner = [grid._corners(g, r, r, c, c) for g in (grid.lon, grid.lat)]
        quads.append(shapely.Polygon([(corner[0][i, j], corner[1][i, j]) for i, j in ((0, 0), (0, 1), (1, 1), (1, 0))]))
    return shapely.union_all(quads)


def test_traced_outline_equals_the_union_of_pixel_quads():
    """Blobs with holes, diagonal-only contacts and islands: the outline traced in pixel space and carried to the
    ground covers exactly what the union of the pixels' ground quads covers."""
    grid = _warped_grid()
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:60, 0:60]
    for trial in range(6):
        blob = np.hypot(yy - 30, xx - 30) < 12 + 6 * rng.random()
        blob &= rng.random(blob.shape) > 0.08  # pinholes: holes and diagonal contacts
        blob[rng.integers(0, 60, 20), rng.integers(0, 60, 20)] = True  # islands
        rows, cols = np.nonzero(blob)
        traced = shapely.geometry.shape(grid.footprint(rows, cols))
        oracle = _quads_unioned(grid, rows, cols)
        assert traced.is_valid
        assert traced.symmetric_difference(oracle).area <= 1e-9 * oracle.area, trial
        assert abs(traced.area - oracle.area) <= 1e-9 * oracle.area


def test_footprint_rings_follow_every_pixel_corner_of_a_straight_edge():
    """A 1×40 strip: its long edges are straight in pixel space but curved on the ground; every corner is kept."""
    grid = _warped_grid()
    rows, cols = np.full(40, 10), np.arange(10, 50)
    footprint = grid.footprint(rows, cols)
    assert footprint["type"] == "Polygon"
    assert len(footprint["coordinates"][0]) == 2 * 41 + 1  # 41 corners per long edge, closed ring
