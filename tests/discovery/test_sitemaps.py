"""Streaming sitemaps: formats, broken and hostile XML, gzip bombs, robots.txt."""

from __future__ import annotations

import gzip
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from crawler.discovery.sitemaps import (
    MAX_SITEMAP_BYTES,
    SitemapEntry,
    SitemapError,
    SitemapTooLarge,
    iter_sitemap,
    robots_sitemaps,
    sitemap_body,
)
from crawler.extraction.dates import VIETNAM

if TYPE_CHECKING:
    from collections.abc import Iterator

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def entries(body: bytes) -> list[SitemapEntry]:
    return list(iter_sitemap(body))


def test_urlset_with_news_and_alternates() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="{SM}" xmlns:news="{NEWS}" xmlns:xhtml="http://www.w3.org/1999/xhtml"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc> https://bao.vn/tin-a-post1.html </loc>
    <lastmod>2026-01-12T08:30:00+07:00</lastmod>
    <image:image><image:loc>https://cdn.bao.vn/a.jpg</image:loc></image:image>
    <news:news>
      <news:publication><news:name>Báo</news:name><news:language>vi</news:language></news:publication>
      <news:publication_date>2026-01-12T01:00:00Z</news:publication_date>
      <news:title>Tin A &amp; B</news:title>
    </news:news>
    <xhtml:link rel="alternate" hreflang="en" href="https://bao.vn/en/a"/>
  </url>
  <url><loc>https://bao.vn/tin-b-post2.html</loc><lastmod>2026-01-11</lastmod></url>
  <url><loc>https://bao.vn/tin-c-post3.html</loc><lastmod>2026-01-10 07:05</lastmod></url>
  <url><lastmod>2026-01-10</lastmod></url>
</urlset>""".encode()
    first, second, third = entries(body)
    assert first == SitemapEntry(
        loc="https://bao.vn/tin-a-post1.html",
        lastmod=datetime(2026, 1, 12, 8, 30, tzinfo=timezone(timedelta(hours=7))),
        news_published=datetime(2026, 1, 12, 1, 0, tzinfo=UTC),
        is_index=False,
        news_title="Tin A & B",
        alternates=("https://bao.vn/en/a",),
    )
    # A bare date or a time without offset is the outlet's local time.
    assert second.lastmod == datetime(2026, 1, 11, tzinfo=VIETNAM)
    assert third.lastmod == datetime(2026, 1, 10, 7, 5, tzinfo=VIETNAM)
    assert all(e.lastmod is not None and e.lastmod.tzinfo is not None for e in (first, second))


def test_sitemap_index_and_no_namespace() -> None:
    index = f"""<sitemapindex xmlns="{SM}">
      <sitemap><loc>https://bao.vn/sitemap-2026-01.xml</loc><lastmod>2026-01-12</lastmod></sitemap>
      <sitemap><loc>https://bao.vn/sitemap-2025-12.xml.gz</loc></sitemap>
    </sitemapindex>""".encode()
    assert [(e.loc, e.is_index) for e in entries(index)] == [
        ("https://bao.vn/sitemap-2026-01.xml", True),
        ("https://bao.vn/sitemap-2025-12.xml.gz", True),
    ]
    plain = b"<urlset><url><loc>https://bao.vn/x</loc></url></urlset>"
    assert [e.loc for e in entries(plain)] == ["https://bao.vn/x"]


def test_unreadable_dates_are_none_absurd_ones_are_kept() -> None:
    body = (
        f'<urlset xmlns="{SM}"><url><loc>https://bao.vn/a</loc><lastmod>hôm qua</lastmod></url>'
        "<url><loc>https://bao.vn/b</loc><lastmod>9999-12-31T23:59:59-05:00</lastmod></url>"
        "</urlset>"
    ).encode()
    a, b = entries(body)
    assert a.lastmod is None
    # Out-of-range dates are for the caller to judge; reading one must not raise.
    assert b.lastmod == datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))


def test_broken_xml_keeps_what_can_be_read() -> None:
    body = (
        b'<?xml version="1.0"?><urlset><url><loc>https://bao.vn/a</loc></url>'
        b"<url><loc>https://bao.vn/list?id=1&cat=2</loc></url>"
        b"<url><loc>https://bao.vn/c</loc><lastmod>2026-01-01</lastm"
    )
    # The last entry is cut short: it is dropped rather than guessed.
    assert [e.loc for e in entries(body)] == ["https://bao.vn/a", "https://bao.vn/list?id=1&cat=2"]
    whole = body.rsplit(b"<lastmod>", 1)[0] + b"</url></urlset>\n<!-- 0.2s -->\n"
    assert [e.loc for e in entries(whole)][-1] == "https://bao.vn/c"


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>404</h1><a href='https://bao.vn/a'>a</a></body></html>",
        b"",
        b"   \n",
        b"<",
        b"<urlset",
    ],
)
def test_not_a_sitemap_yields_nothing(body: bytes) -> None:
    assert entries(body) == []


def test_text_sitemap() -> None:
    body = b"\xef\xbb\xbf https://bao.vn/a\r\nhttps://bao.vn/b \n\n# comment\nftp://x/y\n"
    assert [e.loc for e in entries(body)] == ["https://bao.vn/a", "https://bao.vn/b"]


def test_large_sitemap_streams_every_entry() -> None:
    n = 60_000
    rows = "".join(
        f"<url><loc>https://bao.vn/bai-{i}.html</loc><lastmod>2026-01-01</lastmod></url>"
        for i in range(n)
    )
    body = f'<urlset xmlns="{SM}">{rows}</urlset>'.encode()
    count = 0
    for count, entry in enumerate(iter_sitemap(body), start=1):
        assert entry.loc == f"https://bao.vn/bai-{count - 1}.html"
    assert count == n


# --- hostile XML ------------------------------------------------------------------------------

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://bao.vn/a</loc></url>
<url><loc>https://bao.vn/&lol9;</loc></url>
<url><loc>https://bao.vn/c</loc><lastmod>&lol9;</lastmod></url>
</urlset>"""


