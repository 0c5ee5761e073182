"""Reading the rows of an export: filters, the change-log slice, streaming in constant memory.

Two ways of reading, both streamed in batches:

* a plain export in id order is one query on a server-side cursor (PostgreSQL) or a
  ``yield_per`` cursor (SQLite);
* every other export (change-based: a consumer's window or ``--changed-since``; and
  partitioned datasets, which need rows grouped by outlet and month) first streams the
  *ids* in the wanted order (a narrow query: what the database sorts is a few numbers per
  article, not the bodies), then reads the full rows of each batch of ids by primary key,
  with the change-log facts of each article (newest change id and time in the slice, whether
  the article was new in it).

Both read through :func:`crawler.storage.db.read_connection`: one snapshot, no write lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select

from crawler.export.schema import TIMEZONE
from crawler.storage.tables import ARTICLES, CHANGES, OUTLETS

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from sqlalchemy import Connection
    from sqlalchemy.sql import ColumnElement

    from crawler.storage.changes import Window

LOCAL = ZoneInfo(TIMEZONE)
BATCH = 1000
"""Rows per fetch and per batch handed to a writer."""

Order = Literal["id", "partition"]


@dataclass
class ExportFilter:
    """Which articles to export (the same filters for the CLI and :mod:`crawler.corpus`)."""

    outlets: list[str] = field(default_factory=list)
    """Outlet domains (empty: every outlet)."""

    since: date | None = None
    """First local publication date, inclusive."""

    until: date | None = None
    """Last local publication date, inclusive."""

    include_duplicates: bool = False
    """Also export exact and near duplicates (one row per article instead of per story)."""

    changed_since: datetime | None = None
    """Only articles with a change (new, new version, duplicate mark) written at or after
    this moment (aware)."""

    def to_json(self) -> dict[str, Any]:
        """The filter as JSON (stored with a consumer's checkpoint)."""
        return {
            "outlets": sorted(self.outlets),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "include_duplicates": self.include_duplicates,
        }


@dataclass(frozen=True)
class Selection:
    """What an export reads: the filter, and for a consumer's pull its change-log window."""

    flt: ExportFilter
    window: Window | None = None

    @property
    def change_based(self) -> bool:
        """Whether rows are limited to changed articles (and carry the change columns)."""
        return self.window is not None or self.flt.changed_since is not None

    def change_condition(self) -> ColumnElement[bool] | None:
        """The ``WHERE`` clause on ``changes`` selecting this export's changes, if any."""
        conditions = []
        if self.window is not None:
            conditions.append(self.window.condition())
        if self.flt.changed_since is not None:
            conditions.append(CHANGES.c.recorded_at >= self.flt.changed_since)
        if not conditions:
            return None
        result = conditions[0]
        for extra in conditions[1:]:
            result = result & extra
        return result


def local_start(day: date) -> datetime:
    """Midnight at the start of a local (Asia/Ho_Chi_Minh) day, aware."""
    return datetime.combine(day, time(0), tzinfo=LOCAL)


def _columns() -> Select[Any]:
    a = ARTICLES.c
    return select(
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


def _filtered(query: Select[Any], flt: ExportFilter) -> Select[Any]:
    a = ARTICLES.c
    if not flt.include_duplicates:
        query = query.where(a.duplicate_of.is_(None), a.near_duplicate_of.is_(None))
    if flt.outlets:
        query = query.where(OUTLETS.c.domain.in_(flt.outlets))
    if flt.since is not None:
        query = query.where(a.published_at >= local_start(flt.since))
    if flt.until is not None:
        query = query.where(a.published_at < local_start(flt.until + timedelta(days=1)))
    return query


def _ids(sel: Selection, order: Order) -> Select[Any]:
    """The narrow query: ids of the selected articles, in the export's order."""
    a = ARTICLES.c
    condition = sel.change_condition()
    if condition is None:
        source = ARTICLES.outerjoin(OUTLETS, OUTLETS.c.id == a.outlet_id)
        query = _filtered(select(a.id).select_from(source), sel.flt)
        if order == "partition":
            return query.order_by(OUTLETS.c.domain, a.published_at, a.id)
        return query.order_by(a.id)
    # Driven by the (usually small) slice of the change log, then articles by key.
    changed = select(CHANGES.c.article_id).where(condition).distinct().subquery()
    source = changed.join(ARTICLES, a.id == changed.c.article_id).outerjoin(
        OUTLETS, OUTLETS.c.id == a.outlet_id
    )
    query = _filtered(select(a.id).select_from(source), sel.flt)
    if order == "partition":
        return query.order_by(OUTLETS.c.domain, a.published_at, a.id)
    # Id order stated on the change-log side, so that the planner walks the slice and looks
    # articles up by key instead of scanning every story (SQLite picks the latter for a.id).
    return query.order_by(changed.c.article_id)


def count(conn: Connection, sel: Selection) -> int:
    """How many rows the selection exports."""
    sub = _ids(sel, "id").order_by(None).subquery()
    return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())


def _row(record: Any) -> dict[str, Any]:
    row = dict(record._mapping)
    for key in ("published_at", "modified_at", "first_seen", "last_seen"):
        if row[key] is not None:
            row[key] = row[key].astimezone(LOCAL)
    for key in ("authors", "tags", "images"):
        row[key] = list(row[key] or [])
    published = row["published_at"]
    row["month"] = published.strftime("%Y-%m") if published is not None else None
    return row


def _change_facts(
    conn: Connection, ids: list[int], sel: Selection
) -> dict[int, tuple[int, datetime, bool]]:
    """Per article: newest change id and time (in the selection's slice) and whether it was
    new in it."""
    c = CHANGES.c
    query = (
        select(
            c.article_id,
            func.max(c.id),
            func.max(c.recorded_at),
            func.max(case((c.kind == "new", 1), else_=0)),
        )
        .where(c.article_id.in_(ids))
        .group_by(c.article_id)
    )
    condition = sel.change_condition()
    if condition is not None:
        query = query.where(condition)
    facts: dict[int, tuple[int, datetime, bool]] = {}
    for article_id, change_id, changed_at, new in conn.execute(query):
        facts[int(article_id)] = (int(change_id), changed_at.astimezone(LOCAL), bool(new))
    return facts


def iter_batches(
    conn: Connection,
    sel: Selection,
    *,
    order: Order = "id",
    changes: bool = False,
    batch: int = BATCH,
) -> Generator[list[dict[str, Any]]]:
    """Batches of export rows (every column, plus ``month``; with ``changes`` the change
    columns), streamed from ``conn`` (a :func:`~crawler.storage.db.read_connection`)."""
    if order == "id" and not changes and not sel.change_based:
        query = _filtered(_columns(), sel.flt).order_by(ARTICLES.c.id)
        # Closed however the consumer of this generator stops (a server-side cursor on
        # PostgreSQL must not outlive its connection).
        with conn.execution_options(stream_results=True, yield_per=batch).execute(query) as res:
            for part in res.partitions(batch):
                yield [_row(r) for r in part]
        return
    streamed = conn.execution_options(stream_results=True, yield_per=batch)
    with streamed.execute(_ids(sel, order)) as keys:
        yield from _wide_batches(conn, sel, keys.partitions(batch), changes)


def _wide_batches(
    conn: Connection, sel: Selection, parts: Iterator[Any], changes: bool
) -> Iterator[list[dict[str, Any]]]:
    """The full rows of each batch of ids, in the ids' order."""
    for part in parts:
        ids = [int(r[0]) for r in part]
        wide = conn.execute(_columns().where(ARTICLES.c.id.in_(ids)))
        by_id = {int(r.id): _row(r) for r in wide}
        facts = _change_facts(conn, ids, sel) if changes else {}
        rows = []
        for article_id in ids:
            row = by_id[article_id]
            if changes:
                change_id, changed_at, new = facts.get(article_id, (None, None, True))
                row["change"] = "new" if new or not sel.change_based else "update"
                row["change_id"] = change_id
                row["changed_at"] = changed_at
            rows.append(row)
        yield rows


def parse_moment(value: str) -> datetime:
    """An aware moment from ``--changed-since``: ISO 8601 date-time (no offset means
    Asia/Ho_Chi_Minh) or a date (local midnight); ValueError otherwise."""
    text = value.strip()
    try:
        if len(text) == 10:
            return local_start(date.fromisoformat(text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a date or ISO 8601 time: {value!r} (e.g. 2025-03-01 or 2025-03-01T08:00+07:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL)
