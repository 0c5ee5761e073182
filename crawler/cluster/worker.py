"""A worker process of a shared crawl: its heartbeat, its leases, and the dead it buries.

One :class:`ClusterWorker` per process and cluster (Redis URL + prefix), shared by the
crawlers of the process (``crawler crawl --all`` runs one per outlet). Each crawler's part is
a :class:`Membership` (its crawl generation, its leased queue). Two daemon threads, so that
neither a busy reactor nor a slow database can stop them:

* the **heartbeat** (every ``ARCHIVE_CLUSTER_LEASE_TTL`` / 3 s) keeps ``<prefix>:alive:<id>``
  alive for ``ARCHIVE_CLUSTER_LEASE_TTL`` seconds, renews the politeness slots the worker holds
  (:mod:`crawler.cluster.politeness`), and puts back in the queue every request leased by a
  worker of the same crawl whose ``alive`` key expired — a worker killed outright loses
  nothing;
* the **releaser** (every ``ARCHIVE_CLUSTER_RELEASE_EVERY`` s) ends the leases of requests the
  engine is done with, once the storage writer has committed what they produced: it takes the
  finished leases and the *outbox*, flushes the crawlers' writers (everything queued before is
  committed), pushes the outbox to the shared queue, then releases the leases. So a request's
  lease lasts until its article, page row and URL-ledger updates are in the database; a
  SIGKILL before that puts the request back for another worker (the article is fetched twice,
  stored once — the database's unique constraints decide). When the writer has failed for
  good, the leases are put back in the queue instead.

The outbox holds the new requests for URLs the URL ledger tracks (``meta["ledger_url"]``:
articles, listing pages) until the ledger rows that discovered them are committed. Without it
another worker could fetch such a URL and record its failure (404, off-site) before the
discoverer's writer has inserted the row — the ledger only updates rows it has — and the
late insert would leave the URL "pending" for good.

The engine's "done with a request" is Scrapy's own: the request has left the engine's set of
requests in progress (``engine._slot.inprogress``: downloaded, its callback or errback run,
its items through the pipelines, its new requests scheduled). Scrapy has no public signal for
that moment; :func:`in_progress` reads the set, and a missing attribute (another Scrapy
version) is logged and treated as "unknown", never as "done".
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from crawler.cluster.connection import connect, describe, prefix, redis_url, worker_id
from crawler.cluster.keys import ClusterKeys
from crawler.storage import writer as storage_writer

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from crawler.cluster.crawls import SharedCrawl
    from crawler.cluster.queue import LeasedQueue

logger = logging.getLogger(__name__)

_RENEW = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[i - 1], 'XX', until_, ARGV[i])
end
return #ARGV - 1
"""


def in_progress(crawler: Crawler) -> set[Request] | None:
    """The requests the crawler's engine is working on, or None when unknown."""
    engine = getattr(crawler, "engine", None)
    slot = getattr(engine, "_slot", None)
    found = getattr(slot, "inprogress", None)
    return found if isinstance(found, set) else None


def wake(crawler: Crawler) -> None:
    """Ask the crawler's engine for its next request now, not at its 5 s heartbeat."""
    engine = getattr(crawler, "engine", None)
    nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()


