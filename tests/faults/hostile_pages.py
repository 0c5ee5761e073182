"""The hostile site's content and markup: a plain WordPress-style Vietnamese news site.

Independent of the project's fake outlets on purpose (its own markup, its own text), so a
crawl of it tests the crawler rather than our picture of the outlets. Stories are generated
from a seed: a headline, a lead and paragraphs of varied Vietnamese words (varied enough
that no two stories look like near duplicates), an author, a category and dates.
"""

from __future__ import annotations

import html
import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

SITE_NAME = "Tin Tỉnh Nhà"
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("thoi-su", "Thời sự"),
    ("kinh-te", "Kinh tế"),
    ("xa-hoi", "Xã hội"),
    ("the-thao", "Thể thao"),
)
AUTHORS = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Nam", "Phạm Thu Hà", "Võ Minh Tuấn")
PER_PAGE = 10
"""Stories per listing page (home, category)."""

# Words of provincial news, split once (a list literal of 350 words would be 350 lines).
_WORDS = (  # noqa: SIM905
    "tỉnh huyện xã phường thị trấn người dân ủy ban nhân dân hội đồng kinh tế xã hội phát "
    "triển dự án công trình giao thông nông nghiệp sản xuất doanh nghiệp thị trường giá lúa "
    "gạo cà phê hồ tiêu thanh long tôm cá mưa bão lũ lụt hạn hán trường học học sinh giáo "
    "viên bệnh viện bác sĩ y tế cán bộ hội nghị triển khai kế hoạch tăng giảm đạt vượt hoàn "
    "thành đầu tư vốn ngân sách tỷ đồng triệu đồng cây rừng biển cảng đường cầu điện nước "
    "sạch an toàn thực phẩm du lịch văn hóa lễ hội thể thao bóng đá giải vô địch công an điều "
    "tra vụ việc xử lý vi phạm tai nạn xe máy ô tô hàng hóa xuất khẩu nhập khẩu chợ siêu thị "
    "nhà máy khu công nghiệp lao động việc làm thu nhập hộ nghèo chính sách hỗ trợ gia đình "
    "trẻ em phụ nữ thanh niên người cao tuổi chiến sĩ biên phòng ngư dân tàu cá vùng sâu vùng "
    "xa miền núi đồng bằng sông ngòi kênh mương đê điều hồ chứa thủy lợi mùa vụ thu hoạch "
    "năng suất sản lượng chất lượng thương hiệu sản phẩm đặc sản làng nghề truyền thống di "
    "tích lịch sử bảo tàng nghệ thuật sân khấu âm nhạc triển lãm hội thảo khoa học công nghệ "
    "chuyển đổi số dịch vụ công trực tuyến hồ sơ thủ tục hành chính quy hoạch đất đai nhà ở "
    "tái định cư bồi thường giải phóng mặt bằng thi công nghiệm thu bàn giao khánh thành khởi "
    "công trao tặng khen thưởng kỷ niệm tuyên truyền vận động kiểm tra giám sát thanh tra "
    "kiến nghị đề xuất giải pháp khó khăn vướng mắc tháo gỡ thuận lợi hiệu quả bền vững môi "
    "trường rác thải ô nhiễm cây xanh năng lượng mặt trời gió điện lực viễn thông internet "
    "điện thoại ngân hàng tín dụng lãi suất tiết kiệm bảo hiểm lương hưu trợ cấp khám chữa "
    "bệnh tiêm chủng dịch bệnh phòng chống sốt xuất huyết"
).split()
_PREFIXES = (
    "Sáng nay",
    "Chiều qua",
    "Theo báo cáo",
    "Trong năm",
    "Tại buổi làm việc",
    "Đến nay",
    "Thời gian qua",
    "Cũng theo ông",
    "Bên cạnh đó",
    "Ngoài ra",
)


