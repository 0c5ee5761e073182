"""``articles`` rows, one at a time: insert a new story or record a refetch of a known one.

* **Article by canonical URL** — ``INSERT … ON CONFLICT (canonical_url) DO NOTHING``; a
  concurrent writer that loses the race reads the winner's row and goes on as a refetch.
  Existing rows are read ``FOR UPDATE`` on PostgreSQL (SQLite serialises writers with
  ``BEGIN IMMEDIATE``).
* **Dedup verdict** — made when an article is first stored (exact duplicate by body hash,
  else near duplicate by the LSH index, else a new root that is indexed), never revisited by
  later versions.
* **Refetch** — a changed content hash adds version ``n + 1``, copies the new text onto the
  article and sets ``modified_at`` (the page's own modification time, else the time the
  change was seen); an unchanged refetch only moves ``last_seen``.
* **Change log** — a new article, a new version and a late duplicate mark each add a
  ``changes`` row in the same transaction (:mod:`crawler.storage.changes`), what incremental
  exports read.

The set-oriented path for many new articles at once is :mod:`crawler.storage.bulk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from crawler.dedup import minhash
from crawler.storage import changes, dedup_index
from crawler.storage.tables import ARTICLES, dialect_key, on_conflict_nothing
from crawler.storage.versions import insert_versions, version_row

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from crawler.storage.dedup_index import NearDupIndex
    from crawler.storage.versions import Prepared

OUTCOMES = ("stored", "duplicate", "updated", "unchanged", "failed")
"""Page outcomes: a new story, a new exact/near duplicate, a new version, a refetch without
change, an extraction failure."""


@dataclass
class StoreResult:
    """What storing one item did."""

    article_id: int | None
    outcome: str
    duplicate_of: int | None = None
    near_duplicate_of: int | None = None
    similarity: float | None = None
    version: int | None = None


@dataclass(frozen=True)
class _Statements:
    article: Any
    insert_article: Any
    touch: Any


@cache
def _statements(key: tuple[str, str]) -> _Statements:
    dialect = key[0]
    article = select(ARTICLES.c.id, ARTICLES.c.content_hash, ARTICLES.c.version).where(
        ARTICLES.c.canonical_url == bindparam("canonical")
    )
    if dialect == "postgresql":
        article = article.with_for_update()
    return _Statements(
        article=article,
        insert_article=on_conflict_nothing(dialect, ARTICLES, "canonical_url").returning(
            ARTICLES.c.id
        ),
        touch=update(ARTICLES)
        .where(ARTICLES.c.id == bindparam("article_id"))
        .values(last_seen=bindparam("now")),
    )


def insert_statement(conn: Connection) -> Any:
    """``INSERT … ON CONFLICT (canonical_url) DO NOTHING`` for many rows (no RETURNING)."""
    return on_conflict_nothing(conn.dialect.name, ARTICLES, "canonical_url")


def article_row(p: Prepared, outlet_id: int | None) -> dict[str, Any]:
    """The ``articles`` row of a new story (version 1, no dedup verdict yet)."""
    return {
        "canonical_url": p.canonical,
        "url": p.item.url,
        "outlet_id": outlet_id,
        "language": p.item.language,
        "slug": p.item.slug,
        "body_hash": p.bhash,
        "content_hash": p.chash,
        "duplicate_of": p.duplicate_of,
        "near_duplicate_of": p.near_of,
        "near_similarity": p.similarity if p.near_of is not None else None,
        "version": 1,
        "first_seen": p.seen_at,
        "last_seen": p.seen_at,
        **p.fields,
    }


def mark_duplicate(conn: Connection, article_id: int, owner: int) -> None:
    """Make an article an exact duplicate of ``owner`` (it lost the race for its body hash)."""
    conn.execute(
        update(ARTICLES)
        .where(ARTICLES.c.id == article_id)
        .values(duplicate_of=owner, near_duplicate_of=None, near_similarity=None)
    )
    changes.record(conn, [(article_id, "duplicate", None)])


def store_one(
    conn: Connection,
    p: Prepared,
    outlet_id: Callable[[Connection, Prepared], int | None],
    index: NearDupIndex,
) -> StoreResult:
    """Upsert one prepared article; what it did (the page row is the caller's)."""
    sql = _statements(dialect_key(conn))
    row = conn.execute(sql.article, {"canonical": p.canonical}).first()
    if row is None:
        result = _insert_new(conn, p, outlet_id, index)
        if result is not None:
            return result
        # A concurrent writer inserted it first: now it exists.
        row = conn.execute(sql.article, {"canonical": p.canonical}).first()
        assert row is not None
    return _refetch(conn, row, p, index)


def _insert_new(
    conn: Connection,
    p: Prepared,
    outlet_id: Callable[[Connection, Prepared], int | None],
    index: NearDupIndex,
) -> StoreResult | None:
    if p.bhash is not None:
        p.duplicate_of = dedup_index.body_owner(conn, p.bhash)
    near: tuple[int, float] | None = None
    if p.duplicate_of is None:
        p.sig = minhash.signature((p.fields["title"], p.fields["sapo"], p.fields["body"]))
        if p.sig is not None:
            near = index.find(conn, p.sig)
    if near is not None:
        p.near_of, p.similarity = near
    row = article_row(p, outlet_id(conn, p))
    article_id = conn.execute(_statements(dialect_key(conn)).insert_article, row).scalar()
    if article_id is None:
        return None
    insert_versions(conn, [version_row(article_id, 1, p)])
    changes.record(conn, [(article_id, "new", 1)])
    if p.bhash is not None and p.duplicate_of is None:
        claims = [{"hash": p.bhash, "article_id": article_id}]
        if not dedup_index.claim_bodies(conn, claims):  # another writer stored it first
            owner = dedup_index.body_owner(conn, p.bhash)
            assert owner is not None
            p.duplicate_of, near = owner, None
            mark_duplicate(conn, article_id, owner)
    if p.sig is not None and p.duplicate_of is None and near is None:
        index.add(conn, article_id, p.sig)
    is_dup = p.duplicate_of is not None or near is not None
    return StoreResult(
        article_id=article_id,
        outcome="duplicate" if is_dup else "stored",
        duplicate_of=p.duplicate_of,
        near_duplicate_of=near[0] if near else None,
        similarity=near[1] if near else None,
        version=1,
    )


def _refetch(conn: Connection, row: Any, p: Prepared, index: NearDupIndex) -> StoreResult:
    article_id = int(row.id)
    if row.content_hash == p.chash:
        conn.execute(
            _statements(dialect_key(conn)).touch, {"article_id": article_id, "now": p.seen_at}
        )
        return StoreResult(article_id=article_id, outcome="unchanged", version=row.version)
    version = int(row.version) + 1
    insert_versions(conn, [version_row(article_id, version, p)])
    changes.record(conn, [(article_id, "version", version)])
    values = dict(p.fields)
    values["modified_at"] = p.fields["modified_at"] or p.seen_at
    conn.execute(
        update(ARTICLES)
        .where(ARTICLES.c.id == article_id)
        .values(
            url=p.item.url,
            content_hash=p.chash,
            body_hash=p.bhash,
            version=version,
            last_seen=p.seen_at,
            language=p.item.language,
            slug=p.item.slug,
            **values,
        )
    )
    if p.bhash is not None:
        dedup_index.claim_bodies(conn, [{"hash": p.bhash, "article_id": article_id}])
    index.replace(
        conn,
        article_id,
        lambda: minhash.signature((p.fields["title"], p.fields["sapo"], p.fields["body"])),
    )
    return StoreResult(article_id=article_id, outcome="updated", version=version)
