"""``crawler report -o report.html``: the numbers of ``crawler stats`` as one HTML page.

Self-contained (inline CSS and SVG, no script): open it offline, mail it, archive it.
Exit status: 0 written (a flagged outlet is shown in the page, not in the status; use
``crawler stats`` for alerting).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.commands import Command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Output and ``--days``."""
    parser.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    parser.add_argument(
        "--days", type=int, default=28, help="days of articles-per-day charts (default 28)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Write the report."""
    from crawler.health import health_from_settings
    from crawler.report import render_report

    health = health_from_settings(settings, args.days)
    path: Path = args.output
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(render_report(health), encoding="utf-8")
    tmp.replace(path)
    print(f"crawler report: {len(health.outlets)} outlets -> {path}", file=sys.stderr)
    return 0


COMMAND = Command(
    name="report",
    help="write a self-contained HTML report of the stats and charts",
    add_arguments=add_arguments,
    run=run,
)
