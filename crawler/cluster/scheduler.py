"""scrapy-redis' scheduler, for the project's own spiders, with leases and crawl generations.

Enabled by :mod:`crawler.cluster.addon` when ``ARCHIVE_REDIS_URL`` is set. Over
``scrapy_redis.scheduler.Scheduler`` it changes:

* **where**: :meth:`ClusterScheduler.open` joins (or seeds) the spider's shared crawl
  (:mod:`crawler.cluster.crawls`) and uses that generation's queue and dupefilter keys;
* **the queue**: a :class:`~crawler.cluster.queue.LeasedQueue` (pops are leases, JSON
  requests, never pickle) — scrapy-redis' own ``PriorityQueue`` underneath;
* **how much it takes**: at most ``ARCHIVE_CLUSTER_PREFETCH`` requests of the queue are held
  (leased, unfinished) by one crawler at a time, so the work stays in Redis for whichever
  worker is free, and a killed worker had little in hand;
* **closing**: persisted always (``SCHEDULER_PERSIST``: one worker's exit never flushes the
  others' work); :meth:`close` waits (in a thread) for the storage writer to commit, then
  releases the finished leases — or puts them back in the queue if storage failed.

Stats: ``archive/cluster/leased`` (requests popped), ``archive/cluster/released``,
``archive/cluster/requeued_own`` and ``archive/cluster/requeued_from_dead``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet.threads import deferToThread

from crawler.cluster import serializer
from crawler.cluster.crawls import SharedCrawl
from crawler.cluster.queue import LEASE_META, LeasedQueue
from crawler.cluster.worker import Membership, set_membership, worker_for

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from crawler.cluster.worker import ClusterWorker

logger = logging.getLogger(__name__)


class ClusterScheduler(Scheduler):  # type: ignore[misc]  # scrapy-redis is untyped
    """The shared-frontier scheduler (see the module docstring)."""

    crawler: Crawler
    worker: ClusterWorker
    prefetch: int
    membership: Membership | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from the crawler's settings; the process' cluster worker starts here."""
        settings = crawler.settings
        worker = worker_for(settings)
        instance = cls(
            server=worker.redis,
            persist=True,
            serializer=serializer,
            dupefilter=None,
            idle_before_close=0,
        )
        instance.stats = crawler.stats
        instance.crawler = crawler
        instance.worker = worker
        instance.prefetch = max(1, settings.getint("ARCHIVE_CLUSTER_PREFETCH", 2))
        return instance

    def open(self, spider: Spider) -> None:
        """Join the spider's shared crawl (or seed it) and open its queue."""
        self.spider = spider
        crawl = SharedCrawl(self.server, self.worker.keys, str(spider.name), self.worker.id)
        crawl.join()
        keys = crawl.generation_keys
        self.queue = LeasedQueue(self.server, spider, keys, self.worker.id, self.serializer)
        self.df = RFPDupeFilter(
            self.server, key=keys.dupefilter, debug=spider.settings.getbool("DUPEFILTER_DEBUG")
        )
        self.membership = Membership(self.crawler, crawl, self.queue, self.worker)
        set_membership(self.crawler, self.membership)
        self.worker.register(self.membership)
        if self.stats is not None:
            self.stats.set_value("archive/cluster/worker", self.worker.id)
            self.stats.set_value("archive/cluster/generation", crawl.generation)
            self.stats.set_value("archive/cluster/role", crawl.role)
        if len(self.queue):
            logger.info("%s: %d requests already in the shared queue", spider.name, len(self))

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request in Redis unless the shared dupefilter has seen it (checked and
        recorded in the same script as the push); a request that carries a lease (a retry,
        a redirect) takes over its place. A request for a URL the ledger tracks waits in the
        outbox until the ledger rows written before it are committed (see
        :mod:`crawler.cluster.worker`)."""
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        lease = request.meta.get(LEASE_META)
        member = self.membership
        if member is not None and request.meta.get("ledger_url"):
            if lease is not None:
                member.transferred(str(lease))
            member.post(request, fingerprint)
            return True
        queued = self.queue.push(request, fingerprint)
        if not queued:
            self.df.log(request, self.spider)
            return False
        if self.stats is not None:
            self.stats.inc_value("scheduler/enqueued/redis")
        if lease is not None and member is not None:
            member.transferred(str(lease))
        return True

    def next_request(self) -> Request | None:
        """The next request of the shared queue, leased to this worker; None while this
        crawler holds ``ARCHIVE_CLUSTER_PREFETCH`` unfinished requests already."""
        member = self.membership
        assert member is not None, "open() was not called"
        member.collect_done()
        if len(member.active) >= self.prefetch:
            return None
        request: Request | None = self.queue.pop()
        if request is None:
            return None
        member.leased(str(request.meta[LEASE_META]), request)
        if self.stats is not None:
            self.stats.inc_value("archive/cluster/leased")
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Whether the shared queue holds requests (any worker's)."""
        return len(self) > 0

    def close(self, reason: str) -> Deferred[Any] | None:
        """Release (after the writer committed) or give back every lease this crawler holds,
        then leave the cluster; the queue is never flushed."""
        member = self.membership
        if member is None:
            return None
        self.membership = None
        member.collect_done()
        unfinished = list(member.active)
        member.active.clear()

        def settle() -> None:
            try:
                if unfinished:
                    member.stat("archive/cluster/requeued_own", member.queue.requeue(unfinished))
                member.worker.release_finished([member])
                member.send(member.take_outbox())
                left = member.take_done()
                if left:  # the writer never caught up: another worker takes them
                    member.stat("archive/cluster/requeued_own", member.queue.requeue(left))
            finally:
                set_membership(self.crawler, None)
                member.worker.unregister(member)

        del reason
        return deferToThread(settle)
