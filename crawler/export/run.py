"""One export from start to end: full, one-off (``--changed-since``) or a consumer's pull.

A consumer's pull (``--consumer NAME``):

1. reads the consumer's checkpoint and a clean cut of the change log in one read snapshot
   (:mod:`crawler.storage.changes` explains why the cut makes the cursor safe);
2. writes the articles with a change in that window — their state in the snapshot, one row
   per article — to a temporary file (renamed over the target when complete), to standard
   output, or to a staged dataset write (:mod:`crawler.export.dataset`);
3. only then advances the checkpoint, as a compare-and-set: two pulls of one consumer at
   once cannot both advance it.

A crash before step 3 leaves the checkpoint where it was: the next pull exports the same
changes again (and any newer ones). For a single file or stdout this is at-least-once
delivery (a crash between the rename and step 3 repeats the pull's rows: readers keep the row
with the largest ``change_id`` per ``id``); a dataset's staged write is rolled forward with its
checkpoint move by the next export into it, so a dataset holds each write once.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.export import dataset as ds
from crawler.export.schema import COLUMNS, select_columns
from crawler.export.source import ExportFilter, Selection, count, iter_batches
from crawler.export.writers import FORMATS, open_writer
from crawler.storage import changes, consumers
from crawler.storage.db import read_connection

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from sqlalchemy import Connection, Engine

    from crawler.export.schema import Column
    from crawler.export.source import Order
    from crawler.export.writers import BatchWriter


class ExportConflict(RuntimeError):
    """Another pull of the same consumer advanced its checkpoint first."""


@dataclass
class ExportRequest:
    """What to export and where."""

    fmt: str
    output: Path | None
    """Target file, dataset directory (with ``partition``), or None for standard output."""
    flt: ExportFilter = field(default_factory=ExportFilter)
    fields: list[str] | None = None
    consumer: str | None = None
    partition: list[str] = field(default_factory=list)

    @property
    def change_columns(self) -> bool:
        """Whether rows carry ``change``, ``change_id`` and ``changed_at``."""
        return bool(self.consumer or self.flt.changed_since or self.partition)

    def columns(self) -> list[Column]:
        """The output's columns (a dataset's include its partition keys)."""
        columns = select_columns(self.fields, self.flt.include_duplicates, self.change_columns)
        names = {c.name for c in columns}
        return columns + [COLUMNS[k] for k in self.partition if k not in names]

    def validate(self) -> None:
        """ValueError for a combination that cannot work."""
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; choose one of {', '.join(FORMATS)}")
        if self.consumer is not None and self.flt.changed_since is not None:
            raise ValueError("--consumer and --changed-since exclude each other")
        if self.consumer is not None and not self.consumer.strip():
            raise ValueError("--consumer needs a name")
        if self.partition and self.fmt != "parquet":
            raise ValueError("--partition writes a Parquet dataset: use --format parquet")
        if self.output is None and self.fmt != "jsonl":
            raise ValueError("-o - streams JSON Lines: use --format jsonl")
        if self.output is None and self.partition:
            raise ValueError("a partitioned dataset needs a directory, not -o -")
        self.columns()


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path | None
    rows: int
    columns: list[str]
    consumer: str | None = None
    position: tuple[int, int] | None = None
    """The consumer's checkpoint before and after the pull."""
    parts: int = 0
    """Part files added to a dataset."""
    recovered: int = 0
    """Staged dataset writes of an earlier, interrupted export finished first."""


def _advance(
    engine: Engine,
    request: ExportRequest,
    expected: consumers.Checkpoint | None,
    position: int,
    last_change_id: int | None,
    rows: int,
) -> None:
    assert request.consumer is not None
    with engine.begin() as conn:
        ok = consumers.advance(
            conn,
            request.consumer,
            expected=expected,
            position=position,
            last_change_id=last_change_id,
            rows=rows,
            filters=request.flt.to_json(),
            now=datetime.now(UTC),
        )
    if not ok:
        raise ExportConflict(
            f"consumer {request.consumer!r} was advanced by another pull meanwhile; this "
            "pull's output repeats some of its rows (keep the largest change_id per id)"
        )


def _recover(engine: Engine, root: Path) -> int:
    """Finish the staged writes an interrupted export left beside ``root``; drop the rest."""
    complete, incomplete = ds.leftovers(root)
    for path in incomplete:
        ds.StagedWrite(path, root, {}).discard()
    for staged in complete:
        staged.publish()
        move = staged.info.get("consumer")
        if move:
            with engine.begin() as conn:
                current = consumers.get(conn, move["name"])
                done = current is not None and current.position == move["to"]
                expected_ok = (current is None and move["from"] is None) or (
                    current is not None and current.position == move["from"]
                )
                if not done and expected_ok:
                    consumers.advance(
                        conn,
                        move["name"],
                        expected=current,
                        position=move["to"],
                        last_change_id=move.get("last_change_id"),
                        rows=int(staged.info.get("rows", 0)),
                        filters=move.get("filters", {}),
                        now=datetime.now(UTC),
                    )
        staged.discard()
    return len(complete)


