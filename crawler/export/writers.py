"""Writers of the export formats: JSON Lines, CSV and Parquet, fed rows in batches.

Rows are dictionaries of Python values (aware datetimes in Asia/Ho_Chi_Minh, lists, dicts).

* **JSONL** — one JSON object per line, UTF-8, timestamps as ISO 8601 with ``+07:00``,
  lists as JSON arrays, null for missing values.
* **CSV** — UTF-8 with a header row, RFC 4180 quoting (bodies keep their newlines inside
  quotes); timestamps as ISO 8601 with ``+07:00``; ``authors``, ``tags`` and ``images`` as
  JSON arrays (lossless: a name may contain "; "); missing values as empty cells.
* **Parquet** — typed columns through pyarrow, zstd-compressed texts: timestamps
  ``timestamp[us, tz=Asia/Ho_Chi_Minh]``, ``authors``/``tags`` ``list<string>``,
  ``images`` ``list<struct<url: string, caption: string>>``, ids ``int64``,
  ``similarity`` ``double``, the rest ``string``. Row groups are sized for scans: batches are
  buffered (as Arrow data) up to :data:`ROW_GROUP_BYTES` or :data:`ROW_GROUP_ROWS`, then
  written as one row group, so memory stays bounded by that size whatever the export's.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, TYPE_CHECKING, Any, Protocol

from crawler.export.schema import TIMEZONE, Column

if TYPE_CHECKING:
    from pathlib import Path

FORMATS = ("jsonl", "csv", "parquet")

ROW_GROUP_BYTES = 32 * 1024 * 1024
"""Uncompressed Arrow bytes buffered before a Parquet row group is written (about 6,000
articles of 5 kB: whole row groups for a scan, without holding an export in memory)."""

ROW_GROUP_ROWS = 100_000
"""Most rows in one Parquet row group (for exports of short rows, e.g. ``--fields id,url``)."""

DICTIONARY_COLUMNS = frozenset(
    {"outlet", "language", "category", "extractor_version", "change", "authors", "tags"}
)
"""Low-cardinality columns stored dictionary-encoded; the texts (titles, bodies, URLs) are not
(trying a dictionary on unique texts costs time and then falls back anyway)."""

STATISTICS_COLUMNS = frozenset(
    {
        "id", "outlet", "published_at", "modified_at", "category", "language",
        "extractor_version", "version", "first_seen", "last_seen", "duplicate_of",
        "near_duplicate_of", "similarity", "change", "change_id", "changed_at",
    }
)  # fmt: skip
"""Columns with min/max statistics (what scans filter on); none for the texts, whose min/max
would copy whole bodies into every footer."""

SCHEMA_VERSION = 1
"""Version of the export schema (columns, types, partition layout), written into every
Parquet file's metadata and a dataset's ``_dataset.json``; bumped on an incompatible change."""


class BatchWriter(Protocol):
    """A format writer: rows go in by batches, ``close`` finishes the file."""

    def write(self, rows: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class JsonlWriter:
    """One JSON object per line, to a file or (``path`` None) to standard output, flushed per
    batch so a pipe sees rows as they come."""

    def __init__(self, path: Path | None, columns: list[Column]) -> None:
        self.columns = columns
        self.stdout = path is None
        self.file: IO[str] = (
            sys.stdout if path is None else path.open("w", encoding="utf-8", newline="\n")
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        names = [c.name for c in self.columns]
        lines = [
            json.dumps({n: _iso(row[n]) for n in names}, ensure_ascii=False) + "\n" for row in rows
        ]
        self.file.writelines(lines)
        if self.stdout:
            self.file.flush()

    def close(self) -> None:
        if self.stdout:
            self.file.flush()
        else:
            self.file.close()


class CsvWriter:
    """CSV with a header; list columns as JSON arrays."""

    def __init__(self, path: Path, columns: list[Column]) -> None:
        self.columns = columns
        self.file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow([c.name for c in columns])

    def _cell(self, column: Column, value: Any) -> Any:
        if value is None:
            return ""
        if column.kind in ("strings", "images"):
            return json.dumps(value, ensure_ascii=False)
        return _iso(value)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows([[self._cell(c, row[c.name]) for c in self.columns] for row in rows])

    def close(self) -> None:
        self.file.close()


def arrow_schema(columns: list[Column]) -> Any:
    """The pyarrow schema of the columns (see the module docstring)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    def arrow_type(kind: str) -> Any:
        if kind == "int":
            return pa.int64()
        if kind == "float":
            return pa.float64()
        if kind == "timestamp":
            return pa.timestamp("us", tz=TIMEZONE)
        if kind == "strings":
            return pa.list_(pa.string())
        if kind == "images":
            return pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())]))
        return pa.string()

    return pa.schema([pa.field(c.name, arrow_type(c.kind), nullable=True) for c in columns])


