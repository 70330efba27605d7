"""Batch ingest on Dask: frames analysed AND committed on ``dask.distributed`` workers, in acquisition-time order.

The files are cut into chunks of ``frames_per_task`` consecutive frames; one task per chunk analyses its frames
(read → georeference → detect, :class:`firewatch.pipeline.FrameAnalyser`) on any worker. One commit task at a time
takes every chunk analysed since the previous commit and commits its frames in input order (fuse → alerts → store,
:meth:`firewatch.pipeline.Pipeline.commit`, each frame in the store's serialised fusion unit), so hotspots,
incidents and alerts are identical to the single-process run while the workers go on analysing. A local worker has
two threads and one unit of the analysis resource: it analyses one chunk at a time and commits on its other thread
at once. The client only hands out chunks and reports outcomes: committing on the client (hash, once-only check,
fusion, store: ~8 ms per frame plus ~2 ms per Dask task) had made it the bottleneck — 2 workers ran only 1.27× as
fast as 1 on this 2-core machine; with commits on the workers 2 local workers reach 1.6× (bench/pipeline.py).

Workers therefore open the store themselves: a SQLite file on a path they can see (the same machine, or a shared
folder), or PostgreSQL; the frames must be on paths they can see too. Each worker builds its analyser and its store
connection once per configuration (kept in a per-process cache keyed by a digest of the configuration's JSON and
the store URL). A file already in the store (same SHA-256) is recognised by the worker before it is analysed and
reported skipped, so re-running a batch is cheap. A frame whose analysis raises is quarantined with the reason; a
chunk whose task fails even after a worker crash and one retry has its frames quarantined by the client; the batch
goes on. At most ``tasks_in_flight_per_worker`` analysis tasks per worker are queued ahead of the reports, so a
months-long archive does not become one giant task graph.

Local: ``workers=N`` starts a ``LocalCluster`` of N processes (the detector is numpy-bound and holds the GIL in its
Python parts, so processes scale, threads do not). Remote: ``scheduler="tcp://host:8786"`` joins an existing
cluster whose workers run the same Firewatch version and see the same file paths and store; start them with
``dask worker tcp://host:8786 --nthreads 2 --resources firewatch_analysis=1`` for the same one-analysis-plus-commits
layout (without the resource any thread runs either kind of task).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dask
from distributed import Client, LocalCluster, wait

from firewatch.config import FirewatchConfig
from firewatch.errors import FirewatchError
from firewatch.pipeline import FrameAnalyser, FrameAnalysis, FrameOutcome, Pipeline, sha256_or_none
from firewatch.store import Store
from firewatch.store.engine import sqlite_path
from ingest.errors import UnreadableFrame
from ingest.readers.source import Source

log = logging.getLogger(__name__)

#: Consecutive frames per analysis task: a Dask task costs ~2 ms of client and scheduler CPU (300 trivial tasks on
#: a local cluster), a frame's analysis ~15 ms; measured on 60-frame batches (bench/pipeline.py), 8 frames per task
#: gave 2 local workers 82 fps against 66 fps with 4 (and 50 with 1), the commits keeping up on their own thread.
DEFAULT_FRAMES_PER_TASK = 8

#: Analysis tasks queued per worker ahead of the reports: with 3 the workers stay busy while earlier chunks are
#: committed (2 local workers used 1.81–1.86 cores of 2 against 1.76–1.84 with 2 in flight; 87–88 fps against 82),
#: and at most 3 × frames_per_task frames per worker are held in memory.
DEFAULT_TASKS_IN_FLIGHT_PER_WORKER = 3

#: Seconds to wait for a remote scheduler: a reachable one answers in milliseconds; 20 s rides out a busy scheduler
#: or a slow VPN without leaving an operator staring at a silent command.
DEFAULT_CONNECT_TIMEOUT_S = 20.0

#: Dask worker resource an analysis task holds: a local worker has 2 threads and 1 unit of it, so it analyses one
#: chunk at a time on one core and commits on its other thread at once, instead of holding the (serial) commit of
#: every later frame behind an analysis (~120 ms for 8 frames).
ANALYSIS_RESOURCE = "firewatch_analysis"

#: glibc's trim threshold for local worker processes. Dask sets 64 KiB so that idle workers give memory back; the
#: analysis frees and re-allocates several MB of arrays per frame, and returning them to the system each time made
#: every frame pay for fresh page faults (worker analysis 16.4 vs 17.8 ms per frame, bench/pipeline.py). 64 MiB
#: still returns a worker's memory once a burst is over.
WORKER_MALLOC_TRIM_THRESHOLD_B = 64 << 20

#: Per-process cache on workers: (configuration digest, units, orthophoto folder) → FrameAnalyser, and
#: (configuration digest, store URL) → Pipeline (its store connection).
_ANALYSERS: dict[tuple[str, str, str | None], FrameAnalyser] = {}
_PIPELINES: dict[tuple[str, str], Pipeline] = {}


class BatchError(FirewatchError, RuntimeError):
    """The Dask cluster could not be started or reached, or its workers cannot share the store."""


def analyse_chunk(paths: Sequence[str], store_url: str, config: FirewatchConfig, config_digest: str, units: str,
                  ortho_dir: str | None = None) -> list[FrameAnalysis | None]:
    """Worker task: analyse consecutive files with this process's cached analyser; ``None`` for a file the store
    already holds (same SHA-256: skipped without analysis). Never raises for one bad frame: it is quarantined."""
    key = (config_digest, units, ortho_dir)
    analyser = _ANALYSERS.get(key)
    if analyser is None:
        analyser = _ANALYSERS[key] = FrameAnalyser(config, units=units, ortho_dir=ortho_dir)
    store = _pipeline(store_url, config, config_digest).store
    analyses: list[FrameAnalysis | None] = []
    for path in paths:
        try:
            source = Source.open(path)
        except UnreadableFrame:
            analyses.append(analyser.analyse(path))  # quarantined there, with the reason
            continue
        if store.has_frame(source.sha256):
            analyses.append(None)
            continue
        try:
            analyses.append(analyser.analyse(path, source=source))
        except Exception as exc:  # noqa: BLE001 - a bug on one frame quarantines that frame, not the batch
            log.exception("analysis of %s failed", path)
            analyses.append(FrameAnalysis(Path(path), source.sha256,
                                          reason=f"analysis failed on its Dask worker: {type(exc).__name__}: {exc}"))
    return analyses


def commit_chunk(chunks: Sequence[Sequence[FrameAnalysis | None]], paths: Sequence[str], store_url: str,
                 config: FirewatchConfig, config_digest: str) -> list[FrameOutcome]:
    """Worker task: commit consecutive chunks' analyses in order (``None``: already stored, skipped); ``paths``
    are their files, flattened."""
    pipeline = _pipeline(store_url, config, config_digest)
    analyses = [analysis for chunk in chunks for analysis in chunk]
    return [FrameOutcome(Path(path), "skipped") if analysis is None else pipeline.commit(analysis)
            for analysis, path in zip(analyses, paths)]


def _pipeline(store_url: str, config: FirewatchConfig, config_digest: str) -> Pipeline:
    key = (config_digest, store_url)
    pipeline = _PIPELINES.get(key)
    if pipeline is None:
        # The analyser of the commit side is never used for analysis: no terrain is needed to commit.
        commit_config = config.model_copy(update={"terrain": config.terrain.model_copy(
            update={"dem": None, "ground_elevation_m": None})})
        pipeline = _PIPELINES[key] = Pipeline(commit_config, Store(store_url, create=False))
    return pipeline


@contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None,
                connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> Iterator[Client]:
    """A client on a new ``LocalCluster`` (``workers`` processes × 2 threads, one analysis each at a time: see
    :data:`ANALYSIS_RESOURCE`; no dashboard) or on ``scheduler``."""
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
            environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}),
                       "MALLOC_TRIM_THRESHOLD_": WORKER_MALLOC_TRIM_THRESHOLD_B}
            # Dask's statistical profiler samples every worker thread's stack every 10 ms: ~2 % of a worker's CPU
            # (2 local workers 87–88 → 90 fps without it); its dashboard is off here anyway.
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                                  "distributed.worker.profile.enabled": False}):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=2, processes=True,
                                       resources={ANALYSIS_RESOURCE: 1}, dashboard_address=None,
                                       silence_logs=logging.ERROR)
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
                        frames_per_task: int = DEFAULT_FRAMES_PER_TASK,
                        tasks_in_flight_per_worker: int = DEFAULT_TASKS_IN_FLIGHT_PER_WORKER
                        ) -> Iterator[FrameOutcome]:
    """Process ``files`` (already in acquisition-time order) on Dask into ``pipeline.store``; yield one outcome
    per file, in that order.

    The cluster: a new local one (``workers``), a remote scheduler (``scheduler``), or an existing ``client``
    (kept open; its workers keep their loaded terrain and store connections for the next batch). Raises
    :class:`BatchError` when the store is one the workers cannot open (an in-memory SQLite database).
    """
    if client is not None:
        yield from _run(pipeline, files, client, frames_per_task, tasks_in_flight_per_worker)
        return
    with dask_client(workers=workers, scheduler=scheduler) as own_client:
        yield from _run(pipeline, files, own_client, frames_per_task, tasks_in_flight_per_worker)


def shared_store_url(store: Store) -> str:
    """The store's URL as workers must use it: a SQLite file by its absolute path (workers may run in another
    folder), the password included (workers log in too). :class:`BatchError` for an in-memory database."""
    url = store.url
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None:
            raise BatchError(f"store {store.display_url} is an in-memory database: Dask workers cannot reach it; "
                             "use a SQLite file (--db sqlite:///PATH) or PostgreSQL")
        url = url.set(database=str(path.resolve()))
    return url.render_as_string(hide_password=False)


def _run(pipeline: Pipeline, files: Sequence[Path], client: Client, frames_per_task: int,
         tasks_in_flight_per_worker: int) -> Iterator[FrameOutcome]:
    """Keep at most ``tasks_in_flight_per_worker`` analysis tasks per worker ahead of the reports; one commit task
    at a time takes every chunk analysed since the previous one, in order; yield the outcomes in input order.

    One commit in flight orders the commits without a chain of task dependencies, and lets commits grow when they
    lag (a commit waits for a free worker thread, about half an analysis, then commits all that is ready).
    A store error in a commit stops the batch (as it stops :meth:`Pipeline.process`); what was committed stays.
    """
    config = pipeline.config
    config_digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()
    store_url = shared_store_url(pipeline.store)
    units = pipeline.analyser.units
    ortho_dir = str(pipeline.analyser.ortho_dir.resolve()) if pipeline.analyser.ortho_dir is not None else None
    step = max(int(frames_per_task), 1)
    chunks = [[str(path) for path in files[start:start + step]] for start in range(0, len(files), step)]
    workers = client.scheduler_info().get("workers", {})
    worker_count = max(len(workers), 1)
    limit = max(worker_count * tasks_in_flight_per_worker, 1)
    # Workers that declare the analysis resource run one analysis at a time and keep their other thread for commits
    # (dask_client's local cluster; `dask worker --nthreads 2 --resources analysis=1` elsewhere); on others any thread
    # runs either.
    constrained = any(ANALYSIS_RESOURCE in info.get("resources", {}) for info in workers.values())
    resources = {ANALYSIS_RESOURCE: 1} if constrained else None
    batch = uuid.uuid4().hex[:12]  # task keys unique across batches sharing a client
    analyses: dict[int, object] = {}  # chunk → analysis future, until it is handed to a commit
    submitted = committed = 0  # chunks submitted for analysis / handed to a commit
    commit = None  # the commit task in flight
    while committed < len(chunks) or commit is not None:
        while submitted < len(chunks) and submitted - committed < limit:
            # retries=1: one more try on another worker after a transient failure (a worker lost under load)
            analyses[submitted] = client.submit(analyse_chunk, chunks[submitted], store_url, config, config_digest,
                                                units, ortho_dir, pure=False, retries=1, resources=resources,
                                                key=f"analyse-{batch}-{submitted}")
            submitted += 1
        if commit is not None:
            wait([commit])
            outcomes = commit.result()  # a store error raises here and stops the batch
            commit = None
            yield from outcomes
        if committed < submitted:
            wait([analyses[committed]], return_when="FIRST_COMPLETED")
        ready = []
        while committed < submitted and analyses[committed].done():
            analysed = analyses.pop(committed)
            if analysed.status != "finished":  # failed even after a retry: its frames are quarantined
                analysed = _quarantined(chunks[committed], analysed)
            ready.append((analysed, chunks[committed]))
            committed += 1
        if ready:
            commit = client.submit(commit_chunk, [a for a, _ in ready], [p for _, chunk in ready for p in chunk],
                                   store_url, config, config_digest, pure=False, priority=1,
                                   key=f"commit-{batch}-{committed}")


def _quarantined(paths: Sequence[str], future) -> list[FrameAnalysis]:
    """Quarantine analyses for a chunk whose task failed (a bug, a worker killed twice), with the error."""
    try:
        error = future.exception()
    except Exception as exc:  # noqa: BLE001 - cancelled or lost: report what is known
        error = exc
    log.warning("analysis of %s failed on its worker: %s", ", ".join(paths), error)
    # hashed so that a re-run skips the frames instead of quarantining them again
    return [FrameAnalysis(Path(path), sha256_or_none(Path(path)),
                          reason=f"analysis failed on its Dask worker: {type(error).__name__}: {error}")
            for path in paths]