@dataclass(frozen=True)
class Story:
    """One article of the hostile site."""

    slug: str
    """Last path segment (at least 12 characters: looks like an article slug)."""

    title: str
    published: datetime
    """Publication time shown everywhere (aware, +07:00)."""

    modified: datetime
    category: tuple[str, str]
    """(slug, name)."""

    author: str
    lead: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...] = ()
    date_override: str | None = None
    """A raw date string written instead of ``published`` in JSON-LD, meta and the page
    (absurd dates: "9999-12-31T23:59:59-05:00", "1900-01-01T00:00:00+07:00")."""

    day_path: str | None = None
    """The ``/YYYY/MM/DD`` prefix of the path, when not the publication day's."""

    @property
    def path(self) -> str:
        """``/YYYY/MM/DD/slug/`` (WordPress permalinks)."""
        day = self.day_path or self.published.strftime("/%Y/%m/%d")
        return f"{day}/{self.slug}/"

    @property
    def published_text(self) -> str:
        """The publication time as written in JSON-LD and meta tags."""
        return self.date_override or self.published.isoformat(timespec="seconds")

    @property
    def printed(self) -> str:
        """The publication time as the page prints it ("12/01/2026 08:30")."""
        if self.date_override:
            value = datetime.fromisoformat(self.date_override)
            return value.strftime("%d/%m/%Y %H:%M")
        return self.published.strftime("%d/%m/%Y %H:%M")


def headline(rng: random.Random) -> str:
    """A headline of 8 to 13 words."""
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(8, 14)))
    return words[0].upper() + words[1:]


def _sentence(rng: random.Random, words: int) -> str:
    chosen = " ".join(rng.choice(_WORDS) for _ in range(words))
    if rng.random() < 0.35:
        chosen = f"{rng.choice(_PREFIXES)}, {chosen}"
    number = rng.randrange(2, 980)
    chosen = chosen.replace(" tỷ ", f" {number} tỷ ", 1)
    return chosen[0].upper() + chosen[1:] + "."


def make_story(
    seed: int,
    published: datetime,
    *,
    slug: str | None = None,
    date_override: str | None = None,
    day_path: str | None = None,
    body: bool = True,
) -> Story:
    """A story generated from ``seed`` (the same seed gives the same story); ``body=False``
    leaves the paragraphs out (a listing entry needs none)."""
    rng = random.Random(seed * 7919 + 17)
    title = headline(rng)
    lead = _sentence(rng, rng.randrange(18, 30))
    paragraphs = tuple(
        " ".join(_sentence(rng, rng.randrange(12, 26)) for _ in range(rng.randrange(2, 5)))
        for _ in range(rng.randrange(5, 9) if body else 0)
    )
    return Story(
        slug=slug or f"{_slugify(title)[:60].rstrip('-')}-{seed}",
        title=title,
        published=published,
        modified=published + timedelta(minutes=rng.randrange(0, 90)),
        category=CATEGORIES[seed % len(CATEGORIES)],
        author=AUTHORS[seed % len(AUTHORS)],
        lead=lead,
        paragraphs=paragraphs,
        tags=tuple(sorted({rng.choice(_WORDS) for _ in range(3)})),
        date_override=date_override,
        day_path=day_path,
    )


_ASCII = str.maketrans(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ",
    "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd",
)


def _slugify(text: str) -> str:
    ascii_text = text.lower().translate(_ASCII)
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def _e(text: str) -> str:
    return html.escape(text, quote=True)


# --- pages ----------------------------------------------------------------------------------


@dataclass
class Chrome:
    """What every page shares: the site's origin, today's date, the recent-posts widget."""

    origin: str
    today: datetime
    recent: Sequence[Story] = field(default_factory=tuple)

    def url(self, path: str) -> str:
        return self.origin + path


def _header(chrome: Chrome) -> str:
    menu = "".join(
        f'<li><a href="/category/{slug}/">{_e(name)}</a></li>' for slug, name in CATEGORIES
    )
    return (
        '<header id="masthead" class="site-header"><div class="site-branding">'
        f'<p class="site-title"><a href="/" rel="home">{_e(SITE_NAME)}</a></p>'
        # WordPress themes print today's date in the header: not a listing date.
        f'<p class="site-date">{_weekday(chrome.today)}, {chrome.today:%d/%m/%Y}</p></div>'
        f'<nav id="site-navigation" class="main-navigation"><ul class="menu">'
        f'<li><a href="/">Trang chủ</a></li>{menu}</ul></nav></header>'
    )


