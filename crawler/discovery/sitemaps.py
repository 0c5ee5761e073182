"""Sitemaps read as a stream: ``<urlset>``, ``<sitemapindex>``, Google News and plain text.

:func:`sitemap_body` turns a downloaded sitemap into its XML (gunzipped when the bytes are
gzip, whatever the URL says), refusing more than the protocol's 50 MB uncompressed;
:func:`iter_sitemap` then yields one :class:`SitemapEntry` per ``<url>`` / ``<sitemap>``
with lxml's ``iterparse``, clearing each element once read, so memory stays bounded by one
entry plus the body. Parsing tolerates broken XML (libxml2's recover mode, bare ``&`` in
URLs) and is safe against hostile XML: entities are never expanded and no DTD or external
resource is loaded (billion laughs and external-entity files neither expand nor hang).

robots.txt is read with Scrapy's own parser (:func:`robots_sitemaps`).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from typing import TYPE_CHECKING

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.discovery.window import parse_lastmod
from crawler.extraction.dates import VIETNAM

if TYPE_CHECKING:
    from collections.abc import Iterator

MAX_SITEMAP_BYTES = 50 * 1024 * 1024
"""The largest uncompressed sitemap the protocol allows (sitemaps.org: 50 MB, 50,000 URLs)."""

GZIP_MAGIC = b"\x1f\x8b"

# A "&" that starts no entity or character reference: common in sitemaps built by string
# concatenation (``?id=1&cat=2``); libxml2's recover mode would drop the "&cat" instead.
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#\d+|#[xX][0-9A-Fa-f]+);)")
_UTF8_BOM = b"\xef\xbb\xbf"
# How a whole sitemap ends: its root's end tag, then nothing but white space or comments.
_ENDS_WHOLE = re.compile(
    rb"</(?:[\w.-]+:)?(?:urlset|sitemapindex)\s*>(?:\s|<!--.*?-->)*\Z", re.DOTALL
)


class SitemapError(ValueError):
    """A sitemap that cannot be read (corrupt compression)."""


class SitemapTooLarge(SitemapError):
    """A sitemap larger than allowed once uncompressed (a gzip bomb, or just too big)."""

    def __init__(self, limit: int, compressed: bool) -> None:
        what = "decompresses to more than" if compressed else "is larger than"
        super().__init__(f"sitemap {what} {limit:,} bytes; refused")
        self.limit = limit
        """The limit it exceeded, in bytes."""
        self.compressed = compressed
        """Whether it was gzipped (then only the first ``limit`` bytes were ever inflated)."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` of a urlset, one ``<sitemap>`` of an index, or one line of a text sitemap."""

    loc: str
    """The URL, as the sitemap writes it (white space stripped)."""

    lastmod: datetime | None = None
    """``<lastmod>``, timezone-aware (local time Asia/Ho_Chi_Minh when it has no offset);
    None when missing or unreadable. Not range-checked: a site may write year 9999."""

    news_published: datetime | None = None
    """Google News ``<news:publication_date>``, aware; None outside news sitemaps."""

    is_index: bool = False
    """True for a ``<sitemap>`` of a sitemap index: ``loc`` is another sitemap."""

    news_title: str | None = None
    """Google News ``<news:title>``, when given."""

    alternates: tuple[str, ...] = ()
    """``<xhtml:link rel="alternate" href>`` of the entry (other languages / mobile)."""


def sitemap_body(body: bytes, max_size: int = MAX_SITEMAP_BYTES) -> bytes:
    """The sitemap's uncompressed bytes: gunzipped when ``body`` starts with gzip's magic
    bytes (``.xml.gz``, or a server that gzips twice), whatever its name.

    Raises :class:`SitemapTooLarge` when the result would exceed ``max_size`` (decompression
    stops there: a gzip bomb never costs more than ``max_size`` of memory) and
    :class:`SitemapError` for gzip data that inflates to nothing."""
    compressed = False
    # Twice at most: a .gz file served with Content-Encoding: gzip that the server applied
    # again arrives gzipped after Scrapy's HttpCompressionMiddleware.
    for _ in range(2):
        if not body.startswith(GZIP_MAGIC):
            break
        compressed = True
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, struct.error, zlib.error) as exc:
            raise SitemapError(f"corrupt gzip data: {exc}") from exc
        except ValueError as exc:
            # Scrapy raises a ValueError subclass once max_size is passed (the only
            # ValueError its gunzip raises).
            raise SitemapTooLarge(max_size, compressed=True) from exc
    if len(body) > max_size:
        raise SitemapTooLarge(max_size, compressed=compressed)
    return body


