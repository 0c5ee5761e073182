"""Scale-out: pages/s and articles/s of a shared crawl with 1, 2 and 4 workers, in one run.

    python -m benchmarks.scale_out                      # 8 outlets x 60 articles, 1/2/4 workers
    python -m benchmarks.scale_out --articles 20 --workers 1,2   # a quick run

Every configuration backfills all eight fake outlets into a fresh PostgreSQL schema through a
fresh Redis database, each worker a ``crawler crawl --all`` process of its own (as on its own
machine). The fake-outlet server (a thread of this process, loopback) answers every request
after ``--latency`` seconds (150 ms: the crawl is network-bound, as it is against far away
outlets) and counts what it serves. Politeness is on and cluster-wide: at most
``--outlet-concurrency`` requests in flight and ``--outlet-rate`` requests a second per outlet,
all workers together; each worker downloads at most ``--worker-concurrency`` pages at once
(its own capacity, all outlets together).

* **pages/s**, **articles/s** — pages the server answered, articles stored, over the crawl's
  span as the server saw it (first request to last); the wall time of the whole run (process
  start-up, the drained-frontier wait before the workers leave) is shown too;
* **dup fetches** — article pages the server answered more than once (the one flaky page
  per outlet that fails once by design aside);
* **lost / dup rows** — expected articles missing, and articles stored twice;
* the **SIGKILL** row: the same crawl with ``--kill-workers`` workers, one SIGKILLed once
  40 % of the articles are stored;
* **Redis memory per 1,000 URLs** — ``MEMORY USAGE`` of the queue and the dupefilter after
  10,000 article requests of the fake outlets were queued the way the scheduler queues them.

Targets: 2 workers >= 1.8x and 4 workers >= 3.2x one worker's pages/s; 0 duplicate rows,
0 lost. The machine's other load shows in the figures: run it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import redis
from sqlalchemy import create_engine, text

from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.urls import canonicalize

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get(
    "ARCHIVE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
)
REDIS_BASE = os.environ.get("ARCHIVE_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
CLAIM_KEY = "archive-bench:claimed-by"


@dataclass
class Outcome:
    """One configuration's numbers."""

    label: str
    workers: int
    pages: int
    articles: int
    expected: int
    span: float
    wall: float
    dup_fetches: int
    lost: int
    dup_rows: int
    peak_concurrency: int
    peak_rate: int

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.span if self.span else 0.0

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.span if self.span else 0.0


def claim_redis() -> tuple[str, redis.Redis]:
    """An empty Redis database of this run's own (a claim key, as the tests do)."""
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}")
        if client.set(CLAIM_KEY, token, nx=True, ex=3600):
            if client.dbsize() == 1:
                return f"{REDIS_BASE}/{number}", client
            client.delete(CLAIM_KEY)
        client.close()
    raise SystemExit("no free Redis database (1-15)")


def new_schema() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # not migrated yet
        return 0
    finally:
        engine.dispose()


