"""The hostile site itself: the normal site is a real news site to the project's readers, and
every hostile endpoint really is the fault it claims to be."""

from __future__ import annotations

import http.client
import itertools
import time
import zlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from crawler import settings as project_settings
from crawler.dedup import minhash
from crawler.discovery.feeds import parse_feed
from crawler.discovery.listings import read_listing
from crawler.discovery.sitemaps import SitemapTooLarge, iter_sitemap, sitemap_body
from crawler.extraction import extract
from crawler.extraction.dates import VIETNAM
from tests.faults.hostile_pages import PER_PAGE
from tests.faults.hostile_site import HostileSite, start_in_subprocess, stop_subprocess

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=VIETNAM)


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite(30, now=NOW) as running:
        yield running


@pytest.fixture
def fresh_site() -> Iterator[HostileSite]:
    with HostileSite(12, now=NOW, archive_size=5000) as running:
        yield running


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


# --- the normal site ------------------------------------------------------------------------


def test_articles_extract_with_title_body_date_and_author(site: HostileSite) -> None:
    for story in site.stories()[:6]:
        url = site.url(story.path)
        status, _, body = get(url)
        assert status == 200
        article = extract(body, url)
        assert article.title == story.title
        assert article.published_at == story.published.isoformat(timespec="seconds")
        assert article.authors == [story.author]
        assert story.paragraphs[0][:60] in article.body
        assert "Chia sẻ" not in article.body and "Bài mới" not in article.body


def test_stories_are_not_near_duplicates_of_each_other(site: HostileSite) -> None:
    signatures = [minhash.signature([s.title, " ".join(s.paragraphs)]) for s in site.stories()]
    assert all(sig is not None for sig in signatures)
    worst = max(
        minhash.similarity(a, b)  # type: ignore[arg-type]
        for a, b in itertools.combinations(signatures, 2)
    )
    assert worst < project_settings.ARCHIVE_NEAR_DUP_THRESHOLD / 2


def test_home_and_categories_are_paginated_dated_listings(site: HostileSite) -> None:
    stories = site.stories()
    page = read_listing(get(site.url("/"))[2], site.url("/"))
    # Entries are dated; so is the logo link, beside the header's "today".
    dated = [u for u, d in page.links if d is not None and "/category/" not in u]
    assert dated[0] == site.url("/") and page.dates[0] == stories[0].published.replace(second=0)
    listed = dated[1:]
    assert listed == [site.url(s.path) for s in stories[:PER_PAGE]]
    first: dict[str, datetime | None] = {}
    for url, printed in page.links:  # the sidebar links them again, undated
        first.setdefault(url, printed)
    assert first[site.url(stories[0].path)] == stories[0].published.replace(second=0)
    assert page.next_page == site.url("/page/2/")
    last = read_listing(get(site.url("/page/3/"))[2], site.url("/page/3/"))
    assert last.next_page is None
    assert get(site.url("/page/4/"))[0] == 404
    category = read_listing(get(site.url("/category/kinh-te/"))[2], site.url("/category/kinh-te/"))
    assert {u for u, d in category.links if d is not None} >= {
        site.url(s.path) for s in stories if s.category[0] == "kinh-te"
    } & {site.url(s.path) for s in stories[:PER_PAGE]}


def test_feed_sitemaps_and_robots_name_every_story(site: HostileSite) -> None:
    urls = site.article_urls()
    feed = parse_feed(get(site.url("/feed/"))[2])
    assert [e.url for e in feed] == urls[:20]
    assert feed[0].published == site.stories()[0].published
    robots = get(site.url("/robots.txt"))[2].decode()
    assert f"Sitemap: {site.url('/sitemap_index.xml')}" in robots
    index = list(iter_sitemap(get(site.url("/sitemap_index.xml"))[2]))
    assert [e.loc for e in index] == [site.url("/post-sitemap.xml"), site.url("/news-sitemap.xml")]
    assert all(e.is_index for e in index)
    posts = list(iter_sitemap(get(site.url("/post-sitemap.xml"))[2]))
    assert [e.loc for e in posts] == urls
    news = list(iter_sitemap(get(site.url("/news-sitemap.xml"))[2]))
    assert news and all(e.news_published is not None for e in news)
    assert all(e.news_published >= NOW - timedelta(hours=48) for e in news if e.news_published)


def test_unknown_pages_are_404(site: HostileSite) -> None:
    assert get(site.url("/2026/01/12/khong-co-bai-nay-dau/"))[0] == 404
    assert get(site.url("/2019/01/01/tin-luu-tru-so-3/"))[0] == 404  # wrong day for story 3


# --- switches and counters while serving ----------------------------------------------------


