"""The demo scenario's confirmed fire, end to end through the real pipeline, reaches real receivers: the JSON one
verified with the standardwebhooks library, the CAP one valid against the OASIS XSD."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import xmlschema
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "alerts"))
from alert_helpers import SECRET, LoopbackServer  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

from alerts.config import AlertsConfig, EndpointConfig  # noqa: E402
from alerts.worker import deliver_due  # noqa: E402
from firewatch.config import FirewatchConfig  # noqa: E402
from firewatch.pipeline import Pipeline  # noqa: E402
from firewatch.scenario import ScenarioConfig, generate_scenario  # noqa: E402
from firewatch.store import Store  # noqa: E402


@pytest.mark.slow  # renders the small scenario and runs the whole pipeline: ~10 s on a loaded 2-core machine
def test_scenario_fire_is_alerted_and_verified(tmp_path, shared_data):
    scenario = generate_scenario(tmp_path / "scenario", ScenarioConfig.small())
    verified = []

    def receive(request):
        verified.append(Webhook(SECRET).verify(request["body"], request["headers"], json_parse=False) is None)
        return 204, {}, b""

    with LoopbackServer(receive) as geo, LoopbackServer(receive) as cap:
        alerts = AlertsConfig(endpoints=[EndpointConfig(name="geo", url=geo.url, secret=SECRET),
                                         EndpointConfig(name="cap", url=cap.url, secret=SECRET, formats=["cap"],
                                                        cap_status="Exercise")],
                              allow_private_networks=True)
        base = FirewatchConfig()
        config = base.model_copy(update={"alerts": alerts, "terrain": base.terrain.model_copy(
            update={"dem": scenario.dem_path})})
        with Store(f"sqlite:///{tmp_path / 'firewatch.db'}") as store:
            pipeline = Pipeline(config, store)
            for frame in sorted(scenario.frames, key=lambda f: f.time):
                pipeline.process(frame.path)
            confirmed = [a for a in store.alerts() if a["event_type"] == "incident.confirmed"]
            assert confirmed, "the scenario's fire should be confirmed"
            with httpx.Client() as client:
                deliver_due(store, config.alerts, client=client)
            assert all(a["status"] == "delivered" for a in store.alerts())
    assert verified and all(verified)
    geo_ids = [r["headers"]["webhook-id"] for r in geo.requests]
    assert {a["alert_id"] for a in confirmed} <= set(geo_ids)
    schema = xmlschema.XMLSchema(str(shared_data / "alerts" / "CAP-v1.2.xsd"))
    for request in cap.requests:
        schema.validate(request["body"])
        assert etree.fromstring(request["body"]).findtext("{*}status") == "Exercise"
    assert len(cap.requests) == len(geo.requests)
