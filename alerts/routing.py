"""Grading an incident (CAP severity) and choosing the endpoints whose filters it passes."""

from __future__ import annotations

from collections.abc import Iterable

import shapely.geometry

from alerts.config import CONFIDENCE_ORDER, SEVERITY_ORDER, AlertPolicy, EndpointConfig
from firewatch.model import Incident


def severity_of(incident: Incident, policy: AlertPolicy) -> str:
    """CAP severity (``Minor`` … ``Extreme``): the higher of the grade by area (m²) and the grade by FRP (kW).

    Thresholds are :class:`AlertPolicy` fields (NWCG size classes for area, decade steps of FRP).
    """
    area_m2 = incident.area_m2 or 0.0
    frp_kw = incident.max_frp_kw or 0.0
    by_area = sum(area_m2 >= limit for limit in (policy.moderate_area_m2, policy.severe_area_m2,
                                                   policy.extreme_area_m2))
    by_frp = sum(frp_kw >= limit for limit in (policy.moderate_frp_kw, policy.severe_frp_kw, policy.extreme_frp_kw))
    return SEVERITY_ORDER[max(by_area, by_frp)]


def incident_geometry(incident: Incident) -> shapely.geometry.base.BaseGeometry:
    """The incident's perimeter as a shapely geometry (lon, lat), or its centroid point when it has none."""
    if incident.perimeter:
        return shapely.geometry.shape(incident.perimeter)
    return shapely.geometry.Point(incident.lon, incident.lat)


def endpoint_matches(endpoint: EndpointConfig, *, event_type: str, severity: str, incident: Incident) -> bool:
    """True when the enabled ``endpoint`` wants this alert (event type, severity, confidence, region, source kind)."""
    if not endpoint.enabled:
        return False
    if endpoint.events is not None and event_type not in endpoint.events:
        return False
    if SEVERITY_ORDER.index(severity) < SEVERITY_ORDER.index(endpoint.min_severity):
        return False
    if CONFIDENCE_ORDER.index(incident.confidence_class) < CONFIDENCE_ORDER.index(endpoint.min_confidence_class):
        return False
    if endpoint.source_kinds is not None and not set(endpoint.source_kinds) & set(incident.source_kinds):
        return False
    if endpoint.region is not None:
        return shapely.geometry.shape(endpoint.region).intersects(incident_geometry(incident))
    return True


def matching_endpoints(endpoints: Iterable[EndpointConfig], *, event_type: str, severity: str,
                       incident: Incident) -> list[str]:
    """Names of the endpoints that want this alert, in configuration order."""
    return [endpoint.name for endpoint in endpoints
            if endpoint_matches(endpoint, event_type=event_type, severity=severity, incident=incident)]
