"""Scrapy extension archiving every downloaded response to WARC files, as received."""

from __future__ import annotations

import errno
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.archive.gate import NOT_ARCHIVED_META_KEY
from crawler.archive.revisits import RevisitIndex, load_captures
from crawler.archive.writer import (
    DEFAULT_MAX_BYTES,
    SOURCE_URI_HEADER,
    Capture,
    HttpExchange,
    WarcWriter,
    Written,
    payload_digest,
)
from crawler.config import data_dir
from crawler.runstatus import ARCHIVE_FAILED, stop_crawl

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

STORAGE_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO)
"""Write errors that every later write would hit too: the crawl stops."""

META_KEY = "warc"
"""``request.meta`` (hence ``response.meta``) key of what was archived for the response."""

ARCHIVE_URL_META_KEY = "archive_url"
"""``request.meta`` key of the URL to record when the request went elsewhere (a mirror)."""

FETCHED_FROM_META_KEY = "fetched_from"
"""``request.meta`` key of where a request was really sent when that is not ``request.url``:
``{"url": <URL requested>, "headers": [[name, value], ...]}`` (headers added on the way). Set
by :class:`crawler.middleware.mirrors.MirrorDownloadHandler` for a mirrored host."""


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


def _robots_policy(crawler: Crawler) -> str:
    settings = crawler.settings
    if not settings.getbool("ROBOTSTXT_OBEY"):
        return "ignore"
    delay = "honoured" if settings.getbool("ARCHIVE_RESPECT_CRAWL_DELAY") else "not honoured"
    return f"classic (robots.txt obeyed; Crawl-delay {delay})"


