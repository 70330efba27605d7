"""The demo: synthetic scenario → the whole pipeline → alerts to a real local receiver → scored against truth.

``run_demo(out_dir)`` is what ``firewatch demo`` (and ``make demo``) runs before it starts the dashboard. Everything
it makes stays in ``out_dir``: the scenario (frames, DEM, truth), ``firewatch.toml``, ``firewatch.db``, the alerts
the receiver got (``alerts_received.jsonl``) and suggested flight plans (``plans/``).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
import httpx
from tqdm import tqdm

from alerts.receiver import ReceivedEvent, make_receiver
from alerts.worker import deliver_due
from firewatch.config import FirewatchConfig, load_config
from firewatch.evaluation import Evaluation, evaluate_store
from firewatch.pipeline import FrameOutcome, Pipeline, expand_inputs
from firewatch.scenario import Scenario, ScenarioConfig, generate_scenario
from firewatch.store import Store

DB_NAME = "firewatch.db"
RECEIVER_NAME = "demo-receiver"


@dataclass
class DemoReport:
    out_dir: Path
    scenario: Scenario
    config_path: Path
    db_url: str
    outcomes: list[FrameOutcome]
    evaluation: Evaluation
    received: list[ReceivedEvent] = field(default_factory=list)
    plans: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        counts = {s: sum(1 for o in self.outcomes if o.status == s) for s in ("accepted", "skipped", "quarantined")}
        hotspots = sum(o.hotspot_count for o in self.outcomes)
        lines = [
            f"frames 프레임: {counts['accepted']} accepted, {counts['skipped']} already processed, "
            f"{counts['quarantined']} quarantined; hotspots 화점: {hotspots}",
            self.evaluation.table(),
            f"alerts received and verified by the local receiver 수신·검증된 경보: {len(self.received)} "
            f"({', '.join(sorted({e.payload.get('type', '?') for e in self.received if e.payload})) or 'none'})",
        ]
        if self.plans:
            lines.append("flight plans 비행 계획: " + ", ".join(str(p) for p in self.plans))
        lines += [
            f"outputs 결과: {self.out_dir}",
            f"  database  {self.db_url}",
            f"  config    {self.config_path}",
            f"  truth     {self.scenario.truth_dir}",
        ]
        return "\n".join(lines)


def write_demo_config(scenario: Scenario, *, receiver_url: str, secret: str) -> Path:
    """Complete the scenario's ``firewatch.toml`` for the demo: the store in its folder and one webhook endpoint
    (the local receiver on loopback). Returns the file."""
    path = scenario.paths.config_toml
    db = (scenario.paths.out_dir / DB_NAME).resolve().as_posix()
    path.write_text(path.read_text(encoding="utf-8") + f"""
[store]
url = "sqlite:///{db}"

[alerts]
# The demo's receiver runs on loopback; real deployments leave this false (see docs/webhooks.md).
allow_private_networks = true

[[alerts.endpoints]]
name = "{RECEIVER_NAME}"
url = "{receiver_url}"
secret = "{secret}"
formats = ["geojson"]
""", encoding="utf-8")
    return path


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def deliver_all(store: Store, config: FirewatchConfig, *, rounds: int = 20) -> int:
    """Deliver every due alert now (a few passes, for alerts created while delivering); returns deliveries made."""
    delivered = 0
    with httpx.Client() as client:
        for _ in range(rounds):
            summary = deliver_due(store, config.alerts, client=client)
            delivered += summary.get("delivered", 0)
            if not summary.get("claimed"):
                break
    return delivered


def run_demo(out_dir: str | Path, *, scenario_config: ScenarioConfig | None = None,
             progress: bool = True) -> DemoReport:
    """Generate the scenario in ``out_dir`` and run it through the whole system; returns the report."""
    out_dir = Path(out_dir).resolve()
    scenario = generate_scenario(out_dir, scenario_config or ScenarioConfig(), progress=progress)
    db_path = out_dir / DB_NAME
    for stale in (db_path, db_path.with_name(DB_NAME + "-wal"), db_path.with_name(DB_NAME + "-shm")):
        stale.unlink(missing_ok=True)

    received: list[ReceivedEvent] = []
    secret = _new_secret()
    server = make_receiver([secret], received.append)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, name="demo-receiver", daemon=True)
    thread.start()
    try:
        config_path = write_demo_config(scenario, receiver_url=f"http://{host}:{port}/hooks/firewatch",
                                        secret=secret)
        config = load_config(config_path)
        store = Store(config.store.url)
        pipeline = Pipeline(config, store, ortho_dir=out_dir / "ortho")
        outcomes = [pipeline.process(path) for path in
                    tqdm(expand_inputs([scenario.frames_dir]), unit="frame", desc="pipeline", disable=not progress)]
        deliver_all(store, config)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    with (out_dir / "alerts_received.jsonl").open("w", encoding="utf-8") as handle:
        for event in received:
            handle.write(json.dumps({"webhook_id": event.webhook_id, "payload": event.payload},
                                    ensure_ascii=False) + "\n")
    evaluation = evaluate_store(scenario, store)
    return DemoReport(out_dir, scenario, config_path, config.store.url, outcomes, evaluation, received)
