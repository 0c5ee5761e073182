"""Read queries of the archive: one row per story, and the duplicates of a story."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from crawler.storage.tables import ARTICLES

if TYPE_CHECKING:
    from sqlalchemy import Connection


def stories(include_duplicates: bool = False) -> Select[Any]:
    """``SELECT`` of articles, one row per story unless ``include_duplicates``.

    A story is an article that is neither an exact (``duplicate_of``) nor a near
    (``near_duplicate_of``) duplicate; duplicates stay reachable with the flag.
    """
    query = select(ARTICLES).order_by(ARTICLES.c.id)
    if not include_duplicates:
        query = query.where(
            ARTICLES.c.duplicate_of.is_(None), ARTICLES.c.near_duplicate_of.is_(None)
        )
    return query


def count_stories(conn: Connection, include_duplicates: bool = False) -> int:
    """How many stories (or articles, with duplicates) the archive holds."""
    sub = stories(include_duplicates).subquery()
    return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())


def duplicates_of(conn: Connection, article_id: int) -> list[Any]:
    """The exact and near duplicates pointing at an article."""
    return list(
        conn.execute(
            select(ARTICLES)
            .where(
                (ARTICLES.c.duplicate_of == article_id)
                | (ARTICLES.c.near_duplicate_of == article_id)
            )
            .order_by(ARTICLES.c.id)
        )
    )
