"""Endpoint configuration: hostile URLs, secrets that never leak, filters, TOML loading."""

from __future__ import annotations

import pytest
from alert_helpers import SECRET, SECRET_2
from pydantic import ValidationError

from alerts.config import AlertPolicy, AlertsConfig, EndpointConfig
from firewatch.config import load_config, validate_config
from alerts.errors import InvalidEndpoint
from alerts.urls import check_resolved_addresses, redact_url, validate_endpoint_url
from firewatch.errors import ConfigError


@pytest.mark.parametrize("url, fragment", [
    ("ftp://files.example.org/x", "scheme 'ftp'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    ("https://user:hunter2@dispatch.example.org/hook", "credentials"),
    ("https:///hook", "no host"),
    ("https://dispatch.example.org/ho ok", "whitespace"),
    ("https://dispatch.example.org/hook\r\nX-Evil: 1", "whitespace or control"),
    ("https://dispatch.example.org/\x00", "control"),
    ("https://dispatch.example.org:0/hook", "port 0"),
    ("https://dispatch.example.org:70000/hook", "port"),
    ("https://dispatch.example.org:http/hook", "port"),
    ("", "empty"),
])
def test_hostile_or_malformed_urls_are_refused_with_a_fix(url, fragment):
    with pytest.raises(InvalidEndpoint) as info:
        validate_endpoint_url(url, allow_private_networks=True, name="dispatch")
    message = str(info.value)
    assert fragment in message
    assert "dispatch" in message
    assert "hunter2" not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/h", "http://localhost/h", "http://10.1.2.3/h",
                                 "http://192.168.0.10/h", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]:9000/h", "http://[::ffff:127.0.0.1]/h", "http://0.0.0.0/h",
                                 "http://api.localhost/h"])
def test_private_addresses_need_the_lab_flag(url):
    with pytest.raises(InvalidEndpoint, match="allow_private_networks"):
        validate_endpoint_url(url, allow_private_networks=False)
    assert validate_endpoint_url(url, allow_private_networks=True) == url


def test_public_urls_pass():
    for url in ("https://dispatch.example.org/hooks/fire", "http://8.8.8.8:8443/x?y=1",
                "https://[2001:4860:4860::8888]/h"):
        assert validate_endpoint_url(url, allow_private_networks=False) == url


def test_a_name_resolving_to_loopback_is_refused_at_delivery_time():
    with pytest.raises(InvalidEndpoint, match="non-public address 127.0.0.1"):
        check_resolved_addresses("http://localhost/hook", allow_private_networks=False, name="x")
    check_resolved_addresses("http://localhost/hook", allow_private_networks=True, name="x")


def test_redact_url_hides_credentials_only():
    assert redact_url("https://u:p@h.example:8443/a?b=1") == "https://***@h.example:8443/a?b=1"
    assert redact_url("https://h.example/a") == "https://h.example/a"


def _endpoint(**overrides) -> dict:
    data = {"name": "dispatch", "url": "https://dispatch.example.org/hook", "secret": SECRET}
    data.update(overrides)
    return data


def test_secret_is_hidden_in_repr_dump_and_describe():
    endpoint = EndpointConfig(**_endpoint(secret=[SECRET, SECRET_2]))
    for text in (repr(endpoint), str(endpoint), str(endpoint.model_dump()), str(endpoint.describe()),
                 repr(AlertsConfig(endpoints=[endpoint]))):
        assert SECRET[6:] not in text and SECRET_2[6:] not in text
    assert endpoint.secrets() == [SECRET, SECRET_2]
    assert endpoint.describe()["secrets"] == 2


@pytest.mark.parametrize("secret, fragment", [
    ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "start with 'whsec_'"),
    ("whsec_not base64!!", "not valid base64"),
    ("whsec_c2hvcnQ=", "decodes to 5 bytes"),
])
def test_bad_secrets_are_refused_without_echoing_them(secret, fragment):
    with pytest.raises(ConfigError) as info:
        validate_config({"alerts": {"endpoints": [_endpoint(secret=secret)]}}, source="firewatch.toml").alerts
    message = str(info.value)
    assert fragment in message and "firewatch.toml" in message and "alerts.endpoints.0.secret" in message
    assert secret not in message and secret[6:] not in message


def test_config_errors_never_echo_url_credentials():
    with pytest.raises(ConfigError) as info:
        validate_config({"alerts": {"endpoints": [_endpoint(url="https://ops:s3cr3tpw@dispatch.example.org/h")]}}).alerts
    assert "s3cr3tpw" not in str(info.value) and "credentials" in str(info.value)


def test_private_url_refused_unless_section_allows_it():
    local = _endpoint(url="http://127.0.0.1:9999/h")
    with pytest.raises(ConfigError, match="allow_private_networks"):
        validate_config({"alerts": {"endpoints": [local]}}).alerts
    assert validate_config({"alerts": {"endpoints": [local], "allow_private_networks": True}}).alerts.endpoints[0].url == local["url"]


def test_names_unique_and_well_formed_and_region_valid():
    with pytest.raises(ConfigError, match="unique"):
        validate_config({"alerts": {"endpoints": [_endpoint(), _endpoint()]}}).alerts
    with pytest.raises(ConfigError, match="letters, digits"):
        validate_config({"alerts": {"endpoints": [_endpoint(name="bad name")]}}).alerts
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(ConfigError, match="self-intersecting"):
        validate_config({"alerts": {"endpoints": [_endpoint(region=bowtie)]}}).alerts
    with pytest.raises(ConfigError, match="Polygon or MultiPolygon"):
        validate_config({"alerts": {"endpoints": [_endpoint(region={"type": "Point", "coordinates": [0, 0]})]}}).alerts
    with pytest.raises(ConfigError, match="cap_status"):
        validate_config({"alerts": {"endpoints": [_endpoint(cap_status="Draft")]}}).alerts


def test_policy_defaults_follow_the_published_schedule():
    policy = AlertPolicy()
    assert policy.retry_schedule_s == [0, 5, 300, 1800, 7200, 18000, 36000, 86400]
    assert policy.max_attempts == 8
    with pytest.raises(ValidationError):
        AlertPolicy(retry_schedule_s=[0, -5])


def test_toml_section_is_read(tmp_path):
    path = tmp_path / "firewatch.toml"
    path.write_text(f"""
[alerts]
allow_private_networks = true

[alerts.policy]
retry_schedule_s = [0, 1, 2]

[alerts.cap]
sender = "ops@forest.example.kr"

[[alerts.endpoints]]
name = "dispatch"
url = "http://127.0.0.1:8765/hook"
secret = ["{SECRET}", "{SECRET_2}"]
formats = ["geojson", "cap"]
cap_status = "Exercise"
min_severity = "Moderate"
source_kinds = ["drone"]
region = {{ type = "Polygon", coordinates = [[[128, 36], [129, 36], [129, 37], [128, 37], [128, 36]]] }}
""", encoding="utf-8")
    config = load_config(path).alerts
    endpoint = config.endpoint("dispatch")
    assert endpoint.formats == ["geojson", "cap"] and endpoint.cap_status == "Exercise"
    assert config.policy.max_attempts == 3 and config.cap.sender == "ops@forest.example.kr"
    with pytest.raises(InvalidEndpoint, match="no alerts endpoint named 'nope'"):
        config.endpoint("nope")


def test_toml_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[alerts\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_config(bad)