def _sidebar(chrome: Chrome) -> str:
    items = "".join(
        f'<li><a href="{chrome.url(s.path)}">{_e(s.title)}</a></li>' for s in chrome.recent[:5]
    )
    return (
        '<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries">'
        f'<h2 class="widget-title">Bài mới</h2><ul>{items}</ul></section>'
        '<section class="widget widget_text"><h2 class="widget-title">Liên hệ</h2>'
        "<p>Đường dây nóng: 0912 345 678</p></section></aside>"
    )


def _footer() -> str:
    return (
        '<footer id="colophon" class="site-footer"><div class="site-info">'
        f"© {_e(SITE_NAME)}. Giấy phép số 123/GP-BTTTT cấp ngày 01/02/2020. "
        '<a href="/lien-he/">Liên hệ quảng cáo</a></div></footer>'
    )


def _page(chrome: Chrome, title: str, head: str, body_class: str, main: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="UTF-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title>"
        f'<link rel="alternate" type="application/rss+xml" title="{_e(SITE_NAME)} » Feed" '
        f'href="{chrome.url("/feed/")}">{head}'
        "<style>.site-header{background:#fff}</style></head>"
        f'<body class="{body_class}"><div id="page" class="site">{_header(chrome)}'
        f'<div id="content" class="site-content"><main id="main" class="site-main">{main}</main>'
        f"{_sidebar(chrome)}</div>{_footer()}</div>"
        '<script>window.wpData = {"date": "01/01/2020"};</script></body></html>'
    ).encode()


def _weekday(day: datetime) -> str:
    return ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")[
        day.weekday()
    ]


def article_page(chrome: Chrome, story: Story, related: Sequence[Story] = ()) -> bytes:
    """A single-post page: JSON-LD NewsArticle, Open Graph, ``article:*`` meta, the story."""
    url = chrome.url(story.path)
    category_slug, category_name = story.category
    jsonld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.lead,
        "datePublished": story.published_text,
        "dateModified": story.date_override or story.modified.isoformat(timespec="seconds"),
        "author": {"@type": "Person", "name": story.author},
        "publisher": {"@type": "Organization", "name": SITE_NAME},
        "mainEntityOfPage": url,
        "articleSection": category_name,
    }
    head = (
        f'<link rel="canonical" href="{url}">'
        f'<meta name="description" content="{_e(story.lead)}">'
        f'<meta property="og:type" content="article"><meta property="og:url" content="{url}">'
        f'<meta property="og:title" content="{_e(story.title)}">'
        f'<meta property="og:site_name" content="{_e(SITE_NAME)}">'
        f'<meta property="article:published_time" content="{_e(story.published_text)}">'
        f'<meta property="article:section" content="{_e(category_name)}">'
        '<script type="application/ld+json">'
        + json.dumps(jsonld, ensure_ascii=False).replace("</", "<\\/")
        + "</script>"
    )
    paragraphs = "".join(f"<p>{_e(p)}</p>" for p in story.paragraphs)
    tags = ", ".join(f'<a href="/tag/{_slugify(t)}/" rel="tag">{_e(t)}</a>' for t in story.tags)
    related_items = "".join(
        f'<li><a href="{chrome.url(r.path)}">{_e(r.title)}</a> <span>{r.printed}</span></li>'
        for r in related
    )
    main = (
        f'<article id="post-{zlib.crc32(story.slug.encode()) % 100000}" class="post type-post '
        f'status-publish format-standard category-{category_slug}">'
        '<header class="entry-header"><span class="cat-links">'
        f'<a href="/category/{category_slug}/" rel="category tag">{_e(category_name)}</a></span>'
        f'<h1 class="entry-title">{_e(story.title)}</h1><div class="entry-meta">'
        f'<span class="posted-on"><time class="entry-date published" '
        f'datetime="{_e(story.published_text)}">{story.printed}</time></span> '
        f'<span class="byline">bởi <span class="author vcard"><a class="url fn n" '
        f'href="/author/{_slugify(story.author)}/">{_e(story.author)}</a></span></span>'
        "</div></header>"
        f'<div class="entry-content"><p><strong>{_e(story.lead)}</strong></p>{paragraphs}'
        f'<p style="text-align:right"><strong>{_e(story.author)}</strong></p>'
        '<div class="sharedaddy"><h3 class="sd-title">Chia sẻ:</h3><ul><li>'
        '<a href="#" class="share-facebook">Facebook</a></li><li>'
        '<a href="#" class="share-zalo">Zalo</a></li></ul></div></div>'
        f'<footer class="entry-footer"><span class="tags-links">Thẻ: {tags}</span></footer>'
        "</article>"
        '<section class="related-posts"><h3 class="related-title">Tin liên quan</h3>'
        f"<ul>{related_items}</ul></section>"
        '<div id="comments" class="comments-area"><h2 class="comments-title">Bình luận</h2>'
        '<p class="no-comments">Chưa có bình luận nào.</p></div>'
    )
    return _page(chrome, f"{story.title} – {SITE_NAME}", head, "post-template-default single", main)


