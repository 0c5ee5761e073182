"""The ``Retry-After`` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

Shared by :mod:`crawler.middleware.hostpause` (which pauses the host) and
:mod:`crawler.middleware.retry` (which must not wait a second time for a paused host).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.http import Response

HOST_PAUSED_FLAG = "host-paused"
"""Added to a response's ``flags`` when its host's download slot is paused (or the host was
given up): the retry then waits in the slot (or is refused at once), so the retry middleware
must not wait as well."""


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``now``: the header's number, or the time until its HTTP-date
    (0 for a date in the past); None when absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # "inf" and "nan" are floats too; a header is never meant to say that.
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_after_seconds(response: Response, now: datetime | None = None) -> float | None:
    """A response's ``Retry-After`` in seconds (see :func:`parse_retry_after`)."""
    return parse_retry_after(response.headers.get(b"Retry-After"), now)