def test_a_storm_comes_and_goes_while_serving(fresh_site: HostileSite) -> None:
    home = fresh_site.url("/")
    assert get(home)[0] == 200
    fresh_site.storm(429, retry_after="3")
    status, headers, _ = get(home)
    assert (status, headers["retry-after"]) == (429, "3")
    fresh_site.storm(503, retry_after=None, requests=2, prefixes=("/feed/",))
    assert get(home)[0] == 200  # outside the storm's prefixes
    assert [get(fresh_site.url("/feed/"))[0] for _ in range(3)] == [503, 503, 200]
    fresh_site.storm(429)
    fresh_site.calm()
    assert get(home)[0] == 200
    assert [status for _, path, status in fresh_site.log if path == "/"] == [200, 429, 200, 200]
    times = [t for t, _, _ in fresh_site.log]
    assert times == sorted(times)
    assert fresh_site.hits["/feed/"] == 3 and fresh_site.hits_under("/") == 7


def test_latency_per_path(fresh_site: HostileSite) -> None:
    fresh_site.switches.latency_for["/feed/"] = 0.4
    started = time.monotonic()
    get(fresh_site.url("/feed/"))
    slow = time.monotonic() - started
    started = time.monotonic()
    get(fresh_site.url("/robots.txt"))
    assert slow >= 0.4 > time.monotonic() - started


def test_late_stories_appear_dated_before_they_appeared(fresh_site: HostileSite) -> None:
    before = set(fresh_site.article_urls())
    late = fresh_site.publish_late(10, published=NOW - timedelta(hours=3))
    late_urls = {fresh_site.url(s.path) for s in late}
    assert len(late_urls) == 10 and not late_urls & before
    assert set(fresh_site.article_urls()) == before | late_urls
    posts = {e.loc: e for e in iter_sitemap(get(fresh_site.url("/post-sitemap.xml"))[2])}
    assert {posts[fresh_site.url(s.path)].lastmod for s in late} == {s.published for s in late}
    feed = {e.url: e.published for e in parse_feed(get(fresh_site.url("/feed/"))[2])}
    assert all(feed[u] == NOW - timedelta(hours=3) + timedelta(minutes=i) for i, u in
               enumerate(fresh_site.url(s.path) for s in late))  # fmt: skip
    # Sorted by publication time as WordPress does: below the newer stories on the home page.
    home = read_listing(get(fresh_site.url("/"))[2], fresh_site.url("/"))
    pages = [home]
    while pages[-1].next_page:
        pages.append(read_listing(get(pages[-1].next_page)[2], pages[-1].next_page))
    listed = [u for p in pages for u, d in p.links if d is not None and u in late_urls]
    assert set(listed) == late_urls
    assert all(u not in late_urls for u, _ in home.links[:3])
    story = late[0]
    article = extract(get(fresh_site.url(story.path))[2], fresh_site.url(story.path))
    assert article.published_at == story.published.isoformat(timespec="seconds")


def test_hostile_links_switch(fresh_site: HostileSite) -> None:
    def home_links() -> set[str]:
        return {u for u, _ in read_listing(get(fresh_site.url("/"))[2], fresh_site.url("/")).links}

    hostile = fresh_site.hostile_urls
    assert hostile["gzip_bomb"] not in home_links()
    fresh_site.switches.hostile_links = True
    assert {hostile["gzip_bomb"], hostile["absurd_future"], hostile["big_listing"]} <= home_links()
    index = [e.loc for e in iter_sitemap(get(fresh_site.url("/sitemap_index.xml"))[2])]
    assert hostile["sitemap_bomb"] in index and hostile["xml_bomb"] in index
    posts = [e.loc for e in iter_sitemap(get(fresh_site.url("/post-sitemap.xml"))[2])]
    assert hostile["absurd_past"] in posts


# --- hostile endpoints ----------------------------------------------------------------------


def test_huge_pages_exceed_download_maxsize(site: HostileSite) -> None:
    status, headers, _ = get(site.hostile_urls["huge"] + "?mb=1")
    assert status == 200 and int(headers["content-length"]) == 1 << 20
    parts = urlsplit(site.hostile_urls["huge"])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path)
    response = connection.getresponse()
    assert int(response.getheader("Content-Length") or 0) > project_settings.DOWNLOAD_MAXSIZE
    connection.close()
    status, headers, body = get(site.hostile_urls["huge_chunked"] + "?mb=2")
    assert "content-length" not in headers and headers["transfer-encoding"] == "chunked"
    assert len(body) == 2 << 20


def test_truncated_page_sends_half_of_what_it_announces(site: HostileSite) -> None:
    with pytest.raises(http.client.IncompleteRead) as cut:
        get(site.hostile_urls["truncated"])
    assert cut.value.expected > 0 and len(cut.value.partial) > 0


def test_slow_page_trickles(site: HostileSite) -> None:
    started = time.monotonic()
    status, _, body = get(site.hostile_urls["slow"] + "?seconds=1.5")
    assert status == 200 and body.endswith(b"</html>")
    assert time.monotonic() - started >= 1.0


