"""Retry-After honoured per host, and hosts given up for the run when they keep refusing.

A 429 (Too Many Requests) or 503 (Service Unavailable) carrying ``Retry-After`` (seconds or
an HTTP-date) pauses that host's download slot until then: its queued requests, and the
retry of the refused one, wait in the slot; requests to other hosts go on. A Retry-After
longer than ``ARCHIVE_RETRY_AFTER_MAX`` is capped there (and logged).

**Give-up rule.** A host is given up for the rest of the run when either

* the pauses it asked for add up to more than ``ARCHIVE_HOST_GIVE_UP_AFTER`` seconds
  (overlapping pauses counted once): a Retry-After storm; or
* it answers ``ARCHIVE_HOST_GIVE_UP_STREAK`` responses in a row with 429 or 503, with or
  without Retry-After, and nothing else in between: a throttling or outage storm that
  retries alone would keep hammering.

From then on every request to that host fails at once with :class:`HostGivenUp` (an
``IgnoreRequest`` carrying the reason, which the request's errback receives), including the
requests already waiting in its slot. Responses already in flight are kept. Zero disables a
rule.

**How the slot is paused** (Scrapy 2.19, public attributes of ``scrapy.core.downloader``).
The downloader sends a slot's next request only once ``delay`` seconds have passed since
``slot.lastseen`` (``Downloader._process_queue``: ``penalty = delay - now + lastseen``, with
``now = time.monotonic()``). Moving ``lastseen`` to the end of the pause therefore holds that
slot, and only that slot; its re-check is already scheduled (a queued request re-runs
``_process_queue`` when it is enqueued, when a transfer ends, or from the slot's own
``latercall``). The pause is set from the ``response_downloaded`` signal, which the
downloader sends *before* it frees the transfer and hands the slot its next request
(``Downloader._download``, steps 2 and 3): a middleware's ``process_response`` runs only after
that, when the next request to the refusing host has already left. This relies on exactly:

* the ``response_downloaded`` signal, sent before the slot is processed again;
* ``crawler.engine.downloader.slots`` (slot key → ``Slot``) and
  ``Downloader.get_slot_key(request)``;
* ``Slot.lastseen`` as a ``time.monotonic()`` instant and ``Slot.delay`` in seconds. A delay
  of 0 disables the check, so a paused slot's delay is raised to :data:`MIN_SLOT_DELAY`
  (1 ms) and left there;
* ``Slot.queue``, a deque of ``(request, Deferred)`` not yet sent, drained with
  :class:`HostGivenUp` when the host is given up.

``tests/crawl/test_hostpause_unit.py::test_scrapy_slot_contract`` checks this contract and
``tests/crawl/test_hostpause.py`` the behaviour in real crawls (with a control run without
the middleware): both fail loudly when Scrapy changes it.

**Cooperation with** :class:`crawler.middleware.retry.BackoffRetryMiddleware`: a response
that paused its host is flagged :data:`~crawler.middleware.retryafter.HOST_PAUSED_FLAG`, and
the retry middleware then hands the retry back without sleeping (the slot does the waiting).
This middleware must therefore sit after it in ``DOWNLOADER_MIDDLEWARES`` (a higher number:
responses go through middlewares from high to low numbers).

Settings read: ``ARCHIVE_RETRY_AFTER_MAX`` (seconds, default 300),
``ARCHIVE_HOST_GIVE_UP_AFTER`` (seconds of pauses, default 900) and
``ARCHIVE_HOST_GIVE_UP_STREAK`` (consecutive 429/503 responses, default 50).

Stats: ``archive/host_pauses`` (responses that paused a host),
``archive/host_paused_seconds`` (total pause time asked, all hosts),
``archive/retry_after_capped``, ``archive/hosts_given_up`` (count),
``archive/hosts_given_up_names`` (sorted host names) and ``archive/host_given_up_refused``
(requests failed with :class:`HostGivenUp`).
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.middleware.retryafter import HOST_PAUSED_FLAG, retry_after_seconds

if TYPE_CHECKING:
    from typing import Any, Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

THROTTLING_STATUSES = frozenset({429, 503})
"""Statuses whose Retry-After pauses the host and that count towards the give-up streak."""

MIN_SLOT_DELAY = 0.001
"""The delay a paused slot gets when it had none (Scrapy skips the pause check at 0)."""


class HostGivenUp(IgnoreRequest):
    """A request to a host given up for this run (Retry-After or 429/503 storm)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host} given up for this run: {reason}")
        self.host = host
        """The host (download slot key)."""
        self.reason = reason
        """Why, e.g. "429 storm: 50 responses 429/503 in a row"."""


@dataclass
class HostState:
    """What the middleware knows about one host in this run."""

    paused_until: float = 0.0
    """``time.monotonic()`` instant the current pause ends."""

    paused_total: float = 0.0
    """Seconds of pause asked in this run, overlapping pauses counted once."""

    streak: int = 0
    """429/503 responses in a row."""

    last_status: int = 0
    """Status of the latest 429/503 response."""

    given_up: str | None = None
    """Why the host was given up, once it is."""


