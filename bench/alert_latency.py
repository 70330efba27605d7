"""Benchmark: alert latency in watch mode — a 640×512 frame lands in the watched folder → the receiver has the alert.

    .venv/bin/python bench/alert_latency.py [--trials N] [--scenario DIR] [--settle-s S ...]

What is timed, per trial (fresh store, fresh folder, the same warm pipeline and terrain):

1. the frame that confirms the scenario's fire lands in the folder atomically (sidecar first, then ``.part`` +
   rename, as firewatch/watch.py asks writers to do) — clock starts;
2. :class:`firewatch.watch.Watcher` (its own poll and settle times) reads, georeferences, detects, fuses and stores
   it with the alert in one transaction, then wakes the delivery worker;
3. the worker signs and POSTs; the reference receiver (:mod:`alerts.receiver`, verifying with the standardwebhooks
   library) gets ``incident.confirmed`` — clock stops.

Printed: p50 / p95 / max of the end-to-end latency for each settle time, the share spent between the alert's commit
and the receiver (the alerts part), and the ratio to a numpy baseline measured in the same run (one ``frame > 400``
comparison pass over a 640×512 float32 frame). Issue 4 aims for an end-to-end p95 under 1 s on this machine.
The scenario (one fire, two drone frames of 640×512) is generated once into ``--scenario`` (default: a cache folder
under the system temp dir) because rendering takes a minute or two.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
import timeit
from pathlib import Path

import numpy as np

from alerts.config import AlertsConfig, EndpointConfig
from alerts.receiver import make_receiver
from firewatch.config import FirewatchConfig
from firewatch.pipeline import Pipeline
from firewatch.scenario import ScenarioConfig, generate_scenario
from firewatch.store import Store
from firewatch.watch import Watcher

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks published test secret
SCENARIO = ScenarioConfig(drone_passes=1, drone_route_points=1, tower_count=0, fire_count=1, duration_min=10.0)


def scenario_frames(folder: Path) -> tuple[Path, list[Path]]:
    """(DEM, drone frames in time order) of the cached benchmark scenario, generating it when absent."""
    dem = folder / "dem.tif"
    frames = sorted((folder / "frames").glob("drone-*/*.tif"))
    if not dem.exists() or not frames:
        print(f"generating the 640×512 scenario into {folder} (once; a minute or two) …", flush=True)
        generate_scenario(folder, SCENARIO)
        frames = sorted((folder / "frames").glob("drone-*/*.tif"))
    return dem, frames


def land(frame: Path, folder: Path) -> float:
    """Put ``frame`` (and its sidecar) into ``folder`` the way a writer should; returns the landing time."""
    sidecar = frame.with_name(frame.name + ".json")
    if sidecar.exists():
        shutil.copyfile(sidecar, folder / sidecar.name)
    partial = folder / (frame.name + ".part")
    shutil.copyfile(frame, partial)
    partial.rename(folder / frame.name)
    return time.perf_counter()


def confirming_frame(config: FirewatchConfig, frames: list[Path], work: Path) -> tuple[int, Pipeline, float]:
    """Index of the first frame that confirms an incident, a warm pipeline, and that frame's processing time (s)."""
    with Store(f"sqlite:///{work / 'calibrate.db'}") as store:
        pipeline = Pipeline(config, store)
        for index, frame in enumerate(frames):
            started = time.perf_counter()
            outcome = pipeline.process(frame)
            took_s = time.perf_counter() - started
            if any(t.kind == "confirmed" for t in outcome.transitions):
                return index, pipeline, took_s
    raise SystemExit("no frame of the benchmark scenario confirms a fire: the detection or fusion changed")


