"""Extension: a worker of a shared crawl stays while the crawl has work, and then leaves.

Scrapy closes a spider as soon as its own engine is idle. In a shared crawl that is too soon:
other workers' responses may still bring new requests, and a dead worker's leases come back
to the queue when its heartbeat expires. On ``spider_idle`` this extension keeps the spider
open (``DontCloseSpider``) and looks again every second, until the crawl's frontier has been
**drained** — nothing being seeded, the shared queue empty, no request leased by any worker
(leases end only once their output is committed) — for ``ARCHIVE_CLUSTER_IDLE`` seconds
without a break. The first worker to see that marks the crawl done (its keys are deleted);
every worker then closes with Scrapy's usual "finished".

A joiner that finds the seeder dead mid-seeding seeds in its place (running the spider's
``start()`` again: what was queued already is dropped by the shared dupefilter).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import deferred_from_coro

from crawler.cluster.seeding import seed
from crawler.cluster.worker import membership_of, wake

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.utils.asyncio import CallLaterResult

    from crawler.cluster.worker import Membership

logger = logging.getLogger(__name__)


class ClusterExtension:
    """Keeps a worker's spider open until the shared crawl is drained (see the module
    docstring). Settings: ``ARCHIVE_CLUSTER_IDLE`` (seconds, default 30)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.idle_for = max(0.0, crawler.settings.getfloat("ARCHIVE_CLUSTER_IDLE", 30.0))
        self.poll = min(1.0, max(0.1, self.idle_for / 4))
        self._call: CallLaterResult | None = None
        self._pending = False
        self._reseeding = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Connected to ``spider_idle`` and ``spider_closed``."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_idle(self, spider: Spider) -> None:
        """Stay while the shared crawl has (or may get) work."""
        member = membership_of(self.crawler)
        if member is None:
            return
        member.collect_done()
        if member.crawl.done():
            return
        if self._reseeding or member.crawl.take_over_seeding():
            self._reseed(spider, member)
            self._again()
        if self._drained(member):
            now = time.monotonic()
            if member.drained_since is None:
                member.drained_since = now
            if now - member.drained_since >= self.idle_for:
                if member.crawl.finish():
                    logger.info(
                        "%s: the shared crawl is drained; generation %d done",
                        spider.name,
                        member.crawl.generation,
                    )
                return
        else:
            member.drained_since = None
        self._again()

    def _drained(self, member: Membership) -> bool:
        if member.active or member.pending_release():
            return False
        if member.crawl.seeding():
            return False
        return len(member.queue) == 0 and member.queue.leased() == 0

    def _again(self) -> None:
        """Look again soon (Scrapy's own idle heartbeat is 5 s)."""
        if not self._pending:
            self._pending = True
            self._call = call_later(self.poll, self._wake)
        raise DontCloseSpider

    def _wake(self) -> None:
        self._pending = False
        wake(self.crawler)

    def _reseed(self, spider: Spider, member: Membership) -> None:
        if self._reseeding:
            return
        self._reseeding = True

        async def run() -> None:
            try:
                async for item in seed(spider, spider.start(), member):
                    if isinstance(item, Request):
                        self.crawler.engine.crawl(item)
            finally:
                self._reseeding = False

        deferred_from_coro(run())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Stop looking."""
        del spider, reason
        if self._call is not None:
            self._call.cancel()
        self._call = None
