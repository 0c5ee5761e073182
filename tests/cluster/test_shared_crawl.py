"""A shared crawl as several processes on one machine: real Redis, real PostgreSQL, real crawls.

Three ``crawler crawl`` workers (each its own process, as on three machines) crawl the fake
outlets into one PostgreSQL schema through one Redis database; one of them is SIGKILLed while
the crawl is in full swing. The fake-outlet server answers after a latency (so requests
overlap, as they do against far servers) and counts, per outlet, the requests it is working
on at once and when each arrived.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, text

from crawler.cluster import serializer
from crawler.extraction.dates import VIETNAM
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cluster_testing import RedisDb

ROOT = Path(__file__).resolve().parents[2]
SINCE = datetime(2019, 1, 1, tzinfo=VIETNAM)

OUTLET_CONCURRENCY = 2
OUTLET_RATE = 20.0


def _worker(
    name: str,
    outlets: Sequence[str],
    data_dir: Path,
    env: dict[str, str],
    *extra: str,
) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "crawler.cli",
        "-s", f"ARCHIVE_WORKER_ID={name}",
        "-s", "ARCHIVE_RETRY_BACKOFF=0.05",
        "-s", "LOG_LEVEL=INFO",
        *extra,
        "crawl", *outlets, "--since", "2019-01-01",
    ]  # fmt: skip
    with (data_dir / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True
        )


def _env(
    data_dir: Path, mirrors: str, db_url: str, redis_db: RedisDb, **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        ARCHIVE_MIRRORS=mirrors,
        ARCHIVE_DATABASE_URL=db_url,
        ARCHIVE_REDIS_URL=redis_db.url,
        ARCHIVE_REDIS_PREFIX=redis_db.prefix,
        ARCHIVE_CLUSTER_IDLE="3",
        ARCHIVE_CLUSTER_LEASE_TTL="4",
        ARCHIVE_OUTLET_CONCURRENCY=str(OUTLET_CONCURRENCY),
        ARCHIVE_OUTLET_RATE=str(OUTLET_RATE),
        ARCHIVE_RESPECT_CRAWL_DELAY="false",
    )
    env.update(extra)
    return env


def _rows(db_url: str, sql: str) -> list[Any]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def _count_articles(db_url: str, pid: int | None = None) -> int:
    """Articles stored (by the worker with this pid, if given)."""
    sql = "SELECT count(*) FROM articles"
    if pid is not None:
        sql = (
            "SELECT count(*) FROM pages p JOIN crawl_runs r ON r.id = p.run_id "
            f"WHERE p.outcome = 'stored' AND r.pid = {int(pid)}"
        )
    try:
        return int(_rows(db_url, sql)[0][0])
    except Exception:  # the schema is not migrated yet
        return 0


def _leased_urls(redis_db: RedisDb, worker: str) -> set[str]:
    """The URLs of every request ``worker`` holds a lease on (all outlets)."""
    urls: set[str] = set()
    for key in redis_db.client.scan_iter(f"{redis_db.prefix}:*:leases:{worker}"):
        for value in redis_db.client.hvals(key):
            urls.add(serializer.loads(value.split(b"|", 1)[1])["url"])
    return urls


def test_three_workers_one_killed_store_everything_once_politely(
    tmp_path: Path, redis_db: RedisDb, pg_url: str
) -> None:
    outlets = ("baohatinh", "baonghean", "baoquangtri", "baocantho")
    corpus = Corpus(articles_per_outlet=45, outlets=outlets)
    expected = {
        canonicalize(e.url) for o in outlets for e in corpus.entries(o) if e.published >= SINCE
    }
    with FakeOutletServer(corpus, latency=0.08) as server:
        env = _env(tmp_path, server.mirrors_json, pg_url, redis_db)
        workers = {
            name: _worker(name, outlets, tmp_path, env) for name in ("alpha", "bravo", "charlie")
        }
        victim = workers["bravo"]
        deadline = time.monotonic() + 180
        # Killed once the crawl is in full swing and bravo has done its share of it.
        while _count_articles(pg_url) < len(expected) // 3 or not _count_articles(
            pg_url, victim.pid
        ):
            assert time.monotonic() < deadline, "the crawl did not get going"
            assert victim.poll() is None, "bravo ended before it could be killed"
            time.sleep(0.2)
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
        stored_at_kill = _count_articles(pg_url)
        # What bravo held when it died: the only requests another worker may fetch again.
        held = _leased_urls(redis_db, "bravo")
        outputs = {}
        for name in ("alpha", "charlie"):
            out, _ = workers[name].communicate(timeout=240)
            outputs[name] = out
            log = (tmp_path / f"{name}.log").read_text()
            assert workers[name].returncode == 0, f"{name}:\n{out}\n{log[-4000:]}"
        hits = Counter({canonicalize(u): n for u, n in server.hits.items()})
        peaks = dict(server.peak_in_flight)
        arrivals = {o: server.arrivals(o) for o in outlets}

    # The kill came mid-run: articles were stored before it and after it.
    stored = [url for (url,) in _rows(pg_url, "SELECT canonical_url FROM articles")]
    assert 0 < stored_at_kill < len(expected) <= len(stored)
    by_run = _rows(
        pg_url,
        "SELECT r.pid, count(*) FROM pages p JOIN crawl_runs r ON r.id = p.run_id "
        "WHERE p.outcome = 'stored' GROUP BY r.pid",
    )
    assert victim.pid in {pid for pid, _ in by_run}, "bravo stored nothing before it died"

    # Every article stored, each once.
    assert len(stored) == len(set(stored))
    assert set(stored) == expected

    # Article pages fetched twice: only requests bravo held when it died.
    specials = {
        canonicalize(url)
        for o in outlets
        for url in server.special_urls(o).values()
        if url.startswith("http")
    }
    twice = {url for url, n in hits.items() if n > 1 and url in expected and url not in specials}
    assert held, "bravo held no lease when it died (the test proves nothing)"
    assert twice <= {canonicalize(u) for u in held}, twice - {canonicalize(u) for u in held}

    # The work was shared: each live worker fetched a fair part of what the live ones did.
    pages = dict(
        _rows(
            pg_url,
            "SELECT r.pid, count(*) FROM pages p JOIN crawl_runs r ON r.id = p.run_id "
            "GROUP BY r.pid",
        )
    )
    live = [pages.get(workers[name].pid, 0) for name in ("alpha", "charlie")]
    assert min(live) >= 0.5 * sum(live) / 2, pages

    # Politeness held for the cluster, as the outlets saw it: never more than the limit at
    # once (and the limit was reached: it was binding), never more than the token bucket lets.
    assert max(peaks.values()) == OUTLET_CONCURRENCY, peaks
    assert all(peak <= OUTLET_CONCURRENCY for peak in peaks.values()), peaks
    for outlet, times in arrivals.items():
        assert times, outlet
        per_second = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        # GCRA with a burst of 1: at most rate (+1 at the window's edge) per second.
        assert per_second <= OUTLET_RATE + 1, (outlet, per_second)

    # The crawl is over for Redis too: generations done, no queue, no lease left.
    for outlet in outlets:
        state = redis_db.client.hgetall(f"{redis_db.prefix}:crawl:{outlet}")
        assert state[b"state"] == b"done", (outlet, state)
    assert not list(redis_db.client.scan_iter(f"{redis_db.prefix}:*:leases:*"))
    assert not list(redis_db.client.scan_iter(f"{redis_db.prefix}:*:requests"))
    for out in outputs.values():
        assert "(status: finished;" in out, out


def test_robots_crawl_delay_holds_for_the_cluster(
    tmp_path: Path, redis_db: RedisDb, pg_url: str
) -> None:
    # The fake outlets' robots.txt asks for "Crawl-delay: 1"; two workers share it.
    outlets = ("baohaugiang",)
    corpus = Corpus(articles_per_outlet=4, outlets=outlets)
    with FakeOutletServer(corpus) as server:
        env = _env(
            tmp_path, server.mirrors_json, pg_url, redis_db, ARCHIVE_RESPECT_CRAWL_DELAY="true"
        )
        workers = [_worker(name, outlets, tmp_path, env) for name in ("one", "two")]
        for worker in workers:
            out, _ = worker.communicate(timeout=240)
            assert worker.returncode == 0, out
        times = server.arrivals("baohaugiang")
    stored = _rows(pg_url, "SELECT count(*) FROM articles")[0][0]
    assert stored >= 4
    # Before the first robots.txt answer the delay is unknown: each worker fetches robots.txt
    # at once. From then on, one request a second for the two workers together.
    later = times[3:]
    assert len(later) >= 8
    gaps = [b - a for a, b in itertools.pairwise(later)]
    assert min(gaps) >= 0.9, gaps
