"""Run every benchmark in bench/ and print one summary (``make bench``; under 5 minutes on the 2-core machine).

    .venv/bin/python bench/run_all.py [--budget-s 280] [--only pipeline detect ...]

Each ``bench/*.py`` except this file and the helpers runs as ``python bench/<name>.py`` with a time budget of its own
(:data:`BUDGETS_S`, else :data:`DEFAULT_BUDGET_S`, cut so that every later script keeps :data:`MIN_BUDGET_S`).
Every script's output is printed as it is; then one table: script, status, seconds, and the headline figures of
those that write ``bench/results/<name>.json`` (bench/common.py).
Exit status 1 when a script failed or ran out of time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
#: Not benchmarks: this runner and the shared helpers.
HELPERS = {"run_all", "common"}
#: Seconds each script may take. The pipeline bench renders its scenario on first use (≈ 60 s under load) and starts
#: two Dask clusters; the large-raster bench writes and reads a 1.6 GB raster. Others share the default.
BUDGETS_S = {"pipeline": 150.0, "large_raster": 150.0}
DEFAULT_BUDGET_S = 60.0
#: The least a script is given, however late it runs.
MIN_BUDGET_S = 15.0


def scripts(only: list[str] | None) -> list[Path]:
    found = sorted(p for p in BENCH.glob("*.py") if p.stem not in HELPERS and not p.stem.startswith("_"))
    return [p for p in found if only is None or p.stem in only]


def run(script: Path, budget_s: float) -> tuple[str, float, str]:
    """Run one script; return (status, seconds, combined output)."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=budget_s, cwd=BENCH.parent)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return f"timeout ({budget_s:.0f} s)", time.perf_counter() - started, output
    status = "ok" if done.returncode == 0 else f"failed ({done.returncode})"
    output = done.stdout + (f"\n[stderr]\n{done.stderr[-3000:]}" if done.returncode else "")
    return status, time.perf_counter() - started, output


def headline(name: str, since: float) -> str:
    """Key figures from bench/results/<name>.json when the script wrote it during this run."""
    path = RESULTS / f"{name}.json"
    if not path.is_file() or path.stat().st_mtime < since:
        return ""
    data = json.loads(path.read_text())
    parts = []
    stages = data.get("stages", {})
    if "end_to_end" in stages:
        parts.append(f"end-to-end {stages['end_to_end']['fps']:.1f} fps "
                     f"({stages['end_to_end']['ratio_to_numpy_pass']:.0f}× numpy pass)")
    if "detect" in stages:
        parts.append(f"detect {stages['detect']['fps']:.1f} fps")
    if "dask" in data:
        parts.append(f"dask 1→2 workers {data['dask']['speedup']:.2f}×")
    if "memory" in data and "peak_rss_mb" in data["memory"]:
        parts.append(f"peak RSS {data['memory']['peak_rss_mb']:.0f} MiB")
    if "identical_to_in_memory" in data:
        parts.append(f"identical to in-memory: {data['identical_to_in_memory']}")
    return "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=280.0, help="total time budget, s (default 280)")
    parser.add_argument("--only", nargs="*", help="run only these scripts (names without .py)")
    args = parser.parse_args()
    todo = scripts(args.only)
    started = time.perf_counter()
    rows = []
    for n, script in enumerate(todo):
        left = args.budget_s - (time.perf_counter() - started)
        reserved = MIN_BUDGET_S * len(todo[n + 1:])  # every later script keeps at least its minimum
        budget = max(min(BUDGETS_S.get(script.stem, DEFAULT_BUDGET_S), left - reserved), MIN_BUDGET_S)
        print(f"=== {script.name} (budget {budget:.0f} s) ===", flush=True)
        since = time.time()
        status, seconds, output = run(script, budget)
        print(output.rstrip(), flush=True)
        rows.append((script.stem, status, seconds, headline(script.stem, since)))
    print("\n=== summary ===")
    width = max(len(r[0]) for r in rows) if rows else 6
    for name, status, seconds, figures in rows:
        print(f"{name:<{width}}  {status:<16} {seconds:6.1f} s  {figures}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if all(r[1] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