@pytest.mark.timeout(30)
def test_billion_laughs_neither_expands_nor_hangs() -> None:
    tracemalloc.start()
    try:
        found = entries(LAUGHS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [e.loc for e in found] == ["https://bao.vn/a"]
    assert peak < 5_000_000


@pytest.mark.timeout(30)
def test_quadratic_blowup_is_not_expanded() -> None:
    big = "x" * 100_000
    refs = "&big;" * 10_000
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY big "{big}">]>'
        f"<urlset><url><loc>https://bao.vn/a{refs}</loc></url></urlset>"
    ).encode()
    assert all(len(e.loc) < 1000 for e in entries(body))


class _Probe(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Probe.hits.append(self.path)
        body = b'<!ENTITY leak "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def probe() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Probe.hits = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.timeout(30)
def test_external_entities_and_dtds_are_never_loaded(probe: str) -> None:
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset SYSTEM "{probe}/sitemap.dtd" [
  <!ENTITY passwd SYSTEM "file:///etc/passwd">
  <!ENTITY remote SYSTEM "{probe}/entity">
  <!ENTITY % param SYSTEM "{probe}/param.dtd">
  %param;
]>
<urlset>
<url><loc>https://bao.vn/a&passwd;</loc></url>
<url><loc>https://bao.vn/b</loc></url>
<url><loc>&remote;</loc></url>
<url><loc>https://bao.vn/c&leak;</loc></url>
<url><loc>https://bao.vn/d</loc></url>
</urlset>""".encode()
    # Entries whose URL holds an entity are dropped (only part of the URL is there); the
    # last one too, as libxml2 complained (an undefined entity).
    assert [e.loc for e in entries(body)] == ["https://bao.vn/b"]
    assert _Probe.hits == []


# --- compressed bodies --------------------------------------------------------------------


def bomb(uncompressed: int) -> bytes:
    """A multi-member gzip file that inflates to ``uncompressed`` bytes (about 1 KB per MiB)."""
    member = gzip.compress(b" " * (1 << 20), compresslevel=9)
    head = gzip.compress(f'<?xml version="1.0"?><urlset xmlns="{SM}">'.encode())
    return head + member * (uncompressed >> 20)


def test_gzip_is_recognised_by_its_bytes() -> None:
    xml = f'<urlset xmlns="{SM}"><url><loc>https://bao.vn/a</loc></url></urlset>'.encode()
    assert sitemap_body(gzip.compress(xml)) == xml
    assert sitemap_body(xml) == xml
    assert sitemap_body(gzip.compress(gzip.compress(xml))) == xml  # gzipped twice


@pytest.mark.timeout(60)
def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    payload = bomb(1 << 30)  # 1 GiB once inflated
    assert len(payload) < 2_000_000
    limit = 4 << 20
    tracemalloc.start()
    try:
        with pytest.raises(SitemapTooLarge) as refused:
            sitemap_body(payload, max_size=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.limit == limit and refused.value.compressed
    assert "4,194,304" in str(refused.value)
    assert peak < 3 * limit


def test_default_limit_is_the_protocols() -> None:
    assert MAX_SITEMAP_BYTES == 50 * 1024 * 1024
    with pytest.raises(SitemapTooLarge):
        sitemap_body(bomb(64 << 20))
    with pytest.raises(SitemapTooLarge):
        sitemap_body(b"<urlset>" + b" " * 2000, max_size=1000)


def test_corrupt_and_truncated_gzip() -> None:
    with pytest.raises(SitemapError):
        sitemap_body(b"\x1f\x8b\x08\x00garbage-after-the-magic")
    xml = "".join(f"<url><loc>https://bao.vn/{i}</loc></url>" for i in range(2000))
    whole = gzip.compress(f"<urlset>{xml}</urlset>".encode())
    cut = sitemap_body(whole[: len(whole) // 2])  # a download cut short: keep what inflates
    locs = [e.loc for e in iter_sitemap(cut)]
    assert locs and locs == [f"https://bao.vn/{i}" for i in range(len(locs))]


# --- robots.txt -----------------------------------------------------------------------------


def test_robots_sitemaps_keep_scheme_and_port() -> None:
    robots = (
        b"User-agent: *\nDisallow: /tim-kiem/\n"
        b"Sitemap: /sitemap_index.xml\n"
        b"sitemap: https://bao.vn/sitemap-news.xml\n"
        b"Sitemap: /sitemap_index.xml\n"
        b"Sitemap: ftp://bao.vn/x.xml\n"
    )
    assert robots_sitemaps(robots, "http://127.0.0.1:8081/robots.txt") == [
        "http://127.0.0.1:8081/sitemap_index.xml",
        "https://bao.vn/sitemap-news.xml",
    ]
