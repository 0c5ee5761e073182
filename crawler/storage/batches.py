"""Batches of storage operations written in transactions: retries, isolation, outcomes.

:class:`BatchWriter` owns the engine and the :class:`~crawler.storage.repository.Repository`
and is driven by :mod:`crawler.storage.writer`, either in its thread or, by default for
crawls, in a child process (:mod:`crawler.storage.worker`). Everything it reports is a
plain, picklable :data:`Event`, so both places give the same outcomes:

* a batch is **one transaction**: a crash (even SIGKILL) mid-batch rolls it all back, and
  every write is idempotent, so running again leaves neither duplicates nor half-written
  articles;
* a retryable error (PostgreSQL deadlock or serialisation failure, SQLite busy) retries the
  batch with back-off (:class:`Retried`); any other error replays the batch one operation per
  transaction, so one bad operation is reported (:class:`Failed`) without losing the others.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from crawler.storage.repository import Repository
from crawler.storage.tables import utcnow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from sqlalchemy import Engine

    from crawler.storage.articles import StoreResult

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
"""Attempts of a batch hitting a retryable error before it is split."""

Operation = tuple[str, Any, "datetime"]
"""``(kind, payload, seen_at)`` with kind "page", "article" or "failure"."""

Group = tuple["int | None", "Sequence[Operation]"]
"""The operations of one crawl run (its ``crawl_runs.id``) within a batch."""


@dataclass
class Committed:
    """Operations of group ``group`` were committed, with one result per operation (None for
    a page record)."""

    group: int
    operations: int
    results: list[StoreResult | None]


@dataclass
class Retried:
    """The transaction holding group ``group`` hit a retryable error and was retried."""

    group: int


@dataclass
class Failed:
    """One operation of group ``group`` could not be stored, even alone in its transaction."""

    group: int
    kind: str
    url: str
    error: str
    details: str


Event = Committed | Retried | Failed


def is_retryable(exc: DBAPIError) -> bool:
    """Whether the error is transient: deadlock, serialisation failure, SQLite lock."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001", "55P03"):
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


class BatchWriter:
    """Writes batches of operations of one or more crawl runs, one transaction per batch.

    ``engine_factory`` is called here (engine creation migrates the schema); it raises when
    the database is unusable.
    """

    def __init__(self, engine_factory: Callable[[], Engine], threshold: float | None) -> None:
        self.engine = engine_factory()
        self.repository = Repository() if threshold is None else Repository(threshold=threshold)

    def open_run(self, spiders: Sequence[str], mode: str | None) -> int:
        """Insert a ``crawl_runs`` row; its id."""
        with self.engine.begin() as conn:
            return self.repository.open_run(conn, list(spiders), mode, utcnow())

    def close_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        """Finish a ``crawl_runs`` row with its status and stats."""
        with self.engine.begin() as conn:
            self.repository.close_run(conn, run_id, status, stats, utcnow())

    def write(self, groups: Sequence[Group]) -> list[Event]:
        """Store the groups' operations, in one transaction when possible; what happened."""
        events: list[Event] = []
        self._write(list(groups), list(range(len(groups))), events)
        return events

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()

    def _write(self, groups: list[Group], indexes: list[int], events: list[Event]) -> None:
        error: BaseException | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    results = [
                        self.repository.store_batch(conn, ops, run_id) for run_id, ops in groups
                    ]
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
                    events.append(Committed(i, len(ops), result))
                return
        pairs = zip(indexes, groups, strict=True)
        flat = [(i, run_id, op) for i, (run_id, ops) in pairs for op in ops]
        if len(flat) > 1:
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
