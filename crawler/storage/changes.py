"""The change log: what incremental exports read, and the cursor that makes them safe.

Writing
-------
Every article write an export consumer must see adds a ``changes`` row *in the same
transaction* (:func:`record`): a new article ("new", version 1, with its dedup verdict), a new
version ("version": a refetch with other text or metadata, a re-extraction) and a late
duplicate mark ("duplicate"). An unchanged refetch (only ``last_seen`` moves) is not a change.
``recorded_at`` is the wall-clock time of the write, not the fetch time the repository is
given (re-extraction stores versions with the page's old fetch time).

Why not a timestamp, and why ids need care
------------------------------------------
``article_versions.created_at`` is the fetch time (set when an item is queued; the commit
comes later, and re-extraction writes old fetch times), so "changed after T" misses writes.
A consumer's cursor is the change id: it consumes the changes with ``position < id <= end``
and moves to ``end``. That is only safe if no change with an id ``<= end`` can still commit
after the pull has read — which the pull makes sure of before it chooses ``end``:

* **SQLite** serialises writers (``BEGIN IMMEDIATE``), so ids commit in order
  (``AUTOINCREMENT`` also forbids reuse): ``end`` is the largest id in the pull's snapshot.
* **PostgreSQL** writers take ids from one sequence and commit in any order: a reader that
  saw id 11 and moved past it would never see id 10 committing a moment later. So every
  transaction that logs changes first takes a *shared* transaction-level advisory lock (one
  key per database schema), held until it commits or rolls back. A pull takes the same lock
  *exclusively* for an instant (:func:`cut`): once it has it, every transaction that logged
  a change has finished, and any change logged later gets a larger id (sequences only grow).
  The largest id read in a snapshot taken at that instant is a clean cut: everything at or
  below it is committed and visible, everything after it is above it.

The lock is held by the pull for one ``SELECT``; writers that reach :func:`record` meanwhile
wait that long. The pull itself waits for the writers that are between their first change
and their commit (the tail of a storage batch): it first polls with ``pg_try_advisory_lock``
for :data:`CUT_POLL_SECONDS` (never queueing in front of writers), then queues for at most
:data:`CUT_WAIT_SECONDS` and gives up with :class:`CutTimeout` (the checkpoint does not move).
Unlike a transaction-id horizon (``pg_snapshot_xmin``), the cut only waits for writers of
*this* archive, not for any long transaction elsewhere on the server.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.exc import OperationalError

from crawler.storage.tables import CHANGES, insert_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy import Connection, Engine
    from sqlalchemy.sql import ColumnElement

KINDS = ("new", "version", "duplicate")
"""Change kinds: article first stored, new version, marked an exact duplicate after insert."""

Entry = tuple[int, str, int | None]
"""``(article id, kind, version)`` of one change."""

LOCK_CLASS = 0x43484E47  # "CHNG": first key of the change-log advisory lock
"""The advisory lock's first key; the second is ``hashtext(current_schema())``."""

CUT_POLL_SECONDS = 2.0
"""How long a pull polls for the cut before it queues for it (PostgreSQL)."""

CUT_WAIT_SECONDS = 60.0
"""How long a pull then waits in the queue before giving up (PostgreSQL)."""

_SHARED = text("SELECT pg_advisory_xact_lock_shared(:k, hashtext(current_schema()))")
_TRY = text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))")
_LOCK = text("SELECT pg_advisory_lock(:k, hashtext(current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))")


class CutTimeout(RuntimeError):
    """Writers kept the change log busy longer than :data:`CUT_WAIT_SECONDS`."""


@cache
def _insert(dialect: str) -> Any:
    return insert_for(dialect, CHANGES)


def record(conn: Connection, entries: Iterable[Entry]) -> None:
    """Log changes in the caller's transaction (the one writing the articles)."""
    now = datetime.now(UTC)
    rows = [
        {"article_id": article_id, "kind": kind, "version": version, "recorded_at": now}
        for article_id, kind, version in entries
    ]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # Held until this transaction ends: a pull's cut waits for it (module docstring).
        conn.execute(_SHARED, {"k": LOCK_CLASS})
    conn.execute(_insert(conn.dialect.name), rows)


def record_versions(conn: Connection, versions: Iterable[dict[str, Any]]) -> None:
    """Log the ``article_versions`` rows just inserted: version 1 is "new", later "version"."""
    record(
        conn,
        (
            (int(v["article_id"]), "new" if v["version"] == 1 else "version", int(v["version"]))
            for v in versions
        ),
    )


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A slice of the change log: the changes with ``start < id <= end``."""

    start: int
    end: int

    def condition(self) -> ColumnElement[bool]:
        """The ``WHERE`` clause of the window's changes."""
        return and_(CHANGES.c.id > self.start, CHANGES.c.id <= self.end)

    @property
    def empty(self) -> bool:
        """Whether the window cannot hold a change."""
        return self.end <= self.start


def _newest(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(CHANGES.c.id), 0))).scalar_one())


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """Hold the change-log lock exclusively (PostgreSQL), on a connection of its own."""
    with engine.connect() as lock:
        deadline = time.monotonic() + CUT_POLL_SECONDS
        while not lock.execute(_TRY, {"k": LOCK_CLASS}).scalar():
            lock.commit()
            if time.monotonic() >= deadline:
                # SET LOCAL: the pooled connection keeps no timeout afterwards.
                wait_ms = int(CUT_WAIT_SECONDS * 1000)
                lock.exec_driver_sql(f"SET LOCAL lock_timeout = '{wait_ms}ms'")
                try:
                    lock.execute(_LOCK, {"k": LOCK_CLASS})
                except OperationalError as exc:
                    raise CutTimeout(
                        f"writers kept the change log busy for {CUT_WAIT_SECONDS:.0f} s; "
                        "nothing was exported, try again"
                    ) from exc
                break
            time.sleep(0.02)
        lock.commit()  # the session-level lock outlives this transaction
        try:
            yield
        finally:
            lock.execute(_UNLOCK, {"k": LOCK_CLASS})
            lock.commit()


def cut(engine: Engine, conn: Connection) -> int:
    """The change id up to which a pull reading in ``conn`` may go (module docstring).

    Call it first in ``conn``'s transaction (a :func:`~crawler.storage.db.read_connection`),
    so its snapshot is taken at the cut."""
    if conn.dialect.name != "postgresql":
        return _newest(conn)
    with _exclusive(engine):
        return _newest(conn)


def last_change_id(conn: Connection, window: Window) -> int | None:
    """The largest change id inside a window (for the consumer's bookkeeping)."""
    if window.empty:
        return None
    value = conn.execute(select(func.max(CHANGES.c.id)).where(window.condition())).scalar()
    return None if value is None else int(value)


def since_condition(moment: datetime) -> ColumnElement[bool]:
    """Changes written at or after ``moment`` (``--changed-since``; one-off, not a cursor)."""
    return CHANGES.c.recorded_at >= moment
