"""Writers of the export formats: JSON Lines, CSV and Parquet, fed rows in batches.

Rows are dictionaries of Python values (aware datetimes in Asia/Ho_Chi_Minh, lists, dicts).

* **JSONL** — one JSON object per line, UTF-8, timestamps as ISO 8601 with ``+07:00``,
  lists as JSON arrays, null for missing values.
* **CSV** — UTF-8 with a header row, RFC 4180 quoting (bodies keep their newlines inside
  quotes); timestamps as ISO 8601 with ``+07:00``; ``authors``, ``tags`` and ``images`` as
  JSON arrays (lossless: a name may contain "; "); missing values as empty cells.
* **Parquet** — typed columns through pyarrow, one row group per batch, zstd compression:
  timestamps ``timestamp[us, tz=Asia/Ho_Chi_Minh]``, ``authors``/``tags`` ``list<string>``,
  ``images`` ``list<struct<url: string, caption: string>>``, ids ``int64``,
  ``similarity`` ``double``, the rest ``string``.
"""

from __future__ import annotations

import csv
import json
from typing import IO, TYPE_CHECKING, Any, Protocol

from crawler.export.schema import TIMEZONE, Column

if TYPE_CHECKING:
    from pathlib import Path

FORMATS = ("jsonl", "csv", "parquet")


class BatchWriter(Protocol):
    """A format writer: rows go in by batches, ``close`` finishes the file."""

    def write(self, rows: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class JsonlWriter:
    """One JSON object per line."""

    def __init__(self, path: Path, columns: list[Column]) -> None:
        self.columns = columns
        self.file: IO[str] = path.open("w", encoding="utf-8", newline="\n")

    def write(self, rows: list[dict[str, Any]]) -> None:
        names = [c.name for c in self.columns]
        lines = [
            json.dumps({n: _iso(row[n]) for n in names}, ensure_ascii=False) + "\n" for row in rows
        ]
        self.file.writelines(lines)

    def close(self) -> None:
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


class ParquetWriter:
    """Parquet through pyarrow; one row group per batch."""

    def __init__(self, path: Path, columns: list[Column]) -> None:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        self.columns = columns
        self.schema = arrow_schema(columns)
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        names = [c.name for c in self.columns]
        data = {n: [row[n] for row in rows] for n in names}
        self.writer.write_table(pa.table(data, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def open_writer(fmt: str, path: Path, columns: list[Column]) -> BatchWriter:
    """A writer of ``fmt`` ("jsonl", "csv", "parquet") on ``path``."""
    if fmt == "jsonl":
        return JsonlWriter(path, columns)
    if fmt == "csv":
        return CsvWriter(path, columns)
    if fmt == "parquet":
        return ParquetWriter(path, columns)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
