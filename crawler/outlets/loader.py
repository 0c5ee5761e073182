"""Scrapy's spider loader, told about outlet modules outside the package first.

Spiders are generated from the outlet registry when ``spiders.outlets`` is imported, which
Scrapy's loader does: this subclass applies the ``ARCHIVE_OUTLET_MODULES`` setting to the
registry before that, so ``scrapy crawl baoxyz -s ARCHIVE_OUTLET_MODULES=mypapers.baoxyz``
finds the outlet (``SPIDER_LOADER_CLASS`` in :mod:`crawler.settings`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.spiderloader import SpiderLoader

from crawler.outlets import use_outlet_modules

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


class OutletSpiderLoader(SpiderLoader):
    """Scrapy's :class:`~scrapy.spiderloader.SpiderLoader` that reads
    ``ARCHIVE_OUTLET_MODULES`` before loading the spider modules."""

    def __init__(self, settings: BaseSettings) -> None:
        use_outlet_modules(settings.get("ARCHIVE_OUTLET_MODULES") or "")
        super().__init__(settings)
