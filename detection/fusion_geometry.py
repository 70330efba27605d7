"""Ground geometry for incident fusion: hotspot shapes, metric distances, geodesic areas (WGS 84).

Shapes come in lon/lat degrees (GeoJSON order); metric work — unions, distances, areas — happens in the UTM zone of
the point of interest (pyproj, ``always_xy=True``). The UTM scale factor stays within 0.9996–1.0004 inside a zone
(and ~1.001 one degree beyond it), so areas are within 0.1 % and distances within 0.05 % of geodesic values.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

from firewatch.model import Hotspot

GEOD = Geod(ellps="WGS84")
#: Segments per quarter circle of a stand-in footprint circle (32-gon: area within 0.7 % of the circle's).
_CIRCLE_QUAD_SEGS = 8


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone holding (lon, lat)."""
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=64)
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    inverse = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    return forward, inverse


def _apply(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geom, fn)


def to_metric(geom: BaseGeometry, epsg: int) -> BaseGeometry:
    """lon/lat geometry → metres in the given UTM zone."""
    return _apply(geom, _transformers(epsg)[0])


def to_lonlat(geom: BaseGeometry, epsg: int) -> BaseGeometry:
    """UTM metres → lon/lat geometry."""
    return _apply(geom, _transformers(epsg)[1])


def hotspot_shape(hotspot: Hotspot, default_uncertainty_m: float) -> BaseGeometry:
    """The hotspot's ground footprint (lon/lat), or a circle of its 1-σ location uncertainty when it has none."""
    if hotspot.footprint:
        geom = shapely.geometry.shape(hotspot.footprint)
        if not geom.is_empty:
            return geom if geom.is_valid else shapely.make_valid(geom)
    return circle(hotspot.lon, hotspot.lat, hotspot_uncertainty_m(hotspot, default_uncertainty_m))


def circle(lon: float, lat: float, radius_m: float) -> BaseGeometry:
    """A 32-gon inscribed in the ground circle of ``radius_m`` around (lon, lat), as a lon/lat polygon."""
    epsg = utm_epsg(lon, lat)
    centre = to_metric(shapely.Point(lon, lat), epsg)
    return to_lonlat(centre.buffer(radius_m, quad_segs=_CIRCLE_QUAD_SEGS), epsg)


def hotspot_uncertainty_m(hotspot: Hotspot, default_uncertainty_m: float) -> float:
    """The hotspot's 1-σ horizontal location uncertainty (m), the default when unknown or not positive."""
    value = hotspot.location_uncertainty_m
    if value is None or not math.isfinite(value) or value <= 0:
        return float(default_uncertainty_m)
    return float(value)


def line_of_sight_extent(hotspot: Hotspot, radius_factor: float) -> tuple[BaseGeometry, float] | None:
    """For a fixed-camera hotspot located on the DEM (it carries ``extra["bearing"]`` and was not triangulated):
    the segment of its line of sight within ``radius_factor`` × its along-range σ of the fix (lon/lat), and its
    cross-range 1-σ (m). None for any other hotspot.

    A tower's DEM fix is uncertain mostly ALONG the line of sight (a tilt error of δθ moves it d·δθ/(sin α cos α)
    at depression α, hundreds of metres at 8 km and 3°), but only d·δθ ACROSS it (metres): the bearing is sharp.
    Matching against this segment with the cross-range σ keeps two fires at different bearings apart while still
    fusing a fire the camera sees at the wrong range.
    """
    bearing = (hotspot.extra or {}).get("bearing")
    if not bearing or hotspot.location_method != "dem" or not hotspot.is_located:
        return None
    _, _, range_m = GEOD.inv(bearing["lon_deg"], bearing["lat_deg"], hotspot.lon, hotspot.lat)
    cross_sigma_m = range_m * math.radians(bearing["sigma_deg"])
    reach = radius_factor * hotspot_uncertainty_m(hotspot, cross_sigma_m)
    azimuth = bearing["azimuth_deg"]
    near_lon, near_lat, _ = GEOD.fwd(hotspot.lon, hotspot.lat, azimuth + 180.0, min(reach, range_m))
    far_lon, far_lat, _ = GEOD.fwd(hotspot.lon, hotspot.lat, azimuth, reach)
    return shapely.LineString([(near_lon, near_lat), (far_lon, far_lat)]), float(cross_sigma_m)


def geodesic_distances_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Geodesic distances (m) from one point to many (vectorised)."""
    lons = np.asarray(lons, dtype=float)
    _, _, dist = GEOD.inv(np.full(lons.shape, lon), np.full(lons.shape, lat), lons, np.asarray(lats, dtype=float))
    return np.asarray(dist, dtype=float)


def project_point(lon: float, lat: float, epsg: int) -> tuple[float, float]:
    """(x, y) metres of a lon/lat point in the given UTM zone."""
    x, y = _transformers(epsg)[0].transform(lon, lat)
    return float(x), float(y)


def reach_m(geom_m: BaseGeometry, x: float, y: float) -> float:
    """Upper bound (m) of the distance from (x, y) to any point of a metric geometry: the farthest corner of its
    bounding box. Cheap (no vertex loop in Python); used to pre-filter far incidents."""
    if geom_m.is_empty:
        return 0.0
    west, south, east, north = geom_m.bounds
    return float(max(math.hypot(cx - x, cy - y) for cx in (west, east) for cy in (south, north)))


def to_geojson(geom: BaseGeometry) -> dict:
    """GeoJSON geometry dict (RFC 7946: lon, lat; exterior rings counter-clockwise, holes clockwise)."""
    return json.loads(shapely.to_geojson(shapely.orient_polygons(geom, exterior_cw=False)))


def from_geojson(data: dict | None) -> BaseGeometry | None:
    """shapely geometry from a GeoJSON geometry dict (None stays None)."""
    return shapely.geometry.shape(data) if data else None
