"""``crawl_runs`` rows: one per crawl, opened when its writer starts, closed with its stats.

A run records the process that runs it (``pid``, ``host``) and a heartbeat the writer
refreshes while it works. A run still "running" whose process is gone (same host, no such
pid) or whose heartbeat stopped long ago was killed outright: :func:`reap`, called when the
next run opens, marks it "killed" so ``crawl_runs`` never claims a crawl that is not there.
"""

from __future__ import annotations

import contextlib
import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from crawler.storage.tables import RUNS, insert_for, json_safe

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Connection

HEARTBEAT_EVERY = timedelta(seconds=30)
"""How often a running crawl's writer refreshes its heartbeat."""

STALE_AFTER = timedelta(minutes=10)
"""A run whose heartbeat is older than this (on another host) is taken for dead."""


def open_run(
    conn: Connection,
    spiders: Sequence[str],
    mode: str | None,
    now: datetime,
    *,
    pid: int | None = None,
    host: str | None = None,
) -> int:
    """Insert a ``crawl_runs`` row in status "running"; its id."""
    run_id = conn.execute(
        insert_for(conn.dialect.name, RUNS)
        .values(
            started_at=now,
            spiders=list(spiders),
            mode=mode,
            status="running",
            pid=pid,
            host=host,
            heartbeat_at=now,
        )
        .returning(RUNS.c.id)
    ).scalar_one()
    return int(run_id)


def close_run(
    conn: Connection, run_id: int, status: str, stats: dict[str, Any] | None, now: datetime
) -> None:
    """Set the run's end time, status and stats (JSON-safe)."""
    conn.execute(
        update(RUNS)
        .where(RUNS.c.id == run_id)
        .values(finished_at=now, status=status[:32], stats=json_safe(stats or {}), heartbeat_at=now)
    )


def heartbeat(conn: Connection, run_ids: Sequence[int], now: datetime) -> None:
    """Refresh the heartbeat of running runs."""
    if run_ids:
        conn.execute(
            update(RUNS)
            .where(RUNS.c.id.in_(list(run_ids)), RUNS.c.status == "running")
            .values(heartbeat_at=now)
        )


def reap(conn: Connection, now: datetime) -> list[int]:
    """Mark "killed" the runs still "running" whose process is gone; their ids."""
    here = socket.gethostname()
    dead: list[int] = []
    query = select(RUNS.c.id, RUNS.c.pid, RUNS.c.host, RUNS.c.heartbeat_at, RUNS.c.started_at)
    for run_id, pid, host, beat, started in conn.execute(query.where(RUNS.c.status == "running")):
        last_sign = beat or started
        gone_here = host == here and pid is not None and pid != os.getpid() and not is_running(pid)
        silent = last_sign is not None and now - last_sign > STALE_AFTER
        if gone_here or silent:
            dead.append(int(run_id))
    if dead:
        conn.execute(
            update(RUNS)
            .where(RUNS.c.id.in_(dead), RUNS.c.status == "running")
            .values(status="killed", finished_at=now)
        )
    return dead


def is_running(pid: int) -> bool:
    """Whether a process with this id exists on this machine (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    return True
