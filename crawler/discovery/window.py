"""The time window a crawl covers, in the outlet's local dates.

Incremental crawls cover what appeared or changed since the outlet's previous crawl (or the
last ``ARCHIVE_FIRST_CRAWL_DAYS`` days on a first crawl); backfills cover ``--since`` to
``--until`` inclusive, both local dates in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from crawler.extraction.dates import VIETNAM, parse_any

OVERLAP = timedelta(hours=1)
"""How far an incremental crawl's window reaches back before the previous crawl started."""


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` command-line date; ValueError with a clear message otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from exc


@dataclass(frozen=True)
class CrawlWindow:
    """Which publication / modification times a crawl is interested in."""

    mode: str
    """"incremental" or "backfill"."""

    since: datetime | None
    """Start of the window (aware); None for no lower bound."""

    until: datetime | None = None
    """End of the window, exclusive (aware); None for no upper bound (incremental)."""

    refresh: bool = False
    """Fetch stored articles again even when nothing says they changed."""

    @classmethod
    def backfill(cls, since: date, until: date | None, refresh: bool = False) -> CrawlWindow:
        """A backfill from local day ``since`` through local day ``until`` inclusive."""
        if until is not None and until < since:
            raise ValueError(f"--until {until} is before --since {since}")
        start = datetime.combine(since, time(), VIETNAM)
        end = datetime.combine(until + timedelta(days=1), time(), VIETNAM) if until else None
        return cls("backfill", start, end, refresh)

    @classmethod
    def incremental(
        cls, last_crawl: datetime | None, first_days: int, now: datetime, refresh: bool = False
    ) -> CrawlWindow:
        """Everything since the previous crawl, or the last ``first_days`` days.

        The window reaches :data:`OVERLAP` before the previous crawl: pages print times to the
        minute and clocks differ, and what is already stored costs nothing twice."""
        first = now - timedelta(days=first_days)
        since = first if last_crawl is None else last_crawl - OVERLAP
        return cls("incremental", since, None, refresh)

    def modified_in_range(self, lastmod: datetime | None) -> bool:
        """Whether something last modified at ``lastmod`` may hold articles of the window.

        Something last modified before the window starts cannot hold an article published
        (or changed) in it; a later modification says nothing about the publication date,
        so the upper bound is not applied here."""
        if lastmod is None or self.since is None:
            return True
        return lastmod >= self.since

    def published_in_range(self, published: datetime | None, changed: bool = False) -> bool:
        """Whether an article published at ``published`` belongs to the crawl.

        Backfills keep what was published inside the window. Incremental crawls keep what
        was published since the window started, plus an older story whose sitemap ``lastmod``
        says it changed since (``changed``); an unknown date counts as new."""
        if published is None:
            return self.mode != "backfill"
        if self.since is not None and published < self.since:
            return self.mode == "incremental" and changed
        return self.until is None or published < self.until

    def day_in_range(self, day: date) -> bool:
        """Whether a local calendar day overlaps the window."""
        start = datetime.combine(day, time(), VIETNAM)
        end = start + timedelta(days=1)
        return (self.since is None or end > self.since) and (
            self.until is None or start < self.until
        )

    def month_in_range(self, year: int, month: int) -> bool:
        """Whether a calendar month overlaps the window."""
        start = datetime.combine(date(year, month, 1), time(), VIETNAM)
        next_month = date(year + month // 12, month % 12 + 1, 1)
        end = datetime.combine(next_month, time(), VIETNAM)
        return (self.since is None or end > self.since) and (
            self.until is None or start < self.until
        )


def parse_lastmod(value: str | None) -> datetime | None:
    """A sitemap ``lastmod`` / feed date as an aware datetime (local time if naive)."""
    parsed = parse_any(value)
    return parsed.value if parsed else None
