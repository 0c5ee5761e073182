"""What every storage module shares: table handles, dialect inserts, time helpers.

The write modules (:mod:`~crawler.storage.runs`, :mod:`~crawler.storage.pages`,
:mod:`~crawler.storage.articles`, :mod:`~crawler.storage.versions`,
:mod:`~crawler.storage.dedup_index`, :mod:`~crawler.storage.bulk`) build their statements
from these; none of them holds state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects import postgresql, sqlite

from crawler.storage import models

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table
    from sqlalchemy.sql.dml import Insert

ARTICLES: Table = models.Article.__table__  # type: ignore[assignment]
VERSIONS: Table = models.ArticleVersion.__table__  # type: ignore[assignment]
PAGES: Table = models.Page.__table__  # type: ignore[assignment]
OUTLETS: Table = models.Outlet.__table__  # type: ignore[assignment]
RUNS: Table = models.CrawlRun.__table__  # type: ignore[assignment]
BODY_HASHES: Table = models.BodyHash.__table__  # type: ignore[assignment]
SIGNATURES: Table = models.NearDupSignature.__table__  # type: ignore[assignment]
BUCKETS: Table = models.NearDupBucket.__table__  # type: ignore[assignment]
LEDGER: Table = models.LedgerUrl.__table__  # type: ignore[assignment]
CHANGES: Table = models.Change.__table__  # type: ignore[assignment]
CONSUMERS: Table = models.ExportConsumer.__table__  # type: ignore[assignment]

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
"""Zone assumed for a time an item gives without an offset (the outlets' local time)."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def parse_time(value: str | datetime | None) -> datetime | None:
    """An aware datetime from an item's ISO 8601 string (naive means Vietnam time); None for
    what is no time at all or cannot be stored (beyond the year 9999 in UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM)
    return storable(parsed)


def storable(value: datetime | None) -> datetime | None:
    """``value`` if it can be stored (in UTC), else None: 9999-12-31T23:59:59-05:00 has no
    UTC time, and a hostile page or sitemap may well print it."""
    if value is None:
        return None
    try:
        value.astimezone(UTC)
    except OverflowError:
        return None
    return value


def dialect_key(conn: Connection) -> tuple[str, str]:
    """What a statement cache is keyed on: the dialect and the driver's parameter style."""
    return conn.dialect.name, str(conn.dialect.paramstyle)


def insert_for(dialect: str, table: Table) -> Insert:
    """The dialect's ``INSERT`` (with ``on_conflict_do_nothing``)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database {dialect!r}")


def on_conflict_nothing(dialect: str, table: Table, *columns: str) -> Any:
    """``INSERT … ON CONFLICT (columns) DO NOTHING`` for the dialect."""
    stmt: Any = insert_for(dialect, table)
    return stmt.on_conflict_do_nothing(index_elements=list(columns))


def placeholder(paramstyle: str) -> str:
    """The driver's positional parameter marker, for raw ``executemany`` statements."""
    return "?" if paramstyle == "qmark" else "%s"


def json_safe(value: Any) -> Any:
    """Scrapy stats made JSON-serialisable (datetimes as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
