"""The storage writer in a child process: the crawl's database work off its GIL.

Scrapy's reactor is one thread. In a thread of the same process the writer (SQLAlchemy
statement handling, MinHash signatures, SQLite calls) competed with it for the interpreter
lock: a py-spy ``--gil`` profile of a full crawl put 17 % of all GIL time in the writer
thread. :class:`WriterProcess` runs a :class:`~crawler.storage.batches.BatchWriter` in a
child process started with ``spawn`` (never ``fork``: the parent has threads) and calls it
over a pipe; the parent's writer thread only pickles batches and waits.

Lifetime: the child ignores SIGINT and SIGTERM (a Ctrl-C or a service stop reaches the whole
process group; the parent's orderly shutdown still needs the child to commit what is
queued) and ends on :meth:`WriterProcess.dispose`, when the pipe closes, or — on Linux — with
the parent thread that started it (``PR_SET_PDEATHSIG``): killing the crawl with SIGKILL
kills the writer too, mid-transaction, which rolls back exactly as a killed thread would.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from crawler.storage.batches import BatchWriter

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from multiprocessing.connection import Connection

    from sqlalchemy import Engine

    from crawler.storage.batches import Event, Group

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
STOP_TIMEOUT = 60.0
"""Seconds :meth:`WriterProcess.dispose` waits for the child to end before killing it."""


class WriterGone(RuntimeError):
    """The writer process ended unexpectedly (killed, out of memory); nothing more is stored."""


class WriterProcess:
    """A :class:`BatchWriter` in a child process, with the same methods (blocking calls).

    ``engine_factory`` must be picklable (a module-level function or a
    :func:`functools.partial` of one): it is called in the child. Construction waits until
    the child has created its engine and raises :class:`RuntimeError` with the child's error
    when it could not.
    """

    def __init__(self, engine_factory: Callable[[], Engine], threshold: float | None) -> None:
        context = multiprocessing.get_context("spawn")
        here, there = context.Pipe()
        self.process = context.Process(
            target=_serve,
            args=(there, engine_factory, threshold, os.getpid()),
            name="archive-writer",
            daemon=True,
        )
        self.process.start()
        there.close()  # the child's end lives only in the child: its exit is our EOF
        self.conn: Connection = here
        status, detail = self._receive()
        if status != "ready":
            self.process.join(STOP_TIMEOUT)
            raise RuntimeError(f"the archive writer could not start: {detail}")

    def open_run(self, spiders: Sequence[str], mode: str | None) -> int:
        """:meth:`BatchWriter.open_run` in the child."""
        run_id: int = self._call("open_run", list(spiders), mode)
        return run_id

    def close_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        """:meth:`BatchWriter.close_run` in the child."""
        self._call("close_run", run_id, status, stats)

    def write(self, groups: Sequence[Group]) -> list[Event]:
        """:meth:`BatchWriter.write` in the child."""
        events: list[Event] = self._call("write", list(groups))
        return events

    def dispose(self) -> None:
        """Ask the child to close its engine and end; kill it if it does not."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(("stop", ()))
        self.process.join(STOP_TIMEOUT)
        if self.process.is_alive():
            logger.error("the archive writer did not stop in %.0f s: killing it", STOP_TIMEOUT)
            self.process.kill()
            self.process.join()
        self.conn.close()

    def _call(self, method: str, *args: Any) -> Any:
        try:
            self.conn.send((method, args))
        except (OSError, ValueError) as exc:
            raise self._gone() from exc
        status, detail = self._receive()
        if status == "error":
            raise RuntimeError(detail)
        return detail

    def _receive(self) -> tuple[str, Any]:
        try:
            reply: tuple[str, Any] = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise self._gone() from exc
        return reply

    def _gone(self) -> WriterGone:
        self.process.join(5)
        return WriterGone(f"the archive writer process ended (exit code {self.process.exitcode})")


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when the thread that started it ends (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def _serve(
    conn: Connection,
    engine_factory: Callable[[], Engine],
    threshold: float | None,
    parent_pid: int,
) -> None:
    """The child: answer calls until told to stop or the parent goes away."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s"
    )
    try:
        writer = BatchWriter(engine_factory, threshold)
    except BaseException as exc:  # reported to the parent, which decides what to log
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    try:
        while True:
            try:
                method, args = conn.recv()
            except EOFError:
                break
            if method == "stop":
                break
            try:
                result = getattr(writer, method)(*args)
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
            else:
                conn.send(("ok", result))
    finally:
        writer.dispose()
