"""CPU work (extraction) in worker processes, functions named by their import path.

:class:`FunctionPool` runs ``"package.module:function"`` in a pool of processes (started
with ``spawn``: the crawl process has threads and a reactor, which a fork would copy
half-way), or in the calling process when it has no processes. Functions are looked up by
name in the worker, so callers pass only plain data (a URL, a WARC location, a page's bytes)
and whatever signature the function has today is the one called:
``pool.submit("crawler.extraction:extract", body, url)``.

* :meth:`FunctionPool.submit` — one call, a :class:`concurrent.futures.Future`;
* :meth:`FunctionPool.run` — the same, awaited from a coroutine on the reactor's asyncio loop
  (a Scrapy callback): the reactor thread never waits for the CPU work;
* :meth:`FunctionPool.imap` — calls over an iterable, results in input order, at most
  ``window`` calls in flight: a bounded stream (``crawler reextract --jobs N``).

``ARCHIVE_EXTRACT_PROCESSES`` (crawls): how many processes extract pages; 0 (the default)
extracts on the reactor thread, which measured faster on a 2-core machine (see README).
``auto`` is the number of cores.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from types import TracebackType
    from typing import Self

    from scrapy.settings import BaseSettings

EXTRACT = "crawler.extraction:extract_page"
"""The extraction entry point, by name."""


@cache
def resolve(target: str) -> Callable[..., Any]:
    """The function ``"package.module:function"`` names."""
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"not a function path (module:function): {target!r}")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def call(target: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``target(*args, **kwargs)`` (in a worker process)."""
    return resolve(target)(*args, **kwargs)


def processes_setting(value: object) -> int:
    """A process count setting: a number, or ``auto`` for the machine's cores."""
    text = str(value or "0").strip().lower()
    if text == "auto":
        return os.cpu_count() or 1
    count = int(text)
    if count < 0:
        raise ValueError(f"a process count cannot be negative: {value!r}")
    return count


class FunctionPool:
    """A pool of ``processes`` worker processes (0: calls run in the calling process)."""

    def __init__(self, processes: int) -> None:
        self.processes = max(0, processes)
        self._executor: ProcessPoolExecutor | None = None
        if self.processes:
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn")
            )

    def submit(self, target: str, *args: Any, **kwargs: Any) -> Future[Any]:
        """Start one call; its future (already done when the pool has no processes)."""
        if self._executor is not None:
            return self._executor.submit(call, target, args, kwargs)
        future: Future[Any] = Future()
        try:
            future.set_result(call(target, args, kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    async def run(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """One call, awaited on the running asyncio loop."""
        if self._executor is None:
            return call(target, args, kwargs)
        return await asyncio.wrap_future(self.submit(target, *args, **kwargs))

    def imap(
        self, target: str, calls: Iterable[tuple[Any, ...]], window: int | None = None
    ) -> Iterator[tuple[tuple[Any, ...], Future[Any]]]:
        """``(args, future)`` for each ``args`` of ``calls``, in order, each future done;
        at most ``window`` calls (default: 4 per process) started ahead of the consumer."""
        limit = max(1, window or 4 * max(1, self.processes))
        pending: deque[tuple[tuple[Any, ...], Future[Any]]] = deque()
        for args in calls:
            pending.append((args, self.submit(target, *args)))
            if len(pending) >= limit:
                args0, future = pending.popleft()
                future.exception()  # wait for it
                yield args0, future
        while pending:
            args0, future = pending.popleft()
            future.exception()
            yield args0, future

    def close(self) -> None:
        """Stop the worker processes (after the calls in flight)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_crawl_pools: dict[int, FunctionPool] = {}
_crawl_lock = threading.Lock()


def crawl_pool(settings: BaseSettings) -> FunctionPool:
    """The process' extraction pool for crawls (``ARCHIVE_EXTRACT_PROCESSES``), shared by
    every crawler of the process and started on first use."""
    return shared_pool(processes_setting(settings.get("ARCHIVE_EXTRACT_PROCESSES", 0)))


def shared_pool(processes: int) -> FunctionPool:
    """The process' pool of ``processes`` worker processes, shared by every crawler of the
    process and started on first use (its workers end with the process)."""
    with _crawl_lock:
        pool = _crawl_pools.get(processes)
        if pool is None:
            pool = _crawl_pools[processes] = FunctionPool(processes)
        return pool
