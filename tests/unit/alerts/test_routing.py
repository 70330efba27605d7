"""Severity grading (NWCG size classes, FRP decades) and per-endpoint filters."""

from __future__ import annotations

import pytest
from alert_helpers import SECRET, make_incident

from alerts.config import AlertPolicy, EndpointConfig
from alerts.routing import endpoint_matches, matching_endpoints, severity_of

POLICY = AlertPolicy()


@pytest.mark.parametrize("area_m2, frp_kw, expected", [
    (500.0, 10.0, "Minor"),          # < 0.25 acre (1011.7 m²), < 1 MW
    (1011.7, 10.0, "Moderate"),      # exactly 0.25 acre = 0.25 × 4046.86 m²
    (50_000.0, 10.0, "Severe"),      # 12.4 acres: NWCG class C
    (500_000.0, 10.0, "Extreme"),    # 123.6 acres: class D
    (100.0, 1_000.0, "Moderate"),    # 1 MW
    (100.0, 12_000.0, "Severe"),     # 12 MW
    (100.0, 150_000.0, "Extreme"),   # 150 MW
    (50_000.0, 150_000.0, "Extreme"),  # the higher grade wins
])
def test_severity_is_the_higher_of_area_and_frp_grades(area_m2, frp_kw, expected):
    assert severity_of(make_incident(area_m2=area_m2, max_frp_kw=frp_kw), POLICY) == expected


def _endpoint(**overrides) -> EndpointConfig:
    return EndpointConfig(name=overrides.pop("name", "e"), url="https://x.example.org/h", secret=SECRET,
                          **overrides)


def test_filters():
    incident = make_incident(confidence_class="nominal", source_kinds=["fixed"])
    kwargs = dict(event_type="incident.confirmed", severity="Moderate", incident=incident)
    assert endpoint_matches(_endpoint(), **kwargs)
    assert not endpoint_matches(_endpoint(enabled=False), **kwargs)
    assert not endpoint_matches(_endpoint(min_severity="Severe"), **kwargs)
    assert endpoint_matches(_endpoint(min_severity="Moderate"), **kwargs)
    assert not endpoint_matches(_endpoint(min_confidence_class="high"), **kwargs)
    assert endpoint_matches(_endpoint(min_confidence_class="nominal"), **kwargs)
    assert not endpoint_matches(_endpoint(source_kinds=["drone", "satellite"]), **kwargs)
    assert endpoint_matches(_endpoint(source_kinds=["fixed"]), **kwargs)
    assert not endpoint_matches(_endpoint(events=["incident.closed"]), **kwargs)


def test_region_filter_uses_the_perimeter_or_the_centroid():
    # The incident square spans lon 128.7300–128.7311; a region ending at 128.7305 still touches it.
    touching = {"type": "Polygon", "coordinates": [[[128.0, 36.0], [128.7305, 36.0], [128.7305, 37.0],
                                                    [128.0, 37.0], [128.0, 36.0]]]}
    elsewhere = {"type": "Polygon", "coordinates": [[[127.0, 37.0], [127.1, 37.0], [127.1, 37.1], [127.0, 37.1],
                                                     [127.0, 37.0]]]}
    kwargs = dict(event_type="incident.confirmed", severity="Minor")
    assert endpoint_matches(_endpoint(region=touching), incident=make_incident(), **kwargs)
    assert not endpoint_matches(_endpoint(region=elsewhere), incident=make_incident(), **kwargs)
    point_only = make_incident(perimeter=None, lon=128.73055)  # centroid east of 128.7305
    assert not endpoint_matches(_endpoint(region=touching), incident=point_only, **kwargs)
    names = matching_endpoints([_endpoint(name="a", region=touching), _endpoint(name="b"),
                                _endpoint(name="c", region=elsewhere)], incident=make_incident(), **kwargs)
    assert names == ["a", "b"]
