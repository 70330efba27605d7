"""The envelope's data: an RFC 7946 Feature (right-hand rule, lon/lat order, 6 decimals)."""

from __future__ import annotations

import json

import pytest
from alert_helpers import SQUARE_CW, T0, make_incident

from alerts.errors import PayloadError
from alerts.payloads.geojson import envelope, envelope_body, incident_feature


def _signed_area(ring):
    # Shoelace formula: positive for counter-clockwise rings (RFC 7946 §3.1.6 exterior rings).
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:])) / 2


def test_feature_properties_and_units():
    feature = incident_feature(make_incident(), dashboard_url="http://ops.example/")
    assert feature["type"] == "Feature" and feature["id"] == "inc-0123456789abcdef"
    props = feature["properties"]
    assert props["centroid"] == [128.73055, 36.57045]  # lon first
    assert props["max_temp_c"] == 500.0                  # 773.15 K − 273.15
    assert props["area_m2"] == 9900.0 and props["max_frp_kw"] == 2500.0
    assert props["sources"] == ["drone-1", "tower-3"] and props["source_kinds"] == ["drone", "fixed"]
    assert props["first_seen"] == "2026-04-05T04:12:00Z"
    assert props["frames"] == ["f1", "f2"]
    assert props["location_uncertainty_m"] == 12.0
    assert props["links"]["incident"] == "http://ops.example/?incident=inc-0123456789abcdef"


def test_clockwise_perimeter_is_returned_counter_clockwise():
    assert _signed_area(SQUARE_CW) < 0
    ring = incident_feature(make_incident())["geometry"]["coordinates"][0]
    assert _signed_area(ring) > 0
    assert sorted(map(tuple, ring[:-1])) == sorted(map(tuple, SQUARE_CW[:-1]))
    assert ring[0] == ring[-1]


def test_multipolygon_parts_each_oriented_and_point_fallback():
    second = [[128.74, 36.58], [128.74, 36.581], [128.741, 36.581], [128.741, 36.58], [128.74, 36.58]]
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE_CW], [second]]}
    geometry = incident_feature(make_incident(perimeter=multi))["geometry"]
    assert geometry["type"] == "MultiPolygon"
    assert all(_signed_area(part[0]) > 0 for part in geometry["coordinates"])
    point = incident_feature(make_incident(perimeter=None, lon=128.123456789, lat=36.987654321))["geometry"]
    assert point == {"type": "Point", "coordinates": [128.123457, 36.987654]}


def test_unusable_perimeter_is_a_payload_error():
    with pytest.raises(PayloadError, match="inc-0123456789abcdef"):
        incident_feature(make_incident(perimeter={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}))


def test_envelope_and_stable_body():
    data = incident_feature(make_incident())
    env = envelope("incident.confirmed", data, timestamp=T0.replace(microsecond=250000))
    assert env["timestamp"] == "2026-04-05T04:12:00Z"
    body = envelope_body(env)
    assert body == envelope_body(json.loads(body))  # same bytes after a round trip through the store's JSON
    assert json.loads(body)["type"] == "incident.confirmed"
