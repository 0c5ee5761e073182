"""Learned boilerplate in crawls: applied while crawling, learned again afterwards.

:class:`LearnedBoilerplateExtension` hands each spider its outlet's learned boilerplate
when the spider opens (``spider.learned_boilerplate``, passed to
:func:`crawler.extraction.extract_page` by the spider's ``parse_article``), and when the
spider closes, after the store pipeline has flushed, learns the outlet's boilerplate again
from what is archived now (:mod:`crawler.storage.boilerplate`), so the next crawl and
``crawler reextract`` use what this crawl taught.

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

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Learn the outlet's boilerplate again from what is archived now."""
        from crawler.storage.boilerplate import learn_outlet

        outlet = _outlet(spider)
        if outlet is None:
            return
        engine = self._engine()
        try:
            learn_outlet(engine, data_dir(self.settings), outlet)  # type: ignore[arg-type]
        except Exception:  # learning is an optimisation: never fail the crawl for it
            logger.exception("%s: learning boilerplate after the crawl failed", outlet)
        finally:
            engine.dispose()
