"""Issue 3 and 4 acceptance on the full demo scenario (46 frames of 640×512: a drone and two towers, three growing
fires, five sun-heated decoys), through the same `run_demo` that `make demo` runs.

Every true fire becomes a confirmed incident within the first two looks that see it, located within 10 m (drone) /
50 m (fixed camera) of the visible fire's centroid in those looks; no decoy becomes an incident; every confirmed
fire's alert reaches a real loopback receiver that verifies its Standard Webhooks signature.
"""

from __future__ import annotations

import pytest

from firewatch.demo import run_demo


@pytest.mark.slow
def test_full_demo_scenario_meets_the_acceptance(tmp_path):
    report = run_demo(tmp_path / "demo", progress=False)
    evaluation = report.evaluation
    print("\n" + report.summary())
    assert len(evaluation.fires) == 3
    assert evaluation.all_fires_confirmed_within_two_looks
    assert evaluation.max_error_m("drone", first=2) <= 10.0
    assert evaluation.max_error_m("fixed", first=2) <= 50.0
    assert all(not ids for ids in evaluation.false_target_incidents.values())
    assert evaluation.spurious_incidents == []
    confirmed = {e.payload["data"]["properties"]["incident_id"] for e in report.received
                 if e.payload and e.payload["type"] == "incident.confirmed"}
    assert {f.incident_id for f in evaluation.fires} <= confirmed
    assert len({e.webhook_id for e in report.received}) == len(report.received)  # each alert once
