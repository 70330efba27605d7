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
