"""``crawler crawl``: run one or more outlet spiders in one process.

crawler crawl baohatinh baonghean          # incremental (the scheduled job)
crawler crawl --all
crawler crawl --all --since 2019-01-01 --until 2019-12-31   # backfill
crawler crawl --url https://baoxyz.vn      # an outlet without a profile
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from crawler.commands import Command
from crawler.discovery.window import parse_day

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings
    from scrapy.spiders import Spider


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Outlets, mode and resume options."""
    parser.add_argument("outlets", nargs="*", help="outlet names (see `scrapy list`)")
    parser.add_argument("--all", action="store_true", help="every registered outlet")
    parser.add_argument("--url", help="home page of an outlet without a profile")
    parser.add_argument("--since", help="backfill from this local date (YYYY-MM-DD)")
    parser.add_argument("--until", help="backfill through this local date, inclusive")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help=(
            "fetch stored articles again even if unchanged, and failed ones before their "
            "retry is due (or given up)"
        ),
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep Scrapy's job state per outlet under ARCHIVE_DATA_DIR/jobs so an interrupted "
        "crawl continues where it stopped",
    )


def spider_classes(args: argparse.Namespace) -> list[type[Spider]]:
    """The spider classes the arguments name; ValueError for an unknown outlet."""
    from spiders.generic import GenericNewsSpider
    from spiders.outlets import OUTLET_SPIDERS

    names = list(OUTLET_SPIDERS) if args.all else list(dict.fromkeys(args.outlets))
    unknown = [n for n in names if n not in OUTLET_SPIDERS]
    if unknown:
        raise ValueError(
            f"unknown outlet(s): {', '.join(unknown)}; known: {', '.join(OUTLET_SPIDERS)}"
        )
    classes: list[type[Spider]] = [OUTLET_SPIDERS[n] for n in names]
    if args.url:
        classes.append(GenericNewsSpider)
    return classes


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Crawl the named outlets and print one summary line per outlet."""
    from crawler.crawling import run_crawl

    if not (args.all or args.outlets or args.url):
        print("crawler crawl: name outlets, --all or --url URL", file=sys.stderr)
        return 2
    try:
        if args.since:
            parse_day(args.since)
        if args.until:
            parse_day(args.until)
        classes = spider_classes(args)
    except ValueError as exc:
        print(f"crawler crawl: {exc}", file=sys.stderr)
        return 2
    spider_args: dict[str, Any] = {"refresh": args.refresh}
    if args.since:
        spider_args["since"] = args.since
    if args.until:
        spider_args["until"] = args.until
    # --- one crawl at a time per database (crawler.lock); workers of a shared crawl
    # (ARCHIVE_REDIS_URL) hold it together ---------------------------------------------------
    from crawler.cluster.connection import cluster_enabled
    from crawler.lock import run_locked

    shared = cluster_enabled(settings)
    if shared and args.resume:
        print("crawler crawl: --resume is ignored by a shared crawl (Redis keeps its state)",
              file=sys.stderr)  # fmt: skip
    return run_locked(
        settings,
        "crawler crawl",
        lambda: run_crawl(
            settings, classes, spider_args, resume=args.resume and not shared, generic_url=args.url
        ),
        shared=shared,
    )


COMMAND = Command(
    name="crawl",
    help="crawl outlets: incremental by default, --since/--until for a backfill",
    add_arguments=add_arguments,
    run=run,
)
