"""Honouring robots.txt ``Crawl-delay``, which Scrapy's RobotsTxtMiddleware reads but ignores.

Settings: ``ARCHIVE_RESPECT_CRAWL_DELAY`` (default true; benchmarks and tests against the
project's own fake outlets turn it off with the rest of the politeness settings) and
``ARCHIVE_MAX_CRAWL_DELAY`` (seconds; a larger Crawl-delay is capped there and logged).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from protego import Protego
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Keeps each site's download slot delay at least its robots.txt ``Crawl-delay``.

    It reads the robots.txt responses that RobotsTxtMiddleware fetches (they pass through
    every downloader middleware) and, before each later request to that host, raises the
    slot's delay to the declared value. AutoThrottle may raise the delay further, never
    below it."""

    def __init__(self, crawler: Crawler, user_agent: str, max_delay: float) -> None:
        self.crawler = crawler
        self.user_agent = user_agent
        self.max_delay = max_delay
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from settings; disabled when crawl delays are not respected."""
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_RESPECT_CRAWL_DELAY", True):
            raise NotConfigured("ARCHIVE_RESPECT_CRAWL_DELAY is off")
        agent = str(settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or "*")
        return cls(crawler, agent, settings.getfloat("ARCHIVE_MAX_CRAWL_DELAY", 60.0))

    def process_request(self, request: Request) -> None:
        """Raise the download slot's delay to the host's Crawl-delay."""
        delay = self.delays.get(urlparse_cached(request).netloc)
        if not delay or self.crawler.engine is None:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = delay

    def process_response(self, request: Request, response: Response) -> Response:
        """Read the Crawl-delay of every robots.txt that goes by."""
        parts = urlparse_cached(request)
        if parts.path == "/robots.txt" and response.status == 200:
            try:
                robots = Protego.parse(response.body.decode("utf-8", errors="replace"))
                delay = robots.crawl_delay(self.user_agent)
            except Exception:  # a broken robots.txt says nothing about delays
                delay = None
            if delay:
                if delay > self.max_delay:
                    logger.warning(
                        "%s asks for Crawl-delay %ss; capped at %ss",
                        parts.netloc,
                        delay,
                        self.max_delay,
                    )
                self.delays[parts.netloc] = min(float(delay), self.max_delay)
        return response
