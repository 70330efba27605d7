"""Batch ingest on Dask: frames analysed on ``dask.distributed`` workers, committed in time order by the client.

:class:`firewatch.pipeline.FrameAnalyser` (read → georeference → detect) is stateless and picklable, so it runs on
the workers; fusion and the store stay on the client, which commits results in the input (acquisition-time) order —
buffering those that finish early — so incidents, hotspots and alerts are identical to the single-process run.

Each worker builds its analyser once per configuration (terrain and masks loaded once, kept in a per-process cache
keyed by a digest of the configuration's JSON) instead of receiving the terrain with every task. Files already in
the store are skipped by the client without being sent (same SHA-256 rule as :meth:`Pipeline.process`). A frame
whose analysis fails — even after a worker crash and one retry — is quarantined with the reason and the batch goes
on. At most ``in_flight_per_worker``
frames per worker are queued at once, so a months-long archive does not become one giant task graph.

Local: ``workers=N`` starts a ``LocalCluster`` of N processes with one thread each (the detector is numpy-bound and
holds the GIL in its Python parts, so processes scale, threads do not). Remote: ``scheduler="tcp://host:8786"``
joins an existing cluster whose workers run the same Firewatch version and see the same file paths.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from distributed import Client, LocalCluster, as_completed

from firewatch.config import FirewatchConfig
from firewatch.errors import FirewatchError
from firewatch.pipeline import FrameAnalyser, FrameAnalysis, FrameOutcome, Pipeline, file_sha256

log = logging.getLogger(__name__)

#: Frames queued per worker: 4 keeps every worker busy while the client commits (hash + fuse + store ≈ 10–20 ms
#: per frame on the client, an analysis ≈ 60 ms on a worker: bench/pipeline.py) and bounds the client's buffer of
#: out-of-order results to a few dozen small objects.
DEFAULT_IN_FLIGHT_PER_WORKER = 4

#: Seconds to wait for a remote scheduler: a reachable one answers in milliseconds; 20 s rides out a busy scheduler
#: or a slow VPN without leaving an operator staring at a silent command.
DEFAULT_CONNECT_TIMEOUT_S = 20.0

#: Per-process cache of analysers (on workers): configuration digest, units, orthophoto folder → FrameAnalyser.
_ANALYSERS: dict[tuple[str, str, str | None], FrameAnalyser] = {}


class BatchError(FirewatchError, RuntimeError):
    """The Dask cluster could not be started or reached."""


def analyse_on_worker(path: str, content_sha256: str, config: FirewatchConfig, config_digest: str,
                      units: str, ortho_dir: str | None = None) -> FrameAnalysis:
    """Worker task: analyse one file with this process's cached :class:`FrameAnalyser` for the configuration
    (``config_digest`` identifies it: the terrain is loaded on the first task of each configuration only)."""
    key = (config_digest, units, ortho_dir)
    analyser = _ANALYSERS.get(key)
    if analyser is None:
        analyser = FrameAnalyser(config, units=units, ortho_dir=ortho_dir)
        _ANALYSERS[key] = analyser
    return analyser.analyse(path, content_sha256=content_sha256)


@contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None,
                connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> Iterator[Client]:
    """A client on a new ``LocalCluster`` (``workers`` processes × 1 thread, no dashboard) or on ``scheduler``."""
    if (workers is None) == (scheduler is None):
        raise BatchError("give exactly one of workers=N (local cluster) or scheduler='tcp://HOST:PORT'")
    if not log.isEnabledFor(logging.DEBUG):
        # The scheduler of a local cluster lives in this process; its INFO lines would drown the progress bar.
        logging.getLogger("distributed").setLevel(logging.WARNING)
    try:
        if scheduler is not None:
            client = Client(scheduler, timeout=f"{connect_timeout_s}s")
            cluster = None
        else:
            if workers < 1:
                raise BatchError(f"--workers must be at least 1, got {workers}")
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
    except (OSError, RuntimeError) as exc:  # connection refused / timed out; a worker process failed to start
        where = scheduler or f"a local cluster of {workers} worker(s)"
        raise BatchError(f"cannot start or reach the Dask scheduler at {where}: {exc}; check the address "
                         "(tcp://HOST:PORT, default port 8786) and that `dask scheduler` is running") from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def analyse_distributed(pipeline: Pipeline, files: Sequence[Path], *, workers: int | None = None,
                        scheduler: str | None = None, client: Client | None = None,
                        in_flight_per_worker: int = DEFAULT_IN_FLIGHT_PER_WORKER) -> Iterator[FrameOutcome]:
    """Process ``files`` (already in acquisition-time order) on Dask; yield one outcome per file, in that order.

    The cluster: a new local one (``workers``), a remote scheduler (``scheduler``), or an existing ``client``
    (kept open; its workers keep their loaded terrain for the next batch). Analysis runs on the workers,
    :meth:`Pipeline.commit` (fuse → alerts → store) on the caller, strictly in input order. A file whose task
    raised (a bug, a worker killed) is quarantined with the error and the batch goes on.
    """
    if client is not None:
        yield from _run(pipeline, files, client, in_flight_per_worker)
        return
    with dask_client(workers=workers, scheduler=scheduler) as own_client:
        yield from _run(pipeline, files, own_client, in_flight_per_worker)


def _run(pipeline: Pipeline, files: Sequence[Path], client: Client,
         in_flight_per_worker: int) -> Iterator[FrameOutcome]:
    """Submit at most ``in_flight_per_worker`` tasks per worker, commit finished analyses in input order.

    Like :meth:`Pipeline.process`, a file already in the store (same SHA-256) is skipped without being analysed and
    an unreadable one is quarantined; both are decided here, before submitting, so re-running a batch is cheap.
    """
    config = pipeline.config
    config_digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()
    units = pipeline.analyser.units
    ortho_dir = str(pipeline.analyser.ortho_dir) if pipeline.analyser.ortho_dir is not None else None
    worker_count = max(len(client.scheduler_info().get("workers", {})), 1)
    limit = max(worker_count * in_flight_per_worker, 1)
    pending = as_completed()
    ready: dict[int, FrameAnalysis | None] = {}  # None: already stored, skip
    index_of: dict[str, int] = {}
    batch = uuid.uuid4().hex[:12]  # task keys unique across batches sharing a client
    submitted = 0

    def submit_next() -> None:
        nonlocal submitted
        index, path = submitted, files[submitted]
        submitted += 1
        try:
            sha = file_sha256(path)
        except OSError as exc:
            ready[index] = FrameAnalysis(path, None, reason=f"cannot read the file: {exc}")
            return
        if pipeline.store.has_frame(sha):
            ready[index] = None
            return
        # retries=1: one more try on another worker after a transient failure (a worker lost under load); a frame
        # that fails twice is quarantined.
        future = client.submit(analyse_on_worker, str(path), sha, config, config_digest, units, ortho_dir, pure=False,
                               retries=1, key=f"analyse-{batch}-{index}")
        index_of[future.key] = index
        pending.add(future)

    next_commit = 0
    while next_commit < len(files):
        while submitted < len(files) and len(index_of) < limit:
            submit_next()
        while next_commit in ready:
            analysis = ready.pop(next_commit)
            yield FrameOutcome(files[next_commit], "skipped") if analysis is None else pipeline.commit(analysis)
            next_commit += 1
        if next_commit < len(files) and next_commit not in ready:
            future = next(pending)  # the next frame to commit is in flight: wait for any task to finish
            index = index_of.pop(future.key)
            ready[index] = _result(future, files[index])
            future.release()


def _result(future, path: Path) -> FrameAnalysis:
    """The analysis of a finished task, or a quarantine when the task itself failed."""
    try:
        analysis = future.result()
    except Exception as exc:  # noqa: BLE001 - any failure of one frame's task quarantines that frame only
        log.warning("analysis of %s failed on its worker: %s", path, exc)
        try:
            sha = file_sha256(Path(path))  # so a re-run skips the frame instead of quarantining it again
        except OSError:
            sha = None
        return FrameAnalysis(Path(path), sha, reason=f"analysis failed on its Dask worker: "
                                                      f"{type(exc).__name__}: {exc}")
    analysis.path = Path(path)
    return analysis
