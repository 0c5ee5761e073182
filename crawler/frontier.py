"""The crawl's side of the URL ledger: what a spider asks it and what it tells it.

A spider holds one :class:`Frontier` for its outlet. Reads (which URLs are known, what is due,
the outlet's horizon, which sitemaps were read) are short indexed queries run in a thread,
never on the reactor; writes (URLs discovered, sitemaps and listing pages read, fetches that
failed, articles deferred) are queued on the crawl's storage writer and committed with the
pages and articles of the same batches (:mod:`crawler.storage.ledger`). The database is the
authority, so overlapping crawls (even in two processes) agree on what is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from asyncio import sleep
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from crawler.background import BackgroundTimeout, run_in_thread
from crawler.config import database_url
from crawler.storage import ledger
from crawler.storage import writer as storage_writer
from crawler.storage.batches import is_outage
from crawler.storage.db import engine_from_settings, read_connection
from crawler.storage.records import Deferred, Discovered, FetchFailure, Visited
from crawler.storage.tables import OUTLETS, RUNS, utcnow

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

    from crawler.storage.ledger import LedgerEntry

logger = logging.getLogger(__name__)

RECENT_RUNS = 500
"""How many recent crawl runs are searched for a spider's previous complete crawl."""

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(crawler: Crawler) -> Engine:
    """One reading engine per database and process (all spiders of a crawl share it)."""
    url = str(database_url(crawler.settings))
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = engine_from_settings(crawler.settings)
        return engine


class Frontier:
    """One outlet's view of the URL ledger, for a spider.

    ``outlet`` is the outlet's domain (the ledger key of its URLs). Writes go through the
    crawler's storage writer (:func:`crawler.storage.writer.writer_of`), which the page
    ledger extension acquires when the spider opens.
    """

    def __init__(self, crawler: Crawler, outlet: str) -> None:
        self.crawler = crawler
        self.outlet = outlet
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The reading engine (created, and the schema migrated, on first use)."""
        if self._engine is None:
            self._engine = _engine(self.crawler)
        return self._engine

    # --- reads (in a thread) -----------------------------------------------------------------

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in a daemon thread (a silent database never hangs the crawl,
        nor its shutdown). A lost database is waited for as the storage writer does, up to
        ``ARCHIVE_DB_OUTAGE_MAX``: each try is given up after twice ``ARCHIVE_DB_TIMEOUT``
        (:class:`crawler.background.BackgroundTimeout`), then tried again after a pause."""
        settings = self.crawler.settings
        timeout = 2 * settings.getfloat("ARCHIVE_DB_TIMEOUT", 30.0)
        deadline = time.monotonic() + settings.getfloat("ARCHIVE_DB_OUTAGE_MAX", 300.0)
        pause = 0.5
        while True:
            try:
                return await run_in_thread(function, *args, timeout=timeout)
            except Exception as exc:
                if not (is_outage(exc) or isinstance(exc, BackgroundTimeout)):
                    raise
                # Stopping (Ctrl-C, storage failed): no more waiting for the database.
                if time.monotonic() + pause > deadline or not self.crawler.crawling:
                    raise
                logger.warning("the database is not answering (%s); trying again", exc)
                await sleep(pause)
                pause = min(10.0, pause * 2)

    def lookup_now(self, urls: Iterable[str]) -> dict[str, LedgerEntry]:
        """What the ledger knows of ``urls`` (blocking)."""
        with read_connection(self.engine) as conn:
            return ledger.lookup(conn, urls)

    async def lookup(self, urls: Iterable[str]) -> dict[str, LedgerEntry]:
        """What the ledger knows of ``urls``."""
        result: dict[str, LedgerEntry] = await self.run(self.lookup_now, list(urls))
        return result

    def due_now(
        self, since: datetime | None, until: datetime | None, backfill: bool
    ) -> list[LedgerEntry]:
        """The outlet's URLs to fetch before any discovery (blocking)."""
        with read_connection(self.engine) as conn:
            return ledger.due(
                conn, self.outlet, utcnow(), since=since, until=until, backfill=backfill
            )

    async def due(
        self, since: datetime | None, until: datetime | None, backfill: bool
    ) -> list[LedgerEntry]:
        """The outlet's URLs to fetch before any discovery (see :func:`ledger.due`)."""
        result: list[LedgerEntry] = await self.run(self.due_now, since, until, backfill)
        return result

    def horizon_now(self, first_days: int) -> datetime:
        """The outlet's crawl horizon; on its first incremental crawl ``first_days`` back
        from now, recorded (blocking)."""
        with read_connection(self.engine) as conn:
            found = conn.execute(
                select(OUTLETS.c.crawl_horizon).where(OUTLETS.c.domain == self.outlet)
            ).scalar()
        if found is not None:
            horizon: datetime = found
            return horizon
        horizon = utcnow() - timedelta(days=first_days)
        self._submit("horizon", (self.outlet, horizon))
        return horizon

    async def horizon(self, first_days: int) -> datetime:
        """:meth:`horizon_now` in a thread."""
        result: datetime = await self.run(self.horizon_now, first_days)
        return result

    def last_complete_crawl(self, spider_name: str) -> datetime | None:
        """Start of the spider's newest incremental crawl that ran to its end ("finished" or
        "partial"), or None (blocking)."""
        query = (
            select(RUNS.c.started_at, RUNS.c.spiders)
            .where(RUNS.c.status.in_(("finished", "partial")), RUNS.c.mode == "incremental")
            .order_by(RUNS.c.started_at.desc())
            .limit(RECENT_RUNS)
        )
        with read_connection(self.engine) as conn:
            for started_at, spiders in conn.execute(query):
                if spider_name in (spiders or []):
                    found: datetime = started_at
                    return found
        return None

    def counts_now(
        self,
        since: datetime | None,
        until: datetime | None,
        backfill: bool,
        run_id: int | None = None,
    ) -> dict[str, int]:
        """The outlet's article URLs per state, plus ``due``: what a crawl of this scope
        would still have to fetch, and what run ``run_id`` left pending (blocking)."""
        with read_connection(self.engine) as conn:
            counts = ledger.state_counts(conn, self.outlet)
            due = ledger.due(
                conn,
                self.outlet,
                utcnow(),
                since=since,
                until=until,
                backfill=backfill,
                run_id=run_id,
            )
            counts["due"] = len(due)
        return counts

    # --- writes (queued on the storage writer) ---------------------------------------------------

    def discovered(self, entries: Sequence[Discovered]) -> None:
        """Record URLs a source named (new ones become ``pending``)."""
        if entries:
            self._submit("discovered", list(entries))

    def visited(self, url: str, kind: str, lastmod: datetime | None = None) -> None:
        """Record a sitemap or listing page read to the end."""
        self._submit("visited", Visited(url=url, outlet=self.outlet, kind=kind, lastmod=lastmod))

    def failed(
        self, url: str, reason: str, status: int | None = None, *, gone: bool = False
    ) -> None:
        """Record a fetch that gave no usable response."""
        self._submit("fetch_failed", FetchFailure(url=url, reason=reason, status=status, gone=gone))

    def deferred(self, url: str, reason: str, published: datetime | None) -> None:
        """Record an article fetched but deliberately not stored (pending again)."""
        self._submit("deferred", Deferred(url=url, reason=reason, published_hint=published))

    def _submit(self, kind: str, payload: Any) -> None:
        writer = storage_writer.writer_of(self.crawler)
        if writer is None:
            logger.warning("no storage writer: ledger update %s not recorded", kind)
            return
        writer.submit(kind, payload)
