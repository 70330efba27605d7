"""The store on real SQLite files: schema, pragmas, migrations, one-transaction writes, concurrent readers."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from detection.incidents import FusionConfig, advance_time, fuse_hotspots, history_rows
from firewatch.errors import StoreError, StoreInputError
from firewatch.model import Hotspot
from firewatch.store import LATEST_VERSION, Store
from firewatch.store.migrations import migrate

T0 = datetime(2026, 4, 5, 3, 0, tzinfo=timezone.utc)
CFG = FusionConfig()


def make_hotspot(index: int, frame_id: str, time: datetime, *, lat: float = 37.5, lon: float = 127.0,
                 **overrides) -> Hotspot:
    fields = dict(hotspot_id=f"{frame_id}-h{index}", frame_id=frame_id, source_id="drone-1", source_kind="drone",
                  time=time, row=10.0, col=20.0, bbox_px=(9, 19, 11, 21), pixel_count=9, max_temp_k=520.0,
                  mean_temp_k=450.0, background_temp_k=300.0, background_mad_k=1.0, saturated_fraction=0.0,
                  frp_kw=12.0, frp_lower_bound=False, confidence=0.6, confidence_class="nominal", lat=lat, lon=lon,
                  location_uncertainty_m=5.0, location_method="dem")
    fields.update(overrides)
    return Hotspot(**fields)


def frame_meta(frame_id: str, time: datetime, **extra) -> dict:
    return {"frame_id": frame_id, "content_sha256": f"sha-{frame_id}", "path": f"/data/{frame_id}.tif",
            "source_id": "drone-1", "source_kind": "drone", "time": time, "width_px": 640, "height_px": 512,
            "footprint": {"type": "Polygon", "coordinates": [[[127, 37.5], [127.001, 37.5], [127.001, 37.501],
                                                               [127, 37.501], [127, 37.5]]]},
            "camera": {"model": "test"}, "pose": {"yaw_deg": 10.0}, **extra}


def alert_for(transition, *, alert_id: str | None = None, endpoints=("ops",)) -> dict:
    return {"alert_id": alert_id or f"msg_{transition.key}", "incident_id": transition.incident_id,
            "event_type": f"incident.{transition.kind}", "transition_key": transition.key,
            "created_at": transition.time, "severity": "moderate", "source_kinds": ["drone"], "lat": 37.5,
            "lon": 127.0, "payload": {"type": f"incident.{transition.kind}", "timestamp": transition.time.isoformat(),
                                      "data": {"incident_id": transition.incident_id}},
            "endpoints": list(endpoints)}


def ingest(store: Store, frame_id: str, time: datetime, hotspots: list[Hotspot], *, alerts: bool = True):
    """What the pipeline does per frame: fuse against the open incidents and write the lot."""
    result = fuse_hotspots(hotspots, store.open_incidents(reignite_window_s=CFG.reignite_window_s, now=time),
                           config=CFG)
    outbox = [alert_for(t) for t in result.transitions if t.kind == "confirmed"] if alerts else []
    store.apply_frame_result(frame_meta(frame_id, time), hotspots, result, outbox)
    return result




@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "firewatch.db"


@pytest.fixture
def url(store_url) -> str:
    """The tests run on a SQLite file and on PostgreSQL (conftest.store_url)."""
    return store_url


@pytest.fixture
def store(url):
    with Store(url) as s:
        yield s


def count(store: Store, table: str) -> int:
    """Rows in a table, by plain SQL (not through the store's methods)."""
    with store._engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


# --- opening, pragmas, migrations --------------------------------------------------------------------------------

def test_new_database_is_wal_at_latest_version_with_all_tables(db_path):
    store = Store(f"sqlite:///{db_path}")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert {"frames", "hotspots", "incidents", "incident_history", "alerts", "deliveries", "endpoint_state",
            "acknowledgements", "schema_version"} <= tables
    assert versions == [1, 2, 3] and LATEST_VERSION == 3 and store.schema_version() == 3


def test_every_connection_gets_the_pragmas(db_path):
    store = Store(f"sqlite:///{db_path}")
    with store._engine.connect() as conn:
        pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("foreign_keys", "synchronous", "busy_timeout", "journal_mode")}
    # synchronous: 1 = NORMAL (SQLite documentation, PRAGMA synchronous)
    assert pragmas == {"foreign_keys": 1, "synchronous": 1, "busy_timeout": 30000, "journal_mode": "wal"}


