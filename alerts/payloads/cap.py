"""CAP 1.2 (OASIS Common Alerting Protocol) messages for incident alerts, built with lxml.

One message per outbox alert, rendered at delivery time from the stored envelope (so every retry sends the same
bytes). Structure, following OASIS CAP 1.2 and the NSW RFS fire example in ``../shared/data/alerts/``:

* ``identifier`` = the alert id (also the ``webhook-id``), ``sender`` and ``senderName`` from :class:`CapSettings`,
  ``sent`` = the time the alert entered the outbox, in the operators' zone, without fractions or ``Z``
  (``2026-04-05T13:12:00+09:00``; UTC is written ``-00:00`` as CAP 1.2 §3.3.2 requires);
* ``status`` per endpoint (``Actual`` / ``Exercise`` / ``Test``; test events are always ``Test``), ``scope Public``;
* ``msgType``: ``incident.confirmed`` → ``Alert``; ``escalated`` / ``reignited`` → ``Update``; ``closed`` →
  ``Cancel``; updates and cancels carry ``references`` = space-separated ``sender,identifier,sent`` of the
  incident's earlier messages; ``incidents`` = the incident id;
* two ``info`` blocks, ``ko-KR`` then ``en-US``: category ``Fire``, urgency ``Immediate`` (``Past`` for a closed
  incident: CAP's "responsive action is no longer required"), severity from the outbox row (area / FRP grade),
  certainty ``Observed`` (high confidence) / ``Likely`` (nominal) / ``Possible`` (low), headline, description,
  instruction, web (dashboard), parameters, and one ``area`` with the perimeter polygon(s) (``lat,lon`` pairs, ring
  closed) and a circle ``lat,lon radius_km`` around the centroid.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import shapely.geometry
from lxml import etree
from lxml.builder import ElementMaker
from pyproj import Geod

from alerts.config import CapSettings
from alerts.errors import PayloadError
from alerts.payloads.geojson import incident_link
from firewatch.model import parse_time

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MIME_TYPE = "application/cap+xml"
_E = ElementMaker(namespace=CAP_NAMESPACE, nsmap={None: CAP_NAMESPACE})
_GEOD = Geod(ellps="WGS84")

MSG_TYPES = {"incident.confirmed": "Alert", "incident.escalated": "Update", "incident.reignited": "Update",
             "incident.closed": "Cancel", "test": "Alert"}
CERTAINTY = {"high": "Observed", "nominal": "Likely", "low": "Possible"}

_TEXT = {
    "ko-KR": {
        "event": "산불",
        "headline": {"incident.confirmed": "산불 확인", "incident.escalated": "산불 확산",
                     "incident.reignited": "산불 재발화", "incident.closed": "산불 상황 종료",
                     "test": "시험 메시지 (실제 상황 아님)"},
        "description": ("{when} 기준 Firewatch 열화상 감시 결과. 위치: 위도 {lat:.5f}, 경도 {lon:.5f}. "
                        "면적 {area_m2:,.0f} m², 최고 온도 {max_temp_c:.0f} °C, 최대 화재복사강도(FRP) "
                        "{max_frp_kw:,.0f} kW, 신뢰도 {confidence_class} ({confidence:.2f}). "
                        "관측: {sources}. 최초 탐지 {first_seen}, 최근 탐지 {last_seen}."),
        "instruction": "불이 난 곳에 접근하지 말고 산림청과 소방 당국의 안내에 따르십시오. "
                       "대응 기관은 대시보드에서 정확한 위치를 확인하십시오.",
        "instruction_closed": "이 산불에 대한 추가 조치는 필요하지 않습니다.",
        "area": "산불 {incident_id} (위도 {lat:.5f}, 경도 {lon:.5f})",
    },
    "en-US": {
        "event": "Wildfire",
        "headline": {"incident.confirmed": "Wildfire confirmed", "incident.escalated": "Wildfire growing",
                     "incident.reignited": "Wildfire re-ignited", "incident.closed": "Wildfire incident closed",
                     "test": "Test message (not a real incident)"},
        "description": ("Firewatch thermal monitoring as of {when}. Location: lat {lat:.5f}, lon {lon:.5f}. "
                        "Area {area_m2:,.0f} m², maximum temperature {max_temp_c:.0f} °C, maximum fire radiative "
                        "power (FRP) {max_frp_kw:,.0f} kW, confidence {confidence_class} ({confidence:.2f}). "
                        "Seen by: {sources}. First detected {first_seen}, last detected {last_seen}."),
        "instruction": "Do not approach the fire; follow the Korea Forest Service and fire authorities. "
                       "Responders: see the dashboard for the exact location.",
        "instruction_closed": "No further action is required for this incident.",
        "area": "Wildfire {incident_id} near lat {lat:.5f}, lon {lon:.5f}",
    },
}


def cap_time(value: datetime | str, timezone: str) -> str:
    """``YYYY-MM-DDThh:mm:ss±hh:mm`` in ``timezone``: no fractions, no ``Z``, UTC as ``-00:00`` (CAP 1.2 §3.3.2)."""
    local = parse_time(value).astimezone(zoneinfo.ZoneInfo(timezone)).replace(microsecond=0)
    text = local.isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def cap_reference(alert: dict, settings: CapSettings) -> str:
    """``sender,identifier,sent`` of an earlier message (one item of ``references``)."""
    return f"{settings.sender},{alert['alert_id']},{cap_time(alert['created_at'], settings.timezone)}"


def _pairs(ring: list) -> str:
    points = [(float(lon), float(lat)) for lon, lat, *_ in ring]
    if points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in points)


def cap_polygons(geometry: dict) -> list[str]:
    """CAP ``polygon`` strings (``lat,lon`` pairs, first = last) of the exterior rings of a GeoJSON geometry."""
    if geometry["type"] == "Polygon":
        rings = [geometry["coordinates"][0]]
    elif geometry["type"] == "MultiPolygon":
        rings = [polygon[0] for polygon in geometry["coordinates"]]
    else:
        return []
    return [_pairs(ring) for ring in rings if len(ring) >= 4]


def cap_circle(geometry: dict, lon: float, lat: float, *, min_radius_km: float,
               uncertainty_m: float | None = None) -> str:
    """CAP ``circle`` ``lat,lon radius_km`` around the centroid: the farthest perimeter vertex (geodesic, WGS 84)
    plus the 1-σ location uncertainty, and at least ``min_radius_km``."""
    radius_m = 0.0
    shape = shapely.geometry.shape(geometry)
    if shape.geom_type != "Point":
        vertices = [point for polygon in getattr(shape, "geoms", [shape]) for point in polygon.exterior.coords]
        lons = [v[0] for v in vertices]
        lats = [v[1] for v in vertices]
        _, _, distances = _GEOD.inv([lon] * len(lons), [lat] * len(lats), lons, lats)
        radius_m = max(distances)
    radius_km = max((radius_m + (uncertainty_m or 0.0)) / 1000.0, min_radius_km)
    return f"{lat:.6f},{lon:.6f} {radius_km:.3f}"


def _info(language: str, *, event_type: str, severity: str, properties: dict, geometry: dict, when: str,
          settings: CapSettings) -> etree._Element:
    text = _TEXT[language]
    lon, lat = properties["centroid"]
    closed = event_type == "incident.closed"
    fields = dict(properties, lat=lat, lon=lon, when=when,
                  sources=", ".join(properties.get("sources") or ["-"]),
                  first_seen=cap_time(properties["first_seen"], settings.timezone),
                  last_seen=cap_time(properties["last_seen"], settings.timezone))
    parameters = [("incident_id", properties["incident_id"]), ("area_m2", f"{properties['area_m2']:.1f}"),
                  ("max_frp_kw", f"{properties['max_frp_kw']:.1f}"), ("max_temp_c", f"{properties['max_temp_c']:.1f}"),
                  ("confidence", f"{properties['confidence']:.3f}"),
                  ("source_kinds", " ".join(properties.get("source_kinds", [])))]
    area = _E.area(_E.areaDesc(text["area"].format(**fields)))
    for polygon in cap_polygons(geometry):
        area.append(_E.polygon(polygon))
    area.append(_E.circle(cap_circle(geometry, lon, lat, min_radius_km=settings.min_circle_radius_km,
                                     uncertainty_m=properties.get("location_uncertainty_m"))))
    return _E.info(
        _E.language(language),
        _E.category("Fire"),
        _E.event(text["event"]),
        _E.responseType("AllClear" if closed else "Monitor"),
        _E.urgency("Past" if closed else "Immediate"),
        _E.severity(severity),
        _E.certainty(CERTAINTY[properties["confidence_class"]]),
        _E.senderName(settings.sender_name),
        _E.headline(f"{text['headline'][event_type]}: {properties['incident_id']}"),
        _E.description(text["description"].format(**fields)),
        _E.instruction(text["instruction_closed" if closed else "instruction"]),
        _E.web(incident_link(settings.dashboard_url, properties["incident_id"])),
        *[_E.parameter(_E.valueName(name), _E.value(value)) for name, value in parameters],
        area,
    )


def cap_message(alert: dict, *, status: str, settings: CapSettings, earlier: list[dict] | None = None) -> bytes:
    """CAP 1.2 XML (UTF-8 bytes with declaration) for one outbox alert row.

    ``alert`` needs ``alert_id``, ``event_type``, ``created_at``, ``severity`` and ``payload`` (the envelope whose
    ``data`` is the incident Feature). ``earlier`` are the incident's previous outbox rows (oldest first); they
    become ``references`` on updates and cancels. ``status`` is the endpoint's ``cap_status``.
    """
    event_type = alert["event_type"]
    if event_type not in MSG_TYPES:
        raise PayloadError(f"alert {alert.get('alert_id')}: event type {event_type!r} has no CAP message type")
    try:
        feature = alert["payload"]["data"]
        properties = feature["properties"]
        geometry = feature["geometry"]
        sent = cap_time(alert["created_at"], settings.timezone)
    except (KeyError, TypeError) as exc:
        raise PayloadError(f"alert {alert.get('alert_id')}: outbox payload lacks {exc} needed for CAP") from exc
    msg_type = MSG_TYPES[event_type]
    children = [
        _E.identifier(alert["alert_id"]),
        _E.sender(settings.sender),
        _E.sent(sent),
        _E.status("Test" if event_type == "test" else status),
        _E.msgType(msg_type),
        _E.source("Firewatch"),
        _E.scope("Public"),
    ]
    references = [cap_reference(row, settings) for row in (earlier or [])
                  if row["alert_id"] != alert["alert_id"]]
    if msg_type in ("Update", "Cancel") and references:
        children.append(_E.references(" ".join(references)))
    children.append(_E.incidents(properties["incident_id"]))
    for language in ("ko-KR", "en-US"):
        children.append(_info(language, event_type=event_type, severity=alert["severity"], properties=properties,
                              geometry=geometry, when=sent, settings=settings))
    root = _E.alert(*children)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
