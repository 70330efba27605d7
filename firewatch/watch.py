"""Watch mode: a service that picks frames up as they land in a folder and runs each through the pipeline once.

How a frame is picked up (document this for whoever writes into the folder):

* write the sidecar JSON (if any) first, then the frame, and make the frame appear **atomically**: write it as
  ``NAME.tif.part`` (or under a hidden name ``.NAME.tif``) and rename it to ``NAME.tif`` when complete — a rename
  within one file system is atomic. Partial and hidden names are ignored;
* a frame is processed once its size and modification time have not changed for ``settle_s`` seconds (a safety net
  for writers that cannot rename);
* the store remembers every processed file by the SHA-256 of its content, so a restart (or a crash, or SIGKILL)
  neither loses nor double-counts a frame: a frame is either committed with all its results in one transaction or
  not at all, and committed frames are skipped;
* a bad frame is moved to ``DIR/quarantine/`` beside a ``NAME.reason.txt`` and recorded with its reason.

Alerts are delivered by a worker thread in the same process (woken as soon as a frame stores an alert), and
incident states advance (quiet, closed) on a wall-clock tick.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from alerts.worker import run_worker
from firewatch.pipeline import FrameOutcome, Pipeline, is_frame_candidate

log = logging.getLogger(__name__)

QUARANTINE_DIRNAME = "quarantine"


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float


@dataclass
class Watcher:
    """Polls ``folder`` every ``poll_s`` seconds. ``settle_s``: how long a file must stay unchanged before it is read.

    ``tick_s``: period of the incident-state tick. ``deliver``: run the alert delivery worker in a thread.
    """

    pipeline: Pipeline
    folder: Path
    poll_s: float = 0.25
    settle_s: float = 0.5
    tick_s: float = 30.0
    deliver: bool = True
    _seen: dict[Path, _Seen] = field(default_factory=dict)
    _done: set[Path] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.quarantine_dir = self.folder / QUARANTINE_DIRNAME
        self.wake = threading.Event()
        self.pipeline.on_alerts = self.wake.set

    def scan(self, now_s: float) -> list[Path]:
        """Files ready to process now (stable for ``settle_s``), oldest modification first."""
        ready: list[tuple[int, Path]] = []
        present: set[Path] = set()
        for path in self.folder.rglob("*"):
            if QUARANTINE_DIRNAME in path.relative_to(self.folder).parts or not is_frame_candidate(path):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # moved away between listing and stat
            if not path.is_file():
                continue
            present.add(path)
            if path in self._done:
                continue
            seen = self._seen.get(path)
            if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now_s)
                if self.settle_s > 0:
                    continue
                seen = self._seen[path]
            if now_s - seen.stable_since >= self.settle_s:
                ready.append((stat.st_mtime_ns, path))
        # forget files that went away, so a new file with the same name is picked up again
        for gone in set(self._seen) - present:
            self._seen.pop(gone, None)
        self._done &= present
        return [path for _mtime, path in sorted(ready)]

    def handle(self, path: Path) -> FrameOutcome:
        """Process one ready file; quarantined files are moved aside with their reason."""
        outcome = self.pipeline.process(path)
        self._done.add(path)
        if outcome.status == "quarantined":
            self._move_to_quarantine(path, outcome.reason or "unknown reason")
        log.info("%s", outcome.line())
        return outcome

    def _move_to_quarantine(self, path: Path, reason: str) -> None:
        self.quarantine_dir.mkdir(exist_ok=True)
        target = self.quarantine_dir / path.name
        try:
            shutil.move(str(path), target)
            (self.quarantine_dir / f"{path.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
        except OSError as exc:
            log.error("could not move %s to %s: %s (it stays recorded as quarantined)", path, target, exc)

    def run(self, stop: threading.Event, *, max_frames: int | None = None) -> int:
        """Run until ``stop`` is set (or ``max_frames`` were handled); returns the number of files handled."""
        import time

        worker = None
        worker_stop = threading.Event()
        if self.deliver and self.pipeline.config.alerts.endpoints:
            worker = threading.Thread(target=run_worker, name="alert-delivery", daemon=True,
                                      args=(self.pipeline.store, self.pipeline.config.alerts, worker_stop),
                                      kwargs={"wake_event": self.wake})
            worker.start()
        handled = 0
        next_tick = time.monotonic() + self.tick_s
        log.info("watching %s (pid %d); quarantine: %s", self.folder, os.getpid(), self.quarantine_dir)
        try:
            while not stop.is_set():
                for path in self.scan(time.monotonic()):
                    self.handle(path)
                    handled += 1
                    if max_frames is not None and handled >= max_frames:
                        return handled
                if time.monotonic() >= next_tick:
                    self.pipeline.tick()
                    next_tick = time.monotonic() + self.tick_s
                stop.wait(self.poll_s)
        finally:
            worker_stop.set()
            self.wake.set()
            if worker is not None:
                worker.join(timeout=5.0)
        return handled
