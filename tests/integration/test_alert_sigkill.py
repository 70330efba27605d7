"""A delivery process killed with SIGKILL mid-delivery, then restarted: nothing lost, duplicates only with the same
webhook-id (the claim's lease expires and the restarted worker sends the same alert again)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "alerts"))
from alert_helpers import CLI_LAUNCHER, SECRET, LoopbackServer, queue_confirmed, write_config  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

from firewatch.config import load_config  # noqa: E402
from firewatch.store import Store  # noqa: E402

#: Endpoint timeout: long enough that the worker is surely still waiting when the test kills it (the kill follows
#: the request within milliseconds); the worker's lease is max(LEASE_S, 2 × TIMEOUT_S).
TIMEOUT_S = 0.75
LEASE_S = 1.5


def _cli(*args: str, db: str, config: Path) -> list[str]:
    return [sys.executable, "-c", CLI_LAUNCHER, "alerts", *args, "--db", db, "--config", str(config)]


@pytest.mark.slow  # two worker processes and a lease to wait out: ~5 s
def test_sigkill_mid_delivery_then_restart_loses_nothing(tmp_path):
    db = f"sqlite:///{tmp_path / 'firewatch.db'}"
    received: list[str] = []
    in_flight = threading.Event()
    release = threading.Event()

    def handler(request):
        Webhook(SECRET).verify(request["body"], request["headers"])  # every message verifies
        received.append(request["headers"]["webhook-id"])
        if len(received) == 3:  # hold the third request: the worker is now mid-delivery
            in_flight.set()
            release.wait(10)
        return 200, {}, b""

    with LoopbackServer(handler) as server:
        config_path = tmp_path / "firewatch.toml"
        write_config(config_path, [{"name": "ops", "url": server.url + "/hook", "secret": SECRET,
                                    "timeout_s": TIMEOUT_S}], lease_s=LEASE_S)
        config = load_config(config_path).alerts
        with Store(db) as store:
            queued = queue_confirmed(store, config, 6)
        worker = subprocess.Popen(_cli("deliver", "--forever", "--poll-s", "0.1", db=db, config=config_path),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert in_flight.wait(20), worker.stderr.read1().decode() if worker.poll() is not None else "no request"
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
        finally:
            release.set()
            if worker.poll() is None:
                worker.kill()
        with Store(db) as store:
            stuck = [a for a in store.alerts() if a["status"] != "delivered"]
            assert stuck, "the kill should leave claimed deliveries behind"
            assert {d["status"] for a in stuck for d in a["deliveries"]} == {"delivering"}
        time.sleep(LEASE_S + 0.2)  # the dead worker's lease runs out
        restarted = subprocess.run(_cli("deliver", "--once", db=db, config=config_path), capture_output=True,
                                   text=True, timeout=60)
        assert restarted.returncode == 0, restarted.stderr
    with Store(db) as store:
        assert [a["status"] for a in store.alerts()] == ["delivered"] * 6
    expected = {a["alert_id"] for a in queued}
    assert set(received) == expected                      # nothing lost
    duplicates = {i for i in received if received.count(i) > 1}
    assert duplicates and duplicates <= expected          # duplicates only as the same webhook-id
    assert len(received) - len(expected) == len(duplicates)  # the killed one once more, nothing else
