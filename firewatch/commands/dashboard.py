"""``firewatch dashboard``: serve the operations map (Streamlit) on this machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import typer

from dashboard.config import load_dashboard_config
from dashboard.launcher import dashboard_env, streamlit_command
from firewatch.config import DEFAULT_CONFIG_NAME, load_config


def dashboard(
    db: str = typer.Option(None, "--db", help="Store URL (default: $FIREWATCH_DB_URL, else \\[store] url of the "
                                                "config, else sqlite:///firewatch.db). 저장소 주소."),
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="TCP port on 127.0.0.1. 포트 번호."),
    config: Path = typer.Option(None, "--config", exists=True, dir_okay=False,
                                help="firewatch.toml; its \\[dashboard] table sets refresh period, DEM hillshade, "
                                     "no-fly zones, VWorld key, read-only role. 설정 파일."),
    headless: bool = typer.Option(False, "--headless", help="Do not open a browser window. 브라우저를 열지 않음."),
    read_only: bool = typer.Option(None, "--read-only/--operator",
                                   help="Read-only session (cannot acknowledge or upload). 읽기 전용."),
) -> None:
    """Serve the operations map at http://127.0.0.1:PORT (Ctrl-C stops it). 산불 상황도를 띄웁니다.

    The map shows incidents (perimeters coloured by state, opacity by confidence), hotspots sized by FRP (kW),
    fixed-camera views, drone footprints, the latest thermal orthophoto (°C legend), no-fly zones and the suggested
    flight path. It works offline: Leaflet is served locally and the DEM hillshade needs no internet.

    Examples:

      firewatch dashboard --db sqlite:///demo-out/firewatch.db --config demo-out/firewatch.toml

      firewatch dashboard --port 8600 --headless --read-only     # wall display, no acknowledging
    """
    if config is None and os.environ.get("FIREWATCH_CONFIG"):
        config = Path(os.environ["FIREWATCH_CONFIG"])
    if config is None and Path(DEFAULT_CONFIG_NAME).is_file():
        config = Path(DEFAULT_CONFIG_NAME)           # ./firewatch.toml, passed on as an absolute path
    load_dashboard_config(config)  # fail here, with the file named, rather than inside the browser
    url = db or load_config(config).store.url
    command = streamlit_command(port=port, headless=headless)
    typer.echo(f"Firewatch dashboard: http://127.0.0.1:{port}  (store {url}; Ctrl-C to stop / 종료)")
    try:
        subprocess.run(command, env=dashboard_env(url, config, read_only=read_only), check=False)
    except KeyboardInterrupt:
        pass


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
