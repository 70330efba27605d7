"""Terrain following: points are inserted only where the ground leaves the tolerance band."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flightplans.errors import TerrainCoverageError
from flightplans.geo import LocalFrame
from flightplans.terrain_follow import follow_terrain, ground_at_xy, sample_step_m

from fp_terrain import CENTRE_LAT, CENTRE_LON, grid_terrain


def test_step_is_half_a_cell(hill_terrain, flat_terrain):
    assert sample_step_m(hill_terrain, 10.0) == pytest.approx(5.0)
    assert sample_step_m(flat_terrain, 10.0) == 10.0


def test_even_slope_needs_no_extra_points():
    # ground rises 0.1 m per metre east: a straight climb follows it exactly (bilinear is exact on a plane)
    ramp = grid_terrain(lambda dx, dy: 300.0 + 0.1 * dx)
    frame = LocalFrame(CENTRE_LON, CENTRE_LAT)
    points = follow_terrain(frame, ramp, [(-1000.0, 0.0), (1000.0, 0.0)], altitude_agl_m=100.0, tolerance_m=1.0,
                            step_m=5.0, what="ramp")
    assert len(points) == 2
    ground = ground_at_xy(frame, ramp, np.array([-1000.0, 1000.0]), np.array([0.0, 0.0]), what="ramp")
    assert [p[2] for p in points] == pytest.approx(list(ground + 100.0), abs=1e-6)


def test_ridge_gets_points_and_the_band_holds():
    ridge = grid_terrain(lambda dx, dy: 200.0 + 150.0 * np.exp(-dx ** 2 / (2 * 150.0 ** 2)))
    frame = LocalFrame(CENTRE_LON, CENTRE_LAT)
    tolerance = 5.0
    points = follow_terrain(frame, ridge, [(-1500.0, 100.0), (1500.0, 100.0)], altitude_agl_m=80.0,
                            tolerance_m=tolerance, step_m=5.0, what="ridge")
    assert len(points) > 4
    # independent check on a 1 m grid along the flown polyline
    for (x0, y0, z0), (x1, y1, z1) in zip(points[:-1], points[1:]):
        t = np.linspace(0, 1, max(int(math.hypot(x1 - x0, y1 - y0)), 2))
        xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        lon, lat = frame.to_lonlat(xs, ys)
        agl = z0 + t * (z1 - z0) - ridge.elevation_at(lon, lat)
        assert agl.min() >= 80.0 - tolerance - 0.5 and agl.max() <= 80.0 + tolerance + 0.5


def test_uncovered_leg_names_the_place(hill_terrain):
    frame = LocalFrame(CENTRE_LON, CENTRE_LAT)
    with pytest.raises(TerrainCoverageError, match="survey line 3: the terrain model has no elevation"):
        follow_terrain(frame, hill_terrain, [(0.0, 0.0), (9000.0, 0.0)], altitude_agl_m=100.0, tolerance_m=10.0,
                       step_m=5.0, what="survey line 3")
