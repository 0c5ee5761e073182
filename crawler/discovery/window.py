"""How far back a crawl's discovery looks, in the outlet's local dates.

Publication dates only narrow *backfills*: ``--since`` to ``--until`` inclusive, local dates
in Asia/Ho_Chi_Minh; an article published outside that range is not stored by it.

An *incremental* crawl stores every article it discovers that the archive does not have
(the URL ledger decides what is due), unless it is known to predate the outlet's *horizon*:
the fixed point its first incremental crawl started from (``ARCHIVE_FIRST_CRAWL_DAYS`` back);
older articles are backfill territory. There is no moving publication-date window: a story
written at 08:00 and published at 11:00, after a crawl at 09:00, is stored by the next crawl.
The window only bounds where an incremental crawl *looks* for new URLs: sitemaps last
modified, and listing pages whose newest entry is, before :attr:`CrawlWindow.since` are not
read. That bound is the horizon or, once the outlet has been crawled,
``ARCHIVE_DISCOVERY_LOOKBACK_DAYS`` before its previous complete crawl, whichever is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from crawler.extraction.dates import VIETNAM, parse_any


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` command-line date; ValueError with a clear message otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from exc


@dataclass(frozen=True)
class CrawlWindow:
    """Where a crawl looks for articles, and (backfills only) which ones it stores."""

    mode: str
    """"incremental" or "backfill"."""

    since: datetime | None
    """Start of discovery (aware); for a backfill also the start of its range."""

    until: datetime | None = None
    """End of a backfill's range, exclusive (aware); None for incremental crawls."""

    refresh: bool = False
    """Fetch stored articles again even when nothing says they changed."""

    horizon: datetime | None = None
    """Incremental: the outlet's horizon; URLs known to be older are not due."""

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
        cls,
        horizon: datetime,
        previous_crawl: datetime | None,
        lookback: timedelta,
        refresh: bool = False,
    ) -> CrawlWindow:
        """Discovery back to the horizon, or ``lookback`` before the previous complete crawl
        when that is later."""
        since = horizon
        if previous_crawl is not None and previous_crawl - lookback > horizon:
            since = previous_crawl - lookback
        return cls("incremental", since, None, refresh, horizon)

    def modified_in_range(self, lastmod: datetime | None) -> bool:
        """Whether something last modified at ``lastmod`` may hold articles of the window.

        Something last modified before the window starts cannot hold an article published
        (or changed) in it; a later modification says nothing about the publication date,
        so the upper bound is not applied here."""
        if lastmod is None or self.since is None:
            return True
        return lastmod >= self.since

    def published_in_range(self, published: datetime | None) -> bool:
        """Whether the crawl stores an article published at ``published``.

        A backfill stores its range (an unknown date is in no range); an incremental crawl
        everything not known to predate the outlet's horizon."""
        if self.mode != "backfill":
            return published is None or self.horizon is None or published >= self.horizon
        if published is None:
            return False
        if self.since is not None and published < self.since:
            return False
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
