"""The background writer: one thread per database that batches the pipelines' operations.

Scrapy runs on the reactor thread, which must never wait on disk or network. The pipelines
only put *operations* (a page, an article, a failure, URL-ledger updates) on a queue; the
writer thread takes up to ``batch_size`` of them at a time and has them written as **one
transaction** by a :class:`~crawler.storage.batches.BatchWriter` (see there for retries,
outages, isolation of a bad operation and crash safety), either

* in a **child process** (:class:`~crawler.storage.worker.WriterProcess`; the default for
  crawls, ``ARCHIVE_WRITER_PROCESS``): the thread only pickles batches and waits, so the
  database work never competes with the reactor for the GIL; or
* in the thread itself (``process=False``): for callers whose engine factory cannot be
  pickled, and small tools.

Backpressure: producers check :meth:`StorageWriter.full` and wait for room (the store
pipeline without blocking the reactor, through :meth:`StorageWriter.add_room_listener`). While
the database is unreachable the thread keeps retrying its batch, the queue fills and the
crawl waits; when the outage outlasts ``ARCHIVE_DB_OUTAGE_MAX`` the writer turns *fatal*:
every run attached to it is told (``on_fatal``), nothing more is written, and what was not
committed is counted ``lost`` — and stays due in the URL ledger for the next crawl.

:meth:`StorageWriter.flush` waits until everything queued before it is committed;
:meth:`StorageWriter.close` also closes the crawl run (and stops the thread when the writer
owns it). Every wait takes a timeout; :meth:`StorageWriter.abandon` gives up at once
(shutdown after Ctrl-C), so no caller ever hangs on the database.

Each :class:`StorageWriter` is one ``crawl_runs`` row; several may share one thread and
backend (:func:`acquire` does so for all crawlers of a process on one database), their
operations then going into the same transactions, each under its own run.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import socket
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler.storage.batches import BatchWriter, Committed, Failed, Outage, Retried
from crawler.storage.runs import HEARTBEAT_EVERY
from crawler.storage.tables import utcnow
from crawler.storage.worker import WriterProcess, WriterStuck

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from sqlalchemy import Engine

    from crawler.storage.articles import StoreResult
    from crawler.storage.batches import Operation

logger = logging.getLogger(__name__)

CONTROL = ("flush", "stop", "open", "close")

ITEM_KINDS = ("article", "failure", "discovered", "visited", "fetch_failed", "deferred", "horizon")
"""Operations that count towards ``batch_size`` (pages ride along, up to four per item)."""

ABANDON_GRACE = 30.0
"""Seconds a closing writer still gets after being abandoned (a batch in flight must end
or time out) before the caller stops waiting."""


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
        outage_max: float | None = None,
        retry_base: float | None = None,
        call_timeout: float | None = None,
    ) -> None:
        self.batch_size = max(1, batch_size)
        self.call_timeout = call_timeout
        self.threshold = threshold
        self.process = process
        self.outage_max = outage_max
        self.retry_base = retry_base
        self.queue: queue.Queue[tuple[str, Any, datetime, Any]] = queue.Queue()
        self.backlog_limit = queue_size or 4 * self.batch_size
        self.room = threading.Condition()
        self.backend: BatchWriter | WriterProcess | None = None
        self.fatal: BaseException | None = None
        self.initial_runs: list[StorageWriter] = []
        self.runs: dict[int, StorageWriter] = {}
        self.abandoned = threading.Event()
        self._engine_factory = engine_factory
        self._last_heartbeat = time.monotonic()
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

    def abandon(self) -> None:
        """Stop waiting for an unreachable database: the batch in flight gives up."""
        self.abandoned.set()
        backend = self.backend
        if isinstance(backend, WriterProcess):
            backend.abandon()

    def stop(self, timeout: float = 600) -> bool:
        """Write what is queued, then end the thread (blocking); False if it did not end."""
        done = threading.Event()
        self.queue.put(("stop", done, utcnow(), None))
        if self.thread.ident is None:
            return True
        if not done.wait(timeout):
            self.abandon()
            done.wait(ABANDON_GRACE)
        self.thread.join(1)
        return done.is_set()

    # --- the thread ------------------------------------------------------------------------

    def _new_backend(self) -> BatchWriter | WriterProcess:
        # The child process is started from this thread: on Linux it dies with it.
        if self.process:
            return WriterProcess(
                self._engine_factory,
                self.threshold,
                self.outage_max,
                self.retry_base,
                call_timeout=self.call_timeout,
            )
        return BatchWriter(
            self._engine_factory,
            self.threshold,
            outage_max=self.outage_max,
            abandon=self.abandoned,
            retry_base=self.retry_base,
        )

    def _main(self) -> None:
        try:
            self.backend = self._new_backend()
        except BaseException as exc:  # keep draining so producers never hang
            logger.error("archive storage unavailable, nothing will be stored: %s", exc)
            self.fatal = exc
        for run in self.initial_runs:
            self._open(run)
        if self.fatal is not None:
            self._tell_fatal(self.fatal)
        while True:
            batch, control = self._next_batch()
            self._notify_room()
            if batch:
                try:
                    self._write(batch)
                except Exception as exc:  # a bug must not leave producers waiting forever
                    logger.exception("the archive writer failed: nothing more will be stored")
                    self.fatal = self.fatal or exc
                    self._tell_fatal(exc)
            self._maybe_heartbeat()
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
                self._notify_room()
                if self.backend is not None:
                    with contextlib.suppress(Exception):
                        self.backend.dispose()
                payload.set()
                return

    def _notify_room(self) -> None:
        with self.room:
            self.room.notify_all()
        if not self.full():
            for run in list(self.runs.values()):
                run.room_freed()

    def _open(self, run: StorageWriter) -> None:
        self.runs[id(run)] = run
        if self.backend is None:
            return
        try:
            run.run_id = self.backend.open_run(
                run.spiders, run.mode, os.getpid(), socket.gethostname()
            )
        except BaseException as exc:
            logger.error("could not open a crawl run, nothing will be stored for it: %s", exc)
            run.fatal = exc
            run.tell_fatal(exc)

    def _next_batch(self) -> tuple[list[tuple[str, Any, datetime, Any]], Any]:
        """Up to ``batch_size`` items with the page records queued among them (at most
        ``4 * batch_size`` operations), and the control operation that ended it."""
        batch: list[tuple[str, Any, datetime, Any]] = []
        items = 0
        while True:
            try:
                op = self.queue.get(timeout=HEARTBEAT_EVERY.total_seconds())
                break
            except queue.Empty:
                self._maybe_heartbeat()
        while True:
            if op[0] in CONTROL:
                return batch, op
            batch.append(op)
            if op[0] in ITEM_KINDS:
                items += 1
            if items >= self.batch_size or len(batch) >= 4 * self.batch_size:
                return batch, None
            try:
                op = self.queue.get_nowait()
            except queue.Empty:
                return batch, None

    def _maybe_heartbeat(self) -> None:
        if self.backend is None or time.monotonic() - self._last_heartbeat < 30:
            return
        self._last_heartbeat = time.monotonic()
        run_ids = [r.run_id for r in self.runs.values() if r.run_id is not None]
        with contextlib.suppress(Exception):
            self.backend.heartbeat(run_ids)

    def _write(self, ops: list[tuple[str, Any, datetime, Any]]) -> None:
        groups: dict[int, tuple[StorageWriter, list[Operation]]] = {}
        for kind, payload, seen_at, run in ops:
            if self.backend is None or run.fatal is not None:
                run.lose(kind)
                continue
            groups.setdefault(id(run), (run, []))[1].append((kind, payload, seen_at))
        if not groups or self.backend is None:
            return
        runs = list(groups.values())
        try:
            events = self._write_through_hangs([(run.run_id, group) for run, group in runs])
        except Exception as exc:  # the database is gone for good, or the writer process died
            logger.error("archive storage failed, nothing more will be stored: %s", exc)
            self.fatal = exc
            if self.backend is not None:
                with contextlib.suppress(Exception):
                    self.backend.dispose()
            self.backend = None
            for run, group in runs:
                for kind, _, _ in group:
                    run.lose(kind)
            self._tell_fatal(exc)
            return
        outage = 0.0
        for event in events:
            run, group = runs[event.group]
            if isinstance(event, Committed):
                run.committed(event.kinds, event.results)
            elif isinstance(event, Retried):
                run.count("retries")
            elif isinstance(event, Outage):
                run.count("outage_retries")
                outage = max(outage, event.seconds)
            elif isinstance(event, Failed):
                run.count("errors")
                run.count(f"errors_{event.kind}")
                logger.error("could not store %s %s: %s", event.kind, event.url, event.error)
                logger.debug("%s", event.details)
        if outage:
            logger.warning("the database was unreachable for %.0f s; the batch was kept", outage)

    def _write_through_hangs(self, groups: list[Any]) -> list[Any]:
        """Write a batch; a worker that hangs on a silent database (a black-holed network,
        a dead proxy: TCP timeouts never fire) is killed and replaced, and the batch written
        again, until ``outage_max`` has passed since the first hang."""
        deadline: float | None = None
        while True:
            try:
                if self.backend is None:
                    self.backend = self._new_backend()
                return self.backend.write(groups)
            except (WriterStuck, RuntimeError) as exc:
                if not isinstance(exc, WriterStuck) and not str(exc).startswith(
                    "the archive writer could not start"
                ):
                    raise
                now = time.monotonic()
                deadline = deadline or now + (self.outage_max or 0)
                if self.abandoned.is_set() or now >= deadline:
                    raise
                logger.warning("%s: starting a new writer and retrying the batch", exc)
                if isinstance(self.backend, WriterProcess):
                    self.backend.kill()
                    with contextlib.suppress(Exception):
                        self.backend.dispose(timeout=1)
                self.backend = None
                self.abandoned.wait(2.0)

    def _tell_fatal(self, exc: BaseException) -> None:
        for run in list(self.runs.values()):
            run.tell_fatal(exc)

    def _close(self, stop: _Stop) -> None:
        run = stop.run
        try:
            if self.backend is not None and run.run_id is not None:
                stats = dict(stop.stats or {})
                stats.update({f"archive/store/{k}": v for k, v in sorted(run.counts.items())})
                self.backend.close_run(run.run_id, stop.status, stats)
        except Exception as exc:
            logger.error("could not close crawl run %s: %s", run.run_id, exc)
        finally:
            self.runs.pop(id(run), None)
            stop.done.set()


class StorageWriter:
    """Writes pages, articles, failures and URL-ledger updates from a queue, ``batch_size``
    items per transaction.

    Each writer is one ``crawl_runs`` row (``spiders``, ``mode``) with its own outcome
    counts. Built directly it owns its thread; ``engine_factory`` is called by the backend
    (engine creation migrates the schema): in a child process when ``process`` is true (the
    factory must then be picklable, e.g. ``functools.partial(db.make_engine, url)``), else in
    the thread. :func:`acquire` instead attaches the writers of all crawlers of a process on
    one database to one shared thread and backend (see there).

    Callbacks, all called in the writer thread: ``on_result`` with each committed
    :class:`StoreResult`; ``on_count`` with ``(key, n)`` for every count kept in
    :attr:`counts`; ``on_commit`` with the number of this run's operations in each committed
    transaction; ``on_fatal`` once when nothing more can be stored; listeners added by
    :meth:`add_room_listener` when the backlog falls below the limit.
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
        on_count: Callable[[str, int], None] | None = None,
        on_fatal: Callable[[BaseException], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
        process: bool = False,
        outage_max: float | None = None,
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
                outage_max=outage_max,
            )
            self._core.initial_runs.append(self)
        else:
            self._core = shared
            shared.put("open", self, None)
        self._owns_core = shared is None
        self.spiders = list(spiders)
        self.mode = mode
        self.on_result = on_result
        self.on_count = on_count
        self.on_fatal = on_fatal
        self.on_commit = on_commit
        self.counts: Counter[str] = Counter()
        self.run_id: int | None = None
        self._fatal: BaseException | None = None
        self._fatal_told = False
        self._closed = False
        self._room_listeners: list[Callable[[], None]] = []

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
        """Why nothing (more) is stored for this run (storage unavailable, run not opened)."""
        return self._fatal or self._core.fatal

    @fatal.setter
    def fatal(self, exc: BaseException | None) -> None:
        self._fatal = exc

    # --- called in the writer thread ----------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        """Add to one of this run's counts."""
        self.counts[key] += n
        if self.on_count is not None:
            self.on_count(key, n)

    def lose(self, kind: str) -> None:
        """Count an operation that will never be written."""
        self.count("lost")
        if kind in ("article", "failure"):
            self.count(f"lost_{kind}")

    def committed(self, kinds: Sequence[str], results: Sequence[StoreResult | None]) -> None:
        """Count a committed transaction's operations of this run."""
        self.count("batches")
        for kind, result in zip(kinds, results, strict=True):
            if result is None:
                self.count("pages" if kind == "page" else kind)
                continue
            self.count(result.outcome)
            if self.on_result is not None:
                self.on_result(result)
        if self.on_commit is not None:
            self.on_commit(len(kinds))

    def tell_fatal(self, exc: BaseException) -> None:
        """Tell the run's owner, once, that nothing more will be stored."""
        if self._fatal_told:
            return
        self._fatal_told = True
        if self.on_fatal is not None:
            try:
                self.on_fatal(exc)
            except Exception:
                logger.exception("the storage failure could not be reported")

    def room_freed(self) -> None:
        """Wake the producers waiting for room (called when the backlog drops)."""
        listeners, self._room_listeners = self._room_listeners, []
        for listener in listeners:
            listener()

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

    def add_room_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (in the writer thread) once the backlog drops below the limit.

        Called at once when there is room already."""
        self._room_listeners.append(listener)
        if not self.full():
            self.room_freed()

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued before is committed; False on timeout."""
        done = threading.Event()
        self._core.put("flush", done, None)
        return done.wait(timeout)

    def abandon(self) -> None:
        """Give up on an unreachable database now (what is not committed is lost)."""
        self._core.abandon()

    def close(
        self, status: str = "finished", stats: dict[str, Any] | None = None, timeout: float = 600
    ) -> bool:
        """Write what is queued, close the crawl run; stop the thread if this writer owns it
        (blocking). False when that did not finish in ``timeout`` (then abandoned)."""
        if self._closed:
            return True
        done = threading.Event()
        self._core.put("close", _Stop(status, stats, done, self), None)
        self._closed = True
        if self._owns_core:
            return self._core.stop(timeout)
        if done.wait(timeout):
            return True
        self.abandon()
        return done.wait(ABANDON_GRACE)


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
    outage_max = settings.getfloat("ARCHIVE_DB_OUTAGE_MAX", 300.0)
    queue_size = settings.getint("ARCHIVE_WRITER_QUEUE", 0)
    return {
        "batch_size": batch,
        "threshold": settings.getfloat("ARCHIVE_NEAR_DUP_THRESHOLD", 0.7),
        "queue_size": queue_size or None,
        "process": settings.getbool("ARCHIVE_WRITER_PROCESS", True),
        "outage_max": outage_max,
        "retry_base": settings.getfloat("ARCHIVE_RETRY_FAILED_AFTER", 1800.0),
        # A call may legitimately last an outage plus a statement: beyond that it hangs.
        "call_timeout": outage_max + 2 * settings.getfloat("ARCHIVE_DB_TIMEOUT", 30.0) + 30,
    }


