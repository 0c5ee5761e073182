"""Charset as browsers decide it, with valid UTF-8 winning over a contradicted declaration.

Pages in windows-1258 (the Vietnamese Windows code page, which writes tone marks as
combining characters), UTF-8 pages declared ISO-8859-1 or GB2312, NFD text, BOMs, and the
HTTP header reaching the extractor from a Scrapy response.
"""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.http import HtmlResponse

from crawler.discovery.window import CrawlWindow
from crawler.extraction import extract, extract_page
from crawler.extraction.charset import decode_html, is_valid_utf8
from crawler.items import Article
from crawler.storage.records import ExtractionFailure
from spiders.outlets import OUTLET_SPIDERS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TITLE = "Hà Tĩnh đẩy mạnh chuyển đổi số ở cấp xã"
PARAGRAPHS = (
    "Ủy ban nhân dân tỉnh vừa ban hành kế hoạch triển khai chuyển đổi số cho các xã, phường "
    "trong năm nay, tập trung vào dịch vụ công trực tuyến và dữ liệu dân cư.",
    "Theo kế hoạch, mỗi xã sẽ có tổ công nghệ số cộng đồng hướng dẫn người dân sử dụng ứng "
    "dụng, thanh toán không dùng tiền mặt và tra cứu thông tin đất đai.",
    "Những địa phương làm tốt sẽ được khen thưởng vào cuối năm, nơi chậm tiến độ phải giải "
    "trình trước thường trực Ủy ban nhân dân tỉnh.",
)
URL = "https://baohatinh.vn/ha-tinh-day-manh-chuyen-doi-so-o-cap-xa-post123456.html"


def page(meta_charset: str | None) -> str:
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html lang='vi'><head>{meta}<title>{TITLE} - Báo Hà Tĩnh</title>"
        f'<meta property="og:title" content="{TITLE}"></head><body>'
        f'<h1 class="article__title">{TITLE}</h1>'
        '<div class="article__meta"><time datetime="2025-04-02T08:15:00+07:00">02/04/2025'
        "</time></div>"
        f'<div class="article__body cms-body" itemprop="articleBody">{body}</div>'
        "</body></html>"
    )


def to_cp1258(text: str) -> bytes:
    """Vietnamese as windows-1258 writes it: base letters with their vowel marks precomposed
    (â, ê, ô, ơ, ư, ă, đ), tone marks as combining characters after them."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        letter = base
        rest: list[str] = []
        for mark in marks:
            composed = unicodedata.normalize("NFC", letter + mark)
            if len(composed) == 1 and _encodable(composed):
                letter = composed
            else:
                rest.append(mark)
        out += (letter + "".join(rest)).encode("cp1258")
    return bytes(out)


def _encodable(char: str) -> bool:
    try:
        char.encode("cp1258")
    except UnicodeEncodeError:
        return False
    return True


def assert_read_right(article: Article) -> None:
    assert article.title == TITLE
    assert (article.body or "").split("\n") == list(PARAGRAPHS)
    for value in (article.title, article.body):
        assert value is not None and unicodedata.is_normalized("NFC", value)


def test_windows_1258_declared_in_meta() -> None:
    raw = to_cp1258(page("windows-1258"))
    assert not is_valid_utf8(raw)
    assert raw != page("windows-1258").encode("cp1258", errors="replace")  # combining marks used
    assert_read_right(extract(raw, URL))


def test_windows_1258_declared_only_by_the_http_header() -> None:
    raw = to_cp1258(page(None))
    assert_read_right(extract(raw, URL, content_type="text/html; charset=windows-1258"))


def test_http_header_beats_a_wrong_meta_when_the_bytes_are_not_utf8() -> None:
    raw = to_cp1258(page("utf-8"))
    decoded = decode_html(raw, "text/html; charset=windows-1258")
    assert decoded.source == "http"
    assert_read_right(extract(raw, URL, content_type="text/html; charset=windows-1258"))


@pytest.mark.parametrize("declared", ["iso-8859-1", "GB2312", "windows-1252"])
def test_utf8_bytes_beat_a_single_byte_or_wrong_meta_declaration(declared: str) -> None:
    raw = page(declared).encode("utf-8")
    decoded = decode_html(raw)
    assert decoded.encoding == "utf-8" and "over" in decoded.source
    assert_read_right(extract(raw, URL))


def test_utf8_bytes_beat_a_wrong_http_header() -> None:
    raw = page("utf-8").encode("utf-8")
    assert_read_right(extract(raw, URL, content_type="text/html; charset=ISO-8859-1"))


def test_a_real_latin1_page_stays_latin1() -> None:
    raw = "<html><head><meta charset='iso-8859-1'></head><body><p>Café crème brûlée</p>".encode(
        "latin-1"
    )
    decoded = decode_html(raw)
    assert decoded.source == "meta" and "Café crème brûlée" in decoded.text


def test_bom_wins() -> None:
    raw = b"\xef\xbb\xbf" + page("iso-8859-1").encode("utf-8")
    assert decode_html(raw, "text/html; charset=windows-1258").source == "bom"
    assert_read_right(extract(raw, URL))


def test_nfd_text_comes_out_nfc() -> None:
    raw = unicodedata.normalize("NFD", page("utf-8")).encode("utf-8")
    assert_read_right(extract(raw, URL))


def test_undeclared_bytes_utf8_else_windows_1258() -> None:
    assert decode_html(page(None).encode("utf-8")).encoding == "utf-8"
    legacy = decode_html(to_cp1258(page(None)))
    assert legacy.encoding == "cp1258"
    assert TITLE in unicodedata.normalize("NFC", legacy.text)


def test_truncated_utf8_is_still_utf8() -> None:
    raw = page("iso-8859-1").encode("utf-8")
    cut = raw[: raw.index("Ủy".encode()) + 1]  # in the middle of a multi-byte letter
    assert is_valid_utf8(cut)


def _items(results: AsyncIterator[Any]) -> list[Any]:
    """What an async callback yields (extraction runs inline: no reactor needed)."""

    async def collect() -> list[Any]:
        return [item async for item in results]

    return asyncio.run(collect())


def test_spider_passes_the_response_header_to_the_extractor() -> None:
    spider = OUTLET_SPIDERS["baohatinh"](since="2000-01-01")
    spider.window = CrawlWindow.backfill(date(2000, 1, 1), None)
    response = HtmlResponse(
        url=URL,
        body=to_cp1258(page(None)),
        headers={"Content-Type": "text/html; charset=windows-1258"},
    )
    (item,) = _items(spider.parse_article(response))
    assert isinstance(item, Article)
    assert_read_right(item)


def test_spider_records_a_soft_404_as_a_failed_page() -> None:
    spider = OUTLET_SPIDERS["baohatinh"](since="2000-01-01")
    spider.window = CrawlWindow.backfill(date(2000, 1, 1), None)
    body = (
        "<html><head><title>Bài viết không tồn tại - Báo Hà Tĩnh</title></head><body>"
        "<h1>Bài viết không tồn tại hoặc đã bị xóa</h1><p>Quay về trang chủ</p></body></html>"
    )
    response = HtmlResponse(url=URL, body=body.encode("utf-8"), encoding="utf-8")
    (item,) = _items(spider.parse_article(response))
    assert isinstance(item, ExtractionFailure)
    assert "soft404" in item.error and item.status == 200
    assert extract_page(body, URL).kind == "soft404"
