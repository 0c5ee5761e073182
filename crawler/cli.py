"""The ``crawler`` command line: ``crawler [-s KEY=VALUE ...] <command> ...``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from crawler.commands import discover
from crawler.config import database_url, load_settings
from crawler.errors import run_command

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="crawler", description="Crawl and archive Vietnamese provincial news outlets."
    )
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting (any ARCHIVE_* or Scrapy setting); repeatable",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in discover():
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.settings)
    except (ValueError, ImportError) as exc:  # a bad -s value, an unimportable outlet module
        parser.error(str(exc))
    url: str | None
    try:
        url = database_url(settings)
    except Exception:
        url = None
    status: int = run_command(
        f"crawler {args.command}", lambda: int(args._run(args, settings)), url, args.debug
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