def run_export(
    engine: Engine,
    request: ExportRequest,
    *,
    progress: Callable[[int], object] | None = None,
    on_total: Callable[[int], object] | None = None,
) -> ExportResult:
    """Run one export (see the module docstring)."""
    request.validate()
    if request.partition:
        assert request.output is not None
        with ds.locked(request.output):
            recovered = _recover(engine, request.output)
            result = _export(engine, request, progress, on_total)
            result.recovered = recovered
            return result
    return _export(engine, request, progress, on_total)


def _export(
    engine: Engine,
    request: ExportRequest,
    progress: Callable[[int], object] | None,
    on_total: Callable[[int], object] | None,
) -> ExportResult:
    columns = request.columns()
    names = [c.name for c in columns]
    with read_connection(engine) as conn:
        checkpoint, window, last_change = _window(engine, conn, request)
        selection = Selection(request.flt, window)
        if on_total is not None:
            on_total(count(conn, selection))
        order: Order = "partition" if request.partition else "id"
        batches = iter_batches(conn, selection, order=order, changes=request.change_columns)
        # Closed before the connection, however the export ends.
        with contextlib.closing(batches):
            rows, parts, staged = _write(
                request, columns, batches, checkpoint, window, last_change, progress
            )
    if staged is not None:
        staged.publish()
    position = None
    if request.consumer is not None and window is not None:
        _advance(engine, request, checkpoint, window.end, last_change, rows)
        position = (window.start, window.end)
    if staged is not None:
        staged.discard()
    return ExportResult(
        path=request.output,
        rows=rows,
        columns=names,
        consumer=request.consumer,
        position=position,
        parts=parts,
    )


def _write(
    request: ExportRequest,
    columns: list[Column],
    batches: Iterator[list[dict[str, Any]]],
    checkpoint: consumers.Checkpoint | None,
    window: changes.Window | None,
    last_change: int | None,
    progress: Callable[[int], object] | None,
) -> tuple[int, int, ds.StagedWrite | None]:
    """Write the rows to their target; rows, dataset parts and the staged dataset write."""
    if not request.partition:
        return _write_file(request, columns, batches, progress), 0, None
    assert request.output is not None
    append = request.consumer is not None or request.flt.changed_since is not None
    ds.check_target(request.output, request.partition, columns, append)
    writer = ds.DatasetWriter(request.output, request.partition, columns)
    try:
        for batch in batches:
            writer.write(batch)
            if progress is not None:
                progress(len(batch))
        move = None
        if request.consumer is not None and window is not None:
            move = {
                "name": request.consumer,
                "from": checkpoint.position if checkpoint is not None else None,
                "to": window.end,
                "last_change_id": last_change,
                "filters": request.flt.to_json(),
            }
        staged = writer.stage({"consumer": move, "changed_since": _iso(request)})
    except BaseException:
        writer.abort()
        raise
    return writer.rows, len(writer.parts), staged


def _window(
    engine: Engine, conn: Connection, request: ExportRequest
) -> tuple[consumers.Checkpoint | None, changes.Window | None, int | None]:
    """The consumer's checkpoint, its window in the change log and the window's newest
    change id (all None without a consumer)."""
    if request.consumer is None:
        return None, None, None
    end = changes.cut(engine, conn)  # first: the snapshot is taken at the cut
    checkpoint = consumers.get(conn, request.consumer)
    if checkpoint is not None and checkpoint.filters != request.flt.to_json():
        raise ValueError(
            f"consumer {request.consumer!r} pulls with the filters "
            f"{checkpoint.filters}; use the same filters or another consumer name"
        )
    start = checkpoint.position if checkpoint is not None else 0
    window = changes.Window(start, max(start, end))
    return checkpoint, window, changes.last_change_id(conn, window)


@contextlib.contextmanager
def pull_rows(engine: Engine, request: ExportRequest) -> Iterator[Iterator[list[dict[str, Any]]]]:
    """A consumer's pull as batches of rows (for :meth:`crawler.corpus.Corpus.pull`): the
    checkpoint advances when the ``with`` block exits without an exception."""
    assert request.consumer is not None
    delivered = 0

    def counted(batches: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        nonlocal delivered
        for batch in batches:
            delivered += len(batch)
            yield batch

    with read_connection(engine) as conn:
        checkpoint, window, last_change = _window(engine, conn, request)
        batches = iter_batches(conn, Selection(request.flt, window), changes=True)
        with contextlib.closing(batches):
            yield counted(batches)
    assert window is not None
    _advance(engine, request, checkpoint, window.end, last_change, delivered)


def _iso(request: ExportRequest) -> str | None:
    since = request.flt.changed_since
    return since.isoformat() if since is not None else None


def _write_file(
    request: ExportRequest,
    columns: list[Column],
    batches: Any,
    progress: Callable[[int], object] | None,
) -> int:
    """Write the batches to the target file (temp file + rename) or standard output."""
    rows = 0
    path = request.output
    if path is None:
        writer: BatchWriter = open_writer(request.fmt, None, columns)
        for batch in batches:
            writer.write(batch)
            rows += len(batch)
            if progress is not None:
                progress(len(batch))
        writer.close()
        return rows
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        writer = open_writer(request.fmt, tmp, columns)
        try:
            for batch in batches:
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
    return rows
