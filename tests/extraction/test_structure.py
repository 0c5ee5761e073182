"""Boilerplate inside the body found by structure; captions and credits found by position.

Pages here use markup no template names (class names are made up): the rules must find the
boxes by what they are. Each removal must be explained with its rule.
"""

from __future__ import annotations

import pytest

from crawler.extraction import Explanation, extract

URL = "https://baoxyz.vn/nong-dan-ra-dong-gieo-cay-lua-xuan-post100200.html"
TITLE = "Nông dân ra đồng gieo cấy lúa xuân sớm hơn mọi năm"
P1 = (
    "Sáng nay, hàng nghìn nông dân ở các huyện đồng bằng đã ra đồng gieo cấy lúa xuân, sớm "
    "hơn mọi năm khoảng một tuần nhờ thời tiết thuận lợi và nguồn nước dồi dào."
)
P2 = (
    "Ngành nông nghiệp khuyến cáo bà con sử dụng giống ngắn ngày, chủ động nước tưới và theo "
    "dõi sát diễn biến thời tiết để phòng chống rét cho mạ trong những ngày tới."
)
P3 = (
    "Theo kế hoạch, toàn tỉnh gieo cấy hơn năm mươi nghìn héc-ta lúa xuân, trong đó diện tích "
    "lúa chất lượng cao chiếm khoảng một phần ba, tập trung ở các vùng chuyên canh."
)
RELATED = (
    (
        "Hà Tĩnh chủ động phòng chống rét cho lúa và gia súc",
        "/ha-tinh-phong-chong-ret-post100101.html",
    ),
    ("Giá phân bón tăng, nông dân tính toán lại chi phí", "/gia-phan-bon-tang-post100102.html"),
    ("Mô hình cánh đồng lớn giúp nông dân giảm chi phí", "/mo-hinh-canh-dong-lon-post100103.html"),
)


def page(body: str) -> str:
    """An article page of a site without profile whose body is a made-up ``div.noi-dung``."""
    return (
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
        f"<title>{TITLE} - Báo XYZ</title><meta property='og:title' content='{TITLE}'>"
        "<meta property='og:site_name' content='Báo XYZ'>"
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"'
        f'{TITLE}","datePublished":"2025-02-03T07:30:00+07:00"}}</script>'
        f"</head><body><h1 class='tieu-de'>{TITLE}</h1>"
        # An EPI signature, so the page is read with that template; the boxes inside the
        # body are made up and no selector of the template names them.
        f"<div class='cms-body' itemprop='articleBody'>{body}</div></body></html>"
    )


def links(items: tuple[tuple[str, str], ...] = RELATED) -> str:
    return "".join(f"<li><a href='{href}'>{text}</a></li>" for text, href in items)


def read(body: str) -> tuple[str, Explanation]:
    explain = Explanation()
    article = extract(page(body), URL, explain=explain)
    assert explain.path == "sniffed template epi"
    return article.body or "", explain


def rules(explain: Explanation) -> list[str]:
    return [p.rule for p in explain.pruned]


def assert_story_intact(text: str) -> None:
    assert text.split("\n") == [P1, P2, P3]


@pytest.mark.parametrize(
    "box",
    [
        f"<div class='xyz-1'><span>Dòng sự kiện:</span><ul>{links()}</ul></div>",
        f"<section><h4>Tin liên quan</h4><ul>{links()}</ul></section>",
        f"<div class='abc'><strong>Đọc thêm</strong>{links()}</div>",
        f"<aside><p>Xem thêm</p><ul>{links()}</ul></aside>",
        f"<div><b>Tin cùng chuyên mục</b><div>{links()}</div></div>",
    ],
)
def test_labelled_boxes_go(box: str) -> None:
    text, explain = read(f"<p>{P1}</p>{box}<p>{P2}</p><p>{P3}</p>")
    assert_story_intact(text)
    assert any(r.startswith("labelled box") for r in rules(explain))


def test_unlabelled_list_of_links_to_the_outlet_goes() -> None:
    text, explain = read(
        f"<p>{P1}</p><p>{P2}</p><div class='q9'><ul>{links()}</ul></div><p>{P3}</p>"
    )
    assert_story_intact(text)
    assert any(r.startswith("link-dense block") for r in rules(explain))


def test_inline_related_paragraph_goes_but_keyword_links_stay() -> None:
    title, href = RELATED[0]
    keyword = P2.replace("giống ngắn ngày", "<a href='/tag/giong-lua/'>giống ngắn ngày</a>")
    text, explain = read(
        f"<p>{P1}</p><p><a class='x-relate' href='{href}'>{title}</a></p>"
        f"<p>{keyword}</p><p>{P3}</p>"
    )
    assert_story_intact(text)
    assert "inline link to this outlet" in rules(explain)


