"""Items besides :class:`crawler.items.Article` that the storage pipelines accept.

Contract for spiders
--------------------
* A page that extracted into an article yields a :class:`crawler.items.Article` whose ``url``
  is the response URL (``response.url``, after redirects).
* A page whose extraction failed yields an :class:`ExtractionFailure` with the same ``url``
  and the error text; it is stored as a page row with outcome ``"failed"`` and never dropped,
  so the page can be re-extracted from its WARC record later.
* Nothing else is needed: :class:`pipelines.pages.PageLedger` records one :class:`PageRecord`
  per response by itself (with the WARC location the archive middleware put in
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
