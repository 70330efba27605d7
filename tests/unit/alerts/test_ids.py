"""Alert ids are ``msg_`` + ULID (checked against the ULID specification's published example)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from alerts.errors import PayloadError
from alerts.ids import new_alert_id, ulid


def test_time_part_matches_the_ulid_spec_example():
    # ULID spec (github.com/ulid/spec, "decodeTime('01ARYZ6S41TSV4RRFFQ69G5FAV') == 1469918176385").
    when = datetime.fromtimestamp(1469918176385 / 1000, tz=timezone.utc)
    assert ulid(when, randomness=bytes(10))[:10] == "01ARYZ6S41"
    assert ulid(when, randomness=bytes(10))[10:] == "0" * 16
    assert ulid(when, randomness=b"\xff" * 10)[10:] == "Z" * 16


def test_alert_ids_are_unique_sortable_and_well_formed():
    early = datetime(2026, 4, 5, 4, 12, tzinfo=timezone.utc)
    late = datetime(2026, 4, 5, 4, 13, tzinfo=timezone.utc)
    ids = [new_alert_id(early) for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(re.fullmatch(r"msg_[0-9A-HJKMNP-TV-Z]{26}", i) for i in ids)
    assert max(ids) < new_alert_id(late)


def test_randomness_must_be_ten_bytes():
    with pytest.raises(PayloadError):
        ulid(datetime(2026, 1, 1, tzinfo=timezone.utc), randomness=b"123")
