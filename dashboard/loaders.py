"""Cached reads for the pages: the store, rendered overlays and thumbnails.

Every page reads through these functions and nothing else touches the store. Store reads are cached for a short
time (``ttl``) keyed by the query, so the many reruns of one interaction cost one query; the time filter's start is
rounded to the minute (:func:`dashboard.summaries.time_window`) so keys repeat. Pictures are cached by file path and
modification time.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import streamlit as st

from dashboard.assets import publish_png
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


@st.cache_data(ttl=STORE_TTL_S, show_spinner=False, max_entries=64)
def hotspots(url: str, since: datetime | None, until: datetime, limit: int) -> list[Hotspot]:
    """Hotspots with ``since ≤ time ≤ until``, newest first, at most ``limit``."""
    return [h for h in store(url).hotspots(since=since, limit=limit) if h.time <= until]


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
    for loader in (incidents, hotspots, frames, alerts, stats, incident_history, incident_frames):
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
