"""Scrapy add-on: ``ARCHIVE_REDIS_URL`` turns a crawl into a worker of a shared crawl.

Listed in ``ADDONS`` (crawler/settings.py), it runs once every setting is known (project,
environment, ``-s``, spider) and, only when ``ARCHIVE_REDIS_URL`` is set, switches in:

* scrapy-redis' scheduler and dupefilter (:class:`~crawler.cluster.scheduler.ClusterScheduler`,
  ``SCHEDULER_PERSIST``, the JSON serializer of :mod:`crawler.cluster.serializer`);
* the cluster's politeness (:class:`~crawler.cluster.politeness.ClusterPoliteness`) in place
  of the per-process delays: ``DOWNLOAD_DELAY`` 0, AutoThrottle and the per-process
  Crawl-delay middleware off (their limits would hold per worker, not for the cluster), and
  ``CONCURRENT_REQUESTS_PER_DOMAIN`` at least ``ARCHIVE_OUTLET_CONCURRENCY`` so the local
  limit never undercuts the cluster's;
* seeding (:class:`~crawler.cluster.seeding.ClusterSeeding`) and the drain-then-leave rule
  (:class:`~crawler.cluster.extension.ClusterExtension`);
* ``ARCHIVE_WORKER_ID`` (``<host>-<pid>`` unless given), which names the worker's leases and
  its WARC files.

Values given explicitly on the command line (``-s DOWNLOAD_DELAY=…``) win over these.
Without ``ARCHIVE_REDIS_URL`` nothing changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.cluster.connection import cluster_enabled, worker_id

if TYPE_CHECKING:
    from scrapy.settings import Settings

PRIORITY = 25
"""Above the project's own settings (20: settings.py and the environment) that a shared crawl
must change, below spider settings (30) and the command line (40)."""

POLITENESS_ORDER = 950
"""After every other downloader middleware: a slot is held only while the request is out."""


class ClusterAddon:
    """The add-on (see the module docstring)."""

    def update_settings(self, settings: Settings) -> None:
        """Switch the crawl to the shared frontier when ``ARCHIVE_REDIS_URL`` is set."""
        if not cluster_enabled(settings):
            return
        settings.set("ARCHIVE_WORKER_ID", worker_id(settings), PRIORITY)
        settings.set("SCHEDULER", "crawler.cluster.scheduler.ClusterScheduler", PRIORITY)
        settings.set("SCHEDULER_PERSIST", True, PRIORITY)
        settings.set("SCHEDULER_SERIALIZER", "crawler.cluster.serializer", PRIORITY)
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", PRIORITY)
        settings.set("DOWNLOAD_DELAY", 0, PRIORITY)
        settings.set("AUTOTHROTTLE_ENABLED", False, PRIORITY)
        outlet = settings.getint("ARCHIVE_OUTLET_CONCURRENCY", 4)
        if settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8) < outlet:
            settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", outlet, PRIORITY)
        # Import strings, not classes: the add-on runs before Scrapy installs its reactor, and
        # these modules must not be imported (nor install the default reactor) that early.
        _component(settings, "DOWNLOADER_MIDDLEWARES", POLITENESS, POLITENESS_ORDER)
        _component(settings, "DOWNLOADER_MIDDLEWARES", CRAWL_DELAY, None)
        _component(settings, "SPIDER_MIDDLEWARES", "crawler.cluster.seeding.ClusterSeeding", 0)
        _component(settings, "EXTENSIONS", "crawler.cluster.extension.ClusterExtension", 600)


POLITENESS = "crawler.cluster.politeness.ClusterPoliteness"
CRAWL_DELAY = "crawler.middleware.crawldelay.CrawlDelayMiddleware"


def _component(settings: Settings, name: str, path: str, order: int | None) -> None:
    """Set one entry of a component dictionary setting, keeping the setting's priority."""
    components = settings.getdict(name)
    components[path] = order
    settings.set(name, components, settings.getpriority(name) or 0)
