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
  :meth:`StorageWriter.close` also closes the crawl run and joins the thread.

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

from crawler.items import Article
from crawler.storage.records import ExtractionFailure, PageRecord
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


class StorageWriter:
    """Writes pages, articles and failures from a queue, ``batch_size`` items per transaction.

    ``engine_factory`` is called in the writer thread (engine creation migrates the schema).
    ``on_result`` is called in the writer thread with each committed :class:`StoreResult`,
    ``on_commit`` with the number of operations of each committed transaction.
    """

    def __init__(
        self,
        engine_factory: Callable[[], Engine],
        *,
        batch_size: int = 50,
        threshold: float | None = None,
        queue_size: int | None = None,
        spiders: Sequence[str] = (),
        mode: str | None = None,
        on_result: Callable[[StoreResult], None] | None = None,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self.batch_size = max(1, batch_size)
        self.repository = Repository() if threshold is None else Repository(threshold=threshold)
        self.queue: queue.Queue[Operation] = queue.Queue()
        self.backlog_limit = queue_size or 4 * self.batch_size
        self._room = threading.Condition()
        self.spiders = list(spiders)
        self.mode = mode
        self.on_result = on_result
        self.on_commit = on_commit
        self.counts: Counter[str] = Counter()
        self.run_id: int | None = None
        self.engine: Engine | None = None
        self.fatal: BaseException | None = None
        self._engine_factory = engine_factory
        self._thread = threading.Thread(target=self._main, name="archive-writer", daemon=True)
        self._closed = False

    # --- producer side (any thread) -------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, kind: str, payload: Any) -> None:
        """Queue one operation (never blocks: see :meth:`full` and :meth:`wait_for_room`)."""
        if self._closed:
            raise RuntimeError("the storage writer is closed")
        self.queue.put((kind, payload, utcnow()))

    def full(self) -> bool:
        """Whether the backlog reached ``queue_size``: producers should wait for room."""
        return self.queue.qsize() >= self.backlog_limit

    def wait_for_room(self, timeout: float | None = None) -> bool:
        """Block until the backlog is below ``queue_size`` (or the writer stopped)."""
        with self._room:
            return self._room.wait_for(
                lambda: not self.full() or not self._thread.is_alive(), timeout
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued before is committed; False on timeout."""
        done = threading.Event()
        self.queue.put(("flush", done, utcnow()))
        return done.wait(timeout)

    def close(
        self, status: str = "finished", stats: dict[str, Any] | None = None, timeout: float = 600
    ) -> None:
        """Write what is queued, close the crawl run, stop the thread (blocking)."""
        if self._closed:
            return
        done = threading.Event()
        self.queue.put(("stop", _Stop(status, stats, done), utcnow()))
        self._closed = True
        done.wait(timeout)
        self._thread.join(timeout)

    # --- the thread ------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            self.engine = self._engine_factory()
            with self.engine.begin() as conn:
                self.run_id = self.repository.open_run(conn, self.spiders, self.mode, utcnow())
        except BaseException as exc:  # keep draining so producers never hang
            logger.exception("archive storage unavailable: nothing will be stored")
            self.fatal = exc
        while True:
            batch, control = self._next_batch()
            with self._room:
                self._room.notify_all()
            if batch:
                if self.fatal is None:
                    self._write(batch)
                else:
                    self.counts["lost"] += len(batch)
            if control is None:
                continue
            kind, payload, _ = control
            if kind == "flush":
                payload.set()
            elif kind == "stop":
                self._stop(payload)
                return

    def _next_batch(self) -> tuple[list[Operation], Operation | None]:
        """Up to ``batch_size`` items (articles, failures) with the page records queued among
        them (at most ``4 * batch_size`` operations), and the control operation that ended it.
        """
        batch: list[Operation] = []
        items = 0
        op = self.queue.get()
        while True:
            if op[0] in ("flush", "stop"):
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

    def _apply(self, conn: Any, op: Operation) -> StoreResult | None:
        kind, payload, seen_at = op
        repo = self.repository
        if kind == "article":
            assert isinstance(payload, Article)
            return repo.store_article(conn, payload, self.run_id, seen_at)
        if kind == "failure":
            assert isinstance(payload, ExtractionFailure)
            return repo.record_failure(conn, payload, self.run_id, seen_at)
        if kind == "page":
            assert isinstance(payload, PageRecord)
            repo.record_page(conn, payload, self.run_id)
            return None
        raise ValueError(f"unknown storage operation {kind!r}")

    def _write(self, ops: list[Operation]) -> None:
        assert self.engine is not None
        error: BaseException | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    results = self.repository.store_batch(conn, ops, self.run_id)
            except DBAPIError as exc:
                self.repository.rollback_caches()
                error = exc
                if is_retryable(exc) and attempt + 1 < MAX_ATTEMPTS:
                    self.counts["retries"] += 1
                    time.sleep(min(2.0, 0.05 * 2**attempt))
                    continue
                break
            except Exception as exc:
                self.repository.rollback_caches()
                error = exc
                break
            else:
                self.repository.commit_caches()
                self.counts["batches"] += 1
                for result in results:
                    if result is None:
                        self.counts["pages"] += 1
                        continue
                    self.counts[result.outcome] += 1
                    if self.on_result is not None:
                        self.on_result(result)
                if self.on_commit is not None:
                    self.on_commit(len(ops))
                return
        if len(ops) > 1:
            for op in ops:  # isolate the failing operation
                self._write([op])
            return
        self.counts["errors"] += 1
        logger.error(
            "could not store %s %s: %s",
            ops[0][0],
            getattr(ops[0][1], "url", "?"),
            error,
            exc_info=error,
        )

    def _stop(self, stop: _Stop) -> None:
        with self._room:
            self._room.notify_all()
        try:
            if self.engine is not None and self.run_id is not None:
                stats = dict(stop.stats or {})
                stats.update({f"archive/store/{k}": v for k, v in sorted(self.counts.items())})
                with self.engine.begin() as conn:
                    self.repository.close_run(conn, self.run_id, stop.status, stats, utcnow())
        except Exception:
            logger.exception("could not close crawl run %s", self.run_id)
        finally:
            if self.engine is not None:
                self.engine.dispose()
            stop.done.set()


# --- one writer per crawler, shared by the page ledger and the store pipeline ---------------


@dataclass
class _Handle:
    writer: StorageWriter
    users: int = 0


_registry: weakref.WeakKeyDictionary[Any, _Handle] = weakref.WeakKeyDictionary()
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

    Reads ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
    ``ARCHIVE_NEAR_DUP_THRESHOLD`` and ``ARCHIVE_WRITER_QUEUE`` (backlog in operations above
    which the store pipeline waits; default 4 x batch size) from the crawler's settings. The
    crawl run is named after the spider and its ``crawl_mode`` attribute when it has one.
    """
    from crawler.storage.db import engine_from_settings

    with _registry_lock:
        handle = _registry.get(crawler)
        if handle is None:
            settings = crawler.settings
            writer = StorageWriter(
                lambda: engine_from_settings(settings),
                spiders=[getattr(spider, "name", None) or "?"],
                mode=getattr(spider, "crawl_mode", None),
                on_result=_stats_counter(crawler),
                **writer_settings(settings),
            )
            handle = _registry[crawler] = _Handle(writer)
            writer.start()
        handle.users += 1
        return handle.writer


def release(crawler: Any, status: str = "finished", stats: dict[str, Any] | None = None) -> None:
    """Flush the crawler's writer; the last user also closes it (blocking: call in a thread)."""
    with _registry_lock:
        handle = _registry.get(crawler)
        if handle is None:
            return
        handle.users -= 1
        last = handle.users <= 0
        if last:
            del _registry[crawler]
    if last:
        handle.writer.close(status, stats)
    else:
        handle.writer.flush()


def _stats_counter(crawler: Any) -> Callable[[StoreResult], None]:
    stats = getattr(crawler, "stats", None)

    def count(result: StoreResult) -> None:
        if stats is not None:
            stats.inc_value(f"archive/store/{result.outcome}")

    return count
