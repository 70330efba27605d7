"""`firewatch alerts …` commands end to end: list, replay, test, deliver, receive, new-secret."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "alerts"))
from alert_helpers import (CLI_LAUNCHER, SECRET, SECRET_2, LoopbackServer, queue_confirmed,  # noqa: E402
                           write_config)
from standardwebhooks import Webhook  # noqa: E402

from alerts.config import decode_secret  # noqa: E402
from firewatch.config import load_config  # noqa: E402
from firewatch.commands.alerts import register  # noqa: E402
from firewatch.errors import ConfigError  # noqa: E402
from firewatch.store import Store  # noqa: E402


@pytest.fixture
def cli():
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["alerts", *args])


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'firewatch.db'}"


def test_list_shows_delivery_state_and_never_secrets(cli, db, tmp_path):
    answers = iter([410])
    with LoopbackServer(lambda r: (next(answers, 200), {}, b"")) as gone, LoopbackServer(lambda r: (200, {}, b"")) \
            as ok:
        config_path = tmp_path / "firewatch.toml"
        write_config(config_path, [{"name": "gone", "url": gone.url, "secret": [SECRET, SECRET_2]},
                                   {"name": "ok", "url": ok.url, "secret": SECRET}])
        with Store(db) as store:
            (alert,) = queue_confirmed(store, load_config(config_path).alerts, 1)
        delivered = cli("deliver", "--once", "--db", db, "--config", str(config_path))
        assert delivered.exit_code == 0, delivered.output
        assert json.loads(delivered.output)["delivered"] == 1
        table = cli("list", "--db", db)
        as_json = cli("list", "--db", db, "--json")
        dead = cli("list", "--db", db, "--status", "dead")
        delivered_only = cli("list", "--db", db, "--status", "delivered")
        for result in (delivered, table, as_json, dead, delivered_only):
            assert result.exit_code == 0, result.output
            for secret in (SECRET, SECRET_2, SECRET[6:], SECRET_2[6:]):
                assert secret not in result.output
        assert alert["alert_id"] in table.output and "incident.confirmed" in table.output
        assert "→ gone: dead after 1 attempt(s) HTTP 410" in table.output
        assert "→ ok: delivered after 1 attempt(s) HTTP 200" in table.output
        assert "endpoint gone: DISABLED (410 Gone)" in table.output
        assert "KST" in table.output and "Z)" in table.output  # Asia/Seoul and UTC
        row = json.loads(as_json.output.splitlines()[0])
        assert row["alert_id"] == alert["alert_id"] and row["status"] == "dead"
        assert alert["alert_id"] in dead.output and alert["alert_id"] in delivered_only.output

        # The operator fixed the receiver: replay re-enables the endpoint and resends with the same webhook-id.
        replay = cli("replay", alert["alert_id"], "--endpoint", "gone", "--db", db)
        assert replay.exit_code == 0, replay.output
        assert "endpoint gone re-enabled" in replay.output and "1 delivery(ies) queued" in replay.output
        assert cli("deliver", "--once", "--db", db, "--config", str(config_path)).exit_code == 0
    assert [r["headers"]["webhook-id"] for r in gone.requests] == [alert["alert_id"]] * 2
    with Store(db) as store:
        assert store.alerts()[0]["status"] == "delivered"
        assert not store.endpoint_state("gone")["disabled"]


def test_bad_inputs_are_clear_errors(cli, db, tmp_path):
    with Store(db) as store:
        store.stats()
    bad_status = cli("list", "--db", db, "--status", "lost")
    assert isinstance(bad_status.exception, ConfigError) and "pending" in str(bad_status.exception)
    unknown = cli("replay", "msg_NOPE", "--db", db)
    assert unknown.exit_code != 0 and "no alert 'msg_NOPE'" in str(unknown.exception)
    both = cli("deliver", "--once", "--forever", "--db", db)
    assert "exactly one of --once" in str(both.exception)
    malformed = tmp_path / "malformed.toml"
    write_config(malformed, [{"name": "ops", "url": "https://ops:pw@dispatch.example.org/h", "secret": SECRET}])
    result = cli("deliver", "--once", "--db", db, "--config", str(malformed))
    assert isinstance(result.exception, ConfigError)
    assert "credentials" in str(result.exception) and "pw@" not in str(result.exception)
    missing = cli("test", "nope", "--config", str(malformed.with_name("absent.toml")))
    assert "configuration file not found" in str(missing.exception)


def test_receive_and_test_commands_talk_to_each_other(cli, tmp_path):
    receiver = subprocess.Popen([sys.executable, "-c", CLI_LAUNCHER, "alerts", "receive", "--port", "0",
                                 "--secret", SECRET], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = receiver.stderr.readline()
        port = int(re.search(r":(\d+)/", banner).group(1))
        good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
        write_config(good, [{"name": "lab", "url": f"http://127.0.0.1:{port}/hook", "secret": SECRET}])
        write_config(bad, [{"name": "lab", "url": f"http://127.0.0.1:{port}/hook", "secret": SECRET_2}])
        sent = cli("test", "lab", "--config", str(good))
        assert sent.exit_code == 0, sent.output
        assert re.search(r"msg_\w{26} → lab: delivered \(HTTP 200", sent.output)
        rejected = cli("test", "lab", "--config", str(bad))
        assert rejected.exit_code == 1 and "HTTP 401" in rejected.output
    finally:
        receiver.send_signal(signal.SIGINT)
        out, err = receiver.communicate(timeout=10)
    (line,) = [line for line in out.splitlines() if line.startswith("verified")]
    assert re.search(r"verified webhook-id=msg_\w{26} test incident=test-", line)


def test_new_secret_is_valid_and_random(cli):
    first, second = cli("new-secret").output.strip(), cli("new-secret").output.strip()
    assert first != second and first.startswith("whsec_")
    assert len(decode_secret(first)) == 32
    Webhook(first)  # the reference library accepts it
