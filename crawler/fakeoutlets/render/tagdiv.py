"""WordPress with the tagDiv "Newspaper" theme (baoquangtri.vn).

Article markup: ``.entry-crumbs`` breadcrumb; ``h1.entry-title``;
``.td-post-author-name a``; ``time.entry-date[datetime]`` (plus ``time.updated`` when the
page shows a modification date); ``.td-post-sharing`` share bars; the body
``div.td-post-content`` whose first paragraph is the lead with its dateline marker ("QTO - ",
"(QT) - ", "(QBĐT) - ") and whose last paragraph is the byline, with ``.td-a-rec`` ads and
WordPress captions (``figure.wp-caption`` + ``figcaption.wp-caption-text``, or the legacy
``div.wp-caption`` + ``p.wp-caption-text``); ``ul.td-tags``; the related-posts block and the
sidebar (poll, visitor counter, "Sự kiện nổi bật") outside the body.

Layouts:

* ``desktop``: the above.
* ``mobile`` (the theme's mobile template): no sidebar; the "Tin liên quan" list is inside
  ``div.td-post-content`` after the byline; the date is printed with its time.
* ``legacy`` (the paper's site before WordPress, on DotNetNuke): nothing of the theme. The
  headline is ``h1.Head``, the date only as visible text ("Thứ Năm, 12/03/2015 - 08:30"), no
  JSON-LD and no ``article:published_time``; the body ``div.Normal`` opens with the bold lead
  and ends with the byline paragraph; pictures are centred paragraphs with an italic caption
  line under them; after the body an "Các tin khác" list with dates; a sidebar with a poll,
  a visitor counter and "Go top".
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions
from crawler.fakeoutlets.render.common import (
    BodyWriter,
    HeadStyle,
    ad_positions,
    ad_slot,
    anchor,
    box,
    captured_at,
    comment_form,
    crumbs,
    date_strip,
    dmy,
    document,
    esc,
    footer,
    hash_text,
    head,
    link_box,
    logo,
    nav_menu,
    page_scripts,
    prepare,
    share_bar,
    weekday_vn,
)

if TYPE_CHECKING:
    from crawler.fakeoutlets.sites import Site
    from crawler.fakeoutlets.source import ArticleSource, Block

HEAD_STYLE = HeadStyle(
    stylesheets=(
        "/wp-content/themes/Newspaper/style.css?ver=12.6.1",
        "/wp-content/plugins/td-composer/legacy/Newspaper/assets/css/td_legacy_main.css",
    ),
    generator="WordPress 6.4.3",
)


class TagDivBody(BodyWriter):
    """tagDiv body: WordPress captions; the lead is the first paragraph."""

    def __init__(self, source: ArticleSource, site: Site, options: PageOptions) -> None:
        super().__init__(source, site, options)
        self.attachment = 10000 + hash_text(source.url) % 80000

    def lead(self, dateline: str | None, sapo: str) -> str:
        """The lead paragraph, bold in current posts."""
        text = esc(f"{dateline or ''}{sapo}")
        if self.options.image_style == "legacy":
            return f"<p>{text}</p>"
        return f"<p><strong>{text}</strong></p>"

    def image(self, block: Block) -> str:
        """A WordPress captioned image (HTML5 figure, or the pre-2020 shortcode div)."""
        self.attachment += 1
        ident = f"attachment_{self.attachment}"
        img = (
            f'<img class="size-full wp-image-{self.attachment}" src="{esc(block.src)}" '
            f'alt="" width="800" height="533" loading="lazy">'
        )
        if self.options.image_style == "legacy":
            cap = f'<p class="wp-caption-text">{esc(block.caption)}</p>' if block.caption else ""
            return (
                f'<div id="{ident}" style="width: 810px" class="wp-caption aligncenter">'
                f"{img}{cap}</div>"
            )
        cap = (
            f'<figcaption id="caption-{ident}" class="wp-caption-text">{esc(block.caption)}'
            "</figcaption>"
            if block.caption
            else ""
        )
        return (
            f'<figure id="{ident}" aria-describedby="caption-{ident}" style="width: 800px" '
            f'class="wp-caption aligncenter">{img}{cap}</figure>'
        )


def post_header(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """Category pill, headline, author, dates and views."""
    sec = crumbs(site, source.category)[-1]
    author = source.authors[0] if source.authors else site.title
    author_url = site.absolute(f"/author/{hash_text(author) % 97}/")
    pub = source.published
    parts = [
        '<div class="td-post-header">',
        '<ul class="td-category"><li class="entry-category">'
        f"{anchor(site.section_url(sec), sec.name)}</li></ul>",
        '<header class="td-post-title">',
        f'<h1 class="entry-title">{esc(source.title)}</h1>',
        f'<p class="td-post-sub-title">{esc(source.sapo)}</p>'
        if options.subtitle and source.sapo
        else "",
        '<div class="td-module-meta-info">',
        '<div class="td-post-author-name"><div class="td-author-by">Bởi</div> '
        f'{anchor(author_url, author)}<div class="td-author-line"> - </div></div>',
        '<span class="td-post-date">'
        f'<time class="entry-date td-module-date" datetime="{pub.isoformat()}">{dmy(pub)}'
        f"{pub.strftime(' %H:%M') if options.layout == 'mobile' else ''}</time></span>",
    ]
    if options.show_updated and source.modified is not None:
        mod = source.modified
        parts.append(
            '<span class="td-post-date td-post-date-updated">Cập nhật: '
            f'<time class="updated" datetime="{mod.isoformat()}">{dmy(mod)} {mod:%H:%M}'
            "</time></span>"
        )
    parts += ["</div>", "</header>", "</div>"]
    return "\n".join(p for p in parts if p)


def post_content(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """``div.td-post-content``: lead, blocks with ads, byline (and, on the mobile layout, the
    related list)."""
    writer = TagDivBody(source, site, options)
    ads = {
        i: ad_slot(f"td-inline-{i}", "td-a-rec td-a-rec-id-content_inline")
        for i in ad_positions(source, options)
    }
    parts = [ad_slot("td-top", "td-a-rec td-a-rec-id-content_top")]
    if source.sapo:
        parts.append(writer.lead(source.dateline, source.sapo))
        if options.spacers:
            parts.append("<p>&nbsp;</p>")
    parts += writer.blocks(ads)
    if source.byline:
        parts.append(writer.byline(source.byline))
    if options.layout == "mobile" and source.related:
        items = "".join(f"<li>{anchor(r.url, r.title)}</li>" for r in source.related)
        parts.append(f'<div class="td-related-m"><h4>Tin liên quan</h4><ul>{items}</ul></div>')
    parts.append(ad_slot("td-bottom", "td-a-rec td-a-rec-id-content_bottom"))
    return '<div class="td-post-content tagdiv-type">\n' + "\n".join(parts) + "\n</div>"


def widgets(site: Site, source: ArticleSource, options: PageOptions) -> str:
    """The right sidebar: featured events, poll, visitor counter, latest posts."""
    total = 13_151_194 + hash_text(source.url) % 400_000
    counter = (
        '<ul class="visitor-counter">'
        "<li>Người trực tuyến <ul><li>Khách <span>57</span></li>"
        "<li>Thành viên <span>0</span></li><li>Tổng <span>57</span></li></ul></li>"
        f"<li>Tổng lượt truy cập: <span>{total}</span></li></ul>"
    )
    parts = [
        '<div class="td-pb-span4 td-main-sidebar" role="complementary">',
        '<div class="td-ss-main-sidebar">',
        link_box("Sự kiện nổi bật", site.events, "td_block_wrap widget td-events"),
        box(
            "Thăm dò ý kiến",
            '<p class="poll-empty">Hiện tại không có bình chọn nào đang hoạt động.</p>',
            "td_block_wrap widget widget_polls-widget",
            "h4",
        ),
        box("Thống kê truy cập", counter, "td_block_wrap widget widget_visitor_counter", "h4"),
        link_box("Tin mới", site.latest, "td_block_wrap widget td-latest", thumb=True),
        ad_slot("td-sidebar", "td-a-rec td-a-rec-id-sidebar"),
        "</div>",
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


class DnnBody(TagDivBody):
    """The DotNetNuke-era body: centred pictures with an italic caption line under them."""

    def image(self, block: Block) -> str:
        """A centred picture paragraph and its italic caption paragraph."""
        out = f'<p style="text-align: center;"><img src="{esc(block.src)}" alt=""></p>'
        if block.caption:
            out += f'\n<p style="text-align: center;"><em>{esc(block.caption)}</em></p>'
        return out


def _legacy(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """The DotNetNuke-era page (see the module docstring)."""
    writer = DnnBody(source, site, options)
    parts: list[str] = []
    if source.sapo:
        parts.append(f"<p><strong>{esc(source.lead)}</strong></p>")
    parts += writer.blocks()
    if source.byline:
        parts.append(f'<p style="text-align: right;"><strong>{esc(source.byline)}</strong></p>')
    when = source.published
    others = "".join(
        f"<li>{anchor(link.url, link.title)} <span>({dmy(when)})</span></li>"
        for link in source.related
    )
    total = 13_151_194 + hash_text(source.url) % 400_000
    body = "\n".join(
        [
            '<div id="dnn_wrapper">',
            '<div class="banner"><a href="/">'
            f'<img src="/Portals/0/logo.png" alt="{esc(site.title)}">'
            "</a></div>",
            nav_menu(site, "dnnmenu"),
            '<div id="dnn_ContentPane" class="news-detail">',
            f'<h1 class="Head">{esc(source.title)}</h1>',
            f'<p class="NewsDate">{weekday_vn(when)}, {dmy(when)} - {when:%H:%M}</p>',
            '<div class="Normal">\n' + "\n".join(parts) + "\n</div>",
            f'<div class="other-news"><h3>Các tin khác</h3><ul>{others}</ul></div>'
            if others
            else "",
            "</div>",
            '<div id="dnn_RightPane">',
            '<div class="poll"><h3>Thăm dò ý kiến</h3>'
            "<p>Hiện tại không có bình chọn nào đang hoạt động.</p></div>",
            '<div class="counter"><h3>Thống kê truy cập</h3>'
            f"<p>Tổng lượt truy cập: {total}</p><p>Đang truy cập: 57</p></div>",
            "</div>",
            '<a href="#top" class="gotop">Go top</a>',
            "</div>",
        ]
    )
    style = HeadStyle(stylesheets=("/Portals/_default/default.css",), published_meta="none")
    return document(head(replace(source, jsonld=False), site, options, style), body, "dnn")


def render_article(
    source: ArticleSource, site: Site, options: PageOptions = DEFAULT_OPTIONS
) -> str:
    """The full HTML page of one post on the tagDiv theme, in the options' layout."""
    page = prepare(source, options)
    if options.layout == "legacy":
        return _legacy(page, site, options)
    mobile = options.layout == "mobile"
    post_id = hash_text(page.url) % 200_000
    sep = ' <i class="td-icon-right td-bread-sep"></i> '
    trail = sep.join(
        f"<span>{anchor(site.section_url(sec), sec.name, 'entry-crumb', title=True)}</span>"
        for sec in crumbs(site, page.category)
    )
    tags = "".join(f"<li>{anchor(site.tag_url(t), t)}</li>" for t in page.tags)
    views = 686 if options.image_style == "legacy" else 120 + post_id % 900
    body = "\n".join(
        [
            '<div id="td-outer-wrap" class="td-theme-wrap">',
            '<div class="td-header-wrap td-header-style-1">',
            '<div class="td-header-top-menu">',
            date_strip(captured_at(page, options), site.weather, "td-header-date"),
            "</div>",
            logo(site, "td-main-logo"),
            '<div class="td-header-menu-wrap"><nav id="td-header-menu">',
            nav_menu(site, "sf-menu", "menu-item menu-item-type-taxonomy"),
            "</nav></div>",
            "</div>",
            '<div class="td-main-content-wrap td-container-wrap">',
            '<div class="td-container td-post-template-default">',
            '<div class="td-crumb-container"><div class="entry-crumbs">'
            f"<span>{anchor(site.base_url + '/', 'Trang chủ', 'entry-crumb')}</span>"
            f"{sep}{trail}</div></div>",
            '<div class="td-pb-row">',
            '<div class="td-pb-span8 td-main-content" role="main">',
            '<div class="td-ss-main-content">',
            f'<article id="post-{post_id}" class="post-{post_id} post type-post status-publish">',
            post_header(page, site, options),
            '<div class="td-post-sharing-top">',
            share_bar(page.canonical_url, page.title, "td-post-sharing td-ps-bg td-ps-notext"),
            "</div>",
            post_content(page, site, options),
            "<footer>",
            '<div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix">'
            f"<li><span>TAGS</span></li>{tags}</ul></div>"
            if tags
            else "",
            '<div class="td-post-sharing-bottom">',
            share_bar(page.canonical_url, page.title, "td-post-sharing td-ps-bg"),
            "</div>",
            f'<div class="td-post-views"><span class="td-nr-views-{post_id}">{views}</span></div>',
            "</footer>",
            "</article>",
            link_box(
                "Tin liên quan",
                list(page.related),
                "td_block_wrap td_block_related_posts",
                heading_tag="h4",
                thumb=True,
            ),
            comment_form("Để lại bình luận", "comments", site.absolute("/wp-comments-post.php")),
            "</div>",
            "</div>",
            "" if mobile else widgets(site, page, options),
            "</div>",
            "</div>",
            "</div>",
            footer(site, "td-footer-wrap", menu_class="td-footer-menu"),
            "</div>",
            page_scripts(
                site,
                (
                    "/wp-includes/js/jquery/jquery.min.js",
                    "/wp-content/themes/Newspaper/js/tagdiv_theme.min.js",
                ),
            ),
        ]
    )
    return document(
        head(page, site, options, HEAD_STYLE),
        body,
        f"post-template-default single single-post postid-{post_id} td-standard-pack",
    )
