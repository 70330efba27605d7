"""dashboard.launcher and `firewatch dashboard`: offline-safe server options, environment, CLI help."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from dashboard.launcher import APP_PATH, dashboard_env, streamlit_command
from firewatch.commands import dashboard as command


def _option(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_server_command_is_loopback_headless_offline_and_serves_static():
    cmd = streamlit_command(port=8642)
    assert cmd[1:5] == ["-P", "-m", "streamlit", "run"] and cmd[5] == str(APP_PATH)
    assert _option(cmd, "--server.port") == "8642" and _option(cmd, "--server.address") == "127.0.0.1"
    assert _option(cmd, "--server.headless") == "true"
    assert _option(cmd, "--browser.gatherUsageStats") == "false"
    assert _option(cmd, "--server.enableStaticServing") == "true"
    assert (APP_PATH.parent / "static" / "leaflet" / "leaflet.js").is_file()  # what /app/static serves


def test_environment_carries_store_config_and_role(tmp_path):
    env = dashboard_env("sqlite:///x.db", tmp_path / "f.toml", read_only=True, base={"PYTHONPATH": "/elsewhere"})
    assert env["FIREWATCH_DB_URL"] == "sqlite:///x.db"
    assert env["FIREWATCH_CONFIG"] == str((tmp_path / "f.toml").resolve())
    assert env["FIREWATCH_DASHBOARD_READ_ONLY"] == "1"
    assert env["PYTHONPATH"].endswith(":/elsewhere")
    assert "FIREWATCH_DASHBOARD_READ_ONLY" not in dashboard_env("sqlite://", None, base={})


def _app() -> typer.Typer:
    app = typer.Typer()
    command.register(app)
    app.command("noop")(lambda: None)  # a second command so typer keeps `dashboard` as a subcommand
    return app


def test_help_teaches_with_examples_in_both_languages():
    result = CliRunner().invoke(_app(), ["dashboard", "--help"], terminal_width=120)
    assert result.exit_code == 0
    assert "--db" in result.output and "--read-only" in result.output and "firewatch dashboard --db" in result.output
    assert "상황도" in result.output


def test_bad_config_fails_before_starting_the_server(tmp_path):
    bad = tmp_path / "firewatch.toml"
    bad.write_text("[dashboard]\nrefresh_s = -1\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["dashboard", "--config", str(bad)])
    assert result.exit_code != 0 and "refresh_s" in str(result.exception)
