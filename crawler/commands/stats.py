"""``crawler stats``: per-outlet numbers and extraction health.

crawler stats            # a table, articles per day, the health verdicts
crawler stats --json     # the same data as JSON, with "history": articles per month per
                         # outlet, coverage gaps, health over time, storage and growth

Exit status, so a scheduled job can alert: 0 when every outlet looks healthy; 3 when an outlet
is flagged as a probable template change; 4 when an outlet's last run did not end clean
(partial, failed, interrupted or killed: pages it could not fetch or store, URLs left due),
which wins over 3. See :mod:`crawler.health` for both rules.
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
    """Print the stats; 4 when an outlet's last run was not clean, 3 when one is flagged."""
    from crawler.health import format_text, health_from_settings

    health = health_from_settings(settings, args.days, history=not args.no_history)
    if args.json:
        print(json.dumps(health.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_text(health))
    return health.exit_status


COMMAND = Command(
    name="stats",
    help=(
        "per-outlet numbers, what the last runs missed and extraction health "
        "(exit 4 when a last run was not clean, 3 when an outlet is flagged)"
    ),
    add_arguments=add_arguments,
    run=run,
)
