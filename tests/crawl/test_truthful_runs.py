"""Runs tell the truth and the next run heals: faults injected mid-crawl, against real crawls.

Each test proves its fault happened *during* the run (articles stored before and after it),
then checks what the run reported (summary line, exit status, ``crawl_runs``, the URL ledger)
and that one more run stores everything, exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from crawl_testing import ROOT, crawl_command, crawler_env, query, run_crawl, run_stats
from faulty_front import FaultyFront

from crawler.extraction.dates import VIETNAM
from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.health import EXIT_UNCLEAN
from crawler.runstatus import EXIT_CODES
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from pathlib import Path

SINCE = datetime(2019, 1, 1, tzinfo=VIETNAM)


def _expected(corpus: Corpus, outlets: tuple[str, ...], since: datetime = SINCE) -> set[str]:
    return {canonicalize(e.url) for o in outlets for e in corpus.entries(o) if e.published >= since}


def _stored(data_dir: Path) -> list[str]:
    return [row[0] for row in query(data_dir, "SELECT canonical_url FROM articles")]


def test_a_503_storm_on_sitemap_articles_is_counted_then_healed(tmp_path: Path) -> None:
    outlets = ("baohaiphong",)
    corpus = Corpus(articles_per_outlet=60, outlets=outlets)
    hosts = [corpus.site(o).domain for o in outlets]
    with FakeOutletServer(corpus) as server, FaultyFront(server.origin) as front:
        # About one article in five answers 503 however often it is retried.
        front.fail(r"[27]\.html$")
        # Failed URLs are due again at once here (by default half an hour later).
        retry = {"ARCHIVE_RETRY_FAILED_AFTER": "0"}
        first = run_crawl(
            tmp_path, front.mirrors(hosts), *outlets, "--since", "2019-01-01", **retry
        )
        failed_paths = {p for p in front.injected if p.endswith(".html")}
        summary = first.summary("baohaiphong")
        stored_first = set(_stored(tmp_path))
        assert failed_paths and stored_first, "the storm must hit mid-run, between stored pages"
        assert first.returncode == EXIT_CODES["partial"], first.stderr[-3000:]
        assert "(status: partial;" in first.stdout
        assert summary["failed"] >= len(failed_paths)
        assert query(tmp_path, "SELECT status FROM crawl_runs") == [("partial",)]
        ledger_failed = {
            url for (url,) in query(tmp_path, "SELECT url FROM url_ledger WHERE state = 'failed'")
        }
        assert {u.split("baohaiphong.vn", 1)[1] for u in ledger_failed} >= failed_paths
        # ``crawler stats`` says the same: the last run was not clean, and what is owed.
        code, stats = run_stats(tmp_path)
        assert code == EXIT_UNCLEAN and stats["unclean"] == ["baohaiphong"]
        outlet = next(o for o in stats["outlets"] if o["name"] == "baohaiphong")
        assert outlet["last_run"]["status"] == "partial"
        assert outlet["last_run"]["failures"] == summary["failed"]
        assert outlet["ledger"]["failed"] == len(ledger_failed)
        assert outlet["due_now"] >= len(ledger_failed)  # due again at once here
        assert outlet["ledger"]["stored"] == len(stored_first)
        front.heal()
        second = run_crawl(
            tmp_path, front.mirrors(hosts), *outlets, "--since", "2019-01-01", **retry
        )
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert set(stored) == _expected(corpus, outlets)
    code, stats = run_stats(tmp_path)
    outlet = next(o for o in stats["outlets"] if o["name"] == "baohaiphong")
    assert code == 0 and stats["unclean"] == [], outlet
    # Only the pages that are no article (a soft 404 "being edited") still wait for a retry.
    waiting = query(tmp_path, "SELECT reason FROM url_ledger WHERE state = 'failed'")
    assert all(reason.startswith("not stored: not an article") for (reason,) in waiting)
    assert outlet["ledger"].get("failed", 0) == len(waiting) < len(ledger_failed)


def test_urls_given_up_are_reported_and_taken_again_by_refresh(tmp_path: Path) -> None:
    outlets = ("baohaiphong",)
    corpus = Corpus(articles_per_outlet=30, outlets=outlets)
    hosts = [corpus.site(o).domain for o in outlets]
    args = (*outlets, "--since", "2019-01-01")
    with FakeOutletServer(corpus) as server, FaultyFront(server.origin) as front:
        front.fail(r"[27]\.html$")
        first = run_crawl(tmp_path, front.mirrors(hosts), *args)
        assert first.returncode == EXIT_CODES["partial"], first.stderr[-3000:]
        # As after the 8th failed attempt: no next attempt.
        connection = sqlite3.connect(tmp_path / "archive.sqlite3")
        with connection:
            given_up = connection.execute(
                "UPDATE url_ledger SET attempts = 8, next_attempt_at = NULL "
                "WHERE state = 'failed' AND reason LIKE 'HTTP 503%'"
            ).rowcount
        connection.close()
        assert given_up > 0
        front.heal()
        second = run_crawl(tmp_path, front.mirrors(hosts), *args)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert len(_stored(tmp_path)) < len(_expected(corpus, outlets))
        code, stats = run_stats(tmp_path)
        outlet = next(o for o in stats["outlets"] if o["name"] == "baohaiphong")
        assert code == 0 and outlet["given_up"] == given_up
        third = run_crawl(tmp_path, front.mirrors(hosts), *args, "--refresh")
    assert third.returncode == 0, third.stdout + third.stderr[-3000:]
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert set(stored) == _expected(corpus, outlets)


def test_stories_published_before_the_previous_crawl_but_seen_after_are_stored(
    tmp_path: Path,
) -> None:
    # Written at 08:00, published at 11:00: the crawl at 09:00 could not see them.
    outlets = ("baonghean", "baogialai")
    corpus = Corpus(articles_per_outlet=50, now=real_now(), outlets=outlets)
    with FakeOutletServer(corpus) as server:
        started = datetime.now(VIETNAM)
        first = run_crawl(tmp_path, server.mirrors_json, *outlets)
        assert first.returncode == 0, first.stderr[-3000:]
        late: list[str] = []
        for n, outlet in enumerate(outlets):
            backdated = started - timedelta(hours=3, minutes=n * 7)
            late += [
                a.canonical_url for a in corpus.add_articles(outlet, 5, published_at=backdated)
            ]
        second = run_crawl(tmp_path, server.mirrors_json, *outlets)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = set(_stored(tmp_path))
    missing = {canonicalize(u) for u in late} - stored
    assert len(late) == 10 and not missing, f"{len(missing)} late stories missed"
    assert sum(second.summary(o)["new"] for o in outlets) >= 10


def _run_until(
    data_dir: Path, args: list[str], env: dict[str, str], articles: int
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        crawl_command(*args),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            count = query(data_dir, "SELECT count(*) FROM articles")[0][0]
        except Exception:  # the database may not exist yet
            count = 0
        if count >= articles:
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the crawl ended (or stalled) before the signal could be sent")


@pytest.mark.parametrize("seed", [3, 11])
def test_sigint_ends_the_run_in_bounded_time_and_the_next_run_completes(
    seed: int, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    outlets = ("baohatinh", "baocantho", "baoquangtri")
    corpus = Corpus(articles_per_outlet=150, outlets=outlets, seed=seed)
    args = [*outlets, "--since", "2019-01-01"]
    with FakeOutletServer(corpus) as server:
        env = crawler_env(tmp_path, server.mirrors_json)
        process = _run_until(tmp_path, args, env, articles=rng.randint(20, 120))
        before = len(_stored(tmp_path))
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, _ = process.communicate(timeout=90)
        took = time.monotonic() - sent
        assert process.returncode == EXIT_CODES["interrupted"], out.decode()[-2000:]
        assert took < 60, f"SIGINT took {took:.0f} s to end the crawl"
        statuses = {s for (s,) in query(tmp_path, "SELECT status FROM crawl_runs")}
        assert statuses == {"interrupted"}
        assert "(status: interrupted;" in out.decode()
        assert 0 < before < len(_expected(corpus, outlets))
        second = run_crawl(tmp_path, server.mirrors_json, *args)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert set(stored) == _expected(corpus, outlets)


def test_a_run_killed_outright_is_marked_killed_by_the_next(tmp_path: Path) -> None:
    outlets = ("baohatinh", "baonghean")
    corpus = Corpus(articles_per_outlet=150, outlets=outlets)
    args = [*outlets, "--since", "2019-01-01"]
    with FakeOutletServer(corpus) as server:
        env = crawler_env(tmp_path, server.mirrors_json)
        process = _run_until(tmp_path, args, env, articles=40)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        assert {s for (s,) in query(tmp_path, "SELECT status FROM crawl_runs")} == {"running"}
        second = run_crawl(tmp_path, server.mirrors_json, *args)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    statuses = [s for (s,) in query(tmp_path, "SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["killed", "killed", "finished", "finished"]
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert set(stored) == _expected(corpus, outlets)
