"""Exporting the archive's articles for analysis: JSON Lines, CSV, Parquet, partitioned datasets.

* :mod:`crawler.export.source` — which articles (filters, a slice of the change log) and
  reading them in batches in constant memory, in one read snapshot that takes no write lock;
* :mod:`crawler.export.writers` — one file per format (temp file renamed over the target
  when complete: a crashed export leaves no half-written file), or JSON Lines on stdout;
* :mod:`crawler.export.dataset` — the hive-partitioned Parquet dataset, appended to by pulls;
* :mod:`crawler.export.run` — one export end to end, and a consumer's incremental pull
  (checkpoint advanced only once the output is complete);
* :mod:`crawler.export.schema` — the columns.

Filters: outlets, a local publication-date range (Asia/Ho_Chi_Minh, ``until`` inclusive),
duplicates hidden unless asked, changes since a moment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.export.run import ExportConflict, ExportRequest, ExportResult, run_export
from crawler.export.source import ExportFilter, Selection, count, iter_batches, local_start
from crawler.export.writers import FORMATS
from crawler.storage.db import read_connection

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from sqlalchemy import Engine

__all__ = [
    "FORMATS",
    "ExportConflict",
    "ExportFilter",
    "ExportRequest",
    "ExportResult",
    "count_rows",
    "export_articles",
    "iter_rows",
    "local_start",
    "run_export",
]


def count_rows(engine: Engine, flt: ExportFilter) -> int:
    """How many rows an export with this filter writes."""
    with read_connection(engine) as conn:
        return count(conn, Selection(flt))


def iter_rows(
    engine: Engine, flt: ExportFilter, batch: int = 1000
) -> Iterator[list[dict[str, Any]]]:
    """Batches of export rows (every column), in article id order, streamed."""
    with read_connection(engine) as conn:
        yield from iter_batches(conn, Selection(flt), batch=batch)


def export_articles(
    engine: Engine,
    fmt: str,
    path: Path,
    flt: ExportFilter,
    fields: list[str] | None = None,
    *,
    progress: Callable[[int], object] | None = None,
) -> ExportResult:
    """Write the filtered articles to ``path`` in ``fmt`` (a full export; atomic)."""
    return run_export(engine, ExportRequest(fmt, path, flt, fields), progress=progress)
