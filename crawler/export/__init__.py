"""Exporting the archive's articles for analysis: JSON Lines, CSV, Parquet.

:func:`export_articles` streams the articles out of the database in constant memory (a
server-side cursor on PostgreSQL, ``yield_per`` batches) and writes them batch by batch to a
temporary file beside the target, renamed over it only when complete: a crashed export leaves
no half-written file. Filters: outlets, a local publication-date range (Asia/Ho_Chi_Minh,
``until`` inclusive), duplicates hidden unless asked. See :mod:`crawler.export.schema` for the
columns and :mod:`crawler.export.writers` for how each format writes them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from crawler.export.schema import TIMEZONE, Column, select_columns
from crawler.export.writers import FORMATS, open_writer
from crawler.storage.tables import ARTICLES, OUTLETS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine

__all__ = ["FORMATS", "ExportFilter", "ExportResult", "export_articles", "iter_rows"]

LOCAL = ZoneInfo(TIMEZONE)
BATCH = 1000
"""Rows per fetch and per written batch (a Parquet row group)."""


@dataclass
class ExportFilter:
    """Which articles to export."""

    outlets: list[str] = field(default_factory=list)
    """Outlet domains (empty: every outlet)."""

    since: date | None = None
    """First local publication date, inclusive."""

    until: date | None = None
    """Last local publication date, inclusive."""

    include_duplicates: bool = False
    """Also export exact and near duplicates (one row per article instead of per story)."""


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    rows: int
    columns: list[str]


def local_start(day: date) -> datetime:
    """Midnight at the start of a local (Asia/Ho_Chi_Minh) day, aware."""
    return datetime.combine(day, time(0), tzinfo=LOCAL)


def _query(flt: ExportFilter) -> Select[Any]:
    a = ARTICLES.c
    query: Select[Any] = select(
        a.id,
        a.url,
        a.canonical_url,
        OUTLETS.c.domain.label("outlet"),
        a.title,
        a.sapo,
        a.body,
        a.authors,
        a.published_at,
        a.modified_at,
        a.category,
        a.tags,
        a.images,
        a.language,
        a.slug,
        a.extractor_version,
        a.version,
        a.first_seen,
        a.last_seen,
        a.duplicate_of,
        a.near_duplicate_of,
        a.near_similarity.label("similarity"),
    ).select_from(ARTICLES.outerjoin(OUTLETS, OUTLETS.c.id == a.outlet_id))
    if not flt.include_duplicates:
        query = query.where(a.duplicate_of.is_(None), a.near_duplicate_of.is_(None))
    if flt.outlets:
        query = query.where(OUTLETS.c.domain.in_(flt.outlets))
    if flt.since is not None:
        query = query.where(a.published_at >= local_start(flt.since))
    if flt.until is not None:
        query = query.where(a.published_at < local_start(flt.until + timedelta(days=1)))
    return query


def count_rows(engine: Engine, flt: ExportFilter) -> int:
    """How many rows an export with this filter writes."""
    with engine.connect() as conn:
        sub = _query(flt).subquery()
        return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())


def _row(record: Any) -> dict[str, Any]:
    row = dict(record._mapping)
    for key in ("published_at", "modified_at", "first_seen", "last_seen"):
        if row[key] is not None:
            row[key] = row[key].astimezone(LOCAL)
    for key in ("authors", "tags", "images"):
        row[key] = list(row[key] or [])
    return row


def iter_rows(
    engine: Engine, flt: ExportFilter, batch: int = BATCH
) -> Iterator[list[dict[str, Any]]]:
    """Batches of export rows (every column), in article id order, streamed."""
    query = _query(flt).order_by(ARTICLES.c.id)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        for part in result.partitions(batch):
            yield [_row(r) for r in part]


def export_articles(
    engine: Engine,
    fmt: str,
    path: Path,
    flt: ExportFilter,
    fields: list[str] | None = None,
    *,
    progress: Callable[[int], object] | None = None,
) -> ExportResult:
    """Write the filtered articles to ``path`` in ``fmt``; atomic (temp file + rename).

    ``progress`` is called with the number of rows of each written batch.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    columns: list[Column] = select_columns(fields, flt.include_duplicates)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    rows = 0
    try:
        writer = open_writer(fmt, tmp, columns)
        try:
            for batch in iter_rows(engine, flt):
                writer.write(batch)
                rows += len(batch)
                if progress is not None:
                    progress(len(batch))
        finally:
            writer.close()
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return ExportResult(path=path, rows=rows, columns=[c.name for c in columns])
