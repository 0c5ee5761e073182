"""The storage writer in a child process: the crawl's database work off its GIL.

Scrapy's reactor is one thread. In a thread of the same process the writer (SQLAlchemy
statement handling, MinHash signatures, SQLite calls) competed with it for the interpreter
lock: a py-spy ``--gil`` profile of a full crawl put 17 % of all GIL time in the writer
thread. :class:`WriterProcess` runs a :class:`~crawler.storage.batches.BatchWriter` in a
:class:`concurrent.futures.ProcessPoolExecutor` of one ``spawn`` worker (never ``fork``: the
parent has threads) and calls its methods as futures; the parent's writer thread only
pickles batches and waits.

Lifetime:

* the worker ignores SIGINT and SIGTERM (a Ctrl-C or a service stop reaches the whole
  process group; the parent's orderly shutdown still needs the worker to commit what is
  queued);
* on Linux it dies with the parent thread that started it (``PR_SET_PDEATHSIG``): killing the
  crawl with SIGKILL kills the writer too, mid-transaction, which rolls back exactly as a
  killed thread would;
* a worker that dies (killed, out of memory) breaks the pool: every call then raises
  :class:`WriterGone` at once instead of waiting;
* :meth:`WriterProcess.abandon` tells a worker stuck retrying an unreachable database to give
  up at once (a shared event), and :meth:`WriterProcess.dispose` kills a worker that does not
  end in time — the parent never waits on it without a bound.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from crawler.storage.batches import BatchWriter
from crawler.storage.runs import is_running

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Engine

    from crawler.storage.batches import Event, Group

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
STOP_TIMEOUT = 30.0
"""Seconds :meth:`WriterProcess.dispose` waits for the worker to end before killing it."""


class WriterGone(RuntimeError):
    """The writer process ended unexpectedly (killed, out of memory); nothing more is stored."""


class WriterProcess:
    """A :class:`BatchWriter` in a child process, with the same methods (blocking calls).

    ``engine_factory`` must be picklable (a module-level function or a
    :func:`functools.partial` of one): it is called in the worker. Construction waits until
    the worker has created its engine and raises :class:`RuntimeError` with the worker's
    error when it could not. Create it in the thread that will use it: on Linux the worker
    dies with that thread.
    """

    def __init__(
        self,
        engine_factory: Callable[[], Engine],
        threshold: float | None,
        outage_max: float | None = None,
        retry_base: float | None = None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._abandon = context.Event()
        self.executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_start,
            initargs=(
                engine_factory,
                threshold,
                outage_max,
                retry_base,
                self._abandon,
                os.getpid(),
            ),
        )
        self.pid: int | None = None
        try:
            self.pid = self._call("pid")
        except WriterGone as exc:
            self.executor.shutdown(wait=False, cancel_futures=True)
            raise RuntimeError(f"the archive writer could not start: {exc}") from exc
        except RuntimeError as exc:
            self.dispose()
            raise RuntimeError(f"the archive writer could not start: {exc}") from exc

    def open_run(self, spiders: Sequence[str], mode: str | None, pid: int, host: str) -> int:
        """:meth:`BatchWriter.open_run` in the worker."""
        run_id: int = self._call("open_run", list(spiders), mode, pid, host)
        return run_id

    def close_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        """:meth:`BatchWriter.close_run` in the worker."""
        self._call("close_run", run_id, status, stats)

    def heartbeat(self, run_ids: Sequence[int]) -> None:
        """:meth:`BatchWriter.heartbeat` in the worker."""
        self._call("heartbeat", list(run_ids))

    def write(self, groups: Sequence[Group]) -> list[Event]:
        """:meth:`BatchWriter.write` in the worker."""
        events: list[Event] = self._call("write", list(groups))
        return events

    def abandon(self) -> None:
        """Make the worker give up retrying an unreachable database at once."""
        self._abandon.set()

    def dispose(self, timeout: float = STOP_TIMEOUT) -> None:
        """Close the worker's engine and end it; kill it when it does not end in time."""
        with contextlib.suppress(Exception):
            future = self.executor.submit(_invoke, "dispose", ())
            future.result(timeout)
        self.executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        while self.pid is not None and is_running(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.pid is not None and is_running(self.pid):
            logger.error("the archive writer did not stop: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.executor.shutdown(wait=True)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return self.executor.submit(_invoke, method, args).result()
        except (BrokenProcessPool, FutureTimeout) as exc:
            raise WriterGone(f"the archive writer process ended ({exc})") from exc
        except RuntimeError as exc:
            if "after shutdown" in str(exc) or "interpreter shutdown" in str(exc):
                raise WriterGone(f"the archive writer process ended ({exc})") from exc
            raise


# --- the worker -------------------------------------------------------------------------------

_writer: BatchWriter | None = None
_startup_error: str | None = None


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when the thread that started it ends (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def _start(
    engine_factory: Callable[[], Engine],
    threshold: float | None,
    outage_max: float | None,
    retry_base: float | None,
    abandon: Any,
    parent_pid: int,
) -> None:
    """Worker initializer: lifetime, signals, logging, then the writer (errors kept)."""
    global _writer, _startup_error
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s"
    )
    try:
        _writer = BatchWriter(
            engine_factory,
            threshold,
            outage_max=outage_max,
            abandon=abandon,
            retry_base=retry_base,
        )
    except BaseException as exc:  # reported to the parent by the first call
        _startup_error = f"{type(exc).__name__}: {exc}"


def _invoke(method: str, args: Sequence[Any]) -> Any:
    """One call of the parent, run in the worker."""
    if method == "pid":
        if _startup_error is not None:
            raise RuntimeError(_startup_error)
        return os.getpid()
    if _writer is None:
        raise RuntimeError(_startup_error or "the archive writer is not running")
    return getattr(_writer, method)(*args)
