"""Incident fusion (pure): confirmation rules, fusion radius and time windows, the state timeline, geometry.

Positions are placed with pyproj.Geod.fwd (geodesic oracle); expected areas, distances and centroids are hand
calculations.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from pyproj import Geod

from detection.incidents import FusionConfig, Transition, advance_time, fuse_hotspots, history_rows
from firewatch.model import Hotspot, Incident, stable_id

T0 = datetime(2026, 4, 5, 3, 0, tzinfo=timezone.utc)
LAT0, LON0 = 37.5, 127.0
GEOD = Geod(ellps="WGS84")
CFG = FusionConfig()
QUIET_S, CLOSE_S = CFG.quiet_after_s["drone"], CFG.close_after_s["drone"]  # 30 min, 6 h


def offset(east_m: float = 0.0, north_m: float = 0.0, lon: float = LON0, lat: float = LAT0) -> tuple[float, float]:
    """(lon, lat) of the point east_m east and north_m north of (lon, lat), along geodesics."""
    lon, lat, _ = GEOD.fwd(lon, lat, 90.0, east_m)
    lon, lat, _ = GEOD.fwd(lon, lat, 0.0, north_m)
    return lon, lat


def square(east_m: float, north_m: float, side_m: float = 10.0) -> dict:
    """GeoJSON polygon of a side_m × side_m square whose south-west corner is (east_m, north_m) from the origin."""
    corners = [offset(east_m + dx, north_m + dy) for dx, dy in ((0, 0), (side_m, 0), (side_m, side_m), (0, side_m))]
    return {"type": "Polygon", "coordinates": [[list(c) for c in corners + corners[:1]]]}


def hotspot(name: str, frame_id: str, seconds: float = 0.0, *, east_m: float = 0.0, north_m: float = 0.0,
            **overrides) -> Hotspot:
    lon, lat = offset(east_m, north_m)
    fields = dict(hotspot_id=name, frame_id=frame_id, source_id="drone-1", source_kind="drone",
                  time=T0 + timedelta(seconds=seconds), row=10.0, col=20.0, bbox_px=(9, 19, 11, 21), pixel_count=4,
                  max_temp_k=520.0, mean_temp_k=450.0, background_temp_k=300.0, background_mad_k=1.0,
                  saturated_fraction=0.0, frp_kw=10.0, frp_lower_bound=False, confidence=0.6,
                  confidence_class="nominal", lat=lat, lon=lon, location_uncertainty_m=5.0, location_method="dem")
    fields.update(overrides)
    return Hotspot(**fields)


def run(*batches: list[Hotspot], config: FusionConfig = CFG):
    """Fuse batches one after another like the pipeline (each batch against the incidents so far)."""
    incidents: dict[str, object] = {}
    results = []
    for batch in batches:
        result = fuse_hotspots(batch, list(incidents.values()), config=config)
        incidents.update({inc.incident_id: inc for inc in result.incidents})
        results.append(result)
    return results, incidents


def kinds(result) -> list[str]:
    return [t.kind for t in result.transitions]


# --- confirmation -------------------------------------------------------------------------------------------------

def test_one_look_is_a_candidate_and_a_second_look_confirms():
    (first, second), incidents = run([hotspot("a", "f1")], [hotspot("b", "f2", 10, east_m=3)])
    assert kinds(first) == ["created"] and first.incidents[0].state == "candidate"
    assert first.incidents[0].confidence_class == "nominal"
    assert kinds(second) == ["confirmed"]
    (incident,) = incidents.values()
    assert incident.state == "confirmed" and incident.confirmed_at == T0 + timedelta(seconds=10)
    assert incident.look_count == 2 and incident.hotspot_count == 2 and incident.confidence_class == "high"
    assert incident.confidence == pytest.approx(1 - 0.4**2)  # noisy-OR of two independent 0.6 looks
    assert second.assignments == {"b": incident.incident_id}
    assert second.transitions[0].reason == "seen in 2 looks"


def test_two_hotspots_of_one_frame_are_one_look():
    (result,), _ = run([hotspot("a", "f1"), hotspot("b", "f1", east_m=15)])
    (incident,) = result.incidents
    assert incident.state == "candidate" and incident.look_count == 1 and incident.hotspot_count == 2
    assert kinds(result) == ["created"]  # one snapshot per look, refreshed with the second hotspot
    assert result.history[0]["hotspot_count"] == 2


def test_two_sources_confirm_even_when_more_looks_are_required():
    config = FusionConfig(confirm_min_looks=3)
    (_, second), incidents = run([hotspot("a", "f1")],
                                 [hotspot("b", "cam-f1", 5, source_id="tower-7", source_kind="fixed",
                                          location_uncertainty_m=20.0)], config=config)
    assert kinds(second) == ["confirmed"] and "2 sources" in second.transitions[0].reason
    (incident,) = incidents.values()
    assert incident.sources == ["drone-1", "tower-7"] and incident.source_kinds == ["drone", "fixed"]


def test_one_high_confidence_look_of_a_large_saturated_cluster_confirms():
    big = dict(confidence_class="high", confidence=0.9, pixel_count=25, saturated_fraction=0.2)
    (result,), _ = run([hotspot("a", "f1", **big)])
    assert kinds(result) == ["created", "confirmed"] and result.incidents[0].state == "confirmed"
    for weaker in (dict(big, pixel_count=8), dict(big, saturated_fraction=0.05), dict(big, confidence_class="nominal")):
        (result,), _ = run([hotspot("a", "f1", **weaker)])
        assert result.incidents[0].state == "candidate", weaker


def test_masked_only_incident_never_confirms_but_unmasked_evidence_does():
    masked = dict(masked=True, mask_name="steelworks")
    looks = [[hotspot(f"m{i}", f"f{i}", 60 * i, **masked)] for i in range(4)]
    big = dict(confidence_class="high", pixel_count=25, saturated_fraction=0.5)
    results, incidents = run(*looks, [hotspot("m9", "f9", 300, source_id="tower-7", **masked, **big)])
    (incident,) = incidents.values()
    assert incident.masked and incident.state == "candidate" and incident.look_count == 5
    assert incident.confirmed_at is None and incident.confidence_class == "high"  # the detector's, yet masked
    assert not any(t.kind == "confirmed" for r in results for t in r.transitions)

    # a masked look plus one unmasked look is only ONE look of evidence
    (_, second), incidents = run([hotspot("m1", "f1", **masked)], [hotspot("u1", "f2", 60)])
    assert kinds(second) == ["updated"] and not next(iter(incidents.values())).masked
    (_, _, third), _ = run([hotspot("m1", "f1", **masked)], [hotspot("u1", "f2", 60)], [hotspot("u2", "f3", 120)])
    assert kinds(third) == ["confirmed"]


def test_masked_evidence_does_not_lift_an_unmasked_incident_s_class():
    (_, second), _ = run([hotspot("m", "f1", masked=True, confidence=0.9, confidence_class="high")],
                         [hotspot("u", "f2", 10, confidence=0.25, confidence_class="low")])
    (incident,) = second.incidents
    assert not incident.masked and incident.confidence == pytest.approx(0.25)
    assert incident.confidence_class == "low"


def test_incidents_made_elsewhere_without_bookkeeping_still_fuse():
    lon, lat = offset(20.0, 0.0)
    seeded = Incident(incident_id="inc-seeded", state="active", first_seen=T0, last_seen=T0, lat=lat, lon=lon,
                      perimeter=None, area_m2=0.0, max_frp_kw=5.0, max_temp_k=600.0, confidence=0.9,
                      confidence_class="high", sources=["drone-9"], source_kinds=["drone"], look_count=3,
                      hotspot_count=3, confirmed_at=T0)
    result = fuse_hotspots([hotspot("a", "f1", 60)], [seeded], config=CFG)
    (incident,) = result.incidents
    assert result.assignments == {"a": "inc-seeded"} and incident.hotspot_count == 4
    # measured from the handed-over values: FRP 5 -> 10 kW doubled, and drone-1 is a new source
    assert [t.kind for t in result.transitions] == ["escalated"]
    reason = result.transitions[0].reason
    assert "new source drone-1" in reason and "FRP grew 5.0 → 10.0 kW" in reason
    assert incident.perimeter["type"] == "Polygon" and seeded.perimeter is None


# --- where and when hotspots fuse ----------------------------------------------------------------------------------

def test_fusion_radius_is_three_sigma_with_a_30_m_floor():
    # Two 5 m circles (sigma = 5 m, no footprints): gap = centre distance - 2 x 5 m; radius = max(3 x 5, 30) = 30 m.
    (_, near), _ = run([hotspot("a", "f1")], [hotspot("b", "f2", 10, east_m=39.0)])
    assert kinds(near) == ["confirmed"]
    (_, far), incidents = run([hotspot("a", "f1")], [hotspot("b", "f2", 10, east_m=41.0)])
    assert kinds(far) == ["created"] and len(incidents) == 2
    # sigma 20 m on the new hotspot: radius = 60 m; gap = 70 - 5 - 20 = 45 m fuses.
    (_, wide), _ = run([hotspot("a", "f1")], [hotspot("b", "f2", 10, east_m=70.0, location_uncertainty_m=20.0)])
    assert kinds(wide) == ["confirmed"]


def test_radius_is_capped_for_satellite_pixels():
    sat = dict(source_id="viirs", source_kind="satellite", location_uncertainty_m=1000.0)
    # radius = min(3 x 1000, 1500) = 1500 m; the circles are 1000 m each: gap = 3600 - 2000 = 1600 m > 1500 m
    (_, result), incidents = run([hotspot("a", "s1", **sat)], [hotspot("b", "s2", 10, east_m=3600.0, **sat)])
    assert kinds(result) == ["created"] and len(incidents) == 2
    (_, result), _ = run([hotspot("a", "s1", **sat)], [hotspot("b", "s2", 10, east_m=3400.0, **sat)])
    assert kinds(result) == ["confirmed"]


def test_unlocated_hotspots_never_fuse():
    (result,), incidents = run([hotspot("a", "f1", lat=None, lon=None), hotspot("b", "f2", lat=float("nan"))])
    assert result.assignments == {} and incidents == {} and result.transitions == []


def test_a_candidate_not_seen_again_in_time_closes_unconfirmed():
    (_, late), incidents = run([hotspot("a", "f1")], [hotspot("b", "f2", QUIET_S + 100)])
    assert kinds(late) == ["closed", "created"]
    old, new = late.incidents
    assert old.state == "closed" and old.confirmed_at is None
    assert old.closed_at == T0 + timedelta(seconds=QUIET_S)
    assert new.state == "candidate" and late.assignments == {"b": new.incident_id}
    (_, in_time), _ = run([hotspot("a", "f1")], [hotspot("b", "f2", QUIET_S - 100)])
    assert kinds(in_time) == ["confirmed"]


def test_satellite_revisits_are_awaited_longer_than_drone_looks():
    sat = dict(source_id="viirs-noaa20", source_kind="satellite", location_uncertainty_m=200.0)
    twelve_hours = 12 * 3600
    (_, second), _ = run([hotspot("a", "s1", **sat)], [hotspot("b", "s2", twelve_hours, **sat)])
    assert kinds(second) == ["confirmed"]  # the next overpass confirms (quiet after 14 h for satellites)
    (_, second), _ = run([hotspot("a", "d1")], [hotspot("b", "d2", twelve_hours)])
    assert kinds(second) == ["closed", "created"]  # a drone candidate expired long before
    # an incident seen by a drone and a satellite waits for the slower source
    (_, both), incidents = run([hotspot("a", "d1"), hotspot("b", "s1", 1, **sat)], [])
    changed, transitions = advance_time(list(incidents.values()), T0 + timedelta(hours=13), config=CFG)
    assert transitions == []
    changed, transitions = advance_time(list(incidents.values()), T0 + timedelta(hours=15), config=CFG)
    assert [t.kind for t in transitions] == ["quiet"]


def test_a_hotspot_bridging_two_incidents_merges_them_into_the_most_advanced():
    west = [hotspot("w1", "f1", east_m=-60), hotspot("e1", "f1", east_m=60)]
    (first, second, third), incidents = run(west, [hotspot("w2", "f2", 10, east_m=-60)],
                                            [hotspot("mid", "f3", 20, east_m=0, location_uncertainty_m=28.0)])
    assert len(first.incidents) == 2  # 120 m apart: two candidates
    west_id, east_id = first.assignments["w1"], first.assignments["e1"]
    assert kinds(second) == ["confirmed"] and second.incidents[0].incident_id == west_id
    # 'mid' has no footprint: its shape is its 28 m uncertainty circle, whose gap to each 5 m circle is
    # 60 - 5 - 28 = 27 m <= merge_max_gap_m (30 m): it bridges both, they are one fire
    assert third.merges == {east_id: west_id} and third.assignments == {"mid": west_id}
    merged = incidents[east_id]
    assert merged.state == "closed" and merged.extra["merged_into"] == west_id
    keep = incidents[west_id]
    assert keep.hotspot_count == 4 and keep.look_count == 3 and keep.extra["merged"] == [east_id]
    # the merged perimeter (two 5 m circles + the 28 m circle ≈ 2600 m²) is > 2x the 80 m² at confirmation
    assert [(t.incident_id, t.kind, t.from_state, t.to_state) for t in third.transitions] == [
        (east_id, "closed", "candidate", "closed"), (west_id, "escalated", "confirmed", "active")]
    assert "area grew" in third.transitions[1].reason and "merged into" in third.transitions[0].reason


def test_an_uncertain_hotspot_near_two_fires_joins_the_likeliest_and_keeps_them_apart():
    # A tower hotspot located on the DEM is uncertain by ~150 m along its line of sight (DESIGN.md §4): it is
    # within reach of both fires but bridges neither; it joins the nearer one and does not glue them together.
    (first, second), incidents = run([hotspot("w1", "f1", east_m=-150), hotspot("e1", "f1", east_m=150)],
                                     [hotspot("tower", "t1", 10, east_m=110, source_id="tower-1",
                                              source_kind="fixed", location_uncertainty_m=150.0)])
    west_id, east_id = first.assignments["w1"], first.assignments["e1"]
    assert second.merges == {} and second.assignments == {"tower": east_id}
    assert incidents[west_id].state != "closed"


# --- the state timeline ----------------------------------------------------------------------------------------------

def test_confirmed_then_active_quiet_reignited_closed_reignited():
    (_, _, third), incidents = run([hotspot("a", "f1")], [hotspot("b", "f2", 10)], [hotspot("c", "f3", 20)])
    assert [(t.from_state, t.to_state, t.kind) for t in third.transitions] == [("confirmed", "active", "updated")]

    quiet_at = T0 + timedelta(seconds=20 + QUIET_S)
    changed, transitions = advance_time(list(incidents.values()), quiet_at + timedelta(seconds=1), config=CFG)
    assert [(t.kind, t.to_state, t.time) for t in transitions] == [("quiet", "quiet", quiet_at)]
    assert advance_time(list(incidents.values()), quiet_at, config=CFG) == ([], [])  # not yet

    result = fuse_hotspots([hotspot("d", "f4", 20 + QUIET_S + 60)], changed, config=CFG)
    assert [(t.from_state, t.to_state, t.kind) for t in result.transitions] == [("quiet", "active", "reignited")]

    reopened = result.incidents
    close_at = reopened[0].last_seen + timedelta(seconds=CLOSE_S)
    closed, transitions = advance_time(reopened, close_at + timedelta(hours=1), config=CFG)
    assert [t.kind for t in transitions] == ["quiet", "closed"] and closed[0].closed_at == close_at
    assert [row["event"] for row in history_rows(closed, transitions)] == ["quiet", "closed"]
    assert [row["state"] for row in history_rows(closed, transitions)] == ["quiet", "closed"]

    seconds_after_close = (close_at - T0).total_seconds()
    again = fuse_hotspots([hotspot("e", "f5", seconds_after_close + 3600)], closed, config=CFG)
    assert [(t.from_state, t.to_state, t.kind, t.sequence) for t in again.transitions] == [
        ("closed", "active", "reignited", 2)]
    assert again.incidents[0].closed_at is None

    too_late = fuse_hotspots([hotspot("e", "f5", seconds_after_close + CFG.reignite_window_s + 60)], closed,
                             config=CFG)
    assert kinds(too_late) == ["created"] and too_late.incidents[0].incident_id != closed[0].incident_id


def test_escalation_on_frp_or_area_doubling_and_on_a_new_source():
    first, second = [hotspot("a", "f1")], [hotspot("b", "f2", 10)]
    (_, _, hot), _ = run(first, second, [hotspot("c", "f3", 20, frp_kw=25.0)])
    assert kinds(hot) == ["escalated"] and "FRP grew 10.0 → 25.0 kW" in hot.transitions[0].reason
    (_, _, mild), _ = run(first, second, [hotspot("c", "f3", 20, frp_kw=19.0)])
    assert kinds(mild) == ["updated"]
    # area: two 5 m circles almost coincide (~80 m²); a 20 m circle 10 m away makes it > 1257 m² (≥ 2x).
    (_, _, grown), _ = run(first, second, [hotspot("c", "f3", 20, east_m=10, location_uncertainty_m=20.0)])
    assert kinds(grown) == ["escalated"] and "area grew" in grown.transitions[0].reason
    (_, _, tower, tower2), _ = run(first, second, [hotspot("c", "t1", 20, source_id="tower-7")],
                                   [hotspot("d", "t2", 30, source_id="tower-7", frp_kw=50.0)])
    assert "new source tower-7" in tower.transitions[0].reason
    assert [(t.kind, t.sequence) for t in tower2.transitions] == [("escalated", 2)]
    assert tower2.transitions[0].key == f"{tower2.incidents[0].incident_id}:escalated:2"


# --- geometry ---------------------------------------------------------------------------------------------------------

def test_perimeter_is_the_union_of_footprints_and_area_is_metric():
    # Hand calculation: two 10 m squares side by side = 200 m²; overlapping by half = 150 m².
    (result,), _ = run([hotspot("a", "f1", footprint=square(0, 0)), hotspot("b", "f1", footprint=square(10, 0))])
    assert result.incidents[0].area_m2 == pytest.approx(200.0, rel=1e-3)
    assert result.incidents[0].perimeter["type"] == "Polygon"
    (result,), _ = run([hotspot("a", "f1", footprint=square(0, 0)), hotspot("b", "f1", footprint=square(5, 0))])
    assert result.incidents[0].area_m2 == pytest.approx(150.0, rel=1e-3)
    # apart by 100 m (sigma 50 m -> radius 150 m): one incident, two parts, 200 m²
    (result,), _ = run([hotspot("a", "f1", footprint=square(0, 0), location_uncertainty_m=50.0),
                        hotspot("b", "f1", footprint=square(110, 0), location_uncertainty_m=50.0)])
    (incident,) = result.incidents
    assert incident.perimeter["type"] == "MultiPolygon" and incident.area_m2 == pytest.approx(200.0, rel=1e-3)


def test_perimeter_rings_follow_the_right_hand_rule():
    clockwise = square(0, 0)
    clockwise["coordinates"][0].reverse()
    (result,), _ = run([hotspot("a", "f1", footprint=clockwise)])
    ring = result.incidents[0].perimeter["coordinates"][0]
    signed_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    assert signed_area > 0  # counter-clockwise exterior (RFC 7946 §3.1.6)


def test_a_hotspot_without_footprint_stands_as_its_uncertainty_circle():
    (result,), _ = run([hotspot("a", "f1", location_uncertainty_m=10.0)])
    # 32-gon inscribed in a 10 m circle: (32/2)·r²·sin(2π/32) = 312.1 m²
    assert result.incidents[0].area_m2 == pytest.approx(16 * 100 * 0.19509032, rel=2e-3)


def test_location_follows_the_latest_look_weighted_by_area():
    # look 1 at the origin; look 2: 20 m² at 10 m east and 60 m² at 30 m east (same sigma) -> (200 + 1800) / 80 = 25 m
    (_, second), _ = run([hotspot("a", "f1")], [hotspot("b", "f2", 10, east_m=10.0, area_m2=20.0),
                                                hotspot("c", "f2", 10, east_m=30.0, area_m2=60.0)])
    (incident,) = second.incidents
    _, _, dist = GEOD.inv(LON0, LAT0, incident.lon, incident.lat)
    assert dist == pytest.approx(25.0, abs=0.05)
    # an older look arriving late does not move it back
    late = fuse_hotspots([hotspot("d", "f0", -5, east_m=-20.0)], [incident], config=CFG)
    assert (late.incidents[0].lon, late.incidents[0].lat) == (incident.lon, incident.lat)


def test_centroid_is_inverse_variance_weighted():
    # sigma 5 m at the origin, sigma 10 m 40 m east: weights 1/25 and 1/100 -> 40 · (1/100) / (1/25 + 1/100) = 8 m east
    (result,), _ = run([hotspot("a", "f1"), hotspot("b", "f1", east_m=40.0, location_uncertainty_m=10.0)])
    (incident,) = result.incidents
    _, _, dist = GEOD.inv(LON0, LAT0, incident.lon, incident.lat)
    assert dist == pytest.approx(8.0, abs=0.05)


# --- determinism, inputs, config --------------------------------------------------------------------------------------

def test_ids_are_deterministic_and_inputs_are_not_mutated():
    (first,), incidents = run([hotspot("a", "f1")])
    (incident,) = first.incidents
    assert incident.incident_id == "inc-" + stable_id("a")
    before = copy.deepcopy(incident)
    again = fuse_hotspots([hotspot("b", "f2", 10)], [incident], config=CFG)
    assert incident == before and again.incidents[0] is not incident
    assert fuse_hotspots([hotspot("b", "f2", 10)], [before], config=CFG) == again


def test_transition_keys_are_unique_across_a_long_run():
    batches = [[hotspot(f"h{i}", f"f{i}", 60 * i, frp_kw=10.0 * 2 ** i)] for i in range(6)]
    results, _ = run(*batches)
    keys = [t.key for r in results for t in r.transitions]
    assert len(keys) == len(set(keys))
    assert isinstance(results[0].transitions[0], Transition)


def test_confidence_grows_with_unmasked_looks_only():
    looks = [[hotspot(f"h{i}", f"f{i}", 10 * i, confidence=0.25, confidence_class="low")] for i in range(3)]
    results, _ = run(*looks)
    # noisy-OR: 1 - 0.75^n -> 0.25, 0.4375, 0.578; classes low < 0.3 <= nominal < 0.8 <= high (MODIS C6)
    assert [r.incidents[0].confidence for r in results] == pytest.approx([0.25, 0.4375, 1 - 0.75**3])
    assert [r.incidents[0].confidence_class for r in results] == ["low", "nominal", "nominal"]
    masked = dict(masked=True, confidence=0.25, confidence_class="low")
    results, _ = run([hotspot("m0", "f0", **masked)], [hotspot("m1", "f1", 10, **masked)])
    assert results[-1].incidents[0].confidence == pytest.approx(0.25)


def test_inconsistent_config_is_refused():
    with pytest.raises(ValidationError, match="close_after_s"):
        FusionConfig(quiet_after_s={"drone": 3600, "fixed": 60, "satellite": 60},
                     close_after_s={"drone": 1800, "fixed": 600, "satellite": 600})
    with pytest.raises(ValidationError, match="'satellite' is missing"):
        FusionConfig(quiet_after_s={"drone": 60, "fixed": 60}, close_after_s={"drone": 600, "fixed": 600})
    with pytest.raises(ValidationError, match="min_radius_m"):
        FusionConfig(min_radius_m=2000)
    with pytest.raises(ValidationError):
        FusionConfig(confirm_min_looks=1)


# --- fixed cameras and sun-heated surfaces ---------------------------------------------------------------------------

def _tower(name: str, frame_id: str, seconds: float, **overrides) -> Hotspot:
    fields = dict(source_id="tower-1", source_kind="fixed", max_temp_k=320.0, mean_temp_k=318.0,
                  background_temp_k=300.0, frp_kw=2.0, confidence=0.6, confidence_class="nominal",
                  location_uncertainty_m=10.0)
    fields.update(overrides)
    return hotspot(name, frame_id, seconds, **fields)


def test_a_static_warm_spot_seen_by_one_tower_never_confirms():
    # a sub-pixel roof at 47 °C on every sweep of one tower: the same signal look after look
    batches = [[_tower(f"t{i}", f"sweep{i}", 300 * i, frp_kw=2.0 + 0.1 * (i % 2))] for i in range(5)]
    results, incidents = run(*batches)
    (incident,) = incidents.values()
    assert incident.confirmed_at is None and all("confirmed" not in kinds(r) for r in results)


def test_a_growing_spot_seen_by_one_tower_confirms_once_it_has_grown():
    results, incidents = run([_tower("t0", "sweep0", 0, frp_kw=2.0)], [_tower("t1", "sweep1", 300, frp_kw=2.4)],
                             [_tower("t2", "sweep2", 600, frp_kw=3.2)])
    assert [kinds(r) for r in results] == [["created"], ["updated"], ["confirmed"]]  # 1.2× is noise, 1.6× growth
    assert "growing" in results[2].transitions[0].reason


def test_a_tower_hotspot_beyond_the_sun_confirms_on_the_second_look():
    results, _ = run([_tower("t0", "sweep0", 0, max_temp_k=380.0)], [_tower("t1", "sweep1", 300, max_temp_k=385.0)])
    assert kinds(results[1]) == ["confirmed"] and "2 looks" in results[1].transitions[0].reason
