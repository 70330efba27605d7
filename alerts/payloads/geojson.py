"""The Standard Webhooks envelope and its data: an RFC 7946 GeoJSON Feature describing one incident.

Envelope (what every JSON webhook body is)::

    {"type": "incident.confirmed", "timestamp": "2026-04-05T04:12:00Z", "data": <Feature>}

The Feature's geometry is the incident perimeter (Polygon / MultiPolygon, exterior rings counter-clockwise per
RFC 7946 §3.1.6) or, when the incident has no perimeter, a Point at its centroid. Coordinates are ``[lon, lat]``
WGS 84 rounded to 6 decimals (≈ 0.1 m, RFC 7946 §11.2). Properties: see :func:`incident_feature`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import shapely.geometry
from shapely.geometry.polygon import orient

from alerts.errors import PayloadError
from firewatch.model import Incident, format_time, to_json

#: RFC 7946 §11.2: "6 decimal places … correspond to about 10 centimeters", finer than any thermal footprint.
COORDINATE_DECIMALS = 6
KELVIN_AT_0C = 273.15


def _round_coordinates(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (int, float)):
            return [round(float(v), COORDINATE_DECIMALS) for v in value]
        return [_round_coordinates(v) for v in value]
    return value


def perimeter_geometry(incident: Incident) -> dict:
    """GeoJSON geometry for the incident: the right-hand-rule perimeter, or its centroid Point."""
    if not incident.perimeter:
        return {"type": "Point", "coordinates": _round_coordinates([incident.lon, incident.lat])}
    try:
        geometry = shapely.geometry.shape(incident.perimeter)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise PayloadError(f"incident {incident.incident_id}: perimeter is not readable GeoJSON ({exc})") from exc
    if geometry.geom_type == "Polygon":
        geometry = orient(geometry, sign=1.0)
    elif geometry.geom_type == "MultiPolygon":
        geometry = shapely.geometry.MultiPolygon([orient(part, sign=1.0) for part in geometry.geoms])
    elif geometry.geom_type != "Point":
        raise PayloadError(f"incident {incident.incident_id}: perimeter type {geometry.geom_type} is not a "
                           "Polygon, MultiPolygon or Point")
    mapping = shapely.geometry.mapping(geometry)
    return {"type": mapping["type"], "coordinates": _round_coordinates(mapping["coordinates"])}


def incident_link(dashboard_url: str, incident_id: str) -> str:
    """Dashboard URL that opens one incident (``?incident=ID``)."""
    separator = "&" if "?" in dashboard_url else "?"
    return f"{dashboard_url}{separator}{urlencode({'incident': incident_id})}"


def incident_feature(incident: Incident, *, dashboard_url: str | None = None,
                     frame_ids: list[str] | None = None) -> dict:
    """RFC 7946 Feature for ``incident`` (``id`` = incident id).

    Properties: ``incident_id``, ``state``, ``centroid`` [lon, lat], ``area_m2`` (m², metric), ``max_temp_c``
    (°C), ``max_frp_kw`` (kW, a lower bound when pixels saturated), ``confidence`` (0–1), ``confidence_class``,
    ``sources`` (source ids), ``source_kinds``, ``first_seen`` / ``last_seen`` / ``confirmed_at`` (ISO 8601 UTC),
    ``look_count``, ``hotspot_count``, ``location_uncertainty_m`` (1-σ horizontal, m, or None), ``frames`` (ids of
    the frames that saw it) and ``links`` (dashboard).
    """
    if frame_ids is None:
        frame_ids = list(incident.extra.get("frame_ids", []))
    properties = {
        "incident_id": incident.incident_id,
        "state": incident.state,
        "centroid": _round_coordinates([incident.lon, incident.lat]),
        "area_m2": round(float(incident.area_m2), 1),
        "max_temp_c": round(float(incident.max_temp_k) - KELVIN_AT_0C, 1),
        "max_frp_kw": round(float(incident.max_frp_kw), 1),
        "confidence": round(float(incident.confidence), 3),
        "confidence_class": incident.confidence_class,
        "sources": sorted(incident.sources),
        "source_kinds": sorted(incident.source_kinds),
        "first_seen": format_time(incident.first_seen),
        "last_seen": format_time(incident.last_seen),
        "confirmed_at": format_time(incident.confirmed_at) if incident.confirmed_at else None,
        "look_count": int(incident.look_count),
        "hotspot_count": int(incident.hotspot_count),
        "location_uncertainty_m": (round(float(incident.extra["location_uncertainty_m"]), 1)
                                   if incident.extra.get("location_uncertainty_m") is not None else None),
        "frames": sorted(frame_ids),
        "links": {"incident": incident_link(dashboard_url, incident.incident_id)} if dashboard_url else {},
    }
    return {"type": "Feature", "id": incident.incident_id, "geometry": perimeter_geometry(incident),
            "properties": properties}


def envelope(event_type: str, data: dict, *, timestamp: datetime) -> dict:
    """The Standard Webhooks envelope ``{type, timestamp, data}`` (timestamp ISO 8601 UTC with ``Z``)."""
    return {"type": event_type, "timestamp": format_time(timestamp.replace(microsecond=0)), "data": data}


def envelope_body(payload: dict) -> bytes:
    """The exact bytes POSTed for a JSON envelope: compact UTF-8 JSON with sorted keys (same bytes every retry)."""
    return to_json(payload).encode("utf-8")
