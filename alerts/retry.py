"""The retry schedule: when to try a failed delivery again, or when to give up (dead-letter)."""

from __future__ import annotations

import random

from alerts.config import AlertPolicy
from alerts.errors import DeliveryError


def next_delay_s(failed_attempts: int, policy: AlertPolicy, *, retry_after_s: float | None = None,
                 rng: random.Random | None = None) -> float | None:
    """Seconds to wait before the next attempt after ``failed_attempts`` (≥ 1) failures, or None = dead-letter.

    The delay is ``retry_schedule_s[failed_attempts]`` scaled by a uniform factor in ``1 ± jitter_fraction``; a
    receiver's ``Retry-After`` (429/503) is honoured as a lower bound, capped at ``retry_after_cap_s``.
    """
    if failed_attempts < 1:
        raise DeliveryError(f"failed_attempts must be ≥ 1, got {failed_attempts}")
    if failed_attempts >= policy.max_attempts:
        return None
    rng = rng or random
    base_s = policy.retry_schedule_s[failed_attempts]
    delay_s = base_s * (1.0 + rng.uniform(-policy.jitter_fraction, policy.jitter_fraction))
    if retry_after_s is not None:
        delay_s = max(delay_s, min(retry_after_s, policy.retry_after_cap_s))
    return delay_s
