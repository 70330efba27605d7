"""CAP 1.2 messages: valid against the OASIS XSD, times, msgType/references, polygons, circles, languages."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
import xmlschema
from alert_helpers import SECRET, T0, make_incident, transition
from lxml import etree

from alerts.config import AlertPolicy, CapSettings, EndpointConfig
from alerts.events import alerts_for_transitions, operator_test_alert
from alerts.errors import PayloadError
from alerts.payloads.cap import cap_message, cap_time

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
SETTINGS = CapSettings(sender="ops@forest.example.kr")


@pytest.fixture(scope="module")
def schema(shared_data):
    return xmlschema.XMLSchema(str(shared_data / "alerts" / "CAP-v1.2.xsd"))


def _rows(kinds, incident=None):
    incident = incident or make_incident()
    rows = []
    for step, kind in enumerate(kinds):
        rows += alerts_for_transitions([transition(kind, time=T0 + timedelta(minutes=step))],
                                       {incident.incident_id: incident}, policy=AlertPolicy(),
                                       endpoints=[EndpointConfig(name="e", url="https://e.example.org/", secret=SECRET)],
                                       now=T0 + timedelta(minutes=step))
    return rows


def _parse(xml: bytes):
    return etree.fromstring(xml)


def test_every_event_type_validates_against_the_oasis_xsd(schema):
    rows = _rows(["confirmed", "escalated", "reignited", "closed"])
    for index, row in enumerate(rows):
        xml = cap_message(row, status="Actual", settings=SETTINGS, earlier=rows[:index])
        schema.validate(xml)  # raises with the reason when invalid
    schema.validate(cap_message(operator_test_alert(T0), status="Actual", settings=SETTINGS))


def test_the_reference_nsw_rfs_message_validates_too(schema, shared_data):
    # Guards the oracle: the real agency message passes the same schema.
    schema.validate(str(shared_data / "alerts" / "cap_nsw_rfs_fire_example.xml"))


def test_times_have_offsets_without_z_or_fractions():
    assert cap_time(T0.replace(microsecond=987654), "Asia/Seoul") == "2026-04-05T13:12:00+09:00"
    assert cap_time(T0, "UTC") == "2026-04-05T04:12:00-00:00"  # CAP 1.2 §3.3.2: UTC is written -00:00
    root = _parse(cap_message(_rows(["confirmed"])[0], status="Actual", settings=SETTINGS))
    for element in root.iter("{*}sent", "{*}effective", "{*}expires"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", element.text)


def test_msg_types_references_and_status():
    rows = _rows(["confirmed", "escalated", "closed"])
    first = _parse(cap_message(rows[0], status="Exercise", settings=SETTINGS))
    assert first.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert first.findtext("cap:status", namespaces=NS) == "Exercise"
    assert first.find("cap:references", NS) is None
    assert first.findtext("cap:identifier", namespaces=NS) == rows[0]["alert_id"]
    assert first.findtext("cap:incidents", namespaces=NS) == "inc-0123456789abcdef"
    update = _parse(cap_message(rows[1], status="Actual", settings=SETTINGS, earlier=rows[:1]))
    assert update.findtext("cap:msgType", namespaces=NS) == "Update"
    assert update.findtext("cap:references", namespaces=NS) == \
        f"ops@forest.example.kr,{rows[0]['alert_id']},2026-04-05T13:12:00+09:00"
    cancel = _parse(cap_message(rows[2], status="Actual", settings=SETTINGS, earlier=rows[:2]))
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel.findtext("cap:references", namespaces=NS).split(" ") == [
        f"ops@forest.example.kr,{rows[0]['alert_id']},2026-04-05T13:12:00+09:00",
        f"ops@forest.example.kr,{rows[1]['alert_id']},2026-04-05T13:13:00+09:00"]
    for info in cancel.findall("cap:info", NS):
        assert info.findtext("cap:urgency", namespaces=NS) == "Past"
        assert info.findtext("cap:responseType", namespaces=NS) == "AllClear"
    test_root = _parse(cap_message(operator_test_alert(T0), status="Actual", settings=SETTINGS))
    assert test_root.findtext("cap:status", namespaces=NS) == "Test"


def test_two_info_blocks_korean_then_english_with_fire_fields():
    root = _parse(cap_message(_rows(["confirmed"])[0], status="Actual", settings=SETTINGS))
    infos = root.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["ko-KR", "en-US"]
    for info in infos:
        assert info.findtext("cap:category", namespaces=NS) == "Fire"
        assert info.findtext("cap:urgency", namespaces=NS) == "Immediate"
        assert info.findtext("cap:severity", namespaces=NS) == "Moderate"
        assert info.findtext("cap:certainty", namespaces=NS) == "Observed"  # confidence_class high
        assert info.findtext("cap:web", namespaces=NS).endswith("?incident=inc-0123456789abcdef")
    assert "산불" in infos[0].findtext("cap:headline", namespaces=NS)
    assert "Wildfire confirmed" in infos[1].findtext("cap:headline", namespaces=NS)


@pytest.mark.parametrize("confidence_class, certainty", [("high", "Observed"), ("nominal", "Likely"),
                                                         ("low", "Possible")])
def test_certainty_follows_confidence(confidence_class, certainty):
    row = _rows(["confirmed"], make_incident(confidence_class=confidence_class))[0]
    root = _parse(cap_message(row, status="Actual", settings=SETTINGS))
    assert root.find("cap:info", NS).findtext("cap:certainty", namespaces=NS) == certainty


def _haversine_m(lon1, lat1, lon2, lat2, radius_m=6_371_008.8):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius_m * math.asin(math.sqrt(a))


def test_polygon_is_lat_lon_closed_and_circle_encloses_the_perimeter():
    settings = CapSettings(sender="ops@forest.example.kr", min_circle_radius_km=0.001)
    root = _parse(cap_message(_rows(["confirmed"])[0], status="Actual", settings=settings))
    area = root.find("cap:info", NS).find("cap:area", NS)
    pairs = [tuple(map(float, p.split(","))) for p in area.findtext("cap:polygon", namespaces=NS).split(" ")]
    assert pairs[0] == pairs[-1] and len(pairs) == 5
    assert {(lon, lat) for lat, lon in pairs} == {(128.73, 36.57), (128.73, 36.5709), (128.7311, 36.5709),
                                                  (128.7311, 36.57)}
    centre, radius = area.findtext("cap:circle", namespaces=NS).split(" ")
    assert centre == "36.570450,128.730550"
    farthest_m = max(_haversine_m(128.73055, 36.57045, lon, lat) for lat, lon in pairs)
    expected_km = (farthest_m + 12.0) / 1000  # + the 1-σ location uncertainty
    assert float(radius) == pytest.approx(expected_km, rel=0.01)


def test_small_incidents_get_the_minimum_circle():
    root = _parse(cap_message(_rows(["confirmed"])[0], status="Actual", settings=SETTINGS))
    circle = root.find("cap:info", NS).find("cap:area", NS).findtext("cap:circle", namespaces=NS)
    assert circle.endswith(" 0.500")


def test_multipolygon_gives_one_cap_polygon_per_part(schema):
    second = [[128.74, 36.58], [128.741, 36.58], [128.741, 36.581], [128.74, 36.581], [128.74, 36.58]]
    incident = make_incident(perimeter={"type": "MultiPolygon", "coordinates": [
        [[[128.73, 36.57], [128.7311, 36.57], [128.7311, 36.5709], [128.73, 36.5709], [128.73, 36.57]]],
        [second]]})
    xml = cap_message(_rows(["confirmed"], incident)[0], status="Actual", settings=SETTINGS)
    schema.validate(xml)
    assert len(_parse(xml).find("cap:info", NS).find("cap:area", NS).findall("cap:polygon", NS)) == 2


def test_structure_follows_the_agency_example_order(shared_data):
    # Elements both messages use appear in the same order as in the NSW RFS message (schema sequence).
    reference = etree.parse(str(shared_data / "alerts" / "cap_nsw_rfs_fire_example.xml")).getroot()
    ours = _parse(cap_message(_rows(["confirmed"])[0], status="Actual", settings=SETTINGS))

    def order(element):
        return [etree.QName(child).localname for child in element]

    ref_info, our_info = order(reference.find("cap:info", NS)), order(ours.find("cap:info", NS))
    shared = [name for name in dict.fromkeys(ref_info) if name in our_info]
    assert [n for n in dict.fromkeys(our_info) if n in shared] == shared
    assert "area" in shared and "certainty" in shared


def test_unknown_event_type_or_broken_payload_is_a_payload_error():
    row = _rows(["confirmed"])[0]
    with pytest.raises(PayloadError, match="no CAP message type"):
        cap_message({**row, "event_type": "incident.created"}, status="Actual", settings=SETTINGS)
    with pytest.raises(PayloadError, match="lacks"):
        cap_message({**row, "payload": {"type": "x"}}, status="Actual", settings=SETTINGS)
