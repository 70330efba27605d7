"""Satellite passes through fusion into the store: vegetation vs static detections, second-source confirmation."""

from __future__ import annotations

from datetime import datetime, timezone

from detection.incidents import fuse_hotspots
from firewatch.config import FirewatchConfig
from firewatch.model import Hotspot
from firewatch.satellite import ingest_firms
from firewatch.store import Store

HEADER = ("latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,"
          "bright_t31,frp,daynight,type")


def _csv(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_static_detections_never_create_or_confirm_a_vegetation_fire(tmp_path):
    # pass 1: a vegetation detection and a static one (FIRMS type 2) in the same pixel neighbourhood;
    # pass 2 twelve hours later: both again
    rows = []
    for date, time in (("2025-01-08", "0949"), ("2025-01-08", "2108")):
        rows.append(f"34.0700,-118.5400,340.0,0.4,0.4,{date},{time},N20,VIIRS,n,2,290.0,20.0,N,0")
        rows.append(f"34.0710,-118.5410,330.0,0.4,0.4,{date},{time},N20,VIIRS,n,2,290.0,8.0,N,2")
    store = Store(f"sqlite:///{tmp_path / 'fw.db'}")
    report = ingest_firms([_csv(tmp_path, "passes.csv", rows)], FirewatchConfig(), store)
    assert [p.status for p in report.passes] == ["accepted", "accepted"]
    assert [p.masked_count for p in report.passes] == [1, 1]
    incidents = store.list_incidents()
    vegetation = [i for i in incidents if not i.masked]
    static = [i for i in incidents if i.masked]
    assert len(vegetation) == 1 and len(static) == 1
    assert vegetation[0].confirmed_at is not None and vegetation[0].look_count == 2
    assert static[0].confirmed_at is None and static[0].hotspot_count == 2
    assert vegetation[0].max_frp_kw == 20_000.0  # the static source's FRP never joined the fire
    alerts = store.alerts()
    assert {a["incident_id"] for a in alerts} == {vegetation[0].incident_id}


def test_a_satellite_pass_confirms_a_drone_incident_as_second_source(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'fw.db'}")
    config = FirewatchConfig()
    drone = Hotspot(hotspot_id="d1", frame_id="drone-frame-1", source_id="drone-1", source_kind="drone",
                    time=datetime(2025, 3, 20, 4, 40, tzinfo=timezone.utc), row=100.0, col=120.0,
                    bbox_px=(99, 119, 101, 121), pixel_count=9, max_temp_k=650.0, mean_temp_k=600.0,
                    background_temp_k=295.0, background_mad_k=1.0, saturated_fraction=0.0, frp_kw=40.0,
                    frp_lower_bound=False, confidence=0.6, confidence_class="nominal", lat=36.5, lon=128.5,
                    location_uncertainty_m=10.0, location_method="dem")
    fusion = fuse_hotspots([drone], [], config=config.fusion, now=drone.time)
    store.apply_frame_result({"frame_id": "drone-frame-1", "content_sha256": "0" * 64, "source_kind": "drone",
                              "time": drone.time, "source_id": "drone-1"}, [drone], fusion, [])
    (candidate,) = store.list_incidents()
    assert candidate.state == "candidate"
    path = _csv(tmp_path, "pass.csv", ["36.5005,128.5003,335.0,0.38,0.36,2025-03-20,0446,N,VIIRS,n,2,290.0,3.0,D,0"])
    report = ingest_firms([path], config, store)
    (outcome,) = report.passes
    kinds = [(t.incident_id, t.kind) for t in outcome.transitions]
    assert (candidate.incident_id, "confirmed") in kinds
    incident = store.get_incident(candidate.incident_id)
    assert incident.sources == ["drone-1", "VIIRS-SNPP"] and incident.source_kinds == ["drone", "satellite"]
    assert "2 sources" in incident.extra["confirmed_by"]


def test_a_pass_in_two_files_is_ingested_once(tmp_path):
    row = "34.0700,-118.5400,340.0,0.4,0.4,2025-01-08,0949,N20,VIIRS,n,2,290.0,20.0,N,0"
    archive = _csv(tmp_path, "archive.csv", [row])
    nrt = _csv(tmp_path, "nrt.csv", [row, row.replace("0949", "2108")])
    store = Store(f"sqlite:///{tmp_path / 'fw.db'}")
    report = ingest_firms([archive, nrt], FirewatchConfig(), store)
    assert [(p.pass_id, p.path.name, p.status) for p in report.passes] == [
        ("VIIRS-NOAA-20-20250108T0949Z", "archive.csv", "accepted"),
        ("VIIRS-NOAA-20-20250108T0949Z", "nrt.csv", "skipped"),
        ("VIIRS-NOAA-20-20250108T2108Z", "nrt.csv", "accepted")]
    (incident,) = store.list_incidents()
    assert incident.hotspot_count == 2 and incident.look_count == 2