def test_read_more_line_goes() -> None:
    title, href = RELATED[1]
    text, _ = read(
        f"<p>{P1}</p><p><strong>Xem thêm:</strong> <a href='{href}'>{title}</a></p>"
        f"<p>{P2}</p><p>{P3}</p>"
    )
    assert_story_intact(text)


def test_ad_slots_by_the_shape_of_their_ids() -> None:
    text, explain = read(
        f"<p>{P1}</p><div id='sdaWeb_AdsArticleMiddle'><span>Quảng cáo</span></div>"
        f"<p>{P2}</p><div class='qc-inread'>Quảng cáo</div><p>{P3}</p>"
    )
    assert_story_intact(text)
    assert rules(explain).count("ad slot (id/class)") == 2


def test_style_script_noscript_and_hidden_text_never_count() -> None:
    text, _ = read(
        "<style>.t1 { text-align: right; }</style>"
        f"<p>{P1}</p><script>var x = 'Tin nóng';</script><noscript>Bật JavaScript</noscript>"
        f"<p>{P2}</p><div style='display:none'>Đang tải...</div><p>{P3}</p>"
    )
    assert_story_intact(text)


def test_box_addressed_to_the_readers_goes_a_sentence_saying_it_stays() -> None:
    sentence = (
        "Nhà xuất bản cũng giới thiệu tới độc giả bộ sách về kỹ thuật canh tác lúa của các "
        "chuyên gia đầu ngành, phát hành trong tháng này."
    )
    text, explain = read(
        f"<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{sentence}</p>"
        "<div class='n'><p>Báo XYZ trân trọng giới thiệu tới bạn đọc tủ sách nông nghiệp.</p>"
        "<p>Mỗi cuốn sách là một cẩm nang cho nhà nông.</p></div>"
    )
    assert text.split("\n") == [P1, P2, P3, sentence]
    assert "box addressed to the readers (a promotion)" in rules(explain)


def test_link_rules_never_empty_the_article() -> None:
    # Every paragraph is one link to the outlet: the link rules stop before the end.
    body = "".join(f"<p><a href='{h}'>{t}. {P1}</a></p>" for t, h in RELATED)
    text, _ = read(body)
    assert P1 in text


def test_italic_line_under_a_picture_is_its_caption() -> None:
    explain = Explanation()
    html = page(
        f"<p>{P1}</p><p style='text-align:center'><img src='/a.jpg'></p>"
        "<p style='text-align:center'><em>Nông dân xã Thạch Hà gieo mạ sáng 3/2.</em></p>"
        "<p>Ảnh: Thu Hà</p>"
        f"<p>{P2}</p><p>{P3}</p><p>Ảnh: Báo XYZ</p>"
    )
    article = extract(html, URL, explain=explain)
    assert article.images == [
        {
            "url": "https://baoxyz.vn/a.jpg",
            "caption": "Nông dân xã Thạch Hà gieo mạ sáng 3/2. Ảnh: Thu Hà",
        }
    ]
    assert_story_intact(article.body or "")
    assert "photo credit line" in rules(explain)


def test_credit_line_right_after_a_picture_is_its_caption() -> None:
    article = extract(
        page(
            f"<p>{P1}</p><figure><img src='/b.jpg'></figure><p>Ảnh: Minh Khôi</p>"
            f"<p>{P2}</p><p>{P3}</p>"
        ),
        URL,
    )
    assert [i["caption"] for i in article.images] == ["Ảnh: Minh Khôi"]
    assert_story_intact(article.body or "")


def test_text_under_a_picture_that_is_not_set_apart_stays_text() -> None:
    article = extract(
        page(
            f"<p>{P1}</p><figure><img src='/c.jpg'><figcaption></figcaption></figure>"
            f"<p>{P2}</p><p>{P3}</p>"
        ),
        URL,
    )
    assert_story_intact(article.body or "")
    assert [i["caption"] for i in article.images] == [None]


def test_suspicious_blocks_left_are_reported() -> None:
    half = " ".join(f"<a href='https://other.vn/{i}'>liên kết số {i}</a>" for i in range(4))
    text, explain = read(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>Các nguồn khác: {half}</p>")
    assert text.split("\n")[:3] == [P1, P2, P3]
    assert explain.suspicious and "link" in explain.suspicious[0][0]
