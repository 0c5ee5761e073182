"""Article texts and their history: normalising an item, hashing it, ``article_versions`` rows.

An article's *content hash* covers its normalised title, sapo and body plus the metadata a
profile fix can change (authors, tags, category, publication time); a refetch whose hash
differs becomes version ``n + 1``. Version 1 is written with the article itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from crawler.dedup.text import hashes_of_normalized, nfc, normalize_lines, normalize_or_none
from crawler.dedup.urls import resolve_canonical
from crawler.storage.tables import VERSIONS, dialect_key, insert_for, parse_time

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from crawler.items import Article as ArticleItem


def normalize_body(body: str | None) -> str | None:
    """NFC body with white space folded inside each paragraph, empty paragraphs dropped."""
    return normalize_lines(body)


@dataclass
class Prepared:
    """An article item normalised and hashed, with its dedup verdict being worked out."""

    item: ArticleItem
    seen_at: datetime
    canonical: str
    fields: dict[str, Any]
    """The versioned columns (:func:`text_fields`)."""
    chash: str
    """Content hash (:func:`content_hash`)."""
    bhash: str | None
    """Normalised body hash (exact-duplicate key), None without a body."""
    sig: Any = None
    keys: list[int] = field(default_factory=list)
    duplicate_of: int | None = None
    duplicate_of_batch: int | None = None
    near_of: int | None = None
    near_of_batch: int | None = None
    similarity: float | None = None


def prepare(item: ArticleItem, seen_at: datetime) -> Prepared:
    """Normalise and hash an item once, for every write that needs it."""
    title = normalize_or_none(item.title)
    sapo = normalize_or_none(item.sapo)
    body = normalize_body(item.body)
    text_hash, bhash = hashes_of_normalized(title, sapo, body)
    fields = text_fields(item, title, sapo, body)
    return Prepared(
        item=item,
        seen_at=seen_at,
        canonical=resolve_canonical(item.url, item.canonical_url),
        fields=fields,
        chash=content_hash(text_hash, fields),
        bhash=bhash,
    )


def content_hash_of(item: ArticleItem) -> str:
    """The content hash storing ``item`` would record."""
    return prepare(item, datetime.now(UTC)).chash


def content_hash(text_hash: str, fields: dict[str, Any]) -> str:
    """The content hash: the text's, plus the metadata a profile fix can change.

    Authors, tags, category and publication time are part of what a version records, so a
    re-extraction that only corrects them (a byline moved to ``authors``, a date found)
    stores a new version too; the page's own ``modified_at`` and the extractor version are
    not, so an unchanged refetch stays unchanged."""
    published = fields["published_at"]
    meta = "\x1f".join(
        (
            text_hash,
            "\x1e".join(fields["authors"]),
            "\x1e".join(fields["tags"]),
            fields["category"] or "",
            published.isoformat() if published is not None else "",
        )
    )
    return hashlib.sha256(meta.encode("utf-8")).hexdigest()


def text_fields(
    item: ArticleItem, title: str | None, sapo: str | None, body: str | None
) -> dict[str, Any]:
    """The versioned fields of an item, NFC."""
    return {
        "title": title,
        "sapo": sapo,
        "body": body,
        "authors": [nfc(a) for a in item.authors or []],
        "tags": [nfc(t) for t in item.tags or []],
        "images": [
            {
                "url": img.get("url"),
                "caption": nfc(caption) if (caption := img.get("caption")) else None,
            }
            for img in item.images or []
        ],
        "published_at": parse_time(item.published_at),
        "modified_at": parse_time(item.modified_at),
        "category": normalize_or_none(item.category),
        "extractor_version": item.extractor_version,
    }


def version_row(article_id: int, version: int, prepared: Prepared) -> dict[str, Any]:
    """The ``article_versions`` row of one text of an article."""
    return {
        "article_id": article_id,
        "version": version,
        "url": prepared.item.url,
        "content_hash": prepared.chash,
        "body_hash": prepared.bhash,
        "created_at": prepared.seen_at,
        **prepared.fields,
    }


@cache
def _insert(key: tuple[str, str]) -> Any:
    return insert_for(key[0], VERSIONS)


def insert_versions(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert version rows (built by :func:`version_row`)."""
    if rows:
        conn.execute(_insert(dialect_key(conn)), list(rows))
