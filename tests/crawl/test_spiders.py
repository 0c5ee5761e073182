"""Spiders as Scrapy sees them: ``scrapy list``, ``scrapy crawl`` with arguments, generic."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from crawl_testing import FAST, ROOT, crawler_env, query, run_crawl

from crawler.extraction.dates import VIETNAM
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.outlets import all_profiles
from crawler.urls import canonicalize
from spiders.generic import provisional_profile

if TYPE_CHECKING:
    from pathlib import Path


def test_scrapy_list_shows_one_spider_per_outlet() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert set(listed) == {p.name for p in all_profiles()} | {"generic"}


def test_scrapy_crawl_backfill_with_spider_arguments(tmp_path: Path) -> None:
    corpus = Corpus(articles_per_outlet=40, outlets=("baohaiphong",))
    with FakeOutletServer(corpus) as server:
        completed = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "baohaiphong", *FAST,
             "-a", "since=2025-01-01", "-a", "until=2025-06-30"],
            cwd=ROOT,
            env=crawler_env(tmp_path, server.mirrors_json),
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
        )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    expected = {
        canonicalize(e.url)
        for e in corpus.entries("baohaiphong")
        if (2025, 1)
        <= (e.published.astimezone(VIETNAM).year, e.published.astimezone(VIETNAM).month)
        <= (2025, 6)
    }
    stored = {row[0] for row in query(tmp_path, "SELECT canonical_url FROM articles")}
    assert stored == expected


def test_crawl_command_rejects_bad_arguments(tmp_path: Path) -> None:
    for args, message in (
        (["nosuchpaper"], "unknown outlet"),
        (["baohatinh", "--since", "2019-13-01"], "not a date"),
        ([], "name outlets"),
    ):
        result = run_crawl(tmp_path, "{}", *args)
        assert result.returncode == 2
        assert message in result.stderr


def test_generic_spider_crawls_an_outlet_from_its_home_page(tmp_path: Path) -> None:
    corpus = Corpus(articles_per_outlet=15, outlets=("baogialai",))
    with FakeOutletServer(corpus) as server:
        result = run_crawl(
            tmp_path,
            server.mirrors_json,
            "--url",
            "https://baogialai.com.vn",
            "--since",
            "2019-01-01",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {row[0] for row in query(tmp_path, "SELECT canonical_url FROM articles")}
    known = {canonicalize(e.url) for e in corpus.entries("baogialai")}
    assert len(stored) >= 10
    assert stored <= known


def test_provisional_profile_rejects_non_urls() -> None:
    assert provisional_profile("https://www.baoxyz.vn/").domain == "baoxyz.vn"
    with pytest.raises(ValueError, match="not a home page"):
        provisional_profile("ftp://x")
