"""The change log: what incremental exports read, and the cursor that makes them safe.

Writing
-------
Every article write an export consumer must see adds a ``changes`` row *in the same
transaction* (:func:`record`): a new article ("new", version 1, with its dedup verdict), a new
version ("version": a refetch with other text or metadata, a re-extraction) and a late
duplicate mark ("duplicate"). An unchanged refetch (only ``last_seen`` moves) is not a change.
``recorded_at`` is the wall-clock time of the write, not the fetch time the repository is
given (re-extraction stores versions with the page's old fetch time).

Why not a timestamp or the article id as the cursor
---------------------------------------------------
``article_versions.created_at`` is the fetch time (set when an item is queued; the commit
comes later, and re-extraction writes old fetch times), so "changed after T" misses writes.
Change ids are safe on SQLite only: its writers are serialised (``BEGIN IMMEDIATE``), so ids
commit in order (``AUTOINCREMENT`` also forbids reuse). On PostgreSQL two writers take ids
from one sequence and can commit in either order: a reader that saw id 11 and advanced past
it would never see id 10 committing a moment later.

The PostgreSQL cursor
---------------------
Each change records its transaction id (``txid``, ``pg_current_xact_id()``, a 64-bit xid8
that never wraps). A pull reads in one REPEATABLE READ snapshot whose
``pg_snapshot_xmin`` is the *horizon* ``H``: every transaction with an xid below ``H`` has
finished, so the committed changes with ``txid < H`` are all visible and no new one can
appear. A consumer at position ``P`` (the horizon of its previous pull) takes the changes
with ``P <= txid < H`` and moves to ``H``. A change of a transaction still running, or
committed after a smaller one still running, waits for a later pull; none is skipped.

The price: a long-running write transaction holds the horizon back until it ends (the
crawl's batches are short, so a pull lags by seconds at most).

On SQLite a consumer's position is the last change id it consumed and the horizon is the
largest change id in the pull's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Text, and_, cast, func, select, text

from crawler.storage.tables import CHANGES, insert_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Connection
    from sqlalchemy.sql import ColumnElement

KINDS = ("new", "version", "duplicate")
"""Change kinds: article first stored, new version, marked an exact duplicate after insert."""

Entry = tuple[int, str, int | None]
"""``(article id, kind, version)`` of one change."""


@cache
def _insert(dialect: str) -> Any:
    stmt: Any = insert_for(dialect, CHANGES)
    if dialect == "postgresql":
        # Evaluated by the server inside the writing transaction (the same xid for all rows).
        stmt = stmt.values(txid=cast(cast(func.pg_current_xact_id(), Text), BigInteger))
    return stmt


def record(conn: Connection, entries: Iterable[Entry]) -> None:
    """Log changes in the caller's transaction (the one writing the articles)."""
    now = datetime.now(UTC)
    rows = [
        {"article_id": article_id, "kind": kind, "version": version, "recorded_at": now}
        for article_id, kind, version in entries
    ]
    if rows:
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
    """A slice of the change log: after ``start`` up to ``end`` (see the module docstring).

    SQLite: ``start < id <= end``. PostgreSQL: ``start <= txid < end``.
    """

    dialect: str
    start: int
    end: int

    def condition(self) -> ColumnElement[bool]:
        """The ``WHERE`` clause of the window's changes."""
        if self.dialect == "postgresql":
            return and_(CHANGES.c.txid >= self.start, CHANGES.c.txid < self.end)
        return and_(CHANGES.c.id > self.start, CHANGES.c.id <= self.end)

    @property
    def empty(self) -> bool:
        """Whether the window cannot hold a change."""
        return self.end <= self.start


def horizon(conn: Connection) -> int:
    """Where a pull reading in ``conn``'s snapshot may end (see the module docstring).

    On PostgreSQL call it first in a REPEATABLE READ transaction, so the horizon is the
    snapshot's own ``xmin``.
    """
    if conn.dialect.name == "postgresql":
        query = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return int(conn.execute(query).scalar_one())
    return int(conn.execute(select(func.coalesce(func.max(CHANGES.c.id), 0))).scalar_one())


def last_change_id(conn: Connection, window: Window) -> int | None:
    """The largest change id inside a window (for the consumer's bookkeeping)."""
    if window.empty:
        return None
    value = conn.execute(select(func.max(CHANGES.c.id)).where(window.condition())).scalar()
    return None if value is None else int(value)


def since_condition(moment: datetime) -> ColumnElement[bool]:
    """Changes written at or after ``moment`` (``--changed-since``; one-off, not a cursor)."""
    return CHANGES.c.recorded_at >= moment
