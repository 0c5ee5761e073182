"""A hostile news site on loopback: a plain WordPress-style site plus every way a site can hurt
a crawler.

Start it from a test::

    with HostileSite(articles=30) as site:          # a thread of this process, any free port
        site.origin                                 # "http://127.0.0.1:PORT"
        site.article_urls()                         # what a correct crawl stores
        site.hostile_urls["gzip_bomb"]              # a hostile endpoint
        site.switches.hostile_links = True          # home page and sitemap index link them
        site.storm(429, retry_after="2")            # every request now gets 429 ...
        site.calm()                                 # ... until switched off
        site.publish_late(10)                       # stories dated 3 h ago appear now
        site.hits["/feed/"], site.hits_under("/2026/")  # requests served, per path

or in its own process: ``python -m tests.faults.hostile_site --port 0`` prints the origin on
its first stdout line (:func:`start_in_subprocess`).

**The normal site** (markup in :mod:`tests.faults.hostile_pages`): ``/`` and ``/page/N/``
(10 stories a page, newest first by publication time, WordPress pagination and
``rel=next``), ``/category/<slug>/[page/N/]``, articles at ``/YYYY/MM/DD/<slug>/`` (JSON-LD
NewsArticle, ``article:published_time``, ``<time>``, byline, tags, share box, related posts,
comments), ``/feed/`` (RSS 2.0, 20 newest), ``/robots.txt`` (names the index),
``/sitemap_index.xml`` → ``/post-sitemap.xml`` (every story, ``lastmod``) and
``/news-sitemap.xml`` (Google News, last 48 hours). Unknown paths get a real 404.

**Hostile endpoints** (:attr:`HostileSite.hostile_urls`; article-like paths under today's
``/YYYY/MM/DD/`` so a crawler takes them for articles):

===================  ===================================================================
``huge``             20 MiB page with Content-Length (``?mb=N``): beyond DOWNLOAD_MAXSIZE
``huge_chunked``     the same, chunked, no Content-Length
``slow``             a whole article trickled over 90 s (``?seconds=N``)
``truncated``        Content-Length of the whole article, half of it sent, then close
``gzip_bomb``        ``Content-Encoding: gzip`` inflating to 1 GiB (1 MB on the wire)
``redirect_loop``    302 to a second URL that 302s back
``offsite_redirect`` 301 to :attr:`Switches.offsite_target`
``soft_404``         200 with WordPress's "not found" page
``absurd_future``    a story dated 9999-12-31T23:59:59-05:00 (JSON-LD, meta, page, sitemap)
``absurd_past``      a story dated 1900-01-01
``always_429``       429 with ``Retry-After`` (``?after=N``, default 2)
``always_503``       503 with ``Retry-After`` (``?after=N``; ``?after=`` for none)
``big_listing``      ``/luu-tru/``: 2,000 dated entries a page, two pages (``?n=``/``?pages=``)
``huge_sitemap``     ``/sitemaps/huge.xml``: 120,000 URLs, just under 50 MiB (and ``.gz``)
``sitemap_bomb``     ``/sitemaps/bomb.xml.gz``: inflates to 1 GiB
``xml_bomb``         ``/sitemaps/xml-bomb.xml``: billion laughs
``xxe``              ``/sitemaps/xxe.xml``: external entities pointing at ``/hostile/xxe-probe``
``truncated_sitemap`` ``/sitemaps/truncated.xml``: cut mid-URL
===================  ===================================================================

The big listing and the huge sitemap name *archive* stories (``/…/tin-luu-tru-so-N/``, one
every 37 minutes back from three days before ``now``), served like any other article.

**Switches** (:class:`Switches`, plain attributes, safe to flip while a crawl runs):
``hostile_links`` (home page and sitemap index link the hostile endpoints, ``post-sitemap``
lists the absurd-date stories), a storm (:meth:`HostileSite.storm`: every request under the
given prefixes answers 429/503, optionally with ``Retry-After``, for a number of requests or
until :meth:`HostileSite.calm`), ``latency`` and ``latency_for`` (seconds before each
response, globally or per path prefix).

**Counters**: :attr:`HostileSite.hits` (requests per path with query),
:attr:`HostileSite.log` (``(time.monotonic(), path, status)`` per request, to show that a
fault happened mid-run) and :meth:`HostileSite.hits_under`.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.faults import bombs
from tests.faults.hostile_pages import (
    CATEGORIES,
    PER_PAGE,
    Chrome,
    Story,
    article_page,
    big_listing_page,
    headline,
    listing_page,
    make_story,
    not_found_page,
    robots_txt,
    rss,
    sitemap_index,
    urlset,
)

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"

ARCHIVE_STEP = timedelta(minutes=37)
"""Archive story N is published (N + 1) steps before the archive's anchor."""