def test_migrate_is_idempotent(store, url):
    assert store.migrate() == LATEST_VERSION
    assert Store(url).migrate() == LATEST_VERSION
    assert count(store, "schema_version") == LATEST_VERSION


def test_opening_a_version_1_database_migrates_it_and_keeps_its_rows(url):
    old = Store(url, migrate=False)
    with old._write() as conn:
        assert migrate(conn, target=1) == 1
    old.record_quarantine({"path": "/data/bad.tif", "content_sha256": "abc"}, "unreadable header")
    assert not inspect(old._engine).has_table("alerts")
    old.close()

    reopened = Store(url)
    assert reopened.schema_version() == LATEST_VERSION
    assert reopened.has_frame("abc")
    assert reopened.frames(status="quarantined")[0]["reason"] == "unreadable header"
    assert reopened.alerts() == []  # the outbox tables exist now


def test_a_version_2_history_table_gains_the_location_columns(store, url):
    with store._engine.begin() as conn:  # the table as version 2 made it
        conn.execute(text("ALTER TABLE incident_history DROP COLUMN lat"))
        conn.execute(text("ALTER TABLE incident_history DROP COLUMN lon"))
        conn.execute(text("DELETE FROM schema_version WHERE version = 3"))
    store.close()
    reopened = Store(url)
    assert reopened.schema_version() == 3
    assert {"lat", "lon"} <= {c["name"] for c in inspect(reopened._engine).get_columns("incident_history")}
    ingest(reopened, "f1", T0, [make_hotspot(1, "f1", T0)])
    (row,) = reopened.incident_history(reopened.list_incidents()[0].incident_id)
    assert row["lat"] == pytest.approx(37.5) and row["lon"] == pytest.approx(127.0)


def test_a_newer_database_is_refused_with_upgrade_advice(store, url):
    with store._engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (99, '2030-01-01 00:00:00')"))
    store.close()
    with pytest.raises(StoreError, match=r"schema version 99.*upgrade Firewatch"):
        Store(url)


