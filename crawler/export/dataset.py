"""A partitioned Parquet dataset: hive layout, appended to by incremental pulls.

Layout (``--partition outlet,month``)::

    DIR/_dataset.json                                   schema version, columns, writes
    DIR/outlet=baohatinh.vn/month=2024-03/part-<write>-0000.parquet
    DIR/outlet=__HIVE_DEFAULT_PARTITION__/...            (a null value, as Hive writes it)

* Partition columns live in the directory names only (as Hive, Spark, DuckDB, polars and
  pyarrow expect); ``month`` is the local month (Asia/Ho_Chi_Minh) of ``published_at``.
* Every write (a full export, or one pull) adds new part files, one per partition it touches
  (more past :data:`MAX_ROWS_PER_FILE`), never rewriting old ones. An article updated since
  a previous write therefore has a row in each: keep the row with the largest ``change_id``
  per ``id`` (``docs/operations.md`` has the query for each reader).
* Files and folders starting with ``_`` or ``.`` are ignored by the readers, so the manifest
  can sit at the root.

A write is published atomically enough that a crash never leaves a half write *visible with
the consumer's checkpoint moved*: parts are written into a (flat) staging folder beside ``DIR``;
when all are complete a ``_complete.json`` marker (with the consumer's checkpoint move) is
written; only then are the parts renamed into place, the manifest updated and the checkpoint
advanced. The next export into ``DIR`` first finishes any staged write that has its marker
(roll forward: the parts are complete) and deletes any that has none (nothing of it was
visible). An exclusive lock on ``DIR`` (``flock``) keeps two exports from interleaving.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.export.schema import PARTITION_KEYS, TIMEZONE
from crawler.export.writers import SCHEMA_VERSION, ParquetWriter, arrow_batch, arrow_schema

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from crawler.export.schema import Column

MANIFEST = "_dataset.json"
MARKER = "_complete.json"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
"""Directory value of a null partition key (Hive's, read back as null)."""

MAX_ROWS_PER_FILE = 1_000_000
"""A partition's rows in one write go to several files past this."""


class DatasetError(ValueError):
    """The directory is not a dataset this export can write to."""


def parse_partition(spec: str) -> list[str]:
    """``"outlet,month"`` → ``["outlet", "month"]``; ValueError for an unknown key."""
    keys = [k.strip() for k in spec.split(",") if k.strip()]
    unknown = [k for k in keys if k not in PARTITION_KEYS]
    if not keys or unknown or len(set(keys)) != len(keys):
        raise ValueError(
            f"--partition takes distinct keys among {', '.join(PARTITION_KEYS)}, got {spec!r}"
        )
    return keys


def _staging_prefix(root: Path) -> str:
    return f".{root.name}.staging-"


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the dataset ``root`` (a lock file beside it)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    lock_path = root.parent / f".{root.name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The dataset's manifest, or None when ``root`` holds no dataset."""
    path = root / MANIFEST
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _has_parts(root: Path) -> bool:
    return root.is_dir() and any(root.rglob("*.parquet"))


@dataclass
class StagedWrite:
    """A write whose parts are complete in a staging folder, ready to be published."""

    staging: Path
    root: Path
    info: dict[str, Any]
    """The marker: write id, parts (relative paths), rows, consumer move (if any)."""

    def staged(self, index: int) -> Path:
        """Where the write's part number ``index`` waits (the staging folder is flat)."""
        return self.staging / staged_name(index)

    def publish(self) -> None:
        """Rename the parts into the dataset (idempotent) and record the write."""
        self.root.mkdir(parents=True, exist_ok=True)  # a first write may have no rows
        for index, rel in enumerate(self.info["parts"]):
            source, target = self.staged(index), self.root / rel
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                source.replace(target)
        manifest = read_manifest(self.root) or dict(self.info["manifest"])
        writes = manifest.setdefault("writes", [])
        if not any(w.get("id") == self.info["id"] for w in writes):
            writes.append({k: v for k, v in self.info.items() if k not in ("manifest", "parts")})
            writes[-1]["parts"] = len(self.info["parts"])
        _write_json(self.root / MANIFEST, manifest)

    def discard(self) -> None:
        """Remove the staging folder."""
        shutil.rmtree(self.staging, ignore_errors=True)


def staged_name(index: int) -> str:
    """File name of a write's part number ``index`` in its staging folder."""
    return f"{index:06d}.parquet"


def leftovers(root: Path) -> tuple[list[StagedWrite], list[Path]]:
    """Staged writes beside ``root``: complete ones (to publish) and incomplete ones."""
    complete: list[StagedWrite] = []
    incomplete: list[Path] = []
    if not root.parent.is_dir():
        return complete, incomplete
    for path in sorted(root.parent.glob(_staging_prefix(root) + "*")):
        marker = path / MARKER
        if marker.exists():
            info = json.loads(marker.read_text(encoding="utf-8"))
            complete.append(StagedWrite(path, root, info))
        else:
            incomplete.append(path)
    return complete, incomplete


def manifest_for(partition: list[str], columns: list[Column]) -> dict[str, Any]:
    """A new dataset's manifest (without writes)."""
    schema = arrow_schema(columns)
    return {
        "format": "vn-news-archive partitioned articles",
        "schema_version": SCHEMA_VERSION,
        "partitioning": {"flavor": "hive", "keys": partition, "null": NULL_PARTITION},
        "month": f"local month of published_at in {TIMEZONE}, YYYY-MM",
        "columns": [
            {"name": c.name, "type": str(schema.field(c.name).type), "doc": c.doc} for c in columns
        ],
        "dedup": "an article can have one row per write: keep the largest change_id per id",
        "writes": [],
    }


def check_target(root: Path, partition: list[str], columns: list[Column], append: bool) -> None:
    """DatasetError when ``root`` is not an empty folder or a dataset of the same layout
    (``append``), or not empty (a full export)."""
    if root.exists() and not root.is_dir():
        raise DatasetError(f"{root} exists and is not a directory")
    manifest = read_manifest(root)
    if manifest is None:
        if _has_parts(root):
            raise DatasetError(f"{root} holds Parquet files but no {MANIFEST}")
        return
    if not append and _has_parts(root):
        raise DatasetError(
            f"{root} already holds a dataset: a full export needs an empty directory "
            "(pulls with --consumer or --changed-since append to it)"
        )
    wanted = manifest_for(partition, columns)
    for key in ("schema_version", "partitioning", "columns"):
        if manifest.get(key) != wanted[key]:
            raise DatasetError(
                f"{root} was written with another {key.replace('_', ' ')} "
                f"({json.dumps(manifest.get(key))[:200]}); write to a new directory"
            )


@dataclass
class DatasetWriter:
    """Writes rows (grouped by partition, in order) as new parts in a staging folder."""

    root: Path
    partition: list[str]
    columns: list[Column]
    """Every column of the dataset, partition keys included."""
    write_id: str = field(
        default_factory=lambda: f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"
    )
    rows: int = 0

    def __post_init__(self) -> None:
        self.file_columns = [c for c in self.columns if c.name not in self.partition]
        self._schema = ParquetWriter.schema_of(self.file_columns)
        self.staging = self.root.parent / f"{_staging_prefix(self.root)}{self.write_id}"
        self.staging.mkdir(parents=True)
        self.parts: list[str] = []
        self._key: tuple[Any, ...] | None = None
        self._writer: ParquetWriter | None = None
        self._file_rows = 0
        self._seq = 0

    def _directory(self, key: tuple[Any, ...]) -> str:
        parts = []
        for name, value in zip(self.partition, key, strict=True):
            text = NULL_PARTITION if value is None or value == "" else str(value)
            if "/" in text or "=" in text:
                raise ValueError(f"partition value {text!r} cannot be a directory name")
            parts.append(f"{name}={text}")
        return "/".join(parts)

    def _open(self, key: tuple[Any, ...]) -> ParquetWriter:
        rel = f"{self._directory(key)}/part-{self.write_id}-{self._seq:04d}.parquet"
        staged = self.staging / staged_name(len(self.parts))
        self._seq += 1
        self.parts.append(rel)
        self._key, self._file_rows = key, 0
        self._writer = ParquetWriter(staged, self.file_columns)
        return self._writer

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Add rows (each carrying its partition values); consecutive rows of one partition
        go to one part. The rows are converted to Arrow once, then sliced per partition."""
        if not rows:
            return
        batch = arrow_batch(rows, self.file_columns, self._schema)
        keys = [tuple(row[k] for k in self.partition) for row in rows]
        start = 0
        while start < len(rows):
            key = keys[start]
            end = start
            while end < len(rows) and keys[end] == key:
                end += 1
            count = end - start
            if key != self._key or self._file_rows + count > MAX_ROWS_PER_FILE:
                self._close_part()
                self._open(key)
            assert self._writer is not None
            self._writer.write_arrow(batch.slice(start, count))
            self._file_rows += count
            self.rows += count
            start = end

    def stage(self, info: dict[str, Any]) -> StagedWrite:
        """Close the last part and write the completion marker (with ``info``)."""
        self._close_part()
        marker = {
            "id": self.write_id,
            "at": datetime.now(UTC).isoformat(),
            "rows": self.rows,
            "parts": self.parts,
            "manifest": manifest_for(self.partition, self.columns),
            **info,
        }
        _write_json(self.staging / MARKER, marker)
        return StagedWrite(self.staging, self.root, marker)

    def abort(self) -> None:
        """Drop everything written so far."""
        with contextlib.suppress(Exception):
            self._close_part()
        shutil.rmtree(self.staging, ignore_errors=True)
