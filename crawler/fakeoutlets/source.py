"""Article source records: the hand-written ground truth behind every fake-outlet page.

A source record (``tests/fixtures/sources/<outlet>/<case>.json``) holds what a perfect
extractor should read from the rendered page: headline, dateline marker, lead, body blocks,
byline and authors, dates, category, tags and related links. The renderers in
:mod:`crawler.fakeoutlets.render` turn a record into an outlet's HTML page; tests compare
extraction results with the record.

Records are UTF-8 JSON in Unicode NFC with exactly the keys of :data:`RECORD_KEYS`.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

if TYPE_CHECKING:
    from pathlib import Path

BlockType = Literal["p", "h2", "h3", "image", "table", "ul", "quote"]
"""The kinds of body block a record may hold."""

BLOCK_TYPES: frozenset[str] = frozenset(get_args(BlockType))

RECORD_KEYS: tuple[str, ...] = (
    "outlet",
    "case",
    "url",
    "canonical_url",
    "title",
    "dateline",
    "sapo",
    "blocks",
    "byline",
    "authors",
    "published_at",
    "modified_at",
    "category",
    "tags",
    "jsonld",
    "related",
)
"""Every key of a source record, in the order records are written."""


class SourceError(ValueError):
    """A source record is malformed (missing keys, wrong types, text not in NFC)."""


@dataclass(frozen=True)
class Block:
    """One body block: a paragraph, subheading, image, table, bulleted list or quote."""

    type: BlockType
    text: str = ""
    """Text of ``p``, ``h2``, ``h3`` and ``quote`` blocks."""
    src: str = ""
    """Absolute image URL of an ``image`` block."""
    caption: str | None = None
    """Caption of an ``image`` block, as printed (may end with "Ảnh: …")."""
    rows: tuple[tuple[str, ...], ...] = ()
    """Cells of a ``table`` block, row by row; the first row is the header."""
    items: tuple[str, ...] = ()
    """Entries of a ``ul`` block."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Block:
        """Build a block from its JSON object."""
        kind = data.get("type")
        if kind not in BLOCK_TYPES:
            raise SourceError(f"unknown block type {kind!r}")
        btype = cast("BlockType", kind)
        if btype == "image":
            return cls(type=btype, src=str(data["src"]), caption=data.get("caption"))
        if btype == "table":
            rows = tuple(tuple(str(c) for c in row) for row in data["rows"])
            return cls(type=btype, rows=rows)
        if btype == "ul":
            return cls(type=btype, items=tuple(str(i) for i in data["items"]))
        return cls(type=btype, text=str(data["text"]))

    def to_json(self) -> dict[str, Any]:
        """The block as a JSON object with only the keys its type uses."""
        if self.type == "image":
            return {"type": "image", "src": self.src, "caption": self.caption}
        if self.type == "table":
            return {"type": "table", "rows": [list(r) for r in self.rows]}
        if self.type == "ul":
            return {"type": "ul", "items": list(self.items)}
        return {"type": self.type, "text": self.text}

    def texts(self) -> list[str]:
        """Every piece of text the block holds."""
        out = [self.text] if self.text else []
        if self.caption:
            out.append(self.caption)
        out.extend(c for row in self.rows for c in row)
        out.extend(self.items)
        return out