def run_cluster(
    args: argparse.Namespace, corpus: Corpus, workers: int, kill: bool = False
) -> Outcome:
    """One shared crawl with ``workers`` workers; one of them SIGKILLed if ``kill``."""
    expected = {canonicalize(e.url) for o in corpus.outlets for e in corpus.entries(o)}
    schema, db_url = new_schema()
    redis_url, client = claim_redis()
    try:
        with TemporaryDirectory() as tmp, FakeOutletServer(corpus, latency=args.latency) as server:
            env = dict(os.environ)
            env.update(
                ARCHIVE_DATA_DIR=tmp,
                ARCHIVE_MIRRORS=server.mirrors_json,
                ARCHIVE_DATABASE_URL=db_url,
                ARCHIVE_REDIS_URL=redis_url,
                ARCHIVE_CLUSTER_IDLE="3",
                ARCHIVE_CLUSTER_LEASE_TTL="6",
                ARCHIVE_CLUSTER_PREFETCH="1",
                ARCHIVE_OUTLET_CONCURRENCY=str(args.outlet_concurrency),
                ARCHIVE_OUTLET_RATE=str(args.outlet_rate),
                ARCHIVE_WORKER_CONCURRENCY=str(args.worker_concurrency),
                ARCHIVE_RESPECT_CRAWL_DELAY="false",  # the fake robots.txt asks for 1 s
                ARCHIVE_RETRY_BACKOFF="0.05",
                ARCHIVE_LOG_LEVEL="WARNING",
            )
            command = [
                sys.executable,
                "-m",
                "crawler.cli",
                "crawl",
                "--all",
                "--since",
                "2000-01-01",
            ]
            started = time.monotonic()
            procs = [
                subprocess.Popen(
                    command,
                    env={**env, "ARCHIVE_WORKER_ID": f"w{n}"},
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for n in range(workers)
            ]
            if kill:
                while scalar(db_url, "SELECT count(*) FROM articles") < 0.4 * len(expected):
                    time.sleep(0.2)
                procs[-1].send_signal(signal.SIGKILL)
            for proc in procs:
                proc.wait(timeout=1800)
            wall = time.monotonic() - started
            times = sorted(t for o in corpus.outlets for t in server.arrivals(o))
            hits = Counter({canonicalize(u): n for u, n in server.hits.items()})
            flaky = {
                canonicalize(url)
                for o in corpus.outlets
                for key, url in server.special_urls(o).items()
                if key == "flaky"
            }
            peak_concurrency = max(server.peak_in_flight.values())
            peak_rate = max(server.peak_rate().values())
            pages = server.requests_total
        stored = scalar(db_url, "SELECT count(*) FROM articles")
        distinct = scalar(db_url, "SELECT count(DISTINCT canonical_url) FROM articles")
        have = scalar(
            db_url,
            "SELECT count(*) FROM articles WHERE canonical_url IN ("
            + ",".join("'" + u.replace("'", "''") + "'" for u in expected)
            + ")",
        )
        dup_fetches = sum(1 for u, n in hits.items() if n > 1 and u in expected - flaky)
        return Outcome(
            label=f"{workers} worker{'s' if workers > 1 else ''}"
            + (", one SIGKILLed" if kill else ""),
            workers=workers,
            pages=pages,
            articles=stored,
            expected=len(expected),
            span=(times[-1] - times[0]) if len(times) > 1 else 0.0,
            wall=wall,
            dup_fetches=dup_fetches,
            lost=len(expected) - have,
            dup_rows=stored - distinct,
            peak_concurrency=peak_concurrency,
            peak_rate=peak_rate,
        )
    finally:
        client.flushdb()
        client.close()
        drop_schema(schema)


def redis_bytes_per_1000(corpus: Corpus, count: int = 10_000) -> tuple[float, float]:
    """Bytes per 1,000 queued URLs: (queue, dupefilter)."""
    from scrapy import Request, Spider
    from scrapy_redis.dupefilter import RFPDupeFilter

    from crawler.cluster import serializer
    from crawler.cluster.keys import ClusterKeys
    from crawler.cluster.queue import LeasedQueue

    class Bench(Spider):
        name = "bench"

        def parse_article(self, response: object) -> None:
            """Named by the requests."""

        def on_fetch_error(self, failure: object) -> None:
            """Named by the requests."""

    url, client = claim_redis()
    try:
        spider = Bench()
        keys = ClusterKeys("bench").generation("bench", 1)
        queue = LeasedQueue(client, spider, keys, "w0", serializer)
        dupefilter = RFPDupeFilter(client, key=keys.dupefilter)
        entries = [e for o in corpus.outlets for e in corpus.entries(o)]
        for n in range(count):
            entry = entries[n % len(entries)]
            target = canonicalize(entry.url) + (f"?n={n}" if n >= len(entries) else "")
            request = Request(
                target,
                callback=spider.parse_article,
                errback=spider.on_fetch_error,
                meta={"page_kind": "article", "ledger_url": target},
            )
            queue.push(request, dupefilter.request_fingerprint(request))
        queue_bytes = int(client.memory_usage(keys.queue) or 0)
        seen_bytes = int(client.memory_usage(keys.dupefilter) or 0)
        return queue_bytes * 1000 / count, seen_bytes * 1000 / count
    finally:
        client.flushdb()
        client.close()
        del url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=60, help="articles per outlet")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run")
    parser.add_argument("--kill-workers", type=int, default=4, help="0: no SIGKILL run")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--outlet-concurrency", type=int, default=2)
    parser.add_argument("--outlet-rate", type=float, default=10.0)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    corpus = Corpus(articles_per_outlet=args.articles)
    outcomes = [run_cluster(args, corpus, int(n)) for n in args.workers.split(",")]
    if args.kill_workers:
        outcomes.append(run_cluster(args, corpus, args.kill_workers, kill=True))
    base = outcomes[0].pages_per_s
    print(
        f"\n{len(corpus.outlets)} outlets x {args.articles} articles, "
        f"latency {args.latency * 1000:.0f} ms; "
        f"per outlet (cluster-wide) {args.outlet_concurrency} in flight, {args.outlet_rate:g}/s; "
        f"per worker {args.worker_concurrency} in flight; {os.cpu_count()} cores (shared)\n"
    )
    print(
        "| run | pages | pages/s | x 1 worker | articles stored / expected | articles/s | "
        "span s | wall s | dup fetches | lost | dup rows | peak in flight / outlet "
        "| peak req/s / outlet |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for o in outcomes:
        print(
            f"| {o.label} | {o.pages:,} | {o.pages_per_s:.1f} | {o.pages_per_s / base:.2f} | "
            f"{o.articles:,} / {o.expected:,} | {o.articles_per_s:.1f} | {o.span:.1f} | "
            f"{o.wall:.1f} | "
            f"{o.dup_fetches} | {o.lost} | {o.dup_rows} | {o.peak_concurrency} | {o.peak_rate} |"
        )
    queue_b, seen_b = redis_bytes_per_1000(corpus)
    print(
        f"\nRedis memory per 1,000 queued URLs: queue {queue_b / 1024:.0f} KiB, "
        f"dupefilter {seen_b / 1024:.0f} KiB (MEMORY USAGE after 10,000 article requests)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
