"""Plain-data helpers behind the panels: time windows, confidence in words, what is new, which ortho to show.

No Streamlit and no store access here, so each is tested directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.errors import InvalidSelection
from dashboard.i18n import t
from firewatch.model import Incident, parse_time

TIME_CHOICES: tuple[str, ...] = ("last_hour", "shift", "all_time", "custom")

#: The hottest a surface gets in the sun (DESIGN.md §4: sun-heated rock, roofs, solar panels reach 60-75 °C).
SUN_LIMIT_K = 348.15


@dataclass(frozen=True)
class TimeWindow:
    """A closed time interval in aware UTC; ``start`` None means "from the beginning"."""

    start: datetime | None
    end: datetime


def time_window(choice: str, *, now: datetime, shift_hours: float,
                custom: tuple[datetime, datetime] | None = None) -> TimeWindow:
    """The interval the operator asked for, ending at ``now`` (aware UTC) except for ``custom``.

    ``start`` is rounded down to the whole minute so cached reads are reused within a minute.
    """
    now = parse_time(now)
    if choice == "last_hour":
        start = now - timedelta(hours=1)
    elif choice == "shift":
        start = now - timedelta(hours=shift_hours)
    elif choice == "all_time":
        return TimeWindow(None, now)
    elif choice == "custom" and custom is not None:
        begin, end = (parse_time(custom[0]), parse_time(custom[1]))
        return TimeWindow(min(begin, end), max(begin, end))
    else:
        raise InvalidSelection(f"time filter {choice!r} is not one of {TIME_CHOICES} (custom needs a range)")
    return TimeWindow(start.replace(second=0, microsecond=0), now)


def local_time(when: datetime | str | None, zone: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the operator's zone with the zone's abbreviation (e.g. KST); ``—`` if unknown."""
    if when is None or when == "":
        return "—"
    local = parse_time(when).astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def explain_confidence(incident: Incident, lang: str) -> str:
    """Why the system is as sure as it is, in words: looks, sources, temperature versus the sun's limit, masks."""
    reasons = []
    if incident.look_count >= 2:
        reasons.append(t("why_looks", lang, looks=incident.look_count))
    else:
        reasons.append(t("why_one_look", lang))
    if len(incident.sources) >= 2:
        reasons.append(t("why_sources", lang, count=len(incident.sources), names=", ".join(incident.sources)))
    if isinstance(incident.max_temp_k, (int, float)) and math.isfinite(incident.max_temp_k):
        key = "why_hot" if incident.max_temp_k > SUN_LIMIT_K else "why_warm"
        reasons.append(t(key, lang, temp_c=incident.max_temp_k - 273.15))
    if incident.masked:
        reasons.append(t("why_masked", lang))
    cls = t(f"conf_class_{incident.confidence_class}", lang) \
        if incident.confidence_class in ("low", "nominal", "high") else str(incident.confidence_class)
    value = incident.confidence if isinstance(incident.confidence, (int, float)) and math.isfinite(
        incident.confidence) else 0.0
    return t("confidence_words", lang, cls=cls, value=value, reasons="; ".join(reasons))


def ortho_path(frame: dict) -> str | None:
    """The orthophoto GeoTIFF recorded for a frame (``extra.ortho_path`` at ingest), or None."""
    extra = frame.get("extra") or {}
    value = extra.get("ortho_path") if isinstance(extra, dict) else None
    return str(value) if value else None


def latest_ortho(frames: list[dict]) -> dict | None:
    """The newest accepted frame that has an orthophoto recorded, or None."""
    candidates = [f for f in frames if ortho_path(f) and f.get("time") and f.get("status", "accepted") == "accepted"]
    return max(candidates, key=lambda f: parse_time(f["time"]), default=None)


def reference_time(choice: str, *, now: datetime, newest_data: datetime | None) -> datetime:
    """The end of the time filter: the wall clock, or the newest record (replaying a past scenario)."""
    if choice == "anchor_latest" and newest_data is not None:
        return parse_time(newest_data)
    return parse_time(now)
