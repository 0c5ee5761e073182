"""The archive as a Python object, for analysts who don't want files.

>>> from crawler.corpus import open_corpus
>>> corpus = open_corpus("data")                          # a data dir, or a database URL
>>> for article in corpus.articles(outlets=["baohatinh"], since="2024-01-01"):
...     print(article["published_at"], article["title"])
>>> table = corpus.to_arrow(outlets=["baonghean"])         # pyarrow.Table
>>> rel = corpus.to_duckdb()                              # duckdb relation (extra "analysis")
>>> with corpus.pull("notebook") as rows:                 # what changed since the last pull
...     for row in rows: ...

The filters are the CLI's (``crawler export``): ``outlets`` (names or domains),
``since``/``until`` (local publication dates, Asia/Ho_Chi_Minh, ``until`` inclusive; a
``date`` or ``"YYYY-MM-DD"``), ``include_duplicates``, ``changed_since`` (a moment: aware
``datetime`` or ISO 8601, no offset meaning Asia/Ho_Chi_Minh) and ``fields``. Rows are
dictionaries with the export's columns (``docs/operations.md``): aware datetimes in
Asia/Ho_Chi_Minh, lists for authors, tags and images.

:meth:`Corpus.articles` and :meth:`Corpus.batches` stream (constant memory, one read
snapshot that never blocks the crawl); :meth:`Corpus.to_arrow` and :meth:`Corpus.to_duckdb`
build the whole selection in memory. :meth:`Corpus.pull` is ``crawler export --consumer``:
the consumer's checkpoint advances only when the ``with`` block ends without an error.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.export.schema import select_columns
from crawler.export.source import ExportFilter, Selection, count, iter_batches, parse_moment
from crawler.export.writers import arrow_batch, arrow_schema

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy import Engine

    from crawler.export.schema import Column

__all__ = ["Corpus", "open_corpus"]


def open_corpus(source: str | Path | None = None) -> Corpus:
    """The archive at ``source``: a data directory (its ``archive.sqlite3``), a SQLAlchemy
    database URL, or None for the project settings (``ARCHIVE_DATABASE_URL`` /
    ``ARCHIVE_DATA_DIR`` from the environment)."""
    from crawler.storage.db import make_engine

    if source is None:
        from crawler.config import database_url, load_settings

        url = database_url(load_settings())
    elif isinstance(source, str) and "://" in source:
        url = source
    else:
        path = Path(source)
        database = path / "archive.sqlite3" if path.is_dir() else path
        if not database.exists():
            raise FileNotFoundError(f"no archive database at {database}")
        url = f"sqlite:///{database.resolve()}"
    return Corpus(make_engine(url))


def _day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("changed_since must be timezone-aware (or an ISO 8601 string)")
        return value
    return parse_moment(value)


@dataclass
class Corpus:
    """An open archive (see the module docstring); ``close()`` or use it with ``with``."""

    engine: Engine

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # --- filters ----------------------------------------------------------------------------

    @staticmethod
    def filter(
        outlets: Iterable[str] = (),
        since: date | str | None = None,
        until: date | str | None = None,
        include_duplicates: bool = False,
        changed_since: datetime | str | None = None,
    ) -> ExportFilter:
        """The export filter of these arguments (outlet names resolved to domains)."""
        from crawler.commands.export import outlet_domains

        return ExportFilter(
            outlets=outlet_domains(list(outlets)),
            since=_day(since),
            until=_day(until),
            include_duplicates=include_duplicates,
            changed_since=_moment(changed_since),
        )

    # --- reading ----------------------------------------------------------------------------

    def count(self, **filters: Any) -> int:
        """How many articles the filters select."""
        from crawler.storage.db import read_connection

        with read_connection(self.engine) as conn:
            return count(conn, Selection(self.filter(**filters)))

    def _columns(self, flt: ExportFilter, fields: list[str] | None) -> list[Column]:
        return select_columns(fields, flt.include_duplicates, flt.changed_since is not None)

    def articles(
        self, *, fields: list[str] | None = None, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """The selected articles one by one, in id order, streamed."""
        for batch in self._row_batches(fields, filters):
            yield from batch

    def _row_batches(
        self, fields: list[str] | None, filters: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        from crawler.storage.db import read_connection

        flt = self.filter(**filters)
        names = [c.name for c in self._columns(flt, fields)]
        sel = Selection(flt)
        with read_connection(self.engine) as conn:
            batches = iter_batches(conn, sel, changes=sel.change_based)
            with contextlib.closing(batches):
                for batch in batches:
                    yield [{n: row[n] for n in names} for row in batch]

    def batches(self, *, fields: list[str] | None = None, **filters: Any) -> Iterator[Any]:
        """The selected articles as ``pyarrow.RecordBatch`` es (the export's Parquet types),
        streamed."""
        flt = self.filter(**filters)
        columns = self._columns(flt, fields)
        schema = arrow_schema(columns)
        for rows in self._row_batches(fields, filters):
            yield arrow_batch(rows, columns, schema)

    def to_arrow(self, *, fields: list[str] | None = None, **filters: Any) -> Any:
        """The selected articles as one ``pyarrow.Table`` (in memory)."""
        import pyarrow as pa  # type: ignore[import-untyped]

        flt = self.filter(**filters)
        schema = arrow_schema(self._columns(flt, fields))
        return pa.Table.from_batches(list(self.batches(fields=fields, **filters)), schema=schema)

    def to_duckdb(
        self,
        *,
        fields: list[str] | None = None,
        connection: Any = None,
        name: str | None = None,
        **filters: Any,
    ) -> Any:
        """The selected articles as a DuckDB relation (needs ``pip install duckdb``, the
        ``analysis`` extra); ``name`` also registers it as a view on ``connection``."""
        try:
            import duckdb
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ImportError(
                "to_duckdb needs DuckDB: pip install 'vn-news-archive[analysis]'"
            ) from exc
        con = connection if connection is not None else duckdb.connect()
        table = self.to_arrow(fields=fields, **filters)
        if name is not None:
            con.register(name, table)
            return con.table(name)
        return con.from_arrow(table)

    # --- incremental ------------------------------------------------------------------------

    @contextlib.contextmanager
    def pull(
        self, consumer: str, *, fields: list[str] | None = None, **filters: Any
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """What changed since ``consumer``'s last successful pull (``crawler export
        --consumer``): rows with the change columns; the checkpoint advances when the block
        exits without an exception (rows not read by then count as delivered)."""
        from crawler.export.run import ExportRequest, pull_rows

        flt = self.filter(**filters)
        request = ExportRequest("jsonl", None, flt, fields, consumer=consumer)
        request.validate()
        names = [c.name for c in request.columns()]
        with pull_rows(self.engine, request) as batches:
            yield ({n: row[n] for n in names} for batch in batches for row in batch)
