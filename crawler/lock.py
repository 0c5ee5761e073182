"""One crawl at a time per archive database: a lock held for the whole run.

* **SQLite** — an exclusive, non-blocking ``fcntl.flock`` on ``<database file>.lock`` next to
  the database. The file holds the holder's pid, host and start time (JSON), for the message
  a refused run prints.
* **PostgreSQL** — a session-level ``pg_try_advisory_lock`` on a dedicated connection held
  (idle, autocommit) for the run. The key is derived from the database name and the current
  schema, so archives in different schemas of one database lock independently. The holder's
  pid and start time are published as the connection's ``application_name`` and read back
  through ``pg_locks`` / ``pg_stat_activity``.

Workers of a shared crawl (``ARCHIVE_REDIS_URL``, :mod:`crawler.cluster`) take the same lock
**shared** (``LOCK_SH``, ``pg_try_advisory_lock_shared``): any number of workers, on any
number of machines, crawl together, while a crawl on its own (which takes it exclusive) is
refused as long as one of them runs — and keeps them out while it runs.

Both locks belong to the process: they are released when it exits, however it dies (SIGKILL
included — the kernel drops the flock, PostgreSQL ends the session). A PostgreSQL session
whose client vanished without closing its socket (the machine lost power, the network was
cut) would otherwise hold the lock until the server notices, which by default takes hours:
the lock's session asks the server for TCP keepalives of about a minute, and a run that
finds the lock held by a process of *this* machine that no longer exists ends that session
(``pg_terminate_backend``) and takes the lock over.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from crawler.config import database_url
from crawler.storage.db import postgres_connect_args
from crawler.storage.runs import is_running

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from scrapy.settings import Settings
    from sqlalchemy import Connection, Engine

EX_TEMPFAIL = 75
"""Exit status of a crawl refused because another one holds the lock (sysexits.h)."""

APP_PREFIX = "crawler-lock"

RELEASE_WAIT = 5.0
"""Seconds :meth:`DatabaseLock.release` waits for PostgreSQL to confirm the unlock."""


class LockHeldError(RuntimeError):
    """Another process holds the database's crawl lock."""

    def __init__(self, target: str, holder: dict[str, Any] | None) -> None:
        self.target = target
        self.holder = holder or {}
        pid = self.holder.get("pid", "?")
        since = self.holder.get("since", "?")
        host = self.holder.get("host")
        where = f" on {host}" if host and host != socket.gethostname() else ""
        super().__init__(
            f"another crawl holds the lock on {target} (pid {pid}{where}, since {since})"
        )