def test_bad_urls_and_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="not valid"):
        Store("not a url at all")
    with pytest.raises(StoreError, match="not supported"):
        Store("mysql://localhost/fw")
    with pytest.raises(StoreError, match="no Firewatch database"):
        Store(f"sqlite:///{tmp_path / 'absent.db'}", create=False)
    assert not (tmp_path / "absent.db").exists()
    with pytest.raises(StoreError, match="does not exist"):
        Store(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")


def test_an_in_memory_store_works_for_one_thread():
    store = Store("sqlite://")
    store.record_quarantine({"path": "/data/x.tif", "content_sha256": "a"}, "unreadable")
    assert store.has_frame("a") and store.stats()["frames"] == {"accepted": 0, "quarantined": 1}


# --- frames, hotspots, incidents ----------------------------------------------------------------------------------

def test_apply_frame_result_writes_frame_hotspots_incident_history_and_outbox(store):
    ingest(store, "f1", T0, [make_hotspot(1, "f1", T0)])
    result = ingest(store, "f2", T0 + timedelta(seconds=30), [make_hotspot(1, "f2", T0 + timedelta(seconds=30))])

    (incident,) = store.list_incidents()
    assert incident.state == "confirmed" and incident.look_count == 2 and incident.hotspot_count == 2
    assert store.get_incident(incident.incident_id) == result.incidents[0]
    assert store.get_incident("inc-absent") is None
    assert {h.hotspot_id for h in store.hotspots(incident_id=incident.incident_id)} == {"f1-h1", "f2-h1"}
    assert store.hotspots(frame_id="f2")[0] == make_hotspot(1, "f2", T0 + timedelta(seconds=30))
    assert [row["event"] for row in store.incident_history(incident.incident_id)] == ["created", "confirmed"]
    frame = store.frames(source_id="drone-1")[0]
    assert frame["frame_id"] == "f2" and frame["status"] == "accepted" and frame["hotspot_count"] == 1
    assert frame["time"] == T0 + timedelta(seconds=30) and frame["time"].tzinfo is not None
    assert frame["pose"] == {"yaw_deg": 10.0}
    (alert,) = store.alerts()
    assert alert["event_type"] == "incident.confirmed" and alert["status"] == "pending"
    assert [d["endpoint"] for d in alert["deliveries"]] == ["ops"]
    assert store.has_frame("sha-f1") and not store.has_frame("sha-zz")
    stats = store.stats()
    assert stats["frames"] == {"accepted": 2, "quarantined": 0} and stats["hotspots"] == 2
    assert stats["incidents"] == {"confirmed": 1} and stats["alerts_unacknowledged"] == 1
    assert stats["last_frame_time"] == T0 + timedelta(seconds=30)


def test_merged_incidents_hand_their_hotspots_to_the_survivor(store):
    west, east = make_hotspot(1, "f1", T0, lon=127.0), make_hotspot(2, "f1", T0, lon=127.00136)  # 120 m apart
    ingest(store, "f1", T0, [west, east])
    assert len(store.list_incidents()) == 2
    t = T0 + timedelta(seconds=10)
    middle = make_hotspot(1, "f2", t, lon=127.00068, location_uncertainty_m=28.0)  # its 28 m circle bridges both
    result = ingest(store, "f2", t, [middle])
    (kept,) = set(result.merges.values())
    assert {h.hotspot_id for h in store.hotspots(incident_id=kept)} == {"f1-h1", "f1-h2", "f2-h1"}
    assert [i.incident_id for i in store.open_incidents()] == [kept]


def test_non_finite_numbers_do_not_break_either_database(store):
    hotspot = make_hotspot(1, "f1", T0, elevation_m=float("nan"), frp_kw=float("inf"))
    ingest(store, "f1", T0, [hotspot])
    (stored,) = store.hotspots()
    assert stored.hotspot_id == "f1-h1" and stored.max_temp_k == 520.0


def test_unknown_frame_meta_keys_are_kept_in_extra(store):
    store.apply_frame_result(frame_meta("f1", T0, ortho_path="/tmp/o.tif"), [], fuse_hotspots([], [], config=CFG), [])
    assert store.frames()[0]["extra"] == {"ortho_path": "/tmp/o.tif"}


def test_unlocated_hotspots_are_stored_without_incident(store):
    hotspot = make_hotspot(1, "f1", T0, lat=None, lon=None)
    ingest(store, "f1", T0, [hotspot])
    assert store.hotspots() == [hotspot] and store.list_incidents() == []
    assert store.stats()["hotspots_unassigned"] == 1


def test_quarantine_records_the_reason_and_counts_as_seen(store):
    frame_id = store.record_quarantine({"path": "/data/x.jpg", "content_sha256": "deadbeef"}, "all-NaN frame")
    assert frame_id.startswith("quarantine-") and store.has_frame("deadbeef")
    (row,) = store.frames(status="quarantined")
    assert row["reason"] == "all-NaN frame" and row["path"] == "/data/x.jpg"
    with pytest.raises(StoreInputError, match="reason"):
        store.record_quarantine({"path": "/data/y.jpg"}, "")
    with pytest.raises(StoreInputError, match="frame_id"):
        store.apply_frame_result({"path": "/data/z.jpg"}, [], fuse_hotspots([], [], config=CFG), [])
    with pytest.raises(StoreInputError, match="status"):
        store.frames(status="lost")


def test_an_error_mid_apply_leaves_nothing_written(store):
    hotspot = make_hotspot(1, "f1", T0)
    result = fuse_hotspots([hotspot], [], config=CFG)
    result.assignments[hotspot.hotspot_id] = "inc-that-does-not-exist"  # FK violation after frame + incident rows
    with pytest.raises(StoreError, match="nothing was written"):
        store.apply_frame_result(frame_meta("f1", T0), [hotspot], result, [])
    bad_alert = {"alert_id": "msg_x", "event_type": "incident.confirmed", "transition_key": "k"}  # no payload
    with pytest.raises(StoreInputError, match="payload"):
        store.apply_frame_result(frame_meta("f1", T0), [hotspot], fuse_hotspots([hotspot], [], config=CFG),
                                 [bad_alert])
    for table in ("frames", "hotspots", "incidents", "incident_history", "alerts", "deliveries"):
        assert count(store, table) == 0, table


def test_hotspots_of_another_frame_are_refused(store):
    hotspot = make_hotspot(1, "other", T0)
    with pytest.raises(StoreInputError, match="another frame"):
        store.apply_frame_result(frame_meta("f1", T0), [hotspot], fuse_hotspots([hotspot], [], config=CFG), [])


def test_duplicate_transition_key_is_ignored(store):
    ingest(store, "f1", T0, [make_hotspot(1, "f1", T0)])
    result = ingest(store, "f2", T0, [make_hotspot(1, "f2", T0)])
    confirmed = next(t for t in result.transitions if t.kind == "confirmed")
    again = alert_for(confirmed, alert_id="msg_another_id", endpoints=("ops", "backup"))
    store.apply_transitions([], [], [], [again])
    assert [a["alert_id"] for a in store.alerts()] == [f"msg_{confirmed.key}"]
    assert count(store, "deliveries") == 1


def test_apply_transitions_writes_ticks_and_checks_consistency(store):
    ingest(store, "f1", T0, [make_hotspot(1, "f1", T0)])
    ingest(store, "f2", T0, [make_hotspot(1, "f2", T0)])
    now = T0 + timedelta(hours=1)
    incidents, transitions = advance_time(store.open_incidents(), now, config=CFG)
    with pytest.raises(StoreInputError, match="without the incidents"):
        store.apply_transitions([], transitions, [], [])
    store.apply_transitions(incidents, transitions, history_rows(incidents, transitions), [])
    (incident,) = store.list_incidents(states=["quiet"])
    assert store.incident_history(incident.incident_id)[-1]["event"] == "quiet"
    assert store.list_incidents(states=["active"]) == []
    assert store.list_incidents(since=T0 + timedelta(seconds=1)) == []


def test_open_incidents_includes_recently_closed_ones_only_within_the_window(store):
    ingest(store, "f1", T0, [make_hotspot(1, "f1", T0)])
    ingest(store, "f2", T0, [make_hotspot(1, "f2", T0)])
    incidents, transitions = advance_time(store.open_incidents(), T0 + timedelta(hours=7), config=CFG)
    store.apply_transitions(incidents, transitions, history_rows(incidents, transitions), [])
    closed_at = T0 + timedelta(seconds=CFG.close_after_s["drone"])
    assert store.open_incidents() == []
    assert len(store.open_incidents(reignite_window_s=3600, now=closed_at + timedelta(minutes=59))) == 1
    assert store.open_incidents(reignite_window_s=3600, now=closed_at + timedelta(minutes=61)) == []


# --- concurrency ----------------------------------------------------------------------------------------------------

def test_readers_see_consistent_snapshots_while_a_writer_writes(url):
    writer = Store(url)
    frames_to_write = 30
    errors: list[BaseException] = []
    snapshots: list[tuple[int, int]] = []
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(frames_to_write):
                t = T0 + timedelta(seconds=10 * i)
                hotspots = [make_hotspot(k, f"f{i}", t, lat=37.5 + 0.01 * k) for k in range(2)]
                ingest(writer, f"f{i}", t, hotspots)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        reader = Store(url)
        try:
            while not done.is_set():
                stats = reader.stats()
                snapshots.append((stats["frames"]["accepted"], stats["hotspots"]))
                reader.list_incidents(limit=10)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(snapshots) > 1
    # Each frame has exactly two hotspots: a snapshot taken mid-transaction would break the ratio.
    assert all(hotspots == 2 * frames for frames, hotspots in snapshots)
    assert writer.stats()["frames"]["accepted"] == frames_to_write
    assert writer.stats()["incidents"] == {"active": 2}
