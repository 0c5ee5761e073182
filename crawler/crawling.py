"""Running crawls in this process: the ``crawler crawl`` and ``crawler demo`` machinery."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.crawler import CrawlerProcess

from crawler import runstatus
from crawler.config import data_dir

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)


def _with_jobdir(spidercls: type[Spider], settings: Settings) -> type[Spider]:
    """A subclass whose JOBDIR is the spider's own folder under the data dir."""
    jobdir = Path(data_dir(settings)) / "jobs" / str(spidercls.name)
    custom = dict(spidercls.custom_settings or {})
    custom["JOBDIR"] = str(jobdir)
    return type(spidercls.__name__, (spidercls,), {"custom_settings": custom})


def summary_line(crawler: Crawler) -> str:
    """One line per outlet (:func:`crawler.runstatus.summary_line`)."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    name = crawler.spider.name if crawler.spider else "?"
    return runstatus.summary_line(name, stats)


def run_crawl(
    settings: Settings,
    spider_classes: list[type[Spider]],
    spider_args: dict[str, Any],
    *,
    resume: bool = False,
    generic_url: str | None = None,
) -> int:
    """Crawl with every spider in one process; the exit status of the worst outlet
    (:func:`crawler.runstatus.exit_code`)."""
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
    statuses: list[str] = []
    for crawler in crawlers:
        print(summary_line(crawler), flush=True)
        stats = crawler.stats.get_stats() if crawler.stats else {}
        statuses.append(str(stats.get("archive/run/status") or "failed"))
    return runstatus.exit_code(statuses)