def listing_page(
    chrome: Chrome,
    title: str,
    stories: Sequence[Story],
    page: int,
    pages: int,
    page_path: str,
    extra: str = "",
) -> bytes:
    """A blog index / category archive: entries with printed dates and WordPress pagination.

    ``page_path(n)`` is ``{base}page/{n}/`` as WordPress writes it."""
    entries = "".join(_entry(chrome, s) for s in stories)
    return _page(
        chrome,
        f"{title} – {SITE_NAME}" + (f" – Trang {page}" if page > 1 else ""),
        _rel_links(chrome, page, pages, page_path),
        "archive category" if page_path != "/" else "home blog",
        f'<header class="page-header"><h1 class="page-title">{_e(title)}</h1></header>'
        f"{entries}{_pagination(page, pages, page_path)}{extra}",
    )


def _entry(chrome: Chrome, story: Story) -> str:
    url = chrome.url(story.path)
    slug, name = story.category
    return (
        f'<article class="post type-post category-{slug}"><header class="entry-header">'
        f'<h2 class="entry-title"><a href="{url}" rel="bookmark">{_e(story.title)}</a></h2>'
        '<div class="entry-meta"><span class="posted-on">'
        f'<time class="entry-date published" datetime="{_e(story.published_text)}">'
        f"{story.printed}</time></span> "
        f'<span class="cat-links"><a href="/category/{slug}/" rel="category tag">{_e(name)}</a>'
        "</span></div></header>"
        f'<div class="entry-summary"><p>{_e(story.lead)}</p></div></article>'
    )


def _page_url(page_path: str, page: int) -> str:
    return page_path if page == 1 else f"{page_path}page/{page}/"


def _rel_links(chrome: Chrome, page: int, pages: int, page_path: str) -> str:
    links = ""
    if page > 1:
        links += f'<link rel="prev" href="{chrome.url(_page_url(page_path, page - 1))}">'
    if page < pages:
        links += f'<link rel="next" href="{chrome.url(_page_url(page_path, page + 1))}">'
    return links


def _pagination(page: int, pages: int, page_path: str) -> str:
    if pages <= 1:
        return ""
    items: list[str] = []
    if page > 1:
        previous = _page_url(page_path, page - 1)
        items.append(f'<a class="prev page-numbers" href="{previous}">« Trang trước</a>')
    for number in range(1, pages + 1):
        if number == page:
            items.append(f'<span aria-current="page" class="page-numbers current">{number}</span>')
        elif abs(number - page) <= 2 or number in (1, pages):
            items.append(
                f'<a class="page-numbers" href="{_page_url(page_path, number)}">{number}</a>'
            )
    if page < pages:
        items.append(
            f'<a class="next page-numbers" href="{_page_url(page_path, page + 1)}">Trang sau »</a>'
        )
    return (
        '<nav class="navigation pagination" aria-label="Phân trang">'
        f'<div class="nav-links">{"".join(items)}</div></nav>'
    )


