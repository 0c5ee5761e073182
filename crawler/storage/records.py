"""Items besides :class:`crawler.items.Article` that the storage pipelines accept.

Contract for spiders
--------------------
* A page that extracted into an article yields a :class:`crawler.items.Article` whose ``url``
  is the response URL (``response.url``, after redirects).
* A page whose extraction failed yields an :class:`ExtractionFailure` with the same ``url``
  and the error text; it is stored as a page row with outcome ``"failed"`` and never dropped,
  so the page can be re-extracted from its WARC record later.
* Nothing else is needed: :class:`pipelines.pages.PageLedger` records one :class:`PageRecord`
  per response by itself (with the WARC location the archive extension put in
  ``response.meta["warc"]``), and the store pipeline links the item to that row by URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


@dataclass
class ExtractionFailure:
    """A fetched page that did not give an article; stored as a failed page row."""

    url: str
    """The response URL (after redirects), as for :attr:`crawler.items.Article.url`."""

    error: str
    """What went wrong (exception type and message, or a reason such as "no body")."""

    status: int | None = None
    """HTTP status of the response, when known."""

    outlet: str | None = None
    """The outlet's domain, when known."""

    extractor_version: str | None = None
    """Version of the extraction code that failed, for re-extraction later."""


@dataclass
class PageRecord:
    """One fetched response: what :class:`pipelines.pages.PageLedger` records per response."""

    url: str
    """The response URL (after redirects)."""

    status: int | None
    """HTTP status."""

    fetched_at: datetime
    """When the response arrived (timezone-aware)."""

    warc_file: str | None = None
    """WARC file holding the response, relative to ``ARCHIVE_DATA_DIR``."""

    warc_offset: int | None = None
    """Byte offset of the WARC record in that file."""

    warc_length: int | None = None
    """Length of the WARC record in bytes."""

    payload_digest: str | None = None
    """``WARC-Payload-Digest`` of the response (``sha1:<base32>``), when archived."""

    canonical_url: str | None = None
    """The canonical form of ``url`` (filled in when None)."""

    requested_url: str | None = None
    """The URL-ledger entry the request was made for (before redirects), if any: the
    response marks it "fetched"."""


@dataclass
class Discovered:
    """A URL a discovery source (sitemap, feed, listing) named: a ledger entry to keep."""

    url: str
    """The canonical URL, as it will be requested."""

    outlet: str
    """The outlet's domain."""

    via: str
    """The source kind: "sitemap", "news-sitemap", "feed", "listing", "home", "redirect"."""

    found_on: str | None = None
    """URL of the page that listed it."""

    kind: str = "article"
    """"article", or "listing" for a listing page still to walk."""

    lastmod: datetime | None = None
    """The source's last-modification time for it (sitemap ``lastmod``)."""

    published_hint: datetime | None = None
    """Its publication time as the source gives it (news sitemap, feed, listing date)."""


@dataclass
class Visited:
    """A sitemap or listing page read to the end: done until it changes."""

    url: str
    """The page's canonical URL."""

    outlet: str
    """The outlet's domain."""

    kind: str
    """"sitemap" or "listing"."""

    lastmod: datetime | None = None
    """The sitemap's ``lastmod`` as its index gave it (a later one means read it again)."""


@dataclass
class FetchFailure:
    """A request that gave no usable response: recorded as failed (or gone) in the ledger."""

    url: str
    """The ledger URL of the request (before redirects)."""

    reason: str
    """What went wrong ("HTTP 503", "TimeoutError", "given up: 429 storm", …)."""

    status: int | None = None
    """HTTP status, when there was a response."""

    gone: bool = False
    """The URL is gone for good (404, 410, off-site redirect): never due again."""


@dataclass
class Deferred:
    """An article fetched but not stored on purpose (outside a backfill's range): pending."""

    url: str
    """The ledger URL of the request."""

    reason: str
    """Why it was not stored."""

    published_hint: datetime | None = None
    """Its publication time as the page gave it."""