class Membership:
    """One crawler's part in a shared crawl: its generation, queue and leases.

    ``active`` (lease id → request) and :meth:`collect_done` belong to the reactor thread;
    the finished leases wait in a locked list for the releaser thread.
    """

    def __init__(
        self, crawler: Crawler, crawl: SharedCrawl, queue: LeasedQueue, worker: ClusterWorker
    ) -> None:
        self.crawler = crawler
        self.crawl = crawl
        self.queue = queue
        self.worker = worker
        self.active: dict[str, Request] = {}
        self.drained_since: float | None = None
        self._done: list[str] = []
        self._outbox: list[tuple[Request, str | None]] = []
        self._lock = threading.Lock()
        self._warned = False

    def leased(self, lease: str, request: Request) -> None:
        """A request popped under ``lease``."""
        self.active[lease] = request

    def transferred(self, lease: str) -> None:
        """The lease passed to a new request in the queue (a retry, a redirect)."""
        self.active.pop(lease, None)

    def collect_done(self) -> None:
        """Move the leases of requests the engine is done with to the release list."""
        if not self.active:
            return
        working = in_progress(self.crawler)
        if working is None:
            if not self._warned:
                self._warned = True
                logger.warning("cannot tell which requests Scrapy finished: leases are kept")
            return
        finished = [lease for lease, request in self.active.items() if request not in working]
        if not finished:
            return
        for lease in finished:
            del self.active[lease]
        with self._lock:
            self._done.extend(finished)

    def take_done(self) -> list[str]:
        """The finished leases waiting for release (emptied)."""
        with self._lock:
            done, self._done = self._done, []
        return done

    def give_back(self, leases: list[str]) -> None:
        """Leases whose release must wait for the next round."""
        if leases:
            with self._lock:
                self._done[:0] = leases

    def pending_release(self) -> int:
        """Finished leases not released yet, and requests waiting in the outbox."""
        with self._lock:
            return len(self._done) + len(self._outbox)

    def post(self, request: Request, fingerprint: str | None) -> None:
        """Queue ``request`` once what was written before it is committed."""
        with self._lock:
            self._outbox.append((request, fingerprint))

    def take_outbox(self) -> list[tuple[Request, str | None]]:
        """The requests waiting for the next commit (emptied)."""
        with self._lock:
            outbox, self._outbox = self._outbox, []
        return outbox

    def send(self, outbox: list[tuple[Request, str | None]]) -> None:
        """Push requests of the outbox to the shared queue (the dupefilter decides)."""
        queued = sum(1 for request, fp in outbox if self.queue.push(request, fp))
        self.stat("scheduler/enqueued/redis", queued)
        self.stat("archive/cluster/filtered", len(outbox) - queued)

    def writer(self) -> storage_writer.StorageWriter | None:
        """The crawler's storage writer (None when storage is not set up)."""
        return storage_writer.writer_of(self.crawler)

    def stat(self, key: str, n: int = 1) -> None:
        """Add to a crawler stat from any thread."""
        stats = getattr(self.crawler, "stats", None)
        if stats is None or not n:
            return
        from twisted.internet import reactor

        if threading.current_thread() is threading.main_thread():
            stats.inc_value(key, n)
        else:
            reactor.callFromThread(stats.inc_value, key, n)


