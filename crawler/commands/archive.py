"""``crawler archive verify|index|wacz``: check, index and package the WARC archive.

``verify`` checks the archive and the database's references into it; ``index`` writes the
CDXJ index replay tools read (:mod:`crawler.archive.cdxj`); ``wacz`` packages the WARC files,
that index and the archived articles as a WACZ file (:mod:`crawler.archive.wacz`).

``crawler archive verify``

Re-reads every record of every file under ``ARCHIVE_DATA_DIR/warc`` (gzip integrity, WARC
headers, lengths, block and payload digests). When the database can be read (the ``pages``
table of :mod:`crawler.storage.models`), also checks that every page's ``warc_file`` /
``warc_offset`` / ``warc_length`` leads to the response record of its URL; otherwise it says
so and verifies the files alone. Files that are not here because another host wrote them (the
workers of a shared crawl may keep their WARC files on their own disks) are reported as not
reachable from this machine, not as missing. Prints a summary and every problem; the exit
status is 1 when a record is missing or corrupt (with ``--strict``, also when a file ends in a
truncated record, as a killed crawl leaves it), else 0.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.archive import cdxj
from crawler.archive import wacz as wacz_module
from crawler.archive.verify import ExpectedRecord, verify
from crawler.archive.writer import WarcLocation
from crawler.commands import Command
from crawler.config import data_dir, database_url

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from scrapy.settings import Settings


class DatabaseUnavailable(Exception):
    """The expected locations can't be read; the message says why."""


def _pages_table() -> Any:
    """The ``pages`` table of the storage models, imported lazily."""
    try:
        models = importlib.import_module("crawler.storage.models")
    except ImportError as exc:
        raise DatabaseUnavailable(f"crawler.storage is not importable ({exc})") from exc
    page = getattr(models, "Page", None)
    table = getattr(page, "__table__", None)
    columns = ("url", "warc_file", "warc_offset", "warc_length")
    if table is None or any(name not in table.c for name in columns):
        raise DatabaseUnavailable(
            "crawler.storage.models has no Page model with " + ", ".join(columns)
        )
    return table


def _sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database) if parsed.database != ":memory:" else None


def expected_locations(settings: Settings) -> tuple[str, list[ExpectedRecord]]:
    """Where the database says the pages' responses are; and a description of the database.

    Raises :class:`DatabaseUnavailable` when the storage code, the database or its ``pages``
    table is not there yet.
    """
    table = _pages_table()
    url = database_url(settings)
    sqlite_file = _sqlite_path(url)
    if sqlite_file is not None and not sqlite_file.is_file():
        raise DatabaseUnavailable(f"no database file at {sqlite_file}")
    from sqlalchemy import create_engine, select
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    described = engine.url.render_as_string(hide_password=True)
    query = select(table.c.warc_file, table.c.warc_offset, table.c.warc_length, table.c.url).where(
        table.c.warc_file.is_not(None), table.c.warc_offset.is_not(None)
    )
    try:
        with engine.connect() as conn:
            rows = [
                ExpectedRecord(WarcLocation(str(f), int(o), int(n or 0)), str(u))
                for f, o, n, u in conn.execute(query)
            ]
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot read the pages of {described}: {exc}") from exc
    finally:
        engine.dispose()
    return described, rows


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _lines(report: Any, source: str, strict: bool) -> Iterator[str]:
    yield source
    yield (
        f"files: {report.files} ({report.bytes} bytes, {_human(report.bytes)}), "
        f"records: {report.records} ({report.responses} responses)"
    )
    if report.expected is not None:
        yield f"expected responses checked: {report.expected}"
    yield (
        f"missing: {len(report.missing)}, corrupt: {len(report.corrupt)}, "
        f"truncated: {len(report.truncated)}"
    )
    for problem in report.problems:
        yield f"  {problem}"
    ok = report.is_ok(strict=strict)
    if report.truncated and not strict and ok:
        yield "truncated records are the unfinished last write of a stopped crawl; --strict fails"
    yield "OK" if ok else "FAILED"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="archive_action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "verify",
        help="re-read every WARC record and check the database's locations",
        description=__doc__,
    )
    check.add_argument(
        "--files-only",
        action="store_true",
        help="do not read the expected locations from the database",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="also fail when a file ends in a truncated record",
    )
    check.add_argument(
        "--progress", action="store_true", help="print each file's name as it is read"
    )
    check.set_defaults(archive_run=run_verify)
    index = actions.add_parser(
        "index",
        help="write the CDXJ index of the WARC files (for pywb and other replay tools)",
        description="Index every response and revisit record of ARCHIVE_DATA_DIR/warc as "
        "CDXJ (SURT key, timestamp, JSON: url, mime, status, digest, length, offset, "
        "filename relative to the warc folder), sorted.",
    )
    index.add_argument(
        "-o", "--output", help="index file (default: ARCHIVE_DATA_DIR/indexes/index.cdxj)"
    )
    index.set_defaults(archive_run=run_index)
    wacz = actions.add_parser(
        "wacz",
        help="package the WARC files, their CDXJ index and the archived articles as WACZ",
        description=wacz_module.__doc__,
    )
    wacz.add_argument("-o", "--output", required=True, help="the .wacz file to write")
    wacz.add_argument(
        "--wacz-version",
        choices=wacz_module.WACZ_VERSIONS,
        default="1.1.1",
        help="datapackage.json fields: 1.1.1 (default, what `wacz validate` accepts) or 1.2.0",
    )
    wacz.add_argument("--title", default="Vietnamese provincial news archive")
    wacz.add_argument("--description", default="")
    wacz.set_defaults(archive_run=run_wacz)


