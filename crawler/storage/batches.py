"""Batches of storage operations written in transactions: retries, outages, isolation.

:class:`BatchWriter` owns the engine and the :class:`~crawler.storage.repository.Repository`
and is driven by :mod:`crawler.storage.writer`, either in its thread or, by default for
crawls, in a child process (:mod:`crawler.storage.worker`). Everything it reports is a
plain, picklable :data:`Event`, so both places give the same outcomes:

* a batch is **one transaction**: a crash (even SIGKILL) mid-batch rolls it all back, and
  every write is idempotent, so running again leaves neither duplicates nor half-written
  articles;
* a **lost database** (connection refused, reset or timed out, server shutting down, disk
  full) is an outage: the same batch is retried with growing pauses (:class:`Outage` events)
  for up to ``outage_max`` seconds, and meanwhile nothing else is written — the writer's
  queue fills and the crawl waits (backpressure), nothing is dropped. When the database is
  still gone after that, or the writer is told to abandon, :class:`StorageUnavailable` is
  raised: the caller stops the crawl and everything not committed stays due in the URL
  ledger for the next run;
* a transient conflict (deadlock, serialisation failure, SQLite busy) retries the batch
  with back-off (:class:`Retried`);
* any other error replays the batch one operation per transaction, so one bad operation is
  reported (:class:`Failed`) without losing the others.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from crawler.storage import runs
from crawler.storage.repository import Repository
from crawler.storage.tables import utcnow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from sqlalchemy import Engine

    from crawler.storage.articles import StoreResult

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
"""Attempts of a batch hitting a transient conflict before it is split."""

OUTAGE_MAX = 300.0
"""Default seconds a lost database is waited for before the writer gives up
(``ARCHIVE_DB_OUTAGE_MAX``)."""

OUTAGE_PAUSE_MAX = 10.0
"""Longest pause between two attempts to reach a lost database, in seconds."""

Operation = tuple[str, Any, "datetime"]
"""``(kind, payload, seen_at)``; kinds in :data:`crawler.storage.repository.OPERATIONS`."""

Group = tuple["int | None", "Sequence[Operation]"]
"""The operations of one crawl run (its ``crawl_runs.id``) within a batch."""


class StorageUnavailable(RuntimeError):
    """The database stayed unreachable longer than allowed (or the writer was abandoned)."""


@dataclass
class Committed:
    """Operations of group ``group`` (all of them, or one when a failed batch is replayed
    one by one) were committed: their kinds, and one result per operation (None for
    operations that give none: pages, ledger updates)."""

    group: int
    kinds: list[str]
    results: list[StoreResult | None]


@dataclass
class Retried:
    """The transaction holding group ``group`` hit a transient conflict and was retried."""

    group: int


@dataclass
class Outage:
    """The database could not be reached; the batch holding group ``group`` waits and retries."""

    group: int
    error: str
    seconds: float
    """How long the outage has lasted so far."""


@dataclass
class Failed:
    """One operation of group ``group`` could not be stored, even alone in its transaction."""

    group: int
    kind: str
    url: str
    error: str
    details: str


Event = Committed | Retried | Outage | Failed

_OUTAGE_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03", "58")
"""PostgreSQL error classes that mean the database is gone or cannot work: connection
exceptions, insufficient resources (disk full, out of memory, too many connections), server
shutdown, system errors."""

_SQLITE_OUTAGE = ("disk i/o error", "database or disk is full", "unable to open database")


def is_retryable(exc: DBAPIError) -> bool:
    """Whether the error is a transient conflict: deadlock, serialisation failure, lock
    timeout, statement timeout, SQLite busy."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001", "55P03", "57014"):
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def is_outage(exc: BaseException) -> bool:
    """Whether the error means the database cannot be reached or cannot write at all."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if is_retryable(exc):
        return False
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate:
        return sqlstate.startswith(_OUTAGE_SQLSTATES)
    message = str(exc.orig).lower()
    if any(text in message for text in _SQLITE_OUTAGE):
        return True
    # psycopg reports a refused, reset or timed-out connection without an SQLSTATE.
    return (
        isinstance(exc, OperationalError | InterfaceError)
        and "sqlite" not in type(exc.orig).__module__
    )


class BatchWriter:
    """Writes batches of operations of one or more crawl runs, one transaction per batch.

    ``engine_factory`` is called here (engine creation migrates the schema); it raises when
    the database is unusable. ``outage_max`` bounds how long a lost database is waited for;
    ``abandon`` (a :class:`threading.Event` or a multiprocessing one) cuts that wait short.
    """

    def __init__(
        self,
        engine_factory: Callable[[], Engine],
        threshold: float | None,
        *,
        outage_max: float | None = None,
        abandon: Any = None,
        retry_base: float | None = None,
    ) -> None:
        self.engine = engine_factory()
        options: dict[str, Any] = {}
        if threshold is not None:
            options["threshold"] = threshold
        if retry_base is not None:
            options["retry_base"] = timedelta(seconds=retry_base)
        self.repository = Repository(**options)
        self.outage_max = OUTAGE_MAX if outage_max is None else outage_max
        self.abandon = abandon if abandon is not None else threading.Event()

    def open_run(
        self, spiders: Sequence[str], mode: str | None, pid: int | None, host: str | None
    ) -> int:
        """Mark runs left "running" by dead processes "killed", then open a ``crawl_runs`` row."""

        def work() -> int:
            with self.engine.begin() as conn:
                for run_id in runs.reap(conn, utcnow()):
                    logger.warning("crawl run %s ended without closing: marked killed", run_id)
                return runs.open_run(conn, list(spiders), mode, utcnow(), pid=pid, host=host)

        run_id: int = self._persist(work)
        return run_id

    def close_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        """Finish a ``crawl_runs`` row with its status and stats."""

        def work() -> None:
            with self.engine.begin() as conn:
                runs.close_run(conn, run_id, status, stats, utcnow())

        self._persist(work)

    def heartbeat(self, run_ids: Sequence[int]) -> None:
        """Tell later runs these runs are alive (best effort: an outage shows in writes)."""
        try:
            with self.engine.begin() as conn:
                runs.heartbeat(conn, run_ids, utcnow())
        except DBAPIError as exc:
            logger.debug("heartbeat not recorded: %s", exc)

    def write(self, groups: Sequence[Group]) -> list[Event]:
        """Store the groups' operations, in one transaction when possible; what happened.

        Raises :class:`StorageUnavailable` when the database stays unreachable."""
        events: list[Event] = []
        self._write(list(groups), list(range(len(groups))), events)
        return events

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()

    # --- outages --------------------------------------------------------------------------------

    def _persist(
        self, work: Callable[[], Any], on_outage: Callable[[str, float], None] | None = None
    ) -> Any:
        """Run ``work`` (one transaction), waiting out an outage up to ``outage_max``."""
        started: float | None = None
        pause = 0.5
        while True:
            try:
                return work()
            except DBAPIError as exc:
                if not is_outage(exc):
                    raise
                self.engine.dispose()  # never reuse a connection of the lost database
                now = time.monotonic()
                started = now if started is None else started
                lasted = now - started
                if self.abandon.is_set() or lasted >= self.outage_max:
                    raise StorageUnavailable(
                        f"the database could not be reached for {lasted:.0f} s "
                        f"(ARCHIVE_DB_OUTAGE_MAX={self.outage_max:g}): {_short(exc)}"
                    ) from None
                if on_outage is not None:
                    on_outage(_short(exc), lasted)
                logger.warning("database unreachable for %.0f s, retrying: %s", lasted, _short(exc))
                self.abandon.wait(min(pause, max(0.0, self.outage_max - lasted)))
                pause = min(OUTAGE_PAUSE_MAX, pause * 2)

    # --- batches --------------------------------------------------------------------------------

    def _write(self, groups: list[Group], indexes: list[int], events: list[Event]) -> None:
        error: BaseException | None = None

        def transaction() -> list[list[StoreResult | None]]:
            with self.engine.begin() as conn:
                return [self.repository.store_batch(conn, ops, run_id) for run_id, ops in groups]

        def outage(message: str, lasted: float) -> None:
            self.repository.rollback_caches()
            events.extend(Outage(i, message, lasted) for i in indexes)

        for attempt in range(MAX_ATTEMPTS):
            try:
                results = self._persist(transaction, outage)
            except StorageUnavailable:
                self.repository.rollback_caches()
                raise
            except DBAPIError as exc:
                self.repository.rollback_caches()
                error = exc
                if is_retryable(exc) and attempt + 1 < MAX_ATTEMPTS:
                    events.extend(Retried(i) for i in indexes)
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
                for i, (_, ops), result in zip(indexes, groups, results, strict=True):
                    events.append(Committed(i, [kind for kind, _, _ in ops], result))
                return
        pairs = zip(indexes, groups, strict=True)
        flat = [(i, run_id, op) for i, (run_id, ops) in pairs for op in ops]
        if len(flat) > 1:
            logger.warning(
                "a batch of %d operations failed (%s: %s); storing them one by one",
                len(flat),
                type(error).__name__,
                " ".join(str(error).split())[:300],
            )
            for i, run_id, op in flat:  # isolate the failing operation
                self._write([(run_id, [op])], [i], events)
            return
        i, _, (kind, payload, _) = flat[0]
        assert error is not None
        events.append(
            Failed(
                group=i,
                kind=kind,
                url=str(getattr(payload, "url", "?")),
                error=f"{type(error).__name__}: {error}",
                details="".join(traceback.format_exception(error)),
            )
        )

    def _refresh_statistics(self) -> None:
        """``ANALYZE`` the dedup tables once they have doubled (PostgreSQL; see
        :meth:`Repository.maybe_analyze`), in its own transaction after a commit."""
        if self.engine.dialect.name != "postgresql" or not self.repository.analyze_due():
            return
        try:
            with self.engine.begin() as conn:
                self.repository.maybe_analyze(conn)
        except DBAPIError as exc:  # statistics are an optimisation: never lose a batch
            logger.warning("could not analyze the archive tables: %s", exc)


def _short(exc: DBAPIError) -> str:
    """The driver's message of a database error, on one line."""
    return " ".join(str(exc.orig).split())[:300]
