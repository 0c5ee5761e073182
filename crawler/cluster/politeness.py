"""Politeness that holds for the whole cluster: a token bucket and a semaphore per outlet.

Scrapy's ``DOWNLOAD_DELAY``, AutoThrottle and ``CONCURRENT_REQUESTS_PER_DOMAIN`` hold per
process: three workers would hit an outlet three times as hard. In a shared crawl every
download first passes :class:`ClusterPoliteness`, the last downloader middleware before the
download handler, which takes for the request's host, in one Lua script on Redis:

* a **concurrency slot** — at most ``ARCHIVE_OUTLET_CONCURRENCY`` requests to the host in
  flight, all workers together (a sorted set of holders with expiry times: a dead worker's
  slots lapse after ``ARCHIVE_CLUSTER_LEASE_TTL`` seconds, a live worker's heartbeat renews
  them), given back when the response (or the error) arrives;
* a **token** of a bucket filled at ``ARCHIVE_OUTLET_RATE`` requests per second holding
  ``ARCHIVE_OUTLET_BURST`` tokens (GCRA: one "theoretical arrival time" per host), the rate
  lowered to the host's robots.txt ``Crawl-delay`` when any worker has read one
  (``ARCHIVE_RESPECT_CRAWL_DELAY``, capped at ``ARCHIVE_MAX_CRAWL_DELAY``).

Times are Redis' own clock (``TIME``), so machines with skewed clocks agree. Within a process,
one request per host asks Redis at a time (the others queue behind it, first come first
served), and ``ARCHIVE_WORKER_CONCURRENCY`` bounds the downloads in flight of the whole
worker process, all outlets together (``crawler crawl --all`` runs one crawler per outlet).
Requests to the host's robots.txt pass the same gate.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from protego import Protego
from redis import asyncio as aioredis

from crawler.cluster.connection import SOCKET_TIMEOUT, redis_url
from crawler.cluster.worker import worker_for
from crawler.urls import fold_host

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from crawler.cluster.worker import ClusterWorker

logger = logging.getLogger(__name__)

SLOT_META = "_cluster_slot"
"""``request.meta`` key of the slot a request holds while it is downloaded."""

POLL = 0.05
"""Seconds between two tries for a concurrency slot (with jitter)."""

CRAWL_DELAY_TTL = 24 * 3600
"""Seconds a Crawl-delay read from robots.txt is remembered for the cluster."""

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then return {0, '-1'} end
local interval = tonumber(ARGV[2])
local delay = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
if delay > interval then interval = delay end
local tat = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if tat < now then tat = now end
local allow_at = tat - (tonumber(ARGV[4]) - 1) * interval
if now < allow_at then return {0, tostring(allow_at - now)} end
if interval > 0 then
  local nxt = tat + interval
  redis.call('SET', KEYS[2], tostring(nxt), 'PX', math.ceil((nxt - now) * 1000) + 1000)
end
if limit > 0 then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[1]) end
return {1, '0'}
"""


