"""Serving an outlet from a local mirror while every URL stays the outlet's own.

``ARCHIVE_MIRRORS`` maps hosts to origins, e.g. ``{"baohatinh.vn": "http://127.0.0.1:8081"}``.
The rewrite happens in the download handler, below every middleware: robots.txt, the offsite
filter, redirects, retries, the HTTP cache, the WARC archive and the spider all see the real
URL; only the TCP connection goes to the mirror. Tests, benchmarks and ``crawler demo`` use it,
and so can anyone with a saved copy of a site.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from crawler.archive.extension import FETCHED_FROM_META_KEY
from crawler.urls import fold_host

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings


HOST_HEADER = "X-Archive-Host"
"""Header naming the real host in a request sent to a mirror (one mirror serves several)."""


def parse_mirrors(raw: str | dict[str, str] | None) -> dict[str, str]:
    """``ARCHIVE_MIRRORS`` as a dict of folded host → origin without a trailing slash."""
    if not raw:
        return {}
    try:
        mapping = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except ValueError as exc:
        raise ValueError(f"ARCHIVE_MIRRORS is not a JSON object: {exc}") from exc
    if not isinstance(mapping, dict):
        raise ValueError("ARCHIVE_MIRRORS must be a JSON object of host → origin")
    out: dict[str, str] = {}
    for host, origin in mapping.items():
        parts = urlsplit(str(origin))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"ARCHIVE_MIRRORS origin for {host!r} is not a URL: {origin!r}")
        out[fold_host(str(host))] = f"{parts.scheme}://{parts.netloc}"
    return out


def mirrors_from_settings(settings: BaseSettings) -> dict[str, str]:
    """The mirror table of a Scrapy settings object."""
    return parse_mirrors(settings.get("ARCHIVE_MIRRORS"))


def mirror_url(url: str, mirrors: dict[str, str]) -> str | None:
    """Where ``url`` is fetched from when its host is mirrored, else None."""
    parts = urlsplit(url)
    origin = mirrors.get(fold_host(parts.hostname or ""))
    if origin is None:
        return None
    target = urlsplit(origin)
    # The real host rides along in the path's query-free form; the mirror serves by Host.
    return urlunsplit((target.scheme, target.netloc, parts.path or "/", parts.query, ""))


class MirrorDownloadHandler(HTTP11DownloadHandler):
    """HTTP(S) download handler that fetches mirrored hosts from their local origin.

    Settings: ``ARCHIVE_MIRRORS`` (JSON host → origin). The request sent to the mirror carries
    the real host in ``X-Archive-Host`` so one mirror server can serve several outlets; the
    response handed back to Scrapy has the real URL and request (its ``ip_address`` stays the
    mirror's: the address really connected to). Where the request really went is put in
    ``request.meta["fetched_from"]`` (``{"url": ..., "headers": [["X-Archive-Host", ...]]}``)
    so the WARC archive records it honestly; it is removed for a host that is not mirrored
    (a redirect's request inherits its predecessor's meta).
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.mirrors = mirrors_from_settings(crawler.settings)

    async def download_request(self, request: Request) -> Response:
        """Download from the mirror when the host has one, else from the host itself."""
        target = mirror_url(request.url, self.mirrors)
        if target is None:
            request.meta.pop(FETCHED_FROM_META_KEY, None)
            return await super().download_request(request)
        host = fold_host(urlsplit(request.url).hostname or "")
        mirrored = request.replace(url=target)
        mirrored.headers[HOST_HEADER] = host
        request.meta[FETCHED_FROM_META_KEY] = {"url": target, "headers": [[HOST_HEADER, host]]}
        response = await super().download_request(mirrored)
        return response.replace(url=request.url, request=request)
