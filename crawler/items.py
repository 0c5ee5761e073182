"""The article item: what one news page becomes once extracted.

Scrapy handles dataclass items natively (through itemadapter), so the item is a plain typed
dataclass that the extractor returns, pipelines consume and exports serialise unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict


class ArticleImage(TypedDict):
    """One picture of the article body."""

    url: str
    """Absolute URL of the image file (resolved against the page, never against a broken
    ``<base href>``)."""

    caption: str | None
    """The photo caption as printed under the picture (NFC), or None when it has none."""


@dataclass
class Article:
    """A news article extracted from one HTML page.

    Every text field is Unicode NFC. Times are ISO 8601 strings with a UTC offset; an outlet's
    local times are given in Asia/Ho_Chi_Minh (+07:00).
    """

    url: str
    """The URL the page was fetched from (after redirects)."""

    canonical_url: str | None = None
    """The page's own canonical URL (``rel=canonical`` / ``og:url`` on the same outlet),
    normalised; None when the page names none."""

    outlet: str | None = None
    """The outlet's domain without ``www.``, e.g. ``baohatinh.vn``."""

    title: str | None = None
    """The headline, once, without the outlet's name appended by the ``<title>`` tag."""

    sapo: str | None = None
    """The lead paragraph shown under the headline, without the dateline marker such as
    "(Baohatinh.vn) - " or "QTO - "; None when the page shows no lead as text."""

    body: str | None = None
    """The article's own paragraphs, subheadings, list items and table rows joined by "\\n".

    No headline repeated as image alt text, no captions, no byline, no related-news or other
    boilerplate, and not the sapo again."""

    authors: list[str] = field(default_factory=list)
    """Author names as credited ("Bài, ảnh: TRƯỜNG SƠN" gives "Trường Sơn")."""

    published_at: str | None = None
    """First publication time, ISO 8601 with offset, as precise as the page gives it."""

    modified_at: str | None = None
    """Last modification time, ISO 8601 with offset, when the page gives one."""

    category: str | None = None
    """The section the outlet files the article under (the last breadcrumb entry)."""

    tags: list[str] = field(default_factory=list)
    """The outlet's topic tags / keywords for the article, in page order, without duplicates."""

    images: list[ArticleImage] = field(default_factory=list)
    """Pictures of the article body with their captions, in page order."""

    language: str | None = None
    """ISO 639-1 code of the article's language ("vi" for the outlets' own pages)."""

    slug: str | None = None
    """python-slugify of the title ("Đảng" gives "dang"); names export and archive files."""

    extractor_version: str | None = None
    """Version of the extraction code and outlet profile that produced this item, so stored
    articles can be re-extracted when either changes."""

    def to_dict(self) -> dict[str, Any]:
        """The article as a plain JSON-serialisable dictionary, fields in declaration order."""
        return asdict(self)


ARTICLE_FIELDS: tuple[str, ...] = tuple(Article.__dataclass_fields__)
"""Field names of :class:`Article` in declaration order (exports and tests use this)."""
