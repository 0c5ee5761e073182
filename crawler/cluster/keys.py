"""Where a shared crawl keeps its state in Redis: every key under one prefix.

``ARCHIVE_REDIS_PREFIX`` (default ``vnarchive``) namespaces one archive; two archives (or two
test runs) on one Redis use two prefixes or two database numbers. Per spider (one outlet) a
crawl has a *generation*: the number of the shared crawl the workers are running. Its queue,
dupefilter and leases live under ``<prefix>:<spider>:<generation>:``, so a finished crawl's
fingerprints never stop the next crawl from fetching anything:

=====================================  ======  ===============================================
key                                    type    what
=====================================  ======  ===============================================
``<p>:crawl:<spider>``                 hash    ``gen``, ``state`` (seeding / running / done),
                                               ``seeder``, ``window`` (JSON), ``started``
``<p>:<spider>:<gen>:requests``        zset    scrapy-redis' priority queue (JSON requests)
``<p>:<spider>:<gen>:dupefilter``      set     scrapy-redis' request fingerprints
``<p>:<spider>:<gen>:workers``         set     workers that hold (or held) leases
``<p>:<spider>:<gen>:leases:<worker>`` hash    lease id → ``"<score>|<request>"``
``<p>:<spider>:<gen>:lease_seq``       string  lease id counter
``<p>:alive:<worker>``                 string  present (with a TTL) while the worker lives
``<p>:polite:<host>:slots``            zset    concurrency slots held: holder → expiry
``<p>:polite:<host>:tat``              string  token bucket: theoretical arrival time
``<p>:polite:<host>:crawl_delay``      string  robots.txt ``Crawl-delay`` seen by any worker
=====================================  ======  ===============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _clean(part: str) -> str:
    """A key component without Redis-glob or ``%`` characters (scrapy-redis %-formats keys)."""
    return re.sub(r"[^A-Za-z0-9._@+-]+", "_", part) or "_"


@dataclass(frozen=True)
class GenerationKeys:
    """The keys of one spider's crawl generation."""

    base: str

    @property
    def queue(self) -> str:
        """scrapy-redis' request queue (a sorted set)."""
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        """scrapy-redis' fingerprint set."""
        return f"{self.base}:dupefilter"

    @property
    def workers(self) -> str:
        """Workers that hold leases of this generation."""
        return f"{self.base}:workers"

    @property
    def lease_seq(self) -> str:
        """Counter of lease ids."""
        return f"{self.base}:lease_seq"

    def leases(self, worker: str) -> str:
        """One worker's leases: lease id → ``"<score>|<request>"``."""
        return f"{self.base}:leases:{_clean(worker)}"

    def leases_prefix(self) -> str:
        """What every :meth:`leases` key starts with."""
        return f"{self.base}:leases:"


@dataclass(frozen=True)
class ClusterKeys:
    """Every key of one archive's shared crawls."""

    prefix: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", _clean(self.prefix))

    def alive(self, worker: str) -> str:
        """Present while ``worker`` lives (refreshed by its heartbeat, with a TTL)."""
        return f"{self.prefix}:alive:{_clean(worker)}"

    def alive_prefix(self) -> str:
        """What every :meth:`alive` key starts with (worker ids are already clean)."""
        return f"{self.prefix}:alive:"

    def crawl(self, spider: str) -> str:
        """The spider's current crawl (a hash: generation, state, seeder, window)."""
        return f"{self.prefix}:crawl:{_clean(spider)}"

    def generation(self, spider: str, generation: int) -> GenerationKeys:
        """The keys of one generation of the spider's crawl."""
        return GenerationKeys(f"{self.prefix}:{_clean(spider)}:{generation}")

    def polite(self, host: str) -> tuple[str, str, str]:
        """Politeness keys of one host: ``(slots, tat, crawl_delay)``."""
        base = f"{self.prefix}:polite:{_clean(host)}"
        return f"{base}:slots", f"{base}:tat", f"{base}:crawl_delay"