def big_listing_page(
    chrome: Chrome, stories: Sequence[Story], page: int, pages: int, path: str
) -> bytes:
    """One very long listing page (thousands of entries) with ``?page=N`` pagination."""
    entries = "".join(_entry(chrome, s) for s in stories)
    nav = ""
    if page < pages:
        nav = (
            '<nav class="navigation pagination"><div class="nav-links">'
            f'<span aria-current="page" class="page-numbers current">{page}</span>'
            f'<a class="page-numbers" href="{path}?page={page + 1}">{page + 1}</a>'
            f'<a class="next page-numbers" href="{path}?page={page + 1}">Trang sau »</a>'
            "</div></nav>"
        )
    return _page(chrome, f"Lưu trữ – {SITE_NAME}", "", "archive", f"{entries}{nav}")


def not_found_page(chrome: Chrome) -> bytes:
    """WordPress's 404 template (served with 200 for a soft 404, 404 otherwise)."""
    return _page(
        chrome,
        f"Không tìm thấy trang – {SITE_NAME}",
        "",
        "error404",
        '<section class="error-404 not-found"><header class="page-header">'
        '<h1 class="page-title">Rất tiếc! Không tìm thấy trang này.</h1></header>'
        '<div class="page-content"><p>Có vẻ như không có gì ở địa chỉ này. '
        'Hãy thử tìm kiếm?</p><form role="search" action="/"><input name="s"></form></div>'
        "</section>",
    )


# --- feeds and sitemaps ---------------------------------------------------------------------

SM_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def rss(chrome: Chrome, stories: Iterable[Story]) -> bytes:
    """RSS 2.0 of the given stories."""
    items = "".join(
        f"<item><title>{_e(s.title)}</title><link>{chrome.url(s.path)}</link>"
        f'<guid isPermaLink="true">{chrome.url(s.path)}</guid>'
        f"<pubDate>{_rfc822(s)}</pubDate><dc:creator>{_e(s.author)}</dc:creator>"
        f"<category>{_e(s.category[1])}</category>"
        f"<description>{_e(s.lead)}</description></item>"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{_e(SITE_NAME)}</title><link>{chrome.origin}/</link>"
        f"<description>Tin tức</description><language>vi</language>{items}</channel></rss>\n"
    ).encode()


def _rfc822(story: Story) -> str:
    if story.date_override:
        try:
            return format_datetime(datetime.fromisoformat(story.date_override))
        except ValueError:
            return story.date_override
    return format_datetime(story.published)


def sitemap_index(entries: Iterable[tuple[str, str | None]]) -> bytes:
    """A ``<sitemapindex>`` of (url, lastmod)."""
    rows = "".join(
        f"<sitemap><loc>{_e(url)}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for url, lastmod in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SM_NS}">{rows}'
        "</sitemapindex>\n"
    ).encode()


def urlset(chrome: Chrome, stories: Iterable[Story], *, news: bool = False) -> bytes:
    """A ``<urlset>`` of stories (``lastmod`` = modification time; Google News tags)."""
    rows: list[str] = []
    for s in stories:
        lastmod = s.date_override or s.modified.isoformat(timespec="seconds")
        extra = ""
        if news:
            extra = (
                f"<news:news><news:publication><news:name>{_e(SITE_NAME)}</news:name>"
                "<news:language>vi</news:language></news:publication>"
                f"<news:publication_date>{s.published_text}</news:publication_date>"
                f"<news:title>{_e(s.title)}</news:title></news:news>"
            )
        rows.append(
            f"<url><loc>{chrome.url(s.path)}</loc><lastmod>{lastmod}</lastmod>{extra}</url>\n"
        )
    namespaces = f' xmlns:news="{NEWS_NS}"' if news else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SM_NS}"{namespaces}>\n'
        + "".join(rows)
        + "</urlset>\n"
    ).encode("utf-8")


def robots_txt(origin: str, sitemaps: Iterable[str]) -> bytes:
    """WordPress's robots.txt, naming the sitemaps (absolute URLs, as Yoast writes them)."""
    lines = ["User-agent: *", "Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php", ""]
    lines += [f"Sitemap: {origin}{path}" for path in sitemaps]
    return ("\n".join(lines) + "\n").encode("utf-8")
