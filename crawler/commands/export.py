"""``crawler export``: the articles as JSON Lines, CSV, Parquet or a partitioned dataset.

crawler export --format parquet -o articles.parquet
crawler export --format csv --outlet baohatinh --since 2024-01-01 --until 2024-12-31 -o ht.csv
crawler export --format jsonl --include-duplicates --fields id,title,duplicate_of -o x.jsonl
crawler export --consumer nlp -o - | my-pipeline          # what changed since nlp's last pull
crawler export --consumer lake --format parquet --partition outlet,month -o lake/
crawler export --changed-since 2025-03-01T06:00 -o changes.jsonl

Exit status: 0 written, 1 another pull of the consumer advanced it first (or writers kept the
change log busy too long), 2 bad arguments.
See ``docs/operations.md`` for the schema and the incremental pulls.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.commands import Command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings

SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Format, filters, fields, incremental options and output."""
    from crawler.export.writers import FORMATS

    parser.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        help="output format (default: from the file suffix; jsonl for -o -, parquet with "
        "--partition)",
    )
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
    parser.add_argument(
        "--consumer",
        metavar="NAME",
        help="incremental pull: what was stored or changed since NAME's last successful pull "
        "(its checkpoint advances once the output is complete)",
    )
    parser.add_argument(
        "--changed-since",
        metavar="TIMESTAMP",
        help="one-off pull: articles stored or changed at or after this time (ISO 8601; "
        "no offset = Asia/Ho_Chi_Minh; a date = local midnight)",
    )
    parser.add_argument(
        "--partition",
        metavar="KEYS",
        help="write a hive-partitioned Parquet dataset into the -o directory, e.g. "
        "outlet,month (pulls append new parts)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="file to write, dataset directory with --partition, or - for JSON Lines on stdout",
    )
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


def _format(args: argparse.Namespace, output: Path | None) -> str:
    if args.format:
        return str(args.format)
    if args.partition:
        return "parquet"
    if output is None:
        return "jsonl"
    fmt = SUFFIX_FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise ValueError("give --format (no known suffix on the output file)")
    return fmt


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Export the articles."""
    from tqdm import tqdm

    from crawler.discovery.window import parse_day
    from crawler.export import ExportConflict, ExportFilter, ExportRequest, run_export
    from crawler.export.dataset import DatasetError, parse_partition
    from crawler.export.source import parse_moment
    from crawler.storage.changes import CutTimeout
    from crawler.storage.db import engine_from_settings

    output = None if args.output == "-" else Path(args.output)
    try:
        flt = ExportFilter(
            outlets=outlet_domains(args.outlet),
            since=parse_day(args.since) if args.since else None,
            until=parse_day(args.until) if args.until else None,
            include_duplicates=args.include_duplicates,
            changed_since=parse_moment(args.changed_since) if args.changed_since else None,
        )
        request = ExportRequest(
            fmt=_format(args, output),
            output=output,
            flt=flt,
            fields=[f for raw in args.fields for f in raw.split(",")] or None,
            consumer=args.consumer,
            partition=parse_partition(args.partition) if args.partition else [],
        )
        request.validate()
    except ValueError as exc:
        print(f"crawler export: {exc}", file=sys.stderr)
        return 2
    engine = engine_from_settings(settings)
    try:
        with tqdm(
            unit="article",
            file=sys.stderr,
            disable=True if args.no_progress or output is None else None,
            desc=f"export {request.fmt}",
        ) as bar:

            def on_total(total: int) -> None:
                bar.reset(total=total)

            result = run_export(engine, request, progress=bar.update, on_total=on_total)
    except (DatasetError, ValueError) as exc:
        print(f"crawler export: {exc}", file=sys.stderr)
        return 2
    except (ExportConflict, CutTimeout) as exc:
        print(f"crawler export: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    where = "stdout" if result.path is None else str(result.path)
    line = f"crawler export: {result.rows} articles, {len(result.columns)} columns -> {where}"
    if result.parts:
        line += f" ({result.parts} new part files)"
    if result.consumer is not None and result.position is not None:
        line += f"; consumer {result.consumer} at {result.position[1]}"
    if result.recovered:
        line += f"; finished {result.recovered} interrupted write(s) first"
    print(line, file=sys.stderr)
    return 0


COMMAND = Command(
    name="export",
    help="export articles (JSON Lines, CSV, Parquet, partitioned dataset; incremental pulls)",
    add_arguments=add_arguments,
    run=run,
)
