"""The background writer: one thread per database that batches the pipelines' operations.

Scrapy runs on the reactor thread, which must never wait on disk or network. The pipelines
only put *operations* (a page, an article, a failure) on a bounded queue; the writer thread
takes up to ``batch_size`` of them at a time and has them written as **one transaction**
by a :class:`~crawler.storage.batches.BatchWriter` (see there for retries, isolation of a
bad operation and crash safety), either

* in a **child process** (:class:`~crawler.storage.worker.WriterProcess`; the default for
  crawls, ``ARCHIVE_WRITER_PROCESS``): the thread only pickles batches and waits on a pipe,
  so the database work never competes with the reactor for the GIL; or
* in the thread itself (``process=False``): for callers whose engine factory cannot be
  pickled, and small tools.

:meth:`StorageWriter.flush` waits until everything queued before it is committed;
:meth:`StorageWriter.close` also closes the crawl run (and stops the thread when the writer
owns it).

Each :class:`StorageWriter` is one ``crawl_runs`` row; several may share one thread and
backend (:func:`acquire` does so for all crawlers of a process on one database), their
operations then going into the same transactions, each under its own run.

The engine is created (and the schema migrated) by the backend, and the ``crawl_runs`` row is
opened there too, so nothing of this touches the reactor either.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler.storage.batches import BatchWriter, Committed, Failed, Retried
from crawler.storage.tables import utcnow
from crawler.storage.worker import WriterProcess

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from sqlalchemy import Engine

    from crawler.storage.articles import StoreResult
    from crawler.storage.batches import Operation

logger = logging.getLogger(__name__)


@dataclass
class _Stop:
    status: str
    stats: dict[str, Any] | None
    done: threading.Event
    run: StorageWriter


class _WriterThread:
    """The thread, queue and backend behind one or more :class:`StorageWriter` runs.

    Queue entries are ``(kind, payload, seen_at, run)``; a batch may mix the operations of
    several runs (crawlers sharing the process' writer) and is still one transaction.
    """

    def __init__(
        self,
        engine_factory: Callable[[], Engine],
        *,
        batch_size: int,
        threshold: float | None,
        queue_size: int | None,
        process: bool = False,
    ) -> None:
        self.batch_size = max(1, batch_size)
        self.threshold = threshold
        self.process = process
        self.queue: queue.Queue[tuple[str, Any, datetime, Any]] = queue.Queue()
        self.backlog_limit = queue_size or 4 * self.batch_size
        self.room = threading.Condition()
        self.backend: BatchWriter | WriterProcess | None = None
        self.fatal: BaseException | None = None
        self.initial_runs: list[StorageWriter] = []
        self._engine_factory = engine_factory
        self.thread = threading.Thread(target=self._main, name="archive-writer", daemon=True)
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if not self.thread.is_alive() and self.thread.ident is None:
                self.thread.start()

    def put(self, kind: str, payload: Any, run: Any) -> None:
        self.queue.put((kind, payload, utcnow(), run))

    def full(self) -> bool:
        return self.queue.qsize() >= self.backlog_limit

    def wait_for_room(self, timeout: float | None) -> bool:
        with self.room:
            return self.room.wait_for(
                lambda: not self.full() or not self.thread.is_alive(), timeout
            )

    def stop(self, timeout: float = 600) -> None:
        """Write what is queued, then end the thread (blocking)."""
        done = threading.Event()
        self.queue.put(("stop", done, utcnow(), None))
        if self.thread.ident is not None:
            done.wait(timeout)
            self.thread.join(timeout)

    # --- the thread ------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            # The child process is started from this thread: on Linux it dies with it.
            backend = WriterProcess if self.process else BatchWriter
            self.backend = backend(self._engine_factory, self.threshold)
        except BaseException as exc:  # keep draining so producers never hang
            logger.exception("archive storage unavailable: nothing will be stored")
            self.fatal = exc
        for run in self.initial_runs:
            self._open(run)
        while True:
            batch, control = self._next_batch()
            with self.room:
                self.room.notify_all()
            if batch:
                self._write(batch)
            if control is None:
                continue
            kind, payload, _, _ = control
            if kind == "flush":
                payload.set()
            elif kind == "open":
                self._open(payload)
            elif kind == "close":
                self._close(payload)
            elif kind == "stop":
                with self.room:
                    self.room.notify_all()
                if self.backend is not None:
                    self.backend.dispose()
                payload.set()
                return

    def _open(self, run: StorageWriter) -> None:
        if self.backend is None:
            return
        try:
            run.run_id = self.backend.open_run(run.spiders, run.mode)
        except BaseException as exc:
            logger.exception("could not open a crawl run: nothing will be stored for it")
            run.fatal = exc

    def _next_batch(self) -> tuple[list[tuple[str, Any, datetime, Any]], Any]:
        """Up to ``batch_size`` items (articles, failures) with the page records queued among
        them (at most ``4 * batch_size`` operations), and the control operation that ended it.
        """
        batch: list[tuple[str, Any, datetime, Any]] = []
        items = 0
        op = self.queue.get()
        while True:
            if op[0] in ("flush", "stop", "open", "close"):
                return batch, op
            batch.append(op)
            if op[0] != "page":
                items += 1
            if items >= self.batch_size or len(batch) >= 4 * self.batch_size:
                return batch, None
            try:
                op = self.queue.get_nowait()
            except queue.Empty:
                return batch, None

    def _write(self, ops: list[tuple[str, Any, datetime, Any]]) -> None:
        groups: dict[int, tuple[StorageWriter, list[Operation]]] = {}
        for kind, payload, seen_at, run in ops:
            if self.backend is None or run.fatal is not None:
                run.counts["lost"] += 1
                continue
            groups.setdefault(id(run), (run, []))[1].append((kind, payload, seen_at))
        if not groups or self.backend is None:
            return
        runs = list(groups.values())
        try:
            events = self.backend.write([(run.run_id, group) for run, group in runs])
        except Exception as exc:  # the writer process is gone: nothing more can be stored
            logger.error("archive storage failed, nothing more will be stored: %s", exc)
            self.fatal = exc
            self.backend.dispose()
            self.backend = None
            for run, group in runs:
                run.counts["lost"] += len(group)
            return
        for event in events:
            run = runs[event.group][0]
            if isinstance(event, Committed):
                run.committed(event.operations, event.results)
            elif isinstance(event, Retried):
                run.counts["retries"] += 1
            elif isinstance(event, Failed):
                run.counts["errors"] += 1
                logger.error("could not store %s %s: %s", event.kind, event.url, event.error)
                logger.debug("%s", event.details)

    def _close(self, stop: _Stop) -> None:
        run = stop.run
        try:
            if self.backend is not None and run.run_id is not None:
                stats = dict(stop.stats or {})
                stats.update({f"archive/store/{k}": v for k, v in sorted(run.counts.items())})
                self.backend.close_run(run.run_id, stop.status, stats)
        except Exception:
            logger.exception("could not close crawl run %s", run.run_id)
        finally:
            stop.done.set()


class StorageWriter:
    """Writes pages, articles and failures from a queue, ``batch_size`` items per transaction.

    Each writer is one ``crawl_runs`` row (``spiders``, ``mode``) with its own outcome
    counts. Built directly it owns its thread; ``engine_factory`` is called by the backend
    (engine creation migrates the schema): in a child process when ``process`` is true (the
    factory must then be picklable, e.g. ``functools.partial(db.make_engine, url)``), else in
    the thread. :func:`acquire` instead attaches the writers of all crawlers of a process on
    one database to one shared thread and backend (see there). ``on_result`` is called in
    the writer thread with each committed :class:`StoreResult`, ``on_commit`` with the number
    of this run's operations in each committed transaction.
    """

    def __init__(
        self,
        engine_factory: Callable[[], Engine] | None = None,
        *,
        batch_size: int = 200,
        threshold: float | None = None,
        queue_size: int | None = None,
        spiders: Sequence[str] = (),
        mode: str | None = None,
        on_result: Callable[[StoreResult], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
        process: bool = False,
        shared: _WriterThread | None = None,
    ) -> None:
        if shared is None:
            assert engine_factory is not None, "a writer needs an engine factory or a thread"
            self._core = _WriterThread(
                engine_factory,
                batch_size=batch_size,
                threshold=threshold,
                queue_size=queue_size,
                process=process,
            )
            self._core.initial_runs.append(self)
        else:
            self._core = shared
            shared.put("open", self, None)
        self._owns_core = shared is None
        self.spiders = list(spiders)
        self.mode = mode
        self.on_result = on_result
        self.on_commit = on_commit
        self.counts: Counter[str] = Counter()
        self.run_id: int | None = None
        self._fatal: BaseException | None = None
        self._closed = False

    # --- what the thread shares -------------------------------------------------------------

    @property
    def queue(self) -> queue.Queue[tuple[str, Any, datetime, Any]]:
        """The (shared) queue of operations."""
        return self._core.queue

    @property
    def batch_size(self) -> int:
        """Items per transaction."""
        return self._core.batch_size

    @property
    def fatal(self) -> BaseException | None:
        """Why nothing is stored for this run (storage unavailable, run not opened)."""
        return self._fatal or self._core.fatal

    @fatal.setter
    def fatal(self, exc: BaseException | None) -> None:
        self._fatal = exc

    def committed(self, operations: int, results: Sequence[StoreResult | None]) -> None:
        """Count a committed transaction's results of this run (in the writer thread)."""
        self.counts["batches"] += 1
        for result in results:
            if result is None:
                self.counts["pages"] += 1
                continue
            self.counts[result.outcome] += 1
            if self.on_result is not None:
                self.on_result(result)
        if self.on_commit is not None:
            self.on_commit(operations)

    # --- producer side (any thread) -------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (a no-op when it runs already)."""
        self._core.start()

    def submit(self, kind: str, payload: Any) -> None:
        """Queue one operation (never blocks: see :meth:`full` and :meth:`wait_for_room`)."""
        if self._closed:
            raise RuntimeError("the storage writer is closed")
        self._core.put(kind, payload, self)

    def full(self) -> bool:
        """Whether the backlog reached ``queue_size``: producers should wait for room."""
        return self._core.full()

    def wait_for_room(self, timeout: float | None = None) -> bool:
        """Block until the backlog is below ``queue_size`` (or the writer stopped)."""
        return self._core.wait_for_room(timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued before is committed; False on timeout."""
        done = threading.Event()
        self._core.put("flush", done, None)
        return done.wait(timeout)

    def close(
        self, status: str = "finished", stats: dict[str, Any] | None = None, timeout: float = 600
    ) -> None:
        """Write what is queued, close the crawl run; stop the thread if this writer owns it
        (blocking)."""
        if self._closed:
            return
        done = threading.Event()
        self._core.put("close", _Stop(status, stats, done, self), None)
        self._closed = True
        if self._owns_core:
            self._core.stop(timeout)
        else:
            done.wait(timeout)


# --- one writer thread per process and database, one run per crawler ----------------------


@dataclass
class _Handle:
    writer: StorageWriter
    key: tuple[Any, ...]
    users: int = 0


@dataclass
class _Shared:
    thread: _WriterThread
    crawlers: int = 0


_registry: weakref.WeakKeyDictionary[Any, _Handle] = weakref.WeakKeyDictionary()
_threads: dict[tuple[Any, ...], _Shared] = {}
_registry_lock = threading.Lock()


def writer_settings(settings: Any) -> dict[str, Any]:
    """The writer's options from Scrapy settings (see :func:`acquire`)."""
    batch = settings.getint("ARCHIVE_BATCH_SIZE", 200)
    queue_size = settings.getint("ARCHIVE_WRITER_QUEUE", 0) or int(
        os.environ.get("ARCHIVE_WRITER_QUEUE", "0") or 0
    )
    return {
        "batch_size": batch,
        "threshold": settings.getfloat("ARCHIVE_NEAR_DUP_THRESHOLD", 0.7),
        "queue_size": queue_size or None,
        "process": settings.getbool("ARCHIVE_WRITER_PROCESS", True),
    }


def acquire(crawler: Any, spider: Any) -> StorageWriter:
    """The crawler's writer, started on first use; pair every call with :func:`release`.

    Every crawler gets its own :class:`StorageWriter` — its own ``crawl_runs`` row, named
    after the spider and its ``crawl_mode`` attribute when it has one, and its own outcome
    counts and stats — but the crawlers of one process writing to one database (``crawl
    --all`` runs eight) share **one** writer thread and connection: one transaction per
    batch for all of them instead of eight threads contending for SQLite's write lock and
    for the GIL. The thread stops when the last of its crawlers is released.

    Reads ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
    ``ARCHIVE_NEAR_DUP_THRESHOLD``, ``ARCHIVE_WRITER_QUEUE`` (backlog in operations above
    which the store pipeline waits; default 4 x batch size) and ``ARCHIVE_WRITER_PROCESS``
    (write in a child process, default true) from the crawler's settings.
    """
    from crawler.config import data_dir, database_url
    from crawler.storage.db import engine_in

    with _registry_lock:
        handle = _registry.get(crawler)
        if handle is None:
            settings = crawler.settings
            options = writer_settings(settings)
            key = (str(database_url(settings)), *sorted(options.items()))
            shared = _threads.get(key)
            if shared is None:
                factory = functools.partial(
                    engine_in, str(data_dir(settings)), str(database_url(settings))
                )
                shared = _threads[key] = _Shared(_WriterThread(factory, **options))
            shared.crawlers += 1
            writer = StorageWriter(
                spiders=[getattr(spider, "name", None) or "?"],
                mode=getattr(spider, "crawl_mode", None),
                on_result=_stats_counter(crawler),
                shared=shared.thread,
            )
            handle = _registry[crawler] = _Handle(writer, key)
            writer.start()
        handle.users += 1
        return handle.writer


def release(crawler: Any, status: str = "finished", stats: dict[str, Any] | None = None) -> None:
    """Flush the crawler's writer; the last user also closes its run, and the last crawler of
    a shared thread stops it (blocking: call in a thread)."""
    with _registry_lock:
        handle = _registry.get(crawler)
        if handle is None:
            return
        handle.users -= 1
        last = handle.users <= 0
        if last:
            del _registry[crawler]
    if not last:
        handle.writer.flush()
        return
    handle.writer.close(status, stats)
    stop: _WriterThread | None = None
    with _registry_lock:
        shared = _threads.get(handle.key)
        if shared is not None:
            shared.crawlers -= 1
            if shared.crawlers <= 0:
                del _threads[handle.key]
                stop = shared.thread
    if stop is not None:
        stop.stop()


def _stats_counter(crawler: Any) -> Callable[[StoreResult], None]:
    stats = getattr(crawler, "stats", None)

    def count(result: StoreResult) -> None:
        if stats is not None:
            stats.inc_value(f"archive/store/{result.outcome}")

    return count
