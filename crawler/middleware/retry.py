"""Retries with exponential backoff on 429, 5xx and timeouts.

Scrapy's RetryMiddleware re-queues a failed request at once; against a struggling outlet that
only adds load. This subclass waits before handing the retry back: ``ARCHIVE_RETRY_BACKOFF``
seconds times two to the power of the retries so far (capped at ``ARCHIVE_RETRY_BACKOFF_MAX``,
with jitter), or the server's ``Retry-After`` when it sends one. The waiting request stays in
the downloader meanwhile, so the same host gets fewer requests; other hosts are unaffected.

When :class:`crawler.middleware.hostpause.HostPauseMiddleware` has paused the host for the
response's Retry-After (the response carries
:data:`~crawler.middleware.retryafter.HOST_PAUSED_FLAG`), the retry is handed back at once:
it waits in the paused download slot with every other request to that host, not here too.

Settings read: Scrapy's ``RETRY_*`` settings, ``ARCHIVE_RETRY_BACKOFF`` (default 1.0) and
``ARCHIVE_RETRY_BACKOFF_MAX`` (default 60).
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware

from crawler.middleware.retryafter import HOST_PAUSED_FLAG, retry_after_seconds

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["BackoffRetryMiddleware", "retry_after_seconds"]


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits (exponential backoff, Retry-After) before each retry."""

    base_delay: float
    max_delay: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from the crawler's settings."""
        middleware = super().from_crawler(crawler)
        middleware.base_delay = crawler.settings.getfloat("ARCHIVE_RETRY_BACKOFF", 1.0)
        middleware.max_delay = crawler.settings.getfloat("ARCHIVE_RETRY_BACKOFF_MAX", 60.0)
        return middleware

    def backoff(self, request: Request, hint: float | None = None) -> float:
        """Seconds to wait before retrying ``request`` (its retries so far set the exponent)."""
        if hint is not None:
            return min(hint, self.max_delay)
        attempt = int(request.meta.get("retry_times", 0))
        delay = self.base_delay * (2**attempt)
        return float(min(self.max_delay, delay * random.uniform(0.8, 1.2)))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Retry like Scrapy does, after the backoff."""
        result = super().process_response(request, response)
        paused = HOST_PAUSED_FLAG in response.flags  # the retry waits in the paused slot
        if result is not response and self.base_delay > 0 and not paused:
            await asyncio.sleep(self.backoff(request, retry_after_seconds(response)))
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Retry a timeout or connection error like Scrapy does, after the backoff."""
        result = super().process_exception(request, exception)
        if result is not None and self.base_delay > 0:
            await asyncio.sleep(self.backoff(request))
        return result
