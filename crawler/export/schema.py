"""The export schema: the columns of ``crawler export``, their types and how each format
writes them. ``docs/operations.md`` documents the same table for analysts.

Columns, in order: ``id`` (the archive's article id), every field of
:class:`crawler.items.Article`, then ``version``, ``first_seen``, ``last_seen``; with
``--include-duplicates`` also ``duplicate_of``, ``near_duplicate_of`` and ``similarity``;
change-based exports (``--consumer``, ``--changed-since``) and partitioned datasets end with
``change``, ``change_id`` and ``changed_at``. A partitioned dataset keeps its partition
columns (``outlet``, ``month``) in the directory names, not in the files.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.items import ARTICLE_FIELDS

TIMEZONE = "Asia/Ho_Chi_Minh"
"""Zone of every exported timestamp (the outlets' local time, +07:00)."""


@dataclass(frozen=True)
class Column:
    """One exported column."""

    name: str
    kind: str
    """"int", "float", "string", "timestamp", "strings" (list of text) or "images"."""
    doc: str


_DOCS: dict[str, tuple[str, str]] = {
    "id": ("int", "article id in the archive (``duplicate_of`` refers to it)"),
    "url": ("string", "URL the article was last fetched from"),
    "canonical_url": ("string", "canonical URL (one row per canonical URL)"),
    "outlet": ("string", "outlet domain, e.g. baohatinh.vn"),
    "title": ("string", "headline"),
    "sapo": ("string", "lead paragraph"),
    "body": ("string", 'paragraphs joined by "\\n"'),
    "authors": ("strings", "author names"),
    "published_at": ("timestamp", "first publication time"),
    "modified_at": ("timestamp", "last modification time (page's, or when a change was seen)"),
    "category": ("string", "outlet's section"),
    "tags": ("strings", "outlet's tags"),
    "images": ("images", "pictures: url and caption"),
    "language": ("string", "ISO 639-1 code"),
    "slug": ("string", "slug of the title"),
    "extractor_version": ("string", "extractor code + profile version that produced the text"),
    "version": ("int", "number of distinct texts seen (latest version number)"),
    "first_seen": ("timestamp", "when the archive first stored the article"),
    "last_seen": ("timestamp", "when the article was last fetched"),
    "duplicate_of": ("int", "id of the article with the same body (exact duplicate)"),
    "near_duplicate_of": ("int", "id of the article this one nearly duplicates"),
    "similarity": ("float", "estimated Jaccard similarity to near_duplicate_of"),
    "change": ("string", '"new" (first stored within the exported changes) or "update"'),
    "change_id": ("int", "newest change-log id the row reflects (larger = newer state)"),
    "changed_at": ("timestamp", "when that change was written to the archive"),
    "month": ("string", "local month (Asia/Ho_Chi_Minh) of published_at, YYYY-MM"),
}

BASE_COLUMNS: tuple[str, ...] = ("id", *ARTICLE_FIELDS, "version", "first_seen", "last_seen")
"""Columns of a default export (one row per story)."""

DUPLICATE_COLUMNS: tuple[str, ...] = ("duplicate_of", "near_duplicate_of", "similarity")
"""Columns added by ``--include-duplicates``."""

CHANGE_COLUMNS: tuple[str, ...] = ("change", "change_id", "changed_at")
"""Columns of change-based exports and datasets: a consumer tells an update from a new story
by ``change`` (and by ``version``), and keeps the row with the largest ``change_id`` per
``id``."""

PARTITION_KEYS: tuple[str, ...] = ("outlet", "month")
"""Columns a dataset can be partitioned by (``--partition``)."""

COLUMNS: dict[str, Column] = {
    name: Column(name, *_DOCS[name])
    for name in (*BASE_COLUMNS, *DUPLICATE_COLUMNS, *CHANGE_COLUMNS, "month")
}


def select_columns(
    fields: list[str] | None, include_duplicates: bool, changes: bool = False
) -> list[Column]:
    """The columns of an export, in the order asked; ValueError for an unknown field.

    ``changes`` adds :data:`CHANGE_COLUMNS` (change-based exports and datasets)."""
    available = list(BASE_COLUMNS) + (list(DUPLICATE_COLUMNS) if include_duplicates else [])
    if changes:
        available += list(CHANGE_COLUMNS)
    if not fields:
        return [COLUMNS[n] for n in available]
    wanted = list(dict.fromkeys(f.strip() for f in fields if f.strip()))
    unknown = [f for f in wanted if f not in available]
    if unknown:
        hint = ""
        if any(f in DUPLICATE_COLUMNS for f in unknown):
            hint = " (duplicate columns need --include-duplicates)"
        raise ValueError(
            f"unknown field(s): {', '.join(unknown)}{hint}; available: {', '.join(available)}"
        )
    return [COLUMNS[n] for n in wanted]