class HostPauseMiddleware:
    """Pauses a host's download slot for its Retry-After; gives the host up after a storm."""

    def __init__(
        self,
        crawler: Crawler | None,
        retry_after_max: float,
        give_up_after: float,
        give_up_streak: int,
    ) -> None:
        self.crawler = crawler
        self.retry_after_max = retry_after_max
        self.give_up_after = give_up_after
        self.give_up_streak = give_up_streak
        self.hosts: dict[str, HostState] = {}
        """State per host (download slot key)."""
        self.paused_seconds = 0.0
        """Pause time asked in this run, all hosts."""
        self._observed: weakref.WeakSet[Response] = weakref.WeakSet()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from the crawler's settings."""
        settings = crawler.settings
        middleware = cls(
            crawler,
            retry_after_max=settings.getfloat("ARCHIVE_RETRY_AFTER_MAX", 300.0),
            give_up_after=settings.getfloat("ARCHIVE_HOST_GIVE_UP_AFTER", 900.0),
            give_up_streak=settings.getint("ARCHIVE_HOST_GIVE_UP_STREAK", 50),
        )
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    @property
    def given_up(self) -> dict[str, str]:
        """Hosts given up in this run, with the reason."""
        return {key: state.given_up for key, state in self.hosts.items() if state.given_up}

    # --- Scrapy hooks ---------------------------------------------------------------------

    def process_request(self, request: Request) -> None:
        """Fail a request to a given-up host at once."""
        state = self.hosts.get(self._key(request))
        if state is not None and state.given_up is not None:
            self._inc("archive/host_given_up_refused")
            raise HostGivenUp(self._key(request), state.given_up)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Signal handler: see every response before the slot sends its next request."""
        self.observe(request, response)

    def process_response(self, request: Request, response: Response) -> Response:
        """Flag a response whose host is paused or given up, for the retry middleware."""
        self.observe(request, response)  # already done from the signal in a crawl
        state = self.hosts.get(self._key(request))
        if state is None or response.status not in THROTTLING_STATUSES:
            return response
        if state.given_up is not None or state.paused_until > monotonic():
            # The retry waits in the paused slot, or is refused at once: no sleep first.
            response.flags.append(HOST_PAUSED_FLAG)
        return response

    def observe(self, request: Request, response: Response) -> None:
        """Pause the host for a 429/503's Retry-After; count the storm; give up after it.
        Each response is counted once."""
        if response in self._observed:
            return
        self._observed.add(response)
        key = self._key(request)
        if response.status not in THROTTLING_STATUSES:
            state = self.hosts.get(key)
            if state is not None:
                state.streak = 0
            return
        state = self.hosts.setdefault(key, HostState())
        if state.given_up is not None:
            return
        state.streak += 1
        state.last_status = response.status
        wait = retry_after_seconds(response)
        if wait is not None and wait > 0:
            if wait > self.retry_after_max:
                logger.warning(
                    "%s asks to retry after %.0fs (HTTP %d); capped at %.0fs "
                    "(ARCHIVE_RETRY_AFTER_MAX)",
                    key,
                    wait,
                    response.status,
                    self.retry_after_max,
                )
                self._inc("archive/retry_after_capped")
                wait = self.retry_after_max
            self.pause(key, wait)
        if state.given_up is None and 0 < self.give_up_streak <= state.streak:
            self.give_up(
                key, f"{_storm(state.last_status)}: {state.streak} responses 429/503 in a row"
            )

    # --- pausing and giving up --------------------------------------------------------------

    def pause(self, key: str, seconds: float) -> None:
        """Hold the host's slot for ``seconds`` from now (or give the host up, when that
        takes its pauses past ``ARCHIVE_HOST_GIVE_UP_AFTER``)."""
        state = self.hosts.setdefault(key, HostState())
        now = monotonic()
        until = now + seconds
        extension = until - max(now, state.paused_until)
        if extension <= 0:
            return  # an earlier pause already covers it
        total = state.paused_total + extension
        if 0 < self.give_up_after < total:
            self.give_up(
                key,
                f"{_storm(state.last_status)}: Retry-After pauses of {total:.0f}s in total "
                f"(more than ARCHIVE_HOST_GIVE_UP_AFTER={self.give_up_after:.0f}s)",
            )
            return
        state.paused_total = total
        state.paused_until = until
        self._inc("archive/host_pauses")
        self.paused_seconds += extension
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value(
                "archive/host_paused_seconds", round(self.paused_seconds, 3)
            )
        slot = self._slot(key)
        if slot is not None:
            slot.lastseen = max(slot.lastseen, until)
            if slot.delay <= 0:
                slot.delay = MIN_SLOT_DELAY
        logger.info("pausing %s for %.1fs (Retry-After)", key, seconds)

    def give_up(self, key: str, reason: str) -> None:
        """Give the host up for the run: later requests fail with :class:`HostGivenUp`,
        those waiting in its slot at once."""
        state = self.hosts.setdefault(key, HostState())
        if state.given_up is not None:
            return
        state.given_up = reason
        names = sorted(self.given_up)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value("archive/hosts_given_up", len(names))
            self.crawler.stats.set_value("archive/hosts_given_up_names", names)
        logger.error("giving up on %s for this run: %s", key, reason)
        slot = self._slot(key)
        if slot is None:
            return
        slot.lastseen = min(slot.lastseen, monotonic())
        while slot.queue:
            _request, deferred = slot.queue.popleft()
            self._inc("archive/host_given_up_refused")
            deferred.errback(HostGivenUp(key, reason))

    # --- helpers --------------------------------------------------------------------------

    def _key(self, request: Request) -> str:
        """The request's download slot key (its host unless ``download_slot`` says else)."""
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is not None:
            return str(engine.downloader.get_slot_key(request))
        return urlparse_cached(request).hostname or ""

    def _slot(self, key: str) -> Any:
        engine = self.crawler.engine if self.crawler is not None else None
        return engine.downloader.slots.get(key) if engine is not None else None

    def _inc(self, name: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(name)


def _storm(status: int) -> str:
    return f"{status} storm" if status else "429/503 storm"
