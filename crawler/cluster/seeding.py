"""Spider middleware: the first worker of a shared crawl seeds it, the others join.

The spiders stay as they are (no ``RedisSpider``): a spider's ``start()`` computes its crawl
window (``spider.window``) and yields what the ledger says is due, then the discovery
requests (sitemaps, feeds, listings). In a shared crawl (:mod:`crawler.cluster.crawls`):

* the **seeder** runs ``start()`` as usual — its requests go to the shared queue — and
  publishes ``spider.window`` for the others; once ``start()`` is exhausted the crawl is
  ``running``;
* a **joiner** does not run ``start()``: it waits for the seeder's window, sets it on its
  spider (so dates are judged the same everywhere) and takes its work from the queue. If the
  seeder dies before publishing, the joiner takes the seeding over.

Enabled by :mod:`crawler.cluster.addon` (``SPIDER_MIDDLEWARES``) when ``ARCHIVE_REDIS_URL``
is set; a no-op for a crawler without a shared crawl.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from crawler.cluster.crawls import SEED
from crawler.cluster.worker import membership_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

    from crawler.cluster.worker import Membership

logger = logging.getLogger(__name__)

WINDOW_POLL = 0.2
"""Seconds between two looks for the seeder's window."""


async def seed(spider: Spider, start: AsyncIterator[Any], member: Membership) -> AsyncIterator[Any]:
    """Pass the spider's start requests on, publishing its window as soon as it has one."""
    published = False
    async for item in start:
        window = getattr(spider, "window", None)
        if not published and window is not None:
            member.crawl.publish_window(window)
            published = True
        yield item
    window = getattr(spider, "window", None)
    if window is not None:
        member.crawl.publish_window(window)
    member.crawl.seeded()
    logger.info("%s: shared crawl seeded", spider.name)


class ClusterSeeding:
    """Seeds or joins the crawler's shared crawl (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The middleware of ``crawler``."""
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's start requests when this worker seeds; nothing when it joins."""
        member = membership_of(self.crawler)
        spider = self.crawler.spider
        if member is None or spider is None:
            async for item in start:
                yield item
            return
        if member.crawl.role == SEED:
            async for item in seed(spider, start, member):
                yield item
            return
        while not member.crawl.done():
            window = member.crawl.window()
            if window is not None:
                setattr(spider, "window", window)  # noqa: B010  # OutletSpider.window
                logger.info("%s: joined with the seeder's window", spider.name)
                return
            if member.crawl.take_over_seeding():
                logger.warning("%s: the seeder died before seeding; seeding instead", spider.name)
                async for item in seed(spider, start, member):
                    yield item
                return
            await asyncio.sleep(WINDOW_POLL)
