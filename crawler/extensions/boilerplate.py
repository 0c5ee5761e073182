"""Learned boilerplate in crawls: applied while crawling, learned again afterwards.

:class:`LearnedBoilerplateExtension` hands each spider its outlet's learned boilerplate
when the spider opens (``spider.learned_boilerplate``, passed to
:func:`crawler.extraction.extract_page` by the spider's ``parse_article``), and when the
spider closes, after the store pipeline has flushed, learns the outlet's boilerplate again
from what is archived now (:mod:`crawler.storage.boilerplate`), so the next crawl and
``crawler reextract`` use what this crawl taught.

Learning re-reads up to 400 archived pages (about 5 ms each): it runs in a worker process
(:func:`crawler.parallel.shared_pool`), so the reactor, and the other outlets' spiders of
the same crawl, go on meanwhile, and only after a crawl that ended normally and stored
something new or changed (otherwise the newest pages it samples, and so what it would
learn, are the same as last time; an interrupted or failed crawl is not the moment to read
the archive).

Settings: ``ARCHIVE_LEARN_BOILERPLATE`` (default true; false leaves learned boilerplate
out of crawls entirely), ``ARCHIVE_DATA_DIR`` / ``ARCHIVE_DATABASE_URL`` (the archive).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.config import data_dir

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


def _outlet(spider: Spider) -> str | None:
    profile = getattr(spider, "profile", None)
    return getattr(profile, "domain", None)


class LearnedBoilerplateExtension:
    """Loads the outlet's learned boilerplate for the spider; learns again at its close."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from the crawler's settings; disabled by ``ARCHIVE_LEARN_BOILERPLATE=false``."""
        if not crawler.settings.getbool("ARCHIVE_LEARN_BOILERPLATE", True):
            raise NotConfigured("ARCHIVE_LEARN_BOILERPLATE is off")
        extension = cls(crawler.settings)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _engine(self) -> Any:
        from crawler.storage.db import engine_from_settings

        return engine_from_settings(self.settings)

    def spider_opened(self, spider: Spider) -> None:
        """Give the spider its outlet's learned boilerplate."""
        from crawler.storage.boilerplate import load_learned

        outlet = _outlet(spider)
        if outlet is None:
            return
        engine = self._engine()
        try:
            learned = load_learned(engine, outlet)
        finally:
            engine.dispose()
        spider.learned_boilerplate = learned  # type: ignore[attr-defined]
        logger.info(
            "%s: %d learned boilerplate blocks, %d stored titles",
            outlet,
            len(learned.fingerprints),
            len(learned.titles),
        )

    def spider_closed(self, spider: Spider, reason: str) -> Deferred[None] | None:
        """Learn the outlet's boilerplate again from what is archived now, in a worker
        process; the spider's close waits for it (a Deferred), the reactor does not."""
        from twisted.internet.threads import deferToThread

        from crawler.config import database_url
        from crawler.parallel import shared_pool
        from crawler.storage.db import DB_TIMEOUT

        outlet = _outlet(spider)
        stats = spider.crawler.stats
        assert stats is not None
        stored = sum(
            int(stats.get_value(key, 0) or 0)
            for key in ("archive/store/stored", "archive/store/updated")
        )
        if outlet is None or reason != "finished" or not stored:
            logger.info("%s: boilerplate not learned again (%s, %d stored)", outlet, reason, stored)
            return None
        future = shared_pool(1).submit(
            "crawler.storage.boilerplate:learn_in",
            str(data_dir(self.settings)),  # type: ignore[arg-type]
            database_url(self.settings),  # type: ignore[arg-type]
            self.settings.getfloat("ARCHIVE_DB_TIMEOUT", DB_TIMEOUT),
            outlet,
        )

        def wait() -> None:
            try:
                future.result()
            except Exception:  # learning is an optimisation: never fail the crawl for it
                logger.exception("%s: learning boilerplate after the crawl failed", outlet)

        deferred: Deferred[None] = deferToThread(wait)
        return deferred
