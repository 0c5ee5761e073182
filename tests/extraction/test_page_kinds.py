"""Not every 200 is an article: refused pages say what they are; articles stay articles."""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from crawler.extraction import extract_page
from crawler.extraction.pagekind import NOT_FOUND, says_not_found
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    from collections.abc import Iterator

TEXT = (
    "Sáng nay, hàng nghìn nông dân ở các huyện đồng bằng đã ra đồng gieo cấy lúa xuân, sớm "
    "hơn mọi năm khoảng một tuần nhờ thời tiết thuận lợi và nguồn nước dồi dào. "
)


def _get(server: FakeOutletServer, url: str) -> bytes:
    """GET an outlet URL from the fake server, as the mirror download handler does."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", parts.path, headers={"X-Archive-Host": parts.hostname or ""})
        response = conn.getresponse()
        assert response.status == 200, url
        return response.read()
    finally:
        conn.close()


def page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html lang='vi'><head>{head}</head><body>{body}</body></html>"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOutletServer]:
    with FakeOutletServer(Corpus(articles_per_outlet=6)) as running:
        yield running


@pytest.mark.parametrize("outlet", ["baohatinh", "baonghean", "baoquangtri", "baocantho"])
def test_fake_outlet_soft_404_and_video_pages_are_refused(
    server: FakeOutletServer, outlet: str
) -> None:
    for key, kind in (("soft404", "soft404"), ("video", "video")):
        url = server.special_urls(outlet)[key]
        outcome = extract_page(_get(server, url), url)
        assert outcome.article is None and outcome.kind == kind, (outlet, key, outcome.failure)
        assert outcome.failure


def test_fake_outlet_articles_are_articles(server: FakeOutletServer) -> None:
    from crawler.fakeoutlets import render_page

    for entry in server.corpus.synthetic()[:24]:
        outcome = extract_page(render_page(entry.source), entry.url)
        assert outcome.article is not None, (entry.url, outcome.failure)


@pytest.mark.parametrize(
    ("url", "head", "body", "kind"),
    [
        (
            "https://baoxyz.vn/podcast/ban-tin-sang-post200301.html",
            "<meta property='og:type' content='music.song'><title>Bản tin sáng</title>",
            "<h1>Bản tin sáng</h1><audio src='/a.mp3'></audio><p>Nghe bản tin.</p>",
            "podcast",
        ),
        (
            "https://baoxyz.vn/emagazine/hanh-trinh-ve-nguon-post200302.html",
            "<title>Hành trình về nguồn</title>",
            f"<h1>Hành trình về nguồn</h1><article><p>{TEXT * 6}</p></article>",
            "emagazine",
        ),
        (
            "https://baoxyz.vn/tin-anh-mua-xuan-post200303.html",
            "<title>Mùa xuân trên cao nguyên</title>",
            "<h1>Mùa xuân trên cao nguyên</h1><article>"
            + "".join(
                f"<figure><img src='/{i}.jpg'><figcaption>{TEXT[:120]} {i}</figcaption></figure>"
                for i in range(5)
            )
            + "</article>",
            "gallery",
        ),
        (
            "https://baoxyz.vn/bai-viet-post200304.html",
            "<title>Không tìm thấy trang</title>",
            "<h1>Không tìm thấy trang</h1><p>Trang bạn tìm không tồn tại.</p>",
            "soft404",
        ),
        (
            "https://baoxyz.vn/bai-da-go-post200305.html",
            "<title>Báo XYZ - Tin tức</title><link rel='canonical' href='https://baoxyz.vn/'>",
            "<h1>Báo XYZ</h1><p>Mời bạn quay về trang chủ.</p>",
            "soft404",
        ),
    ],
)
def test_handmade_non_articles(url: str, head: str, body: str, kind: str) -> None:
    outcome = extract_page(page(head, body), url)
    assert outcome.article is None and outcome.kind == kind, outcome.failure


def test_listing_page_of_teasers_is_refused() -> None:
    entries = "".join(
        f"<div class='item'><h3><a href='/tin-so-{i}-post30040{i}.html'>Tin số {i}: nông dân "
        f"gieo cấy lúa xuân ở huyện {i}</a></h3><p>{TEXT}</p></div>"
        for i in range(15)
    )
    outcome = extract_page(
        page("<title>Nông nghiệp - Báo XYZ</title>", f"<h1>Nông nghiệp</h1>{entries}"),
        "https://baoxyz.vn/nong-nghiep-post300400.html",
    )
    assert outcome.kind == "listing", outcome.failure


def test_article_with_an_embedded_video_stays_an_article() -> None:
    head = (
        "<title>Lúa xuân - Báo XYZ</title>"
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Lúa xuân",'
        '"datePublished":"2025-02-03T07:30:00+07:00"}</script>'
    )
    body = (
        "<h1>Lúa xuân</h1><article><video src='/v.mp4'></video>"
        + "".join(f"<p>{TEXT}{i}</p>" for i in range(6))
        + "</article>"
    )
    outcome = extract_page(page(head, body), "https://baoxyz.vn/video/lua-xuan-post200306.html")
    assert outcome.article is not None, outcome.failure


NOT_FOUND_PHRASES = (
    "Không tìm thấy trang",
    "không tìm thấy bài viết",
    "Bài viết không tồn tại",
    "Trang bạn truy cập không tồn tại",
    "Tin này đã bị xoá",
    "Nội dung đã bị gỡ",
    "Đường dẫn không tồn tại hoặc đã bị thay đổi",
    "Lỗi 404",
    "404 - Not Found",
    "404",
    "Page not found",
    "This page is no longer available",
    "Thời sự - Báo Cần Thơ",
    "Tồn kho tăng, giá thép bị ép",
    "Found 404 reasons",
)


@pytest.mark.parametrize("phrase", NOT_FOUND_PHRASES)
@pytest.mark.parametrize("case", [str, str.upper, str.lower, str.title])
def test_not_found_prefilter_agrees_with_the_expression(phrase: str, case: Any) -> None:
    text = case(phrase)
    expected = NOT_FOUND.search(text)
    got = says_not_found(text)
    assert (got is None) == (expected is None)
    assert got is None or got.group(0) == expected.group(0)  # type: ignore[union-attr]
