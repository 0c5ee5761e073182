"""Which re-fetched responses become ``revisit`` records: the latest capture of each URL.

A fetch whose payload (the body as received) has the same digest as the latest capture of its
URL is written as a ``revisit`` record (WARC identical-payload-digest profile) referring to
that capture, instead of storing the payload again: re-fetched home pages, listings, feeds,
sitemaps and robots.txt files that did not change cost a few hundred bytes instead of the
page. The :class:`RevisitIndex` holds, per URL, the capture a revisit would refer to: the
captures of earlier crawls, loaded once when the spider opens (in a thread, from the
``pages`` table: :func:`crawler.storage.captures.latest_captures`), and those of the running
crawl, added as they are written. Looking a response up is a dictionary access on the
reactor thread, never a database query.

Only pages that gave no article are loaded from earlier crawls (their re-fetch is the normal
case; an article page is fetched again only when its ``lastmod`` says it changed or on
``--refresh``), which keeps the index small: a few entries per listing page, feed and sitemap.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from crawler.archive.writer import Capture, WarcLocation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


class RevisitIndex:
    """The latest capture of each URL (see the module docstring). Not thread-safe: used from
    the reactor thread only; :meth:`merge` takes what a thread loaded."""

    def __init__(self) -> None:
        self._captures: dict[str, Capture] = {}

    def __len__(self) -> int:
        return len(self._captures)

    def match(self, url: str, digest: str) -> Capture | None:
        """The capture of ``url`` a fetch with this payload digest can revisit, if any."""
        capture = self._captures.get(url)
        return capture if capture is not None and capture.digest == digest else None

    def add(self, capture: Capture) -> None:
        """A response just archived: later identical fetches of its URL refer to it."""
        self._captures[capture.url] = capture

    def merge(self, captures: Iterable[Capture]) -> int:
        """Captures of earlier crawls; those of the running crawl stay. How many were added."""
        added = 0
        for capture in captures:
            if capture.url not in self._captures:
                self._captures[capture.url] = capture
                added += 1
        return added


def load_captures(settings: BaseSettings, hosts: Iterable[str]) -> list[Capture]:
    """The latest capture of every page of ``hosts`` that earlier crawls recorded without an
    article. Blocking (a database query): call it from a thread."""
    from crawler.storage import captures
    from crawler.storage.db import engine_from_settings

    hosts = sorted({h.lower() for h in hosts if h})
    if not hosts:
        return []
    engine = engine_from_settings(settings)
    try:
        with engine.connect() as conn:
            rows = captures.latest_captures(conn, hosts)
    finally:
        engine.dispose()
    return [
        Capture(
            url=row.url,
            date=row.captured_at,
            digest=row.payload_digest,
            location=WarcLocation(row.warc_file, row.warc_offset, row.warc_length),
        )
        for row in rows
    ]
