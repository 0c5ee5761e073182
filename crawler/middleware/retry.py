"""Retries with exponential backoff on 429, 5xx and timeouts.

Scrapy's RetryMiddleware re-queues a failed request at once; against a struggling outlet that
only adds load. This subclass waits before handing the retry back: ``ARCHIVE_RETRY_BACKOFF``
seconds times two to the power of the retries so far (capped at ``ARCHIVE_RETRY_BACKOFF_MAX``,
with jitter), or the server's ``Retry-After`` when it sends one. The wait happens inside the
download slot, so the same host gets fewer requests meanwhile; other hosts are unaffected.

Settings read: Scrapy's ``RETRY_*`` settings, ``ARCHIVE_RETRY_BACKOFF`` (default 1.0) and
``ARCHIVE_RETRY_BACKOFF_MAX`` (default 60).
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def retry_after_seconds(response: Response) -> float | None:
    """The ``Retry-After`` header in seconds, when it is a number."""
    raw = response.headers.get(b"Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw.decode("latin-1").strip()))
    except ValueError:
        return None  # an HTTP date: fall back to the computed backoff


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
        if result is not response and self.base_delay > 0:
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
