"""Blocking work (database reads) off the reactor, in daemon threads with a time limit.

Twisted's ``deferToThread`` runs work in the reactor's thread pool, which the reactor *joins*
when it stops: one read stuck on a database that went silent (packets dropped, a dead proxy)
then keeps the process alive through any number of Ctrl-C. Work started here runs in a daemon
thread of its own instead, and the caller stops waiting after ``timeout`` seconds
(:class:`BackgroundTimeout`); a thread that is still stuck is abandoned and never delays the
process' exit.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")


class BackgroundTimeout(TimeoutError):
    """The work did not finish in time (the database stopped answering)."""


def in_thread(function: Callable[..., T], *args: Any, timeout: float | None) -> defer.Deferred[T]:
    """A Deferred fired (on the reactor) with ``function(*args)`` run in a daemon thread, or
    failed with :class:`BackgroundTimeout` after ``timeout`` seconds."""
    # Imported here: importing the reactor at module level would install the default one
    # before Scrapy installs the asyncio reactor its settings ask for.
    from twisted.internet import reactor

    result: defer.Deferred[T] = defer.Deferred()
    name = getattr(function, "__qualname__", "work")

    def deliver(value: Any, error: BaseException | None) -> None:
        if result.called:
            return  # timed out already: the late answer is dropped
        if error is not None:
            result.errback(error)
        else:
            result.callback(value)

    def work() -> None:
        try:
            value: Any = function(*args)
        except BaseException as exc:
            reactor.callFromThread(deliver, None, exc)
        else:
            reactor.callFromThread(deliver, value, None)

    threading.Thread(target=work, name=f"background {name}", daemon=True).start()
    if timeout is not None:

        def expire() -> None:
            if not result.called:
                result.errback(BackgroundTimeout(f"{name} did not answer in {timeout:g} s"))

        timer = call_later(timeout, expire)

        def stop_timer(value: Any) -> Any:
            timer.cancel()
            return value

        result.addBoth(stop_timer)
    return result


async def run_in_thread(function: Callable[..., T], *args: Any, timeout: float | None) -> T:
    """:func:`in_thread`, awaited."""
    value: T = await maybe_deferred_to_future(in_thread(function, *args, timeout=timeout))
    return value