class OutletGate:
    """The process' gate to every outlet (one per cluster worker; see the module docstring)."""

    def __init__(
        self,
        worker: ClusterWorker,
        url: str,
        *,
        rate: float,
        burst: int,
        concurrency: int,
        worker_concurrency: int,
        respect_crawl_delay: bool,
        max_crawl_delay: float,
    ) -> None:
        self.worker = worker
        self.url = url
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.burst = max(1, burst)
        self.concurrency = max(0, concurrency)
        self.worker_concurrency = max(1, worker_concurrency)
        self.respect_crawl_delay = respect_crawl_delay
        self.max_crawl_delay = max_crawl_delay
        self._seq = itertools.count()
        self._redis: aioredis.Redis | None = None
        self._script: Any = None
        self._hosts: dict[str, asyncio.Lock] = {}
        self._slots: asyncio.Semaphore | None = None

    def _client(self) -> aioredis.Redis:
        if self._redis is None:  # created on the reactor's event loop, on first use
            self._redis = aioredis.Redis.from_url(
                self.url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
            )
            self._script = self._redis.register_script(_ACQUIRE)
            self._slots = asyncio.Semaphore(self.worker_concurrency)
        return self._redis

    async def acquire(self, host: str) -> str:
        """Wait for a slot and a token of ``host``; the slot's holder id."""
        self._client()
        assert self._slots is not None
        await self._slots.acquire()
        holder = f"{self.worker.id}:{next(self._seq)}"
        slots_key, tat_key, delay_key = self.worker.keys.polite(host)
        try:
            async with self._hosts.setdefault(host, asyncio.Lock()):
                while True:
                    granted, wait = await self._script(
                        keys=[slots_key, tat_key, delay_key],
                        args=[
                            holder,
                            repr(self.interval),
                            self.concurrency,
                            self.burst,
                            repr(self.worker.lease_ttl),
                        ],
                    )
                    if int(granted):
                        break
                    pause = float(wait)
                    await asyncio.sleep(pause if pause >= 0 else POLL * random.uniform(0.6, 1.4))
        except BaseException:
            self._slots.release()
            raise
        if self.concurrency:
            self.worker.slot_acquired(holder, slots_key)
        return holder

    async def release(self, host: str, holder: str) -> None:
        """Give a slot back."""
        assert self._slots is not None
        self._slots.release()
        if not self.concurrency:
            return
        self.worker.slot_released(holder)
        slots_key = self.worker.keys.polite(host)[0]
        try:
            await self._client().zrem(slots_key, holder)
        except Exception as exc:  # it lapses by itself within the lease TTL
            logger.warning("could not give back a politeness slot of %s: %s", host, exc)

    async def close(self) -> None:
        """Close the gate's Redis connections."""
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()

    async def crawl_delay(self, host: str, delay: float) -> None:
        """Tell the cluster ``host``'s robots.txt Crawl-delay."""
        if not self.respect_crawl_delay or delay <= 0:
            return
        if delay > self.max_crawl_delay:
            logger.warning("%s asks for Crawl-delay %ss; capped at %ss", host, delay,
                           self.max_crawl_delay)  # fmt: skip
            delay = self.max_crawl_delay
        await self._client().set(self.worker.keys.polite(host)[2], repr(delay), ex=CRAWL_DELAY_TTL)


_gates: dict[int, OutletGate] = {}


def gate_for(worker: ClusterWorker, settings: BaseSettings) -> OutletGate:
    """The process' gate of ``worker`` (made on first use)."""
    gate = _gates.get(id(worker))
    if gate is None or gate.worker is not worker:
        gate = _gates[id(worker)] = OutletGate(
            worker,
            redis_url(settings),
            rate=settings.getfloat("ARCHIVE_OUTLET_RATE", 2.0),
            burst=settings.getint("ARCHIVE_OUTLET_BURST", 1),
            concurrency=settings.getint("ARCHIVE_OUTLET_CONCURRENCY", 4),
            worker_concurrency=settings.getint("ARCHIVE_WORKER_CONCURRENCY", 16),
            respect_crawl_delay=settings.getbool("ARCHIVE_RESPECT_CRAWL_DELAY", True),
            max_crawl_delay=settings.getfloat("ARCHIVE_MAX_CRAWL_DELAY", 60.0),
        )
    return gate


def _host(request: Request) -> str:
    return fold_host(urlsplit(request.url).hostname or "")


class ClusterPoliteness:
    """Downloader middleware taking the cluster's slot and token for every download.

    Priority 950 in ``DOWNLOADER_MIDDLEWARES``: the last before the download handler, so a
    slot is held only while the request is really out (and given back first thing when its
    response or error comes back). Settings: see the module docstring.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.gate = gate_for(worker_for(crawler.settings), crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The middleware of ``crawler``."""
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        """Wait for the host's slot and token."""
        host = _host(request)
        holder = await self.gate.acquire(host)
        request.meta[SLOT_META] = (host, holder)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("archive/cluster/polite_grants")

    async def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot is not None:
            await self.gate.release(*slot)

    async def process_response(self, request: Request, response: Response) -> Response:
        """Give the slot back; note a robots.txt Crawl-delay for the whole cluster."""
        await self._release(request)
        if urlsplit(request.url).path == "/robots.txt" and response.status == 200:
            settings = self.crawler.settings
            agent = str(settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or "*")
            try:
                robots = Protego.parse(response.body.decode("utf-8", errors="replace"))
                delay = robots.crawl_delay(agent)
            except Exception:  # a broken robots.txt says nothing about delays
                delay = None
            if delay:
                await self.gate.crawl_delay(_host(request), float(delay))
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        """Give the slot back (the error goes on to the other middlewares)."""
        del exception
        await self._release(request)
