"""``crawl_runs`` rows: one per crawl, opened when its writer starts, closed with its stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from crawler.storage.tables import RUNS, insert_for, json_safe

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Connection


def open_run(conn: Connection, spiders: Sequence[str], mode: str | None, now: datetime) -> int:
    """Insert a ``crawl_runs`` row in status "running"; its id."""
    run_id = conn.execute(
        insert_for(conn.dialect.name, RUNS)
        .values(started_at=now, spiders=list(spiders), mode=mode, status="running")
        .returning(RUNS.c.id)
    ).scalar_one()
    return int(run_id)


def close_run(
    conn: Connection, run_id: int, status: str, stats: dict[str, Any] | None, now: datetime
) -> None:
    """Set the run's end time, close reason and stats (JSON-safe)."""
    conn.execute(
        update(RUNS)
        .where(RUNS.c.id == run_id)
        .values(finished_at=now, status=status[:32], stats=json_safe(stats or {}))
    )
