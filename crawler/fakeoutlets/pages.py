"""Non-article pages of the fake outlets: home and category listings, tag, video, e-paper,
search, "page not found" pages, in the chrome the article renderers use.

Listing pages print a date next to every entry and no other dates (no "today" strip, no
licence date in the footer), so a crawler can read how old a listing page is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.fakeoutlets.render.common import (
    ad_slot,
    anchor,
    dmy_hm,
    document,
    esc,
    imprint_lines,
    logo,
    nav_menu,
    page_scripts,
    thumb_src,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from crawler.fakeoutlets.sites import Site


@dataclass(frozen=True)
class ListItem:
    """One entry of a listing: linked title, time, teaser."""

    title: str
    href: str
    time: datetime | None = None
    teaser: str | None = None


@dataclass(frozen=True)
class ToolLinks:
    """Links every page header carries besides the menu: video, e-paper, search, a tag."""

    video: str
    epaper: str
    search: str
    tag: str
    tag_name: str


@dataclass(frozen=True)
class Look:
    """Class names a template uses on its listing pages."""

    body: str
    listing: str
    item: str
    stylesheet: str


LOOKS: dict[str, Look] = {
    "epi": Look("category-page epi", "box-category", "story", "/static/css/main.min.css"),
    "onecms": Look("category onecms", "sc-listing", "sc-item", "/static/css/onecms.css"),
    "tagdiv": Look(
        "category td-category", "td-ss-main-content", "td_module_wrap", "/wp-content/style.css"
    ),
    "haugiang": Look("category haugiang", "list-news", "news-item", "/css/site.css"),
    "cantho": Look("category cantho", "list-news", "news-item", "/css/style.css?v=2.3"),
}


def _head(
    site: Site,
    title: str,
    canonical: str,
    *,
    description: str = "",
    next_url: str | None = None,
    prev_url: str | None = None,
    robots: str = "index, follow",
) -> str:
    look = LOOKS[site.template]
    lines = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f'<meta name="description" content="{esc(description or site.slogan)}">',
        f'<meta name="robots" content="{esc(robots)}">',
        f'<link rel="canonical" href="{esc(canonical)}">',
    ]
    if prev_url:
        lines.append(f'<link rel="prev" href="{esc(prev_url)}">')
    if next_url:
        lines.append(f'<link rel="next" href="{esc(next_url)}">')
    lines += [
        f'<meta property="og:site_name" content="{esc(site.title)}">',
        '<meta property="og:type" content="website">',
        f'<meta property="og:title" content="{esc(title)}">',
        f'<meta property="og:url" content="{esc(canonical)}">',
        f'<link rel="stylesheet" href="{esc(site.absolute(look.stylesheet))}">',
    ]
    return "<head>\n" + "\n".join(lines) + "\n</head>"


def header(site: Site, tools: ToolLinks) -> str:
    """Logo, tool links (video, e-paper, search) and the main menu."""
    return "\n".join(
        [
            '<header class="site-header">',
            '<div class="header-top container">',
            logo(site, "header-logo"),
            f'<span class="weather">{esc(site.weather)}</span>',
            '<ul class="header-tools">',
            f"<li>{anchor(tools.video, 'Video', 'tool-video')}</li>",
            f"<li>{anchor(tools.epaper, 'Báo in', 'tool-epaper')}</li>",
            f"<li>{anchor(tools.search, 'Tìm kiếm', 'tool-search')}</li>",
            "</ul>",
            f'<form class="header-search" action="{esc(tools.search.split("?")[0])}">'
            '<input type="text" name="q" placeholder="Tìm kiếm"></form>',
            "</div>",
            '<nav class="main-menu">',
            nav_menu(site, "menu", "menu-item"),
            "</nav>",
            "</header>",
        ]
    )


def footer(site: Site) -> str:
    """Menu and imprint (without the dated licence line) and a "Go top" link."""
    imprint = [line for line in imprint_lines(site) if "Giấy phép" not in line]
    return "\n".join(
        [
            '<footer class="site-footer">',
            nav_menu(site, "footer-menu"),
            '<div class="footer-info">',
            *imprint,
            "</div>",
            '<a href="#" id="back-to-top" class="go-top" title="Lên đầu trang">Go top</a>',
            "</footer>",
        ]
    )


def list_html(items: Sequence[ListItem], look: Look) -> str:
    """The entries of a listing."""
    out: list[str] = []
    for item in items:
        parts = [
            f'<article class="{esc(look.item)}">',
            f'<a class="thumb" href="{esc(item.href)}" title="{esc(item.title)}">'
            f'<img src="{esc(thumb_src(item.href))}" alt="{esc(item.title)}" loading="lazy"></a>',
            f'<h3 class="title">{anchor(item.href, item.title)}</h3>',
        ]
        if item.time is not None:
            parts.append(f'<span class="time">{dmy_hm(item.time)}</span>')
        if item.teaser:
            parts.append(f'<p class="sapo">{esc(item.teaser)}</p>')
        parts.append("</article>")
        out.append("".join(parts))
    return f'<div class="{esc(look.listing)}">\n' + "\n".join(out) + "\n</div>"


def pager(page: int, prev_url: str | None, next_url: str | None) -> str:
    """The page links under a listing (``a[rel=next]``)."""
    parts = ['<div class="pagination">']
    if prev_url:
        parts.append(f'<a class="prev" rel="prev" href="{esc(prev_url)}">Trang trước</a>')
    parts.append(f'<span class="current">Trang {page}</span>')
    if next_url:
        parts.append(f'<a class="next" rel="next" href="{esc(next_url)}">Trang sau</a>')
    parts.append("</div>")
    return "".join(parts)


def _titled_links(heading: str, items: Sequence[ListItem], cls: str) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{anchor(i.href, i.title)}</li>" for i in items)
    title = f'<h3 class="box-title">{esc(heading)}</h3>'
    return f'<div class="{esc(cls)}">\n{title}\n<ul>{lis}</ul>\n</div>'


def listing_page(
    site: Site,
    tools: ToolLinks,
    *,
    heading: str,
    canonical: str,
    items: Sequence[ListItem],
    page: int,
    prev_url: str | None,
    next_url: str | None,
    extra: Sequence[ListItem] = (),
    most_read: Sequence[ListItem] = (),
    tags: Sequence[ListItem] = (),
) -> str:
    """A home, category or tag listing page."""
    look = LOOKS[site.template]
    title = f"{heading} - {site.title}" if heading != site.title else site.title
    if page > 1:
        title = f"{heading} - Trang {page} - {site.title}"
    body = "\n".join(
        p
        for p in (
            header(site, tools),
            '<main class="site-content container">',
            f'<h1 class="category-title">{esc(heading)}</h1>',
            '<div class="layout">',
            '<div class="main-col">',
            list_html(items, look),
            pager(page, prev_url, next_url),
            _titled_links("Có thể bạn quan tâm", extra, "box box-more"),
            "</div>",
            '<aside class="sidebar">',
            _titled_links("Đọc nhiều", most_read, "box box-most-read"),
            _titled_links("Sự kiện nổi bật", tags, "box box-events"),
            ad_slot("sidebar-300x600", "ads ads-sidebar"),
            "</aside>",
            "</div>",
            "</main>",
            footer(site),
            page_scripts(site, ("/static/js/main.min.js",)),
        )
        if p
    )
    head = _head(
        site,
        title,
        canonical,
        description=f"{heading}: tin tức mới nhất của {site.title}",
        next_url=next_url,
        prev_url=prev_url,
    )
    return document(head, body, look.body)


def simple_page(
    site: Site,
    tools: ToolLinks,
    *,
    heading: str,
    canonical: str,
    inner: str,
    body_class: str,
    robots: str = "index, follow",
) -> str:
    """A page with the site chrome, one heading and some content (no article body)."""
    body = "\n".join(
        [
            header(site, tools),
            f'<main class="site-content container {esc(body_class)}">',
            f'<h1 class="page-title">{esc(heading)}</h1>',
            inner,
            "</main>",
            footer(site),
        ]
    )
    head = _head(site, f"{heading} - {site.title}", canonical, robots=robots)
    return document(head, body, f"{body_class} {site.template}")


def video_page(site: Site, tools: ToolLinks, *, title: str, canonical: str) -> str:
    """A video page: player and a one-line caption."""
    inner = (
        '<div class="video-player" data-src="'
        f'{esc(site.absolute("/media/video/" + canonical.rstrip("/").split("/")[-1]))}.mp4">'
        '<video controls preload="none"></video></div>\n'
        f'<p class="video-caption">{esc(title)} | {esc(site.title)}</p>'
    )
    return simple_page(
        site, tools, heading=title, canonical=canonical, inner=inner, body_class="video-page"
    )


def epaper_page(site: Site, tools: ToolLinks, *, canonical: str, issues: Sequence[str]) -> str:
    """The e-paper ("Báo in") page: a list of PDF issues."""
    links = "".join(
        f'<li><a href="{esc(site.absolute("/bao-in/pdf/" + i + ".pdf"))}">Số ngày {esc(i)}</a></li>'
        for i in issues
    )
    inner = f'<ul class="epaper-issues">{links}</ul>'
    return simple_page(
        site, tools, heading="Báo in", canonical=canonical, inner=inner, body_class="epaper-page"
    )


def search_page(
    site: Site, tools: ToolLinks, *, canonical: str, query: str, results: Sequence[ListItem]
) -> str:
    """The search tool's result page."""
    lis = "".join(f"<li>{anchor(r.href, r.title)}</li>" for r in results)
    inner = (
        f'<form class="search-form" action="{esc(tools.search.split("?")[0])}">'
        f'<input type="text" name="q" value="{esc(query)}"><button type="submit">Tìm</button>'
        f'</form>\n<p class="search-count">Tìm thấy {len(results)} kết quả</p>\n'
        f'<ul class="search-results">{lis}</ul>'
    )
    return simple_page(
        site,
        tools,
        heading="Kết quả tìm kiếm",
        canonical=canonical,
        inner=inner,
        body_class="search-page",
        robots="noindex, nofollow",
    )


