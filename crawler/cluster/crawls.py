"""Which shared crawl a worker belongs to: the first worker seeds it, the others join.

Per spider, Redis holds the current crawl (``<prefix>:crawl:<spider>``): its *generation*
number, its state and the worker seeding it. :meth:`SharedCrawl.join` decides, atomically:

* no crawl yet, or the last one is ``done``, or it is ``running`` but none of its workers is
  alive (they all died; the URL ledger knows what they left, and the new crawl's seeding
  brings it back as due) → a **new generation**, and this worker **seeds** it;
* ``seeding`` by a worker that is dead → this worker takes the seeding over (requests the
  dead seeder already queued are dropped by the shared dupefilter, not fetched twice);
* otherwise → this worker **joins**: it takes requests from the queue, seeds nothing.

The seeder publishes the crawl's window (what the spider's ``start()`` computed: mode, dates,
horizon) so joiners judge dates exactly as it does, then marks the crawl ``running`` once its
start requests are all queued. The crawl becomes ``done`` when a worker finds its frontier
drained (queue empty, nothing leased) for ``ARCHIVE_CLUSTER_IDLE`` seconds; its keys are then
deleted, and the next ``crawler crawl`` starts a new generation.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.cluster import serializer
from crawler.discovery.window import CrawlWindow

if TYPE_CHECKING:
    from redis import Redis

    from crawler.cluster.keys import ClusterKeys, GenerationKeys

logger = logging.getLogger(__name__)

SEED, JOIN = "seed", "join"

_JOIN = """
local me, alive, now = ARGV[1], ARGV[2], ARGV[3]
local state = redis.call('HGET', KEYS[1], 'state')
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
local fresh = (not state) or state == 'done'
if state == 'running' then
  local base = ARGV[4] .. gen
  local anyone = false
  for _, w in ipairs(redis.call('SMEMBERS', base .. ':workers')) do
    if w ~= me and redis.call('EXISTS', alive .. w) == 1 then anyone = true end
  end
  if not anyone and redis.call('ZCARD', base .. ':requests') == 0 then fresh = true end
end
if fresh then
  if gen > 0 then
    local old = ARGV[4] .. gen
    for _, w in ipairs(redis.call('SMEMBERS', old .. ':workers')) do
      redis.call('DEL', old .. ':leases:' .. w)
    end
    redis.call('DEL', old .. ':requests', old .. ':dupefilter', old .. ':workers',
               old .. ':lease_seq')
  end
  gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
  redis.call('HSET', KEYS[1], 'state', 'seeding', 'seeder', me, 'started', now)
  redis.call('HDEL', KEYS[1], 'window')
  redis.call('SADD', ARGV[4] .. gen .. ':workers', me)
  return {'seed', gen}
end
redis.call('SADD', ARGV[4] .. gen .. ':workers', me)
if state == 'seeding' then
  local seeder = redis.call('HGET', KEYS[1], 'seeder')
  if seeder ~= me and redis.call('EXISTS', alive .. seeder) == 0 then
    redis.call('HSET', KEYS[1], 'seeder', me)
    return {'seed', gen}
  end
end
return {'join', gen}
"""

_FINISH = """
if redis.call('HGET', KEYS[1], 'gen') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'state') == 'done' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'finished', ARGV[3])
local base = ARGV[2]
for _, w in ipairs(redis.call('SMEMBERS', base .. ':workers')) do
  redis.call('DEL', base .. ':leases:' .. w)
end
redis.call('DEL', base .. ':requests', base .. ':dupefilter', base .. ':workers',
           base .. ':lease_seq')
return 1
"""


def window_to_json(window: CrawlWindow) -> bytes:
    """A crawl window as JSON (times with their offsets)."""
    return serializer.dumps(dataclasses.asdict(window))


def window_from_json(data: bytes | str) -> CrawlWindow:
    """The inverse of :func:`window_to_json`."""
    fields: dict[str, Any] = serializer.loads(data)
    return CrawlWindow(**fields)


class SharedCrawl:
    """One spider's shared crawl, as one worker sees it."""

    def __init__(self, server: Redis, keys: ClusterKeys, spider: str, worker: str) -> None:
        self.server = server
        self.keys = keys
        self.spider = spider
        self.worker = worker
        self.key = keys.crawl(spider)
        self.role = JOIN
        self.generation = 0
        self._join = server.register_script(_JOIN)
        self._finish = server.register_script(_FINISH)

    @property
    def generation_keys(self) -> GenerationKeys:
        """The keys of the generation this worker is in."""
        return self.keys.generation(self.spider, self.generation)

    def join(self) -> str:
        """Seed a new (or orphaned) crawl, or join the running one; the role."""
        base = self.keys.generation(self.spider, 0).base[: -len("0")]
        role, generation = self._join(
            keys=[self.key],
            args=[self.worker, self.keys.alive_prefix(), _now(), base],
        )
        self.role = role.decode() if isinstance(role, bytes) else str(role)
        self.generation = int(generation)
        logger.info(
            "%s: %s shared crawl generation %d as worker %s",
            self.spider,
            "seeding" if self.role == SEED else "joining",
            self.generation,
            self.worker,
        )
        return self.role

    def state(self) -> dict[str, str]:
        """The crawl's hash (gen, state, seeder, window, started)."""
        raw = self.server.hgetall(self.key)
        return {_text(k): _text(v) for k, v in raw.items()}

    def current(self) -> bool:
        """Whether this worker's generation is still the spider's current crawl."""
        return self.state().get("gen") == str(self.generation)

    def publish_window(self, window: CrawlWindow) -> None:
        """The seeder's window, for the joiners."""
        if self.current():
            self.server.hset(self.key, "window", window_to_json(window))

    def window(self) -> CrawlWindow | None:
        """The window the seeder published, once it has."""
        state = self.state()
        if state.get("gen") != str(self.generation) or "window" not in state:
            return None
        return window_from_json(state["window"])

    def seeded(self) -> None:
        """Every start request of the seeder is queued: the crawl is ``running``."""
        state = self.state()
        if state.get("gen") == str(self.generation) and state.get("state") == "seeding":
            self.server.hset(self.key, "state", "running")

    def seeder_lost(self) -> bool:
        """Whether the crawl is still being seeded by a worker that died."""
        state = self.state()
        if state.get("gen") != str(self.generation) or state.get("state") != "seeding":
            return False
        seeder = state.get("seeder", "")
        return seeder != self.worker and not self.server.exists(self.keys.alive(seeder))

    def take_over_seeding(self) -> bool:
        """Become the seeder of a crawl whose seeder died; False if it is not so (any more)."""
        if not self.seeder_lost():
            return False
        role = self.join()
        return role == SEED

    def seeding(self) -> bool:
        """Whether the crawl is still being seeded."""
        return self.state().get("state") == "seeding"

    def finish(self) -> bool:
        """Mark the crawl ``done`` and delete its queue, dupefilter and leases; False when
        another worker did it first (or a newer crawl started)."""
        done = self._finish(
            keys=[self.key],
            args=[str(self.generation), self.generation_keys.base, _now()],
        )
        return bool(done)

    def done(self) -> bool:
        """Whether this worker's crawl is over (done, or replaced by a newer one)."""
        state = self.state()
        return state.get("gen") != str(self.generation) or state.get("state") == "done"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