HOSTILE_SLUGS: dict[str, str] = {
    "huge": "trang-lon-hon-gioi-han-tai-ve",
    "huge_chunked": "trang-lon-khong-khai-bao-do-dai",
    "slow": "trang-tai-nho-giot-rat-cham",
    "truncated": "trang-bi-cat-giua-chung",
    "gzip_bomb": "trang-bom-nen-gzip-mot-gigabyte",
    "redirect_loop": "trang-chuyen-huong-vong-lap",
    "offsite_redirect": "trang-chuyen-huong-ra-ngoai",
    "soft_404": "tin-da-bi-go-khoi-trang",
    "absurd_future": "ngay-dang-vo-ly-nam-9999",
    "absurd_past": "ngay-dang-vo-ly-nam-1900",
    "always_429": "trang-luon-tra-ve-429",
    "always_503": "trang-luon-tra-ve-503",
}
HOSTILE_PATHS: dict[str, str] = {
    "big_listing": "/luu-tru/",
    "huge_sitemap": "/sitemaps/huge.xml",
    "huge_sitemap_gz": "/sitemaps/huge.xml.gz",
    "sitemap_bomb": "/sitemaps/bomb.xml.gz",
    "xml_bomb": "/sitemaps/xml-bomb.xml",
    "xxe": "/sitemaps/xxe.xml",
    "truncated_sitemap": "/sitemaps/truncated.xml",
    "xxe_probe": "/hostile/xxe-probe",
}
HOSTILE_SITEMAPS = ("huge_sitemap_gz", "sitemap_bomb", "xml_bomb", "xxe", "truncated_sitemap")
"""Hostile sitemaps the sitemap index lists when ``hostile_links`` is on."""


@dataclass
class Switches:
    """Faults switched on and off while the site serves (plain attribute writes)."""

    hostile_links: bool = False
    """Home page and sitemap index link the hostile endpoints; post-sitemap lists the
    absurd-date stories."""

    storm_status: int | None = None
    """When set (429, 503): every request under :attr:`storm_prefixes` answers it."""

    storm_retry_after: str | None = "2"
    """``Retry-After`` of storm responses (seconds or an HTTP-date); None sends none."""

    storm_remaining: int | None = None
    """Storm responses left before the storm stops by itself; None: until :meth:`calm`."""

    storm_prefixes: tuple[str, ...] = ("/",)
    """Path prefixes the storm covers."""

    latency: float = 0.0
    """Seconds every response waits before it is sent."""

    latency_for: dict[str, float] = field(default_factory=dict)
    """Extra seconds per path prefix."""

    offsite_target: str = "http://offsite.invalid/bai-bi-chuyen-huong/"
    """Where ``offsite_redirect`` sends the crawler."""


