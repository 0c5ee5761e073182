"""``crawler reextract``: re-run the current extractor over the archived WARC records.

crawler reextract                          # every article not extracted by the current version
crawler reextract --outlet baonghean       # after fixing that outlet's profile
crawler reextract --since 2025-01-01 --force --json
crawler reextract --force --jobs 2          # read and extract in 2 processes (auto: all cores)

No network. Changed articles get a new version (the old text is kept); failed pages that
now extract become articles. Exit status: 0 done, 1 when some WARC records were missing or
unreadable or an extraction crashed, 2 bad arguments.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from crawler.commands import Command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Filters, ``--force`` and output options."""
    parser.add_argument(
        "--outlet", action="append", default=[], metavar="X", help="only this outlet; repeatable"
    )
    parser.add_argument(
        "--since", help="articles published (failed pages fetched) on/after this local date"
    )
    parser.add_argument("--until", help="... on/before this local date, inclusive")
    parser.add_argument(
        "--force",
        action="store_true",
        help="also articles already extracted by the current extractor version",
    )
    parser.add_argument(
        "--jobs",
        default="1",
        metavar="N",
        help="processes reading and extracting the archived pages (auto: one per core)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Re-extract and print the summary."""
    from tqdm import tqdm

    from crawler.commands.export import outlet_domains
    from crawler.config import data_dir
    from crawler.discovery.window import parse_day
    from crawler.parallel import processes_setting
    from crawler.reextract import reextract
    from crawler.storage.db import engine_from_settings

    try:
        jobs = max(1, processes_setting(args.jobs))
        outlets = outlet_domains(args.outlet)
        since = parse_day(args.since) if args.since else None
        until = parse_day(args.until) if args.until else None
    except ValueError as exc:
        print(f"crawler reextract: {exc}", file=sys.stderr)
        return 2
    engine = engine_from_settings(settings)
    bar = tqdm(
        unit="page", file=sys.stderr, disable=True if args.no_progress else None, desc="reextract"
    )

    def on_total(total: int) -> None:
        bar.reset(total=total)

    try:
        summary = reextract(
            engine,
            data_dir(settings),
            outlets=outlets,
            since=since,
            until=until,
            force=args.force,
            threshold=settings.getfloat("ARCHIVE_NEAR_DUP_THRESHOLD", 0.7),
            progress=bar.update,
            on_total=on_total,
            jobs=jobs,
        )
    finally:
        bar.close()
        engine.dispose()
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
    else:
        print(summary.format())
    return 1 if summary.missing_warc or summary.errors else 0


COMMAND = Command(
    name="reextract",
    help="re-extract archived pages with the current extractor (no network)",
    add_arguments=add_arguments,
    run=run,
)
