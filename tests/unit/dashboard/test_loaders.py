"""dashboard.loaders.HotspotCache: incremental loading that never misses a late frame."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dashboard.assets import STATIC_DIR
from dashboard.loaders import HotspotCache
from dashboard.sample import seed_store
from firewatch.model import utc_now
from firewatch.store import Store


def _served_rows(url: str) -> list:
    return json.loads((STATIC_DIR / url.split("/app/static/")[1]).read_text(encoding="utf-8"))


@pytest.fixture()
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'fw.db'}")


def test_incremental_refresh_and_late_frames(store, monkeypatch):
    monkeypatch.setattr("dashboard.loaders.STORE_TTL_S", 0.0)
    now = utc_now()
    seed_store(store, incident_count=3, hotspots_per_incident=4, now=now, seed=1, bad_records=False)
    cache = HotspotCache(limit=1000)
    cache.refresh(store)
    url, count = cache.rows_url(None, now)
    assert count == 12 and len(_served_rows(url)) == 12
    version = cache.version
    cache.refresh(store)                                   # nothing new: same version, same file
    assert cache.version == version and cache.rows_url(None, now) == (url, 12)

    later = now + timedelta(minutes=5)
    seed_store(store, incident_count=1, hotspots_per_incident=2, now=later, seed=2, bad_records=False)
    cache.refresh(store)
    assert cache.rows_url(None, later)[1] == 14

    # a late frame: hotspots older than everything held; only the count check can notice it
    seed_store(store, incident_count=1, hotspots_per_incident=3, now=now - timedelta(hours=3), seed=3,
               bad_records=False)
    cache.refresh(store)
    assert cache.rows_url(None, later)[1] == 17
    # the window filters by time: the last hour excludes the late frame (3 h old)
    assert cache.rows_url(later - timedelta(hours=1), later)[1] == 14


def test_limit_keeps_the_newest(store, monkeypatch):
    monkeypatch.setattr("dashboard.loaders.STORE_TTL_S", 0.0)
    now = utc_now()
    seed_store(store, incident_count=4, hotspots_per_incident=5, now=now, seed=1, bad_records=False)
    cache = HotspotCache(limit=7)
    cache.refresh(store)
    url, count = cache.rows_url(None, now)
    assert count == 7
    newest = {tuple(r[:2]) for r in _served_rows(url)}
    expected = {(round(h.lat, 7), round(h.lon, 7)) for h in store.hotspots(limit=7)}
    assert newest == expected
    cache.refresh(store)                                   # count 20 in store vs limit 7: no endless reloads
    assert cache.version == 1
