"""``firewatch incidents`` on a real store file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import typer
from typer.testing import CliRunner

from firewatch.commands import incidents as incidents_command
from firewatch.errors import StoreError
from firewatch.store import Store
from tests.unit.firewatch.test_store import T0, ingest, make_hotspot


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Root so that `incidents` stays a sub-command, as in firewatch.cli."""

    incidents_command.register(app)
    return app


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'fw.db'}"
    store = Store(url)
    ingest(store, "f1", T0, [make_hotspot(1, "f1", T0)])
    ingest(store, "f2", T0 + timedelta(seconds=9), [make_hotspot(1, "f2", T0 + timedelta(seconds=9))])
    ingest(store, "f3", T0, [make_hotspot(1, "f3", T0, lat=37.6, masked=True, source_id="tower-7",
                                          source_kind="fixed")])
    store.close()
    return url


def test_table_shows_seoul_and_utc_times_and_the_numbers(app, db_url):
    result = CliRunner().invoke(app, ["incidents", "--db", db_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "상태 state" in lines[0] and "면적 area m²" in lines[0]
    confirmed = next(line for line in lines if "confirmed" in line)
    # 03:00:00Z is 12:00:00 in Seoul (UTC+9, no daylight saving)
    assert "2026-04-05 12:00:00 KST (2026-04-05T03:00:00Z)" in confirmed
    assert "2026-04-05 12:00:09 KST (2026-04-05T03:00:09Z)" in confirmed
    assert "37.500000, 127.000000" in confirmed and "12.0" in confirmed
    assert "0.84 high" in confirmed  # noisy-OR of two 0.6 looks: 1 - 0.4²
    masked = next(line for line in lines if "candidate" in line)
    assert "(masked)" in masked and "tower-7 [fixed]" in masked


def test_state_filter_json_and_utc_zone(app, db_url):
    result = CliRunner().invoke(app, ["incidents", "--db", db_url, "--state", "candidate", "--json"])
    assert result.exit_code == 0, result.output
    (incident,) = json.loads(result.output)
    assert incident["state"] == "candidate" and incident["masked"] is True
    assert incident["perimeter"]["type"] == "Polygon" and incident["first_seen"] == "2026-04-05T03:00:00Z"
    result = CliRunner().invoke(app, ["incidents", "--db", db_url, "--tz", "UTC", "--limit", "1"])
    assert "2026-04-05 03:00:09 UTC" in result.output and len(result.output.splitlines()) == 3
    result = CliRunner().invoke(app, ["incidents", "--db", db_url, "--state", "closed"])
    assert result.exit_code == 0 and "no incidents in state closed" in result.output


def test_bad_options_and_missing_database_are_clear_errors(app, db_url, tmp_path):
    for args, message in ((["--state", "burning"], "not one of"), (["--tz", "Mars/Olympus"], "time zone")):
        result = CliRunner().invoke(app, ["incidents", "--db", db_url, *args])
        assert isinstance(result.exception, StoreError) and message in str(result.exception)
    result = CliRunner().invoke(app, ["incidents", "--db", f"sqlite:///{tmp_path / 'absent.db'}"])
    assert isinstance(result.exception, StoreError) and "no Firewatch database" in str(result.exception)
    assert not (tmp_path / "absent.db").exists()
