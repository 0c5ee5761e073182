"""Store pipeline: hands articles and extraction failures to the background writer.

Settings read: ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
``ARCHIVE_NEAR_DUP_THRESHOLD``, ``ARCHIVE_WRITER_QUEUE``, ``ARCHIVE_DB_OUTAGE_MAX``,
``ARCHIVE_SHUTDOWN_TIMEOUT``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.items import Article
from crawler.runstatus import STORAGE_FAILED, stop_from_thread
from crawler.storage import writer as storage_writer
from crawler.storage.records import ExtractionFailure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class StorePipeline:
    """Stores :class:`crawler.items.Article` and :class:`ExtractionFailure` items.

    The item is put on the queue of the crawler's :class:`crawler.storage.writer.StorageWriter`
    (shared with :class:`pipelines.pages.PageLedger`) and passed on at once; the writer thread
    deduplicates and writes up to ``ARCHIVE_BATCH_SIZE`` items per transaction. Nothing here
    touches the database on the reactor thread.

    Backpressure: when the writer's backlog reaches ``ARCHIVE_WRITER_QUEUE`` operations
    (default 4 x batch size) — the database is slow, or unreachable and being waited for —
    ``process_item`` waits (on a Deferred the writer fires when room frees, not in a thread),
    so Scrapy stops feeding new responses and the crawl pauses instead of dropping items or
    growing memory. If the database stays unreachable beyond ``ARCHIVE_DB_OUTAGE_MAX`` the
    spider is closed ("storage_unavailable") and what was not stored stays due in the ledger.

    Outcomes end up on the page row of ``item.url`` ("stored", "duplicate", "updated",
    "unchanged", "failed") and in the crawler stats as ``archive/store/<outcome>``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.writer: storage_writer.StorageWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """The pipeline of ``crawler``."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Start (or join) the crawler's writer; no I/O here, the thread does it."""
        self.writer = storage_writer.acquire(
            self.crawler,
            self.crawler.spider,
            on_fatal=lambda _: stop_from_thread(self.crawler, STORAGE_FAILED),
        )

    async def process_item(self, item: Any) -> Any:
        """Queue an article or a failure for storage; other items pass through."""
        if not isinstance(item, Article | ExtractionFailure):
            return item
        writer = self.writer
        assert writer is not None, "open_spider() was not called"
        # Wait while the writer is behind, but never past a stop (Ctrl-C, storage failed):
        # the crawl's shutdown waits for this very item, and only then abandons the writer.
        while writer.full() and writer.fatal is None and self.crawler.crawling:
            await maybe_deferred_to_future(self._room(writer))
        writer.submit("article" if isinstance(item, Article) else "failure", item)
        return item

    @staticmethod
    def _room(writer: storage_writer.StorageWriter) -> Deferred[None]:
        """A Deferred fired on the reactor once the writer's backlog is below its limit, or
        after a second (so the caller looks again at whether the crawl is stopping)."""
        waiter: Deferred[None] = Deferred()

        def wake() -> None:  # called in the writer thread
            from twisted.internet import reactor  # not at import: Scrapy installs it

            reactor.callFromThread(_fire, waiter)

        writer.add_room_listener(wake)
        call_later(1.0, _fire, waiter)
        return waiter

    async def close_spider(self) -> None:
        """Let go of the writer. The page ledger's ``spider_closed``, which comes after,
        waits for the commits (bounded) and closes the run; without it, the last release
        here does (with a status that only says the pipeline closed)."""
        if self.writer is None:
            return
        timeout = self.crawler.settings.getfloat("ARCHIVE_DB_OUTAGE_MAX", 300.0) + 60.0
        await maybe_deferred_to_future(
            deferToThread(storage_writer.release, self.crawler, "finished", None, timeout, False)
        )
        self.writer = None


def _fire(waiter: Deferred[None]) -> None:
    if not waiter.called:
        waiter.callback(None)
