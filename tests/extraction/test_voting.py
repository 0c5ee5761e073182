"""Title, date and authors cross-checked between sources; every choice explained."""

from __future__ import annotations

import pytest

from crawler.extraction import Explanation, extract
from crawler.extraction.voting import is_organisation, people

HEADLINE = "Nông dân Hà Tĩnh ra đồng gieo cấy lúa xuân sớm hơn mọi năm"
BODY = (
    "<p>Sáng nay, hàng nghìn nông dân ở các huyện đồng bằng đã ra đồng gieo cấy lúa xuân, "
    "sớm hơn mọi năm khoảng một tuần nhờ thời tiết thuận lợi.</p>"
    "<p>Ngành nông nghiệp khuyến cáo bà con sử dụng giống ngắn ngày, chủ động nước tưới và "
    "theo dõi sát diễn biến thời tiết để phòng chống rét cho mạ.</p>"
)


def page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html lang='vi'><head>{head}</head><body>{body}</body></html>"


def meta_title(value: str = HEADLINE) -> str:
    return (
        f'<meta property="og:title" content="{value}">'
        f"<title>{value} - Báo Hà Tĩnh</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "'
        f'{value}", "datePublished": "2025-02-03"}}</script>'
    )


def test_breadcrumb_h1_never_wins_over_the_headline() -> None:
    html = page(
        meta_title(),
        '<div class="cate"><h1><a href="/thoi-su/">THỜI SỰ</a> &gt; '
        '<a href="/thoi-su/ha-tinh/">Hà Tĩnh</a></h1></div>'
        f"<h1>{HEADLINE}</h1><article>{BODY}</article>",
    )
    explain = Explanation()
    article = extract(html, "https://unknown-paper.vn/tin-a-123456.html", explain=explain)
    assert article.title == HEADLINE
    rejected = {c.value: c.rejected for c in explain.fields["title"].candidates}
    assert rejected["THỜI SỰ > Hà Tĩnh"] == "breadcrumb trail"


@pytest.mark.parametrize(
    "section",
    [
        '<h1><a href="/kinh-te/">KINH TẾ</a></h1>',
        '<h1 class="logo"><a href="/">Báo Hà Tĩnh</a></h1>',
        "<nav><h1>Thời sự</h1></nav>",
    ],
)
def test_section_and_site_names_never_win(section: str) -> None:
    html = page(meta_title(), f"{section}<article>{BODY}</article>")
    assert extract(html, "https://unknown-paper.vn/tin-a-123456.html").title == HEADLINE


def test_visible_headline_reworded_in_metadata_is_the_title() -> None:
    shown = "Nông dân Hà Tĩnh xuống đồng gieo cấy lúa xuân sớm hơn mọi năm"
    html = page(meta_title(), f"<h1>{shown}</h1><article>{BODY}</article>")
    assert extract(html, "https://unknown-paper.vn/tin-a-123456.html").title == shown


def test_headline_outside_h1_is_found_by_its_metadata_title() -> None:
    html = page(
        meta_title(HEADLINE + " "),
        f'<div class="title-detail">{HEADLINE}</div>'
        '<div class="meta"><span>Thu Hà - 03/02/2025 07:45</span></div>'
        f"<div class='content'>{BODY}</div>",
    )
    explain = Explanation()
    article = extract(html, "https://unknown-paper.vn/tin-a-123456.html", explain=explain)
    assert article.title == HEADLINE
    # The date printed next to it is more precise than the JSON-LD day, and wins.
    assert article.published_at == "2025-02-03T07:45:00+07:00"
    assert explain.fields["published_at"].source == "visible text near the headline"


def test_visible_date_on_another_day_does_not_override_the_metadata() -> None:
    html = page(
        meta_title(),
        f"<h1>{HEADLINE}</h1><p class='today'>Thứ Tư, 05/02/2025 09:00</p><article>{BODY}"
        "</article>",
    )
    article = extract(html, "https://unknown-paper.vn/tin-a-123456.html")
    assert article.published_at == "2025-02-03"


def test_only_visible_text_gives_the_date() -> None:
    html = page(
        f"<title>{HEADLINE}</title>",
        f"<h1>{HEADLINE}</h1><div>Cập nhật lúc 10:00 04/02/2025</div>"
        f"<div>Thứ Hai, 03/02/2025 | 07:30</div><article>{BODY}</article>",
    )
    assert (
        extract(html, "https://unknown-paper.vn/tin-a-123456.html").published_at
        == "2025-02-03T07:30:00+07:00"
    )


@pytest.mark.parametrize(
    ("credit", "names"),
    [
        ("THUẬN VĂN, LÊ ÁNH", ["Thuận Văn", "Lê Ánh"]),
        ("Thuận Văn và Lê Ánh", ["Thuận Văn", "Lê Ánh"]),
        ("THUẬN VĂN - LÊ ÁNH", ["Thuận Văn", "Lê Ánh"]),
        ("Bài, ảnh: TRƯỜNG SƠN", ["Trường Sơn"]),
        ("Hà Thu (tổng hợp)", ["Hà Thu"]),
        ("Theo Hồ Hương", ["Hồ Hương"]),
        ("Báo Lào Cai điện tử", []),
        ("Theo TTXVN", []),
        ("VnExpress", []),
    ],
)
def test_authors_split_and_organisations_rejected(credit: str, names: list[str]) -> None:
    kept, _ = people([credit], ("Báo Hà Tĩnh", "baohatinh.vn"))
    assert kept == names


def test_outlet_names_are_never_authors() -> None:
    assert is_organisation("Báo Hà Tĩnh", ("Báo Hà Tĩnh",))
    assert is_organisation("baohatinh.vn")
    assert not is_organisation("Nguyễn Văn An")


def test_jsonld_organisation_author_is_not_a_person() -> None:
    head = (
        f"<title>{HEADLINE}</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "'
        f'{HEADLINE}", "author": {{"@type": "Organization", "name": "Minh Khôi"}}}}</script>'
        '<meta name="author" content="Báo Lào Cai điện tử">'
    )
    html = page(head, f"<h1>{HEADLINE}</h1><article>{BODY}</article>")
    assert extract(html, "https://baolaocai.vn/tin-post123456.html").authors == []


def test_byline_on_separate_lines_at_the_end_of_the_body() -> None:
    body = BODY + "<p><a href='#'>THUẬN VĂN</a></p><p><a href='#'>LÊ ÁNH</a></p>"
    html = page(meta_title(), f"<h1>{HEADLINE}</h1><div class='content'>{body}</div>")
    article = extract(html, "https://unknown-paper.vn/tin-a-123456.html")
    assert article.authors == ["Thuận Văn", "Lê Ánh"]
    assert "THUẬN VĂN" not in (article.body or "")