@dataclass(frozen=True)
class Reply:
    """A whole response."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    compress: bool = True
    """Gzip it when the client accepts gzip (pages, feeds); False for raw bytes."""


class HostileSite:
    """The hostile site (see the module docstring). ``now`` fixes the site's clock (aware);
    stories are published every 90 minutes back from ten minutes before it."""

    def __init__(
        self,
        articles: int = 30,
        *,
        now: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        archive_size: int = 120_000,
        seed: int = 1,
    ) -> None:
        self.now = (now or datetime.now(VIETNAM)).astimezone(VIETNAM).replace(microsecond=0)
        self.host = host
        self.port = port
        self.seed = seed
        self.archive_size = archive_size
        self.archive_anchor = self.now - timedelta(days=3)
        self.switches = Switches()
        self.hits: Counter[str] = Counter()
        """Requests served per path (with query)."""
        self.log: list[tuple[float, str, int]] = []
        """``(time.monotonic(), path with query, status)`` of every request, in order."""
        self._lock = threading.Lock()
        self._next_seed = seed * 1000
        self._stories: list[Story] = []
        for index in range(articles):
            published = self.now - timedelta(minutes=10 + 90 * index)
            self._stories.append(self._new_story(published))
        self._sort()
        today = self.now.strftime("/%Y/%m/%d")
        self.absurd = {
            "absurd_future": make_story(
                seed * 1000 + 901,
                self.now,
                slug=HOSTILE_SLUGS["absurd_future"],
                date_override="9999-12-31T23:59:59-05:00",
                day_path=today,
            ),
            "absurd_past": make_story(
                seed * 1000 + 902,
                self.now,
                slug=HOSTILE_SLUGS["absurd_past"],
                date_override="1900-01-01T00:00:00+07:00",
                day_path=today,
            ),
        }
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is None:
            httpd = _Server((self.host, self.port), _Handler)
            httpd.site = self
            self.port = int(httpd.server_address[1])
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, name="hostile-site", kwargs={"poll_interval": 0.1}
            )
            self._thread.daemon = True
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses ----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """``http://host:port`` (after :meth:`start`)."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of a path of the site."""
        return self.origin + path

    @property
    def hostile_urls(self) -> dict[str, str]:
        """Every hostile endpoint, by name (see the module docstring)."""
        today = self.now.strftime("/%Y/%m/%d")
        urls = {name: self.url(f"{today}/{slug}/") for name, slug in HOSTILE_SLUGS.items()}
        urls.update({name: self.url(path) for name, path in HOSTILE_PATHS.items()})
        return urls

    def stories(self) -> list[Story]:
        """The normal stories the site shows, newest publication first."""
        with self._lock:
            return list(self._stories)

    def article_urls(self) -> list[str]:
        """URLs of the normal stories: what a correct crawl of the normal site stores."""
        return [self.url(s.path) for s in self.stories()]

    def archive_path(self, n: int) -> str:
        """Path of archive story ``n`` (0 ≤ n < archive_size)."""
        published = self.archive_anchor - ARCHIVE_STEP * (n + 1)
        return published.strftime("/%Y/%m/%d") + f"/tin-luu-tru-so-{n}/"

    # --- switches -----------------------------------------------------------------------

    def storm(
        self,
        status: int = 429,
        retry_after: str | None = "2",
        *,
        requests: int | None = None,
        prefixes: tuple[str, ...] = ("/",),
    ) -> None:
        """Answer every request under ``prefixes`` with ``status`` (and ``Retry-After``), for
        ``requests`` requests or until :meth:`calm`."""
        with self._lock:
            self.switches.storm_retry_after = retry_after
            self.switches.storm_remaining = requests
            self.switches.storm_prefixes = prefixes
            self.switches.storm_status = status

    def calm(self) -> None:
        """End a storm."""
        with self._lock:
            self.switches.storm_status = None

    def publish_late(self, count: int = 10, published: datetime | None = None) -> list[Story]:
        """Add ``count`` stories now whose publication time is earlier (default: three hours
        before the site's ``now``): written at 08:00, put online at 11:00. They appear on
        the home page (sorted by publication time, as WordPress does), in the sitemaps with
        ``lastmod`` = publication time and in the feed."""
        when = (published or self.now - timedelta(hours=3)).astimezone(VIETNAM)
        added = [
            dataclasses.replace(story, modified=story.published)
            for story in (self._new_story(when + timedelta(minutes=i)) for i in range(count))
        ]
        with self._lock:
            self._stories.extend(added)
            self._sort()
        return added

    # --- counters -----------------------------------------------------------------------

    def hits_under(self, prefix: str) -> int:
        """Requests served for paths starting with ``prefix``."""
        with self._lock:
            return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    @property
    def requests_total(self) -> int:
        """Requests served."""
        with self._lock:
            return len(self.log)

    def reset_counters(self) -> None:
        """Zero :attr:`hits` and :attr:`log`."""
        with self._lock:
            self.hits.clear()
            self.log.clear()

    def _record(self, path: str, status: int) -> None:
        with self._lock:
            self.hits[path] += 1
            self.log.append((time.monotonic(), path, status))

    # --- content ------------------------------------------------------------------------

    def _new_story(self, published: datetime) -> Story:
        self._next_seed += 1
        return make_story(self._next_seed, published)

    def _sort(self) -> None:
        self._stories.sort(key=lambda s: s.published, reverse=True)

    def _chrome(self) -> Chrome:
        return Chrome(self.origin, self.now, tuple(self._stories[:5]))

    def archive_story(self, n: int, *, body: bool = True) -> Story:
        """Archive story ``n`` (generated on demand; without paragraphs for a listing)."""
        published = self.archive_anchor - ARCHIVE_STEP * (n + 1)
        return make_story(10_000_000 + n, published, slug=f"tin-luu-tru-so-{n}", body=body)

    @cached_property
    def huge_sitemap(self) -> bytes:
        """120,000 archive URLs with Google News tags: just under 50 MiB."""
        import random

        rng = random.Random(self.seed)
        rows: list[str] = []
        for n in range(self.archive_size):
            published = self.archive_anchor - ARCHIVE_STEP * (n + 1)
            stamp = published.isoformat(timespec="seconds")
            rows.append(
                f"<url><loc>{self.url(self.archive_path(n))}</loc><lastmod>{stamp}</lastmod>"
                "<news:news><news:publication><news:name>Tin Tỉnh Nhà</news:name>"
                "<news:language>vi</news:language></news:publication>"
                f"<news:publication_date>{stamp}</news:publication_date>"
                f"<news:title>{headline(rng)}</news:title></news:news></url>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "".join(rows)
            + "</urlset>\n"
        ).encode("utf-8")

    @cached_property
    def huge_sitemap_gz(self) -> bytes:
        """:attr:`huge_sitemap` gzipped."""
        return gzip.compress(self.huge_sitemap, compresslevel=6, mtime=0)

    @cached_property
    def gzip_bomb(self) -> bytes:
        """An HTML page gzipped to 1 MB that inflates to 1 GiB."""
        return bombs.html_gzip_bomb(1 << 30)

    @cached_property
    def sitemap_bomb(self) -> bytes:
        """A ``.xml.gz`` sitemap inflating to 1 GiB."""
        return bombs.sitemap_gzip_bomb(1 << 30)

    # --- routing ------------------------------------------------------------------------

    def respond(self, path: str, query: str) -> Reply | str:
        """The reply for a path, or the name of a streamed hostile endpoint."""
        with self._lock:
            chrome = self._chrome()
            stories = list(self._stories)
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        today = self.now.strftime("/%Y/%m/%d")
        hostile = {f"{today}/{slug}/": name for name, slug in HOSTILE_SLUGS.items()}
        name = hostile.get(path)
        if path == f"{today}/{HOSTILE_SLUGS['redirect_loop']}-lan-hai/":
            back = f"{today}/{HOSTILE_SLUGS['redirect_loop']}/"
            return Reply(302, HTML, b"", {"Location": self.url(back)})
        if name in ("huge", "huge_chunked", "slow", "truncated"):
            return name
        if name is not None:
            return self._hostile_reply(name, chrome, params)
        if path == "/robots.txt":
            robots = robots_txt(self.origin, ["/sitemap_index.xml"])
            return Reply(200, "text/plain; charset=utf-8", robots)
        if path == "/" or path.startswith("/page/"):
            return self._listing(chrome, "Tin mới", stories, path, "/")
        for slug, title in CATEGORIES:
            base = f"/category/{slug}/"
            if path == base or path.startswith(base + "page/"):
                in_category = [s for s in stories if s.category[0] == slug]
                return self._listing(chrome, title, in_category, path, base)
        if path == "/feed/":
            return Reply(200, "application/rss+xml; charset=UTF-8", rss(chrome, stories[:20]))
        if path == "/sitemap_index.xml":
            return Reply(200, XML, self._sitemap_index(stories))
        if path == "/post-sitemap.xml":
            listed = stories + (list(self.absurd.values()) if self.switches.hostile_links else [])
            return Reply(200, XML, urlset(chrome, listed))
        if path == "/news-sitemap.xml":
            recent = [s for s in stories if s.published >= self.now - timedelta(hours=48)]
            return Reply(200, XML, urlset(chrome, recent, news=True))
        if path in HOSTILE_PATHS.values():
            return self._hostile_path(path, chrome, params)
        for story in stories:
            if story.path == path:
                return Reply(200, HTML, article_page(chrome, story, stories[:4]))
        archived = self._archive_number(path)
        if archived is not None:
            return Reply(200, HTML, article_page(chrome, self.archive_story(archived)))
        return Reply(404, HTML, not_found_page(chrome))

    def _archive_number(self, path: str) -> int | None:
        marker = "/tin-luu-tru-so-"
        if marker not in path or not path.endswith("/"):
            return None
        number = path.rsplit(marker, 1)[1].rstrip("/")
        if not number.isdigit() or int(number) >= self.archive_size:
            return None
        n = int(number)
        return n if self.archive_path(n) == path else None

    def _listing(
        self, chrome: Chrome, title: str, stories: list[Story], path: str, base: str
    ) -> Reply:
        pages = max(1, -(-len(stories) // PER_PAGE))
        page = 1
        if path != base:
            number = path[len(base) + len("page/") :].strip("/")
            if not number.isdigit() or not 1 <= int(number) <= pages:
                return Reply(404, HTML, not_found_page(chrome))
            page = int(number)
        shown = stories[(page - 1) * PER_PAGE : page * PER_PAGE]
        extra = self._hostile_box() if base == "/" and page == 1 else ""
        return Reply(200, HTML, listing_page(chrome, title, shown, page, pages, base, extra))

    def _hostile_box(self) -> str:
        if not self.switches.hostile_links:
            return ""
        items = "".join(
            f'<li><a href="{url}">{name.replace("_", " ")}</a></li>'
            for name, url in self.hostile_urls.items()
            if name in HOSTILE_SLUGS or name == "big_listing"
        )
        return f'<section class="more-news"><h2>Tin khác</h2><ul>{items}</ul></section>'

    def _sitemap_index(self, stories: list[Story]) -> bytes:
        newest = stories[0].modified.isoformat(timespec="seconds") if stories else None
        entries: list[tuple[str, str | None]] = [
            (self.url("/post-sitemap.xml"), newest),
            (self.url("/news-sitemap.xml"), newest),
        ]
        if self.switches.hostile_links:
            entries += [(self.url(HOSTILE_PATHS[name]), None) for name in HOSTILE_SITEMAPS]
        return sitemap_index(entries)

    def _hostile_reply(self, name: str, chrome: Chrome, params: dict[str, str]) -> Reply:
        today = self.now.strftime("/%Y/%m/%d")
        if name == "gzip_bomb":
            headers = {"Content-Encoding": "gzip"}
            return Reply(200, HTML, self.gzip_bomb, headers, compress=False)
        if name == "redirect_loop":
            target = f"{today}/{HOSTILE_SLUGS['redirect_loop']}-lan-hai/"
            return Reply(302, HTML, b"", {"Location": self.url(target)})
        if name == "offsite_redirect":
            return Reply(301, HTML, b"", {"Location": self.switches.offsite_target})
        if name == "soft_404":
            return Reply(200, HTML, not_found_page(chrome))
        if name in self.absurd:
            return Reply(200, HTML, article_page(chrome, self.absurd[name]))
        status = 429 if name == "always_429" else 503
        after = params.get("after", "2")
        headers = {"Retry-After": after} if after else {}
        return Reply(status, HTML, b"<html><body><h1>Too busy</h1></body></html>", headers)

    def _hostile_path(self, path: str, chrome: Chrome, params: dict[str, str]) -> Reply:
        if path == HOSTILE_PATHS["big_listing"]:
            per_page = int(params.get("n", "2000"))
            pages = int(params.get("pages", "2"))
            page = int(params.get("page", "1"))
            first = (page - 1) * per_page
            last = min(first + per_page, self.archive_size)
            listed = [self.archive_story(n, body=False) for n in range(first, last)]
            return Reply(200, HTML, big_listing_page(chrome, listed, page, pages, path))
        if path == HOSTILE_PATHS["huge_sitemap"]:
            return Reply(200, XML, self.huge_sitemap)
        if path == HOSTILE_PATHS["huge_sitemap_gz"]:
            return Reply(200, "application/x-gzip", self.huge_sitemap_gz, compress=False)
        if path == HOSTILE_PATHS["sitemap_bomb"]:
            return Reply(200, "application/x-gzip", self.sitemap_bomb, compress=False)
        if path == HOSTILE_PATHS["xml_bomb"]:
            return Reply(200, XML, bombs.billion_laughs())
        if path == HOSTILE_PATHS["xxe"]:
            probe = self.url(HOSTILE_PATHS["xxe_probe"])
            return Reply(200, XML, bombs.external_entity_sitemap(probe))
        if path == HOSTILE_PATHS["truncated_sitemap"]:
            whole = urlset(chrome, self.stories())
            cut = whole.rfind(b"/</loc>", 0, len(whole) // 2 + 200)
            return Reply(200, XML, whole[:cut])
        # The XXE probe: a hit here means a parser fetched an external entity.
        return Reply(200, "application/xml-dtd", b'<!ENTITY leak "LEAKED">')

    def storm_reply(self, path: str) -> Reply | None:
        """The storm response for ``path``, when a storm covers it (and counts it)."""
        switches = self.switches
        with self._lock:
            if switches.storm_status is None or not path.startswith(switches.storm_prefixes):
                return None
            if switches.storm_remaining is not None:
                if switches.storm_remaining <= 0:
                    switches.storm_status = None
                    return None
                switches.storm_remaining -= 1
            status, after = switches.storm_status, switches.storm_retry_after
        headers = {"Retry-After": after} if after is not None else {}
        body = f"<html><body><h1>{status}</h1><p>Vui lòng thử lại sau.</p></body></html>"
        return Reply(status, HTML, body.encode("utf-8"), headers)

    def latency_for(self, path: str) -> float:
        """Seconds to wait before answering ``path``."""
        extra = [s for prefix, s in self.switches.latency_for.items() if path.startswith(prefix)]
        return self.switches.latency + (max(extra) if extra else 0.0)


# --- HTTP ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    site: HostileSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up on a hostile page is expected: stay quiet about it."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the counters say what was served."""

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        path = parts.path or "/"
        key = path + (f"?{parts.query}" if parts.query else "")
        try:
            wait = site.latency_for(path)
            if wait > 0:
                time.sleep(wait)
            reply = site.storm_reply(path)
            if reply is None:
                reply = site.respond(path, parts.query)
        except Exception as exc:  # a bug in a page must not kill the connection
            reply = Reply(500, HTML, f"<h1>500</h1><pre>{type(exc).__name__}</pre>".encode())
        try:
            if isinstance(reply, str):
                site._record(key, 200)
                self._stream(reply, site, parse_qs(parts.query))
            else:
                site._record(key, reply.status)
                self._send(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up: expected for hostile pages

    def _send(self, reply: Reply) -> None:
        body = reply.body
        accepts = "gzip" in self.headers.get("Accept-Encoding", "").lower()
        compress = reply.compress and accepts and len(body) >= 1024
        if compress:
            body = gzip.compress(body, compresslevel=5, mtime=0)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _stream(self, name: str, site: HostileSite, params: dict[str, list[str]]) -> None:
        """The hostile endpoints whose bytes are the fault: huge, slow, truncated."""
        if name in ("huge", "huge_chunked"):
            size = int(float(params.get("mb", ["20"])[-1]) * (1 << 20))
            self._huge(size, chunked=name == "huge_chunked")
            return
        story = site.stories()[0]
        page = article_page(site._chrome(), story)
        if name == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page[: len(page) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        seconds = float(params.get("seconds", ["90"])[-1])
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        ticks = max(1, int(seconds / 0.5))
        step = max(1, -(-len(page) // ticks))
        for start in range(0, len(page), step):
            self.wfile.write(page[start : start + step])
            self.wfile.flush()
            time.sleep(0.5)

    def _huge(self, size: int, chunked: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        head = "<!DOCTYPE html><html><head><title>Trang rất lớn</title></head><body>".encode()
        filler = b"<p>" + "Nội dung lặp lại rất dài. ".encode() * 64 + b"</p>\n"
        sent = 0
        while sent < size:
            chunk = head if sent == 0 else filler
            chunk = chunk[: size - sent]
            if chunked:
                self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
            else:
                self.wfile.write(chunk)
            sent += len(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


# --- in its own process ---------------------------------------------------------------------


def start_in_subprocess(
    articles: int = 30, *, port: int = 0, timeout: float = 30.0
) -> tuple[subprocess.Popen[str], str]:
    """Run the site in a child process; returns the process and its origin.

    Switches can't be flipped from outside then: use it for a site that must outlive or not
    share the test process. Stop it with :func:`stop_subprocess`."""
    command = [sys.executable, "-m", "tests.faults.hostile_site", "--port", str(port)]
    command += ["--articles", str(articles)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready = threading.Event()
    lines: list[str] = []

    def read_first() -> None:
        assert process.stdout is not None
        lines.append(process.stdout.readline().strip())
        ready.set()

    threading.Thread(target=read_first, daemon=True).start()
    if not ready.wait(timeout) or not lines or not lines[0].startswith("http://"):
        process.kill()
        process.wait()
        raise RuntimeError(f"hostile site did not start: {lines!r}")
    return process, lines[0]


def stop_subprocess(process: subprocess.Popen[str]) -> None:
    """Stop a site started by :func:`start_in_subprocess` and close its pipe."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.faults.hostile_site``: serve until interrupted."""
    parser = argparse.ArgumentParser(description="Serve the hostile test site on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--hostile-links", action="store_true")
    args = parser.parse_args(argv)
    site = HostileSite(args.articles, host=args.host, port=args.port).start()
    site.switches.hostile_links = args.hostile_links
    print(site.origin, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
