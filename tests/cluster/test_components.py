"""The shared crawl's parts against a real Redis: queue leases, crawl generations, politeness
gate, request serializer; and the crawl lock's shared mode on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from scrapy import Request, Spider

from crawler.cluster import serializer
from crawler.cluster.crawls import JOIN, SEED, SharedCrawl
from crawler.cluster.keys import ClusterKeys
from crawler.cluster.politeness import OutletGate
from crawler.cluster.queue import LEASE_META, LeasedQueue
from crawler.cluster.worker import ClusterWorker
from crawler.discovery.window import CrawlWindow
from crawler.lock import DatabaseLock, LockHeldError

if TYPE_CHECKING:
    from pathlib import Path

    from cluster_testing import RedisDb


class _Spider(Spider):
    name = "baohatinh"

    def parse_article(self, response: object) -> None:
        """A callback the requests name."""


def _queue(db: RedisDb, worker: str, generation: int = 1) -> LeasedQueue:
    keys = ClusterKeys(db.prefix).generation("baohatinh", generation)
    return LeasedQueue(db.client, _Spider(), keys, worker, serializer)


def _request(path: str, **meta: object) -> Request:
    spider = _Spider()
    return Request(f"https://baohatinh.vn/{path}", callback=spider.parse_article, meta=dict(meta))


# --- serializer -------------------------------------------------------------------------------


def test_requests_travel_as_json_with_their_bytes_dates_and_headers() -> None:
    lastmod = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    request = Request(
        "https://baohatinh.vn/a-post1.html",
        headers={"Referer": "https://baohatinh.vn/"},
        body=b"\x00\xff",
        meta={"sitemap_lastmod": lastmod, "day": date(2024, 5, 1), "pair": (1, "x"),
              "$b": "not a tag", "nested": {"$dt": "also not"}},
    )  # fmt: skip
    data = serializer.dumps(request.to_dict())
    assert data.startswith(b"{") and b"pickle" not in data
    back = serializer.loads(data)
    assert back["body"] == b"\x00\xff"
    assert back["headers"][b"Referer"] == [b"https://baohatinh.vn/"]
    assert back["meta"]["sitemap_lastmod"] == lastmod
    assert back["meta"]["day"] == date(2024, 5, 1)
    assert back["meta"]["pair"] == (1, "x")
    assert back["meta"]["$b"] == "not a tag"
    assert back["meta"]["nested"] == {"$dt": "also not"}


def test_what_json_cannot_carry_is_refused_when_queued() -> None:
    with pytest.raises(TypeError, match="cannot share"):
        serializer.dumps({"meta": {"callback": print}})


# --- leases -------------------------------------------------------------------------------------


def test_a_pop_is_a_lease_that_ends_on_release(redis_db: RedisDb) -> None:
    queue = _queue(redis_db, "w1")
    assert queue.push(_request("a.html", ledger_url="x", warc={"file": "f"}, _tmp=1), "fp-a")
    assert not queue.push(_request("a.html"), "fp-a")  # the shared dupefilter
    assert queue.push(_request("b.html"), "fp-b")
    popped = queue.pop()
    assert popped is not None and popped.url.endswith("a.html")
    assert popped.callback.__name__ == "parse_article"
    # Per-attempt keys do not travel; the ledger URL does.
    assert popped.meta["ledger_url"] == "x"
    assert "warc" not in popped.meta and "_tmp" not in popped.meta
    lease = popped.meta[LEASE_META]
    assert len(queue) == 1 and queue.leased() == 1
    assert list(queue.held()) == [lease]
    assert queue.release([lease]) == 1
    assert queue.leased() == 0 and len(queue) == 1


def test_a_dead_workers_leases_go_back_to_the_queue(redis_db: RedisDb) -> None:
    dead, alive = _queue(redis_db, "dead"), _queue(redis_db, "alive")
    for n in range(3):
        dead.push(_request(f"{n}.html", ledger_url=str(n)), f"fp-{n}")
    taken = [dead.pop(), dead.pop()]
    assert all(r is not None for r in taken)
    assert len(dead) == 1 and dead.leased() == 2
    assert alive.workers() == ["dead"]
    assert alive.requeue_worker("dead") == 2
    assert len(alive) == 3 and alive.leased() == 0 and alive.workers() == []
    urls = set()
    while (request := alive.pop()) is not None:
        urls.add(request.url)
    assert urls == {f"https://baohatinh.vn/{n}.html" for n in range(3)}


def test_a_retry_or_redirect_ends_its_lease_even_when_it_is_a_duplicate(redis_db: RedisDb) -> None:
    queue = _queue(redis_db, "w1")
    queue.push(_request("old.html"), "fp-old")
    queue.push(_request("new.html"), "fp-new")
    first = queue.pop()
    assert first is not None and queue.leased() == 1
    # A redirect of "old" to "new", which is queued already: not queued twice, lease ended.
    redirect = first.replace(url="https://baohatinh.vn/new.html")
    assert not queue.push(redirect, "fp-new")
    assert queue.leased() == 0 and len(queue) == 1
    # A retry (dont_filter) takes the lease's place in the queue.
    second = queue.pop()
    assert second is not None
    assert queue.push(second.replace(dont_filter=True), None)
    assert queue.leased() == 0 and len(queue) == 1


def test_own_leases_can_be_given_back(redis_db: RedisDb) -> None:
    queue = _queue(redis_db, "w1")
    queue.push(_request("a.html"), "fp-a")
    request = queue.pop()
    assert request is not None
    assert queue.requeue([request.meta[LEASE_META], "no-such-lease"]) == 1
    assert len(queue) == 1 and queue.leased() == 0


# --- crawl generations ---------------------------------------------------------------------------


def _crawl(db: RedisDb, worker: str) -> SharedCrawl:
    return SharedCrawl(db.client, ClusterKeys(db.prefix), "baohatinh", worker)


def _alive(db: RedisDb, *workers: str) -> None:
    for worker in workers:
        db.client.set(ClusterKeys(db.prefix).alive(worker), "1", ex=60)


def test_the_first_worker_seeds_the_others_join_with_its_window(redis_db: RedisDb) -> None:
    _alive(redis_db, "w1", "w2")
    first, second = _crawl(redis_db, "w1"), _crawl(redis_db, "w2")
    assert first.join() == SEED and second.join() == JOIN
    assert first.generation == second.generation == 1
    assert second.window() is None and first.seeding()
    window = CrawlWindow.backfill(date(2019, 1, 1), date(2019, 12, 31))
    first.publish_window(window)
    first.seeded()
    assert second.window() == window and not second.seeding()


def test_a_dead_seeder_is_replaced_and_a_done_crawl_starts_anew(redis_db: RedisDb) -> None:
    _alive(redis_db, "w2")
    dead, other = _crawl(redis_db, "w1"), _crawl(redis_db, "w2")
    assert dead.join() == SEED  # w1 has no heartbeat: it is dead from the start
    assert other.join() == SEED, "a seeder that died mid-seeding is replaced"
    queue = _queue(redis_db, "w2", other.generation)
    queue.push(_request("a.html"), "fp-a")
    other.seeded()
    assert other.finish() and not other.finish()
    assert other.done()
    assert not redis_db.client.exists(queue.key, queue.keys.dupefilter)
    fresh = _crawl(redis_db, "w2")
    assert fresh.join() == SEED and fresh.generation == 2


def test_a_crawl_whose_workers_all_died_is_not_joined(redis_db: RedisDb) -> None:
    crawl = _crawl(redis_db, "w1")
    crawl.join()
    crawl.seeded()
    old = _queue(redis_db, "w1", crawl.generation)
    old.push(_request("a.html"), "fp-a")
    old.pop()  # leased by w1, which then dies (it never had a heartbeat)
    _alive(redis_db, "w2")
    late = _crawl(redis_db, "w2")
    assert late.join() == SEED and late.generation == 2
    assert not redis_db.client.exists(old.key, old.keys.dupefilter, old.leases_key)


# --- politeness ----------------------------------------------------------------------------------


def _gates(db: RedisDb, n: int, **options: float) -> list[OutletGate]:
    settings = {"rate": 0.0, "burst": 1, "concurrency": 0, "worker_concurrency": 16,
                "respect_crawl_delay": True, "max_crawl_delay": 60.0, **options}  # fmt: skip
    return [
        OutletGate(ClusterWorker(db.url, db.prefix, f"w{i}"), db.url, **settings)  # type: ignore[arg-type]
        for i in range(n)
    ]


def test_concurrency_per_outlet_holds_for_all_workers_together(redis_db: RedisDb) -> None:
    gates = _gates(redis_db, 3, concurrency=2)
    busy: list[int] = []
    now = [0]

    async def fetch(gate: OutletGate) -> None:
        holder = await gate.acquire("baohatinh.vn")
        now[0] += 1
        busy.append(now[0])
        await asyncio.sleep(0.03)
        now[0] -= 1
        await gate.release("baohatinh.vn", holder)

    async def main() -> None:
        await asyncio.gather(*(fetch(gate) for gate in gates for _ in range(6)))
        for gate in gates:
            await gate.close()

    asyncio.run(main())
    assert len(busy) == 18
    assert max(busy) == 2  # reached, never passed


def test_the_token_bucket_paces_all_workers_and_crawl_delay_slows_it(redis_db: RedisDb) -> None:
    gates = _gates(redis_db, 3, rate=20.0)
    grants: list[float] = []

    async def fetch(gate: OutletGate, host: str) -> None:
        await gate.acquire(host)
        grants.append(time.monotonic())
        await gate.release(host, "")

    async def run(host: str, per_gate: int) -> list[float]:
        grants.clear()
        await asyncio.gather(*(fetch(g, host) for g in gates for _ in range(per_gate)))
        return sorted(grants)

    async def main() -> tuple[list[float], list[float]]:
        paced = await run("baohatinh.vn", 4)
        await gates[0].crawl_delay("baonghean.vn", 0.25)  # one worker read robots.txt
        slow = await run("baonghean.vn", 1)
        for gate in gates:
            await gate.close()
        return paced, slow

    paced, slow = asyncio.run(main())
    gaps = [b - a for a, b in itertools.pairwise(paced)]
    assert min(gaps) > 0.03, gaps  # 20/s: 0.05 s apart (timer jitter aside)
    assert paced[-1] - paced[0] >= 11 * 0.05 * 0.9
    assert all(b - a > 0.2 for a, b in itertools.pairwise(slow)), slow


# --- the crawl lock, shared by workers --------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_share_the_crawl_lock_and_keep_a_lone_crawl_out(
    backend: str, tmp_path: Path, pg_url: str
) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}" if backend == "sqlite" else pg_url
    first, second = DatabaseLock(url, shared=True), DatabaseLock(url, shared=True)
    lone = DatabaseLock(url)
    first.acquire()
    second.acquire()
    try:
        with pytest.raises(LockHeldError):
            lone.acquire()
    finally:
        first.release()
        second.release()
    lone.acquire()
    try:
        with pytest.raises(LockHeldError):
            DatabaseLock(url, shared=True).acquire()
    finally:
        lone.release()