class WarcArchive:
    """Archives the request and response of every download (pages, listings, feeds,
    robots.txt, sitemaps, redirects, errors, every retry) into gzip WARC files.

    Responses are archived from the ``response_downloaded`` signal, which Scrapy sends as soon
    as the download handler returns, before any downloader middleware's ``process_response``:
    the body is exactly what the server sent (still in its ``Content-Encoding``; the HTTP
    client has undone chunking), and 3xx responses that ``RedirectMiddleware`` (600) would
    swallow are there too. No position in ``DOWNLOADER_MIDDLEWARES`` sees both: below 590
    bodies are already decoded by ``HttpCompressionMiddleware``, below 600 followed redirects
    are gone, and above 900 ``HttpCacheMiddleware``'s cache hits, which are not fetches, would
    be archived again. Responses that were not downloaded (cache hits) are not archived.

    What was archived is put in ``request.meta["warc"]`` (also ``response.meta["warc"]``)::

        {"file": "warc/<run>-00000.warc.gz",   # relative to ARCHIVE_DATA_DIR
         "offset": 1234, "length": 567,         # the record holding the payload
         "digest": "sha1:...",                  # WARC-Payload-Digest
         "date": "2026-12-04T08:00:00+00:00",   # WARC-Date of this fetch's record
         "revisit": False}                      # True: stored as a revisit record

    For a re-fetch whose payload equals the latest capture of its URL (this crawl's, or an
    earlier crawl's: :mod:`crawler.archive.revisits`), a ``revisit`` record is written and the
    location is that capture's ``response`` record, which holds the payload.

    The URL recorded is ``request.meta["archive_url"]`` when set, else ``request.url``. The
    address actually connected to is recorded as ``WARC-IP-Address``; when the response was
    fetched from somewhere else than the recorded URL (``request.meta["fetched_from"]``, set
    by the mirror download handler, or ``request.url`` under ``archive_url``), that URL is
    recorded as ``WARC-Source-URI`` and the request record carries the ``Host`` header really
    sent.

    Settings:

    ``ARCHIVE_DATA_DIR``
        The files go to ``<ARCHIVE_DATA_DIR>/warc/<run>-<seq:05d>.warc.gz``.
    ``ARCHIVE_WARC_MAX_BYTES``
        A file is closed and the next one started once it reaches this size.
    ``ARCHIVE_WARC_REVISITS``
        Write unchanged re-fetches as ``revisit`` records (default true).
    ``ARCHIVE_RUN_ID``
        The ``<run>`` part of the names; empty means ``<UTC start time>-<spider name>``,
        followed by ``-<ARCHIVE_WORKER_ID>`` for a worker of a shared crawl.
    ``ARCHIVE_CONTACT``, ``USER_AGENT``, ``ROBOTSTXT_OBEY``, ``ARCHIVE_RESPECT_CRAWL_DELAY``
        Recorded in each file's ``warcinfo`` record (operator, user agent, robots policy).

    Stats: ``warc/records`` (fetches archived), ``warc/revisits`` (of which as revisit
    records), ``warc/revisit_index`` (captures of earlier crawls loaded), ``warc/bytes``
    (compressed bytes written, request and warcinfo records included), ``warc/files``,
    ``warc/errors`` (failed writes: the response is dropped by
    :class:`crawler.archive.gate.ArchivedOnlyMiddleware`, so nothing is stored without its raw
    page; a full or read-only disk also stops the crawl with reason "archive_unavailable").
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.data_dir = data_dir(settings)
        self.max_bytes = settings.getint("ARCHIVE_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        self.revisits = settings.getbool("ARCHIVE_WARC_REVISITS", True)
        self.run_id = str(settings.get("ARCHIVE_RUN_ID") or "") or None
        self.contact = str(settings.get("ARCHIVE_CONTACT") or "")
        self.index = RevisitIndex()
        self.writer: WarcWriter | None = None
        self._stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The extension, connected to the crawler's signals."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    # -- signals -----------------------------------------------------------------------------

    async def spider_opened(self, spider: Spider) -> None:
        """Open the WARC writer, then load the earlier captures revisits may refer to."""
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # A worker of a shared crawl writes its own files, named with its id (ARCHIVE_WORKER_ID).
        worker = str(self.crawler.settings.get("ARCHIVE_WORKER_ID") or "")
        prefix = self.run_id or "-".join(filter(None, (started, spider.name, worker)))
        settings = self.crawler.settings
        info = {
            "operator": self.contact,
            "isPartOf": prefix,
            "robots": _robots_policy(self.crawler),
            "http-header-user-agent": str(settings.get("USER_AGENT") or ""),
            "description": f"Scrapy crawl by spider {spider.name}",
        }
        self.writer = WarcWriter(
            self.data_dir,
            prefix=prefix,
            max_bytes=self.max_bytes,
            info={k: v for k, v in info.items() if v},
        )
        hosts = list(getattr(spider, "allowed_domains", None) or [])
        if not self.revisits or not hosts:
            return
        try:
            captures = await maybe_deferred_to_future(deferToThread(load_captures, settings, hosts))
        except Exception:
            logger.exception("Earlier captures not loaded: unchanged pages are stored in full")
            return
        loaded = self.index.merge(captures)
        if self.stats is not None:
            self.stats.set_value("warc/revisit_index", loaded)

    def spider_closed(self, spider: Spider) -> None:
        """Close the WARC writer (fsync) and record the file count."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        writer.close()
        if self.stats is not None:
            self.stats.set_value("warc/files", len(writer.files))
        logger.info(
            "Archived %d responses (%d as revisits, %d bytes) in %d WARC file(s) under %s",
            writer.records_written,
            writer.revisits_written,
            writer.bytes_written,
            len(writer.files),
            writer.directory,
        )

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Archive a response as it came from the download handler."""
        writer = self.writer
        if writer is None:
            logger.warning("WARC writer not open, %s not archived", response)
            return
        exchange = self._exchange(request, response)
        revisit_of = (
            self.index.match(exchange.url, payload_digest(exchange.body))
            if self.revisits and exchange.body
            else None
        )
        try:
            written = writer.write_fetch(exchange, revisit_of=revisit_of)
        except Exception as exc:
            # The response goes no further (crawler.archive.gate): no article without its
            # raw page. A full or read-only disk stops the crawl: every write would fail.
            request.meta[NOT_ARCHIVED_META_KEY] = f"{type(exc).__name__}: {exc}"
            if self.stats is not None:
                self.stats.inc_value("warc/errors")
            if isinstance(exc, OSError) and exc.errno in STORAGE_FULL:
                if not self._stopping:
                    self._stopping = True
                    logger.error("the archive cannot be written (%s): stopping the crawl", exc)
                    if self.stats is not None:
                        self.stats.set_value("warc/fatal", str(exc))
                    stop_crawl(self.crawler, ARCHIVE_FAILED)
            else:
                logger.exception("Could not archive %s to WARC", response)
            return
        if revisit_of is None:
            self.index.add(
                Capture(
                    exchange.url,
                    written.date,
                    written.digest,
                    written.location,
                    written.record_id,
                )
            )
        request.meta[META_KEY] = _meta(written)
        if self.stats is not None:
            self.stats.inc_value("warc/records")
            if revisit_of is not None:
                self.stats.inc_value("warc/revisits")
            self.stats.set_value("warc/bytes", writer.bytes_written)

    # -- records -----------------------------------------------------------------------------

    @staticmethod
    def _exchange(request: Request, response: Response) -> HttpExchange:
        url = str(request.meta.get(ARCHIVE_URL_META_KEY) or request.url)
        fetched_from = str(request.url)
        request_headers = scrapy_headers(request.headers)
        elsewhere = request.meta.get(FETCHED_FROM_META_KEY)
        if isinstance(elsewhere, dict) and elsewhere.get("url"):
            fetched_from = str(elsewhere["url"])
            request_headers += [(str(k), str(v)) for k, v in elsewhere.get("headers", ())]
        ip = getattr(response, "ip_address", None)
        return HttpExchange(
            url=url,
            status=response.status,
            response_headers=scrapy_headers(response.headers),
            body=response.body,
            protocol=str(getattr(response, "protocol", None) or "HTTP/1.1"),
            method=request.method,
            request_headers=request_headers,
            request_body=request.body,
            ip_address=str(ip) if ip is not None else None,
            host=urlsplit(fetched_from).netloc or None,
            warc_headers={SOURCE_URI_HEADER: fetched_from} if fetched_from != url else {},
        )


def _meta(written: Written) -> dict[str, Any]:
    return {
        **written.location.as_dict(),
        "digest": written.digest,
        "date": written.date.isoformat(),
        "revisit": written.revisit_of is not None,
    }
