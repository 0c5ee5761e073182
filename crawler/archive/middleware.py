"""Scrapy downloader middleware archiving every fetched response to WARC files."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.archive.writer import (
    DEFAULT_MAX_BYTES,
    HttpExchange,
    WarcLocation,
    WarcWriter,
    decoded_response_headers,
)
from crawler.config import data_dir

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

META_KEY = "warc"
"""``request.meta`` (hence ``response.meta``) key of the archived response's location."""

ARCHIVE_URL_META_KEY = "archive_url"
"""``request.meta`` key of the URL to record when the request went elsewhere (a mirror)."""

_WIRE_META_KEY = "_warc_wire"

PRIORITY = 585
"""Where the middleware goes in ``DOWNLOADER_MIDDLEWARES`` (see the class docstring)."""


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def scrapy_headers(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` as ``(name, value)`` pairs, one per value, in order."""
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = _text(name) if isinstance(name, bytes) else str(name)
        for value in values:
            pairs.append((key, _text(value) if isinstance(value, bytes) else str(value)))
    return pairs


class WarcArchiveMiddleware:
    """Archives the request and response of every fetch (pages, listings, feeds, robots.txt,
    sitemaps, errors) into gzip WARC files, and puts the response record's location in
    ``request.meta["warc"]`` (``{"file": ..., "offset": ..., "length": ...}``; ``file`` is
    relative to ``ARCHIVE_DATA_DIR``), which is also ``response.meta["warc"]``.

    The URL recorded is ``request.meta["archive_url"]`` when set (the outlet's URL of a
    request sent to a local mirror), else ``request.url``.

    Settings:

    ``ARCHIVE_DATA_DIR``
        The files go to ``<ARCHIVE_DATA_DIR>/warc/<run>-<seq:05d>.warc.gz``.
    ``ARCHIVE_WARC_MAX_BYTES``
        A file is closed and the next one started once it reaches this size.
    ``ARCHIVE_RUN_ID`` (optional)
        The ``<run>`` part of the names; default ``<UTC start time>-<spider name>``, followed
        by ``-<ARCHIVE_WORKER_ID>`` when a worker id is set (workers of a shared crawl).
    ``ARCHIVE_CONTACT``
        Recorded as the operator in each file's ``warcinfo`` record.

    Stats: ``warc/records`` (responses archived), ``warc/bytes`` (compressed bytes written,
    request and warcinfo records included), ``warc/files``, ``warc/errors`` (failed writes:
    logged, and the crawl goes on without a location in ``meta``).

    Priority: ``585`` in ``DOWNLOADER_MIDDLEWARES``. ``process_response`` runs from the highest
    number to the lowest, so at 585 it runs after ``HttpCompressionMiddleware`` (590: bodies
    are decoded) and before ``MetaRefreshMiddleware`` (580), ``RetryMiddleware`` (550: every
    retried 500 is archived, not only the last) and the engine-side middlewares
    (``RobotsTxtMiddleware``, ``OffsiteMiddleware``). ``RedirectMiddleware`` (600) runs
    before ``HttpCompressionMiddleware`` and swallows the 3xx responses it follows, so no
    position sees both redirects and decoded bodies: 3xx responses are archived as received
    (a redirect's body, if any, still in its ``Content-Encoding``) from the
    ``response_downloaded`` signal, which fires before any middleware; every other response is
    archived in ``process_response``, decoded. Each response is archived once.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.data_dir = data_dir(settings)
        self.max_bytes = settings.getint("ARCHIVE_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        self.run_id = str(settings.get("ARCHIVE_RUN_ID") or "") or None
        self.contact = str(settings.get("ARCHIVE_CONTACT") or "")
        self.writer: WarcWriter | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # -- signals -----------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # A worker of a shared crawl writes its own files, named with its id (ARCHIVE_WORKER_ID).
        worker = str(self.crawler.settings.get("ARCHIVE_WORKER_ID") or "")
        prefix = self.run_id or "-".join(filter(None, (started, spider.name, worker)))
        info = {
            "operator": self.contact,
            "isPartOf": prefix,
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": str(self.crawler.settings.get("USER_AGENT") or ""),
            "description": f"Scrapy crawl by spider {spider.name}",
        }
        self.writer = WarcWriter(
            self.data_dir,
            prefix=prefix,
            max_bytes=self.max_bytes,
            info={k: v for k, v in info.items() if v},
        )

    def spider_closed(self, spider: Spider) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        writer.close()
        if self.stats is not None:
            self.stats.set_value("warc/files", len(writer.files))
        logger.info(
            "Archived %d responses (%d bytes) in %d WARC file(s) under %s",
            writer.records_written,
            writer.bytes_written,
            len(writer.files),
            writer.directory,
        )

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Notes the headers as received; archives 3xx responses, which the redirect
        middleware would swallow before ``process_response`` sees them."""
        wire: dict[str, Any] = {
            "url": response.url,
            "status": response.status,
            "headers": scrapy_headers(response.headers),
        }
        if 300 <= response.status < 400:
            headers = decoded_response_headers(wire["headers"], len(response.body))
            wire["archived"] = self._archive(request, response, headers) is not None
        request.meta[_WIRE_META_KEY] = wire

    # -- middleware --------------------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Response:
        wire = request.meta.pop(_WIRE_META_KEY, None)
        if wire is not None and (wire["url"], wire["status"]) != (response.url, response.status):
            wire = None  # left over from another response (a redirect's) or not downloaded
        if wire is not None and wire.get("archived"):
            return response
        headers = decoded_response_headers(
            scrapy_headers(response.headers),
            len(response.body),
            wire_headers=wire["headers"] if wire is not None else None,
        )
        self._archive(request, response, headers)
        return response

    def _archive(
        self, request: Request, response: Response, headers: list[tuple[str, str]]
    ) -> WarcLocation | None:
        writer = self.writer
        if writer is None:
            logger.warning("WARC writer not open, %s not archived", response)
            return None
        url = str(request.meta.get(ARCHIVE_URL_META_KEY) or request.url)
        ip = getattr(response, "ip_address", None)
        exchange = HttpExchange(
            url=url,
            status=response.status,
            response_headers=headers,
            body=response.body,
            protocol=str(getattr(response, "protocol", None) or "HTTP/1.1"),
            method=request.method,
            request_headers=scrapy_headers(request.headers),
            request_body=request.body,
            ip_address=str(ip) if ip is not None and url == request.url else None,
        )
        try:
            location = writer.write(exchange)
        except Exception:
            logger.exception("Could not archive %s to WARC", response)
            if self.stats is not None:
                self.stats.inc_value("warc/errors")
            return None
        request.meta[META_KEY] = location.as_dict()
        if self.stats is not None:
            self.stats.inc_value("warc/records")
            self.stats.set_value("warc/bytes", writer.bytes_written)
        return location