def acquire(
    crawler: Any, spider: Any, on_fatal: Callable[[BaseException], None] | None = None
) -> StorageWriter:
    """The crawler's writer, started on first use; pair every call with :func:`release`.

    Every crawler gets its own :class:`StorageWriter` — its own ``crawl_runs`` row, named
    after the spider and its ``crawl_mode`` attribute when it has one, and its own outcome
    counts and stats (``archive/store/<key>``) — but the crawlers of one process writing to
    one database (``crawl --all`` runs eight) share **one** writer thread and connection: one
    transaction per batch for all of them instead of eight threads contending for SQLite's
    write lock and for the GIL. The thread stops when the last of its crawlers is released.
    ``on_fatal`` (first caller's) is called in the writer thread if storage fails for good.

    Reads ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
    ``ARCHIVE_NEAR_DUP_THRESHOLD``, ``ARCHIVE_WRITER_QUEUE`` (backlog in operations above
    which the store pipeline waits; default 4 x batch size), ``ARCHIVE_WRITER_PROCESS``
    (write in a child process, default true) and ``ARCHIVE_DB_OUTAGE_MAX`` (seconds an
    unreachable database is waited for) from the crawler's settings.
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
                    engine_in,
                    str(data_dir(settings)),
                    str(database_url(settings)),
                    settings.getfloat("ARCHIVE_DB_TIMEOUT", 30.0),
                )
                shared = _threads[key] = _Shared(_WriterThread(factory, **options))
            shared.crawlers += 1
            writer = StorageWriter(
                spiders=[getattr(spider, "name", None) or "?"],
                mode=getattr(spider, "crawl_mode", None),
                on_count=_stats_counter(crawler),
                on_fatal=on_fatal,
                shared=shared.thread,
            )
            handle = _registry[crawler] = _Handle(writer, key)
            writer.start()
        elif on_fatal is not None and handle.writer.on_fatal is None:
            handle.writer.on_fatal = on_fatal
        handle.users += 1
        return handle.writer


def release(
    crawler: Any,
    status: str = "finished",
    stats: dict[str, Any] | None = None,
    timeout: float = 600,
    flush: bool = True,
) -> bool:
    """Flush the crawler's writer (unless ``flush`` is false); the last user also closes its
    run, and the last crawler of a shared thread stops it (blocking: call in a thread). False
    when the writer did not finish within ``timeout`` (it was then abandoned: what it held is
    lost, and due again)."""
    with _registry_lock:
        handle = _registry.get(crawler)
        if handle is None:
            return True
        handle.users -= 1
        last = handle.users <= 0
        if last:
            del _registry[crawler]
    if not last:
        return handle.writer.flush(timeout) if flush else True
    closed = handle.writer.close(status, stats, timeout)
    stop: _WriterThread | None = None
    with _registry_lock:
        shared = _threads.get(handle.key)
        if shared is not None:
            shared.crawlers -= 1
            if shared.crawlers <= 0:
                del _threads[handle.key]
                stop = shared.thread
    if stop is not None:
        closed = stop.stop(timeout if closed else 1) and closed
    return closed


def writer_of(crawler: Any) -> StorageWriter | None:
    """The crawler's writer, if one was acquired and not released."""
    with _registry_lock:
        handle = _registry.get(crawler)
        return handle.writer if handle is not None else None


def _stats_counter(crawler: Any) -> Callable[[str, int], None]:
    stats = getattr(crawler, "stats", None)

    def count(key: str, n: int) -> None:
        if stats is not None:
            stats.inc_value(f"archive/store/{key}", n)

    return count