def not_found_page(site: Site, tools: ToolLinks, *, canonical: str) -> str:
    """ "Page not found": served with 404, or with 200 as a soft 404.

    Like many CMS error pages it is bare: the logo and a "search again" form holding the
    message, so an extractor finds a title but no article text."""
    inner = (
        f'<form class="error-404" action="{esc(tools.search.split("?")[0])}">\n'
        '<h1 class="page-title">Không tìm thấy trang</h1>\n'
        '<p class="error-code">404</p>\n'
        "<p>Trang bạn tìm không tồn tại hoặc đã bị gỡ bỏ.</p>\n"
        '<input type="text" name="q" placeholder="Tìm kiếm"><button type="submit">Tìm</button>\n'
        f'<p><a href="{esc(site.base_url)}/">Quay về trang chủ</a></p>\n'
        "</form>"
    )
    body = f"{logo(site, 'header-logo')}\n{inner}"
    head = _head(site, f"Không tìm thấy trang - {site.title}", canonical, robots="noindex")
    return document(head, body, f"error-page {site.template}")


__all__ = [
    "LOOKS",
    "ListItem",
    "Look",
    "ToolLinks",
    "epaper_page",
    "listing_page",
    "not_found_page",
    "search_page",
    "simple_page",
    "video_page",
]
