"""Benchmark: the operations map with a season of data, measured through a real headless Chromium.

Seeds a store with 10,000 hotspots in 500 incidents (dashboard.sample, through the real store API), starts the app
on loopback (dashboard.launcher), and measures with Debian's Chromium driven by playwright:

* interactive time: from navigation to every incident polygon drawn in Leaflet (DOM count) and the hotspot clusters
  shown, on a cold server (first session: the script's imports run) and warm (a second page load);
* refresh tick: from a click on "refresh now" to the fragment's tick counter changing in the page (the same
  fragment ``run_every`` reruns), median of several, plus the server-side duration the page reports;
* baseline measured in the same run: reading the same rows straight from the store (the floor no page can beat);
  the ratio tick / baseline says what the dashboard adds on top of the data read.

Targets (issue 6): interactive < 3 s, tick < 0.5 s. Usage: ``.venv/bin/python bench/dashboard_load.py [--incidents N]
[--hotspots-per-incident K]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.launcher import start_dashboard, wait_until_healthy  # noqa: E402
from dashboard.sample import seed_store  # noqa: E402
from firewatch.model import utc_now  # noqa: E402
from firewatch.store import Store  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load_page(browser, port: int, incidents: int) -> dict[str, float]:
    """Seconds from navigation to: the Streamlit page shown, the Leaflet map up, the first incident drawn, every
    incident drawn and the hotspot clusters shown (= interactive)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    started = time.perf_counter()
    phases = {}
    page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
    page.locator("h1").first.wait_for(timeout=120_000)
    phases["page"] = time.perf_counter() - started
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=120_000)
    phases["map"] = time.perf_counter() - started
    frame.locator("path.fw-incident").first.wait_for(timeout=120_000)
    phases["first incident"] = time.perf_counter() - started
    owner = frame.locator("body").element_handle().owner_frame()
    owner.wait_for_function(f"() => document.querySelectorAll('path.fw-incident').length >= {incidents}",
                            timeout=120_000)
    phases["all incidents"] = time.perf_counter() - started
    frame.locator(".marker-cluster").first.wait_for(timeout=120_000)
    phases["interactive"] = time.perf_counter() - started
    page.close()
    return phases


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), load-independent unlike wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tick_times(browser, port: int, repeats: int) -> tuple[list[float], list[float]]:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"http://127.0.0.1:{port}/")
    page.frame_locator(MAP_FRAME).locator(".marker-cluster").first.wait_for(timeout=120_000)
    browser_s, server_ms = [], []
    pattern = re.compile(r"\(#(\d+)\) · (\d+) ms")
    for _ in range(repeats):
        caption = page.get_by_text(pattern).first
        before = int(pattern.search(caption.inner_text()).group(1))
        started = time.perf_counter()
        page.get_by_role("button", name=re.compile("지금 갱신|Refresh now")).click()
        page.wait_for_function(
            "n => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
            ".some(e => { const m = e.innerText.match(/\\(#(\\d+)\\)/); return m && +m[1] > n; })", arg=before,
            timeout=60_000)
        browser_s.append(time.perf_counter() - started)
        server_ms.append(float(pattern.search(page.get_by_text(pattern).first.inner_text()).group(2)))
    page.close()
    return browser_s, server_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--hotspots-per-incident", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=7)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    if chromium is None:
        sys.exit("no Chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="fw-bench-dashboard-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'firewatch.db'}"
        store = Store(url)
        started = time.perf_counter()
        written = seed_store(store, incident_count=args.incidents, hotspots_per_incident=args.hotspots_per_incident,
                             now=utc_now(), spacing_m=150.0)
        seed_s = time.perf_counter() - started
        reads = []
        for _ in range(5):
            started = time.perf_counter()
            store.hotspots(limit=20_000)
            store.list_incidents()
            store.frames(status="accepted")
            reads.append(time.perf_counter() - started)
        baseline_s = statistics.median(reads)
        config = Path(tmp) / "firewatch.toml"
        config.write_text("[dashboard]\nrefresh_s = 600\n", encoding="utf-8")  # ticks driven by the benchmark
        port = _free_port()
        process = start_dashboard(url, port=port, config_path=config, log_path=Path(tmp) / "server.log")
        try:
            wait_until_healthy(port, process=process, timeout_s=120)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                cold = _load_page(browser, port, written["frames"])
                warm_runs = [_load_page(browser, port, written["frames"]) for _ in range(3)]
                warm = {key: statistics.median(run[key] for run in warm_runs) for key in cold}
                cpu_before = _cpu_s(process.pid)
                tick_s, server_ms = _tick_times(browser, port, args.ticks)
                cpu_per_tick_s = (_cpu_s(process.pid) - cpu_before) / args.ticks
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    tick_median = statistics.median(tick_s)
    print(f"store: {written['hotspots']} hotspots, {written['frames']} incidents, {written['alerts']} alerts "
          f"(seeded in {seed_s:.1f} s)")
    print(f"baseline (raw store read of the same rows, median of 5): {1000 * baseline_s:.0f} ms")
    for name, phases in (("cold server", cold), ("warm, median of 3 loads", warm)):
        detail = ", ".join(f"{key} {value:.2f} s" for key, value in phases.items())
        print(f"interactive, {name}: {phases['interactive']:.2f} s (target < 3 s)   [{detail}]")
    print(f"refresh tick through the browser (median of {len(tick_s)}): {1000 * tick_median:.0f} ms "
          f"(min {1000 * min(tick_s):.0f}, max {1000 * max(tick_s):.0f}; target < 500 ms); "
          f"server side median {statistics.median(server_ms):.0f} ms, server CPU {1000 * cpu_per_tick_s:.0f} ms/tick "
          "(page load + the tick page re-fetching includes some of the fragment's own work)")
    print(f"machine load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"ratio tick / baseline read: {tick_median / baseline_s:.1f}x")


if __name__ == "__main__":
    main()
