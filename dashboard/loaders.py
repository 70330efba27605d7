"""Cached reads for the pages: the store, rendered overlays and thumbnails.

Every page reads through these functions and nothing else touches the store. Store reads are cached for a short
time (``ttl``) keyed by the query, so the many reruns of one interaction cost one query; the time filter's start is
rounded to the minute (:func:`dashboard.summaries.time_window`) so keys repeat. Pictures are cached by file path and
modification time.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from datetime import datetime
from pathlib import Path

import streamlit as st

from dashboard.assets import publish_bytes, publish_png
from dashboard.layers import hotspot_rows
from dashboard.errors import StoreUnavailable
from dashboard.rasters import dem_hillshade_overlay, frame_thumbnail, thermal_overlay
from firewatch.errors import FirewatchError
from firewatch.model import Hotspot, Incident

#: Seconds a store read is reused across reruns. 2 s: well under the refresh period, long enough to absorb the
#: burst of reruns one click causes.
STORE_TTL_S = 2.0


def db_url() -> str:
    """The store URL given by ``firewatch dashboard`` (env ``FIREWATCH_DB_URL``), default ``sqlite:///firewatch.db``."""
    return os.environ.get("FIREWATCH_DB_URL", "sqlite:///firewatch.db")


@st.cache_resource(show_spinner=False)
def store(url: str):
    """One open :class:`firewatch.store.Store` per URL for the whole server (engines are thread-safe)."""
    from firewatch.store import Store

    try:
        return Store(url)
    except FirewatchError as exc:
        raise StoreUnavailable(f"cannot open store {url}: {exc}") from exc


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=64)
def incidents(url: str, since: datetime | None, until: datetime) -> list[Incident]:
    """Incidents seen in ``[since, until]`` (last_seen ≥ since, first_seen ≤ until), most recently seen first."""
    return [i for i in store(url).list_incidents(since=since) if i.first_seen <= until]


