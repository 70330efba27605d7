"""Audit (issue 4, malformed endpoint URL): the configuration error names the endpoint the operator wrote, not a
placeholder, and never echoes the secret. Oracle: the endpoint name and secret given in the test itself."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerts.config import EndpointConfig

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize("url, words", [
    ("ftp://example.org/hook", "scheme 'ftp'"),
    ("https://exa mple.org/", "whitespace"),
    ("http://user:pass@example.org/", "credentials"),
])
def test_bad_url_error_names_the_endpoint_and_hides_the_secret(url, words):
    with pytest.raises(ValidationError) as caught:
        EndpointConfig(name="dispatch-seoul", url=url, secret=SECRET)
    message = str(caught.value)
    assert "alerts endpoint 'dispatch-seoul'" in message and words in message
    assert SECRET not in message and "pass@" not in message


def test_malformed_secret_is_not_echoed_by_the_validation_error():
    leaked = "whsec_!!!!not-base64-but-still-a-secret"
    with pytest.raises(ValidationError) as caught:
        EndpointConfig(name="ops", url="https://example.org/hook", secret=leaked)
    assert "base64" in str(caught.value)
    assert leaked not in str(caught.value) and "still-a-secret" not in str(caught.value)
