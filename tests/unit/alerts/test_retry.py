"""Retry schedule with jitter, Retry-After as a capped lower bound, dead-letter after the last attempt."""

from __future__ import annotations

import random

import pytest

from alerts.config import AlertPolicy
from alerts.errors import DeliveryError
from alerts.retry import next_delay_s


def test_no_jitter_follows_the_schedule_exactly_then_gives_up():
    policy = AlertPolicy(jitter_fraction=0.0)
    delays = [next_delay_s(n, policy) for n in range(1, 9)]
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 86400, None]


def test_jitter_stays_within_the_fraction_and_varies():
    policy = AlertPolicy(jitter_fraction=0.1)
    rng = random.Random(7)
    samples = [next_delay_s(2, policy, rng=rng) for _ in range(500)]
    assert 270 <= min(samples) and max(samples) <= 330
    assert max(samples) - min(samples) > 30  # actually spread, not constant


def test_retry_after_is_a_lower_bound_and_capped():
    policy = AlertPolicy(jitter_fraction=0.0, retry_after_cap_s=600)
    assert next_delay_s(1, policy, retry_after_s=120) == 120      # 5 s step, receiver asked for 2 min
    assert next_delay_s(2, policy, retry_after_s=10) == 300       # schedule already longer
    assert next_delay_s(1, policy, retry_after_s=10**9) == 600    # hostile value capped
    assert next_delay_s(8, policy, retry_after_s=1) is None       # still dead after the last attempt


def test_attempt_count_must_be_positive():
    with pytest.raises(DeliveryError):
        next_delay_s(0, AlertPolicy())
