"""``pages`` rows: one per fetched response, later resolved with what became of it.

The page ledger (:class:`pipelines.pages.PageLedger`) inserts a row per response; the article
or failure of that response then *resolves* the newest unresolved row of the same URL in the
same run (outcome, error, article), or inserts a row when there is none (pipelines used
without the page ledger).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update

from crawler.dedup.text import nfc
from crawler.dedup.urls import canonicalize
from crawler.storage.records import PageRecord
from crawler.storage.tables import PAGES, dialect_key, insert_for

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Connection

    from crawler.storage.records import ExtractionFailure

Resolution = tuple[int, str, dict[str, Any]]
"""``(operation index, page URL, column values)`` of a page to resolve."""


@dataclass(frozen=True)
class _Statements:
    insert: Any
    insert_returning: Any
    resolve_in_run: Any
    resolve_without_run: Any


@cache
def _statements(key: tuple[str, str]) -> _Statements:
    def newest(run_condition: Any) -> Any:
        return (
            select(func.max(PAGES.c.id))
            .where(PAGES.c.url == bindparam("page_url"), run_condition, PAGES.c.outcome.is_(None))
            .scalar_subquery()
        )

    insert = insert_for(key[0], PAGES)
    return _Statements(
        insert=insert,
        insert_returning=insert.returning(PAGES.c.id),
        resolve_in_run=update(PAGES).where(
            PAGES.c.id == newest(PAGES.c.run_id == bindparam("page_run"))
        ),
        resolve_without_run=update(PAGES).where(PAGES.c.id == newest(PAGES.c.run_id.is_(None))),
    )


def page_row(page: PageRecord, run_id: int | None) -> dict[str, Any]:
    """The ``pages`` row of a fetched response, unresolved."""
    canonical = page.canonical_url
    if canonical is None:
        with contextlib.suppress(ValueError):
            canonical = canonicalize(page.url)
    return {
        "run_id": run_id,
        "url": page.url,
        "requested_url": page.requested_url,
        "canonical_url": canonical,
        "status": page.status,
        "fetched_at": page.fetched_at,
        "warc_file": page.warc_file,
        "warc_offset": page.warc_offset,
        "warc_length": page.warc_length,
        "payload_digest": page.payload_digest,
        "outcome": None,
        "error": None,
        "extractor_version": None,
        "article_id": None,
    }


def insert_pages(conn: Connection, pages: Sequence[PageRecord], run_id: int | None) -> None:
    """Insert fetched responses in one multi-row statement."""
    if pages:
        conn.execute(
            _statements(dialect_key(conn)).insert, [page_row(page, run_id) for page in pages]
        )


def record_page(conn: Connection, page: PageRecord, run_id: int | None) -> int:
    """Insert one fetched response; its page id."""
    stmt = _statements(dialect_key(conn)).insert_returning
    return int(conn.execute(stmt, page_row(page, run_id)).scalar_one())


def resolve_page(
    conn: Connection, url: str, run_id: int | None, now: datetime, values: dict[str, Any]
) -> None:
    """Set ``values`` on the newest unresolved page of ``url`` in the run, or add a page."""
    sql = _statements(dialect_key(conn))
    params: dict[str, Any] = {"page_url": url}
    if run_id is None:
        stmt = sql.resolve_without_run
    else:
        stmt = sql.resolve_in_run
        params["page_run"] = run_id
    stmt = stmt.values(**{k: bindparam(f"v_{k}") for k in values})
    params.update({f"v_{k}": v for k, v in values.items()})
    if conn.execute(stmt, params).rowcount:
        return
    row = page_row(PageRecord(url=url, status=None, fetched_at=now), run_id)
    # The page URL's own canonical form unless the article's is known.
    row.update({k: v for k, v in values.items() if v is not None or k != "canonical_url"})
    conn.execute(sql.insert, row)


def resolve_pages(
    conn: Connection,
    resolutions: Sequence[Resolution],
    run_id: int | None,
    seen_at: Sequence[datetime],
) -> None:
    """:func:`resolve_page` for many pages: in bulk when their URLs differ.

    ``seen_at`` gives each operation's time by its index (for pages inserted here)."""
    if not resolutions:
        return
    counts: dict[str, int] = {}
    for _, url, _ in resolutions:
        counts[url] = counts.get(url, 0) + 1
    bulk = [r for r in resolutions if counts[r[1]] == 1]
    for i, url, values in resolutions:
        if counts[url] > 1:
            resolve_page(conn, url, run_id, seen_at[i], values)
    if not bulk:
        return
    query = (
        select(PAGES.c.url, func.max(PAGES.c.id))
        .where(PAGES.c.url.in_([url for _, url, _ in bulk]), PAGES.c.outcome.is_(None))
        .where(PAGES.c.run_id.is_(None) if run_id is None else PAGES.c.run_id == run_id)
        .group_by(PAGES.c.url)
    )
    newest = dict(conn.execute(query).all())
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for i, url, values in bulk:
        page_id = newest.get(url)
        if page_id is not None:
            updates.append({"page_id": page_id, **{f"v_{k}": v for k, v in values.items()}})
        else:
            row = page_row(PageRecord(url=url, status=None, fetched_at=seen_at[i]), run_id)
            row.update(values)
            inserts.append(row)
    if updates:
        keys = [k[2:] for k in updates[0] if k.startswith("v_")]
        stmt = (
            update(PAGES)
            .where(PAGES.c.id == bindparam("page_id"))
            .values(**{k: bindparam(f"v_{k}") for k in keys})
        )
        conn.execute(stmt, updates)
    if inserts:
        conn.execute(_statements(dialect_key(conn)).insert, inserts)


def record_failure(
    conn: Connection, failure: ExtractionFailure, run_id: int | None, now: datetime
) -> None:
    """Mark the page of a failed extraction "failed" with its error."""
    values: dict[str, Any] = {
        "outcome": "failed",
        "error": nfc(failure.error),
        "extractor_version": failure.extractor_version,
    }
    if failure.status is not None:
        values["status"] = failure.status
    resolve_page(conn, failure.url, run_id, now, values)