def iter_sitemap(body: bytes) -> Iterator[SitemapEntry]:
    """The entries of a sitemap (uncompressed: see :func:`sitemap_body`), in document order.

    XML sitemaps (urlset, sitemapindex, Google News, any or no namespace) are streamed;
    anything that does not start with ``<`` is read as a text sitemap, one URL per line.
    Broken XML yields the entries read before the damage, except the last one read (a body
    cut short may have cut it mid-URL): it is kept only when the document was read whole and
    without error. An HTML page yields nothing."""
    head = body[:512].lstrip()
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :].lstrip()
    if not head:
        return
    if not head.startswith(b"<"):
        yield from _iter_text(body)
        return
    if b"&" in body and _BARE_AMPERSAND.search(body):
        body = _BARE_AMPERSAND.sub(b"&amp;", body)
    yield from _iter_xml(body)


def robots_sitemaps(robots_txt: bytes, robots_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (Scrapy's parser), absolute against its URL
    (so they keep its scheme and port when relative), deduplicated, http(s) only."""
    urls = sitemap_urls_from_robots(robots_txt, base_url=robots_url)
    return [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]


def _iter_text(body: bytes) -> Iterator[SitemapEntry]:
    body = body.lstrip()
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM) :]
    for raw in body.splitlines():
        line = raw.strip().decode("utf-8", errors="replace")
        if line.startswith(("http://", "https://")):
            yield SitemapEntry(loc=line)


@lru_cache(maxsize=512)
def _local(tag: object) -> str:
    """An element's name without namespace ("" for comments and entities)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _when(text: str | None) -> datetime | None:
    """A sitemap date, aware (local time when naive); None when unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        # The W3C datetime forms sitemaps use are ISO 8601: the C parser reads them ten
        # times faster than the general one, which takes what it refuses.
        value = datetime.fromisoformat(text)
    except ValueError:
        return parse_lastmod(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)


def _iter_xml(body: bytes) -> Iterator[SitemapEntry]:
    events = etree.iterparse(
        BytesIO(body),
        events=("end",),
        tag=("{*}url", "{*}sitemap"),
        # Hostile XML: no entity expansion, no DTD, nothing fetched from the network.
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        # Broken XML: keep what can be read.
        recover=True,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    # A body cut short (a dropped connection, a truncated .gz) still parses in recover mode,
    # and its last entry may be cut mid-URL ("https://bao.vn/bai-viet-12" for
    # ".../bai-viet-1234.html"): each entry is held until the next one is complete, and the
    # last one is kept only when the document ends as a whole sitemap does and libxml2 read
    # it to the end without complaint (it stops early on an entity bomb, say).
    pending: SitemapEntry | None = None
    try:
        for _, element in events:
            entry = _entry(element)
            # Forget what has been read: the element, and the siblings before it that the
            # tree still holds, so memory stays flat over 50,000 entries.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            if entry is not None:
                if pending is not None:
                    yield pending
                pending = entry
    except etree.XMLSyntaxError:
        return  # damage recover mode could not get past: the entries before it stand
    if pending is not None and not len(events.error_log) and _ENDS_WHOLE.search(body[-4096:]):
        yield pending


def _entry(element: etree._Element) -> SitemapEntry | None:
    loc = lastmod = published = title = None
    alternates: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "loc":
            # An unexpanded entity (or markup) inside <loc> leaves only part of a URL.
            loc = (child.text or "").strip() if len(child) == 0 else None
        elif name == "lastmod":
            lastmod = _when(child.text)
        elif name == "news":
            for field in child:
                field_name = _local(field.tag)
                if field_name == "publication_date":
                    published = _when(field.text)
                elif field_name == "title" and field.text:
                    title = field.text.strip()
        elif name == "link":
            href = (child.get("href") or "").strip()
            if href:
                alternates.append(href)
    if not loc:
        return None
    return SitemapEntry(
        loc=loc,
        lastmod=lastmod,
        news_published=published,
        is_index=_local(element.tag) == "sitemap",
        news_title=title,
        alternates=tuple(alternates),
    )
