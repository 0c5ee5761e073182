"""``export_consumers`` rows: each incremental-export consumer's checkpoint.

A checkpoint moves only through :func:`advance`, a compare-and-set on the position the pull
started from: two pulls of one consumer at once cannot both advance it (the loser is told),
and a pull that crashed before calling it leaves the checkpoint where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - dataclass field type
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from crawler.storage.tables import CHANGES, CONSUMERS, on_conflict_nothing

if TYPE_CHECKING:
    from sqlalchemy import Connection


@dataclass(frozen=True)
class Checkpoint:
    """A consumer's state."""

    name: str
    position: int
    """Where its next pull starts (see :mod:`crawler.storage.changes`)."""
    last_change_id: int | None
    filters: dict[str, Any]
    created_at: datetime
    pulled_at: datetime
    pulls: int
    rows: int


def get(conn: Connection, name: str) -> Checkpoint | None:
    """The consumer's checkpoint, or None for a consumer that never pulled."""
    row = conn.execute(select(CONSUMERS).where(CONSUMERS.c.name == name)).first()
    if row is None:
        return None
    return Checkpoint(
        name=row.name,
        position=int(row.position),
        last_change_id=None if row.last_change_id is None else int(row.last_change_id),
        filters=dict(row.filters or {}),
        created_at=row.created_at,
        pulled_at=row.pulled_at,
        pulls=int(row.pulls),
        rows=int(row.rows),
    )


def all_checkpoints(conn: Connection) -> list[Checkpoint]:
    """Every consumer's checkpoint, by name."""
    names = conn.execute(select(CONSUMERS.c.name).order_by(CONSUMERS.c.name)).scalars().all()
    return [c for n in names if (c := get(conn, n)) is not None]


def advance(
    conn: Connection,
    name: str,
    *,
    expected: Checkpoint | None,
    position: int,
    last_change_id: int | None,
    rows: int,
    filters: dict[str, Any],
    now: datetime,
) -> bool:
    """Move the checkpoint from ``expected`` to ``position``; False when another pull moved
    it meanwhile (nothing is changed then)."""
    if expected is None:
        stmt = on_conflict_nothing(conn.dialect.name, CONSUMERS, "name").values(
            name=name,
            position=position,
            last_change_id=last_change_id,
            filters=filters,
            created_at=now,
            pulled_at=now,
            pulls=1,
            rows=rows,
        )
        return bool(conn.execute(stmt).rowcount)
    values: dict[str, Any] = {
        "position": position,
        "pulled_at": now,
        "pulls": CONSUMERS.c.pulls + 1,
        "rows": CONSUMERS.c.rows + rows,
    }
    if last_change_id is not None:
        values["last_change_id"] = last_change_id
    stmt2 = (
        update(CONSUMERS)
        .where(CONSUMERS.c.name == name, CONSUMERS.c.position == expected.position)
        .values(**values)
    )
    return bool(conn.execute(stmt2).rowcount)


def pending(conn: Connection, checkpoint: Checkpoint) -> int:
    """Changes written after the consumer's checkpoint: what its next pull would read (rows
    may be fewer: several changes of one article, filters)."""
    after = CHANGES.c.id > checkpoint.position
    return int(conn.execute(select(func.count()).where(after)).scalar_one())