class ClusterWorker:
    """The process' membership of one cluster; see the module docstring."""

    def __init__(
        self,
        url: str,
        key_prefix: str,
        worker: str,
        *,
        lease_ttl: float = 20.0,
        release_every: float = 1.0,
        flush_timeout: float = 360.0,
    ) -> None:
        self.url = url
        self.redis: Redis = connect(url)
        self.keys = ClusterKeys(key_prefix)
        self.id = worker
        self.lease_ttl = max(3.0, lease_ttl)
        self.release_every = max(0.05, release_every)
        self.flush_timeout = flush_timeout
        self.members: list[Membership] = []
        self.slots: dict[str, tuple[str, float]] = {}
        """Politeness slots held: holder → (slots key, monotonic time acquired)."""
        self.slot_max_age = 300.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._renew = self.redis.register_script(_RENEW)
        self._threads: list[threading.Thread] = []

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Announce the worker (synchronously: Redis must answer) and start its threads."""
        self.redis.ping()
        self._beat()
        for target, name in ((self._heartbeat_loop, "heartbeat"), (self._release_loop, "lease")):
            thread = threading.Thread(target=target, name=f"cluster-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("cluster worker %s on %s", self.id, describe(self.url))

    def stop(self) -> None:
        """Stop the threads and withdraw the worker's ``alive`` key."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.redis.delete(self.keys.alive(self.id))

    def register(self, member: Membership) -> None:
        """A crawler joined a shared crawl."""
        with self._lock:
            self.members.append(member)

    def unregister(self, member: Membership) -> None:
        """A crawler left; the last one stops the worker."""
        with self._lock:
            if member in self.members:
                self.members.remove(member)
            last = not self.members
        if last:
            _forget(self)
            self.stop()

    def alive(self, worker: str) -> bool:
        """Whether ``worker``'s heartbeat is current."""
        return bool(self.redis.exists(self.keys.alive(worker)))

    # --- heartbeat ------------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        every = self.lease_ttl / 3
        while not self._stop.wait(every):
            try:
                self._beat()
                self._reap()
            except Exception as exc:  # Redis away for a moment: the next beat tries again
                logger.warning("cluster heartbeat failed: %s", exc)

    def _beat(self) -> None:
        ttl_ms = int(self.lease_ttl * 1000)
        if not self.redis.set(self.keys.alive(self.id), str(time.time()), px=ttl_ms, xx=True):
            # First beat, or the key expired (this process stalled longer than the TTL: other
            # workers may have taken its leases back; it goes on, at worst fetching twice).
            self.redis.set(self.keys.alive(self.id), str(time.time()), px=ttl_ms)
        with self._lock:
            now = time.monotonic()
            held = [(k, h) for h, (k, t) in self.slots.items() if now - t < self.slot_max_age]
        if held:
            self._renew(keys=[k for k, _ in held], args=[self.lease_ttl, *[h for _, h in held]])

    def _reap(self) -> None:
        with self._lock:
            members = list(self.members)
        seen: set[str] = set()
        for member in members:
            queue = member.queue
            if queue.keys.base in seen:
                continue
            seen.add(queue.keys.base)
            for other in queue.workers():
                if other == self.id or self.alive(other):
                    continue
                back = queue.requeue_worker(other)
                if back:
                    logger.warning(
                        "%s: worker %s is gone; %d requests it held are back in the queue",
                        member.crawl.spider,
                        other,
                        back,
                    )
                    member.stat("archive/cluster/requeued_from_dead", back)

    # --- releasing leases -----------------------------------------------------------------

    def _release_loop(self) -> None:
        while not self._stop.wait(self.release_every):
            try:
                self.release_finished()
            except Exception as exc:
                logger.warning("cluster lease release failed: %s", exc)

    def release_finished(self, members: list[Membership] | None = None) -> None:
        """Release the finished leases whose output is committed (blocking)."""
        if members is None:
            with self._lock:
                members = list(self.members)
        batches = [(m, m.take_done()) for m in members]
        # After the done leases: a finished request's new requests are in the outbox already.
        outboxes = [(m, m.take_outbox()) for m in members]
        batches = [(m, leases) for m, leases in batches if leases]
        outboxes = [(m, requests) for m, requests in outboxes if requests]
        if not batches and not outboxes:
            return
        outcome: dict[int, bool | None] = {}
        writers: dict[int, storage_writer.StorageWriter] = {}
        for member, _ in [*batches, *outboxes]:
            writer = member.writer()
            if writer is not None:
                writers.setdefault(id(writer.queue), writer)
        for key, writer in writers.items():
            if writer.fatal is not None:
                outcome[key] = None
                continue
            flushed = writer.flush(self.flush_timeout)
            outcome[key] = None if writer.fatal is not None else flushed
        for member, requests in outboxes:
            writer = member.writer()
            result = True if writer is None else outcome.get(id(writer.queue), False)
            if result is False:  # not committed yet: the requests wait with their parents
                with member._lock:
                    member._outbox[:0] = requests
            else:  # committed, or storage is gone: the URLs are worth fetching either way
                member.send(requests)
        for member, leases in batches:
            writer = member.writer()
            result = True if writer is None else outcome.get(id(writer.queue), False)
            if result is None:  # storage failed for good: another worker must do them
                n = member.queue.requeue(leases)
                member.stat("archive/cluster/requeued_own", n)
            elif result:
                member.stat("archive/cluster/released", member.queue.release(leases))
            else:  # the writer is slow (an outage being waited out): keep them for later
                member.give_back(leases)

    def slot_acquired(self, holder: str, slots_key: str) -> None:
        """A politeness slot to renew while it is held."""
        with self._lock:
            self.slots[holder] = (slots_key, time.monotonic())

    def slot_released(self, holder: str) -> None:
        """A politeness slot given back."""
        with self._lock:
            self.slots.pop(holder, None)


_workers: dict[tuple[str, str], ClusterWorker] = {}
_workers_lock = threading.Lock()
_weak_members: weakref.WeakKeyDictionary[Any, Membership] = weakref.WeakKeyDictionary()


def worker_for(settings: BaseSettings) -> ClusterWorker:
    """The process' worker for the cluster the settings name (started on first use)."""
    url = redis_url(settings)
    key = (url, prefix(settings))
    with _workers_lock:
        worker = _workers.get(key)
        if worker is None:
            worker = ClusterWorker(
                url,
                key[1],
                worker_id(settings),
                lease_ttl=settings.getfloat("ARCHIVE_CLUSTER_LEASE_TTL", 20.0),
                release_every=settings.getfloat("ARCHIVE_CLUSTER_RELEASE_EVERY", 1.0),
                flush_timeout=settings.getfloat("ARCHIVE_DB_OUTAGE_MAX", 300.0) + 60.0,
            )
            worker.start()
            _workers[key] = worker
        return worker


def _forget(worker: ClusterWorker) -> None:
    with _workers_lock:
        for key, known in list(_workers.items()):
            if known is worker:
                del _workers[key]


def set_membership(crawler: Crawler, member: Membership | None) -> None:
    """Remember (or forget) the crawler's membership."""
    if member is None:
        _weak_members.pop(crawler, None)
    else:
        _weak_members[crawler] = member


def membership_of(crawler: Crawler) -> Membership | None:
    """The crawler's membership of a shared crawl, if it has one."""
    return _weak_members.get(crawler)