def trial(config: FirewatchConfig, terrain, frames: list[Path], confirm_index: int, work: Path,
          settle_s: float) -> tuple[float, float]:
    """One run; returns (end-to-end latency s, commit-to-receiver latency s)."""
    arrived: dict[str, float] = {}
    got = threading.Event()

    def on_event(event) -> None:
        if event.payload and event.payload.get("type") == "incident.confirmed":
            arrived.setdefault("t", time.perf_counter())
            got.set()

    receiver = make_receiver([SECRET], on_event)
    threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    endpoint = EndpointConfig(name="bench", url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                              secret=SECRET)
    alerts = AlertsConfig(endpoints=[endpoint], allow_private_networks=True)
    folder = work / "incoming"
    folder.mkdir()
    stop = threading.Event()
    committed: dict[str, float] = {}
    with Store(f"sqlite:///{work / 'firewatch.db'}") as store:
        pipeline = Pipeline(config.model_copy(update={"alerts": alerts}), store, terrain=terrain)
        watcher = Watcher(pipeline, folder, settle_s=settle_s)
        wake = watcher.wake.set
        pipeline.on_alerts = lambda: (committed.setdefault("t", time.perf_counter()), wake())
        runner = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        runner.start()
        try:
            for frame in frames[:confirm_index]:  # earlier looks, processed before the timed one lands
                land(frame, folder)
                deadline = time.monotonic() + 30
                while len(store.frames()) < frames.index(frame) + 1 and time.monotonic() < deadline:
                    time.sleep(0.02)
            landed = land(frames[confirm_index], folder)
            if not got.wait(30):
                raise SystemExit("the confirmed alert did not arrive within 30 s")
        finally:
            stop.set()
            runner.join(10)
            receiver.shutdown()
            receiver.server_close()
    return arrived["t"] - landed, arrived["t"] - committed["t"]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10, help="timed trials per settle time (default 10)")
    parser.add_argument("--scenario", type=Path, default=Path(tempfile.gettempdir()) / "firewatch-bench-alerts",
                        help="scenario cache folder")
    parser.add_argument("--settle-s", type=float, nargs="+", default=[0.5, 0.0],
                        help="watcher settle times to measure (0.5 s = the watcher's default)")
    args = parser.parse_args()

    dem, frames = scenario_frames(args.scenario)
    base = FirewatchConfig()
    config = base.model_copy(update={"terrain": base.terrain.model_copy(update={"dem": dem})})
    frame_k = np.random.default_rng(0).normal(295.0, 3.0, size=(512, 640)).astype(np.float32)
    timer = timeit.Timer(lambda: frame_k > 400.0)
    number, _ = timer.autorange()
    baseline_s = min(timer.repeat(repeat=5, number=number)) / number

    with tempfile.TemporaryDirectory(prefix="firewatch-bench-") as tmp:
        confirm_index, warm, process_s = confirming_frame(config, frames, Path(tmp))
        print(f"frame {frames[confirm_index].name} confirms the fire (pipeline.process: {process_s * 1000:.0f} ms, "
              f"cold); numpy baseline (640×512 comparison pass): {baseline_s * 1e6:.1f} µs")
        for settle_s in args.settle_s:
            totals, alert_parts = [], []
            for number in range(args.trials + 1):  # trial 0 warms caches and is not counted
                work = Path(tmp) / f"settle{settle_s}-{number}"
                work.mkdir()
                total_s, alert_s = trial(config, warm.analyser.terrain, frames, confirm_index, work, settle_s)
                if number:
                    totals.append(total_s)
                    alert_parts.append(alert_s)
            p50, p95 = percentile(totals, 50), percentile(totals, 95)
            print(f"settle_s={settle_s:g} (watch poll 0.25 s), {args.trials} trials: frame landed → receiver "
                  f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(totals) * 1000:.0f} ms; "
                  f"alert committed → receiver p50 {statistics.median(alert_parts) * 1000:.1f} ms, "
                  f"p95 {percentile(alert_parts, 95) * 1000:.1f} ms; "
                  f"ratio p50 / numpy baseline = {p50 / baseline_s:,.0f}")


if __name__ == "__main__":
    main()
