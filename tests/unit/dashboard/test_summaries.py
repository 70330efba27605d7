"""dashboard.summaries: time windows, local time, confidence in words, the ortho to show."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dashboard.errors import InvalidSelection
from dashboard.summaries import (TimeWindow, explain_confidence, latest_ortho, local_time, reference_time,
                                 time_window)
from firewatch.model import Incident

NOW = datetime(2026, 4, 5, 5, 30, 42, tzinfo=timezone.utc)


def _incident(**changes) -> Incident:
    values = dict(incident_id="inc-a", state="active", first_seen=NOW, last_seen=NOW, lat=37.6, lon=126.9,
                  perimeter=None, area_m2=100.0, max_frp_kw=50.0, max_temp_k=900.0, confidence=0.93,
                  confidence_class="high", sources=["drone-1", "tower-2"], source_kinds=["drone", "fixed"],
                  look_count=3, hotspot_count=4)
    values.update(changes)
    return Incident(**values)


def test_time_windows():
    assert time_window("last_hour", now=NOW, shift_hours=12) == TimeWindow(
        datetime(2026, 4, 5, 4, 30, tzinfo=timezone.utc), NOW)
    assert time_window("shift", now=NOW, shift_hours=8).start == datetime(2026, 4, 4, 21, 30, tzinfo=timezone.utc)
    assert time_window("all_time", now=NOW, shift_hours=8) == TimeWindow(None, NOW)
    start = NOW - timedelta(days=2)
    assert time_window("custom", now=NOW, shift_hours=8, custom=(NOW, start)) == TimeWindow(start, NOW)


@pytest.mark.parametrize("choice, custom", [("week", None), ("custom", None)])
def test_bad_time_choice(choice, custom):
    with pytest.raises(InvalidSelection, match="time filter"):
        time_window(choice, now=NOW, shift_hours=8, custom=custom)


def test_local_time_is_seoul_by_default():
    # 05:30:42 UTC is 14:30:42 KST (UTC+9, no daylight saving) — hand conversion.
    assert local_time(NOW, "Asia/Seoul") == "2026-04-05 14:30:42 KST"
    assert local_time(None, "Asia/Seoul") == "—"


def test_confidence_in_words_names_looks_sources_and_the_sun_limit():
    text = explain_confidence(_incident(), "en")
    assert "Confidence high (93%)" in text
    assert "3 distinct looks" in text and "2 sources (drone-1, tower-2)" in text
    assert "peak 627 °C" in text and "hotter than the sun" in text  # 900 K − 273.15 = 626.85 °C


def test_confidence_in_words_for_a_doubtful_single_look():
    text = explain_confidence(_incident(look_count=1, sources=["tower-1"], max_temp_k=340.0,
                                        confidence_class="nominal", confidence=0.5, masked=True), "ko")
    assert "한 번만" in text and "67 °C" in text and "바위" in text and "마스크" in text and "보통" in text


def test_latest_ortho_picks_the_newest_frame_with_a_file():
    frames = [{"frame_id": "a", "time": NOW, "extra": {"ortho_path": "/o/a.tif"}},
              {"frame_id": "b", "time": NOW + timedelta(minutes=1), "extra": None},
              {"frame_id": "c", "time": NOW - timedelta(minutes=1), "extra": {"ortho_path": "/o/c.tif"}}]
    assert latest_ortho(frames)["frame_id"] == "a"
    assert latest_ortho([frames[1]]) is None


def test_reference_time_can_replay_the_newest_data():
    newest = NOW - timedelta(days=30)
    assert reference_time("anchor_latest", now=NOW, newest_data=newest) == newest
    assert reference_time("anchor_now", now=NOW, newest_data=newest) == NOW
    assert reference_time("anchor_latest", now=NOW, newest_data=None) == NOW
