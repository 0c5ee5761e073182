"""scrapy-redis' priority queue with leases: a popped request is held for its worker, not lost.

scrapy-redis removes a request from Redis when a worker pops it, so a worker killed while
fetching it loses it for good (and its fingerprint keeps it from being found again). Here a
pop *moves* the request, in one Lua script, from the queue into the popping worker's lease
hash (``<generation>:leases:<worker>``, lease id → ``"<score>|<request>"``), and the request
carries its lease id in ``meta["cluster_lease"]``. The lease ends:

* :meth:`LeasedQueue.release` — the request is done and what it produced is committed (the
  scheduler releases only after the storage writer has flushed, see
  :mod:`crawler.cluster.scheduler`);
* :meth:`LeasedQueue.push` of a request carrying the lease (a retry, a redirect): the new
  request takes the old one's place in the queue, in the same transaction;
* :meth:`LeasedQueue.requeue_worker` — the worker is dead (its ``alive`` key expired): every
  request it held goes back to the queue with its priority, so at most the requests it had
  in flight are fetched twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy_redis.queue import PriorityQueue

if TYPE_CHECKING:
    from collections.abc import Iterable

    from redis import Redis
    from scrapy import Request, Spider

    from crawler.cluster.keys import GenerationKeys

logger = logging.getLogger(__name__)

LEASE_META = "cluster_lease"
"""``request.meta`` key of the lease a popped request is held under."""

_POP = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #items == 0 then return false end
redis.call('ZREM', KEYS[1], items[1])
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[2], id, items[2] .. '|' .. items[1])
redis.call('SADD', KEYS[3], ARGV[1])
return {tostring(id), items[1]}
"""

_PUSH = """
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
if ARGV[1] ~= '' and redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""

_REQUEUE_ALL = """
local all = redis.call('HVALS', KEYS[2])
for _, v in ipairs(all) do
  local sep = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[1], string.sub(v, 1, sep - 1), string.sub(v, sep + 1))
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return #all
"""

_REQUEUE_SOME = """
local n = 0
for i = 1, #ARGV do
  local v = redis.call('HGET', KEYS[2], ARGV[i])
  if v then
    local sep = string.find(v, '|', 1, true)
    redis.call('ZADD', KEYS[1], string.sub(v, 1, sep - 1), string.sub(v, sep + 1))
    redis.call('HDEL', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n
"""


class LeasedQueue(PriorityQueue):  # type: ignore[misc]  # scrapy-redis is untyped
    """A per-spider priority queue (scrapy-redis) whose pops are leases of ``worker``.

    Requests are stored as ``request.to_dict()`` through ``serializer`` (JSON here, see
    :mod:`crawler.cluster.serializer`), without the per-attempt ``meta`` keys that must not
    travel: the lease itself, the WARC location of an earlier response and private keys
    (leading underscore) that middlewares keep while a request is in flight.
    """

    def __init__(
        self,
        server: Redis,
        spider: Spider,
        keys: GenerationKeys,
        worker: str,
        serializer: Any,
    ) -> None:
        super().__init__(server, spider, keys.queue, serializer)
        self.keys = keys
        self.worker = worker
        self.leases_key = keys.leases(worker)
        self._pop = server.register_script(_POP)
        self._push = server.register_script(_PUSH)
        self._requeue_all = server.register_script(_REQUEUE_ALL)
        self._requeue_some = server.register_script(_REQUEUE_SOME)

    # --- scrapy-redis' queue interface ----------------------------------------------------

    def _encode_request(self, request: Request) -> bytes:
        obj = request.to_dict(spider=self.spider)
        meta = obj.get("meta") or {}
        obj["meta"] = {
            k: v for k, v in meta.items() if k not in (LEASE_META, "warc") and not k.startswith("_")
        }
        data: bytes = self.serializer.dumps(obj)
        return data

    def push(self, request: Request, fingerprint: str | None = None) -> bool:
        """Queue a request; False when ``fingerprint`` (given: the dupefilter's) was seen.

        The fingerprint is recorded and the request queued in one script: a worker killed
        between the two would leave a URL marked seen that no one will ever fetch. A request
        that carries a lease (a retry, a redirect) takes over its place in the same script."""
        lease = request.meta.get(LEASE_META)
        queued = self._push(
            keys=[self.key, self.keys.dupefilter, self.leases_key],
            args=[
                fingerprint or "",
                -request.priority,
                self._encode_request(request),
                "" if lease is None else str(lease),
            ],
        )
        return bool(queued)

    def pop(self, timeout: int = 0) -> Request | None:
        """The highest-priority request, leased to this worker (``meta["cluster_lease"]``)."""
        del timeout  # never blocks: the reactor must not wait on Redis
        found = self._pop(
            keys=[self.key, self.leases_key, self.keys.workers, self.keys.lease_seq],
            args=[self.worker],
        )
        if not found:
            return None
        lease, data = found
        request: Request = self._decode_request(data)
        request.meta[LEASE_META] = lease.decode() if isinstance(lease, bytes) else str(lease)
        return request

    # --- leases ---------------------------------------------------------------------------

    def release(self, leases: Iterable[str]) -> int:
        """End these leases of this worker (the requests are done); how many were held."""
        ids = list(leases)
        if not ids:
            return 0
        return int(self.server.hdel(self.leases_key, *ids))

    def requeue(self, leases: Iterable[str]) -> int:
        """Put these leased requests of this worker back in the queue; how many."""
        ids = list(leases)
        if not ids:
            return 0
        return int(self._requeue_some(keys=[self.key, self.leases_key], args=ids))

    def requeue_worker(self, worker: str) -> int:
        """Put every request ``worker`` holds back in the queue (it is dead); how many."""
        return int(
            self._requeue_all(
                keys=[self.key, self.keys.leases(worker), self.keys.workers], args=[worker]
            )
        )

    def workers(self) -> list[str]:
        """Workers that hold leases of this generation."""
        return sorted(w.decode() if isinstance(w, bytes) else str(w) for w in
                      self.server.smembers(self.keys.workers))  # fmt: skip

    def leased(self) -> int:
        """How many requests are leased, all workers together."""
        pipe = self.server.pipeline(transaction=False)
        for worker in self.workers():
            pipe.hlen(self.keys.leases(worker))
        return sum(int(n) for n in pipe.execute())

    def held(self, worker: str | None = None) -> dict[str, bytes]:
        """The leases of ``worker`` (default: this one): lease id → stored request."""
        raw = self.server.hgetall(self.keys.leases(worker or self.worker))
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): v.split(b"|", 1)[1]
            for k, v in raw.items()
        }
