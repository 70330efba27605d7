"""Start the Streamlit server on the dashboard app (used by ``firewatch dashboard`` and the browser tests).

The server runs as a child process ``python -m streamlit run dashboard/app.py`` bound to loopback, headless, with
usage statistics off (otherwise the browser keeps calling out, DESIGN.md §5) and static serving on (Leaflet is served
from ``dashboard/static``). The store URL and the configuration path travel by environment variables
``FIREWATCH_DB_URL`` and ``FIREWATCH_CONFIG``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dashboard.errors import DashboardError

APP_PATH = Path(__file__).resolve().parent / "app.py"


def streamlit_command(*, port: int, address: str = "127.0.0.1", headless: bool = True) -> list[str]:
    """The command line that serves the app (``python -m streamlit run …`` with the offline-safe options)."""
    # -P: do not put the working folder on sys.path, so a stray file there (say click.py) cannot shadow a library
    return [sys.executable, "-P", "-m", "streamlit", "run", str(APP_PATH),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true" if headless else "false",
            "--browser.gatherUsageStats", "false",
            "--server.enableStaticServing", "true",
            "--server.fileWatcherType", "none",
            "--client.toolbarMode", "viewer",
            "--global.developmentMode", "false"]


def dashboard_env(db_url: str, config_path: str | Path | None, *, read_only: bool | None = None,
                  base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the server process: the caller's plus the store URL, config path and read-only flag."""
    env = dict(os.environ if base is None else base)
    env["FIREWATCH_DB_URL"] = db_url
    if config_path is not None:
        env["FIREWATCH_CONFIG"] = str(Path(config_path).resolve())
    if read_only is not None:
        env["FIREWATCH_DASHBOARD_READ_ONLY"] = "1" if read_only else "0"
    # The project root must be importable by the app however the server is started.
    root = str(APP_PATH.parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def start_dashboard(db_url: str, *, port: int, config_path: str | Path | None = None, headless: bool = True,
                    read_only: bool | None = None, log_path: Path | None = None) -> subprocess.Popen:
    """Start the server in the background and return its process (the caller stops it). It runs in the caller's
    working folder, so relative ``sqlite:///`` paths mean the same as for the caller."""
    stdout = open(log_path, "wb") if log_path is not None else subprocess.DEVNULL  # noqa: SIM115 (owned by child)
    return subprocess.Popen(streamlit_command(port=port, headless=headless),
                            env=dashboard_env(db_url, config_path, read_only=read_only),
                            stdout=stdout, stderr=subprocess.STDOUT)


def wait_until_healthy(port: int, *, process: subprocess.Popen | None = None, timeout_s: float = 60.0,
                       address: str = "127.0.0.1") -> None:
    """Block until Streamlit answers ``/_stcore/health`` with ``ok``; :class:`DashboardError` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    url = f"http://{address}:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DashboardError(f"the dashboard server exited with status {process.returncode} before answering "
                                 f"on {url}; run `firewatch dashboard` in a terminal to see its error")
        try:
            if httpx.get(url, timeout=2.0).text.strip() == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise DashboardError(f"the dashboard did not answer on {url} within {timeout_s:.0f} s")
