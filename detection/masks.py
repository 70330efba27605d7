"""Masks of known static heat sources (steelworks, power plants, chimneys, solar farms) as lon/lat polygons.

Hotspots inside a mask are kept but flagged ``masked=True, mask_name=...``: they never alert on their own (fusion and
alerts honour the flag). Masked pixels are also left out of the background of nearby candidates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from detection.errors import InvalidMask


@dataclass(frozen=True)
class StaticMasks:
    """Named polygons (WGS 84 lon/lat, GeoJSON axis order) of known static heat sources."""

    names: tuple[str, ...]
    geometries: tuple[BaseGeometry, ...]

    @classmethod
    def from_geojson(cls, source: str | Path | Mapping) -> "StaticMasks":
        """Read a GeoJSON FeatureCollection, Feature or bare (Multi)Polygon from a path or an already-parsed dict.

        A feature's name is ``properties.name``, else its ``id``, else ``mask-<index>``. Raises :class:`InvalidMask`
        naming the file and the feature for a missing file, bad JSON, non-polygon geometry or lon/lat out of range.
        """
        label = "<dict>"
        if isinstance(source, (str, Path)):
            label = str(source)
            try:
                data = json.loads(Path(source).read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise InvalidMask(f"{label}: mask file not found; give a GeoJSON file of static heat sources") from exc
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InvalidMask(f"{label}: cannot read mask GeoJSON: {exc}") from exc
        else:
            data = source
        if not isinstance(data, Mapping):
            raise InvalidMask(f"{label}: mask GeoJSON must be an object, got {type(data).__name__}")
        kind = data.get("type")
        if kind == "FeatureCollection":
            features = list(data.get("features") or [])
        elif kind == "Feature":
            features = [data]
        elif kind in ("Polygon", "MultiPolygon"):
            features = [{"type": "Feature", "geometry": data, "properties": {}}]
        else:
            raise InvalidMask(f"{label}: GeoJSON type {kind!r} is not a FeatureCollection, Feature or (Multi)Polygon")
        names: list[str] = []
        geometries: list[BaseGeometry] = []
        for index, feature in enumerate(features):
            props = feature.get("properties") or {}
            name = str(props.get("name") or feature.get("id") or f"mask-{index}")
            geometry = feature.get("geometry")
            if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
                got = geometry.get("type") if geometry else None
                raise InvalidMask(f"{label}: mask feature {name!r} has geometry {got!r}; only Polygon or "
                                  "MultiPolygon (lon, lat) can mask a heat source")
            try:
                geom = shape(geometry)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                raise InvalidMask(f"{label}: mask feature {name!r} has malformed coordinates: {exc}") from exc
            west, south, east, north = geom.bounds
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                raise InvalidMask(f"{label}: mask feature {name!r} bounds {geom.bounds} are not lon/lat degrees; "
                                  "GeoJSON is (lon, lat) in WGS 84")
            geom = shapely.make_valid(geom)
            shapely.prepare(geom)
            names.append(name)
            geometries.append(geom)
        if not geometries:
            raise InvalidMask(f"{label}: mask GeoJSON holds no polygon")
        return cls(names=tuple(names), geometries=tuple(geometries))

    def mask_for(self, lon: float, lat: float) -> str | None:
        """Name of the first mask containing (or touching) the point (lon, lat), or None."""
        point = shapely.Point(lon, lat)
        for name, geom in zip(self.names, self.geometries):
            if geom.intersects(point):
                return name
        return None

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Boolean array (shape of ``lon``) of points inside any mask; NaN coordinates are outside."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        inside = np.zeros(lon.shape, dtype=bool)
        finite = np.isfinite(lon) & np.isfinite(lat)
        for geom in self.geometries:
            inside[finite] |= shapely.intersects_xy(geom, lon[finite], lat[finite])
        return inside