@pytest.mark.timeout(120)
def test_gzip_bomb_inflates_to_a_gigabyte(site: HostileSite) -> None:
    status, headers, body = get(site.hostile_urls["gzip_bomb"])
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert len(body) < 2_000_000
    inflated = 0
    data = body
    while data:  # every gzip member in turn, counting the bytes without keeping them
        inflater = zlib.decompressobj(wbits=31)
        inflated += len(inflater.decompress(data, 1 << 20))
        while inflater.unconsumed_tail:
            inflated += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
        if not inflater.eof:
            break
        data = inflater.unused_data
    assert inflated >= 1 << 30


def test_sitemap_bombs_are_refused_or_inert(site: HostileSite) -> None:
    status, _, bomb = get(site.hostile_urls["sitemap_bomb"])
    assert status == 200 and bomb[:2] == b"\x1f\x8b" and len(bomb) < 2_000_000
    with pytest.raises(SitemapTooLarge):
        sitemap_body(bomb)
    laughs = get(site.hostile_urls["xml_bomb"])[2]
    assert b"<!ENTITY lol9" in laughs
    assert list(iter_sitemap(laughs)) == []
    before = site.hits[urlsplit(site.hostile_urls["xxe_probe"]).path]
    xxe = get(site.hostile_urls["xxe"])[2]
    assert site.hostile_urls["xxe_probe"].encode() in xxe and b"file:///etc/passwd" in xxe
    assert list(iter_sitemap(xxe)) == []
    assert site.hits[urlsplit(site.hostile_urls["xxe_probe"]).path] == before
    truncated = get(site.hostile_urls["truncated_sitemap"])[2]
    assert not truncated.rstrip().endswith(b"</urlset>")
    assert set(e.loc for e in iter_sitemap(truncated)) < set(site.article_urls())


@pytest.mark.timeout(300)
def test_huge_sitemap_has_120k_urls_under_50_mib(site: HostileSite) -> None:
    status, _, body = get(site.hostile_urls["huge_sitemap"], timeout=60)
    assert status == 200 and 40_000_000 < len(body) < 50 * 1024 * 1024
    status, _, packed = get(site.hostile_urls["huge_sitemap_gz"], timeout=60)
    assert sitemap_body(packed) == body
    count = 0
    for entry in iter_sitemap(body):
        assert entry.lastmod is not None and entry.news_published == entry.lastmod
        count += 1
    assert count == 120_000
    assert entry.loc == site.url(site.archive_path(119_999))
    status, _, page = get(entry.loc)
    assert status == 200 and extract(page, entry.loc).published_at == entry.lastmod.isoformat()


def test_big_listing_has_two_thousand_dated_links_a_page(site: HostileSite) -> None:
    url = site.hostile_urls["big_listing"]
    page = read_listing(get(url)[2], url)
    archive = [(u, d) for u, d in page.links if "/tin-luu-tru-so-" in u]
    assert len(archive) == 2000 and all(d is not None for _, d in archive)
    assert page.next_page == url + "?page=2"
    second = read_listing(get(page.next_page)[2], page.next_page)
    assert second.next_page is None
    assert archive[0][0] == site.url(site.archive_path(0))
    status, _, body = get(archive[1999][0])
    assert status == 200 and extract(body, archive[1999][0]).title


def test_redirects_loop_and_leave(site: HostileSite) -> None:
    first = site.hostile_urls["redirect_loop"]
    status, headers, _ = get(first)
    assert status == 302
    status, headers, _ = get(headers["location"])
    assert (status, headers["location"]) == (302, first)
    status, headers, _ = get(site.hostile_urls["offsite_redirect"])
    assert status == 301 and urlsplit(headers["location"]).hostname == "offsite.invalid"


def test_absurd_dates_and_soft_404(site: HostileSite) -> None:
    future = site.hostile_urls["absurd_future"]
    page = get(future)[2]
    assert b'"datePublished": "9999-12-31T23:59:59-05:00"' in page
    assert b'content="9999-12-31T23:59:59-05:00"' in page
    assert extract(page, future).published_at == "9999-12-31T23:59:59-05:00"
    past = site.hostile_urls["absurd_past"]
    assert extract(get(past)[2], past).published_at.startswith("1900-01-01")  # type: ignore[union-attr]
    status, _, soft = get(site.hostile_urls["soft_404"])
    assert status == 200 and "Không tìm thấy trang".encode() in soft
    assert get(site.hostile_urls["always_429"] + "?after=7")[1]["retry-after"] == "7"
    status, headers, _ = get(site.hostile_urls["always_503"] + "?after=")
    assert status == 503 and "retry-after" not in headers


def test_runs_in_its_own_process() -> None:
    process, origin = start_in_subprocess(5)
    try:
        status, _, body = get(origin + "/robots.txt")
        assert status == 200 and f"Sitemap: {origin}/sitemap_index.xml".encode() in body
    finally:
        stop_subprocess(process)
    assert process.returncode is not None
