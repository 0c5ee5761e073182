"""The fake-outlet server over real loopback HTTP."""

from __future__ import annotations

import gzip
import http.client
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from urllib.request import Request, urlopen

import feedparser
import pytest
from parsel import Selector

from crawler.fakeoutlets import render_page
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.fakeoutlets.siteplan import PER_PAGE, SPECIAL_KEYS
from crawler.outlets import get_profile
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import Iterator

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
OUTLETS = (
    "baohatinh",
    "baogialai",
    "baonghean",
    "baodanang",
    "baohaiphong",
    "baoquangtri",
    "baohaugiang",
    "baocantho",
)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOutletServer]:
    with FakeOutletServer(Corpus(45)) as server:
        yield server


def fetch(
    server: FakeOutletServer, url: str, *, accept_gzip: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """GET a real outlet URL from the server the way the mirror handler does (no redirects)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        headers = {"X-Archive-Host": parts.hostname or ""}
        if accept_gzip:
            headers["Accept-Encoding"] = "gzip"
        conn.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
        )
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def get_ok(server: FakeOutletServer, url: str) -> bytes:
    status, _, body = fetch(server, url)
    assert status == 200, (status, url)
    return body


def sitemap_locs(server: FakeOutletServer, url: str) -> list[tuple[str, str | None]]:
    root = ET.fromstring(get_ok(server, url))
    return [
        (node.findtext("sm:loc", namespaces=NS) or "", node.findtext("sm:lastmod", namespaces=NS))
        for node in root
    ]


def test_host_header_selects_the_outlet(fake_server: FakeOutletServer) -> None:
    request = Request(f"{fake_server.origin}/robots.txt", headers={"Host": "www.baohatinh.vn"})
    with urlopen(request, timeout=10) as response:
        text = response.read().decode()
    assert "Sitemap: https://baohatinh.vn/sitemap.xml" in text
    assert fake_server.mirrors["baocantho.com.vn"] == fake_server.origin
    assert set(fake_server.mirrors) == {get_profile(o).domain for o in OUTLETS}


@pytest.mark.parametrize("outlet", OUTLETS)
def test_robots_and_sitemaps(fake_server: FakeOutletServer, outlet: str) -> None:
    profile = get_profile(outlet)
    corpus = fake_server.corpus
    robots = get_ok(fake_server, f"https://{profile.domain}/robots.txt").decode()
    assert "Crawl-delay: 1" in robots and "Disallow: /tim-kiem/" in robots
    named = [line.split(": ", 1)[1] for line in robots.splitlines() if line.startswith("Sitemap:")]
    assert set(profile.sitemaps) <= set(named)
    found: set[str] = set()
    for index_url in profile.sitemaps:
        months = sitemap_locs(fake_server, index_url)
        assert months
        for month_url, lastmod in months:
            assert lastmod and "T" in lastmod
            assert "/sitemap" in month_url or "sitemap-" in month_url
            entries = sitemap_locs(fake_server, month_url)
            assert max(m for _, m in entries if m) == lastmod
            for loc, item_lastmod in entries:
                assert item_lastmod
                assert profile.is_article_url(urlsplit(loc).path), loc
                found.add(loc)
    assert found == set(corpus.urls(outlet))
    for usual in ("/sitemap.xml", "/sitemap_index.xml"):
        url = f"https://{profile.domain}{usual}"
        if url not in profile.sitemaps:
            assert fetch(fake_server, url)[0] == 404


@pytest.mark.parametrize("outlet", OUTLETS)
def test_feed_parses(fake_server: FakeOutletServer, outlet: str) -> None:
    profile = get_profile(outlet)
    parsed = feedparser.parse(get_ok(fake_server, profile.feeds[0]))
    assert not parsed.bozo
    assert len(parsed.entries) == 30
    newest = fake_server.corpus.entries(outlet)[:30]
    assert [e.link for e in parsed.entries] == [e.url for e in newest]
    assert all(e.published_parsed for e in parsed.entries)


def _walk(server: FakeOutletServer, start: str) -> tuple[list[str], list[str], int]:
    """(article links, all links, pages) following rel=next from ``start``."""
    profile = get_profile(urlsplit(start).hostname or "")
    url: str | None = start
    articles: list[str] = []
    links: list[str] = []
    pages = 0
    while url:
        page = Selector(text=get_ok(server, url).decode())
        pages += 1
        base = page.css("base::attr(href)").get() or url
        hrefs = [urljoin(base, h) for h in page.css("a::attr(href)").getall()]
        links += hrefs
        for href in page.css("article a::attr(href)").getall():
            full = urljoin(base, href)
            if profile.is_article_url(urlsplit(full).path):
                articles.append(canonicalize(full))
        nxt = page.css("link[rel=next]::attr(href)").get()
        assert nxt == page.css("a[rel=next]::attr(href)").get()
        url = urljoin(base, nxt) if nxt else None
    return list(dict.fromkeys(articles)), links, pages


@pytest.mark.parametrize("outlet", OUTLETS)
def test_listing_pagination_reaches_every_article(
    fake_server: FakeOutletServer, outlet: str
) -> None:
    corpus = fake_server.corpus
    profile = get_profile(outlet)
    home, links, pages = _walk(fake_server, f"https://{profile.domain}/")
    assert home == corpus.urls(outlet)  # newest first, each once
    assert pages == -(-len(home) // PER_PAGE)
    assert any("utm_source=" in h for h in links)
    assert any("fbclid=" in h for h in links)
    assert any("zarsrc=" in h for h in links)
    for listing in profile.listings:
        listed, _, _ = _walk(fake_server, listing)
        assert listed and set(listed) <= set(corpus.urls(outlet))


@pytest.mark.parametrize("outlet", OUTLETS)
def test_fixture_articles_are_byte_identical(fake_server: FakeOutletServer, outlet: str) -> None:
    for entry in fake_server.corpus.fixtures(outlet):
        expected = render_page(entry.source).encode("utf-8")
        assert get_ok(fake_server, entry.source.url) == expected  # with its tracking params
        status, headers, body = fetch(fake_server, entry.url, accept_gzip=True)
        assert status == 200 and headers.get("content-encoding") == "gzip"
        assert gzip.decompress(body) == expected


@pytest.mark.parametrize("outlet", OUTLETS)
def test_fault_pages(fake_server: FakeOutletServer, outlet: str) -> None:
    profile = get_profile(outlet)
    special = fake_server.special_urls(outlet)
    assert set(special) == set(SPECIAL_KEYS)
    for key in ("redirect_old", "redirect_external", "removed", "soft404", "flaky"):
        assert profile.is_article_url(urlsplit(special[key]).path), key
    for key in ("video", "tag", "epaper", "search"):
        path = urlsplit(special[key]).path
        assert not profile.is_article_url(path), key
        assert fetch(fake_server, special[key])[0] == 200

    status, headers, _ = fetch(fake_server, special["redirect_old"])
    assert status == 301 and headers["location"] == special["redirect_old_target"]
    assert fake_server.corpus.get(special["redirect_old_target"]) is not None
    status, headers, _ = fetch(fake_server, special["redirect_external"])
    assert status == 301 and headers["location"] == special["redirect_external_target"]
    assert urlsplit(headers["location"]).hostname not in profile.hosts
    assert fetch(fake_server, special["removed"])[0] == 404
    status, _, body = fetch(fake_server, special["soft404"])
    assert status == 200 and "Không tìm thấy trang" in body.decode()

    fake_server.reset_faults()
    assert fetch(fake_server, special["flaky"])[0] == 500
    assert fetch(fake_server, special["flaky"])[0] == 200
    fake_server.reset_faults()
    assert fetch(fake_server, special["flaky"])[0] == 500
    assert fetch(fake_server, special["flaky"])[0] == 200

    home = get_ok(fake_server, f"https://{profile.domain}/").decode()
    first_listing = get_ok(fake_server, profile.listings[0]).decode()
    for key in ("redirect_old", "redirect_external", "removed", "soft404", "video"):
        assert special[key] in home and special[key] in first_listing, key
    for key in ("video", "epaper", "search"):
        assert special[key].replace("&", "&amp;") in home, key
    assert fetch(fake_server, f"https://{profile.domain}/khong-co-trang-nay/")[0] == 404


def test_soft_404_is_not_an_article(fake_server: FakeOutletServer) -> None:
    from crawler.extraction import PageParseError, extract

    for outlet in OUTLETS:
        url = fake_server.special_urls(outlet)["soft404"]
        try:
            article = extract(get_ok(fake_server, url), url)
        except PageParseError:
            continue
        assert not article.body, (outlet, article.body)


def test_update_moves_the_monthly_sitemap_lastmod() -> None:
    corpus = Corpus(10)
    with FakeOutletServer(corpus) as server:
        entry = corpus.synthetic("baoquangtri")[-1]
        index = dict(sitemap_locs(server, "https://baoquangtri.vn/sitemap_index.xml"))
        month = next(u for u in index if f"{entry.published:%Y-%m}" in u)
        before = index[month]
        old_page = get_ok(server, entry.url)
        corpus.update_article(entry.url)
        after_index = dict(sitemap_locs(server, "https://baoquangtri.vn/sitemap_index.xml"))
        assert after_index[month] is not None and before is not None
        assert after_index[month] > before
        assert dict(sitemap_locs(server, month))[entry.url] == after_index[month]
        assert get_ok(server, entry.url) != old_page
        added = corpus.add_articles("baoquangtri", 2)
        feed = feedparser.parse(get_ok(server, "https://baoquangtri.vn/feed/"))
        assert {e.link for e in feed.entries[:2]} == {a.url for a in added}


def test_counters(fake_server: FakeOutletServer) -> None:
    fake_server.reset_counters()
    get_ok(fake_server, "https://baonghean.vn/robots.txt")
    get_ok(fake_server, "https://baonghean.vn/robots.txt")
    get_ok(fake_server, "https://baonghean.vn/rss/home.rss")
    assert fake_server.requests_total == 3
    assert fake_server.hits["https://baonghean.vn/robots.txt"] == 2
    assert fake_server.hits_for("baonghean") == {"/robots.txt": 2, "/rss/home.rss": 1}
