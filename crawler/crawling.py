"""Running crawls in this process: the ``crawler crawl`` and ``crawler demo`` machinery."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.crawler import CrawlerProcess

from crawler.config import data_dir

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)

SUMMARY_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fetched", ("response_received_count",)),
    ("new", ("archive/store/stored",)),
    ("updated", ("archive/store/updated",)),
    ("duplicates", ("archive/store/duplicate",)),
    ("failed", ("archive/store/failed", "archive/fetch_failed", "spider_exceptions/count")),
)
"""Summary columns and the crawler stats they come from."""


def _with_jobdir(spidercls: type[Spider], settings: Settings) -> type[Spider]:
    """A subclass whose JOBDIR is the spider's own folder under the data dir."""
    jobdir = Path(data_dir(settings)) / "jobs" / str(spidercls.name)
    custom = dict(spidercls.custom_settings or {})
    custom["JOBDIR"] = str(jobdir)
    return type(spidercls.__name__, (spidercls,), {"custom_settings": custom})


def summary_line(crawler: Crawler) -> str:
    """One line per outlet: fetched, new, updated, duplicates, failed."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    name = crawler.spider.name if crawler.spider else "?"
    parts = [
        f"{label}={sum(int(stats.get(key, 0)) for key in keys)}" for label, keys in SUMMARY_KEYS
    ]
    return f"{name}: {' '.join(parts)} (finish: {stats.get('finish_reason', '?')})"


def run_crawl(
    settings: Settings,
    spider_classes: list[type[Spider]],
    spider_args: dict[str, Any],
    *,
    resume: bool = False,
    generic_url: str | None = None,
) -> int:
    """Crawl with every spider in one process; 0 when every crawl finished normally."""
    process = CrawlerProcess(settings, install_root_handler=True)
    crawlers: list[Crawler] = []
    for spidercls in spider_classes:
        cls = _with_jobdir(spidercls, settings) if resume else spidercls
        crawler = process.create_crawler(cls)
        kwargs = dict(spider_args)
        if spidercls.name == "generic" and generic_url:
            kwargs["url"] = generic_url
        process.crawl(crawler, **kwargs)
        crawlers.append(crawler)
    process.start()
    status = 0
    for crawler in crawlers:
        line = summary_line(crawler)
        print(line, flush=True)
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if reason != "finished":
            status = 1
    return status
