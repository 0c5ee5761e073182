"""Page ledger: one ``pages`` row per fetched response and one ``crawl_runs`` row per crawl.

Contract with the WARC writer (``crawler/archive/``)
----------------------------------------------------
The archive extension (:class:`crawler.archive.extension.WarcArchive`) writes every response
to a WARC file as it is downloaded and sets on the *request* (``response.meta`` is that same
dict once the response reaches the engine)::

    request.meta["warc"] = {"file": "<path relative to ARCHIVE_DATA_DIR>",
                            "offset": <int byte offset of the record holding the payload>,
                            "length": <int record length in bytes>,
                            "digest": "<WARC-Payload-Digest>",
                            "date": "<WARC-Date, ISO 8601>", "revisit": <bool>}

The ledger copies that location and digest onto the page row (``warc_file``, ``warc_offset``,
``warc_length``, ``payload_digest``) and takes the record's ``WARC-Date`` as ``fetched_at``
(the revisit index of later crawls relies on it: :mod:`crawler.storage.captures`); a response
without it is recorded with an empty location and the time it reached the ledger.

Contract with spiders
---------------------
Yield a :class:`crawler.items.Article` (``url`` = ``response.url``) for a page that extracted,
or a :class:`crawler.storage.records.ExtractionFailure` (``url`` = ``response.url``, ``error``)
for one that did not. The store pipeline then sets the page row's ``outcome`` ("stored",
"duplicate", "updated", "unchanged", "failed"), ``error`` and ``article_id``. Pages that give
no item (listings, sitemaps, robots.txt) keep ``outcome`` empty.

Enable with ``EXTENSIONS = {"pipelines.pages.PageLedger": 500}``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.runstatus import SHUTDOWN, STORAGE_FAILED, RunCounts, run_status, stop_from_thread
from crawler.storage import writer as storage_writer
from crawler.storage.records import PageRecord
from crawler.storage.tables import utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def warc_location(meta: dict[str, Any]) -> tuple[str | None, int | None, int | None]:
    """``(file, offset, length)`` from ``meta["warc"]``, Nones when absent or malformed."""
    warc = meta.get("warc")
    if not isinstance(warc, dict):
        return None, None, None
    file = warc.get("file")
    offset, length = warc.get("offset"), warc.get("length")
    return (
        str(file) if file else None,
        int(offset) if isinstance(offset, int) else None,
        int(length) if isinstance(length, int) else None,
    )


def warc_capture(meta: dict[str, Any]) -> tuple[str | None, datetime | None]:
    """``(payload digest, WARC-Date)`` from ``meta["warc"]``, Nones when absent or malformed."""
    warc = meta.get("warc")
    if not isinstance(warc, dict):
        return None, None
    digest = warc.get("digest")
    try:
        date = datetime.fromisoformat(str(warc.get("date")))
    except ValueError:
        date = None
    if date is not None and date.tzinfo is None:
        date = None  # never guess a zone
    return (str(digest) if isinstance(digest, str) and digest else None), date


class PageLedger:
    """Scrapy extension recording every response and the crawl run.

    * ``spider_opened``: starts (or joins) the crawler's storage writer, which opens a
      ``crawl_runs`` row (spider name, ``spider.crawl_mode`` if any, status "running"); if
      storage later fails for good, the spider is closed (reason "storage_unavailable");
    * ``response_received``: queues a :class:`PageRecord` (URL, status, time, WARC location
      and payload digest from ``request.meta["warc"]``, the URL-ledger entry from
      ``request.meta["ledger_url"]``) — queued, never written on the reactor thread;
    * ``spider_closed``: waits (in a thread, bounded) for the writer to commit everything,
      reads what is still due in the URL ledger for the spider's scope, decides the run's
      status (:mod:`crawler.runstatus`) and closes the run with it and the crawler stats
      (``archive/run/status``, ``archive/ledger/*`` are added to them).

    Settings read: ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
    ``ARCHIVE_NEAR_DUP_THRESHOLD``, ``ARCHIVE_WRITER_QUEUE``, ``ARCHIVE_DB_OUTAGE_MAX`` (through
    the shared writer) and ``ARCHIVE_SHUTDOWN_TIMEOUT`` (how long an interrupted crawl waits
    for its writer).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.writer: storage_writer.StorageWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageLedger:
        """Connect the ledger to the crawler's signals."""
        ledger = cls(crawler)
        crawler.signals.connect(ledger.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ledger.response_received, signal=signals.response_received)
        crawler.signals.connect(ledger.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        return ledger

    def spider_opened(self, spider: Any) -> None:
        """Start the shared writer (its thread opens the crawl run)."""
        self.writer = storage_writer.acquire(self.crawler, spider, on_fatal=self._storage_failed)

    def _storage_failed(self, exc: BaseException) -> None:
        logger.error("storage is unavailable, stopping the crawl: %s", exc)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("archive/store/fatal", str(exc)[:500])
        stop_from_thread(self.crawler, STORAGE_FAILED)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        """Queue one page row for the response."""
        if self.writer is None:
            return
        meta = getattr(request, "meta", None)
        if meta is None:
            try:
                meta = response.meta
            except AttributeError:
                meta = {}
        file, offset, length = warc_location(meta)
        digest, date = warc_capture(meta)
        self.writer.submit(
            "page",
            PageRecord(
                url=response.url,
                status=getattr(response, "status", None),
                fetched_at=date or utcnow(),
                warc_file=file,
                warc_offset=offset,
                warc_length=length,
                payload_digest=digest,
                requested_url=meta.get("ledger_url"),
            ),
        )

    def response_downloaded(self, response: Any, request: Any, spider: Any) -> None:
        """Queue a page row for a redirect, which RedirectMiddleware consumes before the engine.

        Recorded on the next reactor turn, once every handler of this signal has run (the
        WARC archive extension archives every response from this same signal and puts the
        location in ``request.meta``)."""
        status = getattr(response, "status", None)
        if self.writer is None or status is None or not 300 <= status < 400:
            return
        call_later(0, self.response_received, response, request, spider)

    async def spider_closed(self, spider: Any, reason: str) -> None:
        """Commit everything, tell the run's truth, and close the crawl run."""
        if self.writer is None:
            return
        settings = self.crawler.settings
        if reason == SHUTDOWN:
            timeout = settings.getfloat("ARCHIVE_SHUTDOWN_TIMEOUT", 30.0)
        else:
            timeout = settings.getfloat("ARCHIVE_DB_OUTAGE_MAX", 300.0) + 60.0
        flushed = await maybe_deferred_to_future(deferToThread(self.writer.flush, timeout))
        stats = self.crawler.stats
        if not flushed:
            logger.error("the storage writer did not finish in %.0f s: abandoning it", timeout)
            self.writer.abandon()
            stats.set_value("archive/store/abandoned", True)
        frontier = getattr(spider, "frontier", None)
        window = getattr(spider, "window", None)
        if frontier is not None and window is not None and self.writer.fatal is None:
            await self._ledger_counts(self.writer, frontier, window)
        counts = RunCounts.from_stats(stats.get_stats())
        # A database outage that outlasted ARCHIVE_DB_OUTAGE_MAX while the run was closing
        # (every page fetched, the last batches not written) fails the run as much as one
        # that stopped the crawl: its close reason is still "finished".
        fatal = self.writer.fatal is not None and reason != SHUTDOWN
        status = run_status(STORAGE_FAILED if fatal else reason, counts)
        stats.set_value("archive/run/status", status)
        await maybe_deferred_to_future(
            deferToThread(storage_writer.release, self.crawler, status, stats.get_stats(), timeout)
        )
        self.writer = None

    async def _ledger_counts(
        self, writer: storage_writer.StorageWriter, frontier: Any, window: Any
    ) -> None:
        """What the ledger says of the spider's outlet: URLs per state, and still due."""
        backfill = window.mode == "backfill"
        since = window.since if backfill else window.horizon
        try:
            counts = await frontier.run(
                frontier.counts_now, since, window.until, backfill, writer.run_id
            )
        except Exception as exc:  # the database went away at the very end
            logger.error("could not read the URL ledger at the end of the crawl: %s", exc)
            self.crawler.stats.set_value("archive/ledger/unknown", True)
            self.crawler.stats.inc_value("archive/store/errors")
            return
        for state, count in counts.items():
            self.crawler.stats.set_value(f"archive/ledger/{state}", count)
