"""Archived captures as the pages table records them: what a re-fetch may revisit, and the
article pages a WACZ lists.

:func:`latest_captures` is read once per spider when it opens (from a thread) by
:mod:`crawler.archive.revisits`. Only page rows without an article outcome are considered
(home pages, listings, feeds, sitemaps, robots.txt, redirects, errors: the pages every crawl
fetches again), with a payload digest and a WARC location.

Each URL's newest such row gives the digest and the location of the ``response`` record that
holds the payload (a row of a revisit points at the record it refers to); the record's
``WARC-Date`` is the ``fetched_at`` of the first row at that location, the row of the fetch
that wrote it (the page ledger stores the record's ``WARC-Date`` as ``fetched_at``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select

from crawler.storage.tables import ARTICLES, PAGES

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Connection


def host_ranges(hosts: Iterable[str]) -> list[tuple[str, str]]:
    """``[low, high)`` string ranges holding exactly the http(s) URLs of each host: an indexed
    range scan on ``pages.url`` on every backend, where ``LIKE`` may not use the index."""
    ranges = []
    for host in sorted(set(hosts)):
        for scheme in ("http", "https"):
            prefix = f"{scheme}://{host}"
            ranges.append((prefix + "/", prefix + "0"))  # "0" is the character after "/"
    return ranges


def latest_captures(conn: Connection, hosts: Iterable[str]) -> list[Any]:
    """Per URL of ``hosts``: ``url``, ``payload_digest``, ``warc_file``, ``warc_offset``,
    ``warc_length`` and ``captured_at`` (see the module docstring)."""
    p = PAGES.c
    ranges = host_ranges(hosts)
    if not ranges:
        return []
    eligible = and_(
        or_(*(and_(p.url >= low, p.url < high) for low, high in ranges)),
        p.outcome.is_(None),
        p.payload_digest.is_not(None),
        p.warc_file.is_not(None),
        p.warc_offset.is_not(None),
    )
    newest = select(func.max(p.id).label("id")).where(eligible).group_by(p.url).subquery()
    written = (
        select(
            p.warc_file.label("file"),
            p.warc_offset.label("offset"),
            func.min(p.fetched_at).label("captured_at"),
        )
        .where(eligible)
        .group_by(p.warc_file, p.warc_offset)
        .subquery()
    )
    query = select(
        p.url,
        p.payload_digest,
        p.warc_file,
        p.warc_offset,
        p.warc_length,
        written.c.captured_at,
    ).select_from(
        PAGES.join(newest, newest.c.id == p.id).join(
            written, and_(written.c.file == p.warc_file, written.c.offset == p.warc_offset)
        )
    )
    return list(conn.execute(query).all())


def article_pages(conn: Connection) -> list[Any]:
    """Per stored article, the newest page that gave it with a WARC location: ``article_id``,
    ``title``, ``url`` (the page's), ``warc_file``, ``warc_offset``; in article order. What a
    WACZ lists as its pages."""
    p, a = PAGES.c, ARTICLES.c
    newest = (
        select(func.max(p.id).label("id"))
        .where(p.article_id.is_not(None), p.warc_file.is_not(None), p.warc_offset.is_not(None))
        .group_by(p.article_id)
        .subquery()
    )
    query = (
        select(a.id.label("article_id"), a.title, p.url, p.warc_file, p.warc_offset)
        .select_from(
            PAGES.join(newest, newest.c.id == p.id).join(ARTICLES, ARTICLES.c.id == p.article_id)
        )
        .order_by(a.id)
    )
    return list(conn.execute(query).all())