@dataclass(frozen=True)
class RelatedLink:
    """One entry of the page's related-articles block."""

    title: str
    url: str
    teaser: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The link as a JSON object."""
        return {"title": self.title, "url": self.url, "teaser": self.teaser}


@dataclass(frozen=True)
class ArticleSource:
    """One article as its outlet published it: the ground truth of a fixture page."""

    outlet: str
    case: str
    url: str
    """The URL the page was fetched from (may carry tracking parameters)."""
    canonical_url: str
    """The ``rel=canonical`` URL printed in the page."""
    title: str
    dateline: str | None
    """Dateline marker opening the lead exactly as printed, e.g. ``"(Baohatinh.vn) - "``."""
    sapo: str | None
    """The lead without its dateline marker."""
    blocks: tuple[Block, ...]
    byline: str | None
    """Author credit as printed, e.g. ``"Bài, ảnh: TRƯỜNG SƠN"``."""
    authors: tuple[str, ...]
    published_at: str
    """ISO 8601 with offset: the most precise publication instant the page shows."""
    modified_at: str | None
    category: str
    tags: tuple[str, ...]
    jsonld: bool
    """Whether the page carries a JSON-LD ``NewsArticle``."""
    related: tuple[RelatedLink, ...] = field(default=())

    @property
    def published(self) -> datetime:
        """``published_at`` as an aware datetime."""
        return datetime.fromisoformat(self.published_at)

    @property
    def modified(self) -> datetime | None:
        """``modified_at`` as an aware datetime, or None."""
        return datetime.fromisoformat(self.modified_at) if self.modified_at else None

    @property
    def lead(self) -> str:
        """The lead as printed: dateline marker followed by the sapo."""
        return f"{self.dateline or ''}{self.sapo or ''}"

    def body_lines(self) -> list[str]:
        """The body as a perfect extractor gives it, one line per paragraph-like unit.

        Paragraphs, subheadings and quotes as they are; a table row per line with its cells
        joined by " | "; a list item per line; pictures contribute nothing (their captions
        belong to ``images``)."""
        lines: list[str] = []
        for block in self.blocks:
            if block.type == "table":
                lines.extend(" | ".join(cell for cell in row if cell) for row in block.rows)
            elif block.type == "ul":
                lines.extend(block.items)
            elif block.type != "image":
                lines.append(block.text)
        return lines

    def images(self) -> list[Block]:
        """The image blocks of the body."""
        return [b for b in self.blocks if b.type == "image"]

    def texts(self) -> list[str]:
        """Every text field of the record (for NFC checks)."""
        out = [self.title, self.category, *self.tags, *self.authors]
        out.extend(s for s in (self.dateline, self.sapo, self.byline) if s)
        for block in self.blocks:
            out.extend(block.texts())
        for link in self.related:
            out.extend(s for s in (link.title, link.teaser) if s)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleSource:
        """Build and validate a record from its JSON object."""
        keys = set(data)
        if keys != set(RECORD_KEYS):
            missing = sorted(set(RECORD_KEYS) - keys)
            extra = sorted(keys - set(RECORD_KEYS))
            raise SourceError(f"record keys differ: missing {missing}, unexpected {extra}")
        record = cls(
            outlet=str(data["outlet"]),
            case=str(data["case"]),
            url=str(data["url"]),
            canonical_url=str(data["canonical_url"]),
            title=str(data["title"]),
            dateline=data["dateline"],
            sapo=data["sapo"],
            blocks=tuple(Block.from_json(b) for b in data["blocks"]),
            byline=data["byline"],
            authors=tuple(str(a) for a in data["authors"]),
            published_at=str(data["published_at"]),
            modified_at=data["modified_at"],
            category=str(data["category"]),
            tags=tuple(str(t) for t in data["tags"]),
            jsonld=bool(data["jsonld"]),
            related=tuple(
                RelatedLink(str(r["title"]), str(r["url"]), r.get("teaser"))
                for r in data["related"]
            ),
        )
        record.validate()
        return record

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object, keys in :data:`RECORD_KEYS` order."""
        return {
            "outlet": self.outlet,
            "case": self.case,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "dateline": self.dateline,
            "sapo": self.sapo,
            "blocks": [b.to_json() for b in self.blocks],
            "byline": self.byline,
            "authors": list(self.authors),
            "published_at": self.published_at,
            "modified_at": self.modified_at,
            "category": self.category,
            "tags": list(self.tags),
            "jsonld": self.jsonld,
            "related": [r.to_json() for r in self.related],
        }

    def validate(self) -> None:
        """Raise :class:`SourceError` unless the record is well formed."""
        for text in self.texts():
            if unicodedata.normalize("NFC", text) != text:
                raise SourceError(f"{self.outlet}/{self.case}: text not in NFC: {text[:60]!r}")
        for stamp in (self.published_at, self.modified_at):
            if stamp is not None and datetime.fromisoformat(stamp).tzinfo is None:
                raise SourceError(f"{self.outlet}/{self.case}: naive timestamp {stamp!r}")
        if not self.url.startswith("https://") or not self.canonical_url.startswith("https://"):
            raise SourceError(f"{self.outlet}/{self.case}: URLs must be absolute https")
        for block in self.images():
            if not block.src.startswith("https://"):
                raise SourceError(f"{self.outlet}/{self.case}: image src must be absolute")


def dump_source(record: ArticleSource) -> str:
    """The record as human-reviewable JSON text (indented, non-ASCII kept, final newline)."""
    return json.dumps(record.to_json(), ensure_ascii=False, indent=2) + "\n"


def load_source(path: Path) -> ArticleSource:
    """Read and validate one source record file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SourceError(f"{path}: a record must be a JSON object")
    return ArticleSource.from_json(data)


def iter_source_paths(root: Path) -> list[Path]:
    """Every record file under ``root`` (``<outlet>/<case>.json``), sorted."""
    return sorted(root.glob("*/*.json"))


def load_sources(root: Path) -> list[ArticleSource]:
    """Every record under ``root``, sorted by outlet then case."""
    return [load_source(p) for p in iter_source_paths(root)]
