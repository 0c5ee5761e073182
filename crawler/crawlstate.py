"""What a spider asks the database before fetching: which URLs are stored, when it last ran.

The database is the authority, so overlapping backfills and crawls (even in two processes)
never fetch a stored, unchanged article twice. The reads are short indexed look-ups in
batches of at most :data:`BATCH` URLs, done when a sitemap, feed or listing page is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, select, union_all

from crawler.storage.db import engine_from_settings
from crawler.storage.models import Article, CrawlRun, Page

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from scrapy.settings import BaseSettings
    from sqlalchemy.engine import Engine

BATCH = 500
"""URLs per ``IN (...)`` query (well under SQLite's variable limit)."""

GONE_OR_MOVED = (301, 308, 404, 410)
"""HTTP statuses that make a URL known: gone for good, or moved for good (its target is
found and stored under its own URL)."""

RECENT_RUNS = 500
"""How many recent crawl runs are searched for an outlet's previous crawl."""


class CrawlState(Protocol):
    """The archive's memory as a crawl needs it."""

    def stored(self, urls: Iterable[str]) -> dict[str, datetime]:
        """Canonical URLs already stored, with when each was last fetched."""
        ...

    def last_crawl(self, spider_name: str) -> datetime | None:
        """Start of the spider's previous crawl that finished, or None for a first crawl."""
        ...


def _known_query() -> Any:
    """Stored articles and known-dead pages among ``:urls``, with when each was last seen:
    one statement, built once (SQLAlchemy caches its compiled form)."""
    urls: Any = bindparam("urls", expanding=True)
    articles = select(Article.canonical_url, Article.last_seen).where(
        Article.canonical_url.in_(urls)
    )
    dead = select(Page.canonical_url, Page.fetched_at).where(
        Page.canonical_url.in_(urls),
        (Page.outcome == "failed") | Page.status.in_(GONE_OR_MOVED),
    )
    return union_all(dead, articles)


_KNOWN = _known_query()


@dataclass
class DatabaseCrawlState:
    """:class:`CrawlState` read from the archive database."""

    engine: Engine

    def stored(self, urls: Iterable[str]) -> dict[str, datetime]:
        """Canonical URLs already archived, with when each was last fetched.

        Stored articles count, and so do pages kept as failed extractions (re-extracted from
        their WARC record, not fetched again) and pages in :data:`GONE_OR_MOVED`."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, datetime] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), BATCH):
                chunk = wanted[start : start + BATCH]
                for url, seen in connection.execute(_KNOWN, {"urls": chunk}):
                    if url and (url not in found or seen > found[url]):
                        found[url] = seen
        return found

    def last_crawl(self, spider_name: str) -> datetime | None:
        """Start of the newest finished run that included ``spider_name``."""
        query = (
            select(CrawlRun.started_at, CrawlRun.spiders)
            .where(CrawlRun.finished_at.is_not(None), CrawlRun.status == "finished")
            .order_by(CrawlRun.started_at.desc())
            .limit(RECENT_RUNS)
        )
        with self.engine.connect() as connection:
            for started_at, spiders in connection.execute(query):
                if spider_name in (spiders or []):
                    return started_at
        return None


def open_state(settings: BaseSettings) -> CrawlState:
    """The crawl state of the database the settings name (migrated on first use)."""
    return DatabaseCrawlState(engine_from_settings(settings))
