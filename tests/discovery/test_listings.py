"""Listing pages: links with their printed dates, and the next page, on real and built pages."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from w3lib.url import safe_url_string

from crawler.discovery.listings import (
    MAX_ENTRY_TEXT,
    dated_links,
    listing_dates,
    next_page,
    read_listing,
)
from crawler.extraction.dates import VIETNAM

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-pages"
if not REAL.is_dir():  # a checkout elsewhere than /work/<name>
    REAL = Path("/work/shared/real-pages")


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


# --- real pages -----------------------------------------------------------------------------


def test_znews_category_every_article_link_found_and_dated() -> None:
    body = real("znews.vn/kinhdoanh.html")
    links = dated_links(body, "https://znews.vn/kinh-doanh-tai-chinh.html")
    in_page = set(re.findall(rb'href="(https://znews\.vn/[^"]+-post\d+\.html)"', body))
    found = {url for url, _ in links}
    assert {u.decode() for u in in_page} <= found
    articles = [(u, d) for u, d in links if re.search(r"-post\d+\.html$", u)]
    dated = [d for _, d in articles if d is not None]
    assert len(dated) / len(articles) > 0.9


def test_a_date_in_the_headline_is_not_the_entrys_date() -> None:
    """znews prints "Từ 1/1/2026, hộ chiếu…" as a headline and "05:32 22/12/2025" beside it."""
    links = dict(
        dated_links(real("znews.vn/kinhdoanh.html"), "https://znews.vn/kinh-doanh-tai-chinh.html")
    )
    passport = "https://znews.vn/tu-112026-ho-chieu-khong-duoc-chap-nhan-giao-dich-tai-ngan-hang-post1613226.html"
    assert links[passport] == local(2025, 12, 22, 5, 32)
    land = (
        "https://znews.vn/dat-vi-pham-truoc-172014-co-the-duoc-xem-xet-cap-so-do-post1613167.html"
    )
    assert links[land] == local(2025, 12, 21, 15, 7)


def test_vtcnews_entry_with_a_category_link_still_gives_its_date() -> None:
    """vtcnews entries hold image, headline, a category link and the time: two targets."""
    body = real("vtcnews.vn/latest.html")
    links = dated_links(body, "https://vtcnews.vn/tin-moi-nhat.html")
    found = dict(links)
    story = "https://vtcnews.vn/phim-lan-ranh-tap-38-nguyet-nhan-tien-hoi-lo-can-bo-vien-kiem-sat-bi-dieu-tra-ar994759.html"
    assert found[story] == local(2025, 12, 24, 9, 58)
    articles = {u for u, _ in links if re.search(r"-ar\d+\.html$", u)}
    dated = {u for u, d in links if d is not None and u in articles}
    assert len(articles) >= 25 and len(dated) / len(articles) > 0.9


def test_baocantho_category_summary_dates_are_not_entry_dates() -> None:
    """baocantho prints no date in its list; a summary saying "…vào 30-6-2026" is not one."""
    body = real("baocantho.com.vn/category.html")
    page = read_listing(body, "https://baocantho.com.vn/thoi-su/")
    in_page = {
        u.decode()
        for u in re.findall(rb'href="(https://baocantho\.com\.vn/[^"]+-a\d+\.html)"', body)
    }
    found = dict(page.links)
    assert in_page <= set(found)
    highway = "https://baocantho.com.vn/lanh-dao-thanh-pho-kiem-tra-tien-do-thi-cong-cao-toc-chau-doc-can-tho-soc-trang-a196612.html"
    assert found[highway] is None
    # Its pager: <b>1</b> then links 2..5, "&gt;" (next) and "&raquo;" (last).
    assert page.next_page == "https://baocantho.com.vn/thoi-su?p=2"


def test_real_pages_unchanged_by_noise() -> None:
    """Comments and white space sprinkled through the page change nothing."""
    body = real("znews.vn/kinhdoanh.html")
    root = lxml.html.document_fromstring(body.decode("utf-8"))
    rng = random.Random(7)
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "html"):
            continue
        comment = lxml.html.HtmlComment(" x ")
        comment.tail = " " * rng.randrange(0, 4) + "\n" * rng.randrange(0, 2)
        element.insert(rng.randrange(0, len(element) + 1), comment)
        element.tail = (element.tail or "") + "\t " * rng.randrange(0, 3)
    noisy = lxml.html.tostring(root, encoding="unicode")
    url = "https://znews.vn/kinh-doanh-tai-chinh.html"

    def links(html: str | bytes) -> list[tuple[str, datetime | None]]:
        # lxml writes "dhdcd 2025.html" as "dhdcd%202025.html": the same URL.
        return [(safe_url_string(u), d) for u, d in dated_links(html, url)]

    assert links(noisy) == links(body)


# --- entries --------------------------------------------------------------------------------


def entry_page(entries: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><ul>{entries}</ul></body></html>"


def test_links_are_absolute_with_base_href_and_without_fragment() -> None:
    page = entry_page(
        '<li><a href="bai-1.html#comments">Một</a> 08:00 12/01/2026</li>'
        '<li><a href="javascript:void(0)">x</a><a href="mailto:a@b.vn">y</a></li>',
        head='<base href="https://bao.vn/tin/">',
    )
    assert dated_links(page, "https://bao.vn/other/") == [
        ("https://bao.vn/tin/bai-1.html", local(2026, 1, 12, 8, 0))
    ]


def test_entry_rules() -> None:
    long_text = "chữ " * (MAX_ENTRY_TEXT // 4 + 1)
    page = entry_page(
        # A date printed next to the link.
        '<li><a href="/a">A</a><span>Thứ Hai, 12/01/2026 | 07:15</span></li>'
        # An entry holding two stories and two days is nobody's entry.
        '<li><a href="/b">B</a> 11/01/2026 <a href="/c">C</a> 10/01/2026</li>'
        # Too much text: not a listing entry.
        f'<li><a href="/d">D</a><p>{long_text}</p> 09/01/2026</li>'
        # A date only in a script is not printed.
        '<li><a href="/e">E</a><script>var d = "08/01/2026";</script></li>'
        # The image link and the headline link share one target.
        '<li><a href="/f"><img src="f.jpg"></a><h3><a href="/f">F</a></h3><p>07/01/2026</p></li>'
    )
    got = dated_links(page, "https://bao.vn/")
    assert got == [
        ("https://bao.vn/a", local(2026, 1, 12, 7, 15)),
        ("https://bao.vn/b", None),
        ("https://bao.vn/c", None),
        ("https://bao.vn/d", None),
        ("https://bao.vn/e", None),
        ("https://bao.vn/f", local(2026, 1, 7)),
        ("https://bao.vn/f", local(2026, 1, 7)),
    ]


def test_listing_dates_are_entry_dates_not_the_header_date() -> None:
    page = (
        "<html><body><header>Thứ Hai, 12/01/2026</header>"
        '<div class="logo"><a href="/">Báo</a> Thứ Hai, 12/01/2026</div>'
        '<div><a href="/c/">Trang này</a> 12/01/2026</div><ul>'
        '<li><a href="/a">A</a> 03/01/2025 10:00</li>'
        '<li><a href="/b">B</a> 02/01/2025 09:00</li>'
        "</ul></body></html>"
    )
    assert sorted(listing_dates(page, "https://bao.vn/c/")) == [
        local(2025, 1, 2, 9, 0),
        local(2025, 1, 3, 10, 0),
    ]


def test_text_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "/tin-tức/bài-viết")
    page = entry_page(f'<li><a href="{decomposed}">x</a></li>')
    [(url, _)] = dated_links(page, "https://bao.vn/")
    assert url == "https://bao.vn" + unicodedata.normalize("NFC", "/tin-tức/bài-viết")


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02", "   "])
def test_not_a_page_is_an_empty_listing(body: bytes | str) -> None:
    page = read_listing(body, "https://bao.vn/")
    assert page.links == [] and page.next_page is None


# --- linear work ----------------------------------------------------------------------------


def flat_listing(n: int) -> str:
    entries = "".join(
        f'<li><a href="/bai-{i}.html"><img src="/{i}.jpg"></a>'
        f'<h3><a href="/bai-{i}.html">Tiêu đề bài viết {i}</a></h3>'
        f"<span>{i % 24:02d}:{i % 60:02d} {1 + i % 28:02d}/01/2026</span>"
        f"<p>Tóm tắt bài {i} về kinh tế.</p></li>"
        for i in range(n)
    )
    nav = '<div class="nav"><a href="/">Trang chủ</a></div>'
    return f"<html><body>{nav}<ul>{entries}</ul></body></html>"


def nested_listing(n: int) -> str:
    """Each entry nested in the previous one: re-reading ancestors costs O(n²) here."""
    opening = "".join(
        f'<div><a href="/bai-{i}.html">Bài {i}</a> 0{1 + i % 9}/01/2026 ' for i in range(n)
    )
    return f"<html><body>{opening}{'</div>' * n}</body></html>"


@pytest.mark.parametrize("build", [flat_listing, nested_listing])
def test_work_grows_linearly_with_the_page(build: object) -> None:
    assert callable(build)
    small, large = 250, 4000
    work_small = read_listing(build(small), "https://bao.vn/").work
    work_large = read_listing(build(large), "https://bao.vn/").work
    page_ratio = len(build(large)) / len(build(small))
    # Quadratic work would be 16 times the page ratio; linear stays at about the page ratio.
    assert work_large / work_small < 1.25 * page_ratio


def test_a_two_thousand_link_listing_is_read_whole() -> None:
    links = dated_links(flat_listing(2000), "https://bao.vn/")
    assert len(links) == 4001  # home link + image and headline per entry
    assert all(d is not None for u, d in links if "/bai-" in u)


# --- next page ------------------------------------------------------------------------------

NEXT_CASES = [
    ('<link rel="next" href="/c/page/2/">', "https://bao.vn/c/page/2/"),
    ('<a rel="nofollow next" href="?page=2">Sau</a>', "https://bao.vn/c/?page=2"),
    # WordPress.
    (
        '<nav class="navigation pagination"><div class="nav-links"><span aria-current="page" '
        'class="page-numbers current">1</span><a class="page-numbers" href="/c/page/2/">2</a>'
        '<a class="next page-numbers" href="/c/page/2/">Trang sau »</a></div></nav>',
        "https://bao.vn/c/page/2/",
    ),
    # Bootstrap: the active item, then the next number.
    (
        '<ul class="pagination"><li><a href="/c/p1">1</a></li><li class="active"><a href="/c/p2">'
        '2</a></li><li><a href="/c/p3">3</a></li></ul>',
        "https://bao.vn/c/p3",
    ),
    # A number that is not a link marks the current page.
    (
        '<div id="phantrang"><a href="/c/trang-1">1</a><strong>2</strong><a href="/c/trang-3">3</a>'
        '<a href="/c/trang-9">»</a></div>',
        "https://bao.vn/c/trang-3",
    ),
    # Words.
    ('<div class="paging"><a href="/c/?trang=5">Trang sau</a></div>', "https://bao.vn/c/?trang=5"),
    ('<p><a href="/c/?trang=5">Trang tiếp »</a></p>', "https://bao.vn/c/?trang=5"),
    ('<div class="pager"><a href="/c/?trang=2">›</a></div>', "https://bao.vn/c/?trang=2"),
    # Nothing marks the current page: the URL's page number does (?page=3 → 4).
    (
        '<div class="pages"><a href="?page=2">2</a><a href="?page=4">4</a>'
        '<a href="?page=5">5</a></div>',
        "https://bao.vn/c/?page=4",
    ),
]


@pytest.mark.parametrize(("markup", "expected"), NEXT_CASES)
def test_next_page(markup: str, expected: str) -> None:
    url = "https://bao.vn/c/?page=3" if "?page=4" in markup else "https://bao.vn/c/"
    page = f"<html><head></head><body><ul><li><a href='/a'>A</a></li></ul>{markup}</body></html>"
    assert next_page(page, url) == expected


@pytest.mark.parametrize(
    "markup",
    [
        '<div class="pager"><a href="/c/?trang=9">»</a></div>',  # "»" is the last page too often
        '<div class="slider"><a href="/anh-2">›</a></div>',  # a gallery's arrow
        '<div class="pagination"><a href="javascript:void(0)">Trang sau</a></div>',
        '<a class="next" href="#">Sau</a>',
        '<a rel="next" href="/c/">next</a>',  # the page itself
    ],
)
def test_no_next_page(markup: str) -> None:
    page = f"<html><body><p>x</p>{markup}</body></html>"
    assert next_page(page, "https://bao.vn/c/") is None
