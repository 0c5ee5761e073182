"""``crawler demo``: crawl the project's fake outlets on loopback into the default database.

The real outlets can't be reached from every machine (CI has no internet); the demo starts
the fake outlets (eight papers on five CMS templates, with redirects, 404s, a flaky page and
a syndicated story) on 127.0.0.1, points every outlet host at them with ``ARCHIVE_MIRRORS``,
backfills all of them with the real pipelines (dedup, storage, WARC) and prints what it stored
per outlet and where.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import func, select

from crawler.commands import Command
from crawler.config import data_dir, database_url

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings
    from sqlalchemy.engine import Engine

# Politeness is for real outlets; the demo only talks to its own server on loopback.
DEMO_SETTINGS: dict[str, object] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "ARCHIVE_RESPECT_CRAWL_DELAY": False,
    "ARCHIVE_RETRY_BACKOFF": 0.1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Size of the fake outlets."""
    parser.add_argument(
        "--articles", type=int, default=30, help="synthetic articles per outlet (default 30)"
    )
    parser.add_argument("--since", default="2019-01-01", help="backfill start (YYYY-MM-DD)")


def outlet_table(engine: Engine) -> list[tuple[str, int, int, int, int]]:
    """Per outlet: stored articles, exact duplicates, near duplicates, failed pages."""
    from crawler.storage.models import Article, Outlet, Page

    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Outlet.domain,
                func.count(Article.id),
                func.count(Article.duplicate_of),
                func.count(Article.near_duplicate_of),
            )
            .join(Article, Article.outlet_id == Outlet.id)
            .group_by(Outlet.domain)
            .order_by(Outlet.domain)
        ).all()
        failed_urls = connection.execute(select(Page.url).where(Page.outcome == "failed")).all()
    failed: dict[str, int] = {}
    for (url,) in failed_urls:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        failed[host] = failed.get(host, 0) + 1
    return [(d, n, dup, near, failed.get(d, 0)) for d, n, dup, near in rows]


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the fake outlets, crawl them (holding the crawl lock), print the result."""

    from crawler.lock import run_locked

    for key, value in DEMO_SETTINGS.items():
        settings.set(key, value, priority="project")  # -s on the command line still wins
    return run_locked(settings, "crawler demo", lambda: _crawl_and_show(args, settings))


def _crawl_and_show(args: argparse.Namespace, settings: Settings) -> int:
    from crawler.crawling import run_crawl
    from crawler.fakeoutlets.corpus import Corpus
    from crawler.fakeoutlets.server import FakeOutletServer
    from crawler.storage.db import engine_from_settings
    from spiders.outlets import OUTLET_SPIDERS

    corpus = Corpus(articles_per_outlet=args.articles)
    with FakeOutletServer(corpus) as server:
        settings.set("ARCHIVE_MIRRORS", server.mirrors_json, priority="cmdline")
        print(
            f"Fake outlets on {server.origin}: {len(corpus.outlets)} papers, "
            f"{len(corpus.urls())} articles. Crawling them (backfill since {args.since})...",
            flush=True,
        )
        status = run_crawl(
            settings, list(OUTLET_SPIDERS.values()), {"since": args.since}, resume=False
        )
    table = outlet_table(engine_from_settings(settings))
    print()
    print(f"{'outlet':<22}{'articles':>9}{'exact dup':>11}{'near dup':>10}{'failed pages':>14}")
    for domain, articles, exact, near, failed in table:
        print(f"{domain:<22}{articles:>9}{exact:>11}{near:>10}{failed:>14}")
    print()
    print(f"Database: {database_url(settings)}")
    print(f"WARC files: {data_dir(settings).resolve() / 'warc'}")
    print("Next: crawler archive verify   |   crawler extract --help")
    if status:
        print("crawler demo: some crawls did not finish normally", file=sys.stderr)
    return status


COMMAND = Command(
    name="demo",
    help="crawl the built-in fake outlets on loopback into the default database",
    add_arguments=add_arguments,
    run=run,
)
