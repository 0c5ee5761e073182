"""Store pipeline: hands articles and extraction failures to the background writer.

Settings read: ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
``ARCHIVE_NEAR_DUP_THRESHOLD``, ``ARCHIVE_WRITER_QUEUE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.items import Article
from crawler.storage import writer as storage_writer
from crawler.storage.records import ExtractionFailure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class StorePipeline:
    """Stores :class:`crawler.items.Article` and :class:`ExtractionFailure` items.

    The item is put on the queue of the crawler's :class:`crawler.storage.writer.StorageWriter`
    (shared with :class:`pipelines.pages.PageLedger`) and passed on at once; the writer thread
    deduplicates and writes up to ``ARCHIVE_BATCH_SIZE`` items per transaction. Nothing here
    touches the database on the reactor thread. When the writer's backlog reaches
    ``ARCHIVE_WRITER_QUEUE`` operations (default 4 x batch size) ``process_item`` awaits room
    (waiting in a thread), which slows the crawl down instead of growing memory. Closing the
    spider waits (in a thread) until everything is committed.

    Outcomes end up on the page row of ``item.url`` ("stored", "duplicate", "updated",
    "unchanged", "failed") and in the crawler stats as ``archive/store/<outcome>``.

    Settings read: ``ARCHIVE_DATABASE_URL``, ``ARCHIVE_DATA_DIR``, ``ARCHIVE_BATCH_SIZE``,
    ``ARCHIVE_NEAR_DUP_THRESHOLD``, ``ARCHIVE_WRITER_QUEUE``.
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
        self.writer = storage_writer.acquire(self.crawler, self.crawler.spider)

    async def process_item(self, item: Any) -> Any:
        """Queue an article or a failure for storage; other items pass through."""
        if not isinstance(item, Article | ExtractionFailure):
            return item
        writer = self.writer
        assert writer is not None, "open_spider() was not called"
        if writer.full():
            await maybe_deferred_to_future(deferToThread(writer.wait_for_room))
        writer.submit("article" if isinstance(item, Article) else "failure", item)
        return item

    async def close_spider(self) -> None:
        """Wait (off the reactor) until every queued item is committed."""
        if self.writer is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else None
        await maybe_deferred_to_future(
            deferToThread(storage_writer.release, self.crawler, "finished", stats)
        )
        self.writer = None
