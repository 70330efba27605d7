"""Learned static heat sources: places hot again and again across distinct days (steelworks, power plants, cement
kilns, refineries, landfill flares), proposed as masks for an operator to review.

Pure functions over :class:`firewatch.model.Hotspot` (the caller reads the history from the store). Method:

1. cluster the located hotspots: two detections closer than ``link_distance_m`` (3-D chord distance on a sphere of
   the mean Earth radius, good to millimetres at these distances) are linked; clusters are the connected components
   (single linkage, DBSCAN with ``min_samples = 1``);
2. a cluster is **proposed** when it is compact (every detection within ``max_radius_m`` of the cluster centre) and
   either it was seen on at least ``min_days`` distinct UTC days spread over at least ``min_span_days``, or FIRMS
   classified some of its detections as ``type`` 2 (static land source: FIRMS's own multi-year persistence test);
3. its polygon is the convex hull of the members' footprints (lon/lat; a circle of the 1-σ location uncertainty for a
   hotspot without footprint).

Suggestions are only suggestions: they mask nothing until an operator copies the GeoJSON into ``[masks] files``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import shapely
import shapely.affinity
from pydantic import BaseModel, ConfigDict, Field
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from detection.errors import InvalidValue
from firewatch.model import Hotspot, format_time

__all__ = ["StaticSourceConfig", "StaticSourceSuggestion", "suggest_static_sources", "suggestions_geojson"]

#: Mean Earth radius (m), IUGG.
EARTH_RADIUS_M = 6_371_008.8
#: FIRMS ``type`` of "other static land source".
FIRMS_STATIC_TYPE = 2


class StaticSourceConfig(BaseModel):
    """Tunables of static heat-source learning (``firewatch masks suggest``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Distinct UTC days a place must be hot: a wildfire at one spot seldom shows on 3 separate days spread over a
    #: week, an industrial heat source does on every clear overpass (the Korean steelworks in FIRMS March 2025 show
    #: on all 3 days of the sample).
    min_days: int = Field(3, ge=1)
    #: ... spread over at least this many days (last − first): a fire burning for 3 days in a row is still a fire;
    #: a chimney recurs for weeks and months.
    min_span_days: float = Field(7.0, ge=0)
    #: Link distance: neighbouring VIIRS I-band pixel centres are 375 m apart at nadir and up to ~800 m at the scan
    #: edge (Schroeder et al. 2014), so one site's detections link while sites a pixel apart stay separate.
    link_distance_m: float = Field(800.0, gt=0)
    #: Compactness: the largest integrated steelworks (POSCO Pohang ~3.5 × 2.5 km of hot plant, Gwangyang ~4 × 3 km)
    #: keep every detection within 4 km of their centre; a multi-day wildfire spreads farther (Palisades 2025:
    #: > 10 km), which keeps long-burning large fires from being proposed.
    max_radius_m: float = Field(4000.0, gt=0)


@dataclass
class StaticSourceSuggestion:
    """One proposed static heat source. ``polygon`` lon/lat; counts over the hotspot history given."""

    name: str
    polygon: BaseGeometry
    lat: float
    lon: float
    radius_m: float
    days: list[date]
    detections: int
    static_type_detections: int
    sources: list[str]
    first_seen: datetime
    last_seen: datetime
    max_frp_kw: float | None
    evidence: list[str] = field(default_factory=list)

    @property
    def days_seen(self) -> int:
        return len(self.days)

    def to_feature(self) -> dict:
        """GeoJSON Feature (RFC 7946: lon, lat) with the review properties."""
        return {"type": "Feature", "geometry": mapping(self.polygon), "properties": {
            "name": self.name, "status": "proposed", "days_seen": self.days_seen,
            "dates": [d.isoformat() for d in self.days], "detections": self.detections,
            "firms_static_detections": self.static_type_detections, "sources": self.sources,
            "first_seen": format_time(self.first_seen), "last_seen": format_time(self.last_seen),
            "max_frp_kw": self.max_frp_kw, "radius_m": round(self.radius_m, 1),
            "centre": [round(self.lon, 5), round(self.lat, 5)], "evidence": self.evidence}}


def _unit_xyz(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _shape(hotspot: Hotspot) -> BaseGeometry:
    if hotspot.footprint:
        geom = shape(hotspot.footprint)
        if not geom.is_empty:
            return geom
    radius_m = hotspot.location_uncertainty_m or 0.0
    # Degrees per metre at the hotspot (spherical; the buffer only has to cover the point's 1-σ circle).
    lat_deg_per_m = 180.0 / (math.pi * EARTH_RADIUS_M)
    lon_deg_per_m = lat_deg_per_m / max(math.cos(math.radians(hotspot.lat)), 1e-6)
    circle = shapely.Point(0.0, 0.0).buffer(max(radius_m, 1.0), quad_segs=8)
    return shapely.affinity.affine_transform(circle, [lon_deg_per_m, 0, 0, lat_deg_per_m, hotspot.lon, hotspot.lat])


def suggest_static_sources(hotspots: Iterable[Hotspot], *,
                           config: StaticSourceConfig | None = None) -> list[StaticSourceSuggestion]:
    """Proposed static heat sources from a hotspot history (any sources), most days seen first.

    Unlocated hotspots are ignored. Raises :class:`~detection.errors.InvalidValue` for a located hotspot whose
    lat/lon is outside WGS 84 ranges.
    """
    config = config or StaticSourceConfig()
    located = [h for h in hotspots if h.is_located]
    for h in located:
        if not (-90.0 <= h.lat <= 90.0 and -180.0 <= h.lon <= 180.0):
            raise InvalidValue(f"hotspot {h.hotspot_id}: lat/lon ({h.lat}, {h.lon}) outside WGS 84 ranges")
    if not located:
        return []
    xyz = _unit_xyz(np.array([h.lon for h in located]), np.array([h.lat for h in located]))
    pairs = cKDTree(xyz).query_pairs(config.link_distance_m / EARTH_RADIUS_M, output_type="ndarray")
    n = len(located)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) \
        else coo_matrix((n, n))
    _, labels = connected_components(graph, directed=False)
    suggestions = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        suggestion = _judge([located[i] for i in members], xyz[members], config)
        if suggestion is not None:
            suggestions.append(suggestion)
    suggestions.sort(key=lambda s: (-s.days_seen, -s.detections, s.lat, s.lon))
    return suggestions


def _judge(members: list[Hotspot], xyz: np.ndarray, config: StaticSourceConfig) -> StaticSourceSuggestion | None:
    centre = xyz.mean(axis=0)
    centre /= np.linalg.norm(centre)
    radius_m = float(np.max(np.linalg.norm(xyz - centre, axis=1))) * EARTH_RADIUS_M
    days = sorted({h.time.date() for h in members})
    span_days = (days[-1] - days[0]).days
    static_type = sum(1 for h in members if h.source_kind == "satellite"
                      and h.extra.get("type") == FIRMS_STATIC_TYPE)
    recurring = len(days) >= config.min_days and span_days >= config.min_span_days
    if radius_m > config.max_radius_m or not (recurring or static_type):
        return None
    lat = math.degrees(math.asin(centre[2]))
    lon = math.degrees(math.atan2(centre[1], centre[0]))
    evidence = []
    if recurring:
        evidence.append(f"hot on {len(days)} distinct days over {span_days} days ({days[0]} … {days[-1]})")
    if static_type:
        evidence.append(f"{static_type} detection(s) FIRMS classifies as type 2 (static land source)")
    evidence.append(f"{len(members)} detection(s) within {radius_m:.0f} m")
    frp = [h.frp_kw for h in members if h.frp_kw is not None]
    polygon = shapely.union_all([_shape(h) for h in members]).convex_hull
    name = f"static heat source {abs(lat):.3f}{'N' if lat >= 0 else 'S'} {abs(lon):.3f}{'E' if lon >= 0 else 'W'}"
    return StaticSourceSuggestion(
        name=name, polygon=shapely.geometry.polygon.orient(polygon, sign=1.0) if polygon.geom_type == "Polygon"
        else polygon, lat=lat, lon=lon, radius_m=radius_m, days=days, detections=len(members),
        static_type_detections=static_type, sources=sorted({h.source_id for h in members}),
        first_seen=min(h.time for h in members), last_seen=max(h.time for h in members),
        max_frp_kw=max(frp) if frp else None, evidence=evidence)


def suggestions_geojson(suggestions: list[StaticSourceSuggestion]) -> dict:
    """A FeatureCollection of the suggestions (readable back by :meth:`detection.masks.StaticMasks.from_geojson`)."""
    return {"type": "FeatureCollection", "features": [s.to_feature() for s in suggestions]}
