"""End-to-end crawls of the fake outlets over loopback: backfill, incremental, faults, resume.

Every crawl is a real ``crawler crawl`` subprocess (Scrapy, pipelines, SQLite, WARC) whose
requests reach the project's fake-outlet server through ``ARCHIVE_MIRRORS``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from crawl_testing import ROOT, crawl_command, crawler_env, query, run_crawl

from crawler.extraction.dates import VIETNAM
from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BACKFILL_OUTLETS = ("baohatinh", "baoquangtri", "baohaugiang", "baocantho")


def _in_year(corpus: Corpus, outlets: tuple[str, ...], year: int) -> set[str]:
    return {
        canonicalize(entry.url)
        for outlet in outlets
        for entry in corpus.entries(outlet)
        if entry.published.astimezone(VIETNAM).year == year
    }


def _stored(data_dir: Path) -> dict[str, str]:
    return dict(query(data_dir, "SELECT canonical_url, published_at FROM articles"))


@pytest.fixture(scope="module")
def backfill(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Corpus, FakeOutletServer, Path, str]]:
    corpus = Corpus(articles_per_outlet=120)
    data_dir = tmp_path_factory.mktemp("backfill")
    with FakeOutletServer(corpus) as server:
        result = run_crawl(
            data_dir,
            server.mirrors_json,
            *BACKFILL_OUTLETS,
            "--since",
            "2024-01-01",
            "--until",
            "2024-12-31",
        )
        assert result.returncode == 0, result.stderr[-4000:]
        yield corpus, server, data_dir, result.stdout


def test_backfill_stores_exactly_the_range(
    backfill: tuple[Corpus, FakeOutletServer, Path, str],
) -> None:
    corpus, _, data_dir, _ = backfill
    expected = _in_year(corpus, BACKFILL_OUTLETS, 2024)
    stored = _stored(data_dir)
    assert len(expected) >= 40
    assert set(stored) == expected  # no holes, nothing outside the range
    for published in stored.values():
        assert datetime.fromisoformat(published).astimezone(VIETNAM).year == 2024


def test_backfill_skips_what_the_window_excludes(
    backfill: tuple[Corpus, FakeOutletServer, Path, str],
) -> None:
    corpus, server, _, _ = backfill
    fetched = {url for url, count in server.hits.items() if count}
    articles = {canonicalize(e.url) for o in BACKFILL_OUTLETS for e in corpus.entries(o)}
    fetched_articles = {canonicalize(u) for u in fetched} & articles
    in_range = _in_year(corpus, BACKFILL_OUTLETS, 2024)
    # Sitemap lastmod and URL dates keep most out-of-range articles from being fetched at all.
    assert len(fetched_articles - in_range) < len(articles - in_range) / 4


def test_faults_are_counted_never_fatal(
    backfill: tuple[Corpus, FakeOutletServer, Path, str],
) -> None:
    corpus, server, data_dir, stdout = backfill
    special = server.special_urls("baohatinh")
    # robots.txt disallows the search tool; the external redirect target is never requested.
    assert not any("/tim-kiem/" in url for url in server.hits)
    assert not any("tinlienket.example.org" in url for url in server.hits)
    for line in stdout.splitlines():
        if line.startswith(BACKFILL_OUTLETS):
            assert "(status: finished; finish: finished)" in line
    # Stored URLs are canonical: no tracking parameters anywhere.
    for (url,) in query(data_dir, "SELECT canonical_url FROM articles"):
        assert "utm_" not in url and "fbclid" not in url and "zarsrc" not in url
    del corpus, special


def test_every_response_is_archived_and_verifies(
    backfill: tuple[Corpus, FakeOutletServer, Path, str],
) -> None:
    _, _, data_dir, _ = backfill
    missing = query(
        data_dir, "SELECT count(*) FROM pages WHERE warc_file IS NULL OR warc_offset IS NULL"
    )[0][0]
    assert missing == 0
    statuses = {row[0] for row in query(data_dir, "SELECT DISTINCT status FROM pages")}
    assert 200 in statuses
    verify = subprocess.run(
        [os.sys.executable, "-m", "crawler.cli", "archive", "verify"],
        env=crawler_env(data_dir, "{}"),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.fixture
def live_corpus() -> Iterator[tuple[Corpus, FakeOutletServer]]:
    corpus = Corpus(articles_per_outlet=60, now=real_now(), outlets=("baonghean", "baogialai"))
    with FakeOutletServer(corpus) as server:
        yield corpus, server


def test_incremental_window_then_second_run_fetches_almost_nothing(
    live_corpus: tuple[Corpus, FakeOutletServer], tmp_path: Path
) -> None:
    corpus, server = live_corpus
    outlets = ("baonghean", "baogialai")
    started = datetime.now(VIETNAM)
    first = run_crawl(tmp_path, server.mirrors_json, *outlets, ARCHIVE_FIRST_CRAWL_DAYS="2")
    assert first.returncode == 0, first.stderr[-4000:]
    since = started - timedelta(days=2)
    stored = set(_stored(tmp_path))
    recent = {
        canonicalize(e.url) for o in outlets for e in corpus.entries(o) if e.published >= since
    }
    # Older stories are in the window only when they changed in it (their sitemap lastmod).
    untouched = {
        canonicalize(e.url)
        for o in outlets
        for e in corpus.entries(o)
        if e.published < since and e.lastmod < since
    }
    assert recent and recent <= stored
    assert not (stored & untouched), "the first crawl looks back the window only"

    server.reset_counters()
    # Published and edited "just now" (the corpus would round up to the next minute, a time
    # the previous crawl could not have seen yet).
    time.sleep(1.1)  # so that "just now" is after everything the first crawl stored
    just_now = datetime.now(VIETNAM)
    added = corpus.add_articles("baonghean", 2, published_at=just_now)
    changed = sorted(recent)[0]
    corpus.update_article(changed, modified_at=just_now)
    second = run_crawl(tmp_path, server.mirrors_json, *outlets)
    assert second.returncode == 0, second.stderr[-4000:]
    stored_now = set(_stored(tmp_path))
    assert {canonicalize(a.canonical_url) for a in added} <= stored_now
    versions = query(tmp_path, "SELECT version FROM articles WHERE canonical_url = ?", changed)
    assert versions == [(2,)]
    article_hits = {
        url for url, count in server.hits.items() if count and canonicalize(url) in stored_now
    }
    expected_hits = {canonicalize(a.canonical_url) for a in added} | {changed}
    # Old-style links first seen on the new listing page redirect (once) to stored articles.
    redirect_targets = {canonicalize(t) for o in outlets for t in server.plan.old_urls(o).values()}
    assert expected_hits <= article_hits <= expected_hits | redirect_targets
    # Robots, sitemap index, the changed monthly sitemap, feed, first listing pages.
    assert server.requests_total <= 30, dict(server.hits)

    server.reset_counters()
    third = run_crawl(tmp_path, server.mirrors_json, *outlets)
    assert third.returncode == 0
    assert third.summary("baonghean")["new"] == 0
    refetched = [u for u, c in server.hits.items() if c and canonicalize(u) in stored_now]
    assert not refetched


def _kill_when(data_dir: Path, command: list[str], env: dict[str, str], articles: int) -> None:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                count = query(data_dir, "SELECT count(*) FROM articles")[0][0]
            except Exception:  # the database may not exist yet
                count = 0
            if count >= articles:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the crawl ended before it could be killed"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("resume", [True, False], ids=["resume", "plain-rerun"])
def test_sigkill_mid_crawl_then_rerun_completes_without_duplicates(
    resume: bool, tmp_path: Path
) -> None:
    corpus = Corpus(articles_per_outlet=150, outlets=("baohatinh", "baonghean", "baocantho"))
    outlets = ("baohatinh", "baonghean", "baocantho")
    args = [*outlets, "--since", "2019-01-01", *(["--resume"] if resume else [])]
    with FakeOutletServer(corpus) as server:
        env = crawler_env(tmp_path, server.mirrors_json)
        _kill_when(tmp_path, crawl_command(*args), env, articles=60)
        killed_at = query(tmp_path, "SELECT count(*) FROM articles")[0][0]
        assert killed_at > 0
        result = run_crawl(tmp_path, server.mirrors_json, *args)
        assert result.returncode == 0, result.stderr[-4000:]
    expected = {
        canonicalize(e.url)
        for o in outlets
        for e in corpus.entries(o)
        if e.published >= datetime(2019, 1, 1, tzinfo=VIETNAM)
    }
    rows = query(tmp_path, "SELECT canonical_url FROM articles")
    assert len(rows) == len({r[0] for r in rows})  # no duplicate rows
    assert {r[0] for r in rows} == expected  # no holes
    half_written = query(
        tmp_path,
        "SELECT count(*) FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM article_versions v WHERE v.article_id = a.id)",
    )[0][0]
    assert half_written == 0