def run(args: argparse.Namespace, settings: Settings) -> int:
    status: int = args.archive_run(args, settings)
    return status


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    root = data_dir(settings)
    expected: list[ExpectedRecord] | None = None
    if args.files_only:
        source = "database: not checked (--files-only); verified the WARC files alone"
    else:
        try:
            described, expected = expected_locations(settings)
        except DatabaseUnavailable as exc:
            source = f"database: not checked, {exc}; verified the WARC files alone"
        else:
            source = f"database: {described} ({len(expected)} pages with a WARC location)"
            # A shared crawl's workers may keep their WARC files on their own machines.
            from crawler.cluster.reach import file_hosts, split

            reach = split(root, expected, file_hosts(settings))
            expected = reach.here
            unreachable = reach.summary()
            if unreachable:
                source += "\n" + unreachable

    def progress(name: str) -> None:
        print(f"reading {name}", file=sys.stderr, flush=True)

    report = verify(root, expected, progress=progress if args.progress else None)
    print(f"archive: {root}")
    for line in _lines(report, source, args.strict):
        print(line)
    return 0 if report.is_ok(strict=args.strict) else 1


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    root = data_dir(settings)
    files = cdxj.warc_files(root)
    if not files:
        print(f"crawler archive index: no WARC files under {root / 'warc'}", file=sys.stderr)
        return 1
    output = Path(args.output) if args.output else cdxj.default_index(root)
    lines = cdxj.write_index(root, output)
    print(f"indexed {lines} captures of {len(files)} WARC files into {output}")
    return 0


def article_pages(settings: Settings) -> list[wacz_module.Page]:
    """The archived articles' pages from the database (raises :class:`DatabaseUnavailable`)."""
    _pages_table()
    url = database_url(settings)
    sqlite_file = _sqlite_path(url)
    if sqlite_file is not None and not sqlite_file.is_file():
        raise DatabaseUnavailable(f"no database file at {sqlite_file}")
    from sqlalchemy.exc import SQLAlchemyError

    from crawler.storage import captures
    from crawler.storage.db import engine_from_settings

    try:
        engine = engine_from_settings(settings)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot open {url}: {exc}") from exc
    try:
        with engine.connect() as conn:
            rows = captures.article_pages(conn)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot read the articles: {exc}") from exc
    finally:
        engine.dispose()
    return [
        wacz_module.Page(
            url=row.url,
            title=row.title,
            warc_file=row.warc_file,
            warc_offset=int(row.warc_offset),
            id=str(row.article_id),
        )
        for row in rows
    ]


def run_wacz(args: argparse.Namespace, settings: Settings) -> int:
    root = data_dir(settings)
    try:
        pages = article_pages(settings)
    except DatabaseUnavailable as exc:
        print(f"crawler archive wacz: {exc}; pages.jsonl lists no page", file=sys.stderr)
        pages = []
    try:
        summary = wacz_module.write_wacz(
            root,
            args.output,
            pages,
            title=args.title,
            description=args.description,
            wacz_version=args.wacz_version,
        )
    except FileNotFoundError as exc:
        print(f"crawler archive wacz: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {summary.path} ({summary.bytes} bytes, WACZ {args.wacz_version}): "
        f"{summary.warc_files} WARC files, {summary.index_lines} index lines, "
        f"{summary.pages} pages"
    )
    if summary.pages_not_indexed:
        print(
            f"{len(summary.pages_not_indexed)} article pages left out: their record is not "
            "in the WARC files",
            file=sys.stderr,
        )
    return 0


COMMAND = Command(
    name="archive",
    help="the raw web archive (WARC files): crawler archive verify|index|wacz",
    add_arguments=add_arguments,
    run=run,
)
