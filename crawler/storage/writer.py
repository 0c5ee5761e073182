"""The background writer: one thread that owns the database connection and writes in batches.

Scrapy runs on the reactor thread, which must never wait on disk or network. The pipelines
only put *operations* (a page, an article, a failure) on a bounded queue; this thread takes
up to ``batch_size`` of them at a time and writes each batch in **one transaction**:

* a crash (even SIGKILL) mid-batch rolls the whole batch back, and every write is idempotent
  (:mod:`crawler.storage.repository`), so running the crawl again leaves neither duplicates
  nor half-written articles;
* a retryable error (PostgreSQL deadlock or serialisation failure, SQLite busy) retries the
  batch with back-off; any other error replays the batch one operation per transaction, so
  one bad item is logged and counted (``archive/store/errors``) without losing the others;
* :meth:`StorageWriter.flush` waits until everything queued before it is committed;
  :meth:`StorageWriter.close` also closes the crawl run (and joins the thread when the
  writer owns it).

Each :class:`StorageWriter` is one ``crawl_runs`` row; several may share one thread and
connection (:func:`acquire` does so for all crawlers of a process on one database), their
operations then going into the same transactions, each under its own run.

The engine is created (and the schema migrated) in the thread, and the ``crawl_runs`` row is
opened there too, so nothing of this touches the reactor either.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from crawler.storage.repository import Repository, StoreResult, utcnow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
"""Attempts of a batch hitting a retryable error before it is split."""

Operation = tuple[str, Any, datetime]
"""``(kind, payload, seen_at)`` with kind "page", "article", "failure", "flush" or "stop"."""


def is_retryable(exc: DBAPIError) -> bool:
    """Whether the error is transient: deadlock, serialisation failure, SQLite lock."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001", "55P03"):
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


@dataclass
class _Stop:
    status: str
    stats: dict[str, Any] | None
    done: threading.Event
    run: StorageWriter


class _WriterThread:
    """The thread, queue and connection behind one or more :class:`StorageWriter` runs.

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
    ) -> None:
        self.batch_size = max(1, batch_size)
        self.repository = Repository() if threshold is None else Repository(threshold=threshold)
        self.queue: queue.Queue[tuple[str, Any, datetime, Any]] = queue.Queue()
        self.backlog_limit = queue_size or 4 * self.batch_size
        self.room = threading.Condition()
        self.engine: Engine | None = None
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
            self.engine = self._engine_factory()
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
                if self.engine is not None:
                    self.engine.dispose()
                payload.set()
                return

    def _open(self, run: StorageWriter) -> None:
        if self.engine is None:
            return
        try:
            with self.engine.begin() as conn:
                run.run_id = self.repository.open_run(conn, run.spiders, run.mode, utcnow())
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
            if self.engine is None or run.fatal is not None:
                run.counts["lost"] += 1
                continue
            groups.setdefault(id(run), (run, []))[1].append((kind, payload, seen_at))
        if not groups:
            return
        error: BaseException | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self.engine.begin() as conn:  # type: ignore[union-attr]
                    results = [
                        self.repository.store_batch(conn, group, run.run_id)
                        for run, group in groups.values()
                    ]
            except DBAPIError as exc:
                self.repository.rollback_caches()
                error = exc
                if is_retryable(exc) and attempt + 1 < MAX_ATTEMPTS:
                    for run, _ in groups.values():
                        run.counts["retries"] += 1
                    time.sleep(min(2.0, 0.05 * 2**attempt))
                    continue
                break
            except Exception as exc:
                self.repository.rollback_caches()
                error = exc
                break
            else:
                self.repository.commit_caches()
                self._refresh_statistics()
                for (run, group), outcome in zip(groups.values(), results, strict=True):
                    run.committed(len(group), outcome)
                return
        if len(ops) > 1:
            for op in ops:  # isolate the failing operation
                self._write([op])
            return
        ops[0][3].counts["errors"] += 1
        logger.error(
            "could not store %s %s: %s",
            ops[0][0],
            getattr(ops[0][1], "url", "?"),
            error,
            exc_info=error,
        )

    def _refresh_statistics(self) -> None:
        """``ANALYZE`` the dedup tables once they have doubled (PostgreSQL; see
        :meth:`Repository.maybe_analyze`), in its own transaction after a commit."""
        assert self.engine is not None
        if self.engine.dialect.name != "postgresql" or not self.repository.analyze_due():
            return
        try:
            with self.engine.begin() as conn:
                self.repository.maybe_analyze(conn)
        except DBAPIError as exc:  # statistics are an optimisation: never lose a batch
            logger.warning("could not analyze the archive tables: %s", exc)

    def _close(self, stop: _Stop) -> None:
        run = stop.run
        try:
            if self.engine is not None and run.run_id is not None:
                stats = dict(stop.stats or {})
                stats.update({f"archive/store/{k}": v for k, v in sorted(run.counts.items())})
                with self.engine.begin() as conn:
                    self.repository.close_run(conn, run.run_id, stop.status, stats, utcnow())
        except Exception:
            logger.exception("could not close crawl run %s", run.run_id)
        finally:
            stop.done.set()


class StorageWriter:
    """Writes pages, articles and failures from a queue, ``batch_size`` items per transaction.

    Each writer is one ``crawl_runs`` row (``spiders``, ``mode``) with its own outcome
    counts. Built directly it owns its thread (``engine_factory`` is called there: engine
    creation migrates the schema); :func:`acquire` instead attaches the writers of all
    crawlers of a process on one database to one shared thread and connection (see there).
    ``on_result`` is called in the writer thread with each committed :class:`StoreResult`,
    ``on_commit`` with the number of this run's operations in each committed transaction.
    """

    def __init__(
        self,
        engine_factory: Callable[[], Engine] | None = None,
        *,
        batch_size: int = 50,
        threshold: float | None = None,
        queue_size: int | None = None,
        spiders: Sequence[str] = (),
        mode: str | None = None,
        on_result: Callable[[StoreResult], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
        shared: _WriterThread | None = None,
    ) -> None:
        if shared is None:
            assert engine_factory is not None, "a writer needs an engine factory or a thread"
            self._core = _WriterThread(
                engine_factory, batch_size=batch_size, threshold=threshold, queue_size=queue_size
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
    def repository(self) -> Repository:
        """The repository the thread writes with."""
        return self._core.repository

    @property
    def engine(self) -> Engine | None:
        """The thread's engine, once created."""
        return self._core.engine

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
    batch = settings.getint("ARCHIVE_BATCH_SIZE", 50)
    queue_size = settings.getint("ARCHIVE_WRITER_QUEUE", 0) or int(
        os.environ.get("ARCHIVE_WRITER_QUEUE", "0") or 0
    )
    return {
        "batch_size": batch,
        "threshold": settings.getfloat("ARCHIVE_NEAR_DUP_THRESHOLD", 0.7),
        "queue_size": queue_size or None,
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
    ``ARCHIVE_NEAR_DUP_THRESHOLD`` and ``ARCHIVE_WRITER_QUEUE`` (backlog in operations above
    which the store pipeline waits; default 4 x batch size) from the crawler's settings.
    """
    from crawler.config import database_url
    from crawler.storage.db import engine_from_settings

    with _registry_lock:
        handle = _registry.get(crawler)
        if handle is None:
            settings = crawler.settings
            options = writer_settings(settings)
            key = (str(database_url(settings)), *sorted(options.items()))
            shared = _threads.get(key)
            if shared is None:
                shared = _threads[key] = _Shared(
                    _WriterThread(lambda: engine_from_settings(settings), **options)
                )
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
