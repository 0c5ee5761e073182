"""``crawler stats``: per-outlet numbers and extraction health.

crawler stats            # a table, articles per day, the health verdicts
crawler stats --json     # the same data as JSON, with "history": articles per month per
                         # outlet, coverage gaps, health over time, storage and growth

Exit status: 0 when every outlet looks healthy, 3 when any outlet is flagged as a probable
template change (see :mod:`crawler.health` for the rule), so a scheduled job can alert.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from crawler.commands import Command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--json`` and ``--days``."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--days", type=int, default=28, help="days of articles-per-day counts (default 28)"
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="skip the whole-history numbers (months, coverage gaps, health over time, storage)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the stats; 3 when an outlet is flagged."""
    from crawler.health import EXIT_FLAGGED, format_text, health_from_settings

    health = health_from_settings(settings, args.days, history=not args.no_history)
    if args.json:
        print(json.dumps(health.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_text(health))
    return EXIT_FLAGGED if health.flagged else 0


COMMAND = Command(
    name="stats",
    help="per-outlet numbers and extraction health (exit 3 when an outlet is flagged)",
    add_arguments=add_arguments,
    run=run,
)