def _display(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or url
    return parsed.render_as_string(hide_password=True)


@dataclass
class DatabaseLock:
    """The crawl lock of one database URL; use as a context manager or acquire/release."""

    url: str
    shared: bool = False
    """Taken by a worker of a shared crawl: compatible with other shared holders only."""
    _file: IO[str] | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _conn: Connection | None = field(default=None, repr=False)
    _key: int | None = None

    @property
    def target(self) -> str:
        """The database as shown in messages (file path, or URL without password)."""
        return _display(self.url)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._file is not None or self._conn is not None

    def lock_path(self) -> Path | None:
        """The lock file of a SQLite database (None for other backends or in-memory)."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite":
            return None
        if not parsed.database or parsed.database == ":memory:":
            return None
        return Path(parsed.database).with_name(Path(parsed.database).name + ".lock")

    def acquire(self) -> None:
        """Take the lock without waiting; :class:`LockHeldError` when another process has it."""
        if self.held:
            return
        if make_url(self.url).get_backend_name() == "sqlite":
            self._acquire_file()
        else:
            self._acquire_advisory()

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                if not self.shared:  # no note of a holder that is gone
                    self._file.seek(0)
                    self._file.truncate()
                    self._file.flush()
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None or self._engine is not None:
            # In a daemon thread, waited for a few seconds only: over a connection that went
            # silent the unlock would never return (the session, and the lock with it, ends
            # when the server notices the connection is gone).
            worker = threading.Thread(target=self._end_session, daemon=True)
            worker.start()
            worker.join(RELEASE_WAIT)
            self._conn = None
            self._engine = None

    def _end_session(self) -> None:
        conn, engine = self._conn, self._engine
        if conn is not None:
            unlock = "pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock"
            with contextlib.suppress(Exception):
                conn.execute(text(f"SELECT {unlock}(:k)"), {"k": self._key})
            with contextlib.suppress(Exception):
                conn.close()
        if engine is not None:
            with contextlib.suppress(Exception):
                engine.dispose()

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    # --- SQLite: flock on a file next to the database ---------------------------------------

    def _acquire_file(self) -> None:
        path = self.lock_path()
        if path is None:  # an in-memory database is private to its process
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
            fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            content = handle.read()
            handle.close()
            holder: dict[str, Any] | None = None
            with contextlib.suppress(ValueError):
                loaded = json.loads(content) if content.strip() else None
                holder = loaded if isinstance(loaded, dict) else None
            raise LockHeldError(self.target, holder or _shared_holders(self.shared)) from None
        handle.seek(0)
        handle.truncate()  # a note left by a holder that was killed is stale now
        if self.shared:  # workers of a shared crawl leave no note: there are many
            handle.flush()
            self._file = handle
            return
        handle.truncate()
        handle.write(json.dumps(_me()) + "\n")
        handle.flush()
        self._file = handle

    # --- PostgreSQL: session advisory lock on a dedicated connection ------------------------

    def _acquire_advisory(self) -> None:
        me = _me()
        app = f"{APP_PREFIX} pid={me['pid']} host={me['host']} since={me['since']}"[:63]
        connect_args: dict[str, Any] = {"application_name": app, **postgres_connect_args(30)}
        engine = create_engine(self.url, poolclass=NullPool, connect_args=connect_args)
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            # The server probes this idle session: a vanished holder frees the lock in ~1 min.
            for setting, value in SERVER_KEEPALIVES:
                conn.execute(text(f"SET {setting} = {value}"))
            name, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
            key = advisory_key(str(name), str(schema or ""))
            got = _try_lock(conn, key, self.shared)
            if not got:
                holder = _pg_holder(conn, key)
                if holder is not None and _dead_here(holder):
                    print(
                        f"crawl lock on {self.target} held by pid {holder.get('pid')}, which "
                        "no longer runs: ending its session and taking the lock over",
                        file=sys.stderr,
                    )
                    conn.execute(
                        text("SELECT pg_terminate_backend(:p)"), {"p": holder["backend_pid"]}
                    )
                    got = _retry_lock(conn, key, self.shared)
                if not got:
                    raise LockHeldError(self.target, holder)
        except BaseException:
            conn.close()
            engine.dispose()
            raise
        self._engine, self._conn, self._key = engine, conn, key


SERVER_KEEPALIVES = (
    ("tcp_keepalives_idle", 30),
    ("tcp_keepalives_interval", 10),
    ("tcp_keepalives_count", 3),
)
"""Server-side TCP keepalives of the lock's session (seconds, probes)."""


def _dead_here(holder: dict[str, Any]) -> bool:
    """Whether a lock holder was a process of this machine that no longer exists."""
    pid = str(holder.get("pid", ""))
    here = holder.get("host") == socket.gethostname()
    return here and pid.isdigit() and not is_running(int(pid))


def _try_lock(conn: Connection, key: int, shared: bool) -> bool:
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    return bool(conn.execute(text(f"SELECT {function}(:k)"), {"k": key}).scalar())


def _retry_lock(conn: Connection, key: int, shared: bool = False, attempts: int = 50) -> bool:
    """Try the lock again while the terminated session goes away."""
    for _ in range(attempts):
        if _try_lock(conn, key, shared):
            return True
        time.sleep(0.1)
    return False


def _shared_holders(shared: bool) -> dict[str, Any] | None:
    """What a refused crawl is told when workers of a shared crawl hold the lock."""
    if shared:
        return None
    return {"pid": "workers of a shared crawl", "since": "?"}


def advisory_key(database: str, schema: str) -> int:
    """A signed 64-bit advisory lock key for one archive (database + schema)."""
    digest = hashlib.sha256(f"crawl-lock:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _pg_holder(conn: Connection, key: int) -> dict[str, Any] | None:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        text(
            "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = :hi AND l.objid = :lo LIMIT 1"
        ),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None:
        return None
    info: dict[str, Any] = {
        "pid": f"backend {row.pid}",
        "since": str(row.backend_start),
        "backend_pid": int(row.pid),
    }
    app = str(row.application_name or "")
    if app.startswith(APP_PREFIX):
        for part in app.split()[1:]:
            k, _, v = part.partition("=")
            info[k] = v
    return info


def _me() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def crawl_lock(settings: Settings, shared: bool = False) -> DatabaseLock:
    """The (not yet acquired) crawl lock of the database the settings name; ``shared`` for a
    worker of a shared crawl."""
    return DatabaseLock(database_url(settings), shared=shared)


def run_locked(
    settings: Settings, prog: str, work: Callable[[], int], *, shared: bool = False
) -> int:
    """Run ``work`` holding the crawl lock (shared: see the module docstring);
    :data:`EX_TEMPFAIL` with a message if it is held."""
    lock = crawl_lock(settings, shared)
    try:
        lock.acquire()
    except LockHeldError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    try:
        return work()
    finally:
        lock.release()