def _codec(column: Column) -> str:
    """The Parquet compression of a column: zstd for texts, none for the rest."""
    texts = column.kind in ("string", "strings", "images")
    return "zstd" if texts and column.name not in DICTIONARY_COLUMNS else "none"


def arrow_batch(rows: list[dict[str, Any]], columns: list[Column], schema: Any) -> Any:
    """A pyarrow RecordBatch of the rows' values for the columns."""
    import pyarrow as pa

    arrays = [
        pa.array([row[c.name] for row in rows], type=f.type)
        for c, f in zip(columns, schema, strict=False)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class ParquetWriter:
    """Parquet through pyarrow; row groups of up to :data:`ROW_GROUP_BYTES`."""

    def __init__(self, path: Path, columns: list[Column]) -> None:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        self.columns = columns
        self.schema = self.schema_of(columns)
        self.writer = pq.ParquetWriter(
            str(path),
            self.schema,
            # zstd where it pays (the texts); its per-column-chunk set-up costs more than it
            # saves on ids, times and dictionary-encoded columns of a small partition file.
            compression={c.name: _codec(c) for c in columns},
            use_dictionary=[c.name for c in columns if c.name in DICTIONARY_COLUMNS],
            write_statistics=[c.name for c in columns if c.name in STATISTICS_COLUMNS],
        )
        self.pending: list[Any] = []
        self.pending_bytes = 0
        self.pending_rows = 0
        self.rows = 0

    @staticmethod
    def schema_of(columns: list[Column]) -> Any:
        """The Arrow schema of the files, with the schema version in its metadata."""
        return arrow_schema(columns).with_metadata(
            {"vn_news_archive.schema_version": str(SCHEMA_VERSION)}
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.write_arrow(arrow_batch(rows, self.columns, self.schema))

    def write_arrow(self, batch: Any) -> None:
        """Add a RecordBatch of this writer's schema (e.g. a slice of a bigger one)."""
        if not batch.num_rows:
            return
        self.pending.append(batch)
        self.pending_bytes += batch.nbytes
        self.pending_rows += batch.num_rows
        if self.pending_bytes >= ROW_GROUP_BYTES or self.pending_rows >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered as one row group."""
        import pyarrow as pa

        if not self.pending:
            return
        table = pa.Table.from_batches(self.pending, schema=self.schema)
        self.writer.write_table(table, row_group_size=max(1, table.num_rows))
        self.rows += table.num_rows
        self.pending, self.pending_bytes, self.pending_rows = [], 0, 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


def open_writer(fmt: str, path: Path | None, columns: list[Column]) -> BatchWriter:
    """A writer of ``fmt`` ("jsonl", "csv", "parquet") on ``path`` (None: JSON Lines to
    standard output)."""
    if path is None:
        if fmt != "jsonl":
            raise ValueError("only JSON Lines can be streamed to standard output")
        return JsonlWriter(None, columns)
    if fmt == "jsonl":
        return JsonlWriter(path, columns)
    if fmt == "csv":
        return CsvWriter(path, columns)
    if fmt == "parquet":
        return ParquetWriter(path, columns)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
