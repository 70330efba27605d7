"""Terrain helpers for flight-plan tests: real ingest.terrain.Terrain objects over synthetic elevation grids."""

from __future__ import annotations

import math

import affine
import numpy as np
import pyproj

from ingest.terrain import Terrain

CENTRE_LON, CENTRE_LAT = 127.30, 37.60
UTM52N = pyproj.CRS.from_epsg(32652)


def grid_terrain(elevation_fn, *, cells: int = 600, cell_m: float = 10.0, lon: float = CENTRE_LON,
                 lat: float = CENTRE_LAT) -> Terrain:
    """Terrain on a ``cells × cells`` UTM grid centred on (lon, lat); ``elevation_fn(dx_m, dy_m)`` from the centre."""
    to_utm = pyproj.Transformer.from_crs(4326, UTM52N, always_xy=True)
    cx, cy = to_utm.transform(lon, lat)
    half = cells * cell_m / 2.0
    offsets = -half + cell_m * (np.arange(cells) + 0.5)
    dx, dy = np.meshgrid(offsets, -offsets)
    transform = affine.Affine(cell_m, 0.0, cx - half, 0.0, -cell_m, cy + half)
    return Terrain.from_array(elevation_fn(dx, dy), transform=transform, crs=UTM52N)


def hill(dx, dy):
    """A 250 m hill 500 m north-east of the centre on a 200 m plain with 20 m undulations."""
    return (200.0 + 250.0 * np.exp(-((dx - 500.0) ** 2 + (dy - 500.0) ** 2) / (2 * 350.0 ** 2))
            + 20.0 * np.sin(dx / 170.0) * np.cos(dy / 230.0))


def offset_lonlat(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """Point ``east_m``/``north_m`` from (lon, lat) along the WGS 84 ellipsoid (pyproj.Geod, an independent oracle)."""
    geod = pyproj.Geod(ellps="WGS84")
    distance = math.hypot(east_m, north_m)
    azimuth = math.degrees(math.atan2(east_m, north_m))
    lon2, lat2, _ = geod.fwd(lon, lat, azimuth, distance)
    return lon2, lat2
