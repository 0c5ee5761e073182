"""``crawler export``: the articles as JSON Lines, CSV or Parquet, for analysis tools.

crawler export --format parquet -o articles.parquet
crawler export --format csv --outlet baohatinh --since 2024-01-01 --until 2024-12-31 -o ht.csv
crawler export --format jsonl --include-duplicates --fields id,title,duplicate_of -o x.jsonl

Exit status: 0 written, 2 bad arguments. See ``docs/operations.md`` for the schema.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.commands import Command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Format, filters, fields and output."""
    from crawler.export.writers import FORMATS

    parser.add_argument("--format", "-f", choices=FORMATS, required=True, help="output format")
    parser.add_argument(
        "--outlet",
        action="append",
        default=[],
        metavar="X",
        help="only this outlet (name or domain); repeatable",
    )
    parser.add_argument("--since", help="published on or after this local date (YYYY-MM-DD)")
    parser.add_argument("--until", help="published on or before this local date, inclusive")
    parser.add_argument(
        "--include-duplicates",
        action="store_true",
        help="also exact and near duplicates, with duplicate_of/near_duplicate_of/similarity",
    )
    parser.add_argument(
        "--fields",
        action="append",
        default=[],
        help="only these columns, comma-separated or repeated (see docs/operations.md)",
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def outlet_domains(names: list[str]) -> list[str]:
    """Domains of outlets given by spider name or domain; ValueError for an unknown one."""
    from crawler.outlets import get_profile

    domains: list[str] = []
    for raw in names:
        for name in (n.strip() for n in raw.split(",")):
            if not name:
                continue
            try:
                domains.append(get_profile(name).domain)
            except KeyError:
                if "." not in name:
                    raise ValueError(f"unknown outlet {name!r}") from None
                domains.append(name.lower().removeprefix("www."))
    return list(dict.fromkeys(domains))


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Export the articles."""
    from tqdm import tqdm

    from crawler.discovery.window import parse_day
    from crawler.export import ExportFilter, count_rows, export_articles
    from crawler.export.schema import select_columns
    from crawler.storage.db import engine_from_settings

    try:
        flt = ExportFilter(
            outlets=outlet_domains(args.outlet),
            since=parse_day(args.since) if args.since else None,
            until=parse_day(args.until) if args.until else None,
            include_duplicates=args.include_duplicates,
        )
        fields = [f for raw in args.fields for f in raw.split(",")] or None
        select_columns(fields, flt.include_duplicates)
    except ValueError as exc:
        print(f"crawler export: {exc}", file=sys.stderr)
        return 2
    engine = engine_from_settings(settings)
    try:
        total = count_rows(engine, flt)
        with tqdm(
            total=total,
            unit="article",
            file=sys.stderr,
            disable=True if args.no_progress else None,
            desc=f"export {args.format}",
        ) as bar:
            result = export_articles(
                engine, args.format, args.output, flt, fields, progress=bar.update
            )
    finally:
        engine.dispose()
    print(
        f"crawler export: {result.rows} articles, {len(result.columns)} columns -> {result.path}",
        file=sys.stderr,
    )
    return 0


COMMAND = Command(
    name="export",
    help="export articles as JSON Lines, CSV or Parquet",
    add_arguments=add_arguments,
    run=run,
)