class HotspotCache:
    """The newest ``limit`` hotspots of one store with their map rows, loaded incrementally and shared by every
    session (read-only for callers).

    A season holds tens of thousands of hotspots; reading and parsing them all costs ~0.5 s per 10,000, too much
    for every refresh tick. After the first load each refresh asks only for hotspots at or after the newest one
    held, then compares the store's hotspot count with what it holds: a mismatch (a late frame with older
    hotspots) triggers a full reload, so nothing is ever missed.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.version = 0
        self._lock = threading.Lock()
        self._items: list[tuple[datetime, str, list]] = []     # (time, hotspot_id, map row), newest first
        self._ids: set[str] = set()
        self._checked_at = -math.inf
        self._published: dict[tuple, tuple[str | None, int]] = {}

    def refresh(self, store_) -> None:
        """Bring the cache up to date (at most once per :data:`STORE_TTL_S`)."""
        with self._lock:
            if time.monotonic() - self._checked_at < STORE_TTL_S:
                return
            total = int(store_.stats().get("hotspots", 0))
            if not self._items:
                fresh = store_.hotspots(limit=self.limit)
                self._replace(fresh)
            else:
                newest = self._items[0][0]
                new = [h for h in store_.hotspots(since=newest) if h.hotspot_id not in self._ids]
                if new:
                    self._replace(new, keep=True)
                if len(self._ids) != min(total, self.limit):
                    self._replace(store_.hotspots(limit=self.limit))
            self._checked_at = time.monotonic()

    def _replace(self, hotspots_: list[Hotspot], keep: bool = False) -> None:
        located = [(h.time, h.hotspot_id, row) for h, row in zip(hotspots_, _rows_each(hotspots_))]
        items = (located + self._items) if keep else located
        items.sort(key=lambda item: item[0], reverse=True)
        self._items = items[: self.limit]
        self._ids = {item[1] for item in self._items}
        self.version += 1
        self._published.clear()

    def rows_url(self, since: datetime | None, until: datetime) -> tuple[str | None, int]:
        """(served URL of the rows with ``since ≤ time ≤ until``, their count); None when there are none."""
        with self._lock:
            key = (self.version, since, until)
            if key not in self._published:
                rows = [row for when, _, row in self._items
                        if row is not None and when <= until and (since is None or when >= since)]
                url = publish_bytes(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                                    ".json") if rows else None
                self._published = {key: (url, len(rows))}
            return self._published[key]


def _rows_each(hotspots_: list[Hotspot]) -> list[list | None]:
    """One map row per hotspot (None for an unlocated one), in order."""
    return [hotspot_rows([h])[0] if h.is_located else None for h in hotspots_]


@st.cache_resource(show_spinner=False)
def _hotspot_cache(url: str, limit: int) -> HotspotCache:
    return HotspotCache(limit)


def hotspot_layer_source(url: str, since: datetime | None, until: datetime, limit: int) -> tuple[str | None, int]:
    """The served JSON of the map rows of hotspots in ``[since, until]`` (newest ``limit``) and their count."""
    cache = _hotspot_cache(url, limit)
    cache.refresh(store(url))
    return cache.rows_url(since, until)


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=64)
def frames(url: str, since: datetime | None, until: datetime) -> list[dict]:
    """Accepted frames with ``since ≤ time ≤ until``, newest first."""
    return [f for f in store(url).frames(status="accepted", since=since)
            if f.get("time") is not None and f["time"] <= until]


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=16)
def alerts(url: str, limit: int) -> list[dict]:
    """Outbox alerts with deliveries and acknowledgements, newest first."""
    return store(url).alerts(limit=limit)


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=16)
def stats(url: str) -> dict:
    """Store counts (``Store.stats()``)."""
    return store(url).stats()


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=64)
def incident_history(url: str, incident_id: str) -> list[dict]:
    """The incident's snapshots, oldest first."""
    return store(url).incident_history(incident_id)


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=64)
def incident_frames(url: str, incident_id: str, limit: int) -> list[dict]:
    """Frames that contributed hotspots to the incident, newest first, at most ``limit``."""
    wanted = {h.frame_id for h in store(url).hotspots(incident_id=incident_id)}
    if not wanted:
        return []
    found = [f for f in store(url).frames(status="accepted") if f["frame_id"] in wanted]
    return found[:limit]


def clear_store_cache() -> None:
    """Forget cached store reads (after this session wrote, e.g. an acknowledgement)."""
    for loader in (incidents, frames, alerts, stats, incident_history, incident_frames):
        loader.clear()


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else -1.0


@st.cache_data(show_spinner=False, max_entries=8)
def _hillshade(path: str, mtime_key: float) -> tuple[str, tuple]:
    overlay = dem_hillshade_overlay(path)
    return publish_png(overlay.png), tuple(tuple(c) for c in overlay.leaflet_bounds)


def hillshade(dem_path: Path) -> tuple[str, tuple]:
    """(URL, ((south, west), (north, east))) of the DEM hillshade picture."""
    return _hillshade(str(dem_path), _mtime(Path(dem_path)))


@st.cache_data(show_spinner=False, max_entries=16)
def _thermal(path: str, range_c: tuple[float, float], mtime_key: float) -> tuple[str, list]:
    overlay = thermal_overlay(path, range_c=range_c)
    return publish_png(overlay.png), overlay.leaflet_bounds


def thermal(ortho_path: str, range_c: tuple[float, float]) -> tuple[str, list]:
    """(URL, [[south, west], [north, east]]) of an orthophoto coloured on the fixed °C scale."""
    return _thermal(ortho_path, tuple(range_c), _mtime(Path(ortho_path)))


@st.cache_data(show_spinner=False, max_entries=256)
def _thumbnail(path: str, mtime_key: float):
    return frame_thumbnail(path)


def thumbnail(path: str):
    """A :class:`dashboard.rasters.Thumbnail` of a frame file."""
    return _thumbnail(path, _mtime(Path(path)))
