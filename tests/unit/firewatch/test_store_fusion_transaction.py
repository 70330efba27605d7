"""Store.fusion_transaction: one serialised check-read-fuse-write unit per frame, across connections (issue 8).

Each test runs on a SQLite file and, when FIREWATCH_TEST_PG_URL names one, on PostgreSQL. Two units run on two
threads, each with its own Store (own engine, own connections: as two processes would).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from detection.incidents import FusionConfig, fuse_hotspots
from firewatch.errors import StoreBusy, StoreError, StoreInputError
from firewatch.model import Hotspot
from firewatch.store import FUSION_LOCK_KEY, Store
from firewatch.store import engine as store_engine

T0 = datetime(2026, 4, 5, 3, 0, tzinfo=UTC)
CFG = FusionConfig()
#: How long the first unit keeps the lock in the blocking tests, s: long against a unit's own cost (a few ms)
#: and against thread start-up, short for the test.
HOLD_S = 0.4


def make_hotspot(frame_id: str, time_: datetime, *, lat: float = 37.5, lon: float = 127.0) -> Hotspot:
    return Hotspot(hotspot_id=f"{frame_id}-h0", frame_id=frame_id, source_id="drone-1", source_kind="drone",
                   time=time_, row=10.0, col=20.0, bbox_px=(9, 19, 11, 21), pixel_count=9, max_temp_k=520.0,
                   mean_temp_k=450.0, background_temp_k=300.0, background_mad_k=1.0, saturated_fraction=0.0,
                   frp_kw=12.0, frp_lower_bound=False, confidence=0.6, confidence_class="nominal", lat=lat, lon=lon,
                   location_uncertainty_m=5.0, location_method="dem")


def frame_meta(frame_id: str, time_: datetime) -> dict:
    return {"frame_id": frame_id, "content_sha256": f"sha-{frame_id}", "path": f"/data/{frame_id}.tif",
            "source_id": "drone-1", "source_kind": "drone", "time": time_, "width_px": 640, "height_px": 512}


def commit_frame(unit, frame_id: str, time_: datetime) -> None:
    """What Pipeline.commit does inside the unit, with one hotspot at the same place for every frame."""
    hotspots = [make_hotspot(frame_id, time_)]
    fusion = fuse_hotspots(hotspots, unit.open_incidents(reignite_window_s=CFG.reignite_window_s, now=time_),
                           config=CFG, now=time_)
    unit.apply_frame_result(frame_meta(frame_id, time_), hotspots, fusion, [])


@pytest.fixture
def url(store_url) -> str:
    """The tests run on a SQLite file and on PostgreSQL (conftest.store_url)."""
    return store_url


@pytest.fixture
def stores(url):
    """Two stores on one database, as two writer processes would have."""
    first, second = Store(url), Store(url)
    yield first, second
    first.close()
    second.close()


def test_second_unit_waits_for_the_first_and_reads_what_it_committed(stores):
    first, second = stores
    holding, events = threading.Event(), {}

    def hold_then_commit():
        with first.fusion_transaction() as unit:
            assert unit.open_incidents() == []
            holding.set()
            time.sleep(HOLD_S)
            commit_frame(unit, "f1", T0)
            events["first_ends"] = time.monotonic()

    thread = threading.Thread(target=hold_then_commit)
    thread.start()
    assert holding.wait(5.0)
    started = time.monotonic()
    with second.fusion_transaction() as unit:
        events["second_enters"] = time.monotonic()
        seen = unit.open_incidents()
        frame_seen = unit.has_frame("sha-f1")
        commit_frame(unit, "f2", T0 + timedelta(seconds=30))
    thread.join()
    # The second unit entered only after the first one's writes (and commit), and read them: the second frame's
    # hotspot joined the first frame's incident instead of opening another one.
    assert events["second_enters"] >= events["first_ends"]
    assert events["second_enters"] - started >= HOLD_S / 2
    assert frame_seen and len(seen) == 1 and seen[0].look_count == 1
    incidents = first.list_incidents()
    assert len(incidents) == 1 and incidents[0].look_count == 2
    assert {h.hotspot_id for h in first.hotspots(incident_id=incidents[0].incident_id)} == {"f1-h0", "f2-h0"}


def test_plain_reads_do_not_wait_for_a_unit(stores):
    """Dashboards and the CLI read while a writer fuses: only units queue behind each other."""
    first, second = stores
    with first.fusion_transaction() as unit:
        commit_frame(unit, "f1", T0)
        started = time.monotonic()
        assert second.open_incidents() == [] and not second.has_frame("sha-f1")  # not committed yet
        assert time.monotonic() - started < 1.0
    assert len(second.open_incidents()) == 1 and second.has_frame("sha-f1")


def test_a_unit_that_raises_writes_nothing_and_releases_the_lock(stores):
    first, second = stores
    with pytest.raises(RuntimeError, match="fusion bug"), first.fusion_transaction() as unit:
        commit_frame(unit, "f1", T0)
        raise RuntimeError("fusion bug")
    started = time.monotonic()
    with second.fusion_transaction() as unit:
        assert not unit.has_frame("sha-f1") and unit.open_incidents() == []
    assert time.monotonic() - started < 1.0
    assert first.frames() == [] and first.hotspots() == []


def test_reads_and_writes_inside_a_unit_match_the_public_methods(stores):
    first, _ = stores
    first.apply_frame_result(frame_meta("f1", T0), [make_hotspot("f1", T0)],
                             fuse_hotspots([make_hotspot("f1", T0)], [], config=CFG), [])
    with first.fusion_transaction() as unit:
        assert unit.has_frame("sha-f1") and not unit.has_frame("sha-other")
        assert unit.open_incidents() == first.open_incidents()
        assert unit.hotspots(since=T0) == first.hotspots(since=T0) == [make_hotspot("f1", T0)]
        assert unit.hotspots(since=T0 + timedelta(seconds=1)) == []
        frame_id = unit.record_quarantine({"content_sha256": "sha-bad", "path": "/data/bad.tif"}, "unreadable")
        with pytest.raises(StoreInputError, match="reason is required"):
            unit.record_quarantine({"content_sha256": "sha-bad2"}, "")
    assert [f["frame_id"] for f in first.frames(status="quarantined")] == [frame_id]


def test_a_writer_waiting_longer_than_the_lock_timeout_gets_store_busy(stores, url, monkeypatch):
    # The documented timeout is 30 s; shortened here so the test waits 0.2 s.
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(store_engine, "PG_LOCK_TIMEOUT_MS", 200)
    first, _ = stores
    late = Store(url)  # connects after the patch: SQLite's busy_timeout is set per connection
    try:
        with first.fusion_transaction():
            started = time.monotonic()
            with pytest.raises(StoreBusy) as caught, late.fusion_transaction():
                pytest.fail("entered a unit while another one held the lock")
            waited_s = time.monotonic() - started
        message = str(caught.value)
        assert isinstance(caught.value, StoreError) and isinstance(caught.value, TimeoutError)
        assert late.display_url in message and "nothing was written" in message and "stop" in message
        assert "more than 0.2 s" in message
        assert 0.15 <= waited_s < 5.0
        with late.fusion_transaction() as unit:  # the lock is free again once the holder commits
            assert unit.open_incidents() == []
    finally:
        late.close()


def test_postgresql_lock_is_the_documented_advisory_key_and_ends_with_the_transaction(empty_postgresql):
    url = empty_postgresql
    first, second = Store(url), Store(url)
    query = text("SELECT classid, objid, objsubid, granted FROM pg_locks WHERE locktype = 'advisory'")
    # Single-key form: the key's high 32 bits in classid, the low ones in objid, objsubid 1 (PostgreSQL docs, pg_locks)
    expected = (FUSION_LOCK_KEY >> 32, FUSION_LOCK_KEY & 0xFFFFFFFF, 1, True)
    with second._engine.connect() as observer:
        with first.fusion_transaction():
            assert [tuple(row) for row in observer.execute(query)] == [expected]
            observer.rollback()
        assert observer.execute(query).all() == []
    first.close()
    second.close()
    assert bytes.fromhex(f"{FUSION_LOCK_KEY:016x}") == b"FWFUSION"
